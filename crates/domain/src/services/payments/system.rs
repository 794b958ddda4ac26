//! What the background workers do to payments (actor SYSTEM): expire READY payments past
//! `expiresAt`, void APPROVED ones past `authorizationExpiresAt`, fail those whose acquirer could not be reached. Safe with several instances:
//! the compare-and-set decides, and a payment that moved on meanwhile is left alone.

use crate::{
    RepositoryError,
    ids::{PaymentId, PaymentKey},
    payment::{
        AcquirerCancel, CancelReason, Command, FailureCode, FailureMessage, Origin, Payment,
        PaymentStatus,
    },
};

use super::{
    PaymentService,
    change::{Changed, Decision, Skipped},
};

const ACQUIRER_UNAVAILABLE: &str = "ACQUIRER_UNAVAILABLE";
/// The `cancelReason` of a payment voided because it was not completed in time (api.md §9.4).
const AUTHORIZATION_EXPIRED: &str = "authorization expired";

/// The payment a system change produced: `None` when it was left alone, `Err` only when the
/// store failed.
fn outcome(result: Result<Changed<()>, Skipped>) -> Result<Option<Payment>, RepositoryError> {
    match result {
        Ok(Changed::Applied(p)) => Ok(Some(*p)),
        Ok(Changed::Stopped(())) => Ok(None),
        Err(Skipped::Repository(e)) => Err(e),
        Err(Skipped::Gone | Skipped::Rejected(_) | Skipped::Contended) => Ok(None),
    }
}

impl PaymentService {
    /// Runs `decide` as a change by the system on each payment of `keys`, read afresh; one
    /// that is gone or moved on is left alone. Returns how many it changed.
    async fn sweep<D>(
        &self,
        keys: Vec<PaymentKey>,
        decide: impl Fn(Payment) -> D,
    ) -> Result<usize, RepositoryError>
    where
        D: Future<Output = Result<Decision<()>, Skipped>>,
    {
        let origin = Origin::system();
        let mut changed = 0;
        for key in &keys {
            let result = self
                .change::<(), Skipped, _, _>(
                    &origin,
                    || async move { Ok(self.get(None, key).await?) },
                    &decide,
                )
                .await;
            if outcome(result)?.is_some() {
                changed += 1;
            }
        }
        Ok(changed)
    }

    /// Expires READY payments past `expiresAt`, at most `limit` of them; the acquirer is told
    /// through the outbox. Returns how many this call expired.
    pub async fn expire_due(&self, limit: u32) -> Result<usize, RepositoryError> {
        let reason = CancelReason::parse("payment expired")
            .map_err(|e| RepositoryError::msg(e.to_string()))?;
        let reason = &reason;
        let due = self.store.due_for_expiry(self.clock.now(), limit).await?;
        self.sweep(due, |current| async move {
            if current.status != PaymentStatus::Ready {
                return Ok(Decision::Stop(()));
            }
            let now = self.clock.now();
            let cancel = AcquirerCancel::whole(&current, self.keys.cancel_id(), reason.clone());
            let message = self.outbound.acquirer_cancel(&current, &cancel, now, now);
            Ok(Decision::apply_with(Command::Expire, vec![message]))
        })
        .await
    }

    /// Voids APPROVED payments past `authorizationExpiresAt` (api.md §9.4), at most `limit` of
    /// them: each becomes CANCELED with `cancelReason = "authorization expired"`, recorded as a
    /// SUCCEEDED cancel of the whole amount, and in the same transaction the acquirer cancel (under
    /// that cancel's id) and the merchant's `payment.canceled` are queued. A payment completed,
    /// canceled or holding a PENDING cancel meanwhile is left alone. Returns how many this call
    /// voided.
    pub async fn expire_authorizations(&self, limit: u32) -> Result<usize, RepositoryError> {
        let reason = CancelReason::parse(AUTHORIZATION_EXPIRED)
            .map_err(|e| RepositoryError::msg(e.to_string()))?;
        let reason = &reason;
        let due = self
            .store
            .due_for_authorization_expiry(self.clock.now(), limit)
            .await?;
        self.sweep(due, |current| async move {
            let now = self.clock.now();
            let due = current.authorization_expires_at.is_some_and(|at| at <= now);
            if current.status != PaymentStatus::Approved || !due {
                return Ok(Decision::Stop(()));
            }
            let id = self.keys.cancel_id();
            let cancel = AcquirerCancel::whole(&current, id.clone(), reason.clone());
            let message = self.outbound.acquirer_cancel(&current, &cancel, now, now);
            let command = Command::ExpireAuthorization {
                id,
                reason: reason.clone(),
            };
            Ok(Decision::apply_with(command, vec![message]))
        })
        .await
    }

    /// The acquirer could not be reached after every attempt: READY → FAILED with
    /// `ACQUIRER_UNAVAILABLE`. A payment that moved on meanwhile is left alone (`None`).
    pub async fn fail_unreachable(
        &self,
        id: &PaymentId,
        attempts: u32,
    ) -> Result<Option<Payment>, RepositoryError> {
        let code = FailureCode::parse(ACQUIRER_UNAVAILABLE)
            .map_err(|e| RepositoryError::msg(e.to_string()))?;
        let message = FailureMessage::parse(&format!(
            "the acquirer could not be reached after {attempts} attempts"
        ))
        .ok();
        let (code, message, origin) = (&code, &message, &Origin::system());
        let result = self
            .change::<(), Skipped, _, _>(
                origin,
                || async move { self.store.find_by_id(id).await?.ok_or(Skipped::Gone) },
                |current| async move {
                    if current.status != PaymentStatus::Ready {
                        return Ok(Decision::Stop(()));
                    }
                    Ok(Decision::apply(Command::Fail {
                        transaction_id: None,
                        code: code.clone(),
                        message: message.clone(),
                    }))
                },
            )
            .await;
        outcome(result)
    }
}
