//! The money-movement migration (`2026-12-05-000001_money_movement`, api.md §9) on a database
//! the release before it filled: it must be additive and safe. Every kind of payment that release
//! could hold is written with raw SQL, with its audit trail and outbox messages, before the
//! migration runs; afterwards everything reads back through the ports, the backfill is what the
//! migration promises (a CANCELED payment was canceled as a whole by one SUCCEEDED cancel, an
//! APPROVED one's authorization holds for 7 days from its approval), the invariants of
//! `simplepg check` hold, and new money movement works on the old payments.
//!
//! Not in [`crate::contract_tests!`]: these tests need a database that the adapter migrates in
//! two steps ([`StagedFactory`]); an adapter declares them with [`crate::migration_backfill_tests!`].

use std::time::Duration;

use domain::{
    Timestamp,
    ids::{ClientId, EventId, PaymentId, PaymentKey},
    money::Amount,
    operator::invariants::{InvariantChecker, check_trail},
    outbox::{DeliveryFilter, OutboxKind, OutboxMessage},
    payment::{
        AuditAction, Cancel, CancelId, CancelReason, CancelStatus, Command, Origin, PaymentStatus,
        TransitionKind, TransitionRejected,
    },
    ports::PageRequest,
};
use uuid::Uuid;

use crate::{
    Stores,
    support::{Env, at, cancel, confirm_cancel, new_cancel_id, new_payment_key, request_cancel},
};

/// The version diesel records for the money-movement migration (on both stores).
pub const MONEY_MOVEMENT: &str = "20261205000001";

/// The authorization window the backfill gives an APPROVED payment (the default of
/// `payment.authorization_ttl_secs`).
const AUTHORIZATION_WINDOW: Duration = Duration::from_secs(7 * 24 * 3600);

/// How long a v1 payment stayed READY before it expired.
const HALF_HOUR: Duration = Duration::from_secs(1800);

/// Makes databases that are migrated in two steps, with rows written in between.
pub trait StagedFactory {
    /// A fresh database with every migration older than `version` applied and none from it on:
    /// its stores (the ports work once the rest is applied), its URL, and how many migrations
    /// were applied.
    fn migrated_before(
        version: &'static str,
    ) -> impl Future<Output = (Stores, String, usize)> + Send;

    /// Applies every pending migration to the database at `url`, as the server does at start;
    /// how many.
    fn migrate(url: String) -> impl Future<Output = usize> + Send;
}

use TransitionKind as K;

/// One payment as the release before money movement wrote it: created at `at(created)`, then
/// moved by each transition of `path` at its instant (`at(ms)`).
pub struct Seed {
    order: &'static str,
    amount: i64,
    created: i64,
    path: &'static [(TransitionKind, i64)],
}

/// The `n`th seed: each has its own amount (10,000 + 1,000·n) and is created a second after the
/// one before it.
const fn seed(n: i64, order: &'static str, path: &'static [(TransitionKind, i64)]) -> Seed {
    Seed {
        order,
        amount: 10_000 + 1_000 * n,
        created: 1_000 * n,
        path,
    }
}

/// One payment in every status that release had, and every way into CANCELED. The APPROVED
/// payment is approved on a whole second: SQLite stores that instant without a fraction, and
/// its deadline must be spelled the same way to compare right as text.
static SEEDS: [Seed; 8] = [
    seed(0, "V1-READY", &[]),
    seed(1, "V1-APPROVED", &[(K::Approve, 5_000)]),
    seed(
        2,
        "V1-COMPLETED",
        &[(K::Approve, 2_345), (K::Complete, 3_250)],
    ),
    seed(3, "V1-CANCELED-READY", &[(K::Cancel, 4_321)]),
    seed(
        4,
        "V1-CANCELED-APPROVED",
        &[(K::Approve, 4_500), (K::Cancel, 6_789)],
    ),
    seed(
        5,
        "V1-CANCELED-COMPLETED",
        &[
            (K::Approve, 5_100),
            (K::Complete, 5_200),
            (K::Cancel, 9_999),
        ],
    ),
    seed(6, "V1-FAILED", &[(K::Fail, 7_007)]),
    seed(7, "V1-EXPIRED", &[(K::Expire, 1_807_000)]),
];

