//! The resilience harness, on the shared `test-support` crate (server environment, signing
//! client, in-process instances): the real binary as a child process, replayable pre-signed
//! requests, a TCP proxy in front of MariaDB that can be cut and restored, and the invariant
//! check.

use std::{
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use adapters_mysql::test_util::TestDatabase;
use serde_json::Value;
pub use test_support::{
    Api, Instance, Merchant, Reply, STAYS_READY, acquirer_key, order_body, server_env,
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    task::JoinHandle,
};

/// `POST /auth/login` as `email` with `password`: the answer.
pub async fn login_as(api: &Api, email: &str, password: &str) -> Reply {
    let body = serde_json::json!({ "email": email, "password": password });
    api.send(
        "POST",
        "/auth/login",
        &[("content-type", "application/json")],
        Some(body.to_string().into_bytes()),
    )
    .await
    .expect("login sent")
}

/// An in-process instance on port 0, on its own thread and runtime: its dispatcher and
/// sweepers keep running (and finish their transactions) even while the test thread blocks.
pub async fn instance(db_url: &str, extra: &[(&str, &str)]) -> Instance {
    Instance::start(db_url, extra).await
}

/// A merchant registered for these tests, with an optional `returnUrl`.
pub async fn register(api: &Api, return_url: Option<&str>) -> Merchant {
    api.register_merchant("resilience", return_url)
        .await
        .unwrap()
}

/// Creates a payment of `amount` (201 expected) and returns its key.
pub async fn payment_key_of_new(api: &Api, m: &Merchant, order_no: &str, amount: i64) -> String {
    api.created_payment_key(m, order_no, amount).await.unwrap()
}

/// How many rows of the payment's audit trail, as its merchant reads it, have `action`.
pub async fn audit_rows(api: &Api, m: &Merchant, key: &str, action: &str) -> usize {
    let actions = api.audit_actions(m, key).await.unwrap();
    actions.iter().filter(|a| *a == action).count()
}

/// An admin `GET path` of a listing, which must answer 200; its items.
pub async fn admin_list(api: &Api, path: &str) -> Vec<Value> {
    let reply = api.admin("GET", path, None).await.unwrap();
    assert_eq!(reply.status, 200, "GET {path}: {}", reply.text());
    reply.data().to_vec()
}

/// The status of `m`'s signed `GET /api/payments` (a merchant call that changes nothing).
pub async fn list_status(api: &Api, m: &Merchant) -> u16 {
    api.signed(m, "GET", "/api/payments", None, &[])
        .await
        .unwrap()
        .status
}

/// An unsigned GET sending `X-Request-Id: request_id`; the status and the echoed id.
pub async fn get_with_request_id(api: &Api, path: &str, request_id: &str) -> (u16, String) {
    let reply = api
        .send("GET", path, &[("x-request-id", request_id)], None)
        .await
        .unwrap();
    (reply.status, reply.request_id().to_owned())
}

/// An acquirer webhook signed with the test profile's acquirer secret.
pub async fn acquirer_webhook(api: &Api, body: &str, id: &str) -> Reply {
    api.acquirer_webhook(&acquirer_key(), id, body)
        .await
        .unwrap()
}

/// A signed request frozen for replaying.
#[derive(Clone, Debug)]
pub struct Presigned {
    pub method: String,
    pub path: String,
    pub body: String,
    pub headers: Vec<(String, String)>,
}

/// The headers of one signed JSON request, to send several times (replays).
pub fn presign(m: &Merchant, method: &str, path: &str, body: &str) -> Presigned {
    let signed = m.signer().sign_now(method, path, body.as_bytes());
    let mut headers: Vec<(String, String)> = signed
        .pairs()
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    headers.push(("content-type".to_owned(), "application/json".to_owned()));
    Presigned {
        method: method.to_owned(),
        path: path.to_owned(),
        body: body.to_owned(),
        headers,
    }
}

/// Sends a pre-signed request (again).
pub async fn send_presigned(api: &Api, p: &Presigned) -> Reply {
    let headers: Vec<(&str, &str)> = p
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    api.send(
        &p.method,
        &p.path,
        &headers,
        Some(p.body.clone().into_bytes()),
    )
    .await
    .unwrap()
}

/// Asserts the invariants of architecture.md §3 over the whole database.
pub async fn assert_invariants(db: &TestDatabase) {
    let report = app_server::check::check_database(db.url())
        .await
        .expect("invariant check runs");
    assert!(
        report.violations.is_empty(),
        "{}",
        app_server::check::render(&report)
    );
}

/// A TCP proxy in front of MariaDB that can cut every connection and refuse new ones, then
/// come back on the same port; it can also delay traffic towards the database.
///
/// It runs on its own runtime thread, so it keeps forwarding (and closing) connections even
/// while the test thread is blocked, e.g. in `TestDatabase`'s drop.
pub struct DbProxy {
    pub port: u16,
    rt: Option<tokio::runtime::Runtime>,
    task: Mutex<Option<JoinHandle<()>>>,
    conns: Arc<Mutex<Vec<JoinHandle<()>>>>,
    delay: Arc<Mutex<Duration>>,
}

impl Drop for DbProxy {
    fn drop(&mut self) {
        self.cut();
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

impl DbProxy {
    pub async fn start() -> Arc<Self> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("proxy runtime");
        let listener = rt
            .spawn(TcpListener::bind("127.0.0.1:0"))
            .await
            .expect("proxy task")
            .expect("proxy bind");
        let port = listener.local_addr().expect("addr").port();
        let proxy = Arc::new(Self {
            port,
            rt: Some(rt),
            task: Mutex::new(None),
            conns: Arc::new(Mutex::new(Vec::new())),
            delay: Arc::new(Mutex::new(Duration::ZERO)),
        });
        proxy.serve(listener);
        proxy
    }

    fn handle(&self) -> &tokio::runtime::Handle {
        self.rt.as_ref().expect("proxy runtime").handle()
    }

    fn serve(&self, listener: TcpListener) {
        let conns = self.conns.clone();
        let delay = self.delay.clone();
        let task = self.handle().spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let delay = delay.clone();
                let conn = tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect("127.0.0.1:3306").await else {
                        return;
                    };
                    let (mut cr, mut cw) = client.into_split();
                    let (mut sr, mut sw) = server.into_split();
                    let up = async move {
                        let mut buf = vec![0u8; 16 * 1024];
                        loop {
                            let n = match cr.read(&mut buf).await {
                                Ok(0) | Err(_) => break,
                                Ok(n) => n,
                            };
                            let d = *delay.lock().unwrap();
                            if !d.is_zero() {
                                tokio::time::sleep(d).await;
                            }
                            if sw.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                    };
                    let down = async move {
                        let _ = tokio::io::copy(&mut sr, &mut cw).await;
                    };
                    tokio::join!(up, down);
                });
                conns.lock().unwrap().push(conn);
            }
        });
        *self.task.lock().unwrap() = Some(task);
    }

    /// The database "goes away": every open connection is cut and new ones are refused.
    pub fn cut(&self) {
        if let Some(t) = self.task.lock().unwrap().take() {
            t.abort();
        }
        for c in self.conns.lock().unwrap().drain(..) {
            c.abort();
        }
    }

    /// The database is back, on the same port.
    pub async fn restore(&self) {
        let port = self.port;
        let listener = self
            .handle()
            .spawn(async move { TcpListener::bind(("127.0.0.1", port)).await })
            .await
            .expect("proxy task")
            .expect("proxy rebind");
        self.serve(listener);
    }

    pub fn set_delay(&self, d: Duration) {
        *self.delay.lock().unwrap() = d;
    }

    /// The database's URL through the proxy. `prefer_socket=false`: mysql_async otherwise
    /// switches a loopback TCP connection to the server's Unix socket, bypassing the proxy.
    pub fn url(&self, db: &TestDatabase) -> String {
        format!(
            "{}?prefer_socket=false",
            db.url()
                .replace("127.0.0.1:3306", &format!("127.0.0.1:{}", self.port))
        )
    }
}

