//! The generated ops assets: committed files equal the generator's output, promtool and
//! amtool accept them, Grafana's schema accepts the dashboards, an alert reaches
//! Alertmanager, and every rule and panel returns data against the real SDK's demo.
//! One binary; `common` is the workspace's test support plus this binary's asset helpers.

mod support;

/// The shared test support (`marketplace-telemetry-test-support`) and the asset helpers.
mod common {
    pub use crate::support::*;
    pub use marketplace_telemetry_test_support::*;
}

mod alert_fires_through_alertmanager;
mod dashboards_match_grafana_schema;
mod kubernetes_objects;
mod log_events;
mod many_instances;
mod ops_assets;
mod ops_assets_against_real_sdk;
mod other_languages;
mod second_rules_engine;
mod versions_across_jobs;
