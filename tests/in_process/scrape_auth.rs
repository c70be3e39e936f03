//! The protected scrape endpoint (`MARKETPLACE_PROMETHEUS_WEB_CONFIG`, feature `scrape-auth`):
//! over TLS with basic auth a scrape answers 200; a missing header, an unknown user and a
//! wrong password all get the same 401; a plaintext request to the TLS port gets no HTTP
//! answer; client certificates are verified when the file asks; credentials are never logged;
//! a bad file is an error naming the key, never an open port. Real sockets, a rustls client.
#![cfg(feature = "scrape-auth")]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine as _;
use marketplace_telemetry::{Error, Telemetry, TelemetryConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::rustls;

use crate::common::{self, bcrypt_hash, temp_dir, test_pki, Capture, Pki};

const PASSWORD: &str = "correct horse battery staple";

fn web_config(dir: &Path, pki: &Pki, client_auth: Option<&str>) -> PathBuf {
    let mut text = format!(
        "tls_server_config:\n  cert_file: server.crt\n  key_file: {}\n",
        pki.server_key.display()
    );
    if let Some(kind) = client_auth {
        text.push_str(&format!(
            "  client_auth_type: {kind}\n  client_ca_file: ca.crt\n"
        ));
    }
    text.push_str(&format!(
        "basic_auth_users:\n  prometheus: {}\n  grafana: {}\n",
        bcrypt_hash(PASSWORD),
        bcrypt_hash("another one")
    ));
    let path = dir.join("web-config.yml");
    std::fs::write(&path, text).unwrap();
    path
}

fn start(web: &Path, capture: &Capture) -> Telemetry {
    let config = TelemetryConfig::builder()
        .with_log_writer(capture.writer())
        .with_prometheus_web_config(web)
        .build_from(common::env_map(&[
            ("OTEL_TRACES_EXPORTER", "none"),
            ("OTEL_EXPORTER_PROMETHEUS_PORT", "0"),
            ("RUST_LOG", "trace"),
        ]))
        .unwrap();
    Telemetry::build(config).unwrap()
}

fn client(pki: &Pki, identity: Option<(&Path, &Path)>) -> tokio_rustls::TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(&pki.ca).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots);
    let config = match identity {
        Some((cert, key)) => builder
            .with_client_auth_cert(
                CertificateDer::pem_file_iter(cert)
                    .unwrap()
                    .map(|c| c.unwrap())
                    .collect(),
                PrivateKeyDer::from_pem_file(key).unwrap(),
            )
            .unwrap(),
        None => builder.with_no_client_auth(),
    };
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

