//! The `tracing` subscriber: console logs (text or JSON, each line inside a span carrying
//! `trace_id`/`span_id`), the tracing-opentelemetry span layer, and the OTLP log bridge.
//!
//! Each layer has its own filter, so a quiet `RUST_LOG` does not silently drop exported spans,
//! and the exporter's own crates can never feed back into the OTLP log and span pipelines.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use opentelemetry::trace::TraceContextExt;
use tracing::{Event, Subscriber};
use tracing_subscriber::filter::FilterExt;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::format::{Format, Full, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::{Context, Filter, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::{EnvFilter, Registry};

use crate::config::{LogFormat, LogWriter, TelemetryConfig};
use crate::error::{Error, Result};
use crate::signal::SCOPE;

/// Crates whose events and spans must never be exported: they are the exporter's transport, so
/// exporting them loops (worst while the collector is down). Matched by crate exactly (the
/// target's part before `::`), never as a prefix: `tower_http` and `reqwest_tracing` spans are
/// exported. The OpenTelemetry crates (`opentelemetry`, `opentelemetry_sdk`,
/// `opentelemetry-otlp`, …) are never exported either.
pub const EXPORTER_CRATES: &[&str] = &["hyper", "hyper_util", "tonic", "h2", "tower", "reqwest"];

type BoxedLayer = Box<dyn Layer<Registry> + Send + Sync>;
/// A per-layer filter: [`Targets`] for the usual static directives, [`EnvFilter`] only when
/// they name spans or fields.
type BoxedFilter = Box<dyn Filter<Registry> + Send + Sync>;

/// At most one console line per kind of SDK warning or error (export failed, retries exhausted,
/// …) per window: a collector that is down for an hour must not write a line per batch.
pub const EXPORT_ERROR_LOG_WINDOW: Duration = Duration::from_secs(10);

/// Per-callsite rate limit for `opentelemetry*` events at WARN and ERROR. tracing-subscriber
/// has no rate-limiting filter; this one is a map lookup on a path that only runs when the SDK
/// reports a problem.
struct ExportErrorRateLimit {
    window: Duration,
    last: Mutex<HashMap<tracing::callsite::Identifier, Instant>>,
}

impl ExportErrorRateLimit {
    fn new(window: Duration) -> Self {
        ExportErrorRateLimit {
            window,
            last: Mutex::new(HashMap::new()),
        }
    }
}

/// Whether the rate limit applies to events of this callsite.
fn rate_limited(meta: &tracing::Metadata<'_>) -> bool {
    meta.is_event()
        && meta.target().starts_with("opentelemetry")
        && *meta.level() <= tracing::Level::WARN
}

// The decision is taken in `enabled`, never in `event_enabled`: when every per-layer filter
// refuses an event in `event_enabled`, tracing-subscriber 0.3 leaves the refusal in its
// per-thread filter state (nothing consumes it), and the next event on that thread trips a
// `debug_assert` in `FilterState` — an abort in debug builds, a mis-filtered event in release
// builds (issue 25, item 3). An `enabled` refusal is cleared by the registry itself.
impl<S> Filter<S> for ExportErrorRateLimit {
    fn enabled(&self, meta: &tracing::Metadata<'_>, _: &Context<'_, S>) -> bool {
        if !rate_limited(meta) {
            return true;
        }
        let Ok(mut last) = self.last.lock() else {
            return true;
        };
        let now = Instant::now();
        match last.get(&meta.callsite()) {
            Some(at) if now.duration_since(*at) < self.window => false,
            _ => {
                last.insert(meta.callsite(), now);
                true
            }
        }
    }

    // Every other callsite always passes this filter: saying so keeps the filter it is
    // combined with (`and`) in charge of the callsite interest and the global max level;
    // only the SDK's warnings and errors are asked per event.
    fn callsite_enabled(
        &self,
        meta: &'static tracing::Metadata<'static>,
    ) -> tracing::subscriber::Interest {
        if rate_limited(meta) {
            tracing::subscriber::Interest::sometimes()
        } else {
            tracing::subscriber::Interest::always()
        }
    }

    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(tracing::level_filters::LevelFilter::TRACE)
    }
}

/// The `tracing` dispatcher this crate builds (console logs with trace ids, span export,
/// OTLP log bridge), over providers you built yourself: for services that manage their own
/// OpenTelemetry providers but want our logging and filtering.
///
/// # Errors
///
/// [`Error::InvalidConfig`] when a filter in `config` does not parse.
///
/// # Examples
///
/// ```
/// use marketplace_telemetry::{tracing_dispatch, TelemetryConfig};
/// let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
/// let config = TelemetryConfig::builder().build_from(|_| None)?;
/// let dispatch = tracing_dispatch(&config, Some(&provider), None)?;
/// tracing::dispatcher::with_default(&dispatch, || tracing::info!("hello"));
/// # Ok::<(), marketplace_telemetry::Error>(())
/// ```
pub fn tracing_dispatch(
    config: &TelemetryConfig,
    tracer_provider: Option<&opentelemetry_sdk::trace::SdkTracerProvider>,
    logger_provider: Option<&opentelemetry_sdk::logs::SdkLoggerProvider>,
) -> Result<tracing::Dispatch> {
    use opentelemetry::trace::TracerProvider as _;
    let tracer = tracer_provider.map(|p| p.tracer(SCOPE));
    build_subscriber(config, config.log_writer.clone(), tracer, logger_provider)
}

/// Builds the subscriber from the configured layers, as a dispatch.
pub(crate) fn build_subscriber(
    config: &TelemetryConfig,
    writer: LogWriter,
    tracer: Option<opentelemetry_sdk::trace::Tracer>,
    logger_provider: Option<&opentelemetry_sdk::logs::SdkLoggerProvider>,
) -> Result<tracing::Dispatch> {
    let mut layers: Vec<BoxedLayer> = Vec::with_capacity(3);

    let (console_filter, console_static) = layer_filter(
        &quiet_sdk(&config.log_filter, config.sdk_log_level),
        "log_filter",
        false,
    )?;
    let console_filter = console_filter.and(ExportErrorRateLimit::new(EXPORT_ERROR_LOG_WINDOW));
    // The console layers do nothing on span enter, exit and close (no span events).
    let console_lifecycle = console_static.then_some(Lifecycle::Skip);
    let console: BoxedLayer = match config.log_format {
        LogFormat::Text => lean(
            tracing_subscriber::fmt::layer()
                .with_writer(writer)
                .with_ansi(false)
                .fmt_fields(super::fast_fields::FastFields)
                .event_format(TextWithTraceIds(Format::default().with_ansi(false)))
                .with_filter(console_filter),
            console_lifecycle,
        ),
        LogFormat::Json => {
            let mut json = json_subscriber::JsonLayer::new(writer);
            json.with_timer("timestamp", tracing_subscriber::fmt::time::SystemTime)
                .with_level("level")
                .with_target("target")
                .with_flattened_event();
            // Each field formats only its own id.
            json.add_dynamic_field("trace_id", |_, _| {
                current_span_context().map(|sc| sc.trace_id().to_string())
            });
            json.add_dynamic_field("span_id", |_, _| {
                current_span_context().map(|sc| sc.span_id().to_string())
            });
            if console_static {
                // The `span` object from fields recorded cheaply (json_span.rs); the JSON
                // layer itself sees no spans, so it does not serialize each one as it opens.
                let (fields_filter, _) = layer_filter(
                    &quiet_sdk(&config.log_filter, config.sdk_log_level),
                    "log_filter",
                    false,
                )?;
                // Before the JSON layer: it finds each event's span, which the JSON layer's
                // `span` field then takes.
                let fields = super::json_span::JsonSpanFields::default();
                let reader = fields.clone();
                json.add_dynamic_field("span", move |_, _| reader.current_span_json());
                layers.push(lean(
                    fields.with_filter(fields_filter),
                    Some(Lifecycle::Skip),
                ));
                lean(
                    json.with_filter(
                        console_filter.and(tracing_subscriber::filter::filter_fn(|m| !m.is_span())),
                    ),
                    console_lifecycle,
                )
            } else {
                json.with_current_span("span");
                lean(json.with_filter(console_filter), console_lifecycle)
            }
        }
    };
    layers.push(console);

    if let Some(tracer) = tracer {
        let (filter, is_static) = layer_filter(&config.traces_filter, "traces_filter", true)?;
        layers.push(lean(
            tracing_opentelemetry::layer()
                .with_tracer(tracer)
                // Lean defaults (benches/spans.rs): busy/idle tracking reads the clock on
                // every enter/exit and thread attributes add two attributes per span; code
                // location is kept (static strings, useful).
                .with_tracked_inactivity(false)
                .with_threads(false)
                .with_filter(filter),
            // Enter, exit and close of a span it never started find no OpenTelemetry data
            // and do nothing, so they can skip the filter's span lookup.
            is_static.then_some(Lifecycle::Inner),
        ));
    }

    if let Some(provider) = logger_provider {
        let (filter, is_static) =
            layer_filter(&config.logs_export_filter, "logs_export_filter", true)?;
        layers.push(lean(
            opentelemetry_appender_tracing::layer::OpenTelemetryTracingBridge::new(provider)
                .with_filter(filter),
            // The log bridge only handles events.
            is_static.then_some(Lifecycle::Skip),
        ));
    }

    Ok(tracing::Dispatch::new(
        tracing_subscriber::registry().with(layers),
    ))
}

/// The filter for one layer: `directives`, and with `deny` the exporter's own crates turned
/// off ([`ExporterCrates`]). Static directives (`info,my_crate=debug`) become a [`Targets`]
/// filter; only directives that name spans or fields (`[span]`, `{field}`) need an
/// [`EnvFilter`]. Both decide alike — the static directives are read by `EnvFilter`'s own
/// parser ([`static_targets`]) — but an `EnvFilter` takes a lock on every span enter, exit and
/// close to track span-scoped directives, and per-layer filters are asked again for every span
/// (benches/spans.rs, BENCHMARKS.md).
fn layer_filter(directives: &str, field: &'static str, deny: bool) -> Result<(BoxedFilter, bool)> {
    let invalid = || Error::InvalidConfig {
        field,
        value: directives.to_string(),
        expected: "tracing-subscriber EnvFilter directives, e.g. info,my_crate=debug",
    };
    let filter = EnvFilter::builder()
        .parse(directives)
        .map_err(|_| invalid())?;
    if let Some(targets) = static_targets(directives) {
        return Ok(if deny {
            (Box::new(SpanCache::new(targets.and(ExporterCrates))), true)
        } else {
            (Box::new(SpanCache::new(targets)), true)
        });
    }
    Ok(if deny {
        (Box::new(filter.and(ExporterCrates)), false)
    } else {
        (Box::new(filter), false)
    })
}

/// `directives` as a [`Targets`] filter deciding exactly as `EnvFilter::builder().parse`
/// does, or `None` when they name spans or fields (or do not parse). Each directive is read by
/// `EnvFilter`'s own parser and rebuilt from its canonical form (`target=level`): `Targets`'
/// parser reads some inputs differently (an empty segment, as in `info,`, or `foo=` with no
/// level, is ERROR there; `EnvFilter` skips the first and reads the second as TRACE).
fn static_targets(directives: &str) -> Option<Targets> {
    use std::str::FromStr;
    use tracing::level_filters::LevelFilter;
    use tracing_subscriber::filter::Directive;
    if directives.contains(['[', '{']) {
        return None;
    }
    let mut targets = Targets::new();
    // As `EnvFilter::builder().parse`: empty segments are skipped, the rest must parse.
    for segment in directives.split(',').filter(|s| !s.is_empty()) {
        let canonical = Directive::from_str(segment).ok()?.to_string();
        match canonical.rsplit_once('=') {
            Some((target, level)) => {
                targets = targets.with_target(target, LevelFilter::from_str(level).ok()?);
            }
            None => targets = targets.with_default(LevelFilter::from_str(&canonical).ok()?),
        }
    }
    Some(targets)
}

/// The exporter's own crates (the [`EXPORTER_CRATES`] and the OpenTelemetry crates), turned off
/// for the span and log export layers: exporting their events loops (worst while the collector
/// is down). A target is theirs when its crate — the part before the first `::` — is one of
/// them exactly: `tower_http::trace` and `reqwest_tracing` are users' crates and pass
/// (`tracing-subscriber` targets match by string prefix, so `tower=off` would drop them).
#[derive(Clone, Copy)]
struct ExporterCrates;

/// Whether `target` belongs to a crate of the exporter (see [`ExporterCrates`]).
pub(crate) fn is_exporter_target(target: &str) -> bool {
    let krate = target.split("::").next().unwrap_or(target);
    EXPORTER_CRATES.contains(&krate)
        || krate
            .strip_prefix("opentelemetry")
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['_', '-']))
}

