//! The audit trail (`payment_log`): one row per transition, plus notes that change nothing.

use std::fmt;

use super::PaymentStatus;
use crate::named_enum::named_enum;
use crate::{Timestamp, ids::RequestId, payment::TransitionKind};

/// What an audit row records.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum AuditAction {
    Create,
    Transition(TransitionKind),
    /// An acquirer webhook repeated an outcome already applied.
    WebhookDuplicate,
    /// An acquirer webhook was refused (amount mismatch, not READY, ...).
    WebhookRejected,
    /// One attempt to reach the acquirer failed.
    AcquirerRequestFailed,
    /// A cancel was reserved (PENDING) before the acquirer is asked (api.md §9.2). Not a
    /// transition, but a versioned change: it takes the payment's next version.
    CancelRequested,
    /// A PENDING cancel ended FAILED (refused, or given up on); its amount is released. Versioned,
    /// not a transition.
    CancelFailed,
}

impl AuditAction {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Create => "CREATE",
            Self::Transition(TransitionKind::Approve) => "APPROVE",
            Self::Transition(TransitionKind::Fail) => "FAIL",
            Self::Transition(TransitionKind::Complete) => "COMPLETE",
            Self::Transition(TransitionKind::Cancel) => "CANCEL",
            Self::Transition(TransitionKind::PartialCancel) => "PARTIAL_CANCEL",
            Self::Transition(TransitionKind::Expire) => "EXPIRE",
            Self::Transition(TransitionKind::ExpireAuthorization) => "EXPIRE_AUTHORIZATION",
            Self::WebhookDuplicate => "WEBHOOK_DUPLICATE",
            Self::WebhookRejected => "WEBHOOK_REJECTED",
            Self::AcquirerRequestFailed => "ACQUIRER_REQUEST_FAILED",
            Self::CancelRequested => "CANCEL_REQUESTED",
            Self::CancelFailed => "CANCEL_FAILED",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        TransitionKind::ALL
            .into_iter()
            .map(Self::Transition)
            .chain([
                Self::Create,
                Self::WebhookDuplicate,
                Self::WebhookRejected,
                Self::AcquirerRequestFailed,
                Self::CancelRequested,
                Self::CancelFailed,
            ])
            .find(|a| a.as_str() == raw)
    }

    /// Whether a row of this action takes a version of the payment (a transition, or a change
    /// of its cancels that is not one): such rows are unique per `(payment, from_version)`.
    pub const fn is_versioned(self) -> bool {
        match self {
            Self::Transition(_) | Self::CancelRequested | Self::CancelFailed => true,
            Self::Create
            | Self::WebhookDuplicate
            | Self::WebhookRejected
            | Self::AcquirerRequestFailed => false,
        }
    }
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

named_enum! {
    /// Who caused an audit row.
    pub enum Actor {
        Merchant = "MERCHANT",
        Acquirer = "ACQUIRER",
        System = "SYSTEM",
        Admin = "ADMIN",
    }
    parse -> Option;
}

/// One audit row as written.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct AuditRecord {
    pub action: AuditAction,
    pub from_status: Option<PaymentStatus>,
    pub status: PaymentStatus,
    pub actor: Actor,
    pub details: Option<String>,
    pub request_id: Option<RequestId>,
    pub at: Timestamp,
    /// For transitions: the payment version the change was decided on. Storage keeps
    /// `(payment, from_version)` unique, so no version can be left twice.
    pub from_version: Option<u32>,
}

/// An audit row that changes nothing (a note such as `WEBHOOK_DUPLICATE`). It has no statuses of
/// its own: storage records the payment's status at the moment the note is written, in the same
/// statement, so a note can never contradict the transition rows around it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct AuditNote {
    pub action: AuditAction,
    pub actor: Actor,
    pub details: Option<String>,
    pub request_id: Option<RequestId>,
    pub at: Timestamp,
}

/// One audit row as read back, with its storage-assigned id.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct AuditEntry {
    pub log_id: u64,
    pub record: AuditRecord,
}
