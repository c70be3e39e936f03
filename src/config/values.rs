//! The plain values a [`TelemetryConfig`](super::TelemetryConfig) is made of: transports,
//! formats, samplers, exporter sets, secret headers, batch settings and the log writer.

use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

// === limits ===

/// Largest accepted `OTEL_BSP_MAX_QUEUE_SIZE` / `OTEL_BLRP_MAX_QUEUE_SIZE`. The SDK
/// preallocates the queue, so an unchecked `1e8` would abort the host on allocation.
pub const MAX_QUEUE_SIZE: usize = 1 << 20;
/// Default OTLP gRPC endpoint.
pub const DEFAULT_GRPC_ENDPOINT: &str = "http://localhost:4317";
/// Default OTLP HTTP endpoint (the signal path is appended).
pub const DEFAULT_HTTP_ENDPOINT: &str = "http://localhost:4318";
/// Default scrape endpoint port.
pub const DEFAULT_PROMETHEUS_PORT: u16 = 9464;
pub(super) const MAX_DURATION_MS: u64 = 3_600_000;

// === value types ===

/// OTLP transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// gRPC via tonic (`grpc`), the default. Needs the `grpc` feature.
    Grpc,
    /// Protobuf over HTTP (`http/protobuf`). Needs the `http` feature.
    HttpProtobuf,
}

impl Protocol {
    /// The value as written in `OTEL_EXPORTER_OTLP_PROTOCOL`.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Grpc => "grpc",
            Protocol::HttpProtobuf => "http/protobuf",
        }
    }
}

/// OTLP payload compression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compression {
    /// No compression (default).
    #[default]
    None,
    /// gzip.
    Gzip,
}

impl Compression {
    /// The spelling `OTEL_EXPORTER_OTLP_COMPRESSION` accepts.
    pub fn as_str(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
        }
    }
}

/// Console log format (`RUST_LOG_FORMAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// Human-readable lines with `trace_id=… span_id=…` appended inside spans (default).
    #[default]
    Text,
    /// One JSON object per line with `trace_id` and `span_id` fields inside spans.
    Json,
}

impl LogFormat {
    /// The spelling `RUST_LOG_FORMAT` accepts.
    pub fn as_str(self) -> &'static str {
        match self {
            LogFormat::Text => "text",
            LogFormat::Json => "json",
        }
    }
}

/// Head sampler (`OTEL_TRACES_SAMPLER` / `_ARG`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sampler {
    /// Record every trace.
    AlwaysOn,
    /// Record nothing.
    AlwaysOff,
    /// Record the given fraction of traces, by trace id.
    TraceIdRatio(f64),
    /// Follow the parent's decision; root spans always sampled (default).
    ParentBasedAlwaysOn,
    /// Follow the parent's decision; root spans never sampled.
    ParentBasedAlwaysOff,
    /// Follow the parent's decision; root spans sampled at the given ratio.
    ParentBasedTraceIdRatio(f64),
}

impl fmt::Display for Sampler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Sampler::AlwaysOn => f.write_str("always_on"),
            Sampler::AlwaysOff => f.write_str("always_off"),
            Sampler::TraceIdRatio(r) => write!(f, "traceidratio({r})"),
            Sampler::ParentBasedAlwaysOn => f.write_str("parentbased_always_on"),
            Sampler::ParentBasedAlwaysOff => f.write_str("parentbased_always_off"),
            Sampler::ParentBasedTraceIdRatio(r) => write!(f, "parentbased_traceidratio({r})"),
        }
    }
}

/// Context propagators installed globally (`OTEL_PROPAGATORS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Propagator {
    /// W3C `traceparent`/`tracestate`.
    TraceContext,
    /// W3C `baggage`.
    Baggage,
    /// Zipkin B3, single `b3` header (opentelemetry-zipkin).
    B3,
    /// Zipkin B3, multiple `X-B3-*` headers (opentelemetry-zipkin).
    B3Multi,
    /// AWS X-Ray `X-Amzn-Trace-Id` (opentelemetry-aws).
    XRay,
}

impl Propagator {
    /// Every propagator, in the order the spellings are documented.
    pub const ALL: [Propagator; 5] = [
        Propagator::TraceContext,
        Propagator::Baggage,
        Propagator::B3,
        Propagator::B3Multi,
        Propagator::XRay,
    ];

