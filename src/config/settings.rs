//! Every setting the environment can give, declared once: its variable name(s), the syntax its
//! value is read with (which carries the accepted spellings and the "expected" text errors
//! show, see [`syntax`](super::syntax)), its default, what it accepts (the README's words), its
//! configuration-file property and a value it must refuse.
//!
//! From these declarations come the public name constants (`config::OTEL_BSP_SCHEDULE_DELAY`),
//! the typed handles the resolver reads through ([`var`]), [`ALL_ENV_VARS`], the README's
//! variable table (a test renders it and compares it byte for byte) and the refused-value
//! test. A new variable is one entry here, its consumer, and the README regenerated.
//!
//! ```text
//! /// Batch span processor: delay between exports, milliseconds.   <- the constant's docs
//! OTEL_BSP_SCHEDULE_DELAY: Millis {                                <- name(s): syntax
//!     default: "`5000`",                                          <- README: default
//!     accepted: "milliseconds, 1–3600000",                        <- README: accepted values
//!     file: "tracer_provider.processors[].batch.schedule_delay",  <- the file's property
//!     refused: "1e3",                                             <- must be an error
//! };
//! ```

use std::marker::PhantomData;

use super::syntax::*;

/// A setting read with syntax `S`: what [`Env::read`](super::env::Env::read) takes.
pub(crate) struct Setting<S> {
    /// The environment variable.
    pub(crate) name: &'static str,
    syntax: PhantomData<fn() -> S>,
}

impl<S> Setting<S> {
    const fn new(name: &'static str) -> Self {
        Setting {
            name,
            syntax: PhantomData,
        }
    }
}

impl<S> Clone for Setting<S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S> Copy for Setting<S> {}

impl<S> From<Setting<S>> for &'static str {
    fn from(setting: Setting<S>) -> Self {
        setting.name
    }
}

/// One declaration, as documentation and tests see it.
#[cfg(test)]
#[derive(Debug, Clone, Copy)]
pub(crate) struct Declaration {
    /// The variables it declares (a signal family, or settings of one kind).
    pub(crate) names: &'static [&'static str],
    /// What an error says was expected (from the syntax).
    pub(crate) expected: &'static str,
    /// The README's "default" cell.
    pub(crate) default: &'static str,
    /// The README's "accepted values" cell.
    pub(crate) accepted: &'static str,
    /// The configuration file's property, `–` if none.
    pub(crate) file: &'static str,
    /// A value every name must refuse with an error naming it.
    pub(crate) refused: &'static str,
}

