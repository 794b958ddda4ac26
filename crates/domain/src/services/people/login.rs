//! Logging in and out, the session behind every cookie-authenticated request, and TOTP
//! enrollment (api.md §10.2).
//!
//! A wrong email and a wrong password are the same failure, with the same work (the unknown
//! email is verified against a dummy hash) and the same answer. Failed logins are counted on the
//! account with a compare-and-set, so a lock holds whatever instance the attempts reach.

use std::{sync::Arc, time::Duration};

use crate::{
    RepositoryError, Timestamp,
    ports::{
        AccountKeys, Clock, PageRequest, PasswordCheck, PasswordHasher, PeopleStores, SecretCipher,
        TotpCodes,
    },
    service_struct::service_struct,
};

use crate::people::{
    AccountPolicy, AuditOutcome, CsrfToken, Email, OperatorAuditEntry, OperatorAuditFilter,
    Password, Principal, RequestOrigin, Session, SessionPolicy, SessionToken, TotpState, User,
};

/// How many times a change of a user is decided again after losing a race before giving up.
const ATTEMPTS: usize = 8;

/// A login attempt as typed.
#[derive(Clone, Debug)]
pub struct Credentials {
    pub email: String,
    pub password: Password,
    pub totp: Option<String>,
}

/// A session just opened: the cookie's token, its CSRF token, and who it is.
#[derive(Clone, Debug)]
pub struct LoggedIn {
    pub user: User,
    pub token: SessionToken,
    pub csrf: CsrfToken,
    pub expires_at: Timestamp,
}

/// Why a login did not open a session.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Wrong email, wrong password, disabled account or wrong second factor: one answer for all
    /// (401 `LOGIN_FAILED`).
    #[error("the email, password or one-time code is wrong (a code opens one session only)")]
    Failed,
    /// Too many failures: try again after `retry_after` (429 `LOGIN_LOCKED`).
    #[error("the account is locked after too many failed logins")]
    Locked { retry_after: Duration },
    /// The password was right and the account has a second factor: send `totp` too (401
    /// `TOTP_REQUIRED`).
    #[error("a one-time code is required")]
    TotpRequired,
    /// The account kept changing under us (409 `CONCURRENT_UPDATE`).
    #[error("the account changed concurrently; try again")]
    Contended,
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

/// A session that admits the request, with its user.
#[derive(Clone, Debug)]
pub struct Authenticated {
    pub principal: Principal,
    pub user: User,
    pub session: Session,
    pub csrf: CsrfToken,
    pub expires_at: Timestamp,
}

/// Why TOTP enrollment did not go through.
#[derive(Debug, thiserror::Error)]
pub enum TotpError {
    /// The account already has a confirmed second factor (409).
    #[error("a second factor is already enabled")]
    AlreadyEnabled,
    /// Confirmation without an enrollment in progress (409).
    #[error("no second factor is being enrolled")]
    NotEnrolling,
    /// The code does not match (400 `VALIDATION_FAILED` on `code`).
    #[error("the code is not valid")]
    InvalidCode,
    #[error("the account changed concurrently; try again")]
    Contended,
    #[error("the user is gone")]
    Gone,
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

service_struct! {
    /// Login, logout, the session behind a request, and TOTP enrollment.
    pub struct LoginService {
        stores: PeopleStores,
        hasher: Arc<dyn PasswordHasher>,
        totp: Arc<dyn TotpCodes>,
        cipher: Arc<dyn SecretCipher>,
        keys: Arc<dyn AccountKeys>,
        clock: Arc<dyn Clock>,
        policy: AccountPolicy,
    }
    pub fn new;
}

fn entry(
    now: Timestamp,
    actor: &str,
    user: Option<&User>,
    action: &str,
    outcome: AuditOutcome,
    origin: &RequestOrigin,
) -> OperatorAuditEntry {
    OperatorAuditEntry {
        audit_id: 0,
        at: now,
        actor: actor.chars().take(254).collect(),
        role: user.map(|u| u.role),
        action: action.to_owned(),
        target: user.map(|u| u.id.to_string()),
        outcome,
        ip: origin.ip.clone(),
        request_id: origin.request_id.clone(),
    }
}

impl LoginService {
    pub fn session_policy(&self) -> SessionPolicy {
        self.policy.session
    }

