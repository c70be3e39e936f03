//! The platform instruments' specs: the semantic conventions' HTTP, DB, messaging and GenAI
//! instruments (names, units, attributes and buckets exactly as each release defines them),
//! and our own where semconv has none (queues, breakers, rate limits, LLM cost): [`PLATFORM`].

use super::instruments::{table_row, InstrumentSpec, Kind};

/// The semantic-conventions release our DB, messaging and HTTP instruments follow.
pub const SEMCONV: &str = "1.44.0";
/// The last semantic-conventions release that held the GenAI conventions (they moved to
/// their own repository afterwards); our GenAI instruments follow it.
pub const SEMCONV_GENAI: &str = "1.41.0";

/// `http.server.request.duration` buckets (semconv).
pub const HTTP_DURATION_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.2, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];
/// `db.client.operation.duration` buckets (semconv); also our pool timing histograms'.
pub const DB_DURATION_BUCKETS: &[f64] = &[0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0];
/// `db.client.response.returned_rows` buckets (semconv).
pub const DB_ROWS_BUCKETS: &[f64] = &[
    1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0, 10000.0,
];
/// `messaging.process.duration` buckets (semconv).
pub const MESSAGING_DURATION_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];
/// `gen_ai.client.token.usage` buckets (semconv).
pub const GENAI_TOKEN_BUCKETS: &[f64] = &[
    1.0, 4.0, 16.0, 64.0, 256.0, 1024.0, 4096.0, 16384.0, 65536.0, 262144.0, 1048576.0, 4194304.0,
    16777216.0, 67108864.0,
];
/// `gen_ai.client.operation.duration` buckets (semconv).
pub const GENAI_DURATION_BUCKETS: &[f64] = &[
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];

/// The attributes of the HTTP server duration and body-size histograms.
const HTTP_LABELS: &[&str] = &[
    "http.request.method",
    "url.scheme",
    "http.route",
    "http.response.status_code",
    "error.type",
];

macro_rules! spec {
    ($name:literal, $kind:ident, $unit:literal, $desc:literal, $buckets:expr, $labels:ident, $semconv:expr) => {
        InstrumentSpec {
            name: $name,
            kind: Kind::$kind,
            unit: $unit,
            description: $desc,
            boundaries: $buckets,
            labels: $labels,
            semconv: $semconv,
        }
    };
    ($name:literal, $kind:ident, $unit:literal, $desc:literal, $buckets:expr, [$($l:literal),*], $semconv:expr) => {
        InstrumentSpec {
            name: $name,
            kind: Kind::$kind,
            unit: $unit,
            description: $desc,
            boundaries: $buckets,
            labels: &[$($l),*],
            semconv: $semconv,
        }
    };
}

/// `http.server.request.duration` (the `http-server` feature's layer).
pub const HTTP_SERVER_DURATION: InstrumentSpec = spec!(
    "http.server.request.duration",
    Histogram,
    "s",
    "Duration of HTTP server requests.",
    HTTP_DURATION_BUCKETS,
    HTTP_LABELS,
    Some(SEMCONV)
);
/// `http.server.active_requests`
pub const HTTP_SERVER_ACTIVE: InstrumentSpec = spec!(
    "http.server.active_requests",
    UpDownCounter,
    "{request}",
    "Number of active HTTP server requests.",
    &[],
    ["http.request.method", "url.scheme"],
    Some(SEMCONV)
);
/// `http.server.request.body.size`
pub const HTTP_SERVER_REQUEST_BODY: InstrumentSpec = spec!(
    "http.server.request.body.size",
    Histogram,
    "By",
    "Size of HTTP server request bodies.",
    &[],
    HTTP_LABELS,
    Some(SEMCONV)
);
/// `http.server.response.body.size`
pub const HTTP_SERVER_RESPONSE_BODY: InstrumentSpec = spec!(
    "http.server.response.body.size",
    Histogram,
    "By",
    "Size of HTTP server response bodies.",
    &[],
    HTTP_LABELS,
    Some(SEMCONV)
);

