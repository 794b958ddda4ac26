//! Hostile input: hundreds of random requests — methods, paths, headers, encodings, sizes,
//! signed and unsigned — against a running server. None may get a 5xx, and only requests that
//! were accepted may change anything.

use adapters_mysql::test_util::TestDatabase;
use serde_json::json;

use crate::support::{
    Merchant, ServerProcess, assert_invariants, instance, payment_key_of_new, register,
};

/// xorshift64*: deterministic, seed printed on failure.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &'a [&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    fn bytes(&mut self, max: usize) -> Vec<u8> {
        let len = self.below(max + 1);
        (0..len).map(|_| self.next() as u8).collect()
    }
}

const METHODS: &[&str] = &["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"];
const CONTENT_TYPES: &[&str] = &[
    "application/json",
    "application/json; charset=utf-8",
    "text/plain",
    "application/x-www-form-urlencoded",
    "",
    "application/json; charset=latin1",
    "multipart/form-data; boundary=x",
];

fn paths(key: &str) -> Vec<String> {
    vec![
        "/api/payments".into(),
        format!("/api/payments/{key}"),
        format!("/api/payments/{key}/complete"),
        format!("/api/payments/{key}/cancel"),
        format!("/api/payments/{key}/logs"),
        "/api/payments/%00%ff".into(),
        "/api/payments/../../etc/passwd".into(),
        format!("/api/payments/{}", "a".repeat(5000)),
        "/api/webhook/payment".into(),
        "/admin/api/merchants".into(),
        "/admin/api/payments?limit=-1".into(),
        "/admin/api/deliveries?status=%E2%98%83".into(),
        "/mock/request".into(),
        "/api/payments?limit=99999999999999999999&status=READY&status=X".into(),
        "/api/payments?createdFrom=not-a-date&orderNo=%FF".into(),
        "/ready".into(),
        "/nope/%zz".into(),
    ]
}

fn body(rng: &mut Rng) -> Vec<u8> {
    let candidates: Vec<Vec<u8>> = vec![
        rng.bytes(300),
        json!({ "orderNo": "x".repeat(rng.below(100)), "amount": rng.next() as i64, "methodCode": "CARD" }).to_string().into_bytes(),
        json!({ "orderNo": "ok-1", "amount": "15000", "methodCode": ["CARD"] }).to_string().into_bytes(),
        json!({ "orderNo": null, "amount": 1.5e300, "currency": "krw", "unknown": {} }).to_string().into_bytes(),
        json!({ "cancelReason": "\u{0000}\u{202e}" }).to_string().into_bytes(),
        br#"{"orderNo":"a","amount":15000,"methodCode":"CARD""#.to_vec(),
        br#"[1,2,3]"#.to_vec(),
        b"\xff\xfe{\x00\"".to_vec(),
        "{\"orderNo\":\"\u{d55c}\u{ae00}\",\"amount\":15000,\"methodCode\":\"CARD\"}".as_bytes().to_vec(),
        vec![b'{'; 70_000],
        Vec::new(),
        json!({ "paymentKey": "0".repeat(64), "transactionId": "t", "status": "APPROVED", "amount": 1 }).to_string().into_bytes(),
        json!({ "clientName": "x".repeat(rng.below(300)), "returnUrl": "javascript:alert(1)" }).to_string().into_bytes(),
    ];
    let i = rng.below(candidates.len());
    candidates.into_iter().nth(i).unwrap_or_default()
}

