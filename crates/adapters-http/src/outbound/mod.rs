//! Outbound HTTP(S): acquirer requests and cancels, merchant notifications, the simulator's
//! webhooks. One [`reqwest`] client per destination kind, both with rustls (ring) verifying
//! certificates against the system roots, the bundled webpki roots and an optional extra CA
//! bundle, TLS 1.2 or newer, no redirects, no proxies. The merchant client resolves names through
//! a [`guard::GuardedResolver`] so the destination policy applies to the address actually
//! connected to (docs/adr/0015-outbound-client.md).

mod failure;
mod guard;
mod settlement_file;

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use async_trait::async_trait;
use domain::{
    destination::DestinationPolicy,
    outbox::SendReport,
    ports::{Destination, OutboundRequest, OutboundSender},
};
use reqwest::{Certificate, Client, header::RETRY_AFTER, redirect, tls};

use self::guard::GuardedResolver;
pub use self::settlement_file::SettlementFileClient;

/// Bytes of a response body kept for operators.
const EXCERPT_BYTES: usize = 1024;

const USER_AGENT: &str = concat!("SimplePG/", env!("CARGO_PKG_VERSION"));

/// How the outbound clients are built.
#[derive(Clone, Debug, Default)]
pub struct OutboundOptions {
    /// PEM certificates trusted in addition to the system and webpki roots (a private CA).
    pub extra_ca_pem: Option<Vec<u8>>,
    /// Which addresses merchant URLs may reach.
    pub merchant_destinations: DestinationPolicy,
}

/// Why the outbound clients could not be built (reported at start-up).
#[derive(Debug, thiserror::Error)]
pub enum OutboundSetupError {
    #[error("the extra CA bundle is not valid PEM: {0}")]
    InvalidCaBundle(String),
    #[error("the extra CA bundle contains no certificate")]
    EmptyCaBundle,
    #[error("building the HTTP client failed: {0}")]
    Client(#[from] reqwest::Error),
}

/// [`OutboundSender`] on reqwest + rustls: POSTs, never follows redirects, honours the
/// per-request timeout (connect, TLS, answer and the kept excerpt), keeps the first KiB of the
/// answer and the `Retry-After` of a 429/503. Every failure is a report with a clear `error`.
#[derive(Clone, Debug)]
pub struct HttpsSender {
    acquirer: Client,
    merchant: Client,
    merchant_destinations: Arc<DestinationPolicy>,
}

impl HttpsSender {
    pub fn new(options: &OutboundOptions) -> Result<Self, OutboundSetupError> {
        let extra_roots = match &options.extra_ca_pem {
            Some(pem) => {
                let certs = Certificate::from_pem_bundle(pem)
                    .map_err(|e| OutboundSetupError::InvalidCaBundle(e.to_string()))?;
                if certs.is_empty() {
                    return Err(OutboundSetupError::EmptyCaBundle);
                }
                certs
            }
            None => Vec::new(),
        };
        let merchant_destinations = Arc::new(options.merchant_destinations.clone());
        let acquirer = builder(&extra_roots).build()?;
        let merchant = builder(&extra_roots)
            .dns_resolver(Arc::new(GuardedResolver::new(
                merchant_destinations.clone(),
            )))
            .build()?;
        Ok(Self {
            acquirer,
            merchant,
            merchant_destinations,
        })
    }
}

fn builder(extra_roots: &[Certificate]) -> reqwest::ClientBuilder {
    let mut b = Client::builder()
        .use_rustls_tls()
        .https_only(false)
        .min_tls_version(tls::Version::TLS_1_2)
        .tls_built_in_root_certs(true)
        .redirect(redirect::Policy::none())
        .no_proxy()
        .user_agent(USER_AGENT)
        .pool_idle_timeout(Duration::from_secs(30));
    for cert in extra_roots {
        b = b.add_root_certificate(cert.clone());
    }
    b
}

#[async_trait(?Send)]
impl OutboundSender for HttpsSender {
    async fn post(&self, request: &OutboundRequest) -> SendReport {
        let started = Instant::now();
        let client = match request.destination {
            Destination::Acquirer => &self.acquirer,
            Destination::Merchant => {
                if let Err(refusal) =
                    guard::check_literal(&self.merchant_destinations, &request.url)
                {
                    return failed(started, refusal);
                }
                &self.merchant
            }
        };
        let mut builder = client.post(&request.url).timeout(request.timeout);
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let mut response = match builder.body(request.body.clone()).send().await {
            Ok(r) => r,
            Err(e) => return failed(started, failure::describe(&e)),
        };
        let status = response.status().as_u16();
        let retry_after = (status == 429 || status == 503)
            .then(|| {
                response
                    .headers()
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(parse_retry_after)
            })
            .flatten();
        let mut excerpt = Vec::new();
        // The request's timeout bounds the body too; a broken body keeps what arrived.
        while excerpt.len() < EXCERPT_BYTES {
            match response.chunk().await {
                Ok(Some(chunk)) => excerpt.extend_from_slice(&chunk),
                Ok(None) | Err(_) => break,
            }
        }
        excerpt.truncate(EXCERPT_BYTES);
        SendReport {
            status: Some(status),
            latency: started.elapsed(),
            error: None,
            excerpt: (!excerpt.is_empty()).then(|| String::from_utf8_lossy(&excerpt).into_owned()),
            retry_after,
        }
    }
}

fn failed(started: Instant, error: String) -> SendReport {
    SendReport {
        latency: started.elapsed(),
        error: Some(error),
        ..Default::default()
    }
}

/// `Retry-After` as delta-seconds (HTTP dates are rare from webhook receivers; ignored).
fn parse_retry_after(raw: &str) -> Option<Duration> {
    raw.trim()
        .parse::<u64>()
        .ok()
        .map(|s| Duration::from_secs(s.min(86_400)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_read_as_seconds_and_capped_at_a_day() {
        assert_eq!(parse_retry_after("120"), Some(Duration::from_secs(120)));
        assert_eq!(
            parse_retry_after("99999999"),
            Some(Duration::from_secs(86_400))
        );
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }

    #[test]
    fn a_ca_bundle_without_a_certificate_is_refused_at_start_up() {
        let err = HttpsSender::new(&OutboundOptions {
            extra_ca_pem: Some(b"not a certificate".to_vec()),
            ..Default::default()
        })
        .unwrap_err();
        assert!(
            matches!(
                err,
                OutboundSetupError::EmptyCaBundle | OutboundSetupError::InvalidCaBundle(_)
            ),
            "{err}"
        );
    }

    #[test]
    fn the_clients_build_with_the_system_and_webpki_roots() {
        assert!(HttpsSender::new(&OutboundOptions::default()).is_ok());
    }
}
