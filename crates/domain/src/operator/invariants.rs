//! Invariants that must hold for every payment at any time (architecture.md §3), as a pure
//! checker plus a service that runs it over a whole store (`simplepg check`, and the
//! concurrency tests).

use std::{collections::HashSet, fmt, sync::Arc};

use crate::{
    RepositoryError,
    ids::PaymentKey,
    outbox::{DeliveryFilter, OutboxKind},
    payment::{AuditAction, AuditEntry, CancelStatus, Payment, PaymentStatus, TransitionKind},
    ports::{MerchantStore, OperatorReads, PageRequest, PaymentFilter, PaymentStore},
    service_struct::service_struct,
    services::{Page, outbound::event_type},
};

/// One broken invariant of one payment.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Violation {
    pub payment: PaymentKey,
    pub rule: &'static str,
    pub detail: String,
}

impl Violation {
    /// `payment` breaks `rule`, as `detail` says.
    fn of(payment: &Payment, rule: &'static str, detail: String) -> Self {
        Self {
            payment: payment.key.clone(),
            rule,
            detail,
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "payment {}: {}: {}",
            self.payment, self.rule, self.detail
        )
    }
}

/// Checks one payment against its audit trail (oldest first):
/// - the trail starts with exactly one CREATE into READY;
/// - every transition row is legal (the table of api.md §3) and starts where the previous
///   transition ended;
/// - the last transition's status is the payment's status;
/// - at most one APPROVE;
/// - no two transitions from the same version, and as many transitions as the payment's version.
pub fn check_trail(payment: &Payment, trail: &[AuditEntry]) -> Vec<Violation> {
    let mut out = Vec::new();
    let mut violation = |rule, detail| out.push(Violation::of(payment, rule, detail));
    let creates = trail
        .iter()
        .filter(|e| e.record.action == AuditAction::Create)
        .count();
    match trail.first() {
        Some(first)
            if first.record.action == AuditAction::Create
                && first.record.status == PaymentStatus::Ready
                && creates == 1 => {}
        _ => violation(
            "starts-with-one-create",
            format!("{creates} CREATE rows; the first row must be CREATE into READY"),
        ),
    }
    let mut current = PaymentStatus::Ready;
    let mut versions = HashSet::new();
    let mut transitions = 0u32;
    let mut approvals = 0;
    for entry in trail {
        let r = &entry.record;
        let AuditAction::Transition(kind) = r.action else {
            continue;
        };
        transitions += 1;
        if kind == TransitionKind::Approve {
            approvals += 1;
        }
        if r.from_status != Some(current) {
            violation(
                "chained",
                format!(
                    "log {} starts from {:?} but the payment was {current}",
                    entry.log_id, r.from_status
                ),
            );
        }
        let from = r.from_status.unwrap_or(current);
        if kind.target(from) != Some(r.status) {
            violation(
                "legal-transition",
                format!(
                    "log {}: {} from {from} to {} is not in the table",
                    entry.log_id, r.action, r.status
                ),
            );
        }
        match r.from_version {
            Some(v) if !versions.insert(v) => violation(
                "one-transition-per-version",
                format!("version {v} was left twice"),
            ),
            Some(_) => {}
            None => violation(
                "one-transition-per-version",
                format!("log {} has no from_version", entry.log_id),
            ),
        }
        current = r.status;
    }
    if current != payment.status {
        violation(
            "last-row-matches-status",
            format!(
                "the audit trail ends in {current} but the payment is {}",
                payment.status
            ),
        );
    }
    if approvals > 1 {
        violation("at-most-one-approve", format!("{approvals} APPROVE rows"));
    }
    let versioned = trail
        .iter()
        .filter(|e| e.record.action.is_versioned())
        .count();
    if u32::try_from(versioned) != Ok(payment.version) {
        violation(
            "version-counts-changes",
            format!(
                "{versioned} versioned rows ({transitions} transitions) but version {}",
                payment.version
            ),
        );
    }
    out.extend(check_money(payment));
    out
}

