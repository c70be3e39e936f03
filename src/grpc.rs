//! gRPC calls carry their trace (feature `grpc-layers`): tower layers for tonic servers
//! ([`GrpcServerLayer`], `Server::builder().layer(..)`) and clients ([`GrpcClientLayer`],
//! around a `Channel`), per the RPC semantic conventions of semconv 1.44 (release candidate).
//!
//! - Server: the caller's context is extracted with the configured propagators; a server span
//!   named `{rpc.method}` (`package.Service/Method`) wraps the handler; `rpc.server.call.duration`
//!   (seconds) with `rpc.system.name="grpc"`, `rpc.method`, `rpc.status_code`, `error.type` for
//!   the server-error codes (`UNKNOWN`, `DEADLINE_EXCEEDED`, `UNIMPLEMENTED`, `INTERNAL`,
//!   `UNAVAILABLE`, `DATA_LOSS`).
//! - Client: inside a sampled trace a client span `{rpc.method}` whose context is injected
//!   (outside one, the current context goes out as it is); `rpc.client.call.duration` with the
//!   same attributes plus `server.address`/`server.port` when the request names them;
//!   every code but `OK` is an error.
//!
//! The call ends when the status arrives — in the response headers (a trailers-only response)
//! or in the trailers after the last message — so a streaming call is timed over its whole
//! stream. A body dropped before its status is `CANCELLED`. Methods past the first
//! [`MAX_METHODS`] seen are recorded as `_OTHER` (a client can send any path).
//!
//! ```
//! # let meter = opentelemetry::global::meter("docs");
//! use marketplace_telemetry::grpc::{GrpcClientLayer, GrpcServerLayer};
//!
//! let server_layer: GrpcServerLayer = GrpcServerLayer::new(&meter);
//! let client_layer: GrpcClientLayer = GrpcClientLayer::new(&meter);
//! // tonic::transport::Server::builder().layer(server_layer).add_service(..)
//! // MyClient::new(tower::ServiceBuilder::new().layer(client_layer).service(channel))
//! # let _ = (server_layer, client_layer);
//! ```

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use opentelemetry::metrics::{Histogram, Meter};
use opentelemetry::KeyValue;
use tower::{Layer, Service};
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

use crate::exemplars::{BucketExemplars, Exemplars};
use crate::http_client::LearnedLabels;

/// Distinct `rpc.method` values recorded before the rest become `_OTHER`.
pub const MAX_METHODS: usize = 64;

/// The gRPC status codes' names, by code.
const CODES: [&str; 17] = [
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
];

/// Which side of the call a layer records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    Server,
    Client,
}

struct Recorder {
    side: Side,
    duration: Histogram<f64>,
    methods: LearnedLabels,
    exemplars: Option<BucketExemplars>,
}

impl Recorder {
    fn new(meter: &Meter, side: Side, exemplars: Option<Exemplars>) -> Self {
        let (spec, family) = match side {
            Side::Server => (
                crate::catalog::RPC_SERVER_DURATION,
                "rpc_server_call_duration_seconds",
            ),
            Side::Client => (
                crate::catalog::RPC_CLIENT_DURATION,
                "rpc_client_call_duration_seconds",
            ),
        };
        Recorder {
            side,
            duration: spec.f64_histogram(meter, None),
            methods: LearnedLabels::new(MAX_METHODS, false),
            exemplars: exemplars.map(|store| {
                BucketExemplars::new(store, family, crate::catalog::HTTP_DURATION_BUCKETS)
            }),
        }
    }

    /// Whether `code` ends the call as an error on this side (semconv's gRPC rules).
    fn is_error(&self, code: usize) -> bool {
        match self.side {
            Side::Client => code != 0,
            Side::Server => matches!(code, 2 | 4 | 12 | 13 | 14 | 15),
        }
    }
}

/// Records incoming gRPC calls (tonic `Server::builder().layer(..)`); cheap to clone.
#[derive(Clone)]
pub struct GrpcServerLayer {
    recorder: Arc<Recorder>,
}

/// Records outgoing gRPC calls (a layer around a tonic `Channel`); cheap to clone.
#[derive(Clone)]
pub struct GrpcClientLayer {
    recorder: Arc<Recorder>,
}

impl std::fmt::Debug for GrpcServerLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GrpcServerLayer")
    }
}

impl std::fmt::Debug for GrpcClientLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GrpcClientLayer")
    }
}

