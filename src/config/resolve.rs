//! Resolution: builder values over the environment over defaults, one function per concern,
//! each checked. The precedence is written down once, in [`super`]'s module docs.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use super::endpoint;
use super::env::*;
use super::overrides::{BatchOverrides, TelemetryConfigBuilder};
use super::parse::*;
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

const NAME_EXPECTED: &str = "a name of 1 to 255 characters without control characters";
const PROTOCOL_EXPECTED: &str = "grpc or http/protobuf";
const COMPRESSION_EXPECTED: &str = "gzip or none";

/// The whole configuration from `b` and `env`: each concern resolved by its own function
/// (service identity, exporters and OTLP, trace pipeline, metric pipeline, console), each
/// value by the precedence builder > signal variable > generic variable > default.
pub(super) fn resolve<F: Fn(&str) -> Option<String>>(
    b: TelemetryConfigBuilder,
    env: &Env<'_, F>,
) -> Result<TelemetryConfig> {
    let sdk_disabled = match b.sdk_disabled {
        Some(v) => v,
        None => env
            .parse(OTEL_SDK_DISABLED, parse_bool, "true or false")?
            .unwrap_or(false),
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
        panic_hook: b.panic_hook.unwrap_or(true),
        log_filter: console.log_filter,
        log_format: console.log_format,
        traces_filter: console.traces_filter,
        logs_export_filter: console.logs_export_filter,
        shutdown_timeout,
        process_metrics: b.process_metrics.unwrap_or(true),
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
    })
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
        traces: exporters(env, traces, OTEL_TRACES_EXPORTER, false, Exporters::OTLP)?,
        metrics: exporters(
            env,
            metrics,
            OTEL_METRICS_EXPORTER,
            true,
            Exporters::PROMETHEUS,
        )?,
        logs: exporters(env, logs, OTEL_LOGS_EXPORTER, false, Exporters::NONE)?,
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
            .parse(
                OTEL_PROPAGATORS,
                parse_propagators,
                "a comma list of tracecontext, baggage, b3, b3multi, xray; or none (jaeger and ottrace are not supported: no propagator crate at our OpenTelemetry version)",
            )?
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
            .parse(OTEL_METRIC_EXPORT_INTERVAL, parse_millis, MILLIS_EXPECTED)?
            .unwrap_or(Duration::from_secs(60)),
    };
    let translation = match code_translation {
        Some(t) => t,
        None => env
            .parse(
                MARKETPLACE_PROMETHEUS_TRANSLATION_STRATEGY,
                parse_translation,
                TRANSLATION_EXPECTED,
            )?
            .unwrap_or_default(),
    };
    let exemplar_filter = match code_exemplars {
        Some(f) => f,
        None => env
            .parse(
                OTEL_METRICS_EXEMPLAR_FILTER,
                parse_exemplar_filter,
                "trace_based, always_on or always_off",
            )?
            .unwrap_or_default(),
    };
    let resource_labels = match code_resource_labels {
        Some(keys) => {
            let joined = keys.join(",");
            parse_attribute_keys(&joined).ok_or(Error::InvalidConfig {
                field: "prometheus_resource_labels",
                value: joined,
                expected: RESOURCE_LABELS_EXPECTED,
            })?
        }
        None => env
            .parse(
                MARKETPLACE_PROMETHEUS_RESOURCE_LABELS,
                parse_attribute_keys,
                RESOURCE_LABELS_EXPECTED,
            )?
            .unwrap_or_default(),
    };
    Ok(MetricPipeline {
        export_interval,
        export_timeout: env
            .parse(OTEL_METRIC_EXPORT_TIMEOUT, parse_millis, MILLIS_EXPECTED)?
            .unwrap_or(Duration::from_secs(30)),
        temporality: env
            .parse(
                OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE,
                parse_temporality,
                "cumulative, delta or lowmemory",
            )?
            .unwrap_or_default(),
        histogram_aggregation: histogram_aggregation(env, exporters)?,
        prometheus_addr: scrape_addr(env, host, port)?,
        translation,
        scope_info: env
            .parse(
                MARKETPLACE_PROMETHEUS_SCOPE_INFO,
                parse_bool,
                "true or false",
            )?
            .unwrap_or(false),
        target_info: env
            .parse(
                MARKETPLACE_PROMETHEUS_TARGET_INFO,
                parse_bool,
                "true or false",
            )?
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
            expected: FILTER_EXPECTED,
        })?,
        None => env
            .parse(RUST_LOG, validate_filter, FILTER_EXPECTED)?
            .unwrap_or_else(|| "info".to_string()),
    };
    let log_format = match code_format {
        Some(f) => f,
        None => env
            .parse(RUST_LOG_FORMAT, parse_log_format, "text or json")?
            .unwrap_or_default(),
    };
    let operation_events = match code_events {
        Some(level) => level,
        None => env
            .parse(
                MARKETPLACE_OPERATION_EVENTS,
                parse_event_level,
                "off, error, warn, info, debug or trace",
            )?
            .flatten(),
    };
    Ok(Console {
        log_filter,
        log_format,
        operation_events,
        traces_filter: checked_filter(traces_filter, "traces_filter")?,
        logs_export_filter: checked_filter(logs_export_filter, "logs_export_filter")?,
        sdk_log_level: env.parse(
            OTEL_LOG_LEVEL,
            parse_sdk_log_level,
            "error, warn, info, debug, trace or none",
        )?,
    })
}

