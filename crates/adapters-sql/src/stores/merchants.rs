//! `MerchantStore` (`api_credential`, with its rows of `operator_audit`).

use async_trait::async_trait;
use domain::{
    RepositoryError,
    ids::ClientId,
    merchant::Merchant,
    people::OperatorAuditEntry,
    ports::{MerchantStore, PageRequest},
};

use super::{Merchants, SqlStore, audit_rows, db_error};
use crate::{records::MerchantRow, statements::Statements};

/// The version a change from `next` expects to find stored (`next.version - 1`).
fn expected_version(next: &Merchant) -> Result<i64, RepositoryError> {
    next.version
        .checked_sub(1)
        .and_then(|v| i64::try_from(v).ok())
        .ok_or_else(|| {
            RepositoryError::msg(format!(
                "inconsistent update of merchant {}: version {} cannot follow another",
                next.client_id, next.version
            ))
        })
}

#[async_trait]
impl<B: Statements> MerchantStore for SqlStore<B, Merchants> {
    /// One transaction: the merchant row, then its audit rows. A clash on `client_id` is a
    /// repository error (issued ids are UUIDv7-based, so it is a bug).
    async fn insert(
        &self,
        merchant: &Merchant,
        audit: &[OperatorAuditEntry],
    ) -> Result<(), RepositoryError> {
        let row = MerchantRow::from(merchant);
        let insert = async move |conn: &mut B::Conn| B::insert_merchant(conn, &row).await;
        self.insert_audited(&audit_rows(audit), insert, db_error::<B>)
            .await
    }

    async fn find(&self, client_id: &ClientId) -> Result<Option<Merchant>, RepositoryError> {
        let row = self
            .run(async |conn| B::find_merchant(conn, client_id.as_str()).await)
            .await?;
        row.map(Merchant::try_from).transpose()
    }

    /// Newest first: issued client ids embed a UUIDv7, so `client_id DESC` is creation order
    /// (byte order: MySQL's column is `ascii_bin`, SQLite's `BINARY`). Strictly before
    /// `page.before`, `limit + 1` rows.
    async fn list(&self, page: &PageRequest<ClientId>) -> Result<Vec<Merchant>, RepositoryError> {
        let rows = self
            .run(async |conn| B::list_merchants(conn, page).await)
            .await?;
        rows.into_iter().map(Merchant::try_from).collect()
    }

    /// One transaction: `UPDATE api_credential SET <every mutable column> WHERE client_id = ?
    /// AND version = next.version - 1`, then the audit rows only if it matched (both backends
    /// count *matched* rows: MySQL through `CLIENT_FOUND_ROWS`). 0 matched: someone else changed
    /// the merchant first (or there is none), `false`, nothing written. Concurrent updates from
    /// one version queue on the row (MySQL's row lock, SQLite's write lock) and each re-reads
    /// the committed version, so exactly one matches. A conflict the database reports runs the
    /// transaction again: the version guard decides it afresh. `client_id` and `created_at`
    /// never change.
    async fn update(
        &self,
        next: &Merchant,
        audit: &[OperatorAuditEntry],
    ) -> Result<bool, RepositoryError> {
        let expected = expected_version(next)?;
        let row = MerchantRow::from(next);
        let update = async move |conn: &mut B::Conn| {
            Ok(B::update_merchant(conn, &row, expected).await? == 1)
        };
        self.write_audited(&audit_rows(audit), update, db_error::<B>)
            .await
    }

    /// Compare-and-set on the stored version and ciphertexts (fresh nonce per seal, so equal
    /// bytes mean unchanged); writes only the sealed secrets, their key versions and the new
    /// version, then the audit rows, in one transaction.
    async fn replace_secrets(
        &self,
        expected: &Merchant,
        resealed: &Merchant,
        audit: &[OperatorAuditEntry],
    ) -> Result<bool, RepositoryError> {
        let old = MerchantRow::from(expected);
        let new = MerchantRow::from(resealed);
        let replace = async move |conn: &mut B::Conn| {
            Ok(B::replace_secrets(conn, old.clone(), &new).await? == 1)
        };
        self.write_audited(&audit_rows(audit), replace, db_error::<B>)
            .await
    }
}
