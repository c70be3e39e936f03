//! Version comparison across deployments: v1 and v2 of the demo run as two scrape jobs, one
//! real Prometheus scrapes both, and every panel of the versions dashboard — with both jobs
//! selected — returns one series per version. v1 puts `service.version` on every series
//! (`MARKETPLACE_PROMETHEUS_RESOURCE_LABELS`), v2 does not: its version comes from the
//! `target_info` join, so both ways of deploying are covered by the same queries.

use crate::common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::{assets_dir, require, temp_dir, wait_for, which, Prometheus};

#[test]
fn the_versions_dashboard_compares_two_versions_deployed_as_two_jobs() {
    let Some(prometheus) = require("prometheus", which("prometheus")) else {
        return;
    };
    let dir = temp_dir("versions");
    let (_v1, v1_port) = common::start_demo_with_args(
        &dir.join("v1.log"),
        &[("MARKETPLACE_PROMETHEUS_RESOURCE_LABELS", "service.version")],
        &["--service-version", "1.0.0"],
    );
    let (_v2, v2_port) =
        common::start_demo_with_args(&dir.join("v2.log"), &[], &["--service-version", "2.0.0"]);
    // v1 carries the label on every series; v2 only on target_info.
    let (_, v1_body) = common::http_get(([127, 0, 0, 1], v1_port).into(), "/metrics").unwrap();
    assert!(
        v1_body.contains("service_version=\"1.0.0\""),
        "v1 has no version label"
    );
    let (_, v2_body) = common::http_get(([127, 0, 0, 1], v2_port).into(), "/metrics").unwrap();
    assert!(
        v2_body
            .lines()
            .filter(|l| l.contains("service_version="))
            .all(|l| l.starts_with("target_info")),
        "v2 should carry the version on target_info only"
    );

    let config = format!(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: marketplace-v1\n    static_configs:\n      - targets: ['127.0.0.1:{v1_port}']\n  - job_name: marketplace-v2\n    static_configs:\n      - targets: ['127.0.0.1:{v2_port}']\n"
    );
    let prom = Prometheus::start_with_config(&prometheus, &config);

    let dashboard: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(assets_dir().join("grafana/dashboards/marketplace-versions.json"))
            .unwrap(),
    )
    .unwrap();
    let job_var = &dashboard["templating"]["list"][1];
    assert_eq!(
        job_var["multi"], true,
        "the job variable takes several jobs"
    );
    let panels = common::panel_exprs(&dashboard);
    assert_eq!(panels.len(), 6);
    // Grafana renders a multi-value `$job` as a regex alternation.
    let jobs = "(marketplace-v1|marketplace-v2)";
    for (title, expr) in &panels {
        let q = expr
            .replace("$__rate_interval", "30s")
            .replace("$job", jobs);
        let versions = wait_for(Duration::from_secs(60), || {
            let v = prom.query(&q)?;
            let found: BTreeSet<String> = v["data"]["result"]
                .as_array()?
                .iter()
                .filter(|s| s["value"][1].as_str().is_some_and(|x| x != "NaN"))
                .filter_map(|s| s["metric"]["service_version"].as_str().map(String::from))
                .collect();
            (found.len() == 2).then_some(found)
        });
        assert_eq!(
            versions,
            Some(BTreeSet::from(["1.0.0".to_string(), "2.0.0".to_string()])),
            "{title}: {q} -> {:?}",
            prom.query(&q)
        );
    }
}
