//! SessionStore (api.md §10.2): sessions keyed by the hash of their token, a last use that never
//! moves back, revocation with its audit row exactly once, and the purge.

use domain::{
    Timestamp,
    people::{Role, Session, SessionToken, User},
};
use uuid::Uuid;

use crate::{
    StoreFactory,
    people::{entry, stored_user, user},
    support::{Env, at},
};

/// A session of `u` that started at `started`, with a fresh random token: not stored yet.
fn session(u: &User, started: Timestamp) -> Session {
    let mut bytes = [0u8; 32];
    bytes[..16].copy_from_slice(Uuid::new_v4().as_bytes());
    bytes[16..].copy_from_slice(Uuid::new_v4().as_bytes());
    Session::start(&SessionToken::from_bytes(bytes), u.id, started)
}

/// Stores `s` with its `LOGIN` audit row.
async fn stored_session(env: &Env, s: &Session) {
    let audit = entry("someone@pg.example", "LOGIN", s.created_at);
    env.people().sessions.insert(s, &audit).await.unwrap();
}

/// A fresh database with one stored ADMIN user.
async fn with_user<F: StoreFactory>() -> (Env, User) {
    let env = Env::new::<F>().await;
    let u = user("ops@pg.example", Role::Admin, None, at(0));
    stored_user(&env, &u).await;
    (env, u)
}

pub async fn a_session_round_trips_with_its_login_audit_row_and_an_unknown_hash_is_not_found<
    F: StoreFactory,
>() {
    let (env, u) = with_user::<F>().await;
    let sessions = &env.people().sessions;
    let s = session(&u, at(1_234));
    stored_session(&env, &s).await;

    assert_eq!(sessions.find(&s.token_hash).await.unwrap(), Some(s.clone()));
    assert_eq!(s.token_hash.as_str().len(), 64);
    assert_eq!(env.count("operator_audit WHERE action = 'LOGIN'").await, 1);
    let other = session(&u, at(0));
    assert_eq!(sessions.find(&other.token_hash).await.unwrap(), None);

    // A session of an unknown user is refused, its audit row with it.
    let ghost = user("ghost@pg.example", Role::Admin, None, at(0));
    let audit = entry("ghost@pg.example", "LOGIN", at(5));
    let orphan = session(&ghost, at(5));
    assert!(sessions.insert(&orphan, &audit).await.is_err());
    assert_eq!(env.count("operator_session").await, 1);
    assert_eq!(env.count("operator_audit WHERE action = 'LOGIN'").await, 1);
}

pub async fn touching_a_session_moves_its_last_use_forward_never_back<F: StoreFactory>() {
    let (env, u) = with_user::<F>().await;
    let sessions = &env.people().sessions;
    let s = session(&u, at(0));
    stored_session(&env, &s).await;
    let last_seen = async || {
        let stored = sessions.find(&s.token_hash).await.unwrap();
        stored.unwrap().last_seen_at
    };

    sessions.touch(&s.token_hash, at(90_000)).await.unwrap();
    assert_eq!(last_seen().await, at(90_000));
    sessions.touch(&s.token_hash, at(60_000)).await.unwrap();
    assert_eq!(last_seen().await, at(90_000), "a late report moves nothing");
    sessions.touch(&s.token_hash, at(150_001)).await.unwrap();
    assert_eq!(last_seen().await, at(150_001));
    // An unknown session: nothing to touch, and no error.
    let other = session(&u, at(0));
    sessions.touch(&other.token_hash, at(1)).await.unwrap();
    assert_eq!(env.count("operator_session").await, 1);
}

pub async fn a_session_is_revoked_once_and_a_second_revocation_writes_nothing<F: StoreFactory>() {
    let (env, u) = with_user::<F>().await;
    let sessions = &env.people().sessions;
    let s = session(&u, at(0));
    stored_session(&env, &s).await;
    let logout = |millis| entry("ops@pg.example", "LOGOUT", at(millis));

    assert!(
        sessions
            .revoke(&s.token_hash, at(10), &logout(10))
            .await
            .unwrap()
    );
    assert!(
        !sessions
            .revoke(&s.token_hash, at(20), &logout(20))
            .await
            .unwrap()
    );
    let unknown = session(&u, at(0));
    assert!(
        !sessions
            .revoke(&unknown.token_hash, at(30), &logout(30))
            .await
            .unwrap()
    );

    let stored = sessions.find(&s.token_hash).await.unwrap().unwrap();
    assert_eq!(
        stored.revoked_at,
        Some(at(10)),
        "the first revocation's instant"
    );
    assert_eq!(env.count("operator_audit WHERE action = 'LOGOUT'").await, 1);
}

pub async fn revoking_every_session_of_a_user_counts_the_live_ones_and_spares_other_users<
    F: StoreFactory,
>() {
    let (env, u) = with_user::<F>().await;
    let other = user("other@pg.example", Role::Viewer, None, at(0));
    stored_user(&env, &other).await;
    let sessions = &env.people().sessions;
    let mine: Vec<Session> = (0..3).map(|i| session(&u, at(i))).collect();
    let theirs = session(&other, at(0));
    for s in mine.iter().chain([&theirs]) {
        stored_session(&env, s).await;
    }
    let logout = entry("ops@pg.example", "LOGOUT", at(5));
    assert!(
        sessions
            .revoke(&mine[0].token_hash, at(5), &logout)
            .await
            .unwrap()
    );

    assert_eq!(sessions.revoke_all_of(&u.id, at(100)).await.unwrap(), 2);
    assert_eq!(sessions.revoke_all_of(&u.id, at(200)).await.unwrap(), 0);

    let revoked_at = async |s: &Session| {
        let stored = sessions.find(&s.token_hash).await.unwrap();
        stored.unwrap().revoked_at
    };
    assert_eq!(revoked_at(&mine[0]).await, Some(at(5)), "kept");
    assert_eq!(revoked_at(&mine[1]).await, Some(at(100)));
    assert_eq!(revoked_at(&mine[2]).await, Some(at(100)));
    assert_eq!(revoked_at(&theirs).await, None);
}

pub async fn purging_forgets_sessions_that_started_before_the_cutoff_revoked_or_not<
    F: StoreFactory,
>() {
    let (env, u) = with_user::<F>().await;
    let sessions = &env.people().sessions;
    let old = session(&u, at(0));
    let old_revoked = session(&u, at(100));
    let at_cutoff = session(&u, at(1_000));
    let new_revoked = session(&u, at(1_500));
    for s in [&old, &old_revoked, &at_cutoff, &new_revoked] {
        stored_session(&env, s).await;
    }
    let logout = entry("ops@pg.example", "LOGOUT", at(0));
    sessions
        .revoke(&old_revoked.token_hash, at(200), &logout)
        .await
        .unwrap();
    sessions
        .revoke(&new_revoked.token_hash, at(2_000), &logout)
        .await
        .unwrap();

    assert_eq!(sessions.purge(at(1_000)).await.unwrap(), 2);

    let kept = async |s: &Session| sessions.find(&s.token_hash).await.unwrap().is_some();
    assert!(!kept(&old).await, "started before the cutoff");
    assert!(
        !kept(&old_revoked).await,
        "started and revoked before the cutoff"
    );
    assert!(kept(&at_cutoff).await, "started at the cutoff");
    assert!(kept(&new_revoked).await, "revoked after the cutoff");
    assert_eq!(sessions.purge(at(1_000)).await.unwrap(), 0);
    assert_eq!(
        env.count("operator_audit").await,
        7,
        "audit rows are never purged"
    );
}
