//! The mock acquirer's books (api.md §9.5, §12.3): the captures and cancels it carried out,
//! durable in the database (so every instance and a restarted server agree, as a real
//! acquirer's books do), and its settlement file, made from them. Cancels are idempotent by
//! `cancelId` and never more than the transaction's amount in all, with the scenarios of the
//! payment's amount (`…007` refuses, `…008` answers 503 twice per cancel, `…009` answers late;
//! `…005` captures answer 503 twice; `…011` and `…012` change the settlement file). Only the
//! 503 counters are in memory.

use std::{collections::HashMap, sync::Arc, sync::Mutex};

use domain::{
    Timestamp,
    ids::{PaymentKey, TransactionId},
    ports::{AcquirerLedger, LedgerEntry},
    reconciliation::AcquirerLine,
    settlement::{DayBounds, LineType},
    signing::sha256_hex,
};

use super::{MockError, Scenario};

/// A cancel the server asks for, as far as the mock reads it.
pub struct CancelRequest {
    pub payment_key: PaymentKey,
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
    pub payment_key: PaymentKey,
    /// What is captured.
    pub amount: i64,
    pub payment_amount: i64,
}

/// What the mock acquirer has canceled and captured.
pub struct Books {
    store: Arc<dyn AcquirerLedger>,
    /// 503s given per cancel id (scenario `…008`) and per captured payment (`…005`).
    refused: Mutex<HashMap<String, u32>>,
}

/// A counter lock a panicking holder poisoned: a failure of the mock itself, not a scenario.
fn poisoned() -> MockError {
    MockError::Repository(domain::RepositoryError::msg(
        "mock acquirer: the refusal counter lock is poisoned",
    ))
}

/// A transaction id the mock made that is not one (it derives them from valid keys and ids).
fn unreadable(e: impl std::fmt::Display) -> MockError {
    MockError::CancelRefused(format!("transaction id {e}"))
}

impl Books {
    pub fn new(store: Arc<dyn AcquirerLedger>) -> Self {
        Self {
            store,
            refused: Mutex::new(HashMap::new()),
        }
    }

    /// `true` while the `n`-th call under `key` is one of the first two (the 503 scenarios).
    fn refuse(&self, key: String) -> Result<bool, MockError> {
        let mut refused = self.refused.lock().map_err(|_| poisoned())?;
        let n = refused.entry(key).or_insert(0);
        *n += 1;
        Ok(*n <= 2)
    }

    /// Carries out `request` once per cancel id, answering the cancel's transaction id and
    /// whether this call carried it out; a cancel id seen before gets the same answer and changes
    /// nothing.
    pub async fn cancel(
        &self,
        request: &CancelRequest,
        now: Timestamp,
    ) -> Result<(String, bool), MockError> {
        let scenario = Scenario::for_amount(request.payment_amount);
        if scenario == Scenario::CancelRefused {
            return Err(MockError::CancelRefused(
                "this transaction cannot be canceled (scenario …007)".into(),
            ));
        }
        let id = request
            .cancel_id
            .clone()
            .unwrap_or_else(|| format!("whole:{}", request.payment_key));
        let tx = format!("mcx_{}", &sha256_hex(id.as_bytes())[..24]);
        let transaction_id = TransactionId::parse(&tx).map_err(unreadable)?;
        if self.store.find(&transaction_id).await?.is_some() {
            return Ok((tx, false));
        }
        if scenario == Scenario::CancelUnavailableTwice && self.refuse(id)? {
            return Err(MockError::Unavailable("008"));
        }
        if request.transaction_id.is_none() {
            // A payment the acquirer never authorized: nothing to cancel, nothing to book (it
            // must not count against a later cancel of the transaction, e.g. the compensating
            // cancel of an approval that arrives after the payment was canceled).
            return Ok((tx, true));
        }
        let so_far = self.store.canceled(&request.payment_key).await?;
        if so_far + request.amount > request.payment_amount {
            return Err(MockError::CancelRefused(format!(
                "only {} of {} is left to cancel",
                request.payment_amount - so_far,
                request.payment_amount
            )));
        }
        let recorded = self
            .store
            .record(&LedgerEntry {
                transaction_id,
                payment_key: request.payment_key.clone(),
                line_type: LineType::Cancel,
                amount: -request.amount,
                payment_amount: request.payment_amount,
                at: now,
            })
            .await?;
        Ok((tx, recorded))
    }

