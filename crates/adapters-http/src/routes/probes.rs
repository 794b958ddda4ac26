//! `/health` (the process is up) and `/ready` (the database is reachable and migrated).

use actix_web::{HttpResponse, web};

use crate::{
    annotations::problems::{NotFound, ServiceUnavailable},
    dto::{DatabaseReadiness, Health, Readiness},
    problem::{ApiError, ErrorCode},
    state::AppState,
};

/// The process is up.
#[utoipa::path(
    get,
    path = "/health",
    operation_id = "health",
    responses((status = 200, description = "Up", body = Health)),
)]
pub async fn health(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "UP",
        version: state.info.version,
    })
}

/// The database is reachable and migrated.
#[utoipa::path(
    get,
    path = "/ready",
    operation_id = "ready",
    responses(
        (status = 200, description = "Ready", body = Readiness),
        (status = 503, response = ServiceUnavailable),
    ),
)]
pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    match state.health.check().await {
        Ok(()) => Ok(HttpResponse::Ok().json(Readiness {
            status: "READY",
            version: state.info.version,
            profile: state.info.profile.clone(),
            database: DatabaseReadiness {
                status: "UP",
                store: state.info.store,
            },
        })),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            // The innermost cause says why in words an operator acts on ("the Galera node is
            // not ready (… state Donor/Desynced …)", "not migrated to version …"); no secret or
            // URL reaches these messages.
            let reason = innermost_cause(&e);
            let mut err = ApiError::unavailable(e);
            err.problem.detail = format!(
                "Not ready: {reason}. (The database is unreachable, not migrated — run `simplepg migrate` —, a cluster node out of sync, or the configured encryption key does not open the stored secrets.)"
            );
            Err(err)
        }
    }
}

/// The last error of `e`'s `source()` chain, as text.
fn innermost_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// Prometheus text format (unauthenticated, like the probes).
#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "metrics",
    responses(
        (status = 200, description = "Prometheus text exposition format",
            content_type = "text/plain; version=0.0.4; charset=utf-8", body = String),
        (status = 404, response = NotFound),
    ),
)]
pub async fn metrics(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let Some(render) = &state.metrics else {
        return Err(ApiError::new(
            ErrorCode::NotFound,
            "Metrics are not enabled",
        ));
    };
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(render()))
}
