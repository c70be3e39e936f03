//! gRPC calls carry their trace: a tonic client wrapped in `GrpcClientLayer` calls a tonic
//! server wrapped in `GrpcServerLayer` over a real socket (the gRPC health service): one trace,
//! client span → server span, named `{rpc.method}`; the RPC duration metrics on both sides;
//! `NOT_FOUND` is an error for the client and not for the server (semconv's gRPC rules).
#![cfg(all(feature = "grpc-layers", feature = "testing"))]

use marketplace_telemetry::grpc::{GrpcClientLayer, GrpcServerLayer};
use marketplace_telemetry::testing::TestTelemetry;
use opentelemetry::trace::{SpanKind, Status};
use opentelemetry::KeyValue;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::ServingStatus;
use tracing::Instrument;

fn attr(attrs: &[KeyValue], key: &str) -> Option<String> {
    attrs
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| kv.value.to_string())
}

#[tokio::test(flavor = "current_thread")]
async fn a_grpc_call_is_one_trace_from_the_client_span_to_the_server_span() {
    opentelemetry::global::set_text_map_propagator(
        opentelemetry_sdk::propagation::TraceContextPropagator::new(),
    );
    let t = TestTelemetry::new();
    let _guard = tracing::dispatcher::set_default(t.dispatch());

    let (reporter, health) = tonic_health::server::health_reporter();
    reporter
        .set_service_status("registry", ServingStatus::Serving)
        .await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tonic::transport::Server::builder()
        .layer(GrpcServerLayer::new(&t.meter()))
        .add_service(health)
        .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener));
    tokio::spawn(server);

    let channel = tonic::transport::Endpoint::from_shared(format!("http://127.0.0.1:{port}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let service = tower::ServiceBuilder::new()
        .layer(GrpcClientLayer::new(&t.meter()))
        .service(channel);
    let mut client = HealthClient::new(service);

    let reply = client
        .check(HealthCheckRequest {
            service: "registry".into(),
        })
        .instrument(tracing::info_span!("install"))
        .await
        .unwrap();
    assert_eq!(reply.get_ref().status, ServingStatus::Serving as i32);

    let install = t.span("install").unwrap();
    let method = "grpc.health.v1.Health/Check";
    let spans = t.spans_named(method);
    let client_span = spans
        .iter()
        .find(|s| s.span_kind == SpanKind::Client)
        .expect("a client span named {rpc.method}");
    let server_span = spans
        .iter()
        .find(|s| s.span_kind == SpanKind::Server)
        .expect("a server span named {rpc.method}");
    assert_eq!(client_span.parent_span_id, install.span_context.span_id());
    assert_eq!(
        server_span.span_context.trace_id(),
        install.span_context.trace_id()
    );
    assert_eq!(
        server_span.parent_span_id,
        client_span.span_context.span_id()
    );
    for span in [client_span, server_span] {
        assert_eq!(
            attr(&span.attributes, "rpc.system.name").as_deref(),
            Some("grpc")
        );
        assert_eq!(
            attr(&span.attributes, "rpc.method").as_deref(),
            Some(method)
        );
        assert_eq!(
            attr(&span.attributes, "rpc.status_code").as_deref(),
            Some("OK")
        );
    }
    let ok = [("rpc.method", method), ("rpc.status_code", "OK")];
    assert_eq!(t.value("rpc.server.call.duration", &ok), 1.0);
    assert_eq!(t.value("rpc.client.call.duration", &ok), 1.0);

    // NOT_FOUND: the client's error, not the server's.
    let missing = client
        .check(HealthCheckRequest {
            service: "nope".into(),
        })
        .instrument(tracing::info_span!("lookup"))
        .await;
    assert_eq!(missing.unwrap_err().code(), tonic::Code::NotFound);
    let not_found = [("rpc.method", method), ("rpc.status_code", "NOT_FOUND")];
    assert_eq!(
        t.value(
            "rpc.client.call.duration",
            &[
                ("rpc.method", method),
                ("rpc.status_code", "NOT_FOUND"),
                ("error.type", "NOT_FOUND")
            ]
        ),
        1.0
    );
    assert_eq!(t.value("rpc.server.call.duration", &not_found), 1.0);
    let lookup = t.span("lookup").unwrap();
    let failed: Vec<_> = t
        .trace(lookup.span_context.trace_id())
        .into_iter()
        .filter(|s| s.name == method)
        .collect();
    let client_failed = failed
        .iter()
        .find(|s| s.span_kind == SpanKind::Client)
        .unwrap();
    assert!(matches!(client_failed.status, Status::Error { .. }));
    let server_failed = failed
        .iter()
        .find(|s| s.span_kind == SpanKind::Server)
        .unwrap();
    assert!(!matches!(server_failed.status, Status::Error { .. }));
    assert_eq!(attr(&server_failed.attributes, "error.type"), None);
}
