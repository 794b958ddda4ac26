//! Structured logs with tracing: pretty for people, JSON for machines.
//!
//! Every line logged while an HTTP request is served runs inside its `request` span, which
//! carries `request_id` (adapters-http's `RequestSpan`): JSON lines have it under `span`, pretty
//! lines start with `request:` and end with `request_id="…"`.

use std::io::IsTerminal;

use tracing::{
    Event, Subscriber,
    field::{Field, Visit},
};
use tracing_subscriber::{
    EnvFilter, Layer, fmt, fmt::MakeWriter, layer::Context, prelude::*, registry::LookupSpan,
};

use crate::settings::{LogFormat, LogSettings};

/// Installs the global subscriber once; later calls (tests) are no-ops. `RUST_LOG` wins over
/// the configured level. Logs go to stdout; colours only when stdout is a terminal.
pub fn init(log: &LogSettings) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&log.level));
    let ansi = std::io::stdout().is_terminal();
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(UnparsableRequests)
        .with(layer(log.format, std::io::stdout, ansi))
        .try_init();
}

/// The formatting layer of `format`, writing to `writer`, with ANSI colours only if `ansi`.
pub fn layer<S, W>(format: LogFormat, writer: W, ansi: bool) -> Box<dyn Layer<S> + Send + Sync>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    match format {
        // `span` holds the fields of the innermost span: the request span, with `request_id`.
        LogFormat::Json => fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_writer(writer)
            .boxed(),
        LogFormat::Pretty => fmt::layer()
            .compact()
            .with_ansi(ansi)
            .with_writer(writer)
            .boxed(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// A writer into a shared buffer.
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'w> MakeWriter<'w> for Buffer {
        type Writer = Self;
        fn make_writer(&'w self) -> Self::Writer {
            self.clone()
        }
    }

    /// What `format` prints for a warning logged inside a request span.
    fn logged(format: LogFormat, ansi: bool) -> String {
        let buffer = Buffer::default();
        let subscriber = tracing_subscriber::registry().with(layer(format, buffer.clone(), ansi));
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::error_span!("request", request_id = "req-42");
            span.in_scope(|| tracing::warn!(latency_ms = 1.5, "inside the handler"));
        });
        String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn a_json_line_logged_inside_a_request_carries_its_request_id_as_a_span_field() {
        let out = logged(LogFormat::Json, false);
        let line: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
        assert_eq!(line["span"]["request_id"], "req-42", "{out}");
        assert_eq!(line["level"], "WARN");
        assert_eq!(line["message"], "inside the handler");
    }

    #[test]
    fn a_pretty_line_shows_the_request_id_and_has_no_colour_codes_off_a_terminal() {
        let out = logged(LogFormat::Pretty, false);
        assert!(
            out.contains(" request: ") && out.contains(r#"request_id="req-42""#),
            "{out}"
        );
        assert!(out.contains("latency_ms=1.5"), "{out}");
        assert!(!out.contains('\u{1b}'), "ANSI escape in {out:?}");
    }

    #[test]
    fn a_pretty_line_on_a_terminal_is_coloured() {
        assert!(logged(LogFormat::Pretty, true).contains('\u{1b}'));
    }
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
mod unparsable_request_tests {
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
