//! Configuration: [`TelemetryConfig`], its builder, and strict parsing of the `OTEL_*`,
//! `RUST_LOG` and `RUST_LOG_FORMAT` environment variables.
//!
//! Precedence, written down once: **builder value > per-signal env var > generic env var >
//! default**. The one exception is the service identity: `OTEL_SERVICE_NAME` and
//! `OTEL_RESOURCE_ATTRIBUTES` override what the code sets, so that a deployment can rename a
//! service without a rebuild (this is what the OpenTelemetry specification prescribes).
//!
//! All environment reading happens in [`TelemetryConfigBuilder::build_from`]; nothing else in
//! the crate reads the environment. Empty variables count as unset. Every bad value is an
//! [`Error::InvalidEnv`] naming the variable, the value (redacted for headers) and what is
//! accepted; unknown values are errors, never silent defaults.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use crate::error::{Error, Result};

// === environment variable names ===

/// `true` disables every signal: init succeeds, nothing is exported, no port is bound.
pub const OTEL_SDK_DISABLED: &str = "OTEL_SDK_DISABLED";
/// The `service.name` resource attribute.
pub const OTEL_SERVICE_NAME: &str = "OTEL_SERVICE_NAME";
/// Extra resource attributes, `key=value,key2=value2` (values percent-decoded).
pub const OTEL_RESOURCE_ATTRIBUTES: &str = "OTEL_RESOURCE_ATTRIBUTES";
/// Trace exporters: `otlp`, `console`, `none` (comma list).
pub const OTEL_TRACES_EXPORTER: &str = "OTEL_TRACES_EXPORTER";
/// Metric exporters: `prometheus`, `otlp`, `console`, `none` (comma list).
pub const OTEL_METRICS_EXPORTER: &str = "OTEL_METRICS_EXPORTER";
/// Log record exporters: `otlp`, `console`, `none` (comma list).
pub const OTEL_LOGS_EXPORTER: &str = "OTEL_LOGS_EXPORTER";
/// OTLP endpoint for all signals (HTTP: `/v1/<signal>` is appended).
pub const OTEL_EXPORTER_OTLP_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";
/// OTLP protocol for all signals: `grpc` or `http/protobuf`.
pub const OTEL_EXPORTER_OTLP_PROTOCOL: &str = "OTEL_EXPORTER_OTLP_PROTOCOL";
/// OTLP headers for all signals, `key=value,...` (values are secrets: never printed).
pub const OTEL_EXPORTER_OTLP_HEADERS: &str = "OTEL_EXPORTER_OTLP_HEADERS";
/// OTLP export timeout in milliseconds for all signals.
pub const OTEL_EXPORTER_OTLP_TIMEOUT: &str = "OTEL_EXPORTER_OTLP_TIMEOUT";
/// OTLP compression for all signals: `gzip` or `none`.
pub const OTEL_EXPORTER_OTLP_COMPRESSION: &str = "OTEL_EXPORTER_OTLP_COMPRESSION";
/// PEM file of the CA that signs the collector's certificate (`https://` endpoints, feature
/// `tls`); default: the webpki root certificates.
pub const OTEL_EXPORTER_OTLP_CERTIFICATE: &str = "OTEL_EXPORTER_OTLP_CERTIFICATE";
/// Sampler: `always_on`, `always_off`, `traceidratio`, `parentbased_always_on`,
/// `parentbased_always_off`, `parentbased_traceidratio`.
pub const OTEL_TRACES_SAMPLER: &str = "OTEL_TRACES_SAMPLER";
/// The ratio for the `*traceidratio` samplers, `0.0..=1.0`.
pub const OTEL_TRACES_SAMPLER_ARG: &str = "OTEL_TRACES_SAMPLER_ARG";
/// Propagators: `tracecontext`, `baggage`, `none` (comma list).
pub const OTEL_PROPAGATORS: &str = "OTEL_PROPAGATORS";
/// Batch span processor: delay between exports, milliseconds.
pub const OTEL_BSP_SCHEDULE_DELAY: &str = "OTEL_BSP_SCHEDULE_DELAY";
/// Batch span processor: queue capacity (spans).
pub const OTEL_BSP_MAX_QUEUE_SIZE: &str = "OTEL_BSP_MAX_QUEUE_SIZE";
/// Batch span processor: spans per export.
pub const OTEL_BSP_MAX_EXPORT_BATCH_SIZE: &str = "OTEL_BSP_MAX_EXPORT_BATCH_SIZE";
/// Delay between two log record exports, in milliseconds.
pub const OTEL_BLRP_SCHEDULE_DELAY: &str = "OTEL_BLRP_SCHEDULE_DELAY";
/// Log record queue capacity.
pub const OTEL_BLRP_MAX_QUEUE_SIZE: &str = "OTEL_BLRP_MAX_QUEUE_SIZE";
/// Log records per export.
pub const OTEL_BLRP_MAX_EXPORT_BATCH_SIZE: &str = "OTEL_BLRP_MAX_EXPORT_BATCH_SIZE";
/// Interval of the OTLP metric push, milliseconds.
pub const OTEL_METRIC_EXPORT_INTERVAL: &str = "OTEL_METRIC_EXPORT_INTERVAL";
/// Address the scrape endpoint binds to (default `127.0.0.1`).
pub const OTEL_EXPORTER_PROMETHEUS_HOST: &str = "OTEL_EXPORTER_PROMETHEUS_HOST";
/// Port of the scrape endpoint (default `9464`; `0` picks a free port).
pub const OTEL_EXPORTER_PROMETHEUS_PORT: &str = "OTEL_EXPORTER_PROMETHEUS_PORT";
/// Console log filter (tracing-subscriber `EnvFilter` syntax), default `info`.
pub const RUST_LOG: &str = "RUST_LOG";
/// Console log format: `text` or `json`.
pub const RUST_LOG_FORMAT: &str = "RUST_LOG_FORMAT";

/// Per-signal forms of the OTLP variables, in the order traces, metrics, logs.
const SIGNAL_VARS: [SignalVars; 3] = [
    SignalVars {
        signal: Signal::Traces,
        endpoint: "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        protocol: "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
        headers: "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
        timeout: "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
        compression: "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
        certificate: "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE",
    },
    SignalVars {
        signal: Signal::Metrics,
        endpoint: "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
        protocol: "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL",
        headers: "OTEL_EXPORTER_OTLP_METRICS_HEADERS",
        timeout: "OTEL_EXPORTER_OTLP_METRICS_TIMEOUT",
        compression: "OTEL_EXPORTER_OTLP_METRICS_COMPRESSION",
        certificate: "OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE",
    },
    SignalVars {
        signal: Signal::Logs,
        endpoint: "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
        protocol: "OTEL_EXPORTER_OTLP_LOGS_PROTOCOL",
        headers: "OTEL_EXPORTER_OTLP_LOGS_HEADERS",
        timeout: "OTEL_EXPORTER_OTLP_LOGS_TIMEOUT",
        compression: "OTEL_EXPORTER_OTLP_LOGS_COMPRESSION",
        certificate: "OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE",
    },
];

