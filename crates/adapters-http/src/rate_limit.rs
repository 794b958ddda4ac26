//! Rate limiting (token bucket, GCRA via `governor`): per merchant on the merchant API, and per
//! client address on `POST /auth/login`.
//!
//! Per instance, on purpose: a shared counter would put a database write on every request's hot
//! path. With N instances behind a load balancer a merchant gets up to N × the configured rate;
//! configure `rate_limit.per_second` as the global budget divided by the instance count
//! (docs/adr/0010-rate-limiting.md).

use std::{num::NonZeroU32, time::Duration};

use governor::{DefaultKeyedRateLimiter, Quota, clock::Clock as _};

pub struct RateLimiter {
    limiter: Option<DefaultKeyedRateLimiter<String>>,
}

impl RateLimiter {
    /// `None` when disabled or configured with zeros.
    pub fn new(per_second: u32, burst: u32) -> Self {
        let limiter =
            NonZeroU32::new(per_second)
                .zip(NonZeroU32::new(burst))
                .map(|(rate, burst)| {
                    governor::RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst))
                });
        Self { limiter }
    }

    /// `per_minute` attempts a minute per key, all of them usable at once; `None` (off) for 0.
    pub fn per_minute(per_minute: u32) -> Self {
        let limiter = NonZeroU32::new(per_minute)
            .map(|n| governor::RateLimiter::keyed(Quota::per_minute(n).allow_burst(n)));
        Self { limiter }
    }

    pub fn disabled() -> Self {
        Self { limiter: None }
    }

    /// `Err(wait)` when `client` is over its budget.
    pub fn check(&self, client: &str) -> Result<(), Duration> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        limiter.check_key(&client.to_owned()).map_err(|not_until| {
            let now = governor::clock::DefaultClock::default().now();
            not_until.wait_time_from(now)
        })
    }

    /// Drops state of idle clients (call now and then).
    pub fn shrink(&self) {
        if let Some(l) = &self.limiter {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_over_its_burst_is_told_how_long_to_wait_and_others_are_not_affected() {
        let rl = RateLimiter::new(1, 3);
        for _ in 0..3 {
            assert!(rl.check("a").is_ok());
        }
        let wait = rl.check("a").unwrap_err();
        assert!(wait <= Duration::from_secs(1));
        assert!(rl.check("b").is_ok());
    }

    #[test]
    fn a_per_minute_limiter_lets_its_budget_through_at_once_then_says_how_long_to_wait() {
        let rl = RateLimiter::per_minute(3);
        for _ in 0..3 {
            assert!(rl.check("192.0.2.1").is_ok());
        }
        let wait = rl.check("192.0.2.1").unwrap_err();
        assert!(wait <= Duration::from_secs(20), "{wait:?}");
        assert!(rl.check("192.0.2.2").is_ok());
        assert!(RateLimiter::per_minute(0).check("x").is_ok());
    }

    #[test]
    fn a_disabled_limiter_lets_everything_through() {
        let rl = RateLimiter::new(0, 0);
        for _ in 0..1000 {
            assert!(rl.check("a").is_ok());
        }
    }
}
