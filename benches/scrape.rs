//! Rendering a scrape of 1.1k and 10k series (half counters, half 15-bucket histograms, 3 labels
//! each): ours (opentelemetry-prometheus with scope labels off, as `ScrapeHandler::render`),
//! opentelemetry-prometheus defaults, prometheus-client, metrics-exporter-prometheus. The output
//! size of each is printed once (`scrape-size:` lines).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::KeyValue;
use opentelemetry_sdk::metrics::{Instrument, SdkMeterProvider, Stream};
use prometheus::Encoder;

const BUCKETS: [f64; 15] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0, 2.5, 5.0, 7.5, 10.0,
];

/// (a, b, c) label combinations: `n` of them.
fn combos(n: usize) -> Vec<(String, String, String)> {
    (0..n)
        .map(|i| {
            (
                format!("a{}", i % 10),
                format!("b{}", (i / 10) % 25),
                format!("c{}", i / 250),
            )
        })
        .collect()
}

fn otel(n: usize, scope_labels: bool) -> (SdkMeterProvider, prometheus::Registry) {
    let registry = prometheus::Registry::new();
    let exporter = opentelemetry_prometheus::exporter()
        .with_registry(registry.clone())
        .scope_info_enabled(scope_labels)
        .build()
        .unwrap();
    let limit = n + 10;
    let provider = SdkMeterProvider::builder()
        .with_reader(exporter)
        .with_view(move |_: &Instrument| {
            Stream::builder().with_cardinality_limit(limit).build().ok()
        })
        .build();
    let meter = provider.meter("bench");
    let counter = meter.u64_counter("bench.requests").build();
    let histogram = meter
        .f64_histogram("bench.duration")
        .with_unit("s")
        .with_boundaries(BUCKETS.to_vec())
        .build();
    for (a, b, c) in combos(n) {
        let attrs = [
            KeyValue::new("a", a),
            KeyValue::new("b", b),
            KeyValue::new("c", c),
        ];
        counter.add(3, &attrs);
        histogram.record(0.07, &attrs);
    }
    (provider, registry)
}

fn render_prometheus(registry: &prometheus::Registry) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 << 20);
    prometheus::TextEncoder::new()
        .encode(&registry.gather(), &mut out)
        .unwrap();
    out
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, prometheus_client::encoding::EncodeLabelSet)]
struct Labels {
    a: String,
    b: String,
    c: String,
}

fn prometheus_client_registry(n: usize) -> prometheus_client::registry::Registry {
    use prometheus_client::metrics::{counter::Counter, family::Family, histogram::Histogram};
    let mut registry = prometheus_client::registry::Registry::default();
    let counters = Family::<Labels, Counter>::default();
    let histograms = Family::<Labels, Histogram, _>::new_with_constructor(|| {
        Histogram::new(BUCKETS.iter().copied())
    });
    registry.register("bench_requests", "requests", counters.clone());
    registry.register_with_unit(
        "bench_duration",
        "duration",
        prometheus_client::registry::Unit::Seconds,
        histograms.clone(),
    );
    for (a, b, c) in combos(n) {
        let l = Labels { a, b, c };
        counters.get_or_create(&l).inc_by(3);
        histograms.get_or_create(&l).observe(0.07);
    }
    registry
}

fn metrics_rs(n: usize) -> metrics_exporter_prometheus::PrometheusHandle {
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new()
        .set_buckets(&BUCKETS)
        .unwrap()
        .build_recorder();
    let handle = recorder.handle();
    metrics::with_local_recorder(&recorder, || {
        for (a, b, c) in combos(n) {
            metrics::counter!("bench_requests_total", "a" => a.clone(), "b" => b.clone(), "c" => c.clone()).increment(3);
            metrics::histogram!("bench_duration_seconds", "a" => a, "b" => b, "c" => c)
                .record(0.07);
        }
    });
    handle
}

fn scrape(c: &mut Criterion) {
    let mut g = c.benchmark_group("scrape");
    g.sample_size(20);
    for series in [1100usize, 10_000] {
        let n = series / 2;
        let (_p1, ours) = otel(n, false);
        let (_p2, defaults) = otel(n, true);
        let pc = prometheus_client_registry(n);
        let mrs = metrics_rs(n);
        eprintln!(
            "scrape-size: series={series} ours={} otel_defaults={} prometheus_client={} metrics_rs={}",
            render_prometheus(&ours).len(),
            render_prometheus(&defaults).len(),
            { let mut s = String::new(); prometheus_client::encoding::text::encode(&mut s, &pc).unwrap(); s.len() },
            mrs.render().len()
        );
        g.bench_with_input(BenchmarkId::new("ours", series), &ours, |b, r| {
            b.iter(|| black_box(render_prometheus(r)))
        });
        g.bench_with_input(
            BenchmarkId::new("otel_prometheus_defaults", series),
            &defaults,
            |b, r| b.iter(|| black_box(render_prometheus(r))),
        );
        g.bench_with_input(
            BenchmarkId::new("prometheus_client", series),
            &pc,
            |b, r| {
                b.iter(|| {
                    let mut s = String::with_capacity(1 << 20);
                    prometheus_client::encoding::text::encode(&mut s, r).unwrap();
                    black_box(s)
                })
            },
        );
        g.bench_with_input(
            BenchmarkId::new("metrics_exporter_prometheus", series),
            &mrs,
            |b, h| b.iter(|| black_box(h.render())),
        );
    }
    g.finish();
}

criterion_group!(benches, scrape);
criterion_main!(benches);
