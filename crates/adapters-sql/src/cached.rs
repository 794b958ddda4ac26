//! Prepared statements kept per connection for the statements the payment flow runs on every
//! request (issue 19): without this each of them costs one more round trip to the database.
//!
//! diesel keeps a prepared statement only when a statement's *type* promises that its SQL text
//! never changes. Every `UPDATE`, every `INSERT` of a record with an optional column (it may
//! write `DEFAULT`), every `IN (…)` and every `sql_query` fails that promise, so diesel-async
//! prepares such a statement, runs it once and closes it: `Prepare` + `Execute` where one
//! `Execute` would do. Measured on one flow (the MariaDB general log): 46 `Prepare`s beside
//! about 60 statements.
//!
//! [`cached`] marks a statement for diesel's cache under its **SQL text** (and bind types)
//! instead of its type, which is always correct: two statements with the same text are the same
//! prepared statement. What diesel guards against is an unbounded cache: a statement whose text
//! takes unboundedly many forms (an `IN` over a caller's list, a multi-row insert of any length)
//! would fill the server's `max_prepared_stmt_count`. So only statements whose text has a few
//! fixed forms are marked: single-record inserts (one form per set of `NULL` optionals), updates
//! with fixed `SET` lists, fixed `sql_query` texts, and `IN` lists padded to a power of two
//! ([`padded`]). See docs/adr/0027-round-trips.md.

use diesel::{
    QueryResult,
    backend::Backend,
    query_builder::{AstPass, Query, QueryFragment, QueryId},
};

/// `query`, kept prepared on its connection and reused by its SQL text.
pub fn cached<Q>(query: Q) -> BySqlText<Q> {
    BySqlText(query)
}

/// See [`cached`].
#[derive(Debug, Clone, Copy)]
pub struct BySqlText<Q>(Q);

impl<Q> QueryId for BySqlText<Q> {
    type QueryId = ();
    /// No static id: diesel then keys its cache by the statement's SQL text.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q, DB> QueryFragment<DB> for BySqlText<Q>
where
    Q: QueryFragment<DB>,
    DB: Backend,
{
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    fn is_safe_to_cache_prepared(&self, _backend: &DB) -> QueryResult<bool> {
        Ok(true)
    }
}

impl<Q: Query> Query for BySqlText<Q> {
    type SqlType = Q::SqlType;
}

/// `keys` padded to the next power of two by repeating the last one, so that an `IN (…)` over
/// them takes one of a few forms (1, 2, 4, … keys) and can be kept prepared: a repeated key
/// matches no more rows than the key once.
pub fn padded<T: Clone>(mut keys: Vec<T>) -> Vec<T> {
    if let Some(last) = keys.last().cloned() {
        keys.resize(keys.len().next_power_of_two(), last);
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::padded;

    #[test]
    fn keys_are_padded_to_a_power_of_two_with_the_last_key() {
        assert_eq!(padded::<i64>(vec![]), Vec::<i64>::new());
        assert_eq!(padded(vec![7]), vec![7]);
        assert_eq!(padded(vec![1, 2, 3]), vec![1, 2, 3, 3]);
        assert_eq!(padded(vec![1, 2, 3, 4, 5]), vec![1, 2, 3, 4, 5, 5, 5, 5]);
        assert_eq!(padded((1..=8).collect()), (1..=8).collect::<Vec<i64>>());
    }
}
