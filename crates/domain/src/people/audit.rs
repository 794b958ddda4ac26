//! The operator audit log (api.md §10.4): every authentication event and every state-changing
//! back-office call, append-only.

use crate::{Timestamp, ids::RequestId, named_enum::named_enum};

use super::{Principal, account::Role};

named_enum! {
    /// How an audited action ended.
    pub enum AuditOutcome {
        Success = "SUCCESS",
        Failure = "FAILURE",
        Denied = "DENIED",
    }
    parse -> Option;
}

/// One row of the operator audit log. `actor` is the user's email, `token` for the admin token,
/// or the email typed at a failed login; `role` is `None` when nobody was authenticated.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct OperatorAuditEntry {
    /// Assigned by storage (increasing); 0 before it is stored.
    pub audit_id: u64,
    pub at: Timestamp,
    pub actor: String,
    pub role: Option<Role>,
    /// What was done, e.g. `LOGIN`, `LOGIN_FAILED`, `LOCKED`, `LOGOUT`, `TOTP_ENABLED`,
    /// `USER_CREATED`, `POST /admin/api/merchants`.
    pub action: String,
    /// What it was done to (a user id, a client id, a payment key), if anything.
    pub target: Option<String>,
    pub outcome: AuditOutcome,
    pub ip: Option<String>,
    pub request_id: Option<RequestId>,
}

impl OperatorAuditEntry {
    /// The row of a successful back-office change by `by`.
    pub fn success(
        by: &Principal,
        action: &str,
        target: Option<String>,
        origin: &RequestOrigin,
        at: Timestamp,
    ) -> Self {
        Self::of_call(by, action, target, AuditOutcome::Success, origin, at)
    }

    /// The row of a back-office call by `by` that ended with `outcome`.
    pub fn of_call(
        by: &Principal,
        action: &str,
        target: Option<String>,
        outcome: AuditOutcome,
        origin: &RequestOrigin,
        at: Timestamp,
    ) -> Self {
        Self {
            audit_id: 0,
            at,
            actor: by.actor_label().to_owned(),
            role: Some(by.role()),
            action: action.to_owned(),
            target,
            outcome,
            ip: origin.ip.clone(),
            request_id: origin.request_id.clone(),
        }
    }
}

/// A state-changing operator call as it ended: its audit action, on what, and how it ended
/// (recorded by `UserService::call_finished` when the call left no row of its own).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct OperatorCall {
    pub action: &'static str,
    pub target: Option<String>,
    pub outcome: AuditOutcome,
}

/// Which audit rows to list (newest first, `limit` at most, older than `starting_after`).
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct OperatorAuditFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
}

/// Where a request came from, for the audit log.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct RequestOrigin {
    pub ip: Option<String>,
    pub request_id: Option<RequestId>,
}
