//! The statements of `PaymentStore` (`payment`, `payment_log`).

use domain::{
    ids::PaymentId,
    payment::AuditNote,
    ports::{PageRequest, PaymentFilter},
};
use time::PrimitiveDateTime;

use crate::{
    backend::{QueryFuture, SqlBackend},
    records::{AuditRow, CancelRow, NewAuditRow, PaymentRow},
};

/// Which payment to read: by its merchant-facing key or by its id.
#[derive(Debug, Clone)]
pub enum PaymentLookup {
    Key(String),
    Id(String),
}

/// The deadline a payment is due by, for [`PaymentStatements::due_payments`].
#[derive(Debug, Clone, Copy)]
pub enum Deadline {
    /// A READY payment's `expires_at`.
    Expiry,
    /// An APPROVED payment's `authorization_expires_at`.
    Authorization,
}

/// One method per statement on `payment` and `payment_log`.
pub trait PaymentStatements: SqlBackend {
    /// `SELECT … FROM payment WHERE payment_key = ? | payment_id = ? LIMIT 1`.
    fn find_payment(
        conn: &mut Self::Conn,
        lookup: PaymentLookup,
    ) -> impl QueryFuture<Option<PaymentRow>>;

    /// The filtered page of `PaymentStore::list`: newest first by `payment_id`, at most
    /// `limit + 1` rows.
    fn list_payments(
        conn: &mut Self::Conn,
        filter: &PaymentFilter,
        page: &PageRequest<PaymentId>,
    ) -> impl QueryFuture<Vec<PaymentRow>>;

    fn insert_payment(conn: &mut Self::Conn, row: &PaymentRow) -> impl QueryFuture<()>;

    /// The cancels of these payments, each payment's oldest first.
    fn cancel_rows(
        conn: &mut Self::Conn,
        payment_ids: Vec<String>,
    ) -> impl QueryFuture<Vec<CancelRow>>;

    fn insert_cancel(conn: &mut Self::Conn, row: &CancelRow) -> impl QueryFuture<()>;

    /// The versions of these payments (to tell whether they changed while their cancels were
    /// read).
    fn payment_versions(
        conn: &mut Self::Conn,
        payment_ids: Vec<String>,
    ) -> impl QueryFuture<Vec<(String, i64)>>;

    /// `UPDATE payment_cancel SET <what settling changes> WHERE cancel_id = ? AND payment_id =
    /// ?`; the number of matched rows (0: a new cancel, to insert).
    fn update_cancel(conn: &mut Self::Conn, row: &CancelRow) -> impl QueryFuture<usize>;

    fn insert_audit(conn: &mut Self::Conn, row: &NewAuditRow) -> impl QueryFuture<()>;

    /// `UPDATE payment SET <what a transition changes> WHERE payment_id = ? AND version = ?`;
    /// the number of matched rows.
    fn update_payment(
        conn: &mut Self::Conn,
        row: &PaymentRow,
        expected: i64,
    ) -> impl QueryFuture<usize>;

    /// [`raw::INSERT_NOTE`](crate::raw::INSERT_NOTE) for `payment`; the rows written (0: no
    /// such payment). `details` is cut to the column's 1024 characters.
    fn insert_note(
        conn: &mut Self::Conn,
        payment: &str,
        note: &AuditNote,
    ) -> impl QueryFuture<usize>;

    /// Keys of the payments due by `deadline` at `now`, earliest deadline first (ties by id):
    /// READY ones with `expires_at <= now`, or APPROVED ones with `authorization_expires_at <=
    /// now`.
    fn due_payments(
        conn: &mut Self::Conn,
        deadline: Deadline,
        now: PrimitiveDateTime,
        limit: u32,
    ) -> impl QueryFuture<Vec<String>>;

    /// The audit rows of one payment, oldest first.
    fn audit_rows(conn: &mut Self::Conn, payment_id: String) -> impl QueryFuture<Vec<AuditRow>>;
}

