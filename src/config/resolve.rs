//! Resolution: builder values over the environment over defaults, one function per concern,
//! each checked. The precedence is written down once, in [`super`]'s module docs.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use super::endpoint;
use super::env::*;
use super::overrides::{BatchOverrides, TelemetryConfigBuilder};
use super::parse::*;
use super::values::{
    BatchConfig, ClientIdentity, Exporters, Headers, HistogramAggregation, LogRecordLimits,
    OtlpConfig, Propagator, Protocol, Sampler, SpanLimits, DEFAULT_GRPC_ENDPOINT,
    DEFAULT_HTTP_ENDPOINT, DEFAULT_PROMETHEUS_PORT, MAX_QUEUE_SIZE,
};
use super::TelemetryConfig;
use crate::error::{Error, Result};

const NAME_EXPECTED: &str = "a name of 1 to 255 characters without control characters";
const PROTOCOL_EXPECTED: &str = "grpc or http/protobuf";
const COMPRESSION_EXPECTED: &str = "gzip or none";

/// The whole configuration from `b` and `env`.
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

    let traces_exporters = exporters(
        env,
        b.traces_exporters,
        OTEL_TRACES_EXPORTER,
        false,
        Exporters::OTLP,
    )?;
    let metrics_exporters = exporters(
        env,
        b.metrics_exporters,
        OTEL_METRICS_EXPORTER,
        true,
        Exporters::PROMETHEUS,
    )?;
    let logs_exporters = exporters(
        env,
        b.logs_exporters,
        OTEL_LOGS_EXPORTER,
        false,
        Exporters::NONE,
    )?;

    let code = OtlpOverrides {
        endpoint: b.otlp_endpoint,
        protocol: b.otlp_protocol,
        headers: b.otlp_headers,
        timeout: b.otlp_timeout,
        compression: b.otlp_compression,
        ca_certificate: b.otlp_ca_certificate,
    };
    let [traces_otlp, metrics_otlp, logs_otlp] = otlp(env, &code)?;

    let sampler = sampler(env, b.sampler)?;
    let propagators = match b.propagators {
        Some(p) => p,
        None => env
            .parse(
                OTEL_PROPAGATORS,
                parse_propagators,
                "a comma list of tracecontext, baggage, none (b3, jaeger, xray and ottrace are not supported)",
            )?
            .unwrap_or_else(|| vec![Propagator::TraceContext, Propagator::Baggage]),
    };

    let spans_batch = batch(env, &BSP_VARS, b.batch, BatchConfig::default())?;
    let log_batch = batch(env, &BLRP_VARS, b.log_batch, BatchConfig::log_records())?;
    let metric_export_interval = match positive(b.metric_export_interval, "metric_export_interval")?
    {
        Some(d) => d,
        None => env
            .parse(OTEL_METRIC_EXPORT_INTERVAL, parse_millis, MILLIS_EXPECTED)?
            .unwrap_or(Duration::from_secs(60)),
    };
    let metric_export_timeout = env
        .parse(OTEL_METRIC_EXPORT_TIMEOUT, parse_millis, MILLIS_EXPECTED)?
        .unwrap_or(Duration::from_secs(30));
    let metrics_temporality = env
        .parse(
            OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE,
            parse_temporality,
            "cumulative, delta or lowmemory",
        )?
        .unwrap_or_default();
    let metrics_histogram_aggregation = histogram_aggregation(env, metrics_exporters)?;
    let (span_limits, log_record_limits) = limits(env, b.span_limits, b.log_record_limits)?;
    let sdk_log_level = env.parse(
        OTEL_LOG_LEVEL,
        parse_sdk_log_level,
        "error, warn, info, debug, trace or none",
    )?;
    let prometheus_addr = scrape_addr(env, b.prometheus_host, b.prometheus_port)?;
    let prometheus_translation = match b.prometheus_translation {
        Some(t) => t,
        None => env
            .parse(
                MARKETPLACE_PROMETHEUS_TRANSLATION_STRATEGY,
                parse_translation,
                TRANSLATION_EXPECTED,
            )?
            .unwrap_or_default(),
    };
    let prometheus_scope_info = env
        .parse(
            MARKETPLACE_PROMETHEUS_SCOPE_INFO,
            parse_bool,
            "true or false",
        )?
        .unwrap_or(false);
    let prometheus_target_info = env
        .parse(
            MARKETPLACE_PROMETHEUS_TARGET_INFO,
            parse_bool,
            "true or false",
        )?
        .unwrap_or(true);

    let log_filter = match b.log_filter {
        Some(f) => validate_filter(&f).ok_or(Error::InvalidConfig {
            field: "log_filter",
            value: f.clone(),
            expected: FILTER_EXPECTED,
        })?,
        None => env
            .parse(RUST_LOG, validate_filter, FILTER_EXPECTED)?
            .unwrap_or_else(|| "info".to_string()),
    };
    let log_format = match b.log_format {
        Some(f) => f,
        None => env
            .parse(RUST_LOG_FORMAT, parse_log_format, "text or json")?
            .unwrap_or_default(),
    };
    let operation_events = match b.operation_events {
        Some(level) => level,
        None => env
            .parse(
                MARKETPLACE_OPERATION_EVENTS,
                parse_event_level,
                "off, error, warn, info, debug or trace",
            )?
            .flatten(),
    };
    let exemplar_filter = match b.exemplar_filter {
        Some(f) => f,
        None => env
            .parse(
                OTEL_METRICS_EXEMPLAR_FILTER,
                parse_exemplar_filter,
                "trace_based, always_on or always_off",
            )?
            .unwrap_or_default(),
    };
    let prometheus_resource_labels = match b.prometheus_resource_labels {
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
    let traces_filter = checked_filter(b.traces_filter, "traces_filter")?;
    let logs_export_filter = checked_filter(b.logs_export_filter, "logs_export_filter")?;
    let shutdown_timeout =
        positive(b.shutdown_timeout, "shutdown_timeout")?.unwrap_or(Duration::from_secs(5));

    Ok(TelemetryConfig {
        sdk_disabled,
        service_name: service.name,
        service_version: service.version,
        resource_attributes: service.attributes,
        traces_exporters,
        metrics_exporters,
        logs_exporters,
        traces_otlp,
        metrics_otlp,
        logs_otlp,
        sampler,
        propagators,
        batch: spans_batch,
        log_batch,
        metric_export_interval,
        metric_export_timeout,
        metrics_temporality,
        metrics_histogram_aggregation,
        span_limits,
        log_record_limits,
        sdk_log_level,
        prometheus_addr,
        prometheus_translation,
        prometheus_scope_info,
        prometheus_target_info,
        serve_scrape_endpoint: b.serve_scrape_endpoint.unwrap_or(true),
        panic_hook: b.panic_hook.unwrap_or(true),
        log_filter,
        log_format,
        traces_filter,
        logs_export_filter,
        shutdown_timeout,
        process_metrics: b.process_metrics.unwrap_or(true),
        log_writer: b.log_writer.unwrap_or_default(),
        metrics_namespace: b.metrics_namespace,
        caches: b.caches.unwrap_or_else(|| vec!["default".to_string()]),
        config_file: None,
        config_warnings: Vec::new(),
        prebound_operations: b.prebound_operations,
        exemplar_filter,
        prebound_item_types: b.prebound_item_types,
        operation_events,
        prometheus_resource_labels,
        metric_views: Vec::new(),
        cardinality_limits: Default::default(),
        resource_detection: None,
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

// === service identity ===

struct Service {
    name: String,
    version: Option<String>,
    attributes: Vec<(String, String)>,
}

/// Resource: builder < `OTEL_RESOURCE_ATTRIBUTES` < `OTEL_SERVICE_NAME` (spec precedence).
fn service<F: Fn(&str) -> Option<String>>(
    env: &Env<'_, F>,
    mut attributes: Vec<(String, String)>,
    code_name: Option<String>,
    code_version: Option<String>,
) -> Result<Service> {
    validate_attributes(&attributes, "resource_attribute")?;
    if let Some(raw) = env.get(OTEL_RESOURCE_ATTRIBUTES) {
        for (k, v) in parse_key_values(&raw).map_err(|_| Error::InvalidEnv {
            var: OTEL_RESOURCE_ATTRIBUTES,
            value: raw.clone(),
            expected:
                "comma-separated key=value pairs with non-empty keys (values percent-encoded)",
        })? {
            attributes.retain(|(existing, _)| existing != &k);
            attributes.push((k, v));
        }
    }
    let name = match env.parse(
        OTEL_SERVICE_NAME,
        |v| valid_name(v).then(|| v.trim().to_string()),
        NAME_EXPECTED,
    )? {
        Some(name) => name,
        None => match attributes.iter().find(|(k, _)| k == "service.name") {
            Some((_, v)) => v.clone(),
            None => match code_name {
                Some(name) if valid_name(&name) => name,
                Some(name) => {
                    return Err(Error::InvalidConfig {
                        field: "service_name",
                        value: name,
                        expected: NAME_EXPECTED,
                    })
                }
                None => default_service_name(),
            },
        },
    };
    attributes.retain(|(k, _)| k != "service.name");
    let version = match code_version {
        Some(v) => Some(v),
        None => attributes
            .iter()
            .find(|(k, _)| k == "service.version")
            .map(|(_, v)| v.clone()),
    };
    attributes.retain(|(k, _)| k != "service.version");
    Ok(Service {
        name,
        version,
        attributes,
    })
}

fn exporters<F: Fn(&str) -> Option<String>>(
    env: &Env<'_, F>,
    code: Option<Exporters>,
    var: &'static str,
    metrics: bool,
    default: Exporters,
) -> Result<Exporters> {
    let expected = if metrics {
        "a comma list of prometheus, otlp, console, none"
    } else {
        "a comma list of otlp, console, none"
    };
    match code {
        Some(e) => Ok(e),
        None => Ok(env
            .parse(var, |v| parse_exporters(v, metrics), expected)?
            .unwrap_or(default)),
    }
}

// === OTLP ===

/// OTLP values given in code: they apply to all three signals.
struct OtlpOverrides {
    endpoint: Option<String>,
    protocol: Option<Protocol>,
    headers: Option<Headers>,
    timeout: Option<Duration>,
    compression: Option<super::values::Compression>,
    ca_certificate: Option<std::path::PathBuf>,
}

/// The three signals' OTLP settings: code > signal env > generic env > default.
fn otlp<F: Fn(&str) -> Option<String>>(
    env: &Env<'_, F>,
    code: &OtlpOverrides,
) -> Result<[OtlpConfig; 3]> {
    if let Some(endpoint) = &code.endpoint {
        endpoint::validate(endpoint).map_err(|expected| Error::InvalidConfig {
            field: "otlp_endpoint",
            value: endpoint::redact(endpoint).into_owned(),
            expected,
        })?;
    }
    positive(code.timeout, "otlp_timeout")?;
    if let Some(path) = &code.ca_certificate {
        if parse_pem_path(&path.to_string_lossy()).is_none() {
            return Err(Error::InvalidConfig {
                field: "otlp_ca_certificate",
                value: path.display().to_string(),
                expected: PEM_EXPECTED,
            });
        }
    }
    let generic = GenericOtlp {
        protocol: env.parse(
            OTEL_EXPORTER_OTLP_PROTOCOL,
            parse_protocol,
            PROTOCOL_EXPECTED,
        )?,
        endpoint: env.parse_endpoint(OTEL_EXPORTER_OTLP_ENDPOINT, endpoint::validate)?,
        headers: env.parse_secret(OTEL_EXPORTER_OTLP_HEADERS)?,
        timeout: env.parse(OTEL_EXPORTER_OTLP_TIMEOUT, parse_millis, MILLIS_EXPECTED)?,
        compression: env.parse(
            OTEL_EXPORTER_OTLP_COMPRESSION,
            parse_compression,
            COMPRESSION_EXPECTED,
        )?,
        certificate: env.parse(OTEL_EXPORTER_OTLP_CERTIFICATE, parse_pem_path, PEM_EXPECTED)?,
        client_certificate: env
            .parse(
                OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE,
                parse_pem_path,
                PEM_EXPECTED,
            )?
            .map(|p| (p, OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE)),
        client_key: env
            .parse(OTEL_EXPORTER_OTLP_CLIENT_KEY, parse_key_path, KEY_EXPECTED)?
            .map(|p| (p, OTEL_EXPORTER_OTLP_CLIENT_KEY)),
        insecure: env
            .parse(OTEL_EXPORTER_OTLP_INSECURE, parse_bool, "true or false")?
            .map(|b| (b, OTEL_EXPORTER_OTLP_INSECURE)),
    };
    let [traces, metrics, logs] = &SIGNAL_VARS;
    Ok([
        otlp_signal(env, code, &generic, traces)?,
        otlp_signal(env, code, &generic, metrics)?,
        otlp_signal(env, code, &generic, logs)?,
    ])
}

/// Where a signal's endpoint came from.
#[derive(Clone, Copy)]
enum EndpointSource {
    /// The builder, or our default.
    Code,
    /// This environment variable.
    Env(&'static str),
}

/// The generic `OTEL_EXPORTER_OTLP_*` values, read once for the three signals.
struct GenericOtlp {
    protocol: Option<Protocol>,
    endpoint: Option<String>,
    headers: Option<Headers>,
    timeout: Option<Duration>,
    compression: Option<super::values::Compression>,
    certificate: Option<std::path::PathBuf>,
    client_certificate: Option<(std::path::PathBuf, &'static str)>,
    client_key: Option<(std::path::PathBuf, &'static str)>,
    insecure: Option<(bool, &'static str)>,
}

fn otlp_signal<F: Fn(&str) -> Option<String>>(
    env: &Env<'_, F>,
    code: &OtlpOverrides,
    generic: &GenericOtlp,
    vars: &SignalVars,
) -> Result<OtlpConfig> {
    let protocol = match code.protocol {
        Some(p) => p,
        None => env
            .parse(vars.protocol, parse_protocol, PROTOCOL_EXPECTED)?
            .or(generic.protocol)
            .unwrap_or(Protocol::Grpc),
    };
    // The endpoint and where it came from (named in the error if it does not suit gRPC).
    let (endpoint, source) = match &code.endpoint {
        Some(e) => (e.clone(), EndpointSource::Code),
        None => match env.parse_endpoint(vars.endpoint, endpoint::validate)? {
            Some(e) => (e, EndpointSource::Env(vars.endpoint)),
            None => match (&generic.endpoint, protocol) {
                (Some(e), Protocol::Grpc) => {
                    (e.clone(), EndpointSource::Env(OTEL_EXPORTER_OTLP_ENDPOINT))
                }
                (Some(e), Protocol::HttpProtobuf) => (
                    join_signal_path(e, vars.signal),
                    EndpointSource::Env(OTEL_EXPORTER_OTLP_ENDPOINT),
                ),
                (None, Protocol::Grpc) => (DEFAULT_GRPC_ENDPOINT.to_string(), EndpointSource::Code),
                (None, Protocol::HttpProtobuf) => (
                    join_signal_path(DEFAULT_HTTP_ENDPOINT, vars.signal),
                    EndpointSource::Code,
                ),
            },
        },
    };
    if protocol == Protocol::Grpc {
        if let Err(expected) = endpoint::validate_grpc(&endpoint) {
            let value = endpoint::redact(&endpoint).into_owned();
            return Err(match source {
                EndpointSource::Env(var) => Error::InvalidEnv {
                    var,
                    value,
                    expected,
                },
                EndpointSource::Code => Error::InvalidConfig {
                    field: "otlp_endpoint",
                    value,
                    expected,
                },
            });
        }
    }
    // Credentials in the URL travel as a header (explicit `authorization` headers win).
    let (endpoint, basic_auth) = endpoint::take_credentials(&endpoint);
    let mut headers = generic.headers.clone().unwrap_or_default();
    if let Some(signal_headers) = env.parse_secret(vars.headers)? {
        for (k, v) in signal_headers.iter() {
            headers.insert(k, v);
        }
    }
    if let Some(explicit) = &code.headers {
        for (k, v) in explicit.iter() {
            headers.insert(k, v);
        }
    }
    if let Some(basic_auth) = basic_auth {
        if !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        {
            headers.insert("authorization", basic_auth);
        }
    }
    let timeout = match code.timeout {
        Some(t) => t,
        None => env
            .parse(vars.timeout, parse_millis, MILLIS_EXPECTED)?
            .or(generic.timeout)
            .unwrap_or(Duration::from_secs(10)),
    };
    let compression = match code.compression {
        Some(c) => c,
        None => env
            .parse(vars.compression, parse_compression, COMPRESSION_EXPECTED)?
            .or(generic.compression)
            .unwrap_or_default(),
    };
    let ca_certificate = match &code.ca_certificate {
        Some(path) => Some(path.clone()),
        None => env
            .parse(vars.certificate, parse_pem_path, PEM_EXPECTED)?
            .or_else(|| generic.certificate.clone()),
    };
    let client_identity = client_identity(env, generic, vars, &endpoint)?;
    let insecure = env
        .parse(vars.insecure, parse_bool, "true or false")?
        .map(|b| (b, vars.insecure))
        .or(generic.insecure);
    if let Some((insecure, var)) = insecure {
        let https = endpoint.starts_with("https://");
        if insecure == https {
            return Err(Error::InvalidEnv {
                var,
                value: insecure.to_string(),
                expected: if https {
                    "false (or unset) with an https:// endpoint: the endpoint's scheme decides, and https:// is TLS"
                } else {
                    "true (or unset) with an http:// endpoint: the endpoint's scheme decides, and http:// is plaintext; use https:// for TLS"
                },
            });
        }
    }
    Ok(OtlpConfig {
        endpoint,
        protocol,
        headers,
        timeout,
        compression,
        ca_certificate,
        client_identity,
    })
}

/// The client certificate and key (mTLS): signal variable over generic, both or neither, and
/// only for an `https://` endpoint.
fn client_identity<F: Fn(&str) -> Option<String>>(
    env: &Env<'_, F>,
    generic: &GenericOtlp,
    vars: &SignalVars,
    endpoint: &str,
) -> Result<Option<ClientIdentity>> {
    let certificate = env
        .parse(vars.client_certificate, parse_pem_path, PEM_EXPECTED)?
        .map(|p| (p, vars.client_certificate))
        .or_else(|| generic.client_certificate.clone());
    let key = env
        .parse(vars.client_key, parse_key_path, KEY_EXPECTED)?
        .map(|p| (p, vars.client_key))
        .or_else(|| generic.client_key.clone());
    match (certificate, key) {
        (None, None) => Ok(None),
        (Some((path, var)), None) => Err(Error::InvalidEnv {
            var,
            value: path.display().to_string(),
            expected: "a client certificate together with its key (OTEL_EXPORTER_OTLP_CLIENT_KEY or the signal's _CLIENT_KEY)",
        }),
        (None, Some((path, var))) => Err(Error::InvalidEnv {
            var,
            value: path.display().to_string(),
            expected: "a client key together with its certificate (OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE or the signal's _CLIENT_CERTIFICATE)",
        }),
        (Some((certificate, var)), Some((key, _))) => {
            if !endpoint.starts_with("https://") {
                return Err(Error::InvalidEnv {
                    var,
                    value: certificate.display().to_string(),
                    expected: "a client certificate for an https:// endpoint (a certificate is presented only over TLS)",
                });
            }
            Ok(Some(ClientIdentity { certificate, key }))
        }
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
