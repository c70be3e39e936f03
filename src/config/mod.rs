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
//! [`Error::InvalidEnv`](crate::Error::InvalidEnv) naming the variable, the value (redacted for headers) and what is
//! accepted; unknown values are errors, never silent defaults.

mod builder;
mod endpoint;
mod env;
mod file;
mod overrides;
mod parse;
mod report;
mod resolve;
mod settings;
mod syntax;
#[cfg(test)]
mod tests;
mod values;

use std::net::SocketAddr;
use std::time::Duration;

use crate::error::Result;

pub use crate::signal::Signal;
pub use overrides::TelemetryConfigBuilder;
pub use report::ConfigReport;
pub use settings::*;
pub use values::*;

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
    /// Bound on one OTLP metric export (`OTEL_METRIC_EXPORT_TIMEOUT`, default 30 s): caps the
    /// metric exporter's timeout.
    pub metric_export_timeout: Duration,
    /// Temporality the OTLP metric exporter asks for (the Prometheus reader is cumulative).
    pub metrics_temporality: Temporality,
    /// Histogram aggregation (base-2 exponential only without the Prometheus reader).
    pub metrics_histogram_aggregation: HistogramAggregation,
    /// Span limits, passed to the SDK (counts) and applied before export (value length).
    pub span_limits: SpanLimits,
    /// Limits on log records exported over OTLP.
    pub log_record_limits: LogRecordLimits,
    /// `OTEL_LOG_LEVEL`: the level of the SDK's own diagnostics, if set (else warnings, unless
    /// `RUST_LOG` names the `opentelemetry` targets).
    pub sdk_log_level: Option<tracing::level_filters::LevelFilter>,
    /// Where the scrape endpoint listens.
    pub prometheus_addr: SocketAddr,
    /// How metric names become Prometheus names (default: escaped, with suffixes).
    pub prometheus_translation: PrometheusTranslation,
    /// Whether scraped series carry `otel_scope_*` labels (default `false`).
    pub prometheus_scope_info: bool,
    /// Whether the scrape has the `target_info` series (default `true`).
    pub prometheus_target_info: bool,
    /// Whether to serve `/metrics` ourselves (otherwise mount [`crate::ScrapeHandler`]).
    pub serve_scrape_endpoint: bool,
    /// The scrape endpoint's web configuration file (TLS, basic auth), checked readable here
    /// and loaded when the endpoint starts.
    pub prometheus_web_config: Option<std::path::PathBuf>,
    /// Whether [`init_telemetry`](crate::init_telemetry) installs the panic hook (default
    /// `true`): panics logged through `tracing` with their trace, the active span marked
    /// `error.type="panic"`, `marketplace_panics_total` counted; the previous hook still runs.
    pub panic_hook: bool,
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
    /// Whether the Tokio runtime's metrics (workers, alive tasks, global queue, busy time,
    /// parks) are registered when init runs inside a runtime.
    pub runtime_metrics: bool,
    /// Where console logs are written (default stdout).
    pub log_writer: LogWriter,
    /// Prefix of every marketplace instrument name (e.g. `mockforge`), if any.
    pub metrics_namespace: Option<String>,
    /// Cache names registered for `marketplace::Cache` handles (default
    /// `["default"]`).
    pub caches: Vec<String>,
    /// The configuration file this came from (`OTEL_CONFIG_FILE`), if any.
    pub config_file: Option<String>,
    /// Notes about the configuration file (development properties ignored, deprecated
    /// variable), logged at startup.
    pub config_warnings: Vec<String>,
    /// Which measurements become exemplars (default `trace_based`).
    pub exemplar_filter: crate::ExemplarFilter,
    /// Built-in operations pre-bound by `Telemetry::marketplace` (`None`: all).
    pub prebound_operations: Option<Vec<crate::catalog::Operation>>,
    /// Item types pre-bound by `Telemetry::marketplace` (`None`: all).
    pub prebound_item_types: Option<Vec<crate::catalog::ItemType>>,
    /// Level of the per-operation log events, `None` when off (the default).
    pub operation_events: Option<tracing::Level>,
    /// Resource attribute keys put on every scraped series as labels (default none).
    pub prometheus_resource_labels: Vec<String>,
    /// Metric views (from a configuration file), first match applies.
    pub metric_views: Vec<MetricView>,
    /// Cardinality limits by instrument kind (from a configuration file's readers).
    pub cardinality_limits: CardinalityLimits,
    /// Resource detectors a configuration file enables (`None`: this crate's defaults).
    pub resource_detection: Option<ResourceDetection>,
    /// Running in a Kubernetes pod (`KUBERNETES_SERVICE_HOST` is set): the resource gets
    /// `k8s.pod.name` (`HOSTNAME`), `k8s.namespace.name` (the service account's namespace
    /// file), `k8s.node.name` (`NODE_NAME`, from the downward API) and `container.id` (the
    /// cgroup), through opentelemetry-resource-detectors. Outside a pod nothing is guessed
    /// from `HOSTNAME`.
    pub kubernetes: bool,
}

