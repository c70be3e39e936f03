//! The environment variables [`TelemetryConfig::from_env`](super::TelemetryConfig::from_env)(super::TelemetryConfig::from_env)
//! reads: their names (`pub const`), the per-signal and per-processor tables, and the one
//! lookup every read goes through (empty counts as unset).

use super::parse::parse_headers;
use super::values::Headers;
use crate::error::{Error, Result};
use crate::signal::Signal;

// === environment variable names ===

/// `true` disables every signal: init succeeds, nothing is exported, no port is bound.
pub const OTEL_SDK_DISABLED: &str = "OTEL_SDK_DISABLED";
/// The configuration file (YAML): when set, the other `OTEL_*` variables are read only
/// through its substitutions.
pub const OTEL_CONFIG_FILE: &str = "OTEL_CONFIG_FILE";
/// The configuration file's deprecated variable (accepted with a warning).
pub const OTEL_EXPERIMENTAL_CONFIG_FILE: &str = "OTEL_EXPERIMENTAL_CONFIG_FILE";
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
/// Resource attributes put on every scraped series as labels (comma list of attribute keys,
/// e.g. `service.version,deployment.environment`; the configuration schema's
/// `with_resource_constant_labels`). Default: none (they are on `target_info` only).
pub const MARKETPLACE_PROMETHEUS_RESOURCE_LABELS: &str = "MARKETPLACE_PROMETHEUS_RESOURCE_LABELS";
/// Which measurements become exemplars on the OpenMetrics scrape: `trace_based` (the default:
/// inside a sampled span), `always_on`, `always_off`.
pub const OTEL_METRICS_EXEMPLAR_FILTER: &str = "OTEL_METRICS_EXEMPLAR_FILTER";
/// One structured event per finished marketplace operation, at this level: `off` (the
/// default), `error`, `warn`, `info`, `debug` or `trace`.
pub const MARKETPLACE_OPERATION_EVENTS: &str = "MARKETPLACE_OPERATION_EVENTS";

/// `true` asks for a plaintext gRPC connection. Endpoints here always carry their scheme
/// (`http://` is plaintext, `https://` TLS), which the specification says wins: a value that
/// contradicts the endpoint's scheme is refused rather than ignored.
pub const OTEL_EXPORTER_OTLP_INSECURE: &str = "OTEL_EXPORTER_OTLP_INSECURE";
/// PEM file of the client certificate presented to the collector (mTLS, gRPC with feature
/// `tls`); needs `OTEL_EXPORTER_OTLP_CLIENT_KEY`.
pub const OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: &str = "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE";
/// PEM file of the client's private key (mTLS); needs `OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE`.
pub const OTEL_EXPORTER_OTLP_CLIENT_KEY: &str = "OTEL_EXPORTER_OTLP_CLIENT_KEY";
/// Characters per string attribute value, every signal (default: unlimited).
pub const OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: &str = "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT";
/// Attributes per span, event, link and log record (default 128).
pub const OTEL_ATTRIBUTE_COUNT_LIMIT: &str = "OTEL_ATTRIBUTE_COUNT_LIMIT";
/// Characters per string span attribute value (over `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`).
pub const OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT: &str = "OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT";
/// Attributes per span (over `OTEL_ATTRIBUTE_COUNT_LIMIT`; default 128).
pub const OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: &str = "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT";
/// Events per span (default 128).
pub const OTEL_SPAN_EVENT_COUNT_LIMIT: &str = "OTEL_SPAN_EVENT_COUNT_LIMIT";
/// Links per span (default 128).
pub const OTEL_SPAN_LINK_COUNT_LIMIT: &str = "OTEL_SPAN_LINK_COUNT_LIMIT";
/// Attributes per span event (over `OTEL_ATTRIBUTE_COUNT_LIMIT`; default 128).
pub const OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT: &str = "OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT";
/// Attributes per span link (over `OTEL_ATTRIBUTE_COUNT_LIMIT`; default 128).
pub const OTEL_LINK_ATTRIBUTE_COUNT_LIMIT: &str = "OTEL_LINK_ATTRIBUTE_COUNT_LIMIT";
/// Characters per string log record attribute value (over `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`).
pub const OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT: &str =
    "OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT";
