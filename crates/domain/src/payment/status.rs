//! Payment status and the complete transition table of api.md §3 and §9.1.

use crate::named_enum::named_enum;

named_enum! {
    pub enum PaymentStatus {
        Ready = "READY",
        Approved = "APPROVED",
        Completed = "COMPLETED",
        /// At least one cancel succeeded and something is left (api.md §9.1).
        PartialCanceled = "PARTIAL_CANCELED",
        Failed = "FAILED",
        Canceled = "CANCELED",
        Expired = "EXPIRED",
    }
    parse -> Invalid;
}

impl PaymentStatus {
    /// FAILED, CANCELED and EXPIRED never change again.
    pub const fn is_final(self) -> bool {
        match self {
            Self::Failed | Self::Canceled | Self::Expired => true,
            Self::Ready | Self::Approved | Self::Completed | Self::PartialCanceled => false,
        }
    }
}

/// The kinds of state change (the `action` of a transition audit row).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum TransitionKind {
    Approve,
    Fail,
    Complete,
    /// The payment is canceled as a whole: READY canceled locally, or the cancel the acquirer
    /// confirmed left nothing.
    Cancel,
    /// A cancel the acquirer confirmed left something: the payment is (stays) PARTIAL_CANCELED.
    PartialCancel,
    Expire,
    /// An APPROVED payment not completed in time is voided by the server (api.md §9.4).
    ExpireAuthorization,
}

impl TransitionKind {
    pub const ALL: [Self; 7] = [
        Self::Approve,
        Self::Fail,
        Self::Complete,
        Self::Cancel,
        Self::PartialCancel,
        Self::Expire,
        Self::ExpireAuthorization,
    ];

    /// The whole lifecycle in one exhaustive match (no `_` arm): adding a status or a kind
    /// fails to compile until someone decides what it means.
    pub const fn target(self, from: PaymentStatus) -> Option<PaymentStatus> {
        use PaymentStatus as S;
        match (self, from) {
            (Self::Approve, S::Ready) => Some(S::Approved),
            (Self::Fail, S::Ready) => Some(S::Failed),
            (Self::Complete, S::Approved) => Some(S::Completed),
            (Self::Cancel, S::Ready | S::Approved | S::Completed | S::PartialCanceled) => {
                Some(S::Canceled)
            }
            (Self::PartialCancel, S::Completed | S::PartialCanceled) => Some(S::PartialCanceled),
            (Self::Expire, S::Ready) => Some(S::Expired),
            (Self::ExpireAuthorization, S::Approved) => Some(S::Canceled),
            (
                Self::Approve | Self::Fail | Self::Expire,
                S::Approved
                | S::Completed
                | S::PartialCanceled
                | S::Failed
                | S::Canceled
                | S::Expired,
            )
            | (
                Self::Complete,
                S::Ready | S::Completed | S::PartialCanceled | S::Failed | S::Canceled | S::Expired,
            )
            | (Self::Cancel, S::Failed | S::Canceled | S::Expired)
            | (
                Self::PartialCancel,
                S::Ready | S::Approved | S::Failed | S::Canceled | S::Expired,
            )
            | (
                Self::ExpireAuthorization,
                S::Ready | S::Completed | S::PartialCanceled | S::Failed | S::Canceled | S::Expired,
            ) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{PaymentStatus as S, TransitionKind as K};

    #[test]
    fn the_transition_table_is_exactly_the_documented_one() {
        let allowed = [
            (K::Approve, S::Ready, S::Approved),
            (K::Fail, S::Ready, S::Failed),
            (K::Complete, S::Approved, S::Completed),
            (K::Cancel, S::Ready, S::Canceled),
            (K::Cancel, S::Approved, S::Canceled),
            (K::Cancel, S::Completed, S::Canceled),
            (K::Cancel, S::PartialCanceled, S::Canceled),
            (K::PartialCancel, S::Completed, S::PartialCanceled),
            (K::PartialCancel, S::PartialCanceled, S::PartialCanceled),
            (K::Expire, S::Ready, S::Expired),
            (K::ExpireAuthorization, S::Approved, S::Canceled),
        ];
        for kind in K::ALL {
            for from in S::ALL {
                let expected = allowed
                    .iter()
                    .find(|(k, f, _)| *k == kind && *f == from)
                    .map(|(_, _, to)| *to);
                assert_eq!(kind.target(from), expected, "{kind:?} from {from:?}");
            }
        }
    }

    #[test]
    fn final_states_have_no_way_out() {
        for from in S::ALL.into_iter().filter(|s| s.is_final()) {
            for kind in K::ALL {
                assert_eq!(kind.target(from), None);
            }
        }
    }

    #[test]
    fn statuses_round_trip_through_their_names() {
        for s in S::ALL {
            assert_eq!(S::parse(s.as_str()).unwrap(), s);
        }
        assert!(S::parse("ready").is_err());
    }
}