impl<S> Filter<S> for ExporterCrates {
    fn enabled(&self, meta: &tracing::Metadata<'_>, _: &Context<'_, S>) -> bool {
        !is_exporter_target(meta.target())
    }

    fn callsite_enabled(
        &self,
        meta: &'static tracing::Metadata<'static>,
    ) -> tracing::subscriber::Interest {
        if is_exporter_target(meta.target()) {
            tracing::subscriber::Interest::never()
        } else {
            tracing::subscriber::Interest::always()
        }
    }

    // A target decision only: the filter it is combined with keeps the max level (an `and`
    // with no hint would have none).
    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(tracing::level_filters::LevelFilter::TRACE)
    }
}

/// A static filter whose decision for a span callsite is remembered: per-layer filters are
/// asked again for every span, and the answer of a [`Targets`] filter depends only on the
/// callsite. A small lock-free table keyed by the callsite's `'static` metadata address; a
/// collision only costs a fresh decision. Events (whose metadata may be built per record, as
/// `tracing-log` does) are always decided afresh.
struct SpanCache<F> {
    inner: F,
    slots: Box<[std::sync::atomic::AtomicUsize]>,
}

/// Low bits of a slot: `KNOWN` marks a filled slot, `ENABLED` the decision; metadata is at
/// least 8-byte aligned, so the address keeps its high bits.
const KNOWN: usize = 0b100;
const ENABLED: usize = 0b1;

