//! The storage ports on MySQL/MariaDB: `adapters_sql`'s generic stores on the [`Mysql`]
//! backend — its connection, its plain `BEGIN` (InnoDB row locks do the serialising), and the
//! statements checked against its connection, with its row locks: `FOR UPDATE` on a re-read
//! that decides a write, `FOR UPDATE SKIP LOCKED` on the outbox claim so concurrent dispatchers
//! (on any instance) take disjoint messages.

use adapters_sql::{PeoplePorts, SqlBackend, SqlStore};
use diesel::QueryResult;
use diesel_async::{AsyncConnection, AsyncMysqlConnection, TransactionManager};
use diesel_migrations::EmbeddedMigrations;
use domain::store_ports::StorePorts;

use crate::{dialect::Mysql, pool::Pool};

impl SqlBackend for Mysql {
    type Conn = AsyncMysqlConnection;

    const MIGRATIONS: EmbeddedMigrations = crate::migrate::MIGRATIONS;

    async fn begin_write(conn: &mut AsyncMysqlConnection) -> QueryResult<()> {
        <AsyncMysqlConnection as AsyncConnection>::TransactionManager::begin_transaction(conn).await
    }
}

adapters_sql::sql_statements! {
    backend: Mysql,
    batch_insert: multi_row,
    lock_row: (.for_update()),
    lock_claim: (.for_update().skip_locked()),
}

/// The store of port `P` on Mysql: one of the markers of `adapters_sql::stores` (re-exported
/// by this crate), e.g. `MysqlStore<Payments>` for the `PaymentStore`.
pub type MysqlStore<P> = SqlStore<Mysql, P>;

/// Every storage port of this adapter on `pool`.
pub fn ports(pool: Pool) -> StorePorts {
    adapters_sql::ports::<Mysql>(pool)
}

/// The people ports of this adapter on `pool` (users, sessions, the operator audit log).
pub fn people_ports(pool: Pool) -> PeoplePorts {
    adapters_sql::people_ports::<Mysql>(pool)
}