    /// Whether `user`'s session may only enroll a second factor (and log out) for now
    /// ([`AccountPolicy::must_enroll_totp`]).
    pub fn must_enroll_totp(&self, user: &User) -> bool {
        self.policy.must_enroll_totp(user)
    }

    /// Checks the credentials and opens a session (api.md §10.2).
    pub async fn login(
        &self,
        credentials: Credentials,
        origin: &RequestOrigin,
    ) -> Result<LoggedIn, LoginError> {
        let now = self.clock.now();
        let email = Email::parse(&credentials.email).ok();
        let found = match &email {
            Some(e) => self.stores.users.find_by_email(e).await?,
            None => None,
        };
        let Some(mut user) = found else {
            return Err(self.no_such_account(&credentials, now, origin).await?);
        };
        for _ in 0..ATTEMPTS {
            if user.is_locked(now) {
                let row = entry(
                    now,
                    user.email.as_str(),
                    Some(&user),
                    "LOGIN_LOCKED",
                    AuditOutcome::Denied,
                    origin,
                );
                self.stores.audit.append(&row).await?;
                let until = user.locked_until.unwrap_or(now);
                return Err(LoginError::Locked {
                    retry_after: until.distance(now),
                });
            }
            let check = self
                .hasher
                .verify(&credentials.password, &user.password_hash)
                .await;
            // `Some(step)`: the code's time step, spent by this login; `None`: not valid, or
            // used already (RFC 6238 §5.2) — a failure like a wrong password.
            let second_factor: Option<Option<u64>> = match (&check, &user.totp) {
                (PasswordCheck::Matches { .. }, TotpState::On(sealed)) => {
                    let Some(code) = credentials.totp.as_deref() else {
                        // Not a failure (the password was right; nothing is counted), but an
                        // authentication attempt refused: audited like every other.
                        let row = entry(
                            now,
                            user.email.as_str(),
                            Some(&user),
                            "TOTP_REQUIRED",
                            AuditOutcome::Failure,
                            origin,
                        );
                        self.stores.audit.append(&row).await?;
                        return Err(LoginError::TotpRequired);
                    };
                    let secret = self
                        .cipher
                        .open(sealed)
                        .map_err(|e| RepositoryError::msg(e.to_string()))?;
                    self.totp
                        .verify(&secret, code, now)
                        .filter(|step| user.accepts_totp_step(*step))
                        .map(Some)
                }
                _ => Some(None),
            };
            let rehash = match (check, second_factor) {
                (PasswordCheck::Matches { rehash }, Some(_)) if !user.disabled => rehash,
                _ => {
                    // A failure: counted on the account, and the lock it may cause recorded.
                    let next = user.after_failed_login(now, self.policy.login);
                    let mut rows = vec![entry(
                        now,
                        user.email.as_str(),
                        Some(&user),
                        "LOGIN_FAILED",
                        AuditOutcome::Failure,
                        origin,
                    )];
                    if next.is_locked(now) {
                        rows.push(entry(
                            now,
                            user.email.as_str(),
                            Some(&user),
                            "LOCKED",
                            AuditOutcome::Success,
                            origin,
                        ));
                    }
                    if self.stores.users.update(&next, &rows).await? {
                        return Err(LoginError::Failed);
                    }
                    user = self.reload(&user).await?;
                    continue;
                }
            };
            let totp_step = second_factor.flatten();
            let mut next = user.after_login(now, totp_step);
            if rehash && let Ok(fresh) = self.hasher.hash(&credentials.password).await {
                next.password_hash = fresh;
            }
            // A spent code is always written: of two logins with one code, on any instances,
            // the compare-and-set lets one through and the other finds it spent.
            let unchanged = user.failed_logins == 0
                && user.locked_until.is_none()
                && !rehash
                && totp_step.is_none();
            if !unchanged && !self.stores.users.update(&next, &[]).await? {
                user = self.reload(&user).await?;
                continue;
            }
            let token = self.keys.session_token();
            let session = Session::start(&token, next.id, now);
            let row = entry(
                now,
                next.email.as_str(),
                Some(&next),
                "LOGIN",
                AuditOutcome::Success,
                origin,
            );
            self.stores.sessions.insert(&session, &row).await?;
            return Ok(LoggedIn {
                csrf: token.csrf_token(),
                expires_at: session.expires_at(self.policy.session),
                user: next,
                token,
            });
        }
        Err(LoginError::Contended)
    }