    /// The spelling `OTEL_PROPAGATORS` accepts.
    pub fn as_str(self) -> &'static str {
        match self {
            Propagator::TraceContext => "tracecontext",
            Propagator::Baggage => "baggage",
            Propagator::B3 => "b3",
            Propagator::B3Multi => "b3multi",
            Propagator::XRay => "xray",
        }
    }
}

/// Which exporters a signal uses (`OTEL_*_EXPORTER`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Exporters {
    /// Push over OTLP.
    pub otlp: bool,
    /// Print to stdout with the OpenTelemetry stdout exporter (debugging aid).
    pub console: bool,
    /// Serve on the Prometheus scrape endpoint (metrics only).
    pub prometheus: bool,
}

impl Exporters {
    /// No exporter.
    pub const NONE: Exporters = Exporters {
        otlp: false,
        console: false,
        prometheus: false,
    };
    /// OTLP only.
    pub const OTLP: Exporters = Exporters {
        otlp: true,
        console: false,
        prometheus: false,
    };
    /// Prometheus only.
    pub const PROMETHEUS: Exporters = Exporters {
        otlp: false,
        console: false,
        prometheus: true,
    };

    /// Whether any exporter is on.
    pub fn any(&self) -> bool {
        self.otlp || self.console || self.prometheus
    }
}

impl fmt::Display for Exporters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names = Vec::new();
        if self.otlp {
            names.push("otlp");
        }
        if self.prometheus {
            names.push("prometheus");
        }
        if self.console {
            names.push("console");
        }
        if names.is_empty() {
            f.write_str("none")
        } else {
            f.write_str(&names.join(","))
        }
    }
}

/// OTLP headers. Values are secrets (API keys, bearer tokens): `Debug` and `Display` show only
/// the keys.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Headers(Vec<(String, String)>);

impl Headers {
    /// Empty header set.
    pub fn new() -> Self {
        Headers(Vec::new())
    }

    /// Adds or replaces a header.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) {
        let key = key.into();
        let value = value.into();
        if let Some(slot) = self
            .0
            .iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case(&key))
        {
            slot.1 = value;
        } else {
            self.0.push((key, value));
        }
    }

    /// Iterates `(key, value)`; the values are secrets, do not log them.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Number of headers.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no headers.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.0.iter().map(|(k, _)| (k, "<redacted>")))
            .finish()
    }
}

impl fmt::Display for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("none");
        }
        let keys: Vec<_> = self
            .0
            .iter()
            .map(|(k, _)| format!("{k}=<redacted>"))
            .collect();
        f.write_str(&keys.join(","))
    }
}

/// Resolved OTLP settings of one signal. Its `Debug` shows the endpoint redacted (query
/// string as `?***`) and header keys only.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct OtlpConfig {
    /// Full endpoint URL (for HTTP including `/v1/<signal>`), without credentials: userinfo
    /// given in the URL is moved to an `authorization` header.
    pub endpoint: String,
    /// Transport.
    pub protocol: Protocol,
    /// Headers (secret values).
    pub headers: Headers,
    /// Per-export timeout.
    pub timeout: Duration,
    /// Payload compression.
    pub compression: Compression,
    /// CA certificate (PEM file) trusted for `https://` endpoints, instead of the webpki roots.
    pub ca_certificate: Option<std::path::PathBuf>,
    /// Client certificate and private key (PEM files) presented to the collector (mTLS), set
    /// together or not at all.
    pub client_identity: Option<ClientIdentity>,
}

/// A client certificate and its private key (PEM files) for mutual TLS. Only the paths are
/// kept (and printed); the key is read when the exporter is built.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientIdentity {
    /// `OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE`: the client's certificate chain.
    pub certificate: std::path::PathBuf,
    /// `OTEL_EXPORTER_OTLP_CLIENT_KEY`: its private key.
    pub key: std::path::PathBuf,
}

