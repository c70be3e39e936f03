//! Prometheus negotiates OpenMetrics with our scrape endpoint; under either Prometheus
//! translation strategy, the series a real Prometheus stores from it are exactly the series
//! of the 0.0.4 text rendering (issue 25, item 6: without suffixes, OpenMetrics used to turn
//! every counter `x` into `x_total`).

use crate::common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::{metrics_only, require, wait_for, which};
use marketplace_telemetry::config::PrometheusTranslation;
use marketplace_telemetry::marketplace::{ErrorCode, ItemType};
use marketplace_telemetry::TelemetryConfig;
use opentelemetry::KeyValue;

/// `name{k="v",…}` with labels sorted and values unescaped, from a 0.0.4 sample line.
fn text_series(line: &str) -> String {
    let (name, rest) = match line.find('{') {
        Some(i) => (&line[..i], &line[i + 1..]),
        None => return canonical(line.split(' ').next().unwrap_or(line), Vec::new()),
    };
    let mut labels = Vec::new();
    let mut chars = rest.chars().peekable();
    loop {
        let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
        let key = key.trim_start_matches(',').to_string();
        if key.is_empty() || key.starts_with('}') {
            break;
        }
        assert_eq!(chars.next(), Some('"'));
        let mut value = String::new();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some('n') => value.push('\n'),
                    Some(other) => value.push(other),
                    None => break,
                },
                '"' => break,
                c => value.push(c),
            }
        }
        labels.push((key, value));
        if chars.peek() == Some(&'}') {
            break;
        }
    }
    canonical(name, labels)
}

fn canonical(name: &str, mut labels: Vec<(String, String)>) -> String {
    labels.sort();
    let inner: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
    format!("{name}{{{}}}", inner.join(","))
}

/// Prometheus' own series for a scrape, not the target's.
const SYNTHETIC: &[&str] = &[
    "up",
    "scrape_duration_seconds",
    "scrape_samples_scraped",
    "scrape_samples_post_metric_relabeling",
    "scrape_series_added",
];

#[test]
fn prometheus_stores_the_text_formats_series_under_both_translation_strategies() {
    let Some(prometheus) = require("prometheus", which("prometheus")) else {
        return;
    };
    for strategy in [
        PrometheusTranslation::UnderscoreEscapingWithSuffixes,
        PrometheusTranslation::UnderscoreEscapingWithoutSuffixes,
    ] {
        let telemetry = metrics_only(
            TelemetryConfig::builder()
                .with_service_name("om-test")
                .with_prometheus_translation(strategy)
                .with_process_metrics(false),
        );
        let metrics = telemetry.marketplace();
        metrics.search(ItemType::Plugin).succeed();
        metrics.install(ItemType::Package).fail(ErrorCode::Timeout);
        metrics.cache("default").hit();
        let breakers = telemetry.platform().circuit_breakers(["rdf"]);
        breakers.breaker("rdf").record_failure();
        let meter = telemetry.meter();
        meter
            .u64_counter("om.test.requests")
            .with_unit("{request}")
            .build()
            .add(3, &[KeyValue::new("quote", "say \"hi\"\\n")]);
        meter
            .f64_counter("om.test.bytes")
            .with_unit("By")
            .build()
            .add(1.5, &[]);

        let prom = common::Prometheus::start(&prometheus, &[telemetry.scrape_addr().unwrap()], "");
        prom.wait_up(1);
        let text = telemetry.scrape_handler().unwrap().render();
        let want: BTreeSet<String> = text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .map(text_series)
            .collect();
        // What Prometheus stored, once a scrape after the recordings has landed.
        let stored = wait_for(Duration::from_secs(30), || {
            let v = prom.get(&format!(
                "/api/v1/series?match[]={}",
                common::url_encode("{job=\"sdk\"}")
            ))?;
            let got: BTreeSet<String> = v["data"]
                .as_array()?
                .iter()
                .filter_map(|s| {
                    let map = s.as_object()?;
                    let name = map.get("__name__")?.as_str()?;
                    if SYNTHETIC.contains(&name) {
                        return None;
                    }
                    let labels = map
                        .iter()
                        .filter(|(k, _)| !matches!(k.as_str(), "__name__" | "job" | "instance"))
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                        .collect();
                    Some(canonical(name, labels))
                })
                .collect();
            (got.len() >= want.len()).then_some(got)
        })
        .unwrap_or_default();
        let targets = prom.get("/api/v1/targets").unwrap();
        let active = &targets["data"]["activeTargets"][0];
        assert_eq!(active["lastError"], "", "{strategy:?}: {active}");
        let missing: Vec<_> = want.difference(&stored).collect();
        let extra: Vec<_> = stored.difference(&want).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{strategy:?}: Prometheus stored other series than the 0.0.4 text has\n\
             missing: {missing:#?}\nextra: {extra:#?}"
        );
        // The strategy really differs: a suffix-less counter keeps its bare name.
        let bare = strategy == PrometheusTranslation::UnderscoreEscapingWithoutSuffixes;
        assert_eq!(
            want.iter().any(|s| s.starts_with("om_test_requests{")),
            bare,
            "{strategy:?}"
        );
        telemetry.shutdown().unwrap();
    }
}
