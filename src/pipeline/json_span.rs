//! The JSON console format's `span` object, recorded cheaply and built only for lines that are
//! written. json-subscriber's own `with_current_span` serializes every span's fields into a
//! map and a string when the span opens — 7 allocations and ~3.9k instructions per span,
//! whether or not a line is ever logged inside it (benches/span_profile.rs). Here a span's
//! fields are appended to one small buffer as JSON members when it opens (2 allocations), and
//! the `span` object (`{"name": …, fields…}`, exactly json-subscriber's) is built from it per
//! written line.
//!
//! Used with static console directives only: the JSON layer then sees no spans at all (its
//! filter drops them); the fields layer, before it in the subscriber and filtered by the same
//! directives, finds each event's span as json-subscriber does (`Context::event_span`) and
//! hands its object over through a thread-local. Directives that name spans need the filter to
//! see spans, so they keep json-subscriber's own recording.

use std::fmt;
use std::io::Write as _;

use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::Registry;

/// A span's fields as JSON object members, `"k":v,"k2":v2` (a later duplicate wins when read).
pub(crate) struct SpanJson(Vec<u8>);

/// Records [`SpanJson`] for every span its filter lets through, and, for every event it
/// lets through, the `span` object of the event's span — found as json-subscriber finds it,
/// `Context::event_span` in this layer's filtered view: none for an event with `parent:
/// None`, the named span for an explicit parent, else the innermost span of this thread's
/// stack that the filter enabled (a left-out span is skipped; a span's parents that are not
/// on the stack are not looked at). The JSON layer, next in the subscriber, takes that object
/// for the line it writes ([`current_span_json`](Self::current_span_json)).
#[derive(Clone, Default)]
pub(crate) struct JsonSpanFields {
    _private: (),
}

thread_local! {
    /// The `span` object of the event being dispatched on this thread, set by
    /// [`JsonSpanFields::on_event`] and taken by the JSON layer's field.
    static EVENT_SPAN: std::cell::RefCell<Option<serde_json::Value>> =
        const { std::cell::RefCell::new(None) };
}

impl JsonSpanFields {
    /// The `span` object of the event being written, or `None` when it has no span.
    pub(crate) fn current_span_json(&self) -> Option<serde_json::Value> {
        EVENT_SPAN
            .try_with(|cell| cell.try_borrow_mut().ok()?.take())
            .ok()
            .flatten()
    }
}

impl Layer<Registry> for JsonSpanFields {
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        ctx: Context<'_, Registry>,
    ) {
        if let Some(span) = ctx.span(id) {
            let mut buf = Vec::with_capacity(96);
            attrs.record(&mut Members(&mut buf));
            span.extensions_mut().insert(SpanJson(buf));
        }
    }

    fn on_record(
        &self,
        id: &tracing::span::Id,
        values: &tracing::span::Record<'_>,
        ctx: Context<'_, Registry>,
    ) {
        if let Some(span) = ctx.span(id) {
            if let Some(fields) = span.extensions_mut().get_mut::<SpanJson>() {
                values.record(&mut Members(&mut fields.0));
            }
        }
    }

    fn on_event(&self, event: &tracing::Event<'_>, ctx: Context<'_, Registry>) {
        let json = ctx.event_span(event).and_then(|span| {
            let extensions = span.extensions();
            let fields = extensions.get::<SpanJson>()?;
            render(span.name(), &fields.0)
        });
        let _ = EVENT_SPAN.try_with(|cell| {
            if let Ok(mut slot) = cell.try_borrow_mut() {
                *slot = json;
            }
        });
    }
}

/// Appends `"name":value` members, valued as json-subscriber's visitor values them.
struct Members<'a>(&'a mut Vec<u8>);

impl Members<'_> {
    /// Starts a member: `,"name":` (no comma first), or `false` for the fields json-subscriber
    /// (with tracing-log) leaves out, the log record's own `log.*` metadata.
    fn name(&mut self, name: &str) -> bool {
        if name.starts_with("log.") {
            return false;
        }
        if !self.0.is_empty() {
            self.0.push(b',');
        }
        // Serializing a `&str` into a `Vec` cannot fail.
        let _ = serde_json::to_writer(&mut *self.0, name);
        self.0.push(b':');
        true
    }
}

