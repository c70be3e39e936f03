//! Every supported variable, given garbage, is an `Err` that names it; no secret ever shows in
//! the config's `Debug`, an error, or what init and shutdown print.

use crate::common;

use common::{env_map, Capture};
use marketplace_telemetry::config::ALL_ENV_VARS;
use marketplace_telemetry::{Error, Telemetry, TelemetryConfig};

/// (variable, a value it must reject)
const GARBAGE: &[(&str, &str)] = &[
    ("OTEL_SDK_DISABLED", "maybe"),
    ("OTEL_SERVICE_NAME", "bad\nname"),
    ("OTEL_RESOURCE_ATTRIBUTES", "novalue"),
    ("OTEL_TRACES_EXPORTER", "zipkin"),
    ("OTEL_METRICS_EXPORTER", "statsd"),
    ("OTEL_LOGS_EXPORTER", "prometheus"),
    ("OTEL_EXPORTER_OTLP_ENDPOINT", "not a url"),
    ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
    ("OTEL_EXPORTER_OTLP_HEADERS", "novalue"),
    ("OTEL_EXPORTER_OTLP_TIMEOUT", "-5"),
    ("OTEL_EXPORTER_OTLP_COMPRESSION", "zstd"),
    ("OTEL_EXPORTER_OTLP_CERTIFICATE", "/nonexistent/ca.pem"),
    ("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", "Cargo.toml"),
    ("OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE", "missing/ca.pem"),
    ("OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE", "/"),
    ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "ftp://collector"),
    ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "udp"),
    ("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "=x"),
    ("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "soon"),
    ("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "brotli"),
    ("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "localhost"),
    ("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "GRPC!"),
    ("OTEL_EXPORTER_OTLP_METRICS_HEADERS", "a b=c"),
    ("OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", "0"),
    ("OTEL_EXPORTER_OTLP_METRICS_COMPRESSION", "lz4"),
    ("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "http://"),
    ("OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "thrift"),
    ("OTEL_EXPORTER_OTLP_LOGS_HEADERS", "k"),
    ("OTEL_EXPORTER_OTLP_LOGS_TIMEOUT", "99999999999999999999"),
    ("OTEL_EXPORTER_OTLP_LOGS_COMPRESSION", "gzip9"),
    ("OTEL_TRACES_SAMPLER", "banana"),
    ("OTEL_TRACES_SAMPLER_ARG", "2.5"),
    ("OTEL_PROPAGATORS", "b3"),
    ("OTEL_BSP_SCHEDULE_DELAY", "1e3"),
    ("OTEL_BSP_MAX_QUEUE_SIZE", "100000000"),
    ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "0"),
    ("OTEL_BLRP_SCHEDULE_DELAY", "-5"),
    ("OTEL_BLRP_MAX_QUEUE_SIZE", "0"),
    ("OTEL_BLRP_MAX_EXPORT_BATCH_SIZE", "1e9"),
    ("OTEL_METRIC_EXPORT_INTERVAL", "fast"),
    ("OTEL_EXPORTER_PROMETHEUS_HOST", "not-an-ip"),
    ("OTEL_EXPORTER_PROMETHEUS_PORT", "65536"),
    ("RUST_LOG", "info,[{"),
    ("RUST_LOG_FORMAT", "xml"),
];

#[test]
fn every_supported_variable_has_a_garbage_case() {
    for var in ALL_ENV_VARS {
        assert!(
            GARBAGE.iter().any(|(v, _)| v == var),
            "no garbage case for {var}"
        );
    }
}

#[test]
fn garbage_in_any_supported_variable_is_an_error_naming_it() {
    for (var, value) in GARBAGE {
        let err = TelemetryConfig::builder()
            .build_from(env_map(&[(var, value)]))
            .expect_err(&format!("{var}={value:?} must be rejected"));
        match &err {
            Error::InvalidEnv { var: named, .. } => assert_eq!(named, var),
            other => panic!("{var}: expected InvalidEnv, got {other:?}"),
        }
        let shown = err.to_string();
        assert!(shown.starts_with(var), "{shown}");
        assert!(shown.contains("expected"), "{shown}");
    }
}

const SENTINEL: &str = "S3NT1NEL-do-not-print";

#[test]
fn malformed_header_errors_never_show_the_value() {
    for var in [
        "OTEL_EXPORTER_OTLP_HEADERS",
        "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
        "OTEL_EXPORTER_OTLP_METRICS_HEADERS",
        "OTEL_EXPORTER_OTLP_LOGS_HEADERS",
    ] {
        let raw = format!("authorization=Bearer {SENTINEL},broken");
        let err = TelemetryConfig::builder()
            .build_from(env_map(&[(var, &raw)]))
            .unwrap_err();
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains(SENTINEL), "{shown}");
        assert!(shown.contains("authorization=<redacted>"), "{shown}");
    }
}

#[test]
fn the_secret_never_appears_in_debug_errors_or_init_and_shutdown_output() {
    let capture = Capture::default();
    // A closed port: exports fail, so the failure paths print too.
    let endpoint = format!("http://127.0.0.1:{}", common::free_port());
    let header = format!("authorization=Bearer%20{SENTINEL}");
    let config = TelemetryConfig::builder()
        .with_prometheus_port(0)
        .with_log_writer(capture.writer())
        .with_shutdown_timeout(std::time::Duration::from_secs(2))
        .build_from(env_map(&[
            ("RUST_LOG", "trace"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
            ("OTEL_EXPORTER_OTLP_HEADERS", &header),
            ("OTEL_EXPORTER_OTLP_LOGS_HEADERS", &header),
            ("OTEL_METRICS_EXPORTER", "prometheus,otlp"),
            ("OTEL_LOGS_EXPORTER", "otlp"),
            ("OTEL_BSP_SCHEDULE_DELAY", "50"),
        ]))
        .unwrap();
    assert_eq!(
        config
            .traces_otlp
            .headers
            .iter()
            .next()
            .map(|(_, v)| v.to_string()),
        Some(format!("Bearer {SENTINEL}")),
        "the header is really configured"
    );
    let mut shown = format!("{config:?}\n{}\n", config.report());

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let _entered = runtime.enter();
    let telemetry = Telemetry::build(config).unwrap();
    shown.push_str(&format!("{telemetry:?}\n"));
    tracing::dispatcher::with_default(telemetry.dispatch(), || {
        let span = tracing::info_span!("exported");
        let _g = span.enter();
        tracing::info!("a log record to export");
    });
    if let Err(e) = telemetry.force_flush() {
        shown.push_str(&format!("{e} {e:?}\n"));
    }
    if let Err(e) = telemetry.shutdown() {
        shown.push_str(&format!("{e} {e:?}\n"));
    }
    shown.push_str(&capture.text());
    assert!(
        shown.contains("Telemetry.Started") || shown.contains("telemetry started"),
        "{shown}"
    );
    assert!(!shown.contains(SENTINEL), "secret leaked:\n{shown}");
}
