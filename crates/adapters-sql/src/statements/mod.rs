//! The statements of the stores: one trait per table family, one method per statement, each
//! method one SQL statement (the statistics: one per grouping) that returns diesel's
//! `QueryResult`. No sequencing, transactions or error mapping here: that is the generic code of
//! [`crate::stores`].
//!
//! Why these methods are implemented by a macro, [`sql_statements!`](crate::sql_statements),
//! expanded once in each adapter: diesel checks a query against one backend. A function generic
//! over the connection needs, per statement, a bound naming the statement's type
//! (`LoadQuery<'_, C, Row>` of a `SelectStatement<FromClause<…>, …, LimitOffsetClause<…>>`):
//! LIMIT, row locks and multi-row inserts are implemented per backend, so they do not follow
//! from bounds on the backend, and Rust does not carry such bounds through a trait alias. Written
//! once as macro input and expanded with the concrete connection, each statement is an ordinary
//! diesel expression the compiler checks per backend. What differs between the expansions is
//! passed in: the row locks and how outbox rows are inserted.

mod idempotency;
mod merchants;
mod nonces;
mod outbox;
mod payments;
mod people;
mod reads;
pub mod reconciliations;
pub mod settlement;

pub use idempotency::{IdempotencyStatements, NewClaim};
pub use merchants::MerchantStatements;
pub use nonces::NonceStatements;
pub use outbox::{LockedEvent, OutboxStatements};
pub use payments::{Deadline, PaymentLookup, PaymentStatements};
pub use people::{PeopleStatements, SessionsOf};
pub use reads::{Feed, FeedTable, ReadStatements, StatsBinds, StatsRows};
pub use reconciliations::ReconciliationStatements;
pub use settlement::SettlementStatements;

use crate::backend::ConnectionPool;

/// Every statement family: what the stores need of a backend (an adapter gets them all, and
/// this, from [`crate::sql_statements!`]).
pub trait Statements:
    ConnectionPool
    + PaymentStatements
    + MerchantStatements
    + NonceStatements
    + IdempotencyStatements
    + OutboxStatements
    + ReadStatements
    + PeopleStatements
    + SettlementStatements
    + ReconciliationStatements
{
}

/// Implements every statement trait of this module, and [`ConnectionPool`](crate::ConnectionPool),
/// on an adapter's backend type (which implements [`SqlBackend`](crate::SqlBackend) by hand).
///
/// ```ignore
/// adapters_sql::sql_statements! {
///     backend: crate::dialect::Mysql,
///     batch_insert: multi_row, // or `row_by_row`, where diesel-async cannot batch
///     lock_row: (.for_update()),                 // appended to a re-read that decides a write
///     lock_claim: (.for_update().skip_locked()), // appended to the outbox claim's re-check
/// }
/// ```
#[macro_export]
macro_rules! sql_statements {
    (
        backend: $backend:ty,
        batch_insert: $insert:ident,
        lock_row: ($($lock_row:tt)*),
        lock_claim: ($($lock_claim:tt)*) $(,)?
    ) => {
        const _: () = {
            use $crate::__private::{
                diesel::{
                    self, BoolExpressionMethods as _, ExpressionMethods as _, JoinOnDsl as _,
                    OptionalExtension as _, QueryDsl as _, QueryResult, SelectableHelper as _,
                },
                diesel_async::RunQueryDsl as _,
                domain,
                time::PrimitiveDateTime,
            };
            use $crate::{
                decisions::{COMPLETED, DEAD, DELIVERED, IN_FLIGHT, PENDING},
                records::*,
                reporting::{AttemptFeedRow, AuditFeedRow},
                schema::*,
                statements::*,
            };

            type Conn = <$backend as $crate::SqlBackend>::Conn;
            type Backend = <Conn as $crate::__private::diesel_async::AsyncConnectionCore>::Backend;

            /// One `INSERT` of `values` into `table`, kept prepared ([`cached`]): `values` is one
            /// record, or a few whose number the caller bounds.
            async fn insert<T, V>(conn: &mut Conn, table: T, values: V) -> QueryResult<()>
            where
                T: diesel::Table,
                V: diesel::Insertable<T>,
                $crate::cached::BySqlText<diesel::query_builder::InsertStatement<T, V::Values>>:
                    $crate::__private::diesel_async::methods::ExecuteDsl<Conn>,
            {
                $crate::cached::cached(diesel::insert_into(table).values(values))
                    .execute(conn)
                    .await?;
                Ok(())
            }

            /// One `INSERT` of any number of records, prepared for this once: its text varies
            /// with the number of rows, so keeping it would fill the server's statement limit.
            async fn insert_many<T, V>(conn: &mut Conn, table: T, values: V) -> QueryResult<()>
            where
                T: diesel::Table,
                V: diesel::Insertable<T>,
                diesel::query_builder::InsertStatement<T, V::Values>:
                    $crate::__private::diesel_async::methods::ExecuteDsl<Conn>,
            {
                diesel::insert_into(table).values(values).execute(conn).await?;
                Ok(())
            }

            impl $crate::ConnectionPool for $backend {
                type Pool = $crate::pool::Pool<Conn>;
                type Pooled = $crate::pool::Object<Conn>;

                async fn checkout(
                    pool: &Self::Pool,
                ) -> Result<Self::Pooled, $crate::__private::domain::RepositoryError> {
                    pool.get().await.map_err($crate::error::pool_error::<$backend>)
                }
            }

            impl $crate::Statements for $backend {}

            $crate::__payment_statements!($backend);
            $crate::__merchant_statements!($backend);
            $crate::__nonce_statements!($backend);
            $crate::__idempotency_statements!($backend, ($($lock_row)*));
            $crate::__outbox_statements!($backend, $insert, ($($lock_row)*), ($($lock_claim)*));
            $crate::__read_statements!($backend);
            $crate::__people_statements!($backend, ($($lock_row)*));
            $crate::__settlement_statements!($backend, $insert);
            $crate::__reconciliation_statements!($backend, $insert);
        };
    };
}

/// One page of a listing by date, newest first (settlement batches, reconciliations).
#[derive(Clone, Debug)]
pub struct DatedPage {
    /// The first date (`YYYY-MM-DD`, inclusive).
    pub from: Option<String>,
    /// The last date (`YYYY-MM-DD`, inclusive).
    pub to: Option<String>,
    /// The date and seq of the previous page's last row: the page is what comes after it.
    pub before: Option<(String, i64)>,
    pub limit: i64,
}

/// `$query`, a boxed select of a dated table (settlement batches, reconciliations), restricted
/// to the [`DatedPage`] `$page` and ordered newest date first and, within a date, newest seq
/// first: the keyset pagination of api.md's dated listings.
#[doc(hidden)]
#[macro_export]
macro_rules! __dated_page {
    ($query:ident, $date:expr, $seq:expr, $page:ident) => {{
        let mut query = $query;
        if let Some(from) = &$page.from {
            query = query.filter($date.ge(from.clone()));
        }
        if let Some(to) = &$page.to {
            query = query.filter($date.le(to.clone()));
        }
        if let Some((date, seq)) = &$page.before {
            query = query.filter(
                $date
                    .lt(date.clone())
                    .or($date.eq(date.clone()).and($seq.lt(*seq))),
            );
        }
        query.order(($date.desc(), $seq.desc())).limit($page.limit)
    }};
}
