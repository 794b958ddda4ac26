//! The `payment` and `payment_log` rows.

use super::*;

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
        let k = r.payment_id.as_str();
        let c = Cells {
            table: "payment",
            key: k,
        };
        Ok(Payment::restore(PaymentRecord {
            id: c.col("payment_id", PaymentId::parse(k))?,
            key: c.col("payment_key", PaymentKey::parse(&r.payment_key))?,
            client_id: c.col("client_id", ClientId::parse(&r.client_id))?,
            order_no: c.col("order_no", OrderNo::parse(&r.order_no))?,
            amount: c.col("amount", Amount::parse(r.amount))?,
            currency: c.col("currency", Currency::parse(&r.currency))?,
            method: c.col("method_code", MethodCode::parse(&r.method_code))?,
            product_name: c.opt("product_name", r.product_name, ProductName::parse)?,
            customer_name: c.opt("customer_name", r.customer_name, CustomerName::parse)?,
            status: c.col("status", PaymentStatus::parse(&r.status))?,
            version: c.int("version", r.version)?,
            transaction_id: c.opt("transaction_id", r.transaction_id, TransactionId::parse)?,
            failure_code: c.opt("failure_code", r.failure_code, FailureCode::parse)?,
            failure_message: c.opt("failure_message", r.failure_message, FailureMessage::parse)?,
            cancel_reason: c.opt("cancel_reason", r.cancel_reason, CancelReason::parse)?,
            created_at: from_db_time(r.created_at),
            updated_at: from_db_time(r.updated_at),
            approved_at: r.approved_at.map(from_db_time),
            completed_at: r.completed_at.map(from_db_time),
            canceled_at: r.canceled_at.map(from_db_time),
            failed_at: r.failed_at.map(from_db_time),
            expires_at: from_db_time(r.expires_at),
        }))
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
        let c = Cells { table: T, key: k };
        let action = AuditAction::parse(&r.action)
            .ok_or_else(|| corrupt(T, k, format_args!("unknown action {:?}", r.action)))?;
        let actor = Actor::parse(&r.actor)
            .ok_or_else(|| corrupt(T, k, format_args!("unknown actor {:?}", r.actor)))?;
        Ok(AuditEntry {
            log_id: c.int("log_id", r.log_id)?,
            record: AuditRecord {
                action,
                from_status: c.opt("from_status", r.from_status, PaymentStatus::parse)?,
                status: c.col("status", PaymentStatus::parse(&r.status))?,
                actor,
                details: r.details,
                request_id: c.opt("request_id", r.request_id, RequestId::parse)?,
                at: from_db_time(r.created_at),
                from_version: c.opt_int("from_version", r.from_version)?,
            },
        })
    }
}

// ---------------------------------------------------------------------------------------------
// api_credential
