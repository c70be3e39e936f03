//! The shipped agent → gateway topology, exercised: the SDK sends traces, metrics and logs to
//! a rotel agent run with `collector-config/rotel/agent.env`, which forwards to a rotel gateway
//! run with `gateway.env`, which forwards to the sink; every signal arrives at the end. The
//! settings are the shipped files' (their ports moved to free ones), passed as rotel's own
//! `ROTEL_*` environment variables.

use std::collections::HashMap;
use std::process::Command;

use crate::common;

use common::{env_map, free_port, repo_root, require, rotel, Capture, ChildGuard, Collector};
use marketplace_telemetry::{Telemetry, TelemetryConfig};

/// `KEY=VALUE` lines of a shipped env file (comments and blanks skipped).
fn env_file(name: &str) -> Vec<(String, String)> {
    let path = repo_root().join("collector-config/rotel").join(name);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Starts rotel with the file's settings, each shipped port replaced by `ports[port]`.
fn start(rotel: &std::path::Path, file: &str, ports: &HashMap<u16, u16>) -> (ChildGuard, u16) {
    let mut cmd = Command::new(rotel);
    cmd.env("NO_COLOR", "1").arg("start");
    let mut grpc = 0;
    for (key, value) in env_file(file) {
        let mut value = value;
        for (shipped, free) in ports {
            value = value.replace(&format!(":{shipped}"), &format!(":{free}"));
        }
        if key == "ROTEL_OTLP_GRPC_ENDPOINT" {
            grpc = value.rsplit(':').next().unwrap().parse().unwrap();
        }
        cmd.env(key, value);
    }
    let log = common::temp_dir(&format!("topology-{file}")).join("rotel.out");
    let out = std::fs::File::create(&log).unwrap();
    cmd.stdout(out.try_clone().unwrap()).stderr(out);
    let mut child = ChildGuard::spawn("rotel", &mut cmd);
    assert!(
        child.serves(grpc),
        "rotel with {file} did not serve :{grpc}"
    );
    (child, grpc)
}

#[test]
fn every_signal_crosses_the_shipped_agent_and_gateway_to_the_sink() {
    let Some(rotel) = require("rotel", rotel()) else {
        return;
    };
    // The sink: the test harness's (decodes and prints every signal).
    let sink = Collector::start(&rotel, "topology-sink");
    let sink_grpc = sink.grpc; // the sink pair's front: forwards to its printing sink
    let ports: HashMap<u16, u16> = [
        (4317, free_port()),
        (4318, free_port()),
        (24317, free_port()),
        (24318, free_port()),
        (14317, sink_grpc),
    ]
    .into_iter()
    .collect();
    let (_gateway, _) = start(&rotel, "gateway.env", &ports);
    let (_agent, agent_grpc) = start(&rotel, "agent.env", &ports);

    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let config = TelemetryConfig::builder()
            .with_log_writer(Capture::default().writer())
            .with_prometheus_port(0)
            .build_from(env_map(&[
                ("OTEL_SERVICE_NAME", "topology-svc"),
                (
                    "OTEL_EXPORTER_OTLP_ENDPOINT",
                    &format!("http://127.0.0.1:{agent_grpc}"),
                ),
                ("OTEL_METRICS_EXPORTER", "prometheus,otlp"),
                ("OTEL_LOGS_EXPORTER", "otlp"),
                ("OTEL_BSP_SCHEDULE_DELAY", "100"),
                ("OTEL_METRIC_EXPORT_INTERVAL", "500"),
            ]))
            .unwrap();
        let telemetry = Telemetry::build(config).unwrap();
        tracing::dispatcher::with_default(telemetry.dispatch(), || {
            let span = tracing::info_span!("topology_span");
            let _g = span.enter();
            tracing::info!("topology log body");
        });
        telemetry
            .meter()
            .u64_counter("topology.test.counter")
            .build()
            .add(3, &[]);
        telemetry.shutdown().expect("shutdown flushes to the agent");
    });
    sink.sink_shows(&[
        "topology_span",
        "topology-svc",
        "topology.test.counter",
        "Body: Str(topology log body)",
    ])
    .unwrap();
}
