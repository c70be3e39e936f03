//! Rendering a scrape of 1.1k and 10k series (half counters, half 15-bucket histograms, 3 labels
//! each, at most 1,000 series per instrument — under the SDK's default cardinality limit of
//! 2,000 that our pipeline keeps): ours is `Telemetry::scrape_handler().render()` on our real
//! pipeline (built by `Telemetry::build`, instruments from `Telemetry::meter()`, with the process
//! metrics, export counters and `target_info` it always serves), against
//! opentelemetry-prometheus with its defaults, prometheus-client and
//! metrics-exporter-prometheus holding the same instruments. The output size of each is
//! printed once (`scrape-size:` lines): ours carries its own ~40 extra series.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use marketplace_telemetry::{LogWriter, ScrapeHandler, Telemetry, TelemetryConfig};
use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::KeyValue;
use opentelemetry_sdk::metrics::SdkMeterProvider;
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

/// Series per instrument: under the SDK's default cardinality limit (2,000).
const PER_INSTRUMENT: usize = 1000;

/// Records `n` counter series and `n` histogram series on `meter`'s instruments.
fn record_otel(meter: &opentelemetry::metrics::Meter, n: usize) {
    for (i, chunk) in combos(n).chunks(PER_INSTRUMENT).enumerate() {
        let counter = meter.u64_counter(format!("bench.requests.{i}")).build();
        let histogram = meter
            .f64_histogram(format!("bench.duration.{i}"))
            .with_unit("s")
            .with_boundaries(BUCKETS.to_vec())
            .build();
        for (a, b, c) in chunk {
            let attrs = [
                KeyValue::new("a", a.clone()),
                KeyValue::new("b", b.clone()),
                KeyValue::new("c", c.clone()),
            ];
            counter.add(3, &attrs);
            histogram.record(0.07, &attrs);
        }
    }
}

/// Our pipeline as `init_telemetry` builds it (metrics side), with `n` + `n` series recorded.
/// Built inside a Tokio runtime, as the gRPC exporter requires (the pipeline then does its I/O
/// on its own runtime thread).
fn ours(n: usize) -> (Telemetry, ScrapeHandler) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async { ours_in_runtime(n) })
}

fn ours_in_runtime(n: usize) -> (Telemetry, ScrapeHandler) {
    // Traces go to a closed port: no span is made, so nothing is exported, but the export
    // counters are registered as in production.
    let config = TelemetryConfig::builder()
        .with_log_writer(LogWriter::new(|| Box::new(std::io::sink())))
        .with_scrape_endpoint(false)
        .build_from(|var| match var {
            "OTEL_EXPORTER_OTLP_ENDPOINT" => Some("http://127.0.0.1:9".into()),
            _ => None,
        })
        .expect("bench config");
    let telemetry = Telemetry::build(config).expect("our pipeline");
    record_otel(&telemetry.meter(), n);
    let handler = telemetry
        .scrape_handler()
        .expect("the Prometheus exporter is on by default");
    (telemetry, handler)
}

/// opentelemetry-prometheus as its README sets it up (scope labels and all).
fn otel_defaults(n: usize) -> (SdkMeterProvider, prometheus::Registry) {
    let registry = prometheus::Registry::new();
    let exporter = opentelemetry_prometheus::exporter()
        .with_registry(registry.clone())
        .build()
        .expect("exporter");
    let provider = SdkMeterProvider::builder().with_reader(exporter).build();
    record_otel(&provider.meter("bench"), n);
    (provider, registry)
}

fn render_prometheus(registry: &prometheus::Registry) -> Vec<u8> {
    let mut out = Vec::new();
    prometheus::TextEncoder::new()
        .encode(&registry.gather(), &mut out)
        .expect("encodes");
    out
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, prometheus_client::encoding::EncodeLabelSet)]
struct Labels {
    a: String,
    b: String,
    c: String,
}

/// prometheus-client's text encoder (OpenMetrics) over `registry`.
fn render_prometheus_client(registry: &prometheus_client::registry::Registry) -> String {
    let mut s = String::new();
    prometheus_client::encoding::text::encode(&mut s, registry).expect("encodes");
    s
}

fn prometheus_client_registry(n: usize) -> prometheus_client::registry::Registry {
    use prometheus_client::metrics::{counter::Counter, family::Family, histogram::Histogram};
    let mut registry = prometheus_client::registry::Registry::default();
    for (i, chunk) in combos(n).chunks(PER_INSTRUMENT).enumerate() {
        let counters = Family::<Labels, Counter>::default();
        let histograms = Family::<Labels, Histogram, _>::new_with_constructor(|| {
            Histogram::new(BUCKETS.iter().copied())
        });
        registry.register(format!("bench_requests_{i}"), "requests", counters.clone());
        registry.register_with_unit(
            format!("bench_duration_{i}"),
            "duration",
            prometheus_client::registry::Unit::Seconds,
            histograms.clone(),
        );
        for (a, b, c) in chunk {
            let l = Labels {
                a: a.clone(),
                b: b.clone(),
                c: c.clone(),
            };
            counters.get_or_create(&l).inc_by(3);
            histograms.get_or_create(&l).observe(0.07);
        }
    }
    registry
}

