//! Who may register, read, change and rotate which merchant (api.md §10.1, §10.3), and what each
//! change writes: the next state by compare-and-set, its audit row with it.

use super::*;

#[path = "merchants_memory.rs"]
mod memory;
use crate::{
    Timestamp,
    destination::DestinationPolicy,
    merchant::{ClientName, PreviousSecret, ReturnUrl},
    people::{AuditOutcome, Role},
    ports::MockMerchantStore,
    services::testkit::{FakeCipher, fixed_clock, keys, t0},
};
use memory::Memory;

/// The merchant every test here starts from (the domain's test kit's).
pub(super) use crate::services::testkit::merchant;

fn service_over(store: Arc<dyn MerchantStore>) -> MerchantService {
    MerchantService::new(
        store,
        Arc::new(keys()),
        Arc::new(FakeCipher),
        Arc::new(fixed_clock()),
        ReturnUrlPolicy {
            allow_plain_http: false,
            destinations: DestinationPolicy::public_only_except(vec![]),
        },
        crate::settlement::SettlementTerms::default(),
    )
}

fn service(memory: &Arc<Memory>) -> MerchantService {
    service_over(memory.clone())
}

fn user(role: Role, client: Option<&str>) -> Principal {
    crate::services::testkit::person("someone@example.com", role, client)
}

fn id(raw: &str) -> ClientId {
    ClientId::parse(raw).unwrap()
}

fn origin() -> RequestOrigin {
    RequestOrigin {
        ip: Some("192.0.2.7".into()),
        request_id: None,
    }
}

fn renamed(name: &str) -> MerchantChange {
    MerchantChange {
        client_name: Some(ClientName::parse(name).unwrap()),
        ..MerchantChange::default()
    }
}

fn new_merchant() -> NewMerchant {
    NewMerchant {
        client_name: ClientName::parse("Shop").unwrap(),
        return_url: None,
        fee_rate: None,
        settlement_delay: None,
    }
}

fn secs(s: i64) -> Grace {
    Grace::from_secs(s).unwrap()
}

/// How each principal's attempt at each merchant call ends: `Ok`, `403` or `404`.
async fn outcome_of(p: &Principal, call: &str, target: &str) -> &'static str {
    let memory = Memory::with(&["mch_a", "mch_b"]);
    let s = service(&memory);
    let t = id(target);
    let o = origin();
    let result = match call {
        "register" => s.register(p, new_merchant(), &o).await.map(|_| ()),
        "show" => s.get(p, &t).await.map(|_| ()),
        "update" => s.update(p, &t, &renamed("New"), &o).await.map(|_| ()),
        "rotate" => s.rotate_secret(p, &t, Grace::NONE, &o).await.map(|_| ()),
        "rotate_webhook" => s
            .rotate_webhook_secret(p, &t, std::time::Duration::ZERO, &o)
            .await
            .map(|_| ()),
        "deactivate" => s
            .set_status(p, &t, MerchantStatus::Inactive, &o)
            .await
            .map(|_| ()),
        other => panic!("{other}"),
    };
    let written = memory.audit.lock().unwrap().len();
    match result {
        Ok(()) => "ok",
        Err(MerchantError::Forbidden) => {
            assert_eq!(written, 0, "a refusal writes nothing");
            "403"
        }
        Err(MerchantError::NotFound(_)) => {
            assert_eq!(written, 0, "a refusal writes nothing");
            "404"
        }
        Err(e) => panic!("{call}: {e:?}"),
    }
}

