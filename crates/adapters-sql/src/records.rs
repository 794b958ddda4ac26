//! Record structs, one per table, and their conversions to and from domain types, for both
//! backends (no `check_for_backend`: the derives are generic, each adapter instantiates them).
//!
//! Integer columns are `i64` on both backends (MySQL's unsigned columns read through `BigInt`;
//! SQLite has only signed integers); the domain's unsigned values are widened on write and
//! checked on read.
//!
//! Writing never fails (domain values are valid by construction). Reading re-parses every value
//! through the domain's constructors, so a row that the schema should have made impossible
//! surfaces as a [`RepositoryError`] naming the row instead of a panic or a silently wrong value.

use std::time::Duration;

use diesel::prelude::*;
use domain::{
    RepositoryError, Timestamp,
    ids::{ClientId, EventId, Nonce, PaymentId, PaymentKey, RequestId, TransactionId},
    merchant::{ClientName, Merchant, MerchantStatus, PreviousSecret, ReturnUrl},
    money::{Amount, Currency},
    outbox::{Delivery, DeliveryAttempt, DeliveryState, OutboxKind, OutboxMessage, SendReport},
    payment::{
        Actor, AuditAction, AuditEntry, AuditRecord, CancelReason, CustomerName, FailureCode,
        FailureMessage, MethodCode, OrderNo, Payment, PaymentStatus, ProductName,
    },
    secret::SealedSecret,
};
use time::{PrimitiveDateTime, UtcOffset};

use crate::{
    error::corrupt,
    schema::{
        api_credential, delivery_attempt, idempotency_record, outbox_event, payment, payment_log,
        request_nonce,
    },
};

/// A domain instant as a stored one, in UTC: MySQL's `DATETIME(6)` (connections run with
/// `time_zone = '+00:00'`), SQLite's `TEXT` (`YYYY-MM-DD HH:MM:SS.f…`, which sorts as text).
pub fn to_db_time(t: Timestamp) -> PrimitiveDateTime {
    let utc = t.as_datetime().to_offset(UtcOffset::UTC);
    PrimitiveDateTime::new(utc.date(), utc.time())
}

/// A stored timestamp (UTC) as a domain instant; sub-millisecond digits are dropped.
pub fn from_db_time(t: PrimitiveDateTime) -> Timestamp {
    Timestamp::from_datetime(t.assume_utc())
}

/// An id or count from the domain as a stored integer (saturating: ids never get near
/// `i64::MAX`).
pub fn wide(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// A stored integer as the unsigned domain type it was written from; a value out of range (only
/// possible in a row this code did not write) names the row and column.
fn int<T: TryFrom<i64>>(table: &str, key: &str, column: &str, v: i64) -> Result<T, RepositoryError>
where
    T::Error: std::fmt::Display,
{
    col(table, key, column, T::try_from(v))
}

fn opt_int<T: TryFrom<i64>>(
    table: &str,
    key: &str,
    column: &str,
    v: Option<i64>,
) -> Result<Option<T>, RepositoryError>
where
    T::Error: std::fmt::Display,
{
    v.map(|v| int(table, key, column, v)).transpose()
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
#[diesel(table_name = payment)]
pub struct PaymentRow {
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
    pub version: i64,
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
            version: i64::from(p.version),
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
            version: int(T, k, "version", r.version)?,
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
#[diesel(table_name = payment_log)]
pub struct AuditRow {
    pub log_id: i64,
    pub action: String,
    pub from_status: Option<String>,
    pub status: String,
    pub actor: String,
    pub details: Option<String>,
    pub request_id: Option<String>,
    pub from_version: Option<i64>,
    pub created_at: PrimitiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = payment_log)]
pub struct NewAuditRow {
    pub payment_id: String,
    pub action: &'static str,
    pub from_status: Option<&'static str>,
    pub status: &'static str,
    pub actor: &'static str,
    pub details: Option<String>,
    pub request_id: Option<String>,
    pub from_version: Option<i64>,
    pub created_at: PrimitiveDateTime,
}

impl NewAuditRow {
    pub fn new(payment_id: &PaymentId, a: &AuditRecord) -> Self {
        Self {
            payment_id: payment_id.to_string(),
            action: a.action.as_str(),
            from_status: a.from_status.map(PaymentStatus::as_str),
            status: a.status.as_str(),
            actor: a.actor.as_str(),
            details: a.details.clone(),
            request_id: a.request_id.as_ref().map(|r| r.as_str().to_owned()),
            from_version: a.from_version.map(i64::from),
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
            log_id: int(T, k, "log_id", r.log_id)?,
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
                from_version: opt_int(T, k, "from_version", r.from_version)?,
            },
        })
    }
}

