//! Shared harness: in-process instances, the real binary as a child process, a TCP proxy in
//! front of MariaDB that can be cut and restored, and a signing client.

use std::{
    collections::HashMap,
    net::TcpListener as StdListener,
    process::{Child, Command, Stdio},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use adapters_mysql::test_util::TestDatabase;
use app_server::{Application, Settings};
use domain::signing::CanonicalRequest;
use serde_json::{Value, json};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    task::JoinHandle,
};

pub const ADMIN: &str = "Bearer test-admin-token";
pub const ACQUIRER_SECRET: &str = "whsec_dGVzdC1vbmx5LWFjcXVpcmVyLXNlY3JldC0wMTIz";
/// Last digits 002: the mock acquirer never answers, the payment stays READY.
pub const STAYS_READY: i64 = 15_002;

static NONCE: AtomicU64 = AtomicU64::new(0);

pub fn env_for(db_url: &str, extra: &[(&str, &str)]) -> HashMap<String, String> {
    let mut env: HashMap<String, String> = [
        ("SIMPLEPG_PROFILE", "test"),
        ("SIMPLEPG__DATABASE__URL", db_url),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    for (k, v) in extra {
        env.insert((*k).to_owned(), (*v).to_owned());
    }
    env
}

/// An in-process instance on port 0, on its own thread and runtime: its dispatcher and
/// sweepers keep running (and finish their transactions) even while the test thread blocks.
pub async fn instance(db_url: &str, extra: &[(&str, &str)]) -> Client {
    let settings = Settings::load_from(&env_for(db_url, extra)).expect("settings");
    let listener = StdListener::bind("127.0.0.1:0").expect("bind");
    let base = format!(
        "http://127.0.0.1:{}",
        listener.local_addr().expect("addr").port()
    );
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let app = Application::build_with_listener(settings, listener)
                .await
                .expect("app builds");
            app.run_until_stopped().await
        })
    });
    let client = Client::new(base);
    let deadline = Instant::now() + Duration::from_secs(20);
    while client.get_raw("/health").await.map(|r| r.status) != Ok(200) {
        assert!(Instant::now() < deadline, "instance did not come up");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    client
}

/// A merchant's credentials.
#[derive(Clone, Debug)]
pub struct Merchant {
    pub id: String,
    pub secret: String,
}

/// A small HTTP client that signs merchant requests (with the domain's signer: these tests
/// are about faults, the signing contract is proven by the black-box suite).
#[derive(Clone)]
pub struct Client {
    pub base: String,
    http: awc::Client,
}

/// A signed request frozen for replaying.
#[derive(Clone, Debug)]
pub struct Presigned {
    pub method: String,
    pub path: String,
    pub body: String,
    pub headers: Vec<(String, String)>,
}

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub json: Value,
    pub retry_after: Option<String>,
}

impl Client {
    pub fn new(base: String) -> Self {
        let http = awc::Client::builder()
            .timeout(Duration::from_secs(20))
            .finish();
        Self { base, http }
    }

    pub async fn get_raw(&self, path: &str) -> Result<Reply, String> {
        let mut res = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        read(&mut res).await
    }

    /// An unsigned GET sending `X-Request-Id: request_id`; the status and the echoed id.
    pub async fn get_with_request_id(&self, path: &str, request_id: &str) -> (u16, String) {
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .insert_header(("x-request-id", request_id))
            .send()
            .await
            .expect("request");
        let echoed = res
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        (res.status().as_u16(), echoed)
    }

    pub async fn admin(&self, method: &str, path: &str, body: Option<Value>) -> Reply {
        let req = self
            .http
            .request(
                method.parse().expect("method"),
                format!("{}{path}", self.base),
            )
            .insert_header(("authorization", ADMIN));
        let mut res = match body {
            Some(b) => req.send_json(&b).await,
            None => req.send().await,
        }
        .expect("admin request");
        read(&mut res).await.expect("admin reply")
    }

    pub async fn register(&self, return_url: Option<&str>) -> Merchant {
        let mut body = json!({ "clientName": "resilience" });
        if let Some(url) = return_url {
            body["returnUrl"] = json!(url);
        }
        let r = self.admin("POST", "/admin/api/merchants", Some(body)).await;
        assert_eq!(r.status, 201, "{:?}", r.json);
        Merchant {
            id: r.json["clientId"].as_str().unwrap().to_owned(),
            secret: r.json["clientSecret"].as_str().unwrap().to_owned(),
        }
    }