/// A payment the seed wrote from `seed` (its order number and amount), and what it must read
/// back as.
pub struct V1Payment {
    pub id: PaymentId,
    pub key: PaymentKey,
    pub seed: &'static Seed,
    pub status: PaymentStatus,
    pub version: u32,
    pub approved_at: Option<Timestamp>,
    pub canceled_at: Option<Timestamp>,
    pub cancel_reason: Option<String>,
}

/// What the seed wrote: a merchant, its [`SEEDS`] payments and two outbox messages (a PENDING
/// acquirer cancel of `V1-CANCELED-APPROVED` still being retried, a DELIVERED acquirer request of
/// `V1-READY`).
pub struct V1Database {
    pub merchant: ClientId,
    pub payments: Vec<V1Payment>,
    pub pending_cancel: OutboxMessage,
    pub delivered_request: OutboxMessage,
}

impl V1Database {
    /// The payment of order `order`.
    pub fn payment(&self, order: &str) -> &V1Payment {
        self.payments
            .iter()
            .find(|p| p.seed.order == order)
            .unwrap_or_else(|| panic!("no seeded payment {order}"))
    }
}

/// `'2026-11-24 08:00:05'`, `'… 08:00:03.25'`: an instant as an SQL literal, spelled as diesel
/// writes it to SQLite (no fraction on a whole second, no trailing zeros), which MySQL reads too.
fn sql_time(t: Timestamp) -> String {
    let d = t.as_datetime();
    let mut s = format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        d.year(),
        u8::from(d.month()),
        d.day(),
        d.hour(),
        d.minute(),
        d.second()
    );
    if d.millisecond() != 0 {
        s = format!("{s}.{:03}", d.millisecond())
            .trim_end_matches('0')
            .to_owned();
    }
    format!("'{s}'")
}

/// A nullable SQL literal (none of the seed's texts holds a quote).
fn sql_opt(v: Option<String>) -> String {
    v.map_or_else(|| "NULL".to_owned(), |v| format!("'{v}'"))
}

fn sql_opt_time(t: Option<Timestamp>) -> String {
    t.map_or_else(|| "NULL".to_owned(), sql_time)
}

/// Writes `seed` as that release did (the payment row, its CREATE row and a row per
/// transition); what it wrote.
async fn write_payment(stores: &Stores, merchant: &str, seed: &'static Seed) -> V1Payment {
    let (id, key) = (PaymentId::from_uuid(Uuid::now_v7()), new_payment_key());
    let created = at(seed.created);
    let (mut status, mut updated) = (PaymentStatus::Ready, created);
    let (mut approved, mut completed, mut canceled, mut failed) = (None, None, None, None);
    let reason = format!("고객 요청 ({})", seed.order);
    let mut logs = vec![format!(
        "'CREATE', NULL, 'READY', 'MERCHANT', 'amount={}', NULL, {}",
        seed.amount,
        sql_time(created)
    )];
    for (version, &(kind, ms)) in seed.path.iter().enumerate() {
        let (now, from) = (at(ms), status);
        status = kind.target(from).expect("a legal v1 transition");
        updated = now;
        let (actor, details) = match kind {
            K::Approve => ("ACQUIRER", Some(format!("transactionId=tx-{}", seed.order))),
            K::Fail => ("ACQUIRER", Some("CARD_DECLINED: 한도 초과".to_owned())),
            K::Complete => ("MERCHANT", None),
            K::Cancel => ("MERCHANT", Some(format!("reason={reason}"))),
            K::Expire => (
                "SYSTEM",
                Some(format!("expiresAt={}", created.plus(HALF_HOUR))),
            ),
            K::PartialCancel | K::ExpireAuthorization => {
                panic!("{kind:?} came with money movement")
            }
        };
        match kind {
            K::Approve => approved = Some(now),
            K::Complete => completed = Some(now),
            K::Cancel => canceled = Some(now),
            K::Fail => failed = Some(now),
            _ => {}
        }
        logs.push(format!(
            "'{}', '{from}', '{status}', '{actor}', {}, {version}, {}",
            AuditAction::Transition(kind),
            sql_opt(details),
            sql_time(now)
        ));
    }
    let failure = failed.map(|_| ("CARD_DECLINED".to_owned(), "한도 초과".to_owned()));
    stores
        .raw
        .exec(&format!(
            "INSERT INTO payment (payment_id, payment_key, client_id, order_no, amount, currency, \
             method_code, status, product_name, customer_name, transaction_id, failure_code, \
             failure_message, cancel_reason, version, created_at, updated_at, approved_at, \
             completed_at, canceled_at, failed_at, expires_at) VALUES ('{id}', '{key}', \
             '{merchant}', '{order}', {amount}, 'KRW', 'CARD', '{status}', '아메리카노', NULL, \
             {tx}, {code}, {message}, {reason}, {version}, {created}, {updated}, {approved}, \
             {completed}, {canceled}, {failed}, {expires})",
            key = key.as_str(),
            order = seed.order,
            amount = seed.amount,
            tx = sql_opt(approved.map(|_| format!("tx-{}", seed.order))),
            code = sql_opt(failure.clone().map(|f| f.0)),
            message = sql_opt(failure.map(|f| f.1)),
            reason = sql_opt(canceled.map(|_| reason.clone())),
            version = seed.path.len(),
            created = sql_time(created),
            updated = sql_time(updated),
            approved = sql_opt_time(approved),
            completed = sql_opt_time(completed),
            canceled = sql_opt_time(canceled),
            failed = sql_opt_time(failed),
            expires = sql_time(created.plus(HALF_HOUR)),
        ))
        .await;
    for log in logs {
        stores
            .raw
            .exec(&format!(
                "INSERT INTO payment_log (payment_id, action, from_status, status, actor, details, \
                 from_version, created_at) VALUES ('{id}', {log})"
            ))
            .await;
    }
    V1Payment {
        id,
        key,
        seed,
        status,
        version: seed.path.len() as u32,
        approved_at: approved,
        canceled_at: canceled,
        cancel_reason: canceled.map(|_| reason),
    }
}

