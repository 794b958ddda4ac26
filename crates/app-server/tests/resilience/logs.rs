//! The logs of the real binary (`log.format = "json"`) when requests fail: every line of a
//! request carries that request's id, a 500 logs its cause at ERROR, a 4xx nothing above INFO.

use std::time::{Duration, Instant};

use adapters_mysql::test_util::TestDatabase;
use serde_json::Value;

use crate::support::{ServerProcess, get_with_request_id, instance, register};

/// Not the test profile's key: a server with only this key cannot open secrets sealed earlier.
const OTHER_KEY: &str = "a2V5LXR3by1mb3ItdGhlLXJvdGF0aW9uLXRlc3QhISE=";

/// The lines logged inside the request `request_id` (its span's field).
fn lines_of<'a>(lines: &'a [Value], request_id: &str) -> Vec<&'a Value> {
    lines
        .iter()
        .filter(|l| l["span"]["request_id"] == request_id)
        .collect()
}

#[actix_web::test]
async fn a_500_logs_its_cause_at_error_on_a_line_carrying_the_request_id_and_a_401_logs_nothing_above_info()
 {
    let db = TestDatabase::create().await;
    // A server that only has a key of version 2 (it starts: no secret is stored yet, so its
    // start-up key check has nothing to refuse)…
    let server = ServerProcess::spawn(
        db.url(),
        &[
            ("SIMPLEPG__SECURITY__ENCRYPTION_KEY", OTHER_KEY),
            ("SIMPLEPG__SECURITY__ENCRYPTION_KEY_VERSION", "2"),
        ],
    )
    .await;
    // …called by a merchant registered afterwards, through another instance, under the test
    // profile's key (version 1): opening its secret fails, a 500.
    let registrar = instance(db.url(), &[]).await;
    let merchant = register(&registrar, None).await;
    let failed = server
        .client
        .signed(&merchant, "GET", "/api/payments?limit=1", None, &[])
        .await
        .unwrap();
    assert_eq!(failed.status, 500, "{:?}", failed.json);
    let failed_id = failed.json["requestId"].as_str().unwrap().to_owned();
    let (status, echoed) =
        get_with_request_id(&server.client, "/api/payments", "obs-probe-401").await;
    assert_eq!((status, echoed.as_str()), (401, "obs-probe-401"));

    // Both access lines are written once each request is answered; wait for them.
    let deadline = Instant::now() + Duration::from_secs(5);
    let lines = loop {
        let lines = server.log_lines();
        let answered = |id: &str| {
            lines_of(&lines, id)
                .iter()
                .any(|l| l["message"] == "request")
        };
        if (answered(&failed_id) && answered("obs-probe-401")) || Instant::now() > deadline {
            break lines;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let dump = || {
        lines
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    };

    let of_500 = lines_of(&lines, &failed_id);
    let cause = of_500
        .iter()
        .find(|l| l["level"] == "ERROR" && l["message"] == "request failed")
        .unwrap_or_else(|| panic!("no ERROR line for {failed_id} in:\n{}", dump()));
    assert_eq!(cause["code"], "INTERNAL_ERROR");
    let chain = cause["error"].as_str().unwrap_or("");
    assert!(
        chain.contains("key version 1"),
        "the error chain names the cause: {chain}"
    );
    assert!(
        of_500
            .iter()
            .any(|l| l["message"] == "request" && l["status"] == 500 && l["level"] == "INFO"),
        "the access line of the 500 is in the request span:\n{}",
        dump()
    );

    let of_401 = lines_of(&lines, "obs-probe-401");
    assert!(!of_401.is_empty(), "no line for the 401 in:\n{}", dump());
    assert!(
        of_401
            .iter()
            .all(|l| l["level"] == "INFO" || l["level"] == "DEBUG"),
        "a 4xx logs nothing above INFO: {of_401:?}"
    );
    // No ANSI colour codes in a log that is not a terminal.
    let raw = std::fs::read_to_string(server.log_path()).unwrap();
    assert!(!raw.contains('\u{1b}'), "ANSI escape codes in the log file");
}

#[actix_web::test]
async fn a_failed_notification_is_logged_at_warn_with_kind_host_and_cause_but_never_its_path_or_query()
 {
    let db = TestDatabase::create().await;
    let server = ServerProcess::spawn(
        db.url(),
        &[("SIMPLEPG__NOTIFICATIONS__RETRY_SCHEDULE_SECS", "0,60")],
    )
    .await;
    // Nothing listens there: every attempt is refused.
    let port = crate::support::free_port();
    let return_url = format!("http://127.0.0.1:{port}/hooks/pg?token=s3cr3t-in-the-query");
    let merchant = register(&server.client, Some(&return_url)).await;
    let created = server
        .client
        .create_payment(&merchant, "logs-notify-1", 15_000)
        .await
        .unwrap();
    assert_eq!(created.status, 201, "{:?}", created.json);

    let deadline = Instant::now() + Duration::from_secs(15);
    let warning = loop {
        let found = server.log_lines().into_iter().find(|l| {
            l["level"] == "WARN"
                && l["kind"] == "MERCHANT_NOTIFICATION"
                && l["message"] == "delivery failed; retrying"
        });
        if let Some(line) = found {
            break line;
        }
        assert!(
            Instant::now() < deadline,
            "no WARN for the failed notification in:\n{}",
            std::fs::read_to_string(server.log_path()).unwrap()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(warning["host"], format!("127.0.0.1:{port}"));
    assert_eq!(warning["attempt"], "1/2");
    assert!(
        warning["event_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty())
    );
    let cause = warning["cause"].as_str().unwrap_or("");
    assert!(
        cause.contains("connect"),
        "the cause is the transport error: {cause}"
    );
    let raw = std::fs::read_to_string(server.log_path()).unwrap();
    assert!(
        !raw.contains("s3cr3t") && !raw.contains("/hooks/pg"),
        "a target's path or query reached the log"
    );
}
