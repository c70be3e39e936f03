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

mod hardening {
    //! The endpoint's limits, each observed from a client: an oversized request head gets a
    //! 4xx, a connection that sends nothing is closed after the 5 s header-read timeout, and
    //! past 256 open connections a new one is closed unanswered (while a slot frees up again).

    use std::io::{Read, Write};
    use std::net::{SocketAddr, TcpStream};
    use std::time::Duration;

    use super::build;
    use crate::common::{http_get, wait_for};

    fn endpoint() -> (marketplace_telemetry::Telemetry, SocketAddr) {
        let telemetry = build(&[
            ("OTEL_TRACES_EXPORTER", "none"),
            ("OTEL_EXPORTER_PROMETHEUS_PORT", "0"),
        ])
        .unwrap();
        let addr = telemetry.scrape_addr().unwrap();
        (telemetry, addr)
    }

    /// What the server sends back before closing (empty: closed unanswered).
    fn answer(stream: &mut TcpStream) -> std::io::Result<String> {
        stream.set_read_timeout(Some(Duration::from_secs(20)))?;
        let mut buf = Vec::new();
        match stream.read_to_end(&mut buf) {
            Ok(_) => Ok(String::from_utf8_lossy(&buf).into_owned()),
            // A reset after the answer still counts as closed.
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                Ok(String::from_utf8_lossy(&buf).into_owned())
            }
            Err(e) => Err(e),
        }
    }

    #[test]
    fn an_oversized_request_head_gets_a_4xx() {
        let (telemetry, addr) = endpoint();
        let mut s = TcpStream::connect(addr).unwrap();
        let huge = format!(
            "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
            "a".repeat(64 * 1024)
        );
        let _ = s.write_all(huge.as_bytes());
        let got = answer(&mut s).expect("no answer to an oversized request (hang?)");
        assert!(
            got.starts_with("HTTP/1.1 4"),
            "oversized request not refused with a 4xx: {:?}",
            &got[..got.len().min(80)]
        );
        telemetry.shutdown().unwrap();
    }

    #[test]
    fn a_connection_that_sends_nothing_is_closed_after_the_header_timeout() {
        let (telemetry, addr) = endpoint();
        let mut s = TcpStream::connect(addr).unwrap();
        // Read times out at 20 s; the server's 5 s header timeout must close it first.
        let got = answer(&mut s).expect("the idle connection was still open after 20 s");
        assert!(
            got.is_empty() || got.starts_with("HTTP/1.1 408"),
            "unexpected answer to an idle connection: {got:?}"
        );
        telemetry.shutdown().unwrap();
    }

    #[test]
    fn the_257th_connection_is_closed_unanswered_and_a_freed_slot_serves_again() {
        let (telemetry, addr) = endpoint();
        let mut idle: Vec<TcpStream> = (0..256)
            .map(|_| TcpStream::connect(addr).unwrap())
            .collect();
        // The server accepts in order: these 256 hold every slot, so the next is refused.
        let mut extra = TcpStream::connect(addr).unwrap();
        let _ = extra.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
        let got = answer(&mut extra).expect("the 257th connection hangs");
        assert!(
            got.is_empty(),
            "the 257th connection was served: {:?}",
            &got[..got.len().min(80)]
        );
        // One idle client leaves: its slot serves a scrape again.
        idle.pop();
        let served = wait_for(Duration::from_secs(4), || {
            http_get(addr, "/metrics")
                .ok()
                .filter(|(status, _)| *status == 200)
        });
        assert!(served.is_some(), "no scrape served after a slot was freed");
        drop(idle);
        telemetry.shutdown().unwrap();
    }
}

