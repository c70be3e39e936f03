//! TLS: with the `tls` feature an `https://` endpoint is verified against the CA given in
//! `OTEL_EXPORTER_OTLP_CERTIFICATE` (a self-signed certificate generated here) and spans reach a
//! loopback TLS receiver; without that CA the handshake fails and nothing goes out in
//! plaintext. `https://` over http/protobuf (no TLS stack in the blocking client) is a typed
//! error. Mutual TLS: a receiver that requires a client certificate gets spans only from a
//! pipeline given `OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE` and `OTEL_EXPORTER_OTLP_CLIENT_KEY`.
#![cfg(feature = "tls")]

use crate::common;

use std::time::Duration;

use common::{env_map, wait_for, Capture, Received};
use marketplace_telemetry::{Error, Telemetry, TelemetryConfig};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::TraceServiceServer;
use tonic::transport::{Identity, Server, ServerTlsConfig};

async fn tls_receiver(cert_pem: &str, key_pem: &str) -> (u16, Received) {
    tls_receiver_with(ServerTlsConfig::new().identity(Identity::from_pem(cert_pem, key_pem))).await
}

async fn tls_receiver_with(tls: ServerTlsConfig) -> (u16, Received) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = Received::default();
    let server = Server::builder()
        .tls_config(tls)
        .unwrap()
        .add_service(TraceServiceServer::new(received.clone()))
        .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener));
    tokio::spawn(server);
    (port, received)
}

fn send_span(endpoint: &str, ca: Option<&str>) -> Telemetry {
    send_span_with(endpoint, ca, &[])
}

fn send_span_with(endpoint: &str, ca: Option<&str>, extra: &[(&str, &str)]) -> Telemetry {
    let mut vars = vec![
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint),
        ("OTEL_BSP_SCHEDULE_DELAY", "50"),
    ];
    if let Some(ca) = ca {
        vars.push(("OTEL_EXPORTER_OTLP_CERTIFICATE", ca));
    }
    vars.extend_from_slice(extra);
    let config = TelemetryConfig::builder()
        .with_log_writer(Capture::default().writer())
        .with_scrape_endpoint(false)
        .with_shutdown_timeout(Duration::from_secs(2))
        .build_from(env_map(&vars))
        .unwrap();
    let telemetry = Telemetry::build(config).unwrap();
    tracing::dispatcher::with_default(telemetry.dispatch(), || {
        let span = tracing::info_span!("over_tls");
        let _g = span.enter();
    });
    let _ = telemetry.force_flush();
    telemetry
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_reach_a_tls_collector_verified_with_the_configured_ca() {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let (cert_pem, key_pem) = (cert.cert.pem(), cert.signing_key.serialize_pem());
    let dir = common::temp_dir("tls");
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, &cert_pem).unwrap();
    let (port, received) = tls_receiver(&cert_pem, &key_pem).await;
    let endpoint = format!("https://localhost:{port}");
    let ca = ca.display().to_string();

    let (ep, r) = (endpoint.clone(), received.clone());
    tokio::task::spawn_blocking(move || {
        let telemetry = send_span(&ep, Some(&ca));
        let got = wait_for(Duration::from_secs(20), || {
            (!r.spans().is_empty()).then_some(())
        });
        let _ = telemetry.shutdown();
        assert!(got.is_some(), "the span did not arrive over TLS");
    })
    .await
    .unwrap();

    // Without the CA the self-signed certificate is not trusted: nothing is delivered.
    let before = received.spans().len();
    let r = received.clone();
    tokio::task::spawn_blocking(move || {
        let telemetry = send_span(&endpoint, None);
        std::thread::sleep(Duration::from_secs(1));
        let _ = telemetry.shutdown();
        assert_eq!(
            r.spans().len(),
            before,
            "a span went through without a trusted certificate"
        );
    })
    .await
    .unwrap();
}

#[test]
fn https_over_http_protobuf_is_a_typed_error_never_plaintext() {
    let config = TelemetryConfig::builder()
        .with_log_writer(Capture::default().writer())
        .with_scrape_endpoint(false)
        .build_from(env_map(&[
            (
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                "https://collector.example:4318",
            ),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
        ]))
        .unwrap();
    let err = Telemetry::build(config).unwrap_err();
    assert!(
        matches!(err, Error::FeatureDisabled { feature: "tls", .. }),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_tls_sends_the_configured_client_certificate() {
    let server = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let client =
        rcgen::generate_simple_self_signed(vec!["marketplace-client".to_string()]).unwrap();
    let dir = common::temp_dir("mtls");
    let write = |name: &str, text: String| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    };
    let ca = write("ca.pem", server.cert.pem());
    let client_cert = write("client.pem", client.cert.pem());
    let client_key = write("client.key", client.signing_key.serialize_pem());
    let tls = ServerTlsConfig::new()
        .identity(Identity::from_pem(
            server.cert.pem(),
            server.signing_key.serialize_pem(),
        ))
        .client_ca_root(tonic::transport::Certificate::from_pem(client.cert.pem()));
    let (port, received) = tls_receiver_with(tls).await;
    let endpoint = format!("https://localhost:{port}");

    // Without a client certificate the receiver refuses the connection: nothing arrives.
    let (ep, c, r) = (endpoint.clone(), ca.clone(), received.clone());
    tokio::task::spawn_blocking(move || {
        let telemetry = send_span(&ep, Some(&c));
        std::thread::sleep(Duration::from_secs(1));
        let _ = telemetry.shutdown();
        assert!(
            r.spans().is_empty(),
            "a span went through without a client certificate"
        );
    })
    .await
    .unwrap();

    // With the per-signal certificate and key it is accepted.
    let r = received.clone();
    tokio::task::spawn_blocking(move || {
        let telemetry = send_span_with(
            &endpoint,
            Some(&ca),
            &[
                ("OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE", &client_cert),
                ("OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY", &client_key),
            ],
        );
        let got = wait_for(Duration::from_secs(20), || {
            (!r.spans().is_empty()).then_some(())
        });
        let _ = telemetry.shutdown();
        assert!(got.is_some(), "the span did not arrive over mutual TLS");
    })
    .await
    .unwrap();
}

#[test]
fn a_client_certificate_over_http_protobuf_is_a_typed_error() {
    let client = rcgen::generate_simple_self_signed(vec!["client".to_string()]).unwrap();
    let dir = common::temp_dir("mtls-http");
    let (cert, key) = (dir.join("c.pem"), dir.join("c.key"));
    std::fs::write(&cert, client.cert.pem()).unwrap();
    std::fs::write(&key, client.signing_key.serialize_pem()).unwrap();
    let config = TelemetryConfig::builder()
        .with_log_writer(Capture::default().writer())
        .with_scrape_endpoint(false)
        .build_from(env_map(&[
            (
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                "https://collector.example:4318",
            ),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
            (
                "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
                cert.to_str().unwrap(),
            ),
            ("OTEL_EXPORTER_OTLP_CLIENT_KEY", key.to_str().unwrap()),
        ]))
        .unwrap();
    let err = Telemetry::build(config).unwrap_err();
    assert!(
        matches!(err, Error::FeatureDisabled { feature: "tls", .. }),
        "{err:?}"
    );
}
