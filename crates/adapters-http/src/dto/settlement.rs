//! The bodies of the settlement endpoints (api.md §12.2).

use domain::{
    services::settlement::SettlementRun,
    settlement::{SettlementBatch, SettlementLine},
};
use serde::Serialize;
use utoipa::ToSchema;

/// One line of a batch: a capture (positive) or a cancel (negative), `net = amount − fee`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = SettlementLine)]
pub struct SettlementLineResponse {
    #[schema(pattern = "^[0-9a-f]{64}$")]
    payment_key: String,
    order_no: String,
    /// `CAPTURE` or `CANCEL`.
    #[serde(rename = "type")]
    #[schema(example = "CAPTURE")]
    line_type: &'static str,
    /// The cancel a `CANCEL` line settles.
    #[schema(required = true)]
    cancel_id: Option<String>,
    amount: i64,
    fee: i64,
    net: i64,
    /// When the payment completed, or the cancel succeeded.
    #[schema(format = DateTime)]
    at: String,
}

impl From<&SettlementLine> for SettlementLineResponse {
    fn from(l: &SettlementLine) -> Self {
        Self {
            payment_key: l.payment_key.to_string(),
            order_no: l.order_no.as_str().to_owned(),
            line_type: l.line_type.as_str(),
            cancel_id: l.cancel_id.as_ref().map(ToString::to_string),
            amount: l.amount,
            fee: l.fee,
            net: l.net,
            at: l.at.to_rfc3339(),
        }
    }
}

/// A settlement batch: one merchant's movements in one currency on one settlement date.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Settlement)]
pub struct SettlementResponse {
    #[schema(pattern = "^stl_[0-9a-f]{32}$")]
    settlement_id: String,
    client_id: String,
    #[schema(example = "KRW")]
    currency: String,
    /// The settlement date (a calendar day in the settlement time zone).
    #[schema(format = Date)]
    date: String,
    #[schema(format = Date)]
    payout_date: String,
    fee_rate_bps: u16,
    /// Sum of the lines' amounts.
    gross: i64,
    /// Sum of the lines' fees.
    fees: i64,
    /// Sum of the lines' nets: `gross − fees`, what the merchant is paid.
    net: i64,
    line_count: u64,
    #[schema(format = DateTime)]
    created_at: String,
    /// The lines in time order (`GET …/{settlementId}` only; at most 1000 — the CSV has all).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    lines: Option<Vec<SettlementLineResponse>>,
}

impl SettlementResponse {
    pub fn with_lines(batch: &SettlementBatch, lines: &[SettlementLine]) -> Self {
        Self {
            lines: Some(lines.iter().map(SettlementLineResponse::from).collect()),
            ..Self::from(batch)
        }
    }
}

impl From<&SettlementBatch> for SettlementResponse {
    fn from(b: &SettlementBatch) -> Self {
        Self {
            settlement_id: b.id.to_string(),
            client_id: b.client_id.to_string(),
            currency: b.currency.to_string(),
            date: b.date.to_string(),
            payout_date: b.payout_date.to_string(),
            fee_rate_bps: b.fee_rate.bps(),
            gross: b.totals.gross,
            fees: b.totals.fees,
            net: b.totals.net,
            line_count: b.totals.line_count,
            created_at: b.created_at.to_rfc3339(),
            lines: None,
        }
    }
}

/// What a settlement run came to.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = SettlementRun)]
pub struct SettlementRunResponse {
    #[schema(format = Date)]
    date: String,
    /// Batches this run created (0 when the date was settled before).
    created: u64,
    /// Every batch of the date.
    data: Vec<SettlementResponse>,
}

impl From<&SettlementRun> for SettlementRunResponse {
    fn from(r: &SettlementRun) -> Self {
        Self {
            date: r.date.to_string(),
            created: r.created,
            data: r.batches.iter().map(SettlementResponse::from).collect(),
        }
    }
}