    /// A login for an email no account has fails exactly as a wrong password would, lock
    /// included (api.md §10.2: no account enumeration): the same number of failures in a row
    /// locks the email for the same time, and while it is locked the answer is `LOGIN_LOCKED`
    /// without any password work. An email without an account has no row to count on, so its
    /// history is its audit rows (actor: the email as typed, lower-cased): its newest `LOCKED`,
    /// and the `LOGIN_FAILED` rows after it.
    async fn no_such_account(
        &self,
        credentials: &Credentials,
        now: Timestamp,
        origin: &RequestOrigin,
    ) -> Result<LoginError, RepositoryError> {
        let actor = credentials.email.trim().to_lowercase();
        let policy = self.policy.login;
        let rows = |action: &str, from: Option<Timestamp>, limit: u32| {
            let filter = OperatorAuditFilter {
                actor: Some(actor.clone()),
                action: Some(action.to_owned()),
                from,
                to: None,
            };
            async move {
                self.stores
                    .audit
                    .list(&filter, &PageRequest::first(limit))
                    .await
            }
        };
        let locked_at = rows("LOCKED", None, 1).await?.first().map(|r| r.at);
        if let Some(until) = locked_at.map(|at| at.plus(policy.lock_for))
            && now < until
        {
            let row = entry(
                now,
                &actor,
                None,
                "LOGIN_LOCKED",
                AuditOutcome::Denied,
                origin,
            );
            self.stores.audit.append(&row).await?;
            return Ok(LoginError::Locked {
                retry_after: until.distance(now),
            });
        }
        self.hasher.verify_dummy(&credentials.password).await;
        // The failures since the last lock (the one that locked shares its instant).
        let before = rows("LOGIN_FAILED", locked_at, policy.max_failures)
            .await?
            .iter()
            .filter(|r| locked_at.is_none_or(|at| r.at > at))
            .count();
        let failures = u32::try_from(before).unwrap_or(u32::MAX).saturating_add(1);
        let failed = entry(
            now,
            &actor,
            None,
            "LOGIN_FAILED",
            AuditOutcome::Failure,
            origin,
        );
        self.stores.audit.append(&failed).await?;
        if policy.locks(failures) {
            let lock = entry(now, &actor, None, "LOCKED", AuditOutcome::Success, origin);
            self.stores.audit.append(&lock).await?;
        }
        Ok(LoginError::Failed)
    }

    async fn reload(&self, user: &User) -> Result<User, LoginError> {
        self.stores
            .users
            .find(&user.id)
            .await?
            .ok_or(LoginError::Failed)
    }

    /// The live session of `token` and its user, or `None` (expired, revoked, unknown, user
    /// disabled or unfit for a role). Records the use ([`Session::needs_touch`]).
    pub async fn authenticate(
        &self,
        token: &SessionToken,
    ) -> Result<Option<Authenticated>, RepositoryError> {
        let now = self.clock.now();
        let hash = token.hash();
        let Some(session) = self.stores.sessions.find(&hash).await? else {
            return Ok(None);
        };
        if !session.is_live(now, self.policy.session) {
            return Ok(None);
        }
        let Some(user) = self.stores.users.find(&session.user_id).await? else {
            return Ok(None);
        };
        if user.disabled {
            return Ok(None);
        }
        let Some(principal) = Principal::user(
            user.id,
            user.email.clone(),
            user.role,
            user.client_id.clone(),
        ) else {
            return Ok(None);
        };
        let session = if session.needs_touch(now, self.policy.session) {
            self.stores.sessions.touch(&hash, now).await?;
            session.used_at(now)
        } else {
            session
        };
        Ok(Some(Authenticated {
            principal,
            csrf: token.csrf_token(),
            expires_at: session.expires_at(self.policy.session),
            user,
            session,
        }))
    }

