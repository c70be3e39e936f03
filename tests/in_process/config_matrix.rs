//! Every valid configuration runs in a debug build without a panic, an abort or an SDK ERROR
//! line (issue 25, items 3 and 4): traces {otlp, none} × metrics {prometheus, otlp, none} ×
//! logs {otlp, none} × format {text, json} × SDK {enabled, disabled} × filter {static, with a
//! span directive} — 96 configurations, each in a child process (this test binary, re-run with
//! `MT_MATRIX_CHILD` set) that installs the pipeline with `init_telemetry`, emits spans and
//! events at every level through the domain and platform helpers, and shuts down.
//!
//! A debug build matters: tracing-subscriber's per-layer filter bookkeeping is checked by
//! `debug_assert`s there, and the SDK disabled used to trip one (exit 134).

use std::process::{Command, Stdio};
use std::time::Instant;

use crate::common;

const CHILD: &str = "MT_MATRIX_CHILD";

/// The child's work; a no-op unless run by [`every_valid_configuration_runs_clean_in_debug`].
#[test]
fn config_matrix_child() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    use marketplace_telemetry::marketplace::{ErrorCode, ItemType};
    use marketplace_telemetry::platform::{BreakerState, GenAiOperation};
    use marketplace_telemetry::{init_telemetry, TelemetryConfig};

    // As a service's `#[tokio::main]`: the gRPC exporters are built on the caller's runtime.
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let _entered = runtime.enter();
    let config = TelemetryConfig::from_env().expect("a valid configuration");
    let telemetry = init_telemetry(config).expect("init_telemetry");
    let metrics = telemetry.marketplace();
    let platform = telemetry.platform();
    // The platform handles create observable instruments (pool counts): with no reader they
    // used to print an SDK ERROR per instrument.
    let pools = platform.connection_pools(["main"]);
    pools.pool("main").set_max(4);
    let db = platform.db_client("postgresql", ["SELECT"], ["packages"]);
    let breakers = platform.circuit_breakers(["rdf"]);
    breakers.breaker("rdf").set_state(BreakerState::Open);
    let llm = platform.gen_ai([GenAiOperation::Chat], [("openai", "gpt-4o")]);
    let queues = platform.messaging("rabbitmq", ["installs"]);
    queues.queue("installs").sent(1);

    for _round in 0..3 {
        let work = tracing::info_span!(target: "matrix", "work", round = _round);
        let _entered = work.enter();
        for span in [
            tracing::error_span!(target: "matrix", "inner_error"),
            tracing::warn_span!(target: "matrix", "inner_warn"),
            tracing::info_span!(target: "matrix", "inner_info"),
            tracing::debug_span!(target: "matrix", "inner_debug"),
            tracing::trace_span!(target: "matrix", "inner_trace"),
        ] {
            let _in = span.enter();
            tracing::error!(target: "matrix", code = 1, "an error event");
            tracing::warn!(target: "matrix", "a warning");
            tracing::info!(target: "matrix", "an info event");
            tracing::debug!(target: "matrix", "a debug event");
            tracing::trace!(target: "matrix", "a trace event");
        }
        let op = metrics.search(ItemType::Plugin);
        op.fail(ErrorCode::Timeout);
        let _: Result<u64, ErrorCode> = db.query("SELECT", "packages").finish(Ok(1));
        llm.call(GenAiOperation::Chat, "openai", "gpt-4o").succeed();
    }
    tracing::info!(target: "matrix", "outside any span");
    telemetry.shutdown().expect("shutdown");
    println!("MATRIX-CHILD-DONE");
}

#[test]
fn every_valid_configuration_runs_clean_in_debug() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (addr, received) = runtime.block_on(common::start_receiver());
    let exe = std::env::current_exe().unwrap();
    let started = Instant::now();
    let mut runs = 0;
    let mut failures = Vec::new();
    for traces in ["otlp", "none"] {
        for metrics in ["prometheus", "otlp", "none"] {
            for logs in ["otlp", "none"] {
                for format in ["text", "json"] {
                    for disabled in ["false", "true"] {
                        for filter in ["trace", "info,matrix[work]=trace"] {
                            let port = common::free_port().to_string();
                            let output = Command::new(&exe)
                                .args(["--exact", "config_matrix::config_matrix_child"])
                                .args(["--nocapture", "--test-threads=1"])
                                .env(CHILD, "1")
                                .env("OTEL_TRACES_EXPORTER", traces)
                                .env("OTEL_METRICS_EXPORTER", metrics)
                                .env("OTEL_LOGS_EXPORTER", logs)
                                .env("RUST_LOG_FORMAT", format)
                                .env("OTEL_SDK_DISABLED", disabled)
                                .env("RUST_LOG", filter)
                                .env("OTEL_EXPORTER_OTLP_ENDPOINT", format!("http://{addr}"))
                                .env("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
                                .env("OTEL_EXPORTER_PROMETHEUS_PORT", &port)
                                .env("OTEL_SERVICE_NAME", "matrix")
                                .stdin(Stdio::null())
                                .output()
                                .expect("run the child");
                            runs += 1;
                            let text = format!(
                                "{}{}",
                                String::from_utf8_lossy(&output.stdout),
                                String::from_utf8_lossy(&output.stderr)
                            );
                            let sdk_errors: Vec<&str> = text
                                .lines()
                                .filter(|l| l.contains("ERROR") && l.contains("opentelemetry"))
                                .collect();
                            let name = format!(
                                "traces={traces} metrics={metrics} logs={logs} format={format} \
                                 disabled={disabled} RUST_LOG={filter:?}"
                            );
                            if !output.status.success()
                                || text.contains("panicked")
                                || !text.contains("MATRIX-CHILD-DONE")
                                || !sdk_errors.is_empty()
                            {
                                let tail: Vec<&str> = text.lines().rev().take(12).collect();
                                failures.push(format!(
                                    "{name}: {:?}, SDK errors {sdk_errors:?}, last lines {tail:?}",
                                    output.status
                                ));
                            }
                        }
                    }
                }
            }
        }
    }
    assert_eq!(runs, 96);
    assert!(
        failures.is_empty(),
        "{} of {runs} configurations failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // The enabled OTLP configurations really exported (the receiver is not a sink for nothing).
    assert!(received
        .spans()
        .iter()
        .any(|(_, s)| s.name == "inner_error"));
    eprintln!(
        "config matrix: {runs} configurations in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    drop(runtime);
}
