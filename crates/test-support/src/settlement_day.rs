//! A past settlement day written straight into MariaDB, for the settlement benchmark
//! (`simplepg-bench --workload settle`) and the test of a settlement run killed mid-way.
//!
//! [`SeededDay`] yields multi-row `INSERT` statements — seeding is not what is measured, so it
//! bypasses HTTP — for:
//! - `merchants` merchants (no `returnUrl`), each with its own fee rate;
//! - `payments` COMPLETED payments spread evenly over the day, dealt to the merchants in turn;
//! - one payment of each merchant in `cancel_every` canceled in part (a third of its amount):
//!   PARTIAL_CANCELED, with a SUCCEEDED cancel later the same day, so cancel lines are made too;
//! - each payment's audit trail as the server writes it (CREATE, APPROVE, COMPLETE, and
//!   CANCEL_REQUESTED then PARTIAL_CANCEL), so `simplepg check` finds nothing wrong with them.
//!
//! [`SeededDay::expected`] gives what the day's batches must come to, computed here with the
//! fee rule of docs/settlement.md (`(amount × bps + 5000) / 10000`, per line), not by the code
//! under test.
//!
//! The day is a calendar day in Asia/Seoul (UTC+9 all year), the default `settlement.timezone`.

use std::{
    fmt::Write as _,
    sync::atomic::{AtomicU64, Ordering},
};

use time::{Date, Duration, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset, macros::offset};

/// The settlement time zone the day is a calendar day of: Asia/Seoul, which has no daylight
/// saving time.
const SEOUL: UtcOffset = offset!(+9);

/// The seeded merchants' fee rates in basis points, dealt in turn (0 and odd rates exercise the
/// half-up rounding).
const FEE_RATES_BPS: [i64; 10] = [250, 300, 330, 199, 0, 275, 125, 350, 410, 55];

/// Payments per `INSERT` (their audit rows and cancels go in one `INSERT` each per chunk).
const CHUNK: usize = 1_000;

/// The date in Seoul `days` days before today.
pub fn seoul_date_days_ago(days: i64) -> Date {
    (OffsetDateTime::now_utc() - Duration::days(days))
        .to_offset(SEOUL)
        .date()
}

/// [`seoul_date_days_ago`] as the API writes a settlement date, `YYYY-MM-DD`.
pub fn seoul_date(days_ago: i64) -> String {
    let d = seoul_date_days_ago(days_ago);
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// What one merchant's batch of the day must hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpectedBatch {
    pub client_id: String,
    pub gross: i64,
    pub fees: i64,
    pub net: i64,
    /// Lines: one per capture and one per cancel.
    pub lines: i64,
}

/// One day of payments of several merchants; see the module documentation.
#[derive(Clone, Debug)]
pub struct SeededDay {
    pub date: Date,
    pub merchants: usize,
    pub payments: usize,
    /// One payment of each merchant in this many is canceled in part (0: none).
    pub cancel_every: usize,
    /// Makes every id of this seed unique, so two seeds never collide.
    tag: u64,
    /// The tag of the merchants' ids: this seed's, or the seed whose merchants it shares.
    merchant_tag: u64,
    /// Whether [`Self::statements`] inserts the merchants (not when they are another seed's).
    inserts_merchants: bool,
}

/// One seeded payment (times in UTC).
struct Seed {
    merchant: usize,
    amount: i64,
    /// When it was completed; created 90 s and approved 60 s before.
    completed: PrimitiveDateTime,
    /// The partial cancel: its amount, when it was requested and when it succeeded.
    cancel: Option<(i64, PrimitiveDateTime, PrimitiveDateTime)>,
}

impl SeededDay {
    /// `payments` payments of `merchants` merchants on `date` (Seoul), one in `cancel_every` of
    /// each merchant's canceled in part.
    ///
    /// # Panics
    /// When `merchants` is 0.
    pub fn new(date: Date, merchants: usize, payments: usize, cancel_every: usize) -> Self {
        assert!(merchants > 0, "a seeded day needs a merchant");
        let tag = Self::new_tag();
        Self {
            date,
            merchants,
            payments,
            cancel_every,
            tag,
            merchant_tag: tag,
            inserts_merchants: true,
        }
    }