/// Attributes per log record (over `OTEL_ATTRIBUTE_COUNT_LIMIT`; default 128).
pub const OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT: &str = "OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT";
/// Batch span processor: bound on one export, milliseconds (default 30000; caps the OTLP
/// exporter's timeout).
pub const OTEL_BSP_EXPORT_TIMEOUT: &str = "OTEL_BSP_EXPORT_TIMEOUT";
/// Batch log record processor: bound on one export, milliseconds (default 30000).
pub const OTEL_BLRP_EXPORT_TIMEOUT: &str = "OTEL_BLRP_EXPORT_TIMEOUT";
/// Bound on one OTLP metric export, milliseconds (default 30000).
pub const OTEL_METRIC_EXPORT_TIMEOUT: &str = "OTEL_METRIC_EXPORT_TIMEOUT";
/// Temporality the OTLP metric exporter asks for: `cumulative` (default), `delta`,
/// `lowmemory`.
pub const OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: &str =
    "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE";
/// `explicit_bucket_histogram` (default) or `base2_exponential_bucket_histogram` (OTLP only).
pub const OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION: &str =
    "OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION";
/// Level of the SDK's own diagnostics (`opentelemetry*` targets): `error`, `warn`, `info`,
/// `debug`, `trace` or `none`. Default: warnings, unless `RUST_LOG` names those targets.
pub const OTEL_LOG_LEVEL: &str = "OTEL_LOG_LEVEL";

/// Prometheus name translation (the schema's `translation_strategy`):
/// `underscore_escaping_with_suffixes` (default) or `underscore_escaping_without_suffixes`.
pub const MARKETPLACE_PROMETHEUS_TRANSLATION_STRATEGY: &str =
    "MARKETPLACE_PROMETHEUS_TRANSLATION_STRATEGY";
/// `true` puts `otel_scope_name`/`otel_scope_version` labels on every scraped series (the
/// schema's `scope_info_enabled`); default `false` here (one scope: the labels only add
/// cost), `true` when a configuration file leaves it out, as the schema says.
pub const MARKETPLACE_PROMETHEUS_SCOPE_INFO: &str = "MARKETPLACE_PROMETHEUS_SCOPE_INFO";
/// `false` drops the `target_info` series (the schema's `target_info_enabled`); default `true`.
pub const MARKETPLACE_PROMETHEUS_TARGET_INFO: &str = "MARKETPLACE_PROMETHEUS_TARGET_INFO";

/// Per-signal forms of the OTLP variables, in the order traces, metrics, logs.
pub(super) const SIGNAL_VARS: [SignalVars; 3] = [
    SignalVars {
        signal: Signal::Traces,
        endpoint: "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        protocol: "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
        headers: "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
        timeout: "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
        compression: "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
        certificate: "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE",
        client_certificate: "OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE",
        client_key: "OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY",
        insecure: "OTEL_EXPORTER_OTLP_TRACES_INSECURE",
    },
    SignalVars {
        signal: Signal::Metrics,
        endpoint: "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
        protocol: "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL",
        headers: "OTEL_EXPORTER_OTLP_METRICS_HEADERS",
        timeout: "OTEL_EXPORTER_OTLP_METRICS_TIMEOUT",
        compression: "OTEL_EXPORTER_OTLP_METRICS_COMPRESSION",
        certificate: "OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE",
        client_certificate: "OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE",
        client_key: "OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY",
        insecure: "OTEL_EXPORTER_OTLP_METRICS_INSECURE",
    },
    SignalVars {
        signal: Signal::Logs,
        endpoint: "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
        protocol: "OTEL_EXPORTER_OTLP_LOGS_PROTOCOL",
        headers: "OTEL_EXPORTER_OTLP_LOGS_HEADERS",
        timeout: "OTEL_EXPORTER_OTLP_LOGS_TIMEOUT",
        compression: "OTEL_EXPORTER_OTLP_LOGS_COMPRESSION",
        certificate: "OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE",
        client_certificate: "OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE",
        client_key: "OTEL_EXPORTER_OTLP_LOGS_CLIENT_KEY",
        insecure: "OTEL_EXPORTER_OTLP_LOGS_INSECURE",
    },
];