impl OtlpConfig {
    /// The endpoint as it may be printed (a query string shown as `?***`).
    ///
    /// # Examples
    ///
    /// ```
    /// let config = marketplace_telemetry::TelemetryConfig::builder()
    ///     .with_otlp_endpoint("http://user:secret@collector:4317")
    ///     .build_from(|_| None)?;
    /// // The credentials moved to an `authorization` header.
    /// assert_eq!(config.traces_otlp.redacted_endpoint(), "http://collector:4317");
    /// # Ok::<(), marketplace_telemetry::Error>(())
    /// ```
    pub fn redacted_endpoint(&self) -> std::borrow::Cow<'_, str> {
        super::endpoint::redact(&self.endpoint)
    }

    /// These settings with the timeout capped at a processor's or reader's export timeout.
    #[cfg_attr(not(any(feature = "grpc", feature = "otlp-http")), allow(dead_code))]
    pub(crate) fn bounded(&self, export_timeout: Duration) -> OtlpConfig {
        OtlpConfig {
            timeout: self.timeout.min(export_timeout),
            ..self.clone()
        }
    }
}

impl fmt::Debug for OtlpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OtlpConfig")
            .field("endpoint", &super::endpoint::redact(&self.endpoint))
            .field("protocol", &self.protocol)
            .field("headers", &self.headers)
            .field("timeout", &self.timeout)
            .field("compression", &self.compression)
            .field("ca_certificate", &self.ca_certificate)
            .field("client_identity", &self.client_identity)
            .finish()
    }
}

/// Batch processor settings: spans (`OTEL_BSP_*`) and log records (`OTEL_BLRP_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct BatchConfig {
    /// Delay between two exports (default 5 s for spans, 1 s for log records).
    pub schedule_delay: Duration,
    /// Queue capacity in spans or records, `1..=`[`MAX_QUEUE_SIZE`] (default 2048). Items
    /// past it are dropped and counted.
    pub max_queue_size: usize,
    /// Items per export, `1..=max_queue_size` (default 512).
    pub max_export_batch_size: usize,
    /// Bound on one export (`OTEL_BSP_EXPORT_TIMEOUT`, `OTEL_BLRP_EXPORT_TIMEOUT`; default
    /// 30 s): the OTLP exporter's own timeout is capped at it.
    pub export_timeout: Duration,
}

impl BatchConfig {
    /// The OpenTelemetry defaults for the log record processor (`OTEL_BLRP_*`): 1 s, 2048, 512.
    ///
    /// # Examples
    ///
    /// ```
    /// use marketplace_telemetry::config::BatchConfig;
    /// use marketplace_telemetry::TelemetryConfig;
    ///
    /// let config = TelemetryConfig::builder()
    ///     .with_log_batch_max_queue_size(8192)
    ///     .build_from(|_| None)?;
    /// assert_eq!(config.log_batch.max_queue_size, 8192);
    /// assert_eq!(
    ///     config.log_batch.schedule_delay,
    ///     BatchConfig::log_records().schedule_delay
    /// );
    /// # Ok::<(), marketplace_telemetry::Error>(())
    /// ```
    pub fn log_records() -> Self {
        BatchConfig {
            schedule_delay: Duration::from_millis(1000),
            ..BatchConfig::default()
        }
    }
}

impl Default for BatchConfig {
    fn default() -> Self {
        BatchConfig {
            schedule_delay: Duration::from_millis(5000),
            max_queue_size: 2048,
            max_export_batch_size: 512,
            export_timeout: Duration::from_millis(30_000),
        }
    }
}

/// Span limits (`OTEL_SPAN_*`, `OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT`,
/// `OTEL_LINK_ATTRIBUTE_COUNT_LIMIT`, falling back to `OTEL_ATTRIBUTE_*`). Counts are applied by
/// the SDK (what is over is dropped and counted as dropped); the value length by truncating
/// string values (and strings in arrays) before export.
///
/// # Examples
///
/// ```
/// use marketplace_telemetry::TelemetryConfig;
/// let config = TelemetryConfig::builder()
///     .build_from(|k| (k == "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT").then(|| "256".to_string()))?;
/// assert_eq!(config.span_limits.attribute_value_length, Some(256));
/// assert_eq!(config.span_limits.attribute_count, 128);
/// # Ok::<(), marketplace_telemetry::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SpanLimits {
    /// Attributes per span (default 128).
    pub attribute_count: u32,
    /// Characters per string attribute value (default: unlimited).
    pub attribute_value_length: Option<u32>,
    /// Events per span (default 128).
    pub event_count: u32,
    /// Links per span (default 128).
    pub link_count: u32,
    /// Attributes per span event (default 128).
    pub event_attribute_count: u32,
    /// Attributes per span link (default 128).
    pub link_attribute_count: u32,
}

