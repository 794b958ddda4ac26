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
    /// The sum of the SUCCEEDED cancels, kept with every change for reports; the cancels
    /// themselves are in `payment_cancel`.
    pub canceled_amount: i64,
    pub authorization_expires_at: Option<PrimitiveDateTime>,
}

impl JoinKey for PaymentRow {
    fn join_key(&self) -> &str {
        &self.payment_id
    }
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
            canceled_amount: p.canceled_amount(),
            authorization_expires_at: p.authorization_expires_at.map(to_db_time),
        }
    }
}

impl PaymentRow {
    /// The payment this row and its `cancels` rows (oldest first) hold.
    pub fn into_payment(self, cancels: Vec<CancelRow>) -> Result<Payment, RepositoryError> {
        let r = self;
        let k = r.payment_id.as_str();
        let c = Cells {
            table: "payment",
            key: k,
        };
        let amount = c.col("amount", Amount::parse(r.amount))?;
        let cancels = cancels
            .into_iter()
            .map(Cancel::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        let cancels = c.col("payment_cancel", Cancels::restore(amount, cancels))?;
        if cancels.canceled_amount() != r.canceled_amount {
            return Err(corrupt(
                "payment",
                k,
                format_args!(
                    "canceled_amount {} but its SUCCEEDED cancels sum to {}",
                    r.canceled_amount,
                    cancels.canceled_amount()
                ),
            ));
        }
        Ok(Payment::restore(PaymentRecord {
            id: c.col("payment_id", PaymentId::parse(k))?,
            key: c.col("payment_key", PaymentKey::parse(&r.payment_key))?,
            client_id: c.col("client_id", ClientId::parse(&r.client_id))?,
            order_no: c.col("order_no", OrderNo::parse(&r.order_no))?,
            amount,
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
            authorization_expires_at: r.authorization_expires_at.map(from_db_time),
            cancels,
        }))
    }
}

// ---------------------------------------------------------------------------------------------
// payment_cancel

/// A `payment_cancel` row, as written and as read (its `seq` only orders the rows).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = payment_cancel)]
pub struct CancelRow {
    pub cancel_id: String,
    pub payment_id: String,
    pub amount: i64,
    pub reason: String,
    pub status: String,
    pub acquirer_transaction_id: Option<String>,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    pub requested_at: PrimitiveDateTime,
    pub completed_at: Option<PrimitiveDateTime>,
}

impl JoinKey for CancelRow {
    fn join_key(&self) -> &str {
        &self.payment_id
    }
}

impl CancelRow {
    pub fn new(payment_id: &PaymentId, c: &Cancel) -> Self {
        Self {
            cancel_id: c.id.as_str().to_owned(),
            payment_id: payment_id.to_string(),
            amount: c.amount.minor_units(),
            reason: c.reason.as_str().to_owned(),
            status: c.status.as_str().to_owned(),
            acquirer_transaction_id: c
                .acquirer_transaction_id
                .as_ref()
                .map(|t| t.as_str().to_owned()),
            failure_code: c.failure_code.as_ref().map(|v| v.as_str().to_owned()),
            failure_message: c.failure_message.as_ref().map(|v| v.as_str().to_owned()),
            requested_at: to_db_time(c.requested_at),
            completed_at: c.completed_at.map(to_db_time),
        }
    }
}

impl TryFrom<CancelRow> for Cancel {
    type Error = RepositoryError;

    fn try_from(r: CancelRow) -> Result<Self, Self::Error> {
        const T: &str = "payment_cancel";
        let k = r.cancel_id.as_str();
        let c = Cells { table: T, key: k };
        let status = CancelStatus::parse(&r.status)
            .ok_or_else(|| corrupt(T, k, format_args!("unknown status {:?}", r.status)))?;
        Ok(Cancel {
            id: c.col("cancel_id", CancelId::parse(k))?,
            amount: c.col("amount", Amount::parse(r.amount))?,
            reason: c.col("reason", CancelReason::parse(&r.reason))?,
            status,
            acquirer_transaction_id: c.opt(
                "acquirer_transaction_id",
                r.acquirer_transaction_id,
                TransactionId::parse,
            )?,
            failure_code: c.opt("failure_code", r.failure_code, FailureCode::parse)?,
            failure_message: c.opt("failure_message", r.failure_message, FailureMessage::parse)?,
            requested_at: from_db_time(r.requested_at),
            completed_at: r.completed_at.map(from_db_time),
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
