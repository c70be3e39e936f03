//! The Prometheus scrape endpoint (`GET /metrics`, default `127.0.0.1:9464`) and
//! [`ScrapeHandler`], the same rendering for users who mount it in their own router.
//!
//! The endpoint runs on its own thread with its own single-threaded Tokio runtime, so it works
//! whatever runtime the host uses (or none) and a busy host cannot starve it.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Method, Request, Response, StatusCode};
use prometheus::Encoder;
use tracing::instrument::WithSubscriber as _;

use crate::error::{Error, Result};
use crate::exemplars::Exemplars;
use crate::openmetrics::ExpositionFormat;

pub use crate::openmetrics::CONTENT_TYPE;

mod web_config;
pub(crate) use web_config::{load as load_web_config, WebConfig};

/// Renders the metrics registry in the Prometheus text format; cheap to clone.
///
/// Obtain it from [`Telemetry::scrape_handler`](crate::Telemetry::scrape_handler) and mount it
/// wherever the host serves HTTP.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), marketplace_telemetry::Error> {
/// use marketplace_telemetry::{Telemetry, TelemetryConfig};
///
/// let config = TelemetryConfig::builder()
///     .with_scrape_endpoint(false) // we mount it ourselves
///     .with_traces_exporters(Default::default())
///     .build_from(|_| None)?;
/// let telemetry = Telemetry::build(config)?;
/// let handler = telemetry.scrape_handler().expect("prometheus exporter is on by default");
/// let body = handler.render();
/// assert!(body.contains("target_info"));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ScrapeHandler {
    registry: prometheus::Registry,
    /// The pipeline's exemplars and the resource labels the bridge puts on every series.
    exemplars: Option<(Exemplars, Arc<[String]>)>,
}

impl std::fmt::Debug for ScrapeHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ScrapeHandler")
    }
}

impl ScrapeHandler {
    pub(crate) fn new(
        registry: prometheus::Registry,
        exemplars: Option<(Exemplars, Arc<[String]>)>,
    ) -> Self {
        ScrapeHandler {
            registry,
            exemplars,
        }
    }

    /// The exposition text of every metric. Encoding errors (which the text encoder only
    /// raises for invalid metric families) are logged and the rest is still returned.
    pub fn render(&self) -> String {
        let families = self.registry.gather();
        let mut out = Vec::with_capacity(16 * 1024);
        if let Err(error) = prometheus::TextEncoder::new().encode(&families, &mut out) {
            tracing::warn!(name: "ScrapeEndpoint.EncodeFailed", %error, "could not encode some metrics");
        }
        String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }

    /// The `Content-Type` to send with [`render`](Self::render)'s output.
    pub fn content_type(&self) -> &'static str {
        CONTENT_TYPE
    }

    /// The exposition in `format`, from one gather of the registry: the OpenMetrics 1.0
    /// rendering and the 0.0.4 one carry the same samples (see [`ExpositionFormat`]).
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> Result<(), marketplace_telemetry::Error> {
    /// use marketplace_telemetry::{ExpositionFormat, Telemetry, TelemetryConfig};
    /// let config = TelemetryConfig::builder()
    ///     .with_scrape_endpoint(false)
    ///     .with_traces_exporters(Default::default())
    ///     .build_from(|_| None)?;
    /// let telemetry = Telemetry::build(config)?;
    /// let handler = telemetry.scrape_handler().expect("prometheus exporter is on by default");
    /// let body = handler.render_format(ExpositionFormat::OpenMetrics);
    /// assert!(body.ends_with("# EOF\n"));
    /// assert!(body.contains("# TYPE target info"));
    /// # Ok(()) }
    /// ```
    pub fn render_format(&self, format: ExpositionFormat) -> String {
        match format {
            ExpositionFormat::OpenMetrics => crate::openmetrics::render(
                &self.registry.gather(),
                self.exemplars.as_ref().map(|(e, ignore)| (e, &ignore[..])),
            ),
            _ => self.render(),
        }
    }

    /// Answers one HTTP request: `GET`/`HEAD /metrics` → 200 with the exposition in the
    /// format its `Accept` header prefers ([`ExpositionFormat::negotiate`]: OpenMetrics for
    /// Prometheus, text 0.0.4 otherwise), another path → 404, another method → 405.
    pub fn respond<B>(&self, request: &Request<B>) -> Response<Full<Bytes>> {
        let format = ExpositionFormat::negotiate(
            request
                .headers()
                .get(hyper::header::ACCEPT)
                .and_then(|v| v.to_str().ok()),
        );
        let status = if request.uri().path() != "/metrics" {
            StatusCode::NOT_FOUND
        } else if request.method() != Method::GET && request.method() != Method::HEAD {
            StatusCode::METHOD_NOT_ALLOWED
        } else {
            StatusCode::OK
        };
        let mut response = if status == StatusCode::OK {
            let body = if request.method() == Method::HEAD {
                Bytes::new()
            } else {
                Bytes::from(self.render_format(format))
            };
            Response::new(Full::new(body))
        } else {
            Response::new(Full::new(Bytes::from(
                status.canonical_reason().unwrap_or(""),
            )))
        };
        *response.status_mut() = status;
        if status == StatusCode::OK {
            response.headers_mut().insert(
                hyper::header::CONTENT_TYPE,
                hyper::header::HeaderValue::from_static(format.content_type()),
            );
        } else if status == StatusCode::METHOD_NOT_ALLOWED {
            response.headers_mut().insert(
                hyper::header::ALLOW,
                hyper::header::HeaderValue::from_static("GET, HEAD"),
            );
        }
        response
    }
}

/// A running scrape endpoint on the SDK's I/O runtime.
pub(crate) struct ScrapeServer {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    done: Option<std::sync::mpsc::Receiver<()>>,
}

