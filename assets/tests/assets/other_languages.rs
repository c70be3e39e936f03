//! The platform assets serve services in other languages: a service instrumented with the
//! official OpenTelemetry Python SDK and its Prometheus exporter (`python_service.py`: HTTP
//! server, DB client and pool, GenAI instruments the semconv way) is scraped by a real
//! Prometheus loaded with the generated platform rules (`--job` set to its job): every HTTP, DB
//! and GenAI recording rule, alert selector and dashboard panel returns data — though its series
//! carry `otel_scope_*` labels and empty `error_type=""` on success, as that exporter writes them.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::{self, require, temp_dir, which, Prometheus};

fn python() -> Option<PathBuf> {
    let py = common::repo_root().join("target/tools-venv/bin/python");
    let ok = Command::new(&py)
        .args(["-c", "import opentelemetry.exporter.prometheus"])
        .output()
        .is_ok_and(|o| o.status.success());
    ok.then_some(py)
}

/// Semconv (not ours): what another language's official SDK records.
fn is_semconv(expr: &str) -> bool {
    [
        "http_server_",
        "db_client_",
        "gen_ai_client_",
        "http_client_",
        "rpc_client_",
        "messaging_client_",
        "messaging_process_",
        "platform:http",
        "platform:db",
        "platform:gen_ai",
        "platform:messaging",
        "dependency:",
    ]
    .iter()
    .any(|m| expr.contains(m))
        && !expr.contains("marketplace_")
}

/// The Python service (`healthy`: it never fails) scraped by a Prometheus loaded with the
/// generated platform and dependency rules for `job`; the rule files.
fn python_service_and_prometheus(
    job: &str,
    healthy: bool,
) -> Option<(common::ChildGuard, Prometheus, Vec<PathBuf>, PathBuf)> {
    let prometheus = require("prometheus", which("prometheus"))?;
    let python = require("python with opentelemetry-exporter-prometheus", python())?;
    let dir = temp_dir("other-languages");
    let script = common::repo_root().join("assets/tests/assets/python_service.py");
    let (service, port) = common::spawn_on_free_port(
        "python service",
        |port| {
            let mut c = Command::new(&python);
            c.arg(&script).arg(port.to_string());
            if healthy {
                c.arg("--healthy");
            }
            c
        },
        |port| common::answers_200(port, "/metrics"),
    );

    // The assets as a team running this service generates them.
    let out = dir.join("assets");
    let options = marketplace_telemetry_assets::Options::new(None, job);
    for asset in marketplace_telemetry_assets::render_with(&options) {
        let path = out.join(asset.path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, asset.contents).unwrap();
    }
    let rules_dir = out.join("prometheus/rules");
    let rule_files = vec![
        rules_dir.join("platform-recording.yml"),
        rules_dir.join("platform-alerts.yml"),
        rules_dir.join("dependencies-recording.yml"),
        rules_dir.join("dependencies-alerts.yml"),
    ];
    let target = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let config = common::shipped_prometheus_config(target, &rule_files, None)
        .replace("job_name: marketplace\n", &format!("job_name: {job}\n"));
    let prom = Prometheus::start_with_config(&prometheus, &config);
    Some((service, prom, rule_files, out))
}

