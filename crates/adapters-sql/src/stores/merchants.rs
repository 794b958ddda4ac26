//! `MerchantStore` (`api_credential`).

use async_trait::async_trait;
use domain::{
    RepositoryError,
    ids::ClientId,
    merchant::Merchant,
    ports::{MerchantStore, PageRequest},
};

use super::{Merchants, SqlStore, db_error};
use crate::{records::MerchantRow, statements::Statements};

#[async_trait]
impl<B: Statements> MerchantStore for SqlStore<B, Merchants> {
    /// A clash on `client_id` is a repository error (issued ids are UUIDv7-based, so it is a
    /// bug).
    async fn insert(&self, merchant: &Merchant) -> Result<(), RepositoryError> {
        let row = MerchantRow::from(merchant);
        let mut conn = self.conn().await?;
        crate::retrying!(B::insert_merchant(&mut conn, &row).await).map_err(db_error::<B>)
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

    /// Writes the previous webhook secret too (set or cleared). Counts *matched* rows (MySQL
    /// through `CLIENT_FOUND_ROWS`; SQLite always), so an update that changes nothing is still
    /// `true`; `false` only when no merchant has this id. `client_id` and `created_at` never
    /// change.
    async fn update(&self, merchant: &Merchant) -> Result<bool, RepositoryError> {
        let row = MerchantRow::from(merchant);
        let mut conn = self.conn().await?;
        let matched =
            crate::retrying!(B::update_merchant(&mut conn, &row).await).map_err(db_error::<B>)?;
        Ok(matched > 0)
    }

    /// Compare-and-set on the stored ciphertexts (fresh nonce per seal, so equal bytes mean
    /// unchanged); writes only the sealed secrets and their key versions.
    async fn replace_secrets(
        &self,
        expected: &Merchant,
        resealed: &Merchant,
    ) -> Result<bool, RepositoryError> {
        let old = MerchantRow::from(expected);
        let new = MerchantRow::from(resealed);
        let mut conn = self.conn().await?;
        let matched = crate::retrying!(B::replace_secrets(&mut conn, old.clone(), &new).await)
            .map_err(db_error::<B>)?;
        Ok(matched > 0)
    }
}