/// Every variable [`TelemetryConfig::from_env`] reads, for docs and tests.
pub const ALL_ENV_VARS: &[&str] = &[
    OTEL_SDK_DISABLED,
    OTEL_SERVICE_NAME,
    OTEL_RESOURCE_ATTRIBUTES,
    OTEL_TRACES_EXPORTER,
    OTEL_METRICS_EXPORTER,
    OTEL_LOGS_EXPORTER,
    OTEL_EXPORTER_OTLP_ENDPOINT,
    OTEL_EXPORTER_OTLP_PROTOCOL,
    OTEL_EXPORTER_OTLP_HEADERS,
    OTEL_EXPORTER_OTLP_TIMEOUT,
    OTEL_EXPORTER_OTLP_COMPRESSION,
    OTEL_EXPORTER_OTLP_CERTIFICATE,
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
    "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
    "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
    "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE",
    "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
    "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL",
    "OTEL_EXPORTER_OTLP_METRICS_HEADERS",
    "OTEL_EXPORTER_OTLP_METRICS_TIMEOUT",
    "OTEL_EXPORTER_OTLP_METRICS_COMPRESSION",
    "OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE",
    "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
    "OTEL_EXPORTER_OTLP_LOGS_PROTOCOL",
    "OTEL_EXPORTER_OTLP_LOGS_HEADERS",
    "OTEL_EXPORTER_OTLP_LOGS_TIMEOUT",
    "OTEL_EXPORTER_OTLP_LOGS_COMPRESSION",
    "OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE",
    OTEL_TRACES_SAMPLER,
    OTEL_TRACES_SAMPLER_ARG,
    OTEL_PROPAGATORS,
    OTEL_BSP_SCHEDULE_DELAY,
    OTEL_BSP_MAX_QUEUE_SIZE,
    OTEL_BSP_MAX_EXPORT_BATCH_SIZE,
    OTEL_BLRP_SCHEDULE_DELAY,
    OTEL_BLRP_MAX_QUEUE_SIZE,
    OTEL_BLRP_MAX_EXPORT_BATCH_SIZE,
    OTEL_METRIC_EXPORT_INTERVAL,
    OTEL_EXPORTER_PROMETHEUS_HOST,
    OTEL_EXPORTER_PROMETHEUS_PORT,
    RUST_LOG,
    RUST_LOG_FORMAT,
];

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
const MAX_DURATION_MS: u64 = 3_600_000;

// === value types ===

/// The three OpenTelemetry signals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Signal {
    /// Spans.
    Traces,
    /// Metric points.
    Metrics,
    /// Log records.
    Logs,
}

impl Signal {
    /// Lower-case name, as used in OTLP paths and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Signal::Traces => "traces",
            Signal::Metrics => "metrics",
            Signal::Logs => "logs",
        }
    }

    fn http_path(self) -> &'static str {
        match self {
            Signal::Traces => "/v1/traces",
            Signal::Metrics => "/v1/metrics",
            Signal::Logs => "/v1/logs",
        }
    }
}

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

/// Console log format (`RUST_LOG_FORMAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// Human-readable lines with `trace_id=… span_id=…` appended inside spans (default).
    #[default]
    Text,
    /// One JSON object per line with `trace_id` and `span_id` fields inside spans.
    Json,
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

/// Resolved OTLP settings of one signal.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct OtlpConfig {
    /// Full endpoint URL (for HTTP including `/v1/<signal>`).
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
        }
    }
}

// === TelemetryConfig ===

/// The complete, validated configuration of the telemetry pipeline.
///
/// Build it with [`TelemetryConfig::from_env`] (environment only) or
/// [`TelemetryConfig::builder`] (code values that win over the environment). Its `Debug` and
/// `Display` never show header values.
///
/// # Examples
///
/// ```
/// use marketplace_telemetry::TelemetryConfig;
///
/// let config = TelemetryConfig::builder()
///     .with_service_name("marketplace-api")
///     .with_prometheus_port(0)
///     .build_from(|_| None)?; // ignore the process environment
/// assert_eq!(config.service_name, "marketplace-api");
/// assert_eq!(config.prometheus_addr.ip().to_string(), "127.0.0.1");
/// # Ok::<(), marketplace_telemetry::Error>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TelemetryConfig {
    /// `OTEL_SDK_DISABLED`: export nothing, bind nothing.
    pub sdk_disabled: bool,
    /// `service.name`.
    pub service_name: String,
    /// `service.version`, if known.
    pub service_version: Option<String>,
    /// Extra resource attributes (`OTEL_RESOURCE_ATTRIBUTES` merged over the builder's).
    pub resource_attributes: Vec<(String, String)>,
    /// Trace exporters.
    pub traces_exporters: Exporters,
    /// Metric exporters.
    pub metrics_exporters: Exporters,
    /// Log record exporters (the console `tracing` output is separate and always on).
    pub logs_exporters: Exporters,
    /// OTLP settings for traces.
    pub traces_otlp: OtlpConfig,
    /// OTLP settings for metrics.
    pub metrics_otlp: OtlpConfig,
    /// OTLP settings for logs.
    pub logs_otlp: OtlpConfig,
    /// Head sampler.
    pub sampler: Sampler,
    /// Propagators installed globally (empty: none).
    pub propagators: Vec<Propagator>,
    /// Batch span processor.
    pub batch: BatchConfig,
    /// Batch log record processor (used when log records are exported over OTLP).
    pub log_batch: BatchConfig,
    /// OTLP metric push interval.
    pub metric_export_interval: Duration,
    /// Where the scrape endpoint listens.
    pub prometheus_addr: SocketAddr,
    /// Whether to serve `/metrics` ourselves (otherwise mount [`crate::ScrapeHandler`]).
    pub serve_scrape_endpoint: bool,
    /// Console log filter (`RUST_LOG` syntax).
    pub log_filter: String,
    /// Console log format.
    pub log_format: LogFormat,
    /// Filter for spans exported over OTLP, separate from [`log_filter`](Self::log_filter) so a
    /// quiet `RUST_LOG` does not drop exported spans. Default `info`.
    pub traces_filter: String,
    /// Filter for log records exported over OTLP. Default `info`. The exporter's own crates are
    /// always excluded.
    pub logs_export_filter: String,
    /// Bound on [`Telemetry::shutdown`](crate::Telemetry::shutdown) and drop (default 5 s).
    pub shutdown_timeout: Duration,
    /// Whether process metrics (RSS, CPU, fds, threads, start time) are registered.
    pub process_metrics: bool,
    /// Where console logs are written (default stdout).
    pub log_writer: crate::logs::LogWriter,
    /// Prefix of every marketplace instrument name (e.g. `mockforge`), if any.
    pub metrics_namespace: Option<String>,
    /// Cache names registered for [`Cache`](crate::marketplace::Cache) handles (default
    /// `["default"]`).
    pub caches: Vec<String>,
}

impl TelemetryConfig {
    /// Reads the configuration from the process environment.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidEnv`] for the first variable that holds an unacceptable value.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let config = marketplace_telemetry::TelemetryConfig::from_env()?;
    /// # Ok::<(), marketplace_telemetry::Error>(())
    /// ```
    pub fn from_env() -> Result<Self> {
        TelemetryConfigBuilder::default().build()
    }

    /// Starts a builder; its values win over the environment.
    ///
    /// # Examples
    ///
    /// ```
    /// let builder = marketplace_telemetry::TelemetryConfig::builder().with_service_name("api");
    /// ```
    pub fn builder() -> TelemetryConfigBuilder {
        TelemetryConfigBuilder::default()
    }

    /// A one-paragraph, secret-free summary of the effective configuration, as logged at
    /// startup.
    ///
    /// # Examples
    ///
    /// ```
    /// let config = marketplace_telemetry::TelemetryConfig::builder().build_from(|_| None)?;
    /// assert!(config.report().to_string().contains("traces=otlp"));
    /// # Ok::<(), marketplace_telemetry::Error>(())
    /// ```
    pub fn report(&self) -> ConfigReport<'_> {
        ConfigReport(self)
    }
}

/// Display adapter returned by [`TelemetryConfig::report`].
#[derive(Debug)]
pub struct ConfigReport<'a>(&'a TelemetryConfig);

