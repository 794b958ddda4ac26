//! `simplepg call`: a curl-like signed merchant request, and `simplepg merchant create`.

use clap::Args;
use simplepg_client::{AdminClient, Client, Method, NewMerchant, SecretString, SettlementTerms};

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
    /// The fee on each capture in basis points (0..=10000); the server's default when absent.
    #[arg(long)]
    pub fee_rate_bps: Option<u16>,
    /// Days from a settlement date to its payout (0..=30); 2 when absent.
    #[arg(long)]
    pub settlement_delay_days: Option<u8>,
    #[arg(long, env = "SIMPLEPG_URL", default_value = "http://127.0.0.1:8080")]
    pub url: String,
    #[arg(long, env = "SIMPLEPG_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: String,
}

/// Sends the signed request (through the merchant client crate); returns the status and body.
pub async fn call(args: &CallArgs) -> anyhow::Result<(u16, String)> {
    let client = Client::new(
        &args.url,
        args.client_id.as_str(),
        SecretString::from(args.client_secret.as_str()),
    )?;
    let method: Method = args.method.to_ascii_uppercase().parse()?;
    let body = (!args.data.is_empty()).then(|| args.data.clone().into_bytes());
    let res = match &args.idempotency_key {
        Some(key) => {
            client
                .signed_request_idempotent(method, &args.path, body, key)
                .await?
        }
        None => client.signed_request(method, &args.path, body).await?,
    };
    Ok((res.status.as_u16(), res.text()))
}

/// Registers a merchant through the admin API; returns the status and the body (with secrets).
pub async fn merchant_create(args: &MerchantCreateArgs) -> anyhow::Result<(u16, String)> {
    let admin = AdminClient::new(&args.url, SecretString::from(args.admin_token.as_str()))?;
    let body = NewMerchant {
        client_name: args.name.clone(),
        return_url: args.return_url.clone(),
        terms: SettlementTerms {
            fee_rate_bps: args.fee_rate_bps,
            settlement_delay_days: args.settlement_delay_days,
        },
    };
    let res = admin
        .request(
            Method::POST,
            "/admin/api/merchants",
            Some(serde_json::to_vec(&body)?),
        )
        .await?;
    Ok((res.status.as_u16(), res.text()))
}
