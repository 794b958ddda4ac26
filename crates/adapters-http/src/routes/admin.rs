//! The operator API (api.md §8), behind `Authorization: Bearer <admin token>`.

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use domain::{
    ids::ClientId,
    merchant::{ClientName, MerchantStatus, NewMerchant, ReturnUrl},
    services::Limit,
    validation::Violations,
};

use super::{guards, payments};
use crate::{
    body::{json_object, query_pairs},
    dto::{
        AuditEntryResponse, ListResponse, MerchantResponse, MerchantWithSecrets, PaymentResponse,
    },
    problem::ApiError,
    state::AppState,
};

/// An unknown or malformed client id: 404 MERCHANT_NOT_FOUND either way.
fn client_id(path: &web::Path<String>) -> Result<ClientId, ApiError> {
    ClientId::parse(path.as_str()).map_err(|_| {
        ApiError::new(
            actix_web::http::StatusCode::NOT_FOUND,
            "MERCHANT_NOT_FOUND",
            "Merchant not found",
            format!("merchant {} not found", path.as_str()),
        )
    })
}

fn parse_registration(req: &HttpRequest, body: &[u8]) -> Result<NewMerchant, ApiError> {
    let obj = json_object(req, body, &["clientName", "returnUrl"])?;
    let mut v = obj.violations();
    let client_name = obj
        .string("clientName", true, &mut v)
        .and_then(|s| v.check("clientName", ClientName::parse(s)));
    let return_url = obj
        .string("returnUrl", false, &mut v)
        .map(|s| v.check("returnUrl", ReturnUrl::parse(s)));
    match client_name {
        Some(client_name) if v.is_empty() => Ok(NewMerchant {
            client_name,
            return_url: return_url.flatten(),
        }),
        _ => Err(ApiError::validation(v)),
    }
}

pub async fn register_merchant(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    guards::admin(&req, &state)?;
    let new = parse_registration(&req, &body)?;
    let reg = state.merchants.register(new).await?;
    tracing::info!(client_id = %reg.merchant.client_id, "merchant registered");
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/admin/api/merchants/{}", reg.merchant.client_id),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(MerchantWithSecrets {
            merchant: MerchantResponse::from(&reg.merchant),
            client_secret: Some(reg.client_secret.expose().to_owned()),
            webhook_secret: Some(reg.webhook_secret.expose().to_owned()),
            previous_webhook_secret_valid_until: None,
        }))
}

pub async fn list_merchants(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    guards::admin(&req, &state)?;
    let mut v = Violations::new();
    let mut limit = Limit::DEFAULT;
    let mut after = None;
    for (name, value) in query_pairs(&req, &["limit", "startingAfter"])? {
        if name == "limit" {
            let parsed = value
                .parse::<i64>()
                .map_err(|_| domain::validation::Invalid::new("must be an integer"));
            if let Some(l) = v.check("limit", parsed.and_then(Limit::parse)) {
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

pub async fn show_merchant(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    guards::admin(&req, &state)?;
    let merchant = state.merchants.get(&client_id(&path)?).await?;
    Ok(HttpResponse::Ok().json(MerchantResponse::from(&merchant)))
}

pub async fn rotate_secret(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    guards::admin(&req, &state)?;
    let (merchant, secret) = state.merchants.rotate_secret(&client_id(&path)?).await?;
    tracing::info!(client_id = %merchant.client_id, "client secret rotated");
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(MerchantWithSecrets {
            merchant: MerchantResponse::from(&merchant),
            client_secret: Some(secret.expose().to_owned()),
            webhook_secret: None,
            previous_webhook_secret_valid_until: None,
        }))
}

pub async fn rotate_webhook_secret(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    guards::admin(&req, &state)?;
    let (merchant, secret) = state
        .merchants
        .rotate_webhook_secret(&client_id(&path)?, state.webhook_secret_grace)
        .await?;
    tracing::info!(client_id = %merchant.client_id, "webhook secret rotated");
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(MerchantWithSecrets {
            merchant: MerchantResponse::from(&merchant),
            client_secret: None,
            webhook_secret: Some(secret.expose().to_owned()),
            previous_webhook_secret_valid_until: merchant
                .previous_webhook_secret
                .as_ref()
                .map(|p| p.until.to_rfc3339()),
        }))
}

async fn set_status(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
    status: MerchantStatus,
) -> Result<HttpResponse, ApiError> {
    guards::admin(&req, &state)?;
    let merchant = state
        .merchants
        .set_status(&client_id(&path)?, status)
        .await?;
    tracing::info!(client_id = %merchant.client_id, status = status.as_str(), "merchant status set");
    Ok(HttpResponse::Ok().json(MerchantResponse::from(&merchant)))
}

pub async fn activate(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    set_status(req, path, state, MerchantStatus::Active).await
}

pub async fn deactivate(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    set_status(req, path, state, MerchantStatus::Inactive).await
}

pub async fn search_payments(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    guards::admin(&req, &state)?;
    let query = payments::parse_list(&req, None)?;
    let page = state.payments.list(query).await?;
    Ok(HttpResponse::Ok().json(ListResponse::page(&page, |p| PaymentResponse::from(p))))
}

pub async fn show_payment(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    guards::admin(&req, &state)?;
    let payment = state
        .payments
        .get(None, &payments::payment_key(&path)?)
        .await?;
    Ok(HttpResponse::Ok().json(PaymentResponse::from(&payment)))
}

pub async fn payment_logs(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    guards::admin(&req, &state)?;
    let entries = state
        .payments
        .audit_trail(None, &payments::payment_key(&path)?)
        .await?;
    Ok(HttpResponse::Ok().json(ListResponse {
        data: entries.iter().map(AuditEntryResponse::from).collect(),
        has_more: None,
    }))
}
