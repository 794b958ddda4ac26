//! The `settlement_batch`, `settlement_line` and `settlement_run` rows, and a day's movements
//! as the settlement queries read them.

use diesel::sql_types::{BigInt, Nullable, Text, Timestamp as SqlTimestamp};
use domain::settlement::{
    BatchTotals, FeeRate, LineType, Movement, MovementKind, SettlementBatch, SettlementDate,
    SettlementId, SettlementLine,
};

use super::*;
use crate::schema::{settlement_batch, settlement_line};

const BATCH: &str = "settlement_batch";
const LINE: &str = "settlement_line";

/// The `line_type` column of a settlement line or a ledger entry.
pub(super) fn line_type(c: Cells<'_>, raw: &str) -> Result<LineType, RepositoryError> {
    c.col(
        "line_type",
        LineType::parse(raw).ok_or("is not CAPTURE or CANCEL"),
    )
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = settlement_batch)]
pub struct BatchRow {
    #[diesel(skip_insertion)]
    pub seq: i64,
    pub settlement_id: String,
    pub client_id: String,
    pub currency: String,
    pub settlement_date: String,
    pub payout_date: String,
    pub fee_rate_bps: i64,
    pub gross: i64,
    pub fees: i64,
    pub net: i64,
    pub line_count: i64,
    pub created_at: PrimitiveDateTime,
}

impl From<&SettlementBatch> for BatchRow {
    fn from(b: &SettlementBatch) -> Self {
        Self {
            seq: 0,
            settlement_id: b.id.as_str().to_owned(),
            client_id: b.client_id.as_str().to_owned(),
            currency: b.currency.as_str().to_owned(),
            settlement_date: b.date.to_string(),
            payout_date: b.payout_date.to_string(),
            fee_rate_bps: i64::from(b.fee_rate.bps()),
            gross: b.totals.gross,
            fees: b.totals.fees,
            net: b.totals.net,
            line_count: wide(b.totals.line_count),
            created_at: to_db_time(b.created_at),
        }
    }
}

impl TryFrom<BatchRow> for SettlementBatch {
    type Error = RepositoryError;

    fn try_from(r: BatchRow) -> Result<Self, RepositoryError> {
        let c = Cells {
            table: BATCH,
            key: &r.settlement_id,
        };
        Ok(Self {
            id: c.col("settlement_id", SettlementId::parse(&r.settlement_id))?,
            client_id: c.col("client_id", ClientId::parse(&r.client_id))?,
            currency: c.col("currency", Currency::parse(&r.currency))?,
            date: c.col("settlement_date", SettlementDate::parse(&r.settlement_date))?,
            payout_date: c.col("payout_date", SettlementDate::parse(&r.payout_date))?,
            fee_rate: c.col("fee_rate_bps", FeeRate::from_bps(r.fee_rate_bps))?,
            totals: BatchTotals {
                gross: r.gross,
                fees: r.fees,
                net: r.net,
                line_count: c.int("line_count", r.line_count)?,
            },
            created_at: from_db_time(r.created_at),
        })
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = settlement_line)]
pub struct LineRow {
    #[diesel(skip_insertion)]
    pub seq: i64,
    pub settlement_id: String,
    pub settles: String,
    pub payment_id: String,
    pub payment_key: String,
    pub order_no: String,
    pub line_type: String,
    pub cancel_id: Option<String>,
    pub amount: i64,
    pub fee: i64,
    pub net: i64,
    pub occurred_at: PrimitiveDateTime,
}

impl LineRow {
    /// The row of `line` in batch `batch`, settling `settles`.
    pub fn new(batch: &SettlementId, settles: String, line: &SettlementLine) -> Self {
        Self {
            seq: 0,
            settlement_id: batch.as_str().to_owned(),
            settles,
            payment_id: line.payment_id.to_string(),
            payment_key: line.payment_key.to_string(),
            order_no: line.order_no.as_str().to_owned(),
            line_type: line.line_type.as_str().to_owned(),
            cancel_id: line.cancel_id.as_ref().map(|c| c.as_str().to_owned()),
            amount: line.amount,
            fee: line.fee,
            net: line.net,
            occurred_at: to_db_time(line.at),
        }
    }
}

impl TryFrom<LineRow> for SettlementLine {
    type Error = RepositoryError;

    fn try_from(r: LineRow) -> Result<Self, RepositoryError> {
        let c = Cells {
            table: LINE,
            key: &r.settles,
        };
        Ok(Self {
            payment_id: c.col("payment_id", PaymentId::parse(&r.payment_id))?,
            payment_key: c.col("payment_key", PaymentKey::parse(&r.payment_key))?,
            order_no: c.col("order_no", OrderNo::parse(&r.order_no))?,
            line_type: line_type(c, &r.line_type)?,
            cancel_id: c.opt("cancel_id", r.cancel_id.as_deref(), CancelId::parse)?,
            amount: r.amount,
            fee: r.fee,
            net: r.net,
            at: from_db_time(r.occurred_at),
        })
    }
}

/// A merchant and currency with something to settle.
#[derive(Debug, QueryableByName)]
pub struct PairRow {
    #[diesel(sql_type = Text)]
    pub client_id: String,
    #[diesel(sql_type = Text)]
    pub currency: String,
}

impl PairRow {
    pub fn parse(self) -> Result<(ClientId, Currency), RepositoryError> {
        let c = Cells {
            table: "payment",
            key: &self.client_id,
        };
        Ok((
            c.col("client_id", ClientId::parse(&self.client_id))?,
            c.col("currency", Currency::parse(&self.currency))?,
        ))
    }
}

/// One movement of a day: a capture (`cancel_id` NULL, `seq` 0) or a cancel (its `seq`).
#[derive(Debug, QueryableByName)]
pub struct MovementRow {
    #[diesel(sql_type = BigInt)]
    pub seq: i64,
    #[diesel(sql_type = Text)]
    pub payment_id: String,
    #[diesel(sql_type = Text)]
    pub payment_key: String,
    #[diesel(sql_type = Text)]
    pub order_no: String,
    #[diesel(sql_type = BigInt)]
    pub amount: i64,
    #[diesel(sql_type = SqlTimestamp)]
    pub at: PrimitiveDateTime,
    #[diesel(sql_type = Nullable<Text>)]
    pub cancel_id: Option<String>,
}

impl TryFrom<MovementRow> for Movement {
    type Error = RepositoryError;

    fn try_from(r: MovementRow) -> Result<Self, RepositoryError> {
        let c = Cells {
            table: "payment",
            key: &r.payment_id,
        };
        Ok(Self {
            payment_id: c.col("payment_id", PaymentId::parse(&r.payment_id))?,
            payment_key: c.col("payment_key", PaymentKey::parse(&r.payment_key))?,
            order_no: c.col("order_no", OrderNo::parse(&r.order_no))?,
            kind: match r.cancel_id {
                None => MovementKind::Capture,
                Some(id) => MovementKind::Cancel(c.col("cancel_id", CancelId::parse(&id))?),
            },
            amount: c.col("amount", Amount::parse(r.amount))?,
            at: from_db_time(r.at),
        })
    }
}

/// A settlement key that `simplepg check` reports, with its payment's key.
#[derive(Debug, QueryableByName)]
pub struct FindingRow {
    #[diesel(sql_type = Text)]
    pub payment_key: String,
    #[diesel(sql_type = Text)]
    pub settles: String,
}