    /// The same payments of the same merchants on `date` (the merchants are this seed's: seed
    /// them with this one's statements first).
    pub fn another_day(&self, date: Date) -> Self {
        Self {
            date,
            tag: Self::new_tag(),
            inserts_merchants: false,
            ..self.clone()
        }
    }

    fn new_tag() -> u64 {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        // The clock, the process id and a count of the seeds made: distinct for every seed.
        static SEEDS: AtomicU64 = AtomicU64::new(0);
        (nanos as u64)
            ^ (u64::from(std::process::id()) << 40)
            ^ (SEEDS.fetch_add(1, Ordering::Relaxed) << 20)
    }

    /// `YYYY-MM-DD`, as `simplepg settle --date` takes it.
    pub fn date_string(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}",
            self.date.year(),
            u8::from(self.date.month()),
            self.date.day()
        )
    }

    /// The day's first instant and the next day's, in UTC.
    pub fn bounds(&self) -> (PrimitiveDateTime, PrimitiveDateTime) {
        let start = PrimitiveDateTime::new(self.date, Time::MIDNIGHT)
            .assume_offset(SEOUL)
            .to_offset(UtcOffset::UTC);
        let start = PrimitiveDateTime::new(start.date(), start.time());
        (start, start + Duration::days(1))
    }

    /// The client id of merchant `m`.
    pub fn client_id(&self, m: usize) -> String {
        format!("mch_stl{:016x}_{m:03}", self.merchant_tag)
    }

    fn fee_rate_bps(m: usize) -> i64 {
        FEE_RATES_BPS[m % FEE_RATES_BPS.len()]
    }

    fn is_canceled(&self, i: usize) -> bool {
        self.cancel_every > 0 && (i / self.merchants) % self.cancel_every == 1
    }

    /// How many payments are canceled in part (each makes a cancel line).
    pub fn cancels(&self) -> usize {
        (0..self.payments).filter(|&i| self.is_canceled(i)).count()
    }

    /// The lines the day's batches hold: one per payment and one per cancel.
    pub fn movements(&self) -> usize {
        self.payments + self.cancels()
    }

    fn seed(&self, i: usize) -> Seed {
        let (start, end) = self.bounds();
        let day_us = (end - start).whole_microseconds() as i64;
        let slot = day_us / self.payments.max(1) as i64;
        let completed = start + Duration::microseconds(i as i64 * slot + slot / 2);
        let amount = 1_000 + (i as i64 * 7_919 + 13) % 299_001;
        let cancel = self.is_canceled(i).then(|| {
            // Later the same day: a third and two thirds of the way to its end.
            let left = (end - completed).whole_microseconds() as i64;
            (
                amount / 3,
                completed + Duration::microseconds(left / 3),
                completed + Duration::microseconds(2 * left / 3),
            )
        });
        Seed {
            merchant: i % self.merchants,
            amount,
            completed,
            cancel,
        }
    }

    /// A UUID-shaped payment id, unique per seed and payment, sorting by creation time.
    fn payment_id(&self, i: usize, created: PrimitiveDateTime) -> String {
        let ms = (created.assume_utc().unix_timestamp_nanos() / 1_000_000) as u64;
        format!(
            "{:08x}-{:04x}-7{:03x}-{:04x}-{:012x}",
            ms >> 16,
            ms & 0xffff,
            self.tag & 0xfff,
            0x8000 | ((self.tag >> 12) & 0x3fff),
            i
        )
    }

    /// Every statement of the seed, in order (merchants, then per chunk of payments: the
    /// payments, their audit rows, their cancels). Made lazily: a large day is never held whole.
    pub fn statements(&self) -> impl Iterator<Item = String> + '_ {
        self.inserts_merchants
            .then(|| self.merchants_insert())
            .into_iter()
            .chain(
                (0..self.payments)
                    .step_by(CHUNK)
                    .flat_map(move |from| self.chunk(from, (from + CHUNK).min(self.payments))),
            )
    }

    fn merchants_insert(&self) -> String {
        let (start, _) = self.bounds();
        let at = sql_time(start - Duration::days(30));
        let mut sql = String::from(
            "INSERT INTO api_credential (client_id, client_name, client_secret, \
             client_secret_key_version, webhook_secret, webhook_secret_key_version, status, \
             created_at, updated_at, fee_rate_bps, settlement_delay_days) VALUES ",
        );
        for m in 0..self.merchants {
            if m > 0 {
                sql.push(',');
            }
            let _ = write!(
                sql,
                "('{}', 'Settlement shop {m}', x'00', 1, x'00', 1, 'ACTIVE', {at}, {at}, {}, {})",
                self.client_id(m),
                Self::fee_rate_bps(m),
                1 + m % 3
            );
        }
        sql
    }

    /// The statements of payments `from..to`.
    fn chunk(&self, from: usize, to: usize) -> Vec<String> {
        let mut payments = String::from(
            "INSERT INTO payment (payment_id, payment_key, client_id, order_no, amount, currency, \
             method_code, status, transaction_id, version, created_at, updated_at, approved_at, \
             completed_at, expires_at, canceled_amount) VALUES ",
        );
        let mut trail = String::from(
            "INSERT INTO payment_log (payment_id, action, from_status, status, actor, details, \
             from_version, created_at) VALUES ",
        );
        let mut cancels = String::from(
            "INSERT INTO payment_cancel (cancel_id, payment_id, amount, reason, status, \
             acquirer_transaction_id, requested_at, completed_at) VALUES ",
        );
        let mut any_cancel = false;
        for i in from..to {
            let s = self.seed(i);
            let created = s.completed - Duration::seconds(90);
            let approved = s.completed - Duration::seconds(60);
            let id = self.payment_id(i, created);
            let (status, version, canceled, updated) = match s.cancel {
                Some((amount, _, at)) => ("PARTIAL_CANCELED", 4, amount, at),
                None => ("COMPLETED", 2, 0, s.completed),
            };
            let sep = if i > from { "," } else { "" };
            let _ = write!(
                payments,
                "{sep}('{id}', '{:016x}{i:048x}', '{}', 'stl-{:x}-{i}', {}, 'KRW', 'CARD', \
                 '{status}', 'txn-{i}', {version}, {}, {}, {}, {}, {}, {canceled})",
                self.tag,
                self.client_id(s.merchant),
                self.tag,
                s.amount,
                sql_time(created),
                sql_time(updated),
                sql_time(approved),
                sql_time(s.completed),
                sql_time(created + Duration::minutes(30)),
            );
            let _ = write!(
                trail,
                "{sep}('{id}', 'CREATE', NULL, 'READY', 'MERCHANT', 'amount={} KRW', NULL, {}),\
                 ('{id}', 'APPROVE', 'READY', 'APPROVED', 'ACQUIRER', NULL, 0, {}),\
                 ('{id}', 'COMPLETE', 'APPROVED', 'COMPLETED', 'MERCHANT', NULL, 1, {})",
                s.amount,
                sql_time(created),
                sql_time(approved),
                sql_time(s.completed)
            );
            if let Some((amount, requested, succeeded)) = s.cancel {
                let cancel_id = format!("cnl_{:016x}{i:016x}", self.tag);
                let _ = write!(
                    trail,
                    ",('{id}', 'CANCEL_REQUESTED', NULL, 'COMPLETED', 'MERCHANT', \
                      'cancelId={cancel_id} amount={amount} reason=one item returned', 2, {}),\
                     ('{id}', 'PARTIAL_CANCEL', 'COMPLETED', 'PARTIAL_CANCELED', 'MERCHANT', \
                      'cancelId={cancel_id} amount={amount} canceledAmount={amount}', 3, {})",
                    sql_time(requested),
                    sql_time(succeeded)
                );
                let _ = write!(
                    cancels,
                    "{}('{cancel_id}', '{id}', {amount}, 'one item returned', 'SUCCEEDED', \
                     'txn-{i}-c', {}, {})",
                    if any_cancel { "," } else { "" },
                    sql_time(requested),
                    sql_time(succeeded)
                );
                any_cancel = true;
            }
        }
        let mut out = vec![payments, trail];
        if any_cancel {
            out.push(cancels);
        }
        out
    }

    /// What each merchant's batch must hold, by merchant.
    pub fn expected(&self) -> Vec<ExpectedBatch> {
        let fee = |amount: i64, bps: i64| (amount * bps + 5_000) / 10_000;
        let mut batches: Vec<ExpectedBatch> = (0..self.merchants)
            .map(|m| ExpectedBatch {
                client_id: self.client_id(m),
                gross: 0,
                fees: 0,
                net: 0,
                lines: 0,
            })
            .collect();
        for i in 0..self.payments {
            let s = self.seed(i);
            let bps = Self::fee_rate_bps(s.merchant);
            let b = &mut batches[s.merchant];
            b.gross += s.amount;
            b.fees += fee(s.amount, bps);
            b.lines += 1;
            if let Some((amount, _, _)) = s.cancel {
                b.gross -= amount;
                b.fees -= fee(amount, bps);
                b.lines += 1;
            }
        }
        for b in &mut batches {
            b.net = b.gross - b.fees;
        }
        batches
    }
}

