//! Three demo instances under one job, one real Prometheus running the shipped scrape config
//! (three targets) and the shipped rules: the recording rules aggregate across instances (one
//! series per job, not per instance), the SLO rules evaluate per job, and `ServiceDown` fires
//! for the one instance that is stopped — and only for it.

use crate::common;

use std::time::{Duration, Instant};

use common::{assets_dir, require, temp_dir, wait_for, which, Prometheus};

/// The `result` array of an instant query.
fn result(prom: &Prometheus, q: &str) -> Vec<serde_json::Value> {
    prom.query(q)
        .and_then(|v| v["data"]["result"].as_array().cloned())
        .unwrap_or_default()
}

#[test]
fn three_instances_aggregate_per_job_and_only_the_stopped_one_is_down() {
    let Some(prometheus) = require("prometheus", which("prometheus")) else {
        return;
    };
    let dir = temp_dir("three-instances");
    let mut demos = Vec::new();
    for i in 0..3 {
        demos.push(common::start_demo(&dir.join(format!("demo-{i}.log")), &[]));
    }
    let targets: Vec<String> = demos
        .iter()
        .map(|(_, port)| format!("'127.0.0.1:{port}'"))
        .collect();
    let rule_files = common::rule_files(&assets_dir());
    let placeholder = std::net::SocketAddr::from(([127, 0, 0, 1], 9464));
    let config = common::shipped_prometheus_config(placeholder, &rule_files, None)
        .replace("['127.0.0.1:9464']", &format!("[{}]", targets.join(", ")));
    assert!(config.contains(&targets[2]), "{config}");
    let prom = Prometheus::start_with_config(&prometheus, &config);

    // All three up under the one job.
    let up = wait_for(Duration::from_secs(60), || {
        let r = result(&prom, "sum(up{job=\"marketplace\"})");
        (r.first()?["value"][1].as_str()? == "3").then_some(())
    });
    assert!(
        up.is_some(),
        "three targets never all up: {:?}",
        prom.query("up")
    );

    // Recording rules: one series per (job, operation, outcome), no instance label; the value
    // is the sum over the three instances.
    let aggregated = wait_for(Duration::from_secs(90), || {
        let r = result(
            &prom,
            "marketplace:operation_requests:rate5m{job=\"marketplace\",operation=\"search\",outcome=\"success\"}",
        );
        (!r.is_empty()).then_some(r)
    })
    .expect("the recording rule never produced data");
    assert_eq!(aggregated.len(), 1, "{aggregated:?}");
    assert!(
        aggregated[0]["metric"]["instance"].is_null(),
        "{aggregated:?}"
    );
    // ... fed by all three instances.
    let contributing = wait_for(Duration::from_secs(60), || {
        let r = result(
            &prom,
            "count(sum by (instance) (rate(marketplace_search_duration_seconds_count{job=\"marketplace\",outcome=\"success\"}[5m])))",
        );
        (r.first()?["value"][1].as_str()? == "3").then_some(())
    });
    assert!(
        contributing.is_some(),
        "not all three instances have search rates"
    );
    // The SLO SLIs evaluate per job: one series per SLO.
    let sli = wait_for(Duration::from_secs(60), || {
        let r = result(&prom, "slo:sli_error:ratio_rate5m{slo=\"errors\"}");
        (!r.is_empty()).then_some(r)
    })
    .expect("the errors SLI never evaluated");
    assert_eq!(sli.len(), 1, "{sli:?}");
    assert_eq!(sli[0]["metric"]["job"], "marketplace", "{sli:?}");

    // Stop one instance: after `for: 1m`, ServiceDown fires for it and only for it.
    let stopped = format!("127.0.0.1:{}", demos[1].1);
    demos[1].0.terminate();
    let started = Instant::now();
    let firing = wait_for(Duration::from_secs(150), || {
        let r = result(
            &prom,
            "ALERTS{alertname=\"MarketplaceServiceDown\",alertstate=\"firing\"}",
        );
        (!r.is_empty()).then_some(r)
    })
    .expect("MarketplaceServiceDown never fired for the stopped instance");
    eprintln!(
        "three instances: ServiceDown firing {:.0} s after the stop",
        started.elapsed().as_secs_f64()
    );
    let instances: Vec<&str> = firing
        .iter()
        .filter_map(|a| a["metric"]["instance"].as_str())
        .collect();
    assert_eq!(instances, vec![stopped.as_str()], "{firing:?}");
    assert_eq!(firing[0]["metric"]["job"], "marketplace");
    // The others still count: two instances up.
    let up = result(&prom, "sum(up{job=\"marketplace\"})");
    assert_eq!(up[0]["value"][1], "2", "{up:?}");
}
