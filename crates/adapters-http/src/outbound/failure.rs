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

/// The first error of type `T` in the chain, looking inside `io::Error`s too (whose `source()`
/// skips the error they wrap).
fn find<'e, T: Error + 'static>(e: &'e (dyn Error + 'static)) -> Option<&'e T> {
    let mut current = Some(e);
    while let Some(err) = current {
        if let Some(found) = err.downcast_ref::<T>() {
            return Some(found);
        }
        if let Some(found) = err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|inner| inner.downcast_ref::<T>())
        {
            return Some(found);
        }
        current = err.source();
    }
    None
}

fn root_cause(e: &(dyn Error + 'static)) -> String {
    let mut current = e;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}
