//! The leaves of configuration parsing: one function per value syntax, each returning `None`
//! (or an error text) on a bad value. What an error says was expected lives with the syntax
//! that uses the function ([`syntax`](super::syntax)).

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use super::values::{
    Compression, Exporters, Headers, LogFormat, Propagator, Protocol, Sampler, MAX_DURATION_MS,
};
use crate::error::{Error, Result};
use crate::signal::Signal;

/// Largest count or length limit accepted (a bigger one is a typo, not a limit).
pub(super) const MAX_LIMIT: u32 = 1 << 20;

/// A count or length limit, `0..=MAX_LIMIT`.
pub(super) fn parse_limit(v: &str) -> Option<u32> {
    match v.trim().parse::<u32>() {
        Ok(n) if n <= MAX_LIMIT => Some(n),
        _ => None,
    }
}

/// A path to a readable file holding a PEM private key (its contents are never printed).
pub(super) fn parse_key_path(v: &str) -> Option<std::path::PathBuf> {
    let path = std::path::PathBuf::from(v.trim());
    let text = std::fs::read_to_string(&path).ok()?;
    (text.contains("-----BEGIN") && text.contains("PRIVATE KEY-----")).then_some(path)
}

/// `cumulative`, `delta`, `lowmemory` (case-insensitive, as the specification allows).
pub(super) fn parse_temporality(v: &str) -> Option<super::values::Temporality> {
    use super::values::Temporality;
    match v.trim().to_ascii_lowercase().as_str() {
        "cumulative" => Some(Temporality::Cumulative),
        "delta" => Some(Temporality::Delta),
        "lowmemory" => Some(Temporality::LowMemory),
        _ => None,
    }
}

/// `explicit_bucket_histogram`, `base2_exponential_bucket_histogram`.
pub(super) fn parse_histogram_aggregation(v: &str) -> Option<super::values::HistogramAggregation> {
    use super::values::HistogramAggregation;
    match v.trim().to_ascii_lowercase().as_str() {
        "explicit_bucket_histogram" => Some(HistogramAggregation::ExplicitBucket),
        "base2_exponential_bucket_histogram" => Some(HistogramAggregation::Base2Exponential),
        _ => None,
    }
}

/// A Prometheus translation strategy, with or without the schema's `/development` mark.
pub(super) fn parse_translation(v: &str) -> Option<super::values::PrometheusTranslation> {
    use super::values::PrometheusTranslation;
    let v = v.trim();
    match v.strip_suffix("/development").unwrap_or(v) {
        "underscore_escaping_with_suffixes" => {
            Some(PrometheusTranslation::UnderscoreEscapingWithSuffixes)
        }
        "underscore_escaping_without_suffixes" => {
            Some(PrometheusTranslation::UnderscoreEscapingWithoutSuffixes)
        }
        _ => None,
    }
}

/// `OTEL_LOG_LEVEL`: a level name, or `none`/`off`.
pub(super) fn parse_sdk_log_level(v: &str) -> Option<tracing::level_filters::LevelFilter> {
    use tracing::level_filters::LevelFilter;
    match v.trim().to_ascii_lowercase().as_str() {
        "none" | "off" => Some(LevelFilter::OFF),
        "error" => Some(LevelFilter::ERROR),
        "warn" => Some(LevelFilter::WARN),
        "info" => Some(LevelFilter::INFO),
        "debug" => Some(LevelFilter::DEBUG),
        "trace" => Some(LevelFilter::TRACE),
        _ => None,
    }
}

/// A path to an existing file that contains a PEM certificate block.
pub(super) fn parse_pem_path(v: &str) -> Option<std::path::PathBuf> {
    let path = std::path::PathBuf::from(v.trim());
    let text = std::fs::read_to_string(&path).ok()?;
    text.contains("-----BEGIN CERTIFICATE-----").then_some(path)
}

pub(super) fn valid_name(v: &str) -> bool {
    let v = v.trim();
    !v.is_empty() && v.len() <= 255 && !v.chars().any(char::is_control)
}

pub(super) fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

pub(super) fn parse_protocol(v: &str) -> Option<Protocol> {
    match v.trim() {
        "grpc" => Some(Protocol::Grpc),
        "http/protobuf" => Some(Protocol::HttpProtobuf),
        _ => None,
    }
}

pub(super) fn parse_compression(v: &str) -> Option<Compression> {
    match v.trim() {
        "gzip" => Some(Compression::Gzip),
        "none" => Some(Compression::None),
        _ => None,
    }
}

pub(super) fn parse_log_format(v: &str) -> Option<LogFormat> {
    match v.trim().to_ascii_lowercase().as_str() {
        "text" => Some(LogFormat::Text),
        "json" => Some(LogFormat::Json),
        _ => None,
    }
}

/// A comma list of resource attribute keys (letters, digits, `.`, `_`, `-`; none empty).
pub(super) fn parse_attribute_keys(v: &str) -> Option<Vec<String>> {
    let mut keys = Vec::new();
    for key in v.split(',').map(str::trim) {
        if key.is_empty()
            || !key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        {
            return None;
        }
        if !keys.iter().any(|k| k == key) {
            keys.push(key.to_string());
        }
    }
    Some(keys)
}

/// `off` → `Some(None)`; a level name → `Some(Some(level))`.
pub(super) fn parse_event_level(v: &str) -> Option<Option<tracing::Level>> {
    match v.trim().to_ascii_lowercase().as_str() {
        "off" | "none" => Some(None),
        "error" => Some(Some(tracing::Level::ERROR)),
        "warn" => Some(Some(tracing::Level::WARN)),
        "info" => Some(Some(tracing::Level::INFO)),
        "debug" => Some(Some(tracing::Level::DEBUG)),
        "trace" => Some(Some(tracing::Level::TRACE)),
        _ => None,
    }
}

