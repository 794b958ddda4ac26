//! Structured logs with tracing: pretty for people, JSON for machines.

use tracing::{
    Event, Subscriber,
    field::{Field, Visit},
};
use tracing_subscriber::{EnvFilter, Layer, fmt, layer::Context, prelude::*};

use crate::settings::{LogFormat, LogSettings};

/// Installs the global subscriber once; later calls (tests) are no-ops. `RUST_LOG` wins over
/// the configured level.
pub fn init(log: &LogSettings) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&log.level));
    let registry = tracing_subscriber::registry()
        .with(filter)
        .with(UnparsableRequests);
    let _ = match log.format {
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(false),
            )
            .try_init(),
        LogFormat::Pretty => registry.with(fmt::layer().compact()).try_init(),
    };
}

/// actix-http's HTTP/1 parser refuses a malformed request head (e.g. a control character in a
/// header value) with a bare `400` before any of our code runs, and logs
/// `stream error: request parse error: …` at ERROR. Any client can send such a request, so
/// that line is no error of ours: this layer drops it and logs a WARN line of our own instead
/// (target `simplepg::http`, without any byte the client sent). Other errors of actix-http
/// stay as they are.
///
/// The WARN line is emitted while the dropped event is being dispatched; tracing allows that
/// for a global subscriber (the server installs one) and suppresses it under a scoped one.
struct UnparsableRequests;

const ACTIX_DISPATCHER: &str = "actix_http::h1::dispatcher";
const PARSE_ERROR: &str = "stream error: request parse error";

impl<S: Subscriber> Layer<S> for UnparsableRequests {
    fn event_enabled(&self, event: &Event<'_>, _: Context<'_, S>) -> bool {
        let meta = event.metadata();
        if meta.target() != ACTIX_DISPATCHER || *meta.level() != tracing::Level::ERROR {
            return true;
        }
        let mut message = Message(None);
        event.record(&mut message);
        let Some(reason) = message
            .0
            .as_deref()
            .and_then(|m| m.strip_prefix(PARSE_ERROR))
        else {
            return true;
        };
        // actix-http's reasons are fixed texts ("invalid Header provided", …), never request
        // bytes.
        tracing::warn!(
            target: "simplepg::http",
            status = 400,
            reason = reason.trim_start_matches(':').trim(),
            "request refused by the HTTP parser before routing (bare 400, see docs/api.md)"
        );
        false
    }
}

/// The `message` field of an event, formatted.
struct Message(Option<String>);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = Some(format!("{value:?}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tracing_subscriber::layer::SubscriberExt;

    use super::*;

    /// Records `(level, target, message)` of every event that reaches it.
    #[derive(Clone, Default)]
    struct Seen(Arc<Mutex<Vec<(tracing::Level, String, String)>>>);

    impl<S: Subscriber> Layer<S> for Seen {
        fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
            let mut message = Message(None);
            event.record(&mut message);
            self.0.lock().unwrap().push((
                *event.metadata().level(),
                event.metadata().target().to_owned(),
                message.0.unwrap_or_default(),
            ));
        }
    }

    fn seen_after(emit: impl FnOnce()) -> Vec<(tracing::Level, String, String)> {
        let seen = Seen::default();
        let subscriber = tracing_subscriber::registry()
            .with(UnparsableRequests)
            .with(seen.clone());
        tracing::subscriber::with_default(subscriber, emit);
        seen.0.lock().unwrap().clone()
    }

    /// The WARN line replacing it is emitted from inside the dispatch of the dropped event,
    /// which tracing only allows for the global subscriber (the server's): under this test's
    /// scoped one it is suppressed, so the resilience test `hostile.rs` checks it in the real
    /// binary's log.
    #[test]
    fn actix_https_parse_error_is_not_logged_as_an_error() {
        let events = seen_after(|| {
            tracing::error!(
                target: "actix_http::h1::dispatcher",
                "stream error: {}",
                "request parse error: invalid Header provided"
            );
        });
        assert!(
            events
                .iter()
                .all(|(level, _, _)| *level != tracing::Level::ERROR),
            "{events:?}"
        );
    }

    #[test]
    fn other_errors_of_actix_http_and_of_anyone_else_stay_errors() {
        let events = seen_after(|| {
            tracing::error!(target: "actix_http::h1::dispatcher", "stream error: {}", "I/O error");
            tracing::error!(target: "simplepg", "stream error: request parse error: x");
        });
        assert_eq!(events.len(), 2, "{events:?}");
        assert!(events.iter().all(|(l, _, _)| *l == tracing::Level::ERROR));
    }
}
