//! What the SDK costs a service (issue 28, must-have 7): one axum service with the demo's
//! routes (search with a cache lookup and a result count, install, download, a package-cache
//! read, health) and no simulated work, served on one Tokio worker, in one of four stacks:
//!
//! - `none`: no telemetry (the handlers' `#[instrument]` spans compiled in, no subscriber);
//! - `handwired-warn` / `handwired-info`: what a team wires by hand for the same signals —
//!   tracing-opentelemetry's default layer over an OTLP/gRPC batch exporter, tower-http's
//!   `TraceLayer` (its spans at INFO, so they are exported), a `fmt` layer at the level, and
//!   prometheus-client holding the same series as ours (HTTP server duration, operation
//!   durations, in-flight gauge, cache requests and lookup durations, search results);
//! - `ours-warn` / `ours-info`: `init`-equivalent `Telemetry::build` with the console at the
//!   level, traces over OTLP/gRPC, metrics on the Prometheus exporter (logs not exported: the
//!   hand-wired stack has no log export either), and `Telemetry::http_layer()`.
//!
//! Both instrumented stacks export to the same OTLP endpoint and write their console to a
//! sink. `scripts/service_cost.sh` starts one process per stack and drives them in interleaved
//! rounds with `wrk`.
//!
//! Usage: `service_cost <stack> <port> <otlp-endpoint>`.

use std::sync::Arc;

