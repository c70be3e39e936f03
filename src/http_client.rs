//! Outgoing HTTP calls carry their trace (feature `http-client`): a tower [`HttpClientLayer`]
//! for hyper-based clients and, with feature `reqwest`, a [`ReqwestTracing`] middleware for
//! `reqwest-middleware` — the same recorder under both.
//!
//! Per request, inside a sampled trace: a client span per the HTTP semantic conventions
//! (semconv 1.44: name `{method}`, kind client, `http.request.method`, `server.address`,
//! `server.port`, `url.full` with credentials and query values redacted,
//! `http.response.status_code`, `error.type` for 4xx/5xx and transport errors, status error)
//! whose context is injected with the configured propagators; outside one (a parent that is
//! not sampled, or none) no span is built and the current context is injected as it is, so the
//! `sampled=0` flag still goes out. Always: `http.client.request.duration` (seconds) with
//! `http.request.method`, `server.address` (hosts past the registered set fold into `_OTHER`),
//! `server.port`, `http.response.status_code`, `error.type`, and exemplars on the OpenMetrics
//! scrape. Header values are never recorded.
//!
//! ```
//! # let meter = opentelemetry::global::meter("docs");
//! use marketplace_telemetry::http_client::HttpClientLayer;
//!
//! // Hosts a service calls become `server.address` values; others are `_OTHER`.
//! let layer: HttpClientLayer = HttpClientLayer::new(&meter)
//!     .with_hosts(["registry.internal", "rdf-store.internal"]);
//! # let _ = layer;
//! ```

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use opentelemetry::metrics::{Histogram, Meter};
use opentelemetry::propagation::Injector;
use opentelemetry::trace::{TraceContextExt as _, Tracer as _};
use opentelemetry::KeyValue;
use tower::{Layer, Service};
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

use crate::exemplars::{BucketExemplars, Exemplars};

/// The `server.address` value of hosts outside the registered set.
pub const OTHER_HOST: &str = "_OTHER";

/// Hosts recorded under their own name when none are registered: the first ones seen, up to
/// this many (then `_OTHER`).
pub const MAX_LEARNED_HOSTS: usize = 32;

/// Records outgoing HTTP calls; cheap to clone. [`Telemetry::http_client_layer`](crate::Telemetry::http_client_layer)
/// makes one on the pipeline's meter with its exemplar store.
#[derive(Clone)]
pub struct HttpClientLayer {
    recorder: Arc<Recorder>,
}

impl std::fmt::Debug for HttpClientLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClientLayer")
            .field("hosts", &self.recorder.hosts)
            .finish()
    }
}

struct Recorder {
    /// Set: client spans are built with this tracer directly (no `tracing` span).
    tracer: Option<opentelemetry_sdk::trace::Tracer>,
    duration: Histogram<f64>,
    hosts: LearnedLabels,
    exemplars: Option<BucketExemplars>,
}

/// A bounded label: registered values, else the first `cap` values seen (then `_OTHER`).
/// Hosts compare case-insensitively (`fold_case`); gRPC methods exactly.
#[derive(Debug)]
pub(crate) struct LearnedLabels {
    registered: Vec<String>,
    learned: std::sync::RwLock<Vec<Arc<str>>>,
    cap: usize,
    fold_case: bool,
}

impl LearnedLabels {
    pub(crate) fn new(cap: usize, fold_case: bool) -> Self {
        LearnedLabels {
            registered: Vec::new(),
            learned: std::sync::RwLock::new(Vec::new()),
            cap,
            fold_case,
        }
    }

    fn same(&self, a: &str, b: &str) -> bool {
        if self.fold_case {
            a.eq_ignore_ascii_case(b)
        } else {
            a == b
        }
    }

    pub(crate) fn label(&self, value: &str) -> opentelemetry::Value {
        if !self.registered.is_empty() {
            return match self.registered.iter().find(|r| self.same(r, value)) {
                Some(r) => opentelemetry::Value::from(r.clone()),
                None => OTHER_HOST.into(),
            };
        }
        if let Ok(learned) = self.learned.read() {
            if let Some(l) = learned.iter().find(|l| self.same(l, value)) {
                return opentelemetry::Value::String(l.clone().into());
            }
            if learned.len() >= self.cap {
                return OTHER_HOST.into();
            }
        }
        match self.learned.write() {
            Ok(mut learned) if learned.len() < self.cap => {
                let v: Arc<str> = if self.fold_case {
                    Arc::from(value.to_ascii_lowercase())
                } else {
                    Arc::from(value)
                };
                if !learned.iter().any(|l| **l == *v) {
                    learned.push(v.clone());
                }
                opentelemetry::Value::String(v.into())
            }
            _ => OTHER_HOST.into(),
        }
    }
}

