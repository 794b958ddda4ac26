//! People (api.md §10): operator and merchant accounts, their roles and what each may do, login
//! with lockout, database-backed sessions, and the operator audit log. The rules live here —
//! which role may do what to whose data, when an account locks, when a session ends — so every
//! endpoint that asks gets the same answer; adapters store users and sessions and hash passwords.
//! The use cases (login, users, the audit log) are in [`crate::services::people`].

mod access;
mod account;
mod audit;
mod session;

pub use access::{Action, Denied, Guarded, NothingInReach, Principal, Reach, Scope, Who};
pub use account::{
    Email, LoginPolicy, NewUser, Password, PasswordHash, Role, TotpState, User, UserId,
};
pub use audit::{
    AuditOutcome, OperatorAuditEntry, OperatorAuditFilter, OperatorCall, RequestOrigin,
};
pub use session::{
    AccountPolicy, CsrfToken, Session, SessionPolicy, SessionToken, SessionTokenHash,
};