fn metrics_rs(n: usize) -> metrics_exporter_prometheus::PrometheusHandle {
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new()
        .set_buckets(&BUCKETS)
        .expect("buckets")
        .build_recorder();
    let handle = recorder.handle();
    metrics::with_local_recorder(&recorder, || {
        for (i, chunk) in combos(n).chunks(PER_INSTRUMENT).enumerate() {
            for (a, b, c) in chunk {
                metrics::counter!(format!("bench_requests_{i}_total"), "a" => a.clone(), "b" => b.clone(), "c" => c.clone()).increment(3);
                metrics::histogram!(format!("bench_duration_{i}_seconds"), "a" => a.clone(), "b" => b.clone(), "c" => c.clone())
                    .record(0.07);
            }
        }
    });
    handle
}

fn scrape(c: &mut Criterion) {
    let mut g = c.benchmark_group("scrape");
    g.sample_size(20);
    for series in [1100usize, 10_000] {
        let n = series / 2;
        let (_telemetry, handler) = ours(n);
        let (_p2, defaults) = otel_defaults(n);
        let pc = prometheus_client_registry(n);
        let mrs = metrics_rs(n);
        eprintln!(
            "scrape-size: series={series} ours={} otel_defaults={} prometheus_client={} metrics_rs={}",
            handler.render().len(),
            render_prometheus(&defaults).len(),
            render_prometheus_client(&pc).len(),
            mrs.render().len()
        );
        g.bench_with_input(BenchmarkId::new("ours", series), &handler, |b, h| {
            b.iter(|| black_box(h.render()))
        });
        g.bench_with_input(
            BenchmarkId::new("otel_prometheus_defaults", series),
            &defaults,
            |b, r| b.iter(|| black_box(render_prometheus(r))),
        );
        g.bench_with_input(
            BenchmarkId::new("prometheus_client", series),
            &pc,
            |b, r| b.iter(|| black_box(render_prometheus_client(r))),
        );
        g.bench_with_input(
            BenchmarkId::new("metrics_exporter_prometheus", series),
            &mrs,
            |b, h| b.iter(|| black_box(h.render())),
        );
        // A/A control, timed last: the same rendering as `ours`, as if it were another
        // variant. Its ratio to `ours` is the spread this sequential method cannot resolve.
        g.bench_with_input(BenchmarkId::new("ours_again", series), &handler, |b, h| {
            b.iter(|| black_box(h.render()))
        });
    }
    g.finish();
}

/// The scrape Prometheus takes: it negotiates OpenMetrics. Ours rendered as OpenMetrics with
/// exemplars present against ours as text 0.0.4 from the same handler, and prometheus-client's
/// encoder (OpenMetrics text; no exemplars) on the same series. Exemplars: marketplace
/// operations finished inside sampled spans, and a labeled operation whose rows grow with the
/// scrape (`exemplar_rows`: 100 rows at 1.1k series, 300 at 10k, each with an exemplar), so
/// the renderer's per-series lookup is exercised at scale.
fn scrape_openmetrics(c: &mut Criterion) {
    use marketplace_telemetry::marketplace::{ErrorCode, ItemType, Label as _};
    use marketplace_telemetry::ExpositionFormat;
    let mut g = c.benchmark_group("scrape_openmetrics");
    g.sample_size(20);
    for series in [1100usize, 10_000] {
        let n = series / 2;
        let (telemetry, handler) = ours(n);
        // Exemplar-bearing series that grow with the scrape: a labeled operation over
        // `series / 10` rows (a × b × c), each finished once inside a sampled span, so the
        // store holds one series per row and the renderer looks each one up.
        let (a, b, c) = exemplar_values(exemplar_rows(series));
        let table = marketplace_telemetry::marketplace::LabelTable::new("a", a.clone())
            .cross("b", b.clone())
            .cross("c", c.clone());
        let op =
            telemetry
                .marketplace()
                .labeled_operation("bench.exemplar", &[0.01, 0.1, 1.0], table);
        tracing::dispatcher::with_default(telemetry.dispatch(), || {
            let metrics = telemetry.marketplace();
            for t in ItemType::ALL {
                let span = tracing::info_span!("request");
                let _entered = span.enter();
                metrics.search(*t).succeed();
                metrics.install(*t).fail(ErrorCode::Timeout);
            }
            for x in &a {
                for y in &b {
                    for z in &c {
                        let span = tracing::info_span!("request");
                        let _entered = span.enter();
                        op.start(&[x, y, z]).succeed();
                    }
                }
            }
        });
        let om = handler.render_format(ExpositionFormat::OpenMetrics);
        let rows = a.len() * b.len() * c.len();
        let with_exemplar = om.lines().filter(|l| l.contains(" # {")).count();
        assert!(
            with_exemplar >= rows,
            "{with_exemplar} exemplars for {rows} rows"
        );
        let mut pc = prometheus_client_registry(n);
        prometheus_client_exemplar_rows(&mut pc, &a, &b, &c);
        let pc_text = render_prometheus_client(&pc);
        let outcomes = |text: &str| {
            let mut o: Vec<&str> = text
                .lines()
                .filter(|l| l.starts_with("bench_exemplar_duration_seconds_count"))
                .filter_map(|l| l.split("outcome=\"").nth(1)?.split('"').next())
                .collect();
            o.sort_unstable();
            o.dedup();
            o.join(",")
        };
        // Same series on both sides: the operation's outcomes must match.
        assert_eq!(outcomes(&om), outcomes(&pc_text), "outcomes differ");
        eprintln!(
            "scrape-size: openmetrics series={series} exemplar_rows={rows} ours_openmetrics={} ours_text={} prometheus_client_openmetrics={}",
            om.len(),
            handler.render().len(),
            pc_text.len()
        );
        g.bench_with_input(
            BenchmarkId::new("ours_openmetrics", series),
            &handler,
            |b, h| b.iter(|| black_box(h.render_format(ExpositionFormat::OpenMetrics))),
        );
        g.bench_with_input(BenchmarkId::new("ours_text", series), &handler, |b, h| {
            b.iter(|| black_box(h.render()))
        });
        g.bench_with_input(
            BenchmarkId::new("prometheus_client_openmetrics", series),
            &pc,
            |b, r| b.iter(|| black_box(render_prometheus_client(r))),
        );
        // A/A control, timed last (see `scrape`).
        g.bench_with_input(
            BenchmarkId::new("ours_openmetrics_again", series),
            &handler,
            |b, h| b.iter(|| black_box(h.render_format(ExpositionFormat::OpenMetrics))),
        );
        drop(telemetry);
    }
    g.finish();
}

