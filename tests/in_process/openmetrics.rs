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
        .map(|l| {
            let l = l.split(" # {").next().unwrap();
            l[..l.rfind(' ').unwrap()].to_string()
        })
        .collect()
}

#[test]
fn prometheus_gets_openmetrics_a_strict_parser_accepts_with_the_same_series() {
    let telemetry = common::metrics_only(TelemetryConfig::builder());
    let metrics = telemetry.marketplace();
    metrics.search(ItemType::Plugin).fail(ErrorCode::Timeout);
    // Exemplars on some lines too (the parser checks their syntax and the 128-character limit).
    let _ = in_sampled_span(|| {
        metrics.search(ItemType::Package).fail(ErrorCode::NotFound);
        metrics.install(ItemType::Package).succeed();
    });
    let pools = telemetry.platform().connection_pools(["main"]);
    pools.pool("main").set_max(4);
    telemetry
        .platform()
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
    assert!(om.contains(" # {trace_id=\""), "exemplars are rendered");
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

/// Runs `f` inside an active, sampled OpenTelemetry span; returns its trace and span id (hex).
fn in_sampled_span<R>(f: impl FnOnce() -> R) -> (R, String, String) {
    use opentelemetry::trace::{Span as _, TraceContextExt as _, Tracer as _, TracerProvider as _};
    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
    let tracer = provider.tracer("test");
    let span = tracer.start("request");
    let sc = span.span_context().clone();
    let cx = opentelemetry::Context::current_with_span(span);
    let guard = cx.attach();
    let r = f();
    drop(guard);
    (r, sc.trace_id().to_string(), sc.span_id().to_string())
}

/// The sample lines of `family_bucket` carrying an exemplar.
fn exemplar_lines<'a>(body: &'a str, family: &str) -> Vec<&'a str> {
    body.lines()
        .filter(|l| l.starts_with(family) && l.contains(" # {"))
        .collect()
}

#[test]
fn a_slow_bucket_links_to_its_trace_and_nothing_else_gets_one() {
    let telemetry = common::metrics_only(TelemetryConfig::builder());
    let metrics = telemetry.marketplace();
    let handler = telemetry.scrape_handler().unwrap();
    // Outside a span: no exemplar (trace_based).
    metrics.install(ItemType::Package).succeed();
    // Inside a sampled span: a slow search, and a failed one.
    let ((), trace, span) = in_sampled_span(|| {
        let op = metrics.search(ItemType::Plugin);
        std::thread::sleep(Duration::from_millis(120));
        op.succeed();
        metrics.search(ItemType::Template).fail(ErrorCode::Timeout);
    });
    let om = handler.render_format(marketplace_telemetry::ExpositionFormat::OpenMetrics);
    let lines = exemplar_lines(&om, "marketplace_search_duration_seconds_bucket");
    let slow: Vec<&&str> = lines
        .iter()
        .filter(|l| l.contains("item_type=\"plugin\"") && l.contains("outcome=\"success\""))
        .collect();
    assert_eq!(
        slow.len(),
        1,
        "one exemplar, in the slow request's bucket: {lines:#?}"
    );
    let line = slow[0];
    assert!(
        line.contains(&format!("# {{trace_id=\"{trace}\",span_id=\"{span}\"}}")),
        "{line}"
    );
    // Its value lies in its bucket: (previous bound, le].
    let le: f64 = line
        .split("le=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let value: f64 = line
        .split("} ")
        .nth(2)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let buckets = marketplace_telemetry::marketplace::catalog::SEARCH_DURATION.boundaries;
    let previous = buckets
        .iter()
        .copied()
        .filter(|b| *b < le)
        .fold(0.0, f64::max);
    assert!(
        value > previous && value <= le && value >= 0.12,
        "{value} in ({previous}, {le}]"
    );
    // The error counter carries the failure's trace.
    let errors = exemplar_lines(&om, "marketplace_errors_total");
    assert!(
        errors
            .iter()
            .any(|l| l.contains("error_code=\"timeout\"") && l.contains(&trace)),
        "{errors:#?}"
    );
    assert!(exemplar_lines(&om, "marketplace_install_duration_seconds").is_empty());
    // The text format has none.
    assert!(!handler.render().contains(" # {"));
    telemetry.shutdown().unwrap();
}

#[test]
fn the_exemplar_filter_is_obeyed() {
    use marketplace_telemetry::ExemplarFilter;
    for (filter, expect) in [
        (ExemplarFilter::AlwaysOff, None),
        (ExemplarFilter::AlwaysOn, Some("# {} ")),
    ] {
        let telemetry =
            common::metrics_only(TelemetryConfig::builder().with_exemplar_filter(filter));
        let metrics = telemetry.marketplace();
        metrics.download(ItemType::Plugin).succeed(); // outside any span
        let _ = in_sampled_span(|| metrics.publish(ItemType::Plugin).succeed());
        let om = telemetry
            .scrape_handler()
            .unwrap()
            .render_format(marketplace_telemetry::ExpositionFormat::OpenMetrics);
        let download = exemplar_lines(&om, "marketplace_download_duration_seconds_bucket");
        let publish = exemplar_lines(&om, "marketplace_publish_duration_seconds_bucket");
        match expect {
            None => assert!(download.is_empty() && publish.is_empty(), "{filter:?}"),
            Some(untraced) => {
                assert!(
                    download.iter().any(|l| l.contains(untraced)),
                    "{download:#?}"
                );
                assert!(
                    publish.iter().any(|l| l.contains("trace_id=")),
                    "{publish:#?}"
                );
            }
        }
        telemetry.shutdown().unwrap();
    }
}
