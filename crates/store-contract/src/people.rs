//! UserStore and OperatorAuditStore (api.md §10): accounts round-trip, one account per email
//! whatever its case, updates are a compare-and-set on the version with their audit rows, and
//! the audit log is append-only and listed newest first. Sessions: `people_sessions`.

use std::time::Duration;

use domain::{
    Timestamp,
    ids::{ClientId, RequestId},
    people::{
        AuditOutcome, Email, LoginPolicy, OperatorAuditEntry, OperatorAuditFilter, PasswordHash,
        Role, TotpState, User, UserId,
    },
    ports::{AdminKept, InsertUserError, PageRequest},
    secret::SealedSecret,
};
use uuid::Uuid;

use crate::{
    StoreFactory,
    support::{Env, at, spawn_all},
};

/// An enabled account with `role` (and `client` for a merchant role), created at `created`,
/// no failures, no second factor: not stored yet.
pub fn user(email: &str, role: Role, client: Option<&ClientId>, created: Timestamp) -> User {
    User {
        id: UserId::from_uuid(Uuid::now_v7()),
        email: Email::parse(email).unwrap(),
        role,
        client_id: client.cloned(),
        password_hash: PasswordHash::new(
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA".to_owned(),
        ),
        disabled: false,
        failed_logins: 0,
        locked_until: None,
        totp_used_step: None,
        totp: TotpState::Off,
        created_at: created,
        updated_at: created,
        version: 0,
    }
}

/// An audit row of `action` by `actor` (an ADMIN) at `at`, successful, with no target.
pub fn entry(actor: &str, action: &str, at: Timestamp) -> OperatorAuditEntry {
    OperatorAuditEntry {
        audit_id: 0,
        at,
        actor: actor.to_owned(),
        role: Some(Role::Admin),
        action: action.to_owned(),
        target: None,
        outcome: AuditOutcome::Success,
        ip: None,
        request_id: None,
    }
}

/// Stores `u` with a `USER_CREATED` audit row.
pub async fn stored_user(env: &Env, u: &User) {
    let audit = entry("token", "USER_CREATED", u.created_at);
    env.people().users.insert(u, &audit).await.unwrap();
}

fn sealed(key_version: u32, bytes: &[u8]) -> SealedSecret {
    SealedSecret {
        key_version,
        ciphertext: bytes.to_vec(),
    }
}

pub async fn a_user_round_trips_with_every_field_including_a_sealed_totp_secret_and_a_merchant<
    F: StoreFactory,
>() {
    let env = Env::new::<F>().await;
    let mch = env.merchant("mch_people").await;
    let mut admin = user("Ops@Shop.Example", Role::Admin, None, at(1_234));
    admin.disabled = true;
    admin.failed_logins = 4;
    admin.locked_until = Some(at(900_001));
    admin.totp = TotpState::On(sealed(u32::MAX, &(0..=255).collect::<Vec<u8>>()));
    admin.totp_used_step = Some(1_765_000_000 / 30);
    admin.updated_at = at(5_678);
    admin.version = 7;
    let mut merchant_admin = user("정산@shop.example", Role::MerchantAdmin, Some(&mch), at(2));
    merchant_admin.totp = TotpState::Pending(sealed(0, &[0, 1, 0]));
    let viewer = user(
        "viewer@shop.example",
        Role::MerchantViewer,
        Some(&mch),
        at(3),
    );

    for u in [&admin, &merchant_admin, &viewer] {
        stored_user(&env, u).await;
    }

    let users = &env.people().users;
    for u in [&admin, &merchant_admin, &viewer] {
        assert_eq!(users.find(&u.id).await.unwrap().as_ref(), Some(u));
        assert_eq!(
            users.find_by_email(&u.email).await.unwrap().as_ref(),
            Some(u)
        );
    }
    assert_eq!(admin.email.as_str(), "ops@shop.example");
    let unknown = UserId::from_uuid(Uuid::now_v7());
    assert_eq!(users.find(&unknown).await.unwrap(), None);
    let nobody = Email::parse("nobody@shop.example").unwrap();
    assert_eq!(users.find_by_email(&nobody).await.unwrap(), None);
    assert_eq!(env.count("operator_audit").await, 3, "one row per insert");
}