impl fmt::Display for ConfigReport<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.0;
        if c.sdk_disabled {
            return write!(
                f,
                "service={} sdk_disabled=true (nothing exported)",
                c.service_name
            );
        }
        write!(
            f,
            "service={} version={} traces={} metrics={} logs={}",
            c.service_name,
            c.service_version.as_deref().unwrap_or("-"),
            c.traces_exporters,
            c.metrics_exporters,
            c.logs_exporters
        )?;
        for (signal, exporters, otlp) in [
            ("traces", c.traces_exporters, &c.traces_otlp),
            ("metrics", c.metrics_exporters, &c.metrics_otlp),
            ("logs", c.logs_exporters, &c.logs_otlp),
        ] {
            if exporters.otlp {
                write!(
                    f,
                    " {signal}_otlp={}({}, timeout={}ms, compression={:?}, headers={})",
                    otlp.endpoint,
                    otlp.protocol.as_str(),
                    otlp.timeout.as_millis(),
                    otlp.compression,
                    otlp.headers
                )?;
            }
        }
        write!(
            f,
            " sampler={} propagators={:?} bsp(delay={}ms, queue={}, batch={})",
            c.sampler,
            c.propagators,
            c.batch.schedule_delay.as_millis(),
            c.batch.max_queue_size,
            c.batch.max_export_batch_size
        )?;
        if c.logs_exporters.otlp {
            write!(
                f,
                " blrp(delay={}ms, queue={}, batch={})",
                c.log_batch.schedule_delay.as_millis(),
                c.log_batch.max_queue_size,
                c.log_batch.max_export_batch_size
            )?;
        }
        if c.metrics_exporters.prometheus {
            if c.serve_scrape_endpoint {
                write!(f, " scrape=http://{}/metrics", c.prometheus_addr)?;
            } else {
                f.write_str(" scrape=mounted-by-host")?;
            }
        }
        if c.metrics_exporters.otlp {
            write!(
                f,
                " metric_interval={}ms",
                c.metric_export_interval.as_millis()
            )?;
        }
        write!(
            f,
            " log_format={:?} log_filter={:?} traces_filter={:?}",
            c.log_format, c.log_filter, c.traces_filter
        )
    }
}

// === builder ===

/// Builder for [`TelemetryConfig`]. Every `with_*` value wins over its environment variable.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use marketplace_telemetry::{config::Protocol, TelemetryConfig};
///
/// let config = TelemetryConfig::builder()
///     .with_service_name("marketplace-api")
///     .with_service_version("2.1.0")
///     .with_otlp_endpoint("http://collector:4317")
///     .with_otlp_protocol(Protocol::Grpc)
///     .with_shutdown_timeout(Duration::from_secs(2))
///     .build_from(|_| None)?;
/// assert_eq!(config.traces_otlp.endpoint, "http://collector:4317");
/// # Ok::<(), marketplace_telemetry::Error>(())
/// ```
#[derive(Default, Clone)]
#[must_use]
pub struct TelemetryConfigBuilder {
    sdk_disabled: Option<bool>,
    service_name: Option<String>,
    service_version: Option<String>,
    resource_attributes: Vec<(String, String)>,
    traces_exporters: Option<Exporters>,
    metrics_exporters: Option<Exporters>,
    logs_exporters: Option<Exporters>,
    otlp_endpoint: Option<String>,
    otlp_protocol: Option<Protocol>,
    otlp_headers: Option<Headers>,
    otlp_timeout: Option<Duration>,
    otlp_compression: Option<Compression>,
    otlp_ca_certificate: Option<std::path::PathBuf>,
    sampler: Option<Sampler>,
    propagators: Option<Vec<Propagator>>,
    batch_schedule_delay: Option<Duration>,
    batch_max_queue_size: Option<usize>,
    batch_max_export_batch_size: Option<usize>,
    log_batch: BatchOverrides,
    metric_export_interval: Option<Duration>,
    prometheus_host: Option<IpAddr>,
    prometheus_port: Option<u16>,
    serve_scrape_endpoint: Option<bool>,
    log_filter: Option<String>,
    log_format: Option<LogFormat>,
    traces_filter: Option<String>,
    logs_export_filter: Option<String>,
    shutdown_timeout: Option<Duration>,
    process_metrics: Option<bool>,
    log_writer: Option<crate::logs::LogWriter>,
    metrics_namespace: Option<String>,
    caches: Option<Vec<String>>,
}

impl fmt::Debug for TelemetryConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TelemetryConfigBuilder")
            .field("service_name", &self.service_name)
            .field("otlp_endpoint", &self.otlp_endpoint)
            .field("otlp_headers", &self.otlp_headers)
            .finish_non_exhaustive()
    }
}

impl TelemetryConfigBuilder {
    /// Disables every signal (env: `OTEL_SDK_DISABLED`, default `false`).
    pub fn with_sdk_disabled(mut self, disabled: bool) -> Self {
        self.sdk_disabled = Some(disabled);
        self
    }

    /// Sets `service.name` (overridden by `OTEL_SERVICE_NAME`; default: the binary's name).
    pub fn with_service_name(mut self, name: impl Into<String>) -> Self {
        self.service_name = Some(name.into());
        self
    }

    /// Sets `service.version` (default: none; pass `env!("CARGO_PKG_VERSION")`).
    pub fn with_service_version(mut self, version: impl Into<String>) -> Self {
        self.service_version = Some(version.into());
        self
    }

    /// Adds a resource attribute (`OTEL_RESOURCE_ATTRIBUTES` entries override it).
    pub fn with_resource_attribute(
        mut self,
        key: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        self.resource_attributes.push((key.into(), value.into()));
        self
    }

    /// Trace exporters (env: `OTEL_TRACES_EXPORTER`, default `otlp`).
    pub fn with_traces_exporters(mut self, exporters: Exporters) -> Self {
        self.traces_exporters = Some(exporters);
        self
    }

    /// Metric exporters (env: `OTEL_METRICS_EXPORTER`, default `prometheus`).
    pub fn with_metrics_exporters(mut self, exporters: Exporters) -> Self {
        self.metrics_exporters = Some(exporters);
        self
    }

    /// Log record exporters (env: `OTEL_LOGS_EXPORTER`, default `none`; console logging
    /// through `tracing` is always on).
    pub fn with_logs_exporters(mut self, exporters: Exporters) -> Self {
        self.logs_exporters = Some(exporters);
        self
    }

