//! The hand-written SQL statements (what diesel's DSL cannot say, or says less clearly) and the
//! rows they return. Where the dialects spell something differently, the text is built from the
//! adapter's [`Dialect`]; everything else is one constant for both.

use diesel::{
    QueryableByName,
    sql_types::{BigInt, Date, Integer, Nullable, Text, Timestamp},
};

use crate::Dialect;

/// A note appended to a payment's audit trail: `status` copied from the payment row by the same
/// statement. Binds: action, actor, details, request id, created at, payment id.
pub const INSERT_NOTE: &str = "INSERT INTO payment_log \
         (payment_id, action, from_status, status, actor, details, request_id, from_version, created_at) \
     SELECT p.payment_id, ?, NULL, p.status, ?, ?, ?, NULL, ? \
     FROM payment p WHERE p.payment_id = ?";

/// The non-locking first step of an outbox claim. Binds: now (three times), how many.
pub const CLAIM_CANDIDATES: &str = "SELECT e.seq AS seq FROM outbox_event e \
     WHERE e.state = 'PENDING' AND e.next_attempt_at <= ? AND e.not_before <= ? \
       AND (e.lease_until IS NULL OR e.lease_until < ?) \
       AND (e.kind <> 'MERCHANT_NOTIFICATION' OR NOT EXISTS ( \
             SELECT 1 FROM outbox_event o \
             WHERE o.payment_id = e.payment_id AND o.kind = 'MERCHANT_NOTIFICATION' \
               AND o.state = 'PENDING' AND o.seq < e.seq)) \
     ORDER BY e.next_attempt_at, e.seq \
     LIMIT ?";

/// The outbox backlog (`domain::outbox::OutboxBacklog`): PENDING messages that are due and
/// free to send (not held behind an earlier PENDING notification of the same payment, the rule
/// of [`CLAIM_CANDIDATES`]) with the earliest instant one became due; those retrying (≥ 1
/// attempt and not due yet, or held) with the oldest creation time; and the DEAD ones. Binds:
/// now (twice), client id (twice), kind (twice); a NULL client id or kind counts every one.
pub fn backlog<D: Dialect>() -> String {
    let sendable = "b.pending = 1 AND b.due = 1 AND b.held = 0";
    let retrying = format!("b.pending = 1 AND NOT ({sendable}) AND (b.attempts > 0 OR b.held = 1)");
    format!(
        "SELECT COUNT(CASE WHEN {sendable} THEN 1 END) AS due_n, \
                MIN(CASE WHEN {sendable} THEN b.due_at END) AS due_oldest, \
                COUNT(CASE WHEN {retrying} THEN 1 END) AS retrying_n, \
                MIN(CASE WHEN {retrying} THEN b.created_at END) AS retrying_oldest, \
                COUNT(CASE WHEN b.pending = 0 THEN 1 END) AS dead_n \
         FROM (SELECT e.attempts AS attempts, e.created_at AS created_at, \
                 CASE WHEN e.state = 'PENDING' THEN 1 ELSE 0 END AS pending, \
                 {greatest}(e.next_attempt_at, e.not_before) AS due_at, \
                 CASE WHEN e.next_attempt_at <= ? AND e.not_before <= ? THEN 1 ELSE 0 END AS due, \
                 CASE WHEN e.kind = 'MERCHANT_NOTIFICATION' AND EXISTS ( \
                     SELECT 1 FROM outbox_event o \
                     WHERE o.payment_id = e.payment_id AND o.kind = 'MERCHANT_NOTIFICATION' \
                       AND o.state = 'PENDING' AND o.seq < e.seq) THEN 1 ELSE 0 END AS held \
               FROM outbox_event e WHERE e.state IN ('PENDING', 'DEAD') \
                 AND (? IS NULL OR e.client_id = ?) AND (? IS NULL OR e.kind = ?)) b",
        greatest = D::GREATEST
    )
}

/// How a statistics query groups `payment`.
#[derive(Debug, Clone, Copy)]
pub enum StatsGrouping {
    Overall,
    ByDay,
    ByMerchant,
}

/// One statistics query over `payment`. Binds: client id (twice), from (twice), to (twice); the
/// filter is written so that the binds are the same whatever is set (`? IS NULL OR …`).
pub fn stats<D: Dialect>(grouping: StatsGrouping) -> String {
    let cell = format!(
        "p.status AS status, CAST(p.approved_at IS NOT NULL AS {int}) AS was_approved, \
         p.currency AS currency, COUNT(*) AS n, CAST(SUM(p.amount) AS {int}) AS total, \
         CAST(SUM(p.canceled_amount) AS {int}) AS canceled",
        int = D::INTEGER_CAST
    );
    let filter = "WHERE (? IS NULL OR p.client_id = ?) \
       AND (? IS NULL OR p.created_at >= ?) AND (? IS NULL OR p.created_at < ?)";
    let group = "p.status, was_approved, p.currency";
    match grouping {
        StatsGrouping::Overall => {
            format!("SELECT {cell} FROM payment p {filter} GROUP BY {group}")
        }
        StatsGrouping::ByDay => format!(
            "SELECT DATE(p.created_at) AS day, {cell} FROM payment p {filter} \
             GROUP BY day, {group} ORDER BY day"
        ),
        StatsGrouping::ByMerchant => format!(
            "SELECT p.client_id AS client_id, {cell} FROM payment p {filter} \
             GROUP BY p.client_id, {group} ORDER BY p.client_id"
        ),
    }
}

/// Whether the newest embedded migration is applied. Binds: its version.
pub const MIGRATION_APPLIED: &str =
    "SELECT COUNT(*) AS n FROM __diesel_schema_migrations WHERE version = ?";

#[derive(QueryableByName)]
pub struct Seq {
    #[diesel(sql_type = BigInt)]
    pub seq: i64,
}

#[derive(QueryableByName)]
pub struct Backlog {
    #[diesel(sql_type = BigInt)]
    pub due_n: i64,
    #[diesel(sql_type = Nullable<Timestamp>)]
    pub due_oldest: Option<time::PrimitiveDateTime>,
    #[diesel(sql_type = BigInt)]
    pub retrying_n: i64,
    #[diesel(sql_type = Nullable<Timestamp>)]
    pub retrying_oldest: Option<time::PrimitiveDateTime>,
    #[diesel(sql_type = BigInt)]
    pub dead_n: i64,
}

#[derive(QueryableByName)]
pub struct One {
    #[diesel(sql_type = Integer)]
    pub one: i32,
}

#[derive(QueryableByName)]
pub struct Count {
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

/// One cell of the statistics: a (status, approved?, currency) group.
#[derive(QueryableByName)]
pub struct CellRow {
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = BigInt)]
    pub was_approved: i64,
    #[diesel(sql_type = Text)]
    pub currency: String,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
    #[diesel(sql_type = BigInt)]
    pub total: i64,
    #[diesel(sql_type = BigInt)]
    pub canceled: i64,
}

#[derive(QueryableByName)]
pub struct DayCellRow {
    #[diesel(sql_type = Date)]
    pub day: time::Date,
    #[diesel(embed)]
    pub cell: CellRow,
}

#[derive(QueryableByName)]
pub struct MerchantCellRow {
    #[diesel(sql_type = Text)]
    pub client_id: String,
    #[diesel(embed)]
    pub cell: CellRow,
}
