//! Every supported variable, given garbage, is an `Err` that names it; no secret ever shows in
//! the config's `Debug`, an error, or what init and shutdown print.

use crate::common;

use common::{env_map, Capture};
use marketplace_telemetry::config::ALL_ENV_VARS;
use marketplace_telemetry::{Error, Telemetry, TelemetryConfig};

/// (variable, a value it must reject)
const GARBAGE: &[(&str, &str)] = &[
    ("OTEL_CONFIG_FILE", "/nonexistent/otel-config.yaml"),
    (
        "OTEL_EXPERIMENTAL_CONFIG_FILE",
        "/nonexistent/otel-config.yaml",
    ),
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
    ("OTEL_PROPAGATORS", "jaeger"),
    ("OTEL_BSP_SCHEDULE_DELAY", "1e3"),
    ("OTEL_BSP_MAX_QUEUE_SIZE", "100000000"),
    ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "0"),
    ("OTEL_BLRP_SCHEDULE_DELAY", "-5"),
    ("OTEL_BLRP_MAX_QUEUE_SIZE", "0"),
    ("OTEL_BLRP_MAX_EXPORT_BATCH_SIZE", "1e9"),
    ("OTEL_METRIC_EXPORT_INTERVAL", "fast"),
    ("OTEL_METRICS_EXEMPLAR_FILTER", "sometimes"),
    ("OTEL_EXPORTER_PROMETHEUS_HOST", "not-an-ip"),
    ("OTEL_EXPORTER_PROMETHEUS_PORT", "65536"),
    ("RUST_LOG", "info,[{"),
    ("RUST_LOG_FORMAT", "xml"),
    ("OTEL_EXPORTER_OTLP_INSECURE", "yes"),
    ("OTEL_EXPORTER_OTLP_TRACES_INSECURE", "1"),
    ("OTEL_EXPORTER_OTLP_METRICS_INSECURE", "on"),
    ("OTEL_EXPORTER_OTLP_LOGS_INSECURE", "insecure"),
    (
        "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
        "/nonexistent/client.pem",
    ),
    ("OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE", "Cargo.toml"),
    ("OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE", "/"),
    ("OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE", "missing.pem"),
    ("OTEL_EXPORTER_OTLP_CLIENT_KEY", "Cargo.toml"),
    (
        "OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY",
        "/nonexistent/client.key",
    ),
    ("OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY", "/"),
    ("OTEL_EXPORTER_OTLP_LOGS_CLIENT_KEY", "README.md"),
    ("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "-1"),
    ("OTEL_ATTRIBUTE_COUNT_LIMIT", "many"),
    ("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "1.5"),
    ("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "99999999999"),
    ("OTEL_SPAN_EVENT_COUNT_LIMIT", "1048577"),
    ("OTEL_SPAN_LINK_COUNT_LIMIT", "ten"),
    ("OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", "-128"),
    ("OTEL_LINK_ATTRIBUTE_COUNT_LIMIT", "0x10"),
    ("OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT", "1k"),
    ("OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT", "unlimited"),
    ("OTEL_BSP_EXPORT_TIMEOUT", "30s"),
    ("OTEL_BLRP_EXPORT_TIMEOUT", "0"),
    ("OTEL_METRIC_EXPORT_TIMEOUT", "-30000"),
    (
        "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
        "deltas",
    ),
    (
        "OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION",
        "exponential",
    ),
    ("OTEL_LOG_LEVEL", "verbose"),
    (
        "MARKETPLACE_PROMETHEUS_TRANSLATION_STRATEGY",
        "no_translation",
    ),
    ("MARKETPLACE_PROMETHEUS_SCOPE_INFO", "yes"),
    ("MARKETPLACE_PROMETHEUS_RESOURCE_LABELS", "service version"),
    ("MARKETPLACE_OPERATION_EVENTS", "loud"),
    ("MARKETPLACE_PROMETHEUS_TARGET_INFO", "0"),
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

/// Each endpoint mistake is refused by us, naming the variable that holds it.
#[test]
fn endpoint_mistakes_are_named_with_the_variable_that_holds_them() {
    // (environment, the variable the error must name, a phrase of its message)
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);
    let cases: &[Case] = &[
        (
            &[("OTEL_EXPORTER_OTLP_ENDPOINT", " http://collector:4317")],
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "whitespace",
        ),
        (
            &[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://coll\u{7}ector:4317")],
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "control characters",
        ),
        (
            &[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://:4317")],
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "with a host",
        ),
        (
            &[(
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                "http://collector:4317/v1/traces",
            )],
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "http/protobuf",
        ),
        (
            &[(
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                "http://collector:4317/v1/traces",
            )],
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            "without a path",
        ),
        (
            &[("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "grpc://collector:4317")],
            "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
            "http:// or https://",
        ),
    ];
    for (env, var, expected) in cases {
        let err = TelemetryConfig::builder()
            .build_from(common::env_map(env))
            .unwrap_err();
        match &err {
            Error::InvalidEnv { var: named, .. } => assert_eq!(named, var, "{err}"),
            other => panic!("{env:?}: expected InvalidEnv naming {var}, got {other:?}"),
        }
        assert!(err.to_string().contains(expected), "{err}");
    }
    // HTTP takes a path: the same URL is fine there.
    #[cfg(feature = "otlp-http")]
    TelemetryConfig::builder()
        .build_from(common::env_map(&[
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
            (
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                "http://collector:4318/v1/traces",
            ),
        ]))
        .unwrap();
}

/// Credentials in an endpoint URL become an `authorization` header and are never printed:
/// not in the report, the config's `Debug`, an error, or the endpoint the SDK is given.
#[test]
fn credentials_in_an_endpoint_url_become_a_header_and_are_never_printed() {
    const PASSWORD: &str = "S3NT1NEL-url-password";
    let config = TelemetryConfig::builder()
        .build_from(common::env_map(&[(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            &format!("http://svc:{PASSWORD}@collector:4317?tenant=S3NT1NEL-query"),
        )]))
        .unwrap();
    assert_eq!(
        config.traces_otlp.endpoint,
        "http://collector:4317?tenant=S3NT1NEL-query"
    );
    let auth = config
        .traces_otlp
        .headers
        .iter()
        .find(|(k, _)| *k == "authorization")
        .map(|(_, v)| v.to_string());
    // base64("svc:S3NT1NEL-url-password")
    assert_eq!(
        auth.as_deref(),
        Some("Basic c3ZjOlMzTlQxTkVMLXVybC1wYXNzd29yZA==")
    );
    let printed = format!("{config:?}\n{}", config.report());
    assert!(!printed.contains("S3NT1NEL"), "{printed}");
    assert!(printed.contains("http://collector:4317?***"), "{printed}");
    // An invalid URL with credentials: the error hides them too.
    let err = TelemetryConfig::builder()
        .build_from(common::env_map(&[(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            &format!("http://svc:{PASSWORD}@collector:4317/v1/traces"),
        )]))
        .unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(PASSWORD), "{shown}");
    assert!(shown.contains("OTEL_EXPORTER_OTLP_ENDPOINT"), "{shown}");
}
