//! People (api.md §10): operator and merchant accounts, their roles and what each may do, login
//! with lockout, database-backed sessions, and the operator audit log. The rules live here —
//! which role may do what to whose data, when an account locks, when a session ends — so every
//! endpoint that asks gets the same answer; adapters store users and sessions and hash passwords.

mod access;
mod account;
mod audit;
mod login;
mod session;
#[cfg(test)]
mod testkit;
mod users;

pub use access::{Action, Denied, Principal, Scope, Who};
pub use account::{
    Email, LoginPolicy, NewUser, Password, PasswordHash, Role, TotpState, User, UserId,
};
pub use audit::{AuditOutcome, OperatorAuditEntry, OperatorAuditFilter};
pub use login::{
    AccountPolicy, Authenticated, Credentials, LoggedIn, LoginError, LoginService, RequestOrigin,
    TotpError,
};
pub use session::{CsrfToken, Session, SessionPolicy, SessionToken, SessionTokenHash};
pub use users::{UserChange, UserError, UserService};