pub async fn an_email_differing_only_in_case_is_the_same_account<F: StoreFactory>() {
    let env = Env::new::<F>().await;
    let first = user("Alice@Example.COM", Role::Operator, None, at(0));
    stored_user(&env, &first).await;
    let users = &env.people().users;

    for spelling in [
        "alice@example.com",
        "ALICE@EXAMPLE.COM",
        "  aLiCe@eXaMpLe.CoM ",
    ] {
        let found = users
            .find_by_email(&Email::parse(spelling).unwrap())
            .await
            .unwrap();
        assert_eq!(found.map(|u| u.id), Some(first.id), "{spelling}");
    }

    let second = user("ALICE@example.com", Role::Admin, None, at(1));
    let audit = entry("token", "USER_CREATED", at(1));
    let err = users.insert(&second, &audit).await.unwrap_err();
    assert!(matches!(err, InsertUserError::DuplicateEmail), "{err:?}");
    assert_eq!(env.count("operator_user").await, 1);
    assert_eq!(
        env.count("operator_audit").await,
        1,
        "only the first insert's"
    );
    assert_eq!(users.find(&second.id).await.unwrap(), None);
}

pub async fn a_user_of_an_unknown_merchant_is_refused_and_writes_nothing<F: StoreFactory>() {
    let env = Env::new::<F>().await;
    let ghost = ClientId::parse("mch_ghost").unwrap();
    let u = user("m@shop.example", Role::MerchantAdmin, Some(&ghost), at(0));
    let audit = entry("token", "USER_CREATED", at(0));
    let err = env.people().users.insert(&u, &audit).await.unwrap_err();
    assert!(matches!(err, InsertUserError::Repository(_)), "{err:?}");
    assert_eq!(env.count("operator_user").await, 0);
    assert_eq!(env.count("operator_audit").await, 0);
}

pub async fn an_update_is_a_compare_and_set_on_the_version_and_a_stale_one_writes_nothing<
    F: StoreFactory,
>() {
    let env = Env::new::<F>().await;
    let mch = env.merchant("mch_cas").await;
    let u = user("cas@shop.example", Role::MerchantViewer, Some(&mch), at(0));
    stored_user(&env, &u).await;
    let users = &env.people().users;

    // Every mutable field changes at once.
    let mut next = u.clone();
    next.role = Role::MerchantAdmin;
    next.password_hash = PasswordHash::new("$argon2id$v=19$fresh".to_owned());
    next.disabled = true;
    next.failed_logins = 3;
    next.locked_until = Some(at(60_000));
    next.totp = TotpState::On(sealed(2, &[7; 44]));
    next.totp_used_step = Some(58_833_334);
    next.updated_at = at(10);
    next.version = 1;
    let audit = [
        entry("a@shop.example", "TOTP_ENABLED", at(10)),
        entry("a@shop.example", "PATCH /admin/api/users", at(10)),
    ];
    assert!(users.update(&next, &audit).await.unwrap());
    assert_eq!(users.find(&u.id).await.unwrap(), Some(next.clone()));
    assert_eq!(env.count("operator_audit").await, 3);

    // Decided on version 0 too, but written second: refused, with its audit row.
    let stale = u.after_login(at(20), None);
    let late = [entry("cas@shop.example", "LOGIN", at(20))];
    assert!(!users.update(&stale, &late).await.unwrap());
    assert_eq!(users.find(&u.id).await.unwrap(), Some(next.clone()));
    assert_eq!(env.count("operator_audit").await, 3);
    assert_eq!(env.count("operator_audit WHERE action = 'LOGIN'").await, 0);

    // Back to no second factor: the sealed secret's columns are cleared.
    let mut off = next.clone();
    off.totp = TotpState::Off;
    off.version = 2;
    assert!(users.update(&off, &[]).await.unwrap());
    assert_eq!(users.find(&u.id).await.unwrap(), Some(off));
}

pub async fn sixteen_concurrent_failed_logins_from_the_same_version_let_exactly_one_through<
    F: StoreFactory,