use axum::extract::{MatchedPath, Path, Query, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use marketplace_telemetry::config::Exporters;
use marketplace_telemetry::marketplace::{
    Cache as CacheMetrics, ErrorCode, ItemType, MarketplaceMetrics,
};
use marketplace_telemetry::{LogWriter, Telemetry, TelemetryConfig};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

const SEARCH_BUCKETS: &[f64] = marketplace_telemetry::catalog::SEARCH_DURATION.boundaries;
const OP_BUCKETS: &[f64] = marketplace_telemetry::catalog::INSTALL_DURATION.boundaries;
const LOOKUP_BUCKETS: &[f64] = marketplace_telemetry::catalog::CACHE_LOOKUP_DURATION.boundaries;
const RESULT_BUCKETS: &[f64] = marketplace_telemetry::catalog::SEARCH_RESULTS.boundaries;
const HTTP_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OpLabels {
    item_type: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CacheLabels {
    cache: &'static str,
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    http_request_method: String,
    http_route: String,
    http_response_status_code: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabel {
    operation: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ItemLabel {
    item_type: &'static str,
}

/// The hand-wired stack's series: the same families ours serves for these routes.
struct HandMetrics {
    registry: Registry,
    http: Family<HttpLabels, Histogram, fn() -> Histogram>,
    search: Family<OpLabels, Histogram, fn() -> Histogram>,
    install: Family<OpLabels, Histogram, fn() -> Histogram>,
    download: Family<OpLabels, Histogram, fn() -> Histogram>,
    active: Family<OperationLabel, Gauge>,
    cache: Family<CacheLabels, Counter>,
    lookup: Family<CacheLabels, Histogram, fn() -> Histogram>,
    results: Family<ItemLabel, Histogram, fn() -> Histogram>,
}

fn histograms<L: Clone + std::hash::Hash + Eq>(
    buckets: fn() -> Histogram,
) -> Family<L, Histogram, fn() -> Histogram> {
    Family::new_with_constructor(buckets)
}

impl HandMetrics {
    fn new() -> Self {
        let mut registry = Registry::default();
        let http = histograms(|| Histogram::new(HTTP_BUCKETS.iter().copied()));
        let search = histograms(|| Histogram::new(SEARCH_BUCKETS.iter().copied()));
        let install = histograms(|| Histogram::new(OP_BUCKETS.iter().copied()));
        let download = histograms(|| Histogram::new(OP_BUCKETS.iter().copied()));
        let lookup = histograms(|| Histogram::new(LOOKUP_BUCKETS.iter().copied()));
        let results = histograms(|| Histogram::new(RESULT_BUCKETS.iter().copied()));
        let active = Family::<OperationLabel, Gauge>::default();
        let cache = Family::<CacheLabels, Counter>::default();
        registry.register("http_server_request_duration_seconds", "HTTP", http.clone());
        registry.register(
            "marketplace_search_duration_seconds",
            "search",
            search.clone(),
        );
        registry.register(
            "marketplace_install_duration_seconds",
            "install",
            install.clone(),
        );
        registry.register(
            "marketplace_download_duration_seconds",
            "download",
            download.clone(),
        );
        registry.register("marketplace_operations_active", "in flight", active.clone());
        registry.register("marketplace_cache_requests", "cache", cache.clone());
        registry.register(
            "marketplace_cache_lookup_duration_seconds",
            "lookup",
            lookup.clone(),
        );
        registry.register("marketplace_search_results", "results", results.clone());
        HandMetrics {
            registry,
            http,
            search,
            install,
            download,
            active,
            cache,
            lookup,
            results,
        }
    }

    /// An operation as a hand-written helper times it: in flight ±1, one observation.
    fn time<T>(
        &self,
        family: &Family<OpLabels, Histogram, fn() -> Histogram>,
        operation: &'static str,
        item_type: &'static str,
        work: impl FnOnce() -> Result<T, ErrorCode>,
    ) -> Result<T, ErrorCode> {
        let active = self.active.get_or_create(&OperationLabel { operation });
        active.inc();
        let start = std::time::Instant::now();
        let result = work();
        let outcome = if result.is_ok() { "success" } else { "error" };
        family
            .get_or_create(&OpLabels { item_type, outcome })
            .observe(start.elapsed().as_secs_f64());
        active.dec();
        result
    }
}

#[derive(Clone)]
enum Inst {
    None,
    Hand(Arc<HandMetrics>),
    Ours {
        metrics: MarketplaceMetrics,
        search_cache: CacheMetrics,
        package_cache: CacheMetrics,
    },
}

fn item_type(kind: &str) -> Result<(ItemType, &'static str), ErrorCode> {
    match kind {
        "plugin" => Ok((ItemType::Plugin, "plugin")),
        "template" => Ok((ItemType::Template, "template")),
        "scenario" => Ok((ItemType::Scenario, "scenario")),
        "package" => Ok((ItemType::Package, "package")),
        _ => Err(ErrorCode::ValidationFailed),
    }
}

#[derive(serde::Deserialize)]
struct SearchParams {
    q: String,
    #[serde(rename = "type", default = "default_type")]
    item_type: String,
}

fn default_type() -> String {
    "plugin".into()
}

fn status(result: Result<String, ErrorCode>) -> (axum::http::StatusCode, String) {
    match result {
        Ok(body) => (axum::http::StatusCode::OK, body),
        Err(_) => (axum::http::StatusCode::BAD_REQUEST, String::new()),
    }
}

/// A deterministic cache outcome: 4 of 5 hit, as in the demo.
fn hit(key: &str) -> bool {
    key.len() % 5 != 0
}

#[tracing::instrument(skip(inst, params), fields(query = %params.q))]
async fn search(
    State(inst): State<Inst>,
    Query(params): Query<SearchParams>,
) -> (axum::http::StatusCode, String) {
    let found = params.q.len() as u64 * 3;
    let result = item_type(&params.item_type).and_then(|(kind, name)| match &inst {
        Inst::None => Ok(found),
        Inst::Hand(m) => m.time(&m.search, "search", name, || {
            let start = std::time::Instant::now();
            let hit = hit(&params.q);
            let result = if hit { "hit" } else { "miss" };
            m.cache
                .get_or_create(&CacheLabels {
                    cache: "search",
                    result,
                })
                .inc();
            m.lookup
                .get_or_create(&CacheLabels {
                    cache: "search",
                    result,
                })
                .observe(start.elapsed().as_secs_f64());
            m.results
                .get_or_create(&ItemLabel { item_type: name })
                .observe(found as f64);
            Ok(found)
        }),
        Inst::Ours {
            metrics,
            search_cache,
            ..
        } => {
            let op = metrics.search(kind);
            search_cache.lookup().finish(hit(&params.q));
            op.results(found);
            op.finish(Ok(found))
        }
    });
    if let Ok(n) = &result {
        tracing::info!(query = %params.q, results = n, "search done");
    }
    status(result.map(|n| format!("{n} results\n")))
}

#[tracing::instrument(skip(inst))]
async fn install(
    State(inst): State<Inst>,
    Path((kind, name)): Path<(String, String)>,
) -> (axum::http::StatusCode, String) {
    let result = item_type(&kind).and_then(|(kind, label)| match &inst {
        Inst::None => Ok(()),
        Inst::Hand(m) => m.time(&m.install, "install", label, || Ok(())),
        Inst::Ours { metrics, .. } => metrics.install(kind).finish(Ok::<(), ErrorCode>(())),
    });
    status(result.map(|()| format!("installed {name}\n")))
}

#[tracing::instrument(skip(inst))]
async fn download(
    State(inst): State<Inst>,
    Path((kind, name)): Path<(String, String)>,
) -> (axum::http::StatusCode, String) {
    let result = item_type(&kind).and_then(|(kind, label)| match &inst {
        Inst::None => Ok(()),
        Inst::Hand(m) => m.time(&m.download, "download", label, || Ok(())),
        Inst::Ours { metrics, .. } => metrics.download(kind).finish(Ok::<(), ErrorCode>(())),
    });
    status(result.map(|()| format!("{name}\n")))
}

#[tracing::instrument(skip(inst))]
async fn package(State(inst): State<Inst>, Path(name): Path<String>) -> String {
    let hit = hit(&name);
    match &inst {
        Inst::None => {}
        Inst::Hand(m) => {
            let start = std::time::Instant::now();
            let result = if hit { "hit" } else { "miss" };
            m.cache
                .get_or_create(&CacheLabels {
                    cache: "package",
                    result,
                })
                .inc();
            m.lookup
                .get_or_create(&CacheLabels {
                    cache: "package",
                    result,
                })
                .observe(start.elapsed().as_secs_f64());
        }
        Inst::Ours { package_cache, .. } => package_cache.lookup().finish(hit),
    }
    format!("{name}\n")
}

/// The hand-wired HTTP server duration: what a team adds beside `TraceLayer`, which records
/// no metrics.
async fn http_metrics(State(m): State<Arc<HandMetrics>>, req: Request, next: Next) -> Response {
    let start = std::time::Instant::now();
    let method = req.method().as_str().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let response = next.run(req).await;
    m.http
        .get_or_create(&HttpLabels {
            http_request_method: method,
            http_route: route,
            http_response_status_code: response.status().as_u16(),
        })
        .observe(start.elapsed().as_secs_f64());
    response
}

fn routes(inst: Inst) -> Router {
    Router::new()
        .route("/search", get(search))
        .route("/install/{kind}/{name}", post(install))
        .route("/download/{kind}/{name}", get(download))
        .route("/packages/{name}", get(package))
        .route("/health", get(|| async { "ok" }))
        .with_state(inst)
}

/// The hand-wired stack: returns the router and what must live as long as it.
fn handwired(
    level: &str,
    endpoint: &str,
) -> Result<(Router, impl Drop), Box<dyn std::error::Error>> {
    use opentelemetry::trace::TracerProvider as _;
    use opentelemetry_otlp::WithExportConfig as _;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    use tracing_subscriber::Layer as _;
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint)
        .build()?;
    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(
            opentelemetry_sdk::Resource::builder()
                .with_service_name("service-cost")
                .build(),
        )
        .build();
    let tracer = provider.tracer("service-cost");
    tracing_subscriber::registry()
        .with(
            tracing_opentelemetry::layer()
                .with_tracer(tracer)
                .with_filter(tracing_subscriber::filter::LevelFilter::INFO),
        )
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::sink)
                .with_filter(tracing_subscriber::EnvFilter::new(level)),
        )
        .try_init()?;
    let metrics = Arc::new(HandMetrics::new());
    let registry_metrics = metrics.clone();
    let router = routes(Inst::Hand(metrics.clone()))
        .route(
            "/metrics",
            get(move || {
                let m = registry_metrics.clone();
                async move {
                    let mut body = String::new();
                    let _ = prometheus_client::encoding::text::encode(&mut body, &m.registry);
                    body
                }
            }),
        )
        .layer(axum::middleware::from_fn_with_state(metrics, http_metrics))
        .layer(
            tower_http::trace::TraceLayer::new_for_http().make_span_with(
                tower_http::trace::DefaultMakeSpan::new().level(tracing::Level::INFO),
            ),
        );
    struct Flush(opentelemetry_sdk::trace::SdkTracerProvider);
    impl Drop for Flush {
        fn drop(&mut self) {
            let _ = self.0.shutdown();
        }
    }
    Ok((router, Flush(provider)))
}

fn ours(level: &str, endpoint: &str) -> Result<(Router, Telemetry), Box<dyn std::error::Error>> {
    let config = TelemetryConfig::builder()
        .with_service_name("service-cost")
        .with_otlp_endpoint(endpoint)
        .with_log_filter(level)
        .with_log_writer(LogWriter::new(|| Box::new(std::io::sink())))
        .with_logs_exporters(Exporters::default())
        .with_scrape_endpoint(false)
        .with_caches(["search", "package"])
        .build_from(|_| None)?;
    let telemetry = Telemetry::build(config)?;
    tracing::dispatcher::set_global_default(telemetry.dispatch().clone())?;
    let metrics = telemetry.marketplace();
    let inst = Inst::Ours {
        search_cache: metrics.cache("search"),
        package_cache: metrics.cache("package"),
        metrics: metrics.clone(),
    };
    let handler = telemetry.scrape_handler();
    let mut router = routes(inst);
    if let Some(handler) = handler {
        router = router.route(
            "/metrics",
            get(move || {
                let h = handler.clone();
                async move { h.render() }
            }),
        );
    }
    Ok((router.layer(telemetry.http_layer()), telemetry))
}

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [stack, port, endpoint] = args.as_slice() else {
        eprintln!("usage: service_cost none|handwired-warn|handwired-info|ours-warn|ours-info PORT OTLP_ENDPOINT");
        return std::process::ExitCode::from(2);
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("service_cost: runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        let mut keep: Vec<Box<dyn std::any::Any>> = Vec::new();
        let router = match stack.as_str() {
            "none" => routes(Inst::None),
            "handwired-warn" | "handwired-info" => {
                let (router, guard) = handwired(&stack[10..], endpoint)?;
                keep.push(Box::new(guard));
                router
            }
            "ours-warn" | "ours-info" => {
                let (router, telemetry) = ours(&stack[5..], endpoint)?;
                keep.push(Box::new(telemetry));
                router
            }
            other => return Err(format!("unknown stack {other}").into()),
        };
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port.parse::<u16>()?)).await?;
        eprintln!("service_cost: {stack} on {}", listener.local_addr()?);
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        axum::serve(listener, router)
            .with_graceful_shutdown(shutdown)
            .await?;
        drop(keep);
        Ok::<(), Box<dyn std::error::Error>>(())
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("service_cost: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
