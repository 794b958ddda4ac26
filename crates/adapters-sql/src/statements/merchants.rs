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

    /// Every mutable column of `row`'s merchant; the number of matched rows.
    fn update_merchant(conn: &mut Self::Conn, row: &MerchantRow) -> impl QueryFuture<usize>;

    /// The sealed secrets of `new`, where the stored ones are still those of `old`; the number
    /// of matched rows.
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

            async fn update_merchant(conn: &mut Conn, row: &MerchantRow) -> QueryResult<usize> {
                diesel::update(api_credential::table.find(&row.client_id))
                    .set((
                        row.sealed_secrets(),
                        api_credential::client_name.eq(&row.client_name),
                        api_credential::previous_webhook_secret_until
                            .eq(row.previous_webhook_secret_until),
                        api_credential::return_url.eq(&row.return_url),
                        api_credential::status.eq(&row.status),
                        api_credential::updated_at.eq(row.updated_at),
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
                let target = api_credential::table
                    .filter(api_credential::client_id.eq(old.client_id))
                    .filter(api_credential::client_secret.eq(old.client_secret))
                    .filter(api_credential::webhook_secret.eq(old.webhook_secret))
                    .filter(same_previous);
                diesel::update(target)
                    .set(new.sealed_secrets())
                    .execute(conn)
                    .await
            }
        }
    };
}