/// The money invariant of api.md §9.2 on one payment's cancels: `canceled + pending ≤ amount`;
/// the status agrees with what was canceled (CANCELED by a cancel: all of it; PARTIAL_CANCELED:
/// some, not all; otherwise nothing), and a cancel ends at most once (it has a completion time
/// exactly when it is not PENDING).
pub fn check_money(payment: &Payment) -> Vec<Violation> {
    let mut out = Vec::new();
    let mut violation = |rule, detail| out.push(Violation::of(payment, rule, detail));
    let (amount, canceled, pending) = (
        payment.amount.minor_units(),
        payment.cancels.canceled_amount(),
        payment.cancels.pending_amount(),
    );
    if canceled + pending > amount {
        violation(
            "canceled-plus-pending-within-amount",
            format!("canceled {canceled} + pending {pending} > amount {amount}"),
        );
    }
    let consistent = match payment.status {
        PaymentStatus::Canceled => canceled == amount || canceled == 0,
        PaymentStatus::PartialCanceled => canceled > 0 && canceled < amount,
        PaymentStatus::Ready
        | PaymentStatus::Approved
        | PaymentStatus::Completed
        | PaymentStatus::Failed
        | PaymentStatus::Expired => canceled == 0,
    };
    if !consistent {
        violation(
            "status-matches-canceled-amount",
            format!(
                "{} with canceledAmount {canceled} of {amount}",
                payment.status
            ),
        );
    }
    for cancel in payment.cancels.list() {
        let ended = cancel.status != CancelStatus::Pending;
        if ended != cancel.completed_at.is_some() {
            violation(
                "cancel-ends-once",
                format!(
                    "cancel {} is {} with completedAt {:?}",
                    cancel.id, cancel.status, cancel.completed_at
                ),
            );
        }
    }
    out
}

/// Checks that the merchant notifications of a payment are exactly one event per transition, of
/// the right types, in order (at-least-once delivery repeats attempts, never events).
pub fn check_notifications(
    payment: &Payment,
    trail: &[AuditEntry],
    events: &[String],
    merchant_has_return_url: bool,
) -> Vec<Violation> {
    let expected: Vec<&str> = if merchant_has_return_url {
        trail
            .iter()
            .filter_map(|e| event_type(e.record.action))
            .collect()
    } else {
        Vec::new()
    };
    let actual: Vec<&str> = events.iter().map(String::as_str).collect();
    if expected == actual {
        Vec::new()
    } else {
        vec![Violation::of(
            payment,
            "one-notification-per-transition",
            format!("expected {expected:?}, found {actual:?}"),
        )]
    }
}

/// What a full check found.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub payments_checked: u64,
    pub violations: Vec<Violation>,
}

service_struct! {
    /// Runs the invariants over every payment of a store.
    pub struct InvariantChecker {
        payments: Arc<dyn PaymentStore>,
        merchants: Arc<dyn MerchantStore>,
        reads: Arc<dyn OperatorReads>,
    }
    pub fn new;
}

/// One payment with its trail and its notifications' event types, read so that they agree: the
/// payment is read again after the others and the reads are repeated while it moved on meanwhile
/// (a transition writes all three in one transaction, so equal versions before and after mean
/// the trail and the events are those of that version). The check can thus run on a live
/// database without reporting a change that committed between two of its reads.
struct Snapshot {
    payment: Payment,
    trail: Vec<AuditEntry>,
    events: Vec<String>,
}

/// How many times a payment that keeps moving is read again before it is checked as last read.
const SNAPSHOT_ATTEMPTS: usize = 5;

impl InvariantChecker {
    pub async fn run(&self) -> Result<Report, RepositoryError> {
        const PAGE: u32 = 200;
        let mut report = Report::default();
        let mut before = None;
        loop {
            let page = Page::fetch(PAGE, before, |page| async move {
                self.payments.list(&PaymentFilter::default(), &page).await
            })
            .await?;
            for listed in &page.items {
                let Some(Snapshot {
                    payment,
                    trail,
                    events,
                }) = self.snapshot(listed).await?
                else {
                    continue; // gone since the listing (a test database being dropped)
                };
                report.payments_checked += 1;
                report.violations.extend(check_trail(&payment, &trail));
                let has_url = self
                    .merchants
                    .find(&payment.client_id)
                    .await?
                    .is_some_and(|m| m.return_url.is_some());
                report
                    .violations
                    .extend(check_notifications(&payment, &trail, &events, has_url));
            }
            before = page.next_cursor(|last| last.id);
            if before.is_none() {
                break;
            }
        }
        Ok(report)
    }