    /// OTLP endpoint for every signal, used as is (env: `OTEL_EXPORTER_OTLP_ENDPOINT` and the
    /// per-signal forms; default `http://localhost:4317` for gRPC, `http://localhost:4318/v1/<signal>`
    /// for HTTP).
    pub fn with_otlp_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.otlp_endpoint = Some(endpoint.into());
        self
    }

    /// OTLP transport (env: `OTEL_EXPORTER_OTLP_PROTOCOL`, default `grpc`).
    pub fn with_otlp_protocol(mut self, protocol: Protocol) -> Self {
        self.otlp_protocol = Some(protocol);
        self
    }

    /// Adds an OTLP header (env: `OTEL_EXPORTER_OTLP_HEADERS`). The value is never printed.
    pub fn with_otlp_header(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.otlp_headers
            .get_or_insert_with(Headers::new)
            .insert(key, value);
        self
    }

    /// OTLP export timeout (env: `OTEL_EXPORTER_OTLP_TIMEOUT` in ms, default 10 s).
    pub fn with_otlp_timeout(mut self, timeout: Duration) -> Self {
        self.otlp_timeout = Some(timeout);
        self
    }

    /// OTLP compression (env: `OTEL_EXPORTER_OTLP_COMPRESSION`, default none).
    pub fn with_otlp_compression(mut self, compression: Compression) -> Self {
        self.otlp_compression = Some(compression);
        self
    }

    /// CA certificate (PEM file) for `https://` endpoints (env: `OTEL_EXPORTER_OTLP_CERTIFICATE`
    /// and the per-signal forms; default: webpki roots). Needs the `tls` feature.
    pub fn with_otlp_ca_certificate(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.otlp_ca_certificate = Some(path.into());
        self
    }

    /// Head sampler (env: `OTEL_TRACES_SAMPLER` + `_ARG`, default `parentbased_always_on`).
    pub fn with_sampler(mut self, sampler: Sampler) -> Self {
        self.sampler = Some(sampler);
        self
    }

    /// Propagators (env: `OTEL_PROPAGATORS`, default `tracecontext,baggage`).
    pub fn with_propagators(mut self, propagators: Vec<Propagator>) -> Self {
        self.propagators = Some(propagators);
        self
    }

    /// Batch export delay (env: `OTEL_BSP_SCHEDULE_DELAY` in ms, default 5000).
    pub fn with_batch_schedule_delay(mut self, delay: Duration) -> Self {
        self.batch_schedule_delay = Some(delay);
        self
    }

    /// Span queue capacity (env: `OTEL_BSP_MAX_QUEUE_SIZE`, default 2048, max
    /// [`MAX_QUEUE_SIZE`]).
    pub fn with_batch_max_queue_size(mut self, size: usize) -> Self {
        self.batch_max_queue_size = Some(size);
        self
    }

    /// Spans per export (env: `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`, default 512).
    pub fn with_batch_max_export_batch_size(mut self, size: usize) -> Self {
        self.batch_max_export_batch_size = Some(size);
        self
    }

    /// Log record export delay (env: `OTEL_BLRP_SCHEDULE_DELAY` in ms, default 1000).
    pub fn with_log_batch_schedule_delay(mut self, delay: Duration) -> Self {
        self.log_batch.schedule_delay = Some(delay);
        self
    }

    /// Log record queue capacity (env: `OTEL_BLRP_MAX_QUEUE_SIZE`, default 2048, max
    /// [`MAX_QUEUE_SIZE`]).
    pub fn with_log_batch_max_queue_size(mut self, size: usize) -> Self {
        self.log_batch.max_queue_size = Some(size);
        self
    }

    /// Log records per export (env: `OTEL_BLRP_MAX_EXPORT_BATCH_SIZE`, default 512).
    pub fn with_log_batch_max_export_batch_size(mut self, size: usize) -> Self {
        self.log_batch.max_export_batch_size = Some(size);
        self
    }

    /// OTLP metric push interval (env: `OTEL_METRIC_EXPORT_INTERVAL` in ms, default 60000).
    pub fn with_metric_export_interval(mut self, interval: Duration) -> Self {
        self.metric_export_interval = Some(interval);
        self
    }

    /// Scrape endpoint address (env: `OTEL_EXPORTER_PROMETHEUS_HOST`, default `127.0.0.1`).
    pub fn with_prometheus_host(mut self, host: IpAddr) -> Self {
        self.prometheus_host = Some(host);
        self
    }

    /// Scrape endpoint port (env: `OTEL_EXPORTER_PROMETHEUS_PORT`, default 9464; 0 = any free
    /// port, see [`Telemetry::scrape_addr`](crate::Telemetry::scrape_addr)).
    pub fn with_prometheus_port(mut self, port: u16) -> Self {
        self.prometheus_port = Some(port);
        self
    }

    /// Whether to serve `/metrics` ourselves (default `true`). Set `false` to mount
    /// [`crate::ScrapeHandler`] in your own router.
    pub fn with_scrape_endpoint(mut self, serve: bool) -> Self {
        self.serve_scrape_endpoint = Some(serve);
        self
    }

    /// Console log filter (env: `RUST_LOG`, default `info`).
    pub fn with_log_filter(mut self, filter: impl Into<String>) -> Self {
        self.log_filter = Some(filter.into());
        self
    }

    /// Console log format (env: `RUST_LOG_FORMAT`, default `text`).
    pub fn with_log_format(mut self, format: LogFormat) -> Self {
        self.log_format = Some(format);
        self
    }

    /// Filter for exported spans (`RUST_LOG` syntax, default `info`).
    pub fn with_traces_filter(mut self, filter: impl Into<String>) -> Self {
        self.traces_filter = Some(filter.into());
        self
    }

    /// Filter for log records exported over OTLP (default `info`).
    pub fn with_logs_export_filter(mut self, filter: impl Into<String>) -> Self {
        self.logs_export_filter = Some(filter.into());
        self
    }

    /// Bound on shutdown and drop (default 5 s).
    pub fn with_shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = Some(timeout);
        self
    }

    /// Whether to register process metrics (default `true`).
    pub fn with_process_metrics(mut self, enabled: bool) -> Self {
        self.process_metrics = Some(enabled);
        self
    }

    /// Where console logs go (default stdout).
    pub fn with_log_writer(mut self, writer: crate::logs::LogWriter) -> Self {
        self.log_writer = Some(writer);
        self
    }

    /// Prefix of every marketplace instrument (`mockforge` →
    /// `mockforge_marketplace_search_duration_seconds`). Default: none.
    pub fn with_metrics_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.metrics_namespace = Some(namespace.into());
        self
    }

    /// Cache names for [`MarketplaceMetrics::cache`](crate::marketplace::MarketplaceMetrics::cache)
    /// (at most 32; default `["default"]`).
    pub fn with_caches<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.caches = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Builds the configuration, reading the process environment for unset values.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidEnv`] for a bad variable, [`Error::InvalidConfig`] for a bad builder
    /// value.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let config = marketplace_telemetry::TelemetryConfig::builder()
    ///     .with_service_name("api")
    ///     .build()?;
    /// # Ok::<(), marketplace_telemetry::Error>(())
    /// ```
    pub fn build(self) -> Result<TelemetryConfig> {
        self.build_from(|name| std::env::var(name).ok())
    }

    /// Builds the configuration with `lookup` standing in for the environment (hermetic tests,
    /// config files, secret stores).
    ///
    /// # Errors
    ///
    /// As [`build`](Self::build).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::collections::HashMap;
    /// let env = HashMap::from([("OTEL_SERVICE_NAME", "search"), ("RUST_LOG_FORMAT", "json")]);
    /// let config = marketplace_telemetry::TelemetryConfig::builder()
    ///     .build_from(|k| env.get(k).map(|v| v.to_string()))?;
    /// assert_eq!(config.service_name, "search");
    /// # Ok::<(), marketplace_telemetry::Error>(())
    /// ```
    pub fn build_from<F>(self, lookup: F) -> Result<TelemetryConfig>
    where
        F: Fn(&str) -> Option<String>,
    {
        let env = Env(&lookup);

        let sdk_disabled = match self.sdk_disabled {
            Some(v) => v,
            None => env
                .parse(OTEL_SDK_DISABLED, parse_bool, "true or false")?
                .unwrap_or(false),
        };

        // Resource: builder < OTEL_RESOURCE_ATTRIBUTES < OTEL_SERVICE_NAME (spec precedence).
        let mut resource_attributes = self.resource_attributes;
        validate_attributes(&resource_attributes, "resource_attribute")?;
        if let Some(raw) = env.get(OTEL_RESOURCE_ATTRIBUTES) {
            for (k, v) in parse_key_values(&raw).map_err(|_| Error::InvalidEnv {
                var: OTEL_RESOURCE_ATTRIBUTES,
                value: raw.clone(),
                expected:
                    "comma-separated key=value pairs with non-empty keys (values percent-encoded)",
            })? {
                resource_attributes.retain(|(existing, _)| existing != &k);
                resource_attributes.push((k, v));
            }
        }
        let service_name = match env.parse(
            OTEL_SERVICE_NAME,
            |v| valid_name(v).then(|| v.trim().to_string()),
            "a name of 1 to 255 characters without control characters",
        )? {
            Some(name) => name,
            None => match resource_attributes
                .iter()
                .find(|(k, _)| k == "service.name")
            {
                Some((_, v)) => v.clone(),
                None => match self.service_name {
                    Some(name) if valid_name(&name) => name,
                    Some(name) => {
                        return Err(Error::InvalidConfig {
                            field: "service_name",
                            value: name,
                            expected: "a name of 1 to 255 characters without control characters",
                        })
                    }
                    None => default_service_name(),
                },
            },
        };
        resource_attributes.retain(|(k, _)| k != "service.name");
        let service_version = match self.service_version {
            Some(v) => Some(v),
            None => resource_attributes
                .iter()
                .find(|(k, _)| k == "service.version")
                .map(|(_, v)| v.clone()),
        };
        resource_attributes.retain(|(k, _)| k != "service.version");

        let traces_exporters = match self.traces_exporters {
            Some(e) => e,
            None => env
                .parse(
                    OTEL_TRACES_EXPORTER,
                    |v| parse_exporters(v, false),
                    "a comma list of otlp, console, none",
                )?
                .unwrap_or(Exporters::OTLP),
        };
        let metrics_exporters = match self.metrics_exporters {
            Some(e) => e,
            None => env
                .parse(
                    OTEL_METRICS_EXPORTER,
                    |v| parse_exporters(v, true),
                    "a comma list of prometheus, otlp, console, none",
                )?
                .unwrap_or(Exporters::PROMETHEUS),
        };
        let logs_exporters = match self.logs_exporters {
            Some(e) => e,
            None => env
                .parse(
                    OTEL_LOGS_EXPORTER,
                    |v| parse_exporters(v, false),
                    "a comma list of otlp, console, none",
                )?
                .unwrap_or(Exporters::NONE),
        };

        // OTLP: explicit > signal env > generic env > default.
        if let Some(endpoint) = &self.otlp_endpoint {
            validate_endpoint(endpoint).map_err(|expected| Error::InvalidConfig {
                field: "otlp_endpoint",
                value: endpoint.clone(),
                expected,
            })?;
        }
        if let Some(timeout) = self.otlp_timeout {
            if timeout.is_zero() {
                return Err(Error::InvalidConfig {
                    field: "otlp_timeout",
                    value: format!("{timeout:?}"),
                    expected: "a positive duration",
                });
            }
        }
        let generic_protocol = env.parse(
            OTEL_EXPORTER_OTLP_PROTOCOL,
            parse_protocol,
            "grpc or http/protobuf",
        )?;
        let generic_endpoint = env.parse(
            OTEL_EXPORTER_OTLP_ENDPOINT,
            |v| validate_endpoint(v).ok().map(|_| v.to_string()),
            ENDPOINT_EXPECTED,
        )?;
        let generic_headers = env.parse_secret(OTEL_EXPORTER_OTLP_HEADERS)?;
        let generic_timeout =
            env.parse(OTEL_EXPORTER_OTLP_TIMEOUT, parse_millis, MILLIS_EXPECTED)?;
        let generic_compression = env.parse(
            OTEL_EXPORTER_OTLP_COMPRESSION,
            parse_compression,
            "gzip or none",
        )?;
        let generic_certificate =
            env.parse(OTEL_EXPORTER_OTLP_CERTIFICATE, parse_pem_path, PEM_EXPECTED)?;
        if let Some(path) = &self.otlp_ca_certificate {
            if parse_pem_path(&path.to_string_lossy()).is_none() {
                return Err(Error::InvalidConfig {
                    field: "otlp_ca_certificate",
                    value: path.display().to_string(),
                    expected: PEM_EXPECTED,
                });
            }
        }

        let resolve = |vars: &SignalVars| -> Result<OtlpConfig> {
            let protocol = match self.otlp_protocol {
                Some(p) => p,
                None => env
                    .parse(vars.protocol, parse_protocol, "grpc or http/protobuf")?
                    .or(generic_protocol)
                    .unwrap_or(Protocol::Grpc),
            };
            let endpoint = match &self.otlp_endpoint {
                Some(e) => e.clone(),
                None => match env.parse(
                    vars.endpoint,
                    |v| validate_endpoint(v).ok().map(|_| v.to_string()),
                    ENDPOINT_EXPECTED,
                )? {
                    Some(e) => e,
                    None => match (&generic_endpoint, protocol) {
                        (Some(e), Protocol::Grpc) => e.clone(),
                        (Some(e), Protocol::HttpProtobuf) => join_signal_path(e, vars.signal),
                        (None, Protocol::Grpc) => DEFAULT_GRPC_ENDPOINT.to_string(),
                        (None, Protocol::HttpProtobuf) => {
                            join_signal_path(DEFAULT_HTTP_ENDPOINT, vars.signal)
                        }
                    },
                },
            };
            let mut headers = generic_headers.clone().unwrap_or_default();
            if let Some(signal_headers) = env.parse_secret(vars.headers)? {
                for (k, v) in signal_headers.iter() {
                    headers.insert(k, v);
                }
            }
            if let Some(explicit) = &self.otlp_headers {
                for (k, v) in explicit.iter() {
                    headers.insert(k, v);
                }
            }
            let timeout = match self.otlp_timeout {
                Some(t) => t,
                None => env
                    .parse(vars.timeout, parse_millis, MILLIS_EXPECTED)?
                    .or(generic_timeout)
                    .unwrap_or(Duration::from_secs(10)),
            };
            let compression = match self.otlp_compression {
                Some(c) => c,
                None => env
                    .parse(vars.compression, parse_compression, "gzip or none")?
                    .or(generic_compression)
                    .unwrap_or_default(),
            };
            let ca_certificate = match &self.otlp_ca_certificate {
                Some(path) => Some(path.clone()),
                None => env
                    .parse(vars.certificate, parse_pem_path, PEM_EXPECTED)?
                    .or_else(|| generic_certificate.clone()),
            };
            Ok(OtlpConfig {
                endpoint,
                protocol,
                headers,
                timeout,
                compression,
                ca_certificate,
            })
        };
        let [traces_vars, metrics_vars, logs_vars] = &SIGNAL_VARS;
        let traces_otlp = resolve(traces_vars)?;
        let metrics_otlp = resolve(metrics_vars)?;
        let logs_otlp = resolve(logs_vars)?;

        let sampler = match self.sampler {
            Some(s) => validate_sampler(s)?,
            None => {
                let arg = env.parse(
                    OTEL_TRACES_SAMPLER_ARG,
                    parse_ratio,
                    "a number from 0.0 to 1.0",
                )?;
                env.parse(
                    OTEL_TRACES_SAMPLER,
                    |v| parse_sampler(v, arg),
                    SAMPLER_EXPECTED,
                )?
                .unwrap_or(Sampler::ParentBasedAlwaysOn)
            }
        };
        let propagators = match self.propagators {
            Some(p) => p,
            None => env
                .parse(OTEL_PROPAGATORS, parse_propagators, "a comma list of tracecontext, baggage, none (b3, jaeger, xray and ottrace are not supported)")?
                .unwrap_or_else(|| vec![Propagator::TraceContext, Propagator::Baggage]),
        };

        let batch = resolve_batch(
            &env,
            &BSP_VARS,
            BatchOverrides {
                schedule_delay: self.batch_schedule_delay,
                max_queue_size: self.batch_max_queue_size,
                max_export_batch_size: self.batch_max_export_batch_size,
            },
            BatchConfig::default(),
        )?;
        let log_batch =
            resolve_batch(&env, &BLRP_VARS, self.log_batch, BatchConfig::log_records())?;
        let metric_export_interval = match self.metric_export_interval {
            Some(d) if !d.is_zero() => d,
            Some(d) => {
                return Err(Error::InvalidConfig {
                    field: "metric_export_interval",
                    value: format!("{d:?}"),
                    expected: "a positive duration",
                })
            }
            None => env
                .parse(OTEL_METRIC_EXPORT_INTERVAL, parse_millis, MILLIS_EXPECTED)?
                .unwrap_or(Duration::from_secs(60)),
        };

        let host = match self.prometheus_host {
            Some(h) => h,
            None => env
                .parse(
                    OTEL_EXPORTER_PROMETHEUS_HOST,
                    parse_host,
                    "an IP address or localhost",
                )?
                .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        };
        let port = match self.prometheus_port {
            Some(p) => p,
            None => env
                .parse(
                    OTEL_EXPORTER_PROMETHEUS_PORT,
                    |v| v.trim().parse::<u16>().ok(),
                    "a port number from 0 to 65535",
                )?
                .unwrap_or(DEFAULT_PROMETHEUS_PORT),
        };

        let log_filter = match self.log_filter {
            Some(f) => validate_filter(&f).ok_or(Error::InvalidConfig {
                field: "log_filter",
                value: f.clone(),
                expected: FILTER_EXPECTED,
            })?,
            None => env
                .parse(RUST_LOG, validate_filter, FILTER_EXPECTED)?
                .unwrap_or_else(|| "info".to_string()),
        };
        let log_format = match self.log_format {
            Some(f) => f,
            None => env
                .parse(RUST_LOG_FORMAT, parse_log_format, "text or json")?
                .unwrap_or_default(),
        };
        let traces_filter = checked_filter(self.traces_filter, "traces_filter")?;
        let logs_export_filter = checked_filter(self.logs_export_filter, "logs_export_filter")?;

        let shutdown_timeout = match self.shutdown_timeout {
            Some(t) if !t.is_zero() => t,
            Some(t) => {
                return Err(Error::InvalidConfig {
                    field: "shutdown_timeout",
                    value: format!("{t:?}"),
                    expected: "a positive duration",
                })
            }
            None => Duration::from_secs(5),
        };

        Ok(TelemetryConfig {
            sdk_disabled,
            service_name,
            service_version,
            resource_attributes,
            traces_exporters,
            metrics_exporters,
            logs_exporters,
            traces_otlp,
            metrics_otlp,
            logs_otlp,
            sampler,
            propagators,
            batch,
            log_batch,
            metric_export_interval,
            prometheus_addr: SocketAddr::new(host, port),
            serve_scrape_endpoint: self.serve_scrape_endpoint.unwrap_or(true),
            log_filter,
            log_format,
            traces_filter,
            logs_export_filter,
            shutdown_timeout,
            process_metrics: self.process_metrics.unwrap_or(true),
            log_writer: self.log_writer.unwrap_or_default(),
            metrics_namespace: self.metrics_namespace,
            caches: self.caches.unwrap_or_else(|| vec!["default".to_string()]),
        })
    }
}

