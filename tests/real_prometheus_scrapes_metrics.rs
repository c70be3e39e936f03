//! A real Prometheus scrapes our `/metrics`: the target is up with no `lastError`, a counter the
//! test recorded is queryable with its value and labels, and `promtool check metrics` accepts
//! the scrape body.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{
    env_map, free_port, http_get, require, temp_dir, wait_for, which, Capture, ChildGuard,
};
use marketplace_telemetry::{Telemetry, TelemetryConfig};
use opentelemetry::KeyValue;

#[test]
fn real_prometheus_scrapes_our_endpoint_and_promtool_accepts_it() {
    let Some(prometheus) = require("prometheus", which("prometheus")) else {
        return;
    };
    let Some(promtool) = require("promtool", which("promtool")) else {
        return;
    };

    let config = TelemetryConfig::builder()
        .with_service_name("scrape-test")
        .with_log_writer(Capture::default().writer())
        .build_from(env_map(&[
            ("OTEL_TRACES_EXPORTER", "none"),
            ("OTEL_EXPORTER_PROMETHEUS_PORT", "0"),
        ]))
        .unwrap();
    let telemetry = Telemetry::build(config).unwrap();
    let target = telemetry.scrape_addr().unwrap();
    let meter = telemetry.meter();
    meter
        .u64_counter("marketplace.test.installs")
        .with_description("Installs recorded by the test.")
        .build()
        .add(
            7,
            &[
                KeyValue::new("item_type", "plugin"),
                KeyValue::new("outcome", "success"),
            ],
        );
    meter
        .f64_histogram("marketplace.test.duration")
        .with_unit("s")
        .with_description("A test duration.")
        .with_boundaries(vec![0.1, 0.2, 0.5])
        .build()
        .record(0.15, &[KeyValue::new("item_type", "plugin")]);

    // promtool lints the exposition exactly as served.
    let (status, body) = http_get(target, "/metrics").unwrap();
    assert_eq!(status, 200);
    let mut lint = Command::new(&promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    lint.stdin
        .take()
        .unwrap()
        .write_all(body.as_bytes())
        .unwrap();
    let out = lint.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics failed ({:?}):\n{}{}\n--- body ---\n{body}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    // A real Prometheus scrapes it.
    let dir = temp_dir("prometheus");
    let port = free_port();
    std::fs::write(
        dir.join("prometheus.yml"),
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: sdk\n    static_configs:\n      - targets: ['{target}']\n"
        ),
    )
    .unwrap();
    let log = std::fs::File::create(dir.join("prometheus.log")).unwrap();
    let _prom = ChildGuard::spawn(
        "prometheus",
        Command::new(&prometheus)
            .arg(format!(
                "--config.file={}",
                dir.join("prometheus.yml").display()
            ))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(log.try_clone().unwrap())
            .stderr(log),
    );
    let api = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let query = |q: &str| -> Option<serde_json::Value> {
        let path = format!("/api/v1/query?query={}", percent(q));
        let (status, body) = http_get(api, &path).ok()?;
        (status == 200)
            .then(|| serde_json::from_str(&body).ok())
            .flatten()
    };

    let up = wait_for(Duration::from_secs(30), || {
        let v = query("up{job=\"sdk\"}")?;
        let value = v["data"]["result"][0]["value"][1].as_str()?.to_string();
        (value == "1").then_some(value)
    });
    assert_eq!(
        up.as_deref(),
        Some("1"),
        "target never up; log: {}",
        dir.display()
    );

    let (_, targets) = http_get(api, "/api/v1/targets").unwrap();
    let targets: serde_json::Value = serde_json::from_str(&targets).unwrap();
    let active = &targets["data"]["activeTargets"][0];
    assert_eq!(active["health"], "up", "{active}");
    assert_eq!(active["lastError"], "", "{active}");

    let series = wait_for(Duration::from_secs(20), || {
        let v = query("marketplace_test_installs_total")?;
        let r = v["data"]["result"].as_array()?.first()?.clone();
        Some(r)
    })
    .expect("counter queryable");
    assert_eq!(series["value"][1], "7");
    assert_eq!(series["metric"]["item_type"], "plugin");
    assert_eq!(series["metric"]["outcome"], "success");

    let count = query("marketplace_test_duration_seconds_count").unwrap();
    assert_eq!(count["data"]["result"][0]["value"][1], "1", "{count}");
    let bucket = query("marketplace_test_duration_seconds_bucket{le=\"0.2\"}").unwrap();
    assert_eq!(bucket["data"]["result"][0]["value"][1], "1", "{bucket}");

    telemetry.shutdown().unwrap();
}

fn percent(q: &str) -> String {
    q.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'-' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
