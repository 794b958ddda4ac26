//! [`Client`]: the merchant API of api.md §3, every request signed as api.md §2 says.

use std::time::Duration;

use reqwest::Method;
use secrecy::SecretString;
use serde::de::DeserializeOwned;
use url::Url;

use crate::{
    error::Error,
    payment::{
        AuditLogEntry, CancelOutcome, CancelPayment, CreatePayment, DataList, ListPayments,
        Payment, PaymentPage,
    },
    response::{Idempotent, RawResponse},
    signer::RequestSigner,
};

/// How long a call may take when the client builds its own HTTP client.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// A merchant's connection to SimplePG. Cheap to clone (the HTTP connection pool is shared);
/// `Send + Sync`, so one instance can serve a whole multi-threaded backend.
#[derive(Clone, Debug)]
pub struct Client {
    http: reqwest::Client,
    base_url: Url,
    signer: RequestSigner,
}

/// `base_url` parsed, its trailing `/` removed so that paths can be appended.
pub(crate) fn parse_base_url(base_url: &str) -> Result<Url, Error> {
    Ok(Url::parse(base_url.trim_end_matches('/'))?)
}

/// The default HTTP client: rustls, [`DEFAULT_TIMEOUT`], no redirects followed (a signed
/// request must not be re-sent elsewhere).
pub(crate) fn default_http() -> Result<reqwest::Client, Error> {
    reqwest::Client::builder()
        .timeout(DEFAULT_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(Error::Transport)
}

/// `base` followed by `segments`, each percent-encoded as one path segment (a payment key
/// cannot smuggle a `/` or `?` into the path).
pub(crate) fn segments_url(base: &Url, segments: &[&str]) -> Result<Url, Error> {
    let mut url = base.clone();
    url.path_segments_mut()
        .map_err(|()| Error::InvalidUrl(url::ParseError::RelativeUrlWithCannotBeABaseBase))?
        .pop_if_empty()
        .extend(segments);
    Ok(url)
}

/// `base` followed by `path_and_query` as given (`/api/payments?limit=5`).
pub(crate) fn join(base: &Url, path_and_query: &str) -> Result<Url, Error> {
    let base = base.as_str().trim_end_matches('/');
    Ok(Url::parse(&format!("{base}{path_and_query}"))?)
}

impl Client {
    /// A client for `base_url` (e.g. `https://pay.example.com`) with the credentials issued at
    /// registration.
    pub fn new(
        base_url: &str,
        client_id: impl Into<String>,
        client_secret: SecretString,
    ) -> Result<Self, Error> {
        Self::with_http_client(default_http()?, base_url, client_id, client_secret)
    }

    /// Like [`Client::new`] over an HTTP client of your own (proxy, timeouts, TLS roots). Do not
    /// let it follow redirects.
    pub fn with_http_client(
        http: reqwest::Client,
        base_url: &str,
        client_id: impl Into<String>,
        client_secret: SecretString,
    ) -> Result<Self, Error> {
        Ok(Self {
            http,
            base_url: parse_base_url(base_url)?,
            signer: RequestSigner::new(client_id, client_secret),
        })
    }

    /// The signer, for requests sent by other means.
    pub fn signer(&self) -> &RequestSigner {
        &self.signer
    }

    /// `POST /api/payments`: a new READY payment.
    pub async fn create_payment(&self, payment: &CreatePayment) -> Result<Payment, Error> {
        let body = to_json(payment)?;
        self.send(
            Method::POST,
            self.url(&["api", "payments"])?,
            Some(body),
            None,
        )
        .await?
        .into_result()
    }

    /// `POST /api/payments` with an `Idempotency-Key` (1–255 visible ASCII characters): a retry
    /// with the same key and body gets the first answer again instead of a second payment.
    pub async fn create_payment_idempotent(
        &self,
        payment: &CreatePayment,
        idempotency_key: &str,
    ) -> Result<Idempotent<Payment>, Error> {
        let url = self.url(&["api", "payments"])?;
        self.post_idempotent(
            url,
            to_json(payment)?,
            idempotency_key,
            RawResponse::into_result,
        )
        .await
    }

    /// `GET /api/payments/{paymentKey}`.
    pub async fn get_payment(&self, payment_key: &str) -> Result<Payment, Error> {
        self.get(self.url(&["api", "payments", payment_key])?).await
    }

    /// `GET /api/payments`: one page of the merchant's payments, newest first.
    pub async fn list_payments(&self, query: &ListPayments) -> Result<PaymentPage, Error> {
        let mut url = self.url(&["api", "payments"])?;
        let query = query.to_query();
        if !query.is_empty() {
            url.set_query(Some(&query));
        }
        self.get(url).await
    }

    /// `POST /api/payments/{paymentKey}/complete`: APPROVED → COMPLETED.
    pub async fn complete_payment(&self, payment_key: &str) -> Result<Payment, Error> {
        let url = self.url(&["api", "payments", payment_key, "complete"])?;
        self.send(Method::POST, url, None, None)
            .await?
            .into_result()
    }

    /// `POST /api/payments/{paymentKey}/cancel` of everything still cancelable, with a reason
    /// of 1–200 characters: the payment as answered, whether the cancel is done (200) or still
    /// PENDING at the acquirer (202). [`Client::cancel`] tells the two apart and cancels part
    /// of a payment too.
    pub async fn cancel_payment(
        &self,
        payment_key: &str,
        cancel_reason: &str,
    ) -> Result<Payment, Error> {
        Ok(self
            .cancel(payment_key, &CancelPayment::new(cancel_reason))
            .await?
            .into_payment())
    }

    /// `POST /api/payments/{paymentKey}/cancel`: a full or partial cancel (api.md §9.2),
    /// [`CancelOutcome::Done`] on 200, [`CancelOutcome::Pending`] on 202. The acquirer's
    /// refusal is 502 [`ErrorCode::AcquirerError`](crate::ErrorCode::AcquirerError); more than
    /// `cancelableAmount` is 409
    /// [`ErrorCode::CancelAmountExceeded`](crate::ErrorCode::CancelAmountExceeded).
    pub async fn cancel(
        &self,
        payment_key: &str,
        cancel: &CancelPayment,
    ) -> Result<CancelOutcome, Error> {
        let url = self.url(&["api", "payments", payment_key, "cancel"])?;
        self.send(Method::POST, url, Some(to_json(cancel)?), None)
            .await?
            .into_cancel_outcome()
    }

    /// [`Client::cancel`] with an `Idempotency-Key`: a retry after a timeout gets the first
    /// answer again (`replayed`) instead of a second cancel.
    pub async fn cancel_idempotent(
        &self,
        payment_key: &str,
        cancel: &CancelPayment,
        idempotency_key: &str,
    ) -> Result<Idempotent<CancelOutcome>, Error> {
        let url = self.url(&["api", "payments", payment_key, "cancel"])?;
        self.post_idempotent(
            url,
            to_json(cancel)?,
            idempotency_key,
            RawResponse::into_cancel_outcome,
        )
        .await
    }

    /// A `POST` of `body` with `Idempotency-Key: idempotency_key`: the answer as `decode` reads
    /// it, and whether the server replayed it.
    async fn post_idempotent<T>(
        &self,
        url: Url,
        body: Vec<u8>,
        idempotency_key: &str,
        decode: impl FnOnce(RawResponse) -> Result<T, Error>,
    ) -> Result<Idempotent<T>, Error> {
        self.send(Method::POST, url, Some(body), Some(idempotency_key))
            .await?
            .into_idempotent(decode)
    }

    /// `GET /api/payments/{paymentKey}/logs`: the audit trail, oldest first.
    pub async fn payment_logs(&self, payment_key: &str) -> Result<Vec<AuditLogEntry>, Error> {
        let list: DataList<AuditLogEntry> = self
            .get(self.url(&["api", "payments", payment_key, "logs"])?)
            .await?;
        Ok(list.data)
    }

    /// Any signed request: `path_and_query` exactly as it should be sent
    /// (`/api/payments?status=READY`), `body` the raw bytes (sent as `application/json`). The
    /// answer is returned whatever its status; [`RawResponse::into_result`] decodes it.
    pub async fn signed_request(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<Vec<u8>>,
    ) -> Result<RawResponse, Error> {
        self.send(method, join(&self.base_url, path_and_query)?, body, None)
            .await
    }

    /// [`Client::signed_request`] with an `Idempotency-Key`.
    pub async fn signed_request_idempotent(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<Vec<u8>>,
        idempotency_key: &str,
    ) -> Result<RawResponse, Error> {
        let url = join(&self.base_url, path_and_query)?;
        self.send(method, url, body, Some(idempotency_key)).await
    }

    fn url(&self, segments: &[&str]) -> Result<Url, Error> {
        segments_url(&self.base_url, segments)
    }

    async fn get<T: DeserializeOwned>(&self, url: Url) -> Result<T, Error> {
        self.send(Method::GET, url, None, None).await?.into_result()
    }

    /// Signs what is actually sent: the path and query of the final URL, the exact body bytes.
    async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
        idempotency_key: Option<&str>,
    ) -> Result<RawResponse, Error> {
        let path_and_query = match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        };
        let signed = self.signer.sign_now(
            method.as_str(),
            &path_and_query,
            body.as_deref().unwrap_or_default(),
        );
        let mut request = self.http.request(method, url);
        for (name, value) in signed.pairs() {
            request = request.header(name, value);
        }
        RawResponse::send_keyed(request, idempotency_key, body).await
    }
}