// === parsing helpers ===

const ENDPOINT_EXPECTED: &str =
    "an absolute http:// or https:// URL with a host, e.g. http://localhost:4317";
const MILLIS_EXPECTED: &str = "a whole number of milliseconds from 1 to 3600000";
const QUEUE_EXPECTED: &str = "a whole number from 1 to 1048576";
/// Where a batch processor's three settings come from.
struct BatchVars {
    schedule_delay: &'static str,
    max_queue_size: &'static str,
    max_export_batch_size: &'static str,
    /// Builder field names, for [`Error::InvalidConfig`].
    queue_field: &'static str,
    batch_field: &'static str,
    batch_expected: &'static str,
}

const BSP_VARS: BatchVars = BatchVars {
    schedule_delay: OTEL_BSP_SCHEDULE_DELAY,
    max_queue_size: OTEL_BSP_MAX_QUEUE_SIZE,
    max_export_batch_size: OTEL_BSP_MAX_EXPORT_BATCH_SIZE,
    queue_field: "batch_max_queue_size",
    batch_field: "batch_max_export_batch_size",
    batch_expected: "a whole number from 1 to OTEL_BSP_MAX_QUEUE_SIZE",
};

const BLRP_VARS: BatchVars = BatchVars {
    schedule_delay: OTEL_BLRP_SCHEDULE_DELAY,
    max_queue_size: OTEL_BLRP_MAX_QUEUE_SIZE,
    max_export_batch_size: OTEL_BLRP_MAX_EXPORT_BATCH_SIZE,
    queue_field: "log_batch_max_queue_size",
    batch_field: "log_batch_max_export_batch_size",
    batch_expected: "a whole number from 1 to OTEL_BLRP_MAX_QUEUE_SIZE",
};

