//! A small marketplace service over HTTP (axum) instrumented with marketplace-telemetry: search,
//! install, RDF query, publish and download endpoints using the marketplace helpers and the
//! HTTP layer, plus a built-in load generator that drives every endpoint — cache hits and
//! misses, errors of several codes — so every catalog instrument has data on the scrape. The
//! platform instruments too: a connection pool and a (simulated) PostgreSQL behind search and
//! install, an install queue with a consumer and dead letters, a circuit breaker that opens
//! when RDF queries time out, a rate limiter on search, stubbed LLM calls behind `/assist`, and
//! installs tracked per package × tier.
//!
//! ```text
//! cargo run --example marketplace_demo --features reqwest,grpc-layers    # serve + load until Ctrl-C
//! cargo run --example marketplace_demo --features reqwest,grpc-layers -- --duration 30       # stop after 30 s
//! cargo run --example marketplace_demo --features reqwest,grpc-layers -- --no-load --port 8080
//! cargo run --example marketplace_demo --features reqwest,grpc-layers -- --concurrency 16     # more load (default 4 loops)
//! cargo run --example marketplace_demo --features reqwest,grpc-layers -- --namespace mockforge --service-version 2.0.0
//! ```
//! Each finished operation logs one event (`operation`, `outcome`, `duration_ms`, …) at INFO;
//! `MARKETPLACE_OPERATION_EVENTS=off` turns that off.
//! Works with no collector running: export errors are logged and the demo goes on.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use marketplace_telemetry::http::HttpLayer;
use marketplace_telemetry::http_client::ReqwestTracing;
use marketplace_telemetry::marketplace::{
    Cache, ErrorCode, ErrorCodeOf, ItemType, LabelTable, LabeledOperation, MarketplaceMetrics,
    QueryKind,
};
use marketplace_telemetry::platform::{
    BreakerState, CircuitBreaker, ConnectionPool, DbClient, GenAi, GenAiOperation, Queue,
    RateLimiter,
};
use marketplace_telemetry::{init_telemetry, shutdown_signal, Telemetry, TelemetryConfig};
use rand::Rng;
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware};
use tower::ServiceExt;
use tracing::Instrument;

// === domain ===

#[derive(Debug)]
struct ApiError(ErrorCode);

impl ErrorCodeOf for ApiError {
    fn error_code(&self) -> ErrorCode {
        self.0
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match self.0 {
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::ValidationFailed => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::Timeout => StatusCode::GATEWAY_TIMEOUT,
            ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Conflict => StatusCode::CONFLICT,
            ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::Internal | ErrorCode::Other => StatusCode::INTERNAL_SERVER_ERROR,
        };
        (status, self.0.to_string()).into_response()
    }
}

#[derive(Clone)]
struct App {
    /// `--downstream URL`: the storage service every install fetches its package from, over
    /// the instrumented HTTP client (the trace continues there).
    downstream: Option<(ClientWithMiddleware, String)>,
    /// The install queue: a channel of messages whose headers carry the install's trace.
    installs: tokio::sync::mpsc::Sender<Message>,
    metrics: MarketplaceMetrics,
    search_cache: Cache,
    package_cache: Cache,
    published: Arc<AtomicU64>,
    platform: Platform,
}

/// The platform dependencies of the service, each with its telemetry handle.
#[derive(Clone)]
struct Platform {
    db: DbClient,
    pool: ConnectionPool,
    installs_queue: Queue,
    /// The dead-letter queue the failed installs go to, with their headers.
    dead_letter_queue: Queue,
    dead_letters: Arc<AtomicU64>,
    llm: GenAi,
    rdf_breaker: CircuitBreaker,
    /// When the RDF breaker opened (ms since start), for its half-open probe.
    rdf_opened_at: Arc<AtomicU64>,
    started: Instant,
    limiter: RateLimiter,
    package_installs: LabeledOperation,
}