/// `http.client.request.duration` (the `http-client` feature's layer and middleware).
pub const HTTP_CLIENT_DURATION: InstrumentSpec = spec!(
    "http.client.request.duration",
    Histogram,
    "s",
    "Duration of HTTP client requests.",
    HTTP_DURATION_BUCKETS,
    [
        "http.request.method",
        "server.address",
        "server.port",
        "http.response.status_code",
        "error.type"
    ],
    Some(SEMCONV)
);

/// `rpc.server.call.duration` (the `grpc-layers` feature's server layer; semconv 1.39+).
pub const RPC_SERVER_DURATION: InstrumentSpec = spec!(
    "rpc.server.call.duration",
    Histogram,
    "s",
    "Measures the duration of an incoming Remote Procedure Call (RPC).",
    HTTP_DURATION_BUCKETS,
    [
        "rpc.system.name",
        "rpc.method",
        "rpc.status_code",
        "error.type"
    ],
    Some(SEMCONV)
);
/// `rpc.client.call.duration` (the `grpc-layers` feature's client layer).
pub const RPC_CLIENT_DURATION: InstrumentSpec = spec!(
    "rpc.client.call.duration",
    Histogram,
    "s",
    "Measures the duration of an outgoing Remote Procedure Call (RPC).",
    HTTP_DURATION_BUCKETS,
    [
        "rpc.system.name",
        "rpc.method",
        "server.address",
        "server.port",
        "rpc.status_code",
        "error.type"
    ],
    Some(SEMCONV)
);

/// `db.client.operation.duration`
pub const DB_OPERATION_DURATION: InstrumentSpec = spec!(
    "db.client.operation.duration",
    Histogram,
    "s",
    "Duration of database client operations.",
    DB_DURATION_BUCKETS,
    [
        "db.system.name",
        "db.operation.name",
        "db.collection.name",
        "error.type"
    ],
    Some(SEMCONV)
);
/// `db.client.response.returned_rows`
pub const DB_RETURNED_ROWS: InstrumentSpec = spec!(
    "db.client.response.returned_rows",
    Histogram,
    "{row}",
    "The actual number of records returned by the database operation.",
    DB_ROWS_BUCKETS,
    ["db.system.name", "db.operation.name", "db.collection.name"],
    Some(SEMCONV)
);
/// `db.client.connection.count`
pub const DB_CONNECTION_COUNT: InstrumentSpec = spec!(
    "db.client.connection.count",
    UpDownCounter,
    "{connection}",
    "The number of connections that are currently in state described by the `state` attribute.",
    &[],
    [
        "db.client.connection.state",
        "db.client.connection.pool.name"
    ],
    Some(SEMCONV)
);
/// `db.client.connection.max`
pub const DB_CONNECTION_MAX: InstrumentSpec = spec!(
    "db.client.connection.max",
    UpDownCounter,
    "{connection}",
    "The maximum number of open connections allowed.",
    &[],
    ["db.client.connection.pool.name"],
    Some(SEMCONV)
);
/// `db.client.connection.pending_requests`
pub const DB_CONNECTION_PENDING: InstrumentSpec = spec!(
    "db.client.connection.pending_requests",
    UpDownCounter,
    "{request}",
    "The number of current pending requests for an open connection.",
    &[],
    ["db.client.connection.pool.name"],
    Some(SEMCONV)
);
/// `db.client.connection.timeouts`
pub const DB_CONNECTION_TIMEOUTS: InstrumentSpec = spec!("db.client.connection.timeouts", Counter, "{timeout}",
    "The number of connection timeouts that have occurred trying to obtain a connection from the pool.", &[],
    ["db.client.connection.pool.name"], Some(SEMCONV));
