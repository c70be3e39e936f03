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
use tracing_subscriber::fmt::format::{Format, Full, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::{Context, Filter, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::{EnvFilter, Registry};

use crate::config::{LogFormat, LogWriter, TelemetryConfig};
use crate::error::{Error, Result};
use crate::signal::SCOPE;

/// Crates whose events and spans must never be exported: they are the exporter itself, so
/// exporting them loops (worst while the collector is down).
pub const EXPORTER_CRATES: &[&str] = &[
    "hyper",
    "hyper_util",
    "tonic",
    "h2",
    "tower",
    "reqwest",
    "opentelemetry",
];

type BoxedLayer = Box<dyn Layer<Registry> + Send + Sync>;

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

impl<S> Filter<S> for ExportErrorRateLimit {
    fn enabled(&self, _: &tracing::Metadata<'_>, _: &Context<'_, S>) -> bool {
        true
    }

    // Decides per event only: every callsite and level passes this filter. Saying so keeps
    // the `EnvFilter` it is combined with (`and`) in charge of the global max level and the
    // callsite interest — without it the combined hint is "unknown" and every disabled
    // `debug!`/`trace!` callsite costs a filter call instead of one level comparison.
    fn callsite_enabled(
        &self,
        _: &'static tracing::Metadata<'static>,
    ) -> tracing::subscriber::Interest {
        tracing::subscriber::Interest::always()
    }

    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(tracing::level_filters::LevelFilter::TRACE)
    }

    fn event_enabled(&self, event: &Event<'_>, _: &Context<'_, S>) -> bool {
        let meta = event.metadata();
        if !meta.target().starts_with("opentelemetry") || *meta.level() > tracing::Level::WARN {
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
    let subscriber = build_subscriber(config, config.log_writer.clone(), tracer, logger_provider)?;
    Ok(tracing::Dispatch::new(subscriber))
}

/// Builds the subscriber from the configured layers.
pub(crate) fn build_subscriber(
    config: &TelemetryConfig,
    writer: LogWriter,
    tracer: Option<opentelemetry_sdk::trace::Tracer>,
    logger_provider: Option<&opentelemetry_sdk::logs::SdkLoggerProvider>,
) -> Result<impl Subscriber + Send + Sync + 'static> {
    let mut layers: Vec<BoxedLayer> = Vec::with_capacity(3);

    let console_filter = quiet_sdk(
        env_filter(&config.log_filter, "log_filter", &[])?,
        &config.log_filter,
        config.sdk_log_level,
    )
    .and(ExportErrorRateLimit::new(EXPORT_ERROR_LOG_WINDOW));
    let console: BoxedLayer = match config.log_format {
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_writer(writer)
            .with_ansi(false)
            .event_format(TextWithTraceIds(Format::default().with_ansi(false)))
            .with_filter(console_filter)
            .boxed(),
        LogFormat::Json => {
            let mut json = json_subscriber::JsonLayer::new(writer);
            json.with_timer("timestamp", tracing_subscriber::fmt::time::SystemTime)
                .with_level("level")
                .with_target("target")
                .with_flattened_event()
                .with_current_span("span");
            // Each field formats only its own id.
            json.add_dynamic_field("trace_id", |_, _| {
                current_span_context().map(|sc| sc.trace_id().to_string())
            });
            json.add_dynamic_field("span_id", |_, _| {
                current_span_context().map(|sc| sc.span_id().to_string())
            });
            json.with_filter(console_filter).boxed()
        }
    };
    layers.push(console);

    if let Some(tracer) = tracer {
        let filter = env_filter(&config.traces_filter, "traces_filter", EXPORTER_CRATES)?;
        layers.push(
            tracing_opentelemetry::layer()
                .with_tracer(tracer)
                // Lean defaults (benches/spans.rs): busy/idle tracking reads the clock on
                // every enter/exit and thread attributes add two attributes per span; code
                // location is kept (static strings, useful).
                .with_tracked_inactivity(false)
                .with_threads(false)
                .with_filter(filter)
                .boxed(),
        );
    }

    if let Some(provider) = logger_provider {
        let filter = env_filter(
            &config.logs_export_filter,
            "logs_export_filter",
            EXPORTER_CRATES,
        )?;
        layers.push(
            opentelemetry_appender_tracing::layer::OpenTelemetryTracingBridge::new(provider)
                .with_filter(filter)
                .boxed(),
        );
    }

    Ok(tracing_subscriber::registry().with(layers))
}

fn env_filter(directives: &str, field: &'static str, deny: &[&str]) -> Result<EnvFilter> {
    let mut filter = EnvFilter::builder()
        .parse(directives)
        .map_err(|_| Error::InvalidConfig {
            field,
            value: directives.to_string(),
            expected: "tracing-subscriber EnvFilter directives, e.g. info,my_crate=debug",
        })?;
    for target in deny {
        // `off` directives for fixed crate names always parse.
        if let Ok(directive) = format!("{target}=off").parse() {
            filter = filter.add_directive(directive);
        }
    }
    Ok(filter)
}

/// The OpenTelemetry crates' INFO chatter (`Global meter provider is set…`, processor and
/// exporter built) stays off the console unless asked for: when `directives` name no
/// `opentelemetry*` target and enable nothing below INFO globally, `opentelemetry=warn` is
/// added (a target prefix: it covers `opentelemetry_sdk`, `opentelemetry_otlp`, …). Their
/// warnings and errors still print; `RUST_LOG=debug` or `opentelemetry=info` brings the rest.
/// `OTEL_LOG_LEVEL` (`sdk_level`) sets that level instead, unless `RUST_LOG` names an
/// `opentelemetry*` target itself (the more specific setting wins).
fn quiet_sdk(
    filter: EnvFilter,
    directives: &str,
    sdk_level: Option<tracing::level_filters::LevelFilter>,
) -> EnvFilter {
    let mentions_sdk = directives.contains("opentelemetry");
    if let (Some(level), false) = (sdk_level, mentions_sdk) {
        return match format!("opentelemetry={level}").parse() {
            Ok(directive) => filter.add_directive(directive),
            Err(_) => filter,
        };
    }
    let global_verbose = directives.split(',').map(str::trim).any(|d| {
        !d.contains('=')
            && !d.contains('[')
            && matches!(d.to_ascii_lowercase().as_str(), "debug" | "trace")
    });
    if mentions_sdk || global_verbose {
        return filter;
    }
    match "opentelemetry=warn".parse() {
        Ok(directive) => filter.add_directive(directive),
        Err(_) => filter,
    }
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
