use std::time::Duration;

use super::*;
use crate::validation::assert_parser;

fn at(secs: u64) -> Timestamp {
    Timestamp::from_unix_millis(1_795_507_200_000)
        .unwrap()
        .plus(Duration::from_secs(secs))
}

fn user() -> User {
    User {
        id: UserId::from_uuid(Uuid::nil()),
        email: Email::parse("ops@example.com").unwrap(),
        role: Role::Operator,
        client_id: None,
        password_hash: PasswordHash::new("$argon2id$…".into()),
        disabled: false,
        failed_logins: 0,
        locked_until: None,
        totp_used_step: None,
        totp: TotpState::Off,
        created_at: at(0),
        updated_at: at(0),
        version: 0,
    }
}

#[test]
fn emails_are_trimmed_and_lower_cased_and_must_look_like_one() {
    assert_eq!(
        Email::parse("  Ops@Example.COM ").unwrap().as_str(),
        "ops@example.com"
    );
    assert_parser(
        Email::parse,
        &[],
        &[
            "",
            "ops",
            "@example.com",
            "ops@",
            "o ps@example.com",
            "a@b@c",
        ],
    );
}

#[test]
fn a_new_password_has_at_least_twelve_characters_and_never_shows_in_debug() {
    assert!(
        Password::new_password("short-pass1").is_err(),
        "11 characters"
    );
    let p = Password::new_password("correct horse").unwrap();
    assert!(!format!("{p:?}").contains("horse"));
    assert!(!format!("{:?}", PasswordHash::new("$argon2id$secret".into())).contains("secret"));
    assert_eq!(
        Password::new_password("한국어비밀번호입니다열두자").map(|_| ()),
        Ok(()),
        "characters, not bytes"
    );
}

#[test]
fn a_merchant_role_needs_its_merchant_and_a_platform_role_has_none() {
    let ok = NewUser::parse(
        "m@example.com",
        "MERCHANT_VIEWER",
        Some("mch_a"),
        "long enough pw",
    )
    .unwrap();
    assert_eq!(ok.client_id.unwrap().as_str(), "mch_a");
    let fields = |r: Result<NewUser, Violations>| -> Vec<String> {
        r.unwrap_err().iter().map(|v| v.field.clone()).collect()
    };
    assert_eq!(
        fields(NewUser::parse(
            "m@example.com",
            "MERCHANT_ADMIN",
            None,
            "long enough pw"
        )),
        ["clientId"]
    );
    assert_eq!(
        fields(NewUser::parse(
            "m@example.com",
            "OPERATOR",
            Some("mch_a"),
            "long enough pw"
        )),
        ["clientId"]
    );
    assert_eq!(
        fields(NewUser::parse("nope", "ROOT", None, "short")),
        ["email", "role", "password"]
    );
}

#[test]
fn the_fifth_failure_in_a_row_locks_the_account_for_fifteen_minutes() {
    let policy = LoginPolicy::default();
    let mut u = user();
    for n in 1..=4 {
        u = u.after_failed_login(at(n), policy);
        assert_eq!(u.failed_logins, n as u32);
        assert!(!u.is_locked(at(n)));
    }
    u = u.after_failed_login(at(5), policy);
    assert!(u.is_locked(at(5)));
    assert!(u.is_locked(at(5 + 899)));
    assert!(!u.is_locked(at(5 + 900)), "15 minutes later it opens again");
    assert_eq!(u.version, 5, "every failure is a versioned change");
}

#[test]
fn after_a_lock_runs_out_a_failure_starts_a_new_series() {
    let policy = LoginPolicy::default();
    let mut u = user();
    for n in 1..=5 {
        u = u.after_failed_login(at(n), policy);
    }
    u = u.after_failed_login(at(5 + 900), policy);
    assert_eq!(u.failed_logins, 1);
    assert!(!u.is_locked(at(5 + 900)));
}

#[test]
fn a_successful_login_clears_the_failures() {
    let policy = LoginPolicy::default();
    let u = user()
        .after_failed_login(at(1), policy)
        .after_failed_login(at(2), policy)
        .after_login(at(3), None);
    assert_eq!((u.failed_logins, u.locked_until), (0, None));
}

#[test]
fn user_ids_read_back_from_their_text() {
    let id = UserId::from_uuid(Uuid::now_v7());
    assert_eq!(UserId::parse(&id.to_string()), Ok(id));
    assert!(UserId::parse("usr_nothex").is_err());
    assert!(
        UserId::parse(&id.as_uuid().simple().to_string()).is_err(),
        "the prefix is required"
    );
}

#[test]
fn a_login_with_a_code_spends_its_step_and_only_later_steps_are_accepted_after_it() {
    let u = user();
    assert!(
        u.accepts_totp_step(1) && u.accepts_totp_step(0),
        "none spent yet"
    );
    let after = u.after_login(at(3), Some(100));
    assert_eq!(after.totp_used_step, Some(100));
    assert!(!after.accepts_totp_step(99));
    assert!(!after.accepts_totp_step(100));
    assert!(after.accepts_totp_step(101));
    assert_eq!(
        after.after_login(at(4), None).totp_used_step,
        Some(100),
        "a login without a code keeps what was spent"
    );
}
