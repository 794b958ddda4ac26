//! The request's context: its id (on the tracing span of the whole request, so every line logged
//! while serving it carries `request_id`), the access log, and problem+json for every error
//! response.

use std::time::{Duration, Instant};

use actix_web::{
    Error, HttpMessage, HttpRequest, HttpResponse,
    body::{BoxBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::header::{self, HeaderName, HeaderValue},
    middleware::Next,
};
use domain::ids::RequestId;
use tracing::Span;
use tracing_actix_web::RootSpanBuilder;

use crate::problem::{PROBLEM_JSON, Problem};

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The request id of `req`: the one already assigned to it, else a well-formed incoming
/// `X-Request-Id` (1–128 visible ASCII chars), else a new one. Stored in the extensions.
pub fn assign_request_id(req: &ServiceRequest) -> RequestId {
    if let Some(id) = req.extensions().get::<RequestId>() {
        return id.clone();
    }
    let request_id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| RequestId::parse(v).ok())
        .unwrap_or_else(|| RequestId::from_uuid(uuid::Uuid::now_v7()));
    req.extensions_mut().insert(request_id.clone());
    request_id
}

/// The root span of every request (`tracing_actix_web::TracingLogger`, outside
/// [`request_context`]): named `request`, with our `request_id` as its only field, so that every
/// event logged while the request is served — handlers, domain services, the 5xx cause, the
/// access line — carries it (a span field in JSON logs, `request_id="…"` at the end of pretty
/// ones).
///
/// The span is at ERROR level on purpose: a span is recorded only where its level passes the
/// filter, and the request id must stay on WARN and ERROR lines even under `RUST_LOG=warn`.
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let request_id = assign_request_id(request);
        tracing::error_span!(target: "simplepg::http", "request", request_id = request_id.as_str())
    }

    fn on_request_end<B: MessageBody>(_span: Span, _outcome: &Result<ServiceResponse<B>, Error>) {
        // The access line of `request_context` already says how the request ended.
    }
}

/// A latency for logs: milliseconds rounded to three decimals (microseconds), never a `Debug`
/// duration such as `1.234567891ms`.
pub fn latency_ms(elapsed: Duration) -> f64 {
    (elapsed.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

/// Echoes a well-formed `X-Request-Id` or issues a new one (see [`assign_request_id`]; the
/// [`RequestSpan`] outside usually did already), logs the request once, and makes sure that
/// every 4xx/5xx body is problem+json carrying `instance` and `requestId`, whichever layer
/// produced the error.
pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let started = Instant::now();
    let request_id = assign_request_id(&req);
    // Never clone the HttpRequest before routing: the router needs it uniquely owned.
    let method = req.method().clone();

    // Handler and extractor errors arrive here already rendered as responses; an `Err` can only
    // come from a middleware inside this one, and is passed on untouched.
    let res = next.call(req).await?.map_into_boxed_body();
    let is_error = res.status().is_client_error() || res.status().is_server_error();
    let mut res = if is_error && needs_problem_body(&res) {
        as_problem(res, &request_id)
    } else {
        res
    };
    if let Ok(value) = HeaderValue::from_str(request_id.as_str()) {
        res.headers_mut().insert(REQUEST_ID, value);
    }
    let elapsed = started.elapsed();
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let labels = [
        ("method", method.to_string()),
        ("route", route),
        ("status", res.status().as_u16().to_string()),
    ];
    metrics::counter!("simplepg_http_requests_total", &labels).increment(1);
    metrics::histogram!("simplepg_http_request_duration_seconds", &labels[..2])
        .record(elapsed.as_secs_f64());
    tracing::info!(
        target: "simplepg::http",
        method = %method,
        path = res.request().path(),
        status = res.status().as_u16(),
        latency_ms = latency_ms(elapsed),
        request_id = request_id.as_str(),
        "request"
    );
    Ok(res)
}

/// A handler error (its `Problem` is in the extensions) or an error some layer produced without
/// a problem body. A finished problem body without the extension (an idempotent replay) stays
/// byte for byte as it is.
fn needs_problem_body(res: &ServiceResponse<BoxBody>) -> bool {
    if res.response().extensions().get::<Problem>().is_some() {
        return true;
    }
    let content_type = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    !content_type.starts_with(PROBLEM_JSON)
}

fn as_problem(res: ServiceResponse<BoxBody>, request_id: &RequestId) -> ServiceResponse<BoxBody> {
    let status = res.status();
    let problem = res
        .response()
        .extensions()
        .get::<Problem>()
        .cloned()
        .unwrap_or_else(|| Problem::for_status(status));
    let (req, old) = res.into_parts();
    let mut builder = HttpResponse::build(status);
    for (name, value) in old.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            builder.append_header((name.clone(), value.clone()));
        }
    }
    let body = problem.to_json(Some(req.path()), Some(request_id.as_str()));
    let mut new = builder.content_type(PROBLEM_JSON).body(body);
    new.extensions_mut().insert(problem);
    ServiceResponse::new(req, new)
}

/// The request id the middleware assigned (absent only when a handler runs without it).
pub fn request_id(req: &HttpRequest) -> Option<RequestId> {
    req.extensions().get::<RequestId>().cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latencies_are_logged_in_milliseconds_with_at_most_three_decimals() {
        assert_eq!(latency_ms(Duration::from_nanos(1_234_567_891)), 1234.568);
        assert_eq!(latency_ms(Duration::from_nanos(1_500)), 0.002);
        assert_eq!(latency_ms(Duration::from_millis(7)), 7.0);
        assert_eq!(latency_ms(Duration::ZERO), 0.0);
    }
}