impl HttpClientLayer {
    /// Records into `http.client.request.duration` from `meter`; `server.address` is the
    /// first [`MAX_LEARNED_HOSTS`] hosts called unless [`with_hosts`](Self::with_hosts)
    /// names them.
    pub fn new(meter: &Meter) -> Self {
        HttpClientLayer {
            recorder: Arc::new(Recorder {
                tracer: None,
                duration: crate::catalog::HTTP_CLIENT_DURATION.f64_histogram(meter, None),
                hosts: LearnedLabels::new(MAX_LEARNED_HOSTS, true),
                exemplars: None,
            }),
        }
    }

    /// The hosts recorded as `server.address` under their own name; any other is `_OTHER`.
    pub fn with_hosts<I, S>(self, hosts: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.rebuild(|r| {
            r.hosts.registered = hosts
                .into_iter()
                .map(|h| h.into().to_ascii_lowercase())
                .collect()
        })
    }

    /// Builds client spans with `tracer` directly instead of through a `tracing` span (what
    /// [`Telemetry::http_client_layer`](crate::Telemetry::http_client_layer) does with the
    /// pipeline's tracer): the same span, attributes and propagation at a lower cost; the span
    /// is then not a `tracing` span (no `tracing` filter applies to it, and
    /// [`ClientCall::span`] is disabled).
    pub fn with_tracer(self, tracer: opentelemetry_sdk::trace::Tracer) -> Self {
        self.rebuild(|r| r.tracer = Some(tracer))
    }

    /// Records exemplars of the duration into `exemplars` (the OpenMetrics scrape's store).
    pub fn with_exemplars(self, exemplars: Exemplars) -> Self {
        self.rebuild(|r| {
            r.exemplars = Some(BucketExemplars::new(
                exemplars,
                "http_client_request_duration_seconds",
                crate::catalog::HTTP_DURATION_BUCKETS,
            ))
        })
    }

    fn rebuild(self, change: impl FnOnce(&mut Recorder)) -> Self {
        let mut recorder = Recorder {
            tracer: self.recorder.tracer.clone(),
            duration: self.recorder.duration.clone(),
            hosts: LearnedLabels {
                registered: self.recorder.hosts.registered.clone(),
                ..LearnedLabels::new(MAX_LEARNED_HOSTS, true)
            },
            exemplars: self
                .recorder
                .exemplars
                .as_ref()
                .map(BucketExemplars::same_store),
        };
        change(&mut recorder);
        HttpClientLayer {
            recorder: Arc::new(recorder),
        }
    }

    /// Starts recording a request: opens the client span (inside a sampled trace), injects the
    /// context into `headers`. Call [`ClientCall::finish`] with the outcome.
    pub fn start(
        &self,
        method: &http::Method,
        uri: &http::Uri,
        headers: &mut http::HeaderMap,
    ) -> ClientCall {
        let method = crate::http::method_label(method);
        let host = uri.host().unwrap_or("").trim_matches(['[', ']']);
        let port = uri.port_u16().unwrap_or(match uri.scheme_str() {
            Some("https") => 443,
            _ => 80,
        });
        let mut span = None;
        let mut otel = None;
        let current = opentelemetry::Context::current();
        let sampled = current.span().span_context().is_sampled();
        let cx = match (&self.recorder.tracer, sampled) {
            (_, false) => current,
            (Some(tracer), true) => {
                let built = tracer
                    .span_builder(method)
                    .with_kind(opentelemetry::trace::SpanKind::Client)
                    .with_attributes([
                        KeyValue::new("http.request.method", method),
                        KeyValue::new("server.address", host.to_string()),
                        KeyValue::new("server.port", i64::from(port)),
                        KeyValue::new("url.full", redact_url(uri)),
                    ])
                    .start_with_context(tracer, &current);
                let cx = current.with_span(built);
                otel = Some(cx.clone());
                cx
            }
            (None, true) => {
                let s = tracing::info_span!(
                    "http_client_request",
                    otel.name = method,
                    otel.kind = "client",
                    http.request.method = method,
                    server.address = host,
                    server.port = port,
                    url.full = %redact_url(uri),
                    http.response.status_code = tracing::field::Empty,
                );
                let cx = s.context();
                span = Some(s);
                cx
            }
        };
        opentelemetry::global::get_text_map_propagator(|p| {
            p.inject_context(&cx, &mut HeaderInjector(headers))
        });
        ClientCall {
            recorder: self.recorder.clone(),
            attrs: [
                KeyValue::new("http.request.method", method),
                KeyValue::new("server.address", self.recorder.hosts.label(host)),
                KeyValue::new("server.port", i64::from(port)),
            ],
            span,
            otel,
            start: quanta::Instant::now(),
            done: false,
        }
    }
}

