//! The HTTP client instrumentation alone, per outgoing request, against a mock service (no
//! network), inside a sampled parent span — the same work on every side:
//!
//! - `ours`: `HttpClientLayer` around the mock, under our subscriber (client span through
//!   tracing-opentelemetry, context injected with the global propagator, duration recorded);
//! - `raw_sdk`: the same by hand with the OpenTelemetry API (a client span with the same
//!   attributes started from the parent's context, `inject_context`, the histogram record);
//! - `bare`: the request and the mock call without instrumentation (the floor).
//!
//! reqwest-tracing is not a peer here: its releases inject only through opentelemetry ≤ 0.32,
//! a second version of every opentelemetry crate.
//!
//! Block-interleaved: `ROUNDS` × `BLOCKS` blocks of `BLOCK` requests, every variant once per
//! block (order rotated), so the per-block ratio cancels the machine's drift. Writes
//! `target/http-client-bench.json` (per-block ns/request per variant) and prints the median
//! ratios with their interquartile range; `scripts/bench_report.py` puts them in
//! BENCHMARKS.md. Criterion then times each variant alone.

use std::hint::black_box;
use std::task::{Context, Poll};
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};
use marketplace_telemetry::http_client::HttpClientLayer;
use marketplace_telemetry::{tracing_dispatch, LogWriter, TelemetryConfig};
use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::trace::{SpanKind, TraceContextExt as _, Tracer as _, TracerProvider as _};
use opentelemetry::KeyValue;
use opentelemetry_sdk::metrics::{ManualReader, SdkMeterProvider};
use opentelemetry_sdk::trace::SdkTracerProvider;
use tower::{Layer as _, Service};

mod common;

const URL: &str = "http://registry.internal:8080/packages/rdf-toolkit?version=2";

/// A mock HTTP service: answers 200 at once.
#[derive(Clone)]
struct Mock;

impl Service<http::Request<()>> for Mock {
    type Response = http::Response<()>;
    type Error = std::convert::Infallible;
    type Future = std::future::Ready<Result<http::Response<()>, std::convert::Infallible>>;
    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }
    fn call(&mut self, request: http::Request<()>) -> Self::Future {
        black_box(request);
        std::future::ready(Ok(http::Response::new(())))
    }
}

/// Polls a future that completes at once.
fn ready<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(std::task::Waker::noop());
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

fn request() -> http::Request<()> {
    http::Request::get(black_box(URL)).body(()).unwrap()
}

struct Setup {
    tracer_provider: SdkTracerProvider,
    meter_provider: SdkMeterProvider,
    dispatch: tracing::Dispatch,
}

fn setup() -> Setup {
    opentelemetry::global::set_text_map_propagator(
        opentelemetry_sdk::propagation::TraceContextPropagator::new(),
    );
    let tracer_provider = SdkTracerProvider::builder()
        .with_simple_exporter(common::Noop)
        .build();
    let meter_provider = SdkMeterProvider::builder()
        .with_reader(ManualReader::builder().build())
        .build();
    let config = TelemetryConfig::builder()
        .with_log_filter("warn")
        .with_log_writer(LogWriter::new(|| Box::new(std::io::sink())))
        .build_from(|_| None)
        .unwrap();
    let dispatch = tracing_dispatch(&config, Some(&tracer_provider), None).unwrap();
    Setup {
        tracer_provider,
        meter_provider,
        dispatch,
    }
}

/// The three variants, each timing `n` requests on the same clock.
struct Variants {
    ours: tower::util::BoxCloneService<
        http::Request<()>,
        http::Response<()>,
        std::convert::Infallible,
    >,
    tracer: opentelemetry_sdk::trace::Tracer,
    histogram: opentelemetry::metrics::Histogram<f64>,
    dispatch: tracing::Dispatch,
}

impl Variants {
    fn new(s: &Setup) -> Self {
        let meter = s.meter_provider.meter("bench");
        Variants {
            // As `Telemetry::http_client_layer` makes it: spans built with the pipeline's tracer.
            ours: tower::util::BoxCloneService::new(
                HttpClientLayer::new(&meter)
                    .with_tracer(s.tracer_provider.tracer("marketplace-telemetry"))
                    .layer(Mock),
            ),
            tracer: s.tracer_provider.tracer("bench"),
            histogram: meter
                .f64_histogram("http.client.request.duration")
                .with_unit("s")
                .build(),
            dispatch: s.dispatch.clone(),
        }
    }

    fn ours(&mut self, n: u64) -> std::time::Duration {
        let service = &mut self.ours;
        tracing::dispatcher::with_default(&self.dispatch, || {
            let parent = tracing::info_span!("parent");
            let _entered = parent.enter();
            let start = Instant::now();
            for _ in 0..n {
                black_box(ready(service.call(request())).unwrap());
            }
            start.elapsed()
        })
    }

