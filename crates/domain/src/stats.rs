//! Payment statistics for operators (api.md §8 `GET /admin/api/stats`): counts and amounts per
//! status, the approval rate, per UTC day and per merchant. The values only: storage answers
//! them through [`crate::ports::OperatorReads`], and [`crate::operator::stats`] serves them.
//!
//! Storage only groups and sums ([`StatsBreakdown`]); what the numbers mean — which payments
//! count as approved, which as decided, the rate — is decided here.

use crate::{Timestamp, ids::ClientId, money::Currency, payment::PaymentStatus};

/// Which payments the statistics cover: created in `[from, to)` (either bound optional), of one
/// merchant or of all.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct StatsFilter {
    pub client_id: Option<ClientId>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
}

/// One group of payments as storage counts them: same status, same currency, and either all
/// approved at some point (`approved_at` set) or none.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct StatsCell {
    pub status: PaymentStatus,
    /// The acquirer approved these payments at some point (they may be COMPLETED or CANCELED
    /// since).
    pub was_approved: bool,
    pub currency: Currency,
    pub count: u64,
    /// Sum of the amounts, in the currency's minor units.
    pub amount: i64,
    /// Sum of the canceled amounts (the SUCCEEDED cancels), in minor units.
    pub canceled: i64,
}

/// What [`crate::ports::PaymentStore::stats`] returns: the same cells three times, overall, per
/// UTC day of creation and per merchant.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct StatsBreakdown {
    pub overall: Vec<StatsCell>,
    pub by_day: Vec<(time::Date, StatsCell)>,
    pub by_merchant: Vec<(ClientId, StatsCell)>,
}

/// Count and amounts (one sum per currency: amounts in different currencies never add up) of the
/// payments in one status.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct StatusFigures {
    pub count: u64,
    /// `(currency, sum of amounts)`, sorted by currency code.
    pub amounts: Vec<(Currency, i64)>,
}

/// The money the acquirer moved for one currency (api.md §9.7): what it approved, what was
/// canceled of it since, and the net.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct MoneyFigures {
    /// Sum of the amounts of the payments the acquirer approved (`approvedAt` set).
    pub approved: i64,
    /// Sum of the SUCCEEDED cancels of those payments, whole or partial.
    pub canceled: i64,
    /// The part of `canceled` that belongs to payments still PARTIAL_CANCELED.
    pub partially_canceled: i64,
}

impl MoneyFigures {
    /// `approved − canceled`: what the merchant keeps.
    pub fn net(&self) -> i64 {
        self.approved.saturating_sub(self.canceled)
    }
}

/// The figures of one group of payments (all, one day or one merchant).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Figures {
    pub count: u64,
    /// Every status, in [`PaymentStatus::ALL`] order, zero when absent.
    pub by_status: Vec<(PaymentStatus, StatusFigures)>,
    /// Payments the acquirer approved: APPROVED, COMPLETED, and CANCELED after an approval.
    pub approved: u64,
    /// Payments the acquirer decided: the approved ones plus FAILED. READY, EXPIRED and those
    /// canceled before any decision are not decided.
    pub decided: u64,
    /// The money of the approved payments, per currency, sorted by currency code (a currency
    /// appears once an approved payment has it).
    pub money: Vec<(Currency, MoneyFigures)>,
}

impl Figures {
    fn empty() -> Self {
        Self {
            count: 0,
            by_status: PaymentStatus::ALL
                .into_iter()
                .map(|s| (s, StatusFigures::default()))
                .collect(),
            approved: 0,
            decided: 0,
            money: Vec::new(),
        }
    }

    fn add(&mut self, cell: &StatsCell) {
        self.count += cell.count;
        if cell.was_approved {
            self.approved += cell.count;
            self.decided += cell.count;
            let money = per_currency(&mut self.money, cell.currency);
            money.approved = money.approved.saturating_add(cell.amount);
            money.canceled = money.canceled.saturating_add(cell.canceled);
            if cell.status == PaymentStatus::PartialCanceled {
                money.partially_canceled = money.partially_canceled.saturating_add(cell.canceled);
            }
        } else if cell.status == PaymentStatus::Failed {
            self.decided += cell.count;
        }
        if let Some((_, figures)) = self.by_status.iter_mut().find(|(s, _)| *s == cell.status) {
            figures.count += cell.count;
            let sum = per_currency(&mut figures.amounts, cell.currency);
            *sum = sum.saturating_add(cell.amount);
        }
    }