/// One `GET /metrics` over TLS: the status line and the response, or the handshake's error.
async fn get(
    connector: &tokio_rustls::TlsConnector,
    addr: std::net::SocketAddr,
    authorization: Option<String>,
) -> Result<String, std::io::Error> {
    let tcp = tokio::net::TcpStream::connect(addr).await?;
    let mut tls = connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await?;
    let auth = authorization
        .map(|a| format!("Authorization: {a}\r\n"))
        .unwrap_or_default();
    tls.write_all(
        format!("GET /metrics HTTP/1.1\r\nHost: localhost\r\n{auth}Connection: close\r\n\r\n")
            .as_bytes(),
    )
    .await?;
    let mut out = Vec::new();
    tls.read_to_end(&mut out).await?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

fn basic(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

/// The body after the head, and the status line.
fn split(response: &str) -> (&str, &str) {
    let status = response.lines().next().unwrap_or("");
    let body = response.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, body)
}

#[tokio::test]
async fn tls_and_basic_auth_admit_the_user_and_refuse_everyone_else_alike() {
    let dir = temp_dir("scrape-auth");
    let pki = test_pki(&dir);
    let capture = Capture::default();
    let telemetry = start(&web_config(&dir, &pki, None), &capture);
    let addr = telemetry.scrape_addr().unwrap();
    let connector = client(&pki, None);

    let ok = get(&connector, addr, Some(basic("prometheus", PASSWORD)))
        .await
        .unwrap();
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    assert!(ok.contains("target_info"), "{ok}");
    // Again: the verified credentials are remembered (no bcrypt work), still 200.
    let again = get(&connector, addr, Some(basic("prometheus", PASSWORD)))
        .await
        .unwrap();
    assert!(again.starts_with("HTTP/1.1 200"));

    // Missing, unknown user, wrong password, malformed: one answer, no hint.
    let mut refusals = Vec::new();
    for auth in [
        None,
        Some(basic("nobody", PASSWORD)),
        Some(basic("prometheus", "wrong")),
        Some(basic("grafana", PASSWORD)),
        Some("Basic !!!not-base64".to_string()),
        Some("Bearer abc".to_string()),
    ] {
        let response = get(&connector, addr, auth.clone()).await.unwrap();
        let (status, body) = split(&response);
        assert_eq!(status, "HTTP/1.1 401 Unauthorized", "{auth:?}: {response}");
        assert!(
            response.contains("www-authenticate: Basic realm=\"metrics\""),
            "{response}"
        );
        refusals.push(body.to_string());
    }
    assert!(refusals.iter().all(|b| b == "Unauthorized"), "{refusals:?}");

    // A plaintext request to the TLS port: no HTTP answer.
    let mut plain = tokio::net::TcpStream::connect(addr).await.unwrap();
    plain
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut out = Vec::new();
    let _ = plain.read_to_end(&mut out).await;
    assert!(
        !String::from_utf8_lossy(&out).contains("HTTP/1.1"),
        "plaintext got an HTTP answer: {:?}",
        String::from_utf8_lossy(&out)
    );

    telemetry.shutdown().unwrap();
    // The connection path does log (the plaintext probe's failed handshake reached the
    // capture), and nothing of the credentials is in any line, at trace level.
    let logs = capture.text();
    assert!(
        logs.contains("TLS handshake failed"),
        "the endpoint's events do not reach the logs:\n{logs}"
    );
    for secret in [PASSWORD, "wrong", &basic("prometheus", PASSWORD)[6..]] {
        assert!(!logs.contains(secret), "{secret:?} logged:\n{logs}");
    }
}

#[tokio::test]
async fn client_certificates_are_verified_when_required() {
    let dir = temp_dir("scrape-mtls");
    let pki = test_pki(&dir);
    let capture = Capture::default();
    let telemetry = start(
        &web_config(&dir, &pki, Some("RequireAndVerifyClientCert")),
        &capture,
    );
    let addr = telemetry.scrape_addr().unwrap();
    let auth = Some(basic("prometheus", PASSWORD));
    let ours = client(&pki, Some((&pki.client_cert, &pki.client_key)));
    let ok = get(&ours, addr, auth.clone()).await.unwrap();
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    // No certificate, or one of another CA: the handshake fails, nothing is served.
    for connector in [
        client(&pki, None),
        client(&pki, Some((&pki.other_client_cert, &pki.other_client_key))),
    ] {
        // A handshake error, or a connection closed without an answer.
        if let Ok(response) = get(&connector, addr, auth.clone()).await {
            assert!(!response.contains("HTTP/1.1 200"), "{response}");
        }
    }
    telemetry.shutdown().unwrap();
}

#[test]
fn a_bad_web_configuration_is_an_error_naming_the_key_and_binds_nothing() {
    let dir = temp_dir("scrape-auth-bad");
    let pki = test_pki(&dir);
    let hash = bcrypt_hash(PASSWORD);
    let cases = [
        (
            format!("basic_auth_users:\n  prometheus: {PASSWORD}\n"),
            "basic_auth_users.prometheus: expected a bcrypt hash",
        ),
        (
            "basic_auth_users:\n  prometheus: $2y$04$tooshortXXXXXXXXXXXXXX\n".to_string(),
            "basic_auth_users.prometheus: expected a bcrypt hash",
        ),
        ("# nothing\n".to_string(), "would protect nothing"),
        (
            "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_ca_file: ca.crt\n".to_string(),
            "client_ca_file without client_auth_type",
        ),
        (
            "tls_server_config:\n  cert_file: server.crt\n  key_file: broken.key\n".to_string(),
            "no readable PEM private key",
        ),
        (
            format!("http_server_config:\n  http2: false\nbasic_auth_users:\n  p: {hash}\n"),
            "`http_server_config` is not supported",
        ),
        (
            "tls_server_config:\n  cert_file: server.crt\n".to_string(),
            "tls_server_config.key_file is required",
        ),
        (
            "tls_server_config:\n  cert_file: server.crt\n  key_file: missing.key\n".to_string(),
            "missing.key",
        ),
        (
            "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: RequireAnyClientCert\n".to_string(),
            "client_auth_type \"RequireAnyClientCert\"",
        ),
        (
            "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: RequireAndVerifyClientCert\n".to_string(),
            "needs client_ca_file",
        ),
        (
            "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\n".to_string(),
            "tls_server_config.cipher_suites is not supported",
        ),
        (
            "tls_server_config:\n  cert_file: server.crt\n  key_file: ca.crt\n".to_string(),
            "no readable PEM private key",
        ),
    ];
    // A private key whose body is damaged: its text must not reach the error.
    let key = std::fs::read_to_string(&pki.server_key).unwrap();
    let broken = key.replacen("MI", "!!", 1);
    std::fs::write(dir.join("broken.key"), &broken).unwrap();
    let key_body: String = broken
        .lines()
        .nth(1)
        .unwrap_or("")
        .chars()
        .take(40)
        .collect();
    for (text, wanted) in cases {
        let path = dir.join("bad-web-config.yml");
        std::fs::write(&path, &text).unwrap();
        let config = TelemetryConfig::builder()
            .with_log_writer(Capture::default().writer())
            .with_prometheus_web_config(&path)
            .build_from(common::env_map(&[
                ("OTEL_TRACES_EXPORTER", "none"),
                ("OTEL_EXPORTER_PROMETHEUS_PORT", "0"),
            ]))
            .unwrap();
        let err = Telemetry::build(config).expect_err(&text);
        assert!(matches!(err, Error::WebConfig { .. }), "{err:?}");
        let shown = err.to_string();
        assert!(
            shown.starts_with("MARKETPLACE_PROMETHEUS_WEB_CONFIG") && shown.contains(wanted),
            "{text}: {shown}"
        );
        for secret in [&hash[7..], "tooshortXXXX", PASSWORD, key_body.as_str()] {
            assert!(!shown.contains(secret), "{secret:?} in the error: {shown}");
        }
        assert!(
            !shown.contains("PRIVATE KEY"),
            "key material in the error: {shown}"
        );
    }
    // A file that does not exist is refused when the configuration is read.
    let err = TelemetryConfig::builder()
        .build_from(common::env_map(&[(
            "MARKETPLACE_PROMETHEUS_WEB_CONFIG",
            "/nonexistent/web.yml",
        )]))
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("MARKETPLACE_PROMETHEUS_WEB_CONFIG"),
        "{err}"
    );
}
