//! A small simulated marketplace service: search, cache lookups, installs and RDF queries with
//! random latencies and some errors, instrumented with `#[tracing::instrument]`.
//!
//! ```text
//! cargo run --example marketplace_demo                 # until Ctrl-C
//! cargo run --example marketplace_demo -- --duration 10
//! ```
//! Works with no collector running: export errors are logged and the demo goes on.

use std::time::{Duration, Instant};

use marketplace_telemetry::{init_telemetry, TelemetryConfig};
use opentelemetry::metrics::{Counter, Histogram};
use opentelemetry::KeyValue;
use rand::Rng;

#[derive(Clone)]
struct Metrics {
    ops: Histogram<f64>,
    cache: Counter<u64>,
}

#[derive(Debug)]
enum DemoError {
    NotFound,
    Timeout,
}

impl std::fmt::Display for DemoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DemoError::NotFound => "not_found",
            DemoError::Timeout => "timeout",
        })
    }
}

async fn work(min_ms: u64, max_ms: u64) {
    let ms = rand::rng().random_range(min_ms..=max_ms);
    tokio::time::sleep(Duration::from_millis(ms)).await;
}

fn record(m: &Metrics, op: &'static str, started: Instant, ok: bool) {
    let outcome = if ok { "success" } else { "error" };
    m.ops.record(
        started.elapsed().as_secs_f64(),
        &[
            KeyValue::new("operation", op),
            KeyValue::new("outcome", outcome),
        ],
    );
}

#[tracing::instrument(skip(m))]
async fn cache_lookup(m: &Metrics, key: &str) -> bool {
    work(0, 3).await;
    let hit = rand::rng().random_bool(0.8);
    let result = if hit { "hit" } else { "miss" };
    m.cache.add(
        1,
        &[
            KeyValue::new("cache", "search"),
            KeyValue::new("result", result),
        ],
    );
    tracing::debug!(hit, "cache lookup");
    hit
}

#[tracing::instrument(skip(m), fields(results))]
async fn search(m: &Metrics, query: &str) -> Result<usize, DemoError> {
    let started = Instant::now();
    if !cache_lookup(m, query).await {
        work(20, 180).await;
    }
    let results = rand::rng().random_range(0..50);
    tracing::Span::current().record("results", results);
    tracing::info!(results, "search done");
    record(m, "search", started, true);
    Ok(results)
}

#[tracing::instrument(skip(m))]
async fn install(m: &Metrics, package: &str) -> Result<(), DemoError> {
    let started = Instant::now();
    work(50, 400).await;
    let result = if rand::rng().random_bool(0.05) {
        Err(DemoError::NotFound)
    } else {
        Ok(())
    };
    if let Err(e) = &result {
        tracing::warn!(error = %e, "install failed");
    }
    record(m, "install", started, result.is_ok());
    result
}

#[tracing::instrument(skip(m))]
async fn rdf_query(m: &Metrics, kind: &str) -> Result<usize, DemoError> {
    let started = Instant::now();
    work(5, 120).await;
    let result = if rand::rng().random_bool(0.03) {
        Err(DemoError::Timeout)
    } else {
        Ok(rand::rng().random_range(1..500))
    };
    if let Err(e) = &result {
        tracing::error!(error = %e, "rdf query failed");
    }
    record(m, "rdf_query", started, result.is_ok());
    result
}

fn duration_arg() -> Option<Duration> {
    let args: Vec<String> = std::env::args().collect();
    let at = args.iter().position(|a| a == "--duration")?;
    let secs: u64 = args.get(at + 1)?.parse().ok()?;
    Some(Duration::from_secs(secs))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = TelemetryConfig::builder()
        .with_service_name("marketplace-demo")
        .with_service_version(env!("CARGO_PKG_VERSION"))
        .build()?;
    let telemetry = init_telemetry(config)?;
    match telemetry.scrape_addr() {
        Some(addr) => println!("metrics: http://{addr}/metrics"),
        None => println!("metrics: scrape endpoint off"),
    }
    let traces = &telemetry.config().traces_otlp;
    println!("traces: {} ({})", traces.endpoint, traces.protocol.as_str());

    let meter = telemetry.meter();
    let metrics = Metrics {
        ops: meter
            .f64_histogram("demo.operation.duration")
            .with_unit("s")
            .with_boundaries(vec![0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5])
            .build(),
        cache: meter.u64_counter("demo.cache.requests").build(),
    };

    let deadline = duration_arg().map(|d| Instant::now() + d);
    let load = async {
        let mut round = 0u64;
        loop {
            if deadline.is_some_and(|d| Instant::now() >= d) {
                break;
            }
            round += 1;
            let m = metrics.clone();
            let _ = tokio::join!(
                search(&m, "sparql"),
                install(&m, "rdf-toolkit"),
                rdf_query(
                    &m,
                    if round % 2 == 0 {
                        "select"
                    } else {
                        "construct"
                    }
                ),
            );
        }
    };
    tokio::select! {
        _ = load => {}
        _ = tokio::signal::ctrl_c() => tracing::info!("ctrl-c: shutting down"),
    }
    telemetry.shutdown()?;
    Ok(())
}