    /// Whether the mock answers the first call of this cancel late (scenario `…009`): it carries
    /// the cancel out at once and answers after the slow cancel delay, so a caller that gave up
    /// waiting finds it done when it asks again.
    pub fn answers_late(request: &CancelRequest) -> bool {
        Scenario::for_amount(request.payment_amount) == Scenario::CancelSlow
    }

    /// Takes a capture (scenario `…005`: 503 twice first) and books it once, under the
    /// payment's transaction id.
    pub async fn capture(&self, request: &CaptureRequest, now: Timestamp) -> Result<(), MockError> {
        if Scenario::for_amount(request.payment_amount) == Scenario::UnavailableTwice
            && self.refuse(format!("capture:{}", request.payment_key))?
        {
            return Err(MockError::Unavailable("005"));
        }
        let tx = super::transaction_id(request.payment_key.as_str());
        let transaction_id = TransactionId::parse(&tx).map_err(unreadable)?;
        self.store
            .record(&LedgerEntry {
                transaction_id,
                payment_key: request.payment_key.clone(),
                line_type: LineType::Capture,
                amount: request.amount,
                payment_amount: request.payment_amount,
                at: now,
            })
            .await?;
        Ok(())
    }

    /// The settlement file of `day` (api.md §12.3): every capture booked in the day and every
    /// cancel of a captured payment, in time order — except that a payment whose amount ends
    /// in `011` has its capture reported as `amount − 1`, and one ending in `012` has its
    /// capture left out.
    pub async fn settlement_file(&self, day: &DayBounds) -> Result<Vec<AcquirerLine>, MockError> {
        let mut lines = Vec::new();
        for e in self.store.entries(day).await? {
            let scenario = Scenario::for_amount(e.payment_amount);
            let amount = match (e.line_type, scenario) {
                (LineType::Capture, Scenario::CaptureLeftOut) => continue,
                (LineType::Capture, Scenario::SettledShort) => e.amount - 1,
                _ => e.amount,
            };
            // A booked amount is never zero; a short-reported capture of 1 would be, and is
            // left out instead.
            if let Ok(line) =
                AcquirerLine::new(e.transaction_id, e.payment_key, e.line_type, amount, e.at)
            {
                lines.push(line);
            }
        }
        Ok(lines)
    }
}

#[cfg(test)]
mod tests {
    use async_trait::async_trait;
    use domain::RepositoryError;

    use super::*;

    /// The books in memory, with the port's rules.
    #[derive(Default)]
    struct MemoryLedger(Mutex<Vec<LedgerEntry>>);

    #[async_trait]
    impl AcquirerLedger for MemoryLedger {
        async fn record(&self, entry: &LedgerEntry) -> Result<bool, RepositoryError> {
            let mut all = self.0.lock().unwrap();
            if all.iter().any(|e| e.transaction_id == entry.transaction_id) {
                return Ok(false);
            }
            all.push(entry.clone());
            Ok(true)
        }

        async fn find(
            &self,
            transaction_id: &TransactionId,
        ) -> Result<Option<LedgerEntry>, RepositoryError> {
            let all = self.0.lock().unwrap();
            Ok(all
                .iter()
                .find(|e| &e.transaction_id == transaction_id)
                .cloned())
        }

        async fn canceled(&self, payment_key: &PaymentKey) -> Result<i64, RepositoryError> {
            let all = self.0.lock().unwrap();
            Ok(all
                .iter()
                .filter(|e| &e.payment_key == payment_key && e.line_type == LineType::Cancel)
                .map(|e| -e.amount)
                .sum())
        }

        async fn entries(&self, day: &DayBounds) -> Result<Vec<LedgerEntry>, RepositoryError> {
            let all = self.0.lock().unwrap();
            let captured = |k: &PaymentKey| {
                all.iter()
                    .any(|e| &e.payment_key == k && e.line_type == LineType::Capture)
            };
            Ok(all
                .iter()
                .filter(|e| day.contains(e.at))
                .filter(|e| e.line_type == LineType::Capture || captured(&e.payment_key))
                .cloned()
                .collect())
        }
    }

    fn key(n: u8) -> PaymentKey {
        PaymentKey::from_bytes([n; 32])
    }

