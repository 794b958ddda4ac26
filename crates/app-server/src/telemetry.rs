//! Structured logs with tracing: pretty for people, JSON for machines.
//!
//! Every line logged while an HTTP request is served runs inside its `request` span, which
//! carries `request_id` (adapters-http's `RequestSpan`): JSON lines have it under `span`, pretty
//! lines start with `request:` and end with `request_id="…"`.

use std::io::IsTerminal;

use tracing::Subscriber;
use tracing_subscriber::{
    EnvFilter, Layer, fmt, fmt::MakeWriter, prelude::*, registry::LookupSpan,
};

use crate::settings::{LogFormat, LogSettings};

/// Installs the global subscriber once; later calls (tests) are no-ops. `RUST_LOG` wins over
/// the configured level. Logs go to stdout; colours only when stdout is a terminal.
pub fn init(log: &LogSettings) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&log.level));
    let ansi = std::io::stdout().is_terminal();
    let _ = tracing_subscriber::registry()
        .with(filter)
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
