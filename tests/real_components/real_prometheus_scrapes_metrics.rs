//! A real Prometheus scrapes our `/metrics`: the target is up with no `lastError`, a counter the
//! test recorded is queryable with its value and labels, and `promtool check metrics` accepts
//! the scrape body.

use crate::common;

use std::time::Duration;

use common::{http_get, metrics_only, require, wait_for, which};
use marketplace_telemetry::TelemetryConfig;
use opentelemetry::KeyValue;

#[test]
fn real_prometheus_scrapes_our_endpoint_and_promtool_accepts_it() {
    let Some(prometheus) = require("prometheus", which("prometheus")) else {
        return;
    };
    let Some(promtool) = require("promtool", which("promtool")) else {
        return;
    };

    let telemetry = metrics_only(TelemetryConfig::builder().with_service_name("scrape-test"));
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
    if let Err(findings) = common::promtool_check_metrics(&promtool, &body) {
        panic!("{findings}\n--- body ---\n{body}");
    }

    // A real Prometheus scrapes it.
    let prom = common::Prometheus::start(&prometheus, &[target], "");
    prom.wait_up(1);
    let query = |q: &str| prom.query(q);
    let targets = prom.get("/api/v1/targets").unwrap();
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

#[test]
fn every_catalog_instrument_is_scraped_with_its_prometheus_name_and_exact_labels() {
    use marketplace_telemetry::marketplace::{catalog, ErrorCode, ItemType, QueryKind};
    let Some(prometheus) = require("prometheus", which("prometheus")) else {
        return;
    };
    let Some(promtool) = require("promtool", which("promtool")) else {
        return;
    };

    let telemetry = metrics_only(TelemetryConfig::builder().with_caches(["search"]));
    let m = telemetry.marketplace();
    let op = m.search(ItemType::Plugin);
    op.results(3);
    op.succeed();
    m.install(ItemType::Package).fail(ErrorCode::Timeout);
    m.publish(ItemType::Template).succeed();
    m.download(ItemType::Scenario).succeed();
    m.rdf_query(QueryKind::Select).succeed();
    let cache = m.cache("search");
    cache.lookup().hit();
    cache.set_entries(10);
    m.set_items(ItemType::Plugin, 5);
    let _in_flight = m.download(ItemType::Plugin); // keeps operations.active non-zero

    let body = telemetry.scrape_handler().unwrap().render();
    if let Err(findings) = common::promtool_check_metrics(&promtool, &body) {
        panic!("{findings}");
    }
    let prom = common::Prometheus::start(&prometheus, &[telemetry.scrape_addr().unwrap()], "");
    prom.wait_up(1);
    let mut problems = Vec::new();
    for spec in catalog::CATALOG {
        let name = spec.prometheus_name(None);
        let family = if spec.kind == catalog::Kind::Histogram {
            format!("{name}_count")
        } else {
            name.clone()
        };
        let series = common::wait_for(Duration::from_secs(20), || {
            let v = prom.get(&format!(
                "/api/v1/series?match[]={}",
                common::url_encode(&family)
            ))?;
            let list = v["data"].as_array()?.clone();
            (!list.is_empty()).then_some(list)
        });
        let Some(series) = series else {
            problems.push(format!("{family}: no series scraped"));
            continue;
        };
        for s in series {
            let mut labels: Vec<String> = s
                .as_object()
                .unwrap()
                .keys()
                .filter(|k| !matches!(k.as_str(), "__name__" | "job" | "instance"))
                .cloned()
                .collect();
            labels.sort();
            let mut expected: Vec<String> = spec.labels.iter().map(|l| l.to_string()).collect();
            expected.sort();
            if labels != expected {
                problems.push(format!(
                    "{family}: labels {labels:?}, catalog says {expected:?}"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
    drop(_in_flight);
    telemetry.shutdown().unwrap();
}

#[test]
fn a_namespace_renders_as_documented_on_the_scrape() {
    use marketplace_telemetry::marketplace::ItemType;
    let telemetry = metrics_only(
        TelemetryConfig::builder()
            .with_metrics_namespace("mockforge")
            .with_scrape_endpoint(false),
    );
    telemetry.marketplace().search(ItemType::Plugin).succeed();
    let body = telemetry.scrape_handler().unwrap().render();
    assert!(
        body.contains("mockforge_marketplace_search_duration_seconds_bucket{item_type=\"plugin\",outcome=\"success\",le=\"0.1\"} 1"),
        "{body}"
    );
    assert!(
        !body.contains("\nmarketplace_search"),
        "un-prefixed series leaked"
    );
    telemetry.shutdown().unwrap();
}

/// With every platform handle registered, `promtool check metrics` flags exactly one thing:
/// the semantic-convention gauge `db_client_connection_count`, whose name ends in `_count`
/// (promtool reserves that suffix for histograms and summaries). The name is the semantic
/// conventions' — what every other language's SDK exports and the shipped rules query — so it
/// is kept; the README says so.
#[test]
fn promtool_flags_only_the_semconv_connection_count_name() {
    use marketplace_telemetry::platform::{BreakerState, GenAiOperation};
    let Some(promtool) = require("promtool", which("promtool")) else {
        return;
    };
    let telemetry = metrics_only(TelemetryConfig::builder());
    let m = telemetry.platform();
    let pools = m.connection_pools(["main"]);
    pools.pool("main").set_max(4);
    let db = m.db_client("postgresql", ["SELECT"], ["packages"]);
    db.query("SELECT", "packages").succeed();
    let queues = m.messaging("rabbitmq", ["installs"]);
    queues.queue("installs").sent(1);
    let llm = m.gen_ai([GenAiOperation::Chat], [("openai", "gpt-4o")]);
    llm.call(GenAiOperation::Chat, "openai", "gpt-4o").succeed();
    m.circuit_breakers(["rdf"])
        .breaker("rdf")
        .set_state(BreakerState::Open);
    m.rate_limiters(["api"]).limiter("api").record(false);

    let body = telemetry.scrape_handler().unwrap().render();
    let findings = match common::promtool_check_metrics(&promtool, &body) {
        Ok(()) => String::new(),
        Err(f) => f,
    };
    let lines: Vec<&str> = findings
        .lines()
        .filter(|l| !l.starts_with("promtool check metrics exit") && !l.trim().is_empty())
        .collect();
    assert!(
        !lines.is_empty()
            && lines
                .iter()
                .all(|l| l.starts_with("db_client_connection_count ")),
        "promtool's findings should be the semconv connection count name only:\n{findings}"
    );
    telemetry.shutdown().unwrap();
}