#[tokio::test]
async fn each_role_may_exactly_what_the_merchant_table_says_on_its_own_and_another_merchant() {
    let calls = [
        "register",
        "show",
        "update",
        "rotate",
        "rotate_webhook",
        "deactivate",
    ];
    // Per role: the outcome of each call on mch_a (own, for merchant roles), then on mch_b.
    let table: [(Principal, [&str; 6], [&str; 6]); 6] = [
        (
            Principal::token(),
            ["ok", "ok", "ok", "ok", "ok", "ok"],
            ["ok", "ok", "ok", "ok", "ok", "ok"],
        ),
        (
            user(Role::Admin, None),
            ["ok", "ok", "ok", "ok", "ok", "ok"],
            ["ok", "ok", "ok", "ok", "ok", "ok"],
        ),
        (
            user(Role::Operator, None),
            ["403", "ok", "403", "403", "403", "403"],
            ["403", "ok", "403", "403", "403", "403"],
        ),
        (
            user(Role::Viewer, None),
            ["403", "ok", "403", "403", "403", "403"],
            ["403", "ok", "403", "403", "403", "403"],
        ),
        (
            user(Role::MerchantAdmin, Some("mch_a")),
            ["403", "ok", "ok", "ok", "ok", "403"],
            ["403", "404", "404", "404", "404", "404"],
        ),
        (
            user(Role::MerchantViewer, Some("mch_a")),
            ["403", "ok", "403", "403", "403", "403"],
            ["403", "404", "404", "404", "404", "404"],
        ),
    ];
    for (principal, own, other) in &table {
        for (i, call) in calls.iter().enumerate() {
            for (target, expected) in [("mch_a", own[i]), ("mch_b", other[i])] {
                assert_eq!(
                    outcome_of(principal, call, target).await,
                    expected,
                    "{:?} {call} {target}",
                    principal.role()
                );
            }
        }
    }
}

#[tokio::test]
async fn another_merchant_is_not_found_in_the_very_words_of_an_unknown_one() {
    let memory = Memory::with(&["mch_a", "mch_b"]);
    let boss = user(Role::MerchantAdmin, Some("mch_a"));
    let other = service(&memory).get(&boss, &id("mch_b")).await.unwrap_err();
    let unknown = service(&memory)
        .get(&Principal::token(), &id("mch_b"))
        .await
        .map(|_| ());
    assert!(unknown.is_ok());
    let ghost = service(&memory)
        .get(&Principal::token(), &id("mch_zz"))
        .await
        .unwrap_err();
    assert_eq!(
        other.to_string().replace("mch_b", "X"),
        ghost.to_string().replace("mch_zz", "X")
    );
}

#[tokio::test]
async fn a_merchant_user_lists_only_its_own_merchant_and_a_platform_user_every_one() {
    let memory = Memory::with(&["mch_a", "mch_b", "mch_c"]);
    let s = service(&memory);
    let ids = |page: Page<Merchant>| -> Vec<String> {
        page.items.iter().map(|m| m.client_id.to_string()).collect()
    };
    let viewer = user(Role::MerchantViewer, Some("mch_b"));
    assert_eq!(
        ids(s.list(&viewer, Limit::DEFAULT, None).await.unwrap()),
        ["mch_b"]
    );
    assert_eq!(
        ids(s
            .list(&viewer, Limit::DEFAULT, Some(id("mch_c")))
            .await
            .unwrap()),
        ["mch_b"],
        "a cursor after its merchant"
    );
    assert!(
        ids(s
            .list(&viewer, Limit::DEFAULT, Some(id("mch_b")))
            .await
            .unwrap())
        .is_empty(),
        "a cursor at its merchant: nothing more"
    );
    let operator = user(Role::Operator, None);
    assert_eq!(
        ids(s.list(&operator, Limit::DEFAULT, None).await.unwrap()),
        ["mch_c", "mch_b", "mch_a"]
    );
}

#[tokio::test]
async fn every_change_writes_its_audit_row_with_actor_role_target_ip_and_outcome() {
    let memory = Memory::with(&["mch_a"]);
    let s = service(&memory);
    let boss = user(Role::MerchantAdmin, Some("mch_a"));
    let admin = Principal::token();
    let a = id("mch_a");
    let o = origin();
    let reg = s.register(&admin, new_merchant(), &o).await.unwrap();
    s.update(&boss, &a, &renamed("Renamed"), &o).await.unwrap();
    s.rotate_secret(&boss, &a, secs(60), &o).await.unwrap();
    s.rotate_webhook_secret(&boss, &a, std::time::Duration::from_secs(60), &o)
        .await
        .unwrap();
    s.set_status(&admin, &a, MerchantStatus::Inactive, &o)
        .await
        .unwrap();
    s.set_status(&admin, &a, MerchantStatus::Active, &o)
        .await
        .unwrap();

    assert_eq!(
        memory.actions(),
        [
            "MERCHANT_REGISTERED",
            "MERCHANT_UPDATED",
            "CLIENT_SECRET_ROTATED",
            "WEBHOOK_SECRET_ROTATED",
            "MERCHANT_DEACTIVATED",
            "MERCHANT_ACTIVATED"
        ]
    );
    let audit = memory.audit.lock().unwrap();
    assert_eq!(
        audit[0].target.as_deref(),
        Some(reg.merchant.client_id.as_str())
    );
    assert_eq!(audit[0].actor, "token");
    assert_eq!(audit[1].actor, "someone@example.com");
    assert_eq!(audit[1].role, Some(Role::MerchantAdmin));
    assert!(
        audit[1..]
            .iter()
            .all(|r| r.target.as_deref() == Some("mch_a"))
    );
    assert!(audit.iter().all(|r| r.outcome == AuditOutcome::Success));
    assert!(audit.iter().all(|r| r.ip.as_deref() == Some("192.0.2.7")));
    assert_eq!(
        memory.stored("mch_a").version,
        3 + 5,
        "one version per change"
    );
}

