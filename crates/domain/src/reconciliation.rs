//! Reconciliation (api.md §12.3): SimplePG's own captures and cancels of a settlement day,
//! compared line by line with the acquirer's settlement file of that day. Every line is matched,
//! or reported as an amount mismatch, as missing at the acquirer, or as missing at SimplePG.
//!
//! Lines match by what identifies a movement on both sides: a capture by its payment key (one
//! capture per payment), a cancel by the acquirer's transaction id of the cancel (which SimplePG
//! stored when the acquirer confirmed it). Amounts are signed minor units, as in settlement: a
//! capture positive, a cancel negative. Running reconciliations is
//! `services::reconciliation`.

mod matcher;
#[cfg(test)]
mod tests;

pub use matcher::{MatchOutcome, Matcher};

use crate::{
    Timestamp,
    ids::{ClientId, PaymentKey, TransactionId},
    named_enum::named_enum,
    settlement::{LineType, SettlementDate},
    validation::{Invalid, checked_string, url_safe_token},
};

checked_string!(
    /// A reconciliation's id: `rcn_` and 32 hex digits.
    ReconciliationId,
    |raw| match raw.strip_prefix("rcn_") {
        Some(rest) if rest.len() == 32 && rest.bytes().all(|b| b.is_ascii_hexdigit()) => {
            url_safe_token(rest, 32, 32)
        }
        _ => Err(Invalid::new("must be rcn_ and 32 hex digits")),
    }
);

impl ReconciliationId {
    /// `rcn_` and the 32 hex digits of `uuid` (a UUIDv7 from the key generator).
    pub fn from_uuid(uuid: uuid::Uuid) -> Self {
        Self(format!("rcn_{}", uuid.simple()))
    }
}

/// One line of the acquirer's settlement file: `transactionId,paymentKey,type,amount,at`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct AcquirerLine {
    pub transaction_id: TransactionId,
    pub payment_key: PaymentKey,
    pub line_type: LineType,
    /// Signed minor units: positive for a capture, negative for a cancel.
    pub amount: i64,
    pub at: Timestamp,
}

impl AcquirerLine {
    /// A line whose sign agrees with its type (a capture positive, a cancel negative, neither
    /// zero): a file line with any other sign is malformed.
    pub fn new(
        transaction_id: TransactionId,
        payment_key: PaymentKey,
        line_type: LineType,
        amount: i64,
        at: Timestamp,
    ) -> Result<Self, Invalid> {
        let signed_right = match line_type {
            LineType::Capture => amount > 0,
            LineType::Cancel => amount < 0,
        };
        if !signed_right {
            return Err(Invalid::new(
                "amount must be positive for a CAPTURE and negative for a CANCEL",
            ));
        }
        Ok(Self {
            transaction_id,
            payment_key,
            line_type,
            amount,
            at,
        })
    }

    fn key(&self) -> MatchKey {
        match self.line_type {
            LineType::Capture => MatchKey::Capture(self.payment_key.clone()),
            LineType::Cancel => MatchKey::Cancel(self.transaction_id.clone()),
        }
    }
}

/// One of SimplePG's own movements of the day: a completed payment's capture, or a succeeded
/// cancel of a completed payment (the movements settlement settles).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct OwnLine {
    pub payment_key: PaymentKey,
    pub client_id: ClientId,
    /// The acquirer's transaction id: the payment's for a capture, the cancel's for a cancel
    /// (`None` when the acquirer never gave one).
    pub transaction_id: Option<TransactionId>,
    pub line_type: LineType,
    /// Signed minor units: positive for a capture, negative for a cancel.
    pub amount: i64,
    pub at: Timestamp,
}

impl OwnLine {
    /// What the acquirer's line of this movement is found by; `None` for a cancel without the
    /// acquirer's transaction id, which no file line can match.
    fn key(&self) -> Option<MatchKey> {
        match self.line_type {
            LineType::Capture => Some(MatchKey::Capture(self.payment_key.clone())),
            LineType::Cancel => self.transaction_id.clone().map(MatchKey::Cancel),
        }
    }
}

