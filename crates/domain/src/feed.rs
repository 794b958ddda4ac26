//! The live feed for operators (`GET /admin/api/events`): audit rows and delivery attempts of
//! every merchant, read back from storage in the order storage numbered them, so that every
//! server instance sees what every other one wrote. The values only: storage answers them
//! through [`crate::ports::OperatorReads`], and [`crate::operator::live`] follows them.

use std::{fmt, str::FromStr};

use crate::{
    ids::{ClientId, PaymentKey},
    outbox::{DeliveryAttempt, OutboxKind},
    payment::AuditEntry,
    validation::Invalid,
};

/// An audit row with the payment and merchant it belongs to.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct AuditFeedEntry {
    pub entry: AuditEntry,
    pub payment_key: PaymentKey,
    pub client_id: ClientId,
}

/// A delivery attempt with what its message was (storage id `id`, increasing).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct AttemptFeedEntry {
    pub id: u64,
    pub attempt: DeliveryAttempt,
    pub kind: OutboxKind,
    pub event_type: Option<String>,
    pub target_url: String,
    pub client_id: Option<ClientId>,
    /// The payment the message is about, when it is tied to one.
    pub payment_key: Option<PaymentKey>,
}

/// How far a reader got: the last audit row id and the last attempt id it has seen. Written
/// `"<logId>-<attemptId>"` (the SSE `id:` and the `after` parameter).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct FeedPosition {
    pub log_id: u64,
    pub attempt_id: u64,
}

impl fmt::Display for FeedPosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.log_id, self.attempt_id)
    }
}

impl FromStr for FeedPosition {
    type Err = Invalid;

    fn from_str(raw: &str) -> Result<Self, Invalid> {
        let invalid = || Invalid::new("must be <logId>-<attemptId>, two decimal integers");
        let (log, attempt) = raw.split_once('-').ok_or_else(invalid)?;
        let number = |s: &str| {
            if s.is_empty() || s.len() > 20 || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid());
            }
            s.parse::<u64>().map_err(|_| invalid())
        };
        Ok(Self {
            log_id: number(log)?,
            attempt_id: number(attempt)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validation::assert_parser;

    #[test]
    fn positions_round_trip_and_refuse_garbage() {
        let p = FeedPosition {
            log_id: 12,
            attempt_id: 7,
        };
        assert_eq!(p.to_string(), "12-7");
        assert_eq!("12-7".parse::<FeedPosition>().unwrap(), p);
        assert_eq!(
            "0-0".parse::<FeedPosition>().unwrap(),
            FeedPosition::default()
        );
        assert_parser(
            str::parse::<FeedPosition>,
            &[],
            &[
                "",
                "12",
                "-1",
                "1-",
                "a-1",
                "1-+2",
                "1-2-3",
                "99999999999999999999-1",
            ],
        );
    }
}