/// Rows of the exemplar-bearing operation in a scrape of `series` series.
fn exemplar_rows(series: usize) -> usize {
    series / 40
}

/// `a` (10) × `b` (10) × `c` values: `rows` combinations (a multiple of 100 rounded up).
fn exemplar_values(rows: usize) -> (Vec<String>, Vec<String>, Vec<String>) {
    let v = |p: &str, n: usize| (0..n).map(|i| format!("{p}{i}")).collect::<Vec<_>>();
    (v("a", 10), v("b", 10), v("c", rows.div_ceil(100)))
}

/// The same operation's duration histogram in prometheus-client: same buckets, same labels,
/// every outcome's series present (ours pre-binds them), one observation per row.
fn prometheus_client_exemplar_rows(
    registry: &mut prometheus_client::registry::Registry,
    a: &[String],
    b: &[String],
    c: &[String],
) {
    use prometheus_client::metrics::{family::Family, histogram::Histogram};
    #[derive(Clone, Debug, Hash, PartialEq, Eq, prometheus_client::encoding::EncodeLabelSet)]
    struct Row {
        a: String,
        b: String,
        c: String,
        outcome: &'static str,
    }
    let histograms =
        Family::<Row, Histogram, _>::new_with_constructor(|| Histogram::new([0.01, 0.1, 1.0]));
    registry.register_with_unit(
        "bench_exemplar_duration",
        "Duration of the operation.",
        prometheus_client::registry::Unit::Seconds,
        histograms.clone(),
    );
    for x in a {
        for y in b {
            for z in c {
                for outcome in ["cancelled", "error", "success"] {
                    let h = histograms.get_or_create(&Row {
                        a: x.clone(),
                        b: y.clone(),
                        c: z.clone(),
                        outcome,
                    });
                    if outcome == "success" {
                        h.observe(0.000_01);
                    }
                }
            }
        }
    }
}

/// What the Tokio runtime metrics cost at collection: the same pipeline (no series of ours
/// recorded, so the runtime's five instruments are a visible share of the gather), built
/// inside a 2-worker runtime with them on and off, rendered alternately on the same clock.
fn runtime_metrics(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let build = |on: bool| {
        runtime.block_on(async {
            let config = TelemetryConfig::builder()
                .with_log_writer(LogWriter::new(|| Box::new(std::io::sink())))
                .with_scrape_endpoint(false)
                .with_runtime_metrics(on)
                .build_from(|var| match var {
                    "OTEL_EXPORTER_OTLP_ENDPOINT" => Some("http://127.0.0.1:9".into()),
                    _ => None,
                })
                .expect("bench config");
            let telemetry = Telemetry::build(config).expect("our pipeline");
            let handler = telemetry.scrape_handler().expect("prometheus on");
            (telemetry, handler)
        })
    };
    let (_on_t, on) = build(true);
    let (_off_t, off) = build(false);
    assert!(on.render().contains("tokio_workers 2") && !off.render().contains("tokio_workers"));
    let mut g = c.benchmark_group("runtime_metrics");
    g.sample_size(30);
    g.bench_function("render_with_runtime_metrics", |b| {
        b.iter(|| black_box(on.render()))
    });
    g.bench_function("render_without", |b| b.iter(|| black_box(off.render())));
    g.finish();
}

criterion_group!(benches, scrape, scrape_openmetrics, runtime_metrics);
criterion_main!(benches);
