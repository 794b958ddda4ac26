//! The operator API's payment reads (api.md §8, §10.1): a platform role reads every merchant's
//! payments, a merchant user its own merchant's. The merchant endpoints are
//! [`super::merchants`], cancels [`super::cancels`].

use actix_web::{HttpRequest, HttpResponse, web};

use super::{guards::Caller, payments};
use crate::{
    annotations::{
        params::AdminPaymentKeyPath,
        problems::PaymentNotFound,
        schemas::{PaymentFilterQuery, PaymentPageQuery},
    },
    dto::{AuditEntryResponse, ListResponse, PaymentResponse},
    problem::ApiError,
    state::AppState,
};

/// Search payments, newest first: every merchant's for platform roles, a merchant user's own
/// merchant's only (api.md §10.1).
#[utoipa::path(
    get,
    path = "/admin/api/payments",
    operation_id = "searchPayments",
    security(("adminToken" = []), ("sessionCookie" = [])),
    params(PaymentFilterQuery, PaymentPageQuery, ("clientId" = Option<String>, Query, description = "Only this merchant's payments", pattern = "^[A-Za-z0-9_-]{1,64}$")),
    responses(
        (status = 200, description = "A page of payments", body = ListResponse<PaymentResponse>),
    ),
)]
pub async fn search_payments(
    caller: Caller,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let query = payments::parse_list(&req, None)?;
    let page = state.payments.search(&caller.principal, query).await?;
    Ok(HttpResponse::Ok().json(ListResponse::page(&page, |p| PaymentResponse::from(p))))
}

/// Show a payment (another merchant's is unknown to a merchant user).
#[utoipa::path(
    get,
    path = "/admin/api/payments/{paymentKey}",
    operation_id = "adminGetPayment",
    security(("adminToken" = []), ("sessionCookie" = [])),
    params(AdminPaymentKeyPath),
    responses(
        (status = 200, description = "The payment", body = PaymentResponse),
        (status = 404, response = PaymentNotFound),
    ),
)]
pub async fn show_payment(
    caller: Caller,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let key = payments::payment_key(&path)?;
    let payment = state.payments.show(&caller.principal, &key).await?;
    Ok(HttpResponse::Ok().json(PaymentResponse::from(&payment)))
}

/// A payment's audit trail, oldest first.
#[utoipa::path(
    get,
    path = "/admin/api/payments/{paymentKey}/logs",
    operation_id = "adminGetPaymentLogs",
    security(("adminToken" = []), ("sessionCookie" = [])),
    params(AdminPaymentKeyPath),
    responses(
        (status = 200, description = "The audit trail", body = ListResponse<AuditEntryResponse>),
        (status = 404, response = PaymentNotFound),
    ),
)]
pub async fn payment_logs(
    caller: Caller,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let key = payments::payment_key(&path)?;
    let entries = state.payments.trail(&caller.principal, &key).await?;
    Ok(HttpResponse::Ok().json(ListResponse::all(&entries, |e| AuditEntryResponse::from(e))))
}
