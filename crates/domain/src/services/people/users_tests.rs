//! Who may create and change which users (api.md §10.1), over in-memory stores.

use std::sync::{Arc, Mutex, atomic::AtomicUsize};

use super::super::testkit::*;
use super::*;
use crate::{
    merchant::Merchant,
    people::{AuditOutcome, OperatorCall},
    ports::MockMerchantStore,
};

fn principal(role: Role, client: Option<&str>) -> Principal {
    crate::services::testkit::person("boss@example.com", role, client)
}

fn merchant(client_id: &ClientId) -> Merchant {
    let sealed = crate::secret::SealedSecret {
        key_version: 1,
        ciphertext: vec![1],
    };
    Merchant {
        client_id: client_id.clone(),
        client_name: crate::merchant::ClientName::parse("Shop").unwrap(),
        client_secret: sealed.clone(),
        webhook_secret: sealed,
        previous_client_secret: None,
        previous_webhook_secret: None,
        return_url: None,
        status: crate::merchant::MerchantStatus::Active,
        terms: Default::default(),
        created_at: t0(),
        updated_at: t0(),
        version: 0,
    }
}

/// Merchants `mch_a` and `mch_b` exist.
fn merchants() -> MockMerchantStore {
    let mut m = MockMerchantStore::new();
    m.expect_find().returning(|c: &ClientId| {
        Ok(["mch_a", "mch_b"]
            .contains(&c.as_str())
            .then(|| merchant(c)))
    });
    m
}

/// Empty in-memory stores and the service on them.
fn setup() -> (Arc<Memory>, UserService) {
    let memory = Arc::new(Memory::default());
    let s = service(&memory);
    (memory, s)
}

/// An ADMIN and the OPERATOR `ops@example.com` it created.
async fn admin_and_operator(s: &UserService) -> (Principal, User) {
    let admin = principal(Role::Admin, None);
    let u = create(s, &admin, "ops@example.com", "OPERATOR", None)
        .await
        .unwrap();
    (admin, u)
}

fn first_page<K>() -> PageRequest<K> {
    PageRequest::first(10)
}

fn service(memory: &Arc<Memory>) -> UserService {
    service_at(memory, Arc::new(StepClock(Mutex::new(t0()))))
}

/// [`service`] at `clock`'s time.
fn service_at(memory: &Arc<Memory>, clock: Arc<StepClock>) -> UserService {
    UserService::new(
        memory.stores(),
        Arc::new(merchants()),
        Arc::new(PlainHasher::default()),
        Arc::new(CountingKeys(AtomicUsize::new(1))),
        clock,
    )
}

fn new_user(email: &str, role: &str, client: Option<&str>) -> NewUser {
    NewUser::parse(email, role, client, "long enough password").unwrap()
}

async fn create(
    s: &UserService,
    by: &Principal,
    email: &str,
    role: &str,
    client: Option<&str>,
) -> Result<User, UserError> {
    s.create(by, new_user(email, role, client), &RequestOrigin::default())
        .await
}

#[tokio::test]
async fn an_admin_creates_any_user_and_the_audit_row_names_who_and_whom() {
    let (memory, s) = setup();
    let (_, u) = admin_and_operator(&s).await;
    assert_eq!(
        u.password_hash.as_str(),
        "h2:long enough password",
        "stored hashed"
    );
    let audit = memory.audit.lock().unwrap()[0].clone();
    assert_eq!(audit.action, "USER_CREATED");
    assert_eq!(audit.actor, "boss@example.com");
    assert_eq!(audit.target, Some(u.id.to_string()));
}

#[tokio::test]
async fn a_merchant_admin_creates_only_users_of_its_own_merchant() {
    let (memory, s) = setup();
    let ma = principal(Role::MerchantAdmin, Some("mch_a"));
    assert!(
        create(&s, &ma, "v@a.com", "MERCHANT_VIEWER", Some("mch_a"))
            .await
            .is_ok()
    );
    assert!(matches!(
        create(&s, &ma, "v@b.com", "MERCHANT_VIEWER", Some("mch_b")).await,
        Err(UserError::Denied(Denied::NotFound))
    ));
    assert!(matches!(
        create(&s, &ma, "o@a.com", "OPERATOR", None).await,
        Err(UserError::Denied(Denied::Forbidden))
    ));
    let viewer = principal(Role::Viewer, None);
    assert!(matches!(
        create(&s, &viewer, "x@a.com", "VIEWER", None).await,
        Err(UserError::Denied(Denied::Forbidden))
    ));
    assert_eq!(
        memory.users.lock().unwrap().len(),
        1,
        "refused ones wrote nothing"
    );
}

