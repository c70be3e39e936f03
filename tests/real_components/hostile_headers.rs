//! Hostile propagation headers at a real server: the demo (all five propagators on, debug logs)
//! answers every request with malformed `traceparent`, `tracestate`, `b3`, `X-B3-*`,
//! `X-Amzn-Trace-Id` and oversized `baggage` without a 5xx; each request's server span reaches
//! the collector (rotel) as a new root, none in a trace a header named; no header value reaches
//! the logs or a metric label.

use std::net::SocketAddr;

use crate::common;

use common::{
    answers_200, http_get, http_request_with, require, rotel, sink_spans, spawn_on_free_port,
    temp_dir, wait_for, Collector,
};

const SENTINEL: &str = "h0stile5entinel";

/// (header, value) pairs, each sent on its own request.
fn hostile() -> Vec<Vec<(&'static str, String)>> {
    let long = "a".repeat(10_000);
    let zero_trace = "00000000000000000000000000000000";
    let named = "4bf92f3577b34da6a3ce929d0e0e4736";
    vec![
        vec![(
            "traceparent",
            format!("00-{zero_trace}-00f067aa0ba902b7-01"),
        )],
        vec![("traceparent", format!("00-{named}-0000000000000000-01"))],
        vec![("traceparent", format!("ff-{named}-00f067aa0ba902b7-01"))],
        vec![("traceparent", format!("00-{named}-00f067aa0ba902b7-zz"))],
        vec![(
            "traceparent",
            format!("00-{SENTINEL}{SENTINEL}-00f067aa0ba902b7-01"),
        )],
        vec![("traceparent", format!("00-{named}{long}"))],
        vec![
            ("traceparent", format!("00-{named}-00f067aa0ba902b7")),
            ("tracestate", format!("{SENTINEL}=,,=,{long}")),
        ],
        vec![("b3", format!("{SENTINEL}-{named}-1"))],
        vec![("b3", format!("{named}-00f067aa0ba902b7-{long}"))],
        vec![
            ("X-B3-TraceId", format!("{named}{SENTINEL}")),
            ("X-B3-SpanId", "xyz".to_string()),
            ("X-B3-Sampled", "2".to_string()),
        ],
        vec![(
            "X-Amzn-Trace-Id",
            format!("Root=1-{SENTINEL};Parent=;Sampled=9"),
        )],
        vec![("X-Amzn-Trace-Id", format!("Root={long}"))],
        vec![(
            "baggage",
            (0..500)
                .map(|i| format!("k{i}={SENTINEL}{i}"))
                .collect::<Vec<_>>()
                .join(","),
        )],
        vec![("baggage", format!("user={SENTINEL}{long}"))],
    ]
}

#[test]
fn hostile_propagation_headers_start_new_roots_and_are_never_logged_or_labelled() {
    let Some(rotel) = require("rotel", rotel()) else {
        return;
    };
    let collector = Collector::start(&rotel, "hostile-headers");
    let dir = temp_dir("hostile-headers");
    let log_path = dir.join("demo.log");
    let demo_binary = common::demo_binary();
    let otlp = format!("http://127.0.0.1:{}", collector.grpc);
    let scrape_port = common::free_port();
    let (mut demo, port) = spawn_on_free_port(
        "marketplace_demo",
        |port| {
            let log = std::fs::File::create(&log_path).unwrap();
            let mut cmd = std::process::Command::new(&demo_binary);
            cmd.args(["--port", &port.to_string(), "--no-load"])
                .env("OTEL_SERVICE_NAME", "hostile")
                .env("OTEL_EXPORTER_OTLP_ENDPOINT", &otlp)
                .env("OTEL_BSP_SCHEDULE_DELAY", "200")
                .env("OTEL_PROPAGATORS", "tracecontext,baggage,b3,b3multi,xray")
                .env("OTEL_EXPORTER_PROMETHEUS_PORT", scrape_port.to_string())
                .env("RUST_LOG", "debug")
                .env("RUST_LOG_FORMAT", "json")
                .stdout(log.try_clone().unwrap())
                .stderr(log);
            cmd
        },
        |port| answers_200(port, "/health"),
    );
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let cases = hostile();
    for (i, headers) in cases.iter().enumerate() {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, _) = http_request_with(addr, "GET", &format!("/packages/h{i}"), &headers)
            .unwrap_or_else(|e| panic!("case {i} {headers:?}: {e}"));
        assert!(
            (200..500).contains(&status) || status == 431,
            "case {i}: status {status}"
        );
    }
    assert!(demo.serves(port), "the demo survived");

    let done = wait_for(std::time::Duration::from_secs(30), || {
        let roots: Vec<_> = sink_spans(&collector.sink_text())
            .into_iter()
            // The HTTP requests' server spans (the demo's own gRPC health checks are others).
            .filter(|s| {
                s.service == "hostile" && s.kind == "SPAN_KIND_SERVER" && s.name.starts_with("GET ")
            })
            .collect();
        (roots.len() >= cases.len()).then_some(roots)
    });
    let servers = done.unwrap_or_else(|| {
        panic!(
            "not every request's server span arrived:\n{}",
            collector.sink_text()
        )
    });
    for span in &servers {
        assert_eq!(span.parent_id, "", "a new root: {span:?}");
        assert_ne!(span.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_ne!(span.trace_id, "00000000000000000000000000000000");
    }

    let (_, scrape) =
        http_get(SocketAddr::from(([127, 0, 0, 1], scrape_port)), "/metrics").unwrap();
    assert!(!scrape.contains(SENTINEL), "a header value became a label");
    drop(demo);
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        log.contains("\"level\":\"DEBUG\""),
        "debug logs were on (the check below means something)"
    );
    assert!(!log.contains(SENTINEL), "a header value was logged");
    assert!(
        !collector.sink_text().contains(SENTINEL),
        "a header value was exported"
    );
}