/// `db.client.connection.wait_time`
pub const DB_CONNECTION_WAIT_TIME: InstrumentSpec = spec!(
    "db.client.connection.wait_time",
    Histogram,
    "s",
    "The time it took to obtain an open connection from the pool.",
    DB_DURATION_BUCKETS,
    ["db.client.connection.pool.name"],
    Some(SEMCONV)
);
/// `db.client.connection.use_time`
pub const DB_CONNECTION_USE_TIME: InstrumentSpec = spec!(
    "db.client.connection.use_time",
    Histogram,
    "s",
    "The time between borrowing a connection and returning it to the pool.",
    DB_DURATION_BUCKETS,
    ["db.client.connection.pool.name"],
    Some(SEMCONV)
);
/// `db.client.connection.create_time`
pub const DB_CONNECTION_CREATE_TIME: InstrumentSpec = spec!(
    "db.client.connection.create_time",
    Histogram,
    "s",
    "The time it took to create a new connection.",
    DB_DURATION_BUCKETS,
    ["db.client.connection.pool.name"],
    Some(SEMCONV)
);

/// `messaging.client.sent.messages`
pub const MESSAGING_SENT: InstrumentSpec = spec!(
    "messaging.client.sent.messages",
    Counter,
    "{message}",
    "Number of messages producer attempted to send to the broker.",
    &[],
    [
        "messaging.system",
        "messaging.destination.name",
        "messaging.operation.name"
    ],
    Some(SEMCONV)
);
/// `messaging.client.consumed.messages`
pub const MESSAGING_CONSUMED: InstrumentSpec = spec!(
    "messaging.client.consumed.messages",
    Counter,
    "{message}",
    "Number of messages that were delivered to the application.",
    &[],
    [
        "messaging.system",
        "messaging.destination.name",
        "messaging.operation.name"
    ],
    Some(SEMCONV)
);
/// `messaging.process.duration`
pub const MESSAGING_PROCESS_DURATION: InstrumentSpec = spec!(
    "messaging.process.duration",
    Histogram,
    "s",
    "Duration of processing operation.",
    MESSAGING_DURATION_BUCKETS,
    [
        "messaging.system",
        "messaging.destination.name",
        "messaging.operation.name",
        "error.type"
    ],
    Some(SEMCONV)
);
/// `marketplace.queue.depth` (ours: semconv has no queue depth)
pub const QUEUE_DEPTH: InstrumentSpec = spec!(
    "marketplace.queue.depth",
    Gauge,
    "{message}",
    "Messages waiting in each queue.",
    &[],
    ["messaging.system", "messaging.destination.name"],
    None
);
/// `marketplace.queue.dead_letters` (ours)
pub const QUEUE_DEAD_LETTERS: InstrumentSpec = spec!(
    "marketplace.queue.dead_letters",
    Gauge,
    "{message}",
    "Messages in each queue's dead-letter queue.",
    &[],
    ["messaging.system", "messaging.destination.name"],
    None
);

/// `gen_ai.client.token.usage`
pub const GENAI_TOKEN_USAGE: InstrumentSpec = spec!(
    "gen_ai.client.token.usage",
    Histogram,
    "{token}",
    "Number of input and output tokens used.",
    GENAI_TOKEN_BUCKETS,
    [
        "gen_ai.operation.name",
        "gen_ai.provider.name",
        "gen_ai.request.model",
        "gen_ai.token.type"
    ],
    Some(SEMCONV_GENAI)
);
/// `gen_ai.client.operation.duration`
pub const GENAI_OPERATION_DURATION: InstrumentSpec = spec!(
    "gen_ai.client.operation.duration",
    Histogram,
    "s",
    "GenAI operation duration.",
    GENAI_DURATION_BUCKETS,
    [
        "gen_ai.operation.name",
        "gen_ai.provider.name",
        "gen_ai.request.model",
        "error.type"
    ],
    Some(SEMCONV_GENAI)
);
/// `marketplace.gen_ai.cost.usd` (ours: semconv has no cost)
pub const GENAI_COST: InstrumentSpec = spec!(
    "marketplace.gen_ai.cost.usd",
    Counter,
    "{USD}",
    "Cost of GenAI calls in US dollars, as the caller computed it.",
    &[],
    [
        "gen_ai.operation.name",
        "gen_ai.provider.name",
        "gen_ai.request.model"
    ],
    None
);

