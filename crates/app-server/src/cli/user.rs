//! `simplepg user create` and `simplepg user unlock`: the operator at the server manages accounts
//! directly in the database (api.md §10.1), recorded in the operator audit log as actor `cli`.
//! Bootstrap the first ADMIN with `user create --role ADMIN`.

use std::{
    io::{BufRead, IsTerminal, Write},
    process::{Command, Stdio},
    sync::Arc,
};

use anyhow::{Context, bail};
use domain::{
    people::{Email, NewUser, Principal, RequestOrigin, User},
    services::people::{UserChange, UserError, UserService},
};
use secrecy::ExposeSecret;

use crate::{
    clock::SystemClock,
    people,
    settings::Settings,
    startup::{open_stores, secret_cipher},
};

#[derive(Debug, clap::Subcommand)]
pub enum UserCommand {
    /// Create a user. The password is read from stdin (its first line), or prompted for
    /// without echo when stdin is a terminal; at least 12 characters.
    Create(UserCreateArgs),
    /// Clear a user's failed logins and lock, so it can log in again at once.
    Unlock(UserUnlockArgs),
}

#[derive(Debug, clap::Args)]
pub struct UserCreateArgs {
    #[arg(long)]
    pub email: String,
    /// ADMIN, OPERATOR, VIEWER, MERCHANT_ADMIN or MERCHANT_VIEWER.
    #[arg(long)]
    pub role: String,
    /// The merchant of a merchant role.
    #[arg(long)]
    pub client_id: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct UserUnlockArgs {
    #[arg(long)]
    pub email: String,
}

fn service(settings: &Settings) -> anyhow::Result<UserService> {
    crate::store::require_existing(settings.database.url.expose_secret())?;
    let stores = open_stores(settings).context("connecting to the database")?;
    let cipher = Arc::new(secret_cipher(settings)?);
    Ok(people::services(settings, &stores, cipher, Arc::new(SystemClock))?.users)
}

/// Creates the user of `args` with `password`.
pub async fn create(
    settings: &Settings,
    args: &UserCreateArgs,
    password: &str,
) -> anyhow::Result<User> {
    let new = NewUser::parse(&args.email, &args.role, args.client_id.as_deref(), password)
        .map_err(|v| anyhow::anyhow!("{v}"))?;
    match service(settings)?.bootstrap(new).await {
        Ok(user) => Ok(user),
        Err(UserError::EmailTaken) => bail!("an account with the email {} exists", args.email),
        Err(e) => Err(e.into()),
    }
}

/// Clears the failed logins and the lock of the user with `args.email`.
pub async fn unlock(settings: &Settings, args: &UserUnlockArgs) -> anyhow::Result<User> {
    let email = Email::parse(&args.email).map_err(|e| anyhow::anyhow!("--email {e}"))?;
    let users = service(settings)?;
    let Some(user) = users.find_by_email(&email).await? else {
        bail!("no account with the email {email}");
    };
    let change = UserChange {
        unlock: true,
        ..UserChange::default()
    };
    Ok(users
        .change(
            &Principal::cli(),
            &user.id,
            &change,
            &RequestOrigin::default(),
        )
        .await?)
}

/// One line of the user's: `stdin` itself, or a prompt on the terminal without echo.
pub fn read_password() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    let terminal = stdin.is_terminal();
    if terminal {
        eprint!("Password (at least 12 characters): ");
        std::io::stderr().flush().ok();
        set_echo(false);
    }
    let mut line = String::new();
    let read = stdin.lock().read_line(&mut line);
    if terminal {
        set_echo(true);
        eprintln!();
    }
    read.context("reading the password from stdin")?;
    let password = line.trim_end_matches(['\n', '\r']);
    if password.is_empty() {
        bail!("no password on stdin");
    }
    Ok(password.to_owned())
}

/// Turns the terminal's echo off or on with `stty` (no unsafe code, no extra crate); where
/// `stty` is missing the password is read with echo, as the prompt warns.
fn set_echo(on: bool) {
    let status = Command::new("stty")
        .arg(if on { "echo" } else { "-echo" })
        .stdin(Stdio::inherit())
        .stderr(Stdio::null())
        .status();
    if !on && !status.is_ok_and(|s| s.success()) {
        eprint!("(the password will be echoed) ");
    }
}

/// What the command prints about a user (never a password or hash).
pub fn render(user: &User, verb: &str) -> String {
    let merchant = user
        .client_id
        .as_ref()
        .map(|c| format!(" of merchant {c}"))
        .unwrap_or_default();
    format!(
        "{verb} user {} {} ({}{merchant})\n",
        user.id,
        user.email,
        user.role.as_str()
    )
}
