//! Memory during a long outage: 1k spans/s and steady metrics against a black-holed collector,
//! RSS sampled every 10 s. Run by `scripts/soak.sh` (minutes; not in CI).
//!
//! ```text
//! cargo run --release -p marketplace-telemetry-stress --bin soak -- 10      # minutes
//! ```

use std::time::{Duration, Instant};

use marketplace_telemetry::marketplace::{ErrorCode, ItemType};
use marketplace_telemetry::{LogWriter, Telemetry, TelemetryConfig};

#[tracing::instrument]
fn operation(i: u64) {
    std::hint::black_box(i);
}

fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map(|pages| pages * 4096)
        .unwrap_or(0)
}

fn main() {
    let minutes: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let endpoint = format!("http://{}", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().flatten() {
            held.push(s);
        }
    });
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let _entered = rt.enter();
    let config = TelemetryConfig::builder()
        .with_log_writer(LogWriter::new(|| Box::new(std::io::sink())))
        .with_prometheus_port(0)
        .with_otlp_endpoint(endpoint)
        .build_from(|name| std::env::var(name).ok())
        .expect("config");
    let telemetry = Telemetry::build(config).expect("pipeline");
    let metrics = telemetry.marketplace();
    let start = Instant::now();
    let end = start + Duration::from_secs(minutes * 60);
    let baseline = rss_bytes();
    let mut max = baseline;
    let mut next_sample = start;
    let mut i = 0u64;
    println!("soak: {minutes} min, 1k spans/s against a black-holed collector; rss0={baseline}");
    tracing::dispatcher::with_default(telemetry.dispatch(), || {
        while Instant::now() < end {
            operation(i);
            let op = metrics.search(ItemType::Plugin);
            let _ = op.finish(if i % 50 == 0 {
                Err(ErrorCode::Timeout)
            } else {
                Ok(())
            });
            i += 1;
            std::thread::sleep(Duration::from_millis(1));
            if Instant::now() >= next_sample {
                let rss = rss_bytes();
                max = max.max(rss);
                println!(
                    "soak: t={:>4}s spans={i} rss={rss} growth={} bytes",
                    start.elapsed().as_secs(),
                    rss as i64 - baseline as i64
                );
                next_sample += Duration::from_secs(10);
            }
        }
    });
    let last = rss_bytes();
    println!(
        "soak: done spans={i} rss0={baseline} rss_end={last} rss_max={max} max_growth={} bytes",
        max - baseline
    );
    let _ = telemetry.shutdown();
}