>() {
    let env = Env::new::<F>().await;
    let u = user("busy@shop.example", Role::Admin, None, at(0));
    stored_user(&env, &u).await;
    let users = env.people().users.clone();

    let outcomes = spawn_all(16, |i| {
        let (users, u) = (users.clone(), u.clone());
        async move {
            let now = at(1_000 + i as i64);
            let next = u.after_failed_login(now, LoginPolicy::default());
            let audit = OperatorAuditEntry {
                role: None,
                outcome: AuditOutcome::Failure,
                ..entry("busy@shop.example", "LOGIN_FAILED", now)
            };
            users.update(&next, &[audit]).await.unwrap()
        }
    })
    .await;

    assert_eq!(
        outcomes.iter().filter(|won| **won).count(),
        1,
        "{outcomes:?}"
    );
    let stored = users.find(&u.id).await.unwrap().unwrap();
    assert_eq!((stored.failed_logins, stored.version), (1, 1));
    let failed = "operator_audit WHERE action = 'LOGIN_FAILED'";
    assert_eq!(env.count(failed).await, 1, "only the winner's audit row");
}

pub async fn users_list_newest_first_with_a_cursor_and_a_merchant_filter<F: StoreFactory>() {
    let env = Env::new::<F>().await;
    let (a, b) = (env.merchant("mch_a").await, env.merchant("mch_b").await);
    // Ids are UUIDv7s, so creation order: a platform user, one of A's, one of B's, and again.
    let mut users = Vec::new();
    for i in 0..6 {
        let u = match i % 3 {
            0 => user(&format!("p{i}@pg.example"), Role::Viewer, None, at(i)),
            1 => user(
                &format!("a{i}@a.example"),
                Role::MerchantViewer,
                Some(&a),
                at(i),
            ),
            _ => user(
                &format!("b{i}@b.example"),
                Role::MerchantAdmin,
                Some(&b),
                at(i),
            ),
        };
        stored_user(&env, &u).await;
        users.push(u.id);
    }
    let list = async |client: Option<&ClientId>, limit, before: Option<UserId>| -> Vec<UserId> {
        let page = PageRequest { limit, before };
        let found = env.people().users.list(client.cloned(), &page).await;
        found.unwrap().into_iter().map(|u| u.id).collect()
    };

    assert_eq!(list(None, 2, None).await, [users[5], users[4], users[3]]);
    assert_eq!(
        list(None, 2, Some(users[3])).await,
        [users[2], users[1], users[0]]
    );
    assert_eq!(list(None, 5, Some(users[2])).await, [users[1], users[0]]);
    assert_eq!(list(Some(&a), 10, None).await, [users[4], users[1]]);
    assert_eq!(list(Some(&a), 1, None).await, [users[4], users[1]]);
    assert_eq!(list(Some(&b), 10, Some(users[5])).await, [users[2]]);
    let nobody = ClientId::parse("mch_nobody").unwrap();
    assert!(list(Some(&nobody), 10, None).await.is_empty());
}

pub async fn only_enabled_admins_count_as_the_admin_that_stays<F: StoreFactory>() {
    let env = Env::new::<F>().await;
    let users = &env.people().users;
    let mch = env.merchant("mch_count").await;
    let one = user("one@pg.example", Role::Admin, None, at(0));
    let mut off = user("off@pg.example", Role::Admin, None, at(0));
    off.disabled = true;
    for u in [
        one.clone(),
        off,
        user("op@pg.example", Role::Operator, None, at(0)),
        user("m@shop.example", Role::MerchantAdmin, Some(&mch), at(0)),
    ] {
        stored_user(&env, &u).await;
    }
    let audit = [entry("token", "USER_CHANGED", at(1))];

    // A disabled admin, an operator and a merchant admin are no admin that stays.
    let removed = disabled(&one, at(1));
    let alone = users.update_keeping_an_admin(&removed, &audit).await;
    assert_eq!(alone.unwrap(), AdminKept::NoOtherAdmin);
    stored_user(&env, &user("two@pg.example", Role::Admin, None, at(0))).await;
    let kept = users.update_keeping_an_admin(&removed, &audit).await;
    assert_eq!(kept.unwrap(), AdminKept::Written);
}

/// The enabled ADMIN users, for [`Env::count`].
const ENABLED_ADMINS: &str = "operator_user WHERE role = 'ADMIN' AND disabled = FALSE";