// ---------------------------------------------------------------------------------------------
// api_credential

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = api_credential)]
pub struct MerchantRow {
    pub client_id: String,
    pub client_name: String,
    pub client_secret: Vec<u8>,
    pub client_secret_key_version: i64,
    pub webhook_secret: Vec<u8>,
    pub webhook_secret_key_version: i64,
    pub previous_webhook_secret: Option<Vec<u8>>,
    pub previous_webhook_secret_key_version: Option<i64>,
    pub previous_webhook_secret_until: Option<PrimitiveDateTime>,
    pub return_url: Option<String>,
    pub status: String,
    pub created_at: PrimitiveDateTime,
    pub updated_at: PrimitiveDateTime,
}

impl From<&Merchant> for MerchantRow {
    fn from(m: &Merchant) -> Self {
        let prev = m.previous_webhook_secret.as_ref();
        Self {
            client_id: m.client_id.as_str().to_owned(),
            client_name: m.client_name.as_str().to_owned(),
            client_secret: m.client_secret.ciphertext.clone(),
            client_secret_key_version: i64::from(m.client_secret.key_version),
            webhook_secret: m.webhook_secret.ciphertext.clone(),
            webhook_secret_key_version: i64::from(m.webhook_secret.key_version),
            previous_webhook_secret: prev.map(|p| p.secret.ciphertext.clone()),
            previous_webhook_secret_key_version: prev.map(|p| i64::from(p.secret.key_version)),
            previous_webhook_secret_until: prev.map(|p| to_db_time(p.until)),
            return_url: m.return_url.as_ref().map(|u| u.as_str().to_owned()),
            status: m.status.as_str().to_owned(),
            created_at: to_db_time(m.created_at),
            updated_at: to_db_time(m.updated_at),
        }
    }
}

/// The sealed secrets of a merchant and their key versions, as one changeset (`None` writes
/// `NULL`: no previous webhook secret any more).
#[derive(Debug, Clone, Copy, AsChangeset)]
#[diesel(table_name = api_credential, treat_none_as_null = true)]
pub struct SealedSecretsChange<'a> {
    pub client_secret: &'a [u8],
    pub client_secret_key_version: i64,
    pub webhook_secret: &'a [u8],
    pub webhook_secret_key_version: i64,
    pub previous_webhook_secret: Option<&'a [u8]>,
    pub previous_webhook_secret_key_version: Option<i64>,
}

