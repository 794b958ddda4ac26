//! `/health` (the process is up) and `/ready` (the database is reachable and migrated).

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::{problem::ApiError, state::AppState};

pub async fn health(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "UP", "version": state.info.version }))
}

pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    match state.health.check().await {
        Ok(()) => Ok(HttpResponse::Ok().json(json!({
            "status": "READY",
            "version": state.info.version,
            "profile": state.info.profile,
            "database": { "status": "UP", "store": state.info.store },
        }))),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            let mut err = ApiError::unavailable(e);
            err.detail = "The database is unreachable or not migrated".into();
            Err(err)
        }
    }
}

/// `GET /metrics`: Prometheus text format (unauthenticated, like the probes).
pub async fn metrics(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let Some(render) = &state.metrics else {
        return Err(ApiError::new(
            actix_web::http::StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "Not found",
            "Metrics are not enabled",
        ));
    };
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(render()))
}
