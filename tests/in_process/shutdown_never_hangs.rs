//! With the collector endpoint pointing at a listener that accepts and never answers (export
//! timeout 30 s), `shutdown()` (and drop) return within their 1 s bound on a multi-thread
//! runtime, from inside a current-thread runtime's `block_on`, and with no runtime at all.
//! The assertion is an upper bound far from both sides: 10 s is 6× the expected 1.5 s and a
//! third of the export timeout, so only a shutdown that waits for the export trips it.

use crate::common;

use std::sync::mpsc;
use std::time::Duration;

use common::{blackhole, env_map, Capture};
use marketplace_telemetry::{Telemetry, TelemetryConfig};

/// Far above the 1 s shutdown timeout (+0.5 s margin) and far below the 30 s export timeout:
/// a shutdown that waits out the export fails it.
const HANG: Duration = Duration::from_secs(10);

fn config(protocol: &str) -> TelemetryConfig {
    let endpoint = format!("http://{}", blackhole());
    TelemetryConfig::builder()
        .with_prometheus_port(0)
        .with_log_writer(Capture::default().writer())
        .with_shutdown_timeout(Duration::from_secs(1))
        .build_from(env_map(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
            ("OTEL_METRICS_EXPORTER", "prometheus,otlp"),
            ("OTEL_LOGS_EXPORTER", "otlp"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "30000"),
        ]))
        .unwrap()
}

fn record(telemetry: &Telemetry) {
    tracing::dispatcher::with_default(telemetry.dispatch(), || {
        for i in 0..100 {
            let span = tracing::info_span!("work", i);
            let _g = span.enter();
            tracing::info!("log inside span");
        }
    });
    telemetry
        .meter()
        .u64_counter("hang.check")
        .build()
        .add(1, &[]);
}

/// Runs `f` on a thread and fails if it does not return within [`HANG`].
fn returns<F: FnOnce() + Send + 'static>(what: &str, f: F) {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        f();
        let _ = tx.send(());
    });
    rx.recv_timeout(HANG).unwrap_or_else(|_| {
        panic!("{what} did not return within {HANG:?}: it waits for the 30 s export")
    });
}

fn runtime(multi_thread: bool) -> tokio::runtime::Runtime {
    let mut builder = if multi_thread {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(2);
        b
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    builder.enable_all().build().unwrap()
}

#[test]
fn shutdown_returns_on_a_multi_thread_runtime() {
    returns("multi-thread shutdown", || {
        runtime(true).block_on(async {
            let telemetry = Telemetry::build(config("grpc")).unwrap();
            record(&telemetry);
            // Export to a black hole cannot succeed: an error, not a hang.
            let result = telemetry.shutdown();
            assert!(result.is_err(), "nothing can have been exported");
            assert!(telemetry.shutdown().is_ok(), "second call is harmless");
        });
    });
}

#[test]
fn shutdown_returns_from_inside_a_current_thread_block_on() {
    returns("current-thread shutdown", || {
        runtime(false).block_on(async {
            let telemetry = Telemetry::build(config("grpc")).unwrap();
            record(&telemetry);
            let _ = telemetry.shutdown();
        });
    });
}

#[test]
fn drop_returns_from_inside_a_current_thread_block_on() {
    returns("current-thread drop", || {
        runtime(false).block_on(async {
            let telemetry = Telemetry::build(config("grpc")).unwrap();
            record(&telemetry);
            drop(telemetry);
        });
    });
}

#[cfg(feature = "otlp-http")]
#[test]
fn shutdown_returns_with_no_runtime_over_http() {
    returns("no-runtime shutdown", || {
        assert!(tokio::runtime::Handle::try_current().is_err());
        let telemetry = Telemetry::build(config("http/protobuf")).unwrap();
        record(&telemetry);
        let _ = telemetry.shutdown();
        drop(telemetry);
    });
}

#[test]
fn grpc_with_no_runtime_is_a_typed_error_not_a_panic() {
    let err = Telemetry::build(config("grpc")).unwrap_err();
    assert!(
        matches!(err, marketplace_telemetry::Error::NoTokioRuntime { .. }),
        "{err:?}"
    );
}
