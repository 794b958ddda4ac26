//! The storage ports, implemented once as ordinary generic code over `B: Statements` (an
//! adapter's backend type): checking out connections, the order of statements, transactions
//! ([`write_tx`](crate::write_tx)), the decisions on rows read and the translation of errors.
//! The statements themselves are [`crate::statements`].
//!
//! An adapter names its stores with one alias, e.g. `type MysqlStore<P> = SqlStore<Mysql, P>`
//! (`MysqlStore<Payments>`), and wires them with [`ports`].

use std::{collections::HashMap, marker::PhantomData, sync::Arc};

use diesel::QueryResult;
use domain::{
    RepositoryError,
    people::OperatorAuditEntry,
    ports::{OperatorAuditStore, PageRequest, SessionStore, UserStore},
    settlement::SettlementDate,
    store_ports::StorePorts,
};

use crate::{
    backend::{ConnectionPool, write_tx},
    error,
    records::{JoinKey, NewOperatorAuditRow},
    statements::{DatedPage, Statements},
};

mod health;
mod idempotency;
mod merchants;
mod nonces;
mod operator_audit;
mod outbox;
mod payments;
mod reads;
mod reconciliations;
mod sessions;
mod settlements;
mod users;

/// The store of port `P` (one of the marker types below) on backend `B`: a handle on the shared
/// pool. Cheap to clone.
pub struct SqlStore<B: ConnectionPool, P> {
    pool: B::Pool,
    port: PhantomData<fn() -> (B, P)>,
}

impl<B: ConnectionPool, P> SqlStore<B, P> {
    pub fn new(pool: B::Pool) -> Self {
        Self {
            pool,
            port: PhantomData,
        }
    }

    /// A connection from the pool; a failed checkout means the database is unavailable.
    async fn conn(&self) -> Result<B::Pooled, RepositoryError> {
        B::checkout(&self.pool).await
    }

    /// Runs `statement` (autocommit) on a connection from the pool; a failure is translated by
    /// the dialect.
    async fn run<T>(
        &self,
        statement: impl AsyncFnOnce(&mut B::Conn) -> QueryResult<T>,
    ) -> Result<T, RepositoryError> {
        let mut conn = self.conn().await?;
        statement(&mut conn).await.map_err(db_error::<B>)
    }
}

impl<B: Statements, P> SqlStore<B, P> {
    /// One write transaction, run again on a conflict: `write`, then — if it says it wrote (a
    /// compare-and-set that matched) — the operator audit rows of the change, so a row and its
    /// audit are stored together or not at all. Answers what `write` said; a failed statement
    /// is `fail`ed into the caller's error.
    async fn write_audited<E: From<RepositoryError>>(
        &self,
        audit: &[NewOperatorAuditRow],
        write: impl AsyncFn(&mut B::Conn) -> QueryResult<bool>,
        fail: impl FnOnce(diesel::result::Error) -> E,
    ) -> Result<bool, E> {
        let mut conn = self.conn().await?;
        crate::retrying!(
            write_tx::<B, _, diesel::result::Error>(&mut conn, async |conn| {
                if !write(conn).await? {
                    return Ok(false);
                }
                users::insert_audit_rows::<B>(conn, audit).await?;
                Ok(true)
            })
            .await
        )
        .map_err(fail)
    }

    /// [`Self::write_audited`] of an `INSERT`: the row and the audit of its creation.
    async fn insert_audited<E: From<RepositoryError>>(
        &self,
        audit: &[NewOperatorAuditRow],
        insert: impl AsyncFn(&mut B::Conn) -> QueryResult<()>,
        fail: impl FnOnce(diesel::result::Error) -> E,
    ) -> Result<(), E> {
        let write = async move |conn: &mut B::Conn| insert(conn).await.map(|()| true);
        self.write_audited(audit, write, fail).await.map(|_| ())
    }
}

impl<B: ConnectionPool, P> Clone for SqlStore<B, P> {
    fn clone(&self) -> Self {
        Self::new(self.pool.clone())
    }
}

/// `PaymentStore`.
pub enum Payments {}
/// `MerchantStore`.
pub enum Merchants {}
/// `NonceStore`.
pub enum Nonces {}
/// `IdempotencyStore`.
pub enum Idempotency {}
/// `OutboxStore`.
pub enum Outbox {}
/// `OperatorReads`.
pub enum Reads {}
/// `StoreHealth`.
pub enum Health {}
/// `UserStore`.
pub enum Users {}
/// `SessionStore`.
pub enum Sessions {}
/// `OperatorAuditStore`.
pub enum OperatorAudit {}
/// `SettlementStore`.
pub enum Settlements {}
/// `ReconciliationStore`.
pub enum Reconciliations {}
/// `AcquirerLedger` (the built-in mock acquirer's books).
pub enum Ledger {}

