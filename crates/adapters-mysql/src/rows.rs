//! Row structs, one per table, and their conversions to and from domain types.
//!
//! Writing never fails (domain values are valid by construction). Reading re-parses every value
//! through the domain's constructors, so a row that the schema should have made impossible
//! surfaces as a [`RepositoryError`] naming the row instead of a panic or a silently wrong value.

use diesel::prelude::*;
use domain::{
    RepositoryError, Timestamp,
    ids::{ClientId, PaymentId, PaymentKey, RequestId, TransactionId},
    merchant::{ClientName, Merchant, MerchantStatus, ReturnUrl},
    money::{Amount, Currency},
    payment::{
        Actor, AuditAction, AuditEntry, AuditRecord, CancelReason, CustomerName, FailureCode,
        FailureMessage, MethodCode, OrderNo, Payment, PaymentStatus, ProductName,
    },
    secret::SealedSecret,
};
use time::{PrimitiveDateTime, UtcOffset};

use crate::{
    error::corrupt,
    schema::{api_credential, payment, payment_log, request_nonce},
};

/// A domain instant as a `DATETIME(6)` value, in UTC (connections run with `time_zone = '+00:00'`).
pub(crate) fn to_db_time(t: Timestamp) -> PrimitiveDateTime {
    let utc = t.as_datetime().to_offset(UtcOffset::UTC);
    PrimitiveDateTime::new(utc.date(), utc.time())
}

/// A `DATETIME(6)` value (UTC) as a domain instant; sub-millisecond digits are dropped.
pub(crate) fn from_db_time(t: PrimitiveDateTime) -> Timestamp {
    Timestamp::from_datetime(t.assume_utc())
}

/// Parses one column of a stored row, naming the row and column on failure.
fn col<T, E: std::fmt::Display>(
    table: &str,
    key: &str,
    column: &str,
    r: Result<T, E>,
) -> Result<T, RepositoryError> {
    r.map_err(|e| corrupt(table, key, format_args!("{column} {e}")))
}

fn opt_col<T, E: std::fmt::Display>(
    table: &str,
    key: &str,
    column: &str,
    raw: Option<&str>,
    parse: impl Fn(&str) -> Result<T, E>,
) -> Result<Option<T>, RepositoryError> {
    raw.map(|v| col(table, key, column, parse(v))).transpose()
}

// ---------------------------------------------------------------------------------------------
// payment

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = payment, check_for_backend(diesel::mysql::Mysql))]
pub(crate) struct PaymentRow {
    pub payment_id: String,
    pub payment_key: String,
    pub client_id: String,
    pub order_no: String,
    pub amount: i64,
    pub currency: String,
    pub method_code: String,
    pub status: String,
    pub product_name: Option<String>,
    pub customer_name: Option<String>,
    pub transaction_id: Option<String>,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    pub cancel_reason: Option<String>,
    pub version: u32,
    pub created_at: PrimitiveDateTime,
    pub updated_at: PrimitiveDateTime,
    pub approved_at: Option<PrimitiveDateTime>,
    pub completed_at: Option<PrimitiveDateTime>,
    pub canceled_at: Option<PrimitiveDateTime>,
    pub failed_at: Option<PrimitiveDateTime>,
    pub expires_at: PrimitiveDateTime,
}

impl From<&Payment> for PaymentRow {
    fn from(p: &Payment) -> Self {
        Self {
            payment_id: p.id.to_string(),
            payment_key: p.key.as_str().to_owned(),
            client_id: p.client_id.as_str().to_owned(),
            order_no: p.order_no.as_str().to_owned(),
            amount: p.amount.minor_units(),
            currency: p.currency.as_str().to_owned(),
            method_code: p.method.as_str().to_owned(),
            status: p.status.as_str().to_owned(),
            product_name: p.product_name.as_ref().map(|v| v.as_str().to_owned()),
            customer_name: p.customer_name.as_ref().map(|v| v.as_str().to_owned()),
            transaction_id: p.transaction_id.as_ref().map(|v| v.as_str().to_owned()),
            failure_code: p.failure_code.as_ref().map(|v| v.as_str().to_owned()),
            failure_message: p.failure_message.as_ref().map(|v| v.as_str().to_owned()),
            cancel_reason: p.cancel_reason.as_ref().map(|v| v.as_str().to_owned()),
            version: p.version,
            created_at: to_db_time(p.created_at),
            updated_at: to_db_time(p.updated_at),
            approved_at: p.approved_at.map(to_db_time),
            completed_at: p.completed_at.map(to_db_time),
            canceled_at: p.canceled_at.map(to_db_time),
            failed_at: p.failed_at.map(to_db_time),
            expires_at: to_db_time(p.expires_at),
        }
    }
}