/// Writes `message` as that release did, in `state` after `attempts` attempts.
async fn write_message(stores: &Stores, m: &OutboxMessage, state: &str, attempts: u32) {
    stores
        .raw
        .exec(&format!(
            "INSERT INTO outbox_event (event_id, kind, payment_id, client_id, event_type, \
             target_url, payload, state, attempts, not_before, next_attempt_at, lease_until, \
             last_error, created_at, updated_at) VALUES ('{id}', '{kind}', {payment}, {client}, \
             NULL, '{url}', '{payload}', '{state}', {attempts}, {created}, {created}, NULL, \
             {error}, {created}, {created})",
            id = m.id,
            kind = m.kind,
            payment = sql_opt(m.payment_id.map(|p| p.to_string())),
            client = sql_opt(m.client_id.as_ref().map(|c| c.as_str().to_owned())),
            url = m.target_url,
            payload = m.payload,
            created = sql_time(m.created_at),
            error = sql_opt((state == "PENDING").then(|| "HTTP 503".to_owned())),
        ))
        .await;
}

/// An acquirer message of `kind` about `p`, created at `created`, as that release wrote it (no
/// cancel id: it did not have one).
fn v1_message(
    kind: OutboxKind,
    merchant: &ClientId,
    p: &V1Payment,
    created: Timestamp,
) -> OutboxMessage {
    OutboxMessage {
        id: EventId::from_uuid(Uuid::now_v7()),
        kind,
        payment_id: Some(p.id),
        client_id: Some(merchant.clone()),
        event_type: None,
        target_url: format!("http://acquirer.test/{kind}"),
        payload: format!(r#"{{"paymentKey":"{}"}}"#, p.key),
        created_at: created,
        not_before: created,
        cancel_id: None,
    }
}

/// A fresh database of `F` holding what the release before money movement wrote, then migrated
/// to the current schema.
pub async fn migrated_v1_database<F: StagedFactory>() -> (Env, V1Database) {
    let (stores, url, applied) = F::migrated_before(MONEY_MOVEMENT).await;
    assert!(applied > 0, "the migrations before {MONEY_MOVEMENT}");
    let merchant = ClientId::parse("mch_v1_shop").unwrap();
    stores
        .raw
        .exec(&format!(
            "INSERT INTO api_credential (client_id, client_name, client_secret, \
             client_secret_key_version, webhook_secret, webhook_secret_key_version, return_url, \
             status, created_at, updated_at) VALUES ('{merchant}', '동네 카페', X'0102030405', 1, \
             X'0909090909', 1, NULL, 'ACTIVE', {t}, {t})",
            merchant = merchant.as_str(),
            t = sql_time(at(0)),
        ))
        .await;
    let mut payments = Vec::new();
    for seed in &SEEDS {
        payments.push(write_payment(&stores, merchant.as_str(), seed).await);
    }
    let of = |order: &str| payments.iter().find(|p| p.seed.order == order).unwrap();
    let v1 = V1Database {
        pending_cancel: v1_message(
            OutboxKind::AcquirerCancel,
            &merchant,
            of("V1-CANCELED-APPROVED"),
            at(6_789),
        ),
        delivered_request: v1_message(
            OutboxKind::AcquirerRequest,
            &merchant,
            of("V1-READY"),
            at(1),
        ),
        merchant,
        payments,
    };
    write_message(&stores, &v1.pending_cancel, "PENDING", 2).await;
    write_message(&stores, &v1.delivered_request, "DELIVERED", 1).await;

    assert!(F::migrate(url).await > 0, "money movement ran");
    (Env::from_stores(stores), v1)
}

/// The whole-amount SUCCEEDED cancel the backfill gives the CANCELED payment `p`.
fn backfilled_cancel(p: &V1Payment) -> Cancel {
    let canceled_at = p.canceled_at.expect("a CANCELED payment has canceled_at");
    Cancel {
        id: CancelId::parse(&format!("cnl_{}", p.id.as_uuid().simple())).unwrap(),
        amount: Amount::parse(p.seed.amount).unwrap(),
        reason: CancelReason::parse(p.cancel_reason.as_deref().unwrap()).unwrap(),
        status: CancelStatus::Succeeded,
        acquirer_transaction_id: None,
        failure_code: None,
        failure_message: None,
        requested_at: canceled_at,
        completed_at: Some(canceled_at),
    }
}

/// `p` reads back through the ports as the backfill promises, and its trail checks out.
async fn assert_backfilled(env: &Env, p: &V1Payment) {
    let by_key = env
        .payments
        .find_by_key(&p.key)
        .await
        .unwrap_or_else(|e| panic!("{} does not read back: {e}", p.seed.order));
    let stored = by_key.unwrap_or_else(|| panic!("{} is gone", p.seed.order));
    let by_id = env.payments.find_by_id(&p.id).await.unwrap();
    assert_eq!(by_id.as_ref(), Some(&stored), "{}", p.seed.order);
    assert_eq!(
        (stored.status, stored.version, stored.amount.minor_units()),
        (p.status, p.version, p.seed.amount),
        "{}",
        p.seed.order
    );
    if p.status == PaymentStatus::Canceled {
        assert_eq!(
            (stored.canceled_amount(), stored.cancelable_amount()),
            (p.seed.amount, 0),
            "{}",
            p.seed.order
        );
        assert_eq!(
            stored.cancels.list(),
            [backfilled_cancel(p)],
            "{}",
            p.seed.order
        );
        assert_eq!(stored.canceled_at, p.canceled_at, "{}", p.seed.order);
    } else {
        assert!(stored.cancels.list().is_empty(), "{}", p.seed.order);
        assert_eq!(
            (stored.canceled_amount(), stored.cancelable_amount()),
            (0, p.seed.amount),
            "{}",
            p.seed.order
        );
    }
    let deadline = (p.status == PaymentStatus::Approved)
        .then(|| p.approved_at.unwrap().plus(AUTHORIZATION_WINDOW));
    assert_eq!(
        stored.authorization_expires_at, deadline,
        "{}",
        p.seed.order
    );
    assert_eq!(stored.approved_at, p.approved_at, "{}", p.seed.order);
    let trail = env.trail(&p.id).await;
    assert_eq!(trail.len() as u32, p.version + 1, "{}", p.seed.order);
    let violations = check_trail(&stored, &trail);
    assert!(violations.is_empty(), "{}: {violations:#?}", p.seed.order);
}

/// `simplepg check` over the whole store: `payments` checked, nothing broken.
async fn assert_books_balance(env: &Env, payments: u64) {
    let checker = InvariantChecker::new(
        env.payments.clone(),
        env.merchants.clone(),
        env.reads.clone(),
    );
    let report = checker.run().await.unwrap();
    assert_eq!(report.payments_checked, payments);
    assert!(report.violations.is_empty(), "{:#?}", report.violations);
}

pub async fn the_money_movement_migration_backfills_canceled_payments_and_authorization_deadlines<
    F: StagedFactory,
>() {
    let (env, v1) = migrated_v1_database::<F>().await;

    for p in &v1.payments {
        assert_backfilled(&env, p).await;
    }
    assert_eq!(
        env.count("payment_cancel").await,
        3,
        "one per CANCELED payment"
    );
    assert_books_balance(&env, SEEDS.len() as u64).await;

    let approved = v1.payment("V1-APPROVED");
    let deadline = approved.approved_at.unwrap().plus(AUTHORIZATION_WINDOW);
    assert_eq!(
        env.due_for_authorization_expiry(deadline, 10).await,
        std::slice::from_ref(&approved.key),
        "due at its deadline, like an authorization granted after the migration"
    );
    assert!(
        env.due_for_authorization_expiry(deadline.minus(Duration::from_millis(1)), 10)
            .await
            .is_empty(),
        "not a millisecond before"
    );
}

pub async fn outbox_messages_written_before_the_money_movement_migration_are_still_listed_and_claimed<
    F: StagedFactory,
>() {
    let (env, v1) = migrated_v1_database::<F>().await;

    let page = PageRequest::first(10);
    let listed = env
        .reads
        .deliveries(&DeliveryFilter::default(), &page)
        .await
        .unwrap();
    let messages: Vec<&OutboxMessage> = listed.iter().map(|d| &d.message).collect();
    assert_eq!(
        messages,
        [&v1.delivered_request, &v1.pending_cancel],
        "newest first, every field as written, no cancel id"
    );
    let claimed = env
        .outbox
        .claim_due(at(3_600_000), Duration::from_secs(30), 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1, "only the PENDING one");
    assert_eq!(claimed[0].message, v1.pending_cancel);
    assert_eq!(claimed[0].attempts, 2);
}

pub async fn new_cancels_work_on_payments_the_money_movement_migration_backfilled<
    F: StagedFactory,
>() {
    let (env, v1) = migrated_v1_database::<F>().await;
    let later = |ms: i64| at(3_600_000 + ms);

    // A payment created after the migration, canceled as a whole beside the backfilled cancels.
    let fresh = env.payment(&v1.merchant, "V2-READY", later(0)).await;
    let fresh = env.apply(&fresh, cancel("changed my mind"), later(1)).await;
    assert_eq!(fresh.canceled_amount(), 15_000);

    // A partial cancel of the backfilled COMPLETED payment, reserved then confirmed.
    let old = v1.payment("V1-COMPLETED");
    let p = env.stored(&old.key).await.unwrap();
    let id = new_cancel_id();
    let request = request_cancel(&id, Some(4_000), "one item returned");
    let p = env.apply(&p, request, later(2)).await;
    env.apply(&p, confirm_cancel(&id, Some("acq-c-1")), later(3))
        .await;
    let p = env.stored(&old.key).await.unwrap();
    assert_eq!(p.status, PaymentStatus::PartialCanceled);
    assert_eq!(
        (p.canceled_amount(), p.cancelable_amount()),
        (4_000, old.seed.amount - 4_000)
    );

    // The backfilled CANCELED payments have nothing left to cancel.
    for old in v1
        .payments
        .iter()
        .filter(|p| p.status == PaymentStatus::Canceled)
    {
        let p = env.stored(&old.key).await.unwrap();
        let again = request_cancel(&new_cancel_id(), None, "again");
        let refused = p.apply(again, Origin::system(), later(4));
        assert!(
            matches!(refused, Err(TransitionRejected::InvalidTransition { .. })),
            "{}: {refused:?}",
            old.seed.order
        );
    }

    // The backfilled authorization expires at its deadline, voided by a cancel of its own.
    let old = v1.payment("V1-APPROVED");
    let p = env.stored(&old.key).await.unwrap();
    let deadline = p.authorization_expires_at.unwrap();
    let expire = Command::ExpireAuthorization {
        id: new_cancel_id(),
        reason: CancelReason::parse("authorization expired").unwrap(),
    };
    let p = env.apply(&p, expire, deadline).await;
    assert_eq!(
        (p.status, p.canceled_amount(), p.cancelable_amount()),
        (PaymentStatus::Canceled, old.seed.amount, 0)
    );

    assert_eq!(env.count("payment_cancel").await, 3 + 3);
    assert_books_balance(&env, SEEDS.len() as u64 + 1).await;
}
