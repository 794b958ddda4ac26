//! The merchant endpoints of the operator API (api.md §8, §10.3). Any authenticated caller may
//! ask; the domain decides by its principal (`MerchantService`): ADMIN everything, a
//! MERCHANT_ADMIN its own merchant's `PATCH` and rotations, every role reads (a merchant role
//! only its own merchant; another one is `404 MERCHANT_NOT_FOUND` like an unknown one), and
//! anything else `403 FORBIDDEN`.

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use domain::{
    ids::ClientId,
    merchant::{ClientName, Grace, MerchantChange, MerchantStatus, NewMerchant, ReturnUrl},
    people::Action,
    settlement::{FeeRate, SettlementDelay},
    validation::Violations,
};
use serde_json::Value;

use super::guards::Caller;
use crate::{
    annotations::{
        params::ClientIdPath,
        problems::{MerchantConflict, MerchantNotFound},
        schemas::{
            MerchantListQuery, RegisterMerchantRequest, RotateSecretRequest, UpdateMerchantRequest,
        },
    },
    body::{json_object, optional_json_object, page_query, path_id, valid},
    dto::{ListResponse, MerchantResponse, MerchantWithSecrets},
    problem::{ApiError, ErrorCode},
    state::AppState,
};

/// An unknown or malformed client id: 404 MERCHANT_NOT_FOUND either way.
pub(super) fn client_id(path: &web::Path<String>) -> Result<ClientId, ApiError> {
    path_id(
        path,
        ClientId::parse,
        ErrorCode::MerchantNotFound,
        "merchant",
    )
}

/// The fields of a merchant registration (api.md §8).
pub(crate) const REGISTRATION_FIELDS: &[&str] = &[
    "clientName",
    "returnUrl",
    "feeRateBps",
    "settlementDelayDays",
];
/// The fields of `PATCH /admin/api/merchants/{clientId}` (api.md §10.6).
pub(crate) const UPDATE_FIELDS: &[&str] = &[
    "clientName",
    "returnUrl",
    "feeRateBps",
    "settlementDelayDays",
];

/// The optional settlement terms of a registration or a `PATCH` (api.md §12.1).
fn parse_terms(
    obj: &crate::body::JsonObject,
    v: &mut Violations,
) -> (Option<FeeRate>, Option<SettlementDelay>) {
    let fee_rate = obj
        .integer("feeRateBps", false, v)
        .and_then(|n| v.check("feeRateBps", FeeRate::from_bps(n)));
    let delay = obj
        .integer("settlementDelayDays", false, v)
        .and_then(|n| v.check("settlementDelayDays", SettlementDelay::from_days(n)));
    (fee_rate, delay)
}
/// The fields of the optional body of `rotate-secret` (api.md §10.6).
pub(crate) const ROTATE_SECRET_FIELDS: &[&str] = &["graceSeconds"];

fn parse_registration(req: &HttpRequest, body: &[u8]) -> Result<NewMerchant, ApiError> {
    let obj = json_object(req, body, REGISTRATION_FIELDS)?;
    let mut v = obj.violations();
    let client_name = obj.parsed("clientName", true, &mut v, ClientName::parse);
    let return_url = obj.parsed("returnUrl", false, &mut v, ReturnUrl::parse);
    let (fee_rate, settlement_delay) = parse_terms(&obj, &mut v);
    let client_name = valid(v, client_name)?;
    Ok(NewMerchant {
        client_name,
        return_url,
        fee_rate,
        settlement_delay,
    })
}

