//! Hot-path costs, compared in the same run: an atomic add (the floor), the raw OpenTelemetry
//! SDK with the same names, labels and buckets (unbound and bound), and our helpers.
//! `cargo bench --bench hot_path`; ratios are reported in BENCHMARKS.md.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

use criterion::{criterion_group, criterion_main, Criterion};
use marketplace_telemetry::marketplace::{catalog, ErrorCode, ItemType, MarketplaceMetrics};
use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::KeyValue;
use opentelemetry_sdk::metrics::{ManualReader, SdkMeterProvider};

fn provider() -> SdkMeterProvider {
    SdkMeterProvider::builder()
        .with_reader(ManualReader::builder().build())
        .build()
}

fn counters(c: &mut Criterion) {
    let mut g = c.benchmark_group("counter");
    let atomic = AtomicU64::new(0);
    g.bench_function("floor/atomic_add", |b| {
        let a = black_box(&atomic);
        b.iter(|| a.fetch_add(1, Ordering::Relaxed))
    });

    let p = provider();
    let meter = p.meter("bench");
    let raw = meter.u64_counter("marketplace.cache.requests").build();
    let attrs = [
        KeyValue::new("cache", "search"),
        KeyValue::new("result", "hit"),
    ];
    raw.add(1, &attrs);
    g.bench_function("otel/unbound_add_2_labels", |b| {
        b.iter(|| raw.add(1, black_box(&attrs)))
    });
    let bound = raw.bind(&attrs);
    g.bench_function("otel/bound_add", |b| b.iter(|| bound.add(black_box(1))));

    let p2 = provider();
    let metrics = MarketplaceMetrics::builder(&p2.meter("bench"))
        .with_caches(["search"])
        .build();
    let cache = metrics.cache("search");
    cache.hit();
    g.bench_function("ours/cache_hit", |b| b.iter(|| black_box(&cache).hit()));
    g.finish();
}

fn histograms(c: &mut Criterion) {
    let mut g = c.benchmark_group("histogram");
    let p = provider();
    let meter = p.meter("bench");
    let raw = meter
        .f64_histogram("marketplace.search.duration")
        .with_unit("s")
        .with_boundaries(catalog::SEARCH_DURATION.boundaries.to_vec())
        .build();
    let attrs = [
        KeyValue::new("item_type", "plugin"),
        KeyValue::new("outcome", "success"),
    ];
    raw.record(0.05, &attrs);
    g.bench_function("otel/unbound_record_2_labels", |b| {
        b.iter(|| raw.record(black_box(0.05), black_box(&attrs)))
    });
    let bound = raw.bind(&attrs);
    g.bench_function("otel/bound_record", |b| {
        b.iter(|| bound.record(black_box(0.05)))
    });

    let p2 = provider();
    let metrics = MarketplaceMetrics::new(&p2.meter("bench"));
    metrics.search(ItemType::Plugin).succeed();
    g.bench_function("ours/search_finish_ok", |b| {
        b.iter(|| {
            let op = black_box(&metrics).search(ItemType::Plugin);
            let _ = op.finish(black_box(Ok::<u32, ErrorCode>(1)));
        })
    });
    g.finish();
}

criterion_group!(benches, counters, histograms);
criterion_main!(benches);