impl<F> SpanCache<F> {
    fn new(inner: F) -> Self {
        SpanCache {
            inner,
            slots: (0..256)
                .map(|_| std::sync::atomic::AtomicUsize::new(0))
                .collect(),
        }
    }
}

impl<F: Filter<Registry>> Filter<Registry> for SpanCache<F> {
    fn enabled(&self, meta: &tracing::Metadata<'_>, cx: &Context<'_, Registry>) -> bool {
        use std::sync::atomic::Ordering::Relaxed;
        if !meta.is_span() {
            return self.inner.enabled(meta, cx);
        }
        let addr = meta as *const tracing::Metadata<'_> as usize;
        let slot = &self.slots[(addr >> 3) % self.slots.len()];
        let seen = slot.load(Relaxed);
        if seen & !0b111 == addr & !0b111 && seen & KNOWN != 0 {
            return seen & ENABLED != 0;
        }
        let enabled = self.inner.enabled(meta, cx);
        slot.store(
            (addr & !0b111) | KNOWN | if enabled { ENABLED } else { 0 },
            Relaxed,
        );
        enabled
    }

    fn callsite_enabled(
        &self,
        meta: &'static tracing::Metadata<'static>,
    ) -> tracing::subscriber::Interest {
        self.inner.callsite_enabled(meta)
    }

    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        self.inner.max_level_hint()
    }

    fn event_enabled(&self, event: &Event<'_>, cx: &Context<'_, Registry>) -> bool {
        self.inner.event_enabled(event, cx)
    }
}