/// Batch settings given in code (they win over the environment).
#[derive(Debug, Default, Clone, Copy)]
struct BatchOverrides {
    schedule_delay: Option<Duration>,
    max_queue_size: Option<usize>,
    max_export_batch_size: Option<usize>,
}

/// Code values over the environment over `defaults`, each checked: queue in
/// `1..=MAX_QUEUE_SIZE`, batch in `1..=queue`.
fn resolve_batch<F: Fn(&str) -> Option<String>>(
    env: &Env<'_, F>,
    vars: &BatchVars,
    code: BatchOverrides,
    defaults: BatchConfig,
) -> Result<BatchConfig> {
    let schedule_delay = match code.schedule_delay {
        Some(d) => d,
        None => env
            .parse(vars.schedule_delay, parse_millis, MILLIS_EXPECTED)?
            .unwrap_or(defaults.schedule_delay),
    };
    let max_queue_size = match code.max_queue_size {
        Some(n) if (1..=MAX_QUEUE_SIZE).contains(&n) => n,
        Some(n) => {
            return Err(Error::InvalidConfig {
                field: vars.queue_field,
                value: n.to_string(),
                expected: QUEUE_EXPECTED,
            })
        }
        None => env
            .parse(
                vars.max_queue_size,
                |v| parse_size(v, MAX_QUEUE_SIZE),
                QUEUE_EXPECTED,
            )?
            .unwrap_or(defaults.max_queue_size),
    };
    let max_export_batch_size = match code.max_export_batch_size {
        Some(n) if n >= 1 && n <= max_queue_size => n,
        Some(n) => {
            return Err(Error::InvalidConfig {
                field: vars.batch_field,
                value: n.to_string(),
                expected: vars.batch_expected,
            })
        }
        None => match env.get(vars.max_export_batch_size) {
            Some(raw) => match parse_size(&raw, MAX_QUEUE_SIZE) {
                Some(n) if n <= max_queue_size => n,
                _ => {
                    return Err(Error::InvalidEnv {
                        var: vars.max_export_batch_size,
                        value: raw,
                        expected: vars.batch_expected,
                    })
                }
            },
            None => defaults.max_export_batch_size.min(max_queue_size),
        },
    };
    Ok(BatchConfig {
        schedule_delay,
        max_queue_size,
        max_export_batch_size,
    })
}
const FILTER_EXPECTED: &str = "tracing-subscriber EnvFilter directives, e.g. info,my_crate=debug";
const SAMPLER_EXPECTED: &str = "one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio";

struct SignalVars {
    signal: Signal,
    endpoint: &'static str,
    protocol: &'static str,
    headers: &'static str,
    timeout: &'static str,
    compression: &'static str,
    certificate: &'static str,
}

struct Env<'a, F>(&'a F);

impl<F: Fn(&str) -> Option<String>> Env<'_, F> {
    fn get(&self, var: &str) -> Option<String> {
        (self.0)(var).filter(|v| !v.trim().is_empty())
    }

    fn parse<T>(
        &self,
        var: &'static str,
        parse: impl FnOnce(&str) -> Option<T>,
        expected: &'static str,
    ) -> Result<Option<T>> {
        match self.get(var) {
            None => Ok(None),
            Some(raw) => match parse(&raw) {
                Some(v) => Ok(Some(v)),
                None => Err(Error::InvalidEnv {
                    var,
                    value: raw,
                    expected,
                }),
            },
        }
    }

    fn parse_secret(&self, var: &'static str) -> Result<Option<Headers>> {
        match self.get(var) {
            None => Ok(None),
            Some(raw) => parse_headers(&raw).map(Some).map_err(|redacted| Error::InvalidEnv {
                var,
                value: redacted,
                expected: "comma-separated key=value pairs with header-safe keys (values percent-encoded)",
            }),
        }
    }
}

const PEM_EXPECTED: &str = "the path of a readable PEM certificate file";

/// A path to an existing file that contains a PEM certificate block.
fn parse_pem_path(v: &str) -> Option<std::path::PathBuf> {
    let path = std::path::PathBuf::from(v.trim());
    let text = std::fs::read_to_string(&path).ok()?;
    text.contains("-----BEGIN CERTIFICATE-----").then_some(path)
}

fn valid_name(v: &str) -> bool {
    let v = v.trim();
    !v.is_empty() && v.len() <= 255 && !v.chars().any(char::is_control)
}

fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

fn parse_protocol(v: &str) -> Option<Protocol> {
    match v.trim() {
        "grpc" => Some(Protocol::Grpc),
        "http/protobuf" => Some(Protocol::HttpProtobuf),
        _ => None,
    }
}

fn parse_compression(v: &str) -> Option<Compression> {
    match v.trim() {
        "gzip" => Some(Compression::Gzip),
        "none" => Some(Compression::None),
        _ => None,
    }
}

fn parse_log_format(v: &str) -> Option<LogFormat> {
    match v.trim().to_ascii_lowercase().as_str() {
        "text" => Some(LogFormat::Text),
        "json" => Some(LogFormat::Json),
        _ => None,
    }
}

fn parse_millis(v: &str) -> Option<Duration> {
    match v.trim().parse::<u64>() {
        Ok(ms) if (1..=MAX_DURATION_MS).contains(&ms) => Some(Duration::from_millis(ms)),
        _ => None,
    }
}

