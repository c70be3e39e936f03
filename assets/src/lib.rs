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

mod grafana;
mod model;
mod promtool_tests;
mod rules;

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

/// What the generated assets are for: the service's metrics namespace and its scrape job.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// `TelemetryConfig::with_metrics_namespace` of the service (series prefix `NS_`).
    pub namespace: Option<String>,
    /// The Prometheus scrape job the service runs under (every `up` and `job` matcher).
    pub job: String,
}

impl Default for Options {
    /// No namespace, job [`JOB`]: the committed files.
    fn default() -> Self {
        Options {
            namespace: None,
            job: JOB.to_string(),
        }
    }
}

impl Options {
    /// Options with a namespace and a job.
    pub fn new(namespace: Option<&str>, job: &str) -> Self {
        Options {
            namespace: namespace.map(str::to_string),
            job: job.to_string(),
        }
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
    let job = options.job.as_str();
    vec![
        Asset {
            path: "prometheus/rules/marketplace-recording.yml",
            contents: render_rules(&recording_rules(ns)),
        },
        Asset {
            path: "prometheus/rules/marketplace-alerts.yml",
            contents: render_rules(&alert_rules(ns, job)),
        },
        Asset {
            path: "prometheus/rules/marketplace-slo.yml",
            contents: render_rules(&slo_rules(ns, job)),
        },
        Asset {
            path: "prometheus/tests/recording_test.yml",
            contents: recording_tests(ns),
        },
        Asset {
            path: "prometheus/tests/alerts_test.yml",
            contents: alert_tests(ns, job),
        },
        Asset {
            path: "prometheus/tests/slo_test.yml",
            contents: slo_tests(ns, job),
        },
        Asset {
            path: "grafana/dashboards/marketplace-overview.json",
            contents: overview(ns),
        },
        Asset {
            path: "grafana/dashboards/marketplace-slo.json",
            contents: slo_dashboard(ns, job),
        },
        Asset {
            path: "grafana/dashboards/marketplace-versions.json",
            contents: versions_dashboard(ns),
        },
    ]
}
