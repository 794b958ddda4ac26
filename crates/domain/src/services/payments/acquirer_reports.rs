//! The acquirer's outcome webhooks (api.md §4): applied exactly once however many identical
//! deliveries race, refused and audited when they contradict the payment.

use crate::{
    RepositoryError,
    ids::RequestId,
    payment::{
        AcquirerCancel, AcquirerReport, Actor, AuditAction, CancelReason, Command, Origin, Payment,
        PaymentStatus, ReportedOutcome,
    },
};

use super::{
    PaymentService, WebhookError, WebhookOutcome,
    change::{Changed, Decision},
};

impl PaymentService {
    /// Applies an acquirer webhook. Any number of concurrent identical deliveries produce
    /// exactly one transition: the losers of the compare-and-set re-read the payment and find
    /// the outcome already applied.
    pub async fn apply_acquirer_report(
        &self,
        report: AcquirerReport,
        request_id: Option<RequestId>,
    ) -> Result<WebhookOutcome, WebhookError> {
        let origin = Origin {
            actor: Actor::Acquirer,
            request_id,
        };
        let (report, at) = (&report, &origin);
        let changed = self
            .change::<WebhookOutcome, WebhookError, _, _>(
                at,
                || async move { Ok(self.get(None, &report.payment_key).await?) },
                |current| async move { self.decide_report(&current, report, at).await },
            )
            .await?;
        Ok(match changed {
            Changed::Applied(p) => WebhookOutcome::Applied(*p),
            Changed::Stopped(outcome) => outcome,
        })
    }

    /// What `report` means for the payment as it is now: a duplicate (noted), a refusal (noted,
    /// an error), or the transition to APPROVED or FAILED.
    async fn decide_report(
        &self,
        current: &Payment,
        report: &AcquirerReport,
        origin: &Origin,
    ) -> Result<Decision<WebhookOutcome>, WebhookError> {
        if report.already_applied_to(current) {
            self.note(
                current,
                AuditAction::WebhookDuplicate,
                origin,
                format!("transactionId={}", report.transaction_id),
                Vec::new(),
            )
            .await?;
            return Ok(Decision::Stop(WebhookOutcome::Duplicate(current.clone())));
        }
        if report.amount != current.amount.minor_units() {
            let details = format!(
                "amount mismatch: reported {} but the payment is {}",
                report.amount, current.amount
            );
            self.note(
                current,
                AuditAction::WebhookRejected,
                origin,
                details,
                Vec::new(),
            )
            .await?;
            return Err(WebhookError::AmountMismatch {
                expected: current.amount.minor_units(),
                reported: report.amount,
            });
        }
        if current.status != PaymentStatus::Ready {
            return Err(self.reject_late_report(current, report, origin).await?);
        }
        Ok(Decision::apply(match &report.outcome {
            ReportedOutcome::Approved => Command::Approve {
                transaction_id: report.transaction_id.clone(),
                authorization_ttl: self.policy.authorization_ttl,
            },
            ReportedOutcome::Failed { code, message } => Command::Fail {
                transaction_id: Some(report.transaction_id.clone()),
                code: code.clone(),
                message: message.clone(),
            },
        }))
    }

    /// A report for a payment that is no longer READY and did not get this outcome: refused and
    /// audited. An approval of a payment that was canceled or expired meanwhile also queues a
    /// compensating cancel, so no money stays captured.
    async fn reject_late_report(
        &self,
        current: &Payment,
        report: &AcquirerReport,
        origin: &Origin,
    ) -> Result<WebhookError, RepositoryError> {
        let reported = report.outcome.as_str();
        let compensate = matches!(report.outcome, ReportedOutcome::Approved)
            && matches!(
                current.status,
                PaymentStatus::Canceled | PaymentStatus::Expired
            );
        let mut events = Vec::new();
        let mut details = format!(
            "{reported} (transactionId={}) refused: the payment is {}",
            report.transaction_id, current.status
        );
        if compensate {
            let reason = CancelReason::parse("approval arrived after the payment was closed")
                .map_err(|e| RepositoryError::msg(e.to_string()))?;
            let cancel = AcquirerCancel::whole(current, self.keys.cancel_id(), reason)
                .for_transaction(report.transaction_id.clone());
            let now = self.clock.now();
            events.push(self.outbound.acquirer_cancel(current, &cancel, now, now));
            details.push_str("; compensating cancel queued");
        }
        self.note(
            current,
            AuditAction::WebhookRejected,
            origin,
            details,
            events,
        )
        .await?;
        Ok(WebhookError::Conflict(format!(
            "the payment is {} and cannot become {reported}",
            current.status
        )))
    }
}
