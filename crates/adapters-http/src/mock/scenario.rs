//! The deterministic outcomes of the built-in mock acquirer (api.md §6), chosen by the last
//! three digits of the amount.

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Scenario {
    /// `…001`: FAILED with `CARD_DECLINED`.
    Decline,
    /// `…002`: accepted, but no webhook is ever sent.
    LostWebhook,
    /// `…003`: APPROVED, webhook delivered twice.
    DuplicateWebhook,
    /// `…004`: APPROVED after `slow_delay_ms`.
    Slow,
    /// `…005`: the request answers 503 twice, then is accepted.
    UnavailableTwice,
    /// `…006`: APPROVED, but the webhook reports `amount + 1`.
    AmountMismatch,
    /// `…007` (our extension): approved normally, but the acquirer refuses to cancel (422), to
    /// exercise `502 ACQUIRER_ERROR`.
    CancelRefused,
    /// `…008`: approved normally; each cancel answers 503 twice, then confirms (api.md §9.5).
    CancelUnavailableTwice,
    /// `…009`: approved normally; each cancel answers only after the slow cancel delay (5 s),
    /// longer than the server's default cancel timeout.
    CancelSlow,
    /// `…011`: approved normally; the settlement file reports its capture as `amount − 1`
    /// (api.md §12.3), for reconciliation's amount mismatch.
    SettledShort,
    /// `…012`: approved normally; the settlement file leaves its capture out, for
    /// reconciliation's missing-at-acquirer line.
    CaptureLeftOut,
    /// Anything else: APPROVED after `delay_ms`.
    Approve,
}

impl Scenario {
    pub fn for_amount(amount: i64) -> Self {
        match amount.rem_euclid(1000) {
            1 => Self::Decline,
            2 => Self::LostWebhook,
            3 => Self::DuplicateWebhook,
            4 => Self::Slow,
            5 => Self::UnavailableTwice,
            6 => Self::AmountMismatch,
            7 => Self::CancelRefused,
            8 => Self::CancelUnavailableTwice,
            9 => Self::CancelSlow,
            11 => Self::SettledShort,
            12 => Self::CaptureLeftOut,
            _ => Self::Approve,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_three_digits_choose_the_scenario() {
        for (amount, scenario) in [
            (15_001, Scenario::Decline),
            (2, Scenario::LostWebhook),
            (1_003, Scenario::DuplicateWebhook),
            (10_004, Scenario::Slow),
            (5, Scenario::UnavailableTwice),
            (999_006, Scenario::AmountMismatch),
            (7, Scenario::CancelRefused),
            (15_008, Scenario::CancelUnavailableTwice),
            (15_009, Scenario::CancelSlow),
            (15_000, Scenario::Approve),
            (15_011, Scenario::SettledShort),
            (15_012, Scenario::CaptureLeftOut),
            (11_010, Scenario::Approve),
            (11_013, Scenario::Approve),
        ] {
            assert_eq!(Scenario::for_amount(amount), scenario, "{amount}");
        }
    }
}
