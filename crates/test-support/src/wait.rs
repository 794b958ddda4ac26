//! Waiting for what the server does in the background.

use std::{
    future::Future,
    time::{Duration, Instant},
};

/// The usual deadline of a wait for something the server does in the background.
pub const WAIT: Duration = Duration::from_secs(10);

/// Polls `probe` every 50 ms until it returns `Ok`, for at most `timeout`; then fails the test
/// with `what` and the last `Err` (what was seen instead).
///
/// # Panics
/// When `timeout` passes without an `Ok`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    poll(timeout, Duration::from_millis(50), probe)
        .await
        .unwrap_or_else(|seen| {
            panic!("timed out after {timeout:?} waiting for {what}; last seen: {seen}")
        })
}

/// Polls `probe` every `every` until it returns `Ok`, for at most `timeout`; the last `Err`
/// when time runs out.
pub async fn poll<T, E, F, Fut>(timeout: Duration, every: Duration, mut probe: F) -> Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        match probe().await {
            Ok(value) => return Ok(value),
            Err(seen) if Instant::now() >= deadline => return Err(seen),
            Err(_) => tokio::time::sleep(every).await,
        }
    }
}
