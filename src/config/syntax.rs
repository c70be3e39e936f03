//! Value syntaxes: how a setting's text is read, and the "expected" text an error shows when
//! it cannot be. Each [`Syntax`] is named by the settings that use it in
//! [`settings`](super::settings); the parsing leaves are in [`parse`](super::parse).

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::parse::*;
use super::values::{
    Compression as CompressionValue, Exporters, Headers as HeadersValue,
    HistogramAggregation as HistogramAggregationValue, LogFormat as LogFormatValue,
    PrometheusTranslation, Propagator, Protocol as ProtocolValue, Sampler as SamplerValue,
    Temporality as TemporalityValue, MAX_QUEUE_SIZE,
};

/// How a setting's text becomes its value.
pub(crate) trait Syntax {
    /// What the text becomes.
    type Value;
    /// What an error says was expected (accepted spellings, ranges).
    const EXPECTED: &'static str;
    /// The value, or the expected text to show (usually [`Self::EXPECTED`]; an endpoint says
    /// which part was wrong).
    fn parse(raw: &str) -> Result<Self::Value, &'static str>;
    /// How a refused value is shown in an error: as given, unless it may hold a secret.
    fn shown(raw: &str) -> String {
        raw.to_string()
    }
}

/// One syntax: a marker type, its value type, its expected text and its parser.
macro_rules! syntax {
    ($($(#[doc = $doc:literal])* $name:ident => $value:ty, $expected:expr, $parse:expr;)*) => {$(
        $(#[doc = $doc])*
        pub(crate) struct $name;
        impl Syntax for $name {
            type Value = $value;
            const EXPECTED: &'static str = $expected;
            fn parse(raw: &str) -> Result<$value, &'static str> {
                let parse: fn(&str) -> Option<$value> = $parse;
                parse(raw).ok_or(Self::EXPECTED)
            }
        }
    )*};
}

syntax! {
    /// `true` or `false` (case-insensitive).
    Bool => bool, "true or false", parse_bool;
    /// The path of a configuration file; read (and refused if unreadable) by the file reader.
    ConfigFile => String, "the path of an existing configuration file (YAML)",
        |v| Some(v.trim().to_string());
    /// The path of the scrape endpoint's web configuration (exporter-toolkit format); read
    /// (and refused if unreadable) when the configuration is resolved.
    WebConfigFile => std::path::PathBuf,
        "the path of a readable web configuration file (YAML: tls_server_config, basic_auth_users)",
        |v| Some(std::path::PathBuf::from(v.trim()));
    /// A service name.
    ServiceName => String, "a name of 1 to 255 characters without control characters",
        |v| valid_name(v).then(|| v.trim().to_string());
    /// `key=value,...`, values percent-decoded.
    ResourceAttributes => Vec<(String, String)>,
        "comma-separated key=value pairs with non-empty keys (values percent-encoded)",
        |v| parse_key_values(v).ok();
    /// Entities, `type{id=..}[desc=..]@schema_url;...` (the specification's entity
    /// propagation): their attributes, in order.
    Entities => Vec<(String, String)>,
        "entities type{key=value,...}[key=value,...]@schema_url separated by ';', each with a type and at least one identifying attribute; types and keys [a-zA-Z][a-zA-Z0-9._-]*, values percent-encoded",
        parse_entities;
    /// A comma list of `otlp`, `console`; or `none`.
    SpanOrLogExporters => Exporters, "a comma list of otlp, console, none",
        |v| parse_exporters(v, false);
    /// A comma list of `prometheus`, `otlp`, `console`; or `none`.
    MetricExporters => Exporters, "a comma list of prometheus, otlp, console, none",
        |v| parse_exporters(v, true);
    /// `grpc` or `http/protobuf`.
    Protocol => ProtocolValue, "grpc or http/protobuf", parse_protocol;
    /// A duration in whole milliseconds.
    Millis => Duration, "a whole number of milliseconds from 1 to 3600000", parse_millis;
    /// `gzip` or `none`.
    Compression => CompressionValue, "gzip or none", parse_compression;
    /// The path of a PEM certificate file.
    PemCertificate => PathBuf, "the path of a readable PEM certificate file", parse_pem_path;
    /// The path of a PEM private key file (its contents never shown).
    PemKey => PathBuf, "the path of a readable PEM private key file", parse_key_path;
    /// A sampler name; the `*traceidratio` ones take their ratio from `OTEL_TRACES_SAMPLER_ARG`.
    Sampler => SamplerValue,
        "one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio",
        |v| parse_sampler(v, None);
    /// A ratio `0.0..=1.0`.
    Ratio => f64, "a number from 0.0 to 1.0", parse_ratio;
    /// A comma list of propagator names; or `none`.
    Propagators => Vec<Propagator>,
        "a comma list of tracecontext, baggage, b3, b3multi, xray; or none (jaeger and ottrace are not supported: no propagator crate at our OpenTelemetry version)",
        parse_propagators;
    /// A queue capacity.
    QueueSize => usize, "a whole number from 1 to 1048576", |v| parse_size(v, MAX_QUEUE_SIZE);
    /// Spans per export, at most the span queue.
    SpanBatchSize => usize, "a whole number from 1 to OTEL_BSP_MAX_QUEUE_SIZE",
        |v| parse_size(v, MAX_QUEUE_SIZE);
    /// Log records per export, at most the log record queue.
    LogBatchSize => usize, "a whole number from 1 to OTEL_BLRP_MAX_QUEUE_SIZE",
        |v| parse_size(v, MAX_QUEUE_SIZE);
    /// `cumulative`, `delta`, `lowmemory`.
    Temporality => TemporalityValue, "cumulative, delta or lowmemory", parse_temporality;
    /// `explicit_bucket_histogram` or `base2_exponential_bucket_histogram`.
    HistogramAggregation => HistogramAggregationValue,
        "explicit_bucket_histogram or base2_exponential_bucket_histogram",
        parse_histogram_aggregation;
    /// `trace_based`, `always_on`, `always_off`.
    ExemplarFilter => crate::ExemplarFilter, "trace_based, always_on or always_off",
        parse_exemplar_filter;
    /// A count or length limit.
    Limit => u32, "a whole number from 0 to 1048576", parse_limit;
    /// A level for the SDK's own diagnostics, or `none`.
    SdkLogLevel => tracing::level_filters::LevelFilter, "error, warn, info, debug, trace or none",
        parse_sdk_log_level;
    /// A Prometheus translation strategy we can serve.
    Translation => PrometheusTranslation,
        "underscore_escaping_with_suffixes or underscore_escaping_without_suffixes (no_utf8_escaping_with_suffixes and no_translation keep UTF-8 names, which the prometheus crate's registry and Prometheus before 3.0 refuse)",
        parse_translation;
    /// A comma list of resource attribute keys.
    AttributeKeys => Vec<String>,
        "a comma list of resource attribute keys such as service.version,deployment.environment",
        parse_attribute_keys;
    /// `off` or a level name.
    EventLevel => Option<tracing::Level>, "off, error, warn, info, debug or trace",
        parse_event_level;
    /// tracing-subscriber `EnvFilter` directives.
    Filter => String, "tracing-subscriber EnvFilter directives, e.g. info,my_crate=debug",
        validate_filter;
    /// `text` or `json`.
    LogFormat => LogFormatValue, "text or json", parse_log_format;
    /// An IP address or `localhost`.
    Host => IpAddr, "an IP address or localhost", parse_host;
    /// A TCP port.
    Port => u16, "a port number from 0 to 65535", |v| v.trim().parse::<u16>().ok();
}

/// An OTLP endpoint URL: shown redacted (credentials or a query string are secrets); the error
/// says which part is wrong.
pub(crate) struct Endpoint;

impl Syntax for Endpoint {
    type Value = String;
    const EXPECTED: &'static str = super::endpoint::ENDPOINT_EXPECTED;
    fn parse(raw: &str) -> Result<String, &'static str> {
        super::endpoint::validate(raw).map(|()| raw.to_string())
    }
    fn shown(raw: &str) -> String {
        super::endpoint::redact(raw).into_owned()
    }
}

