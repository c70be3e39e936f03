//! A real OpenTelemetry collector (rotel, front forwarding to a sink) receives our traces over
//! gRPC and over HTTP/protobuf, our metrics over OTLP and our logs over OTLP; the assertions
//! read what the sink decoded and printed.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::{env_map, free_port, require, rotel, temp_dir, wait_for, Capture, ChildGuard};
use marketplace_telemetry::{Telemetry, TelemetryConfig};

struct Collector {
    grpc: u16,
    http: u16,
    sink_out: PathBuf,
    _sink: ChildGuard,
    _front: ChildGuard,
}

fn wait_port(port: u16) {
    wait_for(Duration::from_secs(20), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).ok()
    })
    .unwrap_or_else(|| panic!("port {port} never opened"));
}

fn start_collector(rotel: &Path, name: &str) -> Collector {
    let dir = temp_dir(name);
    let (g1, h1, g2, h2) = (free_port(), free_port(), free_port(), free_port());
    let sink_out = dir.join("sink.out");
    let out = std::fs::File::create(&sink_out).unwrap();
    let sink = ChildGuard::spawn(
        "rotel sink",
        Command::new(rotel)
            .env("NO_COLOR", "1")
            .args(["--log-format", "json", "start"])
            .args(["--otlp-grpc-endpoint", &format!("127.0.0.1:{g2}")])
            .args(["--otlp-http-endpoint", &format!("127.0.0.1:{h2}")])
            .args(["--exporter", "blackhole"])
            .args([
                "--debug-log",
                "traces",
                "--debug-log",
                "metrics",
                "--debug-log",
                "logs",
            ])
            .args(["--debug-log-verbosity", "detailed"])
            .stdout(out.try_clone().unwrap())
            .stderr(out),
    );
    let front_log = std::fs::File::create(dir.join("front.out")).unwrap();
    let front = ChildGuard::spawn(
        "rotel front",
        Command::new(rotel)
            .env("NO_COLOR", "1")
            .arg("start")
            .args(["--otlp-grpc-endpoint", &format!("127.0.0.1:{g1}")])
            .args(["--otlp-http-endpoint", &format!("127.0.0.1:{h1}")])
            .args(["--exporter", "otlp"])
            .args([
                "--otlp-exporter-endpoint",
                &format!("http://127.0.0.1:{g2}"),
            ])
            .stdout(front_log.try_clone().unwrap())
            .stderr(front_log),
    );
    for port in [g1, h1, g2, h2] {
        wait_port(port);
    }
    Collector {
        grpc: g1,
        http: h1,
        sink_out,
        _sink: sink,
        _front: front,
    }
}

fn sink_shows(collector: &Collector, needles: &[&str]) -> Result<(), String> {
    let found = wait_for(Duration::from_secs(30), || {
        let text = std::fs::read_to_string(&collector.sink_out).unwrap_or_default();
        needles.iter().all(|n| text.contains(n)).then_some(())
    });
    match found {
        Some(()) => Ok(()),
        None => {
            let text = std::fs::read_to_string(&collector.sink_out).unwrap_or_default();
            let missing: Vec<_> = needles.iter().filter(|n| !text.contains(*n)).collect();
            Err(format!(
                "sink never showed {missing:?}; sink output ({}):\n{}",
                collector.sink_out.display(),
                &text[text.len().saturating_sub(4000)..]
            ))
        }
    }
}

fn send_all_signals(endpoint: String, protocol: &str, service: &str, tag: &str) {
    let config = TelemetryConfig::builder()
        .with_log_writer(Capture::default().writer())
        .with_prometheus_port(0)
        .build_from(env_map(&[
            ("OTEL_SERVICE_NAME", service),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
            ("OTEL_METRICS_EXPORTER", "prometheus,otlp"),
            ("OTEL_LOGS_EXPORTER", "otlp"),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
            ("OTEL_METRIC_EXPORT_INTERVAL", "500"),
        ]))
        .unwrap();
    let telemetry = Telemetry::build(config).unwrap();
    tracing::dispatcher::with_default(telemetry.dispatch(), || {
        let span = tracing::info_span!("rotel_span", tag);
        let _g = span.enter();
        tracing::info!("rotel log body {tag}");
    });
    telemetry
        .meter()
        .u64_counter(format!("rotel.test.{tag}"))
        .build()
        .add(5, &[]);
    telemetry
        .shutdown()
        .expect("shutdown flushes to a live collector");
}

#[test]
fn traces_metrics_and_logs_over_grpc_reach_the_sink_through_a_forwarding_collector() {
    let Some(rotel) = require("rotel", rotel()) else {
        return;
    };
    let collector = start_collector(&rotel, "rotel-grpc");
    let endpoint = format!("http://127.0.0.1:{}", collector.grpc);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async { send_all_signals(endpoint, "grpc", "rotel-grpc-svc", "grpc") });
    sink_shows(
        &collector,
        &[
            "rotel_span",
            "rotel-grpc-svc",
            "rotel.test.grpc",
            "Body: Str(rotel log body grpc)",
        ],
    )
    .unwrap();
}

#[cfg(feature = "http")]
#[test]
fn traces_metrics_and_logs_over_http_protobuf_reach_the_sink_without_a_runtime() {
    let Some(rotel) = require("rotel", rotel()) else {
        return;
    };
    let collector = start_collector(&rotel, "rotel-http");
    let endpoint = format!("http://127.0.0.1:{}", collector.http);
    send_all_signals(endpoint, "http/protobuf", "rotel-http-svc", "http");
    sink_shows(
        &collector,
        &[
            "rotel_span",
            "rotel-http-svc",
            "rotel.test.http",
            "Body: Str(rotel log body http)",
        ],
    )
    .unwrap();
}
