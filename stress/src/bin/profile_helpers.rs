//! A fixed workload for instruction-level profiles of the hot path (valgrind's callgrind counts
//! instructions, which are repeatable on this noisy machine):
//!
//! ```text
//! cargo build --release -p marketplace-telemetry-stress --bin profile_helpers
//! valgrind --tool=callgrind --callgrind-out-file=target/cg.out target/release/examples/profile_helpers search 1000000
//! callgrind_annotate --inclusive=yes target/cg.out | head -40
//! ```
//! Workloads: `search` (timed operation), `cache_hit` (labelled counter), `atomic` (the floor).

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

use marketplace_telemetry::marketplace::{ErrorCode, ItemType, MarketplaceMetrics};
use opentelemetry::metrics::MeterProvider as _;
use opentelemetry_sdk::metrics::{ManualReader, SdkMeterProvider};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let workload = args.get(1).map(String::as_str).unwrap_or("search");
    let n: u64 = args
        .get(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let provider = SdkMeterProvider::builder()
        .with_reader(ManualReader::builder().build())
        .build();
    let metrics = MarketplaceMetrics::builder(&provider.meter("profile"))
        .with_caches(["search"])
        .build();
    let cache = metrics.cache("search");
    let atomic = AtomicU64::new(0);
    for _ in 0..n {
        match workload {
            "cache_hit" => black_box(&cache).hit(),
            "atomic" => {
                black_box(&atomic).fetch_add(1, Ordering::Relaxed);
            }
            "search_err" => {
                let _ = metrics
                    .search(black_box(ItemType::Plugin))
                    .finish(black_box(Err::<u32, _>(ErrorCode::Timeout)));
            }
            _ => {
                let _ = metrics
                    .search(black_box(ItemType::Plugin))
                    .finish(black_box(Ok::<u32, ErrorCode>(1)));
            }
        }
    }
    println!("{workload} x {n} done");
}
