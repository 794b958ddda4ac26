//! Which storage adapter backs this process, chosen by the scheme of `database.url`
//! (`mysql://…` or `sqlite://path`), and the per-store factory that builds every port on it.
//! The rest of the wiring only sees [`Stores`]: `Arc<dyn Port>`s.

use std::{sync::Arc, time::Duration};

use anyhow::{Context, bail};
use domain::{ports::PeopleStores, store_ports::StorePorts};

use crate::counted::CountedPayments;

/// The storage adapter named by a database URL.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum StoreKind {
    /// MySQL/MariaDB: the production store; any number of instances may share it.
    Mysql,
    /// An embedded SQLite file: zero setup, for a single instance only.
    Sqlite,
}

impl StoreKind {
    pub fn of(url: &str) -> anyhow::Result<Self> {
        if url.starts_with("mysql://") {
            Ok(Self::Mysql)
        } else if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else {
            bail!("database.url must start with mysql:// or sqlite:// (got another scheme)")
        }
    }

    /// The name reported by `/ready` and the server info.
    pub fn name(self) -> &'static str {
        match self {
            Self::Mysql => "mysql",
            Self::Sqlite => "sqlite",
        }
    }
}

/// A snapshot of the connection pool, for the metrics gauges.
#[derive(Clone, Copy, Debug)]
pub struct PoolStatus {
    pub size: usize,
    pub available: usize,
    pub max_size: usize,
    pub waiting: usize,
}

/// Every storage port on one database, which adapter it is, and its pool's state.
#[derive(Clone)]
pub struct Stores {
    pub kind: StoreKind,
    pub ports: StorePorts,
    /// Accounts, sessions and the operator audit log (api.md §10), on the same pool.
    pub people: PeopleStores,
    pub pool_status: Arc<dyn Fn() -> PoolStatus + Send + Sync>,
}

/// Creates the database if needed (the MySQL database, or the SQLite file) and applies pending
/// migrations; returns how many ran.
pub async fn migrate(url: &str) -> anyhow::Result<usize> {
    match StoreKind::of(url)? {
        StoreKind::Mysql => {
            adapters_mysql::create_database_if_missing(url)
                .await
                .context("creating the database")?;
            adapters_mysql::run_migrations(url)
                .await
                .context("applying migrations")
        }
        StoreKind::Sqlite => adapters_sqlite::run_migrations(url)
            .await
            .context("creating or migrating the SQLite database"),
    }
}

/// Refuses a `sqlite://` URL whose file does not exist, so a command that only reads (`check`,
/// `reencrypt-secrets`, a server that does not migrate) never leaves an empty database behind.
pub fn require_existing(url: &str) -> anyhow::Result<()> {
    if StoreKind::of(url)? == StoreKind::Sqlite {
        let path = adapters_sqlite::file_path(url);
        if path != ":memory:" && !std::path::Path::new(&path).exists() {
            bail!(
                "no such database file {path}: check database.url, or run `simplepg migrate` to create it"
            );
        }
    }
    Ok(())
}

/// Builds every store on a pool for `url`. No connection is made yet.
pub fn open(
    url: &str,
    max_connections: usize,
    connect_timeout: Duration,
) -> anyhow::Result<Stores> {
    let kind = StoreKind::of(url)?;
    let timeout = connect_timeout;
    Ok(match kind {
        StoreKind::Mysql => {
            let pool = adapters_mysql::build_pool(url, max_connections, timeout)
                .context("building the pool")?;
            let mut ports = adapters_mysql::ports(pool.clone());
            // On a Galera node, `/ready` also asks whether the node is a synced member of the
            // primary component (adr/0021).
            ports.health = Arc::new(adapters_mysql::ClusterAwareHealth::new(
                ports.health,
                pool.clone(),
            ));
            let people = people(adapters_mysql::people_ports(pool.clone()));
            stores(kind, ports, people, pool_status!(pool))
        }
        StoreKind::Sqlite => {
            let pool = adapters_sqlite::build_pool(url, max_connections, timeout)
                .context("building the pool")?;
            stores(
                kind,
                adapters_sqlite::ports(pool.clone()),
                people(adapters_sqlite::people_ports(pool.clone())),
                pool_status!(pool),
            )
        }
    })
}

/// A snapshot function of a deadpool pool (both adapters' pools are deadpool pools).
macro_rules! pool_status {
    ($pool:expr) => {{
        let pool = $pool;
        move || {
            let s = pool.status();
            PoolStatus {
                size: s.size,
                available: s.available,
                max_size: s.max_size,
                waiting: s.waiting,
            }
        }
    }};
}
use pool_status;

/// The adapter's people ports as the domain's [`PeopleStores`].
fn people(ports: adapters_mysql::PeoplePorts) -> PeopleStores {
    PeopleStores {
        users: ports.users,
        sessions: ports.sessions,
        audit: ports.operator_audit,
    }
}

/// The adapter's ports, with payments counted ([`CountedPayments`]), and the pool's state.
fn stores(
    kind: StoreKind,
    ports: StorePorts,
    people: PeopleStores,
    status: impl Fn() -> PoolStatus + Send + Sync + 'static,
) -> Stores {
    Stores {
        kind,
        ports: StorePorts {
            payments: Arc::new(CountedPayments(ports.payments)),
            ..ports
        },
        people,
        pool_status: Arc::new(status),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_scheme_picks_the_store() {
        assert_eq!(StoreKind::of("mysql://u@h/db").unwrap(), StoreKind::Mysql);
        assert_eq!(
            StoreKind::of("sqlite://simplepg.db").unwrap(),
            StoreKind::Sqlite
        );
        assert!(StoreKind::of("postgres://x").is_err());
    }

    #[test]
    fn a_missing_sqlite_file_is_refused_and_not_created() {
        let path = std::env::temp_dir().join(format!("simplepg-missing-{}.db", std::process::id()));
        let url = format!("sqlite://{}", path.display());
        let err = require_existing(&url).unwrap_err();
        assert!(err.to_string().contains("no such database file"), "{err}");
        assert!(!path.exists());
        assert!(require_existing("mysql://u@h/db").is_ok());
    }
}
