//! The web console (`/console/`): plain HTML, CSS and JavaScript files compiled into the binary
//! from `assets/console/`, served with their content types, a validator (`ETag`) and a strict
//! Content-Security-Policy (nothing from other origins, no inline scripts or styles).

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use sha2::{Digest, Sha256};

use crate::problem::{ApiError, ErrorCode};

/// The policy every console file is served with.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
     manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

macro_rules! assets {
    ($($path:literal => $content_type:expr),* $(,)?) => {
        &[$((
            $path,
            $content_type,
            include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/console/", $path)),
        )),*]
    };
}

const JS: &str = "text/javascript; charset=utf-8";

/// `(path under /console/, content type, bytes)`.
static ASSETS: &[(&str, &str, &[u8])] = assets! {
    "index.html" => "text/html; charset=utf-8",
    "console.css" => "text/css; charset=utf-8",
    "favicon.svg" => "image/svg+xml",
    "js/app.js" => JS,
    "js/api.js" => JS,
    "js/ui.js" => JS,
    "js/gate.js" => JS,
    "js/chart.js" => JS,
    "js/roles.js" => JS,
    "js/alerts.js" => JS,
    "js/names.js" => JS,
    "js/pages/dashboard.js" => JS,
    "js/pages/sandbox.js" => JS,
    "js/pages/flow.js" => JS,
    "js/pages/simulator.js" => JS,
    "js/pages/live.js" => JS,
    "js/pages/backoffice.js" => JS,
    "js/pages/merchants.js" => JS,
    "js/pages/settings.js" => JS,
    "js/pages/stats.js" => JS,
    "js/pages/my.js" => JS,
    "js/pages/people.js" => JS,
    "js/pages/settlements.js" => JS,
    "js/pages/reconciliations.js" => JS,
    "js/pages/account.js" => JS,
};

fn not_found() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "No console file at this path")
}

fn serve(req: &HttpRequest, path: &str) -> Result<HttpResponse, ApiError> {
    let (_, content_type, bytes) = ASSETS
        .iter()
        .find(|(p, _, _)| *p == path)
        .ok_or_else(not_found)?;
    let digest = Sha256::digest(bytes);
    let etag = format!(
        "\"{}\"",
        digest[..12]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut res = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"));
    if fresh {
        return Ok(res.finish());
    }
    Ok(res
        .insert_header((header::CONTENT_TYPE, *content_type))
        .body(*bytes))
}

/// `GET /console` → `308 /console/`, so relative URLs in the page resolve under it.
pub async fn redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, "/console/"))
        .finish()
}

/// `GET /console/`.
pub async fn index(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    serve(&req, "index.html")
}

/// `GET /console/{file}`.
pub async fn file(req: HttpRequest, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    serve(&req, path.as_str())
}
