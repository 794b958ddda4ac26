//! `GET /admin/api/events`: Server-Sent Events with the audit rows and delivery attempts of
//! every merchant, as they are written, by any instance (the database is tailed; see
//! `domain::operator::live`).
//!
//! Events: `ready` once (data `{"position"}`), then `audit` and `attempt` (JSON data), each
//! with `id: <logId>-<attemptId>`, the position after its batch, so a reconnecting
//! `EventSource` resumes where it stopped (`Last-Event-ID`). A comment line keeps idle
//! connections open.

use std::time::{Duration, Instant};

use actix_web::{
    HttpRequest, HttpResponse,
    http::header::{self, HeaderValue},
    web,
};
use domain::{
    operator::feed::{AttemptFeedEntry, AuditFeedEntry, FeedPosition},
    operator::live::{FeedCursor, FeedItem, LiveFeed},
    validation::Violations,
};
use futures_util::stream;
use serde::Serialize;

use super::guards::AdminOrQueryToken;
use crate::{
    body::query_pairs,
    dto::{AttemptResponse, AuditEntryResponse},
    problem::ApiError,
    state::AppState,
};

/// Pause between two polls of the database, per connection.
const POLL_INTERVAL: Duration = Duration::from_millis(500);
/// Rows of each kind read per poll.
const BATCH: u32 = 200;
/// A comment is sent when nothing else was for this long.
const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// What a browser waits before reconnecting (`retry:`), in milliseconds.
const RECONNECT_MS: u32 = 2000;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AuditEvent {
    payment_key: String,
    client_id: String,
    #[serde(flatten)]
    entry: AuditEntryResponse,
}

impl From<&AuditFeedEntry> for AuditEvent {
    fn from(a: &AuditFeedEntry) -> Self {
        Self {
            payment_key: a.payment_key.to_string(),
            client_id: a.client_id.to_string(),
            entry: AuditEntryResponse::from(&a.entry),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AttemptEvent {
    attempt_id: u64,
    delivery_id: String,
    kind: &'static str,
    event_type: Option<String>,
    target_url: String,
    client_id: Option<String>,
    payment_key: Option<String>,
    success: bool,
    #[serde(flatten)]
    attempt: AttemptResponse,
}

impl From<&AttemptFeedEntry> for AttemptEvent {
    fn from(a: &AttemptFeedEntry) -> Self {
        Self {
            attempt_id: a.id,
            delivery_id: a.attempt.event_id.to_string(),
            kind: a.kind.as_str(),
            event_type: a.event_type.clone(),
            target_url: a.target_url.clone(),
            client_id: a.client_id.as_ref().map(ToString::to_string),
            payment_key: a.payment_key.as_ref().map(ToString::to_string),
            success: a.attempt.report.is_success(),
            attempt: AttemptResponse::from(&a.attempt),
        }
    }
}

/// One SSE frame. `data` is single-line JSON, so it needs no splitting.
fn frame(event: &str, id: Option<&FeedPosition>, data: &str) -> String {
    match id {
        Some(id) => format!("event: {event}\nid: {id}\ndata: {data}\n\n"),
        None => format!("event: {event}\ndata: {data}\n\n"),
    }
}

fn item_frame(item: &FeedItem, id: &FeedPosition) -> String {
    let (event, json) = match item {
        FeedItem::Audit(a) => ("audit", serde_json::to_string(&AuditEvent::from(a))),
        FeedItem::Attempt(a) => ("attempt", serde_json::to_string(&AttemptEvent::from(a))),
    };
    frame(event, Some(id), &json.unwrap_or_else(|_| "{}".to_owned()))
}

struct Tail {
    feed: LiveFeed,
    cursor: FeedCursor,
    /// The previous poll filled a page: poll again without pausing.
    hurry: bool,
    last_sent: Instant,
    started: bool,
}

impl Tail {
    /// The next chunk to send; never ends (the client closing the connection ends it).
    async fn next_chunk(&mut self) -> String {
        if !self.started {
            self.started = true;
            let position = self.cursor.position();
            return format!(
                "retry: {RECONNECT_MS}\n{}",
                frame(
                    "ready",
                    Some(&position),
                    &format!(r#"{{"position":"{position}"}}"#)
                )
            );
        }
        loop {
            if !self.hurry {
                actix_web::rt::time::sleep(POLL_INTERVAL).await;
            }
            match self.feed.poll(&mut self.cursor, BATCH).await {
                Ok(batch) => {
                    self.hurry = batch.more;
                    if !batch.items.is_empty() {
                        let position = self.cursor.position();
                        self.last_sent = Instant::now();
                        return batch
                            .items
                            .iter()
                            .map(|i| item_frame(i, &position))
                            .collect();
                    }
                }
                Err(e) => {
                    self.hurry = false;
                    tracing::warn!(error = %e, "live feed poll failed");
                    self.last_sent = Instant::now();
                    return frame(
                        "error",
                        None,
                        r#"{"detail":"the database could not be read; retrying"}"#,
                    );
                }
            }
            if self.last_sent.elapsed() >= KEEP_ALIVE {
                self.last_sent = Instant::now();
                return ": keep-alive\n\n".to_owned();
            }
        }
    }
}

/// `after` (query) or `Last-Event-ID` (header, sent by a reconnecting `EventSource`).
fn start_position(req: &HttpRequest) -> Result<Option<FeedPosition>, ApiError> {
    let mut v = Violations::new();
    let mut after = None;
    for (name, value) in query_pairs(req, &["token", "after"])? {
        if name == "after" {
            after = v.check("after", value.parse::<FeedPosition>());
        }
    }
    v.into_result().map_err(ApiError::validation)?;
    if after.is_some() {
        return Ok(after);
    }
    Ok(req
        .headers()
        .get("last-event-id")
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.parse::<FeedPosition>().ok()))
}

/// Server-Sent Events: `ready` once, then `audit` and `attempt` events as they are written, by
/// any instance. The stream does not end; reconnecting with `Last-Event-ID` resumes.
#[utoipa::path(
    get,
    path = "/admin/api/events",
    operation_id = "streamEvents",
    security(("adminToken" = [])),
    params(
        ("token" = Option<String>, Query, description = "The admin token, for browsers' `EventSource`, which cannot send headers"),
        ("after" = Option<String>, Query, description = "Resume after this position (`<logId>-<attemptId>`)", pattern = "^[0-9]+-[0-9]+$"),
        ("Last-Event-ID" = Option<String>, Header, description = "Resume after this position (sent by a reconnecting `EventSource`)"),
    ),
    responses(
        (status = 200, description = "An endless `text/event-stream`", content_type = "text/event-stream", body = String),
    ),
)]
pub async fn events(
    AdminOrQueryToken(watcher): AdminOrQueryToken,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    LiveFeed::admit(&watcher)?;
    let cursor = match start_position(&req)? {
        Some(position) => state.live.after(position),
        None => state.live.from_now().await?,
    };
    let tail = Tail {
        feed: state.live.clone(),
        cursor,
        hurry: false,
        last_sent: Instant::now(),
        started: false,
    };
    let body = stream::unfold(tail, |mut tail| async move {
        let chunk = tail.next_chunk().await;
        Some((Ok::<_, actix_web::Error>(web::Bytes::from(chunk)), tail))
    });
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/event-stream"))
        .insert_header((header::CACHE_CONTROL, "no-cache, no-store"))
        .insert_header(("x-accel-buffering", HeaderValue::from_static("no")))
        .streaming(body))
}
