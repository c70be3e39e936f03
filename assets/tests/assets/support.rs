//! Helpers of the ops-asset tests: the shipped rule files, their selectors, dashboard panel
//! expressions (moved here from the shared test support: only these tests use them).
#![allow(dead_code)] // not every test module uses every helper

use std::path::{Path, PathBuf};

use marketplace_telemetry_test_support::repo_root;

/// The `collector-config/` directory.
pub fn assets_dir() -> PathBuf {
    repo_root().join("collector-config")
}

/// Every vector selector in a PromQL expression, as `name{matchers}` text.
pub fn selectors(expr: &str) -> Result<Vec<String>, String> {
    use promql_parser::parser::Expr;
    fn walk(e: &Expr, out: &mut Vec<String>) {
        match e {
            Expr::Aggregate(a) => {
                walk(&a.expr, out);
                if let Some(p) = &a.param {
                    walk(p, out);
                }
            }
            Expr::Unary(u) => walk(&u.expr, out),
            Expr::Binary(b) => {
                walk(&b.lhs, out);
                walk(&b.rhs, out);
            }
            Expr::Paren(p) => walk(&p.expr, out),
            Expr::Subquery(s) => walk(&s.expr, out),
            Expr::VectorSelector(v) => out.push(v.to_string()),
            Expr::MatrixSelector(m) => out.push(m.vs.to_string()),
            Expr::Call(c) => {
                for a in &c.args.args {
                    walk(a, out);
                }
            }
            _ => {}
        }
    }
    let parsed = promql_parser::parser::parse(expr)?;
    let mut out = Vec::new();
    walk(&parsed, &mut out);
    Ok(out)
}

/// Replaces Grafana's variables in a panel expression with values Prometheus accepts.
pub fn substitute_grafana(expr: &str, job: &str) -> String {
    expr.replace("$__rate_interval", "1m")
        .replace("$__interval", "15s")
        .replace("$__range", "5m")
        .replace("${job}", job)
        .replace("$job", job)
}

/// Every panel expression of a dashboard JSON (nested rows included).
pub fn panel_exprs(dashboard: &serde_json::Value) -> Vec<(String, String)> {
    fn walk(panels: &serde_json::Value, out: &mut Vec<(String, String)>) {
        for p in panels.as_array().into_iter().flatten() {
            let title = p["title"].as_str().unwrap_or("").to_string();
            for t in p["targets"].as_array().into_iter().flatten() {
                if let Some(e) = t["expr"].as_str() {
                    out.push((title.clone(), e.to_string()));
                }
            }
            walk(&p["panels"], out);
        }
    }
    let mut out = Vec::new();
    walk(&dashboard["panels"], &mut out);
    out
}

/// One rule: (group, "record"|"alert", name, expr, labels).
pub type RuleRow = (String, &'static str, String, String, Vec<(String, String)>);

/// The generated rule files under `assets` (a directory laid out like
/// `collector-config/`).
pub fn rule_files(assets: &Path) -> Vec<PathBuf> {
    let dir = assets.join("prometheus/rules");
    [
        "marketplace-recording.yml",
        "marketplace-alerts.yml",
        "marketplace-slo.yml",
        "platform-recording.yml",
        "platform-alerts.yml",
        "dependencies-recording.yml",
        "dependencies-alerts.yml",
    ]
    .iter()
    .map(|f| dir.join(f))
    .collect()
}

/// One selector per recording rule of `files` (its name, with its `operation` or `slo` label
/// when it has one), deduplicated: what must return data once the rules run.
pub fn recording_selectors(files: &[PathBuf]) -> Vec<String> {
    let mut out = Vec::new();
    for file in files {
        for (_, kind, name, _, labels) in rules(file) {
            if kind == "record" {
                out.push(
                    match labels.iter().find(|(k, _)| k == "operation" || k == "slo") {
                        Some((k, v)) => format!("{name}{{{k}=\"{v}\"}}"),
                        None => name.clone(),
                    },
                );
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Every rule of a Prometheus rule file.
pub fn rules(path: &Path) -> Vec<RuleRow> {
    use yaml_rust2::YamlLoader;
    let text = std::fs::read_to_string(path).unwrap();
    let docs = YamlLoader::load_from_str(&text).unwrap();
    let mut out = Vec::new();
    for g in docs[0]["groups"].as_vec().into_iter().flatten() {
        let group = g["name"].as_str().unwrap_or("").to_string();
        for r in g["rules"].as_vec().into_iter().flatten() {
            let (kind, name) = match (r["record"].as_str(), r["alert"].as_str()) {
                (Some(n), _) => ("record", n),
                (_, Some(n)) => ("alert", n),
                _ => continue,
            };
            let labels = r["labels"]
                .as_hash()
                .into_iter()
                .flatten()
                .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.as_str()?.to_string())))
                .collect();
            out.push((
                group.clone(),
                kind,
                name.to_string(),
                r["expr"].as_str().unwrap_or("").to_string(),
                labels,
            ));
        }
    }
    out
}