impl Visit for Members<'_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        if self.name(field.name()) {
            // Non-finite numbers become null, as `serde_json::Value::from(f64)` makes them.
            let _ = serde_json::to_writer(&mut *self.0, &serde_json::Value::from(value));
        }
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        if self.name(field.name()) {
            let _ = serde_json::to_writer(&mut *self.0, &value);
        }
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        if self.name(field.name()) {
            let _ = serde_json::to_writer(&mut *self.0, &value);
        }
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        if self.name(field.name()) {
            let _ = serde_json::to_writer(&mut *self.0, &value);
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        if self.name(field.name()) {
            let _ = serde_json::to_writer(&mut *self.0, value);
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let name = field.name();
        // json-subscriber strips a raw identifier's `r#` for values recorded with `Debug`.
        if self.name(name.strip_prefix("r#").unwrap_or(name)) {
            let _ = serde_json::to_writer(&mut *self.0, &format!("{value:?}"));
        }
    }
}

/// `{fields…, "name": name}` read as a JSON object: a later duplicate member wins, and the span
/// name wins over a field called `name`, as in json-subscriber.
fn render(name: &str, members: &[u8]) -> Option<serde_json::Value> {
    let mut text = Vec::with_capacity(members.len() + name.len() + 16);
    text.push(b'{');
    text.extend_from_slice(members);
    if !members.is_empty() {
        text.push(b',');
    }
    let _ = write!(text, "\"name\":");
    let _ = serde_json::to_writer(&mut text, name);
    text.push(b'}');
    serde_json::from_slice(&text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::layer::SubscriberExt as _;

    #[derive(Clone, Default)]
    struct Lines(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Lines {
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

    impl Lines {
        /// The `span` value of every line written.
        fn spans(&self) -> Vec<Option<serde_json::Value>> {
            let bytes = self.0.lock().map(|b| b.clone()).unwrap_or_default();
            String::from_utf8_lossy(&bytes)
                .lines()
                .map(|l| {
                    serde_json::from_str::<serde_json::Value>(l)
                        .ok()
                        .and_then(|v| v.get("span").cloned())
                })
                .collect()
        }
    }

    fn emit() {
        tracing::info!("outside");
        let outer = tracing::info_span!("outer", id = 7u64);
        let _o = outer.enter();
        let span = tracing::info_span!(
            "search",
            query = "rdf \"x\"",
            n = -3i64,
            ok = true,
            ratio = 0.5f64,
            nan = f64::NAN,
            kind = ?vec!["a"],
            r#type = "plugin",
            name = "a field called name",
            later = tracing::field::Empty,
        );
        let _g = span.enter();
        tracing::info!("inside");
        span.record("later", "set");
        span.record("n", 4i64);
        tracing::warn!(x = 1, "again");
        // Explicit parents: none, a span that is not entered, the current one.
        tracing::info!(parent: None, "a root event");
        tracing::info!(parent: &outer, "parent outer");
        tracing::info!(parent: span.id(), "parent search");
        // A span left out of the console instruments work done elsewhere (a spawned task):
        // on that stack there is nothing the console shows, so no `span`.
        let task = tracing::debug_span!("task", job = 1);
        let task_info = tracing::info_span!("task_info", job = 2);
        drop(_g);
        drop(_o);
        task.in_scope(|| tracing::info!("in a hidden task"));
        task_info.in_scope(|| task.in_scope(|| tracing::info!("hidden inside shown")));
        tracing::info!(parent: &task, "explicit hidden parent");
        let _o = outer.enter();
        let _g = span.enter();
        // Left out of the console, on the stack: the nearest shown span's fields.
        let debug = tracing::debug_span!("hidden", secret = 1);
        let _d = debug.enter();
        tracing::info!("inside a hidden span");
    }

    #[test]
    fn the_span_object_is_json_subscribers() {
        use tracing_subscriber::filter::{filter_fn, FilterExt as _, LevelFilter};
        use tracing_subscriber::Layer as _;

        let theirs = Lines::default();
        let w = theirs.clone();
        let mut reference = json_subscriber::JsonLayer::new(move || w.clone());
        reference.with_current_span("span");
        tracing::subscriber::with_default(
            tracing_subscriber::registry().with(reference.with_filter(LevelFilter::INFO)),
            emit,
        );

        let ours = Lines::default();
        let w = ours.clone();
        let mut layer = json_subscriber::JsonLayer::new(move || w.clone());
        let fields = JsonSpanFields::default();
        let reader = fields.clone();
        layer.add_dynamic_field("span", move |_, _| reader.current_span_json());
        tracing::subscriber::with_default(
            tracing_subscriber::registry()
                .with(fields.with_filter(LevelFilter::INFO))
                .with(layer.with_filter(LevelFilter::INFO.and(filter_fn(|m| !m.is_span())))),
            emit,
        );
        let (ours, theirs) = (ours.spans(), theirs.spans());
        assert_eq!(ours.len(), 10, "{ours:?}");
        assert_eq!(ours, theirs);
    }
}
