//! `UserStore` (`operator_user`, with its rows of `operator_audit`).

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use async_trait::async_trait;
use domain::{
    RepositoryError,
    ids::ClientId,
    people::{Email, OperatorAuditEntry, Role, User, UserId},
    ports::{AdminKept, InsertUserError, PageRequest, UserStore},
};

use super::{SqlStore, Users, audit_rows, db_error};
use crate::{
    error::is_unique_violation_on,
    records::{NewOperatorAuditRow, UserRow, user_key},
    statements::Statements,
};

/// Inserts `audit` rows, oldest first, inside the caller's transaction.
pub(super) async fn insert_audit_rows<B: Statements>(
    conn: &mut B::Conn,
    audit: &[NewOperatorAuditRow],
) -> diesel::QueryResult<()> {
    for row in audit {
        B::insert_operator_audit(conn, row).await?;
    }
    Ok(())
}

#[async_trait]
impl<B: Statements> UserStore for SqlStore<B, Users> {
    /// One transaction: the user row, then its audit row. The email's unique key is checked by
    /// the database (`UNIQUE (email)`, binary-collated; the domain lower-cases every email), so
    /// two concurrent inserts of one email let exactly one through and the other is
    /// `DuplicateEmail`, with nothing written. A user of an unknown merchant (foreign key) is a
    /// repository error. A conflict the database reports runs the transaction again.
    async fn insert(&self, user: &User, audit: &OperatorAuditEntry) -> Result<(), InsertUserError> {
        let row = UserRow::from(user);
        let audit = [NewOperatorAuditRow::from(audit)];
        let insert = async move |conn: &mut B::Conn| B::insert_user(conn, &row).await;
        self.insert_audited(&audit, insert, |e| {
            if is_unique_violation_on(&e, B::UQ_USER_EMAIL) {
                InsertUserError::DuplicateEmail
            } else {
                InsertUserError::Repository(db_error::<B>(e))
            }
        })
        .await
    }

    async fn find(&self, id: &UserId) -> Result<Option<User>, RepositoryError> {
        let key = user_key(id);
        let row = self
            .run(async |conn| B::find_user(conn, &key).await)
            .await?;
        row.map(User::try_from).transpose()
    }

    /// Compared exactly with the stored email: both are the domain's lower-cased spelling.
    async fn find_by_email(&self, email: &Email) -> Result<Option<User>, RepositoryError> {
        let row = self
            .run(async |conn| B::find_user_by_email(conn, email.as_str()).await)
            .await?;
        row.map(User::try_from).transpose()
    }

    /// Newest first by `user_id` (a UUIDv7, so creation order; byte order on both stores),
    /// of `client_id` if given, strictly before `page.before`, at most `limit + 1` rows.
    async fn list(
        &self,
        client_id: Option<ClientId>,
        page: &PageRequest<UserId>,
    ) -> Result<Vec<User>, RepositoryError> {
        let client = client_id.map(|c| c.as_str().to_owned());
        let rows = self
            .run(async |conn| B::list_users(conn, client.clone(), page).await)
            .await?;
        rows.into_iter().map(User::try_from).collect()
    }

    /// One transaction: `UPDATE operator_user SET <every mutable column> WHERE user_id = ? AND
    /// version = next.version - 1`, then the audit rows only if it matched (both backends
    /// count *matched* rows). 0 matched: someone else changed the user first, `false`, nothing
    /// written. Concurrent updates from one version queue on the row (MySQL's row lock, SQLite's
    /// write lock) and each re-reads the committed version, so exactly one matches. A conflict
    /// the database reports runs the transaction again: the version guard decides it afresh.
    /// `email`, `created_at` and the id never change.
    async fn update(
        &self,
        next: &User,
        audit: &[OperatorAuditEntry],
    ) -> Result<bool, RepositoryError> {
        let (row, expected) = versioned(next)?;
        let audit = audit_rows(audit);
        let update =
            async move |conn: &mut B::Conn| Ok(B::update_user(conn, &row, expected).await? == 1);
        self.write_audited(&audit, update, db_error::<B>).await
    }

    /// One transaction: the other enabled ADMINs locked and touched, then the compare-and-set
    /// of the user with its audit rows — or nothing, when no other enabled ADMIN is left.
    async fn update_keeping_an_admin(
        &self,
        next: &User,
        audit: &[OperatorAuditEntry],
    ) -> Result<AdminKept, RepositoryError> {
        let (row, expected) = versioned(next)?;
        let audit = audit_rows(audit);
        let alone = Arc::new(AtomicBool::new(false));
        let flag = alone.clone();
        let update = async move |conn: &mut B::Conn| {
            let others = B::lock_enabled_others(conn, Role::Admin.as_str(), &row.user_id).await?;
            flag.store(others.is_empty(), Ordering::Relaxed);
            if others.is_empty() {
                return Ok(false);
            }
            B::touch_users(conn, &others).await?;
            Ok(B::update_user(conn, &row, expected).await? == 1)
        };
        let written = self.write_audited(&audit, update, db_error::<B>).await?;
        Ok(match (written, alone.load(Ordering::Relaxed)) {
            (true, _) => AdminKept::Written,
            (false, true) => AdminKept::NoOtherAdmin,
            (false, false) => AdminKept::Stale,
        })
    }
}

/// The row of `next` and the version it must replace.
fn versioned(next: &User) -> Result<(UserRow, i64), RepositoryError> {
    let Some(expected) = next.version.checked_sub(1) else {
        return Err(RepositoryError::msg(format!(
            "inconsistent update of user {}: version 0 cannot follow another",
            next.id
        )));
    };
    Ok((UserRow::from(next), i64::from(expected)))
}
