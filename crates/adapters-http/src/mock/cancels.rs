//! The mock acquirer's cancels and captures (api.md §9.5): idempotent by `cancelId`, never more
//! than the transaction's amount in all, with the scenarios of the payment's amount (`…007`
//! refuses, `…008` answers 503 twice per cancel, `…009` answers late; `…005` captures answer 503
//! twice). The ledger is in memory: it plays one acquirer per server process.

use std::{collections::HashMap, sync::Mutex};

use domain::signing::sha256_hex;

use super::{MockError, Scenario};

/// A cancel the server asks for, as far as the mock reads it.
pub struct CancelRequest {
    pub payment_key: String,
    /// The transaction canceled; `None` for a payment the acquirer never authorized (a READY
    /// payment canceled before its outcome), which moves no money and counts toward nothing.
    pub transaction_id: Option<String>,
    pub cancel_id: Option<String>,
    /// What is to be canceled now.
    pub amount: i64,
    /// The payment's amount, which chooses the scenario (the cancel's amount when the mock does
    /// not know the payment).
    pub payment_amount: i64,
}

/// A capture the server asks for.
pub struct CaptureRequest {
    pub payment_key: String,
    pub payment_amount: i64,
}

/// What the mock acquirer has canceled and captured.
#[derive(Default)]
pub struct CancelLedger {
    inner: Mutex<Ledger>,
}

#[derive(Default)]
struct Ledger {
    /// Each cancel id carried out, and the transaction id it answered.
    done: HashMap<String, String>,
    /// Canceled so far per transaction id.
    canceled: HashMap<String, i64>,
    /// 503s given per cancel id (scenario `…008`) and per captured payment (`…005`).
    refused: HashMap<String, u32>,
}

/// A ledger whose lock a panicking holder poisoned: a failure of the mock itself, not a scenario.
fn poisoned() -> MockError {
    MockError::Repository(domain::RepositoryError::msg(
        "mock acquirer: the ledger lock is poisoned",
    ))
}

impl CancelLedger {
    /// Carries out `request` once per cancel id, answering the cancel's transaction id and
    /// whether this call carried it out; a cancel id seen before gets the same answer and changes
    /// nothing.
    pub fn cancel(&self, request: &CancelRequest) -> Result<(String, bool), MockError> {
        let scenario = Scenario::for_amount(request.payment_amount);
        if scenario == Scenario::CancelRefused {
            return Err(MockError::CancelRefused(
                "this transaction cannot be canceled (scenario …007)".into(),
            ));
        }
        let mut ledger = self.inner.lock().map_err(|_| poisoned())?;
        let id = request
            .cancel_id
            .clone()
            .unwrap_or_else(|| format!("whole:{}", request.payment_key));
        if let Some(tx) = ledger.done.get(&id) {
            return Ok((tx.clone(), false));
        }
        if scenario == Scenario::CancelUnavailableTwice {
            let n = ledger.refused.entry(id.clone()).or_insert(0);
            *n += 1;
            if *n <= 2 {
                return Err(MockError::Unavailable("008"));
            }
        }
        let so_far = request
            .transaction_id
            .as_ref()
            .and_then(|tx| ledger.canceled.get(tx))
            .copied()
            .unwrap_or(0);
        if request.transaction_id.is_some() && so_far + request.amount > request.payment_amount {
            return Err(MockError::CancelRefused(format!(
                "only {} of {} is left to cancel",
                request.payment_amount - so_far,
                request.payment_amount
            )));
        }
        let tx = format!("mcx_{}", &sha256_hex(id.as_bytes())[..24]);
        ledger.done.insert(id, tx.clone());
        if let Some(transaction) = &request.transaction_id {
            *ledger.canceled.entry(transaction.clone()).or_insert(0) += request.amount;
        }
        Ok((tx, true))
    }

    /// Whether the mock answers the first call of this cancel late (scenario `…009`): it carries
    /// the cancel out at once and answers after the slow cancel delay, so a caller that gave up
    /// waiting finds it done when it asks again.
    pub fn answers_late(request: &CancelRequest) -> bool {
        Scenario::for_amount(request.payment_amount) == Scenario::CancelSlow
    }

    /// Takes a capture (scenario `…005`: 503 twice first).
    pub fn capture(&self, request: &CaptureRequest) -> Result<(), MockError> {
        if Scenario::for_amount(request.payment_amount) == Scenario::UnavailableTwice {
            let mut ledger = self.inner.lock().map_err(|_| poisoned())?;
            let n = ledger
                .refused
                .entry(format!("capture:{}", request.payment_key))
                .or_insert(0);
            *n += 1;
            if *n <= 2 {
                return Err(MockError::Unavailable("005"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cancel(id: &str, amount: i64, payment_amount: i64) -> CancelRequest {
        CancelRequest {
            payment_key: "pk".into(),
            transaction_id: Some("mtx_1".into()),
            cancel_id: Some(id.into()),
            amount,
            payment_amount,
        }
    }

    #[test]
    fn the_same_cancel_id_sent_twice_cancels_once_and_answers_the_same() {
        let ledger = CancelLedger::default();
        let (first, carried_out) = ledger.cancel(&cancel("cnl_a", 600, 1_000)).unwrap();
        assert!(carried_out);
        assert_eq!(
            ledger.cancel(&cancel("cnl_a", 600, 1_000)).unwrap(),
            (first, false)
        );
        // 600 were canceled once, so 400 are left, not -200.
        assert!(ledger.cancel(&cancel("cnl_b", 400, 1_000)).is_ok());
        assert!(matches!(
            ledger.cancel(&cancel("cnl_c", 1, 1_000)),
            Err(MockError::CancelRefused(_))
        ));
    }

    #[test]
    fn scenario_008_answers_503_twice_per_cancel_then_confirms() {
        let ledger = CancelLedger::default();
        for _ in 0..2 {
            assert!(matches!(
                ledger.cancel(&cancel("cnl_a", 8, 15_008)),
                Err(MockError::Unavailable("008"))
            ));
        }
        assert!(ledger.cancel(&cancel("cnl_a", 8, 15_008)).is_ok());
    }

    #[test]
    fn scenario_007_refuses_every_cancel() {
        let ledger = CancelLedger::default();
        assert!(matches!(
            ledger.cancel(&cancel("cnl_a", 7, 15_007)),
            Err(MockError::CancelRefused(_))
        ));
    }
}
