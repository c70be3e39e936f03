//! Exemplars end to end: the demo under load exports its spans to a real rotel collector and is
//! scraped (OpenMetrics, negotiated) by a real Prometheus with exemplar storage on;
//! `/api/v1/query_exemplars` returns exemplars for the search and HTTP duration buckets, each
//! value lies in its bucket, and every exemplar's trace is one the collector received.

use crate::common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::{require, which, Collector, Prometheus};
use marketplace_telemetry::marketplace::catalog;

/// Every exemplar of `selector` as (bucket upper bound, value, trace id).
fn exemplars(prom: &Prometheus, selector: &str) -> Vec<(f64, f64, String)> {
    let end = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let path = format!(
        "/api/v1/query_exemplars?query={}&start={}&end={}",
        common::url_encode(selector),
        end - 600,
        end + 60
    );
    let Some(v) = prom.get(&path) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for series in v["data"].as_array().into_iter().flatten() {
        let le = series["seriesLabels"]["le"]
            .as_str()
            .and_then(|s| s.replace("+Inf", "inf").parse::<f64>().ok())
            .unwrap_or(f64::NAN);
        for e in series["exemplars"].as_array().into_iter().flatten() {
            let value = e["value"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .unwrap_or(f64::NAN);
            let trace = e["labels"]["trace_id"].as_str().unwrap_or("").to_string();
            out.push((le, value, trace));
        }
    }
    out
}

/// `value` lies in the bucket whose upper bound is `le`: (previous bound, le].
fn in_bucket(le: f64, value: f64, bounds: &[f64]) -> bool {
    let previous = bounds
        .iter()
        .copied()
        .filter(|b| *b < le)
        .fold(f64::NEG_INFINITY, f64::max);
    value > previous && value <= le
}

#[test]
fn exemplars_link_search_and_http_buckets_to_traces_the_collector_received() {
    let Some(prometheus) = require("prometheus", which("prometheus")) else {
        return;
    };
    let Some(rotel) = require("rotel", common::rotel()) else {
        return;
    };
    let collector = Collector::start(&rotel, "rotel-exemplars");
    let dir = common::temp_dir("exemplars");
    let endpoint = format!("http://127.0.0.1:{}", collector.grpc);
    let (_demo, scrape_port) = common::start_demo_with_args(
        &dir.join("demo.log"),
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
            ("OTEL_BSP_SCHEDULE_DELAY", "500"),
            ("OTEL_BSP_MAX_QUEUE_SIZE", "65536"),
            ("MARKETPLACE_OPERATION_EVENTS", "off"),
        ],
        &[],
    );
    let target = std::net::SocketAddr::from(([127, 0, 0, 1], scrape_port));
    let config = common::shipped_prometheus_config(target, &[], None);
    let prom =
        Prometheus::start_with_flags(&prometheus, &config, &["--enable-feature=exemplar-storage"]);

    let search = "marketplace_search_duration_seconds_bucket";
    let http = "http_server_request_duration_seconds_bucket";
    let deadline = Instant::now() + Duration::from_secs(60);
    let (found_search, found_http) = loop {
        let (s, h) = (exemplars(&prom, search), exemplars(&prom, http));
        if (s.len() >= 5 && h.len() >= 5) || Instant::now() > deadline {
            break (s, h);
        }
        std::thread::sleep(Duration::from_secs(2));
    };
    assert!(
        found_search.len() >= 5 && found_http.len() >= 5,
        "exemplars stored: search {}, http {} (Prometheus log: {})",
        found_search.len(),
        found_http.len(),
        std::fs::read_to_string(dir.join("demo.log"))
            .map(|t| t.len())
            .unwrap_or(0)
    );
    for (le, value, trace) in &found_search {
        assert!(
            in_bucket(*le, *value, catalog::SEARCH_DURATION.boundaries),
            "search exemplar {value} not in le={le}"
        );
        assert_eq!(trace.len(), 32, "{trace}");
    }
    for (le, value, trace) in &found_http {
        assert!(
            in_bucket(*le, *value, catalog::HTTP_DURATION_BUCKETS),
            "http exemplar {value} not in le={le}"
        );
        assert_eq!(trace.len(), 32, "{trace}");
    }

    // Every exemplar's trace reached the collector (spans are batched every 500 ms).
    let traces: BTreeSet<&str> = found_search
        .iter()
        .chain(&found_http)
        .map(|(_, _, t)| t.as_str())
        .collect();
    let mut missing: BTreeSet<&str> = traces.clone();
    common::wait_for(Duration::from_secs(30), || {
        let sink = collector.sink_text();
        missing.retain(|t| !sink.contains(t));
        missing.is_empty().then_some(())
    });
    println!(
        "exemplars: {} search, {} http stored; {} distinct traces, {} of them at the collector",
        found_search.len(),
        found_http.len(),
        traces.len(),
        traces.len() - missing.len()
    );
    assert!(
        missing.is_empty(),
        "{} of {} exemplar traces never reached the collector, e.g. {:?}",
        missing.len(),
        traces.len(),
        missing.iter().next()
    );
}