    fn of<'a>(cells: impl IntoIterator<Item = &'a StatsCell>) -> Self {
        let mut f = Self::empty();
        for cell in cells {
            f.add(cell);
        }
        f
    }

    /// `approved / decided`, between 0 and 1; `None` while nothing was decided.
    pub fn approval_rate(&self) -> Option<f64> {
        (self.decided > 0).then(|| self.approved as f64 / self.decided as f64)
    }

    pub fn status(&self, status: PaymentStatus) -> &StatusFigures {
        // `by_status` holds every status (built by `empty`), so the fallback is never used.
        static NONE: StatusFigures = StatusFigures {
            count: 0,
            amounts: Vec::new(),
        };
        self.by_status
            .iter()
            .find(|(s, _)| *s == status)
            .map_or(&NONE, |(_, f)| f)
    }
}

/// The value of `currency` in a list kept sorted by currency code, added (as the default) when
/// absent.
fn per_currency<V: Default>(list: &mut Vec<(Currency, V)>, currency: Currency) -> &mut V {
    let at = match list.binary_search_by(|(c, _)| c.as_str().cmp(currency.as_str())) {
        Ok(at) => at,
        Err(at) => {
            list.insert(at, (currency, V::default()));
            at
        }
    };
    &mut list[at].1
}

/// Statistics over the payments a [`StatsFilter`] selects.
#[derive(Clone, PartialEq, Debug)]
pub struct PaymentStats {
    pub filter: StatsFilter,
    pub totals: Figures,
    /// Days (UTC, of `created_at`) that have payments, oldest first.
    pub by_day: Vec<(time::Date, Figures)>,
    /// Merchants that have payments, by client id.
    pub by_merchant: Vec<(ClientId, Figures)>,
}