#[tokio::test]
async fn a_change_that_changes_nothing_writes_nothing() {
    let memory = Memory::with(&["mch_a"]);
    let s = service(&memory);
    let a = id("mch_a");
    let admin = Principal::token();
    let same = s
        .update(&admin, &a, &renamed("Shop"), &origin())
        .await
        .unwrap();
    let empty = s
        .update(&admin, &a, &MerchantChange::default(), &origin())
        .await
        .unwrap();
    let active = s
        .set_status(&admin, &a, MerchantStatus::Active, &origin())
        .await
        .unwrap();
    for m in [same, empty, active] {
        assert_eq!(m, merchant("mch_a"));
    }
    assert!(memory.actions().is_empty());
}

#[tokio::test]
async fn a_patch_sets_the_name_and_clears_or_sets_the_return_url_under_the_registration_rules() {
    let memory = Memory::with(&["mch_a"]);
    let s = service(&memory);
    let a = id("mch_a");
    let admin = Principal::token();
    let cleared = s
        .update(
            &admin,
            &a,
            &MerchantChange {
                client_name: None,
                return_url: Some(None),
                ..MerchantChange::default()
            },
            &origin(),
        )
        .await
        .unwrap();
    assert_eq!(cleared.return_url, None);
    assert_eq!(cleared.client_name.as_str(), "Shop");
    assert_eq!(memory.stored("mch_a"), cleared);

    let refused = s
        .update(
            &admin,
            &a,
            &MerchantChange {
                client_name: Some(ClientName::parse("Other").unwrap()),
                return_url: Some(Some(ReturnUrl::parse("https://10.0.0.1/hook").unwrap())),
                ..MerchantChange::default()
            },
            &origin(),
        )
        .await
        .unwrap_err();
    let MerchantError::Invalid(v) = refused else {
        panic!("{refused:?}")
    };
    assert_eq!(v.iter().next().unwrap().field, "returnUrl");
    assert_eq!(
        memory.stored("mch_a"),
        cleared,
        "nothing of a refused patch is written"
    );
}

#[tokio::test]
async fn a_lost_race_reads_again_and_applies_the_change_on_top_of_the_winner() {
    let memory = Memory::with(&["mch_a"]);
    *memory.lose.lock().unwrap() = 2;
    let s = service(&memory);
    let change = MerchantChange {
        client_name: None,
        return_url: Some(None),
        ..MerchantChange::default()
    };
    let m = s
        .update(&Principal::token(), &id("mch_a"), &change, &origin())
        .await
        .unwrap();
    assert_eq!(
        m.client_name.as_str(),
        "Changed meanwhile",
        "the winner's change stays"
    );
    assert_eq!(m.return_url, None);
    assert_eq!(m.version, 3 + 2 + 1);
    assert_eq!(
        memory.actions(),
        ["MERCHANT_UPDATED"],
        "one row, with the write that won"
    );
}

#[tokio::test]
async fn a_change_that_loses_every_race_is_contended_and_writes_no_audit_row() {
    let memory = Memory::with(&["mch_a"]);
    *memory.lose.lock().unwrap() = usize::MAX;
    let err = service(&memory)
        .rotate_secret(&Principal::token(), &id("mch_a"), Grace::NONE, &origin())
        .await
        .unwrap_err();
    assert!(matches!(err, MerchantError::Contended(_)), "{err:?}");
    assert!(memory.actions().is_empty());
}