/// Expanded by [`sql_statements!`](crate::sql_statements).
#[doc(hidden)]
#[macro_export]
macro_rules! __payment_statements {
    ($backend:ty) => {
        impl PaymentStatements for $backend {
            async fn find_payment(
                conn: &mut Conn,
                lookup: PaymentLookup,
            ) -> QueryResult<Option<PaymentRow>> {
                let query = match lookup {
                    PaymentLookup::Key(key) => payment::table
                        .filter(payment::payment_key.eq(key))
                        .into_boxed(),
                    PaymentLookup::Id(id) => payment::table.find(id).into_boxed(),
                };
                query
                    .select(PaymentRow::as_select())
                    .first(conn)
                    .await
                    .optional()
            }

            async fn list_payments(
                conn: &mut Conn,
                filter: &domain::ports::PaymentFilter,
                page: &domain::ports::PageRequest<domain::ids::PaymentId>,
            ) -> QueryResult<Vec<PaymentRow>> {
                let mut query = payment::table.select(PaymentRow::as_select()).into_boxed();
                if let Some(client) = &filter.client_id {
                    query = query.filter(payment::client_id.eq(client.as_str().to_owned()));
                }
                if let Some(status) = filter.status {
                    query = query.filter(payment::status.eq(status.as_str()));
                }
                if let Some(order_no) = &filter.order_no {
                    query = query.filter(payment::order_no.eq(order_no.as_str().to_owned()));
                }
                if let Some(from) = filter.created_from {
                    query = query.filter(payment::created_at.ge(to_db_time(from)));
                }
                if let Some(to) = filter.created_to {
                    query = query.filter(payment::created_at.lt(to_db_time(to)));
                }
                if let Some(before) = &page.before {
                    query = query.filter(payment::payment_id.lt(before.to_string()));
                }
                query
                    .order(payment::payment_id.desc())
                    .limit(i64::from(page.limit) + 1)
                    .load(conn)
                    .await
            }

            async fn insert_payment(conn: &mut Conn, row: &PaymentRow) -> QueryResult<()> {
                insert(conn, payment::table, row).await
            }

            async fn cancel_rows(
                conn: &mut Conn,
                payment_ids: Vec<String>,
            ) -> QueryResult<Vec<CancelRow>> {
                // Padded: a few forms of the IN list (one payment's, a page's), each kept prepared.
                let payment_ids = $crate::cached::padded(payment_ids);
                $crate::cached::cached(
                    payment_cancel::table
                        .filter(payment_cancel::payment_id.eq_any(payment_ids))
                        .order((payment_cancel::payment_id.asc(), payment_cancel::seq.asc()))
                        .select(CancelRow::as_select()),
                )
                .load(conn)
                .await
            }

            async fn payment_versions(
                conn: &mut Conn,
                payment_ids: Vec<String>,
            ) -> QueryResult<Vec<(String, i64)>> {
                let payment_ids = $crate::cached::padded(payment_ids);
                $crate::cached::cached(
                    payment::table
                        .filter(payment::payment_id.eq_any(payment_ids))
                        .select((payment::payment_id, payment::version)),
                )
                .load(conn)
                .await
            }

            async fn insert_cancel(conn: &mut Conn, row: &CancelRow) -> QueryResult<()> {
                insert(conn, payment_cancel::table, row).await
            }

            async fn update_cancel(conn: &mut Conn, row: &CancelRow) -> QueryResult<usize> {
                use payment_cancel as c;
                $crate::cached::cached(
                    diesel::update(
                        c::table
                            .filter(c::cancel_id.eq(&row.cancel_id))
                            .filter(c::payment_id.eq(&row.payment_id)),
                    )
                    .set((
                        c::status.eq(&row.status),
                        c::acquirer_transaction_id.eq(&row.acquirer_transaction_id),
                        c::failure_code.eq(&row.failure_code),
                        c::failure_message.eq(&row.failure_message),
                        c::completed_at.eq(row.completed_at),
                    )),
                )
                .execute(conn)
                .await
            }

            async fn insert_audit(conn: &mut Conn, row: &NewAuditRow) -> QueryResult<()> {
                insert(conn, payment_log::table, row).await
            }

            async fn update_payment(
                conn: &mut Conn,
                row: &PaymentRow,
                expected: i64,
            ) -> QueryResult<usize> {
                $crate::cached::cached(
                    diesel::update(
                        payment::table
                            .filter(payment::payment_id.eq(&row.payment_id))
                            .filter(payment::version.eq(expected)),
                    )
                    .set((
                        payment::status.eq(&row.status),
                        payment::version.eq(row.version),
                        payment::transaction_id.eq(&row.transaction_id),
                        payment::failure_code.eq(&row.failure_code),
                        payment::failure_message.eq(&row.failure_message),
                        payment::cancel_reason.eq(&row.cancel_reason),
                        payment::updated_at.eq(row.updated_at),
                        payment::approved_at.eq(row.approved_at),
                        payment::completed_at.eq(row.completed_at),
                        payment::canceled_at.eq(row.canceled_at),
                        payment::failed_at.eq(row.failed_at),
                        payment::expires_at.eq(row.expires_at),
                        payment::canceled_amount.eq(row.canceled_amount),
                        payment::authorization_expires_at.eq(row.authorization_expires_at),
                    )),
                )
                .execute(conn)
                .await
            }

            async fn insert_note(
                conn: &mut Conn,
                payment: &str,
                note: &domain::payment::AuditNote,
            ) -> QueryResult<usize> {
                use diesel::sql_types::{Nullable, Text, Timestamp};
                diesel::sql_query($crate::raw::INSERT_NOTE)
                    .bind::<Text, _>(note.action.as_str())
                    .bind::<Text, _>(note.actor.as_str())
                    .bind::<Nullable<Text>, _>(
                        note.details
                            .as_deref()
                            .map(|d| truncate_chars(d, MAX_ERROR_CHARS)),
                    )
                    .bind::<Nullable<Text>, _>(note.request_id.as_ref().map(|r| r.as_str()))
                    .bind::<Timestamp, _>(to_db_time(note.at))
                    .bind::<Text, _>(payment)
                    .execute(conn)
                    .await
            }

            async fn due_payments(
                conn: &mut Conn,
                deadline: Deadline,
                now: PrimitiveDateTime,
                limit: u32,
            ) -> QueryResult<Vec<String>> {
                use domain::payment::PaymentStatus;
                let query = payment::table
                    .select(payment::payment_key)
                    .limit(i64::from(limit))
                    .into_boxed();
                match deadline {
                    Deadline::Expiry => query
                        .filter(payment::status.eq(PaymentStatus::Ready.as_str()))
                        .filter(payment::expires_at.le(now))
                        .order((payment::expires_at.asc(), payment::payment_id.asc())),
                    Deadline::Authorization => query
                        .filter(payment::status.eq(PaymentStatus::Approved.as_str()))
                        .filter(payment::authorization_expires_at.le(now))
                        .order((
                            payment::authorization_expires_at.asc(),
                            payment::payment_id.asc(),
                        )),
                }
                .load(conn)
                .await
            }

            async fn audit_rows(conn: &mut Conn, payment_id: String) -> QueryResult<Vec<AuditRow>> {
                payment_log::table
                    .filter(payment_log::payment_id.eq(payment_id))
                    .order(payment_log::log_id.asc())
                    .select(AuditRow::as_select())
                    .load(conn)
                    .await
            }
        }
    };
}
