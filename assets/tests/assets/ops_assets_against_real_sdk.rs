//! End to end: the demo service (the real SDK, with load and errors) scraped by a real
//! Prometheus that runs the shipped scrape config and rules. Every recording rule and every
//! dashboard panel query must return data; every alert expression either returns data or each
//! of its selectors does. The test lists every expression naming a series the SDK does not
//! export. The log-shipping config's fields are checked against the demo's real JSON lines.

use crate::common;

use std::time::{Duration, Instant};

use common::{assets_dir, require, temp_dir, which, Prometheus};

#[test]
fn every_rule_and_panel_query_returns_data_against_the_real_sdk() {
    end_to_end(None, marketplace_telemetry_assets::JOB);
}

/// The same, for the registry team's deployment: the demo with `--namespace mockforge`,
/// Prometheus scraping it as job `mockforge-registry`, the assets generated with
/// `--namespace mockforge --job mockforge-registry`.
#[test]
fn every_rule_and_panel_query_returns_data_for_another_namespace_and_job() {
    end_to_end(Some("mockforge"), "mockforge-registry");
}

fn end_to_end(namespace: Option<&str>, job: &str) {
    let Some(prometheus) = require("prometheus", which("prometheus")) else {
        return;
    };
    let dir = temp_dir(&format!("e2e-{job}"));
    let log = dir.join("demo.log");
    // OTLP logs on, to the same closed port as traces, with a small queue: the drop counters
    // the telemetry alerts watch must exist.
    let args: Vec<&str> = match namespace {
        Some(ns) => vec!["--namespace", ns],
        None => vec![],
    };
    // With a second demo as its storage service, so the dependency rules and panels have
    // client traffic (HTTP there; gRPC in every demo).
    let (_storage, _demo, scrape_port) = common::start_demo_with_downstream(
        &log,
        &[
            ("OTEL_LOGS_EXPORTER", "otlp"),
            ("OTEL_BLRP_MAX_QUEUE_SIZE", "16"),
        ],
        &args,
    );

    // The defaults are the committed files; otherwise generate them as a team would.
    let assets = if namespace.is_none() && job == marketplace_telemetry_assets::JOB {
        assets_dir()
    } else {
        let out = dir.join("assets");
        let options = marketplace_telemetry_assets::Options::new(namespace, job);
        for asset in marketplace_telemetry_assets::render_with(&options) {
            let path = out.join(asset.path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, asset.contents).unwrap();
        }
        out
    };
    let rule_files = common::rule_files(&assets);
    let target = std::net::SocketAddr::from(([127, 0, 0, 1], scrape_port));
    let config = common::shipped_prometheus_config(target, &rule_files, None)
        .replace("job_name: marketplace\n", &format!("job_name: {job}\n"));
    assert!(config.contains(&format!("job_name: {job}\n")), "{config}");
    let prom = Prometheus::start_with_config(&prometheus, &config);

    // What must return data.
    let mut must_have_data: Vec<(String, String)> = common::recording_selectors(&rule_files)
        .into_iter()
        .map(|selector| (format!("recording rule {selector}"), selector))
        .collect();
    let mut alerts: Vec<(String, String)> = Vec::new();
    for file in &rule_files {
        for (_, kind, name, expr, _) in common::rules(file) {
            if kind != "record" {
                alerts.push((name, expr));
            }
        }
    }
    for entry in std::fs::read_dir(assets.join("grafana/dashboards")).unwrap() {
        let path = entry.unwrap().path();
        let dash: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        for (title, expr) in common::panel_exprs(&dash) {
            must_have_data.push((
                format!("{file}: {title}"),
                common::substitute_grafana(&expr, job),
            ));
        }
    }
    for (alert, expr) in &alerts {
        for selector in common::selectors(expr).unwrap() {
            must_have_data.push((format!("alert {alert} selector"), selector));
        }
    }

    // Poll until everything has data (rates need two scrapes; errors need some traffic).
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut missing: Vec<(String, String)>;
    loop {
        missing = must_have_data
            .iter()
            .filter(|(_, q)| prom.samples(q).unwrap_or(0) == 0)
            .cloned()
            .collect();
        if missing.is_empty() || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_secs(2));
    }
    assert!(
        missing.is_empty(),
        "{} of {} queries return no data against the real SDK (names a series the SDK does not export, or no traffic):\n{}",
        missing.len(),
        must_have_data.len(),
        missing.iter().map(|(what, q)| format!("  {what}: {q}")).collect::<Vec<_>>().join("\n")
    );
    // Alert expressions themselves are valid PromQL for this Prometheus.
    for (alert, expr) in &alerts {
        assert!(
            prom.samples(expr).is_some(),
            "alert {alert}: query error for {expr}"
        );
    }

    // Log shipping: the promtail config's fields are in the demo's real JSON lines.
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert!(lines.len() > 10, "the demo wrote JSON logs:\n{text}");
    let in_span: Vec<&serde_json::Value> = lines.iter().filter(|l| l["span"].is_object()).collect();
    assert!(!in_span.is_empty(), "some lines are emitted inside spans");
    let promtail = std::fs::read_to_string(assets_dir().join("logging/promtail.yaml")).unwrap();
    let doc = &yaml_rust2::YamlLoader::load_from_str(&promtail).unwrap()[0];
    let json_stage = doc["scrape_configs"][0]["pipeline_stages"]
        .as_vec()
        .unwrap()
        .iter()
        .find(|s| !s["json"].is_badvalue())
        .unwrap()
        .clone();
    for (name, source) in json_stage["json"]["expressions"].as_hash().unwrap() {
        let source = source.as_str().unwrap();
        let lookup = |l: &serde_json::Value| source.split('.').fold(l.clone(), |v, k| v[k].clone());
        let present = in_span.iter().all(|l| !lookup(l).is_null());
        assert!(
            present,
            "promtail field {:?} (from {source}) missing in some JSON lines inside spans",
            name.as_str()
        );
    }
}
