//! `MerchantStore` (`api_credential`).

/// Expanded by [`sql_stores!`](crate::sql_stores).
#[doc(hidden)]
#[macro_export]
macro_rules! __sql_merchant_store {
    ($store:ident) => {
        #[async_trait]
        impl domain::ports::MerchantStore for $store {
            /// A clash on `client_id` is a repository error (issued ids are UUIDv7-based, so it
            /// is a bug).
            async fn insert(
                &self,
                merchant: &domain::merchant::Merchant,
            ) -> Result<(), RepositoryError> {
                use $crate::{records::MerchantRow, schema::api_credential};
                let row = MerchantRow::from(merchant);
                let mut conn = self.pool.get().await.map_err(pool_error)?;
                diesel::insert_into(api_credential::table)
                    .values(&row)
                    .execute(&mut conn)
                    .await
                    .map_err(db_error)?;
                Ok(())
            }

            async fn find(
                &self,
                client_id: &domain::ids::ClientId,
            ) -> Result<Option<domain::merchant::Merchant>, RepositoryError> {
                use $crate::{records::MerchantRow, schema::api_credential};
                let mut conn = self.pool.get().await.map_err(pool_error)?;
                let row = api_credential::table
                    .find(client_id.as_str())
                    .select(MerchantRow::as_select())
                    .first(&mut conn)
                    .await
                    .optional()
                    .map_err(db_error)?;
                row.map(domain::merchant::Merchant::try_from).transpose()
            }

            /// Newest first: issued client ids embed a UUIDv7, so `client_id DESC` is creation
            /// order (byte order: MySQL's column is `ascii_bin`, SQLite's `BINARY`). Strictly
            /// before `page.before`, `limit + 1` rows.
            async fn list(
                &self,
                page: &domain::ports::PageRequest<domain::ids::ClientId>,
            ) -> Result<Vec<domain::merchant::Merchant>, RepositoryError> {
                use $crate::{records::MerchantRow, schema::api_credential};
                let mut query = api_credential::table
                    .select(MerchantRow::as_select())
                    .into_boxed();
                if let Some(before) = &page.before {
                    query = query.filter(api_credential::client_id.lt(before.as_str().to_owned()));
                }
                let mut conn = self.pool.get().await.map_err(pool_error)?;
                let rows = query
                    .order(api_credential::client_id.desc())
                    .limit(i64::from(page.limit) + 1)
                    .load(&mut conn)
                    .await
                    .map_err(db_error)?;
                rows.into_iter()
                    .map(domain::merchant::Merchant::try_from)
                    .collect()
            }

            /// Writes the previous webhook secret too (set or cleared). Counts *matched* rows
            /// (MySQL through `CLIENT_FOUND_ROWS`; SQLite always), so an update that changes
            /// nothing is still `true`; `false` only when no merchant has this id. `client_id`
            /// and `created_at` never change.
            async fn update(
                &self,
                merchant: &domain::merchant::Merchant,
            ) -> Result<bool, RepositoryError> {
                use $crate::{records::MerchantRow, schema::api_credential};
                let row = MerchantRow::from(merchant);
                let mut conn = self.pool.get().await.map_err(pool_error)?;
                let matched = diesel::update(api_credential::table.find(&row.client_id))
                    .set((
                        row.sealed_secrets(),
                        api_credential::client_name.eq(&row.client_name),
                        api_credential::previous_webhook_secret_until
                            .eq(row.previous_webhook_secret_until),
                        api_credential::return_url.eq(&row.return_url),
                        api_credential::status.eq(&row.status),
                        api_credential::updated_at.eq(row.updated_at),
                    ))
                    .execute(&mut conn)
                    .await
                    .map_err(db_error)?;
                Ok(matched > 0)
            }

            /// Compare-and-set on the stored ciphertexts (fresh nonce per seal, so equal bytes
            /// mean unchanged); writes only the sealed secrets and their key versions.
            async fn replace_secrets(
                &self,
                expected: &domain::merchant::Merchant,
                resealed: &domain::merchant::Merchant,
            ) -> Result<bool, RepositoryError> {
                use diesel::{
                    BoxableExpression, NullableExpressionMethods as _,
                    sql_types::{Bool, Nullable},
                };
                use $crate::{records::MerchantRow, schema::api_credential};
                let old = MerchantRow::from(expected);
                let new = MerchantRow::from(resealed);
                type SameSecret = Box<
                    dyn BoxableExpression<api_credential::table, Backend, SqlType = Nullable<Bool>>,
                >;
                let same_previous: SameSecret = match old.previous_webhook_secret {
                    Some(previous) => {
                        Box::new(api_credential::previous_webhook_secret.eq(previous))
                    }
                    None => Box::new(api_credential::previous_webhook_secret.is_null().nullable()),
                };
                let target = api_credential::table
                    .filter(api_credential::client_id.eq(old.client_id))
                    .filter(api_credential::client_secret.eq(old.client_secret))
                    .filter(api_credential::webhook_secret.eq(old.webhook_secret))
                    .filter(same_previous);
                let mut conn = self.pool.get().await.map_err(pool_error)?;
                let matched = diesel::update(target)
                    .set(new.sealed_secrets())
                    .execute(&mut conn)
                    .await
                    .map_err(db_error)?;
                Ok(matched > 0)
            }
        }
    };
}
