//! Every state-changing `/admin/api` call ends up in the operator audit log (api.md §10.4).
//! The use case writes the row of a change in the transaction of that change; a call that was
//! refused (`403`: outcome `DENIED`), failed (any other 4xx or 5xx: `FAILURE`) or changed
//! nothing (`SUCCESS`) has no such row, and gets one here, after its answer, under the same
//! audit action as its change would have had. The domain decides whether the call already has
//! its row ([`UserService::call_finished`](domain::services::people::UserService::call_finished)).
//! A call nobody authenticated (`401`) has no actor and is not recorded; nor is a path or method
//! no route serves.

use actix_web::{
    Error, HttpMessage,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::{Method, StatusCode},
    middleware::Next,
    web,
};
use domain::{
    Timestamp,
    operator::{deliveries, simulator},
    people::{AuditOutcome, OperatorCall, Principal},
    services::{
        merchants::audit_actions as merchant, payments, people as users, reconciliation, settlement,
    },
};

use super::guards::origin;
use crate::state::AppState;

/// The path parameters that name what a call is about, in the order they are looked for.
const TARGETS: [&str; 4] = ["paymentKey", "clientId", "deliveryId", "userId"];

/// The middleware: times the start of a state-changing operator call and, after its answer,
/// has it recorded unless it recorded itself.
pub async fn record_operator_calls(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let state = is_operator_change(req.method(), req.path())
        .then(|| req.app_data::<web::Data<AppState>>().cloned())
        .flatten();
    let started = state.as_ref().map(|s| s.people.users.call_started());
    let res = next.call(req).await?;
    if let (Some(state), Some(started)) = (state, started) {
        record(&state, &res, started).await;
    }
    Ok(res)
}

fn is_operator_change(method: &Method, path: &str) -> bool {
    path.starts_with("/admin/api/") && !matches!(*method, Method::GET | Method::HEAD)
}

async fn record<B>(state: &AppState, res: &ServiceResponse<B>, started: Timestamp) {
    let req = res.request();
    let by = req.extensions().get::<Principal>().cloned();
    let action = req
        .match_pattern()
        .and_then(|pattern| audit_action(req.method(), &pattern));
    let (Some(by), Some(action)) = (by, action) else {
        return;
    };
    let call = OperatorCall {
        action,
        target: TARGETS
            .iter()
            .find_map(|name| req.match_info().get(name))
            .map(str::to_owned),
        outcome: outcome(res.status()),
    };
    if let Err(e) = state
        .people
        .users
        .call_finished(&by, call, &origin(req), started)
        .await
    {
        tracing::warn!(error = %e, action, "recording an operator call in the audit log failed");
    }
}

fn outcome(status: StatusCode) -> AuditOutcome {
    if status == StatusCode::FORBIDDEN {
        AuditOutcome::Denied
    } else if status.is_client_error() || status.is_server_error() {
        AuditOutcome::Failure
    } else {
        AuditOutcome::Success
    }
}

/// The audit action of each state-changing operator route: the one its use case writes with
/// its change.
fn audit_action(method: &Method, pattern: &str) -> Option<&'static str> {
    let merchant_route = pattern.strip_prefix("/admin/api/merchants/{clientId}");
    Some(match (method.as_str(), merchant_route, pattern) {
        ("POST", _, "/admin/api/merchants") => merchant::REGISTERED,
        ("PATCH", Some(""), _) => merchant::UPDATED,
        ("POST", Some("/rotate-secret"), _) => merchant::CLIENT_SECRET_ROTATED,
        ("POST", Some("/rotate-webhook-secret"), _) => merchant::WEBHOOK_SECRET_ROTATED,
        ("POST", Some("/activate"), _) => merchant::ACTIVATED,
        ("POST", Some("/deactivate"), _) => merchant::DEACTIVATED,
        ("POST", Some("/test-notification"), _) => deliveries::TEST_ACTION,
        ("POST", _, "/admin/api/deliveries/{deliveryId}/retry") => deliveries::RETRY_ACTION,
        ("POST", _, "/admin/api/payments/{paymentKey}/cancel") => payments::CANCEL_ACTION,
        ("POST", _, "/admin/api/simulator/webhook") => simulator::WEBHOOK_ACTION,
        ("POST", _, "/admin/api/simulator/mock-request") => simulator::MOCK_REQUEST_ACTION,
        ("POST", _, "/admin/api/users") => users::CREATED_ACTION,
        ("PATCH", _, "/admin/api/users/{userId}") => users::CHANGED_ACTION,
        ("POST", _, "/admin/api/settlements/run") => settlement::RUN_ACTION,
        ("POST", _, "/admin/api/reconciliations") => reconciliation::RECONCILE_ACTION,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_changing_operator_route_has_the_audit_action_of_its_change() {
        // Every documented operation (the OpenAPI document lists every route's methods).
        let document: serde_json::Value =
            serde_json::from_str(&crate::openapi::document_json()).unwrap();
        let changes: Vec<(Method, String)> = document["paths"]
            .as_object()
            .unwrap()
            .iter()
            .flat_map(|(path, item)| {
                item.as_object()
                    .unwrap()
                    .keys()
                    .filter_map(|m| Method::from_bytes(m.to_uppercase().as_bytes()).ok())
                    .map(|m| (m, path.clone()))
                    .collect::<Vec<_>>()
            })
            .filter(|(method, path)| is_operator_change(method, path))
            .collect();
        assert!(changes.len() >= 15, "{changes:?}");
        for (method, path) in changes {
            assert!(
                audit_action(&method, &path).is_some(),
                "{method} {path} has no audit action"
            );
        }
    }

    #[test]
    fn a_refusal_is_denied_any_other_error_a_failure_and_the_rest_a_success() {
        assert_eq!(outcome(StatusCode::FORBIDDEN), AuditOutcome::Denied);
        for failed in [400, 404, 409, 415, 422, 502, 503] {
            let status = StatusCode::from_u16(failed).unwrap();
            assert_eq!(outcome(status), AuditOutcome::Failure, "{failed}");
        }
        for ok in [200, 201, 202, 204] {
            let status = StatusCode::from_u16(ok).unwrap();
            assert_eq!(outcome(status), AuditOutcome::Success, "{ok}");
        }
    }
}