impl Platform {
    fn new(
        metrics: &MarketplaceMetrics,
        handles: &marketplace_telemetry::platform::Platform,
    ) -> Self {
        let pool = handles.connection_pools(["main"]).pool("main");
        pool.set_max(8);
        pool.set_open(8);
        Platform {
            db: handles.db_client("postgresql", ["SELECT", "INSERT"], ["packages", "installs"]),
            pool,
            installs_queue: handles
                .messaging("rabbitmq", ["installs", "installs.dead-letter"])
                .queue("installs"),
            dead_letter_queue: handles
                .messaging("rabbitmq", ["installs", "installs.dead-letter"])
                .queue("installs.dead-letter"),
            dead_letters: Arc::new(AtomicU64::new(0)),
            llm: handles.gen_ai(
                [GenAiOperation::Chat],
                [("openai", "gpt-4o-mini"), ("anthropic", "claude-sonnet-4")],
            ),
            rdf_breaker: handles.circuit_breakers(["rdf"]).breaker("rdf"),
            rdf_opened_at: Arc::new(AtomicU64::new(0)),
            started: Instant::now(),
            limiter: handles.rate_limiters(["search"]).limiter("search"),
            package_installs: metrics.labeled_operation(
                "package.install",
                &[0.05, 0.1, 0.2, 0.5, 1.0],
                LabelTable::new("package", ["rdf-toolkit", "sparql-cli"])
                    .cross("tier", ["free", "pro"]),
            ),
        }
    }

    /// A query through the pool: waits for a connection, runs, returns it.
    async fn query(&self, operation: &str, collection: &str) -> Result<u64, ApiError> {
        let _conn = self.pool.acquire().acquired();
        let call = self.db.query(operation, collection);
        work(1, 25).await;
        let rows = rand::rng().random_range(0..50);
        call.returned_rows(rows);
        call.finish(fail_with(0.01, ErrorCode::Timeout).map(|()| rows))
    }

    fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }
}

fn item_type(s: &str) -> Result<ItemType, ApiError> {
    match s {
        "plugin" => Ok(ItemType::Plugin),
        "template" => Ok(ItemType::Template),
        "scenario" => Ok(ItemType::Scenario),
        "package" => Ok(ItemType::Package),
        _ => Err(ApiError(ErrorCode::ValidationFailed)),
    }
}

async fn work(min_ms: u64, max_ms: u64) {
    let ms = rand::rng().random_range(min_ms..=max_ms);
    tokio::time::sleep(Duration::from_millis(ms)).await;
}

fn fail_with(p: f64, code: ErrorCode) -> Result<(), ApiError> {
    if rand::rng().random_bool(p) {
        Err(ApiError(code))
    } else {
        Ok(())
    }
}

// === handlers ===

#[derive(serde::Deserialize)]
struct SearchParams {
    q: String,
    #[serde(rename = "type", default = "default_type")]
    item_type: String,
}

fn default_type() -> String {
    "plugin".into()
}

#[tracing::instrument(skip(app, params), fields(query = %params.q))]
async fn search(
    State(app): State<App>,
    Query(params): Query<SearchParams>,
) -> Result<Json<Vec<String>>, ApiError> {
    let kind = item_type(&params.item_type)?;
    let allowed = rand::rng().random_bool(0.97);
    app.platform.limiter.record(allowed);
    app.platform
        .limiter
        .set_usage(rand::rng().random_range(40..100), 100);
    if !allowed {
        return Err(ApiError(ErrorCode::RateLimited));
    }
    let op = app.metrics.search(kind);
    let result = async {
        let lookup = app.search_cache.lookup();
        work(0, 2).await;
        let hit = rand::rng().random_bool(0.8);
        lookup.finish(hit);
        if !hit {
            app.platform.query("SELECT", "packages").await?;
            work(20, 180).await;
        }
        fail_with(0.01, ErrorCode::RateLimited)?;
        let n = rand::rng().random_range(0..40);
        Ok((0..n)
            .map(|i| format!("{}-{i}", params.q))
            .collect::<Vec<_>>())
    }
    .await;
    if let Ok(found) = &result {
        op.results(found.len() as u64);
        tracing::info!(query = %params.q, results = found.len(), "search done");
    }
    op.finish(result).map(Json)
}

