//! Host-side latency while the collector is up, refusing connections, or black-holed: p50/p99
//! of a helper call and of an `#[instrument]` span, per scenario, reported as ratios to "up".
//! (Figures for RELIABILITY.md; no test asserts wall-clock.)
//!
//! ```text
//! cargo run --release --example host_latency
//! ```

use std::time::Duration;

use marketplace_telemetry::marketplace::ItemType;
use marketplace_telemetry::{LogWriter, Telemetry, TelemetryConfig};

#[tracing::instrument]
fn operation(i: u64) {
    std::hint::black_box(i);
}

/// A TCP listener that accepts connections and never answers (a black-holed collector).
/// Pass a live collector's endpoint as the first argument for the "up" baseline.
fn blackhole() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in l.incoming().flatten() {
            held.push(s);
        }
    });
    format!("http://{addr}")
}

fn closed() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("http://127.0.0.1:{port}")
}

fn percentiles(mut v: Vec<u64>) -> (u64, u64) {
    v.sort_unstable();
    (v[v.len() / 2], v[v.len() * 99 / 100])
}

fn measure(endpoint: &str) -> ((u64, u64), (u64, u64)) {
    let config = TelemetryConfig::builder()
        .with_log_writer(LogWriter::new(|| Box::new(std::io::sink())))
        .with_scrape_endpoint(false)
        .with_otlp_endpoint(endpoint)
        .with_batch_schedule_delay(Duration::from_millis(100))
        .with_shutdown_timeout(Duration::from_secs(1))
        .build_from(|_| None)
        .expect("config");
    let telemetry = Telemetry::build(config).expect("pipeline");
    let metrics = telemetry.marketplace();
    const N: usize = 200_000;
    let clock = quanta::Clock::new();
    let mut helper = Vec::with_capacity(N);
    let mut span = Vec::with_capacity(N);
    tracing::dispatcher::with_default(telemetry.dispatch(), || {
        for i in 0..N as u64 {
            let t = clock.raw();
            metrics.search(ItemType::Plugin).succeed();
            helper.push(clock.delta_as_nanos(t, clock.raw()));
            let t = clock.raw();
            operation(i);
            span.push(clock.delta_as_nanos(t, clock.raw()));
            if i % 1000 == 0 {
                // Let the batch processor and the exporter run as they would in a service.
                std::thread::sleep(Duration::from_micros(200));
            }
        }
    });
    let _ = telemetry.shutdown();
    (percentiles(helper), percentiles(span))
}

fn main() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let _entered = rt.enter();
    let up = std::env::args().nth(1).unwrap_or_default();
    let mut scenarios = Vec::new();
    if !up.is_empty() {
        scenarios.push(("collector up", up));
    }
    scenarios.push(("port closed", closed()));
    scenarios.push(("black-holed", blackhole()));
    let mut base: Option<((u64, u64), (u64, u64))> = None;
    for (name, endpoint) in scenarios {
        let r = measure(&endpoint);
        let b = *base.get_or_insert(r);
        println!(
            "host-latency: {name:<13} helper p50={} ns p99={} ns (p99 ratio {:.2}) | span p50={} ns p99={} ns (p99 ratio {:.2})",
            r.0 .0,
            r.0 .1,
            r.0 .1 as f64 / b.0 .1 as f64,
            r.1 .0,
            r.1 .1,
            r.1 .1 as f64 / b.1 .1 as f64
        );
    }
}