/// `marketplace.circuit_breaker.state` (ours): 1 on the breaker's current state, 0 on the others.
pub const BREAKER_STATE: InstrumentSpec = spec!(
    "marketplace.circuit_breaker.state",
    Gauge,
    "{state}",
    "Circuit breaker state: 1 on the current state (closed, half_open, open), 0 on the others.",
    &[],
    ["breaker", "state"],
    None
);
/// `marketplace.circuit_breaker.calls` (ours)
pub const BREAKER_CALLS: InstrumentSpec = spec!(
    "marketplace.circuit_breaker.calls",
    Counter,
    "{call}",
    "Calls through each circuit breaker by result (success, failure, rejected).",
    &[],
    ["breaker", "result"],
    None
);
/// `marketplace.circuit_breaker.transitions` (ours)
pub const BREAKER_TRANSITIONS: InstrumentSpec = spec!(
    "marketplace.circuit_breaker.transitions",
    Counter,
    "{transition}",
    "Circuit breaker state changes by the state entered.",
    &[],
    ["breaker", "state"],
    None
);
/// `marketplace.rate_limit.decisions` (ours)
pub const RATE_LIMIT_DECISIONS: InstrumentSpec = spec!(
    "marketplace.rate_limit.decisions",
    Counter,
    "{decision}",
    "Rate limiter decisions (allowed, limited).",
    &[],
    ["limiter", "decision"],
    None
);
/// `marketplace.rate_limit.usage` (ours)
pub const RATE_LIMIT_USAGE: InstrumentSpec = spec!(
    "marketplace.rate_limit.usage",
    Gauge,
    "1",
    "Share of each rate limiter's budget used in its current window (0–1).",
    &[],
    ["limiter"],
    None
);

/// Platform instruments: the semantic-convention HTTP, DB, messaging and GenAI instruments
/// and our resilience, queue and cost instruments (`MarketplaceMetrics::db_client`,
/// `connection_pools`, `messaging`, `gen_ai`, `circuit_breakers`, `rate_limiters`; HTTP from
/// the `http-server` and `http-client` layers, RPC from the `grpc-layers` layers). Semconv names are never namespaced.
pub const PLATFORM: &[InstrumentSpec] = &[
    HTTP_SERVER_DURATION,
    HTTP_SERVER_ACTIVE,
    HTTP_SERVER_REQUEST_BODY,
    HTTP_SERVER_RESPONSE_BODY,
    HTTP_CLIENT_DURATION,
    RPC_SERVER_DURATION,
    RPC_CLIENT_DURATION,
    DB_OPERATION_DURATION,
    DB_RETURNED_ROWS,
    DB_CONNECTION_COUNT,
    DB_CONNECTION_MAX,
    DB_CONNECTION_PENDING,
    DB_CONNECTION_TIMEOUTS,
    DB_CONNECTION_WAIT_TIME,
    DB_CONNECTION_USE_TIME,
    DB_CONNECTION_CREATE_TIME,
    MESSAGING_SENT,
    MESSAGING_CONSUMED,
    MESSAGING_PROCESS_DURATION,
    QUEUE_DEPTH,
    QUEUE_DEAD_LETTERS,
    GENAI_TOKEN_USAGE,
    GENAI_OPERATION_DURATION,
    GENAI_COST,
    BREAKER_STATE,
    BREAKER_CALLS,
    BREAKER_TRANSITIONS,
    RATE_LIMIT_DECISIONS,
    RATE_LIMIT_USAGE,
];

/// A Markdown table of the [`PLATFORM`] instruments with the convention that defines each
/// (the README's platform table is checked against it).
pub fn platform_table(namespace: Option<&str>) -> String {
    let mut out = String::from(
        "| Prometheus series | OpenTelemetry instrument | kind | unit | labels | defined by |\n|---|---|---|---|---|---|\n",
    );
    for spec in PLATFORM {
        let source = match spec.semconv {
            Some(v) => format!("semconv {v}"),
            None => "ours".to_string(),
        };
        out.push_str(&table_row(
            spec,
            namespace,
            |l| l.replace('.', "_"),
            &source,
        ));
    }
    out
}