const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);
const MAX_CONNECTIONS: usize = 256;

impl ScrapeServer {
    /// Binds `addr` now (so a taken port is an immediate, typed error) and serves on `runtime`.
    pub(crate) fn start(
        addr: SocketAddr,
        handler: ScrapeHandler,
        web: Option<WebConfig>,
        dispatch: tracing::Dispatch,
        runtime: &tokio::runtime::Handle,
    ) -> Result<Self> {
        let listener = std::net::TcpListener::bind(addr)
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .map_err(|source| Error::ScrapeBind { addr, source })?;
        let local = listener
            .local_addr()
            .map_err(|source| Error::ScrapeBind { addr, source })?;
        let listener = {
            let _entered = runtime.enter();
            tokio::net::TcpListener::from_std(listener)
                .map_err(|source| Error::ScrapeBind { addr, source })?
        };
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        // The endpoint's own events go through the pipeline's subscriber (console filter and
        // all), on the I/O thread and in every connection task.
        runtime.spawn(
            async move {
                serve(listener, handler, web, stop_rx).await;
                let _ = done_tx.send(());
            }
            .with_subscriber(dispatch),
        );
        Ok(ScrapeServer {
            addr: local,
            stop: Some(stop_tx),
            done: Some(done_rx),
        })
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, drops open connections and waits (briefly) until the port is free.
    pub(crate) fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(done) = self.done.take() {
            let _ = done.recv_timeout(Duration::from_secs(2));
        }
    }
}

impl Drop for ScrapeServer {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn serve(
    listener: tokio::net::TcpListener,
    handler: ScrapeHandler,
    web: Option<WebConfig>,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) {
    let handler = Arc::new(handler);
    let web = web.map(Arc::new);
    let permits = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    let mut connections = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => {
                let (stream, _) = match accepted {
                    Ok(conn) => conn,
                    Err(error) => {
                        tracing::debug!(name: "ScrapeEndpoint.AcceptFailed", %error);
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                };
                // Over the limit: close at once rather than queue behind idle connections.
                let Ok(permit) = permits.clone().try_acquire_owned() else { continue };
                let handler = handler.clone();
                let web = web.clone();
                let dispatch = tracing::dispatcher::get_default(|d| d.clone());
                connections.spawn(
                    async move {
                        let _permit = permit;
                        connection(stream, handler, web).await;
                    }
                    .with_subscriber(dispatch),
                );
                while connections.try_join_next().is_some() {}
            }
        }
    }
    connections.abort_all();
}

/// Serves one accepted connection: the TLS handshake first when the web configuration has
/// TLS (a plaintext request fails it and the connection closes), then HTTP/1.1.
async fn connection(
    stream: tokio::net::TcpStream,
    handler: Arc<ScrapeHandler>,
    web: Option<Arc<WebConfig>>,
) {
    #[cfg(feature = "scrape-auth")]
    {
        let users = web.as_ref().and_then(|w| w.users.clone());
        if let Some(acceptor) = web.as_ref().and_then(|w| w.tls.clone()) {
            let tls = tokio::time::timeout(HEADER_READ_TIMEOUT, acceptor.accept(stream)).await;
            match tls {
                Ok(Ok(tls)) => http(tls, handler, users).await,
                // No detail logged: a scanner's garbage is not the operator's problem.
                _ => {
                    tracing::debug!(name: "ScrapeEndpoint.TlsHandshakeFailed", "TLS handshake failed")
                }
            }
        } else {
            http(stream, handler, users).await;
        }
    }
    #[cfg(not(feature = "scrape-auth"))]
    {
        let _ = web;
        http(stream, handler).await;
    }
}

async fn http<I>(
    io: I,
    handler: Arc<ScrapeHandler>,
    #[cfg(feature = "scrape-auth")] users: Option<Arc<web_config::BasicAuth>>,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
        let handler = handler.clone();
        #[cfg(feature = "scrape-auth")]
        let users = users.clone();
        async move {
            #[cfg(feature = "scrape-auth")]
            if let Some(users) = users {
                if !authorized(&users, &req).await {
                    return Ok::<_, Infallible>(unauthorized());
                }
            }
            Ok::<_, Infallible>(handler.respond(&req))
        }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .max_buf_size(16 * 1024)
        .keep_alive(true)
        .serve_connection(hyper_util::rt::TokioIo::new(io), service)
        .await;
}

/// Whether `req` carries the credentials of a configured user. Verified credentials are
/// remembered; new ones are checked off the I/O thread (bcrypt is slow by design). The
/// header's value is never logged.
#[cfg(feature = "scrape-auth")]
async fn authorized<B>(users: &Arc<web_config::BasicAuth>, req: &Request<B>) -> bool {
    let Some(credentials) =
        web_config::BasicAuth::credentials(req.headers().get(hyper::header::AUTHORIZATION))
    else {
        return false;
    };
    if users.known(&credentials) {
        return true;
    }
    let Ok(permit) = users.verifying.clone().acquire_owned().await else {
        return false;
    };
    let users = users.clone();
    // The permit moves into the blocking task: a request cancelled mid-verification still
    // counts against the limit until bcrypt is done.
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        users.verify(credentials)
    })
    .await
    .unwrap_or(false)
}

/// 401 with the challenge, the same for a missing header, an unknown user and a wrong
/// password.
#[cfg(feature = "scrape-auth")]
fn unauthorized() -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(b"Unauthorized")));
    *response.status_mut() = StatusCode::UNAUTHORIZED;
    response.headers_mut().insert(
        hyper::header::WWW_AUTHENTICATE,
        hyper::header::HeaderValue::from_static("Basic realm=\"metrics\""),
    );
    response
}