/// What a [`LeanSpans`] layer does on span enter, exit and close.
#[derive(Clone, Copy)]
enum Lifecycle {
    /// Nothing: the layer has no work there (fmt and JSON layers without span events, the
    /// log bridge).
    Skip,
    /// Calls the layer itself, without the filter's check: it does nothing for a span it
    /// never saw (tracing-opentelemetry finds no data of its own on such a span).
    Inner,
}

/// A per-layer-filtered layer whose span enter, exit and close skip the filter's lookup of
/// the span (one slab lookup per layer per callback, the largest cost our layering adds to a
/// span: benches/span_profile.rs). Only with a static filter, which keeps no per-span state
/// (an `EnvFilter` with span directives tracks entered spans, so it keeps `Filtered`).
/// Everything else — the filter's decision, the filtered context events and new spans see —
/// is `Filtered`'s own.
struct LeanSpans<L, F> {
    filtered: tracing_subscriber::filter::Filtered<L, F, Registry>,
    lifecycle: Lifecycle,
}

/// The layer boxed, lean when `lifecycle` says how.
fn lean<L, F>(
    filtered: tracing_subscriber::filter::Filtered<L, F, Registry>,
    lifecycle: Option<Lifecycle>,
) -> BoxedLayer
where
    L: Layer<Registry> + Send + Sync + 'static,
    F: Filter<Registry> + Send + Sync + 'static,
{
    match lifecycle {
        Some(lifecycle) => Box::new(LeanSpans {
            filtered,
            lifecycle,
        }),
        None => filtered.boxed(),
    }
}

