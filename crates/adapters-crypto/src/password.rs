//! Argon2id password hashing (the `argon2` crate of RustCrypto) behind the domain's
//! [`PasswordHasher`] port. Hashes are PHC strings (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`), so
//! each one carries the parameters it was made with: a stored hash made with other parameters
//! still verifies, and the caller is told to store a fresh one.

use std::{fmt, sync::Arc};

use argon2::{
    Algorithm, Argon2, Params, PasswordHash as PhcHash, PasswordHasher as _, PasswordVerifier as _,
    Version,
};
use async_trait::async_trait;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use domain::{
    people::{Password, PasswordHash},
    ports::{HashError, PasswordCheck, PasswordHasher},
};

use crate::generator::random_bytes;

/// The cost of one Argon2id hash.
///
/// The default is the first configuration of the OWASP Password Storage Cheat Sheet for
/// Argon2id: 19 MiB of memory (`m=19456` KiB), 2 iterations, 1 degree of parallelism. The cheat
/// sheet lists that and equivalent trade-offs (more memory, fewer passes) as the minimum; one
/// lane keeps a login to one core, so concurrent logins scale with the cores instead of
/// competing for them.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Argon2Params {
    /// Memory in KiB (`m`).
    pub memory_kib: u32,
    /// Passes over the memory (`t`).
    pub iterations: u32,
    /// Lanes (`p`).
    pub parallelism: u32,
}

impl Argon2Params {
    /// m=19456 KiB, t=2, p=1 (OWASP Password Storage Cheat Sheet, Argon2id).
    pub const OWASP: Self = Self {
        memory_kib: 19 * 1024,
        iterations: 2,
        parallelism: 1,
    };

    fn to_argon2(self) -> Result<Params, HashError> {
        Params::new(
            self.memory_kib,
            self.iterations,
            self.parallelism,
            Some(OUTPUT_LEN),
        )
        .map_err(|e| HashError(format!("invalid Argon2 parameters: {e}")))
    }
}

impl Default for Argon2Params {
    fn default() -> Self {
        Self::OWASP
    }
}

/// Bytes of hash output (the crate's and the PHC format's usual 256 bits).
const OUTPUT_LEN: usize = 32;

/// Stored hashes asking for more than this are refused unverified (a corrupt or planted row
/// must not make one login allocate gigabytes or spin for minutes).
const MAX_STORED_MEMORY_KIB: u32 = 1024 * 1024;
const MAX_STORED_ITERATIONS: u32 = 64;
const MAX_STORED_PARALLELISM: u32 = 64;

/// Argon2id with configurable [`Argon2Params`]. Every hash and verification runs on tokio's
/// blocking pool (inline when there is no runtime, e.g. a synchronous CLI), never on an async
/// worker. Passwords are never logged and never part of an error.
#[derive(Clone)]
pub struct Argon2PasswordHasher {
    inner: Arc<Inner>,
}

struct Inner {
    /// Hashes and verifications running at once: each holds `memory_kib` of memory and a core
    /// for tens of milliseconds, so a burst of logins waits here instead of taking the blocking
    /// pool's hundreds of threads (and their memory).
    running: tokio::sync::Semaphore,
    params: Argon2Params,
    argon2: Argon2<'static>,
    /// A hash of a random password with today's parameters, for [`PasswordHasher::verify_dummy`].
    dummy: String,
}

impl Argon2PasswordHasher {
    /// Validates the parameters and computes the dummy hash (one hash's worth of CPU).
    pub fn new(params: Argon2Params) -> Result<Self, HashError> {
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.to_argon2()?);
        let dummy_password = URL_SAFE_NO_PAD.encode(random_bytes::<32>());
        let dummy = hash_with(&argon2, dummy_password.as_bytes())?;
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        Ok(Self {
            inner: Arc::new(Inner {
                running: tokio::sync::Semaphore::new(cores * 2),
                params,
                argon2,
                dummy,
            }),
        })
    }

    pub fn params(&self) -> Argon2Params {
        self.inner.params
    }
}

impl fmt::Debug for Argon2PasswordHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Argon2PasswordHasher")
            .field("params", &self.inner.params)
            .finish_non_exhaustive()
    }
}

fn hash_with(argon2: &Argon2<'_>, password: &[u8]) -> Result<String, HashError> {
    let salt = random_bytes::<16>();
    argon2
        .hash_password_with_salt(password, &salt)
        .map(|phc| phc.to_string())
        // The crate's errors name the failed step (salt, output, parameters), never the input.
        .map_err(|e| HashError(format!("argon2: {e}")))
}

impl Inner {
    fn verify(&self, password: &[u8], stored: &str) -> PasswordCheck {
        let Ok(phc) = PhcHash::new(stored) else {
            return PasswordCheck::Mismatch;
        };
        let Ok(stored_params) = Params::try_from(&phc) else {
            return PasswordCheck::Mismatch;
        };
        if stored_params.m_cost() > MAX_STORED_MEMORY_KIB
            || stored_params.t_cost() > MAX_STORED_ITERATIONS
            || stored_params.p_cost() > MAX_STORED_PARALLELISM
        {
            return PasswordCheck::Mismatch;
        }
        // Verifies with the stored hash's own algorithm, version and parameters.
        if self.argon2.verify_password(password, &phc).is_err() {
            return PasswordCheck::Mismatch;
        }
        let current = self.params;
        let same = phc.algorithm == Algorithm::Argon2id.ident()
            && phc.version == Some(u32::from(Version::V0x13))
            && stored_params.m_cost() == current.memory_kib
            && stored_params.t_cost() == current.iterations
            && stored_params.p_cost() == current.parallelism
            && stored_params.output_len() == Some(OUTPUT_LEN)
            && stored_params.keyid().is_empty()
            && stored_params.data().is_empty();
        PasswordCheck::Matches { rehash: !same }
    }
}

/// Runs CPU-heavy `work` off the async workers: on tokio's blocking pool inside a runtime,
/// inline outside one. `None` if the blocking task panicked or was cancelled.
async fn off_the_workers<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    if tokio::runtime::Handle::try_current().is_ok() {
        tokio::task::spawn_blocking(work).await.ok()
    } else {
        Some(work())
    }
}

#[async_trait]
impl PasswordHasher for Argon2PasswordHasher {
    async fn hash(&self, password: &Password) -> Result<PasswordHash, HashError> {
        let _turn = self.inner.running.acquire().await;
        let inner = Arc::clone(&self.inner);
        let password = password.clone();
        off_the_workers(move || hash_with(&inner.argon2, password.expose().as_bytes()))
            .await
            .unwrap_or_else(|| Err(HashError("the hashing task did not finish".to_owned())))
            .map(PasswordHash::new)
    }

    async fn verify(&self, password: &Password, hash: &PasswordHash) -> PasswordCheck {
        let _turn = self.inner.running.acquire().await;
        let inner = Arc::clone(&self.inner);
        let password = password.clone();
        let stored = hash.as_str().to_owned();
        off_the_workers(move || inner.verify(password.expose().as_bytes(), &stored))
            .await
            .unwrap_or(PasswordCheck::Mismatch)
    }

    async fn verify_dummy(&self, password: &Password) {
        let _turn = self.inner.running.acquire().await;
        let inner = Arc::clone(&self.inner);
        let password = password.clone();
        let _ignored = off_the_workers(move || {
            let _ignored = inner.verify(password.expose().as_bytes(), &inner.dummy);
        })
        .await;
    }
}

#[cfg(test)]
#[path = "password_tests.rs"]
mod tests;
