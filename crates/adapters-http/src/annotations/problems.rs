//! The problem+json error responses (api.md §1), one named response per meaning, so that each
//! operation lists the statuses it really returns and says which `code`s ([`ErrorCode`]) they
//! carry.

use utoipa::{
    PartialSchema, ToResponse, ToSchema,
    openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder, header::HeaderBuilder},
};

use crate::problem::{ErrorCode, PROBLEM_JSON, ProblemBody};

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
    ($($name:ident $(($retry_after:literal))? [$($code:ident),+] => $description:literal;)*) => {$(
        pub struct $name;

        impl<'r> ToResponse<'r> for $name {
            fn response() -> (&'r str, RefOr<Response>) {
                let description = format!($description, $(ErrorCode::$code),+);
                (stringify!($name), problem(&description, false $(|| $retry_after)?))
            }
        }
    )*};
}

// Each description names its codes as `{}`, filled in from the list before it.
problem_responses! {
    ValidationFailed [ValidationFailed, MalformedJson] => "`{}` (a field, header or query \
        parameter is missing, malformed, out of range or unknown; `errors[]` names each) or `{}`";
    PayloadTooLarge [PayloadTooLarge] => "`{}`: the body is over 64 KiB";
    UnsupportedMediaType [UnsupportedMediaType] => "`{}`: the body is not `application/json`";
    MerchantUnauthorized [MissingAuthHeaders, InvalidSignature, TimestampOutOfWindow,
        ReplayedRequest] => "`{}`, `{}`, `{}` or `{}` (api.md §2)";
    ClientInactive [ClientInactive] => "`{}`: the signature is valid but the merchant is \
        deactivated";
    RateLimited (true) [RateLimited] => "`{}`: per-client rate limit; see `Retry-After`";
    AdminUnauthorized [AdminUnauthorized] => "`{}`: missing or wrong admin token";
    WebhookUnauthorized [MissingAuthHeaders, InvalidSignature, TimestampOutOfWindow] => "`{}`, \
        `{}` or `{}`: the Standard Webhooks signature was refused";
    ServiceUnavailable (true) [ServiceUnavailable] => "`{}`: the database is unreachable; \
        see `Retry-After`";
    PaymentNotFound [PaymentNotFound] => "`{}`: unknown payment key, or a payment of another \
        merchant";
    MerchantNotFound [MerchantNotFound] => "`{}`: unknown client id";
    DeliveryNotFound [DeliveryNotFound] => "`{}`: unknown delivery id";
    NotFound [NotFound] => "`{}`: not available in this configuration";
    InvalidStateTransition [InvalidStateTransition, ConcurrentUpdate] => "`{}` (the payment's \
        status does not allow this) or `{}` (another change won; retry)";
    LoginFailed [LoginFailed, TotpRequired] => "`{}` (wrong email, wrong password, disabled \
        account or wrong one-time code: one answer for all) or `{}` (the password was right; \
        send `totp`)";
    LoginLocked (true) [LoginLocked, RateLimited] => "`{}` (too many failed logins of this \
        account) or `{}` (too many login attempts from this address); see `Retry-After`";
    LoginConflict [ConcurrentUpdate] => "`{}`: the account kept changing under concurrent logins; \
        send it again";
    SessionUnauthorized [Unauthenticated] => "`{}`: no live session cookie";
    CsrfOrForbidden [CsrfCheckFailed, Forbidden, TotpEnrollmentRequired] => "`{}` (a change \
        authenticated by cookie without the session's `X-CSRF-Token`), `{}` (the caller's role may \
        not do this) or `{}` (a platform role that must confirm a second factor first)";
    CsrfFailed [CsrfCheckFailed] => "`{}`: a change authenticated by cookie without the \
        session's `X-CSRF-Token`";
    MerchantConflict [ConcurrentUpdate] => "`{}`: other changes of the merchant won every \
        attempt; send it again";
    UserNotFound [UserNotFound] => "`{}`: unknown user id, or a user the caller may not manage";
    EmailTaken [EmailTaken] => "`{}`: another account has this email";
    UserConflict [LastAdmin, ConcurrentUpdate] => "`{}` (no enabled ADMIN would be left) or `{}` \
        (another change won; retry)";
    TotpAlreadyOn [TotpAlreadyEnabled, ConcurrentUpdate] => "`{}` (the second factor is on \
        already) or `{}` (the account kept changing; send it again)";
    TotpConflict [TotpAlreadyEnabled, TotpNotEnrolling, ConcurrentUpdate] => "`{}`, `{}` \
        (`POST /auth/totp` first) or `{}` (the account kept changing; send it again)";
    IdempotencyKeyInUse [IdempotencyKeyInUse] => "`{}`: the first request with this key is \
        still running";
    IdempotencyKeyReused [IdempotencyKeyReused] => "`{}`: this key was used for a different \
        request";
}
