//! The people room's use cases (api.md §10): logging in and out, the session behind a request,
//! TOTP enrollment ([`LoginService`]); creating, listing and changing users and reading the
//! operator audit log ([`UserService`]). The rules they apply are in [`crate::people`].

mod login;
#[cfg(test)]
pub(crate) mod testkit;
mod users;

pub use login::{Authenticated, Credentials, LoggedIn, LoginError, LoginService, TotpError};
pub use users::{CHANGED_ACTION, CREATED_ACTION, UserChange, UserError, UserService};
