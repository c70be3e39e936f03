//! Resolution: builder values over the environment over defaults, one function per concern,
//! each checked. The precedence is written down once, in [`super`]'s module docs.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use super::endpoint;
use super::env::*;
use super::overrides::{BatchOverrides, TelemetryConfigBuilder};
use super::parse::*;
use super::settings::*;
use super::syntax::{self, *};
use super::values::{
    BatchConfig, ClientIdentity, Exporters, Headers, HistogramAggregation, LogFormat,
    LogRecordLimits, OtlpConfig, PrometheusTranslation, Propagator, Protocol, Sampler, SpanLimits,
    Temporality, DEFAULT_GRPC_ENDPOINT, DEFAULT_HTTP_ENDPOINT, DEFAULT_PROMETHEUS_PORT,
    MAX_QUEUE_SIZE,
};
use super::TelemetryConfig;

mod otlp;
use crate::error::{Error, Result};
mod service;
use otlp::{otlp, OtlpOverrides};
use service::{exporters, service};

/// The whole configuration from `b` and `env`: each concern resolved by its own function
/// (service identity, exporters and OTLP, trace pipeline, metric pipeline, console), each
/// value by the precedence builder > signal variable > generic variable > default.
pub(super) fn resolve<F: Fn(&str) -> Option<String>>(
    b: TelemetryConfigBuilder,
    env: &Env<'_, F>,
) -> Result<TelemetryConfig> {
    let sdk_disabled = match b.sdk_disabled {
        Some(v) => v,
        None => env.read(var::OTEL_SDK_DISABLED)?.unwrap_or(false),
    };
    let service = service(
        env,
        b.resource_attributes,
        b.service_name,
        b.service_version,
    )?;
    let signals = signals(
        env,
        [b.traces_exporters, b.metrics_exporters, b.logs_exporters],
        OtlpOverrides {
            endpoint: b.otlp_endpoint,
            protocol: b.otlp_protocol,
            headers: b.otlp_headers,
            timeout: b.otlp_timeout,
            compression: b.otlp_compression,
            ca_certificate: b.otlp_ca_certificate,
        },
    )?;
    let [traces_otlp, metrics_otlp, logs_otlp] = signals.otlp;
    let metrics_exporters = signals.metrics;
    let traces = trace_pipeline(
        env,
        b.sampler,
        b.propagators,
        (b.batch, b.log_batch),
        (b.span_limits, b.log_record_limits),
    )?;
    let metrics = metric_pipeline(
        env,
        metrics_exporters,
        b.metric_export_interval,
        (b.prometheus_host, b.prometheus_port),
        b.prometheus_translation,
        b.exemplar_filter,
        b.prometheus_resource_labels,
    )?;
    let console = console(
        env,
        b.log_filter,
        b.log_format,
        b.operation_events,
        [b.traces_filter, b.logs_export_filter],
    )?;
    let shutdown_timeout =
        positive(b.shutdown_timeout, "shutdown_timeout")?.unwrap_or(Duration::from_secs(5));

    Ok(TelemetryConfig {
        sdk_disabled,
        service_name: service.name,
        service_version: service.version,
        resource_attributes: service.attributes,
        traces_exporters: signals.traces,
        metrics_exporters,
        logs_exporters: signals.logs,
        traces_otlp,
        metrics_otlp,
        logs_otlp,
        sampler: traces.sampler,
        propagators: traces.propagators,
        batch: traces.spans_batch,
        log_batch: traces.log_batch,
        metric_export_interval: metrics.export_interval,
        metric_export_timeout: metrics.export_timeout,
        metrics_temporality: metrics.temporality,
        metrics_histogram_aggregation: metrics.histogram_aggregation,
        span_limits: traces.span_limits,
        log_record_limits: traces.log_record_limits,
        sdk_log_level: console.sdk_log_level,
        prometheus_addr: metrics.prometheus_addr,
        prometheus_translation: metrics.translation,
        prometheus_scope_info: metrics.scope_info,
        prometheus_target_info: metrics.target_info,
        serve_scrape_endpoint: b.serve_scrape_endpoint.unwrap_or(true),
        prometheus_web_config: web_config(env, b.prometheus_web_config)?,
        panic_hook: b.panic_hook.unwrap_or(true),
        log_filter: console.log_filter,
        log_format: console.log_format,
        traces_filter: console.traces_filter,
        logs_export_filter: console.logs_export_filter,
        shutdown_timeout,
        process_metrics: b.process_metrics.unwrap_or(true),
        runtime_metrics: match b.runtime_metrics {
            Some(on) => on,
            None => env.read(var::MARKETPLACE_RUNTIME_METRICS)?.unwrap_or(true),
        },
        log_writer: b.log_writer.unwrap_or_default(),
        metrics_namespace: b.metrics_namespace,
        caches: b.caches.unwrap_or_else(|| vec!["default".to_string()]),
        config_file: None,
        config_warnings: Vec::new(),
        prebound_operations: b.prebound_operations,
        exemplar_filter: metrics.exemplar_filter,
        prebound_item_types: b.prebound_item_types,
        operation_events: console.operation_events,
        prometheus_resource_labels: metrics.resource_labels,
        metric_views: Vec::new(),
        cardinality_limits: Default::default(),
        resource_detection: None,
        // Every container of a pod gets `KUBERNETES_SERVICE_HOST` (service links or not).
        kubernetes: env.get("KUBERNETES_SERVICE_HOST").is_some(),
    })
}

