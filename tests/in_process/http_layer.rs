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

/// Semconv 1.44: `url.scheme` is required on the duration and active-requests instruments;
/// request and response body sizes are recorded in bytes when known.
#[tokio::test(flavor = "current_thread")]
async fn url_scheme_and_body_sizes_are_recorded_the_semconv_way() {
    let t = TestTelemetry::new();
    let app = app(&t);
    // A plain request: scheme http, the response body's exact size (b"package" = 7 bytes).
    assert_eq!(send(&app, "GET", "/packages/1", None).await, 200);
    let http = [("url.scheme", "http"), ("http.route", "/packages/{id}")];
    assert_eq!(t.value("http.server.request.duration", &http), 1.0);
    assert_eq!(
        t.histogram_sum("http.server.response.body.size", &http),
        Some(7.0)
    );
    // No Content-Length on the request: no request size (not a fake 0).
    assert_eq!(t.try_value("http.server.request.body.size", &http), None);

    // Behind a TLS-terminating proxy, with a 5-byte body.
    let req = http::Request::builder()
        .method("POST")
        .uri("/any")
        .header("x-forwarded-proto", "https")
        .header("content-length", "5")
        .body(Body::from("hello"))
        .unwrap();
    let resp = app.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), 200);
    let https = [("url.scheme", "https"), ("http.request.method", "POST")];
    assert_eq!(t.value("http.server.request.duration", &https), 1.0);
    assert_eq!(
        t.histogram_sum("http.server.request.body.size", &https),
        Some(5.0)
    );
    assert_eq!(
        t.histogram_sum("http.server.response.body.size", &https),
        Some(3.0)
    );
    assert_eq!(
        t.try_value("http.server.active_requests", &[("url.scheme", "https")]),
        Some(0.0)
    );
    // A made-up forwarded scheme stays bounded.
    let req = http::Request::builder()
        .uri("/any")
        .header("x-forwarded-proto", "gopher")
        .body(Body::empty())
        .unwrap();
    app.clone().oneshot(req).await.unwrap();
    assert_eq!(
        t.try_value("http.server.request.duration", &[("url.scheme", "gopher")]),
        None
    );
}
