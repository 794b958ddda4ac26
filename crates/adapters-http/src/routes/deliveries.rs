//! Outbound deliveries for operators (api.md §7, §8): list with attempts, show, redeliver.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use domain::{
    ids::{ClientId, EventId, PaymentKey},
    outbox::{DeliveryFilter, DeliveryState, OutboxKind},
    services::{Limit, deliveries::DeliveryError, payments::FindPaymentError},
    validation::{Invalid, Violations},
};

use super::guards;
use crate::{
    body::query_pairs,
    dto::{DeliveryResponse, ListResponse},
    problem::ApiError,
    state::AppState,
};

fn delivery_id(path: &web::Path<String>) -> Result<EventId, ApiError> {
    EventId::parse(path.as_str())
        .map_err(|_| DeliveryError::NotFound(EventId::from_uuid(uuid::Uuid::nil())).into())
}

pub async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    guards::admin(&req, &state)?;
    let mut v = Violations::new();
    let mut filter = DeliveryFilter::default();
    let mut limit = Limit::DEFAULT;
    let mut after = None;
    let mut payment_key = None;
    for (name, value) in query_pairs(
        &req,
        &[
            "status",
            "kind",
            "clientId",
            "paymentKey",
            "limit",
            "startingAfter",
        ],
    )? {
        let field = name.as_str();
        match field {
            "status" => {
                filter.state = v.check(
                    field,
                    DeliveryState::parse(&value)
                        .ok_or_else(|| Invalid::new("must be PENDING, DELIVERED or DEAD")),
                );
            }
            "kind" => {
                filter.kind = v.check(
                    field,
                    OutboxKind::parse(&value)
                        .ok_or_else(|| Invalid::new("must be MERCHANT_NOTIFICATION, ACQUIRER_REQUEST, ACQUIRER_CANCEL or ACQUIRER_WEBHOOK")),
                );
            }
            "clientId" => filter.client_id = v.check(field, ClientId::parse(&value)),
            "paymentKey" => payment_key = v.check(field, PaymentKey::parse(&value)),
            "limit" => {
                let parsed = value
                    .parse::<i64>()
                    .map_err(|_| Invalid::new("must be an integer"));
                if let Some(l) = v.check(field, parsed.and_then(Limit::parse)) {
                    limit = l;
                }
            }
            _ => after = v.check(field, EventId::parse(&value)),
        }
    }
    v.into_result().map_err(ApiError::validation)?;
    if let Some(key) = payment_key {
        match state.payments.get(None, &key).await {
            Ok(p) => filter.payment_id = Some(p.id),
            Err(FindPaymentError::NotFound) => {
                return Err(ApiError::field("paymentKey", "does not name a payment"));
            }
            Err(FindPaymentError::Repository(e)) => return Err(e.into()),
        }
    }
    let page = state.deliveries.list(filter, limit, after).await?;
    Ok(HttpResponse::Ok().json(ListResponse::page(&page, |d| DeliveryResponse::from(d))))
}

pub async fn show(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    guards::admin(&req, &state)?;
    let delivery = state.deliveries.get(&delivery_id(&path)?).await?;
    Ok(HttpResponse::Ok().json(DeliveryResponse::from(&delivery)))
}

pub async fn retry(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    guards::admin(&req, &state)?;
    let delivery = state.deliveries.retry(&delivery_id(&path)?).await?;
    tracing::info!(delivery_id = %delivery.message.id, "manual redelivery requested");
    Ok(HttpResponse::Accepted().json(DeliveryResponse::from(&delivery)))
}

impl From<DeliveryError> for ApiError {
    fn from(e: DeliveryError) -> Self {
        match e {
            DeliveryError::NotFound(_) => ApiError::new(
                StatusCode::NOT_FOUND,
                "DELIVERY_NOT_FOUND",
                "Delivery not found",
                "No delivery with this id",
            ),
            DeliveryError::StillPending(_) => ApiError::new(
                StatusCode::CONFLICT,
                "DELIVERY_PENDING",
                "Delivery pending",
                e.to_string(),
            ),
            DeliveryError::Repository(r) => r.into(),
        }
    }
}