/// The web configuration file (builder, else `MARKETPLACE_PROMETHEUS_WEB_CONFIG`): a file
/// that cannot be read is an error naming the variable now, not at the first scrape.
fn web_config<F: Fn(&str) -> Option<String>>(
    env: &Env<'_, F>,
    builder: Option<std::path::PathBuf>,
) -> Result<Option<std::path::PathBuf>> {
    let setting = var::MARKETPLACE_PROMETHEUS_WEB_CONFIG;
    let path = match builder {
        Some(p) => Some(p),
        None => env.read(setting)?,
    };
    match path {
        Some(p) if std::fs::File::open(&p).is_err() || !p.is_file() => Err(Error::InvalidEnv {
            var: setting.name,
            value: p.display().to_string(),
            expected:
                <crate::config::syntax::WebConfigFile as crate::config::syntax::Syntax>::EXPECTED,
        }),
        other => Ok(other),
    }
}

// === exporters, trace and metric pipelines, console ===

/// Which exporters each signal has, and the three signals' OTLP settings.
struct Signals {
    traces: Exporters,
    metrics: Exporters,
    logs: Exporters,
    otlp: [OtlpConfig; 3],
}

fn signals<F: Fn(&str) -> Option<String>>(
    env: &Env<'_, F>,
    [traces, metrics, logs]: [Option<Exporters>; 3],
    code: OtlpOverrides,
) -> Result<Signals> {
    Ok(Signals {
        traces: exporters(env, traces, var::OTEL_TRACES_EXPORTER, Exporters::OTLP)?,
        metrics: exporters(
            env,
            metrics,
            var::OTEL_METRICS_EXPORTER,
            Exporters::PROMETHEUS,
        )?,
        logs: exporters(env, logs, var::OTEL_LOGS_EXPORTER, Exporters::NONE)?,
        otlp: otlp(env, &code)?,
    })
}

/// Sampling, propagation, the span and log record batch processors and their limits.
struct TracePipeline {
    sampler: Sampler,
    propagators: Vec<Propagator>,
    spans_batch: BatchConfig,
    log_batch: BatchConfig,
    span_limits: SpanLimits,
    log_record_limits: LogRecordLimits,
}

