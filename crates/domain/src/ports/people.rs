//! The ports of the people room (api.md §10): users, sessions and the operator audit log in
//! storage; password hashing, TOTP and fresh ids/tokens from the outside world. Every write that
//! has an audit row takes it, so the row is stored in the same transaction as its effect.

use async_trait::async_trait;

use crate::{
    RepositoryError, Timestamp,
    ids::ClientId,
    people::{
        Email, OperatorAuditEntry, OperatorAuditFilter, Password, PasswordHash, Session,
        SessionToken, SessionTokenHash, User, UserId,
    },
    secret::Secret,
};

use super::PageRequest;

/// The storage ports of the people room, on one database.
#[derive(Clone)]
pub struct PeopleStores {
    pub users: std::sync::Arc<dyn UserStore>,
    pub sessions: std::sync::Arc<dyn SessionStore>,
    pub audit: std::sync::Arc<dyn OperatorAuditStore>,
}

/// Why a new user was not stored.
#[derive(Debug, thiserror::Error)]
pub enum InsertUserError {
    /// Another account has this email. Nothing was written.
    #[error("an account with this email exists")]
    DuplicateEmail,
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

/// How [`UserStore::update_keeping_an_admin`] ended.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum AdminKept {
    /// Written: another enabled ADMIN remains.
    Written,
    /// Someone else changed the user first; nothing was written (decide again).
    Stale,
    /// No other enabled ADMIN: nothing was written.
    NoOtherAdmin,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Stores a new user and its audit row in one transaction; an email already used is
    /// [`InsertUserError::DuplicateEmail`] (emails are stored lower-cased, so case never
    /// matters) and writes nothing.
    async fn insert(&self, user: &User, audit: &OperatorAuditEntry) -> Result<(), InsertUserError>;

    async fn find(&self, id: &UserId) -> Result<Option<User>, RepositoryError>;

    async fn find_by_email(&self, email: &Email) -> Result<Option<User>, RepositoryError>;

    /// Newest first, of one merchant (or every user), at most `page.limit + 1` so callers can
    /// tell whether more exist; `page.before` is the last id of the previous page.
    async fn list(
        &self,
        client_id: Option<ClientId>,
        page: &PageRequest<UserId>,
    ) -> Result<Vec<User>, RepositoryError>;

    /// Writes `next` (every mutable field: role, disabled, failure count, lock, TOTP, password
    /// hash, updated_at, version) if the stored row still has version `next.version - 1`, with
    /// `audit` in the same transaction. `Ok(false)`: someone else changed the user first and
    /// nothing was written (decide again on a fresh read).
    async fn update(
        &self,
        next: &User,
        audit: &[OperatorAuditEntry],
    ) -> Result<bool, RepositoryError>;

    /// [`Self::update`] for a change that takes an enabled ADMIN away (`next` demoted or
    /// disabled): written only while another enabled ADMIN remains. Decided in the transaction
    /// of the write, with the other enabled ADMINs locked and touched (their `version` moves on),
    /// so that concurrent removals of different admins cannot all pass — on one server, where
    /// the locks order them, or across the nodes of a cluster, which certify written rows only.
    async fn update_keeping_an_admin(
        &self,
        next: &User,
        audit: &[OperatorAuditEntry],
    ) -> Result<AdminKept, RepositoryError>;
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Stores a new session with its audit row (the login) in one transaction.
    async fn insert(
        &self,
        session: &Session,
        audit: &OperatorAuditEntry,
    ) -> Result<(), RepositoryError>;

    /// The session with this token hash, revoked or not.
    async fn find(&self, hash: &SessionTokenHash) -> Result<Option<Session>, RepositoryError>;

    /// Records a use of the session at `at` (`last_seen_at`, never moved back).
    async fn touch(&self, hash: &SessionTokenHash, at: Timestamp) -> Result<(), RepositoryError>;

    /// Revokes the session at `at` with its audit row (the logout) in one transaction; `false`
    /// when it was unknown or already revoked (nothing written).
    async fn revoke(
        &self,
        hash: &SessionTokenHash,
        at: Timestamp,
        audit: &OperatorAuditEntry,
    ) -> Result<bool, RepositoryError>;

    /// Revokes every live session of `user` at `at` (a user disabled or given another role);
    /// how many.
    async fn revoke_all_of(&self, user: &UserId, at: Timestamp) -> Result<u64, RepositoryError>;

    /// Forgets sessions that started before `started_before` or were revoked before it; how
    /// many.
    async fn purge(&self, started_before: Timestamp) -> Result<u64, RepositoryError>;
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait OperatorAuditStore: Send + Sync {
    /// Appends one row (for events with no other effect to share a transaction with, like a
    /// failed login of an unknown email); its assigned `audit_id`.
    async fn append(&self, entry: &OperatorAuditEntry) -> Result<u64, RepositoryError>;

    /// Newest first, filtered, at most `page.limit + 1`; `page.before` is the last `audit_id`
    /// of the previous page. Rows are never changed or deleted.
    async fn list(
        &self,
        filter: &OperatorAuditFilter,
        page: &PageRequest<u64>,
    ) -> Result<Vec<OperatorAuditEntry>, RepositoryError>;
}

/// Whether a password matched a hash.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum PasswordCheck {
    /// It matched; `rehash` when the hash was made with other parameters than today's (the
    /// caller stores a fresh hash).
    Matches {
        rehash: bool,
    },
    Mismatch,
}

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(pub String);

/// Password hashing (Argon2id in the crypto adapter). Async because a hash takes tens of
/// milliseconds of CPU: adapters run it off the request threads.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PasswordHasher: Send + Sync {
    async fn hash(&self, password: &Password) -> Result<PasswordHash, HashError>;

    async fn verify(&self, password: &Password, hash: &PasswordHash) -> PasswordCheck;

    /// Verifies `password` against a fixed hash of the current parameters and ignores the
    /// result: the work a login of an unknown email does, so it takes as long as a wrong
    /// password (no account enumeration by timing).
    async fn verify_dummy(&self, password: &Password);
}

/// RFC 6238 one-time codes (SHA-1, 6 digits, 30 s steps, ±1 step of clock skew).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait TotpCodes: Send + Sync {
    /// A fresh random shared secret (base32), to be sealed before it is stored.
    fn new_secret(&self) -> Secret;

    /// The `otpauth://totp/…` URI an authenticator app enrolls from.
    fn provisioning_uri(&self, secret: &Secret, account: &Email) -> String;

    /// The time step `code` belongs to, if it is valid for `secret` at `now` (now's step or
    /// one either side). Whether that step was used already is the caller's to decide.
    fn verify(&self, secret: &Secret, code: &str, now: Timestamp) -> Option<u64>;
}

/// Fresh identifiers and tokens of the people room (randomness is outside the domain).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait AccountKeys: Send + Sync {
    fn user_id(&self) -> UserId;

    /// 256 bits from the CSPRNG.
    fn session_token(&self) -> SessionToken;
}
