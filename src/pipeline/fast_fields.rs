//! [`FastFields`]: the console text format's field formatter. It writes exactly what
//! tracing-subscriber's `DefaultFields` writes (`name="value" n=2`, ANSI off), but plain string
//! values — the common case, and the cost of every span the console shows, since span fields
//! are formatted when the span opens — are copied in one go instead of going through
//! `Debug`'s escaping character by character (benches/span_profile.rs: ~1.4k instructions per
//! string field). Everything else is handed to `DefaultVisitor` itself.

use std::fmt;

use tracing::field::{Field, Visit};
use tracing_subscriber::field::{RecordFields, VisitOutput};
use tracing_subscriber::fmt::format::{DefaultVisitor, Writer};
use tracing_subscriber::fmt::FormatFields;

/// Formats fields as `DefaultFields` does, with a fast path for plain strings and integers.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FastFields;

impl<'writer> FormatFields<'writer> for FastFields {
    fn format_fields<R: RecordFields>(&self, writer: Writer<'writer>, fields: R) -> fmt::Result {
        let mut visitor = FastVisitor {
            writer,
            is_empty: true,
            result: Ok(()),
        };
        fields.record(&mut visitor);
        visitor.result
    }
}

struct FastVisitor<'a> {
    writer: Writer<'a>,
    is_empty: bool,
    result: fmt::Result,
}

/// Whether `Debug` would print `s` as itself between quotes: printable ASCII without `"` or
/// `\`.
fn plain(s: &str) -> bool {
    s.bytes()
        .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
}

/// `n` in decimal (with a `-` when `negative`), written into the end of `buf`.
fn digits(mut n: u64, negative: bool, buf: &mut [u8; 21]) -> &str {
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if negative {
        at -= 1;
        buf[at] = b'-';
    }
    // Only ASCII digits and '-' were written.
    std::str::from_utf8(&buf[at..]).unwrap_or("")
}

impl FastVisitor<'_> {
    /// `DefaultVisitor`'s own handling (message, `r#` names, escaping, errors), with the
    /// separator state carried over.
    fn delegate(&mut self, record: impl FnOnce(&mut DefaultVisitor<'_>)) {
        if self.result.is_err() {
            return;
        }
        let mut inner = DefaultVisitor::new(self.writer.by_ref(), self.is_empty);
        record(&mut inner);
        self.result = inner.finish();
        self.is_empty = false;
    }

    /// ` name=` (the separator unless first), for names `DefaultVisitor` writes as they are.
    fn name(&mut self, field: &Field) -> bool {
        let name = field.name();
        if self.result.is_err()
            || name == "message"
            || name.starts_with("r#")
            || name.starts_with("log.")
        {
            return false;
        }
        let pad = if self.is_empty { "" } else { " " };
        self.result = self
            .writer
            .write_str(pad)
            .and_then(|()| self.writer.write_str(name))
            .and_then(|()| self.writer.write_char('='));
        self.is_empty = false;
        true
    }
}

impl Visit for FastVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if plain(value) && self.name(field) {
            if self.result.is_ok() {
                self.result = self
                    .writer
                    .write_char('"')
                    .and_then(|()| self.writer.write_str(value))
                    .and_then(|()| self.writer.write_char('"'));
            }
        } else if field.name().starts_with("log.") {
            // `DefaultVisitor` (with tracing-log) skips these without a separator.
        } else {
            self.delegate(|v| v.record_str(field, value));
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if self.name(field) {
            if self.result.is_ok() {
                self.result =
                    self.writer
                        .write_str(digits(value.unsigned_abs(), value < 0, &mut [0; 21]));
            }
        } else if !field.name().starts_with("log.") {
            self.delegate(|v| v.record_i64(field, value));
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        if self.name(field) {
            if self.result.is_ok() {
                self.result = self.writer.write_str(digits(value, false, &mut [0; 21]));
            }
        } else if !field.name().starts_with("log.") {
            self.delegate(|v| v.record_u64(field, value));
        }
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        if self.name(field) {
            if self.result.is_ok() {
                self.result = self.writer.write_str(if value { "true" } else { "false" });
            }
        } else if !field.name().starts_with("log.") {
            self.delegate(|v| v.record_bool(field, value));
        }
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        if !field.name().starts_with("log.") {
            self.delegate(|v| v.record_f64(field, value));
        }
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        if !field.name().starts_with("log.") {
            self.delegate(|v| v.record_error(field, value));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if !field.name().starts_with("log.") {
            self.delegate(|v| v.record_debug(field, value));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::fmt::format::DefaultFields;

    /// Formats the fields of one event with `formatter`.
    fn formatted<F>(formatter: F, emit: impl Fn()) -> String
    where
        F: for<'w> FormatFields<'w> + Send + Sync + 'static,
    {
        use tracing_subscriber::layer::SubscriberExt as _;
        let out = std::sync::Arc::new(std::sync::Mutex::new(Vec::<u8>::new()));
        let sink = out.clone();
        let layer = tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .without_time()
            .with_target(false)
            .with_level(false)
            .fmt_fields(formatter)
            .with_writer(move || Sink(sink.clone()));
        let subscriber = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(subscriber, emit);
        let bytes = out.lock().map(|b| b.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    struct Sink(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if let Ok(mut b) = self.0.lock() {
                b.extend_from_slice(buf);
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[derive(Debug)]
    struct Failure;
    impl std::fmt::Display for Failure {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("it failed")
        }
    }
    impl std::error::Error for Failure {}

    #[test]
    fn output_is_identical_to_default_fields() {
        let emit = || {
            let span = tracing::info_span!(
                "search",
                query = "rdf",
                quoted = "say \"hi\"",
                tab = "a\tb",
                unicode = "héllo",
                n = -3i64,
                u = 7u64,
                b = true,
                f = 2.0f64,
                d = ?vec![1, 2],
                r#type = "plugin",
                empty = "",
            );
            let _g = span.enter();
            span.record("n", 4i64);
            let err: &(dyn std::error::Error + 'static) = &Failure;
            tracing::info!(
                count = 3u64,
                text = "x y",
                error = err,
                "a message with {}",
                "args"
            );
            tracing::info!("only a message");
            tracing::info!(ratio = 0.5f64, flag = false, neg = -1i64);
        };
        let ours = formatted(FastFields, emit);
        let theirs = formatted(DefaultFields::new(), emit);
        assert!(!ours.is_empty());
        assert_eq!(ours, theirs);
    }

    #[test]
    fn digits_match_display() {
        for n in [0i64, 7, -7, 10, 1234567890, i64::MIN, i64::MAX] {
            assert_eq!(digits(n.unsigned_abs(), n < 0, &mut [0; 21]), n.to_string());
        }
        assert_eq!(digits(u64::MAX, false, &mut [0; 21]), u64::MAX.to_string());
    }

    #[test]
    fn plain_strings_are_printable_ascii_without_quotes_or_backslashes() {
        assert!(plain("rdf query 1.0"));
        assert!(plain(""));
        assert!(!plain("a\"b"));
        assert!(!plain("a\\b"));
        assert!(!plain("tab\t"));
        assert!(!plain("é"));
    }
}
