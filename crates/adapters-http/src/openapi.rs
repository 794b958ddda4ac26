//! The OpenAPI 3.1 description of the HTTP API, generated from the handlers' `#[utoipa::path]`
//! attributes and the DTOs' `ToSchema` derives. Served at `GET /api/openapi.json`, rendered at
//! `GET /api/docs/` (Swagger UI, assets compiled into the binary), and committed as
//! `docs/openapi.json` (a test fails when that copy drifts; see docs/api.md "OpenAPI").
//!
//! Documented: every merchant, acquirer-webhook, mock-acquirer, admin and probe operation,
//! including the admin event stream (as `text/event-stream`). Not documented: the console's
//! static files and the documentation routes themselves.

mod audiences;

use actix_web::{HttpResponse, http::header, web};
use utoipa::{
    Modify, OpenApi, ToResponse,
    openapi::{
        self, RefOr, Required,
        path::{Operation, ParameterIn},
        schema::{AdditionalProperties, Schema, SchemaType, Type},
        security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
        },
    },
};
use utoipa_swagger_ui::{Config, SwaggerUi};

use audiences::Audiences;

use crate::{annotations::problems, dto, problem, routes};

/// Where the document is served.
pub const OPENAPI_PATH: &str = "/api/openapi.json";
/// Where the rendered reference is served.
pub const DOCS_PATH: &str = "/api/docs";

/// Tags group operations by who calls them ([`Audiences`] gives each operation its tag from its
/// path); [`ErrorResponses`] adds the errors each group's authentication produces.
pub mod tags {
    pub const PAYMENTS: &str = "Payments";
    pub const ACQUIRER: &str = "Acquirer webhook";
    pub const MOCK: &str = "Mock acquirer";
    pub const ADMIN: &str = "Admin";
    pub const AUTH: &str = "Login";
    pub const PROBES: &str = "Probes";
}

/// Security scheme names (api.md §2, §4, §8).
pub mod schemes {
    pub const CLIENT_ID: &str = "X-Client-Id";
    pub const TIMESTAMP: &str = "X-Timestamp";
    pub const NONCE: &str = "X-Nonce";
    pub const SIGNATURE: &str = "X-Signature";
    pub const ADMIN: &str = "adminToken";
    pub const SESSION: &str = "sessionCookie";
    pub const WEBHOOK_ID: &str = "webhook-id";
    pub const WEBHOOK_TIMESTAMP: &str = "webhook-timestamp";
    pub const WEBHOOK_SIGNATURE: &str = "webhook-signature";
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "SimplePG",
        description = "Payment gateway API: the signed merchant API, the acquirer webhook, \
            the built-in mock acquirer, the operator API and the probes. \
            The HTTP contract is docs/api.md in the SimplePG repository (`api.md §N` in this \
            document is its numbered section N); request signing is docs/signing.md. Errors are \
            RFC 9457 problem details (`application/problem+json`) with a stable `code`.",
        license(name = "MIT", identifier = "MIT"),
    ),
    paths(
        routes::payments::create,
        routes::payments::list,
        routes::payments::get,
        routes::payments::complete,
        routes::cancels::cancel,
        routes::payments::logs,
        routes::webhook::payment_webhook,
        routes::mock::request,
        routes::mock::cancel,
        routes::mock::capture,
        routes::mock::settlement_file,
        routes::merchants::register_merchant,
        routes::merchants::list_merchants,
        routes::merchants::show_merchant,
        routes::merchants::update_merchant,
        routes::merchants::rotate_secret,
        routes::merchants::rotate_webhook_secret,
        routes::merchants::activate,
        routes::merchants::deactivate,
        routes::admin::search_payments,
        routes::export::export,
        routes::deliveries::send_test,
        routes::admin::show_payment,
        routes::admin::payment_logs,
        routes::cancels::admin_cancel,
        routes::deliveries::list,
        routes::deliveries::summary,
        routes::settlements::run,
        routes::settlements::list,
        routes::settlements::show,
        routes::settlements::lines_csv,
        routes::reconciliations::run,
        routes::reconciliations::list,
        routes::reconciliations::show,
        routes::deliveries::show,
        routes::deliveries::retry,
        routes::stats::stats,
        routes::events::events,
        routes::simulator::webhook,
        routes::simulator::mock_request,
        routes::users::create,
        routes::users::list,
        routes::users::show,
        routes::users::change,
        routes::audit_log::list,
        routes::auth::login,
        routes::auth::logout,
        routes::auth::me,
        routes::auth::enroll_totp,
        routes::auth::confirm_totp,
        routes::probes::health,
        routes::probes::ready,
        routes::probes::metrics,
    ),
    components(
        schemas(problem::ProblemBody, dto::PaymentResponse),
        responses(
            problems::ValidationFailed,
            problems::PayloadTooLarge,
            problems::UnsupportedMediaType,
            problems::MerchantUnauthorized,
            problems::ClientInactive,
            problems::RateLimited,
            problems::AdminUnauthorized,
            problems::WebhookUnauthorized,
            problems::ServiceUnavailable,
            problems::PaymentNotFound,
            problems::MerchantNotFound,
            problems::MerchantConflict,
            problems::DeliveryNotFound,
            problems::NotFound,
            problems::InvalidStateTransition,
            problems::IdempotencyKeyInUse,
            problems::IdempotencyKeyReused,
            problems::LoginFailed,
            problems::LoginLocked,
            problems::LoginConflict,
            problems::SessionUnauthorized,
            problems::CsrfOrForbidden,
            problems::CsrfFailed,
            problems::UserNotFound,
            problems::UserConflict,
            problems::EmailTaken,
            problems::TotpConflict,
            problems::TotpAlreadyOn,
        ),
    ),
    modifiers(&Audiences, &SecuritySchemes, &ErrorResponses, &ClosedRequestBodies),
    tags(
        (name = "Payments", description = "The merchant API (api.md §3). Every request is signed \
            (api.md §2, docs/signing.md): send `X-Client-Id`, `X-Timestamp`, `X-Nonce` and `X-Signature` together."),
        (name = "Acquirer webhook", description = "Outcomes reported by the acquirer (api.md §4), \
            signed the Standard Webhooks way with the acquirer secret."),
        (name = "Mock acquirer", description = "The built-in mock acquirer (api.md §6); off in the \
            production profile, where these paths answer 404."),
        (name = "Admin", description = "The operator API (api.md §8, §10): \
            `Authorization: Bearer <admin token>`, or a person's session cookie (with \
            `X-CSRF-Token` on changes)."),
        (name = "Login", description = "People log in as themselves (api.md §10.2): the session \
            cookie `simplepg_session`, and `X-CSRF-Token` on every change it authenticates."),
        (name = "Probes", description = "Unauthenticated health, readiness and metrics."),
    ),
)]
struct ApiDoc;