/// Writes propagation headers; a value that is not a valid header is skipped.
pub(crate) struct HeaderInjector<'a>(pub(crate) &'a mut http::HeaderMap);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(key.as_bytes()),
            http::HeaderValue::from_str(&value),
        ) {
            self.0.insert(name, value);
        }
    }
}

/// `uri` as `url.full`: userinfo replaced by `REDACTED:REDACTED`, every query value by
/// `REDACTED` (the semantic conventions' rule for credentials and signed URLs).
pub fn redact_url(uri: &http::Uri) -> String {
    let mut out = String::new();
    if let Some(scheme) = uri.scheme_str() {
        out.push_str(scheme);
        out.push_str("://");
    }
    if let Some(authority) = uri.authority() {
        match authority.as_str().rsplit_once('@') {
            Some((_, host)) => {
                out.push_str("REDACTED:REDACTED@");
                out.push_str(host);
            }
            None => out.push_str(authority.as_str()),
        }
    }
    out.push_str(uri.path());
    if let Some(query) = uri.query() {
        out.push('?');
        let redacted: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((k, _)) => format!("{k}=REDACTED"),
                None => pair.to_string(),
            })
            .collect();
        out.push_str(&redacted.join("&"));
    }
    out
}

/// One outgoing request being recorded; ends with [`finish`](Self::finish) (dropped
/// unfinished: recorded as cancelled, `error.type="_OTHER"`).
pub struct ClientCall {
    recorder: Arc<Recorder>,
    /// `http.request.method`, `server.address`, `server.port`.
    attrs: [KeyValue; 3],
    span: Option<tracing::Span>,
    /// The context of a client span built with the tracer directly.
    otel: Option<opentelemetry::Context>,
    start: quanta::Instant,
    done: bool,
}

impl std::fmt::Debug for ClientCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCall")
            .field("attributes", &self.attrs)
            .finish()
    }
}

impl ClientCall {
    /// The client span (a disabled span outside a sampled trace, or when the layer builds its
    /// spans with a tracer: see [`HttpClientLayer::with_tracer`]).
    pub fn span(&self) -> tracing::Span {
        self.span.clone().unwrap_or_else(tracing::Span::none)
    }

    /// Records the outcome: a status code, or a transport error's `error.type` (e.g.
    /// `timeout`, `connect`, `_OTHER`).
    pub fn finish(mut self, outcome: Result<u16, &'static str>) {
        self.record(outcome);
    }

    fn record(&mut self, outcome: Result<u16, &'static str>) {
        let elapsed = self.start.elapsed().as_secs_f64();
        let mut attrs: Vec<KeyValue> = Vec::with_capacity(5);
        attrs.extend(self.attrs.iter().cloned());
        let error = match outcome {
            Ok(code) => {
                attrs.push(KeyValue::new("http.response.status_code", i64::from(code)));
                if let Some(span) = &self.span {
                    span.record("http.response.status_code", code);
                }
                if let Some(cx) = &self.otel {
                    cx.span()
                        .set_attribute(KeyValue::new("http.response.status_code", i64::from(code)));
                }
                (code >= 400).then(|| code.to_string())
            }
            Err(kind) => Some(kind.to_string()),
        };
        if let Some(error) = &error {
            attrs.push(KeyValue::new("error.type", error.clone()));
            if let Some(span) = &self.span {
                span.set_attribute("error.type", error.clone());
                span.set_status(opentelemetry::trace::Status::error(error.clone()));
            }
            if let Some(cx) = &self.otel {
                let span = cx.span();
                span.set_attribute(KeyValue::new("error.type", error.clone()));
                span.set_status(opentelemetry::trace::Status::error(error.clone()));
            }
        }
        self.recorder.duration.record(elapsed, &attrs);
        if let Some(exemplars) = &self.recorder.exemplars {
            if let Some(span) = &self.span {
                exemplars.offer(elapsed, &attrs, span);
            } else if let Some(cx) = &self.otel {
                exemplars.offer_with(elapsed, &attrs, || cx.span().span_context().clone());
            }
        }
        if let Some(cx) = self.otel.take() {
            cx.span().end();
        }
        self.done = true;
    }
}

