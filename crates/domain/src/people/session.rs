//! Sessions (api.md §10.2): the cookie holds a 256-bit random token, the database only its
//! SHA-256; a session ends after 30 idle minutes or 12 hours, whichever comes first, or when
//! its user logs out. The CSRF token is derived from the session token, so it is bound to the
//! session and needs no storage of its own.

use std::{fmt, time::Duration};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use crate::{Timestamp, signing::sha256_hex, validation::Invalid};

use super::account::{LoginPolicy, TotpState, User, UserId};

/// The session cookie's value: 32 random bytes, base64url without padding (43 characters).
/// Never shown by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(String);

impl SessionToken {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// A token as a cookie carries it: exactly 43 base64url characters.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let ok = raw.len() == 43
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(Invalid::new("is not a session token"))
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What the database keeps of the token.
    pub fn hash(&self) -> SessionTokenHash {
        SessionTokenHash(sha256_hex(self.0.as_bytes()))
    }

    /// The CSRF token of this session: `X-CSRF-Token` of every cookie-authenticated change.
    pub fn csrf_token(&self) -> CsrfToken {
        let digest = sha256_hex(format!("simplepg-csrf\0{}", self.0).as_bytes());
        CsrfToken(digest)
    }
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionToken([REDACTED])")
    }
}

/// The SHA-256 (64 hex digits) of a session token: the session's key in the database.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct SessionTokenHash(String);

impl SessionTokenHash {
    /// A hash read back from storage.
    pub fn from_stored(hex: String) -> Self {
        Self(hex)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A session's CSRF token (64 hex digits).
#[derive(Clone, PartialEq, Eq)]
pub struct CsrfToken(String);

impl CsrfToken {
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether `presented` (the `X-CSRF-Token` header) is this token, compared in constant time.
    pub fn matches(&self, presented: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), presented.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

impl fmt::Debug for CsrfToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CsrfToken([REDACTED])")
    }
}

/// How long sessions last (api.md §10.2: 30 minutes idle, 12 hours in all; configurable).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct SessionPolicy {
    pub idle: Duration,
    pub absolute: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle: Duration::from_secs(30 * 60),
            absolute: Duration::from_secs(12 * 3600),
        }
    }
}

/// How logins lock and sessions end.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct AccountPolicy {
    pub login: LoginPolicy,
    pub session: SessionPolicy,
    /// Platform roles must confirm TOTP before their sessions may act (api.md §10.2).
    pub totp_required_for_platform_roles: bool,
}

impl AccountPolicy {
    /// Whether `user` must confirm a second factor before its session may do anything but
    /// enroll one (and log out): a platform role without a confirmed TOTP while the policy
    /// requires one. Merchant roles are never held back.
    pub fn must_enroll_totp(&self, user: &User) -> bool {
        self.totp_required_for_platform_roles
            && !user.role.is_merchant_role()
            && !matches!(user.totp, TotpState::On(_))
    }
}

/// A session as the database keeps it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Session {
    pub token_hash: SessionTokenHash,
    pub user_id: UserId,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

impl Session {
    /// A session that starts at `now`.
    pub fn start(token: &SessionToken, user_id: UserId, now: Timestamp) -> Self {
        Self {
            token_hash: token.hash(),
            user_id,
            created_at: now,
            last_seen_at: now,
            revoked_at: None,
        }
    }

    /// Whether the session still admits requests at `now`: not revoked, not idle for longer
    /// than `policy.idle`, not older than `policy.absolute`.
    pub fn is_live(&self, now: Timestamp, policy: SessionPolicy) -> bool {
        self.revoked_at.is_none()
            && now < self.last_seen_at.plus(policy.idle)
            && now < self.created_at.plus(policy.absolute)
    }

    /// When the session ends unless it is used again: idle after its last recorded use, or at
    /// its absolute end, whichever comes first.
    pub fn expires_at(&self, policy: SessionPolicy) -> Timestamp {
        let idle = self.last_seen_at.plus(policy.idle);
        let absolute = self.created_at.plus(policy.absolute);
        if idle < absolute { idle } else { absolute }
    }

    /// Whether a request at `now` should record itself as the last use. Writing at most once
    /// per thirtieth of the idle timeout (and at most once a minute) keeps reads cheap; the
    /// session may then end idle that much early, never late, whatever the timeout is set to.
    pub fn needs_touch(&self, now: Timestamp, policy: SessionPolicy) -> bool {
        let every = (policy.idle / 30).min(Duration::from_secs(60));
        now >= self.last_seen_at.plus(every)
    }

    /// The session as it is after a use at `now` was recorded.
    pub fn used_at(self, now: Timestamp) -> Self {
        Self {
            last_seen_at: now,
            ..self
        }
    }
}

#[cfg(test)]
#[path = "session_tests.rs"]
mod tests;