/// A service of the official Python SDK that has not failed yet has no error series: every
/// error ratio reads 0 — not "no data" — so the panel shows 0 % and the alert can tell healthy
/// from absent.
#[test]
fn a_python_service_that_never_failed_reads_zero_error_ratios() {
    let job = "py-healthy";
    let Some((_service, prom, _, _)) = python_service_and_prometheus(job, true) else {
        return;
    };
    let ratios = [
        "platform:http_server_5xx:ratio_rate5m",
        "platform:gen_ai_errors:ratio_rate5m",
        "dependency:http_client_errors:ratio_rate5m",
        "dependency:rpc_client_errors:ratio_rate5m",
    ];
    let value = |q: &str| -> Option<Vec<f64>> {
        let r = prom.get(&format!("/api/v1/query?query={}", common::url_encode(q)))?;
        let result = r["data"]["result"].as_array()?;
        (!result.is_empty()).then(|| {
            result
                .iter()
                .filter_map(|s| s["value"][1].as_str()?.parse().ok())
                .collect()
        })
    };
    let deadline = Instant::now() + Duration::from_secs(90);
    let read = loop {
        let read: Vec<_> = ratios.iter().map(|q| (*q, value(q))).collect();
        if read.iter().all(|(_, v)| v.is_some()) || Instant::now() > deadline {
            break read;
        }
        std::thread::sleep(Duration::from_secs(2));
    };
    for (q, v) in &read {
        let v = v
            .as_ref()
            .unwrap_or_else(|| panic!("{q}: no data for a healthy service"));
        assert!(v.iter().all(|x| *x == 0.0), "{q}: {v:?}");
    }
    // The scenario is real: the service has no failure series at all.
    for q in [
        "http_server_request_duration_seconds_count{http_response_status_code=~\"5..\"}",
        "gen_ai_client_operation_duration_seconds_count{error_type!=\"\"}",
    ] {
        assert_eq!(prom.samples(q), Some(0), "{q}");
    }
}

#[test]
fn a_python_service_gets_every_semconv_platform_rule_and_panel() {
    let job = "py-registry";
    let Some((_service, prom, rule_files, out)) = python_service_and_prometheus(job, false) else {
        return;
    };
    let mut must_have_data: Vec<(String, String)> = common::recording_selectors(&rule_files)
        .into_iter()
        .filter(|s| is_semconv(s))
        .map(|s| (format!("recording rule {s}"), s))
        .collect();
    let mut alerts = 0;
    for file in &rule_files {
        for (_, kind, name, expr, _) in common::rules(file) {
            if kind != "record" && is_semconv_alert(&name) {
                alerts += 1;
                for selector in common::selectors(&expr).unwrap() {
                    must_have_data.push((format!("alert {name} selector"), selector));
                }
            }
        }
    }
    let mut panels = 0;
    let dashboards = ["platform.json", "dependencies.json"].map(|file| -> serde_json::Value {
        let path = out.join("grafana/dashboards").join(file);
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    });
    for (title, expr) in dashboards.iter().flat_map(common::panel_exprs) {
        if is_semconv(&expr) {
            panels += 1;
            must_have_data.push((
                format!("panel {title}"),
                common::substitute_grafana(&expr, job),
            ));
        }
    }
    assert!(
        must_have_data.len() >= 30 && alerts == 9 && panels >= 16,
        "too little to prove: {} queries, {alerts} alerts, {panels} panels",
        must_have_data.len()
    );

    let deadline = Instant::now() + Duration::from_secs(90);
    let missing = loop {
        let missing: Vec<&(String, String)> = must_have_data
            .iter()
            .filter(|(_, q)| prom.samples(q).unwrap_or(0) == 0)
            .collect();
        if missing.is_empty() || Instant::now() > deadline {
            break missing;
        }
        std::thread::sleep(Duration::from_secs(2));
    };
    assert!(
        missing.is_empty(),
        "{} of {} queries return no data for the Python service:\n{}",
        missing.len(),
        must_have_data.len(),
        missing
            .iter()
            .map(|(what, q)| format!("  {what}: {q}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    // The exporter's scope labels are aggregated away: recording rules carry job and the
    // semconv labels they group by, nothing else.
    let usage = prom
        .get("/api/v1/query?query=platform%3Adb_connection_usage%3Aratio")
        .unwrap();
    let metric = &usage["data"]["result"][0]["metric"];
    assert_eq!(metric["job"], job, "{usage}");
    assert_eq!(metric["db_client_connection_pool_name"], "registry-db");
    assert!(metric.get("otel_scope_name").is_none(), "{usage}");
    println!(
        "python service: {} queries ({alerts} alerts' selectors, {panels} panels) return data",
        must_have_data.len()
    );
}

/// The platform alerts over semconv instruments.
fn is_semconv_alert(name: &str) -> bool {
    ["Db", "Http", "GenAi", "Downstream", "Consumer"]
        .iter()
        .any(|p| name.starts_with(p))
}
