//! Settlement (api.md §12): what SimplePG owes each merchant for a calendar day — every capture
//! and every succeeded cancel of a captured payment, each priced with the merchant's fee — as
//! immutable daily batches per merchant and currency.
//!
//! Money is exact here: integer minor units, fees rounded half up per line by integer
//! arithmetic, a batch's totals the sums of its lines. Storage streams a day's movements through
//! [`BatchPlan::line`] and [`BatchTotals::add`], so the rule is written once, here, and no day
//! is ever loaded into memory as a whole. Running settlements is `services::settlement`.

mod batch;
mod calendar;
mod terms;
#[cfg(test)]
mod tests;

pub use batch::{
    BatchCreated, BatchPlan, BatchTotals, LineType, Movement, MovementKind, SettlementBatch,
    SettlementFilter, SettlementId, SettlementLine,
};
pub use calendar::{Calendar, DayBounds, FixedOffsetCalendar, SettlementDate};
pub use terms::{FeeRate, SettlementDelay, SettlementTerms};