/// A `PATCH`: each field under the registration's rules; `returnUrl: null` clears the URL,
/// `clientName: null` is refused (a merchant always has a name).
fn parse_update(req: &HttpRequest, body: &[u8]) -> Result<MerchantChange, ApiError> {
    let obj = json_object(req, body, UPDATE_FIELDS)?;
    let mut v = obj.violations();
    if obj.is_null("clientName") {
        v.push(
            "clientName",
            "must be a name of 1 to 100 characters; it cannot be cleared",
        );
    }
    let client_name = obj.parsed("clientName", false, &mut v, ClientName::parse);
    let return_url = match obj.is_null("returnUrl") {
        true => Some(None),
        false => obj
            .parsed("returnUrl", false, &mut v, ReturnUrl::parse)
            .map(Some),
    };
    let (fee_rate, settlement_delay) = parse_terms(&obj, &mut v);
    v.into_result().map_err(ApiError::validation)?;
    Ok(MerchantChange {
        client_name,
        return_url,
        fee_rate,
        settlement_delay,
    })
}

/// The optional body of `rotate-secret`: none (or `{}`) is no grace.
fn parse_grace(req: &HttpRequest, body: &[u8]) -> Result<Grace, ApiError> {
    let Some(obj) = optional_json_object(req, body, ROTATE_SECRET_FIELDS)? else {
        return Ok(Grace::NONE);
    };
    let mut v = obj.violations();
    let range = format!("must be an integer from 0 to {}", Grace::MAX_SECS);
    let grace = match obj.value("graceSeconds") {
        None => Some(Grace::NONE),
        Some(Value::Number(n)) => n
            .as_i64()
            .and_then(|secs| Grace::from_secs(secs).ok())
            .or_else(|| {
                v.push("graceSeconds", range.clone());
                None
            }),
        Some(_) => {
            v.push("graceSeconds", range.clone());
            None
        }
    };
    valid(v, grace)
}

/// Register a merchant (ADMIN); its secrets are in this response only (api.md §8).
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
    caller: Caller<web::Bytes>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::RegisterMerchant)?;
    let new = parse_registration(&req, &caller.inner)?;
    let reg = state
        .merchants
        .register(&caller.principal, new, &caller.origin)
        .await?;
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

/// List merchants, newest first (never their secrets): every one for a platform role, its own
/// only for a merchant role.
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
    caller: Caller,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let query = page_query(&req, &[], ClientId::parse, |_, _, _| {})?;
    let page = state
        .merchants
        .list(&caller.principal, query.limit, query.after)
        .await?;
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
    caller: Caller,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let merchant = state
        .merchants
        .get(&caller.principal, &client_id(&path)?)
        .await?;
    Ok(HttpResponse::Ok().json(MerchantResponse::from(&merchant)))
}

/// Change a merchant's `clientName` and/or `returnUrl` (ADMIN, or its MERCHANT_ADMIN). Absent
/// fields stay; `returnUrl: null` clears the URL; `{}` changes nothing.
#[utoipa::path(
    patch,
    path = "/admin/api/merchants/{clientId}",
    operation_id = "updateMerchant",
    security(("adminToken" = [])),
    params(ClientIdPath),
    request_body(content = UpdateMerchantRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The merchant as changed", body = MerchantResponse),
        (status = 404, response = MerchantNotFound),
        (status = 409, response = MerchantConflict),
    ),
)]
pub async fn update_merchant(
    req: HttpRequest,
    caller: Caller<web::Bytes>,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::UpdateMerchant)?;
    let id = client_id(&path)?;
    let change = parse_update(&req, &caller.inner)?;
    let merchant = state
        .merchants
        .update(&caller.principal, &id, &change, &caller.origin)
        .await?;
    tracing::info!(client_id = %merchant.client_id, "merchant updated");
    Ok(HttpResponse::Ok().json(MerchantResponse::from(&merchant)))
}