#[tracing::instrument(skip(app))]
async fn install(
    State(app): State<App>,
    Path((kind, name)): Path<(String, String)>,
) -> Result<&'static str, ApiError> {
    let kind = item_type(&kind)?;
    app.metrics
        .time_install(kind, async {
            if let Some((client, url)) = &app.downstream {
                // The package comes from the storage service, before anything can fail here.
                let fetched = client.get(format!("{url}/packages/{name}")).send().await;
                match fetched {
                    Ok(response) if response.status().is_success() => {}
                    Ok(response) if response.status() == StatusCode::NOT_FOUND => {
                        return Err(ApiError(ErrorCode::NotFound))
                    }
                    _ => return Err(ApiError(ErrorCode::Unavailable)),
                }
            }
            let lookup = app.package_cache.lookup();
            work(0, 3).await;
            lookup.finish(rand::rng().random_bool(0.6));
            work(50, 400).await;
            if name.starts_with("bad") {
                return Err(ApiError(ErrorCode::ValidationFailed));
            }
            fail_with(0.05, ErrorCode::NotFound)?;
            app.platform.query("INSERT", "installs").await?;
            let tier = if rand::rng().random_bool(0.3) {
                "pro"
            } else {
                "free"
            };
            app.platform
                .package_installs
                .start(&[name.as_str(), tier])
                .succeed();
            // The message's headers carry this install's trace to the consumer.
            let mut headers = HashMap::new();
            app.platform.installs_queue.send(&mut headers);
            let message = Message {
                package: name.clone(),
                headers,
            };
            if app.installs.try_send(message).is_err() {
                return Err(ApiError(ErrorCode::Unavailable));
            }
            Ok("installed")
        })
        .await
        .inspect_err(|e: &ApiError| tracing::warn!(error_code = %e.0, "install failed"))
}

#[derive(serde::Deserialize)]
struct RdfParams {
    kind: String,
}

#[tracing::instrument(skip(app, params), fields(kind = %params.kind))]
async fn rdf_query(
    State(app): State<App>,
    Query(params): Query<RdfParams>,
) -> Result<String, ApiError> {
    let kind = match params.kind.as_str() {
        "select" => QueryKind::Select,
        "construct" => QueryKind::Construct,
        "ask" => QueryKind::Ask,
        "describe" => QueryKind::Describe,
        "update" => QueryKind::Update,
        _ => return Err(ApiError(ErrorCode::ValidationFailed)),
    };
    // The breaker opens on a timeout and lets one probe through after a second.
    let breaker = &app.platform.rdf_breaker;
    if breaker.state() == BreakerState::Open {
        let opened = app.platform.rdf_opened_at.load(Ordering::Relaxed);
        if app.platform.now_ms().saturating_sub(opened) < 1000 {
            breaker.record_rejected();
            return Err(ApiError(ErrorCode::Unavailable));
        }
        breaker.set_state(BreakerState::HalfOpen);
    }
    app.metrics
        .time_rdf_query(kind, async {
            work(5, 120).await;
            match fail_with(0.03, ErrorCode::Timeout) {
                Err(e) => {
                    breaker.record_failure();
                    if breaker.set_state(BreakerState::Open) {
                        app.platform
                            .rdf_opened_at
                            .store(app.platform.now_ms(), Ordering::Relaxed);
                    }
                    return Err(e);
                }
                Ok(()) => {
                    breaker.record_success();
                    breaker.set_state(BreakerState::Closed);
                }
            }
            Ok(format!("{} bindings", rand::rng().random_range(1..500)))
        })
        .await
        .inspect_err(|e: &ApiError| tracing::error!(error_code = %e.0, "rdf query failed"))
}

