//! Hot-path costs in one run: the floor (an atomic add, a thread-local increment), the raw
//! OpenTelemetry 0.33 SDK with our exact names, labels and buckets (unbound and bound), the
//! peers with the same labels and buckets (metrics-rs with metrics-exporter-prometheus as the
//! recorder, prometheus-client, the `prometheus` crate), and every helper of ours.
//!
//! "Same work" rows do exactly what a duration helper does — read the clock ours uses
//! (`quanta::Instant::now()`) at start and end, add +1/−1 to a pre-bound in-flight gauge, record
//! into a pre-bound labelled histogram — so the only difference is the library. Each peer's
//! idiomatic form (its own timer, per-call label lookup, no in-flight gauge) is measured
//! separately under `idiomatic/`: it is what users write, not the same work.
//! `cargo bench --bench hot_path`; `scripts/bench.sh` turns the numbers into BENCHMARKS.md.

use std::cell::Cell;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

use criterion::{criterion_group, criterion_main, Criterion};
use marketplace_telemetry::marketplace::{
    catalog, ErrorCode, ItemType, LabelTable, MarketplaceMetrics, QueryKind,
};
use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::KeyValue;
use opentelemetry_sdk::metrics::{ManualReader, SdkMeterProvider};

fn provider() -> SdkMeterProvider {
    SdkMeterProvider::builder()
        .with_reader(ManualReader::builder().build())
        .build()
}

const SEARCH_BUCKETS: &[f64] = catalog::SEARCH_DURATION.boundaries;

marketplace_telemetry::label_enum! {
    enum Queue: "queue" { Ingest => "ingest", Reindex => "reindex" }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, prometheus_client::encoding::EncodeLabelSet)]
struct CacheLabels {
    cache: String,
    result: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, prometheus_client::encoding::EncodeLabelSet)]
struct OpLabels {
    item_type: String,
    outcome: String,
}

fn counters(c: &mut Criterion) {
    let mut g = c.benchmark_group("counter");
    let atomic = AtomicU64::new(0);
    g.bench_function("floor/atomic_add", |b| {
        let a = black_box(&atomic);
        b.iter(|| a.fetch_add(1, Ordering::Relaxed))
    });
    thread_local!(static LOCAL: Cell<u64> = const { Cell::new(0) });
    g.bench_function("floor/thread_local_incr", |b| {
        b.iter(|| LOCAL.with(|l| l.set(black_box(l.get() + 1))))
    });

    // Raw OpenTelemetry, same name and labels as `cache.hit()`.
    let p = provider();
    let raw = p
        .meter("bench")
        .u64_counter("marketplace.cache.requests")
        .build();
    let attrs = [
        KeyValue::new("cache", "search"),
        KeyValue::new("result", "hit"),
    ];
    raw.add(1, &attrs);
    g.bench_function("otel/unbound_add", |b| {
        b.iter(|| raw.add(1, black_box(&attrs)))
    });
    let bound = raw.bind(&attrs);
    g.bench_function("otel/bound_add", |b| b.iter(|| bound.add(black_box(1))));

    // Peers: pre-bound handles (the same work as ours), then per-call label lookups.
    let handle = metrics::counter!("marketplace_cache_requests_total", "cache" => "search", "result" => "hit");
    g.bench_function("metrics_rs/handle", |b| {
        b.iter(|| handle.increment(black_box(1)))
    });
    g.bench_function("idiomatic/metrics_rs_macro", |b| {
        b.iter(|| metrics::counter!("marketplace_cache_requests_total", "cache" => "search", "result" => "hit").increment(black_box(1)))
    });

    let family = prometheus_client::metrics::family::Family::<
        CacheLabels,
        prometheus_client::metrics::counter::Counter,
    >::default();
    let key = CacheLabels {
        cache: "search".into(),
        result: "hit".into(),
    };
    let pc_handle = family.get_or_create(&key).clone();
    g.bench_function("prometheus_client/handle", |b| {
        b.iter(|| pc_handle.inc_by(black_box(1)))
    });
    g.bench_function("idiomatic/prometheus_client_family", |b| {
        b.iter(|| family.get_or_create(black_box(&key)).inc())
    });

    let vec = prometheus::IntCounterVec::new(
        prometheus::Opts::new("marketplace_cache_requests_total", "cache requests"),
        &["cache", "result"],
    )
    .expect("valid counter options");
    let prom_handle = vec.with_label_values(&["search", "hit"]);
    g.bench_function("prometheus/handle", |b| {
        b.iter(|| prom_handle.inc_by(black_box(1)))
    });
    g.bench_function("idiomatic/prometheus_with_label_values", |b| {
        b.iter(|| vec.with_label_values(black_box(&["search", "hit"])).inc())
    });

    // Ours.
    let p2 = provider();
    let metrics = MarketplaceMetrics::builder(&p2.meter("bench"))
        .with_caches(["search"])
        .build();
    let cache = metrics.cache("search");
    cache.hit();
    g.bench_function("ours/cache_hit", |b| b.iter(|| black_box(&cache).hit()));
    g.bench_function("ours/cache_miss", |b| b.iter(|| black_box(&cache).miss()));
    g.bench_function("ours/set_items", |b| {
        b.iter(|| metrics.set_items(ItemType::Plugin, black_box(7)))
    });
    g.finish();
}

