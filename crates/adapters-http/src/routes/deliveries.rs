//! Outbound deliveries for operators (api.md §7, §8): list with attempts, show, redeliver.

use actix_web::{HttpRequest, HttpResponse, web};
use domain::{
    ids::{ClientId, EventId, PaymentKey},
    operator::deliveries::DeliveryError,
    outbox::{DeliveryFilter, DeliveryState, OutboxKind},
    people::{Action, Guarded},
    services::payments::FindPaymentError,
    validation::Invalid,
};

use super::guards::Caller;
use crate::{
    annotations::{
        params::{ClientIdPath, DeliveryIdPath},
        problems::{DeliveryNotFound, MerchantNotFound},
        schemas::DeliveryListQuery,
    },
    body::page_query,
    dto::{DeliveryResponse, DeliverySummaryResponse, ListResponse},
    problem::{ApiError, ProblemBody},
    state::AppState,
};

fn delivery_id(path: &web::Path<String>) -> Result<EventId, ApiError> {
    EventId::parse(path.as_str())
        .map_err(|_| DeliveryError::NotFound(EventId::from_uuid(uuid::Uuid::nil())).into())
}

/// Outbound deliveries (notifications, acquirer requests) with their attempts, newest first.
#[utoipa::path(
    get,
    path = "/admin/api/deliveries",
    operation_id = "listDeliveries",
    security(("adminToken" = []), ("sessionCookie" = [])),
    params(DeliveryListQuery),
    responses(
        (status = 200, description = "A page of deliveries", body = ListResponse<DeliveryResponse>),
    ),
)]
pub async fn list(
    caller: Caller,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut filter = DeliveryFilter::default();
    let mut payment_key = None;
    let more = ["status", "kind", "clientId", "paymentKey"];
    let query = page_query(&req, &more, EventId::parse, |field, value, v| match field {
        "status" => {
            filter.state = v.check(
                field,
                DeliveryState::parse(value)
                    .ok_or_else(|| Invalid::new("must be PENDING, DELIVERED or DEAD")),
            );
        }
        "kind" => {
            filter.kind = v.check(
                    field,
                    OutboxKind::parse(value)
                        .ok_or_else(|| Invalid::new("must be MERCHANT_NOTIFICATION, ACQUIRER_REQUEST, ACQUIRER_CANCEL or ACQUIRER_WEBHOOK")),
                );
        }
        "clientId" => filter.client_id = v.check(field, ClientId::parse(value)),
        _ => payment_key = v.check(field, PaymentKey::parse(value)),
    })?;
    if let Some(key) = payment_key {
        match state.payments.show(&caller.principal, &key).await {
            Ok(p) => filter.payment_id = Some(p.id),
            Err(Guarded::Failed(FindPaymentError::NotFound)) => {
                return Err(ApiError::field("paymentKey", "does not name a payment"));
            }
            Err(e) => return Err(e.into()),
        }
    }
    let page = state
        .deliveries
        .list(&caller.principal, filter, query.limit, query.after)
        .await?;
    Ok(HttpResponse::Ok().json(ListResponse::page(&page, |d| DeliveryResponse::from(d))))
}

/// The outbox backlog the caller may see: due, retrying and DEAD deliveries (a merchant user:
/// the notifications to its merchant).
#[utoipa::path(
    get,
    path = "/admin/api/deliveries/summary",
    operation_id = "getDeliverySummary",
    security(("adminToken" = []), ("sessionCookie" = [])),
    responses(
        (status = 200, description = "The backlog", body = DeliverySummaryResponse),
    ),
)]
pub async fn summary(caller: Caller, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let report = state.deliveries.summary(&caller.principal).await?;
    Ok(HttpResponse::Ok().json(DeliverySummaryResponse::from(&report)))
}

/// Show a delivery with its attempts.
#[utoipa::path(
    get,
    path = "/admin/api/deliveries/{deliveryId}",
    operation_id = "getDelivery",
    security(("adminToken" = []), ("sessionCookie" = [])),
    params(DeliveryIdPath),
    responses(
        (status = 200, description = "The delivery", body = DeliveryResponse),
        (status = 404, response = DeliveryNotFound),
    ),
)]
pub async fn show(
    caller: Caller,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let delivery = state
        .deliveries
        .get(&caller.principal, &delivery_id(&path)?)
        .await?;
    Ok(HttpResponse::Ok().json(DeliveryResponse::from(&delivery)))
}

/// Redeliver a DELIVERED or DEAD delivery now.
#[utoipa::path(
    post,
    path = "/admin/api/deliveries/{deliveryId}/retry",
    operation_id = "retryDelivery",
    security(("adminToken" = []), ("sessionCookie" = [])),
    params(DeliveryIdPath),
    responses(
        (status = 202, description = "Scheduled", body = DeliveryResponse),
        (status = 404, response = DeliveryNotFound),
        (status = 409, description = "`DELIVERY_PENDING`: the delivery is still pending", body = ProblemBody, content_type = "application/problem+json"),
    ),
)]
pub async fn retry(
    caller: Caller,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::RetryDelivery)?;
    let delivery = state
        .deliveries
        .retry(&caller.principal, &delivery_id(&path)?, &caller.origin)
        .await?;
    tracing::info!(delivery_id = %delivery.message.id, "manual redelivery requested");
    Ok(HttpResponse::Accepted().json(DeliveryResponse::from(&delivery)))
}

/// Queue a `merchant.test` notification to the merchant's `returnUrl` (api.md §10.5).
#[utoipa::path(
    post,
    path = "/admin/api/merchants/{clientId}/test-notification",
    operation_id = "sendTestNotification",
    security(("adminToken" = []), ("sessionCookie" = [])),
    params(ClientIdPath),
    responses(
        (status = 202, description = "Queued: the delivery, as `GET /admin/api/deliveries/{deliveryId}` shows it", body = DeliveryResponse),
        (status = 404, response = MerchantNotFound),
        (status = 409, description = "`NO_RETURN_URL`: the merchant has no `returnUrl`", body = ProblemBody, content_type = "application/problem+json"),
    ),
)]
pub async fn send_test(
    caller: Caller,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::SendTestNotification)?;
    let client_id = super::merchants::client_id(&path)?;
    let delivery = state
        .deliveries
        .send_test(&caller.principal, &client_id, &caller.origin)
        .await?;
    tracing::info!(client_id = %client_id, delivery_id = %delivery.message.id, "test notification queued");
    Ok(HttpResponse::Accepted().json(DeliveryResponse::from(&delivery)))
}