impl GrpcServerLayer {
    /// Records `rpc.server.call.duration` into `meter`.
    pub fn new(meter: &Meter) -> Self {
        GrpcServerLayer {
            recorder: Arc::new(Recorder::new(meter, Side::Server, None)),
        }
    }

    /// The same, with exemplars on the OpenMetrics scrape from `exemplars`.
    pub fn with_exemplars(meter: &Meter, exemplars: Exemplars) -> Self {
        GrpcServerLayer {
            recorder: Arc::new(Recorder::new(meter, Side::Server, Some(exemplars))),
        }
    }
}

impl GrpcClientLayer {
    /// Records `rpc.client.call.duration` into `meter`.
    pub fn new(meter: &Meter) -> Self {
        GrpcClientLayer {
            recorder: Arc::new(Recorder::new(meter, Side::Client, None)),
        }
    }

    /// The same, with exemplars on the OpenMetrics scrape from `exemplars`.
    pub fn with_exemplars(meter: &Meter, exemplars: Exemplars) -> Self {
        GrpcClientLayer {
            recorder: Arc::new(Recorder::new(meter, Side::Client, Some(exemplars))),
        }
    }
}

impl<S> Layer<S> for GrpcServerLayer {
    type Service = GrpcService<S>;
    fn layer(&self, inner: S) -> GrpcService<S> {
        GrpcService {
            inner,
            recorder: self.recorder.clone(),
        }
    }
}

impl<S> Layer<S> for GrpcClientLayer {
    type Service = GrpcService<S>;
    fn layer(&self, inner: S) -> GrpcService<S> {
        GrpcService {
            inner,
            recorder: self.recorder.clone(),
        }
    }
}

/// The service of [`GrpcServerLayer`] and [`GrpcClientLayer`].
#[derive(Clone)]
pub struct GrpcService<S> {
    inner: S,
    recorder: Arc<Recorder>,
}

impl<S> std::fmt::Debug for GrpcService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GrpcService")
            .field("side", &self.recorder.side)
            .finish()
    }
}

/// `package.Service/Method` from a gRPC request path, if it has that shape.
fn method_of(path: &str) -> Option<&str> {
    let method = path.strip_prefix('/')?;
    let (service, name) = method.split_once('/')?;
    (!service.is_empty() && !name.is_empty() && !name.contains('/')).then_some(method)
}

impl<S, B, ResB> Service<http::Request<B>> for GrpcService<S>
where
    S: Service<http::Request<B>, Response = http::Response<ResB>>,
    ResB: http_body::Body,
{
    type Response = http::Response<GrpcBody<ResB>>;
    type Error = S::Error;
    type Future = GrpcFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        let recorder = &self.recorder;
        let method: opentelemetry::Value = match method_of(request.uri().path()) {
            Some(m) => recorder.methods.label(m),
            None => "_OTHER".into(),
        };
        let method_name = method.as_str().into_owned();
        let mut attrs = vec![
            KeyValue::new("rpc.system.name", "grpc"),
            KeyValue::new("rpc.method", method),
        ];
        let span = match recorder.side {
            Side::Server => {
                let span = tracing::info_span!(
                    "grpc_request",
                    otel.name = %method_name,
                    otel.kind = "server",
                    rpc.system.name = "grpc",
                    rpc.method = %method_name,
                    rpc.status_code = tracing::field::Empty,
                );
                let parent = opentelemetry::global::get_text_map_propagator(|p| {
                    p.extract(&crate::http::HeaderExtractor(request.headers()))
                });
                let _ = span.set_parent(parent);
                Some(span)
            }
            Side::Client => {
                let host = request.uri().host().map(str::to_string);
                let port = request.uri().port_u16();
                if let Some(host) = &host {
                    attrs.push(KeyValue::new("server.address", host.clone()));
                    if let Some(port) = port {
                        attrs.push(KeyValue::new("server.port", i64::from(port)));
                    }
                }
                let span = crate::platform::in_sampled_trace().then(|| {
                    tracing::info_span!(
                        "grpc_client_call",
                        otel.name = %method_name,
                        otel.kind = "client",
                        rpc.system.name = "grpc",
                        rpc.method = %method_name,
                        server.address = host.as_deref().unwrap_or(""),
                        rpc.status_code = tracing::field::Empty,
                    )
                });
                let cx = match &span {
                    Some(span) => span.context(),
                    None => opentelemetry::Context::current(),
                };
                opentelemetry::global::get_text_map_propagator(|p| {
                    p.inject_context(
                        &cx,
                        &mut crate::http_client::HeaderInjector(request.headers_mut()),
                    )
                });
                span
            }
        };
        let call = Call {
            recorder: recorder.clone(),
            attrs,
            span: span.clone(),
            start: quanta::Instant::now(),
            done: false,
        };
        GrpcFuture {
            inner: self
                .inner
                .call(request)
                .instrument(span.unwrap_or_else(tracing::Span::none)),
            call: Some(call),
        }
    }
}