/// The real binary as a child process.
pub struct ServerProcess {
    pub port: u16,
    pub child: Child,
    pub client: Api,
}

pub use test_support::free_port;

impl ServerProcess {
    pub async fn spawn(db_url: &str, extra: &[(&str, &str)]) -> Self {
        Self::spawn_on(free_port(), db_url, extra).await
    }

    /// On a given port: a restarted server keeps its address (outbox rows name it).
    pub async fn spawn_on(port: u16, db_url: &str, extra: &[(&str, &str)]) -> Self {
        let log_dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
        let log =
            std::fs::File::create(log_dir.join(format!("simplepg-{port}.log"))).expect("log file");
        let err = log.try_clone().expect("log file");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_simplepg"));
        cmd.arg("serve")
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(err))
            .envs(server_env(db_url, extra))
            .env("SIMPLEPG__SERVER__PORT", port.to_string())
            .env("SIMPLEPG__LOG__LEVEL", "info")
            .env("SIMPLEPG__LOG__FORMAT", "json");
        let child = cmd.spawn().expect("simplepg starts");
        let client = Api::new(format!("http://127.0.0.1:{port}"));
        client
            .wait_until_ok(
                "/health",
                Duration::from_secs(20),
                Duration::from_millis(50),
            )
            .await
            .expect("simplepg comes up");
        Self {
            port,
            child,
            client,
        }
    }

    /// Where the process's stdout and stderr go.
    pub fn log_path(&self) -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("simplepg-{}.log", self.port))
    }

    /// Every JSON line the process has logged so far (it logs `log.format = "json"`).
    pub fn log_lines(&self) -> Vec<Value> {
        std::fs::read_to_string(self.log_path())
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    pub fn signal(&self, sig: &str) {
        let status = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill");
        assert!(status.success());
    }

    /// Waits for the process to exit; its exit status.
    pub async fn wait_exit(&mut self, within: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "simplepg did not exit in time");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until the payment (read through the admin API) is APPROVED.
pub async fn wait_until_approved(api: &Api, key: &str) {
    let path = format!("/admin/api/payments/{key}");
    let path = path.as_str();
    test_support::eventually(
        "the payment to be APPROVED",
        test_support::WAIT,
        || async move {
            let p = api
                .admin("GET", path, None)
                .await
                .map_err(|e| e.to_string())?;
            (p.json["status"] == "APPROVED")
                .then_some(())
                .ok_or_else(|| p.text())
        },
    )
    .await;
}
