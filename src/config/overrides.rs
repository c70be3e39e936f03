//! What a [`TelemetryConfigBuilder`] holds: every setting `None` until a setter sets it. Its
//! own module so that the builder (which fills it and calls `resolve`) and `resolve` (which
//! reads it) both depend on it, not on each other.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::values::{
    Compression, Exporters, Headers, LogFormat, LogWriter, Propagator, Protocol, Sampler,
};

/// Builder for [`TelemetryConfig`](super::TelemetryConfig). Every `with_*` value wins over its environment variable.
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
    pub(super) sdk_disabled: Option<bool>,
    pub(super) service_name: Option<String>,
    pub(super) service_version: Option<String>,
    pub(super) resource_attributes: Vec<(String, String)>,
    pub(super) traces_exporters: Option<Exporters>,
    pub(super) metrics_exporters: Option<Exporters>,
    pub(super) logs_exporters: Option<Exporters>,
    pub(super) otlp_endpoint: Option<String>,
    pub(super) otlp_protocol: Option<Protocol>,
    pub(super) otlp_headers: Option<Headers>,
    pub(super) otlp_timeout: Option<Duration>,
    pub(super) otlp_compression: Option<Compression>,
    pub(super) otlp_ca_certificate: Option<PathBuf>,
    pub(super) sampler: Option<Sampler>,
    pub(super) propagators: Option<Vec<Propagator>>,
    pub(super) batch: BatchOverrides,
    pub(super) log_batch: BatchOverrides,
    pub(super) metric_export_interval: Option<Duration>,
    pub(super) prometheus_host: Option<IpAddr>,
    pub(super) prometheus_port: Option<u16>,
    pub(super) serve_scrape_endpoint: Option<bool>,
    pub(super) prometheus_web_config: Option<std::path::PathBuf>,
    pub(super) panic_hook: Option<bool>,
    pub(super) log_filter: Option<String>,
    pub(super) log_format: Option<LogFormat>,
    pub(super) traces_filter: Option<String>,
    pub(super) logs_export_filter: Option<String>,
    pub(super) shutdown_timeout: Option<Duration>,
    pub(super) process_metrics: Option<bool>,
    pub(super) runtime_metrics: Option<bool>,
    pub(super) log_writer: Option<LogWriter>,
    pub(super) metrics_namespace: Option<String>,
    pub(super) caches: Option<Vec<String>>,
    pub(super) prebound_operations: Option<Vec<crate::catalog::Operation>>,
    pub(super) exemplar_filter: Option<crate::ExemplarFilter>,
    pub(super) prebound_item_types: Option<Vec<crate::catalog::ItemType>>,
    pub(super) operation_events: Option<Option<tracing::Level>>,
    pub(super) prometheus_resource_labels: Option<Vec<String>>,
    pub(super) span_limits: Option<super::values::SpanLimits>,
    pub(super) prometheus_translation: Option<super::values::PrometheusTranslation>,
    pub(super) log_record_limits: Option<super::values::LogRecordLimits>,
}

/// Batch settings given in code (they win over the environment).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct BatchOverrides {
    pub(super) schedule_delay: Option<Duration>,
    pub(super) max_queue_size: Option<usize>,
    pub(super) max_export_batch_size: Option<usize>,
}
