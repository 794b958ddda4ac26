//! A [`SeededDay`] on a MariaDB connection: its statements run, and its batches read back with
//! what their stored lines add up to (the settlement benchmark and the crash test of a
//! settlement run both check a run by these).

use diesel::{
    QueryResult, QueryableByName,
    sql_types::{BigInt, Text},
};
use diesel_async::{AsyncMysqlConnection, RunQueryDsl};

use crate::settlement_day::{ExpectedBatch, SeededDay};

/// Runs the day's `INSERT`s.
pub async fn seed(conn: &mut AsyncMysqlConnection, day: &SeededDay) -> QueryResult<()> {
    for statement in day.statements() {
        diesel::sql_query(statement).execute(conn).await?;
    }
    Ok(())
}

/// A stored batch as its header says, and as its stored lines add up.
#[derive(QueryableByName, Debug)]
pub struct StoredBatch {
    #[diesel(sql_type = Text)]
    pub client_id: String,
    #[diesel(sql_type = BigInt)]
    pub gross: i64,
    #[diesel(sql_type = BigInt)]
    pub fees: i64,
    #[diesel(sql_type = BigInt)]
    pub net: i64,
    #[diesel(sql_type = BigInt)]
    pub line_count: i64,
    #[diesel(sql_type = BigInt)]
    pub lines_gross: i64,
    #[diesel(sql_type = BigInt)]
    pub lines_fees: i64,
    #[diesel(sql_type = BigInt)]
    pub lines_net: i64,
    /// The lines actually stored.
    #[diesel(sql_type = BigInt)]
    pub stored_lines: i64,
}

impl StoredBatch {
    /// What the batch's header says.
    pub fn header(&self) -> ExpectedBatch {
        ExpectedBatch {
            client_id: self.client_id.clone(),
            gross: self.gross,
            fees: self.fees,
            net: self.net,
            lines: self.line_count,
        }
    }

    /// What the batch's stored lines add up to.
    pub fn sum_of_lines(&self) -> ExpectedBatch {
        ExpectedBatch {
            client_id: self.client_id.clone(),
            gross: self.lines_gross,
            fees: self.lines_fees,
            net: self.lines_net,
            lines: self.stored_lines,
        }
    }
}

/// The batches of `date` (`YYYY-MM-DD`), by client id.
pub async fn stored_batches(
    conn: &mut AsyncMysqlConnection,
    date: &str,
) -> QueryResult<Vec<StoredBatch>> {
    diesel::sql_query(
        "SELECT b.client_id AS client_id, b.gross AS gross, b.fees AS fees, b.net AS net, \
                b.line_count AS line_count, \
                CAST(COALESCE(SUM(l.amount), 0) AS SIGNED) AS lines_gross, \
                CAST(COALESCE(SUM(l.fee), 0) AS SIGNED) AS lines_fees, \
                CAST(COALESCE(SUM(l.net), 0) AS SIGNED) AS lines_net, \
                COUNT(l.seq) AS stored_lines \
         FROM settlement_batch b LEFT JOIN settlement_line l ON l.settlement_id = b.settlement_id \
         WHERE b.settlement_date = ? \
         GROUP BY b.settlement_id, b.client_id, b.gross, b.fees, b.net, b.line_count \
         ORDER BY b.client_id",
    )
    .bind::<Text, _>(date)
    .load(conn)
    .await
}
