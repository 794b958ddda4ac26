//! SimplePG's composition root: configuration, telemetry, wiring and the `simplepg` CLI.
#![forbid(unsafe_code)]

pub mod calendar;
pub mod check;
pub mod cli;
pub mod clock;
pub mod counted;
pub mod key_check;
pub mod people;
pub mod reencrypt;
pub mod settings;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod telemetry_metrics;
pub mod workers;

pub use settings::Settings;
pub use startup::Application;
