//! Accounts: who may log in, with which role, and when an account locks (api.md §10.1–§10.2).

use std::{fmt, time::Duration};

use uuid::Uuid;

use crate::{
    Timestamp,
    ids::ClientId,
    named_enum::named_enum,
    secret::SealedSecret,
    validation::{Invalid, Violations},
};

named_enum! {
    /// What a user may do, and over which merchants (api.md §10.1).
    pub enum Role {
        Admin = "ADMIN",
        Operator = "OPERATOR",
        Viewer = "VIEWER",
        MerchantAdmin = "MERCHANT_ADMIN",
        MerchantViewer = "MERCHANT_VIEWER",
    }
    parse -> Invalid;
}

impl Role {
    /// A role limited to one merchant (it needs a `clientId`).
    pub const fn is_merchant_role(self) -> bool {
        matches!(self, Self::MerchantAdmin | Self::MerchantViewer)
    }
}

/// A user's id: a UUIDv7 (users sort by creation time); `usr_` + 32 hex digits outside.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct UserId(Uuid);

impl UserId {
    pub fn from_uuid(id: Uuid) -> Self {
        Self(id)
    }

    pub fn as_uuid(&self) -> Uuid {
        self.0
    }

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let hex = raw
            .strip_prefix("usr_")
            .ok_or_else(|| Invalid::new("must be a user id (usr_…)"))?;
        Uuid::try_parse(hex)
            .map(Self)
            .map_err(|_| Invalid::new("must be a user id (usr_…)"))
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "usr_{}", self.0.simple())
    }
}

/// A login email: trimmed, lower-cased, 3–254 characters with one `@` that has text on both
/// sides and no whitespace. Two spellings differing only in case are one account.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let email = raw.trim().to_lowercase();
        let well_formed = email.len() <= 254
            && !email.chars().any(|c| c.is_whitespace() || c.is_control())
            && email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty() && !domain.is_empty() && !domain.contains('@')
            });
        if well_formed {
            Ok(Self(email))
        } else {
            Err(Invalid::new("must be an email address"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A password as typed: at least 12 and at most 1024 characters (api.md §10.1). Never shown by
/// `Debug`, never stored — only its [`PasswordHash`].
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 12;
    pub const MAX_CHARS: usize = 1024;

    /// A password for a new account: the policy applies.
    pub fn new_password(raw: &str) -> Result<Self, Invalid> {
        let n = raw.chars().count();
        if n < Self::MIN_CHARS {
            Err(Invalid::new(format!(
                "must be at least {} characters",
                Self::MIN_CHARS
            )))
        } else if n > Self::MAX_CHARS {
            Err(Invalid::new(format!(
                "must be at most {} characters",
                Self::MAX_CHARS
            )))
        } else {
            Ok(Self(raw.to_owned()))
        }
    }

    /// A password typed at login: checked against the hash whatever it looks like (a policy
    /// error here would tell an attacker something).
    pub fn attempt(raw: &str) -> Self {
        Self(raw.chars().take(Self::MAX_CHARS).collect())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password([REDACTED])")
    }
}

/// A password hash as the hasher writes it (a PHC string, e.g. `$argon2id$v=19$…`). Opaque
/// here; its `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    pub fn new(phc: String) -> Self {
        Self(phc)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash([REDACTED])")
    }
}

/// The second factor of an account.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum TotpState {
    Off,
    /// Enrolled (`POST /auth/totp`), not yet confirmed with a code: login does not ask for it.
    Pending(SealedSecret),
    /// Confirmed: login requires a current code.
    On(SealedSecret),
}

/// An account of the back office.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct User {
    pub id: UserId,
    pub email: Email,
    pub role: Role,
    /// The merchant of a merchant role; `None` for platform roles.
    pub client_id: Option<ClientId>,
    pub password_hash: PasswordHash,
    pub disabled: bool,
    /// Consecutive failed logins since the last success (or the last lock).
    pub failed_logins: u32,
    pub locked_until: Option<Timestamp>,
    pub totp: TotpState,
    /// The RFC 6238 time step of the newest code that opened a session: no code of that step or
    /// an earlier one opens another (RFC 6238 §5.2, one-time use).
    pub totp_used_step: Option<u64>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Optimistic-concurrency version: every change of the row takes the next one, so failed
    /// logins counted on several instances at once are all counted.
    pub version: u32,
}

