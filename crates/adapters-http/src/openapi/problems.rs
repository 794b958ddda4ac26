//! The problem+json error responses (api.md §1), one named response per meaning, so that each
//! operation lists the statuses it really returns and says which `code`s they carry.

use utoipa::{
    PartialSchema, ToResponse, ToSchema,
    openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder, header::HeaderBuilder},
};

use crate::problem::{PROBLEM_JSON, ProblemBody};

/// A problem+json response with `description`; `retry_after` documents the `Retry-After` header.
fn problem(description: &str, retry_after: bool) -> RefOr<Response> {
    let mut builder = ResponseBuilder::new().description(description).content(
        PROBLEM_JSON,
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name(ProblemBody::name())))
            .build(),
    );
    if retry_after {
        builder = builder.header(
            "Retry-After",
            HeaderBuilder::new()
                .schema(i64::schema())
                .description(Some("Seconds to wait before retrying"))
                .build(),
        );
    }
    builder.build().into()
}

macro_rules! problem_responses {
    ($($name:ident $(($retry_after:literal))? => $description:literal;)*) => {$(
        pub struct $name;

        impl<'r> ToResponse<'r> for $name {
            fn response() -> (&'r str, RefOr<Response>) {
                (stringify!($name), problem($description, false $(|| $retry_after)?))
            }
        }
    )*};
}

problem_responses! {
    ValidationFailed => "`VALIDATION_FAILED` (a field, header or query parameter is missing, \
        malformed, out of range or unknown; `errors[]` names each) or `MALFORMED_JSON`";
    PayloadTooLarge => "`PAYLOAD_TOO_LARGE`: the body is over 64 KiB";
    UnsupportedMediaType => "`UNSUPPORTED_MEDIA_TYPE`: the body is not `application/json`";
    MerchantUnauthorized => "`MISSING_AUTH_HEADERS`, `INVALID_SIGNATURE`, \
        `TIMESTAMP_OUT_OF_WINDOW` or `REPLAYED_REQUEST` (api.md §2)";
    ClientInactive => "`CLIENT_INACTIVE`: the signature is valid but the merchant is deactivated";
    RateLimited (true) => "`RATE_LIMITED`: per-client rate limit; see `Retry-After`";
    AdminUnauthorized => "`ADMIN_UNAUTHORIZED`: missing or wrong admin token";
    WebhookUnauthorized => "`MISSING_AUTH_HEADERS`, `INVALID_SIGNATURE` or \
        `TIMESTAMP_OUT_OF_WINDOW`: the Standard Webhooks signature was refused";
    ServiceUnavailable (true) => "`SERVICE_UNAVAILABLE`: the database is unreachable; \
        see `Retry-After`";
    PaymentNotFound => "`PAYMENT_NOT_FOUND`: unknown payment key, or a payment of another merchant";
    MerchantNotFound => "`MERCHANT_NOT_FOUND`: unknown client id";
    DeliveryNotFound => "`DELIVERY_NOT_FOUND`: unknown delivery id";
    NotFound => "`NOT_FOUND`: not available in this configuration";
    InvalidStateTransition => "`INVALID_STATE_TRANSITION` (the payment's status does not allow \
        this) or `CONCURRENT_UPDATE` (another change won; retry)";
    IdempotencyKeyInUse => "`IDEMPOTENCY_KEY_IN_USE`: the first request with this key is still \
        running";
    IdempotencyKeyReused => "`IDEMPOTENCY_KEY_REUSED`: this key was used for a different request";
}