/// One operation as a duration helper does it, on pre-bound handles: clock read, in-flight +1,
/// clock read, record, in-flight −1.
macro_rules! same_work {
    ($inc:expr, $record:expr, $dec:expr) => {{
        let start = quanta::Instant::now();
        $inc;
        let elapsed = quanta::Instant::now().duration_since(start).as_secs_f64();
        $record(black_box(elapsed));
        $dec;
    }};
}

fn durations(c: &mut Criterion) {
    let mut g = c.benchmark_group("duration");
    let atomic = AtomicU64::new(0);
    g.bench_function("floor/atomic_add", |b| {
        let a = black_box(&atomic);
        b.iter(|| a.fetch_add(1, Ordering::Relaxed))
    });
    g.bench_function("floor/two_quanta_reads", |b| {
        b.iter(|| {
            let start = quanta::Instant::now();
            black_box(quanta::Instant::now().duration_since(start))
        })
    });

    // Raw OpenTelemetry with the same names, labels, buckets — and the same work as a helper.
    let p = provider();
    let meter = p.meter("bench");
    let raw = meter
        .f64_histogram("marketplace.search.duration")
        .with_unit("s")
        .with_boundaries(SEARCH_BUCKETS.to_vec())
        .build();
    let active = meter
        .i64_up_down_counter("marketplace.operations.active")
        .build();
    let attrs = [
        KeyValue::new("item_type", "plugin"),
        KeyValue::new("outcome", "success"),
    ];
    let op_attr = [KeyValue::new("operation", "search")];
    raw.record(0.05, &attrs);
    g.bench_function("otel/unbound_record", |b| {
        b.iter(|| raw.record(black_box(0.05), black_box(&attrs)))
    });
    g.bench_function("otel/unbound_operation", |b| {
        b.iter(|| {
            same_work!(
                active.add(1, &op_attr),
                |v| raw.record(v, black_box(&attrs)),
                active.add(-1, &op_attr)
            )
        })
    });
    let bound = raw.bind(&attrs);
    let bound_active = active.bind(&op_attr);
    g.bench_function("otel/bound_record", |b| {
        b.iter(|| bound.record(black_box(0.05)))
    });
    g.bench_function("otel/bound_operation", |b| {
        b.iter(|| {
            same_work!(
                bound_active.add(1),
                |v| bound.record(v),
                bound_active.add(-1)
            )
        })
    });
    // What `finish(Err)` does beyond the same work, by hand: the error outcome's series, the
    // error counter (bound), and status + `error.type` on the active span if one records.
    let err_attrs = [
        KeyValue::new("item_type", "plugin"),
        KeyValue::new("outcome", "error"),
    ];
    let bound_err = raw.bind(&err_attrs);
    let errors = meter.u64_counter("marketplace.errors").build();
    let bound_errors = errors.bind(&[
        KeyValue::new("operation", "search"),
        KeyValue::new("error_code", "timeout"),
    ]);
    g.bench_function("otel/bound_operation_err", |b| {
        use opentelemetry::trace::TraceContextExt as _;
        b.iter(|| {
            same_work!(
                bound_active.add(1),
                |v| bound_err.record(v),
                bound_active.add(-1)
            );
            bound_errors.add(1);
            opentelemetry::Context::map_current(|cx| {
                let span = cx.span();
                if span.is_recording() {
                    span.set_attribute(KeyValue::new("error.type", "timeout"));
                    span.set_status(opentelemetry::trace::Status::error("timeout"));
                }
            });
        })
    });
    // The raw SDK timed with std's clock: the clock's share, labelled as such.
    g.bench_function("idiomatic/otel_bound_operation_std_instant", |b| {
        b.iter(|| {
            let start = std::time::Instant::now();
            bound_active.add(1);
            bound.record(black_box(start.elapsed().as_secs_f64()));
            bound_active.add(-1);
        })
    });

    // metrics-rs (metrics-exporter-prometheus recorder): pre-bound histogram and gauge handles.
    let handle = metrics::histogram!("marketplace_search_duration_seconds", "item_type" => "plugin", "outcome" => "success");
    let in_flight = metrics::gauge!("marketplace_operations_active", "operation" => "search");
    g.bench_function("metrics_rs/operation_handle", |b| {
        b.iter(|| {
            same_work!(
                in_flight.increment(1.0),
                |v| handle.record(v),
                in_flight.decrement(1.0)
            )
        })
    });
    g.bench_function("idiomatic/metrics_rs_histogram_macro", |b| {
        b.iter(|| {
            let start = std::time::Instant::now();
            metrics::histogram!("marketplace_search_duration_seconds", "item_type" => "plugin", "outcome" => "success")
                .record(start.elapsed().as_secs_f64())
        })
    });

    // prometheus-client: a histogram and a gauge taken out of their families once.
    let family = prometheus_client::metrics::family::Family::<
        OpLabels,
        prometheus_client::metrics::histogram::Histogram,
        _,
    >::new_with_constructor(|| {
        prometheus_client::metrics::histogram::Histogram::new(SEARCH_BUCKETS.iter().copied())
    });
    let key = OpLabels {
        item_type: "plugin".into(),
        outcome: "success".into(),
    };
    let pc_histogram = family.get_or_create(&key).clone();
    let pc_active =
        prometheus_client::metrics::gauge::Gauge::<i64, std::sync::atomic::AtomicI64>::default();
    g.bench_function("prometheus_client/operation_handle", |b| {
        b.iter(|| {
            same_work!(
                pc_active.inc(),
                |v| pc_histogram.observe(v),
                pc_active.dec()
            )
        })
    });
    g.bench_function("idiomatic/prometheus_client_histogram_family", |b| {
        b.iter(|| {
            let start = std::time::Instant::now();
            family
                .get_or_create(black_box(&key))
                .observe(start.elapsed().as_secs_f64())
        })
    });

    // prometheus: a histogram and a gauge taken out of their vecs once.
    let hvec = prometheus::HistogramVec::new(
        prometheus::HistogramOpts::new("marketplace_search_duration_seconds", "search")
            .buckets(SEARCH_BUCKETS.to_vec()),
        &["item_type", "outcome"],
    )
    .expect("valid histogram options");
    let gvec = prometheus::IntGaugeVec::new(
        prometheus::Opts::new("marketplace_operations_active", "in flight"),
        &["operation"],
    )
    .expect("valid gauge options");
    let prom_histogram = hvec.with_label_values(&["plugin", "success"]);
    let prom_active = gvec.with_label_values(&["search"]);
    g.bench_function("prometheus/operation_handle", |b| {
        b.iter(|| {
            same_work!(
                prom_active.inc(),
                |v| prom_histogram.observe(v),
                prom_active.dec()
            )
        })
    });
    g.bench_function("idiomatic/prometheus_histogram_timer", |b| {
        b.iter(|| {
            hvec.with_label_values(black_box(&["plugin", "success"]))
                .start_timer()
                .observe_duration()
        })
    });

    // Ours: every duration helper.
    let p2 = provider();
    let metrics = MarketplaceMetrics::builder(&p2.meter("bench"))
        .with_caches(["search"])
        .build();
    let cache = metrics.cache("search");
    let queue = metrics.operation::<Queue>("queue.consume", &[0.001, 0.01, 0.1, 1.0]);
    metrics.search(ItemType::Plugin).succeed();
    g.bench_function("ours/search_finish_ok", |b| {
        b.iter(|| {
            let _ = metrics
                .search(ItemType::Plugin)
                .finish(black_box(Ok::<u32, ErrorCode>(1)));
        })
    });
    g.bench_function("ours/search_finish_err", |b| {
        b.iter(|| {
            let _ = metrics
                .search(ItemType::Plugin)
                .finish(black_box(Err::<u32, _>(ErrorCode::Timeout)));
        })
    });
    g.bench_function("ours/install_succeed", |b| {
        b.iter(|| metrics.install(black_box(ItemType::Package)).succeed())
    });
    g.bench_function("ours/rdf_query_succeed", |b| {
        b.iter(|| metrics.rdf_query(black_box(QueryKind::Select)).succeed())
    });
    g.bench_function("ours/publish_succeed", |b| {
        b.iter(|| metrics.publish(black_box(ItemType::Template)).succeed())
    });
    g.bench_function("ours/download_succeed", |b| {
        b.iter(|| metrics.download(black_box(ItemType::Scenario)).succeed())
    });
    g.bench_function("ours/in_flight_guard_dropped", |b| {
        b.iter(|| drop(metrics.download(black_box(ItemType::Plugin))))
    });
    g.bench_function("ours/cache_lookup_hit", |b| b.iter(|| cache.lookup().hit()));
    g.bench_function("ours/generic_operation", |b| {
        b.iter(|| queue.start(black_box(Queue::Ingest)).succeed())
    });

    // Multi-label operations over registered runtime values (package × tier: 4 × 3 rows) and
    // the platform's timed calls. The raw side for runtime values is the unbound SDK call with
    // the same attributes (a raw user has no pre-bound handle per runtime value).
    let installs = metrics.labeled_operation(
        "package.install",
        &[0.01, 0.1, 1.0],
        LabelTable::new("package", ["serde", "tokio", "rand"]).cross("tier", ["free", "pro"]),
    );
    let hot = installs.key(&["tokio", "pro"]);
    let raw3 = meter
        .f64_histogram("package.install.duration")
        .with_unit("s")
        .with_boundaries(vec![0.01, 0.1, 1.0])
        .build();
    let attrs3 = [
        KeyValue::new("package", "tokio"),
        KeyValue::new("tier", "pro"),
        KeyValue::new("outcome", "success"),
    ];
    let op_attr3 = [KeyValue::new("operation", "package.install")];
    g.bench_function("otel/unbound_operation_3_labels", |b| {
        b.iter(|| {
            same_work!(
                active.add(1, &op_attr3),
                |v| raw3.record(v, black_box(&attrs3)),
                active.add(-1, &op_attr3)
            )
        })
    });
    g.bench_function("ours/labeled_operation_key", |b| {
        b.iter(|| installs.start_key(black_box(hot)).succeed())
    });
    g.bench_function("ours/labeled_operation_values", |b| {
        b.iter(|| installs.start(black_box(&["tokio", "pro"])).succeed())
    });
    let handles = marketplace_telemetry::platform::Platform::new(&p2.meter("bench"));
    let db = handles.db_client("postgresql", ["SELECT", "INSERT"], ["packages", "users"]);
    let select = db.key("SELECT", "users");
    // What a platform call does: two clock reads and one bound record (semconv has no
    // in-flight gauge for DB or GenAI calls).
    g.bench_function("otel/bound_timed_record", |b| {
        b.iter(|| {
            let start = quanta::Instant::now();
            let elapsed = quanta::Instant::now().duration_since(start).as_secs_f64();
            bound.record(black_box(elapsed));
        })
    });
    g.bench_function("ours/db_query_key", |b| {
        b.iter(|| db.query_key(black_box(select)).succeed())
    });
    let llm = handles.gen_ai(
        [marketplace_telemetry::platform::GenAiOperation::Chat],
        [("openai", "gpt-4o"), ("anthropic", "claude-sonnet-4")],
    );
    let chat = llm.key(
        marketplace_telemetry::platform::GenAiOperation::Chat,
        "anthropic",
        "claude-sonnet-4",
    );
    g.bench_function("ours/llm_call_key", |b| {
        b.iter(|| llm.call_key(black_box(chat)).succeed())
    });
    g.finish();
}

fn main_setup() {
    // metrics-rs records through the Prometheus exporter's recorder, as a real user would.
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new()
        .set_buckets_for_metric(
            metrics_exporter_prometheus::Matcher::Full(
                "marketplace_search_duration_seconds".into(),
            ),
            SEARCH_BUCKETS,
        )
        .and_then(|b| b.install_recorder());
    // Without the recorder every metrics-rs row would time the no-op recorder: abort instead.
    match recorder {
        Ok(handle) => std::mem::forget(handle),
        Err(e) => panic!("metrics-rs recorder install failed, its rows would be meaningless: {e}"),
    }
}

fn benches(c: &mut Criterion) {
    main_setup();
    counters(c);
    durations(c);
}

criterion_group!(hot, benches);
criterion_main!(hot);
