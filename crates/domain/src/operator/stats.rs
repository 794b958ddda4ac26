//! Payment statistics for operators: the figures ([`crate::stats`], which storage answers too)
//! and the service that reads and summarises them.

mod service;

pub use service::{StatsError, StatsService};

pub use crate::stats::*;
