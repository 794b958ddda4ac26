//! In-memory stores and plain test doubles of the people room's ports.

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicUsize, Ordering},
};
use std::time::Duration;

use async_trait::async_trait;
use uuid::Uuid;

use crate::{
    RepositoryError, Timestamp,
    ids::ClientId,
    people::{
        Email, OperatorAuditEntry, OperatorAuditFilter, Password, PasswordHash, Role, Session,
        SessionToken, SessionTokenHash, User, UserId,
    },
    ports::{
        AccountKeys, AdminKept, CipherError, Clock, HashError, InsertUserError, OperatorAuditStore,
        PageRequest, PasswordCheck, PasswordHasher, PeopleStores, SecretCipher, SessionStore,
        TotpCodes, UserStore,
    },
    secret::{SealedSecret, Secret},
    services::testkit::{actions_of, first},
};

pub use crate::services::testkit::t0;

#[derive(Default)]
pub struct Memory {
    pub users: Mutex<Vec<User>>,
    pub sessions: Mutex<Vec<Session>>,
    pub audit: Mutex<Vec<OperatorAuditEntry>>,
}

impl Memory {
    fn audited(&self, audit: &OperatorAuditEntry) {
        self.audit.lock().unwrap().push(audit.clone());
    }

    pub fn actions(&self) -> Vec<String> {
        actions_of(&self.audit)
    }
    pub fn user(&self) -> User {
        self.users.lock().unwrap()[0].clone()
    }
}

#[async_trait]
impl UserStore for Memory {
    async fn insert(&self, user: &User, audit: &OperatorAuditEntry) -> Result<(), InsertUserError> {
        self.users.lock().unwrap().push(user.clone());
        self.audited(audit);
        Ok(())
    }
    async fn find(&self, id: &UserId) -> Result<Option<User>, RepositoryError> {
        Ok(first(&self.users, |u| u.id == *id))
    }
    async fn find_by_email(&self, email: &Email) -> Result<Option<User>, RepositoryError> {
        Ok(first(&self.users, |u| u.email == *email))
    }
    async fn list(
        &self,
        _: Option<ClientId>,
        _: &PageRequest<UserId>,
    ) -> Result<Vec<User>, RepositoryError> {
        Ok(self.users.lock().unwrap().clone())
    }
    async fn update(
        &self,
        next: &User,
        audit: &[OperatorAuditEntry],
    ) -> Result<bool, RepositoryError> {
        let mut users = self.users.lock().unwrap();
        let Some(stored) = users.iter_mut().find(|u| u.id == next.id) else {
            return Ok(false);
        };
        if stored.version + 1 != next.version {
            return Ok(false);
        }
        *stored = next.clone();
        self.audit.lock().unwrap().extend(audit.iter().cloned());
        Ok(true)
    }
    async fn update_keeping_an_admin(
        &self,
        next: &User,
        audit: &[OperatorAuditEntry],
    ) -> Result<AdminKept, RepositoryError> {
        let others = self
            .users
            .lock()
            .unwrap()
            .iter()
            .filter(|u| u.id != next.id && u.role == Role::Admin && !u.disabled)
            .count();
        if others == 0 {
            return Ok(AdminKept::NoOtherAdmin);
        }
        Ok(if self.update(next, audit).await? {
            AdminKept::Written
        } else {
            AdminKept::Stale
        })
    }
}

#[async_trait]
impl SessionStore for Memory {
    async fn insert(
        &self,
        session: &Session,
        audit: &OperatorAuditEntry,
    ) -> Result<(), RepositoryError> {
        self.sessions.lock().unwrap().push(session.clone());
        self.audited(audit);
        Ok(())
    }
    async fn find(&self, hash: &SessionTokenHash) -> Result<Option<Session>, RepositoryError> {
        Ok(first(&self.sessions, |s| s.token_hash == *hash))
    }
    async fn touch(&self, hash: &SessionTokenHash, at: Timestamp) -> Result<(), RepositoryError> {
        let mut sessions = self.sessions.lock().unwrap();
        for s in sessions.iter_mut().filter(|s| s.token_hash == *hash) {
            s.last_seen_at = s.last_seen_at.max(at);
        }
        Ok(())
    }
    async fn revoke(
        &self,
        hash: &SessionTokenHash,
        at: Timestamp,
        audit: &OperatorAuditEntry,
    ) -> Result<bool, RepositoryError> {
        let mut sessions = self.sessions.lock().unwrap();
        let Some(s) = sessions
            .iter_mut()
            .find(|s| s.token_hash == *hash && s.revoked_at.is_none())
        else {
            return Ok(false);
        };
        s.revoked_at = Some(at);
        self.audited(audit);
        Ok(true)
    }
    async fn revoke_all_of(&self, _: &UserId, _: Timestamp) -> Result<u64, RepositoryError> {
        Ok(0)
    }
    async fn purge(&self, _: Timestamp) -> Result<u64, RepositoryError> {
        Ok(0)
    }
}

