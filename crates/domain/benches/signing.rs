//! Micro-benchmarks of the per-request crypto: canonical string + HMAC verification of a
//! merchant request, and a Standard Webhooks signature check.

use criterion::{Criterion, criterion_group, criterion_main};
use domain::signing::{CanonicalRequest, WebhookKey};
use std::hint::black_box;

fn request() -> CanonicalRequest<'static> {
    CanonicalRequest {
        method: "POST",
        path: "/api/payments",
        query: "",
        timestamp: "1795507200000",
        nonce: "a1b2c3d4e5f60718293a4b5c",
        body: br#"{"orderNo":"ORDER-1001","amount":15000,"methodCode":"CARD","productName":"Coffee beans"}"#,
    }
}

fn benches(c: &mut Criterion) {
    let secret = b"sk_Zk9vYmFyLWV4YW1wbGUtc2VjcmV0LWRvLW5vdC11c2U";
    let sig = request().sign(secret);
    c.bench_function("canonical_string", |b| {
        b.iter(|| black_box(request()).canonical_string())
    });
    c.bench_function("verify_request_signature", |b| {
        b.iter(|| black_box(request()).verify(secret, black_box(&sig)))
    });
    let key = WebhookKey::from_bytes(&[7; 32]);
    let body = br#"{"paymentKey":"x","transactionId":"t","status":"APPROVED","amount":15000}"#;
    let wsig = key.sign("msg_1", 1_795_507_200, body);
    c.bench_function("verify_webhook_signature", |b| {
        b.iter(|| key.verify("msg_1", 1_795_507_200, black_box(body), black_box(&wsig)))
    });
}

criterion_group!(signing, benches);
criterion_main!(signing);