    fn raw_sdk(&self, n: u64) -> std::time::Duration {
        let parent = opentelemetry::Context::current_with_span(self.tracer.start("parent"));
        let start = Instant::now();
        for _ in 0..n {
            let began = Instant::now();
            let mut request = request();
            let uri = request.uri().clone();
            let host = uri.host().unwrap_or("").to_string();
            let port = i64::from(uri.port_u16().unwrap_or(80));
            let span = self
                .tracer
                .span_builder("GET")
                .with_kind(SpanKind::Client)
                .with_attributes([
                    KeyValue::new("http.request.method", "GET"),
                    KeyValue::new("server.address", host.clone()),
                    KeyValue::new("server.port", port),
                    KeyValue::new(
                        "url.full",
                        marketplace_telemetry::http_client::redact_url(&uri),
                    ),
                ])
                .start_with_context(&self.tracer, &parent);
            let cx = parent.with_span(span);
            opentelemetry::global::get_text_map_propagator(|p| {
                p.inject_context(
                    &cx,
                    &mut opentelemetry_http::HeaderInjector(request.headers_mut()),
                )
            });
            let response = ready(Mock.call(request)).unwrap();
            let status = i64::from(response.status().as_u16());
            cx.span()
                .set_attribute(KeyValue::new("http.response.status_code", status));
            self.histogram.record(
                began.elapsed().as_secs_f64(),
                &[
                    KeyValue::new("http.request.method", "GET"),
                    KeyValue::new("server.address", host),
                    KeyValue::new("server.port", port),
                    KeyValue::new("http.response.status_code", status),
                ],
            );
            cx.span().end();
            black_box(response);
        }
        start.elapsed()
    }

    fn bare(&self, n: u64) -> std::time::Duration {
        let start = Instant::now();
        for _ in 0..n {
            black_box(ready(Mock.call(request())).unwrap());
        }
        start.elapsed()
    }

    fn run(&mut self, variant: usize, n: u64) -> std::time::Duration {
        match variant {
            0 => self.ours(n),
            1 | 3 => self.raw_sdk(n),
            _ => self.bare(n),
        }
    }
}

/// `raw_sdk_again` is the A/A control: the raw SDK variant measured a second time, as if it
/// were another variant.
const NAMES: [&str; 4] = ["ours", "raw_sdk", "bare", "raw_sdk_again"];

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn quartiles(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    (at(0.25), at(0.5), at(0.75))
}

/// The block-interleaved measurement.
fn interleaved() {
    const BLOCK: u64 = 1000;
    let (rounds, blocks) = (env("ROUNDS", 5), env("BLOCKS", 40));
    let s = setup();
    let mut v = Variants::new(&s);
    for variant in 0..NAMES.len() {
        v.run(variant, BLOCK);
    }
    let mut per_block: Vec<Vec<f64>> = vec![Vec::new(); NAMES.len()];
    for round in 0..rounds {
        for block in 0..blocks {
            for k in 0..NAMES.len() {
                let variant = (k + block + round) % NAMES.len();
                let ns = v.run(variant, BLOCK).as_nanos() as f64 / BLOCK as f64;
                per_block[variant].push(ns);
            }
        }
    }
    let json = serde_json::json!({
        "block": BLOCK,
        "rounds": rounds,
        "blocks": blocks,
        "ns_per_request": NAMES.iter().zip(&per_block).map(|(n, b)| (n.to_string(), serde_json::json!(b))).collect::<serde_json::Map<_, _>>(),
    });
    let _ = std::fs::create_dir_all("target");
    let _ = std::fs::write(
        "target/http-client-bench.json",
        serde_json::to_string_pretty(&json).unwrap_or_default(),
    );
    for (name, blocks) in NAMES.iter().zip(&per_block) {
        let (q1, median, q3) = quartiles(blocks.clone());
        println!("http_client/{name}: median {median:.0} ns/request (IQR {q1:.0}–{q3:.0})");
    }
    for (a, b) in [(0, 1), (0, 2), (1, 2), (3, 1)] {
        let ratios: Vec<f64> = per_block[a]
            .iter()
            .zip(&per_block[b])
            .map(|(x, y)| x / y)
            .collect();
        let (q1, median, q3) = quartiles(ratios);
        println!(
            "http_client ratio {}/{}: median {median:.2} (IQR {q1:.2}–{q3:.2})",
            NAMES[a], NAMES[b]
        );
    }
    let _ = s.tracer_provider.shutdown();
}

fn bench(c: &mut Criterion) {
    interleaved();
    let s = setup();
    let mut v = Variants::new(&s);
    let mut group = c.benchmark_group("http_client");
    for (variant, name) in NAMES.iter().enumerate() {
        group.bench_function(*name, |b| b.iter_custom(|iters| v.run(variant, iters)));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
