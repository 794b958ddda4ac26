//! The money core's use cases: payments, merchants, request and webhook authentication, the
//! outbox dispatcher. Each service orchestrates ports; every business rule it applies is its own
//! or the aggregate's, none lives in handlers or SQL. Operator features are in
//! [`crate::operator`].

pub mod auth;
pub mod dispatcher;
pub mod merchants;
pub mod outbound;
pub mod payments;
pub mod people;
pub mod reconciliation;
pub mod settlement;
pub mod webhook_auth;

#[cfg(test)]
pub(crate) mod testkit;

use crate::ports::PageRequest;

/// One page of a listing, newest first.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_more: bool,
}

impl<T> Page<T> {
    /// The page of a listing that can find nothing.
    pub fn empty() -> Self {
        Self {
            items: Vec::new(),
            has_more: false,
        }
    }

    /// Builds a page from up to `limit + 1` rows fetched by a store.
    pub fn from_overfetch(mut rows: Vec<T>, limit: u32) -> Self {
        let limit = limit as usize;
        let has_more = rows.len() > limit;
        rows.truncate(limit);
        Self {
            items: rows,
            has_more,
        }
    }

    /// The cursor of the page after this one (the last item's, as `cursor` gives it), `None`
    /// when this is the last page.
    pub fn next_cursor<C>(&self, cursor: impl FnOnce(&T) -> C) -> Option<C> {
        if self.has_more {
            self.items.last().map(cursor)
        } else {
            None
        }
    }

    /// Asks `fetch` for the page of up to `limit` rows older than `before` (a store fetches one
    /// more, to tell whether more exist) and keeps `limit` of them.
    pub(crate) async fn fetch<C, E, Rows>(
        limit: u32,
        before: Option<C>,
        fetch: impl FnOnce(PageRequest<C>) -> Rows,
    ) -> Result<Self, E>
    where
        Rows: Future<Output = Result<Vec<T>, E>>,
    {
        let rows = fetch(PageRequest { limit, before }).await?;
        Ok(Self::from_overfetch(rows, limit))
    }
}

/// A page size: `1..=100`, 20 when absent.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Limit(u32);

impl Limit {
    pub const DEFAULT: Self = Self(20);
    /// The largest page.
    pub const MAX: Self = Self(100);

    pub fn parse(raw: i64) -> Result<Self, crate::validation::Invalid> {
        if (1..=100).contains(&raw) {
            Ok(Self(raw as u32))
        } else {
            Err(crate::validation::Invalid::new("must be between 1 and 100"))
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl Default for Limit {
    fn default() -> Self {
        Self::DEFAULT
    }
}