#[tracing::instrument(skip(app))]
async fn publish(
    State(app): State<App>,
    Path((kind, name)): Path<(String, String)>,
) -> Result<&'static str, ApiError> {
    let kind = item_type(&kind)?;
    let op = app.metrics.publish(kind);
    work(80, 600).await;
    let result = fail_with(0.04, ErrorCode::Conflict).map(|()| {
        let total = app.published.fetch_add(1, Ordering::Relaxed) + 1;
        app.metrics.set_items(kind, 100 + total);
        "published"
    });
    op.finish(result)
}

#[tracing::instrument(skip(app))]
async fn download(
    State(app): State<App>,
    Path((kind, name)): Path<(String, String)>,
) -> Result<&'static str, ApiError> {
    let kind = item_type(&kind)?;
    app.metrics
        .time_download(kind, async {
            work(10, 250).await;
            fail_with(0.02, ErrorCode::Unavailable)?;
            Ok("bytes")
        })
        .await
}

#[derive(serde::Deserialize)]
struct AssistParams {
    q: String,
}

/// A stubbed LLM call: tokens, cost and latency as a chat completion would have them.
#[tracing::instrument(skip(app, params), fields(question = %params.q))]
async fn assist(
    State(app): State<App>,
    Query(params): Query<AssistParams>,
) -> Result<String, ApiError> {
    let (provider, model, usd_per_token) = if rand::rng().random_bool(0.5) {
        ("openai", "gpt-4o-mini", 0.000_000_6)
    } else {
        ("anthropic", "claude-sonnet-4", 0.000_015)
    };
    let call = app.platform.llm.call(GenAiOperation::Chat, provider, model);
    work(30, 400).await;
    let (input, output) = (
        20 + params.q.len() as u64 * 4,
        rand::rng().random_range(50..800),
    );
    let result = fail_with(0.05, ErrorCode::RateLimited).map(|()| {
        call.tokens(input, output);
        call.cost_usd((input + output) as f64 * usd_per_token);
        format!("{output} tokens of advice")
    });
    call.finish(result)
}

/// A message on the install queue: the package and the headers that carry the trace.
struct Message {
    package: String,
    headers: HashMap<String, String>,
}

/// The install queue's consumer: processes each message under a consumer span that continues
/// the install's trace; 5 % go to the dead-letter queue with their headers, where a second pass
/// processes them in traces of their own linked to the install's.
async fn consume(platform: Platform, mut messages: tokio::sync::mpsc::Receiver<Message>) {
    let mut dead: Vec<Message> = Vec::new();
    while let Some(message) = messages.recv().await {
        // Redrive what was dead-lettered, every 10 dead letters.
        if dead.len() >= 10 {
            for message in dead.drain(..) {
                platform
                    .dead_letter_queue
                    .receive_linked(&message.headers)
                    .succeed();
            }
        }
        platform.installs_queue.set_depth(messages.len() as u64);
        let processing = platform.installs_queue.receive(&message.headers);
        async {
            work(1, 10).await;
            tracing::debug!(package = %message.package, "install processed");
        }
        .instrument(processing.span())
        .await;
        if rand::rng().random_bool(0.05) {
            processing.fail(ErrorCode::ValidationFailed);
            let count = platform.dead_letters.fetch_add(1, Ordering::Relaxed) + 1;
            platform.installs_queue.set_dead_letters(count);
            platform.dead_letter_queue.sent(1);
            dead.push(message);
        } else {
            processing.succeed();
        }
    }
}

