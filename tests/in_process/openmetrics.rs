//! OpenMetrics on the scrape endpoint: Prometheus' `Accept` header gets OpenMetrics 1.0 text
//! that a strict parser (the Python `prometheus_client.openmetrics.parser`, in the test venv)
//! accepts — hostile label values, platform gauges with reserved-looking names and all; it
//! carries exactly the series of the 0.0.4 rendering; a client without that header gets 0.0.4.

use crate::common;

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

use marketplace_telemetry::marketplace::{ErrorCode, ItemType};
use marketplace_telemetry::{TelemetryConfig, OPENMETRICS_CONTENT_TYPE};
use opentelemetry::KeyValue;

/// What Prometheus 2.42 sends.
const PROMETHEUS_ACCEPT: &str = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

fn get(addr: SocketAddr, accept: Option<&str>) -> (String, String) {
    let mut stream = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let accept = accept
        .map(|a| format!("Accept: {a}\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "GET /metrics HTTP/1.0\r\nHost: {addr}\r\n{accept}\r\n"
    )
    .unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let content_type = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-type:")
                .map(|v| v.trim().to_string())
        })
        .unwrap_or_default();
    (content_type, body.to_string())
}

/// The series (name and labels) of each sample line.
fn series(body: &str) -> std::collections::BTreeSet<String> {
    body.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| l[..l.rfind(' ').unwrap()].to_string())
        .collect()
}

#[test]
fn prometheus_gets_openmetrics_a_strict_parser_accepts_with_the_same_series() {
    let telemetry = common::metrics_only(TelemetryConfig::builder());
    let metrics = telemetry.marketplace();
    metrics.search(ItemType::Plugin).fail(ErrorCode::Timeout);
    let pools = metrics.connection_pools(["main"]);
    pools.pool("main").set_max(4);
    metrics
        .rate_limiters(["api"])
        .limiter("api")
        .set_usage(1, 2);
    // Hostile label values: quotes, backslashes, newlines, non-ASCII, 200 characters.
    let hostile = [
        "a\"b",
        "back\\slash",
        "new\nline",
        "ünïcødé ✓",
        &"x".repeat(200),
    ];
    let counter = telemetry.meter().u64_counter("hostile.labels").build();
    for v in hostile {
        counter.add(1, &[KeyValue::new("value", v.to_string())]);
    }
    let addr = telemetry.scrape_addr().unwrap();

    let (om_type, om) = get(addr, Some(PROMETHEUS_ACCEPT));
    assert_eq!(om_type, OPENMETRICS_CONTENT_TYPE);
    assert!(
        om.ends_with("# EOF\n"),
        "{}",
        &om[om.len().saturating_sub(200)..]
    );
    assert!(
        om.contains("# TYPE marketplace_errors counter\n"),
        "counters are families without _total"
    );
    assert!(om.contains("marketplace_errors_total{"));
    assert!(om.contains("# UNIT marketplace_search_duration_seconds seconds\n"));
    assert!(om.contains("# TYPE target info\n"));
    let (text_type, text) = get(addr, None);
    assert_eq!(text_type, marketplace_telemetry::CONTENT_TYPE);
    assert!(!text.contains("# EOF"));
    assert_eq!(
        series(&om),
        series(&text),
        "OpenMetrics and 0.0.4 render the same series"
    );

    // The strict parser.
    let python = common::repo_root().join("target/tools-venv/bin/python");
    let Some(python) = common::require(
        "python with prometheus_client",
        Command::new(&python)
            .args(["-c", "import prometheus_client.openmetrics.parser"])
            .output()
            .is_ok_and(|o| o.status.success())
            .then_some(python),
    ) else {
        return;
    };
    let mut child = Command::new(python)
        .args([
            "-c",
            "import sys\nfrom prometheus_client.openmetrics.parser import text_string_to_metric_families as p\nprint(sum(len(f.samples) for f in p(sys.stdin.read())))",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(om.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the OpenMetrics parser refused our exposition: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let parsed: usize = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    assert_eq!(parsed, series(&om).len(), "every sample parsed");
    telemetry.shutdown().unwrap();
}
