//! The assets as prometheus-operator objects (`gen-assets --format prometheus-operator`): one
//! `PrometheusRule` per rule file, carrying the labels the Prometheus' `ruleSelector` matches,
//! and a `ServiceMonitor` and a `PodMonitor` for the scrape port, relabelled to the job the
//! rules select.

use serde_json::{json, Map, Value};

use crate::rules::Rule;
use crate::{rule_sets, Asset, Options};

/// How the Kubernetes objects are named, labelled and pointed at the service.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct KubernetesOptions {
    /// `metadata.namespace` of every object (`None`: left out, so `kubectl apply -n` decides).
    pub namespace: Option<String>,
    /// Labels on every `PrometheusRule`: what the Prometheus object's `ruleSelector` matches.
    /// Default: kube-prometheus' `prometheus: k8s`, `role: alert-rules`; kube-prometheus-stack
    /// (Helm) selects `release: <release name>` instead.
    pub rule_labels: Vec<(String, String)>,
    /// Labels on the `ServiceMonitor` and `PodMonitor` (what `serviceMonitorSelector` /
    /// `podMonitorSelector` match). Default: none (kube-prometheus selects every monitor).
    pub monitor_labels: Vec<(String, String)>,
    /// The labels of the Service (for the `ServiceMonitor`) and of the pods (for the
    /// `PodMonitor`) to scrape. Default: `app.kubernetes.io/name: marketplace`.
    pub selector: Vec<(String, String)>,
    /// The name of the container port (and Service port) serving `/metrics`. Default
    /// `metrics`.
    pub port: String,
    /// The scrape interval. Default `15s` (the shipped prometheus.yml's).
    pub interval: String,
}

impl Default for KubernetesOptions {
    fn default() -> Self {
        let pair = |k: &str, v: &str| (k.to_string(), v.to_string());
        KubernetesOptions {
            namespace: None,
            rule_labels: vec![pair("prometheus", "k8s"), pair("role", "alert-rules")],
            monitor_labels: Vec::new(),
            selector: vec![pair("app.kubernetes.io/name", "marketplace")],
            port: "metrics".to_string(),
            interval: "15s".to_string(),
        }
    }
}

/// Parses `key=value,key=value` (Kubernetes label syntax: an optional DNS prefix and `/`, a
/// name of at most 63 of `[A-Za-z0-9._-]` starting and ending alphanumeric; the same for
/// values, which may be empty). `flag` names the option in errors.
///
/// # Examples
///
/// ```
/// use marketplace_telemetry_assets::parse_labels;
/// let labels = parse_labels("--rule-labels", "release=kube-prometheus-stack").unwrap();
/// assert_eq!(labels, [("release".to_string(), "kube-prometheus-stack".to_string())]);
/// assert!(parse_labels("--rule-labels", "release").unwrap_err().contains("--rule-labels"));
/// ```
pub fn parse_labels(flag: &str, text: &str) -> Result<Vec<(String, String)>, String> {
    let name_ok = |s: &str| {
        !s.is_empty()
            && s.len() <= 63
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
            && s.starts_with(|c: char| c.is_ascii_alphanumeric())
            && s.ends_with(|c: char| c.is_ascii_alphanumeric())
    };
    let key_ok = |k: &str| match k.rsplit_once('/') {
        Some((prefix, name)) => dns_subdomain(prefix) && name_ok(name),
        None => name_ok(k),
    };
    text.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').ok_or_else(|| {
                format!("{flag} {pair:?}: expected key=value (comma-separated)")
            })?;
            let (k, v) = (k.trim(), v.trim());
            if !key_ok(k) {
                return Err(format!(
                    "{flag} {k:?}: not a Kubernetes label key (an optional DNS prefix and '/', then at most 63 of letters, digits, '.', '_', '-', alphanumeric at both ends)"
                ));
            }
            if !v.is_empty() && !name_ok(v) {
                return Err(format!(
                    "{flag} {k}={v:?}: not a Kubernetes label value (at most 63 of letters, digits, '.', '_', '-', alphanumeric at both ends)"
                ));
            }
            Ok((k.to_string(), v.to_string()))
        })
        .collect()
}

/// A DNS-1123 subdomain: what `metadata.name`, `metadata.namespace` and label key prefixes
/// must be.
pub(crate) fn dns_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !part.starts_with('-')
                && !part.ends_with('-')
        })
}

/// `job` as an object name: lower case, every character a name may not hold as `-`.
fn object_name(job: &str) -> String {
    let name: String = job
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let name = name.trim_matches('-');
    if name.is_empty() {
        "marketplace".to_string()
    } else {
        name.to_string()
    }
}

/// `<job>-<file>`, without saying the job twice (`marketplace-alerts`, not
/// `marketplace-marketplace-alerts`).
fn rule_object_name(base: &str, stem: &str) -> String {
    match stem
        .strip_prefix(base)
        .and_then(|rest| rest.strip_prefix('-'))
    {
        Some(_) => stem.to_string(),
        None => format!("{base}-{stem}"),
    }
}

