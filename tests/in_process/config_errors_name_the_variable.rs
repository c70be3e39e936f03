//! No secret ever shows in the config's `Debug`, an error, or what init and shutdown print.
//! (Every declared variable refusing its declared bad value, naming itself, is tested beside
//! the declarations: `src/config/tests.rs`.)

use crate::common;

use common::{env_map, Capture};
use marketplace_telemetry::{Error, Telemetry, TelemetryConfig};

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