/// Every variable [`TelemetryConfig::from_env`](super::TelemetryConfig::from_env) reads, for docs and tests.
pub const ALL_ENV_VARS: &[&str] = &[
    OTEL_CONFIG_FILE,
    OTEL_EXPERIMENTAL_CONFIG_FILE,
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
    OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE,
    OTEL_EXPORTER_OTLP_CLIENT_KEY,
    OTEL_EXPORTER_OTLP_INSECURE,
    // The per-signal names, read from the one table that declares them.
    SIGNAL_VARS[0].endpoint,
    SIGNAL_VARS[0].protocol,
    SIGNAL_VARS[0].headers,
    SIGNAL_VARS[0].timeout,
    SIGNAL_VARS[0].compression,
    SIGNAL_VARS[0].certificate,
    SIGNAL_VARS[0].client_certificate,
    SIGNAL_VARS[0].client_key,
    SIGNAL_VARS[0].insecure,
    SIGNAL_VARS[1].endpoint,
    SIGNAL_VARS[1].protocol,
    SIGNAL_VARS[1].headers,
    SIGNAL_VARS[1].timeout,
    SIGNAL_VARS[1].compression,
    SIGNAL_VARS[1].certificate,
    SIGNAL_VARS[1].client_certificate,
    SIGNAL_VARS[1].client_key,
    SIGNAL_VARS[1].insecure,
    SIGNAL_VARS[2].endpoint,
    SIGNAL_VARS[2].protocol,
    SIGNAL_VARS[2].headers,
    SIGNAL_VARS[2].timeout,
    SIGNAL_VARS[2].compression,
    SIGNAL_VARS[2].certificate,
    SIGNAL_VARS[2].client_certificate,
    SIGNAL_VARS[2].client_key,
    SIGNAL_VARS[2].insecure,
    OTEL_TRACES_SAMPLER,
    OTEL_TRACES_SAMPLER_ARG,
    OTEL_PROPAGATORS,
    OTEL_BSP_SCHEDULE_DELAY,
    OTEL_BSP_MAX_QUEUE_SIZE,
    OTEL_BSP_MAX_EXPORT_BATCH_SIZE,
    OTEL_BLRP_SCHEDULE_DELAY,
    OTEL_BLRP_MAX_QUEUE_SIZE,
    OTEL_BLRP_MAX_EXPORT_BATCH_SIZE,
    OTEL_BSP_EXPORT_TIMEOUT,
    OTEL_BLRP_EXPORT_TIMEOUT,
    OTEL_METRIC_EXPORT_INTERVAL,
    OTEL_METRIC_EXPORT_TIMEOUT,
    OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE,
    OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION,
    OTEL_METRICS_EXEMPLAR_FILTER,
    OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT,
    OTEL_ATTRIBUTE_COUNT_LIMIT,
    OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT,
    OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT,
    OTEL_SPAN_EVENT_COUNT_LIMIT,
    OTEL_SPAN_LINK_COUNT_LIMIT,
    OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT,
    OTEL_LINK_ATTRIBUTE_COUNT_LIMIT,
    OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT,
    OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT,
    OTEL_LOG_LEVEL,
    MARKETPLACE_PROMETHEUS_TRANSLATION_STRATEGY,
    MARKETPLACE_PROMETHEUS_RESOURCE_LABELS,
    MARKETPLACE_OPERATION_EVENTS,
    MARKETPLACE_PROMETHEUS_SCOPE_INFO,
    MARKETPLACE_PROMETHEUS_TARGET_INFO,
    OTEL_EXPORTER_PROMETHEUS_HOST,
    OTEL_EXPORTER_PROMETHEUS_PORT,
    RUST_LOG,
    RUST_LOG_FORMAT,
];

