//! What the SDK does when the collector is down, pushes back or is slow (issue 7, scenarios 1
//! and 13):
//!
//! - A closed port, or a listener that accepts and never answers, then a working collector on
//!   the same port → every span recorded meanwhile is either delivered or counted as lost
//!   (`success + failure == recorded`), and the spans recorded after recovery arrive.
//! - OTLP/HTTP `429`/`503` with `Retry-After` → the exporter waits at least that long, then
//!   retries and delivers; `503` without it → exponential backoff, 3 retries, then the loss is
//!   counted; `400`/`401` → not retried, loss counted.
//! - OTLP/gRPC `RESOURCE_EXHAUSTED` with `RetryInfo` → honoured the same way; `UNAVAILABLE` →
//!   retried; `UNAUTHENTICATED` → not retried, loss counted.
//! - A proxy that delays every response past the export timeout → recording never blocks, the
//!   batches are counted as failed, and spans recorded once the proxy is fast again arrive.
//!
//! The retry loop is the SDK's (opentelemetry-otlp 0.33 `RetryPolicy::recommended()`: 3 retries,
//! 100 ms doubling to 1.6 s, bounded by the export timeout); these tests pin the behaviour our
//! users rely on. The only clock comparisons are lower bounds a correct exporter cannot miss
//! (it must *wait* for `Retry-After`), never an upper bound a slow machine could.

use crate::common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::slow_proxy::slow_proxy;
use common::{attr, env_map, export_sample, start_receiver, start_receiver_on, wait_for, Capture};
use marketplace_telemetry::{Telemetry, TelemetryConfig};
use opentelemetry_proto::tonic::collector::trace::v1::{
    trace_service_server::{TraceService, TraceServiceServer},
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};

/// One scripted answer: HTTP status and an optional `Retry-After` value.
type HttpAnswer = (u16, Option<&'static str>);

/// A minimal OTLP/HTTP collector: answers the n-th `/v1/traces` request with `script(n)` and
/// records when each arrived. HTTP/1.1 with keep-alive, as reqwest speaks it.
#[derive(Clone)]
struct HttpCollector {
    addr: SocketAddr,
    hits: Arc<Mutex<Vec<Instant>>>,
}

impl HttpCollector {
    fn start(script: fn(usize) -> HttpAnswer) -> HttpCollector {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let hits = Arc::new(Mutex::new(Vec::new()));
        let shared = hits.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let hits = shared.clone();
                std::thread::spawn(move || serve_http(stream, &hits, script));
            }
        });
        HttpCollector { addr, hits }
    }

    fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn hits(&self) -> Vec<Instant> {
        self.hits.lock().unwrap().clone()
    }
}