/// Every storage port of backend `B` on `pool`.
pub fn ports<B: Statements>(pool: B::Pool) -> StorePorts {
    StorePorts {
        payments: Arc::new(SqlStore::<B, Payments>::new(pool.clone())),
        merchants: Arc::new(SqlStore::<B, Merchants>::new(pool.clone())),
        nonces: Arc::new(SqlStore::<B, Nonces>::new(pool.clone())),
        outbox: Arc::new(SqlStore::<B, Outbox>::new(pool.clone())),
        idempotency: Arc::new(SqlStore::<B, Idempotency>::new(pool.clone())),
        reads: Arc::new(SqlStore::<B, Reads>::new(pool.clone())),
        health: Arc::new(SqlStore::<B, Health>::new(pool.clone())),
        settlements: Arc::new(SqlStore::<B, Settlements>::new(pool.clone())),
        reconciliations: Arc::new(SqlStore::<B, Reconciliations>::new(pool.clone())),
        acquirer_ledger: Arc::new(SqlStore::<B, Ledger>::new(pool)),
    }
}

/// The storage ports of the people room (api.md §10: accounts, sessions, the operator audit
/// log) on one pool. Kept apart from [`StorePorts`] until the application wires them in.
#[derive(Clone)]
pub struct PeoplePorts {
    pub users: Arc<dyn UserStore>,
    pub sessions: Arc<dyn SessionStore>,
    pub operator_audit: Arc<dyn OperatorAuditStore>,
}

/// The people ports of backend `B` on `pool`.
pub fn people_ports<B: Statements>(pool: B::Pool) -> PeoplePorts {
    PeoplePorts {
        users: Arc::new(SqlStore::<B, Users>::new(pool.clone())),
        sessions: Arc::new(SqlStore::<B, Sessions>::new(pool.clone())),
        operator_audit: Arc::new(SqlStore::<B, OperatorAudit>::new(pool)),
    }
}

/// The operator audit rows of `audit`, to insert.
fn audit_rows(audit: &[OperatorAuditEntry]) -> Vec<NewOperatorAuditRow> {
    audit.iter().map(NewOperatorAuditRow::from).collect()
}

/// Each of `parents` with its `children` (those with the parent's join key, in the order they
/// came), made into one by `join`: the rows of a one-to-many read put together.
fn with_children<P: JoinKey, C: JoinKey, T>(
    parents: Vec<P>,
    children: impl IntoIterator<Item = C>,
    join: impl Fn(P, Vec<C>) -> Result<T, RepositoryError>,
) -> Result<Vec<T>, RepositoryError> {
    let mut by_parent: HashMap<String, Vec<C>> = HashMap::new();
    for child in children {
        by_parent
            .entry(child.join_key().to_owned())
            .or_default()
            .push(child);
    }
    parents
        .into_iter()
        .map(|parent| {
            let mine = by_parent.remove(parent.join_key()).unwrap_or_default();
            join(parent, mine)
        })
        .collect()
}

/// Where a keyset page starts: `Some(None)` for the first page (no cursor), `Some(Some(k))`
/// after the row the cursor names (`find` reads it, `key` is its position), `None` when the
/// cursor names no row (an unknown cursor gives an empty page).
async fn keyset_start<B: Statements, C: ?Sized, R, K>(
    conn: &mut B::Conn,
    cursor: Option<&C>,
    find: impl AsyncFnOnce(&mut B::Conn, &C) -> QueryResult<Option<R>>,
    key: impl FnOnce(R) -> K,
) -> Result<Option<Option<K>>, RepositoryError> {
    let Some(cursor) = cursor else {
        return Ok(Some(None));
    };
    let found = find(conn, cursor).await.map_err(db_error::<B>)?;
    Ok(found.map(|row| Some(key(row))))
}

/// The rows of a listing by date (settlement batches, reconciliations): `list` of the
/// [`DatedPage`] of `page` over the dates `from` to `to`, at most `limit + 1`, and none when the
/// cursor names no row (`find` reads the cursor's row, `position` is its date and seq).
async fn dated_rows<B: Statements, C, R>(
    conn: &mut B::Conn,
    (from, to): (Option<SettlementDate>, Option<SettlementDate>),
    page: &PageRequest<C>,
    (find, position): (
        impl AsyncFnOnce(&mut B::Conn, &C) -> QueryResult<Option<R>>,
        impl FnOnce(R) -> (String, i64),
    ),
    list: impl AsyncFnOnce(&mut B::Conn, &DatedPage) -> QueryResult<Vec<R>>,
) -> Result<Vec<R>, RepositoryError> {
    let Some(before) =
        keyset_start::<B, _, _, _>(conn, page.before.as_ref(), find, position).await?
    else {
        return Ok(Vec::new());
    };
    let page = DatedPage {
        from: from.map(|d| d.to_string()),
        to: to.map(|d| d.to_string()),
        before,
        limit: i64::from(page.limit) + 1,
    };
    list(conn, &page).await.map_err(db_error::<B>)
}

/// A query failed: the dialect decides whether that means unavailable.
fn db_error<B: crate::Dialect>(e: diesel::result::Error) -> RepositoryError {
    error::db_error::<B>(e)
}