fn trace_pipeline<F: Fn(&str) -> Option<String>>(
    env: &Env<'_, F>,
    code_sampler: Option<Sampler>,
    code_propagators: Option<Vec<Propagator>>,
    (spans, logs): (BatchOverrides, BatchOverrides),
    (span_limits, log_record_limits): (Option<SpanLimits>, Option<LogRecordLimits>),
) -> Result<TracePipeline> {
    let propagators = match code_propagators {
        Some(p) => p,
        None => env
            .read(var::OTEL_PROPAGATORS)?
            .unwrap_or_else(|| vec![Propagator::TraceContext, Propagator::Baggage]),
    };
    let (span_limits, log_record_limits) = limits(env, span_limits, log_record_limits)?;
    Ok(TracePipeline {
        sampler: sampler(env, code_sampler)?,
        propagators,
        spans_batch: batch(env, &BSP_VARS, spans, BatchConfig::default())?,
        log_batch: batch(env, &BLRP_VARS, logs, BatchConfig::log_records())?,
        span_limits,
        log_record_limits,
    })
}

/// The metric readers: OTLP export interval, timeout, temporality and aggregation; the
/// Prometheus endpoint and translation; exemplars.
struct MetricPipeline {
    export_interval: Duration,
    export_timeout: Duration,
    temporality: Temporality,
    histogram_aggregation: HistogramAggregation,
    prometheus_addr: SocketAddr,
    translation: PrometheusTranslation,
    scope_info: bool,
    target_info: bool,
    exemplar_filter: crate::ExemplarFilter,
    resource_labels: Vec<String>,
}

fn metric_pipeline<F: Fn(&str) -> Option<String>>(
    env: &Env<'_, F>,
    exporters: Exporters,
    code_interval: Option<Duration>,
    (host, port): (Option<IpAddr>, Option<u16>),
    code_translation: Option<PrometheusTranslation>,
    code_exemplars: Option<crate::ExemplarFilter>,
    code_resource_labels: Option<Vec<String>>,
) -> Result<MetricPipeline> {
    let export_interval = match positive(code_interval, "metric_export_interval")? {
        Some(d) => d,
        None => env
            .read(var::OTEL_METRIC_EXPORT_INTERVAL)?
            .unwrap_or(Duration::from_secs(60)),
    };
    let translation = match code_translation {
        Some(t) => t,
        None => env
            .read(var::MARKETPLACE_PROMETHEUS_TRANSLATION_STRATEGY)?
            .unwrap_or_default(),
    };
    let exemplar_filter = match code_exemplars {
        Some(f) => f,
        None => env
            .read(var::OTEL_METRICS_EXEMPLAR_FILTER)?
            .unwrap_or_default(),
    };
    let resource_labels = match code_resource_labels {
        Some(keys) => {
            let joined = keys.join(",");
            parse_attribute_keys(&joined).ok_or(Error::InvalidConfig {
                field: "prometheus_resource_labels",
                value: joined,
                expected: AttributeKeys::EXPECTED,
            })?
        }
        None => env
            .read(var::MARKETPLACE_PROMETHEUS_RESOURCE_LABELS)?
            .unwrap_or_default(),
    };
    Ok(MetricPipeline {
        export_interval,
        export_timeout: env
            .read(var::OTEL_METRIC_EXPORT_TIMEOUT)?
            .unwrap_or(Duration::from_secs(30)),
        temporality: env
            .read(var::OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE)?
            .unwrap_or_default(),
        histogram_aggregation: histogram_aggregation(env, exporters)?,
        prometheus_addr: scrape_addr(env, host, port)?,
        translation,
        scope_info: env
            .read(var::MARKETPLACE_PROMETHEUS_SCOPE_INFO)?
            .unwrap_or(false),
        target_info: env
            .read(var::MARKETPLACE_PROMETHEUS_TARGET_INFO)?
            .unwrap_or(true),
        exemplar_filter,
        resource_labels,
    })
}

/// What reaches the console and the export layers: filters, format, operation events, the
/// SDK's own log level.
struct Console {
    log_filter: String,
    log_format: LogFormat,
    operation_events: Option<tracing::Level>,
    traces_filter: String,
    logs_export_filter: String,
    sdk_log_level: Option<tracing::level_filters::LevelFilter>,
}

