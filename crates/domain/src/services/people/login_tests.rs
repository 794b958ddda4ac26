//! Login, sessions and TOTP over in-memory stores and plain test doubles.

use std::sync::{
    Mutex,
    atomic::{AtomicUsize, Ordering},
};

use uuid::Uuid;

use super::super::testkit::*;
use super::*;
use crate::{
    people::{LoginPolicy, PasswordHash, Role, UserId},
    ports::UserStore,
};

struct Fixture {
    memory: Arc<Memory>,
    hasher: Arc<PlainHasher>,
    clock: Arc<StepClock>,
    service: LoginService,
}

const PASSWORD: &str = "correct horse battery";

fn fixture_with(hasher: PlainHasher) -> Fixture {
    let memory = Arc::new(Memory::default());
    memory.users.lock().unwrap().push(User {
        id: UserId::from_uuid(Uuid::now_v7()),
        email: Email::parse("ops@example.com").unwrap(),
        role: Role::Operator,
        client_id: None,
        password_hash: PasswordHash::new(format!("h1:{PASSWORD}")),
        disabled: false,
        failed_logins: 0,
        locked_until: None,
        totp_used_step: None,
        totp: TotpState::Off,
        created_at: t0(),
        updated_at: t0(),
        version: 0,
    });
    let hasher = Arc::new(hasher);
    let clock = Arc::new(StepClock(Mutex::new(t0())));
    let stores = PeopleStores {
        users: memory.clone(),
        sessions: memory.clone(),
        audit: memory.clone(),
    };
    let service = LoginService::new(
        stores,
        hasher.clone(),
        Arc::new(FixedTotp),
        Arc::new(ClearCipher),
        Arc::new(CountingKeys(AtomicUsize::new(1))),
        clock.clone(),
        AccountPolicy::default(),
    );
    Fixture {
        memory,
        hasher,
        clock,
        service,
    }
}

fn fixture() -> Fixture {
    fixture_with(PlainHasher::default())
}

fn credentials(email: &str, password: &str) -> Credentials {
    Credentials {
        email: email.into(),
        password: Password::attempt(password),
        totp: None,
    }
}

async fn login(f: &Fixture, email: &str, password: &str) -> Result<LoggedIn, LoginError> {
    f.service
        .login(credentials(email, password), &RequestOrigin::default())
        .await
}

#[tokio::test]
async fn the_right_password_opens_a_session_whose_token_authenticates_the_user() {
    let f = fixture();
    let done = login(&f, "OPS@example.com", PASSWORD).await.unwrap();
    assert_eq!(done.user.email.as_str(), "ops@example.com");
    let me = f.service.authenticate(&done.token).await.unwrap().unwrap();
    assert_eq!(me.principal.role(), Role::Operator);
    assert!(me.csrf.matches(done.csrf.expose()));
    let stored = f.memory.sessions.lock().unwrap()[0].clone();
    assert_eq!(
        stored.token_hash,
        done.token.hash(),
        "only the hash is stored"
    );
    assert_eq!(f.memory.actions(), ["LOGIN"]);
}

#[tokio::test]
async fn a_wrong_email_and_a_wrong_password_fail_alike_and_do_the_same_password_work() {
    let f = fixture();
    let unknown = login(&f, "nobody@example.com", PASSWORD).await.unwrap_err();
    let wrong = login(&f, "ops@example.com", "not the password")
        .await
        .unwrap_err();
    assert!(matches!(unknown, LoginError::Failed));
    assert!(matches!(wrong, LoginError::Failed));
    assert_eq!(unknown.to_string(), wrong.to_string());
    assert_eq!(
        f.hasher.verifications.load(Ordering::SeqCst),
        2,
        "one verification each"
    );
    assert_eq!(f.memory.actions(), ["LOGIN_FAILED", "LOGIN_FAILED"]);
}