/// `base2_exponential_bucket_histogram` needs a metric pipeline without the Prometheus
/// reader: opentelemetry-sdk 0.33 picks aggregations per provider (views), not per reader, and
/// the Prometheus exporter drops exponential histograms.
fn histogram_aggregation<F: Fn(&str) -> Option<String>>(
    env: &Env<'_, F>,
    exporters: Exporters,
) -> Result<HistogramAggregation> {
    let var = OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION;
    let aggregation = env
        .parse(
            var,
            parse_histogram_aggregation,
            "explicit_bucket_histogram or base2_exponential_bucket_histogram",
        )?
        .unwrap_or_default();
    if aggregation == HistogramAggregation::Base2Exponential && exporters.prometheus {
        return Err(Error::InvalidEnv {
            var,
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
    let limit = |var| env.parse(var, parse_limit, LIMIT_EXPECTED);
    let count = limit(OTEL_ATTRIBUTE_COUNT_LIMIT)?;
    let length = limit(OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT)?;
    let defaults = SpanLimits::default();
    let spans = match code_spans {
        Some(l) => l,
        None => SpanLimits {
            attribute_count: limit(OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT)?
                .or(count)
                .unwrap_or(defaults.attribute_count),
            attribute_value_length: limit(OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT)?.or(length),
            event_count: limit(OTEL_SPAN_EVENT_COUNT_LIMIT)?.unwrap_or(defaults.event_count),
            link_count: limit(OTEL_SPAN_LINK_COUNT_LIMIT)?.unwrap_or(defaults.link_count),
            event_attribute_count: limit(OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT)?
                .or(count)
                .unwrap_or(defaults.event_attribute_count),
            link_attribute_count: limit(OTEL_LINK_ATTRIBUTE_COUNT_LIMIT)?
                .or(count)
                .unwrap_or(defaults.link_attribute_count),
        },
    };
    let logs = match code_logs {
        Some(l) => l,
        None => LogRecordLimits {
            attribute_count: limit(OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT)?
                .or(count)
                .unwrap_or(LogRecordLimits::default().attribute_count),
            attribute_value_length: limit(OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT)?.or(length),
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
                expected: LIMIT_EXPECTED,
            });
        }
    }
    Ok((spans, logs))
}

const RESOURCE_LABELS_EXPECTED: &str =
    "a comma list of resource attribute keys such as service.version,deployment.environment";

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
            let arg = env.parse(
                OTEL_TRACES_SAMPLER_ARG,
                parse_ratio,
                "a number from 0.0 to 1.0",
            )?;
            Ok(env
                .parse(
                    OTEL_TRACES_SAMPLER,
                    |v| parse_sampler(v, arg),
                    SAMPLER_EXPECTED,
                )?
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
            .parse(
                OTEL_EXPORTER_PROMETHEUS_HOST,
                parse_host,
                "an IP address or localhost",
            )?
            .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST)),
    };
    let port = match port {
        Some(p) => p,
        None => env
            .parse(
                OTEL_EXPORTER_PROMETHEUS_PORT,
                |v| v.trim().parse::<u16>().ok(),
                "a port number from 0 to 65535",
            )?
            .unwrap_or(DEFAULT_PROMETHEUS_PORT),
    };
    Ok(SocketAddr::new(host, port))
}

/// Code values over the environment over `defaults`, each checked: queue in
/// `1..=MAX_QUEUE_SIZE`, batch in `1..=queue`.
fn batch<F: Fn(&str) -> Option<String>>(
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
    let export_timeout = env
        .parse(vars.export_timeout, parse_millis, MILLIS_EXPECTED)?
        .unwrap_or(defaults.export_timeout);
    Ok(BatchConfig {
        schedule_delay,
        max_queue_size,
        max_export_batch_size,
        export_timeout,
    })
}
