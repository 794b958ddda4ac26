//! The operator API (api.md §8), behind `Authorization: Bearer <admin token>`.

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use domain::{
    ids::ClientId,
    merchant::{ClientName, MerchantStatus, NewMerchant, ReturnUrl},
    services::Limit,
    validation::Violations,
};

use super::{
    guards::{Admin, Caller},
    payments,
};
use crate::{
    annotations::{
        params::{AdminPaymentKeyPath, ClientIdPath},
        problems::{MerchantNotFound, PaymentNotFound},
        schemas::{MerchantListQuery, PaymentListQuery, RegisterMerchantRequest},
    },
    body::{json_object, page_limit, query_pairs, valid},
    dto::{
        AuditEntryResponse, ListResponse, MerchantResponse, MerchantWithSecrets, PaymentResponse,
    },
    problem::{ApiError, ErrorCode},
    state::AppState,
};

/// An unknown or malformed client id: 404 MERCHANT_NOT_FOUND either way.
fn client_id(path: &web::Path<String>) -> Result<ClientId, ApiError> {
    ClientId::parse(path.as_str()).map_err(|_| {
        ApiError::new(
            ErrorCode::MerchantNotFound,
            format!("merchant {} not found", path.as_str()),
        )
    })
}

/// The fields of a merchant registration (api.md §8).
pub(crate) const REGISTRATION_FIELDS: &[&str] = &["clientName", "returnUrl"];

fn parse_registration(req: &HttpRequest, body: &[u8]) -> Result<NewMerchant, ApiError> {
    let obj = json_object(req, body, REGISTRATION_FIELDS)?;
    let mut v = obj.violations();
    let client_name = obj.parsed("clientName", true, &mut v, ClientName::parse);
    let return_url = obj.parsed("returnUrl", false, &mut v, ReturnUrl::parse);
    let client_name = valid(v, client_name)?;
    Ok(NewMerchant {
        client_name,
        return_url,
    })
}

/// Register a merchant; its secrets are in this response only (api.md §8).
#[utoipa::path(
    post,
    path = "/admin/api/merchants",
    operation_id = "registerMerchant",
    security(("adminToken" = [])),
    request_body(content = RegisterMerchantRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Registered", body = MerchantWithSecrets,
            headers(("Location" = String, description = "/admin/api/merchants/{clientId}"))),
    ),
)]
pub async fn register_merchant(
    req: HttpRequest,
    Admin(body): Admin<web::Bytes>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let new = parse_registration(&req, &body)?;
    let reg = state.merchants.register(new).await?;
    tracing::info!(client_id = %reg.merchant.client_id, "merchant registered");
    let mut created = HttpResponse::Created();
    created.insert_header((
        header::LOCATION,
        format!("/admin/api/merchants/{}", reg.merchant.client_id),
    ));
    Ok(MerchantWithSecrets {
        client_secret: Some(reg.client_secret.expose().to_owned()),
        webhook_secret: Some(reg.webhook_secret.expose().to_owned()),
        ..MerchantWithSecrets::of(&reg.merchant)
    }
    .shown_once(created))
}

/// List merchants (never their secrets).
#[utoipa::path(
    get,
    path = "/admin/api/merchants",
    operation_id = "listMerchants",
    security(("adminToken" = [])),
    params(MerchantListQuery),
    responses(
        (status = 200, description = "A page of merchants", body = ListResponse<MerchantResponse>),
    ),
)]
pub async fn list_merchants(
    _: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Violations::new();
    let mut limit = Limit::DEFAULT;
    let mut after = None;
    for (name, value) in query_pairs(&req, &["limit", "startingAfter"])? {
        if name == "limit" {
            if let Some(l) = v.check("limit", page_limit(&value)) {
                limit = l;
            }
        } else {
            after = v.check("startingAfter", ClientId::parse(&value));
        }
    }
    v.into_result().map_err(ApiError::validation)?;
    let page = state.merchants.list(limit, after).await?;
    Ok(HttpResponse::Ok().json(ListResponse::page(&page, |m| MerchantResponse::from(m))))
}

