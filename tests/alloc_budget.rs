//! Every helper call allocates nothing after warm-up (allocation counts are deterministic, so
//! they are asserted; timings live in `benches/`).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use marketplace_telemetry::marketplace::{
    catalog, ErrorCode, ItemType, MarketplaceMetrics, QueryKind,
};
use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::KeyValue;
use opentelemetry_sdk::metrics::{ManualReader, SdkMeterProvider};

struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
    // Net bytes (allocated − freed) while counting.
    static NET_BYTES: Cell<i64> = const { Cell::new(0) };
}

fn add_bytes(n: i64) {
    let _ = COUNTING.try_with(|on| {
        if on.get() {
            let _ = NET_BYTES.try_with(|b| b.set(b.get() + n));
        }
    });
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = COUNTING.try_with(|on| {
            if on.get() {
                let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
            }
        });
        add_bytes(layout.size() as i64);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        add_bytes(-(layout.size() as i64));
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = COUNTING.try_with(|on| {
            if on.get() {
                let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
            }
        });
        add_bytes(new_size as i64 - layout.size() as i64);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made on this thread by `f`, run `n` times.
fn allocations(n: u32, mut f: impl FnMut()) -> u64 {
    ALLOCATIONS.with(|a| a.set(0));
    COUNTING.with(|c| c.set(true));
    for _ in 0..n {
        f();
    }
    COUNTING.with(|c| c.set(false));
    ALLOCATIONS.with(|a| a.get())
}

fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

marketplace_telemetry::label_enum! {
    enum Queue: "queue" { Ingest => "ingest", Reindex => "reindex" }
}

type Helper<'a> = (&'static str, Box<dyn Fn() + 'a>);

/// Every helper, with its success, error and cancellation paths.
fn helpers<'a>(
    metrics: &'a MarketplaceMetrics,
    cache: &'a marketplace_telemetry::marketplace::Cache,
    queue: &'a marketplace_telemetry::marketplace::OperationMetrics<Queue>,
) -> Vec<Helper<'a>> {
    vec![
        (
            "search finish ok",
            Box::new(|| {
                let op = metrics.search(ItemType::Plugin);
                op.results(12);
                let _ = op.finish(Ok::<u32, ErrorCode>(1));
            }),
        ),
        (
            "search finish err",
            Box::new(|| {
                let _ = metrics
                    .search(ItemType::Template)
                    .finish(Err::<(), _>(ErrorCode::Timeout));
            }),
        ),
        (
            "install",
            Box::new(|| metrics.install(ItemType::Package).succeed()),
        ),
        (
            "publish fail",
            Box::new(|| {
                metrics
                    .publish(ItemType::Scenario)
                    .fail(ErrorCode::Conflict)
            }),
        ),
        (
            "download cancelled",
            Box::new(|| drop(metrics.download(ItemType::Plugin))),
        ),
        (
            "rdf query",
            Box::new(|| metrics.rdf_query(QueryKind::Select).succeed()),
        ),
        (
            "time_search future",
            Box::new(|| {
                let _ = block_on(
                    metrics.time_search(ItemType::Plugin, async { Ok::<_, ErrorCode>(3) }),
                );
            }),
        ),
        (
            "time_sync",
            Box::new(|| {
                let _ = metrics
                    .install_operation()
                    .time_sync(ItemType::Plugin, || Err::<(), _>(ErrorCode::NotFound));
            }),
        ),
        ("cache hit", Box::new(|| cache.hit())),
        ("cache miss", Box::new(|| cache.miss())),
        ("cache lookup", Box::new(|| cache.lookup().finish(true))),
        ("cache entries", Box::new(|| cache.set_entries(42))),
        (
            "items gauge",
            Box::new(|| metrics.set_items(ItemType::Plugin, 7)),
        ),
        (
            "generic operation",
            Box::new(|| queue.start(Queue::Reindex).succeed()),
        ),
    ]
}

/// A meter provider (kept alive by the caller) and the helpers' handles built on it.
fn fixture() -> (
    SdkMeterProvider,
    MarketplaceMetrics,
    marketplace_telemetry::marketplace::Cache,
    marketplace_telemetry::marketplace::OperationMetrics<Queue>,
) {
    let provider = SdkMeterProvider::builder()
        .with_reader(ManualReader::builder().build())
        .build();
    let meter = provider.meter("alloc");
    let metrics = MarketplaceMetrics::builder(&meter)
        .with_caches(["search", "package"])
        .build();
    let cache = metrics.cache("search");
    let queue = metrics.operation::<Queue>("queue.consume", &[0.01, 0.1, 1.0]);
    (provider, metrics, cache, queue)
}