fn labels(pairs: &[(String, String)]) -> Value {
    Value::Object(
        pairs
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

fn metadata(name: String, k8s: &KubernetesOptions, extra: &[(String, String)]) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), Value::String(name));
    if let Some(ns) = &k8s.namespace {
        m.insert("namespace".into(), Value::String(ns.clone()));
    }
    let mut all = vec![(
        "app.kubernetes.io/managed-by".to_string(),
        "marketplace-telemetry-assets".to_string(),
    )];
    all.extend(extra.iter().cloned());
    m.insert("labels".into(), labels(&all));
    Value::Object(m)
}

/// The `spec.groups` of a `PrometheusRule`: the rule file's groups, in order.
fn groups(rules: &[Rule]) -> Value {
    let mut groups: Vec<(&str, Vec<Value>)> = Vec::new();
    for r in rules {
        let mut rule = Map::new();
        rule.insert(
            if r.alert { "alert" } else { "record" }.into(),
            Value::String(r.name.clone()),
        );
        rule.insert("expr".into(), Value::String(r.expr.clone()));
        if let Some(f) = &r.for_ {
            rule.insert("for".into(), Value::String(f.clone()));
        }
        if !r.labels.is_empty() {
            rule.insert("labels".into(), labels(&r.labels));
        }
        if !r.annotations.is_empty() {
            rule.insert(
                "annotations".into(),
                Value::Object(
                    r.annotations
                        .iter()
                        .map(|(k, v)| (k.to_string(), Value::String(v.clone())))
                        .collect(),
                ),
            );
        }
        match groups.iter_mut().find(|(g, _)| *g == r.group) {
            Some((_, list)) => list.push(Value::Object(rule)),
            None => groups.push((r.group, vec![Value::Object(rule)])),
        }
    }
    Value::Array(
        groups
            .into_iter()
            .map(|(name, rules)| json!({"name": name, "rules": rules}))
            .collect(),
    )
}

fn yaml(header: &str, object: &Value) -> String {
    let body = serde_norway::to_string(object).unwrap_or_default();
    format!(
        "# Generated by `gen-assets --format prometheus-operator` from the SDK's catalog ({header}).\n# Do not edit by hand: change assets/src/ and regenerate.\n{body}"
    )
}

/// The prometheus-operator objects for `options`: a `PrometheusRule` per rule file
/// (`kubernetes/<file>.prometheusrule.yaml`), a `ServiceMonitor` and a `PodMonitor`.
///
/// # Examples
///
/// ```
/// use marketplace_telemetry_assets::{render_prometheus_operator, KubernetesOptions, Options};
/// let objects = render_prometheus_operator(&Options::default(), &KubernetesOptions::default());
/// let alerts = objects.iter().find(|a| a.path == "kubernetes/marketplace-alerts.prometheusrule.yaml").unwrap();
/// assert!(alerts.contents.contains("kind: PrometheusRule"));
/// assert!(alerts.contents.contains("role: alert-rules"));
/// ```
pub fn render_prometheus_operator(options: &Options, k8s: &KubernetesOptions) -> Vec<Asset> {
    let base = object_name(&options.job);
    let mut out: Vec<Asset> = rule_sets(options)
        .into_iter()
        .map(|(file, rules)| {
            let object = json!({
                "apiVersion": "monitoring.coreos.com/v1",
                "kind": "PrometheusRule",
                "metadata": metadata(rule_object_name(&base, file.stem), k8s, &k8s.rule_labels),
                "spec": {"groups": groups(&rules)},
            });
            Asset {
                path: file.object_path,
                contents: yaml(file.path, &object),
            }
        })
        .collect();
    // Prometheus names the job after the Service (or the PodMonitor); the rules select
    // `job="<--job>"`, so both monitors set it.
    let endpoint = json!({
        "port": k8s.port,
        "path": "/metrics",
        "interval": k8s.interval,
        "relabelings": [{"action": "replace", "targetLabel": "job", "replacement": options.job}],
    });
    let selector = json!({"matchLabels": labels(&k8s.selector)});
    out.push(Asset {
        path: "kubernetes/servicemonitor.yaml",
        contents: yaml(
            "scrapes the Service's metrics port",
            &json!({
                "apiVersion": "monitoring.coreos.com/v1",
                "kind": "ServiceMonitor",
                "metadata": metadata(base.clone(), k8s, &k8s.monitor_labels),
                "spec": {"selector": selector, "endpoints": [endpoint]},
            }),
        ),
    });
    out.push(Asset {
        path: "kubernetes/podmonitor.yaml",
        contents: yaml(
            "scrapes the pods' metrics port when there is no Service; use one of the two monitors",
            &json!({
                "apiVersion": "monitoring.coreos.com/v1",
                "kind": "PodMonitor",
                "metadata": metadata(base, k8s, &k8s.monitor_labels),
                "spec": {"selector": selector, "podMetricsEndpoints": [endpoint]},
            }),
        ),
    });
    out
}