fn serve_http(stream: TcpStream, hits: &Mutex<Vec<Instant>>, script: fn(usize) -> HttpAnswer) {
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut content_length = 0usize;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    content_length = value.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0; content_length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let (status, retry_after) = if request_line.contains("/v1/traces") {
            let mut hits = hits.lock().unwrap();
            hits.push(Instant::now());
            script(hits.len() - 1)
        } else {
            (200, None)
        };
        let retry_after = retry_after
            .map(|v| format!("Retry-After: {v}\r\n"))
            .unwrap_or_default();
        // An empty protobuf body is a valid Export*ServiceResponse.
        let response = format!(
            "HTTP/1.1 {status} Scripted\r\nContent-Type: application/x-protobuf\r\n\
             Content-Length: 0\r\n{retry_after}\r\n"
        );
        if writer.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

/// A scripted OTLP/gRPC trace service: answers the n-th export with `script(n)`.
#[derive(Clone)]
struct GrpcCollector {
    hits: Arc<Mutex<Vec<Instant>>>,
    script: fn(usize) -> Result<(), tonic::Status>,
}

#[tonic::async_trait]
impl TraceService for GrpcCollector {
    async fn export(
        &self,
        _request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let n = {
            let mut hits = self.hits.lock().unwrap();
            hits.push(Instant::now());
            hits.len() - 1
        };
        (self.script)(n).map(|()| tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

async fn start_grpc_collector(
    script: fn(usize) -> Result<(), tonic::Status>,
) -> (String, Arc<Mutex<Vec<Instant>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(Mutex::new(Vec::new()));
    let service = GrpcCollector {
        hits: hits.clone(),
        script,
    };
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(service))
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    (format!("http://{addr}"), hits)
}

/// The SDK's recommended policy without a server hint: the k-th retry waits
/// 100 ms · 2^(k-1) plus up to 100 ms of jitter. Lower bounds only (a slow machine can only
/// lengthen a gap), and growth: the third wait (≥ 400 ms) exceeds the first (≤ 200 ms plus
/// one request's latency).
fn assert_exponential_backoff(hits: &[Instant]) {
    let gaps: Vec<Duration> = hits.windows(2).map(|p| p[1] - p[0]).collect();
    eprintln!("backoff gaps: {gaps:?}");
    assert_eq!(gaps.len(), 3, "one attempt and three retries: {gaps:?}");
    for (k, gap) in gaps.iter().enumerate() {
        let floor = Duration::from_millis(100 << k);
        assert!(
            *gap >= floor,
            "retry {} came after {gap:?}, before the backoff floor {floor:?}",
            k + 1
        );
    }
    assert!(gaps[2] > gaps[0], "the backoff does not grow: {gaps:?}");
}

/// A traces-only pipeline (metrics on the scrape handler only, no OTLP logs) exporting to
/// `endpoint` with the given protocol and export timeout.
fn pipeline(endpoint: &str, protocol: &str, timeout_ms: &str) -> Telemetry {
    let config = TelemetryConfig::builder()
        .with_log_writer(Capture::default().writer())
        .with_scrape_endpoint(false)
        .with_shutdown_timeout(Duration::from_secs(10))
        .build_from(env_map(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", timeout_ms),
            ("OTEL_METRICS_EXPORTER", "prometheus"),
            ("OTEL_LOGS_EXPORTER", "none"),
        ]))
        .unwrap();
    Telemetry::build(config).unwrap()
}

fn record_spans(telemetry: &Telemetry, phase: &str, n: usize) {
    tracing::dispatcher::with_default(telemetry.dispatch(), || {
        for i in 0..n {
            drop(tracing::info_span!("work", phase, i).entered());
        }
    });
}

/// The traces export counter for `outcome` once it reaches at least `min`.
fn wait_for_items(telemetry: &Telemetry, outcome: &str, min: f64) -> f64 {
    let handler = telemetry.scrape_handler().unwrap();
    let mut last = -1.0;
    let reached = wait_for(Duration::from_secs(30), || {
        last = export_sample(
            &handler.render(),
            "telemetry_export_items_total",
            "traces",
            outcome,
        );
        (last >= min).then_some(last)
    });
    reached.unwrap_or_else(|| panic!("traces {outcome} items stayed at {last}, wanted ≥ {min}"))
}

/// Runs `f` off the async workers (the SDK's flush blocks) and returns its result.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

#[test]
fn http_retry_after_on_429_and_503_is_honoured_then_the_batch_is_delivered() {
    fn script(n: usize) -> HttpAnswer {
        match n {
            0 => (429, Some("1")),
            1 => (503, Some("1")),
            _ => (200, None),
        }
    }
    let collector = HttpCollector::start(script);
    let telemetry = pipeline(&collector.endpoint(), "http/protobuf", "10000");
    record_spans(&telemetry, "before", 3);
    let _ = telemetry.force_flush();
    assert_eq!(wait_for_items(&telemetry, "success", 3.0), 3.0);
    let hits = collector.hits();
    assert_eq!(hits.len(), 3, "one attempt and two retries");
    for pair in hits.windows(2) {
        let waited = pair[1] - pair[0];
        eprintln!("HTTP retry after {waited:?} (Retry-After: 1)");
        // The recommended backoff alone would wait 100–200 ms here.
        assert!(
            waited >= Duration::from_millis(950),
            "retried after {waited:?}, before Retry-After: 1"
        );
    }
    let body = telemetry.scrape_handler().unwrap().render();
    assert_eq!(
        export_sample(&body, "telemetry_export_items_total", "traces", "failure"),
        0.0,
        "a batch delivered after retries is not a loss"
    );
    telemetry.shutdown().unwrap();
}

#[test]
fn http_503_without_retry_after_is_retried_three_times_then_counted_as_lost() {
    let collector = HttpCollector::start(|_| (503, None));
    let telemetry = pipeline(&collector.endpoint(), "http/protobuf", "10000");
    record_spans(&telemetry, "before", 4);
    let _ = telemetry.force_flush();
    assert_eq!(wait_for_items(&telemetry, "failure", 4.0), 4.0);
    let hits = collector.hits();
    assert_eq!(hits.len(), 4, "one attempt and three retries");
    assert_exponential_backoff(&hits);
    let _ = telemetry.shutdown();
}

#[test]
fn http_400_and_401_are_not_retried_and_the_loss_is_counted() {
    for (status, script) in [
        (400, (|_| (400, None)) as fn(usize) -> HttpAnswer),
        (401, |_| (401, None)),
    ] {
        let collector = HttpCollector::start(script);
        let telemetry = pipeline(&collector.endpoint(), "http/protobuf", "10000");
        record_spans(&telemetry, "before", 5);
        let _ = telemetry.force_flush();
        assert_eq!(wait_for_items(&telemetry, "failure", 5.0), 5.0);
        // The first retry would come within 200 ms; give it five times that.
        std::thread::sleep(Duration::from_secs(1));
        assert_eq!(
            collector.hits().len(),
            1,
            "HTTP {status} must not be retried"
        );
        let _ = telemetry.shutdown();
    }
}

/// A listener that accepts and never answers until aborted (which closes every connection).
async fn closable_blackhole() -> (u16, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    (port, task)
}

/// Records 10 spans while the collector on `port` is down (closed, or black-holed until
/// `blackhole` is aborted), then starts a receiver on that port and records 5 more.
async fn down_then_back(port: u16, blackhole: Option<tokio::task::JoinHandle<()>>) {
    let endpoint = format!("http://127.0.0.1:{port}");
    let telemetry = blocking(move || {
        let telemetry = pipeline(&endpoint, "grpc", "500");
        record_spans(&telemetry, "before", 10);
        let _ = telemetry.force_flush();
        assert_eq!(wait_for_items(&telemetry, "failure", 10.0), 10.0);
        telemetry
    })
    .await;
    if let Some(task) = blackhole {
        task.abort();
        let _ = task.await;
    }
    let (_, received) = start_receiver_on(port).await;
    blocking(move || {
        record_spans(&telemetry, "after", 5);
        let _ = telemetry.force_flush();
        assert_eq!(wait_for_items(&telemetry, "success", 5.0), 5.0);
        let body = telemetry.scrape_handler().unwrap().render();
        // Nothing unaccounted for: 15 recorded = 5 delivered + 10 counted as lost.
        assert_eq!(
            export_sample(&body, "telemetry_export_items_total", "traces", "failure"),
            10.0
        );
        telemetry.shutdown().unwrap();
    })
    .await;
    let phases: Vec<_> = received
        .spans()
        .iter()
        .filter_map(|(_, s)| attr(s, "phase"))
        .collect();
    assert_eq!(phases, vec!["after"; 5]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_lost_to_a_closed_port_are_counted_and_later_spans_arrive() {
    let port = common::free_port();
    down_then_back(port, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_lost_to_a_silent_collector_are_counted_and_later_spans_arrive() {
    let (port, blackhole) = closable_blackhole().await;
    down_then_back(port, Some(blackhole)).await;
}

#[test]
fn a_retry_after_longer_than_the_export_timeout_fails_the_batch_at_once() {
    // A hostile or confused collector asking for 10 minutes must not park the exporter: the
    // SDK gives up when the wait would pass the export timeout, and the next batch is tried.
    let collector = HttpCollector::start(|_| (429, Some("600")));
    let telemetry = pipeline(&collector.endpoint(), "http/protobuf", "2000");
    for batch in 1..=2 {
        record_spans(&telemetry, "before", 3);
        let _ = telemetry.force_flush();
        assert_eq!(
            wait_for_items(&telemetry, "failure", 3.0 * batch as f64),
            3.0 * batch as f64
        );
    }
    assert_eq!(collector.hits().len(), 2, "one attempt per batch, no retry");
    let _ = telemetry.shutdown();
}

fn hits_after(hits: &Mutex<Vec<Instant>>, n: usize) -> Vec<Instant> {
    wait_for(Duration::from_secs(30), || {
        let hits = hits.lock().unwrap();
        (hits.len() >= n).then(|| hits.clone())
    })
    .unwrap_or_else(|| panic!("fewer than {n} exports arrived"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_resource_exhausted_with_retry_info_is_honoured_then_delivered() {
    fn script(n: usize) -> Result<(), tonic::Status> {
        use tonic_types::{ErrorDetails, StatusExt};
        match n {
            0 => Err(tonic::Status::with_error_details(
                tonic::Code::ResourceExhausted,
                "slow down",
                ErrorDetails::with_retry_info(Some(Duration::from_secs(1))),
            )),
            _ => Ok(()),
        }
    }
    let (endpoint, hits) = start_grpc_collector(script).await;
    let telemetry = blocking(move || {
        let telemetry = pipeline(&endpoint, "grpc", "10000");
        record_spans(&telemetry, "before", 3);
        let _ = telemetry.force_flush();
        assert_eq!(wait_for_items(&telemetry, "success", 3.0), 3.0);
        telemetry
    })
    .await;
    let hits = hits_after(&hits, 2);
    assert_eq!(hits.len(), 2, "one attempt and one retry");
    let waited = hits[1] - hits[0];
    eprintln!("gRPC retry after {waited:?} (RetryInfo 1 s)");
    assert!(
        waited >= Duration::from_millis(950),
        "retried after {waited:?}, before RetryInfo's 1 s"
    );
    blocking(move || telemetry.shutdown().unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_unavailable_is_retried_and_unauthenticated_is_not() {
    let (unavailable, unavailable_hits) =
        start_grpc_collector(|_| Err(tonic::Status::unavailable("restarting"))).await;
    let (unauthenticated, unauthenticated_hits) =
        start_grpc_collector(|_| Err(tonic::Status::unauthenticated("bad token"))).await;
    blocking(move || {
        for endpoint in [unavailable, unauthenticated] {
            let telemetry = pipeline(&endpoint, "grpc", "10000");
            record_spans(&telemetry, "before", 2);
            let _ = telemetry.force_flush();
            assert_eq!(wait_for_items(&telemetry, "failure", 2.0), 2.0);
            let _ = telemetry.shutdown();
        }
        std::thread::sleep(Duration::from_secs(1));
    })
    .await;
    assert_eq!(unavailable_hits.lock().unwrap().len(), 4);
    assert_exponential_backoff(&unavailable_hits.lock().unwrap());
    assert_eq!(unauthenticated_hits.lock().unwrap().len(), 1);
}

/// Exports through a proxy that holds responses 2 s with a 500 ms export timeout, then makes
/// the proxy fast again and records more.
async fn slow_then_fast(upstream: SocketAddr, protocol: &'static str) {
    let delay = Arc::new(AtomicU64::new(2_000));
    let proxy = slow_proxy(upstream, delay.clone()).await;
    let endpoint = format!("http://{proxy}");
    let telemetry = blocking(move || {
        let telemetry = pipeline(&endpoint, protocol, "500");
        // Recording while every export times out: a hang here fails the test by its timeout.
        for _ in 0..10 {
            record_spans(&telemetry, "before", 10);
            let _ = telemetry.force_flush();
        }
        assert_eq!(wait_for_items(&telemetry, "failure", 100.0), 100.0);
        telemetry
    })
    .await;
    let body = telemetry.scrape_handler().unwrap().render();
    assert_eq!(
        export_sample(&body, "telemetry_export_items_total", "traces", "success"),
        0.0,
        "{protocol}: {body}"
    );

    // The proxy is fast again: once the held responses have drained, new spans arrive.
    delay.store(0, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    blocking(move || {
        record_spans(&telemetry, "after", 5);
        let _ = telemetry.force_flush();
        assert!(wait_for_items(&telemetry, "success", 5.0) >= 5.0);
        telemetry.shutdown().unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grpc_collector_slower_than_the_export_timeout_costs_counted_batches_not_the_host() {
    let (receiver, received) = start_receiver().await;
    slow_then_fast(receiver, "grpc").await;
    let after = received
        .spans()
        .iter()
        .filter(|(_, s)| attr(s, "phase").as_deref() == Some("after"))
        .count();
    assert_eq!(after, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http_collector_slower_than_the_export_timeout_costs_counted_batches_not_the_host() {
    let collector = HttpCollector::start(|_| (200, None));
    slow_then_fast(collector.addr, "http/protobuf").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_returns_while_every_response_is_held_longer_than_its_timeout() {
    let (receiver, _received) = start_receiver().await;
    // Responses held 20 s, export timeout 30 s, shutdown bounded at 1 s.
    let proxy = slow_proxy(receiver, Arc::new(AtomicU64::new(20_000))).await;
    let endpoint = format!("http://{proxy}");
    let shutdown = tokio::task::spawn_blocking(move || {
        let config = TelemetryConfig::builder()
            .with_log_writer(Capture::default().writer())
            .with_scrape_endpoint(false)
            .with_shutdown_timeout(Duration::from_secs(1))
            .build_from(env_map(&[
                ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
                ("OTEL_EXPORTER_OTLP_TIMEOUT", "30000"),
                ("OTEL_METRICS_EXPORTER", "prometheus,otlp"),
                ("OTEL_LOGS_EXPORTER", "otlp"),
            ]))
            .unwrap();
        let telemetry = Telemetry::build(config).unwrap();
        record_spans(&telemetry, "before", 100);
        let started = Instant::now();
        let result = telemetry.shutdown();
        (started.elapsed(), result.is_err())
    });
    let (took, failed) = tokio::time::timeout(Duration::from_secs(60), shutdown)
        .await
        .expect("shutdown hangs behind a slow collector")
        .unwrap();
    eprintln!("shutdown behind a slow collector returned after {took:?} (bound 1 s + 0.5 s)");
    // Far above the 1.5 s bound, far below the 20 s hold and 30 s export timeout: fails only
    // when shutdown waits for the held response.
    assert!(
        took < Duration::from_secs(10),
        "shutdown waited {took:?} for a collector holding responses 20 s"
    );
    assert!(
        failed,
        "a flush that could not finish is reported, not hidden"
    );
}