#[async_trait]
impl OperatorAuditStore for Memory {
    async fn append(&self, entry: &OperatorAuditEntry) -> Result<u64, RepositoryError> {
        let mut audit = self.audit.lock().unwrap();
        audit.push(entry.clone());
        Ok(audit.len() as u64)
    }
    /// Newest first, by actor, action and time (the filters the services use).
    async fn list(
        &self,
        filter: &OperatorAuditFilter,
        _: &PageRequest<u64>,
    ) -> Result<Vec<OperatorAuditEntry>, RepositoryError> {
        let audit = self.audit.lock().unwrap();
        Ok(audit
            .iter()
            .rev()
            .filter(|e| filter.actor.as_ref().is_none_or(|a| *a == e.actor))
            .filter(|e| filter.action.as_ref().is_none_or(|a| *a == e.action))
            .filter(|e| filter.from.is_none_or(|from| e.at >= from))
            .cloned()
            .collect())
    }
}

/// "Hashes" a password as `h:` + it; counts every verification, dummy ones included.
#[derive(Default)]
pub struct PlainHasher {
    pub verifications: AtomicUsize,
    pub rehash: bool,
}

#[async_trait]
impl PasswordHasher for PlainHasher {
    async fn hash(&self, password: &Password) -> Result<PasswordHash, HashError> {
        Ok(PasswordHash::new(format!("h2:{}", password.expose())))
    }
    async fn verify(&self, password: &Password, hash: &PasswordHash) -> PasswordCheck {
        self.verifications.fetch_add(1, Ordering::SeqCst);
        let plain = hash.as_str().split_once(':').map(|(_, p)| p);
        if plain == Some(password.expose()) {
            PasswordCheck::Matches {
                rehash: self.rehash,
            }
        } else {
            PasswordCheck::Mismatch
        }
    }
    async fn verify_dummy(&self, _: &Password) {
        self.verifications.fetch_add(1, Ordering::SeqCst);
    }
}

/// The only valid code is `"424242"`.
pub struct FixedTotp;

impl TotpCodes for FixedTotp {
    fn new_secret(&self) -> Secret {
        Secret::new("JBSWY3DPEHPK3PXP".into())
    }
    fn provisioning_uri(&self, secret: &Secret, account: &Email) -> String {
        format!(
            "otpauth://totp/SimplePG:{account}?secret={}",
            secret.expose()
        )
    }
    /// `"424242"` belongs to now's 30-second step.
    fn verify(&self, _: &Secret, code: &str, now: Timestamp) -> Option<u64> {
        (code == "424242")
            .then(|| u64::try_from(now.unix_seconds() / 30).ok())
            .flatten()
    }
}

pub struct ClearCipher;

impl SecretCipher for ClearCipher {
    fn seal(&self, secret: &Secret) -> Result<SealedSecret, CipherError> {
        Ok(SealedSecret {
            key_version: 1,
            ciphertext: secret.expose().as_bytes().to_vec(),
        })
    }
    fn open(&self, sealed: &SealedSecret) -> Result<Secret, CipherError> {
        Ok(Secret::new(
            String::from_utf8_lossy(&sealed.ciphertext).into_owned(),
        ))
    }
    fn key_version(&self) -> u32 {
        1
    }
}

pub struct CountingKeys(pub AtomicUsize);

impl AccountKeys for CountingKeys {
    fn user_id(&self) -> UserId {
        UserId::from_uuid(Uuid::now_v7())
    }
    fn session_token(&self) -> SessionToken {
        let n = self.0.fetch_add(1, Ordering::SeqCst) as u8;
        SessionToken::from_bytes([n; 32])
    }
}

pub struct StepClock(pub Mutex<Timestamp>);

impl Clock for StepClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap()
    }
}

impl StepClock {
    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap();
        *now = now.plus(by);
    }
}

impl Memory {
    /// The three stores, all this memory.
    pub fn stores(self: &Arc<Self>) -> PeopleStores {
        PeopleStores {
            users: self.clone(),
            sessions: self.clone(),
            audit: self.clone(),
        }
    }
}