impl PaymentStats {
    pub fn from_breakdown(filter: StatsFilter, breakdown: &StatsBreakdown) -> Self {
        let mut by_day: Vec<(time::Date, Figures)> = Vec::new();
        for (day, cell) in &breakdown.by_day {
            match by_day.iter_mut().find(|(d, _)| d == day) {
                Some((_, f)) => f.add(cell),
                None => by_day.push((*day, Figures::of([cell]))),
            }
        }
        by_day.sort_by_key(|(d, _)| *d);
        let mut by_merchant: Vec<(ClientId, Figures)> = Vec::new();
        for (client, cell) in &breakdown.by_merchant {
            match by_merchant.iter_mut().find(|(c, _)| c == client) {
                Some((_, f)) => f.add(cell),
                None => by_merchant.push((client.clone(), Figures::of([cell]))),
            }
        }
        by_merchant.sort_by(|a, b| a.0.cmp(&b.0));
        Self {
            filter,
            totals: Figures::of(&breakdown.overall),
            by_day,
            by_merchant,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use PaymentStatus as S;

    fn krw() -> Currency {
        Currency::parse("KRW").unwrap()
    }

    fn cell(status: S, was_approved: bool, count: u64, amount: i64) -> StatsCell {
        StatsCell {
            status,
            was_approved,
            currency: krw(),
            count,
            amount,
            canceled: 0,
        }
    }

    fn canceled(mut c: StatsCell, canceled: i64) -> StatsCell {
        c.canceled = canceled;
        c
    }

    #[test]
    fn net_is_approved_minus_every_cancel_of_an_approved_payment() {
        let usd = Currency::parse("USD").unwrap();
        let mut dollars = cell(S::Completed, true, 1, 999);
        dollars.currency = usd;
        let cells = [
            cell(S::Completed, true, 2, 20_000),
            canceled(cell(S::PartialCanceled, true, 1, 10_000), 4_000),
            canceled(cell(S::Canceled, true, 1, 5_000), 5_000),
            // Canceled before any approval: no money moved, nothing to net.
            canceled(cell(S::Canceled, false, 3, 3_000), 3_000),
            cell(S::Ready, false, 5, 5_000),
            dollars,
        ];
        let f = Figures::of(&cells);
        let expected = MoneyFigures {
            approved: 35_000,
            canceled: 9_000,
            partially_canceled: 4_000,
        };
        assert_eq!(
            f.money,
            vec![
                (krw(), expected),
                (
                    usd,
                    MoneyFigures {
                        approved: 999,
                        ..Default::default()
                    }
                )
            ]
        );
        assert_eq!(expected.net(), 26_000);
        assert!(
            Figures::of(&[cell(S::Ready, false, 1, 1)]).money.is_empty(),
            "no approval, no money"
        );
    }

    #[test]
    fn approval_rate_counts_approvals_that_were_later_completed_or_canceled() {
        let cells = [
            cell(S::Approved, true, 2, 20_000),
            cell(S::Completed, true, 1, 10_000),
            cell(S::Canceled, true, 1, 5_000),
            cell(S::Canceled, false, 3, 3_000),
            cell(S::Failed, false, 4, 4_000),
            cell(S::Ready, false, 5, 5_000),
            cell(S::Expired, false, 6, 6_000),
        ];
        let f = Figures::of(&cells);
        assert_eq!(f.count, 22);
        assert_eq!(f.approved, 4);
        assert_eq!(f.decided, 8);
        assert_eq!(f.approval_rate(), Some(0.5));
        assert_eq!(f.status(S::Canceled).count, 4);
        assert_eq!(f.status(S::Canceled).amounts, vec![(krw(), 8_000)]);
    }

    #[test]
    fn nothing_decided_has_no_rate_and_every_status_is_listed() {
        let f = Figures::of(&[cell(S::Ready, false, 1, 100)]);
        assert_eq!(f.approval_rate(), None);
        assert_eq!(f.by_status.len(), S::ALL.len());
        assert_eq!(f.status(S::Expired), &StatusFigures::default());
    }

    #[test]
    fn amounts_in_different_currencies_are_kept_apart() {
        let usd = Currency::parse("USD").unwrap();
        let mut dollars = cell(S::Approved, true, 1, 999);
        dollars.currency = usd;
        let f = Figures::of(&[dollars, cell(S::Approved, true, 2, 30_000)]);
        assert_eq!(f.status(S::Approved).count, 3);
        assert_eq!(
            f.status(S::Approved).amounts,
            vec![(krw(), 30_000), (usd, 999)]
        );
    }

    #[test]
    fn days_and_merchants_are_grouped_and_sorted() {
        let d1 = time::macros::date!(2026 - 11 - 24);
        let d2 = time::macros::date!(2026 - 11 - 25);
        let a = ClientId::parse("mch_a").unwrap();
        let b = ClientId::parse("mch_b").unwrap();
        let breakdown = StatsBreakdown {
            overall: vec![cell(S::Approved, true, 3, 3), cell(S::Failed, false, 1, 1)],
            by_day: vec![
                (d2, cell(S::Failed, false, 1, 1)),
                (d1, cell(S::Approved, true, 2, 2)),
                (d2, cell(S::Approved, true, 1, 1)),
            ],
            by_merchant: vec![
                (b, cell(S::Failed, false, 1, 1)),
                (a.clone(), cell(S::Approved, true, 3, 3)),
            ],
        };
        let stats = PaymentStats::from_breakdown(StatsFilter::default(), &breakdown);
        assert_eq!(stats.totals.approval_rate(), Some(0.75));
        let days: Vec<_> = stats
            .by_day
            .iter()
            .map(|(d, f)| (*d, f.count, f.approval_rate()))
            .collect();
        assert_eq!(days, vec![(d1, 2, Some(1.0)), (d2, 2, Some(0.5))]);
        assert_eq!(stats.by_merchant[0].0, a);
        assert_eq!(stats.by_merchant[1].1.approval_rate(), Some(0.0));
    }
}
