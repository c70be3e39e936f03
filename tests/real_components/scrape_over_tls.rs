//! A real Prometheus scrapes the protected endpoint (web configuration: TLS with required,
//! verified client certificates and a bcrypt basic-auth user) with its own `tls_config` and
//! `basic_auth`: the right credentials and certificate scrape (`up == 1`, our series stored
//! under the job); a wrong password, a missing client certificate and plain HTTP do not
//! (`up == 0`), and the target page says why (401 for the password).
#![cfg(feature = "scrape-auth")]

use crate::common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{bcrypt_hash, require, temp_dir, test_pki, which, Capture, Prometheus};
use marketplace_telemetry::{Telemetry, TelemetryConfig};

#[test]
fn prometheus_scrapes_over_tls_with_basic_auth_and_a_wrong_password_is_down() {
    let Some(prometheus) = require("prometheus", which("prometheus")) else {
        return;
    };
    let dir = temp_dir("scrape-over-tls");
    let pki = test_pki(&dir);
    let password = "s3cret-scrape-password";
    std::fs::write(
        dir.join("web-config.yml"),
        format!(
            "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\nbasic_auth_users:\n  prometheus: {}\n",
            bcrypt_hash(password)
        ),
    )
    .unwrap();
    std::fs::write(dir.join("password"), password).unwrap();
    let config = TelemetryConfig::builder()
        .with_log_writer(Capture::default().writer())
        .with_prometheus_web_config(dir.join("web-config.yml"))
        .build_from(common::env_map(&[
            ("OTEL_TRACES_EXPORTER", "none"),
            ("OTEL_EXPORTER_PROMETHEUS_PORT", "0"),
        ]))
        .unwrap();
    let telemetry = Telemetry::build(config).unwrap();
    let target = telemetry.scrape_addr().unwrap();

    let job = |name: &str, scheme: &str, cert: bool, password_file: &str| {
        let tls = if cert {
            format!(
                "      cert_file: {}\n      key_file: {}\n",
                pki.client_cert.display(),
                pki.client_key.display()
            )
        } else {
            String::new()
        };
        format!(
            "  - job_name: {name}\n    scheme: {scheme}\n    tls_config:\n      ca_file: {ca}\n      server_name: localhost\n{tls}    basic_auth:\n      username: prometheus\n      password_file: {password_file}\n    static_configs:\n      - targets: ['{target}']\n",
            ca = pki.ca.display(),
        )
    };
    std::fs::write(dir.join("wrong"), "not-the-password").unwrap();
    let right = dir.join("password").display().to_string();
    let wrong = dir.join("wrong").display().to_string();
    let config = format!(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n{}{}{}{}",
        job("protected", "https", true, &right),
        job("wrong-password", "https", true, &wrong),
        job("no-client-cert", "https", false, &right),
        job("plaintext", "http", true, &right),
    );
    let prom = Prometheus::start_with_config(&prometheus, &config);

    // Every job scraped at least twice, then read `up` per job.
    let up = common::wait_for(Duration::from_secs(40), || {
        let v = prom.query("up")?;
        let result = v["data"]["result"].as_array()?;
        let up: BTreeMap<String, String> = result
            .iter()
            .filter_map(|s| {
                Some((
                    s["metric"]["job"].as_str()?.to_string(),
                    s["value"][1].as_str()?.to_string(),
                ))
            })
            .collect();
        (up.len() == 4 && up.get("protected").map(String::as_str) == Some("1")).then_some(up)
    })
    .unwrap_or_else(|| panic!("not every job was scraped: {:?}", prom.query("up")));
    assert_eq!(up["wrong-password"], "0", "{up:?}");
    assert_eq!(up["no-client-cert"], "0", "{up:?}");
    assert_eq!(up["plaintext"], "0", "{up:?}");
    // Our series are stored under the protected job only.
    assert_eq!(prom.samples("target_info{job=\"protected\"}"), Some(1));
    assert_eq!(prom.samples("target_info{job!=\"protected\"}"), Some(0));
    // The target page says why the wrong password is down.
    let targets = prom.get("/api/v1/targets").unwrap();
    let errors: BTreeMap<String, String> = targets["data"]["activeTargets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["labels"]["job"].as_str().unwrap_or("").to_string(),
                t["lastError"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert!(errors["wrong-password"].contains("401"), "{errors:?}");
    assert!(errors["protected"].is_empty(), "{errors:?}");
    assert!(!errors["no-client-cert"].is_empty(), "{errors:?}");
    assert!(!errors["plaintext"].is_empty(), "{errors:?}");
    println!("up per job: {up:?}\nlast errors: {errors:?}");
    telemetry.shutdown().unwrap();
}
