//! The ops assets in `collector-config/` checked by the real tools: promtool (config, rules,
//! unit tests for every rule), amtool (config, routes), YAML structure of the collector configs
//! (otelcol cannot be installed here), dashboards (every panel expression parses), runbooks.

use crate::common;

use std::process::Command;

use common::{assets_dir, require, which};
use yaml_rust2::{Yaml, YamlLoader};

fn run(cmd: &mut Command) -> (bool, String) {
    let out = cmd.output().expect("run tool");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// `promtool check rules` on `rules`, then `promtool test rules` on every file of `tests`
/// (run from there, so their relative `rule_files` resolve).
fn check_and_test_rules(
    promtool: &std::path::Path,
    rules: &[std::path::PathBuf],
    tests: &std::path::Path,
) {
    let (ok, out) = run(Command::new(promtool).arg("check").arg("rules").args(rules));
    assert!(ok, "{out}");
    for test in std::fs::read_dir(tests).unwrap() {
        let test = test.unwrap().path();
        let (ok, out) = run(Command::new(promtool)
            .arg("test")
            .arg("rules")
            .arg(&test)
            .current_dir(tests));
        assert!(ok, "{}:\n{out}", test.display());
    }
}

#[test]
fn committed_generated_assets_match_the_catalog() {
    let mut stale = Vec::new();
    for asset in marketplace_telemetry_assets::render(None) {
        let path = assets_dir().join(asset.path);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(asset.contents.as_str()) {
            stale.push(asset.path);
        }
    }
    assert!(
        stale.is_empty(),
        "regenerate with `cargo run -p marketplace-telemetry-assets --bin gen-assets`: {stale:?}"
    );
}

#[test]
fn promtool_accepts_the_config_and_rules_and_every_unit_test_passes() {
    let Some(promtool) = require("promtool", which("promtool")) else {
        return;
    };
    let dir = assets_dir().join("prometheus");
    let (ok, out) = run(Command::new(&promtool)
        .args(["check", "config", "prometheus.yml"])
        .current_dir(&dir));
    assert!(ok, "{out}");
    let rule_files: Vec<_> = std::fs::read_dir(dir.join("rules"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    check_and_test_rules(&promtool, &rule_files, &dir.join("tests"));
}

#[test]
fn every_recording_and_alert_rule_has_a_unit_test() {
    let dir = assets_dir().join("prometheus");
    let tests: String = std::fs::read_dir(dir.join("tests"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    let mut untested = Vec::new();
    for file in std::fs::read_dir(dir.join("rules")).unwrap() {
        for (_, kind, name, _, labels) in common::rules(&file.unwrap().path()) {
            let covered = if kind == "alert" {
                tests.contains(&format!("alertname: {name}\n"))
            } else {
                // The test must select this very rule: its name with its distinguishing label.
                match labels.iter().find(|(k, _)| k == "operation" || k == "slo") {
                    Some((k, v)) => {
                        tests.contains(&format!("{name}{{{k}=\\\"{v}\\\""))
                            || tests.contains(&format!("{name}{{{k}=\"{v}\""))
                    }
                    None => {
                        tests.contains(&format!(" {name}'"))
                            || tests.contains(&format!("* {name})"))
                    }
                }
            };
            if !covered {
                untested.push(format!("{kind} {name} {labels:?}"));
            }
        }
    }
    assert!(
        untested.is_empty(),
        "rules without a promtool unit test: {untested:#?}"
    );
}

#[test]
fn alerts_carry_severity_component_and_a_runbook_section_that_exists() {
    let dir = assets_dir();
    let runbook = std::fs::read_to_string(dir.join("RUNBOOK.md")).unwrap();
    let anchors: Vec<String> = runbook
        .lines()
        .filter_map(|l| l.strip_prefix("## "))
        .map(|h| {
            h.trim()
                .to_lowercase()
                .chars()
                .filter_map(|c| match c {
                    'a'..='z' | '0'..='9' | '-' | '_' => Some(c),
                    ' ' => Some('-'),
                    _ => None,
                })
                .collect()
        })
        .collect();
    let text = |p: &str| std::fs::read_to_string(dir.join(p)).unwrap();
    let mut problems = Vec::new();
    for file in [
        "prometheus/rules/marketplace-alerts.yml",
        "prometheus/rules/marketplace-slo.yml",
        "prometheus/rules/platform-alerts.yml",
        "prometheus/rules/dependencies-alerts.yml",
    ] {
        let docs = YamlLoader::load_from_str(&text(file)).unwrap();
        for g in docs[0]["groups"].as_vec().unwrap() {
            for r in g["rules"].as_vec().unwrap() {
                let Some(alert) = r["alert"].as_str() else {
                    continue;
                };
                let severity = r["labels"]["severity"].as_str().unwrap_or("");
                if !["critical", "warning", "info"].contains(&severity) {
                    problems.push(format!("{alert}: severity {severity:?}"));
                }
                if r["labels"]["component"].as_str().is_none() {
                    problems.push(format!("{alert}: no component"));
                }
                for key in ["summary", "description", "runbook_url"] {
                    if r["annotations"][key].as_str().is_none() {
                        problems.push(format!("{alert}: no {key}"));
                    }
                }
                let url = r["annotations"]["runbook_url"].as_str().unwrap_or("");
                match url.split_once('#') {
                    Some(("collector-config/RUNBOOK.md", anchor))
                        if anchors.iter().any(|a| a == anchor) => {}
                    _ => problems.push(format!("{alert}: runbook {url:?} has no section")),
                }
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn amtool_accepts_the_config_and_routes_every_case_as_documented() {
    let Some(amtool) = require("amtool", which("amtool")) else {
        return;
    };
    let dir = assets_dir().join("alertmanager");
    let config = dir.join("alertmanager.yml");
    let (ok, out) = run(Command::new(&amtool).arg("check-config").arg(&config));
    assert!(ok, "{out}");
    let cases = std::fs::read_to_string(dir.join("route-tests.tsv")).unwrap();
    let mut checked = 0;
    let mut negative = 0;
    for line in cases
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let cols: Vec<&str> = line.split('\t').collect();
        let (labels, receivers, expect) = (cols[0], cols[1], cols[2]);
        let (ok, out) = run(Command::new(&amtool)
            .args(["config", "routes", "test"])
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--verify.receivers={receivers}"))
            .args(labels.split_whitespace()));
        match expect {
            "pass" => assert!(ok, "{labels} should route to {receivers}: {out}"),
            "fail" => {
                assert!(!ok, "{labels} must NOT route to {receivers}: {out}");
                negative += 1;
            }
            other => panic!("bad expectation {other:?}"),
        }
        checked += 1;
    }
    assert!(
        checked >= 6 && negative >= 1,
        "route cases: {checked}, negative: {negative}"
    );
}

fn names(y: &Yaml) -> Vec<String> {
    y.as_hash()
        .into_iter()
        .flatten()
        .filter_map(|(k, _)| k.as_str().map(str::to_string))
        .collect()
}

#[test]
fn collector_pipelines_name_only_defined_components_and_use_the_documented_ports() {
    let dir = assets_dir().join("otel-collector");
    for file in ["agent.yaml", "gateway.yaml"] {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        let doc = &YamlLoader::load_from_str(&text).unwrap()[0];
        let pipelines = doc["service"]["pipelines"].as_hash().expect("pipelines");
        assert!(!pipelines.is_empty());
        let extensions = names(&doc["extensions"]);
        for e in doc["service"]["extensions"].as_vec().into_iter().flatten() {
            assert!(
                extensions.contains(&e.as_str().unwrap().to_string()),
                "{file}: extension {e:?}"
            );
        }
        for (pname, p) in pipelines {
            for kind in ["receivers", "processors", "exporters"] {
                let defined = names(&doc[kind]);
                for c in p[kind].as_vec().into_iter().flatten() {
                    let c = c.as_str().unwrap();
                    assert!(
                        defined.iter().any(|d| d == c),
                        "{file}: pipeline {pname:?} uses undefined {kind} {c:?}"
                    );
                }
            }
            assert!(
                !p["receivers"].as_vec().unwrap().is_empty()
                    && !p["exporters"].as_vec().unwrap().is_empty()
            );
            // Processors: memory_limiter first, batch last (the collector's guidance).
            if let Some(procs) = p["processors"].as_vec() {
                assert_eq!(
                    procs.first().and_then(|p| p.as_str()),
                    Some("memory_limiter"),
                    "{file} {pname:?}"
                );
            }
        }
        let grpc = doc["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"]
            .as_str()
            .unwrap();
        let http = doc["receivers"]["otlp"]["protocols"]["http"]["endpoint"]
            .as_str()
            .unwrap();
        assert!(
            grpc.ends_with(":4317") && http.ends_with(":4318"),
            "{file}: {grpc} {http}"
        );
    }
}

#[test]
fn every_dashboard_panel_expression_parses_and_the_provisioning_points_at_them() {
    let dir = assets_dir().join("grafana");
    let mut count = 0;
    for entry in std::fs::read_dir(dir.join("dashboards")).unwrap() {
        let path = entry.unwrap().path();
        let dash: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert!(
            dash["uid"].is_string() && dash["schemaVersion"].is_number(),
            "{}",
            path.display()
        );
        for (title, expr) in common::panel_exprs(&dash) {
            let expr = common::substitute_grafana(&expr, "marketplace");
            if let Err(e) = common::selectors(&expr) {
                panic!("{}: panel {title:?}: {e}\n{expr}", path.display());
            }
            count += 1;
        }
    }
    assert!(count >= 20, "only {count} panel expressions");
    for p in [
        "provisioning/datasources/prometheus.yml",
        "provisioning/dashboards/marketplace.yml",
    ] {
        let text = std::fs::read_to_string(dir.join(p)).unwrap();
        let doc = &YamlLoader::load_from_str(&text).unwrap()[0];
        assert_eq!(doc["apiVersion"].as_i64(), Some(1), "{p}");
    }
}

#[test]
fn log_shipping_configs_extract_the_fields_the_sdk_writes() {
    // The fields our JSON lines really have (tests/logs_* prove the writer side).
    const SDK_FIELDS: &[&str] = &[
        "timestamp",
        "level",
        "target",
        "message",
        "trace_id",
        "span_id",
        "span.name",
    ];
    let text = std::fs::read_to_string(assets_dir().join("logging/promtail.yaml")).unwrap();
    let doc = &YamlLoader::load_from_str(&text).unwrap()[0];
    let stages = doc["scrape_configs"][0]["pipeline_stages"]
        .as_vec()
        .unwrap();
    let json = stages
        .iter()
        .find(|s| !s["json"].is_badvalue())
        .expect("json stage");
    for (_, source) in json["json"]["expressions"].as_hash().unwrap() {
        let source = source.as_str().unwrap();
        assert!(
            SDK_FIELDS.contains(&source),
            "promtail extracts {source:?}, which the SDK does not write"
        );
    }
}

/// The registry team's regeneration (`--namespace mockforge --job mockforge-registry`): every
/// rule file passes `promtool check rules`, every generated unit test passes, and the `up` and
/// process alerts select the team's job (with the default job they would never fire).
#[test]
fn regenerated_for_another_namespace_and_job_the_rules_and_their_tests_pass() {
    let Some(promtool) = require("promtool", which("promtool")) else {
        return;
    };
    let out = common::temp_dir("gen-assets-mockforge");
    let options =
        marketplace_telemetry_assets::Options::new(Some("mockforge"), "mockforge-registry");
    for asset in marketplace_telemetry_assets::render_with(&options) {
        let path = out.join(asset.path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, asset.contents).unwrap();
    }
    let alerts =
        std::fs::read_to_string(out.join("prometheus/rules/marketplace-alerts.yml")).unwrap();
    // (Quotes are escaped inside the YAML strings.)
    assert!(
        alerts.contains(r#"up{job=\"mockforge-registry\"} == 0"#),
        "{alerts}"
    );
    assert!(alerts.contains(r#"process_resident_memory_bytes{job=\"mockforge-registry\"}"#));
    assert!(!alerts.contains(r#"job=\"marketplace\""#), "{alerts}");
    let rules: Vec<_> = std::fs::read_dir(out.join("prometheus/rules"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    check_and_test_rules(&promtool, &rules, &out.join("prometheus/tests"));
}

/// The documented example objectives file holds every key at its default: generating with it
/// reproduces the committed files.
#[test]
fn the_example_objectives_file_documents_the_defaults() {
    let example = assets_dir().join("objectives.example.yml");
    let objectives = marketplace_telemetry_assets::Objectives::from_file(&example).unwrap();
    assert_eq!(
        objectives,
        marketplace_telemetry_assets::Objectives::default()
    );
}

/// Other objectives than the defaults, as a team would set them.
const STRICT: &str = "\
period: 28d
slos:
  search-latency: {objective: 0.99, threshold: 0.3}
  errors: {objective: 0.995}
  availability: {objective: 0.9995}
  cache-hit: {objective: 0.9}
burn_alerts:
  fast:
    severity: critical
    for: 5m
    windows:
      - {long: 1h, short: 5m, factor: 10}
  slow:
    severity: info
    for: 90m
    windows:
      - {long: 12h, short: 1h, factor: 2}
alerts:
  MarketplaceSearchLatencyHigh: {threshold: 0.3, for: 10m}
  MarketplaceSearchLatencyCritical: {threshold: 0.75}
  MarketplaceRdfQueryLatencyHigh: {threshold: 0.12}
  MarketplacePublishLatencyHigh: {threshold: 2, severity: critical}
  MarketplaceErrorRatioHigh: {threshold: 0.02, for: 30m}
  MarketplaceErrorPercentageHigh: {threshold: 0.1}
  MarketplaceCacheHitRatioLow: {threshold: 0.3}
  MarketplaceServiceDown: {for: 3m, severity: warning}
  MarketplaceHighResidentMemory: {threshold: 536870912}
  TelemetrySpansDropped: {for: 20m}
  MarketplaceOperationsCancelled: {threshold: 0.5}
  MarketplaceClientErrorRatioHigh: {threshold: 0.6, severity: info}
  DbConnectionPoolNearlyExhausted: {threshold: 0.75, for: 5m}
  DbConnectionRequestsPending: {threshold: 20}
  DbOperationLatencyHigh: {threshold: 1}
  CircuitBreakerOpen: {severity: warning}
  RateLimitHitsHigh: {threshold: 0.3}
  DeadLetterQueueGrowing: {threshold: 50}
  EventBacklogHigh: {threshold: 250, for: 30m}
  GenAiProviderErrorRatioHigh: {threshold: 0.2}
  HttpLatencyHigh: {threshold: 0.75}
  HttpServerErrorRatioHigh: {threshold: 0.02, severity: warning}
  TokioRuntimeSaturated: {threshold: 0.8}
  DownstreamErrorRatioHigh: {threshold: 0.25}
  DownstreamRpcErrorRatioHigh: {threshold: 0.05}
  ConsumerFallingBehind: {threshold: 2, for: 40m}
";

/// `--selector` and `--objectives` together: every rule file passes `promtool check rules`,
/// every generated unit test passes (their inputs follow the thresholds and carry the
/// selector's labels), every series selector of every rule and panel carries the matchers,
/// and the thresholds, `for:` durations, severities and windows are the file's.
#[test]
fn regenerated_with_a_selector_and_other_objectives_the_rules_and_their_tests_pass() {
    let Some(promtool) = require("promtool", which("promtool")) else {
        return;
    };
    let out = common::temp_dir("gen-assets-strict");
    std::fs::write(out.join("objectives.yml"), STRICT).unwrap();
    // Through the binary, as a team runs it.
    let (ok, log) = run(Command::new(env!("CARGO_BIN_EXE_gen-assets"))
        .args(["--out"])
        .arg(&out)
        .args(["--namespace", "mockforge", "--job", "mockforge-registry"])
        .args(["--selector", r#"env="prod",region!="test""#])
        .arg("--objectives")
        .arg(out.join("objectives.yml")));
    assert!(ok, "{log}");
    let rules = common::rule_files(&out);
    check_and_test_rules(&promtool, &rules, &out.join("prometheus/tests"));

    // Every selector, in rules and panels, carries both matchers.
    let mut exprs = Vec::new();
    for file in &rules {
        for (_, _, name, expr, _) in common::rules(file) {
            exprs.push((name, expr));
        }
    }
    for dashboard in std::fs::read_dir(out.join("grafana/dashboards")).unwrap() {
        let text = std::fs::read_to_string(dashboard.unwrap().path()).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        for (title, expr) in common::panel_exprs(&value) {
            exprs.push((
                title,
                common::substitute_grafana(&expr, "mockforge-registry"),
            ));
        }
        let var = value["templating"]["list"][1]["query"]["query"]
            .as_str()
            .unwrap();
        assert!(var.contains(r#"env="prod""#), "{var}");
    }
    let mut checked = 0;
    for (name, expr) in &exprs {
        for selector in common::selectors(expr).unwrap_or_else(|e| panic!("{name}: {expr}: {e}")) {
            assert!(
                selector.contains(r#"env="prod""#) && selector.contains(r#"region!="test""#),
                "{name}: {selector} in {expr}"
            );
            checked += 1;
        }
    }
    assert!(checked > 200, "{checked} selectors");

    let alerts = std::fs::read_to_string(&rules[1]).unwrap();
    for needle in [
        "Publish p95 latency above 2 s",
        "> 0.02",
        "for: 30m",
        "Marketplace resident memory above 512 MiB",
    ] {
        assert!(alerts.contains(needle), "{needle} not in\n{alerts}");
    }
    let slo = std::fs::read_to_string(&rules[2]).unwrap();
    for needle in [
        "record: slo:sli_error:ratio_rate28d",
        "record: slo:sli_error:ratio_rate12h",
        "the 28-day budget",
        "for: 90m",
        "severity: \"info\"",
        // Equality labels are kept beside job: two environments' rules do not collide.
        "by (job, env)",
    ] {
        assert!(slo.contains(needle), "{needle} not in the SLO rules");
    }
    assert!(!slo.contains("ratio_rate30d"), "the default period is gone");

    // The platform and dependency alerts take the file's thresholds, `for:` and severities,
    // and their generated tests feed the job they were generated for.
    let read = |path: &str| std::fs::read_to_string(out.join(path)).unwrap();
    let ends = |file: &str, checks: &[(&str, &str)]| {
        let rules = common::rules(&out.join(file));
        for (alert, suffix) in checks {
            let expr = rules
                .iter()
                .find(|r| r.2 == *alert)
                .map(|r| r.3.clone())
                .unwrap_or_else(|| panic!("{alert} not in {file}"));
            assert!(expr.ends_with(suffix), "{alert}: {expr} (wanted {suffix})");
        }
    };
    ends(
        "prometheus/rules/platform-alerts.yml",
        &[
            ("DbConnectionPoolNearlyExhausted", "> 0.75"),
            ("DbConnectionRequestsPending", "> 20"),
            ("DbOperationLatencyHigh", "> 1"),
            ("HttpLatencyHigh", "> 0.75"),
            ("HttpServerErrorRatioHigh", "> 0.02"),
            ("EventBacklogHigh", "> 250"),
            ("GenAiProviderErrorRatioHigh", "> 0.2"),
        ],
    );
    ends(
        "prometheus/rules/dependencies-alerts.yml",
        &[
            ("DownstreamErrorRatioHigh", "> 0.25"),
            ("DownstreamRpcErrorRatioHigh", "> 0.05"),
            ("ConsumerFallingBehind", "> 2"),
        ],
    );
    assert!(read("prometheus/rules/dependencies-alerts.yml").contains("for: 40m"));
    for test in [
        "platform_test.yml",
        "dependencies_test.yml",
        "alerts_test.yml",
        "recording_test.yml",
        "slo_test.yml",
    ] {
        let text = read(&format!("prometheus/tests/{test}"));
        assert!(
            text.contains("job=\"mockforge-registry\""),
            "{test} does not feed the job"
        );
        assert!(
            !text.contains("job=\"svc\"") && !text.contains("job=\"marketplace\""),
            "{test} feeds another job"
        );
    }
}

/// Bad objectives through the binary: exit code 2 and a message naming the key and its line,
/// nothing written.
#[test]
fn gen_assets_rejects_bad_objectives_naming_key_and_line() {
    let out = common::temp_dir("gen-assets-bad");
    std::fs::write(
        out.join("objectives.yml"),
        "slos:\n  errors:\n    objective: 0.99\n  avalability: {objective: 0.9}\n",
    )
    .unwrap();
    let result = Command::new(env!("CARGO_BIN_EXE_gen-assets"))
        .arg("--out")
        .arg(out.join("assets"))
        .arg("--objectives")
        .arg(out.join("objectives.yml"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert_eq!(result.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("avalability") && stderr.contains("line 4"),
        "{stderr}"
    );
    assert!(!out.join("assets").exists());
}

#[test]
fn exemplars_are_stored_and_link_to_traces_in_grafana() {
    let dir = assets_dir();
    // The stack runs Prometheus with exemplar storage; the shipped config sizes it.
    let stack = std::fs::read_to_string(dir.join("../scripts/stack.sh")).unwrap();
    assert!(stack.contains("--enable-feature=exemplar-storage"));
    let prom = std::fs::read_to_string(dir.join("prometheus/prometheus.yml")).unwrap();
    assert!(prom.contains("max_exemplars:"));
    // The Prometheus datasource sends exemplar trace ids to a provisioned traces datasource.
    let ds = YamlLoader::load_from_str(
        &std::fs::read_to_string(dir.join("grafana/provisioning/datasources/prometheus.yml"))
            .unwrap(),
    )
    .unwrap();
    let sources = ds[0]["datasources"].as_vec().unwrap();
    let prometheus = sources
        .iter()
        .find(|d| d["type"].as_str() == Some("prometheus"))
        .unwrap();
    let dest = &prometheus["jsonData"]["exemplarTraceIdDestinations"][0];
    assert_eq!(
        dest["name"].as_str(),
        Some("trace_id"),
        "the label the SDK writes"
    );
    let uid = dest["datasourceUid"].as_str().unwrap();
    assert!(
        sources
            .iter()
            .any(|d| d["uid"].as_str() == Some(uid) && d["type"].as_str() == Some("tempo")),
        "exemplars link to a provisioned traces datasource"
    );
    // Every panel over raw buckets shows exemplars; the search latency panel exists.
    let mut bucket_targets = 0;
    for entry in std::fs::read_dir(dir.join("grafana/dashboards")).unwrap() {
        let dash: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap()).unwrap();
        for panel in dash["panels"].as_array().unwrap() {
            for t in panel["targets"].as_array().into_iter().flatten() {
                if t["expr"].as_str().unwrap_or("").contains("_bucket") {
                    bucket_targets += 1;
                    assert_eq!(t["exemplar"], true, "{}", panel["title"]);
                }
            }
        }
    }
    assert!(bucket_targets >= 5, "{bucket_targets}");
}
