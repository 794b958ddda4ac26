//! Settlement batches and their lines (api.md §12.2).

use crate::{
    Timestamp,
    ids::{ClientId, PaymentId, PaymentKey},
    money::{Amount, Currency},
    named_enum::named_enum,
    payment::{CancelId, OrderNo},
    validation::{Invalid, checked_string, url_safe_token},
};

use super::{DayBounds, FeeRate, SettlementDate};

checked_string!(
    /// A settlement batch's id: `stl_` and 32 hex digits.
    SettlementId,
    |raw| match raw.strip_prefix("stl_") {
        Some(rest) if rest.len() == 32 && rest.bytes().all(|b| b.is_ascii_hexdigit()) => {
            url_safe_token(rest, 32, 32)
        }
        _ => Err(Invalid::new("must be stl_ and 32 hex digits")),
    }
);

impl SettlementId {
    /// `stl_` and the 32 hex digits of `uuid` (a UUIDv7 from the key generator).
    pub fn from_uuid(uuid: uuid::Uuid) -> Self {
        Self(format!("stl_{}", uuid.simple()))
    }
}

named_enum! {
    /// What a settlement line settles.
    pub enum LineType {
        /// A payment completed (captured): money the merchant is owed, less the fee.
        Capture = "CAPTURE",
        /// A succeeded cancel of a captured payment: money taken back, with its share of the
        /// fee refunded.
        Cancel = "CANCEL",
    }
    parse -> Option;
}

/// Which movement of money a line settles.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum MovementKind {
    Capture,
    Cancel(CancelId),
}

/// One movement of a merchant's money on a day, as storage finds it: a completed payment's
/// capture, or a succeeded cancel of a completed payment.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Movement {
    pub payment_id: PaymentId,
    pub payment_key: PaymentKey,
    pub order_no: OrderNo,
    pub kind: MovementKind,
    /// The captured amount, or the canceled one (positive either way).
    pub amount: Amount,
    /// When the payment completed, or when the cancel succeeded.
    pub at: Timestamp,
}

impl Movement {
    /// The key under which storage records that this movement is settled (exactly once): the
    /// payment id for a capture, the cancel id for a cancel.
    pub fn settlement_key(&self) -> String {
        match &self.kind {
            MovementKind::Capture => self.payment_id.to_string(),
            MovementKind::Cancel(id) => id.to_string(),
        }
    }
}

/// One line of a batch. `amount`, `fee` and `net` are signed minor units: positive for a
/// capture, negative for a cancel; `net = amount − fee` always.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct SettlementLine {
    pub payment_id: PaymentId,
    pub payment_key: PaymentKey,
    pub order_no: OrderNo,
    pub line_type: LineType,
    pub cancel_id: Option<CancelId>,
    pub amount: i64,
    pub fee: i64,
    pub net: i64,
    pub at: Timestamp,
}

impl SettlementLine {
    /// The line of `movement` at `rate`: a capture is charged the fee of its amount; a cancel
    /// refunds the fee of the amount it cancels, computed the same way (so a payment captured
    /// and then canceled in full nets to exactly zero).
    pub fn price(movement: &Movement, rate: FeeRate) -> Self {
        let fee = rate.fee_of(movement.amount);
        let amount = movement.amount.minor_units();
        let (line_type, cancel_id, sign) = match &movement.kind {
            MovementKind::Capture => (LineType::Capture, None, 1),
            MovementKind::Cancel(id) => (LineType::Cancel, Some(id.clone()), -1),
        };
        Self {
            payment_id: movement.payment_id,
            payment_key: movement.payment_key.clone(),
            order_no: movement.order_no.clone(),
            line_type,
            cancel_id,
            amount: sign * amount,
            fee: sign * fee,
            net: sign * (amount - fee),
            at: movement.at,
        }
    }
}

/// The sums of a batch's lines.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct BatchTotals {
    pub gross: i64,
    pub fees: i64,
    pub net: i64,
    pub line_count: u64,
}

impl BatchTotals {
    pub fn add(&mut self, line: &SettlementLine) {
        self.gross += line.amount;
        self.fees += line.fee;
        self.net += line.net;
        self.line_count += 1;
    }

    /// The totals of `lines`.
    pub fn of<'a>(lines: impl IntoIterator<Item = &'a SettlementLine>) -> Self {
        let mut totals = Self::default();
        for line in lines {
            totals.add(line);
        }
        totals
    }
}

/// A settlement batch: one merchant's movements in one currency on one settlement date.
/// Immutable once created.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct SettlementBatch {
    pub id: SettlementId,
    pub client_id: ClientId,
    pub currency: Currency,
    pub date: SettlementDate,
    pub payout_date: SettlementDate,
    /// The merchant's fee rate when the batch was made (every line is priced with it).
    pub fee_rate: FeeRate,
    pub totals: BatchTotals,
    pub created_at: Timestamp,
}

/// The batch a run is about to create, with the rule that prices its lines: storage streams
/// the movements of `day` of `client_id` in `currency` through [`Self::line`] and sums the lines
/// with [`BatchTotals`], in one transaction.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct BatchPlan {
    pub id: SettlementId,
    pub client_id: ClientId,
    pub currency: Currency,
    pub date: SettlementDate,
    pub day: DayBounds,
    pub payout_date: SettlementDate,
    pub fee_rate: FeeRate,
    pub created_at: Timestamp,
}

impl BatchPlan {
    pub fn line(&self, movement: &Movement) -> SettlementLine {
        SettlementLine::price(movement, self.fee_rate)
    }

    /// The batch of this plan with `totals`.
    pub fn batch(&self, totals: BatchTotals) -> SettlementBatch {
        SettlementBatch {
            id: self.id.clone(),
            client_id: self.client_id.clone(),
            currency: self.currency,
            date: self.date,
            payout_date: self.payout_date,
            fee_rate: self.fee_rate,
            totals,
            created_at: self.created_at,
        }
    }
}

/// What creating a planned batch came to.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum BatchCreated {
    /// Created, with these totals.
    Created(SettlementBatch),
    /// The merchant already has a batch in this currency for the date (another run made it);
    /// nothing was written.
    AlreadyExists,
    /// No movement was left to settle (another run settled them); nothing was written.
    Empty,
}

/// Filters of a settlement listing (all optional, combined with AND).
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct SettlementFilter {
    pub client_id: Option<ClientId>,
    pub from: Option<SettlementDate>,
    /// Inclusive.
    pub to: Option<SettlementDate>,
}
