//! Which group an operation is listed under follows from its path, as in the route table: one
//! tag per audience (see [`super::tags`]), stated here once for every operation.

use utoipa::{Modify, openapi};

use super::{operations, tags};

/// Path prefix and tag; the first prefix that matches applies.
const AUDIENCES: &[(&str, &str)] = &[
    ("/api/payments", tags::PAYMENTS),
    ("/api/webhook/", tags::ACQUIRER),
    ("/mock/", tags::MOCK),
    ("/admin/", tags::ADMIN),
    ("/auth/", tags::AUTH),
    ("/", tags::PROBES),
];

/// Sets each operation's tag from [`AUDIENCES`] (before [`super::ErrorResponses`], which adds
/// the errors of a tag's authentication).
pub(super) struct Audiences;

impl Modify for Audiences {
    fn modify(&self, doc: &mut openapi::OpenApi) {
        for (path, op) in operations(doc) {
            if let Some((_, tag)) = AUDIENCES
                .iter()
                .find(|(prefix, _)| path.starts_with(prefix))
            {
                op.tags = Some(vec![(*tag).to_owned()]);
            }
        }
    }
}