/// The document as served and committed.
pub fn document() -> openapi::OpenApi {
    ApiDoc::openapi()
}

/// The committed form: pretty-printed JSON with a trailing newline. Key order is stable
/// (declaration order for paths and properties, sorted elsewhere).
pub fn document_json() -> String {
    let mut json = document()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    json.push('\n');
    json
}

/// `GET /api/openapi.json` and the Swagger UI at `/api/docs/` (its assets are compiled in,
/// so the page works offline).
pub fn configure(cfg: &mut web::ServiceConfig) {
    let json = web::Bytes::from(document_json());
    cfg.service(routes::get(OPENAPI_PATH, move || {
        let json = json.clone();
        async move {
            HttpResponse::Ok()
                .content_type("application/json")
                .body(json)
        }
    }))
    .service(routes::get(DOCS_PATH, || async {
        HttpResponse::PermanentRedirect()
            .insert_header((header::LOCATION, format!("{DOCS_PATH}/")))
            .finish()
    }))
    .service(SwaggerUi::new(format!("{DOCS_PATH}/{{_:.*}}")).config(Config::new([OPENAPI_PATH])));
}

/// The three ways in (api.md §2, §4, §8) as security schemes.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, doc: &mut openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        let header = |name: &str, description: &str| {
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                name,
                description,
            )))
        };
        let schemes = [
            (
                schemes::CLIENT_ID,
                header(
                    schemes::CLIENT_ID,
                    "The merchant's client id. Send all four signing headers together (api.md §2).",
                ),
            ),
            (
                schemes::TIMESTAMP,
                header(
                    schemes::TIMESTAMP,
                    "Unix time in milliseconds, decimal; accepted within ±300 s of server time.",
                ),
            ),
            (
                schemes::NONCE,
                header(
                    schemes::NONCE,
                    "16 to 64 characters of [A-Za-z0-9_-], unique per request.",
                ),
            ),
            (
                schemes::SIGNATURE,
                header(
                    schemes::SIGNATURE,
                    "Standard Base64 (padded) of HMAC-SHA256(client secret, canonical string); \
                     the canonical string is METHOD, path, raw query, X-Timestamp, X-Nonce and \
                     the lower-case hex SHA-256 of the raw body, joined by \\n (api.md §2).",
                ),
            ),
            (
                schemes::ADMIN,
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .description(Some(
                            "`Authorization: Bearer <admin token>` (configuration `admin.token`).",
                        ))
                        .build(),
                ),
            ),
            (
                schemes::SESSION,
                SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                    "simplepg_session",
                    "The session cookie set by `POST /auth/login` (api.md §10.2). A state-changing \
                     request it authenticates must carry the session's `X-CSRF-Token`.",
                ))),
            ),
            (
                schemes::WEBHOOK_ID,
                header(
                    schemes::WEBHOOK_ID,
                    "Standard Webhooks message id. Send with webhook-timestamp and webhook-signature.",
                ),
            ),
            (
                schemes::WEBHOOK_TIMESTAMP,
                header(
                    schemes::WEBHOOK_TIMESTAMP,
                    "Unix time in seconds; accepted within ±300 s.",
                ),
            ),
            (
                schemes::WEBHOOK_SIGNATURE,
                header(
                    schemes::WEBHOOK_SIGNATURE,
                    "`v1,<Base64 HMAC-SHA256 of \"{id}.{timestamp}.{raw body}\">` with the acquirer \
                     secret (whsec_…), possibly several separated by spaces (api.md §4).",
                ),
            ),
        ];
        for (name, scheme) in schemes {
            components.add_security_scheme(name, scheme);
        }
        // Every operator operation accepts the admin token or a person's session (api.md §10.2).
        for (_, op) in operations(doc) {
            let admin_only = op.security.as_ref().is_some_and(|s| {
                s.len() == 1 && *s == [SecurityRequirement::new::<_, _, &str>(schemes::ADMIN, [])]
            });
            if admin_only && let Some(security) = op.security.as_mut() {
                security.push(SecurityRequirement::new::<_, _, &str>(schemes::SESSION, []));
            }
        }
    }
}