    pub async fn signed(
        &self,
        m: &Merchant,
        method: &str,
        path_and_query: &str,
        body: Option<&str>,
        idem: Option<&str>,
    ) -> Result<Reply, String> {
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        let ts = (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000).to_string();
        let nonce = format!(
            "resilience-{:016}-{}",
            NONCE.fetch_add(1, Ordering::Relaxed),
            std::process::id()
        );
        let bytes = body.unwrap_or("").as_bytes();
        let sig = CanonicalRequest {
            method,
            path,
            query,
            timestamp: &ts,
            nonce: &nonce,
            body: bytes,
        }
        .sign(m.secret.as_bytes());
        let mut req = self
            .http
            .request(
                method.parse().expect("method"),
                format!("{}{path_and_query}", self.base),
            )
            .insert_header(("x-client-id", m.id.as_str()))
            .insert_header(("x-timestamp", ts.as_str()))
            .insert_header(("x-nonce", nonce.as_str()))
            .insert_header(("x-signature", sig.as_str()));
        if let Some(k) = idem {
            req = req.insert_header(("idempotency-key", k));
        }
        let mut res = match body {
            Some(b) => {
                req.insert_header(("content-type", "application/json"))
                    .send_body(b.to_owned())
                    .await
            }
            None => req.send().await,
        }
        .map_err(|e| e.to_string())?;
        read(&mut res).await
    }

    /// The headers of one signed request, to send several times (replays).
    pub fn presign(&self, m: &Merchant, method: &str, path: &str, body: &str) -> Presigned {
        let ts = (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000).to_string();
        let nonce = format!(
            "presigned-{:016}-{}",
            NONCE.fetch_add(1, Ordering::Relaxed),
            std::process::id()
        );
        let sig = CanonicalRequest {
            method,
            path,
            query: "",
            timestamp: &ts,
            nonce: &nonce,
            body: body.as_bytes(),
        }
        .sign(m.secret.as_bytes());
        Presigned {
            method: method.to_owned(),
            path: path.to_owned(),
            body: body.to_owned(),
            headers: vec![
                ("x-client-id".to_owned(), m.id.clone()),
                ("x-timestamp".to_owned(), ts),
                ("x-nonce".to_owned(), nonce),
                ("x-signature".to_owned(), sig),
                ("content-type".to_owned(), "application/json".to_owned()),
            ],
        }
    }

    pub async fn send_presigned(&self, p: &Presigned) -> Reply {
        let mut req = self.http.request(
            p.method.parse().expect("method"),
            format!("{}{}", self.base, p.path),
        );
        for (k, v) in &p.headers {
            req = req.insert_header((k.as_str(), v.as_str()));
        }
        let mut res = req.send_body(p.body.clone()).await.expect("request");
        read(&mut res).await.expect("reply")
    }

    pub async fn create(&self, m: &Merchant, order: &str, amount: i64) -> Result<Reply, String> {
        let body = json!({ "orderNo": order, "amount": amount, "methodCode": "CARD" }).to_string();
        self.signed(m, "POST", "/api/payments", Some(&body), None)
            .await
    }

    /// Sends an acquirer webhook signed with the test profile's acquirer secret.
    pub async fn acquirer_webhook(&self, body: &str, id: &str) -> Reply {
        let key = domain::signing::WebhookKey::parse(ACQUIRER_SECRET).expect("key");
        let ts = time::OffsetDateTime::now_utc().unix_timestamp();
        let mut res = self
            .http
            .post(format!("{}/api/webhook/payment", self.base))
            .insert_header(("content-type", "application/json"))
            .insert_header(("webhook-id", id))
            .insert_header(("webhook-timestamp", ts.to_string()))
            .insert_header(("webhook-signature", key.sign(id, ts, body.as_bytes())))
            .send_body(body.to_owned())
            .await
            .expect("webhook");
        read(&mut res).await.expect("webhook reply")
    }
}

async fn read<S>(res: &mut awc::ClientResponse<S>) -> Result<Reply, String>
where
    S: futures_util::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>> + Unpin,
{
    let status = res.status().as_u16();
    let retry_after = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bytes = res
        .body()
        .limit(4 * 1024 * 1024)
        .await
        .map_err(|e| e.to_string())?;
    Ok(Reply {
        status,
        json: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        retry_after,
    })
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
    pub client: Client,
}

pub fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

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
            .stderr(Stdio::from(err));
        for (k, v) in env_for(db_url, extra) {
            cmd.env(k, v);
        }
        cmd.env("SIMPLEPG__SERVER__PORT", port.to_string());
        cmd.env("SIMPLEPG__LOG__LEVEL", "info")
            .env("SIMPLEPG__LOG__FORMAT", "json");
        let child = cmd.spawn().expect("simplepg starts");
        let client = Client::new(format!("http://127.0.0.1:{port}"));
        let deadline = Instant::now() + Duration::from_secs(20);
        while client.get_raw("/health").await.map(|r| r.status) != Ok(200) {
            assert!(Instant::now() < deadline, "simplepg did not come up");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
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