/// One call being recorded; dropped before its status: `CANCELLED`.
struct Call {
    recorder: Arc<Recorder>,
    attrs: Vec<KeyValue>,
    span: Option<tracing::Span>,
    start: quanta::Instant,
    done: bool,
}

impl Call {
    /// Ends the call with a gRPC status code, or a transport error's `error.type`.
    fn finish(&mut self, outcome: Result<usize, &'static str>) {
        if self.done {
            return;
        }
        self.done = true;
        let elapsed = self.start.elapsed().as_secs_f64();
        let mut attrs = std::mem::take(&mut self.attrs);
        let error = match outcome {
            Ok(code) => {
                let name = CODES.get(code).copied().unwrap_or("UNKNOWN");
                attrs.push(KeyValue::new("rpc.status_code", name));
                if let Some(span) = &self.span {
                    span.record("rpc.status_code", name);
                }
                self.recorder.is_error(code).then_some(name)
            }
            Err(kind) => Some(kind),
        };
        if let Some(error) = error {
            attrs.push(KeyValue::new("error.type", error));
            if let Some(span) = &self.span {
                span.set_attribute("error.type", error);
                span.set_status(opentelemetry::trace::Status::error(error));
            }
        }
        self.recorder.duration.record(elapsed, &attrs);
        if let (Some(exemplars), Some(span)) = (&self.recorder.exemplars, &self.span) {
            exemplars.offer(elapsed, &attrs, span);
        }
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        self.finish(Ok(1));
    }
}

/// The `grpc-status` a header map carries, if any.
fn status_in(headers: &http::HeaderMap) -> Option<usize> {
    let value = headers.get("grpc-status")?.to_str().ok()?;
    Some(value.trim().parse::<usize>().unwrap_or(2))
}

pin_project_lite::pin_project! {
    /// Response future of [`GrpcService`].
    pub struct GrpcFuture<F> {
        #[pin]
        inner: tracing::instrument::Instrumented<F>,
        call: Option<Call>,
    }
}

impl<F> std::fmt::Debug for GrpcFuture<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GrpcFuture")
    }
}

impl<F, ResB, E> Future for GrpcFuture<F>
where
    F: Future<Output = Result<http::Response<ResB>, E>>,
{
    type Output = Result<http::Response<GrpcBody<ResB>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let output = match this.inner.poll(cx) {
            Poll::Ready(output) => output,
            Poll::Pending => return Poll::Pending,
        };
        let mut call = this.call.take();
        Poll::Ready(match output {
            Ok(response) => {
                if let Some(code) = status_in(response.headers()) {
                    // A trailers-only response: the status is in the headers.
                    if let Some(call) = call.as_mut() {
                        call.finish(Ok(code));
                    }
                }
                Ok(response.map(|inner| GrpcBody { inner, call }))
            }
            Err(e) => {
                if let Some(call) = call.as_mut() {
                    call.finish(Err("_OTHER"));
                }
                Err(e)
            }
        })
    }
}

pin_project_lite::pin_project! {
    /// A response body that ends its call when the status arrives in the trailers.
    pub struct GrpcBody<B> {
        #[pin]
        inner: B,
        call: Option<Call>,
    }
}

impl<B> std::fmt::Debug for GrpcBody<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GrpcBody")
    }
}

impl<B: http_body::Body> http_body::Body for GrpcBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let this = self.project();
        let frame = match this.inner.poll_frame(cx) {
            Poll::Ready(frame) => frame,
            Poll::Pending => return Poll::Pending,
        };
        if let Some(call) = this.call.as_mut() {
            match &frame {
                Some(Ok(f)) => {
                    if let Some(code) = f.trailers_ref().and_then(status_in) {
                        call.finish(Ok(code));
                    }
                }
                // The stream broke: no status will come.
                Some(Err(_)) => call.finish(Err("_OTHER")),
                // Ended without a status (a non-gRPC answer): unknown.
                None => call.finish(Ok(2)),
            }
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