#[tokio::test]
async fn five_failures_in_a_row_lock_the_account_even_against_the_right_password() {
    let f = fixture();
    for _ in 0..5 {
        assert!(matches!(
            login(&f, "ops@example.com", "wrong").await,
            Err(LoginError::Failed)
        ));
    }
    let locked = login(&f, "ops@example.com", PASSWORD).await.unwrap_err();
    let LoginError::Locked { retry_after } = locked else {
        panic!("{locked:?}");
    };
    assert_eq!(retry_after, Duration::from_secs(900));
    assert!(f.memory.actions().contains(&"LOCKED".to_owned()));
    assert_eq!(
        f.memory.actions().last().map(String::as_str),
        Some("LOGIN_LOCKED")
    );

    f.clock.advance(Duration::from_secs(900));
    assert!(
        login(&f, "ops@example.com", PASSWORD).await.is_ok(),
        "the lock ran out"
    );
    assert_eq!(f.memory.user().failed_logins, 0);
}

#[tokio::test]
async fn an_email_without_an_account_locks_after_as_many_failures_as_an_account_would() {
    let f = fixture();
    let outcomes = |email: &'static str| {
        let f = &f;
        async move {
            let mut seen = Vec::new();
            for _ in 0..6 {
                seen.push(match login(f, email, "wrong").await {
                    Err(LoginError::Failed) => "failed".to_owned(),
                    Err(LoginError::Locked { retry_after }) => format!("locked {retry_after:?}"),
                    other => format!("{other:?}"),
                });
            }
            seen
        }
    };
    let known = outcomes("ops@example.com").await;
    let unknown = outcomes("Nobody@Example.com").await;
    assert_eq!(unknown, known, "alike, lock included");
    assert_eq!(unknown[5], "locked 900s");
    let verifications = f.hasher.verifications.load(Ordering::SeqCst);
    assert_eq!(
        verifications, 10,
        "no password work while locked, either way"
    );

    f.clock.advance(Duration::from_secs(900));
    assert!(matches!(
        login(&f, "nobody@example.com", "wrong").await,
        Err(LoginError::Failed)
    ));
    for _ in 0..3 {
        login(&f, "nobody@example.com", "wrong").await.unwrap_err();
    }
    assert!(
        matches!(
            login(&f, "nobody@example.com", "wrong").await,
            Err(LoginError::Failed)
        ),
        "the count started again after the lock: the fifth failure locks, it is still a 401"
    );
    assert!(matches!(
        login(&f, "nobody@example.com", "wrong").await,
        Err(LoginError::Locked { .. })
    ));
}

#[tokio::test]
async fn a_failure_counted_by_another_instance_meanwhile_is_kept_not_overwritten() {
    let f = fixture();
    // Another instance counted a failure after this one read the user: this instance's write
    // is stale, it reads again and counts on top.
    let mut other = f
        .memory
        .user()
        .after_failed_login(t0(), LoginPolicy::default());
    other.version = 1;
    let stale_read = f.memory.user();
    *f.memory.users.lock().unwrap() = vec![other];
    let next = stale_read.after_failed_login(t0(), LoginPolicy::default());
    assert!(
        !UserStore::update(&*f.memory, &next, &[]).await.unwrap(),
        "stale"
    );
    assert!(matches!(
        login(&f, "ops@example.com", "wrong").await,
        Err(LoginError::Failed)
    ));
    assert_eq!(f.memory.user().failed_logins, 2);
}

#[tokio::test]
async fn a_disabled_user_cannot_log_in_and_its_sessions_stop_admitting() {
    let f = fixture();
    let done = login(&f, "ops@example.com", PASSWORD).await.unwrap();
    f.memory.users.lock().unwrap()[0].disabled = true;
    assert!(f.service.authenticate(&done.token).await.unwrap().is_none());
    assert!(matches!(
        login(&f, "ops@example.com", PASSWORD).await,
        Err(LoginError::Failed)
    ));
}

#[tokio::test]
async fn logout_revokes_the_session_once() {
    let f = fixture();
    let done = login(&f, "ops@example.com", PASSWORD).await.unwrap();
    let origin = RequestOrigin::default();
    assert!(f.service.logout(&done.token, &origin).await.unwrap());
    assert!(f.service.authenticate(&done.token).await.unwrap().is_none());
    assert!(!f.service.logout(&done.token, &origin).await.unwrap());
    assert_eq!(f.memory.actions(), ["LOGIN", "LOGOUT"]);
}