/// Issue a new client secret, shown once (ADMIN, or the merchant's MERCHANT_ADMIN). The old
/// one keeps verifying signed requests for `graceSeconds` (default 0: it stops at once).
#[utoipa::path(
    post,
    path = "/admin/api/merchants/{clientId}/rotate-secret",
    operation_id = "rotateClientSecret",
    security(("adminToken" = [])),
    params(ClientIdPath),
    request_body(content = Option<RotateSecretRequest>, content_type = "application/json",
        description = "None, or the grace of the old secret"),
    responses(
        (status = 200, description = "The merchant with its new `clientSecret` (and `previousClientSecretValidUntil` with a grace)", body = MerchantWithSecrets),
        (status = 404, response = MerchantNotFound),
        (status = 409, response = MerchantConflict),
    ),
)]
pub async fn rotate_secret(
    req: HttpRequest,
    caller: Caller<web::Bytes>,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::RotateMerchantSecrets)?;
    let id = client_id(&path)?;
    let grace = parse_grace(&req, &caller.inner)?;
    let (merchant, secret) = state
        .merchants
        .rotate_secret(&caller.principal, &id, grace, &caller.origin)
        .await?;
    tracing::info!(client_id = %merchant.client_id, grace_secs = grace.duration().as_secs(), "client secret rotated");
    Ok(MerchantWithSecrets {
        client_secret: Some(secret.expose().to_owned()),
        previous_client_secret_valid_until: merchant
            .previous_client_secret
            .as_ref()
            .map(|p| p.until.to_rfc3339()),
        ..MerchantWithSecrets::of(&merchant)
    }
    .shown_once(HttpResponse::Ok()))
}

/// Issue a new webhook secret, shown once (ADMIN, or the merchant's MERCHANT_ADMIN);
/// deliveries carry both signatures for the configured grace period.
#[utoipa::path(
    post,
    path = "/admin/api/merchants/{clientId}/rotate-webhook-secret",
    operation_id = "rotateWebhookSecret",
    security(("adminToken" = [])),
    params(ClientIdPath),
    responses(
        (status = 200, description = "The merchant with its new `webhookSecret`", body = MerchantWithSecrets),
        (status = 404, response = MerchantNotFound),
        (status = 409, response = MerchantConflict),
    ),
)]
pub async fn rotate_webhook_secret(
    caller: Caller,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::RotateMerchantSecrets)?;
    let (merchant, secret) = state
        .merchants
        .rotate_webhook_secret(
            &caller.principal,
            &client_id(&path)?,
            state.webhook_secret_grace,
            &caller.origin,
        )
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
    caller: Caller,
    path: web::Path<String>,
    state: web::Data<AppState>,
    status: MerchantStatus,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::SetMerchantStatus)?;
    let merchant = state
        .merchants
        .set_status(
            &caller.principal,
            &client_id(&path)?,
            status,
            &caller.origin,
        )
        .await?;
    tracing::info!(client_id = %merchant.client_id, status = status.as_str(), "merchant status set");
    Ok(HttpResponse::Ok().json(MerchantResponse::from(&merchant)))
}

/// Set the merchant ACTIVE (ADMIN).
#[utoipa::path(
    post,
    path = "/admin/api/merchants/{clientId}/activate",
    operation_id = "activateMerchant",
    security(("adminToken" = [])),
    params(ClientIdPath),
    responses(
        (status = 200, description = "The merchant", body = MerchantResponse),
        (status = 404, response = MerchantNotFound),
        (status = 409, response = MerchantConflict),
    ),
)]
pub async fn activate(
    caller: Caller,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    set_status(caller, path, state, MerchantStatus::Active).await
}

/// Set the merchant INACTIVE (ADMIN): its signed requests get 403 CLIENT_INACTIVE.
#[utoipa::path(
    post,
    path = "/admin/api/merchants/{clientId}/deactivate",
    operation_id = "deactivateMerchant",
    security(("adminToken" = [])),
    params(ClientIdPath),
    responses(
        (status = 200, description = "The merchant", body = MerchantResponse),
        (status = 404, response = MerchantNotFound),
        (status = 409, response = MerchantConflict),
    ),
)]
pub async fn deactivate(
    caller: Caller,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    set_status(caller, path, state, MerchantStatus::Inactive).await
}