/// Show a merchant (never its secrets).
#[utoipa::path(
    get,
    path = "/admin/api/merchants/{clientId}",
    operation_id = "getMerchant",
    security(("adminToken" = [])),
    params(ClientIdPath),
    responses(
        (status = 200, description = "The merchant", body = MerchantResponse),
        (status = 404, response = MerchantNotFound),
    ),
)]
pub async fn show_merchant(
    _: Admin,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let merchant = state.merchants.get(&client_id(&path)?).await?;
    Ok(HttpResponse::Ok().json(MerchantResponse::from(&merchant)))
}

/// Issue a new client secret, shown once; the old one stops working.
#[utoipa::path(
    post,
    path = "/admin/api/merchants/{clientId}/rotate-secret",
    operation_id = "rotateClientSecret",
    security(("adminToken" = [])),
    params(ClientIdPath),
    responses(
        (status = 200, description = "The merchant with its new `clientSecret`", body = MerchantWithSecrets),
        (status = 404, response = MerchantNotFound),
    ),
)]
pub async fn rotate_secret(
    _: Admin,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (merchant, secret) = state.merchants.rotate_secret(&client_id(&path)?).await?;
    tracing::info!(client_id = %merchant.client_id, "client secret rotated");
    Ok(MerchantWithSecrets {
        client_secret: Some(secret.expose().to_owned()),
        ..MerchantWithSecrets::of(&merchant)
    }
    .shown_once(HttpResponse::Ok()))
}

/// Issue a new webhook secret, shown once; deliveries carry both signatures for a grace period.
#[utoipa::path(
    post,
    path = "/admin/api/merchants/{clientId}/rotate-webhook-secret",
    operation_id = "rotateWebhookSecret",
    security(("adminToken" = [])),
    params(ClientIdPath),
    responses(
        (status = 200, description = "The merchant with its new `webhookSecret`", body = MerchantWithSecrets),
        (status = 404, response = MerchantNotFound),
    ),
)]
pub async fn rotate_webhook_secret(
    _: Admin,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (merchant, secret) = state
        .merchants
        .rotate_webhook_secret(&client_id(&path)?, state.webhook_secret_grace)
        .await?;
    tracing::info!(client_id = %merchant.client_id, "webhook secret rotated");
    Ok(MerchantWithSecrets {
        webhook_secret: Some(secret.expose().to_owned()),
        previous_webhook_secret_valid_until: merchant
            .previous_webhook_secret
            .as_ref()
            .map(|p| p.until.to_rfc3339()),
        ..MerchantWithSecrets::of(&merchant)
    }
    .shown_once(HttpResponse::Ok()))
}

async fn set_status(
    _: Admin,
    path: web::Path<String>,
    state: web::Data<AppState>,
    status: MerchantStatus,
) -> Result<HttpResponse, ApiError> {
    let merchant = state
        .merchants
        .set_status(&client_id(&path)?, status)
        .await?;
    tracing::info!(client_id = %merchant.client_id, status = status.as_str(), "merchant status set");
    Ok(HttpResponse::Ok().json(MerchantResponse::from(&merchant)))
}

/// Set the merchant ACTIVE.
#[utoipa::path(
    post,
    path = "/admin/api/merchants/{clientId}/activate",
    operation_id = "activateMerchant",
    security(("adminToken" = [])),
    params(ClientIdPath),
    responses(
        (status = 200, description = "The merchant", body = MerchantResponse),
        (status = 404, response = MerchantNotFound),
    ),
)]
pub async fn activate(
    admin: Admin,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    set_status(admin, path, state, MerchantStatus::Active).await
}

/// Set the merchant INACTIVE: its signed requests get 403 CLIENT_INACTIVE.
#[utoipa::path(
    post,
    path = "/admin/api/merchants/{clientId}/deactivate",
    operation_id = "deactivateMerchant",
    security(("adminToken" = [])),
    params(ClientIdPath),
    responses(
        (status = 200, description = "The merchant", body = MerchantResponse),
        (status = 404, response = MerchantNotFound),
    ),
)]
pub async fn deactivate(
    admin: Admin,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    set_status(admin, path, state, MerchantStatus::Inactive).await
}

/// Search payments, newest first: every merchant's for platform roles, a merchant user's own
/// merchant's only (api.md §10.1).
#[utoipa::path(
    get,
    path = "/admin/api/payments",
    operation_id = "searchPayments",
    security(("adminToken" = []), ("sessionCookie" = [])),
    params(PaymentListQuery, ("clientId" = Option<String>, Query, description = "Only this merchant's payments", pattern = "^[A-Za-z0-9_-]{1,64}$")),
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