#[tokio::test]
async fn an_idle_session_ends_and_a_used_one_is_touched_at_most_once_a_minute() {
    let f = fixture();
    let done = login(&f, "ops@example.com", PASSWORD).await.unwrap();
    f.clock.advance(Duration::from_secs(30));
    f.service.authenticate(&done.token).await.unwrap().unwrap();
    assert_eq!(
        f.memory.sessions.lock().unwrap()[0].last_seen_at,
        t0(),
        "not yet"
    );
    f.clock.advance(Duration::from_secs(30 * 60 - 31));
    f.service.authenticate(&done.token).await.unwrap().unwrap();
    f.clock.advance(Duration::from_secs(30 * 60 - 1));
    assert!(
        f.service.authenticate(&done.token).await.unwrap().is_some(),
        "kept alive by use"
    );
    f.clock.advance(Duration::from_secs(30 * 60));
    assert!(
        f.service.authenticate(&done.token).await.unwrap().is_none(),
        "idle too long"
    );
}

#[tokio::test]
async fn a_hash_of_old_parameters_is_replaced_at_login() {
    let f = fixture_with(PlainHasher {
        rehash: true,
        ..Default::default()
    });
    login(&f, "ops@example.com", PASSWORD).await.unwrap();
    assert_eq!(
        f.memory.user().password_hash.as_str(),
        format!("h2:{PASSWORD}")
    );
}

#[tokio::test]
async fn after_totp_is_confirmed_login_needs_a_valid_code_and_a_wrong_one_counts_as_a_failure() {
    let f = fixture();
    let origin = RequestOrigin::default();
    let user = f.memory.user();
    let uri = f.service.begin_totp(&user, &origin).await.unwrap();
    assert!(uri.starts_with("otpauth://totp/"));
    assert!(
        login(&f, "ops@example.com", PASSWORD).await.is_ok(),
        "pending: not asked yet"
    );
    let user = f.memory.user();
    assert!(matches!(
        f.service.confirm_totp(&user, "000000", &origin).await,
        Err(TotpError::InvalidCode)
    ));
    f.service
        .confirm_totp(&user, "424242", &origin)
        .await
        .unwrap();
    assert!(matches!(f.memory.user().totp, TotpState::On(_)));

    assert!(matches!(
        login(&f, "ops@example.com", PASSWORD).await,
        Err(LoginError::TotpRequired)
    ));
    assert_eq!(
        f.memory.actions().last().map(String::as_str),
        Some("TOTP_REQUIRED"),
        "the refused attempt is audited"
    );
    assert_eq!(
        f.memory.user().failed_logins,
        0,
        "a right password is no failure"
    );
    let mut with_code = credentials("ops@example.com", PASSWORD);
    with_code.totp = Some("111111".into());
    assert!(matches!(
        f.service.login(with_code.clone(), &origin).await,
        Err(LoginError::Failed)
    ));
    assert_eq!(f.memory.user().failed_logins, 1);
    with_code.totp = Some("424242".into());
    assert!(f.service.login(with_code, &origin).await.is_ok());
    assert!(matches!(
        f.service.begin_totp(&f.memory.user(), &origin).await,
        Err(TotpError::AlreadyEnabled)
    ));
}

#[tokio::test]
async fn a_code_opens_one_session_only_and_the_next_step_s_code_opens_another() {
    let f = fixture();
    let origin = RequestOrigin::default();
    f.service
        .begin_totp(&f.memory.user(), &origin)
        .await
        .unwrap();
    f.service
        .confirm_totp(&f.memory.user(), "424242", &origin)
        .await
        .unwrap();
    let mut with_code = credentials("ops@example.com", PASSWORD);
    with_code.totp = Some("424242".into());

    assert!(
        f.service.login(with_code.clone(), &origin).await.is_ok(),
        "confirming spends no step: the same code still logs in once"
    );
    assert!(
        matches!(
            f.service.login(with_code.clone(), &origin).await,
            Err(LoginError::Failed)
        ),
        "used once already (RFC 6238 §5.2)"
    );
    assert_eq!(
        f.memory.user().failed_logins,
        1,
        "counted like a wrong code"
    );
    f.clock.advance(Duration::from_secs(30));
    assert!(f.service.login(with_code, &origin).await.is_ok());
    assert_eq!(f.memory.user().failed_logins, 0);
}
