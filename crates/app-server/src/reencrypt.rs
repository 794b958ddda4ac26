//! `simplepg reencrypt-secrets`: re-seals every merchant secret under the current encryption key
//! after an `ENCRYPTION_KEY` rotation (docs/ops/runbook.md), or with `--check` lists the
//! merchants that still hold a secret under another key version.

use std::sync::Arc;

use anyhow::Context;
use domain::{
    ids::ClientId,
    operator::key_rotation::{KeyRotationService, ReencryptionReport},
};
use secrecy::ExposeSecret;

use crate::{
    settings::Settings,
    startup::{open_stores, secret_cipher},
};

fn service(settings: &Settings) -> anyhow::Result<KeyRotationService> {
    crate::store::require_existing(settings.database.url.expose_secret())?;
    let stores = open_stores(settings).context("connecting to the database")?;
    Ok(KeyRotationService::new(
        stores.ports.merchants,
        Arc::new(secret_cipher(settings)?),
    ))
}

/// Re-seals what is not under the current key.
pub async fn run(settings: &Settings) -> anyhow::Result<ReencryptionReport> {
    Ok(service(settings)?.reencrypt_all().await?)
}

/// The merchants still holding a secret under another key version than the current one.
pub async fn stale(settings: &Settings) -> anyhow::Result<Vec<ClientId>> {
    Ok(service(settings)?.stale().await?)
}

pub fn render_report(report: &ReencryptionReport) -> String {
    format!(
        "{} merchants scanned, {} re-sealed under key version {}\n",
        report.scanned, report.resealed, report.key_version
    )
}

pub fn render_stale(stale: &[ClientId], key_version: u32) -> String {
    let mut out: String = stale
        .iter()
        .map(|id| format!("STALE {}\n", id.as_str()))
        .collect();
    out.push_str(&format!(
        "{} merchants hold a secret under a key version other than {key_version}\n",
        stale.len()
    ));
    out
}
