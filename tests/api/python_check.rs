//! Verifies a captured merchant delivery with the official Standard Webhooks Python library
//! (PyPI `standardwebhooks`), installed on first use into a virtualenv under `target/`.
//! When python3 or PyPI is unavailable the test fails with a message saying so; it never skips.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use tokio::process::Command;

use crate::receiver::Received;

const SCRIPT: &str = r#"
import json, sys
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
spec = json.load(open(sys.argv[1]))
body = open(sys.argv[2], "rb").read()
try:
    event = Webhook(spec["secret"]).verify(body, spec["headers"])
    print(json.dumps({"verified": True, "type": event.get("type")}))
except WebhookVerificationError as e:
    print(json.dumps({"verified": False, "error": str(e)}))
"#;

fn venv_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"),
        PathBuf::from,
    );
    target.join("standardwebhooks-venv")
}

async fn run(program: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new(program)
        .args(args)
        .output()
        .await
        .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "{} {args:?} failed ({}): {}{}",
            program.display(),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

const IMPORT: &[&str] = &["-c", "import standardwebhooks"];
const INSTALL: &[&str] = &[
    "-m",
    "pip",
    "install",
    "--disable-pip-version-check",
    "--quiet",
    "standardwebhooks",
];

/// A python with `standardwebhooks` importable: a virtualenv under `target/` (created and
/// filled from PyPI on first use), else the system python3 with `pip install --user`.
async fn python() -> PathBuf {
    let venv = venv_dir();
    let python = venv.join("bin/python");
    if run(&python, IMPORT).await.is_ok() {
        return python;
    }
    let venv_arg = venv.to_string_lossy().into_owned();
    let installed = match run(Path::new("python3"), &["-m", "venv", &venv_arg]).await {
        Ok(_) => run(&python, INSTALL).await.map(|_| python.clone()),
        Err(venv_error) => {
            // No venv module: the user site of the system python3.
            let system = PathBuf::from("python3");
            if run(&system, IMPORT).await.is_ok() {
                return system;
            }
            let mut args = INSTALL.to_vec();
            args.insert(3, "--user");
            run(&system, &args)
                .await
                .map(|_| system)
                .map_err(|e| format!("{venv_error}; then {e}"))
        }
    };
    let python = installed.unwrap_or_else(|e| {
        panic!(
            "installing the PyPI package standardwebhooks failed \
             (this test needs python3 and access to PyPI): {e}"
        )
    });
    run(&python, IMPORT)
        .await
        .unwrap_or_else(|e| panic!("standardwebhooks is not importable after pip install: {e}"));
    python
}

/// Runs `Webhook(secret).verify(body, headers)` of the Python library on a captured request.
/// Returns `{"verified": true, "type": ...}` or `{"verified": false, "error": ...}`.
pub async fn verify_with_python(secret: &str, request: &Received, body: &[u8]) -> Value {
    let python = python().await;
    let dir = std::env::temp_dir().join(format!("swh-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let spec_path = dir.join("spec.json");
    let body_path = dir.join("body.bin");
    let headers: serde_json::Map<String, Value> =
        ["webhook-id", "webhook-timestamp", "webhook-signature"]
            .iter()
            .filter_map(|name| request.header(name).map(|v| ((*name).to_owned(), json!(v))))
            .collect();
    std::fs::write(
        &spec_path,
        json!({ "secret": secret, "headers": headers }).to_string(),
    )
    .expect("writable temp file");
    std::fs::write(&body_path, body).expect("writable temp file");
    let spec_arg = spec_path.to_string_lossy().into_owned();
    let body_arg = body_path.to_string_lossy().into_owned();
    let out = run(&python, &["-c", SCRIPT, &spec_arg, &body_arg]).await;
    let _ = std::fs::remove_dir_all(&dir);
    let out = out.unwrap_or_else(|e| panic!("the Python verifier crashed: {e}"));
    serde_json::from_str(out.trim())
        .unwrap_or_else(|e| panic!("the Python verifier printed {out:?}: {e}"))
}