#[test]
fn every_helper_call_allocates_nothing_after_warm_up() {
    let (_provider, metrics, cache, queue) = fixture();

    let helpers = helpers(&metrics, &cache, &queue);
    // The counter itself works: a Vec allocates.
    assert_eq!(
        allocations(3, || drop(std::hint::black_box(vec![1u8; 16]))),
        3
    );

    let mut failures = Vec::new();
    for (name, helper) in &helpers {
        helper(); // warm-up: the SDK creates the series' trackers on first use
        let n = allocations(1000, helper);
        if n != 0 {
            failures.push(format!("{name}: {n} allocations in 1000 calls"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// With exemplars kept and a sampled span active, no helper allocates: a due slot is written
/// in place (the span context is read, not cloned into anything new).
#[test]
fn helpers_with_exemplars_in_a_sampled_span_allocate_nothing_after_warm_up() {
    use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt as _, TraceFlags, TraceId};
    let provider = SdkMeterProvider::builder()
        .with_reader(ManualReader::builder().build())
        .build();
    let meter = provider.meter("alloc-exemplars");
    let metrics = MarketplaceMetrics::builder(&meter)
        .with_caches(["search", "package"])
        .with_exemplars(marketplace_telemetry::Exemplars::new(
            marketplace_telemetry::ExemplarFilter::TraceBased,
        ))
        .build();
    let cache = metrics.cache("search");
    let queue = metrics.operation::<Queue>("queue.consume", &[0.01, 0.1, 1.0]);
    // A sampled span context that does not record: the exemplar path runs in full, the span
    // enrichment (which appends to a recording span's attributes) does not.
    let sampled = SpanContext::new(
        TraceId::from_bytes([7; 16]),
        SpanId::from_bytes([9; 8]),
        TraceFlags::SAMPLED,
        true,
        Default::default(),
    );
    let _active = opentelemetry::Context::current()
        .with_remote_span_context(sampled)
        .attach();
    let mut failures = Vec::new();
    let helpers = helpers(&metrics, &cache, &queue);
    for (_, helper) in &helpers {
        helper();
    }
    // Past the refresh interval: the first counted call of each helper finds its bucket's
    // slot due and writes it (the path that reads the span context and the wall clock).
    std::thread::sleep(std::time::Duration::from_millis(1100));
    for (name, helper) in &helpers {
        let n = allocations(1000, helper);
        if n != 0 {
            failures.push(format!("{name}: {n} allocations in 1000 calls"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// Handles of the platform instruments and a multi-label operation.
struct Platform {
    db: marketplace_telemetry::platform::DbClient,
    pool: marketplace_telemetry::platform::ConnectionPool,
    queue: marketplace_telemetry::platform::Queue,
    llm: marketplace_telemetry::platform::GenAi,
    breaker: marketplace_telemetry::platform::CircuitBreaker,
    limiter: marketplace_telemetry::platform::RateLimiter,
    installs: marketplace_telemetry::marketplace::LabeledOperation,
}

fn platform(metrics: &MarketplaceMetrics, meter: &opentelemetry::metrics::Meter) -> Platform {
    let handles = marketplace_telemetry::platform::Platform::new(meter);
    use marketplace_telemetry::marketplace::LabelTable;
    use marketplace_telemetry::platform::GenAiOperation;
    Platform {
        db: handles.db_client("postgresql", ["SELECT", "INSERT"], ["packages", "users"]),
        pool: handles.connection_pools(["main"]).pool("main"),
        queue: handles
            .messaging("rabbitmq", ["installs"])
            .queue("installs"),
        llm: handles.gen_ai(
            [GenAiOperation::Chat],
            [("openai", "gpt-4o"), ("anthropic", "claude-sonnet-4")],
        ),
        breaker: handles.circuit_breakers(["rdf"]).breaker("rdf"),
        limiter: handles.rate_limiters(["api"]).limiter("api"),
        installs: metrics.labeled_operation(
            "package.install",
            &[0.01, 0.1, 1.0],
            LabelTable::new("package", ["serde", "tokio", "rand"]).cross("tier", ["free", "pro"]),
        ),
    }
}

#[test]
fn every_platform_call_and_multi_label_operation_allocates_nothing_after_warm_up() {
    use marketplace_telemetry::platform::{BreakerState, GenAiOperation};
    let (provider, metrics, _cache, _queue) = fixture();
    let p = platform(&metrics, &provider.meter("alloc"));
    let select = p.db.key("SELECT", "users");
    let hot = p.installs.key(&["rand", "pro"]);
    let calls: Vec<Helper<'_>> = vec![
        (
            "db query by values",
            Box::new(|| {
                let call = p.db.query("INSERT", "packages");
                call.returned_rows(3);
                call.succeed();
            }),
        ),
        (
            "db query by key, failing",
            Box::new(|| p.db.query_key(select).fail(ErrorCode::Timeout)),
        ),
        (
            "db query unregistered (other)",
            Box::new(|| p.db.query("DROP", "audit").succeed()),
        ),
        (
            "db query cancelled",
            Box::new(|| drop(p.db.query_key(select))),
        ),
        (
            "pool acquire/use",
            Box::new(|| drop(p.pool.acquire().acquired())),
        ),
        ("pool timeout", Box::new(|| p.pool.acquire().timed_out())),
        (
            "queue sent/consumed/depth",
            Box::new(|| {
                p.queue.sent(1);
                p.queue.consumed(1);
                p.queue.set_depth(5);
                p.queue.set_dead_letters(1);
            }),
        ),
        ("queue process", Box::new(|| p.queue.process().succeed())),
        (
            "llm call",
            Box::new(|| {
                let call = p
                    .llm
                    .call(GenAiOperation::Chat, "anthropic", "claude-sonnet-4");
                call.tokens(100, 20);
                call.cost_usd(0.001);
                call.fail(ErrorCode::RateLimited);
            }),
        ),
        (
            "breaker",
            Box::new(|| {
                p.breaker.record_failure();
                p.breaker.set_state(BreakerState::Open);
                p.breaker.record_rejected();
                p.breaker.set_state(BreakerState::Closed);
            }),
        ),
        (
            "rate limiter",
            Box::new(|| {
                p.limiter.record(false);
                p.limiter.set_usage(3, 4);
            }),
        ),
        (
            "labeled operation by values",
            Box::new(|| p.installs.start(&["tokio", "free"]).succeed()),
        ),
        (
            "labeled operation by key",
            Box::new(|| p.installs.start_key(hot).succeed()),
        ),
        (
            "labeled operation other",
            Box::new(|| {
                p.installs
                    .start(&["left-pad", "enterprise"])
                    .fail(ErrorCode::NotFound)
            }),
        ),
    ];
    let mut failures = Vec::new();
    for (name, call) in &calls {
        call(); // warm-up: the SDK creates trackers, error series are bound on first failure
        let n = allocations(1000, call);
        if n != 0 {
            failures.push(format!("{name}: {n} allocations in 1000 calls"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// The same helpers inside a sampled span, through the production subscriber (console layer,
/// tracing-opentelemetry span layer): the span-enrichment paths (`results`, error status with
/// `error.type`, cache hit attribute) run. Budget: none of the helpers allocates on its own;
/// enriching the span appends attributes to the span's builder, a `Vec` that grows by
/// doubling, so a helper that enriches may allocate O(log n) times over n calls on one span —
/// at most 16 times in 1000 calls.
#[test]
fn helpers_inside_a_sampled_span_stay_within_the_enrichment_budget() {
    use opentelemetry_sdk::trace::SdkTracerProvider;
    let (_provider, metrics, cache, queue) = fixture();
    let tracer_provider = SdkTracerProvider::builder().build(); // always-on, nothing exported
    let config = marketplace_telemetry::TelemetryConfig::builder()
        .with_log_writer(marketplace_telemetry::LogWriter::new(|| {
            Box::new(std::io::sink())
        }))
        .build_from(|_| None)
        .unwrap();
    let dispatch =
        marketplace_telemetry::tracing_dispatch(&config, Some(&tracer_provider), None).unwrap();
    let mut report = Vec::new();
    let mut failures = Vec::new();
    tracing::dispatcher::with_default(&dispatch, || {
        for (name, helper) in &helpers(&metrics, &cache, &queue) {
            // A fresh sampled span per helper, as one request handler would have.
            let span = tracing::info_span!("request");
            let _entered = span.enter();
            assert!(
                opentelemetry::trace::TraceContextExt::span(&opentelemetry::Context::current())
                    .span_context()
                    .is_sampled(),
                "the measurement span must be sampled"
            );
            helper();
            let n = allocations(1000, helper);
            report.push(format!("{name}: {n}"));
            if n > 16 {
                failures.push(format!("{name}: {n} allocations in 1000 calls (budget 16)"));
            }
        }
    });
    eprintln!("allocations per 1000 calls inside a sampled span: {report:#?}");
    assert!(failures.is_empty(), "{failures:#?}");
}

/// Net heap bytes retained by `f` on this thread.
fn retained_bytes(f: impl FnOnce()) -> i64 {
    NET_BYTES.with(|b| b.set(0));
    COUNTING.with(|c| c.set(true));
    f();
    COUNTING.with(|c| c.set(false));
    NET_BYTES.with(|b| b.get())
}

/// Our real metrics pipeline (Prometheus reader, guarded meter, the SDK's default cardinality
/// limit), with nothing exported and no endpoint served.
fn our_pipeline() -> marketplace_telemetry::Telemetry {
    let config = marketplace_telemetry::TelemetryConfig::builder()
        .with_log_writer(marketplace_telemetry::LogWriter::new(|| {
            Box::new(std::io::sink())
        }))
        .with_scrape_endpoint(false)
        .build_from(|var| (var == "OTEL_TRACES_EXPORTER").then(|| "none".to_string()))
        .unwrap();
    marketplace_telemetry::Telemetry::build(config).unwrap()
}

// Budgets, in bytes, set above the figures this test measured on 0.33.1 (counter 208 B,
// histogram 384 B per series, `MarketplaceMetrics` with two caches 1,695,453 B — every helper
// series pre-bound) with room for an allocator or SDK change of about a quarter; a regression
// beyond that fails CI, and the measured figures are printed on every run.
const COUNTER_SERIES_BUDGET: i64 = 256;
const HISTOGRAM_SERIES_BUDGET: i64 = 480;
const MARKETPLACE_METRICS_BUDGET: i64 = 2 << 20;

#[test]
fn memory_per_series_stays_within_budget() {
    // Net heap growth per new series on instruments of our own pipeline's meter
    // (`Telemetry::meter()`), 3 labels each, the catalog's 15 duration buckets.
    const SERIES: i64 = 1000;
    let telemetry = our_pipeline();
    let meter = telemetry.meter();
    let counter = meter.u64_counter("memory.counter").build();
    let histogram = meter
        .f64_histogram("memory.histogram")
        .with_unit("s")
        .with_boundaries(catalog_buckets())
        .build();
    let attrs = |i: i64| {
        [
            KeyValue::new("a", i),
            KeyValue::new("b", i % 7),
            KeyValue::new("c", i % 11),
        ]
    };
    // Warm-up: the first series allocates the maps themselves.
    counter.add(1, &attrs(-1));
    histogram.record(0.1, &attrs(-1));
    let counter_bytes = retained_bytes(|| {
        for i in 0..SERIES {
            counter.add(1, &attrs(i));
        }
    }) / SERIES;
    let histogram_bytes = retained_bytes(|| {
        for i in 0..SERIES {
            histogram.record(0.1, &attrs(i));
        }
    }) / SERIES;
    // What a default `MarketplaceMetrics` (every helper pre-bound) holds.
    let mut marketplace = None;
    let marketplace_bytes = retained_bytes(|| {
        marketplace = Some(
            MarketplaceMetrics::builder(&meter)
                .with_caches(["search", "package"])
                .build(),
        )
    });
    println!(
        "memory: counter series {counter_bytes} B, histogram series {histogram_bytes} B, \
         MarketplaceMetrics {marketplace_bytes} B"
    );
    assert!(
        counter_bytes > 0 && histogram_bytes > counter_bytes && marketplace_bytes > 0,
        "the measurement saw nothing"
    );
    let mut over = Vec::new();
    for (what, measured, budget) in [
        ("counter series", counter_bytes, COUNTER_SERIES_BUDGET),
        ("histogram series", histogram_bytes, HISTOGRAM_SERIES_BUDGET),
        (
            "MarketplaceMetrics",
            marketplace_bytes,
            MARKETPLACE_METRICS_BUDGET,
        ),
    ] {
        if measured > budget {
            over.push(format!("{what}: {measured} B (budget {budget} B)"));
        }
    }
    assert!(over.is_empty(), "{over:#?}");
    drop(marketplace);
}

fn catalog_buckets() -> Vec<f64> {
    catalog::SEARCH_DURATION.boundaries.to_vec()
}

// === spans ===

/// A span exporter that drops every span (simple processor: the span path alone).
#[derive(Debug)]
struct DropSpans;

impl opentelemetry_sdk::trace::SpanExporter for DropSpans {
    async fn export(
        &self,
        batch: Vec<opentelemetry_sdk::trace::SpanData>,
    ) -> opentelemetry_sdk::error::OTelSdkResult {
        drop(batch);
        Ok(())
    }
}

#[tracing::instrument]
fn instrumented(query: &str, kind: &str, page: u32) -> usize {
    query.len() + kind.len() + page as usize
}

/// Allocations per `#[instrument]` span with three fields (create, enter, exit, close) under
/// `dispatch`, after warm-up.
fn allocations_per_span(dispatch: &tracing::Dispatch) -> f64 {
    const N: u32 = 200;
    tracing::dispatcher::with_default(dispatch, || {
        for _ in 0..50 {
            std::hint::black_box(instrumented("rdf", "text", 2));
        }
        allocations(N, || {
            std::hint::black_box(instrumented("rdf", "text", 2));
        }) as f64
            / f64::from(N)
    })
}

fn span_provider() -> opentelemetry_sdk::trace::SdkTracerProvider {
    opentelemetry_sdk::trace::SdkTracerProvider::builder()
        .with_simple_exporter(DropSpans)
        .build()
}

fn ours_dispatch(
    provider: &opentelemetry_sdk::trace::SdkTracerProvider,
    rust_log: &str,
    format: marketplace_telemetry::config::LogFormat,
) -> tracing::Dispatch {
    let config = marketplace_telemetry::TelemetryConfig::builder()
        .with_log_filter(rust_log)
        .with_log_format(format)
        .with_log_writer(marketplace_telemetry::LogWriter::new(|| {
            Box::new(std::io::sink())
        }))
        .build_from(|_| None)
        .unwrap();
    marketplace_telemetry::tracing_dispatch(&config, Some(provider), None).unwrap()
}

/// Ours never allocates more per span than tracing-opentelemetry's default layer, with the
/// console at `warn` (spans not formatted) or `info` (formatted for log lines), text or JSON.
/// The counts are printed for BENCHMARKS.md.
#[test]
fn a_span_allocates_no_more_than_under_the_default_layer() {
    use marketplace_telemetry::config::LogFormat;
    use opentelemetry::trace::{Span as _, Tracer as _, TracerProvider as _};
    use tracing_subscriber::layer::SubscriberExt as _;

    let provider = span_provider();
    let default_layer = tracing::Dispatch::new(
        tracing_subscriber::registry()
            .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("alloc"))),
    );
    let default = allocations_per_span(&default_layer);

    let tracer = provider.tracer("alloc");
    let bare = {
        let span = || {
            let mut span = tracer.start("search");
            span.set_attribute(KeyValue::new("query", "rdf"));
            span.set_attribute(KeyValue::new("kind", "text"));
            span.set_attribute(KeyValue::new("page", 2i64));
            span.end();
        };
        for _ in 0..50 {
            span();
        }
        allocations(200, span) as f64 / 200.0
    };
    // The same-work peer (issue 28): tracing-opentelemetry as we configure it, no console.
    let lean_layer = tracing::Dispatch::new(
        tracing_subscriber::registry().with(
            tracing_opentelemetry::layer()
                .with_tracer(provider.tracer("alloc"))
                .with_tracked_inactivity(false)
                .with_threads(false),
        ),
    );
    let lean = allocations_per_span(&lean_layer);
    println!("allocations per span: tracing-opentelemetry default layer {default:.2}, lean (no inactivity tracking, no thread attributes) {lean:.2}, bare SDK span {bare:.2}");
    for (rust_log, format) in [
        ("warn", LogFormat::Text),
        ("info", LogFormat::Text),
        ("warn", LogFormat::Json),
        ("info", LogFormat::Json),
    ] {
        let ours = allocations_per_span(&ours_dispatch(&provider, rust_log, format));
        println!(
            "allocations per span: ours RUST_LOG={rust_log} {}: {ours:.2}",
            format.as_str()
        );
        assert!(
            ours <= default,
            "ours (RUST_LOG={rust_log}, {}) allocates {ours:.2} per span, the default layer {default:.2}",
            format.as_str()
        );
        // At `warn` the console formats nothing: ours does the lean peer's work, no more.
        if rust_log == "warn" {
            assert!(
                ours <= lean,
                "ours (RUST_LOG=warn, {}) allocates {ours:.2} per span, the same-work peer {lean:.2}",
                format.as_str()
            );
        }
    }
    let _ = provider.shutdown();
}
