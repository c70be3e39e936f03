//! Outgoing HTTP calls carry their trace: a real request over a socket from a `reqwest` client
//! (through `ReqwestTracing`) to an axum server (through `HttpLayer`) is one trace, client
//! span → server span; an unsampled parent gets no client span but its `sampled=0` flag goes
//! out; `url.full` is redacted; failures set `error.type`; hosts past the registered set are
//! `_OTHER`.
#![cfg(all(feature = "reqwest", feature = "testing"))]

use axum::routing::get;
use axum::Router;
use marketplace_telemetry::http::HttpLayer;
use marketplace_telemetry::http_client::{HttpClientLayer, ReqwestTracing};
use marketplace_telemetry::testing::TestTelemetry;
use opentelemetry::trace::{SpanKind, Status};
use opentelemetry::KeyValue;
use tracing::Instrument;

fn attr(attrs: &[KeyValue], key: &str) -> Option<String> {
    attrs
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| kv.value.to_string())
}

/// An axum server with our server layer, on a free port; returns its address.
async fn serve(t: &TestTelemetry) -> std::net::SocketAddr {
    let app = Router::new()
        .route("/packages/{id}", get(|| async { "package" }))
        .layer(HttpLayer::new(&t.meter()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

fn client(layer: HttpClientLayer) -> reqwest_middleware::ClientWithMiddleware {
    reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(ReqwestTracing::new(layer))
        .build()
}

#[tokio::test(flavor = "current_thread")]
async fn a_request_is_one_trace_from_the_client_span_to_the_server_span() {
    opentelemetry::global::set_text_map_propagator(
        opentelemetry_sdk::propagation::TraceContextPropagator::new(),
    );
    let t = TestTelemetry::new();
    let _guard = tracing::dispatcher::set_default(t.dispatch());
    let addr = serve(&t).await;
    // As `Telemetry::http_client_layer` makes it: client spans built with the tracer directly.
    let client = client(t.http_client_layer());

    let url = format!(
        "http://user:hunter2@127.0.0.1:{}/packages/rdf-tools?token=s3cr3t&page=2",
        addr.port()
    );
    let status = async { client.get(&url).send().await.unwrap().status() }
        .instrument(tracing::info_span!("install"))
        .await;
    assert_eq!(status, 200);

    let install = t.span("install").expect("the caller's span");
    let client_span = t.span("GET").expect("a client span named {method}");
    assert_eq!(client_span.span_kind, SpanKind::Client);
    assert_eq!(client_span.parent_span_id, install.span_context.span_id());
    let a = &client_span.attributes;
    assert_eq!(attr(a, "http.request.method").as_deref(), Some("GET"));
    assert_eq!(attr(a, "server.address").as_deref(), Some("127.0.0.1"));
    assert_eq!(attr(a, "server.port"), Some(addr.port().to_string()));
    assert_eq!(attr(a, "http.response.status_code").as_deref(), Some("200"));
    let full = attr(a, "url.full").unwrap();
    assert_eq!(
        full,
        format!(
            // reqwest moves the URL's credentials into a basic-auth header before sending.
            "http://127.0.0.1:{}/packages/rdf-tools?token=REDACTED&page=REDACTED",
            addr.port()
        )
    );
    assert!(!format!("{client_span:?}").contains("hunter2"));
    assert!(!format!("{client_span:?}").contains("s3cr3t"));

    let server_span = t.span("GET /packages/{id}").expect("the server's span");
    assert_eq!(
        server_span.span_context.trace_id(),
        install.span_context.trace_id(),
        "the server continues the caller's trace"
    );
    assert_eq!(
        server_span.parent_span_id,
        client_span.span_context.span_id(),
        "the server span is the client span's child"
    );

    let labels = [
        ("http.request.method", "GET"),
        ("server.address", "127.0.0.1"),
        ("http.response.status_code", "200"),
    ];
    assert_eq!(t.value("http.client.request.duration", &labels), 1.0);
}

#[tokio::test(flavor = "current_thread")]
async fn failures_set_error_type_and_unknown_hosts_fold_into_other() {
    let t = TestTelemetry::new();
    let _guard = tracing::dispatcher::set_default(t.dispatch());
    let addr = serve(&t).await;
    let client = client(t.http_client_layer().with_hosts(["registry.internal"]));

    // A 404: an error for a client (semconv), not a transport failure.
    let missing = format!("http://127.0.0.1:{}/nowhere", addr.port());
    async { client.get(&missing).send().await.unwrap() }
        .instrument(tracing::info_span!("lookup"))
        .await;
    let span = t.span("GET").unwrap();
    assert_eq!(attr(&span.attributes, "error.type").as_deref(), Some("404"));
    assert!(matches!(span.status, Status::Error { .. }));
    let labels = [
        ("server.address", "_OTHER"),
        ("http.response.status_code", "404"),
        ("error.type", "404"),
    ];
    assert_eq!(t.value("http.client.request.duration", &labels), 1.0);

    // Nothing listens: a transport error.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let refused = client
        .get(format!("http://127.0.0.1:{closed}/"))
        .send()
        .await;
    assert!(refused.is_err());
    assert_eq!(
        t.value(
            "http.client.request.duration",
            &[("server.address", "_OTHER"), ("error.type", "connect")]
        ),
        1.0
    );
}

/// The tower layer (client spans through `tracing`, `HttpClientLayer::new`): inside an
/// unsampled trace no client span is made, and the context goes out with its `sampled=0` flag;
/// inside a sampled one the header names the client span.
#[tokio::test(flavor = "current_thread")]
async fn an_unsampled_parent_gets_no_span_but_its_flag_goes_out() {
    use opentelemetry::propagation::TextMapPropagator as _;
    use tower::{Layer as _, ServiceExt as _};
    use tracing_opentelemetry::OpenTelemetrySpanExt as _;
    opentelemetry::global::set_text_map_propagator(
        opentelemetry_sdk::propagation::TraceContextPropagator::new(),
    );
    let t = TestTelemetry::new();
    let _guard = tracing::dispatcher::set_default(t.dispatch());
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let inner = {
        let seen = seen.clone();
        tower::service_fn(move |req: http::Request<()>| {
            let seen = seen.clone();
            async move {
                let tp = req
                    .headers()
                    .get("traceparent")
                    .map(|v| v.to_str().unwrap().to_string())
                    .unwrap_or_default();
                seen.lock().unwrap().push(tp);
                Ok::<_, std::convert::Infallible>(http::Response::new(()))
            }
        })
    };
    let service = HttpClientLayer::new(&t.meter()).layer(inner);
    let request = || {
        http::Request::get("http://reader:pw@rdf-store.internal:7200/sparql?query=select")
            .body(())
            .unwrap()
    };

    let unsampled = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00";
    let mut carrier = std::collections::HashMap::new();
    carrier.insert("traceparent".to_string(), unsampled.to_string());
    let parent = opentelemetry_sdk::propagation::TraceContextPropagator::new().extract(&carrier);
    let span = tracing::info_span!("from_unsampled_caller");
    let _ = span.set_parent(parent);
    service
        .clone()
        .oneshot(request())
        .instrument(span)
        .await
        .unwrap();
    assert!(
        t.spans_named("GET").is_empty(),
        "no client span when unsampled"
    );
    let sent = seen.lock().unwrap()[0].clone();
    assert!(
        sent.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-") && sent.ends_with("-00"),
        "{sent}"
    );

    service
        .oneshot(request())
        .instrument(tracing::info_span!("sampled_caller"))
        .await
        .unwrap();
    let client_span = t.span("GET").expect("a client span when sampled");
    assert_eq!(
        attr(&client_span.attributes, "url.full").as_deref(),
        Some("http://REDACTED:REDACTED@rdf-store.internal:7200/sparql?query=REDACTED")
    );
    let sent = seen.lock().unwrap()[1].clone();
    assert_eq!(
        sent,
        format!(
            "00-{}-{}-01",
            client_span.span_context.trace_id(),
            client_span.span_context.span_id()
        )
    );
    assert_eq!(
        t.value(
            "http.client.request.duration",
            &[
                ("server.address", "rdf-store.internal"),
                ("server.port", "7200")
            ]
        ),
        2.0
    );
}