impl Drop for ClientCall {
    fn drop(&mut self) {
        // Not finished (the request future was dropped): cancelled.
        if !self.done {
            self.record(Err("_OTHER"));
        }
    }
}

impl<S> Layer<S> for HttpClientLayer {
    type Service = HttpClientService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        HttpClientService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service produced by [`HttpClientLayer`].
#[derive(Clone, Debug)]
pub struct HttpClientService<S> {
    inner: S,
    layer: HttpClientLayer,
}

impl<S, B, ResB> Service<http::Request<B>> for HttpClientService<S>
where
    S: Service<http::Request<B>, Response = http::Response<ResB>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = ClientFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        let uri = request.uri().clone();
        let method = request.method().clone();
        let call = self.layer.start(&method, &uri, request.headers_mut());
        ClientFuture {
            inner: self.inner.call(request),
            call: Some(call),
        }
    }
}

pin_project_lite::pin_project! {
    /// Response future of [`HttpClientService`].
    pub struct ClientFuture<F> {
        #[pin]
        inner: F,
        call: Option<ClientCall>,
    }
}

impl<F> std::fmt::Debug for ClientFuture<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientFuture")
    }
}

impl<F, ResB, E> Future for ClientFuture<F>
where
    F: Future<Output = Result<http::Response<ResB>, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let output = match this.inner.poll(cx) {
            Poll::Ready(output) => output,
            Poll::Pending => return Poll::Pending,
        };
        if let Some(call) = this.call.take() {
            call.finish(match &output {
                Ok(response) => Ok(response.status().as_u16()),
                Err(_) => Err("_OTHER"),
            });
        }
        Poll::Ready(output)
    }
}

/// `reqwest-middleware` middleware recording each request as [`HttpClientLayer`] does
/// (feature `reqwest`).
///
/// ```
/// # let meter = opentelemetry::global::meter("docs");
/// use marketplace_telemetry::http_client::{HttpClientLayer, ReqwestTracing};
/// use reqwest_middleware::{ClientBuilder, ClientWithMiddleware};
///
/// let client: ClientWithMiddleware = ClientBuilder::new(reqwest::Client::new())
///     .with(ReqwestTracing::new(HttpClientLayer::new(&meter)))
///     .build();
/// # let _ = client;
/// ```
#[cfg(feature = "reqwest")]
#[derive(Clone, Debug)]
pub struct ReqwestTracing {
    layer: HttpClientLayer,
}

#[cfg(feature = "reqwest")]
impl ReqwestTracing {
    /// Records through `layer`'s instruments and host set.
    pub fn new(layer: HttpClientLayer) -> Self {
        ReqwestTracing { layer }
    }
}

#[cfg(feature = "reqwest")]
impl reqwest_middleware::Middleware for ReqwestTracing {
    fn handle<'life0, 'life1, 'life2, 'async_trait>(
        &'life0 self,
        mut req: reqwest::Request,
        extensions: &'life1 mut http::Extensions,
        next: reqwest_middleware::Next<'life2>,
    ) -> Pin<
        Box<
            dyn Future<Output = reqwest_middleware::Result<reqwest::Response>>
                + Send
                + 'async_trait,
        >,
    >
    where
        'life0: 'async_trait,
        'life1: 'async_trait,
        'life2: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(async move {
            let uri: http::Uri = req
                .url()
                .as_str()
                .parse()
                .unwrap_or_else(|_| http::Uri::from_static("/"));
            let method = req.method().clone();
            let call = self.layer.start(&method, &uri, req.headers_mut());
            let result = next.run(req, extensions).await;
            call.finish(match &result {
                Ok(response) => Ok(response.status().as_u16()),
                Err(reqwest_middleware::Error::Reqwest(e)) if e.is_timeout() => Err("timeout"),
                Err(reqwest_middleware::Error::Reqwest(e)) if e.is_connect() => Err("connect"),
                Err(_) => Err("_OTHER"),
            });
            result
        })
    }
}