/// `'YYYY-MM-DD HH:MM:SS.ffffff'`: a DATETIME(6) literal.
fn sql_time(t: PrimitiveDateTime) -> String {
    format!(
        "'{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:06}'",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_day_is_the_seoul_calendar_day_and_every_movement_falls_inside_it() {
        let day = SeededDay::new(time::macros::date!(2026 - 12 - 06), 3, 1_000, 10);
        let (start, end) = day.bounds();
        assert_eq!(start, time::macros::datetime!(2026-12-05 15:00));
        assert_eq!(end, time::macros::datetime!(2026-12-06 15:00));
        for i in 0..day.payments {
            let s = day.seed(i);
            assert!(start <= s.completed && s.completed < end);
            if let Some((amount, requested, succeeded)) = s.cancel {
                assert!(s.completed < requested && requested < succeeded && succeeded < end);
                assert!(0 < amount && amount < s.amount);
            }
        }
        assert_eq!(day.date_string(), "2026-12-06");
    }

    #[test]
    fn a_tenth_of_each_merchants_payments_is_canceled_and_the_expected_batches_add_up() {
        let day = SeededDay::new(time::macros::date!(2026 - 12 - 06), 10, 10_000, 10);
        assert_eq!(day.cancels(), 1_000);
        let expected = day.expected();
        assert_eq!(expected.len(), 10);
        assert!(expected.iter().all(|b| b.lines == 1_100));
        assert!(expected.iter().all(|b| b.net == b.gross - b.fees));
        // The merchant with a 0 bps rate pays no fee.
        assert_eq!(expected[4].fees, 0);
        assert_eq!(
            expected.iter().map(|b| b.lines).sum::<i64>(),
            day.movements() as i64
        );
    }

    #[test]
    fn statements_come_in_chunks_and_ids_are_unique_per_seed() {
        let day = SeededDay::new(time::macros::date!(2026 - 12 - 06), 2, 2_500, 10);
        // Merchants, then 3 chunks of payments + trail + cancels.
        assert_eq!(day.statements().count(), 1 + 3 * 3);
        let other = SeededDay::new(day.date, 2, 2_500, 10);
        assert_ne!(day.client_id(0), other.client_id(0));
        let (start, _) = day.bounds();
        assert_ne!(day.payment_id(1, start), day.payment_id(2, start));
        assert_ne!(day.payment_id(1, start), other.payment_id(1, start));
    }

    #[test]
    fn another_day_has_the_same_merchants_and_payments_under_new_ids() {
        let day = SeededDay::new(time::macros::date!(2026 - 12 - 06), 2, 2_500, 10);
        let before = day.another_day(time::macros::date!(2026 - 12 - 05));
        assert_eq!(before.client_id(1), day.client_id(1));
        assert_eq!(before.statements().count(), 3 * 3, "no merchants");
        assert_eq!(before.expected(), day.expected());
        let (start, _) = before.bounds();
        assert_ne!(before.payment_id(1, start), day.payment_id(1, start));
    }
}