/// OTLP headers, `key=value,...`: values are secrets, shown as `<redacted>`.
pub(crate) struct Headers;

impl Syntax for Headers {
    type Value = HeadersValue;
    const EXPECTED: &'static str = "comma-separated key=value pairs with header-safe keys, none ending in -bin (values percent-encoded)";
    fn parse(raw: &str) -> Result<HeadersValue, &'static str> {
        parse_headers(raw).map_err(|_| Self::EXPECTED)
    }
    fn shown(raw: &str) -> String {
        redact_headers(raw)
    }
}

/// `OTEL_ENTITIES` by the specification's grammar: every entity's identifying and descriptive
/// attributes, in order (a later value for a key replaces an earlier one when merged). The
/// schema URL must be a URI; the SDK's resource has one schema URL, so an entity's is not kept.
fn parse_entities(raw: &str) -> Option<Vec<(String, String)>> {
    fn name(s: &str) -> bool {
        let mut chars = s.chars();
        chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    }
    fn pairs(list: &str, out: &mut Vec<(String, String)>) -> Option<usize> {
        let mut n = 0;
        for pair in list.split(',') {
            let (k, v) = pair.split_once('=')?;
            if !name(k) || v.contains(['{', '}', '[', ']', '@', ';', '=']) {
                return None;
            }
            let v = percent_encoding::percent_decode_str(v).decode_utf8().ok()?;
            out.push((k.to_string(), v.into_owned()));
            n += 1;
        }
        Some(n)
    }
    let mut out = Vec::new();
    for entity in raw.trim().split(';').filter(|e| !e.is_empty()) {
        let (kind, rest) = entity.split_once('{')?;
        let (ids, rest) = rest.split_once('}')?;
        if !name(kind) || pairs(ids, &mut out)? == 0 {
            return None;
        }
        let rest = match rest.strip_prefix('[') {
            Some(r) => {
                let (descriptive, r) = r.split_once(']')?;
                pairs(descriptive, &mut out)?;
                r
            }
            None => rest,
        };
        match rest.strip_prefix('@') {
            Some(url) => {
                let uri: http::Uri = url.parse().ok()?;
                uri.scheme()?;
            }
            None if rest.is_empty() => {}
            None => return None,
        }
    }
    Some(out)
}
