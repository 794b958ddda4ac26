//! Turning the rows of the operator queries (statistics, live feed) into domain values.

use domain::{
    RepositoryError,
    ids::{ClientId, PaymentKey},
    money::Currency,
    operator::feed::{AttemptFeedEntry, AuditFeedEntry},
    operator::stats::{StatsBreakdown, StatsCell},
    outbox::{DeliveryAttempt, OutboxKind},
    payment::{AuditEntry, PaymentStatus},
};

use crate::{
    error::corrupt,
    raw::{CellRow, DayCellRow, MerchantCellRow},
    records::{AttemptRow, AuditRow},
};

impl CellRow {
    fn cell(self) -> Result<StatsCell, RepositoryError> {
        let bad = |what: String| corrupt("payment", "(stats)", what);
        Ok(StatsCell {
            status: PaymentStatus::parse(&self.status).map_err(|e| bad(format!("status {e}")))?,
            was_approved: self.was_approved != 0,
            currency: Currency::parse(&self.currency).map_err(|e| bad(format!("currency {e}")))?,
            count: u64::try_from(self.n).unwrap_or(0),
            amount: self.total,
            canceled: self.canceled,
        })
    }
}

/// The three groupings of the statistics queries as the domain's breakdown.
pub fn stats_breakdown(
    overall: Vec<CellRow>,
    by_day: Vec<DayCellRow>,
    by_merchant: Vec<MerchantCellRow>,
) -> Result<StatsBreakdown, RepositoryError> {
    Ok(StatsBreakdown {
        overall: overall
            .into_iter()
            .map(CellRow::cell)
            .collect::<Result<_, _>>()?,
        by_day: by_day
            .into_iter()
            .map(|r| Ok((r.day, r.cell.cell()?)))
            .collect::<Result<_, RepositoryError>>()?,
        by_merchant: by_merchant
            .into_iter()
            .map(|r| {
                let client = ClientId::parse(&r.client_id)
                    .map_err(|e| corrupt("payment", &r.client_id, format_args!("client_id {e}")))?;
                Ok((client, r.cell.cell()?))
            })
            .collect::<Result<_, RepositoryError>>()?,
    })
}

/// An audit row with its payment's key and merchant.
pub type AuditFeedRow = (AuditRow, String, String);

pub fn audit_entry((row, key, client): AuditFeedRow) -> Result<AuditFeedEntry, RepositoryError> {
    let id = row.log_id.to_string();
    Ok(AuditFeedEntry {
        payment_key: PaymentKey::parse(&key)
            .map_err(|e| corrupt("payment", &key, format_args!("payment_key {e}")))?,
        client_id: ClientId::parse(&client)
            .map_err(|e| corrupt("payment_log", &id, format_args!("client_id {e}")))?,
        entry: AuditEntry::try_from(row)?,
    })
}

/// A delivery attempt with its message's kind, event type, target, merchant and payment key.
pub type AttemptFeedRow = (
    AttemptRow,
    String,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
);

pub fn attempt_entry(
    (row, kind, event_type, target_url, client, key): AttemptFeedRow,
) -> Result<AttemptFeedEntry, RepositoryError> {
    let k = row.id.to_string();
    let bad = |what: String| corrupt("delivery_attempt", &k, what);
    Ok(AttemptFeedEntry {
        id: u64::try_from(row.id).map_err(|e| bad(format!("id {e}")))?,
        kind: OutboxKind::parse(&kind).ok_or_else(|| bad(format!("unknown kind {kind:?}")))?,
        event_type,
        target_url,
        client_id: client
            .as_deref()
            .map(ClientId::parse)
            .transpose()
            .map_err(|e| bad(format!("client_id {e}")))?,
        payment_key: key
            .as_deref()
            .map(PaymentKey::parse)
            .transpose()
            .map_err(|e| bad(format!("payment_key {e}")))?,
        attempt: DeliveryAttempt::try_from(row)?,
    })
}

/// The largest id of a feed's table (0 when it is empty).
pub fn last_id(table: &str, max: Option<i64>) -> Result<u64, RepositoryError> {
    max.map_or(Ok(0), |m| {
        u64::try_from(m).map_err(|e| corrupt(table, &m.to_string(), format_args!("id {e}")))
    })
}
