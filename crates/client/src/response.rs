//! Reading answers: the raw response, and the typed decoding every call shares (2xx → the
//! documented body, anything else → [`Error`]).

use std::time::Duration;

use reqwest::{
    StatusCode,
    header::{CONTENT_TYPE, HeaderMap},
};
use serde::de::DeserializeOwned;

use crate::{
    error::{Error, Problem},
    payment::{CancelOutcome, Payment},
};

/// An answer, read whole.
#[derive(Clone, Debug)]
pub struct RawResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// The answer to a request sent with an `Idempotency-Key`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Idempotent<T> {
    pub value: T,
    /// True when SimplePG replayed the stored answer of an earlier request with the same key
    /// (`Idempotent-Replayed: true`) instead of executing this one.
    pub replayed: bool,
}

impl RawResponse {
    /// The answer to a request sent with an `Idempotency-Key`: what `decode` reads, and whether
    /// the server replayed a stored answer (`Idempotent-Replayed: true`).
    pub(crate) fn into_idempotent<T>(
        self,
        decode: impl FnOnce(Self) -> Result<T, Error>,
    ) -> Result<Idempotent<T>, Error> {
        let replayed = self.header("idempotent-replayed") == Some("true");
        Ok(Idempotent {
            value: decode(self)?,
            replayed,
        })
    }

    /// [`Self::send`] with `Idempotency-Key: idempotency_key` when given.
    pub(crate) async fn send_keyed(
        request: reqwest::RequestBuilder,
        idempotency_key: Option<&str>,
        body: Option<Vec<u8>>,
    ) -> Result<Self, Error> {
        let request = match idempotency_key {
            Some(key) => request.header("idempotency-key", key),
            None => request,
        };
        Self::send(request, body).await
    }

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

    /// The answer to a cancel: 202 is [`CancelOutcome::Pending`], any other success
    /// [`CancelOutcome::Done`], an error status the [`Error`] it stands for.
    pub fn into_cancel_outcome(self) -> Result<CancelOutcome, Error> {
        let pending = self.status == StatusCode::ACCEPTED;
        let payment: Payment = self.into_result()?;
        Ok(if pending {
            CancelOutcome::Pending(payment)
        } else {
            CancelOutcome::Done(payment)
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

    /// A COMPLETED 15,000 payment after a cancel of 5,000 in `cancel_status`.
    fn canceled_payment(status: &str, cancel_status: &str, cancelable: i64) -> String {
        format!(
            r#"{{"paymentKey":"k","clientId":"mch_a","orderNo":"O-1","amount":15000,
            "currency":"KRW","methodCode":"CARD","status":"{status}","productName":null,
            "customerName":null,"transactionId":"tx","failureCode":null,"failureMessage":null,
            "cancelReason":null,"createdAt":"2026-11-24T08:00:00.000Z",
            "approvedAt":"2026-11-24T08:00:05.120Z","completedAt":"2026-11-24T08:01:00.000Z",
            "canceledAt":null,"failedAt":null,"expiresAt":"2026-11-24T08:30:00.000Z",
            "authorizationExpiresAt":null,"canceledAmount":{canceled},
            "cancelableAmount":{cancelable},"cancels":[{{"cancelId":"cnl_0193a1b2c3d47e5f8a9b0c1d2e3f4a51",
            "amount":5000,"reason":"one item returned","status":"{cancel_status}",
            "acquirerTransactionId":null,"failureCode":null,"failureMessage":null,
            "requestedAt":"2026-11-24T08:04:00.000Z","completedAt":null}}]}}"#,
            canceled = if cancel_status == "SUCCEEDED" {
                5000
            } else {
                0
            },
        )
    }

    #[test]
    fn a_200_cancel_is_done_and_a_202_is_pending_with_its_reserved_cancel() {
        let done = response(
            200,
            &[],
            &canceled_payment("PARTIAL_CANCELED", "SUCCEEDED", 10_000),
        )
        .into_cancel_outcome()
        .unwrap();
        let pending = response(202, &[], &canceled_payment("COMPLETED", "PENDING", 10_000))
            .into_cancel_outcome()
            .unwrap();

        assert!(matches!(&done, crate::CancelOutcome::Done(_)), "{done:?}");
        assert!(!done.is_pending());
        assert_eq!(done.payment().status, crate::PaymentStatus::PartialCanceled);
        assert_eq!(
            (
                done.payment().canceled_amount,
                done.payment().cancelable_amount
            ),
            (5_000, 10_000)
        );
        assert!(pending.is_pending(), "{pending:?}");
        let cancel = pending.latest_cancel().unwrap();
        assert_eq!(cancel.status, crate::CancelStatus::Pending);
        assert_eq!(
            (cancel.amount, cancel.reason.as_str()),
            (5_000, "one item returned")
        );
        assert_eq!(pending.into_payment().canceled_amount, 0);
    }

    #[test]
    fn a_cancel_over_the_balance_and_an_acquirer_refusal_are_typed_errors() {
        let exceeded = response(
            409,
            &[],
            r#"{"title":"Cancel amount exceeded","status":409,"code":"CANCEL_AMOUNT_EXCEEDED",
                "detail":"cancelAmount 20000 is more than the cancelable 10000"}"#,
        )
        .into_cancel_outcome()
        .unwrap_err();
        let refused = response(
            502,
            &[],
            r#"{"title":"Acquirer error","status":502,"code":"ACQUIRER_ERROR"}"#,
        )
        .into_cancel_outcome()
        .unwrap_err();

        assert_eq!(exceeded.code(), Some(&ErrorCode::CancelAmountExceeded));
        assert_eq!(exceeded.status(), Some(409));
        assert!(
            exceeded.to_string().contains("more than the cancelable"),
            "{exceeded}"
        );
        assert_eq!(refused.code(), Some(&ErrorCode::AcquirerError));
        assert_eq!(refused.status(), Some(502));
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
