//! The tower HTTP layer: a request carrying `traceparent` gets a server span in the caller's
//! trace; the semconv duration histogram uses the route template, never the raw path; health
//! routes are excluded; unknown methods become `_OTHER`.
#![cfg(all(feature = "http-server", feature = "testing"))]

use axum::body::Body;
use axum::routing::{any, get};
use axum::Router;
use marketplace_telemetry::http::HttpLayer;
use marketplace_telemetry::testing::TestTelemetry;
use opentelemetry::trace::SpanKind;
use tower::ServiceExt;

fn app(t: &TestTelemetry) -> Router {
    Router::new()
        .route("/packages/{id}", get(|| async { "package" }))
        .route(
            "/boom",
            get(|| async { (http::StatusCode::INTERNAL_SERVER_ERROR, "boom") }),
        )
        .route("/any", any(|| async { "any" }))
        .route("/health", get(|| async { "ok" }))
        .layer(HttpLayer::new(&t.meter()))
}

async fn send(app: &Router, method: &str, path: &str, traceparent: Option<&str>) -> u16 {
    let mut req = http::Request::builder().method(method).uri(path);
    if let Some(tp) = traceparent {
        req = req.header("traceparent", tp);
    }
    let resp = app
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    resp.status().as_u16()
}

#[tokio::test(flavor = "current_thread")]
async fn a_request_with_traceparent_gets_a_server_span_in_the_callers_trace() {
    opentelemetry::global::set_text_map_propagator(
        opentelemetry_sdk::propagation::TraceContextPropagator::new(),
    );
    let t = TestTelemetry::new();
    let _guard = tracing::dispatcher::set_default(t.dispatch());
    let app = app(&t);

    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let parent_id = "00f067aa0ba902b7";
    let status = send(
        &app,
        "GET",
        "/packages/rdf-tools?x=1",
        Some(&format!("00-{trace_id}-{parent_id}-01")),
    )
    .await;
    assert_eq!(status, 200);

    let span = t
        .span("GET /packages/{id}")
        .expect("server span named after the route template");
    assert_eq!(span.span_context.trace_id().to_string(), trace_id);
    assert_eq!(span.parent_span_id.to_string(), parent_id);
    assert_eq!(span.span_kind, SpanKind::Server);

    let labels = [
        ("http.request.method", "GET"),
        ("http.route", "/packages/{id}"),
        ("http.response.status_code", "200"),
    ];
    assert_eq!(t.value("http.server.request.duration", &labels), 1.0);
    assert_eq!(t.value("http.server.active_requests", &[]), 0.0);
}

#[tokio::test(flavor = "current_thread")]
async fn health_routes_are_excluded_and_methods_and_errors_are_bounded() {
    let t = TestTelemetry::new();
    let _guard = tracing::dispatcher::set_default(t.dispatch());
    let app = app(&t);

    assert_eq!(send(&app, "GET", "/health", None).await, 200);
    assert_eq!(
        t.try_value("http.server.request.duration", &[]),
        None,
        "health is not recorded"
    );
    assert!(t.spans().is_empty(), "no span for health checks");

    assert_eq!(send(&app, "PURGE", "/any", None).await, 200);
    assert_eq!(
        t.value(
            "http.server.request.duration",
            &[("http.request.method", "_OTHER")]
        ),
        1.0
    );

    assert_eq!(send(&app, "GET", "/boom", None).await, 500);
    assert_eq!(
        t.value("http.server.request.duration", &[("error.type", "500")]),
        1.0
    );
    t.assert_span_error("GET /boom", "500");

    // Unmatched paths never become a route label.
    assert_eq!(send(&app, "GET", "/random/123456", None).await, 404);
    let raw = t.try_value(
        "http.server.request.duration",
        &[("http.route", "/random/123456")],
    );
    assert_eq!(raw, None);
}
