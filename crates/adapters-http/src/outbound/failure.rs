//! One line for a failed attempt, recorded in the delivery history and the audit trail:
//! `tls: ...` for a certificate or handshake failure, `blocked: ...` for a destination the
//! policy refuses, `timeout`, `connection failed: ...`.

use std::error::Error;

use super::guard::Blocked;

pub fn describe(e: &reqwest::Error) -> String {
    if let Some(blocked) = find::<Blocked>(e) {
        return blocked.to_string();
    }
    if let Some(tls) = find::<rustls::Error>(e) {
        return format!("tls: {tls}");
    }
    if e.is_timeout() {
        return if e.is_connect() {
            "connect timeout".to_owned()
        } else {
            "timeout".to_owned()
        };
    }
    let root = root_cause(e);
    if e.is_connect() {
        format!("connection failed: {root}")
    } else if e.is_builder() {
        format!("invalid request: {root}")
    } else {
        format!("request failed: {root}")
    }
}

/// The first error of type `T` in the chain.
fn find<'e, T: Error + 'static>(e: &'e (dyn Error + 'static)) -> Option<&'e T> {
    let mut current = Some(e);
    while let Some(err) = current {
        if let Some(found) = err.downcast_ref::<T>() {
            return Some(found);
        }
        current = next(err);
    }
    None
}

/// The next error of the chain. An `io::Error` that wraps an error is followed into it: its
/// `source()` skips the wrapped error (rustls' certificate errors arrive as `io::Error(Other,
/// io::Error(InvalidData, rustls::Error))`).
fn next<'e>(err: &'e (dyn Error + 'static)) -> Option<&'e (dyn Error + 'static)> {
    match err
        .downcast_ref::<std::io::Error>()
        .and_then(|io| io.get_ref())
    {
        Some(inner) => Some(inner),
        None => err.source(),
    }
}

fn root_cause(e: &(dyn Error + 'static)) -> String {
    let mut current = e;
    while let Some(n) = next(current) {
        current = n;
    }
    current.to_string()
}
