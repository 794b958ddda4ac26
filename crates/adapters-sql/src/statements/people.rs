//! The statements of `UserStore`, `SessionStore` and `OperatorAuditStore` (`operator_user`,
//! `operator_session`, `operator_audit`).

use domain::{
    people::{OperatorAuditFilter, UserId},
    ports::PageRequest,
};
use time::PrimitiveDateTime;

use crate::{
    backend::{QueryFuture, SqlBackend},
    records::{NewOperatorAuditRow, OperatorAuditRow, SessionRow, UserRow},
};

/// The sessions a revocation is of.
#[derive(Debug, Clone, Copy)]
pub enum SessionsOf<'a> {
    /// The one with this `token_hash`.
    Token(&'a str),
    /// Every one of this `user_id`.
    User(&'a str),
}

/// One method per statement on the people tables.
pub trait PeopleStatements: SqlBackend {
    fn insert_user(conn: &mut Self::Conn, row: &UserRow) -> impl QueryFuture<()>;

    /// By `user_id` (the hyphenated UUID).
    fn find_user(conn: &mut Self::Conn, user_id: &str) -> impl QueryFuture<Option<UserRow>>;

    /// By the stored (lower-cased) email, compared exactly.
    fn find_user_by_email(conn: &mut Self::Conn, email: &str) -> impl QueryFuture<Option<UserRow>>;

    /// Newest first (`user_id DESC`), of `client_id` if given, strictly before `page.before`,
    /// `limit + 1` rows.
    fn list_users(
        conn: &mut Self::Conn,
        client_id: Option<String>,
        page: &PageRequest<UserId>,
    ) -> impl QueryFuture<Vec<UserRow>>;

    /// `UPDATE operator_user SET <every mutable column> WHERE user_id = ? AND version = ?`; the
    /// number of matched rows.
    fn update_user(conn: &mut Self::Conn, row: &UserRow, expected: i64) -> impl QueryFuture<usize>;

    /// The ids of the users with `role` that are not disabled, but for `except`, locked for the
    /// rest of the transaction (MySQL: `FOR UPDATE`; SQLite: the write transaction holds the
    /// database).
    fn lock_enabled_others(
        conn: &mut Self::Conn,
        role: &'static str,
        except: &str,
    ) -> impl QueryFuture<Vec<String>>;

    /// `UPDATE operator_user SET version = version + 1 WHERE user_id IN (ids)`: the users are
    /// touched, so a concurrent transaction that changes one of them conflicts with this one
    /// (a cluster certifies written rows only).
    fn touch_users(conn: &mut Self::Conn, ids: &[String]) -> impl QueryFuture<usize>;

    fn insert_session(conn: &mut Self::Conn, row: &SessionRow) -> impl QueryFuture<()>;

    fn find_session(
        conn: &mut Self::Conn,
        token_hash: &str,
    ) -> impl QueryFuture<Option<SessionRow>>;

    /// `UPDATE operator_session SET last_seen_at = ? WHERE token_hash = ? AND last_seen_at <
    /// ?`; the number of matched rows.
    fn touch_session(
        conn: &mut Self::Conn,
        token_hash: &str,
        at: PrimitiveDateTime,
    ) -> impl QueryFuture<usize>;

    /// `UPDATE operator_session SET revoked_at = ? WHERE revoked_at IS NULL AND (token_hash = ?
    /// | user_id = ?)`; the number of matched rows.
    fn revoke_sessions(
        conn: &mut Self::Conn,
        which: SessionsOf<'_>,
        at: PrimitiveDateTime,
    ) -> impl QueryFuture<usize>;

    /// `DELETE FROM operator_session WHERE created_at < ? OR revoked_at < ?`; the rows deleted.
    fn purge_sessions(conn: &mut Self::Conn, before: PrimitiveDateTime) -> impl QueryFuture<usize>;

    fn insert_operator_audit(
        conn: &mut Self::Conn,
        row: &NewOperatorAuditRow,
    ) -> impl QueryFuture<()>;

    /// `SELECT <Dialect::LAST_INSERT_ID>`: the `audit_id` of this connection's last insert.
    fn last_insert_id(conn: &mut Self::Conn) -> impl QueryFuture<i64>;

    /// Newest first (`audit_id DESC`), filtered (`actor`, `action` exactly; `at >= from`, `at <
    /// to`), strictly before `page.before`, `limit + 1` rows.
    fn list_operator_audit(
        conn: &mut Self::Conn,
        filter: &OperatorAuditFilter,
        page: &PageRequest<u64>,
    ) -> impl QueryFuture<Vec<OperatorAuditRow>>;
}

/// Expanded by [`sql_statements!`](crate::sql_statements).
#[doc(hidden)]
#[macro_export]
macro_rules! __people_statements {
    ($backend:ty, ($($lock_row:tt)*)) => {
        impl PeopleStatements for $backend {
            async fn insert_user(conn: &mut Conn, row: &UserRow) -> QueryResult<()> {
                insert(conn, operator_user::table, row).await
            }

            async fn find_user(conn: &mut Conn, user_id: &str) -> QueryResult<Option<UserRow>> {
                operator_user::table
                    .find(user_id)
                    .select(UserRow::as_select())
                    .first(conn)
                    .await
                    .optional()
            }

            async fn find_user_by_email(
                conn: &mut Conn,
                email: &str,
            ) -> QueryResult<Option<UserRow>> {
                operator_user::table
                    .filter(operator_user::email.eq(email))
                    .select(UserRow::as_select())
                    .first(conn)
                    .await
                    .optional()
            }

            async fn list_users(
                conn: &mut Conn,
                client_id: Option<String>,
                page: &domain::ports::PageRequest<domain::people::UserId>,
            ) -> QueryResult<Vec<UserRow>> {
                let mut query = operator_user::table
                    .select(UserRow::as_select())
                    .into_boxed();
                if let Some(client_id) = client_id {
                    query = query.filter(operator_user::client_id.eq(client_id));
                }
                if let Some(before) = &page.before {
                    query = query.filter(operator_user::user_id.lt(user_key(before)));
                }
                query
                    .order(operator_user::user_id.desc())
                    .limit(i64::from(page.limit) + 1)
                    .load(conn)
                    .await
            }

            async fn update_user(
                conn: &mut Conn,
                row: &UserRow,
                expected: i64,
            ) -> QueryResult<usize> {
                use operator_user as u;
                diesel::update(
                    u::table
                        .filter(u::user_id.eq(&row.user_id))
                        .filter(u::version.eq(expected)),
                )
                .set((
                    u::role.eq(&row.role),
                    u::client_id.eq(&row.client_id),
                    u::password_hash.eq(&row.password_hash),
                    u::disabled.eq(row.disabled),
                    u::failed_logins.eq(row.failed_logins),
                    u::locked_until.eq(row.locked_until),
                    u::totp_state.eq(&row.totp_state),
                    u::totp_key_version.eq(row.totp_key_version),
                    u::totp_ciphertext.eq(&row.totp_ciphertext),
                    u::totp_used_step.eq(row.totp_used_step),
                    u::updated_at.eq(row.updated_at),
                    u::version.eq(row.version),
                ))
                .execute(conn)
                .await
            }

            async fn lock_enabled_others(
                conn: &mut Conn,
                role: &'static str,
                except: &str,
            ) -> QueryResult<Vec<String>> {
                operator_user::table
                    .filter(operator_user::role.eq(role))
                    .filter(operator_user::disabled.eq(false))
                    .filter(operator_user::user_id.ne(except))
                    .select(operator_user::user_id)
                    $($lock_row)*
                    .load(conn)
                    .await
            }

            async fn touch_users(conn: &mut Conn, ids: &[String]) -> QueryResult<usize> {
                use operator_user as u;
                diesel::update(u::table.filter(u::user_id.eq_any(ids)))
                    .set(u::version.eq(u::version + 1))
                    .execute(conn)
                    .await
            }

            async fn insert_session(conn: &mut Conn, row: &SessionRow) -> QueryResult<()> {
                insert(conn, operator_session::table, row).await
            }

            async fn find_session(
                conn: &mut Conn,
                token_hash: &str,
            ) -> QueryResult<Option<SessionRow>> {
                operator_session::table
                    .find(token_hash)
                    .select(SessionRow::as_select())
                    .first(conn)
                    .await
                    .optional()
            }

            async fn touch_session(
                conn: &mut Conn,
                token_hash: &str,
                at: PrimitiveDateTime,
            ) -> QueryResult<usize> {
                use operator_session as s;
                diesel::update(
                    s::table
                        .filter(s::token_hash.eq(token_hash))
                        .filter(s::last_seen_at.lt(at)),
                )
                .set(s::last_seen_at.eq(at))
                .execute(conn)
                .await
            }

            async fn revoke_sessions(
                conn: &mut Conn,
                which: SessionsOf<'_>,
                at: PrimitiveDateTime,
            ) -> QueryResult<usize> {
                use operator_session as s;
                let query = diesel::update(s::table.filter(s::revoked_at.is_null()))
                    .set(s::revoked_at.eq(at))
                    .into_boxed::<Backend>();
                match which {
                    SessionsOf::Token(hash) => query.filter(s::token_hash.eq(hash)),
                    SessionsOf::User(user) => query.filter(s::user_id.eq(user)),
                }
                .execute(conn)
                .await
            }

            async fn purge_sessions(
                conn: &mut Conn,
                before: PrimitiveDateTime,
            ) -> QueryResult<usize> {
                use operator_session as s;
                diesel::delete(
                    s::table.filter(s::created_at.lt(before).or(s::revoked_at.lt(before))),
                )
                .execute(conn)
                .await
            }

            async fn insert_operator_audit(
                conn: &mut Conn,
                row: &NewOperatorAuditRow,
            ) -> QueryResult<()> {
                insert(conn, operator_audit::table, row).await
            }

            async fn last_insert_id(conn: &mut Conn) -> QueryResult<i64> {
                use $crate::Dialect as _;
                diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
                    <$backend>::LAST_INSERT_ID,
                ))
                .get_result(conn)
                .await
            }

            async fn list_operator_audit(
                conn: &mut Conn,
                filter: &domain::people::OperatorAuditFilter,
                page: &domain::ports::PageRequest<u64>,
            ) -> QueryResult<Vec<OperatorAuditRow>> {
                use operator_audit as a;
                let mut query = a::table.select(OperatorAuditRow::as_select()).into_boxed();
                if let Some(actor) = &filter.actor {
                    query = query.filter(a::actor.eq(actor.clone()));
                }
                if let Some(action) = &filter.action {
                    query = query.filter(a::action.eq(action.clone()));
                }
                if let Some(from) = filter.from {
                    query = query.filter(a::at.ge(to_db_time(from)));
                }
                if let Some(to) = filter.to {
                    query = query.filter(a::at.lt(to_db_time(to)));
                }
                if let Some(before) = page.before {
                    query = query.filter(a::audit_id.lt(wide(before)));
                }
                query
                    .order(a::audit_id.desc())
                    .limit(i64::from(page.limit) + 1)
                    .load(conn)
                    .await
            }
        }
    };
}