/// `trace_based`, `always_on`, `always_off` (case-insensitive).
pub(super) fn parse_exemplar_filter(v: &str) -> Option<crate::ExemplarFilter> {
    match v.trim().to_ascii_lowercase().as_str() {
        "trace_based" => Some(crate::ExemplarFilter::TraceBased),
        "always_on" => Some(crate::ExemplarFilter::AlwaysOn),
        "always_off" => Some(crate::ExemplarFilter::AlwaysOff),
        _ => None,
    }
}

pub(super) fn parse_millis(v: &str) -> Option<Duration> {
    match v.trim().parse::<u64>() {
        Ok(ms) if (1..=MAX_DURATION_MS).contains(&ms) => Some(Duration::from_millis(ms)),
        _ => None,
    }
}

pub(super) fn parse_size(v: &str, max: usize) -> Option<usize> {
    match v.trim().parse::<usize>() {
        Ok(n) if (1..=max).contains(&n) => Some(n),
        _ => None,
    }
}

pub(super) fn parse_ratio(v: &str) -> Option<f64> {
    match v.trim().parse::<f64>() {
        Ok(r) if (0.0..=1.0).contains(&r) => Some(r),
        _ => None,
    }
}

pub(super) fn parse_host(v: &str) -> Option<IpAddr> {
    let v = v.trim();
    if v.eq_ignore_ascii_case("localhost") {
        return Some(IpAddr::V4(Ipv4Addr::LOCALHOST));
    }
    v.trim_start_matches('[').trim_end_matches(']').parse().ok()
}

pub(super) fn parse_sampler(v: &str, arg: Option<f64>) -> Option<Sampler> {
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

pub(super) fn validate_sampler(s: Sampler) -> Result<Sampler> {
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

pub(super) fn parse_propagators(v: &str) -> Option<Vec<Propagator>> {
    let mut out = Vec::new();
    let mut saw_none = false;
    for item in v.split(',').map(str::trim) {
        if item == "none" {
            saw_none = true;
            continue;
        }
        // `jaeger` and `ottrace`: no propagator crate at our OpenTelemetry version.
        let p = Propagator::ALL.into_iter().find(|p| p.as_str() == item)?;
        if !out.contains(&p) {
            out.push(p);
        }
    }
    if saw_none && !out.is_empty() {
        return None;
    }
    Some(out)
}

pub(super) fn parse_exporters(v: &str, metrics: bool) -> Option<Exporters> {
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

pub(super) fn join_signal_path(base: &str, signal: Signal) -> String {
    format!(
        "{}{}",
        base.trim().trim_end_matches('/'),
        signal.http_path()
    )
}

pub(super) fn validate_filter(v: &str) -> Option<String> {
    tracing_subscriber::EnvFilter::builder()
        .parse(v.trim())
        .ok()
        .map(|_| v.trim().to_string())
}

pub(super) fn checked_filter(value: Option<String>, field: &'static str) -> Result<String> {
    match value {
        None => Ok("info".to_string()),
        Some(f) => validate_filter(&f).ok_or(Error::InvalidConfig {
            field,
            value: f,
            expected: <super::syntax::Filter as super::syntax::Syntax>::EXPECTED,
        }),
    }
}

pub(super) fn validate_attributes(attrs: &[(String, String)], field: &'static str) -> Result<()> {
    if let Some((k, v)) = attrs.iter().find(|(k, _)| k.trim().is_empty()) {
        return Err(Error::InvalidConfig {
            field,
            value: format!("{k}={v}"),
            expected: "a non-empty key",
        });
    }
    Ok(())
}

pub(super) fn percent_decode(v: &str) -> Option<String> {
    percent_encoding::percent_decode_str(v)
        .decode_utf8()
        .ok()
        .map(|s| s.trim().to_string())
}

/// `k=v,k2=v2` with percent-decoded values (W3C baggage-like, as the OTel spec prescribes).
pub(super) fn parse_key_values(raw: &str) -> std::result::Result<Vec<(String, String)>, ()> {
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

/// `raw` with every header value replaced by `<redacted>`.
pub(super) fn redact_headers(raw: &str) -> String {
    raw.split(',')
        .map(|entry| match entry.split_once('=') {
            Some((k, _)) => format!("{}=<redacted>", k.trim()),
            None => "<redacted>".to_string(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Parses headers; on failure returns the input with every value replaced by `<redacted>`.
pub(super) fn parse_headers(raw: &str) -> std::result::Result<Headers, String> {
    let redacted = || redact_headers(raw);
    let pairs = parse_key_values(raw).map_err(|_| redacted())?;
    let mut headers = Headers::new();
    for (k, v) in pairs {
        // `-bin` keys are binary gRPC metadata: tonic cannot send them as text, and dropping
        // one silently would lose credentials, so they are refused here.
        if http::HeaderName::from_bytes(k.as_bytes()).is_err()
            || http::HeaderValue::from_str(&v).is_err()
            || k.to_ascii_lowercase().ends_with("-bin")
        {
            return Err(redacted());
        }
        headers.insert(k.to_ascii_lowercase(), v);
    }
    Ok(headers)
}

pub(super) fn default_service_name() -> String {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .filter(|s| !s.is_empty())
        .map(|s| format!("unknown_service:{s}"))
        .unwrap_or_else(|| "unknown_service".to_string())
}