impl Default for SpanLimits {
    fn default() -> Self {
        SpanLimits {
            attribute_count: 128,
            attribute_value_length: None,
            event_count: 128,
            link_count: 128,
            event_attribute_count: 128,
            link_attribute_count: 128,
        }
    }
}

/// Log record limits (`OTEL_LOGRECORD_*`, falling back to `OTEL_ATTRIBUTE_*`), applied to the
/// records exported over OTLP: attributes past the count are dropped, string values truncated.
///
/// # Examples
///
/// ```
/// use marketplace_telemetry::config::LogRecordLimits;
/// assert_eq!(LogRecordLimits::default().attribute_count, 128);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct LogRecordLimits {
    /// Attributes per log record (default 128).
    pub attribute_count: u32,
    /// Characters per string attribute value (default: unlimited).
    pub attribute_value_length: Option<u32>,
}

impl Default for LogRecordLimits {
    fn default() -> Self {
        LogRecordLimits {
            attribute_count: 128,
            attribute_value_length: None,
        }
    }
}

/// How OpenTelemetry metric names become Prometheus names on the scrape (the configuration
/// schema's `translation_strategy`). The two strategies that keep UTF-8 names
/// (`no_utf8_escaping_with_suffixes`, `no_translation`) are refused by the configuration: the
/// `prometheus` crate's registry accepts only `[a-zA-Z_:][a-zA-Z0-9_:]*` names, as does
/// Prometheus before 3.0.
///
/// # Examples
///
/// ```
/// use marketplace_telemetry::config::PrometheusTranslation;
/// assert_eq!(
///     PrometheusTranslation::default().as_str(),
///     "underscore_escaping_with_suffixes"
/// );
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum PrometheusTranslation {
    /// `http.server.request.duration` (unit `s`) → `http_server_request_duration_seconds`;
    /// counters end in `_total` (the default; what the shipped assets query).
    #[default]
    UnderscoreEscapingWithSuffixes,
    /// Escaped, without unit or `_total` suffixes: `http_server_request_duration` (classic
    /// Prometheus naming; the shipped rules and dashboards do not match these names).
    UnderscoreEscapingWithoutSuffixes,
}

impl PrometheusTranslation {
    /// The schema's name.
    pub fn as_str(self) -> &'static str {
        match self {
            PrometheusTranslation::UnderscoreEscapingWithSuffixes => {
                "underscore_escaping_with_suffixes"
            }
            PrometheusTranslation::UnderscoreEscapingWithoutSuffixes => {
                "underscore_escaping_without_suffixes"
            }
        }
    }
}

/// The aggregation temporality the OTLP metric exporter asks for
/// (`OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE`). The Prometheus reader is always
/// cumulative.
///
/// # Examples
///
/// ```
/// use marketplace_telemetry::config::Temporality;
/// assert_eq!(Temporality::default().as_str(), "cumulative");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Temporality {
    /// Every instrument cumulative (the default).
    #[default]
    Cumulative,
    /// Counters, histograms and observable counters as deltas; up-down counters cumulative.
    Delta,
    /// Synchronous counters and histograms as deltas; the rest cumulative.
    LowMemory,
}

impl Temporality {
    /// The specification's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Temporality::Cumulative => "cumulative",
            Temporality::Delta => "delta",
            Temporality::LowMemory => "lowmemory",
        }
    }
}

/// How histograms are aggregated for OTLP push
/// (`OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION`).
///
/// # Examples
///
/// ```
/// use marketplace_telemetry::config::HistogramAggregation;
/// assert_eq!(HistogramAggregation::default().as_str(), "explicit_bucket_histogram");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum HistogramAggregation {
    /// Fixed buckets (each instrument's advised boundaries, else the SDK's).
    #[default]
    ExplicitBucket,
    /// Base-2 exponential buckets (160 buckets, scale up to 20), OTLP only: the Prometheus
    /// reader cannot show them.
    Base2Exponential,
}