#[tokio::test]
async fn a_user_of_an_unknown_merchant_is_refused_on_client_id() {
    let (_, s) = setup();
    let err = create(
        &s,
        &principal(Role::Admin, None),
        "m@x.com",
        "MERCHANT_ADMIN",
        Some("mch_zzz"),
    )
    .await
    .unwrap_err();
    let UserError::Invalid(v) = err else {
        panic!("{err:?}")
    };
    assert_eq!(v.iter().next().unwrap().field, "clientId");
}

#[tokio::test]
async fn a_merchant_admin_lists_and_sees_only_its_merchants_users() {
    let (_, s) = setup();
    let admin = principal(Role::Admin, None);
    let b_user = create(&s, &admin, "v@b.com", "MERCHANT_VIEWER", Some("mch_b"))
        .await
        .unwrap();
    let ma = principal(Role::MerchantAdmin, Some("mch_a"));
    assert!(matches!(
        s.get(&ma, &b_user.id).await,
        Err(UserError::NotFound)
    ));
    let page = first_page();
    assert!(
        s.list(&ma, Some(ClientId::parse("mch_b").unwrap()), &page)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        s.list(&principal(Role::Operator, None), None, &page).await,
        Err(UserError::Denied(Denied::Forbidden))
    ));
}

#[tokio::test]
async fn the_role_must_keep_the_users_scope_and_a_change_ends_its_sessions() {
    let (memory, s) = setup();
    let (admin, u) = admin_and_operator(&s).await;
    let origin = RequestOrigin::default();
    let to_merchant = UserChange {
        role: Some(Role::MerchantViewer),
        ..Default::default()
    };
    assert!(matches!(
        s.change(&admin, &u.id, &to_merchant, &origin).await,
        Err(UserError::Invalid(_))
    ));
    let to_viewer = UserChange {
        role: Some(Role::Viewer),
        ..Default::default()
    };
    let changed = s.change(&admin, &u.id, &to_viewer, &origin).await.unwrap();
    assert_eq!((changed.role, changed.version), (Role::Viewer, 1));
    assert_eq!(memory.actions(), ["USER_CREATED", "USER_CHANGED"]);
}

#[tokio::test]
async fn the_audit_log_is_for_admins_only() {
    let (_, s) = setup();
    let page = first_page();
    let filter = OperatorAuditFilter::default();
    assert!(
        s.audit_log(&principal(Role::Admin, None), &filter, &page)
            .await
            .is_ok()
    );
    for (role, client) in [(Role::Operator, None), (Role::MerchantAdmin, Some("mch_a"))] {
        assert!(matches!(
            s.audit_log(&principal(role, client), &filter, &page).await,
            Err(UserError::Denied(Denied::Forbidden))
        ));
    }
}

#[tokio::test]
async fn the_cli_creates_the_first_admin_as_actor_cli() {
    let (memory, s) = setup();
    let u = s
        .bootstrap(new_user("root@example.com", "ADMIN", None))
        .await
        .unwrap();
    assert_eq!(u.role, Role::Admin);
    assert_eq!(memory.audit.lock().unwrap()[0].actor, "cli");
}

#[tokio::test]
async fn an_admin_unlocks_a_locked_user() {
    let (memory, s) = setup();
    let (admin, u) = admin_and_operator(&s).await;
    {
        let mut users = memory.users.lock().unwrap();
        users[0] = users[0].after_failed_login(
            t0(),
            crate::people::LoginPolicy {
                max_failures: 1,
                ..Default::default()
            },
        );
        assert!(users[0].is_locked(t0()));
    }
    let unlock = UserChange {
        unlock: true,
        ..Default::default()
    };
    let done = s
        .change(&admin, &u.id, &unlock, &RequestOrigin::default())
        .await
        .unwrap();
    assert!(!done.is_locked(t0()));
    assert_eq!(done.failed_logins, 0);
}