#[actix_web::test]
async fn random_hostile_requests_never_get_a_5xx_and_change_nothing_when_rejected() {
    let seed: u64 = std::env::var("HOSTILE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_1234_abcd_0001);
    let mut rng = Rng(seed);
    let db = TestDatabase::create().await;
    let api = instance(db.url(), &[("SIMPLEPG__RATE_LIMIT__PER_SECOND", "0")]).await;
    let m: Merchant = register(&api, None).await;
    let key = payment_key_of_new(&api, &m, "existing", 15_002).await;
    let http = awc::Client::builder()
        .timeout(std::time::Duration::from_secs(20))
        .finish();
    let paths = paths(&key);
    let mut accepted_creates = 0;
    for i in 0..400 {
        let method = rng.pick(METHODS);
        let path = paths[rng.below(paths.len())].clone();
        let content_type = rng.pick(CONTENT_TYPES);
        let payload = body(&mut rng);
        let signed = rng.below(3) == 0;
        let status = if signed && !path.contains('%') && !path.contains("..") {
            let text = String::from_utf8_lossy(&payload).into_owned();
            let r = api.signed(&m, method, &path, Some(&text), &[]).await;
            match r {
                Ok(r) => r.status,
                Err(e) => panic!("seed {seed} request {i}: {method} {path}: transport error {e}"),
            }
        } else {
            let mut req = http.request(method.parse().unwrap(), format!("{}{}", api.base(), path));
            if !content_type.is_empty() {
                req = req.insert_header(("content-type", content_type));
            }
            if rng.below(2) == 0 {
                req = req
                    .insert_header(("x-client-id", m.client_id.as_str()))
                    .insert_header(("x-timestamp", "1"))
                    .insert_header(("x-nonce", "!!"));
            }
            if rng.below(4) == 0 {
                req = req.insert_header(("authorization", "Bearer wrong"));
            }
            match req.send_body(payload.clone()).await {
                Ok(res) => res.status().as_u16(),
                Err(e) => panic!("seed {seed} request {i}: {method} {path}: transport error {e}"),
            }
        };
        assert!(
            status < 500,
            "seed {seed} request {i}: {method} {path} ({content_type}) got {status}"
        );
        if status == 201 && path == "/api/payments" {
            accepted_creates += 1;
        }
    }
    let list = api
        .admin("GET", "/admin/api/payments?limit=100", None)
        .await
        .unwrap();
    let total = list.json["data"].as_array().map_or(0, Vec::len);
    assert_eq!(
        total,
        1 + accepted_creates,
        "only accepted creates add payments (seed {seed})"
    );
    let merchants = api
        .admin("GET", "/admin/api/merchants?limit=100", None)
        .await
        .unwrap();
    assert_eq!(
        merchants.json["data"].as_array().map_or(0, Vec::len),
        1,
        "no merchant was registered without the token"
    );
    let existing = api
        .signed(&m, "GET", &format!("/api/payments/{key}"), None, &[])
        .await
        .unwrap();
    assert_eq!(
        existing.json["status"], "READY",
        "the existing payment was not touched"
    );
    assert_invariants(&db).await;
}

/// Writes `request` to the server byte for byte and reads the whole answer.
fn exchange(port: u16, request: &[u8]) -> String {
    use std::io::{Read, Write};
    let mut socket = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    socket
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .expect("timeout");
    socket.write_all(request).expect("write");
    let mut answer = Vec::new();
    socket.read_to_end(&mut answer).expect("read");
    String::from_utf8_lossy(&answer).into_owned()
}

/// A control byte in a header is refused by actix-http's parser with a bare 400 before our code
/// runs (docs/api.md "Conventions"), and actix-http logs that at ERROR. Any client can send it,
/// so the server's log has a WARN line of ours instead, and no ERROR line at all.
#[actix_web::test]
async fn a_control_character_in_a_header_is_a_400_logged_as_a_warning_not_an_error() {
    let db = TestDatabase::create().await;
    let server = ServerProcess::spawn(db.url(), &[]).await;

    for byte in [0x01_u8, 0x7f] {
        let mut request = b"GET /api/payments HTTP/1.1\r\nHost: x\r\nX-Nonce: abc".to_vec();
        request.push(byte);
        request.extend_from_slice(b"def\r\nConnection: close\r\n\r\n");
        let answer = exchange(server.port, &request);
        assert!(answer.starts_with("HTTP/1.1 400 "), "{byte:#04x}: {answer}");
    }
    // A request after them is logged, so the log is flushed past them.
    assert_eq!(
        server.client.get("/health").await.map(|r| r.status).ok(),
        Some(200)
    );

    let log_path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("simplepg-{}.log", server.port));
    let log = std::fs::read_to_string(&log_path).expect("the server's log");
    let lines: Vec<serde_json::Value> = log
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let errors: Vec<_> = lines.iter().filter(|l| l["level"] == "ERROR").collect();
    assert!(errors.is_empty(), "no ERROR line: {errors:?}");
    let refused = lines
        .iter()
        .filter(|l| {
            l["level"] == "WARN"
                && l["target"] == "simplepg::http"
                && l["status"] == 400
                && l["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("refused by the HTTP parser"))
        })
        .count();
    assert_eq!(refused, 2, "one WARN line per refused request:\n{log}");
}
