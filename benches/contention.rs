//! Contention: 1 and 2 threads hammering the same helper (same series), against a shared
//! atomic. `iter_custom` times `iters` calls per thread, all threads running at once.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Barrier;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use marketplace_telemetry::marketplace::{ItemType, MarketplaceMetrics};
use opentelemetry::metrics::MeterProvider as _;
use opentelemetry_sdk::metrics::{ManualReader, SdkMeterProvider};

/// Wall time for every thread to make `iters` calls of `f` concurrently.
fn concurrent(threads: usize, iters: u64, f: &(dyn Fn() + Sync)) -> Duration {
    let barrier = Barrier::new(threads + 1);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                barrier.wait();
                for _ in 0..iters {
                    f();
                }
            });
        }
        barrier.wait();
        let start = Instant::now();
        // Scoped threads are joined when the scope ends.
        start
    })
    .elapsed()
}

fn contention(c: &mut Criterion) {
    let provider = SdkMeterProvider::builder()
        .with_reader(ManualReader::builder().build())
        .build();
    let metrics = MarketplaceMetrics::builder(&provider.meter("bench"))
        .with_caches(["search"])
        .build();
    let cache = metrics.cache("search");
    let atomic = AtomicU64::new(0);
    let mut g = c.benchmark_group("contention");
    for threads in [1usize, 2] {
        g.bench_with_input(
            BenchmarkId::new("shared_atomic", threads),
            &threads,
            |b, &t| {
                b.iter_custom(|iters| {
                    concurrent(t, iters, &|| {
                        atomic.fetch_add(1, Ordering::Relaxed);
                    })
                })
            },
        );
        g.bench_with_input(
            BenchmarkId::new("ours_cache_hit", threads),
            &threads,
            |b, &t| b.iter_custom(|iters| concurrent(t, iters, &|| black_box(&cache).hit())),
        );
        g.bench_with_input(
            BenchmarkId::new("ours_search_finish", threads),
            &threads,
            |b, &t| {
                b.iter_custom(|iters| {
                    concurrent(t, iters, &|| {
                        metrics.search(black_box(ItemType::Plugin)).succeed()
                    })
                })
            },
        );
    }
    g.finish();
}

criterion_group!(benches, contention);
criterion_main!(benches);
