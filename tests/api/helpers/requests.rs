//! The requests of the tests: raw, drafted, signed, admin, and the client crate's typed calls.

use awc::http::Method;
use serde_json::{Value, json};
use simplepg_client::{
    AdminClient, Client, CreatePayment, ListPayments, MethodCode, NewMerchant, Payment,
    SecretString, secrecy::ExposeSecret,
};

use super::{ApiResponse, Draft, Merchant, STAYS_READY, TestApp};

/// The endpoints of one payment (show, complete, cancel, logs): the method, the path and a body
/// each accepts.
pub fn payment_endpoints(key: &str) -> [(Method, String, Option<&'static str>); 4] {
    [
        (Method::GET, format!("/api/payments/{key}"), None),
        (
            Method::POST,
            format!("/api/payments/{key}/complete"),
            Some("{}"),
        ),
        (
            Method::POST,
            format!("/api/payments/{key}/cancel"),
            Some(r#"{"cancelReason":"customer asked"}"#),
        ),
        (Method::GET, format!("/api/payments/{key}/logs"), None),
    ]
}

impl TestApp {
    /// Sends any request: `headers` verbatim, `body` as given (no content type added).
    pub async fn raw(
        &self,
        method: Method,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> ApiResponse {
        self.api
            .send(method.as_str(), path_and_query, headers, body)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// A `GET` with exactly these headers.
    pub async fn get_with_headers(
        &self,
        path_and_query: &str,
        headers: &[(&str, &str)],
    ) -> ApiResponse {
        self.raw(Method::GET, path_and_query, headers, None).await
    }

    pub async fn get(&self, path_and_query: &str) -> ApiResponse {
        self.raw(Method::GET, path_and_query, &[], None).await
    }

    /// Sends a draft exactly as it stands.
    pub async fn send(&self, draft: &Draft) -> ApiResponse {
        self.raw(
            draft.method.clone(),
            &draft.path_and_query(),
            &draft.headers(),
            draft.body.clone(),
        )
        .await
    }

    /// A correctly signed merchant request.
    pub async fn signed(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<&str>,
        merchant: &Merchant,
    ) -> ApiResponse {
        self.send(&Draft::new(method, path_and_query, body).signed_by(merchant))
            .await
    }

    /// An admin request with the right bearer token.
    pub async fn admin(&self, method: Method, path: &str, body: Option<&Value>) -> ApiResponse {
        let auth = format!("Bearer {}", self.admin_token);
        self.admin_with(method, path, body, Some(&auth)).await
    }

    /// An admin `POST` of a settlement date, `{"date": date}` (a settlement run, a
    /// reconciliation).
    pub async fn admin_post_date(&self, path: &str, date: &str) -> ApiResponse {
        let body = serde_json::json!({ "date": date });
        self.admin(Method::POST, path, Some(&body)).await
    }

    /// `POST /admin/api/merchants` of this body with the right bearer token.
    pub async fn register_raw(&self, body: &Value) -> ApiResponse {
        self.admin(Method::POST, "/admin/api/merchants", Some(body))
            .await
    }

    /// An admin `GET` with the right bearer token.
    pub async fn admin_get(&self, path: &str) -> ApiResponse {
        self.admin(Method::GET, path, None).await
    }

    /// An admin request with the given `Authorization` header (or none).
    pub async fn admin_with(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        authorization: Option<&str>,
    ) -> ApiResponse {
        self.api
            .authorized(method.as_str(), path, body, authorization)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }
    /// The merchant client crate, for `merchant`'s calls to this instance.
    pub fn client(&self, merchant: &Merchant) -> Client {
        Client::new(
            &self.base_url,
            merchant.client_id.as_str(),
            SecretString::from(merchant.client_secret.as_str()),
        )
        .expect("a client for the test server")
    }

    /// The client crate's admin client, with the right token.
    pub fn admin_client(&self) -> AdminClient {
        AdminClient::new(
            &self.base_url,
            SecretString::from(self.admin_token.as_str()),
        )
        .expect("an admin client for the test server")
    }

    /// Registers a merchant through the admin API (the client crate's `AdminClient`) and returns
    /// its credentials.
    pub async fn register_merchant(&self, name: &str, return_url: &str) -> Merchant {
        self.register(name, Some(return_url)).await
    }

    async fn register(&self, name: &str, return_url: Option<&str>) -> Merchant {
        let registered = self
            .admin_client()
            .register_merchant(&match return_url {
                Some(url) => NewMerchant::new(name).with_return_url(url),
                None => NewMerchant::new(name),
            })
            .await
            .unwrap_or_else(|e| panic!("registering {name}: {e}"));
        assert_eq!(registered.merchant.client_name, name);
        assert_eq!(registered.merchant.return_url.as_deref(), return_url);
        Merchant {
            client_id: registered.merchant.client_id,
            client_secret: registered.client_secret.expose_secret().to_owned(),
            webhook_secret: registered.webhook_secret.expose_secret().to_owned(),
        }
    }

    /// A merchant for tests that need just one.
    pub async fn merchant(&self) -> Merchant {
        self.register_merchant("Test Shop", "https://shop.example/notify")
            .await
    }

    /// `POST /api/payments` with this JSON body, correctly signed.
    pub async fn create_payment(&self, merchant: &Merchant, body: &Value) -> ApiResponse {
        self.create_raw(merchant, &body.to_string()).await
    }

    /// `POST /api/payments` with exactly this body, correctly signed.
    pub async fn create_raw(&self, merchant: &Merchant, body: &str) -> ApiResponse {
        self.signed(Method::POST, "/api/payments", Some(body), merchant)
            .await
    }

    /// Creates a payment that stays READY (through the client crate) and returns it.
    pub async fn ready_payment(&self, merchant: &Merchant, order_no: &str) -> Payment {
        self.client(merchant)
            .create_payment(&CreatePayment::new(order_no, STAYS_READY, MethodCode::Card))
            .await
            .unwrap_or_else(|e| panic!("create {order_no}: {e}"))
    }

    /// `GET /api/payments?{query}` (no `?` for an empty query).
    pub async fn list_payments(&self, merchant: &Merchant, query: &str) -> ApiResponse {
        let path = if query.is_empty() {
            "/api/payments".to_owned()
        } else {
            format!("/api/payments?{query}")
        };
        self.signed(Method::GET, &path, None, merchant).await
    }

    /// Every payment of the merchant (up to 100), newest first, through the client crate.
    pub async fn all_payments(&self, merchant: &Merchant) -> Vec<Payment> {
        let query = ListPayments {
            limit: Some(100),
            ..ListPayments::default()
        };
        self.client(merchant)
            .list_payments(&query)
            .await
            .unwrap_or_else(|e| panic!("listing the payments of {}: {e}", merchant.client_id))
            .data
    }

    pub async fn get_payment(&self, merchant: &Merchant, key: &str) -> ApiResponse {
        self.signed(Method::GET, &format!("/api/payments/{key}"), None, merchant)
            .await
    }

    pub async fn cancel(&self, merchant: &Merchant, key: &str, reason: &str) -> ApiResponse {
        let body = json!({ "cancelReason": reason }).to_string();
        self.signed(
            Method::POST,
            &format!("/api/payments/{key}/cancel"),
            Some(&body),
            merchant,
        )
        .await
    }

    pub async fn logs(&self, merchant: &Merchant, key: &str) -> ApiResponse {
        self.signed(
            Method::GET,
            &format!("/api/payments/{key}/logs"),
            None,
            merchant,
        )
        .await
    }

    /// Registers a merchant with no `returnUrl` (it gets no notifications).
    pub async fn register_merchant_without_return_url(&self, name: &str) -> Merchant {
        self.register(name, None).await
    }

    /// Creates a payment of `amount` (the mock acquirer's scenario is its last three digits)
    /// through the client crate and returns it (READY).
    pub async fn pay(&self, merchant: &Merchant, order_no: &str, amount: i64) -> Payment {
        let order = CreatePayment::new(order_no, amount, MethodCode::Card)
            .with_product_name("Coffee beans")
            .with_customer_name("Kim Minji");
        let payment = self
            .client(merchant)
            .create_payment(&order)
            .await
            .unwrap_or_else(|e| panic!("create {order_no}: {e}"));
        assert_eq!(payment.status, simplepg_client::PaymentStatus::Ready);
        payment
    }

    pub async fn complete(&self, merchant: &Merchant, key: &str) -> ApiResponse {
        self.signed(
            Method::POST,
            &format!("/api/payments/{key}/complete"),
            None,
            merchant,
        )
        .await
    }
}
