use super::*;

fn at(secs: u64) -> Timestamp {
    Timestamp::from_unix_millis(1_795_507_200_000)
        .unwrap()
        .plus(Duration::from_secs(secs))
}

fn token(b: u8) -> SessionToken {
    SessionToken::from_bytes([b; 32])
}

#[test]
fn the_database_keeps_only_a_hash_and_debug_shows_no_token() {
    let t = token(7);
    assert_eq!(t.expose().len(), 43);
    assert_eq!(t.hash().as_str().len(), 64);
    assert_ne!(t.hash().as_str(), t.expose());
    assert!(!format!("{t:?}").contains(t.expose()));
    assert!(!format!("{:?}", t.csrf_token()).contains(t.csrf_token().expose()));
    assert_eq!(SessionToken::parse(t.expose()), Ok(t));
    assert!(SessionToken::parse("short").is_err());
    assert!(SessionToken::parse(&"+".repeat(43)).is_err());
}

#[test]
fn the_csrf_token_is_bound_to_its_session() {
    let (a, b) = (token(1), token(2));
    assert!(a.csrf_token().matches(a.csrf_token().expose()));
    assert!(!a.csrf_token().matches(b.csrf_token().expose()));
    assert!(!a.csrf_token().matches(""));
    assert!(
        !a.csrf_token().matches(a.expose()),
        "not the session token itself"
    );
}

#[test]
fn a_session_ends_after_thirty_idle_minutes_or_twelve_hours() {
    let policy = SessionPolicy::default();
    let mut s = Session::start(
        &token(1),
        crate::people::UserId::from_uuid(uuid::Uuid::nil()),
        at(0),
    );
    assert!(s.is_live(at(1799), policy));
    assert!(!s.is_live(at(1800), policy), "idle");
    // Used every 20 minutes, it still ends at 12 hours.
    for n in 1..=35 {
        s.last_seen_at = at(n * 1200);
    }
    assert!(s.is_live(at(12 * 3600 - 1), policy));
    assert!(!s.is_live(at(12 * 3600), policy), "absolute");
    assert_eq!(s.expires_at(policy), at(12 * 3600));
    s.revoked_at = Some(at(10));
    assert!(!s.is_live(at(11), policy), "logged out");
}

#[test]
fn a_session_records_its_use_at_most_once_a_minute_and_a_thirtieth_of_a_short_idle_timeout() {
    let s = Session::start(
        &token(1),
        crate::people::UserId::from_uuid(uuid::Uuid::nil()),
        at(0),
    );
    let policy = SessionPolicy::default();
    assert!(!s.needs_touch(at(59), policy));
    assert!(s.needs_touch(at(60), policy));
    let short = SessionPolicy {
        idle: Duration::from_secs(3),
        ..policy
    };
    let ms = |m: u64| at(0).plus(Duration::from_millis(m));
    assert!(!s.needs_touch(ms(99), short));
    assert!(s.needs_touch(ms(100), short));
}

#[test]
fn a_session_used_within_a_short_idle_timeout_lives_on_from_that_use() {
    let short = SessionPolicy {
        idle: Duration::from_secs(3),
        absolute: Duration::from_secs(6),
    };
    let mut s = Session::start(
        &token(1),
        crate::people::UserId::from_uuid(uuid::Uuid::nil()),
        at(0),
    );
    assert!(s.needs_touch(at(2), short));
    s = s.used_at(at(2));
    assert!(s.is_live(at(4), short), "used at 2 s, idle until 5 s");
    assert_eq!(s.expires_at(short), at(5));
    assert!(!s.is_live(at(5), short));
    s = s.used_at(at(4));
    assert_eq!(s.expires_at(short), at(6), "the absolute end comes first");
}