impl<L, F> Layer<Registry> for LeanSpans<L, F>
where
    L: Layer<Registry> + Send + Sync + 'static,
    F: Filter<Registry> + Send + Sync + 'static,
{
    fn on_register_dispatch(&self, subscriber: &tracing::Dispatch) {
        self.filtered.on_register_dispatch(subscriber);
    }

    fn on_layer(&mut self, subscriber: &mut Registry) {
        self.filtered.on_layer(subscriber);
    }

    fn register_callsite(
        &self,
        metadata: &'static tracing::Metadata<'static>,
    ) -> tracing::subscriber::Interest {
        self.filtered.register_callsite(metadata)
    }

    fn enabled(&self, metadata: &tracing::Metadata<'_>, ctx: Context<'_, Registry>) -> bool {
        self.filtered.enabled(metadata, ctx)
    }

    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        ctx: Context<'_, Registry>,
    ) {
        self.filtered.on_new_span(attrs, id, ctx);
    }

    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        self.filtered.max_level_hint()
    }

    fn on_record(
        &self,
        span: &tracing::span::Id,
        values: &tracing::span::Record<'_>,
        ctx: Context<'_, Registry>,
    ) {
        self.filtered.on_record(span, values, ctx);
    }

    fn on_follows_from(
        &self,
        span: &tracing::span::Id,
        follows: &tracing::span::Id,
        ctx: Context<'_, Registry>,
    ) {
        self.filtered.on_follows_from(span, follows, ctx);
    }

    fn event_enabled(&self, event: &Event<'_>, ctx: Context<'_, Registry>) -> bool {
        self.filtered.event_enabled(event, ctx)
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, Registry>) {
        self.filtered.on_event(event, ctx);
    }

    fn on_enter(&self, id: &tracing::span::Id, ctx: Context<'_, Registry>) {
        if let Lifecycle::Inner = self.lifecycle {
            self.filtered.inner().on_enter(id, ctx);
        }
    }

    fn on_exit(&self, id: &tracing::span::Id, ctx: Context<'_, Registry>) {
        if let Lifecycle::Inner = self.lifecycle {
            self.filtered.inner().on_exit(id, ctx);
        }
    }

    fn on_close(&self, id: tracing::span::Id, ctx: Context<'_, Registry>) {
        if let Lifecycle::Inner = self.lifecycle {
            self.filtered.inner().on_close(id, ctx);
        }
    }

    fn on_id_change(
        &self,
        old: &tracing::span::Id,
        new: &tracing::span::Id,
        ctx: Context<'_, Registry>,
    ) {
        self.filtered.on_id_change(old, new, ctx);
    }

    unsafe fn downcast_raw(&self, id: std::any::TypeId) -> Option<*const ()> {
        if id == std::any::TypeId::of::<Self>() {
            return Some(self as *const Self as *const ());
        }
        // SAFETY: forwarded to the wrapped layer, which upholds the contract itself (this is
        // how the registry finds the per-layer filter inside).
        unsafe { self.filtered.downcast_raw(id) }
    }
}