impl MerchantRow {
    pub fn sealed_secrets(&self) -> SealedSecretsChange<'_> {
        SealedSecretsChange {
            client_secret: &self.client_secret,
            client_secret_key_version: self.client_secret_key_version,
            webhook_secret: &self.webhook_secret,
            webhook_secret_key_version: self.webhook_secret_key_version,
            previous_webhook_secret: self.previous_webhook_secret.as_deref(),
            previous_webhook_secret_key_version: self.previous_webhook_secret_key_version,
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
        let previous_webhook_secret = match (
            r.previous_webhook_secret,
            r.previous_webhook_secret_key_version,
            r.previous_webhook_secret_until,
        ) {
            (None, None, None) => None,
            (Some(ciphertext), Some(key_version), Some(until)) => Some(PreviousSecret {
                secret: SealedSecret {
                    key_version: int(T, k, "previous_webhook_secret_key_version", key_version)?,
                    ciphertext,
                },
                until: from_db_time(until),
            }),
            _ => {
                return Err(corrupt(
                    T,
                    k,
                    "previous_webhook_secret columns are only partly set",
                ));
            }
        };
        Ok(Merchant {
            client_id: col(T, k, "client_id", ClientId::parse(k))?,
            client_name: col(T, k, "client_name", ClientName::parse(&r.client_name))?,
            client_secret: SealedSecret {
                key_version: int(
                    T,
                    k,
                    "client_secret_key_version",
                    r.client_secret_key_version,
                )?,
                ciphertext: r.client_secret,
            },
            webhook_secret: SealedSecret {
                key_version: int(
                    T,
                    k,
                    "webhook_secret_key_version",
                    r.webhook_secret_key_version,
                )?,
                ciphertext: r.webhook_secret,
            },
            previous_webhook_secret,
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
#[diesel(table_name = request_nonce)]
pub struct NonceRow<'a> {
    pub client_id: &'a str,
    pub nonce: &'a str,
    pub expires_at: PrimitiveDateTime,
}

impl<'a> NonceRow<'a> {
    pub fn new(client: &'a ClientId, nonce: &'a Nonce, expires_at: Timestamp) -> Self {
        Self {
            client_id: client.as_str(),
            nonce: nonce.as_str(),
            expires_at: to_db_time(expires_at),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// idempotency_record

/// What a claim re-reads of an existing idempotency record.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = idempotency_record)]
pub struct IdempotencyRow {
    pub fingerprint: String,
    pub state: String,
    pub response_status: Option<i64>,
    pub response_content_type: Option<String>,
    pub response_location: Option<String>,
    pub response_body: Option<Vec<u8>>,
    pub lease_until: PrimitiveDateTime,
    pub expires_at: PrimitiveDateTime,
}

// ---------------------------------------------------------------------------------------------
// outbox_event

/// The longest `last_error` / `delivery_attempt.error` stored (MySQL: `VARCHAR(1024)`), in
/// characters.
pub const MAX_ERROR_CHARS: usize = 1024;
/// The longest response excerpt stored: the sender keeps it to 1 KiB, which is at most this
/// many characters; anything longer is cut here rather than refused.
pub const MAX_EXCERPT_CHARS: usize = 1024;

/// `s` cut to at most `max` characters (never inside a character).
pub fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((end, _)) => s[..end].to_owned(),
        None => s.to_owned(),
    }
}

/// An event id as stored: the hyphenated lower-case UUID (`evt_<hex>` is only its public
/// spelling).
pub fn event_key(id: &EventId) -> String {
    id.as_uuid().hyphenated().to_string()
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = outbox_event)]
pub struct NewOutboxRow {
    pub event_id: String,
    pub kind: &'static str,
    pub payment_id: Option<String>,
    pub client_id: Option<String>,
    pub event_type: Option<String>,
    pub target_url: String,
    pub payload: String,
    pub state: &'static str,
    pub attempts: i64,
    pub not_before: PrimitiveDateTime,
    pub next_attempt_at: PrimitiveDateTime,
    pub created_at: PrimitiveDateTime,
    pub updated_at: PrimitiveDateTime,
}

impl From<&OutboxMessage> for NewOutboxRow {
    /// A new message is PENDING with no attempts, first due at `not_before`.
    fn from(m: &OutboxMessage) -> Self {
        Self {
            event_id: event_key(&m.id),
            kind: m.kind.as_str(),
            payment_id: m.payment_id.map(|p| p.to_string()),
            client_id: m.client_id.as_ref().map(|c| c.as_str().to_owned()),
            event_type: m.event_type.clone(),
            target_url: m.target_url.clone(),
            payload: m.payload.clone(),
            state: DeliveryState::Pending.as_str(),
            attempts: 0,
            not_before: to_db_time(m.not_before),
            next_attempt_at: to_db_time(m.not_before),
            created_at: to_db_time(m.created_at),
            updated_at: to_db_time(m.created_at),
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox_event)]
pub struct OutboxRow {
    pub seq: i64,
    pub event_id: String,
    pub kind: String,
    pub payment_id: Option<String>,
    pub client_id: Option<String>,
    pub event_type: Option<String>,
    pub target_url: String,
    pub payload: String,
    pub state: String,
    pub attempts: i64,
    pub not_before: PrimitiveDateTime,
    pub next_attempt_at: PrimitiveDateTime,
    pub last_error: Option<String>,
    pub created_at: PrimitiveDateTime,
    pub updated_at: PrimitiveDateTime,
}

const OUTBOX: &str = "outbox_event";

impl OutboxRow {
    /// The message as it was enqueued.
    pub fn message(&self) -> Result<OutboxMessage, RepositoryError> {
        let k = self.event_id.as_str();
        let kind = OutboxKind::parse(&self.kind)
            .ok_or_else(|| corrupt(OUTBOX, k, format_args!("unknown kind {:?}", self.kind)))?;
        Ok(OutboxMessage {
            id: col(OUTBOX, k, "event_id", EventId::parse(k))?,
            kind,
            payment_id: opt_col(
                OUTBOX,
                k,
                "payment_id",
                self.payment_id.as_deref(),
                PaymentId::parse,
            )?,
            client_id: opt_col(
                OUTBOX,
                k,
                "client_id",
                self.client_id.as_deref(),
                ClientId::parse,
            )?,
            event_type: self.event_type.clone(),
            target_url: self.target_url.clone(),
            payload: self.payload.clone(),
            created_at: from_db_time(self.created_at),
            not_before: from_db_time(self.not_before),
        })
    }

    /// How many attempts have been recorded.
    pub fn attempts(&self) -> Result<u32, RepositoryError> {
        int(OUTBOX, &self.event_id, "attempts", self.attempts)
    }

    pub fn state(&self) -> Result<DeliveryState, RepositoryError> {
        DeliveryState::parse(&self.state).ok_or_else(|| {
            corrupt(
                OUTBOX,
                &self.event_id,
                format_args!("unknown state {:?}", self.state),
            )
        })
    }

    /// The operator view, with `attempts` (oldest first). `next_attempt_at` is only set while
    /// the message is PENDING: a finished message has no next attempt.
    pub fn into_delivery(
        self,
        attempts: Vec<DeliveryAttempt>,
    ) -> Result<Delivery, RepositoryError> {
        let message = self.message()?;
        let state = self.state()?;
        Ok(Delivery {
            message,
            state,
            attempts,
            next_attempt_at: (state == DeliveryState::Pending)
                .then(|| from_db_time(self.next_attempt_at)),
            last_error: self.last_error,
            updated_at: from_db_time(self.updated_at),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// delivery_attempt

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = delivery_attempt)]
pub struct NewAttemptRow {
    pub event_id: String,
    pub attempt_no: i64,
    pub started_at: PrimitiveDateTime,
    pub status_code: Option<i64>,
    pub latency_ms: i64,
    pub error: Option<String>,
    pub response_excerpt: Option<String>,
}

impl From<&DeliveryAttempt> for NewAttemptRow {
    /// Latency in whole milliseconds (saturating); the error and excerpt cut to what the columns
    /// hold. `retry_after` is not stored.
    fn from(a: &DeliveryAttempt) -> Self {
        let r = &a.report;
        Self {
            event_id: event_key(&a.event_id),
            attempt_no: i64::from(a.attempt_no),
            started_at: to_db_time(a.started_at),
            status_code: r.status.map(i64::from),
            latency_ms: i64::try_from(r.latency.as_millis()).unwrap_or(i64::MAX),
            error: r
                .error
                .as_deref()
                .map(|e| truncate_chars(e, MAX_ERROR_CHARS)),
            response_excerpt: r
                .excerpt
                .as_deref()
                .map(|e| truncate_chars(e, MAX_EXCERPT_CHARS)),
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = delivery_attempt)]
pub struct AttemptRow {
    pub id: i64,
    pub event_id: String,
    pub attempt_no: i64,
    pub started_at: PrimitiveDateTime,
    pub status_code: Option<i64>,
    pub latency_ms: i64,
    pub error: Option<String>,
    pub response_excerpt: Option<String>,
}

impl TryFrom<AttemptRow> for DeliveryAttempt {
    type Error = RepositoryError;

    fn try_from(r: AttemptRow) -> Result<Self, Self::Error> {
        const T: &str = "delivery_attempt";
        let k = r.id.to_string();
        Ok(DeliveryAttempt {
            event_id: col(T, &k, "event_id", EventId::parse(&r.event_id))?,
            attempt_no: int(T, &k, "attempt_no", r.attempt_no)?,
            started_at: from_db_time(r.started_at),
            report: SendReport {
                status: opt_int(T, &k, "status_code", r.status_code)?,
                latency: Duration::from_millis(int(T, &k, "latency_ms", r.latency_ms)?),
                error: r.error,
                excerpt: r.response_excerpt,
                retry_after: None,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn attempt_row() -> AttemptRow {
        AttemptRow {
            id: 7,
            event_id: "0192f5e4-7b1c-7cc0-8000-000000000001".to_owned(),
            attempt_no: 2,
            started_at: datetime!(2026-11-24 12:00:00.123),
            status_code: Some(503),
            latency_ms: 40,
            error: None,
            response_excerpt: None,
        }
    }

    #[test]
    fn a_stored_attempt_reads_back_with_its_unsigned_values() {
        let a = DeliveryAttempt::try_from(attempt_row()).unwrap();
        assert_eq!(a.attempt_no, 2);
        assert_eq!(a.report.status, Some(503));
        assert_eq!(a.report.latency, Duration::from_millis(40));
        assert_eq!(NewAttemptRow::from(&a).status_code, Some(503));
    }

    #[test]
    fn an_integer_out_of_its_domain_range_is_a_corrupt_row_naming_the_column() {
        let mut row = attempt_row();
        row.status_code = Some(70_000);
        let e = DeliveryAttempt::try_from(row).unwrap_err();
        assert!(e.to_string().contains("status_code"), "{e}");
        let mut row = attempt_row();
        row.latency_ms = -1;
        let e = DeliveryAttempt::try_from(row).unwrap_err();
        assert!(e.to_string().contains("latency_ms"), "{e}");
    }
}