impl HistogramAggregation {
    /// The specification's name.
    pub fn as_str(self) -> &'static str {
        match self {
            HistogramAggregation::ExplicitBucket => "explicit_bucket_histogram",
            HistogramAggregation::Base2Exponential => "base2_exponential_bucket_histogram",
        }
    }
}

// === impl LogWriter ===

/// Where console logs go. Defaults to stdout; tests and embedders can pass any writer.
///
/// # Examples
///
/// ```
/// use marketplace_telemetry::LogWriter;
/// let to_stderr = LogWriter::new(|| Box::new(std::io::stderr()));
/// ```
#[derive(Clone)]
pub struct LogWriter(Arc<dyn Fn() -> Box<dyn io::Write + Send> + Send + Sync>);

impl LogWriter {
    /// A writer made by `make` for every log line.
    pub fn new<F>(make: F) -> Self
    where
        F: Fn() -> Box<dyn io::Write + Send> + Send + Sync + 'static,
    {
        LogWriter(Arc::new(make))
    }

    /// Standard output (the default).
    pub fn stdout() -> Self {
        LogWriter::new(|| Box::new(io::stdout()))
    }
}

impl Default for LogWriter {
    fn default() -> Self {
        LogWriter::stdout()
    }
}

impl fmt::Debug for LogWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LogWriter")
    }
}

impl<'a> MakeWriter<'a> for LogWriter {
    type Writer = Box<dyn io::Write + Send>;

    fn make_writer(&'a self) -> Self::Writer {
        (self.0)()
    }
}

/// A metric view from a configuration file (`meter_provider.views`): the instruments it
/// selects and the stream they become. Views are matched in order and the first that selects
/// an instrument applies (the Prometheus reader could not show two streams of one instrument).
///
/// # Examples
///
/// ```
/// let config = marketplace_telemetry::TelemetryConfig::from_yaml(r#"
/// file_format: "1.1"
/// meter_provider:
///   readers:
///     - pull: {exporter: {prometheus/development: {port: 0}}}
///   views:
///     - selector: {instrument_name: marketplace.search.duration}
///       stream: {aggregation: {explicit_bucket_histogram: {boundaries: [0.1, 1]}}}
/// "#)?;
/// assert_eq!(config.metric_views.len(), 1);
/// # Ok::<(), marketplace_telemetry::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct MetricView {
    /// Instrument name, exact or with `*` (any run) and `?` (one character) wildcards.
    pub instrument_name: Option<String>,
    /// Instrument kind.
    pub instrument_type: Option<opentelemetry_sdk::metrics::InstrumentKind>,
    /// Instrument unit, exact.
    pub unit: Option<String>,
    /// Meter (instrumentation scope) name, exact.
    pub meter_name: Option<String>,
    /// Meter version, exact.
    pub meter_version: Option<String>,
    /// Meter schema URL, exact.
    pub meter_schema_url: Option<String>,
    /// The stream's name, if renamed.
    pub name: Option<String>,
    /// The stream's description, if replaced.
    pub description: Option<String>,
    /// The stream's aggregation, if not the instrument's default.
    pub aggregation: Option<opentelemetry_sdk::metrics::Aggregation>,
    /// Series kept per stream before the overflow series (default: the reader's limit).
    pub cardinality_limit: Option<usize>,
    /// The attribute keys kept (exact keys; others are dropped), if limited.
    pub attribute_keys: Option<Vec<String>>,
}

impl MetricView {
    /// Whether this view selects `instrument`.
    pub(crate) fn selects(&self, instrument: &opentelemetry_sdk::metrics::Instrument) -> bool {
        let scope = instrument.scope();
        self.instrument_name
            .as_deref()
            .is_none_or(|p| glob_match(p, instrument.name()))
            && self.instrument_type.is_none_or(|k| k == instrument.kind())
            && self.unit.as_deref().is_none_or(|u| u == instrument.unit())
            && self.meter_name.as_deref().is_none_or(|n| n == scope.name())
            && self
                .meter_version
                .as_deref()
                .is_none_or(|v| scope.version() == Some(v))
            && self
                .meter_schema_url
                .as_deref()
                .is_none_or(|u| scope.schema_url() == Some(u))
    }
}