/// The per-signal forms of the OTLP variables.
pub(super) struct SignalVars {
    pub(super) signal: Signal,
    pub(super) endpoint: &'static str,
    pub(super) protocol: &'static str,
    pub(super) headers: &'static str,
    pub(super) timeout: &'static str,
    pub(super) compression: &'static str,
    pub(super) certificate: &'static str,
    pub(super) client_certificate: &'static str,
    pub(super) client_key: &'static str,
    pub(super) insecure: &'static str,
}

/// Where a batch processor's three settings come from.
pub(super) struct BatchVars {
    pub(super) schedule_delay: &'static str,
    pub(super) max_queue_size: &'static str,
    pub(super) max_export_batch_size: &'static str,
    pub(super) export_timeout: &'static str,
    /// Builder field names, for [`Error::InvalidConfig`].
    pub(super) queue_field: &'static str,
    pub(super) batch_field: &'static str,
    pub(super) batch_expected: &'static str,
}

pub(super) const BSP_VARS: BatchVars = BatchVars {
    schedule_delay: OTEL_BSP_SCHEDULE_DELAY,
    max_queue_size: OTEL_BSP_MAX_QUEUE_SIZE,
    max_export_batch_size: OTEL_BSP_MAX_EXPORT_BATCH_SIZE,
    export_timeout: OTEL_BSP_EXPORT_TIMEOUT,
    queue_field: "batch_max_queue_size",
    batch_field: "batch_max_export_batch_size",
    batch_expected: "a whole number from 1 to OTEL_BSP_MAX_QUEUE_SIZE",
};

pub(super) const BLRP_VARS: BatchVars = BatchVars {
    schedule_delay: OTEL_BLRP_SCHEDULE_DELAY,
    max_queue_size: OTEL_BLRP_MAX_QUEUE_SIZE,
    max_export_batch_size: OTEL_BLRP_MAX_EXPORT_BATCH_SIZE,
    export_timeout: OTEL_BLRP_EXPORT_TIMEOUT,
    queue_field: "log_batch_max_queue_size",
    batch_field: "log_batch_max_export_batch_size",
    batch_expected: "a whole number from 1 to OTEL_BLRP_MAX_QUEUE_SIZE",
};

/// The environment (or what stands in for it): every read goes through here.
pub(super) struct Env<'a, F>(&'a F);

impl<'a, F: Fn(&str) -> Option<String>> Env<'a, F> {
    pub(super) fn new(lookup: &'a F) -> Self {
        Env(lookup)
    }

    pub(super) fn get(&self, var: &str) -> Option<String> {
        (self.0)(var).filter(|v| !v.trim().is_empty())
    }

    pub(super) fn parse<T>(
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

    /// An endpoint URL: checked by `check`, shown redacted in the error (credentials or a
    /// query string in a URL are secrets).
    pub(super) fn parse_endpoint(
        &self,
        var: &'static str,
        check: fn(&str) -> std::result::Result<(), &'static str>,
    ) -> Result<Option<String>> {
        match self.get(var) {
            None => Ok(None),
            Some(raw) => match check(&raw) {
                Ok(()) => Ok(Some(raw)),
                Err(expected) => Err(Error::InvalidEnv {
                    var,
                    value: super::endpoint::redact(&raw).into_owned(),
                    expected,
                }),
            },
        }
    }

    pub(super) fn parse_secret(&self, var: &'static str) -> Result<Option<Headers>> {
        match self.get(var) {
            None => Ok(None),
            Some(raw) => parse_headers(&raw).map(Some).map_err(|redacted| Error::InvalidEnv {
                var,
                value: redacted,
                expected: "comma-separated key=value pairs with header-safe keys, none ending in -bin (values percent-encoded)",
            }),
        }
    }
}