macro_rules! settings {
    ($(
        $($(#[doc = $doc:literal])* $name:ident),+ : $syntax:ident {
            default: $default:literal,
            accepted: $accepted:literal,
            file: $file:literal,
            refused: $refused:literal $(,)?
        };
    )*) => {
        $($(
            $(#[doc = $doc])*
            pub const $name: &str = stringify!($name);
        )+)*

        /// The settings, typed by their syntax: what the resolver reads.
        #[allow(dead_code)]
        pub(crate) mod var {
            use super::*;
            $($(
                pub(crate) const $name: Setting<$syntax> = Setting::new(super::$name);
            )+)*
        }

        /// Every variable [`TelemetryConfig::from_env`](super::TelemetryConfig::from_env)
        /// reads, in declaration order.
        pub const ALL_ENV_VARS: &[&str] = &[$($($name),+),*];

        /// Every declaration, in order (the README's table order).
        #[cfg(test)]
        pub(crate) const DECLARATIONS: &[Declaration] = &[$(
            Declaration {
                names: &[$($name),+],
                expected: <$syntax as Syntax>::EXPECTED,
                default: $default,
                accepted: $accepted,
                file: $file,
                refused: $refused,
            }
        ),*];
    };
}

settings! {
    /// The configuration file (YAML): when set, the other `OTEL_*` variables are read only
    /// through its substitutions.
    OTEL_CONFIG_FILE,
    /// The configuration file's deprecated variable (accepted with a warning).
    OTEL_EXPERIMENTAL_CONFIG_FILE: ConfigFile {
        default: "–",
        accepted: "the path of a YAML configuration file (schema 1.0); when set, the other variables are read only through its `${VAR}` substitutions. `OTEL_EXPERIMENTAL_CONFIG_FILE` is the deprecated name (a warning)",
        file: "–",
        refused: "/nonexistent/otel-config.yaml",
    };
    /// `true` disables every signal: init succeeds, nothing is exported, no port is bound.
    OTEL_SDK_DISABLED: Bool {
        default: "`false`",
        accepted: "`true`, `false`: `true` exports nothing and binds no port; console logs stay on",
        file: "disabled",
        refused: "maybe",
    };
    /// The `service.name` resource attribute.
    OTEL_SERVICE_NAME: ServiceName {
        default: "binary name",
        accepted: "1–255 characters, no control characters",
        file: "resource.attributes[service.name]",
        refused: "bad\nname",
    };
    /// Extra resource attributes, `key=value,key2=value2` (values percent-decoded).
    OTEL_RESOURCE_ATTRIBUTES: ResourceAttributes {
        default: "–",
        accepted: "`key=value,...`, values percent-decoded",
        file: "resource.attributes, resource.attributes_list",
        refused: "novalue",
    };
    /// Entities the process belongs to (the specification's entity propagation, development
    /// status): their identifying and descriptive attributes join the resource.
    OTEL_ENTITIES: Entities {
        default: "–",
        accepted: "`type{key=value,...}[key=value,...]@schema_url` separated by `;` (e.g. `k8s.pod{k8s.pod.uid=abc}[k8s.pod.name=web-1]`): every attribute joins the resource, under `OTEL_RESOURCE_ATTRIBUTES` and `OTEL_SERVICE_NAME`; malformed input is an error, not skipped",
        file: "–",
        refused: "service{}",
    };
    /// Trace exporters: `otlp`, `console`, `none` (comma list).
    OTEL_TRACES_EXPORTER: SpanOrLogExporters {
        default: "`otlp`",
        accepted: "comma list of `otlp`, `console`; or `none`",
        file: "tracer_provider.processors[].*.exporter",
        refused: "zipkin",
    };
    /// Metric exporters: `prometheus`, `otlp`, `console`, `none` (comma list).
    OTEL_METRICS_EXPORTER: MetricExporters {
        default: "`prometheus`",
        accepted: "comma list of `prometheus`, `otlp`, `console`; or `none`",
        file: "meter_provider.readers[]",
        refused: "statsd",
    };
    /// Log record exporters: `otlp`, `console`, `none` (comma list).
    OTEL_LOGS_EXPORTER: SpanOrLogExporters {
        default: "`none`",
        accepted: "comma list of `otlp`, `console`; or `none` (console `tracing` logs are always on)",
        file: "logger_provider.processors[].batch.exporter",
        refused: "prometheus",
    };
    /// OTLP endpoint for all signals (HTTP: `/v1/<signal>` is appended).
    OTEL_EXPORTER_OTLP_ENDPOINT: Endpoint {
        default: "`http://localhost:4317` (gRPC), `http://localhost:4318` (HTTP)",
        accepted: "`http://` or `https://` URL; for HTTP `/v1/<signal>` is appended",
        file: "–",
        refused: "not a url",
    };
    /// `OTEL_EXPORTER_OTLP_ENDPOINT` for traces only (over `OTEL_EXPORTER_OTLP_ENDPOINT`).
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
    /// `OTEL_EXPORTER_OTLP_ENDPOINT` for metrics only (over `OTEL_EXPORTER_OTLP_ENDPOINT`).
    OTEL_EXPORTER_OTLP_METRICS_ENDPOINT,
    /// `OTEL_EXPORTER_OTLP_ENDPOINT` for logs only (over `OTEL_EXPORTER_OTLP_ENDPOINT`).
    OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: Endpoint {
        default: "the generic one",
        accepted: "full URL, used as is",
        file: "…exporter.otlp_grpc|otlp_http.endpoint",
        refused: "ftp://collector",
    };
    /// OTLP protocol for all signals: `grpc` or `http/protobuf`.
    OTEL_EXPORTER_OTLP_PROTOCOL,
    /// `OTEL_EXPORTER_OTLP_PROTOCOL` for traces only (over `OTEL_EXPORTER_OTLP_PROTOCOL`).
    OTEL_EXPORTER_OTLP_TRACES_PROTOCOL,
    /// `OTEL_EXPORTER_OTLP_PROTOCOL` for metrics only (over `OTEL_EXPORTER_OTLP_PROTOCOL`).
    OTEL_EXPORTER_OTLP_METRICS_PROTOCOL,
    /// `OTEL_EXPORTER_OTLP_PROTOCOL` for logs only (over `OTEL_EXPORTER_OTLP_PROTOCOL`).
    OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: Protocol {
        default: "`grpc`",
        accepted: "`grpc`, `http/protobuf` (feature `otlp-http`)",
        file: "…exporter.otlp_grpc|otlp_http",
        refused: "http/json",
    };
    /// OTLP headers for all signals, `key=value,...` (values are secrets: never printed).
    OTEL_EXPORTER_OTLP_HEADERS,
    /// `OTEL_EXPORTER_OTLP_HEADERS` for traces only (over `OTEL_EXPORTER_OTLP_HEADERS`).
    OTEL_EXPORTER_OTLP_TRACES_HEADERS,
    /// `OTEL_EXPORTER_OTLP_HEADERS` for metrics only (over `OTEL_EXPORTER_OTLP_HEADERS`).
    OTEL_EXPORTER_OTLP_METRICS_HEADERS,
    /// `OTEL_EXPORTER_OTLP_HEADERS` for logs only (over `OTEL_EXPORTER_OTLP_HEADERS`).
    OTEL_EXPORTER_OTLP_LOGS_HEADERS: Headers {
        default: "–",
        accepted: "`key=value,...` (percent-decoded); values are secrets, never printed",
        file: "…exporter.otlp_grpc|otlp_http.headers, headers_list",
        refused: "novalue",
    };
    /// OTLP export timeout in milliseconds for all signals.
    OTEL_EXPORTER_OTLP_TIMEOUT,
    /// `OTEL_EXPORTER_OTLP_TIMEOUT` for traces only (over `OTEL_EXPORTER_OTLP_TIMEOUT`).
    OTEL_EXPORTER_OTLP_TRACES_TIMEOUT,
    /// `OTEL_EXPORTER_OTLP_TIMEOUT` for metrics only (over `OTEL_EXPORTER_OTLP_TIMEOUT`).
    OTEL_EXPORTER_OTLP_METRICS_TIMEOUT,
    /// `OTEL_EXPORTER_OTLP_TIMEOUT` for logs only (over `OTEL_EXPORTER_OTLP_TIMEOUT`).
    OTEL_EXPORTER_OTLP_LOGS_TIMEOUT: Millis {
        default: "`10000`",
        accepted: "milliseconds, 1–3600000",
        file: "…exporter.otlp_grpc|otlp_http.timeout",
        refused: "-5",
    };
    /// OTLP compression for all signals: `gzip` or `none`.
    OTEL_EXPORTER_OTLP_COMPRESSION,
    /// `OTEL_EXPORTER_OTLP_COMPRESSION` for traces only (over `OTEL_EXPORTER_OTLP_COMPRESSION`).
    OTEL_EXPORTER_OTLP_TRACES_COMPRESSION,
    /// `OTEL_EXPORTER_OTLP_COMPRESSION` for metrics only (over `OTEL_EXPORTER_OTLP_COMPRESSION`).
    OTEL_EXPORTER_OTLP_METRICS_COMPRESSION,
    /// `OTEL_EXPORTER_OTLP_COMPRESSION` for logs only (over `OTEL_EXPORTER_OTLP_COMPRESSION`).
    OTEL_EXPORTER_OTLP_LOGS_COMPRESSION: Compression {
        default: "`none`",
        accepted: "`gzip`, `none`",
        file: "…exporter.otlp_grpc|otlp_http.compression",
        refused: "zstd",
    };
    /// PEM file of the CA that signs the collector's certificate (`https://` endpoints, feature
    /// `tls`); default: the webpki root certificates.
    OTEL_EXPORTER_OTLP_CERTIFICATE,
    /// `OTEL_EXPORTER_OTLP_CERTIFICATE` for traces only (over `OTEL_EXPORTER_OTLP_CERTIFICATE`).
    OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE,
    /// `OTEL_EXPORTER_OTLP_CERTIFICATE` for metrics only (over `OTEL_EXPORTER_OTLP_CERTIFICATE`).
    OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE,
    /// `OTEL_EXPORTER_OTLP_CERTIFICATE` for logs only (over `OTEL_EXPORTER_OTLP_CERTIFICATE`).
    OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE: PemCertificate {
        default: "webpki roots",
        accepted: "path of a PEM CA certificate trusted for `https://` gRPC endpoints (feature `tls`)",
        file: "…exporter.otlp_grpc|otlp_http.tls.ca_file",
        refused: "Cargo.toml",
    };
    /// PEM file of the client certificate presented to the collector (mTLS, gRPC with feature
    /// `tls`); needs `OTEL_EXPORTER_OTLP_CLIENT_KEY`.
    OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE,
    /// `OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE` for traces only (over `OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE`).
    OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE,
    /// `OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE` for metrics only (over `OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE`).
    OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE,
    /// `OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE` for logs only (over `OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE`).
    OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE: PemCertificate {
        default: "–",
        accepted: "path of the PEM client certificate for mutual TLS; needs `_CLIENT_KEY` and an `https://` gRPC endpoint (feature `tls`; over `http/protobuf` a typed error: the blocking HTTP client here has no TLS stack)",
        file: "…exporter.otlp_grpc|otlp_http.tls.cert_file",
        refused: "/nonexistent/client.pem",
    };
    /// PEM file of the client's private key (mTLS); needs `OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE`.
    OTEL_EXPORTER_OTLP_CLIENT_KEY,
    /// `OTEL_EXPORTER_OTLP_CLIENT_KEY` for traces only (over `OTEL_EXPORTER_OTLP_CLIENT_KEY`).
    OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY,
    /// `OTEL_EXPORTER_OTLP_CLIENT_KEY` for metrics only (over `OTEL_EXPORTER_OTLP_CLIENT_KEY`).
    OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY,
    /// `OTEL_EXPORTER_OTLP_CLIENT_KEY` for logs only (over `OTEL_EXPORTER_OTLP_CLIENT_KEY`).
    OTEL_EXPORTER_OTLP_LOGS_CLIENT_KEY: PemKey {
        default: "–",
        accepted: "path of its PEM private key (contents never read into errors or logs)",
        file: "…exporter.otlp_grpc|otlp_http.tls.key_file",
        refused: "Cargo.toml",
    };
    /// `true` asks for a plaintext gRPC connection. Endpoints here always carry their scheme
    /// (`http://` is plaintext, `https://` TLS), which the specification says wins: a value that
    /// contradicts the endpoint's scheme is refused rather than ignored.
    OTEL_EXPORTER_OTLP_INSECURE,
    /// `OTEL_EXPORTER_OTLP_INSECURE` for traces only (over `OTEL_EXPORTER_OTLP_INSECURE`).
    OTEL_EXPORTER_OTLP_TRACES_INSECURE,
    /// `OTEL_EXPORTER_OTLP_INSECURE` for metrics only (over `OTEL_EXPORTER_OTLP_INSECURE`).
    OTEL_EXPORTER_OTLP_METRICS_INSECURE,
    /// `OTEL_EXPORTER_OTLP_INSECURE` for logs only (over `OTEL_EXPORTER_OTLP_INSECURE`).
    OTEL_EXPORTER_OTLP_LOGS_INSECURE: Bool {
        default: "–",
        accepted: "`true`, `false`. Endpoints always carry their scheme here, and the scheme decides (`http://` plaintext, `https://` TLS), as the specification says; a value contradicting it is refused, so `false` with an `http://` endpoint is an error rather than a silent plaintext connection",
        file: "…exporter.otlp_grpc.tls.insecure",
        refused: "yes",
    };
    /// Sampler: `always_on`, `always_off`, `traceidratio`, `parentbased_always_on`,
    /// `parentbased_always_off`, `parentbased_traceidratio`.
    OTEL_TRACES_SAMPLER: Sampler {
        default: "`parentbased_always_on`",
        accepted: "`always_on`, `always_off`, `traceidratio`, `parentbased_always_on`, `parentbased_always_off`, `parentbased_traceidratio`",
        file: "tracer_provider.sampler",
        refused: "banana",
    };
    /// The ratio for the `*traceidratio` samplers, `0.0..=1.0`.
    OTEL_TRACES_SAMPLER_ARG: Ratio {
        default: "`1.0`",
        accepted: "ratio 0.0–1.0 for the `*traceidratio` samplers",
        file: "tracer_provider.sampler.…trace_id_ratio_based.ratio",
        refused: "2.5",
    };
    /// Propagators: `tracecontext`, `baggage`, `none` (comma list).
    OTEL_PROPAGATORS: Propagators {
        default: "`tracecontext,baggage`",
        accepted: "comma list of `tracecontext`, `baggage`, `b3` (single header), `b3multi` (`X-B3-*` headers), `xray` (`X-Amzn-Trace-Id`); or `none`. `jaeger` and `ottrace` are rejected by name, not ignored: no propagator crate at our OpenTelemetry version (the Jaeger format is deprecated)",
        file: "propagator.composite, propagator.composite_list",
        refused: "jaeger",
    };
    /// Batch span processor: delay between exports, milliseconds.
    OTEL_BSP_SCHEDULE_DELAY: Millis {
        default: "`5000`",
        accepted: "milliseconds, 1–3600000",
        file: "tracer_provider.processors[].batch.schedule_delay",
        refused: "1e3",
    };
    /// Batch span processor: queue capacity (spans).
    OTEL_BSP_MAX_QUEUE_SIZE: QueueSize {
        default: "`2048`",
        accepted: "1–1048576 (the SDK preallocates the queue: larger values would abort the host)",
        file: "tracer_provider.processors[].batch.max_queue_size",
        refused: "100000000",
    };
    /// Batch span processor: spans per export.
    OTEL_BSP_MAX_EXPORT_BATCH_SIZE: SpanBatchSize {
        default: "`512` (capped at the queue size)",
        accepted: "1–`OTEL_BSP_MAX_QUEUE_SIZE`",
        file: "tracer_provider.processors[].batch.max_export_batch_size",
        refused: "0",
    };
    /// Delay between two log record exports, in milliseconds.
    OTEL_BLRP_SCHEDULE_DELAY: Millis {
        default: "`1000`",
        accepted: "milliseconds, 1–3600000 (log records, with `OTEL_LOGS_EXPORTER=otlp`)",
        file: "logger_provider.processors[].batch.schedule_delay",
        refused: "-5",
    };
    /// Log record queue capacity.
    OTEL_BLRP_MAX_QUEUE_SIZE: QueueSize {
        default: "`2048`",
        accepted: "1–1048576, as for spans",
        file: "logger_provider.processors[].batch.max_queue_size",
        refused: "0",
    };
    /// Log records per export.
    OTEL_BLRP_MAX_EXPORT_BATCH_SIZE: LogBatchSize {
        default: "`512` (capped at the queue size)",
        accepted: "1–`OTEL_BLRP_MAX_QUEUE_SIZE`",
        file: "logger_provider.processors[].batch.max_export_batch_size",
        refused: "1e9",
    };
    /// Batch span processor: bound on one export, milliseconds (default 30000; caps the OTLP
    /// exporter's timeout).
    OTEL_BSP_EXPORT_TIMEOUT: Millis {
        default: "`30000`",
        accepted: "milliseconds, 1–3600000: bound on one span export (the OTLP traces timeout is capped at it; the SDK's thread-based processor keeps the setting but does not act on it)",
        file: "tracer_provider.processors[].batch.export_timeout",
        refused: "30s",
    };
    /// Batch log record processor: bound on one export, milliseconds (default 30000).
    OTEL_BLRP_EXPORT_TIMEOUT: Millis {
        default: "`30000`",
        accepted: "milliseconds, 1–3600000, as for spans (log records)",
        file: "logger_provider.processors[].batch.export_timeout",
        refused: "0",
    };
    /// Interval of the OTLP metric push, milliseconds.
    OTEL_METRIC_EXPORT_INTERVAL: Millis {
        default: "`60000`",
        accepted: "milliseconds, 1–3600000 (OTLP metric push)",
        file: "meter_provider.readers[].periodic.interval",
        refused: "fast",
    };
    /// Bound on one OTLP metric export, milliseconds (default 30000).
    OTEL_METRIC_EXPORT_TIMEOUT: Millis {
        default: "`30000`",
        accepted: "milliseconds, 1–3600000: bound on one OTLP metric export (caps the metrics OTLP timeout)",
        file: "meter_provider.readers[].periodic.timeout",
        refused: "-30000",
    };
    /// Temporality the OTLP metric exporter asks for: `cumulative` (default), `delta`,
    /// `lowmemory`.
    OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: Temporality {
        default: "`cumulative`",
        accepted: "`cumulative`, `delta`, `lowmemory` (case-insensitive): what the OTLP metric exporter asks for; the Prometheus scrape is always cumulative",
        file: "meter_provider.readers[].periodic.exporter.otlp_*.temporality_preference",
        refused: "deltas",
    };
    /// `explicit_bucket_histogram` (default) or `base2_exponential_bucket_histogram` (OTLP only).
    OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION: HistogramAggregation {
        default: "`explicit_bucket_histogram`",
        accepted: "or `base2_exponential_bucket_histogram` (160 buckets, max scale 20) — only with `OTEL_METRICS_EXPORTER` without `prometheus`: the SDK picks aggregations for all readers at once and Prometheus text has no exponential histograms, so the combination is refused",
        file: "meter_provider.readers[].periodic.exporter.otlp_*.default_histogram_aggregation",
        refused: "exponential",
    };
    /// Attributes per span, event, link and log record (default 128).
    OTEL_ATTRIBUTE_COUNT_LIMIT: Limit {
        default: "`128`",
        accepted: "0–1048576: attributes per span, span event, span link and log record, unless the specific limit below is set",
        file: "attribute_limits.attribute_count_limit",
        refused: "many",
    };
    /// Characters per string attribute value, every signal (default: unlimited).
    OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: Limit {
        default: "unlimited",
        accepted: "0–1048576 characters per string value (strings in arrays too), spans and log records",
        file: "attribute_limits.attribute_value_length_limit",
        refused: "-1",
    };
    /// Attributes per span (over `OTEL_ATTRIBUTE_COUNT_LIMIT`; default 128).
    OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT,
    /// Characters per string span attribute value (over `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`).
    OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT: Limit {
        default: "the general ones",
        accepted: "0–1048576; counts enforced by the SDK (dropped ones counted on the span), lengths by truncation before export",
        file: "tracer_provider.limits.attribute_count_limit, attribute_value_length_limit",
        refused: "1.5",
    };
    /// Events per span (default 128).
    OTEL_SPAN_EVENT_COUNT_LIMIT,
    /// Links per span (default 128).
    OTEL_SPAN_LINK_COUNT_LIMIT: Limit {
        default: "`128`",
        accepted: "0–1048576",
        file: "tracer_provider.limits.event_count_limit, link_count_limit",
        refused: "1048577",
    };
    /// Attributes per span event (over `OTEL_ATTRIBUTE_COUNT_LIMIT`; default 128).
    OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT,
    /// Attributes per span link (over `OTEL_ATTRIBUTE_COUNT_LIMIT`; default 128).
    OTEL_LINK_ATTRIBUTE_COUNT_LIMIT: Limit {
        default: "`OTEL_ATTRIBUTE_COUNT_LIMIT`, else `128`",
        accepted: "0–1048576",
        file: "tracer_provider.limits.event_attribute_count_limit, link_attribute_count_limit",
        refused: "0x10",
    };
    /// Attributes per log record (over `OTEL_ATTRIBUTE_COUNT_LIMIT`; default 128).
    OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT,
    /// Characters per string log record attribute value (over `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`).
    OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT: Limit {
        default: "the general ones",
        accepted: "0–1048576, applied to OTLP log records before export (the SDK has no log limits; records within them pass untouched)",
        file: "logger_provider.limits.attribute_count_limit, attribute_value_length_limit",
        refused: "unlimited",
    };
    /// Level of the SDK's own diagnostics (`opentelemetry*` targets): `error`, `warn`, `info`,
    /// `debug`, `trace` or `none`. Default: warnings, unless `RUST_LOG` names those targets.
    OTEL_LOG_LEVEL: SdkLogLevel {
        default: "warnings",
        accepted: "`error`, `warn`, `info`, `debug`, `trace`, `none`: the SDK's own diagnostics (`opentelemetry*` targets) on the console; a `RUST_LOG` directive naming those targets wins",
        file: "log_level",
        refused: "verbose",
    };
    /// Which measurements become exemplars on the OpenMetrics scrape: `trace_based` (the default:
    /// inside a sampled span), `always_on`, `always_off`.
    OTEL_METRICS_EXEMPLAR_FILTER: ExemplarFilter {
        default: "`trace_based`",
        accepted: "`trace_based` (measurements inside a sampled span), `always_on`, `always_off`: exemplars on the OpenMetrics scrape; builder `with_exemplar_filter`",
        file: "meter_provider.exemplar_filter",
        refused: "sometimes",
    };
    /// Address the scrape endpoint binds to (default `127.0.0.1`).
    OTEL_EXPORTER_PROMETHEUS_HOST: Host {
        default: "`127.0.0.1`",
        accepted: "an IP address or `localhost`",
        file: "meter_provider.readers[].pull.exporter.prometheus/development.host",
        refused: "not-an-ip",
    };
    /// Port of the scrape endpoint (default `9464`; `0` picks a free port).
    OTEL_EXPORTER_PROMETHEUS_PORT: Port {
        default: "`9464`",
        accepted: "0–65535 (`0` picks a free port: `telemetry.scrape_addr()`)",
        file: "meter_provider.readers[].pull.exporter.prometheus/development.port",
        refused: "65536",
    };
    /// Console log filter (tracing-subscriber `EnvFilter` syntax), default `info`.
    RUST_LOG: Filter {
        default: "`info`",
        accepted: "tracing-subscriber `EnvFilter` directives; filters console logs only",
        file: "–",
        refused: "info,[{",
    };
    /// Console log format: `text` or `json`.
    RUST_LOG_FORMAT: LogFormat {
        default: "`text`",
        accepted: "`text`, `json`",
        file: "–",
        refused: "xml",
    };
    /// One structured event per finished marketplace operation, at this level: `off` (the
    /// default), `error`, `warn`, `info`, `debug` or `trace`.
    MARKETPLACE_OPERATION_EVENTS: EventLevel {
        default: "`off`",
        accepted: "`off`, `error`, `warn`, `info`, `debug`, `trace`: one log event per finished marketplace operation (`operation`, `outcome`, `duration_ms`, `error_code`, `results`, `cache_hit`) for log pipelines; builder `with_operation_events`",
        file: "–",
        refused: "loud",
    };
    /// Prometheus name translation (the schema's `translation_strategy`):
    /// `underscore_escaping_with_suffixes` (default) or `underscore_escaping_without_suffixes`.
    MARKETPLACE_PROMETHEUS_TRANSLATION_STRATEGY: Translation {
        default: "`underscore_escaping_with_suffixes`",
        accepted: "or `underscore_escaping_without_suffixes` (no unit or `_total` suffixes: classic names, which the shipped rules and dashboards do not query); the UTF-8 strategies `no_utf8_escaping_with_suffixes` and `no_translation` are refused — the `prometheus` crate's registry, like Prometheus before 3.0 (2.42 here), accepts only `[a-zA-Z_:][a-zA-Z0-9_:]*` names. The schema's `translation_strategy`; builder `with_prometheus_translation`",
        file: "meter_provider.readers[].pull.exporter.prometheus/development.translation_strategy",
        refused: "no_translation",
    };
    /// `true` puts `otel_scope_name`/`otel_scope_version` labels on every scraped series (the
    /// schema's `scope_info_enabled`); default `false` here (one scope: the labels only add
    /// cost), `true` when a configuration file leaves it out, as the schema says.
    MARKETPLACE_PROMETHEUS_SCOPE_INFO: Bool {
        default: "`false` (`true` in a configuration file that leaves `scope_info_enabled` out, as the schema says)",
        accepted: "`true` puts `otel_scope_name`/`otel_scope_version` on every series",
        file: "….prometheus/development.scope_info_enabled",
        refused: "yes",
    };
    /// `false` drops the `target_info` series (the schema's `target_info_enabled`); default `true`.
    MARKETPLACE_PROMETHEUS_TARGET_INFO: Bool {
        default: "`true`",
        accepted: "`false` drops the `target_info` series (the schema's `target_info_enabled/development`)",
        file: "….prometheus/development.target_info_enabled/development",
        refused: "0",
    };
    /// The scrape endpoint's web configuration (exporter-toolkit format: TLS, basic auth).
    MARKETPLACE_PROMETHEUS_WEB_CONFIG: WebConfigFile {
        default: "none (plain HTTP, no authentication)",
        accepted: "the path of a web configuration file in the Prometheus exporter-toolkit format: `tls_server_config` (`cert_file`, `key_file`, `client_auth_type`, `client_ca_file`, `min_version`) and `basic_auth_users` (bcrypt hashes); feature `scrape-auth`; builder `with_prometheus_web_config`",
        file: "–",
        refused: "/nonexistent/web-config.yml",
    };
    /// `false` leaves the Tokio runtime's metrics out (default `true`: registered when init runs
    /// inside a runtime).
    MARKETPLACE_RUNTIME_METRICS: Bool {
        default: "`true`",
        accepted: "`true`, `false`: the Tokio runtime's metrics (`tokio_workers`, `tokio_tasks_alive`, `tokio_global_queue_length`, `tokio_worker_busy_time_seconds_total`, `tokio_worker_parks_total`) when init runs inside a runtime; builder `with_runtime_metrics`",
        file: "–",
        refused: "yes",
    };
    /// Resource attributes put on every scraped series as labels (comma list of attribute keys,
    /// e.g. `service.version,deployment.environment`; the configuration schema's
    /// `with_resource_constant_labels`). Default: none (they are on `target_info` only).
    MARKETPLACE_PROMETHEUS_RESOURCE_LABELS: AttributeKeys {
        default: "none",
        accepted: "comma list of resource attribute keys (e.g. `service.version,deployment.environment`) put on every scraped series as labels — the configuration schema's `with_resource_constant_labels`; builder `with_prometheus_resource_labels`",
        file: "….prometheus/development.resource_constant_labels.included",
        refused: "service version",
    };
}

/// The README's variable table, rendered from `DECLARATIONS`.
#[cfg(test)]
pub(crate) fn readme_table() -> String {
    let mut out = String::from(
        "| variable | default | accepted values | configuration file |\n|---|---|---|---|\n",
    );
    for d in DECLARATIONS {
        let file = match d.file {
            "–" => "–".to_string(),
            f => format!("`{f}`"),
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            row_name(d.names),
            d.default,
            d.accepted,
            file
        ));
    }
    out
}

#[cfg(test)]
/// `OTEL_EXPORTER_OTLP[_{SIGNAL}]_X` for a generic variable and its three signal forms,
/// `OTEL_EXPORTER_OTLP_{TRACES,METRICS,LOGS}_X` for the three alone, else the names listed.
fn row_name(names: &[&str]) -> String {
    const PREFIX: &str = "OTEL_EXPORTER_OTLP_";
    let signal_forms =
        |suffix: &str| ["TRACES", "METRICS", "LOGS"].map(|s| format!("{PREFIX}{s}_{suffix}"));
    match names {
        [generic, rest @ ..] if rest.len() == 3 => {
            if let Some(suffix) = generic.strip_prefix(PREFIX) {
                if signal_forms(suffix).iter().eq(rest.iter()) {
                    return format!("`OTEL_EXPORTER_OTLP[_{{SIGNAL}}]_{suffix}`");
                }
            }
        }
        [traces, ..] if names.len() == 3 => {
            if let Some(suffix) = traces.strip_prefix("OTEL_EXPORTER_OTLP_TRACES_") {
                if signal_forms(suffix).iter().eq(names.iter()) {
                    return format!("`{PREFIX}{{TRACES,METRICS,LOGS}}_{suffix}`");
                }
            }
        }
        _ => {}
    }
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
