//! Wiring of the people room (api.md §10): the Argon2id hasher with the configured cost, TOTP,
//! session tokens, and the login and user services on the configured store.

use std::{sync::Arc, time::Duration};

use adapters_crypto::{Argon2Params, Argon2PasswordHasher, OsAccountKeys, RfcTotp};
use anyhow::Context;
use domain::{
    people::{AccountPolicy, LoginPolicy, SessionPolicy},
    ports::{AccountKeys, Clock, PasswordHasher, SecretCipher},
    services::people::{LoginService, UserService},
};

use crate::{settings::Settings, store::Stores};

/// The login and user services of one process.
#[derive(Clone)]
pub struct PeopleServices {
    pub login: LoginService,
    pub users: UserService,
}

/// When logins lock and sessions end (`auth.*`).
pub fn account_policy(settings: &Settings) -> AccountPolicy {
    let auth = &settings.auth;
    AccountPolicy {
        login: LoginPolicy {
            max_failures: auth.max_failed_logins,
            lock_for: Duration::from_secs(auth.lock_secs),
        },
        session: SessionPolicy {
            idle: Duration::from_secs(auth.session_idle_secs),
            absolute: Duration::from_secs(auth.session_absolute_secs),
        },
        totp_required_for_platform_roles: auth.require_totp_for_platform_roles,
    }
}

/// Argon2id with the configured cost (`auth.argon2_*`).
pub fn password_hasher(settings: &Settings) -> anyhow::Result<Arc<dyn PasswordHasher>> {
    let auth = &settings.auth;
    let params = Argon2Params {
        memory_kib: auth.argon2_memory_kib,
        iterations: auth.argon2_iterations,
        parallelism: auth.argon2_parallelism,
    };
    let hasher = Argon2PasswordHasher::new(params).context("auth.argon2_* parameters")?;
    Ok(Arc::new(hasher))
}

/// The people services on `stores`, sealing TOTP secrets with `cipher`.
pub fn services(
    settings: &Settings,
    stores: &Stores,
    cipher: Arc<dyn SecretCipher>,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<PeopleServices> {
    let hasher = password_hasher(settings)?;
    let keys: Arc<dyn AccountKeys> = Arc::new(OsAccountKeys::new());
    let login = LoginService::new(
        stores.people.clone(),
        hasher.clone(),
        Arc::new(RfcTotp::new()),
        cipher,
        keys.clone(),
        clock.clone(),
        account_policy(settings),
    );
    let users = UserService::new(
        stores.people.clone(),
        stores.ports.merchants.clone(),
        hasher,
        keys,
        clock,
    );
    Ok(PeopleServices { login, users })
}
