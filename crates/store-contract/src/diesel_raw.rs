//! [`RawSql`] on a diesel-async connection pool: what both storage adapters' test suites use
//! (each names its own connection type).

use async_trait::async_trait;
use diesel::{QueryableByName, query_builder::SqlQuery, sql_types::BigInt};
use diesel_async::{
    AsyncConnection, RunQueryDsl,
    methods::{ExecuteDsl, LoadQuery},
    pooled_connection::{AsyncDieselConnectionManager, PoolError, PoolableConnection},
};

use adapters_sql::pool::{Object, Pool};

use std::{any::Any, sync::Arc};

use domain::store_ports::StorePorts;

use crate::{RawSql, Stores};

/// The row of `SELECT COUNT(*) AS n`.
#[derive(QueryableByName)]
pub struct RowCount {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Raw SQL through a pool of `C` connections.
pub struct PoolRaw<C>(pub Pool<C>)
where
    C: PoolableConnection + 'static,
    AsyncDieselConnectionManager<C>: deadpool::managed::Manager<Type = C, Error = PoolError>;

impl<C> PoolRaw<C>
where
    C: PoolableConnection + 'static,
    AsyncDieselConnectionManager<C>: deadpool::managed::Manager<Type = C, Error = PoolError>,
{
    async fn conn(&self) -> Object<C> {
        self.0.get().await.unwrap()
    }
}

#[async_trait]
impl<C> RawSql for PoolRaw<C>
where
    C: PoolableConnection + AsyncConnection + Send + 'static,
    AsyncDieselConnectionManager<C>: deadpool::managed::Manager<Type = C, Error = PoolError>,
    SqlQuery: ExecuteDsl<C> + for<'q> LoadQuery<'q, C, RowCount>,
{
    async fn exec(&self, sql: &str) -> usize {
        diesel::sql_query(sql)
            .execute(&mut *self.conn().await)
            .await
            .unwrap()
    }

    async fn count(&self, from_where: &str) -> i64 {
        let row: RowCount = diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {from_where}"))
            .get_result(&mut *self.conn().await)
            .await
            .unwrap();
        row.n
    }
}

impl Stores {
    /// The `ports` of a database that `pool` reaches too (for raw SQL), kept alive by `guard`.
    pub fn on_pool<C>(
        ports: StorePorts,
        people: crate::People,
        pool: Pool<C>,
        guard: impl Any + Send + Sync,
    ) -> Self
    where
        PoolRaw<C>: RawSql,
        C: PoolableConnection + 'static,
        AsyncDieselConnectionManager<C>: deadpool::managed::Manager<Type = C, Error = PoolError>,
    {
        Self {
            ports,
            people,
            raw: Arc::new(PoolRaw(pool)),
            guard: Box::new(guard),
        }
    }
}
