//! The ops assets of [marketplace-telemetry](marketplace_telemetry), generated from the SDK's
//! public [`catalog`](marketplace_telemetry::marketplace::catalog): Prometheus recording, alert
//! and SLO rules with their promtool unit tests, and Grafana dashboards. Because they are
//! generated from the same catalog the SDK exports, their queries name exactly the series the
//! SDK exports — for any namespace.
//!
//! The `gen-assets` binary writes them:
//! `cargo run -p marketplace-telemetry-assets --bin gen-assets -- --out DIR [--namespace NS]`
//! (with no `--out` it rewrites the repository's `collector-config/`); a test fails when the
//! committed files differ from [`render`]'s output.
//!
//! ```
//! let assets = marketplace_telemetry_assets::render(None);
//! assert!(assets.iter().any(|a| a.path == "prometheus/rules/marketplace-alerts.yml"));
//! ```

#![warn(
    missing_docs,
    unreachable_pub,
    rust_2018_idioms,
    missing_debug_implementations
)]

mod dependencies;
mod grafana;
mod kubernetes;
mod model;
mod objectives;
mod platform;
mod promtool_tests;
mod rules;
mod selector;

pub use kubernetes::{parse_labels, render_prometheus_operator, KubernetesOptions};
pub use objectives::Objectives;
pub use selector::Selector;

use grafana::{overview, slo_dashboard, versions_dashboard};
use promtool_tests::{alert_tests, recording_tests, slo_tests};
use rules::{alert_rules, recording_rules, render_rules, slo_rules};

/// One generated file, relative to `collector-config/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asset {
    /// Path below `collector-config/`.
    pub path: &'static str,
    /// File contents.
    pub contents: String,
}

/// The Prometheus job name the shipped scrape config uses for the SDK's endpoint.
pub const JOB: &str = "marketplace";

/// What the generated assets are for: the service's metrics namespace, its scrape job, extra
/// matchers for every series and the objectives the alerts hold it to.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Options {
    /// `TelemetryConfig::with_metrics_namespace` of the service (series prefix `NS_`).
    pub namespace: Option<String>,
    /// The Prometheus scrape job the service runs under (every `up` and `job` matcher).
    pub job: String,
    /// Extra matchers on every series (`--selector`).
    pub selector: Selector,
    /// SLO targets, windows, alert thresholds, `for:` and severities (`--objectives`).
    pub objectives: Objectives,
}

impl Default for Options {
    /// No namespace, job [`JOB`], no selector, the default objectives: the committed files.
    fn default() -> Self {
        Options {
            namespace: None,
            job: JOB.to_string(),
            selector: Selector::default(),
            objectives: Objectives::default(),
        }
    }
}

impl Options {
    /// Options with a namespace and a job (no selector, the default objectives).
    pub fn new(namespace: Option<&str>, job: &str) -> Self {
        Options {
            namespace: namespace.map(str::to_string),
            job: job.to_string(),
            ..Options::default()
        }
    }

    /// These options with extra matchers on every series.
    ///
    /// # Examples
    ///
    /// ```
    /// use marketplace_telemetry_assets::{render_with, Options, Selector};
    /// let options = Options::default().with_selector(Selector::parse(r#"env="prod""#).unwrap());
    /// let assets = render_with(&options);
    /// let alerts = assets.iter().find(|a| a.path.ends_with("marketplace-alerts.yml")).unwrap();
    /// assert!(alerts.contents.contains(r#"up{env=\"prod\",job=\"marketplace\"} == 0"#));
    /// ```
    pub fn with_selector(mut self, selector: Selector) -> Self {
        self.selector = selector;
        self
    }

    /// These options with other objectives.
    ///
    /// # Examples
    ///
    /// ```
    /// use marketplace_telemetry_assets::{render_with, Objectives, Options};
    /// let objectives = Objectives::from_yaml("alerts:\n  MarketplacePublishLatencyHigh: {threshold: 10}\n").unwrap();
    /// let assets = render_with(&Options::default().with_objectives(objectives));
    /// let alerts = assets.iter().find(|a| a.path.ends_with("marketplace-alerts.yml")).unwrap();
    /// assert!(alerts.contents.contains("Publish p95 latency above 10 s"));
    /// ```
    pub fn with_objectives(mut self, objectives: Objectives) -> Self {
        self.objectives = objectives;
        self
    }
}

/// Every generated asset for `namespace` under the default job (the committed files are
/// `render(None)`).
///
/// # Examples
///
/// ```
/// let assets = marketplace_telemetry_assets::render(Some("mockforge"));
/// let alerts = assets.iter().find(|a| a.path.ends_with("marketplace-alerts.yml")).unwrap();
/// assert!(alerts.contents.contains("mockforge_marketplace_search_duration_seconds"));
/// ```
pub fn render(namespace: Option<&str>) -> Vec<Asset> {
    render_with(&Options::new(namespace, JOB))
}