impl TryFrom<PaymentRow> for Payment {
    type Error = RepositoryError;

    fn try_from(r: PaymentRow) -> Result<Self, Self::Error> {
        const T: &str = "payment";
        let k = r.payment_id.as_str();
        Ok(Payment {
            id: col(T, k, "payment_id", PaymentId::parse(k))?,
            key: col(T, k, "payment_key", PaymentKey::parse(&r.payment_key))?,
            client_id: col(T, k, "client_id", ClientId::parse(&r.client_id))?,
            order_no: col(T, k, "order_no", OrderNo::parse(&r.order_no))?,
            amount: col(T, k, "amount", Amount::parse(r.amount))?,
            currency: col(T, k, "currency", Currency::parse(&r.currency))?,
            method: col(T, k, "method_code", MethodCode::parse(&r.method_code))?,
            product_name: opt_col(
                T,
                k,
                "product_name",
                r.product_name.as_deref(),
                ProductName::parse,
            )?,
            customer_name: opt_col(
                T,
                k,
                "customer_name",
                r.customer_name.as_deref(),
                CustomerName::parse,
            )?,
            status: col(T, k, "status", PaymentStatus::parse(&r.status))?,
            version: r.version,
            transaction_id: opt_col(
                T,
                k,
                "transaction_id",
                r.transaction_id.as_deref(),
                TransactionId::parse,
            )?,
            failure_code: opt_col(
                T,
                k,
                "failure_code",
                r.failure_code.as_deref(),
                FailureCode::parse,
            )?,
            failure_message: opt_col(
                T,
                k,
                "failure_message",
                r.failure_message.as_deref(),
                FailureMessage::parse,
            )?,
            cancel_reason: opt_col(
                T,
                k,
                "cancel_reason",
                r.cancel_reason.as_deref(),
                CancelReason::parse,
            )?,
            created_at: from_db_time(r.created_at),
            updated_at: from_db_time(r.updated_at),
            approved_at: r.approved_at.map(from_db_time),
            completed_at: r.completed_at.map(from_db_time),
            canceled_at: r.canceled_at.map(from_db_time),
            failed_at: r.failed_at.map(from_db_time),
            expires_at: from_db_time(r.expires_at),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// payment_log

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = payment_log, check_for_backend(diesel::mysql::Mysql))]
pub(crate) struct AuditRow {
    pub log_id: u64,
    pub action: String,
    pub from_status: Option<String>,
    pub status: String,
    pub actor: String,
    pub details: Option<String>,
    pub request_id: Option<String>,
    pub from_version: Option<u32>,
    pub created_at: PrimitiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = payment_log, check_for_backend(diesel::mysql::Mysql))]
pub(crate) struct NewAuditRow {
    pub payment_id: String,
    pub action: &'static str,
    pub from_status: Option<&'static str>,
    pub status: &'static str,
    pub actor: &'static str,
    pub details: Option<String>,
    pub request_id: Option<String>,
    pub from_version: Option<u32>,
    pub created_at: PrimitiveDateTime,
}

impl NewAuditRow {
    pub(crate) fn new(payment_id: &PaymentId, a: &AuditRecord) -> Self {
        Self {
            payment_id: payment_id.to_string(),
            action: a.action.as_str(),
            from_status: a.from_status.map(PaymentStatus::as_str),
            status: a.status.as_str(),
            actor: a.actor.as_str(),
            details: a.details.clone(),
            request_id: a.request_id.as_ref().map(|r| r.as_str().to_owned()),
            from_version: a.from_version,
            created_at: to_db_time(a.at),
        }
    }
}

impl TryFrom<AuditRow> for AuditEntry {
    type Error = RepositoryError;

