//! `GET /admin/api/events` (Server-Sent Events).

use std::time::{Duration, Instant};

use futures_util::StreamExt;

use crate::harness::{ADMIN_TOKEN, App, assert_admin_unauthorized, spawn, spawn_with_merchant};

type Body = std::pin::Pin<
    Box<dyn futures_util::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>>>,
>;

/// An open event stream, read as text.
struct Events {
    res: awc::ClientResponse<Body>,
    text: String,
}

impl Events {
    async fn open(app: &App, query: &str, bearer: bool) -> Self {
        let mut req = app
            .api
            .http()
            .get(format!("{}/admin/api/events{query}", app.api.base()))
            .timeout(Duration::from_secs(60));
        if bearer {
            req = req.insert_header(("authorization", format!("Bearer {ADMIN_TOKEN}")));
        }
        let res = req.send().await.expect("the stream opens");
        assert_eq!(res.status().as_u16(), 200);
        assert_eq!(
            res.headers().get("content-type").unwrap().to_str().unwrap(),
            "text/event-stream"
        );
        Self {
            res,
            text: String::new(),
        }
    }

    /// Reads until `pred(text so far)` holds, or fails after `within`.
    async fn until(&mut self, what: &str, within: Duration, pred: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + within;
        while !pred(&self.text) {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "no {what} within {within:?}; got:\n{}",
                self.text
            );
            match actix_web::rt::time::timeout(left, self.res.next()).await {
                Ok(Some(Ok(chunk))) => self.text.push_str(&String::from_utf8_lossy(&chunk)),
                Ok(other) => panic!("the stream ended ({other:?}) before {what}:\n{}", self.text),
                Err(_) => {}
            }
        }
    }
}

impl Events {
    /// Reads until an `audit` frame of the payment arrives (with `action`, if given), or fails
    /// after 10 s.
    async fn until_audit_row(&mut self, what: &str, key: &str, action: Option<&str>) {
        self.until(what, Duration::from_secs(10), |t| {
            frames(t, "audit").iter().any(|a| {
                a["paymentKey"] == key && action.is_none_or(|action| a["action"] == action)
            })
        })
        .await;
    }

    /// The `data:` JSON of the first `event: {kind}` frame so far that `accept` holds for.
    fn first_frame(
        &self,
        kind: &str,
        accept: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        frames(&self.text, kind)
            .into_iter()
            .find(|f| accept(f))
            .unwrap_or_else(|| panic!("no such {kind} frame in {}", self.text))
    }
}

/// The `data:` JSON of every `event: {kind}` frame so far.
fn frames(text: &str, kind: &str) -> Vec<serde_json::Value> {
    text.split("\n\n")
        .filter(|f| f.lines().any(|l| l == format!("event: {kind}")))
        .filter_map(|f| f.lines().find_map(|l| l.strip_prefix("data: ")))
        .map(|d| serde_json::from_str(d).unwrap())
        .collect()
}

#[actix_web::test]
async fn a_new_audit_row_and_delivery_attempts_arrive_on_the_stream() {
    let (app, m) = spawn_with_merchant("Live shop").await;
    let before = app.pay(&m, "L-0", 15_002).await;
    let mut events = Events::open(&app, "", true).await;
    events
        .until("the ready event", Duration::from_secs(5), |t| {
            t.contains("event: ready")
        })
        .await;
    assert!(events.text.starts_with("retry: "));

    let key = app.pay(&m, "L-1", 15_000).await;
    events
        .until_audit_row("the CREATE audit row", &key, Some("CREATE"))
        .await;
    let created = events.first_frame("audit", |a| a["paymentKey"] == key.as_str());
    assert_eq!(created["clientId"], m.client_id.as_str());
    assert_eq!(created["status"], "READY");
    assert_eq!(created["actor"], "MERCHANT");
    assert!(created["logId"].as_u64().unwrap() > 0);
    assert!(
        frames(&events.text, "audit")
            .iter()
            .all(|a| a["paymentKey"] != before.as_str()),
        "the stream starts from now"
    );
    assert!(events.text.contains("\nid: "), "frames carry an id");

    // The mock acquirer approves 15000 shortly: the request attempt, then the approval.
    events
        .until_audit_row("the approval", &key, Some("APPROVE"))
        .await;
    let request = events.first_frame("attempt", |a| {
        a["kind"] == "ACQUIRER_REQUEST" && a["paymentKey"] == key.as_str()
    });
    assert_eq!(request["statusCode"], 202);
    assert_eq!(request["success"], true);
    assert!(request["attemptId"].as_u64().unwrap() > 0);
    app.stop().await;
}

#[actix_web::test]
async fn the_token_may_come_in_the_query_and_after_replays_from_a_position() {
    let (app, m) = spawn_with_merchant("Replay shop").await;
    let key = app.pay(&m, "R-1", 15_002).await;
    let mut events = Events::open(&app, &format!("?token={ADMIN_TOKEN}&after=0-0"), false).await;
    events
        .until_audit_row("the earlier CREATE row", &key, None)
        .await;
    assert!(events.text.contains("event: ready\nid: 0-0\n"));
    app.stop().await;
}

#[actix_web::test]
async fn the_stream_needs_the_admin_token_and_a_valid_position() {
    let app = spawn().await;
    assert_admin_unauthorized(&app.get("/admin/api/events").await, "no token");
    assert_admin_unauthorized(
        &app.get("/admin/api/events?token=nope").await,
        "wrong ?token",
    );
    let wrong = app
        .get_with_headers("/admin/api/events", &[("authorization", "Bearer nope")])
        .await;
    assert_admin_unauthorized(&wrong, "wrong bearer");
    for bad in ["after=12", "after=a-b", "after=1-2&after=3-4", "since=1-1"] {
        let res = app.admin_get(&format!("/admin/api/events?{bad}")).await;
        assert_eq!(res.status, 400, "{bad}: {}", res.text());
    }
    app.stop().await;
}