/// Adds the error responses that come from a group's authentication, body reading and storage
/// rather than from the operation itself, without replacing ones the operation declares.
struct ErrorResponses;

impl Modify for ErrorResponses {
    fn modify(&self, doc: &mut openapi::OpenApi) {
        for (_, op) in operations(doc) {
            add_error_responses(op);
            optional_body_may_be_omitted(op);
        }
    }
}

/// Every operation of the document with its path.
fn operations(doc: &mut openapi::OpenApi) -> impl Iterator<Item = (&str, &mut Operation)> {
    doc.paths.paths.iter_mut().flat_map(|(path, item)| {
        [
            item.get.as_mut(),
            item.post.as_mut(),
            item.put.as_mut(),
            item.delete.as_mut(),
            item.patch.as_mut(),
        ]
        .into_iter()
        .flatten()
        .map(move |op| (path.as_str(), op))
    })
}

/// An `Option<…>` request body means the body may be left out, not that it may be JSON `null`
/// (which is refused like any other non-object): keep the object schema, mark the body optional.
fn optional_body_may_be_omitted(op: &mut Operation) {
    let Some(body) = op.request_body.as_mut() else {
        return;
    };
    if body.required == Some(Required::True) {
        return;
    }
    for content in body.content.values_mut() {
        if let Some(RefOr::T(Schema::OneOf(one_of))) = &content.schema {
            let not_null = one_of.items.iter().find(|item| {
                !matches!(item, RefOr::T(Schema::Object(o)) if o.schema_type == SchemaType::Type(Type::Null))
            });
            content.schema = not_null.cloned();
        }
    }
    body.required = Some(Required::False);
}

fn add_error_responses(op: &mut Operation) {
    let tag = op
        .tags
        .as_ref()
        .and_then(|t| t.first())
        .cloned()
        .unwrap_or_default();
    let has_query = op
        .parameters
        .iter()
        .flatten()
        .any(|p| p.parameter_in == ParameterIn::Query);
    let mut add = |status: &str, response: (&str, RefOr<openapi::Response>)| {
        op.responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| RefOr::Ref(openapi::Ref::from_response_name(response.0)));
    };
    if op.request_body.is_some() {
        add("400", problems::ValidationFailed::response());
        add("413", problems::PayloadTooLarge::response());
        add("415", problems::UnsupportedMediaType::response());
    }
    if has_query {
        add("400", problems::ValidationFailed::response());
    }
    match tag.as_str() {
        tags::PAYMENTS => {
            add("401", problems::MerchantUnauthorized::response());
            add("403", problems::ClientInactive::response());
            add("429", problems::RateLimited::response());
            add("503", problems::ServiceUnavailable::response());
        }
        tags::ADMIN => {
            add("401", problems::AdminUnauthorized::response());
            add("403", problems::CsrfOrForbidden::response());
            add("503", problems::ServiceUnavailable::response());
        }
        tags::AUTH => {
            add("401", problems::SessionUnauthorized::response());
            add("503", problems::ServiceUnavailable::response());
        }
        tags::ACQUIRER | tags::MOCK => {
            add("401", problems::WebhookUnauthorized::response());
            add("503", problems::ServiceUnavailable::response());
        }
        _ => {}
    }
}

/// Request bodies refuse unknown fields (400 naming each), so their schemas are closed. The
/// request schemas are the ones named `…Request`.
struct ClosedRequestBodies;

impl Modify for ClosedRequestBodies {
    fn modify(&self, doc: &mut openapi::OpenApi) {
        let Some(components) = doc.components.as_mut() else {
            return;
        };
        for (name, schema) in &mut components.schemas {
            if let (true, RefOr::T(Schema::Object(object))) = (name.ends_with("Request"), schema) {
                object.additional_properties =
                    Some(Box::new(AdditionalProperties::FreeForm(false)));
            }
        }
    }
}

#[cfg(test)]
mod tests;
