//! The operator API's payment reads (api.md §8), behind `Authorization: Bearer <admin token>`
//! or an ADMIN's session. The merchant endpoints are [`super::merchants`].

use actix_web::{HttpRequest, HttpResponse, web};

use super::{guards::Admin, payments};
use crate::{
    annotations::{
        params::AdminPaymentKeyPath, problems::PaymentNotFound, schemas::PaymentListQuery,
    },
    dto::{AuditEntryResponse, ListResponse, PaymentResponse},
    problem::ApiError,
    state::AppState,
};

/// Search all merchants' payments, newest first.
#[utoipa::path(
    get,
    path = "/admin/api/payments",
    operation_id = "searchPayments",
    security(("adminToken" = [])),
    params(PaymentListQuery, ("clientId" = Option<String>, Query, description = "Only this merchant's payments", pattern = "^[A-Za-z0-9_-]{1,64}$")),
    responses(
        (status = 200, description = "A page of payments", body = ListResponse<PaymentResponse>),
    ),
)]
pub async fn search_payments(
    _: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    payments::page(&state, payments::parse_list(&req, None)?).await
}

/// Show any merchant's payment.
#[utoipa::path(
    get,
    path = "/admin/api/payments/{paymentKey}",
    operation_id = "adminGetPayment",
    security(("adminToken" = [])),
    params(AdminPaymentKeyPath),
    responses(
        (status = 200, description = "The payment", body = PaymentResponse),
        (status = 404, response = PaymentNotFound),
    ),
)]
pub async fn show_payment(
    _: Admin,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    payments::show(&state, None, &path).await
}

/// Any payment's audit trail, oldest first.
#[utoipa::path(
    get,
    path = "/admin/api/payments/{paymentKey}/logs",
    operation_id = "adminGetPaymentLogs",
    security(("adminToken" = [])),
    params(AdminPaymentKeyPath),
    responses(
        (status = 200, description = "The audit trail", body = ListResponse<AuditEntryResponse>),
        (status = 404, response = PaymentNotFound),
    ),
)]
pub async fn payment_logs(
    _: Admin,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    payments::audit_trail(&state, None, &path).await
}