#[tokio::test]
async fn a_rotation_with_grace_keeps_the_old_client_secret_until_the_grace_ends() {
    let memory = Memory::with(&["mch_a"]);
    let (m, secret) = service(&memory)
        .rotate_secret(&Principal::token(), &id("mch_a"), secs(300), &origin())
        .await
        .unwrap();
    assert_eq!(secret.expose(), "sk_test_secret");
    let previous = m.previous_client_secret.clone().unwrap();
    assert_eq!(previous.secret, merchant("mch_a").client_secret);
    assert_eq!(
        previous.until,
        t0().plus(std::time::Duration::from_secs(300))
    );

    let live = |at: Timestamp| -> Vec<String> {
        m.client_secrets_at(at)
            .map(|s| FakeCipher.open(s).unwrap().expose().to_owned())
            .collect()
    };
    assert_eq!(live(t0()), ["sk_test_secret", "sk_old"]);
    assert_eq!(
        live(previous.until.plus(std::time::Duration::from_millis(0))),
        ["sk_test_secret"],
        "at `until` the old secret no longer verifies"
    );
}

#[tokio::test]
async fn a_rotation_without_grace_forgets_the_old_client_secret_at_once() {
    let mut m = merchant("mch_a");
    m.previous_client_secret = Some(PreviousSecret {
        secret: FakeCipher.seal(&Secret::new("sk_older".into())).unwrap(),
        until: t0().plus(std::time::Duration::from_secs(3600)),
    });
    let next = m.with_client_secret(
        FakeCipher.seal(&Secret::new("sk_new".into())).unwrap(),
        Grace::NONE,
        t0(),
    );
    assert_eq!(
        next.previous_client_secret, None,
        "a running grace ends too"
    );
    assert_eq!(next.client_secrets_at(t0()).count(), 1);
}

#[tokio::test]
async fn a_second_rotation_within_a_grace_keeps_only_the_secret_it_replaces() {
    let memory = Memory::with(&["mch_a"]);
    let s = service(&memory);
    let admin = Principal::token();
    s.rotate_secret(&admin, &id("mch_a"), secs(600), &origin())
        .await
        .unwrap();
    let first = memory.stored("mch_a").client_secret;
    let (m, _) = s
        .rotate_secret(&admin, &id("mch_a"), secs(60), &origin())
        .await
        .unwrap();
    let previous = m.previous_client_secret.unwrap();
    assert_eq!(
        previous.secret, first,
        "the secret just replaced, not the original"
    );
    assert_eq!(
        previous.until,
        t0().plus(std::time::Duration::from_secs(60))
    );
}

#[tokio::test]
async fn a_return_url_the_policy_refuses_is_a_field_error_and_nothing_is_stored() {
    for raw in ["http://shop.example/hook", "https://169.254.169.254/latest"] {
        let mut store = MockMerchantStore::new();
        store.expect_insert().never();
        let err = service_over(Arc::new(store))
            .register(
                &Principal::token(),
                NewMerchant {
                    client_name: ClientName::parse("Shop").unwrap(),
                    return_url: Some(ReturnUrl::parse(raw).unwrap()),
                    fee_rate: None,
                    settlement_delay: None,
                },
                &origin(),
            )
            .await
            .unwrap_err();
        let MerchantError::Invalid(v) = err else {
            panic!("{raw}: {err:?}")
        };
        assert_eq!(v.iter().next().unwrap().field, "returnUrl");
    }
}

#[tokio::test]
async fn registration_stores_only_sealed_secrets_and_returns_the_plaintext_once() {
    let mut store = MockMerchantStore::new();
    store
        .expect_insert()
        .withf(|m, audit| {
            !m.client_secret.ciphertext.is_empty()
                && m.client_secret.ciphertext != b"sk_test_secret"
                && m.status == MerchantStatus::Active
                && m.version == 0
                && audit.len() == 1
        })
        .times(1)
        .returning(|_, _| Ok(()));
    let reg = service_over(Arc::new(store))
        .register(&Principal::token(), new_merchant(), &origin())
        .await
        .unwrap();
    assert_eq!(reg.client_secret.expose(), "sk_test_secret");
    assert!(reg.webhook_secret.expose().starts_with("whsec_"));
}

#[tokio::test]
async fn rotating_the_secret_of_an_unknown_merchant_is_not_found_and_writes_nothing() {
    let mut store = MockMerchantStore::new();
    store.expect_find().returning(|_| Ok(None));
    store.expect_update().never();
    let err = service_over(Arc::new(store))
        .rotate_secret(&Principal::token(), &id("mch_x"), Grace::NONE, &origin())
        .await
        .unwrap_err();
    assert!(matches!(err, MerchantError::NotFound(_)));
}