fn console<F: Fn(&str) -> Option<String>>(
    env: &Env<'_, F>,
    code_filter: Option<String>,
    code_format: Option<LogFormat>,
    code_events: Option<Option<tracing::Level>>,
    [traces_filter, logs_export_filter]: [Option<String>; 2],
) -> Result<Console> {
    let log_filter = match code_filter {
        Some(f) => validate_filter(&f).ok_or(Error::InvalidConfig {
            field: "log_filter",
            value: f.clone(),
            expected: Filter::EXPECTED,
        })?,
        None => env
            .read(var::RUST_LOG)?
            .unwrap_or_else(|| "info".to_string()),
    };
    let log_format = match code_format {
        Some(f) => f,
        None => env.read(var::RUST_LOG_FORMAT)?.unwrap_or_default(),
    };
    let operation_events = match code_events {
        Some(level) => level,
        None => env.read(var::MARKETPLACE_OPERATION_EVENTS)?.flatten(),
    };
    Ok(Console {
        log_filter,
        log_format,
        operation_events,
        traces_filter: checked_filter(traces_filter, "traces_filter")?,
        logs_export_filter: checked_filter(logs_export_filter, "logs_export_filter")?,
        sdk_log_level: env.read(var::OTEL_LOG_LEVEL)?,
    })
}

/// `base2_exponential_bucket_histogram` needs a metric pipeline without the Prometheus
/// reader: opentelemetry-sdk 0.33 picks aggregations per provider (views), not per reader, and
/// the Prometheus exporter drops exponential histograms.
fn histogram_aggregation<F: Fn(&str) -> Option<String>>(
    env: &Env<'_, F>,
    exporters: Exporters,
) -> Result<HistogramAggregation> {
    let setting = var::OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION;
    let aggregation = env.read(setting)?.unwrap_or_default();
    if aggregation == HistogramAggregation::Base2Exponential && exporters.prometheus {
        return Err(Error::InvalidEnv {
            var: setting.name,
            value: aggregation.as_str().to_string(),
            expected: "explicit_bucket_histogram while the prometheus exporter is on \
                       (opentelemetry-sdk 0.33 chooses a histogram's aggregation for every \
                       reader at once and Prometheus cannot show exponential histograms); \
                       base2_exponential_bucket_histogram needs OTEL_METRICS_EXPORTER=otlp",
        });
    }
    Ok(aggregation)
}

/// Span and log record limits: code > signal-specific variable > `OTEL_ATTRIBUTE_*` > default.
fn limits<F: Fn(&str) -> Option<String>>(
    env: &Env<'_, F>,
    code_spans: Option<SpanLimits>,
    code_logs: Option<LogRecordLimits>,
) -> Result<(SpanLimits, LogRecordLimits)> {
    let limit = |setting| env.read(setting);
    let count = limit(var::OTEL_ATTRIBUTE_COUNT_LIMIT)?;
    let length = limit(var::OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT)?;
    let defaults = SpanLimits::default();
    let spans = match code_spans {
        Some(l) => l,
        None => SpanLimits {
            attribute_count: limit(var::OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT)?
                .or(count)
                .unwrap_or(defaults.attribute_count),
            attribute_value_length: limit(var::OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT)?.or(length),
            event_count: limit(var::OTEL_SPAN_EVENT_COUNT_LIMIT)?.unwrap_or(defaults.event_count),
            link_count: limit(var::OTEL_SPAN_LINK_COUNT_LIMIT)?.unwrap_or(defaults.link_count),
            event_attribute_count: limit(var::OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT)?
                .or(count)
                .unwrap_or(defaults.event_attribute_count),
            link_attribute_count: limit(var::OTEL_LINK_ATTRIBUTE_COUNT_LIMIT)?
                .or(count)
                .unwrap_or(defaults.link_attribute_count),
        },
    };
    let logs = match code_logs {
        Some(l) => l,
        None => LogRecordLimits {
            attribute_count: limit(var::OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT)?
                .or(count)
                .unwrap_or(LogRecordLimits::default().attribute_count),
            attribute_value_length: limit(var::OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT)?
                .or(length),
        },
    };
    for (field, value) in [
        ("span_limits", spans.attribute_count),
        ("span_limits", spans.event_count),
        ("span_limits", spans.link_count),
        ("span_limits", spans.event_attribute_count),
        ("span_limits", spans.link_attribute_count),
        ("span_limits", spans.attribute_value_length.unwrap_or(0)),
        ("log_record_limits", logs.attribute_count),
        (
            "log_record_limits",
            logs.attribute_value_length.unwrap_or(0),
        ),
    ] {
        if value > MAX_LIMIT {
            return Err(Error::InvalidConfig {
                field,
                value: value.to_string(),
                expected: Limit::EXPECTED,
            });
        }
    }
    Ok((spans, logs))
}