/// The JSON bytes of a request body (exactly these bytes are signed and sent).
pub(crate) fn to_json(body: &impl serde::Serialize) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(body).map_err(Error::Encode)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(base: &str) -> Client {
        Client::new(base, "mch_a", SecretString::from("sk_s")).unwrap()
    }

    #[test]
    fn a_payment_key_is_one_encoded_path_segment() {
        let url = client("http://gw.example/")
            .url(&["api", "payments", "a/b?c"])
            .unwrap();
        assert_eq!(url.as_str(), "http://gw.example/api/payments/a%2Fb%3Fc");
    }

    #[test]
    fn a_base_url_with_a_prefix_keeps_it() {
        let c = client("http://gw.example/pg/");
        assert_eq!(
            c.url(&["api", "payments"]).unwrap().as_str(),
            "http://gw.example/pg/api/payments"
        );
        assert_eq!(
            join(&c.base_url, "/api/payments?limit=5").unwrap().as_str(),
            "http://gw.example/pg/api/payments?limit=5"
        );
    }

    #[test]
    fn a_base_url_that_is_not_a_url_is_refused() {
        assert!(matches!(
            Client::new("not a url", "mch_a", SecretString::from("sk_s")),
            Err(Error::InvalidUrl(_))
        ));
    }

    #[test]
    fn the_client_and_its_futures_are_send() {
        fn assert_send_sync<T: Send + Sync>(_: &T) {}
        fn assert_send<T: Send>(_: &T) {}
        let c = client("http://gw.example");
        assert_send_sync(&c);
        assert_send(&c.get_payment("k"));
        assert_send(&c.list_payments(&ListPayments::default()));
        assert_send(&c.signed_request(Method::GET, "/api/payments", None));
        assert_send(&c.cancel("k", &CancelPayment::new("r").with_amount(1)));
    }
}
