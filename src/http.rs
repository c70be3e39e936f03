//! A tower [`Layer`] for HTTP servers (feature `http-server`; works with axum): records the
//! semantic-convention metrics (semconv 1.44) `http.server.request.duration` (seconds),
//! `http.server.active_requests`, `http.server.request.body.size` and
//! `http.server.response.body.size` (bytes, when known: the request's `Content-Length`, the
//! response's `Content-Length` or exact body size), and opens a server span that continues
//! the caller's W3C `traceparent`.
//!
//! Attributes: `http.request.method` (unknown methods → `_OTHER`), `url.scheme` (required by
//! semconv: the request URI's scheme, else a `X-Forwarded-Proto` of `http`/`https` from a
//! TLS-terminating proxy, else `http`), `http.route` (axum's matched route template when
//! present — never the raw path, which would explode cardinality),
//! `http.response.status_code`, `error.type` on 5xx. Health and metrics routes (`/health`,
//! `/healthz`, `/ready`, `/metrics`) are excluded by default.
//!
//! ```
//! # let meter = opentelemetry::global::meter("docs");
//! use axum::{routing::get, Router};
//! use marketplace_telemetry::http::HttpLayer;
//!
//! let app: Router = Router::new()
//!     .route("/packages/{id}", get(|| async { "ok" }))
//!     .layer(HttpLayer::new(&meter));
//! ```

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use opentelemetry::metrics::{Histogram, Meter, UpDownCounter};
use opentelemetry::propagation::Extractor;
use opentelemetry::KeyValue;
use tower::{Layer, Service};
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::exemplars::{BucketExemplars, Exemplars};

/// Semantic-convention bucket boundaries for `http.server.request.duration`.
pub const DURATION_BUCKETS: &[f64] = crate::catalog::HTTP_DURATION_BUCKETS;

/// Paths excluded from metrics and spans unless configured otherwise.
pub const DEFAULT_EXCLUDED_PATHS: &[&str] = &["/health", "/healthz", "/ready", "/metrics"];

#[derive(Clone)]
struct Shared {
    duration: Histogram<f64>,
    active: UpDownCounter<i64>,
    request_body: Histogram<u64>,
    response_body: Histogram<u64>,
    excluded: Vec<String>,
    exemplars: Option<Arc<BucketExemplars>>,
}

/// The layer; cheap to clone.
#[derive(Clone)]
pub struct HttpLayer {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for HttpLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpLayer")
            .field("excluded", &self.shared.excluded)
            .finish()
    }
}

impl HttpLayer {
    /// Records into instruments from `meter`, excluding [`DEFAULT_EXCLUDED_PATHS`].
    pub fn new(meter: &Meter) -> Self {
        Self::with_excluded_paths(meter, DEFAULT_EXCLUDED_PATHS.iter().copied())
    }

    /// Like [`new`](Self::new) with your own list of excluded paths (exact matches).
    pub fn with_excluded_paths<I, S>(meter: &Meter, paths: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        // The semantic conventions' instruments, built from their catalog specs (semconv
        // recommends no buckets for body sizes: the SDK's defaults).
        let duration = crate::catalog::HTTP_SERVER_DURATION.f64_histogram(meter, None);
        let active = crate::catalog::HTTP_SERVER_ACTIVE.i64_up_down_counter(meter, None);
        let request_body = crate::catalog::HTTP_SERVER_REQUEST_BODY.u64_histogram(meter, None);
        let response_body = crate::catalog::HTTP_SERVER_RESPONSE_BODY.u64_histogram(meter, None);
        HttpLayer {
            shared: Arc::new(Shared {
                duration,
                active,
                request_body,
                response_body,
                excluded: paths.into_iter().map(Into::into).collect(),
                exemplars: None,
            }),
        }
    }

    /// Records exemplars (the request span's trace and span id) on the duration buckets into
    /// `exemplars`, for the OpenMetrics scrape; [`Telemetry::http_layer`](crate::Telemetry::http_layer)
    /// does this with the pipeline's store.
    pub fn with_exemplars(mut self, exemplars: Exemplars) -> Self {
        let mut shared = (*self.shared).clone();
        shared.exemplars = Some(Arc::new(BucketExemplars::new(
            exemplars,
            "http_server_request_duration_seconds",
            DURATION_BUCKETS,
        )));
        self.shared = Arc::new(shared);
        self
    }
}

impl<S> Layer<S> for HttpLayer {
    type Service = HttpService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        HttpService {
            inner,
            shared: self.shared.clone(),
        }
    }
}

/// The service produced by [`HttpLayer`].
#[derive(Clone)]
pub struct HttpService<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S> std::fmt::Debug for HttpService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HttpService")
    }
}

/// The `url.scheme` value of a server request: the URI's scheme when the request line carries
/// one, else `X-Forwarded-Proto` when it says `http` or `https`, else `http` (bounded: only
/// these two values).
pub fn scheme_label<B>(request: &http::Request<B>) -> &'static str {
    let forwarded = || {
        request
            .headers()
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    match request.uri().scheme_str().or_else(forwarded) {
        Some(s) if s.eq_ignore_ascii_case("https") => "https",
        _ => "http",
    }
}

