//! `#[tracing::instrument]` spans reach an in-process OTLP gRPC receiver with the right
//! parents, attributes and `service.name`, and console log lines inside them carry the same
//! trace and span ids.

use crate::common;

use std::time::Duration;

use common::{env_map, start_receiver, wait_for, Capture};
use marketplace_telemetry::config::LogFormat;
use marketplace_telemetry::{Telemetry, TelemetryConfig};

#[tracing::instrument(fields(item_type = "plugin"))]
fn search(query: &str) -> usize {
    tracing::info!(stage = "parent", "searching");
    lookup(query)
}

#[tracing::instrument]
fn lookup(key: &str) -> usize {
    tracing::info!(stage = "child", "inside child");
    key.len()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn pipeline(addr: std::net::SocketAddr, capture: &Capture, format: LogFormat) -> Telemetry {
    let endpoint = format!("http://{addr}");
    let config = TelemetryConfig::builder()
        .with_prometheus_port(0)
        .with_log_writer(capture.writer())
        .with_log_format(format)
        .build_from(env_map(&[
            ("OTEL_SERVICE_NAME", "search-svc"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
        ]))
        .expect("valid config");
    Telemetry::build(config).expect("pipeline builds")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parent_and_child_spans_arrive_with_parent_ids_attributes_and_service_name() {
    let (addr, received) = start_receiver().await;
    let capture = Capture::default();
    let received2 = received.clone();
    tokio::task::spawn_blocking(move || {
        let telemetry = pipeline(addr, &capture, LogFormat::Json);
        tracing::dispatcher::with_default(telemetry.dispatch(), || search("sparql"));
        telemetry.force_flush().expect("flush");
        let spans = wait_for(Duration::from_secs(20), || {
            let spans = received2.spans();
            (spans.len() >= 2).then_some(spans)
        })
        .expect("two spans exported");
        telemetry.shutdown().expect("shutdown");

        let (service, parent) = spans
            .iter()
            .find(|(_, s)| s.name == "search")
            .expect("search span");
        let (_, child) = spans
            .iter()
            .find(|(_, s)| s.name == "lookup")
            .expect("lookup span");
        assert_eq!(service, "search-svc");
        assert_eq!(
            child.parent_span_id, parent.span_id,
            "child's parent is the search span"
        );
        assert_eq!(child.trace_id, parent.trace_id);
        assert!(parent.parent_span_id.is_empty(), "search is a root span");
        assert_eq!(common::attr(parent, "query").as_deref(), Some("sparql"));
        assert_eq!(common::attr(parent, "item_type").as_deref(), Some("plugin"));
        assert_eq!(common::attr(child, "key").as_deref(), Some("sparql"));

        // JSON log lines carry the exported span's ids.
        let logs = capture.text();
        let mut checked = 0;
        for line in logs.lines() {
            let v: serde_json::Value = serde_json::from_str(line).expect("every line is JSON");
            let span = match v["stage"].as_str() {
                Some("parent") => parent,
                Some("child") => child,
                _ => continue,
            };
            assert_eq!(
                v["trace_id"].as_str(),
                Some(hex(&span.trace_id).as_str()),
                "{line}"
            );
            assert_eq!(
                v["span_id"].as_str(),
                Some(hex(&span.span_id).as_str()),
                "{line}"
            );
            assert!(
                v["level"].is_string() && v["timestamp"].is_string() && v["message"].is_string(),
                "{line}"
            );
            checked += 1;
        }
        assert_eq!(checked, 2, "both log lines found in:\n{logs}");
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_log_lines_inside_spans_end_with_the_exported_ids() {
    let (addr, received) = start_receiver().await;
    let capture = Capture::default();
    tokio::task::spawn_blocking(move || {
        let telemetry = pipeline(addr, &capture, LogFormat::Text);
        tracing::dispatcher::with_default(telemetry.dispatch(), || {
            search("rdf");
            tracing::info!("outside any span");
        });
        telemetry.shutdown().expect("shutdown flushes");
        let spans = received.spans();
        let (_, child) = spans
            .iter()
            .find(|(_, s)| s.name == "lookup")
            .expect("lookup span exported");
        let logs = capture.text();
        let line = logs
            .lines()
            .find(|l| l.contains("inside child"))
            .expect("child line");
        assert!(
            line.ends_with(&format!(
                "trace_id={} span_id={}",
                hex(&child.trace_id),
                hex(&child.span_id)
            )),
            "{line}"
        );
        let outside = logs
            .lines()
            .find(|l| l.contains("outside any span"))
            .expect("outside line");
        assert!(!outside.contains("trace_id="), "{outside}");
    })
    .await
    .unwrap();
}

#[test]
fn shutdown_inside_a_current_thread_block_on_still_delivers_the_last_batch() {
    // The receiver lives on its own runtime; the host is a current-thread runtime that is
    // blocked in `shutdown()` while the final batch goes out.
    let receiver_rt = tokio::runtime::Runtime::new().unwrap();
    let (addr, received) = receiver_rt.block_on(start_receiver());
    let host = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    host.block_on(async {
        let capture = Capture::default();
        let endpoint = format!("http://{addr}");
        let config = TelemetryConfig::builder()
            .with_prometheus_port(0)
            .with_log_writer(capture.writer())
            .with_batch_schedule_delay(Duration::from_secs(3600)) // only shutdown exports
            .build_from(env_map(&[("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint)]))
            .unwrap();
        let telemetry = Telemetry::build(config).unwrap();
        tracing::dispatcher::with_default(telemetry.dispatch(), || search("last-batch"));
        telemetry.shutdown().expect("flushed within the timeout");
    });
    let names: Vec<String> = received.spans().into_iter().map(|(_, s)| s.name).collect();
    assert!(names.contains(&"search".to_string()), "{names:?}");
    assert!(names.contains(&"lookup".to_string()), "{names:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configured_headers_and_gzip_reach_the_receiver_on_the_wire() {
    let (addr, received) = start_receiver().await;
    let received2 = received.clone();
    tokio::task::spawn_blocking(move || {
        let endpoint = format!("http://{addr}");
        let config = TelemetryConfig::builder()
            .with_prometheus_port(0)
            .with_log_writer(Capture::default().writer())
            .build_from(env_map(&[
                ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
                (
                    "OTEL_EXPORTER_OTLP_HEADERS",
                    "authorization=Bearer%20t0ken,x-tenant=acme",
                ),
                ("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "x-tenant=traces-team"),
                ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"),
            ]))
            .unwrap();
        let telemetry = Telemetry::build(config).unwrap();
        tracing::dispatcher::with_default(telemetry.dispatch(), || search("gzip"));
        telemetry.force_flush().expect("flush");
        let metadata = wait_for(Duration::from_secs(20), || {
            received2.trace_metadata.lock().unwrap().first().cloned()
        })
        .expect("a trace export arrived");
        let _ = telemetry.shutdown();
        let get = |k: &str| {
            metadata
                .get(k)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        assert_eq!(get("authorization").as_deref(), Some("Bearer t0ken"));
        // The per-signal value wins over the generic one.
        assert_eq!(get("x-tenant").as_deref(), Some("traces-team"));
        assert_eq!(
            get("grpc-encoding").as_deref(),
            Some("gzip"),
            "{metadata:?}"
        );
    })
    .await
    .unwrap();
    assert!(!received.spans().is_empty());
}