/// `next` is `u` disabled, one version on.
fn disabled(u: &User, now: domain::Timestamp) -> User {
    User {
        disabled: true,
        updated_at: now,
        version: u.version + 1,
        ..u.clone()
    }
}

pub async fn the_last_enabled_admin_is_never_taken_away_and_a_stale_one_writes_nothing<
    F: StoreFactory,
>() {
    let env = Env::new::<F>().await;
    let users = env.people().users.clone();
    let (one, two) = (
        user("one@pg.example", Role::Admin, None, at(0)),
        user("two@pg.example", Role::Admin, None, at(0)),
    );
    stored_user(&env, &one).await;
    stored_user(&env, &two).await;
    let audit = [entry("token", "USER_CHANGED", at(1))];
    let remove = async |u: &User, at| {
        users
            .update_keeping_an_admin(&disabled(u, at), &audit)
            .await
            .unwrap()
    };

    assert_eq!(remove(&one, at(1)).await, AdminKept::Written);
    assert_eq!(remove(&two, at(2)).await, AdminKept::NoOtherAdmin);
    // The other admin was touched (its version moved on), not changed.
    let two_now = users.find(&two.id).await.unwrap().unwrap();
    assert_eq!((two_now.disabled, two_now.version), (false, 1));
    assert_eq!(remove(&two_now, at(3)).await, AdminKept::NoOtherAdmin);
    assert_eq!(env.count(ENABLED_ADMINS).await, 1);
    let rows = "operator_audit WHERE action = 'USER_CHANGED'";
    assert_eq!(env.count(rows).await, 1, "only the written change's row");
    assert_eq!(
        remove(&one, at(4)).await,
        AdminKept::Stale,
        "an old version"
    );
}

pub async fn concurrent_removals_of_different_admins_always_leave_one<F: StoreFactory>() {
    let env = Env::new::<F>().await;
    let admins: Vec<User> = (0..6)
        .map(|i| user(&format!("admin{i}@pg.example"), Role::Admin, None, at(0)))
        .collect();
    for u in &admins {
        stored_user(&env, u).await;
    }
    let users = env.people().users.clone();

    // Each removal goes through the domain's loop in small: a stale answer reads again.
    let outcomes = spawn_all(admins.len(), |i| {
        let (users, id) = (users.clone(), admins[i].id);
        async move {
            loop {
                let current = users.find(&id).await.unwrap().unwrap();
                let audit = entry("token", "USER_CHANGED", at(10 + i as i64));
                match users
                    .update_keeping_an_admin(&disabled(&current, at(10)), &[audit])
                    .await
                    .unwrap()
                {
                    AdminKept::Stale => continue,
                    kept => return kept,
                }
            }
        }
    })
    .await;

    assert_eq!(env.count(ENABLED_ADMINS).await, 1, "{outcomes:?}");
    let written = outcomes
        .iter()
        .filter(|o| **o == AdminKept::Written)
        .count();
    assert_eq!(written, admins.len() - 1, "{outcomes:?}");
}

pub async fn appended_audit_rows_get_increasing_ids_and_round_trip_with_every_field<
    F: StoreFactory,
>() {
    let env = Env::new::<F>().await;
    let audit = &env.people().operator_audit;
    let full = OperatorAuditEntry {
        audit_id: 0,
        at: at(1_234),
        actor: "ops@shop.example".to_owned(),
        role: Some(Role::MerchantAdmin),
        action: "POST /admin/api/merchants/{clientId}/rotate-secret".to_owned(),
        target: Some("mch_0195a1b2c3d4e5f60718293a4b5c6d7e".to_owned()),
        outcome: AuditOutcome::Denied,
        ip: Some("2001:db8::1".to_owned()),
        request_id: Some(RequestId::parse("req-01HXYZ").unwrap()),
    };
    let bare = OperatorAuditEntry {
        role: None,
        outcome: AuditOutcome::Failure,
        ..entry("Typed@Anything", "LOGIN_FAILED", at(2_000))
    };

    let first = audit.append(&full).await.unwrap();
    let second = audit.append(&bare).await.unwrap();
    let third = audit.append(&full).await.unwrap();
    assert!(
        0 < first && first < second && second < third,
        "{first} {second} {third}"
    );

    let page = PageRequest::first(10);
    let listed = audit.list(&OperatorAuditFilter::default(), &page).await;
    let stored = |audit_id, e: &OperatorAuditEntry| OperatorAuditEntry {
        audit_id,
        ..e.clone()
    };
    let expected = [
        stored(third, &full),
        stored(second, &bare),
        stored(first, &full),
    ];
    assert_eq!(listed.unwrap(), expected);
}