/// The OpenTelemetry crates' INFO chatter (`Global meter provider is set…`, processor and
/// exporter built) stays off the console unless asked for: when `directives` name no
/// `opentelemetry*` target and enable nothing below INFO globally, `opentelemetry=warn` is
/// added (a target prefix: it covers `opentelemetry_sdk`, `opentelemetry_otlp`, …). Their
/// warnings and errors still print; `RUST_LOG=debug` or `opentelemetry=info` brings the rest.
/// `OTEL_LOG_LEVEL` (`sdk_level`) sets that level instead, unless `RUST_LOG` names an
/// `opentelemetry*` target itself (the more specific setting wins).
fn quiet_sdk(directives: &str, sdk_level: Option<tracing::level_filters::LevelFilter>) -> String {
    let mentions_sdk = directives.contains("opentelemetry");
    if let (Some(level), false) = (sdk_level, mentions_sdk) {
        return format!("{directives},opentelemetry={level}");
    }
    let global_verbose = directives.split(',').map(str::trim).any(|d| {
        !d.contains('=')
            && !d.contains('[')
            && matches!(d.to_ascii_lowercase().as_str(), "debug" | "trace")
    });
    if mentions_sdk || global_verbose {
        return directives.to_string();
    }
    format!("{directives},opentelemetry=warn")
}

/// Trace and span id of the active OpenTelemetry context (set by tracing-opentelemetry when a
/// span is entered), as lower-case hex.
fn current_span_context() -> Option<opentelemetry::trace::SpanContext> {
    let cx = opentelemetry::Context::current();
    let sc = cx.span().span_context().clone();
    sc.is_valid().then_some(sc)
}

fn current_ids() -> Option<(String, String)> {
    let cx = opentelemetry::Context::current();
    let span = cx.span();
    let sc = span.span_context();
    sc.is_valid()
        .then(|| (sc.trace_id().to_string(), sc.span_id().to_string()))
}

/// tracing-subscriber's full text format with ` trace_id=… span_id=…` appended to lines
/// emitted inside a span. tracing-subscriber has no hook for this, hence the wrapper.
struct TextWithTraceIds(Format<Full>);

impl<S, N> FormatEvent<S, N> for TextWithTraceIds
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut line = String::with_capacity(256);
        self.0.format_event(ctx, Writer::new(&mut line), event)?;
        let line = line.trim_end_matches('\n');
        match current_ids() {
            Some((trace_id, span_id)) => {
                writeln!(writer, "{line} trace_id={trace_id} span_id={span_id}")
            }
            None => writeln!(writer, "{line}"),
        }
    }
}

#[cfg(test)]
mod tests;
