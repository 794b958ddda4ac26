//! The operator audit log (api.md §10.4): every authentication event and user change, newest
//! first, ADMIN only. Nothing in it can be changed or deleted through the API.

use actix_web::{HttpRequest, HttpResponse, web};
use domain::{
    people::{Action, OperatorAuditFilter},
    validation::Invalid,
};

use super::guards::Caller;
use crate::{
    annotations::{problems::CsrfOrForbidden, schemas::OperatorAuditQuery},
    body::{page_query, query_time},
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
    caller.require(Action::ReadAudit)?;
    let mut filter = OperatorAuditFilter::default();
    let audit_id = |raw: &str| {
        raw.parse::<u64>()
            .map_err(|_| Invalid::new("must be an auditId"))
    };
    let query = page_query(
        &req,
        &["actor", "action", "from", "to"],
        audit_id,
        |field, value, v| {
            let time = || query_time(value);
            match field {
                "actor" => filter.actor = Some(value.trim().to_lowercase()),
                "action" => filter.action = Some(value.to_owned()),
                "from" => filter.from = v.check(field, time()),
                _ => filter.to = v.check(field, time()),
            }
        },
    )?;
    if let (Some(from), Some(to)) = (filter.from, filter.to)
        && from > to
    {
        return Err(ApiError::field("from", "must not be after to"));
    }
    let limit = query.limit;
    let rows = state
        .people
        .users
        .audit_log(&caller.principal, &filter, &query.request())
        .await?;
    Ok(
        HttpResponse::Ok().json(ListResponse::first(rows, limit, |r| {
            OperatorAuditResponse::from(r)
        })),
    )
}
