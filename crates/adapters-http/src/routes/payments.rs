//! The signed merchant API (api.md §3).

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use domain::{
    ids::{ClientId, PaymentKey},
    money::{Amount, Currency},
    payment::{CustomerName, MethodCode, NewPayment, OrderNo, PaymentStatus, ProductName},
    ports::PaymentFilter,
    services::payments::{CreatePayment, ListPayments},
};

use super::signed::{CreateNonce, Signed};
use crate::{
    annotations::{
        params::{IdempotencyKeyHeader, PaymentKeyPath},
        problems::{IdempotencyKeyReused, PaymentNotFound},
        schemas::{
            CompletePaymentRequest, CreatePaymentRequest, PaymentFilterQuery, PaymentPageQuery,
        },
    },
    body::{fields, json_object, optional_json_object, page_pairs, query_pairs, query_time, valid},
    context::request_id,
    dto::{AuditEntryResponse, ListResponse, PaymentResponse},
    idempotency::idempotent,
    problem::{ApiError, ProblemBody},
    state::AppState,
};

/// A malformed key can name no payment: 404, exactly like an unknown one.
pub(super) fn payment_key(path: &web::Path<String>) -> Result<PaymentKey, ApiError> {
    PaymentKey::parse(path.as_str()).map_err(|_| ApiError::payment_not_found())
}

/// The fields of a payment's order, which a create request states and the acquirer is asked to
/// process (api.md §3.1, §5).
pub(crate) const ORDER_FIELDS: [&str; 6] = [
    "orderNo",
    "amount",
    "currency",
    "methodCode",
    "productName",
    "customerName",
];

/// The fields a create request may have (api.md §3.1).
pub(crate) const CREATE_FIELDS: [&str; 7] = fields(ORDER_FIELDS, ["clientId"]);

/// A create request's body as the server reads it (api.md §3.1).
pub(crate) fn parse_create(req: &HttpRequest, body: &[u8]) -> Result<CreatePayment, ApiError> {
    let obj = json_object(req, body, &CREATE_FIELDS)?;
    let mut v = obj.violations();
    let order_no = obj.parsed("orderNo", true, &mut v, OrderNo::parse);
    let amount = obj
        .integer("amount", true, &mut v)
        .and_then(|a| v.check("amount", Amount::parse(a)));
    let currency = match obj.string("currency", false, &mut v) {
        None => Some(Currency::default()),
        Some(s) => v.check("currency", Currency::parse(s)),
    };
    let method = obj.parsed("methodCode", true, &mut v, MethodCode::parse);
    let product_name = obj.parsed("productName", false, &mut v, ProductName::parse);
    let customer_name = obj.parsed("customerName", false, &mut v, CustomerName::parse);
    let declared = obj.string("clientId", false, &mut v).map(str::to_owned);
    let (order_no, amount, currency, method) = valid(v, (order_no, amount, currency, method))?;
    Ok(CreatePayment {
        declared_client_id: declared,
        payment: NewPayment {
            order_no,
            amount,
            currency,
            method,
            product_name,
            customer_name,
        },
    })
}

/// Create a payment (api.md §3.1). The acquirer is asked to process it after the commit.
#[utoipa::path(
    post,
    path = "/api/payments",
    operation_id = "createPayment",
    security(("X-Client-Id" = [], "X-Timestamp" = [], "X-Nonce" = [], "X-Signature" = [])),
    params(IdempotencyKeyHeader),
    request_body(content = CreatePaymentRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Created, READY", body = PaymentResponse,
            headers(("Location" = String, description = "/api/payments/{paymentKey}"))),
        (status = 403, description = "`CLIENT_INACTIVE`, or `CLIENT_ID_MISMATCH`: `clientId` differs from `X-Client-Id`",
            body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "`DUPLICATE_ORDER`: the merchant already used this `orderNo`, or `IDEMPOTENCY_KEY_IN_USE`",
            body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, response = IdempotencyKeyReused),
    ),
)]
pub async fn create(
    req: HttpRequest,
    signed: Signed<CreateNonce>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let Signed {
        merchant,
        body,
        nonce,
    } = signed;
    let client = &merchant.client_id;
    idempotent(&req, &body, &state, client, || {
        nonce.settle(&state.auth, async |nonce| {
            let command = parse_create(&req, &body)?;
            let payment = state
                .payments
                .create(client, command, request_id(&req), nonce)
                .await?;
            Ok(created(&payment))
        })
    })
    .await
}

/// The 201 answer to a create: `Location` and the payment.
pub(crate) fn created(payment: &domain::payment::Payment) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/payments/{}", payment.key)))
        .json(PaymentResponse::from(payment))
}

/// Retrieve a payment (api.md §3.2).
#[utoipa::path(
    get,
    path = "/api/payments/{paymentKey}",
    operation_id = "getPayment",
    security(("X-Client-Id" = [], "X-Timestamp" = [], "X-Nonce" = [], "X-Signature" = [])),
    params(PaymentKeyPath),
    responses(
        (status = 200, description = "The payment", body = PaymentResponse),
        (status = 404, response = PaymentNotFound),
    ),
)]
pub async fn get(
    Signed { merchant, .. }: Signed,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    show(&state, Some(&merchant.client_id), &path).await
}

/// The payment at `path`: the merchant's own (`scope`), or any (the operator's, `None`).
pub(super) async fn show(
    state: &AppState,
    scope: Option<&ClientId>,
    path: &web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let payment = state.payments.get(scope, &payment_key(path)?).await?;
    Ok(HttpResponse::Ok().json(PaymentResponse::from(&payment)))
}