/// Inside a Tokio runtime the runtime's metrics are on the scrape (read at collection); with
/// `with_runtime_metrics(false)` they are not.
#[test]
fn tokio_runtime_metrics_are_scraped_inside_a_runtime_unless_turned_off() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    for on in [true, false] {
        let body = rt.block_on(async {
            let config = TelemetryConfig::builder()
                .with_log_writer(common::Capture::default().writer())
                .with_prometheus_port(0)
                .with_runtime_metrics(on)
                .build_from(common::env_map(&[("OTEL_TRACES_EXPORTER", "none")]))
                .unwrap();
            let telemetry = Telemetry::build(config).unwrap();
            // Work for the workers: busy time and parks to count.
            let tasks: Vec<_> = (0..8)
                .map(|_| {
                    tokio::spawn(async {
                        tokio::time::sleep(std::time::Duration::from_millis(20)).await
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
            let addr = telemetry.scrape_addr().unwrap();
            let body = tokio::task::spawn_blocking(move || http_get(addr, "/metrics").unwrap().1)
                .await
                .unwrap();
            telemetry.shutdown().unwrap();
            body
        });
        let value = |name: &str| {
            body.lines()
                .find(|l| l.starts_with(&format!("{name} ")) || l.starts_with(&format!("{name}{{")))
                .and_then(|l| l.rsplit(' ').next())
                .and_then(|v| v.parse::<f64>().ok())
        };
        for (_, name) in marketplace_telemetry::TOKIO_METRICS {
            assert_eq!(
                value(name).is_some(),
                on,
                "{name} (runtime metrics {on}):\n{body}"
            );
        }
        if on {
            assert_eq!(value("tokio_workers"), Some(2.0));
            assert!(value("tokio_worker_busy_time_seconds_total").unwrap() > 0.0);
            assert!(value("tokio_worker_parks_total").unwrap() > 0.0);
        }
    }
}

/// One `MarketplaceSettings` value, given to the configuration or to a builder over a meter,
/// gives the same marketplace series as the per-setting methods.
#[test]
fn one_marketplace_settings_value_serves_both_entry_points() {
    use marketplace_telemetry::catalog::{MarketplaceSettings, Operation};
    use marketplace_telemetry::marketplace::{ItemType, MarketplaceMetrics};

    let settings = MarketplaceSettings::default()
        .with_metrics_namespace("mockforge")
        .with_caches(["search"])
        .with_marketplace_operations([Operation::Search])
        .with_marketplace_item_types([ItemType::Package]);
    // The series of ours in a scrape (names and labels, no values).
    let ours = |telemetry: &marketplace_telemetry::Telemetry| {
        let body = telemetry.scrape_handler().unwrap().render();
        body.lines()
            .filter(|l| l.starts_with("mockforge_"))
            .map(|l| l.rsplit_once(' ').map_or(l, |(s, _)| s).to_string())
            .collect::<std::collections::BTreeSet<_>>()
    };

    let by_value = common::metrics_only(
        marketplace_telemetry::TelemetryConfig::builder()
            .with_marketplace_settings(settings.clone()),
    );
    assert_eq!(by_value.config().marketplace_settings(), settings);
    by_value.marketplace().cache("search").hit();

    let by_setter = common::metrics_only(
        marketplace_telemetry::TelemetryConfig::builder()
            .with_metrics_namespace("mockforge")
            .with_caches(["search"])
            .with_marketplace_operations([Operation::Search])
            .with_marketplace_item_types([ItemType::Package]),
    );
    by_setter.marketplace().cache("search").hit();

    let own_meter = common::metrics_only(marketplace_telemetry::TelemetryConfig::builder());
    let metrics = MarketplaceMetrics::builder(&own_meter.meter())
        .with_settings(settings)
        .build();
    metrics.cache("search").hit();

    let expected = ours(&by_setter);
    assert!(
        expected.iter().any(|s| s.starts_with(
            "mockforge_marketplace_search_duration_seconds_bucket{item_type=\"package\""
        )) && !expected.iter().any(|s| s.contains("install_duration")),
        "{expected:?}"
    );
    assert_eq!(ours(&by_value), expected);
    assert_eq!(ours(&own_meter), expected);
}
