//! `simplepg sign`: shows exactly how a merchant request is signed (api.md §2).

use clap::Args;
use simplepg_client::{RequestSigner, SecretString, fresh_nonce, now_millis};

#[derive(Debug, Args)]
pub struct SignArgs {
    /// HTTP method, e.g. POST.
    #[arg(long, default_value = "GET")]
    pub method: String,
    /// Path and optional query as sent, e.g. /api/payments?limit=5.
    #[arg(long)]
    pub path: String,
    /// Raw request body (exact bytes are signed).
    #[arg(long, default_value = "")]
    pub body: String,
    /// The merchant's client id.
    #[arg(long, env = "SIMPLEPG_CLIENT_ID")]
    pub client_id: String,
    /// The merchant's client secret.
    #[arg(long, env = "SIMPLEPG_CLIENT_SECRET", hide_env_values = true)]
    pub client_secret: String,
    /// Unix milliseconds; now when omitted.
    #[arg(long)]
    pub timestamp: Option<i64>,
    /// 16-64 chars of [A-Za-z0-9_-]; random when omitted.
    #[arg(long)]
    pub nonce: Option<String>,
}

/// The signed request as text: canonical string, its SHA-256, then the headers.
pub fn run(args: &SignArgs) -> String {
    let signer = RequestSigner::new(
        args.client_id.as_str(),
        SecretString::from(args.client_secret.as_str()),
    );
    let signed = signer.sign(
        &args.method,
        &args.path,
        args.body.as_bytes(),
        args.timestamp.unwrap_or_else(now_millis),
        &args.nonce.clone().unwrap_or_else(fresh_nonce),
    );
    let mut out = String::new();
    out.push_str("# canonical string (lines joined by \\n):\n");
    out.push_str(&signed.canonical_string);
    // Outside production a refused signature answers with canonicalStringSha256: the same hash
    // of the server's canonical string (docs/signing.md "Debugging a refused signature").
    out.push_str("\n\n# SHA-256 of the canonical string (compare with canonicalStringSha256):\n");
    out.push_str(&domain::signing::sha256_hex(
        signed.canonical_string.as_bytes(),
    ));
    out.push_str("\n\n# headers:\n");
    out.push_str(&format!(
        "X-Client-Id: {}\nX-Timestamp: {}\nX-Nonce: {}\nX-Signature: {}\n",
        signed.client_id, signed.timestamp, signed.nonce, signed.signature
    ));
    out
}

#[cfg(test)]
mod tests {
    use domain::signing::CanonicalRequest;

    use super::*;

    #[test]
    fn the_printed_signature_matches_the_domain_signer() {
        let args = SignArgs {
            method: "post".into(),
            path: "/api/payments?x=1".into(),
            body: "{}".into(),
            client_id: "mch_a".into(),
            client_secret: "sk_s".into(),
            timestamp: Some(1_795_507_200_000),
            nonce: Some("nonce-0123456789ab".into()),
        };
        let out = run(&args);
        let expected = CanonicalRequest {
            method: "POST",
            path: "/api/payments",
            query: "x=1",
            timestamp: "1795507200000",
            nonce: "nonce-0123456789ab",
            body: b"{}",
        };
        assert!(out.contains(&expected.canonical_string()));
        assert!(out.contains(&format!("X-Signature: {}", expected.sign(b"sk_s"))));
    }

    #[test]
    fn the_sha256_of_the_canonical_string_is_printed_for_comparing_with_a_refusal() {
        let args = SignArgs {
            method: "POST".into(),
            path: "/api/payments".into(),
            body: r#"{"orderNo":"ORDER-1001","amount":15000,"methodCode":"CARD","productName":"Coffee beans"}"#.into(),
            client_id: "mch_a".into(),
            client_secret: "sk_Zk9vYmFyLWV4YW1wbGUtc2VjcmV0LWRvLW5vdC11c2U".into(),
            timestamp: Some(1_795_507_200_000),
            nonce: Some("a1b2c3d4e5f60718293a4b5c".into()),
        };
        let out = run(&args);
        // The worked example of docs/signing.md, whose canonical string hashes to this.
        assert!(
            out.contains(
                "# SHA-256 of the canonical string (compare with canonicalStringSha256):\n\
                 39227e38fb3ef47ae4a47d8d1dd56c4edc0495f076e4c6921613c6256ab7ef6f\n"
            ),
            "{out}"
        );
    }
}
