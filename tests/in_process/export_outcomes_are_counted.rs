//! Loss made visible: every OTLP export is counted per signal and outcome on our own scrape
//! (`telemetry_export_batches_total`, `telemetry_export_items_total`), for a collector that
//! accepts and for one that is down.

use crate::common;

use std::time::Duration;

use common::{env_map, export_sample, start_receiver, Capture};
use marketplace_telemetry::{Telemetry, TelemetryConfig};

fn pipeline(endpoint: String) -> Telemetry {
    let config = TelemetryConfig::builder()
        .with_log_writer(Capture::default().writer())
        .with_scrape_endpoint(false)
        .with_shutdown_timeout(Duration::from_secs(2))
        .build_from(env_map(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "500"),
            ("OTEL_METRICS_EXPORTER", "prometheus,otlp"),
            ("OTEL_LOGS_EXPORTER", "otlp"),
        ]))
        .unwrap();
    let telemetry = Telemetry::build(config).unwrap();
    tracing::dispatcher::with_default(telemetry.dispatch(), || {
        for i in 0..10 {
            let span = tracing::info_span!("counted", i);
            let _g = span.enter();
            tracing::info!("a record");
        }
    });
    let _ = telemetry.force_flush();
    telemetry
}

/// Records through a pipeline exporting to `endpoint` (off the async worker) and returns the
/// scrape taken after the flush.
async fn scrape_after_exporting_to(endpoint: String) -> String {
    tokio::task::spawn_blocking(move || {
        let telemetry = pipeline(endpoint);
        let body = telemetry.scrape_handler().unwrap().render();
        let _ = telemetry.shutdown();
        body
    })
    .await
    .unwrap()
}

/// Each signal's batches and items are counted under `outcome`, and no span under `other`.
fn assert_counted_as(body: &str, outcome: &str, other: &str) {
    let sample = |name, signal, outcome| export_sample(body, name, signal, outcome);
    assert!(
        sample("telemetry_export_batches_total", "traces", outcome) >= 1.0,
        "{body}"
    );
    assert_eq!(
        sample("telemetry_export_items_total", "traces", outcome),
        10.0
    );
    // 10 records and the startup report line.
    assert_eq!(
        sample("telemetry_export_items_total", "logs", outcome),
        11.0
    );
    assert!(sample("telemetry_export_batches_total", "metrics", outcome) >= 1.0);
    assert_eq!(sample("telemetry_export_items_total", "traces", other), 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn successful_exports_are_counted_per_signal() {
    let (addr, received) = start_receiver().await;
    let body = scrape_after_exporting_to(format!("http://{addr}")).await;
    assert_eq!(received.spans().len(), 10);
    assert_counted_as(&body, "success", "failure");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_exports_and_the_items_they_lost_are_counted_per_signal() {
    let closed = format!("http://127.0.0.1:{}", common::free_port());
    let body = scrape_after_exporting_to(closed).await;
    assert_counted_as(&body, "failure", "success");
}

/// `with_log_batch_max_queue_size` reaches the SDK's log processor (which otherwise reads
/// `OTEL_BLRP_*` from the process environment and defaults to 2048): with the collector
/// black-holed, the first export blocks for the export timeout, the 4-record queue fills and
/// the other records are dropped — only a few records ever reach the exporter.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_queue_cap_set_on_the_builder_bounds_what_is_held() {
    const RECORDS: usize = 2000;
    let endpoint = format!("http://{}", common::blackhole());
    let body = tokio::task::spawn_blocking(move || {
        let config = TelemetryConfig::builder()
            .with_log_writer(Capture::default().writer())
            .with_scrape_endpoint(false)
            .with_log_batch_max_queue_size(4)
            .with_log_batch_max_export_batch_size(4)
            .with_shutdown_timeout(Duration::from_secs(2))
            .build_from(env_map(&[
                ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
                ("OTEL_EXPORTER_OTLP_TIMEOUT", "1000"),
                ("OTEL_TRACES_EXPORTER", "none"),
                ("OTEL_LOGS_EXPORTER", "otlp"),
            ]))
            .unwrap();
        let telemetry = Telemetry::build(config).unwrap();
        tracing::dispatcher::with_default(telemetry.dispatch(), || {
            for i in 0..RECORDS {
                tracing::info!(i, "a record");
            }
        });
        let _ = telemetry.force_flush();
        let body = telemetry.scrape_handler().unwrap().render();
        let _ = telemetry.shutdown();
        body
    })
    .await
    .unwrap();
    let exported = export_sample(&body, "telemetry_export_items_total", "logs", "failure");
    assert!(exported >= 1.0, "no log export was attempted: {body}");
    // Held at most: the batch in flight, the queue and the flush's batch — not 2000.
    assert!(
        exported <= 100.0,
        "{exported} of {RECORDS} records reached the exporter: the queue cap of 4 was not applied"
    );
}