/// The query parameters of api.md §3.3, then `clientId` (the admin search only).
pub(super) const LIST_PARAMETERS: [&str; 7] = [
    "status",
    "orderNo",
    "createdFrom",
    "createdTo",
    "limit",
    "startingAfter",
    "clientId",
];

/// Parses the listing query of api.md §3.3 (plus `clientId` for the admin search).
pub(super) fn parse_list(
    req: &HttpRequest,
    scope: Option<ClientId>,
) -> Result<ListPayments, ApiError> {
    // The merchant's listing takes all but the last, `clientId`: its scope is its own.
    let allowed = match scope {
        None => &LIST_PARAMETERS[..],
        Some(_) => &LIST_PARAMETERS[..LIST_PARAMETERS.len() - 1],
    };
    parse_list_pairs(query_pairs(req, allowed)?, scope)
}

/// [`parse_list`] over query pairs already read (and checked against the allowed names).
pub(super) fn parse_list_pairs(
    pairs: Vec<(String, String)>,
    scope: Option<ClientId>,
) -> Result<ListPayments, ApiError> {
    let mut filter = PaymentFilter {
        client_id: scope,
        ..Default::default()
    };
    let (page, mut v) = page_pairs(pairs, PaymentKey::parse, |field, value, v| match field {
        "status" => filter.status = v.check(field, PaymentStatus::parse(value)),
        "orderNo" => filter.order_no = v.check(field, OrderNo::parse(value)),
        "createdFrom" => {
            filter.created_from = v.check(field, query_time(value));
        }
        "createdTo" => filter.created_to = v.check(field, query_time(value)),
        "clientId" => filter.client_id = v.check(field, ClientId::parse(value)),
        _ => v.push(field, "is not a known query parameter"),
    });
    let query = ListPayments {
        filter,
        limit: page.limit,
        starting_after: page.after,
    };
    if let (Some(from), Some(to)) = (query.filter.created_from, query.filter.created_to)
        && from > to
    {
        v.push("createdFrom", "must not be after createdTo");
    }
    v.into_result().map_err(ApiError::validation)?;
    Ok(query)
}

/// List the merchant's payments, newest first (api.md §3.3).
#[utoipa::path(
    get,
    path = "/api/payments",
    operation_id = "listPayments",
    security(("X-Client-Id" = [], "X-Timestamp" = [], "X-Nonce" = [], "X-Signature" = [])),
    params(PaymentFilterQuery, PaymentPageQuery),
    responses(
        (status = 200, description = "A page of payments", body = ListResponse<PaymentResponse>),
    ),
)]
pub async fn list(
    req: HttpRequest,
    Signed { merchant, .. }: Signed,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    page(&state, parse_list(&req, Some(merchant.client_id))?).await
}

/// A page of payments, newest first.
pub(super) async fn page(state: &AppState, query: ListPayments) -> Result<HttpResponse, ApiError> {
    let page = state.payments.list(query).await?;
    Ok(HttpResponse::Ok().json(ListResponse::page(&page, |p| PaymentResponse::from(p))))
}

/// Complete an APPROVED payment (api.md §3.4).
#[utoipa::path(
    post,
    path = "/api/payments/{paymentKey}/complete",
    operation_id = "completePayment",
    security(("X-Client-Id" = [], "X-Timestamp" = [], "X-Nonce" = [], "X-Signature" = [])),
    params(PaymentKeyPath, IdempotencyKeyHeader),
    request_body(content = Option<CompletePaymentRequest>, content_type = "application/json",
        description = "None, or an empty object"),
    responses(
        (status = 200, description = "COMPLETED", body = PaymentResponse),
        (status = 404, response = PaymentNotFound),
        (status = 409, description = "`INVALID_STATE_TRANSITION`, `CONCURRENT_UPDATE` or `IDEMPOTENCY_KEY_IN_USE`",
            body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, response = IdempotencyKeyReused),
    ),
)]
pub async fn complete(
    req: HttpRequest,
    Signed { merchant, body, .. }: Signed,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    idempotent(&req, &body, &state, &merchant.client_id, || async {
        if let Some(obj) = optional_json_object(&req, &body, &[])? {
            obj.violations()
                .into_result()
                .map_err(ApiError::validation)?;
        }
        let key = payment_key(&path)?;
        let payment = state
            .payments
            .complete(&merchant.client_id, &key, request_id(&req))
            .await?;
        Ok(HttpResponse::Ok().json(PaymentResponse::from(&payment)))
    })
    .await
}

/// The payment's audit trail, oldest first (api.md §3.6).
#[utoipa::path(
    get,
    path = "/api/payments/{paymentKey}/logs",
    operation_id = "getPaymentLogs",
    security(("X-Client-Id" = [], "X-Timestamp" = [], "X-Nonce" = [], "X-Signature" = [])),
    params(PaymentKeyPath),
    responses(
        (status = 200, description = "The audit trail", body = ListResponse<AuditEntryResponse>),
        (status = 404, response = PaymentNotFound),
    ),
)]
pub async fn logs(
    Signed { merchant, .. }: Signed,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    audit_trail(&state, Some(&merchant.client_id), &path).await
}

/// The audit trail of the payment at `path`, scoped as in [`show`].
pub(super) async fn audit_trail(
    state: &AppState,
    scope: Option<&ClientId>,
    path: &web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let entries = state
        .payments
        .audit_trail(scope, &payment_key(path)?)
        .await?;
    Ok(HttpResponse::Ok().json(ListResponse::all(&entries, |e| AuditEntryResponse::from(e))))
}