/// Every generated asset for `options`.
///
/// # Examples
///
/// ```
/// use marketplace_telemetry_assets::{render_with, Options};
/// let assets = render_with(&Options::new(Some("mockforge"), "mockforge-registry"));
/// let alerts = assets.iter().find(|a| a.path.ends_with("marketplace-alerts.yml")).unwrap();
/// assert!(alerts.contents.contains(r#"up{job=\"mockforge-registry\"} == 0"#)); // YAML-escaped
/// ```
pub fn render_with(options: &Options) -> Vec<Asset> {
    let ns = options.namespace.as_deref();
    let sel = &options.selector;
    let rule_files = rule_sets(options).into_iter().map(|(path, rules)| Asset {
        path: path.path,
        contents: render_rules(&rules),
    });
    let tests = |text: String| sel.apply_to_test(&text);
    let dashboard = |text: String| grafana::apply_selector(&text, sel);
    rule_files
        .chain([
            Asset {
                path: "prometheus/tests/recording_test.yml",
                contents: tests(recording_tests(options)),
            },
            Asset {
                path: "prometheus/tests/alerts_test.yml",
                contents: tests(alert_tests(options)),
            },
            Asset {
                path: "prometheus/tests/slo_test.yml",
                contents: tests(slo_tests(options)),
            },
            Asset {
                path: "prometheus/tests/platform_test.yml",
                contents: tests(platform::platform_tests(options)),
            },
            Asset {
                path: "prometheus/tests/dependencies_test.yml",
                contents: tests(dependencies::dependency_tests(options)),
            },
            Asset {
                path: "grafana/dashboards/dependencies.json",
                contents: dashboard(dependencies::dependency_dashboard(ns)),
            },
            Asset {
                path: "grafana/dashboards/platform.json",
                contents: dashboard(platform::platform_dashboard(ns)),
            },
            Asset {
                path: "grafana/dashboards/marketplace-overview.json",
                contents: dashboard(overview(ns)),
            },
            Asset {
                path: "grafana/dashboards/marketplace-slo.json",
                contents: dashboard(slo_dashboard(options)),
            },
            Asset {
                path: "grafana/dashboards/marketplace-versions.json",
                contents: dashboard(versions_dashboard(ns)),
            },
        ])
        .collect()
}

/// Whether `s` is a DNS-1123 subdomain (what Kubernetes object names and namespaces must be).
pub fn is_dns_subdomain(s: &str) -> bool {
    kubernetes::dns_subdomain(s)
}

/// One rule file: where it goes as a plain file and as a `PrometheusRule` object.
pub(crate) struct RuleFile {
    /// Below `collector-config/`.
    pub(crate) path: &'static str,
    /// The object's name stem and its path below `collector-config/`.
    pub(crate) stem: &'static str,
    pub(crate) object_path: &'static str,
}

macro_rules! rule_file {
    ($stem:literal) => {
        RuleFile {
            path: concat!("prometheus/rules/", $stem, ".yml"),
            stem: $stem,
            object_path: concat!("kubernetes/", $stem, ".prometheusrule.yaml"),
        }
    };
}

/// Every rule file with its rules for `options`, the selector applied.
pub(crate) fn rule_sets(options: &Options) -> Vec<(RuleFile, Vec<rules::Rule>)> {
    let ns = options.namespace.as_deref();
    let sel = &options.selector;
    let apply = |mut rules: Vec<rules::Rule>| {
        if !sel.is_empty() {
            for r in &mut rules {
                r.expr = sel.apply_to_rule(&r.expr);
                // A rule reading no series (the objective's `vector(..)`) carries the
                // deployment's labels itself, or two environments' rules would collide.
                if !r.alert && r.expr.starts_with("vector(") {
                    r.labels.extend(
                        sel.equalities()
                            .map(|(k, v)| (k.to_string(), v.to_string())),
                    );
                }
            }
        }
        rules
    };
    vec![
        (
            rule_file!("marketplace-recording"),
            apply(recording_rules(ns)),
        ),
        (
            rule_file!("marketplace-alerts"),
            apply(alert_rules(options)),
        ),
        (rule_file!("marketplace-slo"), apply(slo_rules(options))),
        (
            rule_file!("platform-recording"),
            apply(platform::platform_recording(ns)),
        ),
        (
            rule_file!("platform-alerts"),
            apply(platform::platform_alerts(options)),
        ),
        (
            rule_file!("dependencies-recording"),
            apply(dependencies::dependency_recording(ns)),
        ),
        (
            rule_file!("dependencies-alerts"),
            apply(dependencies::dependency_alerts(options)),
        ),
    ]
}