    /// `listed` with its trail and notifications, consistent with one another (see [`Snapshot`]).
    async fn snapshot(&self, listed: &Payment) -> Result<Option<Snapshot>, RepositoryError> {
        let mut payment = listed.clone();
        for attempt in 1..=SNAPSHOT_ATTEMPTS {
            let trail = self.payments.audit_trail(&payment.id).await?;
            let events = self.notification_events(&payment).await?;
            let Some(after) = self.payments.find_by_id(&payment.id).await? else {
                return Ok(None);
            };
            if after.version == payment.version || attempt == SNAPSHOT_ATTEMPTS {
                return Ok(Some(Snapshot {
                    payment,
                    trail,
                    events,
                }));
            }
            payment = after;
        }
        Ok(None)
    }

    /// The event types of the merchant notifications of `payment`, oldest first.
    async fn notification_events(&self, payment: &Payment) -> Result<Vec<String>, RepositoryError> {
        let filter = DeliveryFilter {
            kind: Some(OutboxKind::MerchantNotification),
            payment_id: Some(payment.id),
            ..Default::default()
        };
        let page = PageRequest::first(1000);
        let mut deliveries = self.reads.deliveries(&filter, &page).await?;
        deliveries.reverse(); // oldest first
        Ok(deliveries
            .into_iter()
            .filter_map(|d| d.message.event_type)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payment::{AuditRecord, Command, PaymentRecord, fixtures::*};

    fn entry(n: u64, record: AuditRecord) -> AuditEntry {
        AuditEntry { log_id: n, record }
    }

    fn lifecycle() -> (Payment, Vec<AuditEntry>) {
        let (p0, create) = Payment::create(
            ready_payment().id,
            ready_payment().key.clone(),
            client(),
            new_payment(15_000),
            at(0),
            std::time::Duration::from_secs(60),
            None,
        );
        let (p1, a1) = p0.apply(approve(), merchant_origin(), at(1)).unwrap();
        let (p2, a2) = p1
            .apply(Command::Complete, merchant_origin(), at(2))
            .unwrap();
        (p2, vec![entry(1, create), entry(2, a1), entry(3, a2)])
    }

    #[test]
    fn a_legal_lifecycle_has_no_violations() {
        let (p, trail) = lifecycle();
        assert_eq!(check_trail(&p, &trail), vec![]);
        let events = vec![
            "payment.approved".to_owned(),
            "payment.completed".to_owned(),
        ];
        assert_eq!(check_notifications(&p, &trail, &events, true), vec![]);
        assert_eq!(check_notifications(&p, &trail, &[], false), vec![]);
    }

    #[test]
    fn a_second_approve_and_a_status_mismatch_are_reported() {
        let (p, mut trail) = lifecycle();
        let mut dup = trail[1].clone();
        dup.log_id = 9;
        dup.record.from_version = Some(5);
        trail.insert(2, dup);
        let p = Payment::restore(PaymentRecord {
            status: PaymentStatus::Canceled,
            ..p.into_record()
        });
        let rules: Vec<&str> = check_trail(&p, &trail).iter().map(|v| v.rule).collect();
        assert!(rules.contains(&"at-most-one-approve"));
        assert!(rules.contains(&"last-row-matches-status"));
        assert!(rules.contains(&"chained"));
    }

    #[test]
    fn a_duplicated_or_missing_notification_is_reported() {
        let (p, trail) = lifecycle();
        let twice = vec![
            "payment.approved".to_owned(),
            "payment.approved".to_owned(),
            "payment.completed".to_owned(),
        ];
        assert_eq!(check_notifications(&p, &trail, &twice, true).len(), 1);
        assert_eq!(
            check_notifications(&p, &trail, &["payment.approved".to_owned()], true).len(),
            1
        );
    }
}
