//! Tailing the database for the live feed (api.md §8 `GET /admin/api/events`).
//!
//! Audit rows and delivery attempts carry increasing storage ids, but ids are handed out when a
//! row is inserted and become visible when its transaction commits, which is not always in id
//! order: a reader that has seen id 11 may see id 10 a moment later. So a reader remembers the
//! ids it skipped ("gaps") and asks for them again until they show up or [`GAP_PATIENCE`]
//! passes (a rolled-back insert leaves a gap that never fills).
//!
//! Most gaps never fill: on a Galera cluster ids step by the cluster size
//! (`auto_increment_increment` = 3), so every row leaves two ids no node will use. Asking for
//! each of them on every poll would re-query hundreds of ids twice a second. A gap is therefore
//! asked for again on a backoff (after [`FIRST_RECHECK`], then twice as long each time: a late
//! commit shows up within milliseconds, a dead id never), and one poll asks for at most
//! [`MAX_GAP_QUERY`] of them, the ones waiting longest first.

use std::{sync::Arc, time::Duration};

use crate::{
    RepositoryError, Timestamp,
    feed::{AttemptFeedEntry, AuditFeedEntry, FeedPosition},
    people::{Action, Denied, Principal},
    ports::{Clock, OperatorReads},
    service_struct::service_struct,
};

/// How long a skipped id is waited for.
pub const GAP_PATIENCE: Duration = Duration::from_secs(10);

/// At most this many skipped ids are remembered per kind (a larger jump is not waited for).
const MAX_GAPS: usize = 1000;

/// A skipped id is first asked for again this long after it was seen missing.
pub const FIRST_RECHECK: Duration = Duration::from_millis(250);

/// At most this many skipped ids are asked for in one poll, per kind.
pub const MAX_GAP_QUERY: usize = 64;

/// One item of the feed.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum FeedItem {
    Audit(AuditFeedEntry),
    Attempt(AttemptFeedEntry),
}

impl FeedItem {
    pub fn at(&self) -> Timestamp {
        match self {
            Self::Audit(a) => a.entry.record.at,
            Self::Attempt(a) => a.attempt.started_at,
        }
    }
}

/// An id skipped by the tail, waited for.
#[derive(Clone, Copy, Debug)]
struct Gap {
    id: u64,
    /// When it was first seen missing.
    since: Timestamp,
    /// How many times it was asked for and not found.
    checks: u32,
    /// When to ask for it next.
    due: Timestamp,
}

#[derive(Clone, Debug, Default)]
struct Track {
    last: u64,
    gaps: Vec<Gap>,
}

impl Track {
    /// Moves past `ids` (ascending, all above `last`), remembering the ones skipped.
    fn advance(&mut self, ids: impl IntoIterator<Item = u64>, now: Timestamp) {
        for id in ids {
            let skipped = id.saturating_sub(self.last).saturating_sub(1);
            if skipped > 0 && (skipped as usize) <= MAX_GAPS - self.gaps.len().min(MAX_GAPS) {
                self.gaps.extend((self.last + 1..id).map(|id| Gap {
                    id,
                    since: now,
                    checks: 0,
                    due: now.plus(FIRST_RECHECK),
                }));
            }
            self.last = self.last.max(id);
        }
    }

    /// The gaps to ask for now: due, waiting longest first, at most [`MAX_GAP_QUERY`].
    fn due_ids(&self, now: Timestamp) -> Vec<u64> {
        let mut due: Vec<&Gap> = self.gaps.iter().filter(|g| g.due <= now).collect();
        due.sort_by_key(|g| (g.since, g.id));
        due.iter().take(MAX_GAP_QUERY).map(|g| g.id).collect()
    }

    /// After asking for `asked`: forgets the ones `found` and those waited for long enough;
    /// the others are asked for again after twice the previous wait.
    fn settle(&mut self, asked: &[u64], found: &[u64], now: Timestamp) {
        self.gaps.retain_mut(|gap| {
            if found.contains(&gap.id) || now.distance(gap.since) >= GAP_PATIENCE {
                return false;
            }
            if asked.contains(&gap.id) {
                gap.checks += 1;
                gap.due = now.plus(FIRST_RECHECK * 2u32.saturating_pow(gap.checks));
            }
            true
        });
    }

    #[cfg(test)]
    fn gap_ids(&self) -> Vec<u64> {
        self.gaps.iter().map(|g| g.id).collect()
    }
}

/// Where one reader is in the feed.
#[derive(Clone, Debug, Default)]
pub struct FeedCursor {
    log: Track,
    attempts: Track,
}

impl FeedCursor {
    pub fn position(&self) -> FeedPosition {
        FeedPosition {
            log_id: self.log.last,
            attempt_id: self.attempts.last,
        }
    }
}

