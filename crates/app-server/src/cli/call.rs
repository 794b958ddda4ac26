//! `simplepg call`: a curl-like signed merchant request, and `simplepg merchant create`.

use std::time::Duration;

use clap::Args;
use domain::signing::CanonicalRequest;

#[derive(Debug, Args)]
pub struct CallArgs {
    /// HTTP method.
    #[arg(long, short = 'X', default_value = "GET")]
    pub method: String,
    /// Path and optional query, e.g. /api/payments?limit=5.
    pub path: String,
    /// Raw JSON body.
    #[arg(long, short = 'd', default_value = "")]
    pub data: String,
    /// Base URL of the server.
    #[arg(long, env = "SIMPLEPG_URL", default_value = "http://127.0.0.1:8080")]
    pub url: String,
    #[arg(long, env = "SIMPLEPG_CLIENT_ID")]
    pub client_id: String,
    #[arg(long, env = "SIMPLEPG_CLIENT_SECRET", hide_env_values = true)]
    pub client_secret: String,
    /// Optional Idempotency-Key.
    #[arg(long)]
    pub idempotency_key: Option<String>,
}

#[derive(Debug, Args)]
pub struct MerchantCreateArgs {
    #[arg(long)]
    pub name: String,
    #[arg(long)]
    pub return_url: Option<String>,
    #[arg(long, env = "SIMPLEPG_URL", default_value = "http://127.0.0.1:8080")]
    pub url: String,
    #[arg(long, env = "SIMPLEPG_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: String,
}

/// Sends the signed request; returns the status line, the headers worth showing and the body.
pub async fn call(args: &CallArgs) -> anyhow::Result<(u16, String)> {
    let (path, query) = args.path.split_once('?').unwrap_or((&args.path, ""));
    let timestamp =
        (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000).to_string();
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    let method = args.method.to_ascii_uppercase();
    let signature = CanonicalRequest {
        method: &method,
        path,
        query,
        timestamp: &timestamp,
        nonce: &nonce,
        body: args.data.as_bytes(),
    }
    .sign(args.client_secret.as_bytes());
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(30))
        .finish();
    let mut req = client
        .request(
            method.parse()?,
            format!("{}{}", args.url.trim_end_matches('/'), args.path),
        )
        .insert_header(("x-client-id", args.client_id.as_str()))
        .insert_header(("x-timestamp", timestamp.as_str()))
        .insert_header(("x-nonce", nonce.as_str()))
        .insert_header(("x-signature", signature.as_str()));
    if let Some(key) = &args.idempotency_key {
        req = req.insert_header(("idempotency-key", key.as_str()));
    }
    let mut res = if args.data.is_empty() {
        req.send().await
    } else {
        req.insert_header(("content-type", "application/json"))
            .send_body(args.data.clone())
            .await
    }
    .map_err(|e| anyhow::anyhow!("request failed: {e}"))?;
    let body = res.body().limit(16 << 20).await?;
    Ok((
        res.status().as_u16(),
        String::from_utf8_lossy(&body).into_owned(),
    ))
}

/// Registers a merchant through the admin API; returns the status and the body (with secrets).
pub async fn merchant_create(args: &MerchantCreateArgs) -> anyhow::Result<(u16, String)> {
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(30))
        .finish();
    let mut body = serde_json::json!({ "clientName": args.name });
    if let Some(url) = &args.return_url {
        body["returnUrl"] = serde_json::json!(url);
    }
    let mut res = client
        .post(format!(
            "{}/admin/api/merchants",
            args.url.trim_end_matches('/')
        ))
        .insert_header(("authorization", format!("Bearer {}", args.admin_token)))
        .send_json(&body)
        .await
        .map_err(|e| anyhow::anyhow!("request failed: {e}"))?;
    let text = res.body().await?;
    Ok((
        res.status().as_u16(),
        String::from_utf8_lossy(&text).into_owned(),
    ))
}
