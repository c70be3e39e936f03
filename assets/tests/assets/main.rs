//! The generated ops assets: committed files equal the generator's output, promtool and
//! amtool accept them, Grafana's schema accepts the dashboards, an alert reaches
//! Alertmanager, and every rule and panel returns data against the real SDK's demo.
//! One binary, so `common` (shared with the SDK's tests) is compiled once.

#[path = "../../../tests/common/mod.rs"]
mod common;

mod alert_fires_through_alertmanager;
mod dashboards_match_grafana_schema;
mod log_events;
mod many_instances;
mod ops_assets;
mod ops_assets_against_real_sdk;
mod other_languages;
mod second_rules_engine;
mod versions_across_jobs;
