//! A live alert path: the shipped `MarketplaceServiceDown` rule (only `for:` shortened) fires in
//! a real Prometheus scraping a dead target, goes through a real Alertmanager with the shipped
//! routing (receivers pointed at a loopback webhook, group waits shortened) and arrives at the
//! webhook of the on-call receiver.

use crate::common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{assets_dir, free_port, require, temp_dir, wait_for, which, Prometheus};

/// (path, body) of every POST the webhook received.
type Deliveries = Arc<Mutex<Vec<(String, String)>>>;

/// A webhook receiver on a free loopback port.
fn webhook() -> (u16, Deliveries) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let got = Arc::new(Mutex::new(Vec::new()));
    let sink = got.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let mut buf = Vec::new();
            let mut chunk = [0u8; 8192];
            // Read headers, then Content-Length bytes of body.
            loop {
                let n = stream.read(&mut chunk).unwrap_or(0);
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&buf);
                if let Some(end) = text.find("\r\n\r\n") {
                    let len = text[..end]
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if buf.len() >= end + 4 + len {
                        break;
                    }
                }
            }
            let text = String::from_utf8_lossy(&buf).into_owned();
            let path = text.split_whitespace().nth(1).unwrap_or("").to_string();
            let body = text.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
            sink.lock().unwrap().push((path, body));
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    (port, got)
}

#[test]
fn service_down_pages_the_oncall_receiver_through_the_shipped_routing() {
    let Some(prometheus) = require("prometheus", which("prometheus")) else {
        return;
    };
    let Some(alertmanager) = require("prometheus-alertmanager", which("prometheus-alertmanager"))
    else {
        return;
    };
    let dir = temp_dir("alert-path");
    let (hook_port, received) = webhook();

    // Shipped routing; receivers replaced by webhooks (one path per receiver name).
    let shipped =
        std::fs::read_to_string(assets_dir().join("alertmanager/alertmanager.yml")).unwrap();
    let (routing, receivers) = shipped.split_once("\nreceivers:").unwrap();
    let names: Vec<&str> = receivers
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- name: "))
        .collect();
    assert!(names.contains(&"marketplace-oncall"));
    let mut config = routing
        .replace("group_wait: 30s", "group_wait: 1s")
        .replace("group_wait: 10s", "group_wait: 1s");
    config.push_str("\nreceivers:\n");
    for name in &names {
        config.push_str(&format!(
            "  - name: {name}\n    webhook_configs:\n      - url: http://127.0.0.1:{hook_port}/{name}\n        send_resolved: false\n"
        ));
    }
    std::fs::write(dir.join("alertmanager.yml"), &config).unwrap();
    let (_am, am_port) = common::spawn_on_free_port(
        "alertmanager",
        |am_port| {
            let am_log = std::fs::File::create(dir.join("alertmanager.log")).unwrap();
            let mut cmd = Command::new(&alertmanager);
            cmd.arg(format!(
                "--config.file={}",
                dir.join("alertmanager.yml").display()
            ))
            .arg(format!("--storage.path={}", dir.join("am").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{am_port}"))
            .arg("--cluster.listen-address=")
            .stdout(am_log.try_clone().unwrap())
            .stderr(am_log);
            cmd
        },
        |am_port| common::answers_200(am_port, "/-/ready"),
    );

    // Shipped rules with `for:` shortened; the target is a closed port: the service is down.
    let rules_dir = assets_dir().join("prometheus/rules");
    let alerts = std::fs::read_to_string(rules_dir.join("marketplace-alerts.yml"))
        .unwrap()
        .replace("for: 1m", "for: 0s");
    std::fs::write(dir.join("alerts.yml"), alerts).unwrap();
    let dead = std::net::SocketAddr::from(([127, 0, 0, 1], free_port()));
    let config = common::shipped_prometheus_config(
        dead,
        &[
            rules_dir.join("marketplace-recording.yml"),
            dir.join("alerts.yml"),
        ],
        Some(([127, 0, 0, 1], am_port).into()),
    );
    let _prom = Prometheus::start_with_config(&prometheus, &config);

    let delivered = wait_for(Duration::from_secs(60), || {
        received
            .lock()
            .unwrap()
            .iter()
            .find(|(path, body)| {
                body.contains("MarketplaceServiceDown") && path == "/marketplace-oncall"
            })
            .cloned()
    });
    let (_, body) = delivered.unwrap_or_else(|| {
        panic!(
            "no page arrived; webhook got {:?}; logs in {}",
            received.lock().unwrap(),
            dir.display()
        )
    });
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["status"], "firing");
    assert_eq!(v["receiver"], "marketplace-oncall");
    let alert = &v["alerts"][0];
    assert_eq!(alert["labels"]["severity"], "critical");
    assert_eq!(alert["labels"]["component"], "marketplace");
    assert!(alert["annotations"]["runbook_url"]
        .as_str()
        .unwrap()
        .contains("RUNBOOK.md#marketplaceservicedown"));
    // Routing sent it nowhere else (critical routes only to on-call).
    let others: Vec<String> = received
        .lock()
        .unwrap()
        .iter()
        .filter(|(p, b)| b.contains("MarketplaceServiceDown") && p != "/marketplace-oncall")
        .map(|(p, _)| p.clone())
        .collect();
    assert!(others.is_empty(), "also delivered to {others:?}");
}