    fn now() -> Timestamp {
        Timestamp::from_unix_millis(1_795_507_200_000).unwrap()
    }

    fn books() -> Books {
        Books::new(Arc::new(MemoryLedger::default()))
    }

    fn cancel(id: &str, amount: i64, payment_amount: i64) -> CancelRequest {
        CancelRequest {
            payment_key: key(1),
            transaction_id: Some("mtx_1".into()),
            cancel_id: Some(id.into()),
            amount,
            payment_amount,
        }
    }

    fn capture(n: u8, amount: i64) -> CaptureRequest {
        CaptureRequest {
            payment_key: key(n),
            amount,
            payment_amount: amount,
        }
    }

    fn whole_day() -> DayBounds {
        DayBounds {
            start: now().minus(std::time::Duration::from_secs(3600)),
            end: now().plus(std::time::Duration::from_secs(3600)),
        }
    }

    #[tokio::test]
    async fn the_same_cancel_id_sent_twice_cancels_once_and_answers_the_same() {
        let books = books();
        let (first, carried_out) = books
            .cancel(&cancel("cnl_a", 600, 1_000), now())
            .await
            .unwrap();
        assert!(carried_out);
        assert_eq!(
            books
                .cancel(&cancel("cnl_a", 600, 1_000), now())
                .await
                .unwrap(),
            (first, false)
        );
        // 600 were canceled once, so 400 are left, not -200.
        assert!(
            books
                .cancel(&cancel("cnl_b", 400, 1_000), now())
                .await
                .is_ok()
        );
        assert!(matches!(
            books.cancel(&cancel("cnl_c", 1, 1_000), now()).await,
            Err(MockError::CancelRefused(_))
        ));
    }

    #[tokio::test]
    async fn scenario_008_answers_503_twice_per_cancel_then_confirms() {
        let books = books();
        for _ in 0..2 {
            assert!(matches!(
                books.cancel(&cancel("cnl_a", 8, 15_008), now()).await,
                Err(MockError::Unavailable("008"))
            ));
        }
        assert!(
            books
                .cancel(&cancel("cnl_a", 8, 15_008), now())
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn a_cancel_before_authorization_does_not_count_against_the_transaction_s_later_cancel() {
        let books = books();
        let ready = CancelRequest {
            transaction_id: None,
            ..cancel("cnl_ready", 15_002, 15_002)
        };
        assert!(books.cancel(&ready, now()).await.unwrap().1);
        // The approval arrived after all: the server cancels the transaction to compensate.
        assert!(
            books
                .cancel(&cancel("cnl_compensate", 15_002, 15_002), now())
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn scenario_007_refuses_every_cancel() {
        assert!(matches!(
            books().cancel(&cancel("cnl_a", 7, 15_007), now()).await,
            Err(MockError::CancelRefused(_))
        ));
    }

    #[tokio::test]
    async fn the_settlement_file_reports_011_short_leaves_012_out_and_lists_cancels_of_captures() {
        let books = books();
        for (n, amount) in [(1, 15_000), (2, 15_011), (3, 15_012)] {
            books.capture(&capture(n, amount), now()).await.unwrap();
            // A retried capture is booked once.
            books.capture(&capture(n, amount), now()).await.unwrap();
        }
        books
            .cancel(&cancel("cnl_part", 5_000, 15_000), now())
            .await
            .unwrap();
        let void = CancelRequest {
            payment_key: key(4),
            ..cancel("cnl_void", 9_000, 9_000)
        };
        books.cancel(&void, now()).await.unwrap();
        // A cancel of a payment never authorized (no transaction) books nothing.
        let unauthorized = CancelRequest {
            payment_key: key(5),
            transaction_id: None,
            ..cancel("cnl_ready", 9_000, 9_000)
        };
        books.cancel(&unauthorized, now()).await.unwrap();
        let file: Vec<(PaymentKey, LineType, i64)> = books
            .settlement_file(&whole_day())
            .await
            .unwrap()
            .into_iter()
            .map(|l| (l.payment_key, l.line_type, l.amount))
            .collect();
        assert_eq!(
            file,
            [
                (key(1), LineType::Capture, 15_000),
                (key(2), LineType::Capture, 15_010),
                (key(1), LineType::Cancel, -5_000),
            ],
            "the 012 capture is left out; the void of a never-captured payment moves no money"
        );
    }
}
