//! A second rules engine: the shipped rule files evaluated by `vmalert` over VictoriaMetrics,
//! fed by `vmagent` scraping the demo (Debian `victoria-metrics`). Every recording rule (and
//! SLI) must produce series there too — the rules use nothing Prometheus-only.

use crate::common;

use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use common::{assets_dir, require, spawn_on_free_port, temp_dir, wait_for, which};

/// Series an instant query returns from VictoriaMetrics at `port` (None on an error).
fn samples(port: u16, q: &str) -> Option<usize> {
    let (status, body) = common::http_get(
        SocketAddr::from(([127, 0, 0, 1], port)),
        &format!("/api/v1/query?query={}", common::url_encode(q)),
    )
    .ok()?;
    let v: serde_json::Value = serde_json::from_str(&body).ok()?;
    (status == 200 && v["status"] == "success")
        .then(|| v["data"]["result"].as_array().map_or(0, |a| a.len()))
}

#[test]
fn vmalert_over_victoria_metrics_evaluates_every_recording_rule() {
    let (Some(vm), Some(vmagent), Some(vmalert)) = (
        require("victoria-metrics", which("victoria-metrics")),
        require("vmagent", which("vmagent")),
        require("vmalert", which("vmalert")),
    ) else {
        return;
    };
    let dir = temp_dir("victoria-metrics");
    let (_storage, _demo, scrape_port) =
        common::start_demo_with_downstream(&dir.join("demo.log"), &[], &[]);

    let (_vm, vm_port) = spawn_on_free_port(
        "victoria-metrics",
        |port| {
            let log = std::fs::File::create(dir.join("vm.log")).unwrap();
            let mut cmd = Command::new(&vm);
            cmd.arg(format!("-storageDataPath={}", dir.join("vm").display()))
                .arg(format!("-httpListenAddr=127.0.0.1:{port}"))
                .arg("-retentionPeriod=1d")
                .arg("-search.latencyOffset=1s")
                .stdout(log.try_clone().unwrap())
                .stderr(log);
            cmd
        },
        |port| common::answers_200(port, "/health"),
    );
    // vmagent scrapes the demo under the job the rules select on.
    let scrape = dir.join("scrape.yml");
    std::fs::write(
        &scrape,
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: marketplace\n    static_configs:\n      - targets: ['127.0.0.1:{scrape_port}']\n"
        ),
    )
    .unwrap();
    let (_vmagent, _) = spawn_on_free_port(
        "vmagent",
        |port| {
            let log = std::fs::File::create(dir.join("vmagent.log")).unwrap();
            let mut cmd = Command::new(&vmagent);
            cmd.arg(format!("-promscrape.config={}", scrape.display()))
                .arg(format!(
                    "-remoteWrite.url=http://127.0.0.1:{vm_port}/api/v1/write"
                ))
                .arg(format!(
                    "-remoteWrite.tmpDataPath={}",
                    dir.join("va").display()
                ))
                .arg(format!("-httpListenAddr=127.0.0.1:{port}"))
                .stdout(log.try_clone().unwrap())
                .stderr(log);
            cmd
        },
        |port| common::answers_200(port, "/health"),
    );
    let rule_files = common::rule_files(&assets_dir());
    let (_vmalert, _) = spawn_on_free_port(
        "vmalert",
        |port| {
            let log = std::fs::File::create(dir.join("vmalert.log")).unwrap();
            let mut cmd = Command::new(&vmalert);
            for f in &rule_files {
                cmd.arg(format!("-rule={}", f.display()));
            }
            cmd.arg(format!("-datasource.url=http://127.0.0.1:{vm_port}"))
                .arg(format!("-remoteWrite.url=http://127.0.0.1:{vm_port}"))
                // 1.79 has no blackhole notifier; an unreachable one only logs send errors.
                .arg(format!(
                    "-notifier.url=http://127.0.0.1:{}",
                    common::free_port()
                ))
                .arg("-evaluationInterval=2s")
                .arg(format!("-httpListenAddr=127.0.0.1:{port}"))
                .stdout(log.try_clone().unwrap())
                .stderr(log);
            cmd
        },
        |port| common::answers_200(port, "/health"),
    );

    let wanted = common::recording_selectors(&rule_files);
    let mut missing = wanted.clone();
    let started = std::time::Instant::now();
    wait_for(Duration::from_secs(150), || {
        missing.retain(|q| samples(vm_port, q).unwrap_or(0) == 0);
        missing.is_empty().then_some(())
    });
    eprintln!(
        "vmalert: {} of {} recording-rule series present after {:.0} s",
        wanted.len() - missing.len(),
        wanted.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        missing.is_empty(),
        "{} of {} recording rules have no series in VictoriaMetrics (vmalert log: {}):\n  {}",
        missing.len(),
        wanted.len(),
        dir.join("vmalert.log").display(),
        missing.join("\n  ")
    );
}
