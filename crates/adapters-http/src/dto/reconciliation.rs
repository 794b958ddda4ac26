//! The bodies of the reconciliation endpoints (api.md §12.3).

use domain::reconciliation::{Discrepancy, OwnLine, Reconciliation};
use serde::Serialize;
use utoipa::ToSchema;

/// A line both sides have, with different amounts.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = AmountMismatch)]
pub struct AmountMismatchResponse {
    #[schema(pattern = "^[0-9a-f]{64}$")]
    payment_key: String,
    client_id: String,
    /// The acquirer's transaction id SimplePG holds for the movement.
    #[schema(required = true)]
    transaction_id: Option<String>,
    /// `CAPTURE` or `CANCEL`.
    #[serde(rename = "type")]
    #[schema(example = "CAPTURE")]
    line_type: &'static str,
    /// SimplePG's amount (signed minor units: a cancel negative).
    simplepg_amount: i64,
    /// The acquirer's amount.
    acquirer_amount: i64,
    /// When SimplePG recorded the movement.
    #[schema(format = DateTime)]
    at: String,
}

/// A line one side has and the other does not.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = MissingLine)]
pub struct MissingLineResponse {
    #[schema(pattern = "^[0-9a-f]{64}$")]
    payment_key: String,
    /// The merchant (`null` for a line only the acquirer has).
    #[schema(required = true)]
    client_id: Option<String>,
    /// The acquirer's transaction id (`null` for a cancel the acquirer never confirmed with
    /// one).
    #[schema(required = true)]
    transaction_id: Option<String>,
    /// `CAPTURE` or `CANCEL`.
    #[serde(rename = "type")]
    #[schema(example = "CAPTURE")]
    line_type: &'static str,
    /// Signed minor units: a cancel negative.
    amount: i64,
    #[schema(format = DateTime)]
    at: String,
}

impl From<&OwnLine> for MissingLineResponse {
    fn from(o: &OwnLine) -> Self {
        Self {
            payment_key: o.payment_key.to_string(),
            client_id: Some(o.client_id.to_string()),
            transaction_id: o.transaction_id.as_ref().map(ToString::to_string),
            line_type: o.line_type.as_str(),
            amount: o.amount,
            at: o.at.to_rfc3339(),
        }
    }
}

/// A reconciliation of one settlement date against the acquirer's settlement file.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Reconciliation)]
pub struct ReconciliationResponse {
    #[schema(pattern = "^rcn_[0-9a-f]{32}$")]
    reconciliation_id: String,
    #[schema(format = Date)]
    date: String,
    /// `MATCHED` (no discrepancy) or `DISCREPANCIES`.
    #[schema(example = "DISCREPANCIES")]
    status: &'static str,
    /// Lines found on both sides with the same amount.
    matched: u64,
    amount_mismatches: Vec<AmountMismatchResponse>,
    /// SimplePG's captures and cancels the acquirer's file does not have.
    missing_at_acquirer: Vec<MissingLineResponse>,
    /// Lines of the acquirer's file SimplePG does not have on that day.
    #[serde(rename = "missingAtSimplePG")]
    #[schema(rename = "missingAtSimplePG")]
    missing_at_simplepg: Vec<MissingLineResponse>,
    #[schema(format = DateTime)]
    created_at: String,
    /// Who ran it: a user's email, `token` or `cli`.
    created_by: String,
}

impl From<&Reconciliation> for ReconciliationResponse {
    fn from(r: &Reconciliation) -> Self {
        let mut amount_mismatches = Vec::new();
        let mut missing_at_acquirer = Vec::new();
        let mut missing_at_simplepg = Vec::new();
        for d in &r.discrepancies {
            match d {
                Discrepancy::AmountMismatch {
                    ours,
                    acquirer_amount,
                } => amount_mismatches.push(AmountMismatchResponse {
                    payment_key: ours.payment_key.to_string(),
                    client_id: ours.client_id.to_string(),
                    transaction_id: ours.transaction_id.as_ref().map(ToString::to_string),
                    line_type: ours.line_type.as_str(),
                    simplepg_amount: ours.amount,
                    acquirer_amount: *acquirer_amount,
                    at: ours.at.to_rfc3339(),
                }),
                Discrepancy::MissingAtAcquirer(ours) => {
                    missing_at_acquirer.push(MissingLineResponse::from(ours));
                }
                Discrepancy::MissingAtSimplePg(theirs) => {
                    missing_at_simplepg.push(MissingLineResponse {
                        payment_key: theirs.payment_key.to_string(),
                        client_id: None,
                        transaction_id: Some(theirs.transaction_id.to_string()),
                        line_type: theirs.line_type.as_str(),
                        amount: theirs.amount,
                        at: theirs.at.to_rfc3339(),
                    });
                }
            }
        }
        Self {
            reconciliation_id: r.id.to_string(),
            date: r.date.to_string(),
            status: r.status().as_str(),
            matched: r.matched,
            amount_mismatches,
            missing_at_acquirer,
            missing_at_simplepg,
            created_at: r.created_at.to_rfc3339(),
            created_by: r.created_by.clone(),
        }
    }
}