    fn try_from(r: AuditRow) -> Result<Self, Self::Error> {
        const T: &str = "payment_log";
        let k = r.log_id.to_string();
        let k = k.as_str();
        let action = AuditAction::parse(&r.action)
            .ok_or_else(|| corrupt(T, k, format_args!("unknown action {:?}", r.action)))?;
        let actor = Actor::parse(&r.actor)
            .ok_or_else(|| corrupt(T, k, format_args!("unknown actor {:?}", r.actor)))?;
        Ok(AuditEntry {
            log_id: r.log_id,
            record: AuditRecord {
                action,
                from_status: opt_col(
                    T,
                    k,
                    "from_status",
                    r.from_status.as_deref(),
                    PaymentStatus::parse,
                )?,
                status: col(T, k, "status", PaymentStatus::parse(&r.status))?,
                actor,
                details: r.details,
                request_id: opt_col(
                    T,
                    k,
                    "request_id",
                    r.request_id.as_deref(),
                    RequestId::parse,
                )?,
                at: from_db_time(r.created_at),
                from_version: r.from_version,
            },
        })
    }
}

// ---------------------------------------------------------------------------------------------
// api_credential

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = api_credential, check_for_backend(diesel::mysql::Mysql))]
pub(crate) struct MerchantRow {
    pub client_id: String,
    pub client_name: String,
    pub client_secret: Vec<u8>,
    pub client_secret_key_version: u32,
    pub webhook_secret: Vec<u8>,
    pub webhook_secret_key_version: u32,
    pub return_url: Option<String>,
    pub status: String,
    pub created_at: PrimitiveDateTime,
    pub updated_at: PrimitiveDateTime,
}

impl From<&Merchant> for MerchantRow {
    fn from(m: &Merchant) -> Self {
        Self {
            client_id: m.client_id.as_str().to_owned(),
            client_name: m.client_name.as_str().to_owned(),
            client_secret: m.client_secret.ciphertext.clone(),
            client_secret_key_version: m.client_secret.key_version,
            webhook_secret: m.webhook_secret.ciphertext.clone(),
            webhook_secret_key_version: m.webhook_secret.key_version,
            return_url: m.return_url.as_ref().map(|u| u.as_str().to_owned()),
            status: m.status.as_str().to_owned(),
            created_at: to_db_time(m.created_at),
            updated_at: to_db_time(m.updated_at),
        }
    }
}

impl TryFrom<MerchantRow> for Merchant {
    type Error = RepositoryError;

    fn try_from(r: MerchantRow) -> Result<Self, Self::Error> {
        const T: &str = "api_credential";
        let k = r.client_id.as_str();
        let status = MerchantStatus::parse(&r.status)
            .ok_or_else(|| corrupt(T, k, format_args!("unknown status {:?}", r.status)))?;
        Ok(Merchant {
            client_id: col(T, k, "client_id", ClientId::parse(k))?,
            client_name: col(T, k, "client_name", ClientName::parse(&r.client_name))?,
            client_secret: SealedSecret {
                key_version: r.client_secret_key_version,
                ciphertext: r.client_secret,
            },
            webhook_secret: SealedSecret {
                key_version: r.webhook_secret_key_version,
                ciphertext: r.webhook_secret,
            },
            return_url: opt_col(
                T,
                k,
                "return_url",
                r.return_url.as_deref(),
                ReturnUrl::parse,
            )?,
            status,
            created_at: from_db_time(r.created_at),
            updated_at: from_db_time(r.updated_at),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// request_nonce

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = request_nonce, check_for_backend(diesel::mysql::Mysql))]
pub(crate) struct NonceRow<'a> {
    pub client_id: &'a str,
    pub nonce: &'a str,
    pub expires_at: PrimitiveDateTime,
}
