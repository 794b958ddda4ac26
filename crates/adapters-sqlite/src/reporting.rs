//! Read-only queries for operators: payment statistics (`GROUP BY`) and the live feed (audit
//! rows and delivery attempts tailed by their increasing ids).

use diesel::{
    ExpressionMethods, JoinOnDsl, NullableExpressionMethods, QueryDsl, QueryableByName,
    SelectableHelper,
    sql_types::{BigInt, Date, Nullable, Text, Timestamp as SqlTimestamp},
};
use diesel_async::RunQueryDsl;
use domain::{
    RepositoryError,
    feed::{AttemptFeedEntry, AuditFeedEntry},
    ids::{ClientId, PaymentKey},
    money::Currency,
    outbox::{DeliveryAttempt, OutboxKind},
    payment::{AuditEntry, PaymentStatus},
    stats::{StatsBreakdown, StatsCell, StatsFilter},
};

use crate::{
    error::{corrupt, db_error, pool_error},
    pool::Pool,
    rows::{AttemptRow, AuditRow, narrow, to_db_time, wide},
    schema::{delivery_attempt, outbox_event, payment, payment_log},
};

// ---------------------------------------------------------------------------------------------
// statistics

#[derive(QueryableByName)]
struct CellRow {
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = BigInt)]
    was_approved: i64,
    #[diesel(sql_type = Text)]
    currency: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
    #[diesel(sql_type = BigInt)]
    total: i64,
}

#[derive(QueryableByName)]
struct DayCellRow {
    #[diesel(sql_type = Date)]
    day: time::Date,
    #[diesel(embed)]
    cell: CellRow,
}

#[derive(QueryableByName)]
struct MerchantCellRow {
    #[diesel(sql_type = Text)]
    client_id: String,
    #[diesel(embed)]
    cell: CellRow,
}

impl CellRow {
    fn cell(self) -> Result<StatsCell, RepositoryError> {
        let bad = |what: String| corrupt("payment", "(stats)", what);
        Ok(StatsCell {
            status: PaymentStatus::parse(&self.status).map_err(|e| bad(format!("status {e}")))?,
            was_approved: self.was_approved != 0,
            currency: Currency::parse(&self.currency).map_err(|e| bad(format!("currency {e}")))?,
            count: u64::try_from(self.n).unwrap_or(0),
            amount: self.total,
        })
    }
}

/// The columns every statistics query selects, after its own grouping column(s).
const CELL_COLUMNS: &str = "p.status AS status, CAST(p.approved_at IS NOT NULL AS INTEGER) AS was_approved, \
     p.currency AS currency, COUNT(*) AS n, CAST(SUM(p.amount) AS INTEGER) AS total";

/// The filter, written so that the binds are the same whatever is set (`? IS NULL OR …`).
const WHERE: &str = "WHERE (? IS NULL OR p.client_id = ?) \
       AND (? IS NULL OR p.created_at >= ?) AND (? IS NULL OR p.created_at < ?)";

const GROUP: &str = "p.status, was_approved, p.currency";

macro_rules! filtered {
    ($sql:expr, $filter:expr) => {{
        let client = $filter.client_id.as_ref().map(|c| c.as_str().to_owned());
        let from = $filter.from.map(to_db_time);
        let to = $filter.to.map(to_db_time);
        diesel::sql_query($sql)
            .bind::<Nullable<Text>, _>(client.clone())
            .bind::<Nullable<Text>, _>(client)
            .bind::<Nullable<SqlTimestamp>, _>(from)
            .bind::<Nullable<SqlTimestamp>, _>(from)
            .bind::<Nullable<SqlTimestamp>, _>(to)
            .bind::<Nullable<SqlTimestamp>, _>(to)
    }};
}

/// Three `GROUP BY` queries over `payment`: overall, per `DATE(created_at)` (instants are stored
/// in UTC) and per merchant.
pub(crate) async fn stats(
    pool: &Pool,
    filter: &StatsFilter,
) -> Result<StatsBreakdown, RepositoryError> {
    let mut conn = pool.get().await.map_err(pool_error)?;
    let overall: Vec<CellRow> = filtered!(
        format!("SELECT {CELL_COLUMNS} FROM payment p {WHERE} GROUP BY {GROUP}"),
        filter
    )
    .load(&mut conn)
    .await
    .map_err(db_error)?;
    let by_day: Vec<DayCellRow> = filtered!(
        format!(
            "SELECT DATE(p.created_at) AS day, {CELL_COLUMNS} FROM payment p {WHERE} \
             GROUP BY day, {GROUP} ORDER BY day"
        ),
        filter
    )
    .load(&mut conn)
    .await
    .map_err(db_error)?;
    let by_merchant: Vec<MerchantCellRow> = filtered!(
        format!(
            "SELECT p.client_id AS client_id, {CELL_COLUMNS} FROM payment p {WHERE} \
             GROUP BY p.client_id, {GROUP} ORDER BY p.client_id"
        ),
        filter
    )
    .load(&mut conn)
    .await
    .map_err(db_error)?;
    Ok(StatsBreakdown {
        overall: overall
            .into_iter()
            .map(CellRow::cell)
            .collect::<Result<_, _>>()?,
        by_day: by_day
            .into_iter()
            .map(|r| Ok((r.day, r.cell.cell()?)))
            .collect::<Result<_, RepositoryError>>()?,
        by_merchant: by_merchant
            .into_iter()
            .map(|r| {
                let client = ClientId::parse(&r.client_id)
                    .map_err(|e| corrupt("payment", &r.client_id, format_args!("client_id {e}")))?;
                Ok((client, r.cell.cell()?))
            })
            .collect::<Result<_, RepositoryError>>()?,
    })
}