/// What a new account needs, checked: a merchant role comes with its merchant, a platform role
/// without one.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct NewUser {
    pub email: Email,
    pub role: Role,
    pub client_id: Option<ClientId>,
    pub password: Password,
}

impl NewUser {
    pub fn parse(
        email: &str,
        role: &str,
        client_id: Option<&str>,
        password: &str,
    ) -> Result<Self, Violations> {
        let mut v = Violations::new();
        let email = v.check("email", Email::parse(email));
        let role = v.check("role", Role::parse(role));
        let client_id = match client_id {
            Some(raw) => v.check("clientId", ClientId::parse(raw)).map(Some),
            None => Some(None),
        };
        let password = v.check("password", Password::new_password(password));
        if let (Some(role), Some(client)) = (role, &client_id) {
            match (role.is_merchant_role(), client.is_some()) {
                (true, false) => v.push("clientId", "is required for a merchant role"),
                (false, true) => v.push("clientId", "must be absent for a platform role"),
                _ => {}
            }
        }
        v.into_result()?;
        match (email, role, client_id, password) {
            (Some(email), Some(role), Some(client_id), Some(password)) => Ok(Self {
                email,
                role,
                client_id,
                password,
            }),
            _ => Err(Violations::single("body", "is invalid")),
        }
    }
}

/// When failed logins lock an account (api.md §10.2: 5 in a row lock it for 15 minutes).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct LoginPolicy {
    pub max_failures: u32,
    pub lock_for: Duration,
}

impl LoginPolicy {
    /// Whether `failures` failed logins in a row lock (an account, or an email without one).
    pub fn locks(self, failures: u32) -> bool {
        failures >= self.max_failures
    }
}

impl Default for LoginPolicy {
    fn default() -> Self {
        Self {
            max_failures: 5,
            lock_for: Duration::from_secs(15 * 60),
        }
    }
}

impl User {
    /// Whether the account is locked at `now`.
    pub fn is_locked(&self, now: Timestamp) -> bool {
        self.locked_until.is_some_and(|until| now < until)
    }

    /// The account after one more failed login at `now`: the failure is counted, and the
    /// `max_failures`-th in a row locks it for `lock_for` (the count starts again after a lock).
    pub fn after_failed_login(&self, now: Timestamp, policy: LoginPolicy) -> Self {
        let mut next = self.clone();
        let failures = if self.locked_until.is_some_and(|until| now >= until) {
            1 // the previous lock ran out: a new series
        } else {
            self.failed_logins.saturating_add(1)
        };
        if policy.locks(failures) {
            next.failed_logins = 0;
            next.locked_until = Some(now.plus(policy.lock_for));
        } else {
            next.failed_logins = failures;
        }
        next.updated_at = now;
        next.version = self.version + 1;
        next
    }

    /// Whether a second-factor code of time step `step` may still open a session: only one
    /// newer than the last code that did (a code is used once, RFC 6238 §5.2).
    pub fn accepts_totp_step(&self, step: u64) -> bool {
        self.totp_used_step.is_none_or(|used| step > used)
    }

    /// The account after a successful login at `now`: the failure count and any lock that ran
    /// out are cleared, and the step of the second-factor code it used, if any, is spent.
    pub fn after_login(&self, now: Timestamp, totp_step: Option<u64>) -> Self {
        let mut next = self.clone();
        next.failed_logins = 0;
        next.locked_until = None;
        if totp_step.is_some() {
            next.totp_used_step = totp_step;
        }
        next.updated_at = now;
        next.version = self.version + 1;
        next
    }
}

#[cfg(test)]
#[path = "account_tests.rs"]
mod tests;