fn parse_size(v: &str, max: usize) -> Option<usize> {
    match v.trim().parse::<usize>() {
        Ok(n) if (1..=max).contains(&n) => Some(n),
        _ => None,
    }
}

fn parse_ratio(v: &str) -> Option<f64> {
    match v.trim().parse::<f64>() {
        Ok(r) if (0.0..=1.0).contains(&r) => Some(r),
        _ => None,
    }
}

fn parse_host(v: &str) -> Option<IpAddr> {
    let v = v.trim();
    if v.eq_ignore_ascii_case("localhost") {
        return Some(IpAddr::V4(Ipv4Addr::LOCALHOST));
    }
    v.trim_start_matches('[').trim_end_matches(']').parse().ok()
}

fn parse_sampler(v: &str, arg: Option<f64>) -> Option<Sampler> {
    Some(match v.trim() {
        "always_on" => Sampler::AlwaysOn,
        "always_off" => Sampler::AlwaysOff,
        "traceidratio" => Sampler::TraceIdRatio(arg.unwrap_or(1.0)),
        "parentbased_always_on" => Sampler::ParentBasedAlwaysOn,
        "parentbased_always_off" => Sampler::ParentBasedAlwaysOff,
        "parentbased_traceidratio" => Sampler::ParentBasedTraceIdRatio(arg.unwrap_or(1.0)),
        _ => return None,
    })
}

fn validate_sampler(s: Sampler) -> Result<Sampler> {
    match s {
        Sampler::TraceIdRatio(r) | Sampler::ParentBasedTraceIdRatio(r)
            if !(0.0..=1.0).contains(&r) =>
        {
            Err(Error::InvalidConfig {
                field: "sampler",
                value: s.to_string(),
                expected: "a ratio from 0.0 to 1.0",
            })
        }
        _ => Ok(s),
    }
}

fn parse_propagators(v: &str) -> Option<Vec<Propagator>> {
    let mut out = Vec::new();
    let mut saw_none = false;
    for item in v.split(',').map(str::trim) {
        match item {
            "tracecontext" if !out.contains(&Propagator::TraceContext) => {
                out.push(Propagator::TraceContext)
            }
            "baggage" if !out.contains(&Propagator::Baggage) => out.push(Propagator::Baggage),
            "tracecontext" | "baggage" => {}
            "none" => saw_none = true,
            _ => return None,
        }
    }
    if saw_none && !out.is_empty() {
        return None;
    }
    Some(out)
}

fn parse_exporters(v: &str, metrics: bool) -> Option<Exporters> {
    let mut out = Exporters::NONE;
    let mut saw_none = false;
    for item in v.split(',').map(str::trim) {
        match item {
            "otlp" => out.otlp = true,
            "console" => out.console = true,
            "prometheus" if metrics => out.prometheus = true,
            "none" => saw_none = true,
            _ => return None,
        }
    }
    if saw_none && out.any() {
        return None;
    }
    Some(out)
}

fn validate_endpoint(v: &str) -> std::result::Result<(), &'static str> {
    let uri: http::Uri = v.trim().parse().map_err(|_| ENDPOINT_EXPECTED)?;
    match (uri.scheme_str(), uri.host()) {
        (Some("http" | "https"), Some(host)) if !host.is_empty() => Ok(()),
        _ => Err(ENDPOINT_EXPECTED),
    }
}

fn join_signal_path(base: &str, signal: Signal) -> String {
    format!(
        "{}{}",
        base.trim().trim_end_matches('/'),
        signal.http_path()
    )
}

fn validate_filter(v: &str) -> Option<String> {
    tracing_subscriber::EnvFilter::builder()
        .parse(v.trim())
        .ok()
        .map(|_| v.trim().to_string())
}

fn checked_filter(value: Option<String>, field: &'static str) -> Result<String> {
    match value {
        None => Ok("info".to_string()),
        Some(f) => validate_filter(&f).ok_or(Error::InvalidConfig {
            field,
            value: f,
            expected: FILTER_EXPECTED,
        }),
    }
}

fn validate_attributes(attrs: &[(String, String)], field: &'static str) -> Result<()> {
    if let Some((k, v)) = attrs.iter().find(|(k, _)| k.trim().is_empty()) {
        return Err(Error::InvalidConfig {
            field,
            value: format!("{k}={v}"),
            expected: "a non-empty key",
        });
    }
    Ok(())
}

fn percent_decode(v: &str) -> Option<String> {
    percent_encoding::percent_decode_str(v)
        .decode_utf8()
        .ok()
        .map(|s| s.trim().to_string())
}

/// `k=v,k2=v2` with percent-decoded values (W3C baggage-like, as the OTel spec prescribes).
fn parse_key_values(raw: &str) -> std::result::Result<Vec<(String, String)>, ()> {
    let mut out = Vec::new();
    for entry in raw.split(',') {
        if entry.trim().is_empty() {
            continue;
        }
        let (k, v) = entry.split_once('=').ok_or(())?;
        let k = percent_decode(k).ok_or(())?;
        if k.is_empty() {
            return Err(());
        }
        out.push((k, percent_decode(v).ok_or(())?));
    }
    Ok(out)
}

