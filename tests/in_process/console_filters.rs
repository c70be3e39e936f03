//! The subscriber's filters decide as `EnvFilter` does whichever form they take: static
//! directives (a `Targets` filter with a per-callsite cache) and span-scoped directives (an
//! `EnvFilter`); span enter/exit/close that skip the filter's lookup still export the right
//! trace tree, with spans the traces filter leaves out skipped over.

use crate::common;

use std::time::Duration;

use common::{env_map, start_receiver, wait_for, Capture};
use marketplace_telemetry::{Telemetry, TelemetryConfig};

fn console(rust_log: &str, emit: impl Fn()) -> String {
    let capture = Capture::default();
    let config = TelemetryConfig::builder()
        .with_log_writer(capture.writer())
        .with_scrape_endpoint(false)
        .build_from(env_map(&[
            ("RUST_LOG", rust_log),
            // Spans go somewhere (stdout) so that log lines carry their trace.
            ("OTEL_TRACES_EXPORTER", "console"),
            ("OTEL_METRICS_EXPORTER", "none"),
        ]))
        .unwrap();
    let telemetry = Telemetry::build(config).unwrap();
    tracing::dispatcher::with_default(telemetry.dispatch(), &emit);
    let _ = telemetry.shutdown();
    capture.text()
}

fn emit() {
    tracing::debug!(target: "app::outside", "debug outside any span");
    let span = tracing::info_span!(target: "app::handler", "search", query = "rdf");
    let _g = span.enter();
    tracing::debug!(target: "app::handler", "debug inside search");
    tracing::warn!(target: "app::handler", "warn inside search");
}

#[test]
fn static_and_span_scoped_directives_filter_the_console() {
    // Static: a target at debug, the rest at warn; the same callsites twice (cached decision).
    for _ in 0..2 {
        let text = console("warn,app::handler=debug", emit);
        assert!(text.contains("debug inside search"), "{text}");
        assert!(!text.contains("debug outside any span"), "{text}");
        assert!(text.contains("search{query=\"rdf\"}"), "{text}");
    }
    // Span-scoped: debug only inside `search`.
    let text = console("warn,[search]=debug", emit);
    assert!(text.contains("debug inside search"), "{text}");
    assert!(!text.contains("debug outside any span"), "{text}");
    // Warn only: the info span is not shown, the warning is, with the trace of its span.
    let text = console("warn", emit);
    assert!(!text.contains("debug inside search"), "{text}");
    let warn = text
        .lines()
        .find(|l| l.contains("warn inside search"))
        .expect("the warning is logged");
    assert!(warn.contains("trace_id="), "{warn}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_span_left_out_of_traces_is_skipped_in_the_exported_tree() {
    let (addr, received) = start_receiver().await;
    let endpoint = format!("http://{addr}");
    let spans = tokio::task::spawn_blocking(move || {
        let config = TelemetryConfig::builder()
            .with_log_writer(Capture::default().writer())
            .with_scrape_endpoint(false)
            .build_from(env_map(&[
                ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
                ("OTEL_BSP_SCHEDULE_DELAY", "50"),
                ("OTEL_METRICS_EXPORTER", "none"),
                ("RUST_LOG", "warn"),
            ]))
            .unwrap();
        let telemetry = Telemetry::build(config).unwrap();
        tracing::dispatcher::with_default(telemetry.dispatch(), || {
            for _ in 0..3 {
                let parent = tracing::info_span!("parent");
                let _p = parent.enter();
                // Below the traces filter (info): not exported, skipped over.
                let middle = tracing::debug_span!("middle");
                let _m = middle.enter();
                let child = tracing::info_span!("child");
                let _c = child.enter();
            }
        });
        let _ = telemetry.force_flush();
        let spans = wait_for(Duration::from_secs(20), || {
            let spans = received.spans();
            (spans.len() >= 6).then_some(spans)
        })
        .expect("three parents and three children exported");
        let _ = telemetry.shutdown();
        spans
    })
    .await
    .unwrap();
    assert!(spans.iter().all(|(_, s)| s.name != "middle"));
    let parents: Vec<_> = spans.iter().filter(|(_, s)| s.name == "parent").collect();
    let children: Vec<_> = spans.iter().filter(|(_, s)| s.name == "child").collect();
    assert_eq!((parents.len(), children.len()), (3, 3));
    for (_, child) in children {
        let parent = parents
            .iter()
            .find(|(_, p)| p.span_id == child.parent_span_id)
            .expect("each child's parent is an exported parent span");
        assert_eq!(parent.1.trace_id, child.trace_id);
    }
}
