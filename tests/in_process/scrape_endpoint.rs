//! The scrape endpoint: a taken port is a typed error naming the address; `OTEL_SDK_DISABLED`
//! binds nothing; `/metrics` serves the exposition with process metrics; other paths and
//! methods are refused.

use crate::common;

use std::net::TcpListener;

use common::{env_map, http_get, http_request, Capture};
use marketplace_telemetry::{Error, Telemetry, TelemetryConfig};

fn build(vars: &[(&str, &str)]) -> marketplace_telemetry::Result<Telemetry> {
    let config = TelemetryConfig::builder()
        .with_log_writer(Capture::default().writer())
        .build_from(env_map(vars))?;
    Telemetry::build(config)
}

#[test]
fn a_taken_scrape_port_is_an_error_naming_the_address() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let err = build(&[
        ("OTEL_TRACES_EXPORTER", "none"),
        ("OTEL_EXPORTER_PROMETHEUS_PORT", &port),
    ])
    .unwrap_err();
    match &err {
        Error::ScrapeBind { addr, .. } => assert_eq!(addr.port().to_string(), port),
        other => panic!("expected ScrapeBind, got {other:?}"),
    }
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );
}

#[test]
fn sdk_disabled_binds_no_port_and_exports_nothing() {
    let port = common::free_port();
    let telemetry = build(&[
        ("OTEL_SDK_DISABLED", "true"),
        ("OTEL_EXPORTER_PROMETHEUS_PORT", &port.to_string()),
        ("OTEL_METRICS_EXPORTER", "prometheus,otlp"),
        ("OTEL_LOGS_EXPORTER", "otlp"),
    ])
    .expect("disabled init succeeds, even without a runtime");
    assert!(telemetry.scrape_addr().is_none());
    assert!(telemetry.tracer_provider().is_none());
    assert!(telemetry.logger_provider().is_none());
    assert!(telemetry.scrape_handler().is_none());
    // Instruments still work (as no-ops) and the port is free.
    telemetry
        .meter()
        .u64_counter("disabled.counter")
        .build()
        .add(1, &[]);
    TcpListener::bind(("127.0.0.1", port)).expect("port was not bound");
    telemetry.shutdown().unwrap();
}

#[test]
fn scrape_endpoint_binds_loopback_by_default_and_serves_metrics_only() {
    let telemetry = build(&[
        ("OTEL_TRACES_EXPORTER", "none"),
        ("OTEL_EXPORTER_PROMETHEUS_PORT", "0"),
    ])
    .unwrap();
    let addr = telemetry.scrape_addr().expect("served");
    assert!(addr.ip().is_loopback(), "{addr}");
    telemetry
        .meter()
        .u64_counter("scrape.test.requests")
        .build()
        .add(3, &[opentelemetry::KeyValue::new("route", "search")]);

    let (status, body) = http_get(addr, "/metrics").unwrap();
    assert_eq!(status, 200);
    assert!(body.contains("scrape_test_requests_total{"), "{body}");
    assert!(body.contains("route=\"search\""), "{body}");
    assert!(body.contains("target_info{"), "{body}");
    #[cfg(target_os = "linux")]
    for name in marketplace_telemetry::PROCESS_METRICS
        .iter()
        .map(|(_, prom)| prom)
    {
        let sample = body
            .lines()
            .find(|l| l.starts_with(&format!("{name} ")) || l.starts_with(&format!("{name}{{")));
        assert!(sample.is_some(), "{name} missing from scrape:\n{body}");
    }
    assert_eq!(http_get(addr, "/other").unwrap().0, 404);
    assert_eq!(http_request(addr, "POST", "/metrics").unwrap().0, 405);

    telemetry.shutdown().unwrap();
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "endpoint stopped with the guard"
    );
}
