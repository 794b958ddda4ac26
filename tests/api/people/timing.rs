//! No account enumeration by timing (api.md §10.2): a login of an unknown email does the same
//! Argon2id work as a wrong password, so the two take comparable time. Measured over many
//! interleaved tries with the production hash cost, compared by their medians.

use std::time::{Duration, Instant};

use super::support::PASSWORD;
use crate::helpers::{assert_problem, spawn_app_configured};

const TRIES: usize = 30;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

#[actix_web::test]
async fn a_wrong_email_and_a_wrong_password_take_comparable_time() {
    let app = spawn_app_configured(&[
        ("SIMPLEPG__AUTH__ARGON2_MEMORY_KIB", "19456"),
        ("SIMPLEPG__AUTH__ARGON2_ITERATIONS", "2"),
        // Never lock: every try must take the wrong-password path.
        ("SIMPLEPG__AUTH__MAX_FAILED_LOGINS", "100000"),
    ])
    .await;
    app.create_user("ops@example.com", "OPERATOR", None).await;
    assert_eq!(
        app.login("ops@example.com", PASSWORD, None).await.status,
        200
    );
    let (mut unknown, mut wrong) = (Vec::new(), Vec::new());
    for i in 0..TRIES {
        let started = Instant::now();
        let res = app
            .login(&format!("nobody{i}@example.com"), PASSWORD, None)
            .await;
        unknown.push(started.elapsed());
        assert_problem(&res, 401, "LOGIN_FAILED");
        let started = Instant::now();
        let res = app
            .login("ops@example.com", "not the password at all", None)
            .await;
        wrong.push(started.elapsed());
        assert_problem(&res, 401, "LOGIN_FAILED");
    }
    let (unknown, wrong) = (median(unknown), median(wrong));
    let ratio = unknown.max(wrong).as_secs_f64() / unknown.min(wrong).as_secs_f64();
    assert!(
        ratio < 1.5,
        "median of a wrong email {unknown:?}, of a wrong password {wrong:?}: ratio {ratio:.2}"
    );
}
