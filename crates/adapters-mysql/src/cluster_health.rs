//! Readiness of a Galera node: reachable and migrated is not enough when the server is one node
//! of a cluster. A node that is out of the primary component (quorum lost, isolated) or not yet
//! synced (joining, donating a state transfer) refuses or delays queries; `/ready` must say so,
//! so that a load balancer takes this instance out until its node is back.

use std::sync::Arc;

use async_trait::async_trait;
use diesel::{QueryableByName, sql_types::Text};
use diesel_async::RunQueryDsl;
use domain::{RepositoryError, error::Unavailable, ports::StoreHealth};

use crate::pool::Pool;

/// Whether the server is a Galera node: `ON` only there (MariaDB without Galera says `OFF`,
/// MySQL has no such variable and returns no row).
const WSREP_ON: &str = "SHOW GLOBAL VARIABLES LIKE 'wsrep_on'";
/// The node's own view of itself. Without waiting for causal reads (the session's
/// `wsrep_sync_wait`), which a node out of quorum would refuse.
const NODE_STATE: &str = "SET STATEMENT wsrep_sync_wait = 0 FOR SHOW GLOBAL STATUS \
    WHERE Variable_name IN ('wsrep_ready', 'wsrep_local_state_comment', 'wsrep_cluster_status')";

#[derive(QueryableByName)]
struct StatusRow {
    #[diesel(sql_type = Text, column_name = "Variable_name")]
    name: String,
    #[diesel(sql_type = Text, column_name = "Value")]
    value: String,
}

/// What a Galera node says about itself (read only when `wsrep_on` is `ON`).
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct NodeState {
    pub ready: Option<String>,
    pub local_state: Option<String>,
    pub cluster_status: Option<String>,
}

impl NodeState {
    fn from_rows(rows: Vec<StatusRow>) -> Self {
        let mut state = Self::default();
        for row in rows {
            match row.name.to_ascii_lowercase().as_str() {
                "wsrep_ready" => state.ready = Some(row.value),
                "wsrep_local_state_comment" => state.local_state = Some(row.value),
                "wsrep_cluster_status" => state.cluster_status = Some(row.value),
                _ => {}
            }
        }
        state
    }

    /// `None` when the node may serve (or the server is not a Galera node); otherwise why not.
    pub fn not_ready_reason(&self) -> Option<String> {
        let ready = self.ready.as_deref()?;
        let local = self.local_state.as_deref().unwrap_or("unknown");
        let cluster = self.cluster_status.as_deref().unwrap_or("unknown");
        if ready.eq_ignore_ascii_case("ON") && local == "Synced" && cluster == "Primary" {
            return None;
        }
        Some(format!(
            "the Galera node is not ready (wsrep_ready={ready}, state {local}, cluster {cluster})"
        ))
    }
}

/// [`StoreHealth`] that first asks the node whether it is a ready, synced member of the primary
/// component (when it is a Galera node at all), then runs the store's own check.
pub struct ClusterAwareHealth {
    inner: Arc<dyn StoreHealth>,
    pool: Pool,
}

impl ClusterAwareHealth {
    pub fn new(inner: Arc<dyn StoreHealth>, pool: Pool) -> Self {
        Self { inner, pool }
    }
}

#[async_trait]
impl StoreHealth for ClusterAwareHealth {
    async fn check(&self) -> Result<(), RepositoryError> {
        // Unreachable, pool exhausted, …: said at once, in the store's own words, rather than
        // waiting a second time for the inner check to find the same.
        let mut conn = self
            .pool
            .get()
            .await
            .map_err(adapters_sql::error::pool_error::<crate::dialect::Mysql>)?;
        if let Ok(on) = diesel::sql_query(WSREP_ON)
            .load::<StatusRow>(&mut conn)
            .await
            && on.iter().any(|row| row.value.eq_ignore_ascii_case("ON"))
        {
            let rows = diesel::sql_query(NODE_STATE)
                .load::<StatusRow>(&mut conn)
                .await
                .map_err(|e| Unavailable(format!("the Galera node does not answer: {e}")))?;
            if let Some(reason) = NodeState::from_rows(rows).not_ready_reason() {
                return Err(Unavailable(reason).into());
            }
        }
        self.inner.check().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(ready: &str, local: &str, cluster: &str) -> NodeState {
        NodeState {
            ready: Some(ready.into()),
            local_state: Some(local.into()),
            cluster_status: Some(cluster.into()),
        }
    }

    #[test]
    fn a_server_without_galera_is_never_held_back() {
        assert_eq!(NodeState::default().not_ready_reason(), None);
    }

    #[test]
    fn a_synced_member_of_the_primary_component_is_ready() {
        assert_eq!(state("ON", "Synced", "Primary").not_ready_reason(), None);
    }

    #[test]
    fn a_node_out_of_quorum_joining_or_donating_is_not_ready_and_says_why() {
        for (s, shown) in [
            (state("OFF", "Initialized", "non-Primary"), "non-Primary"),
            (state("ON", "Joining", "Primary"), "Joining"),
            (state("ON", "Donor/Desynced", "Primary"), "Donor/Desynced"),
        ] {
            let reason = s.not_ready_reason().expect("not ready");
            assert!(reason.contains(shown), "{reason}");
            assert!(reason.contains("Galera node is not ready"), "{reason}");
        }
    }
}