impl TelemetryConfig {
    /// The domain settings of the marketplace helpers as one value, what
    /// [`Telemetry::marketplace`](crate::Telemetry::marketplace) builds them with:
    /// `metrics_namespace`, `caches`, `operation_events`, `prebound_operations`,
    /// `prebound_item_types`.
    pub fn marketplace_settings(&self) -> crate::catalog::MarketplaceSettings {
        let mut settings = crate::catalog::MarketplaceSettings::default()
            .with_caches(self.caches.iter().cloned())
            .with_operation_events(self.operation_events);
        settings.metrics_namespace = self.metrics_namespace.clone();
        settings.operations = self.prebound_operations.clone();
        settings.item_types = self.prebound_item_types.clone();
        settings
    }

    /// Reads the configuration from the process environment.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidEnv`](crate::Error::InvalidEnv) for the first variable that holds an unacceptable value.
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

    /// Reads an OpenTelemetry configuration file (YAML, `file_format` "1.0" or "1.1"), as
    /// `OTEL_CONFIG_FILE` does; `${VAR}` substitution reads the process environment.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfigFile`](crate::Error::InvalidConfigFile) naming the property path.
    pub fn from_file(path: impl AsRef<std::path::Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = file::read_document(&path.display().to_string(), None)?;
        let mut config = Self::from_yaml(&text)?;
        config.config_file = Some(path.display().to_string());
        Ok(config)
    }

    /// A configuration document as a string (see [`from_file`](Self::from_file)).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfigFile`](crate::Error::InvalidConfigFile) naming the property path
    /// (and its line): unknown properties, wrong types, properties not supported.
    ///
    /// # Examples
    ///
    /// ```
    /// use marketplace_telemetry::TelemetryConfig;
    /// let config = TelemetryConfig::from_yaml(r#"
    /// file_format: "1.1"
    /// resource:
    ///   attributes:
    ///     - name: service.name
    ///       value: registry
    /// tracer_provider:
    ///   processors:
    ///     - batch:
    ///         schedule_delay: 1000
    ///         exporter:
    ///           otlp_http:
    ///             endpoint: ${COLLECTOR:-http://localhost:4318}/v1/traces
    /// meter_provider:
    ///   readers:
    ///     - pull:
    ///         exporter:
    ///           prometheus/development:
    ///             port: 9464
    /// "#)?;
    /// assert_eq!(config.service_name, "registry");
    /// assert_eq!(config.batch.schedule_delay.as_millis(), 1000);
    ///
    /// let err = TelemetryConfig::from_yaml("file_format: \"1.1\"\ntracer_provider:\n  procesors: []\n")
    ///     .unwrap_err();
    /// assert!(err.to_string().contains("tracer_provider.procesors"), "{err}");
    /// # Ok::<(), marketplace_telemetry::Error>(())
    /// ```
    pub fn from_yaml(text: &str) -> Result<Self> {
        TelemetryConfigBuilder::default()
            .build_from_yaml(text, &|name: &str| std::env::var(name).ok())
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