/// Parses headers; on failure returns the input with every value replaced by `<redacted>`.
fn parse_headers(raw: &str) -> std::result::Result<Headers, String> {
    let redacted = || {
        raw.split(',')
            .map(|entry| match entry.split_once('=') {
                Some((k, _)) => format!("{}=<redacted>", k.trim()),
                None => "<redacted>".to_string(),
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    let pairs = parse_key_values(raw).map_err(|_| redacted())?;
    let mut headers = Headers::new();
    for (k, v) in pairs {
        if http::HeaderName::from_bytes(k.as_bytes()).is_err()
            || http::HeaderValue::from_str(&v).is_err()
        {
            return Err(redacted());
        }
        headers.insert(k.to_ascii_lowercase(), v);
    }
    Ok(headers)
}

fn default_service_name() -> String {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .filter(|s| !s.is_empty())
        .map(|s| format!("unknown_service:{s}"))
        .unwrap_or_else(|| "unknown_service".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn build(vars: &[(&str, &str)]) -> Result<TelemetryConfig> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        TelemetryConfig::builder().build_from(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_are_documented_values() {
        let c = build(&[]).unwrap();
        assert!(!c.sdk_disabled);
        assert_eq!(c.traces_exporters, Exporters::OTLP);
        assert_eq!(c.metrics_exporters, Exporters::PROMETHEUS);
        assert_eq!(c.logs_exporters, Exporters::NONE);
        assert_eq!(c.traces_otlp.endpoint, DEFAULT_GRPC_ENDPOINT);
        assert_eq!(c.traces_otlp.timeout, Duration::from_secs(10));
        assert_eq!(c.sampler, Sampler::ParentBasedAlwaysOn);
        assert_eq!(
            c.propagators,
            vec![Propagator::TraceContext, Propagator::Baggage]
        );
        assert_eq!(c.prometheus_addr, "127.0.0.1:9464".parse().unwrap());
        assert_eq!(c.batch, BatchConfig::default());
        assert_eq!(c.log_filter, "info");
        assert_eq!(c.shutdown_timeout, Duration::from_secs(5));
        assert!(c.service_name.starts_with("unknown_service"));
    }

    #[test]
    fn http_generic_endpoint_gets_signal_path_but_signal_endpoint_is_used_as_is() {
        let c = build(&[
            (OTEL_EXPORTER_OTLP_PROTOCOL, "http/protobuf"),
            (OTEL_EXPORTER_OTLP_ENDPOINT, "http://collector:4318/"),
            (
                "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
                "http://logs:9999/custom",
            ),
        ])
        .unwrap();
        assert_eq!(c.traces_otlp.endpoint, "http://collector:4318/v1/traces");
        assert_eq!(c.metrics_otlp.endpoint, "http://collector:4318/v1/metrics");
        assert_eq!(c.logs_otlp.endpoint, "http://logs:9999/custom");
        assert_eq!(c.traces_otlp.protocol, Protocol::HttpProtobuf);
    }

    #[test]
    fn signal_vars_override_generic_and_builder_overrides_both() {
        let c = build(&[
            (OTEL_EXPORTER_OTLP_TIMEOUT, "1000"),
            ("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "2000"),
        ])
        .unwrap();
        assert_eq!(c.traces_otlp.timeout, Duration::from_millis(2000));
        assert_eq!(c.metrics_otlp.timeout, Duration::from_millis(1000));
        let c = TelemetryConfig::builder()
            .with_otlp_timeout(Duration::from_millis(300))
            .build_from(|k| (k == "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT").then(|| "2000".into()))
            .unwrap();
        assert_eq!(c.traces_otlp.timeout, Duration::from_millis(300));
    }

    #[test]
    fn service_name_env_beats_resource_attributes_and_builder() {
        let c = TelemetryConfig::builder()
            .with_service_name("from-code")
            .build_from(|k| match k {
                OTEL_SERVICE_NAME => Some("from-env".into()),
                OTEL_RESOURCE_ATTRIBUTES => {
                    Some("service.name=from-attrs,deployment.environment=prod".into())
                }
                _ => None,
            })
            .unwrap();
        assert_eq!(c.service_name, "from-env");
        assert_eq!(
            c.resource_attributes,
            vec![("deployment.environment".into(), "prod".into())]
        );
    }

    #[test]
    fn resource_attribute_values_are_percent_decoded() {
        let c = build(&[(OTEL_RESOURCE_ATTRIBUTES, "team=search%20core,region=eu")]).unwrap();
        assert!(c
            .resource_attributes
            .contains(&("team".into(), "search core".into())));
    }

    #[test]
    fn bad_sampler_value_names_the_variable() {
        let err = build(&[(OTEL_TRACES_SAMPLER, "banana")]).unwrap_err();
        assert!(matches!(
            err,
            Error::InvalidEnv {
                var: OTEL_TRACES_SAMPLER,
                ..
            }
        ));
        assert!(err.to_string().contains("parentbased_traceidratio"));
    }

    #[test]
    fn sampler_ratio_is_read_from_arg() {
        let c = build(&[
            (OTEL_TRACES_SAMPLER, "parentbased_traceidratio"),
            (OTEL_TRACES_SAMPLER_ARG, "0.25"),
        ])
        .unwrap();
        assert_eq!(c.sampler, Sampler::ParentBasedTraceIdRatio(0.25));
        assert!(build(&[(OTEL_TRACES_SAMPLER_ARG, "1.5")]).is_err());
    }

    #[test]
    fn queue_size_is_range_checked_before_the_sdk_sees_it() {
        for (queue_var, batch_var) in [
            (OTEL_BSP_MAX_QUEUE_SIZE, OTEL_BSP_MAX_EXPORT_BATCH_SIZE),
            (OTEL_BLRP_MAX_QUEUE_SIZE, OTEL_BLRP_MAX_EXPORT_BATCH_SIZE),
        ] {
            for bad in ["0", "100000000", "-1", "1e8", "lots"] {
                let err = build(&[(queue_var, bad)]).unwrap_err();
                assert!(
                    matches!(err, Error::InvalidEnv { var, .. } if var == queue_var),
                    "{queue_var}={bad}: {err}"
                );
            }
            let err = build(&[(queue_var, "100"), (batch_var, "200")]).unwrap_err();
            assert!(
                matches!(err, Error::InvalidEnv { var, .. } if var == batch_var),
                "{err}"
            );
        }
        let c = build(&[(OTEL_BSP_MAX_QUEUE_SIZE, "100")]).unwrap();
        assert_eq!(c.batch.max_export_batch_size, 100);
        assert_eq!(c.log_batch, BatchConfig::log_records());
        let c = build(&[
            (OTEL_BLRP_MAX_QUEUE_SIZE, "64"),
            (OTEL_BLRP_SCHEDULE_DELAY, "250"),
        ])
        .unwrap();
        assert_eq!(c.log_batch.max_queue_size, 64);
        assert_eq!(c.log_batch.max_export_batch_size, 64);
        assert_eq!(c.log_batch.schedule_delay, Duration::from_millis(250));
        assert_eq!(
            c.batch,
            BatchConfig::default(),
            "spans keep their own settings"
        );
    }

    #[test]
    fn log_batch_builder_values_win_and_are_checked() {
        let c = TelemetryConfig::builder()
            .with_log_batch_max_queue_size(32)
            .with_log_batch_max_export_batch_size(8)
            .with_log_batch_schedule_delay(Duration::from_millis(10))
            .build_from(|k| (k == OTEL_BLRP_MAX_QUEUE_SIZE).then(|| "4096".to_string()))
            .unwrap();
        assert_eq!(
            (
                c.log_batch.max_queue_size,
                c.log_batch.max_export_batch_size
            ),
            (32, 8)
        );
        let err = TelemetryConfig::builder()
            .with_log_batch_max_queue_size(0)
            .build_from(|_| None)
            .unwrap_err();
        assert!(matches!(
            err,
            Error::InvalidConfig {
                field: "log_batch_max_queue_size",
                ..
            }
        ));
    }

    #[test]
    fn exporter_lists_accept_combinations_and_reject_unknowns() {
        let c = build(&[(OTEL_METRICS_EXPORTER, "prometheus,otlp")]).unwrap();
        assert!(c.metrics_exporters.prometheus && c.metrics_exporters.otlp);
        assert!(build(&[(OTEL_TRACES_EXPORTER, "prometheus")]).is_err());
        assert!(build(&[(OTEL_TRACES_EXPORTER, "zipkin")]).is_err());
        assert!(build(&[(OTEL_TRACES_EXPORTER, "none,otlp")]).is_err());
        assert_eq!(
            build(&[(OTEL_TRACES_EXPORTER, "none")])
                .unwrap()
                .traces_exporters,
            Exporters::NONE
        );
    }

    #[test]
    fn propagators_reject_unsupported_ones() {
        assert_eq!(
            build(&[(OTEL_PROPAGATORS, "none")]).unwrap().propagators,
            vec![]
        );
        let err = build(&[(OTEL_PROPAGATORS, "tracecontext,b3")]).unwrap_err();
        assert!(matches!(
            err,
            Error::InvalidEnv {
                var: OTEL_PROPAGATORS,
                ..
            }
        ));
    }

    #[test]
    fn bad_headers_error_never_contains_the_value() {
        let err = build(&[(
            OTEL_EXPORTER_OTLP_HEADERS,
            "authorization=Bearer SECRET123\n,bad",
        )])
        .unwrap_err();
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains("SECRET123"), "{shown}");
        assert!(shown.contains(OTEL_EXPORTER_OTLP_HEADERS));
    }

    #[test]
    fn config_debug_and_report_never_show_header_values() {
        let c = build(&[
            (OTEL_EXPORTER_OTLP_HEADERS, "api-key=SECRET123"),
            ("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "x-token=SECRET456"),
        ])
        .unwrap();
        assert_eq!(c.traces_otlp.headers.len(), 2);
        let shown = format!("{c:?} {}", c.report());
        assert!(!shown.contains("SECRET"), "{shown}");
        assert!(shown.contains("api-key"));
    }

    #[test]
    fn empty_variables_count_as_unset() {
        let c = build(&[(OTEL_TRACES_SAMPLER, ""), (RUST_LOG, "  ")]).unwrap();
        assert_eq!(c.sampler, Sampler::ParentBasedAlwaysOn);
        assert_eq!(c.log_filter, "info");
    }

    #[test]
    fn prometheus_host_and_port() {
        let c = build(&[
            (OTEL_EXPORTER_PROMETHEUS_HOST, "0.0.0.0"),
            (OTEL_EXPORTER_PROMETHEUS_PORT, "9100"),
        ])
        .unwrap();
        assert_eq!(c.prometheus_addr, "0.0.0.0:9100".parse().unwrap());
        assert!(build(&[(OTEL_EXPORTER_PROMETHEUS_PORT, "70000")]).is_err());
        assert!(build(&[(OTEL_EXPORTER_PROMETHEUS_HOST, "my host")]).is_err());
    }
}
