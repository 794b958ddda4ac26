//! The `simplepg` command line.

pub mod call;
pub mod cancel;
pub mod listen;
pub mod reconcile;
pub mod settle;
pub mod sign;
pub mod user;
pub mod verify;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "simplepg",
    version,
    about = "SimplePG: a lightweight payment gateway"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server and background workers (the default).
    Serve,
    /// Create the database if needed, apply pending migrations, and exit.
    Migrate,
    /// Print the canonical string and the signing headers for a merchant request.
    Sign(sign::SignArgs),
    /// Verify the payment invariants over the whole database (exit code 1 on any violation).
    Check,
    /// Send a signed merchant request and print the answer (curl-like).
    Call(call::CallArgs),
    /// Check a received webhook delivery's signature and timestamp (exit code 1 if invalid).
    VerifyWebhook(verify::VerifyArgs),
    /// Receive webhooks locally (a `returnUrl` for trying SimplePG out): print each one and,
    /// with --secret, verify its signature.
    Listen(listen::ListenArgs),
    /// Operator commands.
    #[command(subcommand)]
    Merchant(MerchantCommand),
    /// Cancel all or part of a payment on the merchant's behalf (admin API); exit code 0 when
    /// the cancel is done (200) or pending at the acquirer (202).
    Cancel(cancel::CancelArgs),
    /// Manage back-office accounts directly in the database (bootstrap the first ADMIN).
    #[command(subcommand)]
    User(user::UserCommand),
    /// Settle one day (api.md §12.2): create its missing batches; a settled day creates
    /// nothing. For an operator's cron job; the server also runs it daily.
    Settle(settle::SettleArgs),
    /// Reconcile one day against the acquirer's settlement file (api.md §12.3); exit code 1
    /// when it has discrepancies. For an operator's cron job.
    Reconcile(reconcile::ReconcileArgs),
    /// Re-seal every merchant secret under the current encryption key (after a key rotation).
    ReencryptSecrets(ReencryptArgs),
}

#[derive(Debug, clap::Args)]
pub struct ReencryptArgs {
    /// Only list the merchants still holding a secret under another key version; exit code 1
    /// if there is any.
    #[arg(long)]
    pub check: bool,
}

#[derive(Debug, Subcommand)]
pub enum MerchantCommand {
    /// Register a merchant through the admin API and print its secrets (shown once).
    Create(call::MerchantCreateArgs),
}