/// Checks the gRPC health service every 500 ms through the client layer, each check in its own
/// trace; one in ten asks for a service that does not exist (`NOT_FOUND`, a client error).
async fn check_health(url: String, layer: marketplace_telemetry::grpc::GrpcClientLayer) {
    use tonic_health::pb::{health_client::HealthClient, HealthCheckRequest};
    let Ok(channel) = tonic::transport::Endpoint::from_shared(url) else {
        return;
    };
    let channel = channel.connect_lazy();
    let mut client = HealthClient::new(tower::ServiceBuilder::new().layer(layer).service(channel));
    let mut round = 0u64;
    loop {
        round += 1;
        let service = if round % 10 == 0 {
            "unknown"
        } else {
            "registry"
        };
        let _ = client
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .instrument(tracing::info_span!("health_check", service))
            .await;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// `GET /packages/{name}`: what a registry instance fetches from this one when it is the
/// storage service (`--downstream`).
#[tracing::instrument]
async fn package(Path(name): Path<String>) -> Result<Vec<u8>, ApiError> {
    work(5, 30).await;
    if name.starts_with("missing") {
        return Err(ApiError(ErrorCode::NotFound));
    }
    Ok(vec![0u8; 4096])
}

fn router(app: App, http: HttpLayer) -> Router {
    Router::new()
        .route("/search", get(search))
        .route("/install/{kind}/{name}", post(install))
        .route("/rdf", get(rdf_query))
        .route("/publish/{kind}/{name}", post(publish))
        .route("/download/{kind}/{name}", get(download))
        .route("/assist", get(assist))
        .route("/packages/{name}", get(package))
        .route("/health", get(|| async { "ok" }))
        .with_state(app)
        .layer(http)
}

// === load generator ===

const KINDS: [&str; 4] = ["plugin", "template", "scenario", "package"];
const QUERIES: [&str; 5] = ["select", "construct", "ask", "describe", "update"];

async fn drive(
    router: Router,
    deadline: Option<Instant>,
    stop: Arc<std::sync::atomic::AtomicBool>,
) {
    let mut round = 0usize;
    while deadline.is_none_or(|d| Instant::now() < d) && !stop.load(Ordering::Relaxed) {
        round += 1;
        let kind = KINDS[round % KINDS.len()];
        let name = if round % 17 == 0 {
            "bad-name"
        } else {
            "rdf-toolkit"
        };
        let requests = [
            ("GET", format!("/search?q=sparql&type={kind}")),
            ("POST", format!("/install/{kind}/{name}")),
            (
                "GET",
                format!("/rdf?kind={}", QUERIES[round % QUERIES.len()]),
            ),
            ("POST", format!("/publish/{kind}/{name}")),
            ("GET", format!("/download/{kind}/{name}")),
            ("GET", "/assist?q=which%20sparql%20plugin".to_string()),
        ];
        // Each call is its own task so slow endpoints overlap like real traffic.
        let mut calls = tokio::task::JoinSet::new();
        for (method, uri) in requests {
            let router = router.clone();
            calls.spawn(async move {
                let request = axum::http::Request::builder()
                    .method(method)
                    .uri(uri)
                    .body(axum::body::Body::empty());
                if let Ok(request) = request {
                    let _ = router.oneshot(request).await;
                }
            });
        }
        while calls.join_next().await.is_some() {}
    }
}

// === main ===

fn arg<T: std::str::FromStr>(name: &str) -> Option<T> {
    let args: Vec<String> = std::env::args().collect();
    let at = args.iter().position(|a| a == name)?;
    args.get(at + 1)?.parse().ok()
}

fn flag(name: &str) -> bool {
    std::env::args().any(|a| a == name)
}

/// The options the demo takes: (name, value, meaning). `--help` prints them.
const OPTIONS: &[(&str, &str, &str)] = &[
    (
        "--port",
        "PORT",
        "port of the demo's HTTP API (default 8080; 0: any free port)",
    ),
    ("--concurrency", "N", "load-generating workers (default 4)"),
    ("--no-load", "", "serve only, generate no load"),
    (
        "--duration",
        "SECONDS",
        "stop after this long (default: until SIGTERM/SIGINT)",
    ),
    (
        "--namespace",
        "NS",
        "prefix every domain series (mockforge_marketplace_...)",
    ),
    (
        "--service-version",
        "VERSION",
        "service.version (default the crate version)",
    ),
    (
        "--grpc-port",
        "PORT",
        "port of the demo's gRPC health service, which it checks itself every 500 ms through \
         the gRPC layers (default 0: any free port)",
    ),
    (
        "--downstream",
        "URL",
        "storage service each install fetches {URL}/packages/{name} from (traced)",
    ),
    ("--help", "", "print this help and exit"),
];

fn usage() -> String {
    let mut out = String::from(
        "usage: marketplace_demo [OPTIONS]\n\nA marketplace service with load, instrumented by \
         marketplace-telemetry (configured by OTEL_* variables, RUST_LOG, OTEL_CONFIG_FILE).\n\n\
         options:\n",
    );
    for (name, value, meaning) in OPTIONS {
        out.push_str(&format!(
            "  {:<28} {meaning}\n",
            format!("{name} {value}").trim_end()
        ));
    }
    out
}

/// `Err(message)` for an argument that is no option, or an option missing its value.
fn check_args(args: &[String]) -> Result<(), String> {
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        match OPTIONS.iter().find(|(name, _, _)| name == a) {
            Some((_, value, _)) if !value.is_empty() => {
                if args.get(i + 1).is_none() {
                    return Err(format!("{a} needs a value"));
                }
                i += 2;
            }
            Some(_) => i += 1,
            None => return Err(format!("unknown argument {a:?}")),
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        print!("{}", usage());
        return ExitCode::SUCCESS;
    }
    if let Err(message) = check_args(&args) {
        eprintln!("marketplace-demo: {message}\n\n{}", usage());
        return ExitCode::from(2);
    }
    let mut builder = TelemetryConfig::builder()
        .with_service_name("marketplace-demo")
        .with_service_version(
            arg::<String>("--service-version").unwrap_or_else(|| env!("CARGO_PKG_VERSION").into()),
        )
        .with_caches(["search", "package"]);
    // One log event per finished operation (operation, outcome, duration_ms, error_code,
    // results, cache_hit) for log shipping, unless MARKETPLACE_OPERATION_EVENTS says otherwise.
    if std::env::var_os("MARKETPLACE_OPERATION_EVENTS").is_none() {
        builder = builder.with_operation_events(Some(tracing::Level::INFO));
    }
    // `--namespace mockforge`: every domain series is prefixed (mockforge_marketplace_...).
    if let Some(namespace) = arg::<String>("--namespace") {
        builder = builder.with_metrics_namespace(namespace);
    }
    let config = builder.build();
    // A bad variable is a usage error: its message (variable, value, what it accepts), exit 2.
    let config = match config {
        Ok(config) => config,
        Err(error) => {
            eprintln!("marketplace-demo: {error}");
            return ExitCode::from(2);
        }
    };
    let telemetry = match init_telemetry(config) {
        Ok(telemetry) => telemetry,
        Err(error) => {
            eprintln!("marketplace-demo: {error}");
            return ExitCode::FAILURE;
        }
    };
    match run(&telemetry).await {
        Ok(()) => {}
        Err(error) => eprintln!("marketplace-demo: {error}"),
    }
    // Telemetry that could not be flushed (collector down) is already counted and logged; the
    // service itself ended cleanly, so report it and exit 0 rather than look like a crash.
    match tokio::task::spawn_blocking(move || telemetry.shutdown()).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => eprintln!("marketplace-demo: telemetry shutdown: {error}"),
        Err(error) => eprintln!("marketplace-demo: telemetry shutdown: {error}"),
    }
    ExitCode::SUCCESS
}

/// Serves (and drives load) until `--duration` ends or SIGTERM/SIGINT arrives.
async fn run(telemetry: &Telemetry) -> Result<(), Box<dyn std::error::Error>> {
    let metrics = telemetry.marketplace();
    let (installs, messages) = tokio::sync::mpsc::channel(1024);
    let app = App {
        search_cache: metrics.cache("search"),
        package_cache: metrics.cache("package"),
        metrics: metrics.clone(),
        published: Arc::new(AtomicU64::new(0)),
        platform: Platform::new(&metrics, &telemetry.platform()),
        installs,
        downstream: arg::<String>("--downstream").map(|url| {
            let client = ClientBuilder::new(reqwest::Client::new())
                .with(ReqwestTracing::new(telemetry.http_client_layer()))
                .build();
            (client, url.trim_end_matches('/').to_string())
        }),
    };
    app.search_cache.set_entries(512);
    app.package_cache.set_entries(128);
    for kind in [
        ItemType::Plugin,
        ItemType::Template,
        ItemType::Scenario,
        ItemType::Package,
    ] {
        metrics.set_items(kind, 100);
    }
    let platform = app.platform.clone();
    let router = router(app, telemetry.http_layer());

    let port: u16 = arg("--port").unwrap_or(8080);
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await?;
    println!("service: http://{}", listener.local_addr()?);
    match telemetry.scrape_addr() {
        Some(addr) => println!("metrics: http://{addr}/metrics"),
        None => println!("metrics: scrape endpoint off"),
    }
    let traces = &telemetry.config().traces_otlp;
    println!(
        "traces: {} ({})",
        traces.redacted_endpoint(),
        traces.protocol.as_str()
    );

    // gRPC: the health service behind the server layer, and a checker calling it through the
    // client layer (what a service does to the dependencies it health-checks).
    let grpc = tokio::net::TcpListener::bind(SocketAddr::from((
        [127, 0, 0, 1],
        arg::<u16>("--grpc-port").unwrap_or(0),
    )))
    .await?;
    let grpc_addr = grpc.local_addr()?;
    println!("grpc: http://{grpc_addr}");
    let (health, health_service) = tonic_health::server::health_reporter();
    health
        .set_service_status("registry", tonic_health::ServingStatus::Serving)
        .await;
    let grpc_server = tokio::spawn(
        tonic::transport::Server::builder()
            .layer(telemetry.grpc_server_layer())
            .add_service(health_service)
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(grpc)),
    );
    let checker = tokio::spawn(check_health(
        format!("http://{grpc_addr}"),
        telemetry.grpc_client_layer(),
    ));

    let deadline = arg::<u64>("--duration").map(|s| Instant::now() + Duration::from_secs(s));
    let server = axum::serve(listener, router.clone());
    // The load drivers stop at `stop` after their current round: every request they started
    // finishes (and ends its span) before telemetry is shut down, as a graceful server does.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut drivers = tokio::task::JoinSet::new();
    let consumer = tokio::spawn(consume(platform, messages));
    if !flag("--no-load") {
        let workers: usize = arg("--concurrency").unwrap_or(4);
        for _ in 0..workers.max(1) {
            drivers.spawn(drive(router.clone(), deadline, stop.clone()));
        }
    }
    let load = async {
        if drivers.is_empty() {
            std::future::pending::<()>().await;
        }
        while drivers.join_next().await.is_some() {}
    };
    let until = async {
        match deadline {
            Some(d) => tokio::time::sleep_until(d.into()).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        result = server => result?,
        _ = load => {}
        _ = until => {}
        signal = shutdown_signal() => tracing::info!(%signal, "shutting down"),
    }
    stop.store(true, Ordering::Relaxed);
    while drivers.join_next().await.is_some() {}
    // Every sender is in the router's state: dropping the router ends the consumer once it has
    // processed what is queued.
    drop(router);
    let _ = consumer.await;
    checker.abort();
    grpc_server.abort();
    Ok(())
}