/// `*` matches any run of characters (none included), `?` exactly one; the rest literally.
pub(crate) fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Cardinality limits per instrument kind (`cardinality_limits` of a reader): series kept per
/// stream before the overflow series. `None`: the SDK's 2000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct CardinalityLimits {
    /// Every kind without its own limit.
    pub default: Option<usize>,
    /// Counters.
    pub counter: Option<usize>,
    /// Up-down counters.
    pub up_down_counter: Option<usize>,
    /// Histograms.
    pub histogram: Option<usize>,
    /// Gauges.
    pub gauge: Option<usize>,
    /// Observable counters.
    pub observable_counter: Option<usize>,
    /// Observable up-down counters.
    pub observable_up_down_counter: Option<usize>,
    /// Observable gauges.
    pub observable_gauge: Option<usize>,
}

impl CardinalityLimits {
    /// The limit for instruments of `kind`, if any is set.
    pub(crate) fn for_kind(
        &self,
        kind: opentelemetry_sdk::metrics::InstrumentKind,
    ) -> Option<usize> {
        use opentelemetry_sdk::metrics::InstrumentKind as K;
        let specific = match kind {
            K::Counter => self.counter,
            K::UpDownCounter => self.up_down_counter,
            K::Histogram => self.histogram,
            K::Gauge => self.gauge,
            K::ObservableCounter => self.observable_counter,
            K::ObservableUpDownCounter => self.observable_up_down_counter,
            K::ObservableGauge => self.observable_gauge,
        };
        specific.or(self.default)
    }
}

#[cfg(test)]
mod glob_tests {
    use super::glob_match;

    #[test]
    fn wildcards_match_as_the_schema_describes() {
        assert!(glob_match("marketplace.*", "marketplace.search.duration"));
        assert!(glob_match("*", ""));
        assert!(glob_match(
            "http.server.request.?uration",
            "http.server.request.duration"
        ));
        assert!(glob_match("*.duration", "rdf.query.duration"));
        assert!(!glob_match("*.duration", "rdf.query.durations"));
        assert!(!glob_match("marketplace.?", "marketplace."));
        assert!(glob_match("a*b*c", "aXXbYYc"));
        assert!(!glob_match("exact", "exactly"));
    }
}

/// Resource detection as a configuration file sets it (`resource.detection/development`):
/// which detectors run and which of their attributes are kept. Without it, the resource has
/// this crate's defaults (`service.instance.id`, `host.name`, `process.pid`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResourceDetection {
    /// `service`: `service.instance.id` (and `service.name` from `OTEL_SERVICE_NAME`, which
    /// the file mapping reads).
    pub service: bool,
    /// `host`: `host.name`, `host.id`, `host.arch`, `os.type`.
    pub host: bool,
    /// `process`: `process.pid`, `process.runtime.*` (`process.command_args` only when
    /// `included` names it exactly: command lines can carry secrets).
    pub process: bool,
    /// `container`: `container.id`.
    pub container: bool,
    /// Attribute patterns kept (`*` and `?` wildcards); empty: all.
    pub included: Vec<String>,
    /// Attribute patterns dropped, after `included`.
    pub excluded: Vec<String>,
}

impl ResourceDetection {
    /// Whether a detected attribute `key` is kept by `included`/`excluded`.
    pub fn keeps(&self, key: &str) -> bool {
        let explicit = self.included.iter().any(|p| p == key);
        if key == "process.command_args" && !explicit {
            return false;
        }
        (self.included.is_empty() || self.included.iter().any(|p| glob_match(p, key)))
            && !self.excluded.iter().any(|p| glob_match(p, key))
    }
}

#[cfg(test)]
mod detection_tests {
    use super::*;

    #[test]
    fn patterns_match_as_the_schema_says() {
        assert!(glob_match("process.*", "process.pid"));
        assert!(glob_match("host.?d", "host.id"));
        assert!(!glob_match("host.?d", "host.name"));
        assert!(glob_match("*", ""));
        assert!(!glob_match("Process.*", "process.pid"));
        let d = ResourceDetection {
            included: vec!["process.*".into(), "host.name".into()],
            excluded: vec!["process.runtime.*".into()],
            ..ResourceDetection::default()
        };
        assert!(d.keeps("process.pid") && d.keeps("host.name"));
        assert!(!d.keeps("process.runtime.name") && !d.keeps("host.arch"));
        assert!(!d.keeps("process.command_args"), "never by a wildcard");
    }
}
