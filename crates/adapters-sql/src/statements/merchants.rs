//! The statements of `MerchantStore` (`api_credential`).

use domain::{ids::ClientId, ports::PageRequest};

use crate::{
    backend::{QueryFuture, SqlBackend},
    records::MerchantRow,
};

/// One method per statement on `api_credential`.
pub trait MerchantStatements: SqlBackend {
    fn insert_merchant(conn: &mut Self::Conn, row: &MerchantRow) -> impl QueryFuture<()>;

    fn find_merchant(
        conn: &mut Self::Conn,
        client_id: &str,
    ) -> impl QueryFuture<Option<MerchantRow>>;

    /// Newest first (`client_id DESC`), strictly before `page.before`, `limit + 1` rows.
    fn list_merchants(
        conn: &mut Self::Conn,
        page: &PageRequest<ClientId>,
    ) -> impl QueryFuture<Vec<MerchantRow>>;

    /// Every mutable column of `row`'s merchant, where its stored version is `expected`; the
    /// number of matched rows.
    fn update_merchant(
        conn: &mut Self::Conn,
        row: &MerchantRow,
        expected: i64,
    ) -> impl QueryFuture<usize>;

    /// The sealed secrets and the version of `new`, where the stored version and secrets are
    /// still those of `old`; the number of matched rows.
    fn replace_secrets(
        conn: &mut Self::Conn,
        old: MerchantRow,
        new: &MerchantRow,
    ) -> impl QueryFuture<usize>;
}

/// Expanded by [`sql_statements!`](crate::sql_statements).
#[doc(hidden)]
#[macro_export]
macro_rules! __merchant_statements {
    ($backend:ty) => {
        impl MerchantStatements for $backend {
            async fn insert_merchant(conn: &mut Conn, row: &MerchantRow) -> QueryResult<()> {
                insert(conn, api_credential::table, row).await
            }

            async fn find_merchant(
                conn: &mut Conn,
                client_id: &str,
            ) -> QueryResult<Option<MerchantRow>> {
                api_credential::table
                    .find(client_id)
                    .select(MerchantRow::as_select())
                    .first(conn)
                    .await
                    .optional()
            }

            async fn list_merchants(
                conn: &mut Conn,
                page: &domain::ports::PageRequest<domain::ids::ClientId>,
            ) -> QueryResult<Vec<MerchantRow>> {
                let mut query = api_credential::table
                    .select(MerchantRow::as_select())
                    .into_boxed();
                if let Some(before) = &page.before {
                    query = query.filter(api_credential::client_id.lt(before.as_str().to_owned()));
                }
                query
                    .order(api_credential::client_id.desc())
                    .limit(i64::from(page.limit) + 1)
                    .load(conn)
                    .await
            }

            async fn update_merchant(
                conn: &mut Conn,
                row: &MerchantRow,
                expected: i64,
            ) -> QueryResult<usize> {
                diesel::update(
                    api_credential::table
                        .filter(api_credential::client_id.eq(&row.client_id))
                        .filter(api_credential::version.eq(expected)),
                )
                .set((
                    row.sealed_secrets(),
                    api_credential::client_name.eq(&row.client_name),
                    api_credential::previous_webhook_secret_until
                        .eq(row.previous_webhook_secret_until),
                    api_credential::previous_client_secret_until
                        .eq(row.previous_client_secret_until),
                    api_credential::return_url.eq(&row.return_url),
                    api_credential::status.eq(&row.status),
                    api_credential::updated_at.eq(row.updated_at),
                    api_credential::version.eq(row.version),
                    api_credential::fee_rate_bps.eq(row.fee_rate_bps),
                    api_credential::settlement_delay_days.eq(row.settlement_delay_days),
                ))
                .execute(conn)
                .await
            }

            async fn replace_secrets(
                conn: &mut Conn,
                old: MerchantRow,
                new: &MerchantRow,
            ) -> QueryResult<usize> {
                use diesel::{
                    BoxableExpression, NullableExpressionMethods as _,
                    sql_types::{Bool, Nullable},
                };
                type SameSecret = Box<
                    dyn BoxableExpression<api_credential::table, Backend, SqlType = Nullable<Bool>>,
                >;
                let same_previous: SameSecret = match old.previous_webhook_secret {
                    Some(previous) => {
                        Box::new(api_credential::previous_webhook_secret.eq(previous))
                    }
                    None => Box::new(api_credential::previous_webhook_secret.is_null().nullable()),
                };
                let same_previous_client: SameSecret = match old.previous_client_secret {
                    Some(previous) => Box::new(api_credential::previous_client_secret.eq(previous)),
                    None => Box::new(api_credential::previous_client_secret.is_null().nullable()),
                };
                let target = api_credential::table
                    .filter(api_credential::client_id.eq(old.client_id))
                    .filter(api_credential::version.eq(old.version))
                    .filter(api_credential::client_secret.eq(old.client_secret))
                    .filter(api_credential::webhook_secret.eq(old.webhook_secret))
                    .filter(same_previous)
                    .filter(same_previous_client);
                diesel::update(target)
                    .set((
                        new.sealed_secrets(),
                        api_credential::version.eq(new.version),
                    ))
                    .execute(conn)
                    .await
            }
        }
    };
}