/// A `Content-Length` header's value.
fn content_length(headers: &http::HeaderMap) -> Option<u64> {
    headers
        .get(http::header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// The `http.request.method` value: known methods as is, anything else `_OTHER`.
pub fn method_label(method: &http::Method) -> &'static str {
    match *method {
        http::Method::GET => "GET",
        http::Method::HEAD => "HEAD",
        http::Method::POST => "POST",
        http::Method::PUT => "PUT",
        http::Method::DELETE => "DELETE",
        http::Method::CONNECT => "CONNECT",
        http::Method::OPTIONS => "OPTIONS",
        http::Method::TRACE => "TRACE",
        http::Method::PATCH => "PATCH",
        _ => "_OTHER",
    }
}

pub(crate) struct HeaderExtractor<'a>(pub(crate) &'a http::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

impl<S, B, ResB> Service<http::Request<B>> for HttpService<S>
where
    S: Service<http::Request<B>, Response = http::Response<ResB>>,
    ResB: http_body::Body,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = HttpFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        if self
            .shared
            .excluded
            .iter()
            .any(|p| p == request.uri().path())
        {
            return HttpFuture {
                inner: self.inner.call(request).instrument(tracing::Span::none()),
                record: None,
            };
        }
        let method = method_label(request.method());
        let route: Option<String> = request
            .extensions()
            .get::<axum::extract::MatchedPath>()
            .map(|m| m.as_str().to_string());
        let span_name = match &route {
            Some(route) => format!("{method} {route}"),
            None => method.to_string(),
        };
        let span = tracing::info_span!(
            "http_request",
            otel.name = %span_name,
            otel.kind = "server",
            http.request.method = method,
            http.route = route.as_deref().unwrap_or(""),
            http.response.status_code = tracing::field::Empty,
        );
        let parent = opentelemetry::global::get_text_map_propagator(|p| {
            p.extract(&HeaderExtractor(request.headers()))
        });
        let _ = span.set_parent(parent);
        let active = [
            KeyValue::new("http.request.method", method),
            KeyValue::new("url.scheme", scheme_label(&request)),
        ];
        let request_size = content_length(request.headers());
        self.shared.active.add(1, &active);
        HttpFuture {
            inner: self.inner.call(request).instrument(span.clone()),
            record: Some(Record {
                shared: self.shared.clone(),
                start: Instant::now(),
                active,
                request_size,
                route,
                span,
                done: false,
            }),
        }
    }
}

struct Record {
    shared: Arc<Shared>,
    start: Instant,
    /// `http.request.method` and `url.scheme`: the attributes of `http.server.active_requests`.
    active: [KeyValue; 2],
    request_size: Option<u64>,
    route: Option<String>,
    span: tracing::Span,
    done: bool,
}

impl Record {
    fn finish(mut self, status: Option<u16>, response_size: Option<u64>) {
        self.done = true;
        let elapsed = self.start.elapsed().as_secs_f64();
        let mut attrs = Vec::with_capacity(5);
        attrs.extend(self.active.iter().cloned());
        if let Some(route) = self.route.take() {
            attrs.push(KeyValue::new("http.route", route));
        }
        match status {
            Some(code) => {
                attrs.push(KeyValue::new("http.response.status_code", i64::from(code)));
                self.span.record("http.response.status_code", code);
                if code >= 500 {
                    attrs.push(KeyValue::new("error.type", code.to_string()));
                    self.span.set_attribute("error.type", code.to_string());
                    self.span
                        .set_status(opentelemetry::trace::Status::error(code.to_string()));
                }
            }
            None => {
                attrs.push(KeyValue::new("error.type", "_OTHER"));
                self.span.set_attribute("error.type", "_OTHER");
                self.span
                    .set_status(opentelemetry::trace::Status::error("_OTHER"));
            }
        }
        self.shared.duration.record(elapsed, &attrs);
        if let Some(exemplars) = &self.shared.exemplars {
            exemplars.offer(elapsed, &attrs, &self.span);
        }
        if let Some(size) = self.request_size {
            self.shared.request_body.record(size, &attrs);
        }
        if let Some(size) = response_size {
            self.shared.response_body.record(size, &attrs);
        }
        self.shared.active.add(-1, &self.active);
    }
}

impl Drop for Record {
    fn drop(&mut self) {
        // The request future was dropped (client gone): it is no longer active.
        if !self.done {
            self.shared.active.add(-1, &self.active);
        }
    }
}

pin_project_lite::pin_project! {
    /// Response future of [`HttpService`].
    pub struct HttpFuture<F> {
        #[pin]
        inner: tracing::instrument::Instrumented<F>,
        record: Option<Record>,
    }
}

impl<F> std::fmt::Debug for HttpFuture<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HttpFuture")
    }
}

impl<F, ResB, E> Future for HttpFuture<F>
where
    F: Future<Output = Result<http::Response<ResB>, E>>,
    ResB: http_body::Body,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let output = match this.inner.poll(cx) {
            Poll::Ready(output) => output,
            Poll::Pending => return Poll::Pending,
        };
        if let Some(record) = this.record.take() {
            let status = output.as_ref().ok().map(|r| r.status().as_u16());
            let size = output.as_ref().ok().and_then(|r| {
                content_length(r.headers()).or_else(|| http_body::Body::size_hint(r.body()).exact())
            });
            record.finish(status, size);
        }
        Poll::Ready(output)
    }
}
