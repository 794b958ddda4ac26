//! `OperatorAuditStore` (`operator_audit`): the append-only operator audit log.

use async_trait::async_trait;
use diesel::QueryResult;
use domain::{
    RepositoryError,
    people::{OperatorAuditEntry, OperatorAuditFilter},
    ports::{OperatorAuditStore, PageRequest},
};

use super::{OperatorAudit, SqlStore, db_error};
use crate::{
    error::corrupt,
    records::NewOperatorAuditRow,
    statements::{PeopleStatements, Statements},
};

/// The `INSERT`, then the key it was given (`Dialect::LAST_INSERT_ID`, on the same connection).
async fn append_row<B: PeopleStatements>(
    conn: &mut B::Conn,
    row: &NewOperatorAuditRow,
) -> QueryResult<i64> {
    B::insert_operator_audit(conn, row).await?;
    B::last_insert_id(conn).await
}

#[async_trait]
impl<B: Statements> OperatorAuditStore for SqlStore<B, OperatorAudit> {
    /// One autocommit `INSERT` and the id the database assigned (MySQL's `AUTO_INCREMENT`,
    /// SQLite's `AUTOINCREMENT`): each id is larger than those of the rows already committed.
    /// Text longer than its column is cut to fit, never refused.
    async fn append(&self, entry: &OperatorAuditEntry) -> Result<u64, RepositoryError> {
        let row = NewOperatorAuditRow::from(entry);
        let mut conn = self.conn().await?;
        let id = crate::retrying!(append_row::<B>(&mut conn, &row).await).map_err(db_error::<B>)?;
        u64::try_from(id).map_err(|e| corrupt("operator_audit", &id.to_string(), e))
    }

    /// Filters combine with AND: `actor` and `action` match exactly (binary collation on both
    /// stores); `from` is inclusive (`at >= from`) and `to` exclusive (`at < to`). Newest first
    /// by `audit_id`, strictly before `page.before`, at most `limit + 1` rows.
    async fn list(
        &self,
        filter: &OperatorAuditFilter,
        page: &PageRequest<u64>,
    ) -> Result<Vec<OperatorAuditEntry>, RepositoryError> {
        let rows = self
            .run(async |conn| B::list_operator_audit(conn, filter, page).await)
            .await?;
        rows.into_iter().map(OperatorAuditEntry::try_from).collect()
    }
}
