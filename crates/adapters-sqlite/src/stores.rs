//! The storage ports on SQLite: `adapters_sql`'s generic stores on the [`Sqlite`] backend —
//! every multi-statement write runs in `BEGIN IMMEDIATE`, which takes SQLite's single write lock
//! up front. That lock is what MySQL's row locks achieve, so no row-lock clause is added (SQLite
//! has none). Outbox messages are inserted one statement per row: diesel-async cannot batch an
//! SQLite `INSERT` whose records have optional columns (no `DEFAULT` keyword in SQLite's
//! `VALUES`).

use adapters_sql::{PeoplePorts, SqlBackend, SqlStore};
use diesel::{QueryResult, connection::AnsiTransactionManager};
use diesel_migrations::EmbeddedMigrations;
use domain::store_ports::StorePorts;

use crate::{
    dialect::Sqlite,
    pool::{Pool, SqliteConn},
};

impl SqlBackend for Sqlite {
    type Conn = SqliteConn;

    const MIGRATIONS: EmbeddedMigrations = crate::migrate::MIGRATIONS;

    /// `BEGIN IMMEDIATE`, as diesel-async's `immediate_transaction` begins.
    async fn begin_write(conn: &mut SqliteConn) -> QueryResult<()> {
        conn.spawn_blocking(|conn| {
            AnsiTransactionManager::begin_transaction_sql(conn, "BEGIN IMMEDIATE")
        })
        .await
    }
}

adapters_sql::sql_statements! {
    backend: Sqlite,
    batch_insert: row_by_row,
    lock_row: (),
    lock_claim: (),
}

/// The store of port `P` on Sqlite: one of the markers of `adapters_sql::stores` (re-exported
/// by this crate), e.g. `SqliteStore<Payments>` for the `PaymentStore`.
pub type SqliteStore<P> = SqlStore<Sqlite, P>;

/// Every storage port of this adapter on `pool`.
pub fn ports(pool: Pool) -> StorePorts {
    adapters_sql::ports::<Sqlite>(pool)
}

/// The people ports of this adapter on `pool` (users, sessions, the operator audit log).
pub fn people_ports(pool: Pool) -> PeoplePorts {
    adapters_sql::people_ports::<Sqlite>(pool)
}
