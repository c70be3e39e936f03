//! Host-side latency while the collector is up, refusing connections, black-holed, or behind a
//! proxy that holds every response 2 s (past the 500 ms export timeout): p50/p99 of a helper
//! call and of an `#[instrument]` span, per scenario, reported as ratios to "up". The scenarios
//! run interleaved for several rounds and each figure is the median over the rounds, so one
//! noisy moment of the machine does not decide a ratio. (Figures for RELIABILITY.md; no test
//! asserts wall-clock.)
//!
//! ```text
//! cargo run --release -p marketplace-telemetry-stress --bin host_latency -- http://127.0.0.1:4317 [rounds]
//! ```
//!
//! Without a live collector's endpoint only the fault scenarios run (ratios to the first).

use std::time::Duration;

use marketplace_telemetry_test_support::slow_proxy;

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

/// ((helper p50, p99), (span p50, p99)) in nanoseconds.
type Sample = ((u64, u64), (u64, u64));

fn measure(endpoint: &str) -> Sample {
    let config = TelemetryConfig::builder()
        .with_log_writer(LogWriter::new(|| Box::new(std::io::sink())))
        .with_scrape_endpoint(false)
        .with_otlp_endpoint(endpoint)
        .with_batch_schedule_delay(Duration::from_millis(100))
        .with_otlp_timeout(Duration::from_millis(500))
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

fn median(mut v: Vec<u64>) -> u64 {
    v.sort_unstable();
    v[v.len() / 2]
}

fn main() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let _entered = rt.enter();
    let up = std::env::args().nth(1).unwrap_or_default();
    let rounds: usize = std::env::args()
        .nth(2)
        .and_then(|r| r.parse().ok())
        .unwrap_or(3)
        .max(1);
    let mut scenarios = Vec::new();
    if !up.is_empty() {
        scenarios.push(("collector up", up.clone()));
        let upstream = up
            .trim_start_matches("http://")
            .parse()
            .expect("the collector endpoint as http://IP:PORT");
        let held = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(2_000));
        let proxy = rt.block_on(slow_proxy::slow_proxy(upstream, held));
        scenarios.push(("slow (2 s)", format!("http://{proxy}")));
    }
    scenarios.push(("port closed", closed()));
    scenarios.push(("black-holed", blackhole()));
    let mut results: Vec<Vec<Sample>> = vec![Vec::new(); scenarios.len()];
    for round in 0..rounds {
        for (i, (name, endpoint)) in scenarios.iter().enumerate() {
            let r = measure(endpoint);
            println!(
                "round {round}: {name:<13} helper p50={} p99={} ns | span p50={} p99={} ns",
                r.0 .0, r.0 .1, r.1 .0, r.1 .1
            );
            results[i].push(r);
        }
    }
    let summary: Vec<[u64; 4]> = results
        .iter()
        .map(|rs| {
            [
                median(rs.iter().map(|r| r.0 .0).collect()),
                median(rs.iter().map(|r| r.0 .1).collect()),
                median(rs.iter().map(|r| r.1 .0).collect()),
                median(rs.iter().map(|r| r.1 .1).collect()),
            ]
        })
        .collect();
    let base = summary[0];
    println!("median of {rounds} rounds, 200k calls each:");
    for ((name, _), m) in scenarios.iter().zip(&summary) {
        println!(
            "host-latency: {name:<13} helper p50={} ns p99={} ns (p99 ratio {:.2}) | span p50={} ns p99={} ns (p99 ratio {:.2})",
            m[0],
            m[1],
            m[1] as f64 / base[1] as f64,
            m[2],
            m[3],
            m[3] as f64 / base[3] as f64
        );
    }
}
