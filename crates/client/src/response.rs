//! Reading answers: the raw response, and the typed decoding every call shares (2xx → the
//! documented body, anything else → [`Error`]).

use std::time::Duration;

use reqwest::{
    StatusCode,
    header::{CONTENT_TYPE, HeaderMap},
};
use serde::de::DeserializeOwned;

use crate::error::{Error, Problem};

/// An answer, read whole.
#[derive(Clone, Debug)]
pub struct RawResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl RawResponse {
    /// Sends `request`, with `body` (if any) as `application/json`, and reads the answer whole.
    pub(crate) async fn send(
        request: reqwest::RequestBuilder,
        body: Option<Vec<u8>>,
    ) -> Result<Self, Error> {
        let request = match body {
            Some(body) => request.header(CONTENT_TYPE, "application/json").body(body),
            None => request,
        };
        let response = request.send().await.map_err(Error::Transport)?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(Error::Transport)?.to_vec();
        Ok(Self {
            status,
            headers,
            body,
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `X-Request-Id`: the id to quote to SimplePG's operators.
    pub fn request_id(&self) -> Option<&str> {
        self.header("x-request-id")
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The documented body of a success, or the [`Error`] an error status stands for.
    pub fn into_result<T: DeserializeOwned>(self) -> Result<T, Error> {
        if !self.status.is_success() {
            return Err(self.into_error());
        }
        serde_json::from_slice(&self.body).map_err(|source| Error::Decode {
            status: self.status.as_u16(),
            source,
        })
    }

    /// The error an unsuccessful answer stands for: its problem, or its status and text.
    pub fn into_error(self) -> Error {
        match serde_json::from_slice::<Problem>(&self.body) {
            Ok(mut problem) => {
                if problem.request_id.is_none() {
                    problem.request_id = self.request_id().map(str::to_owned);
                }
                problem.retry_after = self
                    .header("retry-after")
                    .and_then(|s| s.trim().parse().ok())
                    .map(Duration::from_secs);
                Error::Api(Box::new(problem))
            }
            Err(_) => Error::UnexpectedStatus {
                status: self.status.as_u16(),
                body: self.text().chars().take(1024).collect(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;
    use crate::ErrorCode;

    fn response(status: u16, headers: &[(&'static str, &'static str)], body: &str) -> RawResponse {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, HeaderValue::from_static(value));
        }
        RawResponse {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::IM_A_TEAPOT),
            headers: map,
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn a_rate_limit_problem_carries_its_retry_after_and_the_header_request_id() {
        let err = response(
            429,
            &[("retry-after", "7"), ("x-request-id", "req-9")],
            r#"{"title":"Too many requests","status":429,"code":"RATE_LIMITED"}"#,
        )
        .into_result::<serde_json::Value>()
        .err();
        let problem = err.as_ref().and_then(Error::problem);
        assert_eq!(problem.map(|p| &p.code), Some(&ErrorCode::RateLimited));
        assert_eq!(
            problem.and_then(|p| p.retry_after),
            Some(Duration::from_secs(7))
        );
        assert_eq!(problem.and_then(|p| p.request_id.as_deref()), Some("req-9"));
    }

    #[test]
    fn an_error_page_that_is_not_a_problem_keeps_its_status_and_text() {
        let err = response(502, &[], "<html>bad gateway</html>").into_error();
        assert!(
            matches!(&err, Error::UnexpectedStatus { status: 502, body } if body.contains("bad gateway")),
            "{err:?}"
        );
        assert_eq!(err.status(), Some(502));
    }

    #[test]
    fn a_success_with_the_wrong_shape_is_a_decode_error() {
        let err = response(200, &[], r#"{"nope":1}"#)
            .into_result::<crate::Payment>()
            .err();
        assert!(
            matches!(err, Some(Error::Decode { status: 200, .. })),
            "{err:?}"
        );
    }
}
