//! Operations: what operators and the back office use around the money core — the live feed,
//! statistics, deliveries and their redelivery, the acquirer simulator, encryption-key rotation
//! and the invariant check over the whole database. These read through
//! [`crate::ports::OperatorReads`] where they can; none of them decides how money moves (that is
//! [`crate::services`] and the [`crate::payment`] aggregate).

pub mod deliveries;
pub mod feed;
pub mod invariants;
pub mod key_rotation;
pub mod live;
pub mod simulator;
pub mod stats;