#[derive(Clone, PartialEq, Eq, Hash, Debug)]
enum MatchKey {
    Capture(PaymentKey),
    Cancel(TransactionId),
}

named_enum! {
    /// The kinds of discrepancy (also the label of the discrepancy metric).
    pub enum DiscrepancyKind {
        AmountMismatch = "AMOUNT_MISMATCH",
        MissingAtAcquirer = "MISSING_AT_ACQUIRER",
        MissingAtSimplePg = "MISSING_AT_SIMPLEPG",
    }
    parse -> Option;
}

/// A line of one side that the other side does not agree with.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Discrepancy {
    /// Both sides have the movement, with different amounts.
    AmountMismatch { ours: OwnLine, acquirer_amount: i64 },
    /// SimplePG captured or canceled; the acquirer's file does not have it.
    MissingAtAcquirer(OwnLine),
    /// The acquirer's file has a movement SimplePG does not have on that day.
    MissingAtSimplePg(AcquirerLine),
}

impl Discrepancy {
    pub fn kind(&self) -> DiscrepancyKind {
        match self {
            Self::AmountMismatch { .. } => DiscrepancyKind::AmountMismatch,
            Self::MissingAtAcquirer(_) => DiscrepancyKind::MissingAtAcquirer,
            Self::MissingAtSimplePg(_) => DiscrepancyKind::MissingAtSimplePg,
        }
    }

    /// The payment the discrepancy is about.
    pub fn payment_key(&self) -> &PaymentKey {
        match self {
            Self::AmountMismatch { ours, .. } | Self::MissingAtAcquirer(ours) => &ours.payment_key,
            Self::MissingAtSimplePg(theirs) => &theirs.payment_key,
        }
    }
}

named_enum! {
    /// Whether the two sides agreed on every line.
    pub enum ReconciliationStatus {
        Matched = "MATCHED",
        Discrepancies = "DISCREPANCIES",
    }
    parse -> Option;
}

/// A stored reconciliation of one settlement date: what matched and every discrepancy.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Reconciliation {
    pub id: ReconciliationId,
    pub date: SettlementDate,
    /// Lines found on both sides with the same amount.
    pub matched: u64,
    /// In this order: amount mismatches, missing at the acquirer, missing at SimplePG; each in
    /// time order.
    pub discrepancies: Vec<Discrepancy>,
    pub created_at: Timestamp,
    /// Who ran it (the audit log's actor label).
    pub created_by: String,
}

impl Reconciliation {
    pub fn status(&self) -> ReconciliationStatus {
        if self.discrepancies.is_empty() {
            ReconciliationStatus::Matched
        } else {
            ReconciliationStatus::Discrepancies
        }
    }
}

/// Filters of a reconciliation listing (dates inclusive).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct ReconciliationFilter {
    pub from: Option<SettlementDate>,
    pub to: Option<SettlementDate>,
}

/// The counts of a stored reconciliation (what the discrepancy gauge shows).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ReconciliationSummary {
    pub id: ReconciliationId,
    pub date: SettlementDate,
    pub matched: u64,
    pub amount_mismatches: u64,
    pub missing_at_acquirer: u64,
    pub missing_at_simplepg: u64,
}

impl From<&Reconciliation> for ReconciliationSummary {
    fn from(r: &Reconciliation) -> Self {
        let count = |kind| r.discrepancies.iter().filter(|d| d.kind() == kind).count() as u64;
        Self {
            id: r.id.clone(),
            date: r.date,
            matched: r.matched,
            amount_mismatches: count(DiscrepancyKind::AmountMismatch),
            missing_at_acquirer: count(DiscrepancyKind::MissingAtAcquirer),
            missing_at_simplepg: count(DiscrepancyKind::MissingAtSimplePg),
        }
    }
}

impl ReconciliationSummary {
    /// The count of `kind`.
    pub fn count(&self, kind: DiscrepancyKind) -> u64 {
        match kind {
            DiscrepancyKind::AmountMismatch => self.amount_mismatches,
            DiscrepancyKind::MissingAtAcquirer => self.missing_at_acquirer,
            DiscrepancyKind::MissingAtSimplePg => self.missing_at_simplepg,
        }
    }
}
