//! Reconciliations (api.md §12.3): an ADMIN reconciles a date against the acquirer's
//! settlement file; platform users read them. Who may do what is the domain's.

use actix_web::{HttpRequest, HttpResponse, web};
use domain::{
    people::Action,
    reconciliation::{
        DiscrepancyKind, ReconciliationFilter, ReconciliationId, ReconciliationSummary,
    },
};

use super::guards::Caller;
use crate::{
    body::{date_body, dated_page, path_id},
    dto::{ListResponse, ReconciliationResponse},
    problem::{ApiError, ErrorCode, ProblemBody},
    state::AppState,
};

/// Reconcile a date against the acquirer's settlement file (ADMIN).
#[utoipa::path(
    post,
    path = "/admin/api/reconciliations",
    operation_id = "reconcile",
    security(("adminToken" = []), ("sessionCookie" = [])),
    request_body(content = crate::annotations::schemas::ReconciliationRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "The stored reconciliation: what matched and every discrepancy", body = ReconciliationResponse,
            headers(("Location" = String, description = "`/admin/api/reconciliations/{reconciliationId}`"))),
        (status = 400, description = "`VALIDATION_FAILED`: a malformed date, or one after today in the settlement time zone", body = ProblemBody, content_type = "application/problem+json"),
        (status = 502, description = "`ACQUIRER_ERROR`: the acquirer's settlement file could not be fetched or read; nothing was stored", body = ProblemBody, content_type = "application/problem+json"),
    ),
)]
pub async fn run(
    caller: Caller,
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::Reconcile)?;
    let date = date_body(&req, &body)?;
    let rec = state
        .reconciliations
        .run(&caller.principal, date, &caller.origin)
        .await?;
    record_discrepancies(Some(&ReconciliationSummary::from(&rec)));
    tracing::info!(
        date = %rec.date,
        reconciliation = %rec.id,
        matched = rec.matched,
        discrepancies = rec.discrepancies.len(),
        "reconciliation"
    );
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/admin/api/reconciliations/{}", rec.id)))
        .json(ReconciliationResponse::from(&rec)))
}

/// Reconciliations, newest date first.
#[utoipa::path(
    get,
    path = "/admin/api/reconciliations",
    operation_id = "listReconciliations",
    security(("adminToken" = []), ("sessionCookie" = [])),
    params(crate::annotations::schemas::ReconciliationListQuery),
    responses(
        (status = 200, description = "A page of reconciliations with their discrepancies", body = ListResponse<ReconciliationResponse>),
    ),
)]
pub async fn list(
    caller: Caller,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::ReadReconciliations)?;
    let query = dated_page(&req, &[], ReconciliationId::parse, |_, _, _| {})?;
    let filter = ReconciliationFilter {
        from: query.from,
        to: query.to,
    };
    let page = state
        .reconciliations
        .list(&caller.principal, filter, query.limit, query.after)
        .await?;
    Ok(HttpResponse::Ok().json(ListResponse::page(&page, |r| {
        ReconciliationResponse::from(r)
    })))
}

/// One reconciliation.
#[utoipa::path(
    get,
    path = "/admin/api/reconciliations/{reconciliationId}",
    operation_id = "getReconciliation",
    security(("adminToken" = []), ("sessionCookie" = [])),
    params(("reconciliationId" = String, Path, pattern = "^rcn_[0-9a-f]{32}$")),
    responses(
        (status = 200, description = "The reconciliation", body = ReconciliationResponse),
        (status = 404, description = "`RECONCILIATION_NOT_FOUND`", body = ProblemBody, content_type = "application/problem+json"),
    ),
)]
pub async fn show(
    caller: Caller,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::ReadReconciliations)?;
    let id = path_id(
        &path,
        ReconciliationId::parse,
        ErrorCode::ReconciliationNotFound,
        "reconciliation",
    )?;
    let rec = state.reconciliations.get(&caller.principal, &id).await?;
    Ok(HttpResponse::Ok().json(ReconciliationResponse::from(&rec)))
}

/// Sets `simplepg_reconciliation_discrepancies{kind}` to the counts of the newest
/// reconciliation (zeros when there is none): at once on the instance that ran it, and by every
/// instance's sampler from the database (so every instance converges on the newest run).
pub fn record_discrepancies(latest: Option<&ReconciliationSummary>) {
    for kind in DiscrepancyKind::ALL {
        let n = latest.map_or(0, |r| r.count(kind));
        metrics::gauge!("simplepg_reconciliation_discrepancies", "kind" => kind.as_str())
            .set(n as f64);
    }
}
