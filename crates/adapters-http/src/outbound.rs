//! Outbound HTTP with awc. awc's client is `!Send`, so each thread keeps its own (pooled)
//! client; the sender itself is just configuration and can be shared.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use awc::http::header::RETRY_AFTER;
use domain::{
    outbox::SendReport,
    ports::{OutboundRequest, OutboundSender},
};
use futures_util::StreamExt;

/// Bytes of a response body kept for operators.
const EXCERPT_BYTES: usize = 1024;

thread_local! {
    static CLIENT: awc::Client = awc::Client::builder()
        .disable_redirects()
        .add_default_header((awc::http::header::USER_AGENT, concat!("SimplePG/", env!("CARGO_PKG_VERSION"))))
        .finish();
}

/// [`OutboundSender`] on awc: POSTs, never follows redirects, honours the per-request timeout,
/// keeps the first KiB of the answer and the `Retry-After` of a 429/503.
#[derive(Clone, Copy, Debug, Default)]
pub struct AwcSender;

#[async_trait(?Send)]
impl OutboundSender for AwcSender {
    async fn post(&self, request: &OutboundRequest) -> SendReport {
        let client = CLIENT.with(Clone::clone);
        let mut builder = client.post(&request.url).timeout(request.timeout);
        for (name, value) in &request.headers {
            builder = builder.insert_header((name.as_str(), value.as_str()));
        }
        let started = Instant::now();
        let response = builder.send_body(request.body.clone()).await;
        let mut response = match response {
            Ok(r) => r,
            Err(e) => {
                return SendReport {
                    latency: started.elapsed(),
                    error: Some(describe(&e)),
                    ..Default::default()
                };
            }
        };
        let status = response.status().as_u16();
        let retry_after = (status == 429 || status == 503)
            .then(|| {
                response
                    .headers()
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(parse_retry_after)
            })
            .flatten();
        let mut excerpt = Vec::new();
        let deadline = started + request.timeout;
        while excerpt.len() < EXCERPT_BYTES && Instant::now() < deadline {
            match response.next().await {
                Some(Ok(chunk)) => excerpt.extend_from_slice(&chunk),
                Some(Err(_)) | None => break,
            }
        }
        excerpt.truncate(EXCERPT_BYTES);
        SendReport {
            status: Some(status),
            latency: started.elapsed(),
            error: None,
            excerpt: (!excerpt.is_empty()).then(|| String::from_utf8_lossy(&excerpt).into_owned()),
            retry_after,
        }
    }
}

fn describe(e: &awc::error::SendRequestError) -> String {
    use awc::error::{ConnectError, SendRequestError as E};
    match e {
        E::Timeout => "timeout".to_owned(),
        E::Connect(ConnectError::Timeout) => "connect timeout".to_owned(),
        E::Connect(c) => format!("connection failed: {c}"),
        other => other.to_string(),
    }
}

/// `Retry-After` as delta-seconds (HTTP dates are rare from webhook receivers; ignored).
fn parse_retry_after(raw: &str) -> Option<Duration> {
    raw.trim()
        .parse::<u64>()
        .ok()
        .map(|s| Duration::from_secs(s.min(86_400)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_read_as_seconds_and_capped_at_a_day() {
        assert_eq!(parse_retry_after("120"), Some(Duration::from_secs(120)));
        assert_eq!(
            parse_retry_after("99999999"),
            Some(Duration::from_secs(86_400))
        );
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }
}