    /// Revokes the session of `token`; `false` when there was no live one.
    pub async fn logout(
        &self,
        token: &SessionToken,
        origin: &RequestOrigin,
    ) -> Result<bool, RepositoryError> {
        let Some(me) = self.authenticate(token).await? else {
            return Ok(false);
        };
        let now = self.clock.now();
        let row = entry(
            now,
            me.user.email.as_str(),
            Some(&me.user),
            "LOGOUT",
            AuditOutcome::Success,
            origin,
        );
        self.stores.sessions.revoke(&token.hash(), now, &row).await
    }

    /// Starts TOTP enrollment for `user`: a fresh secret, kept sealed as PENDING until a code
    /// confirms it; the `otpauth://` URI to enroll from (shown once).
    pub async fn begin_totp(
        &self,
        user: &User,
        origin: &RequestOrigin,
    ) -> Result<String, TotpError> {
        self.change_totp(user, "TOTP_ENROLLED", origin, |current| {
            if matches!(current.totp, TotpState::On(_)) {
                return Err(TotpError::AlreadyEnabled);
            }
            let secret = self.totp.new_secret();
            let sealed = self
                .cipher
                .seal(&secret)
                .map_err(|e| RepositoryError::msg(e.to_string()))?;
            let uri = self.totp.provisioning_uri(&secret, &current.email);
            Ok((TotpState::Pending(sealed), uri))
        })
        .await
    }

    /// Confirms TOTP enrollment with a current `code`: from now on login asks for one.
    pub async fn confirm_totp(
        &self,
        user: &User,
        code: &str,
        origin: &RequestOrigin,
    ) -> Result<(), TotpError> {
        self.change_totp(user, "TOTP_ENABLED", origin, |current| {
            let sealed = match &current.totp {
                TotpState::Pending(sealed) => sealed.clone(),
                TotpState::On(_) => return Err(TotpError::AlreadyEnabled),
                TotpState::Off => return Err(TotpError::NotEnrolling),
            };
            let secret = self
                .cipher
                .open(&sealed)
                .map_err(|e| RepositoryError::msg(e.to_string()))?;
            // Proves the enrollment; it opens no session, so its step is not spent.
            if self.totp.verify(&secret, code, self.clock.now()).is_none() {
                return Err(TotpError::InvalidCode);
            }
            Ok((TotpState::On(sealed), ()))
        })
        .await
    }

    /// Writes the second-factor state `decide` chooses for the fresh user, with its `action`
    /// audit row, by compare-and-set; decided again on a lost race.
    async fn change_totp<T>(
        &self,
        user: &User,
        action: &str,
        origin: &RequestOrigin,
        decide: impl Fn(&User) -> Result<(TotpState, T), TotpError>,
    ) -> Result<T, TotpError> {
        let mut current = user.clone();
        for _ in 0..ATTEMPTS {
            let (totp, answer) = decide(&current)?;
            let now = self.clock.now();
            let mut next = current.clone();
            next.totp = totp;
            next.updated_at = now;
            next.version = current.version + 1;
            let row = entry(
                now,
                current.email.as_str(),
                Some(&current),
                action,
                AuditOutcome::Success,
                origin,
            );
            if self.stores.users.update(&next, &[row]).await? {
                return Ok(answer);
            }
            current = self
                .stores
                .users
                .find(&current.id)
                .await?
                .ok_or(TotpError::Gone)?;
        }
        Err(TotpError::Contended)
    }
}

#[cfg(test)]
#[path = "login_tests.rs"]
mod tests;
