//! Logging in from the tests: users made with the admin token, sessions and their cookie.

use awc::http::Method;
use serde_json::{Value, json};

use crate::helpers::{ApiResponse, TestApp, assert_problem};

/// Every test user's password.
pub const PASSWORD: &str = "correct horse battery staple";

/// A logged-in session: the `Cookie` header to send and its CSRF token.
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

impl Session {
    pub fn from_login(res: &ApiResponse) -> Self {
        assert_eq!(res.status, 200, "login: {}", res.text());
        let set_cookie = res.header("set-cookie").expect("a session cookie");
        let cookie = set_cookie.split(';').next().unwrap().to_owned();
        Self {
            cookie,
            csrf: res.json["csrfToken"].as_str().unwrap().to_owned(),
        }
    }
}

/// The body of `POST /admin/api/users` for a user with [`PASSWORD`].
pub fn user_body(email: &str, role: &str, client_id: Option<&str>) -> Value {
    let mut body = json!({ "email": email, "role": role, "password": PASSWORD });
    if let Some(c) = client_id {
        body["clientId"] = json!(c);
    }
    body
}

/// The number of rows of a list response (`data`).
pub fn listed(res: &ApiResponse) -> usize {
    res.json["data"]
        .as_array()
        .unwrap_or_else(|| panic!("a list: {}", res.text()))
        .len()
}

/// A problem body without what differs by request (`instance`, `requestId`).
pub fn without_request(res: &ApiResponse) -> Value {
    let mut body = res.json.clone();
    let object = body.as_object_mut().expect("a problem object");
    object.remove("requestId");
    object.remove("instance");
    body
}

impl TestApp {
    /// `POST /admin/api/users` with the admin token; the created user.
    pub async fn create_user(&self, email: &str, role: &str, client_id: Option<&str>) -> Value {
        let body = user_body(email, role, client_id);
        let res = self
            .admin(Method::POST, "/admin/api/users", Some(&body))
            .await;
        assert_eq!(res.status, 201, "create {email}: {}", res.text());
        res.json
    }

    /// `POST /auth/login`.
    pub async fn login(&self, email: &str, password: &str, totp: Option<&str>) -> ApiResponse {
        let mut body = json!({ "email": email, "password": password });
        if let Some(code) = totp {
            body["totp"] = json!(code);
        }
        self.raw(
            Method::POST,
            "/auth/login",
            &[("content-type", "application/json")],
            Some(body.to_string().into_bytes()),
        )
        .await
    }

    /// A new user of `role`, logged in.
    pub async fn user_session(&self, email: &str, role: &str, client_id: Option<&str>) -> Session {
        self.create_user(email, role, client_id).await;
        Session::from_login(&self.login(email, PASSWORD, None).await)
    }

    /// A read as `session` (a read needs no CSRF token).
    pub async fn session_get(&self, session: &Session, path: &str) -> ApiResponse {
        self.as_session(session, Method::GET, path, None, None)
            .await
    }

    /// A change as `session`, with its CSRF token.
    pub async fn session_change(
        &self,
        session: &Session,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> ApiResponse {
        self.as_session(session, method, path, Some(&session.csrf), body)
            .await
    }

    /// A `POST` of `body` as `session`, with its CSRF token.
    pub async fn session_post(&self, session: &Session, path: &str, body: &Value) -> ApiResponse {
        self.session_change(session, Method::POST, path, Some(body))
            .await
    }

    /// A change as `session` that is first refused without the CSRF token (`403
    /// CSRF_CHECK_FAILED`), then answered `status` with it; that answer.
    pub async fn session_change_needing_csrf(
        &self,
        session: &Session,
        method: Method,
        path: &str,
        status: u16,
    ) -> ApiResponse {
        let refused = self
            .as_session(session, method.clone(), path, None, None)
            .await;
        assert_problem(&refused, 403, "CSRF_CHECK_FAILED");
        let res = self
            .session_change(session, method.clone(), path, None)
            .await;
        assert_eq!(res.status, status, "{method} {path}: {}", res.text());
        res
    }

    /// A request authenticated by `session`'s cookie, with `csrf` as `X-CSRF-Token` if given.
    pub async fn as_session(
        &self,
        session: &Session,
        method: Method,
        path: &str,
        csrf: Option<&str>,
        body: Option<&Value>,
    ) -> ApiResponse {
        let mut headers = vec![("cookie", session.cookie.as_str())];
        if let Some(token) = csrf {
            headers.push(("x-csrf-token", token));
        }
        if body.is_some() {
            headers.push(("content-type", "application/json"));
        }
        self.raw(
            method,
            path,
            &headers,
            body.map(|b| b.to_string().into_bytes()),
        )
        .await
    }
}
