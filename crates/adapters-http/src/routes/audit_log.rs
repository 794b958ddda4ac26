//! The operator audit log (api.md §10.4): every authentication event and user change, newest
//! first, ADMIN only. Nothing in it can be changed or deleted through the API.

use actix_web::{HttpRequest, HttpResponse, web};
use domain::{
    Timestamp,
    people::OperatorAuditFilter,
    ports::PageRequest,
    services::Limit,
    validation::{Invalid, Violations},
};

use super::guards::Caller;
use crate::{
    annotations::{problems::CsrfOrForbidden, schemas::OperatorAuditQuery},
    body::{page_limit, query_pairs},
    dto::{ListResponse, OperatorAuditResponse},
    problem::ApiError,
    state::AppState,
};

/// The operator audit log, newest first (`from` inclusive, `to` exclusive).
#[utoipa::path(
    get,
    path = "/admin/api/audit",
    operation_id = "listOperatorAudit",
    security(("adminToken" = [])),
    params(OperatorAuditQuery),
    responses(
        (status = 200, description = "A page of audit rows", body = ListResponse<OperatorAuditResponse>),
        (status = 403, response = CsrfOrForbidden),
    ),
)]
pub async fn list(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Violations::new();
    let mut filter = OperatorAuditFilter::default();
    let mut limit = Limit::DEFAULT;
    let mut before = None;
    let allowed = ["actor", "action", "from", "to", "limit", "startingAfter"];
    for (name, value) in query_pairs(&req, &allowed)? {
        let field = name.as_str();
        let time = || Timestamp::parse_rfc3339(&value).map_err(|e| Invalid::new(e.to_string()));
        match field {
            "actor" => filter.actor = Some(value.trim().to_lowercase()),
            "action" => filter.action = Some(value.clone()),
            "from" => filter.from = v.check(field, time()),
            "to" => filter.to = v.check(field, time()),
            "limit" => {
                if let Some(l) = v.check(field, page_limit(&value)) {
                    limit = l;
                }
            }
            _ => {
                before = v.check(
                    field,
                    value
                        .parse::<u64>()
                        .map_err(|_| Invalid::new("must be an auditId")),
                );
            }
        }
    }
    v.into_result().map_err(ApiError::validation)?;
    let page = PageRequest {
        limit: limit.get(),
        before,
    };
    let mut rows = state
        .people
        .users
        .audit_log(&caller.principal, &filter, &page)
        .await?;
    let has_more = rows.len() > limit.get() as usize;
    rows.truncate(limit.get() as usize);
    Ok(HttpResponse::Ok().json(ListResponse {
        data: rows.iter().map(OperatorAuditResponse::from).collect(),
        has_more: Some(has_more),
    }))
}
