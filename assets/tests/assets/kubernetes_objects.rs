//! `gen-assets --format prometheus-operator`: every object validates against the
//! prometheus-operator CRD schemas of release 0.93.0 (vendored in `tests/fixtures/`, made
//! strict so a misspelt field fails), and the rules inside the `PrometheusRule` objects are
//! the plain rule files' rules: promtool checks them and runs the shipped unit tests on them.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{assets_dir, repo_root, require, temp_dir, which};
use marketplace_telemetry_assets::{
    parse_labels, render_prometheus_operator, render_with, KubernetesOptions, Objectives, Options,
    Selector,
};
use yaml_rust2::{Yaml, YamlLoader};

fn crds() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/prometheus-operator-crds")
}

/// The validator's verdict on `files`: (passed, its report).
fn validate(files: &[PathBuf]) -> Option<(bool, String)> {
    let python = repo_root().join("target/tools-venv/bin/python");
    let python = require(
        "jsonschema (target/tools-venv)",
        Some(python).filter(|p| p.is_file()),
    )?;
    let out = Command::new(python)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/assets/validate_crd.py"))
        .arg(crds())
        .args(files)
        .output()
        .expect("run validate_crd.py");
    Some((
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    ))
}

/// A deployment unlike the defaults: a namespace, another job, a selector, the Helm chart's
/// rule label, monitor labels, another port.
fn helm_deployment() -> (Options, KubernetesOptions) {
    let options = Options::new(Some("mockforge"), "mockforge-registry")
        .with_selector(Selector::parse(r#"env="prod""#).unwrap())
        .with_objectives(Objectives::default());
    let mut k8s = KubernetesOptions::default();
    k8s.namespace = Some("registry".into());
    k8s.rule_labels = parse_labels("--rule-labels", "release=kube-prometheus-stack").unwrap();
    k8s.monitor_labels = parse_labels("--monitor-labels", "release=kube-prometheus-stack").unwrap();
    k8s.selector = parse_labels("--k8s-selector", "app.kubernetes.io/name=registry").unwrap();
    k8s.port = "http-metrics".into();
    (options, k8s)
}

fn write_objects(dir: &Path, options: &Options, k8s: &KubernetesOptions) -> Vec<PathBuf> {
    render_prometheus_operator(options, k8s)
        .into_iter()
        .map(|asset| {
            let path = dir.join(asset.path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, asset.contents).unwrap();
            path
        })
        .collect()
}

#[test]
fn committed_objects_match_the_generator() {
    let stale: Vec<_> =
        render_prometheus_operator(&Options::default(), &KubernetesOptions::default())
            .into_iter()
            .filter(|a| {
                std::fs::read_to_string(assets_dir().join(a.path))
                    .ok()
                    .as_deref()
                    != Some(a.contents.as_str())
            })
            .map(|a| a.path)
            .collect();
    assert!(
        stale.is_empty(),
        "regenerate with `cargo run -p marketplace-telemetry-assets --bin gen-assets`: {stale:?}"
    );
}

#[test]
fn every_object_validates_against_the_prometheus_operator_crds() {
    let committed: Vec<PathBuf> = std::fs::read_dir(assets_dir().join("kubernetes"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(
        committed.len(),
        9,
        "7 PrometheusRules, a ServiceMonitor, a PodMonitor"
    );
    let Some((ok, report)) = validate(&committed) else {
        return;
    };
    assert!(ok, "{report}");
    assert!(report.contains("checked 9 objects, 0 problems"), "{report}");

    let dir = temp_dir("k8s-helm");
    let (options, k8s) = helm_deployment();
    let files = write_objects(&dir, &options, &k8s);
    let (ok, report) = validate(&files).unwrap();
    assert!(ok, "{report}");
    let alerts =
        std::fs::read_to_string(dir.join("kubernetes/marketplace-alerts.prometheusrule.yaml"))
            .unwrap();
    assert!(alerts.contains("namespace: registry"), "{alerts}");
    assert!(
        alerts.contains("release: kube-prometheus-stack"),
        "{alerts}"
    );
    assert!(
        alerts.contains("name: mockforge-registry-marketplace-alerts"),
        "{alerts}"
    );
    let monitor = std::fs::read_to_string(dir.join("kubernetes/servicemonitor.yaml")).unwrap();
    assert!(
        monitor.contains("replacement: mockforge-registry"),
        "{monitor}"
    );
    assert!(monitor.contains("port: http-metrics"), "{monitor}");
}

#[test]
fn the_validator_rejects_a_misspelt_field_and_a_bad_name() {
    let dir = temp_dir("k8s-bad");
    let monitor =
        std::fs::read_to_string(assets_dir().join("kubernetes/servicemonitor.yaml")).unwrap();
    let rules = std::fs::read_to_string(
        assets_dir().join("kubernetes/marketplace-alerts.prometheusrule.yaml"),
    )
    .unwrap();
    let cases = [
        (
            "endpoints.yaml",
            monitor.replace("  endpoints:", "  endpoint:"),
            "'endpoint' was unexpected",
        ),
        (
            "expr.yaml",
            rules.replacen("      expr:", "      exp:", 1),
            "'expr' is a required property",
        ),
        (
            "name.yaml",
            monitor.replace("name: marketplace", "name: Market_Place"),
            "is not a DNS-1123 subdomain",
        ),
    ];
    for (file, text, expected) in cases {
        let path = dir.join(file);
        std::fs::write(&path, text).unwrap();
        let Some((ok, report)) = validate(&[path]) else {
            return;
        };
        assert!(!ok && report.contains(expected), "{file}: {report}");
    }
}

/// The rule groups of a `PrometheusRule` object as a plain rule file's YAML value.
fn groups_of(object: &str) -> Yaml {
    let doc = YamlLoader::load_from_str(object).unwrap().remove(0);
    doc["spec"]["groups"].clone()
}

/// `y` with every mapping's keys sorted (key order carries no meaning in YAML).
fn canonical(y: &Yaml) -> String {
    match y {
        Yaml::Hash(h) => {
            let mut entries: Vec<(String, String)> = h
                .iter()
                .map(|(k, v)| (canonical(k), canonical(v)))
                .collect();
            entries.sort();
            format!("{entries:?}")
        }
        Yaml::Array(a) => format!("{:?}", a.iter().map(canonical).collect::<Vec<_>>()),
        other => format!("{other:?}"),
    }
}

#[test]
fn the_objects_hold_the_rule_files_rules_and_pass_their_promtool_tests() {
    for (options, k8s) in [
        (Options::default(), KubernetesOptions::default()),
        helm_deployment(),
    ] {
        let plain = render_with(&options);
        let objects = render_prometheus_operator(&options, &k8s);
        // Lay the objects' rules out as prometheus/rules/*.yml beside the plain tests.
        let dir = temp_dir("k8s-rules");
        let mut rule_files = Vec::new();
        for object in objects
            .iter()
            .filter(|o| o.path.ends_with(".prometheusrule.yaml"))
        {
            let stem = object
                .path
                .trim_start_matches("kubernetes/")
                .trim_end_matches(".prometheusrule.yaml");
            let rule_path = format!("prometheus/rules/{stem}.yml");
            let file = plain.iter().find(|a| a.path == rule_path).unwrap();
            let expected = YamlLoader::load_from_str(&file.contents).unwrap().remove(0);
            assert_eq!(
                canonical(&groups_of(&object.contents)),
                canonical(&expected["groups"]),
                "{}",
                object.path
            );
            let mut doc = yaml_rust2::yaml::Hash::new();
            doc.insert(Yaml::String("groups".into()), groups_of(&object.contents));
            let mut out = String::new();
            yaml_rust2::YamlEmitter::new(&mut out)
                .dump(&Yaml::Hash(doc))
                .unwrap();
            let path = dir.join(&rule_path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, out).unwrap();
            rule_files.push(path);
        }
        assert_eq!(rule_files.len(), 7);
        let Some(promtool) = require("promtool", which("promtool")) else {
            return;
        };
        let out = Command::new(&promtool)
            .args(["check", "rules"])
            .args(&rule_files)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        let tests = dir.join("prometheus/tests");
        std::fs::create_dir_all(&tests).unwrap();
        for test in plain
            .iter()
            .filter(|a| a.path.starts_with("prometheus/tests/"))
        {
            let path = dir.join(test.path);
            std::fs::write(&path, &test.contents).unwrap();
            let out = Command::new(&promtool)
                .args(["test", "rules"])
                .arg(&path)
                .current_dir(&tests)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}: {}{}",
                test.path,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}
