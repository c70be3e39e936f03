//! "Recording never blocks the host": with the collector black-holed (accepts, never answers,
//! export timeout 30 s) and a span queue of 64, recording 20,000 spans with log events and
//! 100,000 helper calls finishes long before a single export could time out. The bound (10 s)
//! is far above what the work takes (well under a second in release, a few in debug) and far
//! below the 30 s one blocked export would cost, so only blocking trips it.

use std::time::{Duration, Instant};

use crate::common::{blackhole, env_map, Capture};
use marketplace_telemetry::marketplace::{ErrorCode, ItemType};
use marketplace_telemetry::{Telemetry, TelemetryConfig};

const BOUND: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recording_with_a_black_holed_collector_and_a_full_queue_never_blocks() {
    let endpoint = format!("http://{}", blackhole());
    let config = TelemetryConfig::builder()
        .with_prometheus_port(0)
        .with_log_writer(Capture::default().writer())
        .with_shutdown_timeout(Duration::from_secs(1))
        .build_from(env_map(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "30000"),
            ("OTEL_BSP_MAX_QUEUE_SIZE", "64"),
            ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "64"),
            ("OTEL_BSP_SCHEDULE_DELAY", "10"),
            ("OTEL_LOGS_EXPORTER", "otlp"),
            ("OTEL_BLRP_MAX_QUEUE_SIZE", "64"),
            ("OTEL_METRICS_EXPORTER", "prometheus,otlp"),
            ("OTEL_METRIC_EXPORT_INTERVAL", "10"),
        ]))
        .unwrap();
    let handle = tokio::runtime::Handle::current();
    let (tx, rx) = std::sync::mpsc::channel();
    // On its own thread, so a blocked recording fails the test at the bound, not at a hang.
    std::thread::spawn(move || {
        let _runtime = handle.enter();
        let telemetry = Telemetry::build(config).unwrap();
        let metrics = telemetry.marketplace();
        let started = Instant::now();
        tracing::dispatcher::with_default(telemetry.dispatch(), || {
            for i in 0..20_000u32 {
                let span = tracing::info_span!("checkout", i);
                let _entered = span.enter();
                tracing::info!("inside the span");
            }
            for i in 0..100_000u32 {
                let op = metrics.search(ItemType::Plugin);
                if i % 10 == 0 {
                    op.fail(ErrorCode::Timeout);
                } else {
                    op.succeed();
                }
            }
        });
        let took = started.elapsed();
        let _ = tx.send(took);
        let _ = telemetry.shutdown();
    });
    let took = tokio::task::spawn_blocking(move || rx.recv_timeout(BOUND))
        .await
        .unwrap()
        .unwrap_or(BOUND);
    eprintln!("20,000 spans + 100,000 helper calls behind a black hole: {took:?}");
    assert!(
        took < BOUND,
        "recording took {took:?} with the collector black-holed: it blocks on the export"
    );
}
