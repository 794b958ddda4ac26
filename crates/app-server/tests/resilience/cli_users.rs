//! `simplepg user create` and `simplepg user unlock` (api.md §10.1): the operator at the server
//! bootstraps an ADMIN with a password on stdin, who then logs in over HTTP; a locked account is
//! unlocked from the command line.

use std::{
    io::Write,
    process::{Command, Stdio},
};

use adapters_mysql::test_util::TestDatabase;

use crate::support::{Api, instance, login_as};

const PASSWORD: &str = "correct horse battery staple";

/// Runs `simplepg` on `db_url` with `stdin` as its standard input; success and output.
fn simplepg_with_stdin(db_url: &str, args: &[&str], stdin: &str) -> (bool, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_simplepg"))
        .args(args)
        .env("SIMPLEPG_PROFILE", "test")
        .env("SIMPLEPG__DATABASE__URL", db_url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("simplepg runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

async fn run(db_url: &str, args: &[&str], stdin: &str) -> (bool, String) {
    let (url, stdin) = (db_url.to_owned(), stdin.to_owned());
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    actix_web::rt::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        simplepg_with_stdin(&url, &args, &stdin)
    })
    .await
    .unwrap()
}

async fn login(api: &Api, password: &str) -> u16 {
    login_as(api, "ops@example.com", password).await.status
}

#[actix_web::test]
async fn an_admin_created_on_the_command_line_logs_in_and_is_unlocked_there() {
    let db = TestDatabase::create().await;
    let api = instance(db.url(), &[]).await;
    let create = [
        "user",
        "create",
        "--email",
        "Ops@Example.com",
        "--role",
        "ADMIN",
    ];

    let (ok, out) = run(db.url(), &create, "too short\n").await;
    assert!(!ok, "a short password is refused: {out}");
    assert!(out.contains("at least 12 characters"), "{out}");

    let (ok, out) = run(db.url(), &create, &format!("{PASSWORD}\n")).await;
    assert!(ok, "{out}");
    assert!(out.contains("created user usr_"), "{out}");
    assert!(out.contains("ops@example.com (ADMIN)"), "{out}");
    assert!(!out.contains(PASSWORD), "{out}");
    let (ok, out) = run(db.url(), &create, &format!("{PASSWORD}\n")).await;
    assert!(
        !ok && out.contains("exists"),
        "a second account for the email: {out}"
    );

    assert_eq!(login(&api, PASSWORD).await, 200);
    for _ in 0..5 {
        assert_eq!(login(&api, "wrong password!!").await, 401);
    }
    assert_eq!(login(&api, PASSWORD).await, 429);

    let unlock = async |email: &str| run(db.url(), &["user", "unlock", "--email", email], "").await;
    let (ok, out) = unlock("ops@example.com").await;
    assert!(ok && out.contains("unlocked user usr_"), "{out}");
    assert_eq!(login(&api, PASSWORD).await, 200);

    let (ok, out) = unlock("nobody@example.com").await;
    assert!(!ok && out.contains("no account"), "{out}");
}