pub async fn audit_text_longer_than_its_columns_is_cut_not_refused<F: StoreFactory>() {
    let env = Env::new::<F>().await;
    let audit = &env.people().operator_audit;
    let long = OperatorAuditEntry {
        target: Some("t".repeat(300)),
        ip: Some("ünïcode, forwarded-for ".repeat(10)),
        ..entry(&"é".repeat(300), &"A".repeat(100), at(0))
    };
    let id = audit.append(&long).await.unwrap();
    let page = PageRequest::first(1);
    let stored = audit.list(&OperatorAuditFilter::default(), &page).await;
    let stored = stored.unwrap().remove(0);
    assert_eq!(stored.audit_id, id);
    assert_eq!(stored.actor, "é".repeat(254));
    assert_eq!(stored.action, "A".repeat(64));
    assert_eq!(stored.target, Some("t".repeat(255)));
    assert_eq!(stored.ip.map(|ip| ip.chars().count()), Some(64));
}

pub async fn the_audit_log_lists_newest_first_with_every_filter_a_cursor_and_one_extra_row<
    F: StoreFactory,
>() {
    let env = Env::new::<F>().await;
    let audit = &env.people().operator_audit;
    // Six rows a minute apart: alternating actors, every third a LOGIN.
    let mut ids = Vec::new();
    for i in 0..6 {
        let actor = if i % 2 == 0 {
            "ann@pg.example"
        } else {
            "bob@pg.example"
        };
        let action = if i % 3 == 0 {
            "LOGIN"
        } else {
            "POST /admin/api/users"
        };
        let when = at(i * 60_000);
        ids.push(audit.append(&entry(actor, action, when)).await.unwrap());
    }
    let list = async |filter: OperatorAuditFilter, limit, before| -> Vec<u64> {
        let page = PageRequest { limit, before };
        let rows = audit.list(&filter, &page).await.unwrap();
        rows.into_iter().map(|e| e.audit_id).collect()
    };
    let all = OperatorAuditFilter::default;
    let minute = |n: i64| Some(at(n * 60_000));

    assert_eq!(list(all(), 2, None).await, [ids[5], ids[4], ids[3]]);
    assert_eq!(list(all(), 2, Some(ids[3])).await, [ids[2], ids[1], ids[0]]);
    assert_eq!(list(all(), 9, Some(ids[1])).await, [ids[0]]);
    let ann = OperatorAuditFilter {
        actor: Some("ann@pg.example".to_owned()),
        ..all()
    };
    assert_eq!(list(ann.clone(), 9, None).await, [ids[4], ids[2], ids[0]]);
    assert_eq!(list(ann, 9, Some(ids[4])).await, [ids[2], ids[0]]);
    let exact = OperatorAuditFilter {
        actor: Some("ANN@pg.example".to_owned()),
        ..all()
    };
    assert!(
        list(exact, 9, None).await.is_empty(),
        "actors match exactly"
    );
    let logins = OperatorAuditFilter {
        action: Some("LOGIN".to_owned()),
        ..all()
    };
    assert_eq!(list(logins, 9, None).await, [ids[3], ids[0]]);
    // `from` inclusive, `to` exclusive.
    let window = OperatorAuditFilter {
        from: minute(1),
        to: minute(4),
        ..all()
    };
    assert_eq!(list(window, 9, None).await, [ids[3], ids[2], ids[1]]);
    let everything = OperatorAuditFilter {
        actor: Some("bob@pg.example".to_owned()),
        action: Some("POST /admin/api/users".to_owned()),
        from: minute(1),
        to: Some(at(5 * 60_000).plus(Duration::from_millis(1))),
    };
    assert_eq!(list(everything, 9, None).await, [ids[5], ids[1]]);
}