/// One poll's result.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct FeedBatch {
    /// Oldest first (by the time each row records).
    pub items: Vec<FeedItem>,
    /// A page was full: poll again at once rather than after the usual pause.
    pub more: bool,
}

service_struct! {
    pub struct LiveFeed {
        reads: Arc<dyn OperatorReads>,
        clock: Arc<dyn Clock>,
    }
    pub fn new;
}

impl LiveFeed {
    /// May `by` watch the feed? It shows every merchant's changes, so platform roles only.
    pub fn admit(by: &Principal) -> Result<(), Denied> {
        by.may(Action::LiveEvents, None)
    }

    /// A cursor after everything written so far ("from now on").
    pub async fn from_now(&self) -> Result<FeedCursor, RepositoryError> {
        Ok(self.after(FeedPosition {
            log_id: self.reads.last_log_id().await?,
            attempt_id: self.reads.last_attempt_id().await?,
        }))
    }

    /// A cursor after `position` (a reconnecting reader's last event id).
    pub fn after(&self, position: FeedPosition) -> FeedCursor {
        FeedCursor {
            log: Track {
                last: position.log_id,
                gaps: Vec::new(),
            },
            attempts: Track {
                last: position.attempt_id,
                gaps: Vec::new(),
            },
        }
    }

    /// What was written since the cursor's last poll (up to `limit` of each kind), moving it on.
    pub async fn poll(
        &self,
        cursor: &mut FeedCursor,
        limit: u32,
    ) -> Result<FeedBatch, RepositoryError> {
        let now = self.clock.now();
        let mut items = Vec::new();

        let mut audit = Vec::new();
        let gaps = cursor.log.due_ids(now);
        if !gaps.is_empty() {
            audit = self.reads.audit_by_ids(&gaps).await?;
        }
        let found: Vec<u64> = audit.iter().map(|a| a.entry.log_id).collect();
        cursor.log.settle(&gaps, &found, now);
        let fresh = self.reads.audit_since(cursor.log.last, limit).await?;
        let more_audit = fresh.len() >= limit as usize;
        cursor
            .log
            .advance(fresh.iter().map(|a| a.entry.log_id), now);
        audit.extend(fresh);
        items.extend(audit.into_iter().map(FeedItem::Audit));

        let mut attempts = Vec::new();
        let gaps = cursor.attempts.due_ids(now);
        if !gaps.is_empty() {
            attempts = self.reads.attempts_by_ids(&gaps).await?;
        }
        let found: Vec<u64> = attempts.iter().map(|a| a.id).collect();
        cursor.attempts.settle(&gaps, &found, now);
        let fresh = self
            .reads
            .attempts_since(cursor.attempts.last, limit)
            .await?;
        let more_attempts = fresh.len() >= limit as usize;
        cursor.attempts.advance(fresh.iter().map(|a| a.id), now);
        attempts.extend(fresh);
        items.extend(attempts.into_iter().map(FeedItem::Attempt));

        items.sort_by_key(FeedItem::at);
        Ok(FeedBatch {
            items,
            more: more_audit || more_attempts,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::{
        ids::{ClientId, PaymentKey},
        payment::{Actor, AuditAction, AuditEntry, AuditRecord, PaymentStatus},
        ports::{MockClock, MockOperatorReads},
        services::testkit::t0,
    };

    fn row(log_id: u64) -> AuditFeedEntry {
        AuditFeedEntry {
            entry: AuditEntry {
                log_id,
                record: AuditRecord {
                    action: AuditAction::Create,
                    from_status: None,
                    status: PaymentStatus::Ready,
                    actor: Actor::Merchant,
                    details: None,
                    request_id: None,
                    at: t0(),
                    from_version: None,
                },
            },
            payment_key: PaymentKey::from_bytes([1; 32]),
            client_id: ClientId::parse("mch_a").unwrap(),
        }
    }

    fn ids(batch: &FeedBatch) -> Vec<u64> {
        batch
            .items
            .iter()
            .filter_map(|i| match i {
                FeedItem::Audit(a) => Some(a.entry.log_id),
                FeedItem::Attempt(_) => None,
            })
            .collect()
    }

    /// A store whose visible rows are set by the test between polls.
    fn feed(visible: Arc<Mutex<Vec<u64>>>, clock: Arc<Mutex<Timestamp>>) -> LiveFeed {
        feed_counting(visible, clock, Arc::default())
    }

    /// [`feed`], recording how many ids each gap query asks for.
    fn feed_counting(
        visible: Arc<Mutex<Vec<u64>>>,
        clock: Arc<Mutex<Timestamp>>,
        asked: Arc<Mutex<Vec<usize>>>,
    ) -> LiveFeed {
        let mut reads = MockOperatorReads::new();
        let v = visible.clone();
        reads.expect_audit_since().returning(move |after, limit| {
            let rows = v.lock().unwrap();
            Ok(rows
                .iter()
                .filter(|id| **id > after)
                .take(limit as usize)
                .map(|id| row(*id))
                .collect())
        });
        reads.expect_audit_by_ids().returning(move |ids| {
            asked.lock().unwrap().push(ids.len());
            let rows = visible.lock().unwrap();
            Ok(rows
                .iter()
                .filter(|id| ids.contains(id))
                .map(|id| row(*id))
                .collect())
        });
        reads
            .expect_attempts_since()
            .returning(|_, _| Ok(Vec::new()));
        reads.expect_attempts_by_ids().returning(|_| Ok(Vec::new()));
        let mut c = MockClock::new();
        c.expect_now().returning(move || *clock.lock().unwrap());
        LiveFeed::new(Arc::new(reads), Arc::new(c))
    }

    #[tokio::test]
    async fn a_row_committed_late_with_a_lower_id_is_still_delivered_once() {
        let visible = Arc::new(Mutex::new(vec![1, 3]));
        let clock = Arc::new(Mutex::new(t0()));
        let feed = feed(visible.clone(), clock.clone());
        let mut cursor = feed.after(FeedPosition::default());
        assert_eq!(ids(&feed.poll(&mut cursor, 10).await.unwrap()), vec![1, 3]);
        visible.lock().unwrap().extend([2, 4]);
        *clock.lock().unwrap() = t0().plus(FIRST_RECHECK);
        let mut second = ids(&feed.poll(&mut cursor, 10).await.unwrap());
        second.sort_unstable();
        assert_eq!(second, vec![2, 4]);
        assert!(feed.poll(&mut cursor, 10).await.unwrap().items.is_empty());
        assert_eq!(cursor.position().log_id, 4);
    }

    #[tokio::test]
    async fn a_gap_that_never_fills_is_given_up_after_the_patience() {
        let visible = Arc::new(Mutex::new(vec![1, 3]));
        let clock = Arc::new(Mutex::new(t0()));
        let feed = feed(visible.clone(), clock.clone());
        let mut cursor = feed.after(FeedPosition::default());
        feed.poll(&mut cursor, 10).await.unwrap();
        assert_eq!(cursor.log.gap_ids(), vec![2]);
        *clock.lock().unwrap() = t0().plus(GAP_PATIENCE);
        feed.poll(&mut cursor, 10).await.unwrap();
        assert!(cursor.log.gap_ids().is_empty());
        visible.lock().unwrap().push(2);
        assert!(feed.poll(&mut cursor, 10).await.unwrap().items.is_empty());
    }

    #[tokio::test]
    async fn ids_a_cluster_never_uses_are_asked_for_a_few_times_on_a_backoff_not_on_every_poll() {
        // A Galera node's ids step by 3: 200 rows leave 400 ids that never fill.
        let visible = Arc::new(Mutex::new(
            (0..200).map(|n| 3 * n + 1).collect::<Vec<u64>>(),
        ));
        let clock = Arc::new(Mutex::new(t0()));
        let asked = Arc::new(Mutex::new(Vec::<usize>::new()));
        let feed = feed_counting(visible, clock.clone(), asked.clone());
        let mut cursor = feed.after(FeedPosition::default());

        let poll_every = Duration::from_millis(500);
        let polls = (GAP_PATIENCE.as_millis() / poll_every.as_millis()) as u32 + 2;
        for n in 0..polls {
            *clock.lock().unwrap() = t0().plus(poll_every * n);
            feed.poll(&mut cursor, 1000).await.unwrap();
        }

        let asked = asked.lock().unwrap();
        assert!(
            asked.iter().all(|&n| n <= MAX_GAP_QUERY),
            "one poll asks for at most {MAX_GAP_QUERY} ids: {asked:?}"
        );
        let total: usize = asked.iter().sum();
        assert!(
            total <= 400 * 6,
            "each dead id is asked for a handful of times, not {} times: {total} in all",
            polls
        );
        assert!(
            cursor.log.gap_ids().is_empty(),
            "given up after the patience"
        );
    }

    #[tokio::test]
    async fn a_full_page_asks_for_another_poll() {
        let visible = Arc::new(Mutex::new(vec![1, 2, 3]));
        let feed = feed(visible, Arc::new(Mutex::new(t0())));
        let mut cursor = feed.after(FeedPosition::default());
        let batch = feed.poll(&mut cursor, 2).await.unwrap();
        assert!(batch.more);
        assert_eq!(ids(&batch), vec![1, 2]);
        let batch = feed.poll(&mut cursor, 2).await.unwrap();
        assert!(!batch.more);
        assert_eq!(ids(&batch), vec![3]);
    }
}
