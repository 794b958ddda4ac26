//! `Idempotency-Key` on merchant POSTs (api.md §3.1): the first response is stored and replayed
//! byte for byte (with `Idempotent-Replayed: true`) for retries of the same request.

use std::future::Future;

use actix_web::{
    HttpRequest, HttpResponse, ResponseError, body,
    http::{
        StatusCode,
        header::{self, HeaderValue},
    },
};
use domain::{
    idempotency::{Claim, Fingerprint, IdempotencyKey, StoredResponse},
    ids::ClientId,
};

use crate::{
    context::request_id,
    problem::{ApiError, ErrorCode},
    state::AppState,
};

pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
pub const IDEMPOTENT_REPLAYED: &str = "idempotent-replayed";

/// Runs `handler` at most once per (merchant, key, request). Without the header it just runs.
pub async fn idempotent<F, Fut>(
    req: &HttpRequest,
    body: &[u8],
    state: &AppState,
    client: &ClientId,
    handler: F,
) -> Result<HttpResponse, ApiError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<HttpResponse, ApiError>>,
{
    let Some(raw) = req.headers().get(IDEMPOTENCY_KEY) else {
        return handler().await;
    };
    // Sent twice, a proxy might key on the first and we on another: refused like a repeated
    // query parameter.
    if req.headers().get_all(IDEMPOTENCY_KEY).nth(1).is_some() {
        return Err(ApiError::field("Idempotency-Key", "must not be repeated"));
    }
    let key = raw
        .to_str()
        .ok()
        .and_then(|v| IdempotencyKey::parse(v).ok())
        .ok_or_else(|| {
            ApiError::field(
                "Idempotency-Key",
                "must be 1 to 255 visible ASCII characters",
            )
        })?;
    let fingerprint = Fingerprint::of(
        req.method().as_str(),
        req.uri().path(),
        req.uri().query().unwrap_or(""),
        body,
    );
    match state.idempotency.begin(client, &key, &fingerprint).await? {
        Claim::Fresh => {}
        Claim::Replay(stored) => return Ok(replay(stored)),
        Claim::InFlight => {
            return Err(ApiError::new(
                ErrorCode::IdempotencyKeyInUse,
                "A request with this Idempotency-Key is still being processed; retry later",
            ));
        }
        Claim::Mismatch => {
            return Err(ApiError::new(
                ErrorCode::IdempotencyKeyReused,
                "This Idempotency-Key was used for a different request (method, path or body)",
            ));
        }
    }
    let response = match handler().await {
        Ok(r) => r,
        Err(e) => final_problem(req, &e),
    };
    let (response, bytes) = split(response).await;
    let stored = StoredResponse {
        status: response.status().as_u16(),
        content_type: header_string(&response, header::CONTENT_TYPE),
        location: header_string(&response, header::LOCATION),
        body: bytes.to_vec(),
    };
    if let Err(e) = state.idempotency.finish(client, &key, &stored).await {
        // The client got its answer; a retry finds the key in flight until the lease expires.
        tracing::warn!(error = %e, "storing the idempotent response failed");
    }
    Ok(response.set_body(bytes).map_into_boxed_body())
}

/// The problem response exactly as the request-context middleware will render it, so the
/// stored bytes equal the bytes sent.
fn final_problem(req: &HttpRequest, e: &ApiError) -> HttpResponse {
    let request_id = request_id(req);
    let body = e
        .problem
        .to_json(Some(req.path()), request_id.as_ref().map(|r| r.as_str()));
    let (res, _) = e.error_response().into_parts();
    res.set_body(body).map_into_boxed_body()
}

async fn split(response: HttpResponse) -> (HttpResponse<()>, actix_web::web::Bytes) {
    let (res, body) = response.into_parts();
    let bytes = body::to_bytes(body).await.unwrap_or_default();
    (res, bytes)
}

fn header_string(response: &HttpResponse<()>, name: header::HeaderName) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn replay(stored: StoredResponse) -> HttpResponse {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut builder = HttpResponse::build(status);
    builder.insert_header((IDEMPOTENT_REPLAYED, HeaderValue::from_static("true")));
    if let Some(ct) = stored.content_type {
        builder.insert_header((header::CONTENT_TYPE, ct));
    }
    if let Some(location) = stored.location {
        builder.insert_header((header::LOCATION, location));
    }
    builder.body(stored.body)
}
