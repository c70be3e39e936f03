//! [`TelemetryConfigBuilder`]: one `with_*` setter per setting, each naming its variable and
//! default; [`build`](TelemetryConfigBuilder::build) hands the values to [`resolve`].

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::env::Env;
use super::overrides::TelemetryConfigBuilder;
use super::resolve;
use super::values::{
    Compression, Exporters, Headers, LogFormat, LogWriter, Propagator, Protocol, Sampler,
};
use super::TelemetryConfig;
use crate::error::Result;

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

    /// How metric names become Prometheus names (env:
    /// `MARKETPLACE_PROMETHEUS_TRANSLATION_STRATEGY`; default
    /// `underscore_escaping_with_suffixes`, the names the shipped assets query).
    ///
    /// # Examples
    ///
    /// ```
    /// use marketplace_telemetry::{config::PrometheusTranslation, TelemetryConfig};
    /// let config = TelemetryConfig::builder()
    ///     .with_prometheus_translation(PrometheusTranslation::UnderscoreEscapingWithoutSuffixes)
    ///     .build_from(|_| None)?;
    /// assert_eq!(
    ///     config.prometheus_translation.as_str(),
    ///     "underscore_escaping_without_suffixes"
    /// );
    /// # Ok::<(), marketplace_telemetry::Error>(())
    /// ```
    pub fn with_prometheus_translation(
        mut self,
        strategy: super::values::PrometheusTranslation,
    ) -> Self {
        self.prometheus_translation = Some(strategy);
        self
    }

    /// Span limits (env: `OTEL_SPAN_*`, `OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT`,
    /// `OTEL_LINK_ATTRIBUTE_COUNT_LIMIT`, `OTEL_ATTRIBUTE_*`; default 128 of each, string
    /// values unlimited). Each must be at most 1048576.
    ///
    /// # Examples
    ///
    /// ```
    /// use marketplace_telemetry::{config::SpanLimits, TelemetryConfig};
    /// let mut limits = SpanLimits::default();
    /// limits.attribute_value_length = Some(1024);
    /// let config = TelemetryConfig::builder().with_span_limits(limits).build_from(|_| None)?;
    /// assert_eq!(config.span_limits.attribute_value_length, Some(1024));
    /// # Ok::<(), marketplace_telemetry::Error>(())
    /// ```
    pub fn with_span_limits(mut self, limits: super::values::SpanLimits) -> Self {
        self.span_limits = Some(limits);
        self
    }

    /// Limits on log records exported over OTLP (env: `OTEL_LOGRECORD_*`, `OTEL_ATTRIBUTE_*`;
    /// default 128 attributes, string values unlimited).
    ///
    /// # Examples
    ///
    /// ```
    /// use marketplace_telemetry::{config::LogRecordLimits, TelemetryConfig};
    /// let mut limits = LogRecordLimits::default();
    /// limits.attribute_count = 32;
    /// let config = TelemetryConfig::builder()
    ///     .with_log_record_limits(limits)
    ///     .build_from(|_| None)?;
    /// assert_eq!(config.log_record_limits.attribute_count, 32);
    /// # Ok::<(), marketplace_telemetry::Error>(())
    /// ```
    pub fn with_log_record_limits(mut self, limits: super::values::LogRecordLimits) -> Self {
        self.log_record_limits = Some(limits);
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
    pub fn with_otlp_ca_certificate(mut self, path: impl Into<PathBuf>) -> Self {
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
        self.batch.schedule_delay = Some(delay);
        self
    }

    /// Span queue capacity (env: `OTEL_BSP_MAX_QUEUE_SIZE`, default 2048, max
    /// [`MAX_QUEUE_SIZE`](super::MAX_QUEUE_SIZE)).
    pub fn with_batch_max_queue_size(mut self, size: usize) -> Self {
        self.batch.max_queue_size = Some(size);
        self
    }

    /// Spans per export (env: `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`, default 512).
    pub fn with_batch_max_export_batch_size(mut self, size: usize) -> Self {
        self.batch.max_export_batch_size = Some(size);
        self
    }

    /// Log record export delay (env: `OTEL_BLRP_SCHEDULE_DELAY` in ms, default 1000).
    pub fn with_log_batch_schedule_delay(mut self, delay: Duration) -> Self {
        self.log_batch.schedule_delay = Some(delay);
        self
    }

    /// Log record queue capacity (env: `OTEL_BLRP_MAX_QUEUE_SIZE`, default 2048, max
    /// [`MAX_QUEUE_SIZE`](super::MAX_QUEUE_SIZE)).
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

    /// The scrape endpoint's web configuration file (env `MARKETPLACE_PROMETHEUS_WEB_CONFIG`;
    /// feature `scrape-auth`): TLS and bcrypt-hashed basic-auth users, in the Prometheus
    /// exporter-toolkit format. Without it the endpoint is plain HTTP on 127.0.0.1.
    pub fn with_prometheus_web_config(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.prometheus_web_config = Some(path.into());
        self
    }

    /// Whether [`init_telemetry`](crate::init_telemetry) installs its panic hook (default
    /// `true`; see [`TelemetryConfig::panic_hook`]). `Telemetry::build` never installs it.
    ///
    /// # Examples
    ///
    /// ```
    /// let config = marketplace_telemetry::TelemetryConfig::builder()
    ///     .with_panic_hook(false)
    ///     .build_from(|_| None)?;
    /// assert!(!config.panic_hook);
    /// # Ok::<(), marketplace_telemetry::Error>(())
    /// ```
    pub fn with_panic_hook(mut self, install: bool) -> Self {
        self.panic_hook = Some(install);
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

    /// Whether to register the Tokio runtime's metrics when init runs inside a runtime (default
    /// `true`; env `MARKETPLACE_RUNTIME_METRICS`).
    pub fn with_runtime_metrics(mut self, enabled: bool) -> Self {
        self.runtime_metrics = Some(enabled);
        self
    }

    /// Where console logs go (default stdout).
    pub fn with_log_writer(mut self, writer: LogWriter) -> Self {
        self.log_writer = Some(writer);
        self
    }

    /// All domain settings of the marketplace helpers at once (namespace, caches, operation
    /// events, pre-bound operations and item types): the same
    /// [`MarketplaceSettings`](crate::catalog::MarketplaceSettings) value
    /// `MarketplaceMetricsBuilder::with_settings` takes. The per-setting methods below set the
    /// same fields; [`TelemetryConfig::marketplace_settings`](crate::TelemetryConfig::marketplace_settings)
    /// gives the value back.
    pub fn with_marketplace_settings(
        mut self,
        settings: crate::catalog::MarketplaceSettings,
    ) -> Self {
        self.metrics_namespace = settings.metrics_namespace;
        self.caches = Some(settings.caches);
        self.operation_events = Some(settings.operation_events);
        self.prebound_operations = settings.operations;
        self.prebound_item_types = settings.item_types;
        self
    }

    /// Prefix of every marketplace instrument (`mockforge` →
    /// `mockforge_marketplace_search_duration_seconds`). Default: none.
    pub fn with_metrics_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.metrics_namespace = Some(namespace.into());
        self
    }

    /// Cache names for `MarketplaceMetrics::cache`
    /// (at most 32; default `["default"]`).
    pub fn with_caches<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.caches = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// The built-in operations whose series [`Telemetry::marketplace`](crate::Telemetry::marketplace)
    /// binds at start (default: all; the others are bound on first use) — the series budget,
    /// see `MarketplaceMetricsBuilder::with_operations`.
    ///
    /// # Examples
    ///
    /// ```
    /// use marketplace_telemetry::marketplace::{ItemType, Operation};
    /// let config = marketplace_telemetry::TelemetryConfig::builder()
    ///     .with_marketplace_operations([Operation::Search])
    ///     .with_marketplace_item_types([ItemType::Package])
    ///     .build_from(|_| None)?;
    /// assert_eq!(config.prebound_operations, Some(vec![Operation::Search]));
    /// # Ok::<(), marketplace_telemetry::Error>(())
    /// ```
    pub fn with_marketplace_operations(
        mut self,
        operations: impl IntoIterator<Item = crate::catalog::Operation>,
    ) -> Self {
        self.prebound_operations = Some(operations.into_iter().collect());
        self
    }

    /// Which measurements become exemplars on the OpenMetrics scrape (the duration buckets of
    /// the marketplace operations and of the HTTP layer, the error counter). Default
    /// `trace_based`; env `OTEL_METRICS_EXEMPLAR_FILTER`.
    ///
    /// # Examples
    ///
    /// ```
    /// use marketplace_telemetry::ExemplarFilter;
    /// let config = marketplace_telemetry::TelemetryConfig::builder()
    ///     .with_exemplar_filter(ExemplarFilter::AlwaysOff)
    ///     .build_from(|_| None)?;
    /// assert_eq!(config.exemplar_filter, ExemplarFilter::AlwaysOff);
    /// # Ok::<(), marketplace_telemetry::Error>(())
    /// ```
    pub fn with_exemplar_filter(mut self, filter: crate::ExemplarFilter) -> Self {
        self.exemplar_filter = Some(filter);
        self
    }

    /// The item types whose rows [`Telemetry::marketplace`](crate::Telemetry::marketplace)
    /// binds at start (default: all four).
    pub fn with_marketplace_item_types(
        mut self,
        item_types: impl IntoIterator<Item = crate::catalog::ItemType>,
    ) -> Self {
        self.prebound_item_types = Some(item_types.into_iter().collect());
        self
    }

    /// Resource attributes to put on every series of the scrape endpoint as labels (the
    /// configuration schema's `with_resource_constant_labels`): `service.version` becomes
    /// `service_version="1.4.0"` on every series, so dashboards compare versions (or
    /// environments) without joining `target_info` — also across scrape jobs. Each label is one
    /// value per process: no cardinality cost, a few bytes per series per scrape. Default:
    /// none. Env: `MARKETPLACE_PROMETHEUS_RESOURCE_LABELS` (comma list).
    ///
    /// # Examples
    ///
    /// ```
    /// use marketplace_telemetry::TelemetryConfig;
    /// let config = TelemetryConfig::builder()
    ///     .with_prometheus_resource_labels(["service.version", "deployment.environment"])
    ///     .build_from(|_| None)?;
    /// assert_eq!(config.prometheus_resource_labels, ["service.version", "deployment.environment"]);
    /// # Ok::<(), marketplace_telemetry::Error>(())
    /// ```
    pub fn with_prometheus_resource_labels<I, S>(mut self, keys: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.prometheus_resource_labels = Some(keys.into_iter().map(Into::into).collect());
        self
    }

    /// One structured `tracing` event per finished marketplace operation, at `level` (`None`:
    /// off, the default), inside the operation's span so it carries the trace ids: fields
    /// `operation`, the operation's label (`item_type`, `query_kind`, `cache` or `label`),
    /// `outcome`, `duration_ms`, and where they apply `error_code`, `results`, `cache_hit`.
    /// Meant for log pipelines (Loki: `| json | duration_ms > 200`). Env:
    /// `MARKETPLACE_OPERATION_EVENTS`.
    ///
    /// # Examples
    ///
    /// ```
    /// use marketplace_telemetry::TelemetryConfig;
    /// let config = TelemetryConfig::builder()
    ///     .with_operation_events(Some(tracing::Level::INFO))
    ///     .build_from(|_| None)?;
    /// assert_eq!(config.operation_events, Some(tracing::Level::INFO));
    /// # Ok::<(), marketplace_telemetry::Error>(())
    /// ```
    pub fn with_operation_events(mut self, level: Option<tracing::Level>) -> Self {
        self.operation_events = Some(level);
        self
    }

    /// Builds the configuration, reading the process environment for unset values.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidEnv`](crate::Error::InvalidEnv) for a bad variable, [`Error::InvalidConfig`](crate::Error::InvalidConfig) for a bad builder
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
        let file = lookup(super::settings::OTEL_CONFIG_FILE)
            .filter(|p| !p.trim().is_empty())
            .map(|p| (super::settings::OTEL_CONFIG_FILE, p, None))
            .or_else(|| {
                lookup(super::settings::OTEL_EXPERIMENTAL_CONFIG_FILE)
                    .filter(|p| !p.trim().is_empty())
                    .map(|p| {
                        (
                            super::settings::OTEL_EXPERIMENTAL_CONFIG_FILE,
                            p,
                            Some(
                                "OTEL_EXPERIMENTAL_CONFIG_FILE is deprecated: use OTEL_CONFIG_FILE"
                                    .to_string(),
                            ),
                        )
                    })
            });
        match file {
            None => resolve::resolve(self, &Env::new(&lookup)),
            Some((var, path, warning)) => {
                let text = super::file::read_document(&path, Some(var))?;
                let mut config = self.build_from_yaml(&text, &lookup)?;
                config.config_file = Some(path.trim().to_string());
                config.config_warnings.extend(warning);
                Ok(config)
            }
        }
    }

    /// Builds from a configuration document (schema `file_format` 1.0/1.1): the file's
    /// settings, the builder's values over them, and from `lookup` only what substitution
    /// asks for and the variables that are not `OTEL_*` (`RUST_LOG`, `MARKETPLACE_*`).
    pub(crate) fn build_from_yaml(
        self,
        text: &str,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<TelemetryConfig> {
        let settings = super::file::parse(text, lookup)?;
        let file_lookup = |name: &str| -> Option<String> {
            if name.starts_with("OTEL_") || settings.env.contains_key(name) {
                settings.env.get(name).cloned()
            } else {
                lookup(name)
            }
        };
        let mut config = resolve::resolve(self, &Env::new(&file_lookup)).map_err(|e| match e {
            crate::Error::InvalidEnv {
                var,
                value,
                expected,
            } => {
                let path = settings
                    .origin
                    .get(var)
                    .cloned()
                    .unwrap_or_else(|| var.to_string());
                crate::Error::InvalidConfigFile {
                    line: super::file::line_of(text, &path),
                    path,
                    message: format!("{value:?}: expected {expected}"),
                }
            }
            other => other,
        })?;
        config.config_warnings = settings.warnings;
        config.metric_views = settings.views;
        config.resource_detection = settings.detection;
        if let Some((limits, _)) = settings.cardinality {
            config.cardinality_limits = limits;
        }
        Ok(config)
    }
}
