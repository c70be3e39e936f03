//! The hot path as a service runs it: our production subscriber (console layer writing to a
//! sink, tracing-opentelemetry span layer, always-on sampler) installed as the global default,
//! and each helper called inside a sampled `request` span — so the span-enrichment paths of
//! `finish(Err)` (error status, `error.type`), `results()` and `cache.lookup()` run. Every
//! variant, including the raw SDK's same work and the helpers outside any span, goes through
//! the same loop: 16 calls per span, only the calls timed (span creation and export are not).
//! Its own process, so no other bench's dispatcher changes what it measures.
//! `cargo bench --bench hot_path_in_span`.

mod common;
use common::Noop;

use std::hint::black_box;
use std::sync::OnceLock;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use marketplace_telemetry::marketplace::{ErrorCode, ItemType, MarketplaceMetrics};
use marketplace_telemetry::{tracing_dispatch, LogWriter, TelemetryConfig};
use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::KeyValue;
use opentelemetry_sdk::metrics::{ManualReader, SdkMeterProvider};
use opentelemetry_sdk::trace::SdkTracerProvider;

const CALLS_PER_SPAN: u64 = 16;

/// Installs the production subscriber once for this process (as `init_telemetry` would).
fn install_subscriber() -> &'static SdkTracerProvider {
    static PROVIDER: OnceLock<SdkTracerProvider> = OnceLock::new();
    PROVIDER.get_or_init(|| {
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(Noop)
            .build();
        let config = TelemetryConfig::builder()
            .with_log_writer(LogWriter::new(|| Box::new(std::io::sink())))
            .build_from(|_| None)
            .expect("default config");
        let dispatch = tracing_dispatch(&config, Some(&provider), None).expect("subscriber");
        if tracing::dispatcher::set_global_default(dispatch).is_err() {
            panic!("another global subscriber is installed: the figures would not be ours");
        }
        provider
    })
}

/// Time for `iters` calls of `f`, `CALLS_PER_SPAN` per sampled span when `in_span`.
fn timed(iters: u64, in_span: bool, f: &dyn Fn()) -> Duration {
    let mut total = Duration::ZERO;
    let mut left = iters;
    while left > 0 {
        let n = left.min(CALLS_PER_SPAN);
        left -= n;
        let span = if in_span {
            tracing::info_span!("request")
        } else {
            tracing::Span::none()
        };
        let entered = span.enter();
        let start = std::time::Instant::now();
        for _ in 0..n {
            f();
        }
        total += start.elapsed();
        drop(entered);
    }
    total
}

fn hot_path_in_span(c: &mut Criterion) {
    install_subscriber();
    let p = SdkMeterProvider::builder()
        .with_reader(ManualReader::builder().build())
        .build();
    let meter = p.meter("bench");
    let metrics = MarketplaceMetrics::builder(&meter)
        .with_caches(["search"])
        .build();
    let cache = metrics.cache("search");

    // The raw SDK doing a helper's work (no span enrichment: it has none).
    let raw = meter
        .f64_histogram("raw.search.duration")
        .with_unit("s")
        .with_boundaries(
            marketplace_telemetry::marketplace::catalog::SEARCH_DURATION
                .boundaries
                .to_vec(),
        )
        .build()
        .bind(&[
            KeyValue::new("item_type", "plugin"),
            KeyValue::new("outcome", "success"),
        ]);
    let active = meter
        .i64_up_down_counter("raw.operations.active")
        .build()
        .bind(&[KeyValue::new("operation", "search")]);
    let raw_operation = || {
        let start = quanta::Instant::now();
        active.add(1);
        raw.record(black_box(
            quanta::Instant::now().duration_since(start).as_secs_f64(),
        ));
        active.add(-1);
    };
    let search_ok = || {
        let op = metrics.search(ItemType::Plugin);
        op.results(black_box(12));
        let _ = op.finish(Ok::<u32, ErrorCode>(1));
    };
    let search_err = || {
        let _ = metrics
            .search(ItemType::Plugin)
            .finish(black_box(Err::<u32, _>(ErrorCode::Timeout)));
    };
    let lookup_hit = || cache.lookup().finish(black_box(true));
    let hit = || black_box(&cache).hit();

    let mut g = c.benchmark_group("with_subscriber");
    let variants: [(&str, &dyn Fn()); 5] = [
        ("raw_otel_bound_operation", &raw_operation),
        ("ours_search_results_finish_ok", &search_ok),
        ("ours_search_finish_err", &search_err),
        ("ours_cache_lookup_hit", &lookup_hit),
        ("ours_cache_hit", &hit),
    ];
    for (name, f) in variants {
        g.bench_function(format!("outside_span/{name}"), |b| {
            b.iter_custom(|iters| timed(iters, false, f))
        });
        g.bench_function(format!("in_sampled_span/{name}"), |b| {
            b.iter_custom(|iters| timed(iters, true, f))
        });
    }
    g.finish();
}

criterion_group!(benches, hot_path_in_span);
criterion_main!(benches);
