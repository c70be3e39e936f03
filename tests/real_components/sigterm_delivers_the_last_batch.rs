//! SIGTERM — what Kubernetes, systemd and `docker stop` send — ends the demo gracefully:
//! `shutdown_signal()` returns, `Telemetry::shutdown` flushes the batch queue, the process
//! exits 0, and the spans recorded before the signal are at a real collector (rotel), with the
//! default 5 s batch delay (so the tail of the run is still queued when the signal arrives).

use crate::common;

use std::collections::BTreeSet;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{demo_binary, free_port, require, rotel, ChildGuard, Collector};

/// Trace ids of the demo's JSON log lines (failures log inside their request span).
fn logged_trace_ids(log: &str) -> BTreeSet<String> {
    log.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v.get("trace_id")?.as_str().map(str::to_string))
        .collect()
}

fn sigterm_then_collector_has_every_trace(protocol: &str, port: u16, collector: &Collector) {
    let dir = common::temp_dir(&format!("sigterm-{}", protocol.replace('/', "-")));
    let log = dir.join("demo.log");
    let out = std::fs::File::create(&log).unwrap();
    let mut demo = ChildGuard::spawn(
        "marketplace_demo",
        Command::new(demo_binary())
            .args(["--port", "0", "--concurrency", "1"])
            .env(
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                format!("http://127.0.0.1:{port}"),
            )
            .env("OTEL_EXPORTER_OTLP_PROTOCOL", protocol)
            .env("OTEL_EXPORTER_PROMETHEUS_PORT", free_port().to_string())
            .env("RUST_LOG_FORMAT", "json")
            // The default 5 s delay; a queue large enough that nothing is dropped under load.
            .env_remove("OTEL_BSP_SCHEDULE_DELAY")
            .env("OTEL_BSP_MAX_QUEUE_SIZE", "65536")
            .stdout(out.try_clone().unwrap())
            .stderr(out),
    );
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        demo.child.try_wait().unwrap().is_none(),
        "the demo ended before the signal: {}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    let signalled = Instant::now();
    let sent = Command::new("kill")
        .args(["-TERM", &demo.pid().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = common::wait_for(Duration::from_secs(30), || {
        demo.child.try_wait().ok().flatten()
    });
    let took = signalled.elapsed();
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let status = status.unwrap_or_else(|| panic!("no exit 30 s after SIGTERM: {text}"));
    assert_eq!(
        status.code(),
        Some(0),
        "SIGTERM must end the demo cleanly: {status:?}\n{}",
        &text[text.len().saturating_sub(3000)..]
    );
    assert!(
        text.contains("SIGTERM"),
        "the demo did not see the signal (it was killed): {}",
        &text[text.len().saturating_sub(3000)..]
    );

    let recorded = logged_trace_ids(&text);
    assert!(
        recorded.len() >= 3,
        "expected requests with logged failures in 2 s of load, got {}",
        recorded.len()
    );
    // Every trace the demo logged before exiting reaches the sink (which may batch briefly).
    let mut missing = recorded.clone();
    common::wait_for(Duration::from_secs(20), || {
        let sink = collector.sink_text();
        missing.retain(|id| !sink.contains(id.as_str()));
        missing.is_empty().then_some(())
    });
    let sink = collector.sink_text();
    let delivered_spans = sink.matches("Trace ID       : ").count();
    eprintln!(
        "sigterm[{protocol}]: exit {:?} {:.2} s after SIGTERM; {} logged traces, {} missing at the sink; {} spans at the sink",
        status.code(),
        took.as_secs_f64(),
        recorded.len(),
        missing.len(),
        delivered_spans
    );
    assert!(
        missing.is_empty(),
        "{} of {} traces recorded before SIGTERM never reached the collector, e.g. {:?}",
        missing.len(),
        recorded.len(),
        missing.iter().take(3).collect::<Vec<_>>()
    );
}

#[test]
fn sigterm_flushes_the_last_batch_over_grpc_and_exits_0() {
    let Some(rotel) = require("rotel", rotel()) else {
        return;
    };
    let collector = Collector::start(&rotel, "rotel-sigterm-grpc");
    sigterm_then_collector_has_every_trace("grpc", collector.grpc, &collector);
}

#[cfg(feature = "otlp-http")]
#[test]
fn sigterm_flushes_the_last_batch_over_http_and_exits_0() {
    let Some(rotel) = require("rotel", rotel()) else {
        return;
    };
    let collector = Collector::start(&rotel, "rotel-sigterm-http");
    sigterm_then_collector_has_every_trace("http/protobuf", collector.http, &collector);
}