/// A code duration that must be positive, if given.
fn positive(value: Option<Duration>, field: &'static str) -> Result<Option<Duration>> {
    match value {
        Some(d) if d.is_zero() => Err(Error::InvalidConfig {
            field,
            value: format!("{d:?}"),
            expected: "a positive duration",
        }),
        other => Ok(other),
    }
}

// === sampling, batching, scrape ===

fn sampler<F: Fn(&str) -> Option<String>>(
    env: &Env<'_, F>,
    code: Option<Sampler>,
) -> Result<Sampler> {
    match code {
        Some(s) => validate_sampler(s),
        None => {
            let arg = env.read(var::OTEL_TRACES_SAMPLER_ARG)?;
            Ok(env
                .read_with(var::OTEL_TRACES_SAMPLER, |v| {
                    parse_sampler(v, arg).ok_or(syntax::Sampler::EXPECTED)
                })?
                .unwrap_or(Sampler::ParentBasedAlwaysOn))
        }
    }
}

fn scrape_addr<F: Fn(&str) -> Option<String>>(
    env: &Env<'_, F>,
    host: Option<IpAddr>,
    port: Option<u16>,
) -> Result<SocketAddr> {
    let host = match host {
        Some(h) => h,
        None => env
            .read(var::OTEL_EXPORTER_PROMETHEUS_HOST)?
            .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST)),
    };
    let port = match port {
        Some(p) => p,
        None => env
            .read(var::OTEL_EXPORTER_PROMETHEUS_PORT)?
            .unwrap_or(DEFAULT_PROMETHEUS_PORT),
    };
    Ok(SocketAddr::new(host, port))
}

/// Code values over the environment over `defaults`, each checked: queue in
/// `1..=MAX_QUEUE_SIZE`, batch in `1..=queue`.
fn batch<F: Fn(&str) -> Option<String>, B: Syntax<Value = usize>>(
    env: &Env<'_, F>,
    vars: &BatchVars<B>,
    code: BatchOverrides,
    defaults: BatchConfig,
) -> Result<BatchConfig> {
    let schedule_delay = match code.schedule_delay {
        Some(d) => d,
        None => env
            .read(vars.schedule_delay)?
            .unwrap_or(defaults.schedule_delay),
    };
    let max_queue_size = match code.max_queue_size {
        Some(n) if (1..=MAX_QUEUE_SIZE).contains(&n) => n,
        Some(n) => {
            return Err(Error::InvalidConfig {
                field: vars.queue_field,
                value: n.to_string(),
                expected: QueueSize::EXPECTED,
            })
        }
        None => env
            .read(vars.max_queue_size)?
            .unwrap_or(defaults.max_queue_size),
    };
    let max_export_batch_size = match code.max_export_batch_size {
        Some(n) if n >= 1 && n <= max_queue_size => n,
        Some(n) => {
            return Err(Error::InvalidConfig {
                field: vars.batch_field,
                value: n.to_string(),
                expected: B::EXPECTED,
            })
        }
        None => env
            .read_with(vars.max_export_batch_size, |v| match B::parse(v) {
                Ok(n) if n <= max_queue_size => Ok(n),
                _ => Err(B::EXPECTED),
            })?
            .unwrap_or(defaults.max_export_batch_size.min(max_queue_size)),
    };
    let export_timeout = env
        .read(vars.export_timeout)?
        .unwrap_or(defaults.export_timeout);
    Ok(BatchConfig {
        schedule_delay,
        max_queue_size,
        max_export_batch_size,
        export_timeout,
    })
}