// ---------------------------------------------------------------------------------------------
// live feed: audit rows

fn audit_entry(
    (row, key, client): (AuditRow, String, String),
) -> Result<AuditFeedEntry, RepositoryError> {
    let id = row.log_id.to_string();
    Ok(AuditFeedEntry {
        payment_key: PaymentKey::parse(&key)
            .map_err(|e| corrupt("payment", &key, format_args!("payment_key {e}")))?,
        client_id: ClientId::parse(&client)
            .map_err(|e| corrupt("payment_log", &id, format_args!("client_id {e}")))?,
        entry: AuditEntry::try_from(row)?,
    })
}

macro_rules! audit_feed_query {
    () => {
        payment_log::table
            .inner_join(payment::table)
            .select((
                AuditRow::as_select(),
                payment::payment_key,
                payment::client_id,
            ))
            .order(payment_log::log_id.asc())
    };
}

/// `payment_log JOIN payment WHERE log_id > after ORDER BY log_id LIMIT limit`.
pub(crate) async fn audit_since(
    pool: &Pool,
    after: u64,
    limit: u32,
) -> Result<Vec<AuditFeedEntry>, RepositoryError> {
    let mut conn = pool.get().await.map_err(pool_error)?;
    let rows: Vec<(AuditRow, String, String)> = audit_feed_query!()
        .filter(payment_log::log_id.gt(wide(after)))
        .limit(i64::from(limit))
        .load(&mut conn)
        .await
        .map_err(db_error)?;
    rows.into_iter().map(audit_entry).collect()
}

pub(crate) async fn audit_by_ids(
    pool: &Pool,
    ids: &[u64],
) -> Result<Vec<AuditFeedEntry>, RepositoryError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut conn = pool.get().await.map_err(pool_error)?;
    let rows: Vec<(AuditRow, String, String)> = audit_feed_query!()
        .filter(payment_log::log_id.eq_any(ids.iter().map(|&i| wide(i)).collect::<Vec<_>>()))
        .load(&mut conn)
        .await
        .map_err(db_error)?;
    rows.into_iter().map(audit_entry).collect()
}

pub(crate) async fn last_log_id(pool: &Pool) -> Result<u64, RepositoryError> {
    let mut conn = pool.get().await.map_err(pool_error)?;
    let max: Option<i64> = payment_log::table
        .select(diesel::dsl::max(payment_log::log_id))
        .first(&mut conn)
        .await
        .map_err(db_error)?;
    Ok(max.map_or(0, narrow))
}

// ---------------------------------------------------------------------------------------------
// live feed: delivery attempts

type AttemptFeedRow = (
    AttemptRow,
    String,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
);

fn attempt_entry(
    (row, kind, event_type, target_url, client, key): AttemptFeedRow,
) -> Result<AttemptFeedEntry, RepositoryError> {
    let id = row.id;
    let k = id.to_string();
    let bad = |what: String| corrupt("delivery_attempt", &k, what);
    Ok(AttemptFeedEntry {
        id: narrow(id),
        kind: OutboxKind::parse(&kind).ok_or_else(|| bad(format!("unknown kind {kind:?}")))?,
        event_type,
        target_url,
        client_id: client
            .as_deref()
            .map(ClientId::parse)
            .transpose()
            .map_err(|e| bad(format!("client_id {e}")))?,
        payment_key: key
            .as_deref()
            .map(PaymentKey::parse)
            .transpose()
            .map_err(|e| bad(format!("payment_key {e}")))?,
        attempt: DeliveryAttempt::try_from(row)?,
    })
}

macro_rules! attempt_feed_query {
    () => {
        delivery_attempt::table
            .inner_join(
                outbox_event::table.on(outbox_event::event_id.eq(delivery_attempt::event_id)),
            )
            .left_join(
                payment::table.on(outbox_event::payment_id.eq(payment::payment_id.nullable())),
            )
            .select((
                AttemptRow::as_select(),
                outbox_event::kind,
                outbox_event::event_type,
                outbox_event::target_url,
                outbox_event::client_id,
                payment::payment_key.nullable(),
            ))
            .order(delivery_attempt::id.asc())
    };
}

pub(crate) async fn attempts_since(
    pool: &Pool,
    after: u64,
    limit: u32,
) -> Result<Vec<AttemptFeedEntry>, RepositoryError> {
    let mut conn = pool.get().await.map_err(pool_error)?;
    let rows: Vec<AttemptFeedRow> = attempt_feed_query!()
        .filter(delivery_attempt::id.gt(wide(after)))
        .limit(i64::from(limit))
        .load(&mut conn)
        .await
        .map_err(db_error)?;
    rows.into_iter().map(attempt_entry).collect()
}

pub(crate) async fn attempts_by_ids(
    pool: &Pool,
    ids: &[u64],
) -> Result<Vec<AttemptFeedEntry>, RepositoryError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut conn = pool.get().await.map_err(pool_error)?;
    let rows: Vec<AttemptFeedRow> = attempt_feed_query!()
        .filter(delivery_attempt::id.eq_any(ids.iter().map(|&i| wide(i)).collect::<Vec<_>>()))
        .load(&mut conn)
        .await
        .map_err(db_error)?;
    rows.into_iter().map(attempt_entry).collect()
}

pub(crate) async fn last_attempt_id(pool: &Pool) -> Result<u64, RepositoryError> {
    let mut conn = pool.get().await.map_err(pool_error)?;
    let max: Option<i64> = delivery_attempt::table
        .select(diesel::dsl::max(delivery_attempt::id))
        .first(&mut conn)
        .await
        .map_err(db_error)?;
    Ok(max.map_or(0, narrow))
}