fn origin(request: &str) -> RequestOrigin {
    RequestOrigin {
        ip: None,
        request_id: Some(crate::ids::RequestId::parse(request).unwrap()),
    }
}

fn cancel(outcome: AuditOutcome) -> OperatorCall {
    OperatorCall {
        action: "PAYMENT_CANCEL",
        target: None,
        outcome,
    }
}

/// The row `by`'s call `request` wrote with its change at `at`.
fn own_row(by: &Principal, request: &str, at: Timestamp) -> OperatorAuditEntry {
    OperatorAuditEntry::success(by, "PAYMENT_CANCEL", None, &origin(request), at)
}

#[tokio::test]
async fn a_call_that_left_no_row_of_its_own_is_recorded_once_with_its_outcome() {
    let memory = Arc::new(Memory::default());
    let s = service(&memory);
    let viewer = principal(Role::Viewer, None);
    let started = s.call_started();
    s.call_finished(
        &viewer,
        cancel(AuditOutcome::Denied),
        &origin("req-1"),
        started,
    )
    .await
    .unwrap();
    let rows = memory.audit.lock().unwrap().clone();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].action.as_str(), rows[0].outcome, rows[0].role),
        ("PAYMENT_CANCEL", AuditOutcome::Denied, Some(Role::Viewer))
    );
    assert_eq!(rows[0].actor, "boss@example.com");
    assert_eq!(rows[0].request_id, origin("req-1").request_id);
}

/// An admin's call that wrote its own row with its change and then ended with `outcome`: the
/// outcomes of the rows stored afterwards.
async fn after_a_call_with_its_own_row(outcome: AuditOutcome) -> Vec<AuditOutcome> {
    let memory = Arc::new(Memory::default());
    let s = service(&memory);
    let admin = principal(Role::Admin, None);
    let started = s.call_started();
    let own = own_row(&admin, "req-2", started);
    memory.audit.lock().unwrap().push(own);
    let (call, from) = (cancel(outcome), origin("req-2"));
    s.call_finished(&admin, call, &from, started).await.unwrap();
    let rows = memory.audit.lock().unwrap();
    rows.iter().map(|r| r.outcome).collect()
}

#[tokio::test]
async fn a_call_that_wrote_its_row_with_its_change_gets_no_second_one() {
    let outcomes = after_a_call_with_its_own_row(AuditOutcome::Success).await;
    assert_eq!(outcomes, [AuditOutcome::Success], "nothing appended");
}

#[tokio::test]
async fn a_call_that_wrote_its_change_and_then_failed_gets_its_failure_row_too() {
    let outcomes = after_a_call_with_its_own_row(AuditOutcome::Failure).await;
    assert_eq!(outcomes, [AuditOutcome::Success, AuditOutcome::Failure]);
}

#[tokio::test]
async fn another_actors_row_or_one_before_the_call_started_does_not_stand_in_for_it() {
    let memory = Arc::new(Memory::default());
    let clock = Arc::new(StepClock(Mutex::new(t0())));
    let s = service_at(&memory, clock.clone());
    let admin = principal(Role::Admin, None);
    let earlier = own_row(&admin, "reused", t0());
    memory.audit.lock().unwrap().push(earlier);
    clock.advance(std::time::Duration::from_secs(1));
    let started = s.call_started();
    let operator = crate::services::testkit::person("op@example.com", Role::Operator, None);
    memory
        .audit
        .lock()
        .unwrap()
        .push(own_row(&operator, "reused", started));
    s.call_finished(
        &admin,
        cancel(AuditOutcome::Failure),
        &origin("reused"),
        started,
    )
    .await
    .unwrap();
    let outcomes: Vec<(String, AuditOutcome)> = memory
        .audit
        .lock()
        .unwrap()
        .iter()
        .map(|r| (r.actor.clone(), r.outcome))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("boss@example.com".to_owned(), AuditOutcome::Success),
            ("op@example.com".to_owned(), AuditOutcome::Success),
            ("boss@example.com".to_owned(), AuditOutcome::Failure),
        ]
    );
}
