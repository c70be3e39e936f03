//! Database client calls and connection pools, semantic conventions 1.44:
//! `db.client.operation.duration`, `db.client.response.returned_rows` and the
//! `db.client.connection.*` pool instruments.

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use opentelemetry::metrics::{BoundHistogram, Counter, Histogram, Meter, ObservableUpDownCounter};
use opentelemetry::KeyValue;

use super::timed::{TimedCall, TimedRows};
use super::{BoundRows, Lazy};
use crate::catalog;
use crate::catalog::{ErrorCodeOf, LabelKey, LabelTable, OperationResult};

// === DB client ===

/// Database client calls of one `db.system.name` (`postgresql`, `mysql`, `sqlite`, `redis`…;
/// see the semconv list): `db.client.operation.duration` per registered
/// `db.operation.name` × `db.collection.name` (with `error.type` on failure) and
/// `db.client.response.returned_rows`. From
/// [`Platform::db_client`](crate::platform::Platform::db_client).
///
/// # Examples
///
/// ```
/// # let meter = opentelemetry::global::meter("docs");
/// # let platform = marketplace_telemetry::platform::Platform::new(&meter);
/// use marketplace_telemetry::marketplace::ErrorCode;
/// let db = platform.db_client("postgresql", ["SELECT", "INSERT"], ["packages", "users"]);
/// let select = db.key("SELECT", "packages"); // resolve once
/// let call = db.query_key(select);
/// call.returned_rows(20);
/// call.fail(ErrorCode::Timeout); // error_type="timeout"
/// db.query("DELETE", "audit").succeed(); // db_operation_name="other", db_collection_name="other"
/// ```
#[derive(Clone)]
pub struct DbClient {
    inner: Arc<DbInner>,
}

struct DbInner {
    system: Cow<'static, str>,
    /// `db.namespace` on the client spans (set once, by [`DbClient::with_namespace`]).
    namespace: std::sync::OnceLock<Cow<'static, str>>,
    duration: TimedRows,
    rows_histogram: Histogram<u64>,
    returned_rows: Lazy<BoundHistogram<u64>>,
}

impl std::fmt::Debug for DbClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbClient")
            .field("db.system.name", &self.inner.system)
            .field("labels", self.inner.duration.table())
            .finish()
    }
}

impl DbClient {
    pub(crate) fn new(meter: &Meter, system: Cow<'static, str>, table: LabelTable) -> Self {
        let constant = vec![KeyValue::new("db.system.name", system.clone())];
        let rows = table.len();
        let duration = TimedRows::new(
            catalog::DB_OPERATION_DURATION.f64_histogram(meter, None),
            table.clone(),
            constant,
            |row| !table.is_fallback(LabelKey(row as u32)),
        );
        let rows_histogram = catalog::DB_RETURNED_ROWS.u64_histogram(meter, None);
        DbClient {
            inner: Arc::new(DbInner {
                system,
                namespace: std::sync::OnceLock::new(),
                duration,
                rows_histogram,
                returned_rows: Lazy::new(rows),
            }),
        }
    }

    /// The database the calls go to (`db.namespace`, e.g. `registry` or `tenant_42|registry`),
    /// recorded on the client spans — not on the metrics, whose series are bound at creation.
    /// Set once: a second call keeps the first value.
    pub fn with_namespace(self, namespace: impl Into<Cow<'static, str>>) -> Self {
        let _ = self.inner.namespace.set(namespace.into());
        self
    }

    /// The row of `operation` × `collection` (unregistered values: `other`).
    #[inline]
    pub fn key(&self, operation: &str, collection: &str) -> LabelKey {
        self.inner.duration.table().key(&[operation, collection])
    }

    /// Starts timing a call.
    #[inline]
    pub fn query(&self, operation: &str, collection: &str) -> DbCall<'_> {
        self.query_key(self.key(operation, collection))
    }

    /// Starts timing a call of a resolved row.
    #[inline]
    pub fn query_key(&self, key: LabelKey) -> DbCall<'_> {
        let row = key.index();
        DbCall {
            call: TimedCall::start_with_span(&self.inner.duration, row, self.inner.span(row)),
            inner: &self.inner,
        }
    }

    /// Times a future returning `Result` (`error.type` from its error's
    /// [`ErrorCode`](crate::catalog::ErrorCode)).
    pub async fn time<F, T, E>(&self, key: LabelKey, fut: F) -> Result<T, E>
    where
        F: std::future::Future<Output = Result<T, E>>,
        E: ErrorCodeOf,
    {
        let call = self.query_key(key);
        let result = fut.await;
        call.finish(result)
    }
}

/// A database call in progress (see [`TimedCall`]); [`returned_rows`](Self::returned_rows)
/// records `db.client.response.returned_rows`.
#[must_use = "a call dropped unfinished records error.type=\"cancelled\""]
#[derive(Debug)]
pub struct DbCall<'a> {
    call: TimedCall<'a>,
    inner: &'a DbInner,
}

impl DbInner {
    /// The semconv client span of a call on `row` (`{db.operation.name} {db.collection.name}`,
    /// kind client), a child of the current span — only inside a sampled trace.
    fn span(&self, row: usize) -> Option<tracing::Span> {
        if !super::timed::in_sampled_trace() {
            return None;
        }
        let values = self.duration.table().row(row);
        let (operation, collection) = (values.first()?, values.get(1)?);
        let span = tracing::info_span!(
            target: "marketplace_telemetry::platform",
            "db.client",
            otel.name = %format_args!("{operation} {collection}"),
            otel.kind = "client",
            db.system.name = %self.system,
            db.namespace = tracing::field::Empty,
            db.operation.name = %operation,
            db.collection.name = %collection,
            otel.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        );
        if let Some(namespace) = self.namespace.get() {
            span.record("db.namespace", namespace.as_ref());
        }
        Some(span)
    }
}

impl std::fmt::Debug for DbInner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.system)
    }
}

impl DbCall<'_> {
    /// Records how many rows the call returned.
    #[inline]
    pub fn returned_rows(&self, rows: u64) {
        let row = self.call.row();
        let inner = self.inner;
        if let Some(h) = inner.returned_rows.get(row, || {
            inner.rows_histogram.bind(&inner.duration.attributes(row))
        }) {
            h.record(rows);
        }
    }

    /// See [`TimedCall::finish`].
    #[inline]
    pub fn finish<R: OperationResult>(self, result: R) -> R {
        self.call.finish(result)
    }

    /// See [`TimedCall::succeed`].
    #[inline]
    pub fn succeed(self) {
        self.call.succeed()
    }

    /// See [`TimedCall::fail`].
    #[inline]
    pub fn fail(self, code: impl ErrorCodeOf) {
        self.call.fail(code)
    }
}

// === connection pools ===

/// A pool's state as its library reports it, for [`ConnectionPool::observe`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolStatus {
    /// Open connections not in use.
    pub idle: u64,
    /// Connections lent out.
    pub used: u64,
    /// The most connections the pool may open.
    pub max: u64,
    /// Callers waiting for a connection.
    pub pending: u64,
}

type StatusFn = Box<dyn Fn() -> PoolStatus + Send + Sync>;

#[derive(Default)]
struct PoolState {
    used: AtomicI64,
    open: AtomicI64,
    max: AtomicI64,
    pending: AtomicI64,
    source: RwLock<Option<StatusFn>>,
    /// Whether the pool is observed: a registered pool always, the `other` row from the first
    /// unregistered name's handle on.
    shown: AtomicBool,
}

impl PoolState {
    fn status(&self) -> PoolStatus {
        if let Ok(source) = self.source.read() {
            if let Some(f) = source.as_ref() {
                return f();
            }
        }
        let n = |a: &AtomicI64| a.load(Ordering::Relaxed).max(0) as u64;
        let used = n(&self.used);
        PoolStatus {
            idle: n(&self.open).saturating_sub(used),
            used,
            max: n(&self.max),
            pending: n(&self.pending),
        }
    }
}

struct PoolsShared {
    table: LabelTable,
    states: Box<[PoolState]>,
}

struct PoolsInner {
    shared: Arc<PoolsShared>,
    timeouts: BoundRows<Counter<u64>>,
    wait_time: BoundRows<Histogram<f64>>,
    use_time: BoundRows<Histogram<f64>>,
    create_time: BoundRows<Histogram<f64>>,
    _observed: [ObservableUpDownCounter<i64>; 3],
}

/// The registered connection pools (`db.client.connection.pool.name`), from
/// [`Platform::connection_pools`](crate::platform::Platform::connection_pools).
/// `db.client.connection.count` (idle/used), `.max` and `.pending_requests` are observed at
/// each collection from the pool's state; `.timeouts`, `.wait_time`, `.use_time` and
/// `.create_time` are recorded as they happen. Feed a pool either with [`ConnectionPool::acquire`]
/// guards around your pool's checkout or with a callback reading your pool library's status
/// ([`ConnectionPool::observe`]).
///
/// # Examples
///
/// ```
/// # let meter = opentelemetry::global::meter("docs");
/// # let platform = marketplace_telemetry::platform::Platform::new(&meter);
/// use marketplace_telemetry::platform::PoolStatus;
/// let pools = platform.connection_pools(["main", "replica"]);
///
/// let main = pools.pool("main");       // guards: you wrap the checkout
/// main.set_max(10);
/// main.set_open(4);
/// let waiting = main.acquire();        // pending +1
/// let conn = waiting.acquired();       // pending −1, wait time recorded, used +1
/// drop(conn);                          // use time recorded, used −1
/// main.acquire().timed_out();          // db_client_connection_timeouts_total +1
///
/// pools.pool("replica").observe(|| PoolStatus { idle: 3, used: 1, max: 8, pending: 0 });
/// ```
#[derive(Clone)]
pub struct ConnectionPools {
    inner: Arc<PoolsInner>,
}

impl std::fmt::Debug for ConnectionPools {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionPools")
            .field("pools", &self.inner.shared.table)
            .finish()
    }
}

const POOL_NAME: &str = "db.client.connection.pool.name";

impl ConnectionPools {
    pub(crate) fn new(meter: &Meter, table: LabelTable) -> Self {
        let n = table.len();
        let attrs: Vec<Vec<KeyValue>> = (0..n).map(|i| table.attributes(i)).collect();
        let registered: Vec<bool> = (0..n)
            .map(|i| !table.is_fallback(LabelKey(i as u32)))
            .collect();
        let shared = Arc::new(PoolsShared {
            table,
            states: registered
                .iter()
                .map(|r| PoolState {
                    shown: AtomicBool::new(*r),
                    ..PoolState::default()
                })
                .collect(),
        });
        let bind_all = |h: Histogram<f64>| BoundRows::new(h, attrs.clone(), |i| registered[i]);
        let timeouts_counter = catalog::DB_CONNECTION_TIMEOUTS.u64_counter(meter, None);
        let timeouts = BoundRows::new(timeouts_counter, attrs.clone(), |i| registered[i]);
        let wait_time = bind_all(catalog::DB_CONNECTION_WAIT_TIME.f64_histogram(meter, None));
        let use_time = bind_all(catalog::DB_CONNECTION_USE_TIME.f64_histogram(meter, None));
        let create_time = bind_all(catalog::DB_CONNECTION_CREATE_TIME.f64_histogram(meter, None));

        let with_state = |state: &'static str| -> Vec<Vec<KeyValue>> {
            attrs
                .iter()
                .map(|a| {
                    let mut a = a.clone();
                    a.insert(0, KeyValue::new("db.client.connection.state", state));
                    a
                })
                .collect()
        };
        let (idle_attrs, used_attrs) = (with_state("idle"), with_state("used"));
        let s = shared.clone();
        let count = catalog::DB_CONNECTION_COUNT
            .i64_observable_up_down_counter(meter, None)
            .with_callback(move |o| {
                for (i, state) in s.states.iter().enumerate() {
                    if !state.shown.load(Ordering::Relaxed) {
                        continue;
                    }
                    let st = state.status();
                    o.observe(st.idle.min(i64::MAX as u64) as i64, &idle_attrs[i]);
                    o.observe(st.used.min(i64::MAX as u64) as i64, &used_attrs[i]);
                }
            })
            .build();
        let observe_one = |spec: &'static catalog::InstrumentSpec, pick: fn(&PoolStatus) -> u64| {
            let s = shared.clone();
            let attrs = attrs.clone();
            spec.i64_observable_up_down_counter(meter, None)
                .with_callback(move |o| {
                    for (i, state) in s.states.iter().enumerate() {
                        if !state.shown.load(Ordering::Relaxed) {
                            continue;
                        }
                        o.observe(pick(&state.status()).min(i64::MAX as u64) as i64, &attrs[i]);
                    }
                })
                .build()
        };
        let max = observe_one(&catalog::DB_CONNECTION_MAX, |s| s.max);
        let pending = observe_one(&catalog::DB_CONNECTION_PENDING, |s| s.pending);
        ConnectionPools {
            inner: Arc::new(PoolsInner {
                shared,
                timeouts,
                wait_time,
                use_time,
                create_time,
                _observed: [count, max, pending],
            }),
        }
    }

    /// The handle of pool `name` (unregistered names share the `other` row). Resolve it once
    /// and keep it.
    pub fn pool(&self, name: &str) -> ConnectionPool {
        let row = self.inner.shared.table.key(&[name]).index();
        if let Some(state) = self.inner.shared.states.get(row) {
            state.shown.store(true, Ordering::Relaxed);
        }
        ConnectionPool {
            row,
            inner: self.inner.clone(),
        }
    }
}

/// One registered pool (see [`ConnectionPools`]). Cheap to clone.
#[derive(Clone)]
pub struct ConnectionPool {
    inner: Arc<PoolsInner>,
    row: usize,
}

impl std::fmt::Debug for ConnectionPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("ConnectionPool").field(&self.name()).finish()
    }
}

impl ConnectionPool {
    fn state(&self) -> Option<&PoolState> {
        self.inner.shared.states.get(self.row)
    }

    /// The `db.client.connection.pool.name` value.
    pub fn name(&self) -> &str {
        self.inner
            .shared
            .table
            .row(self.row)
            .first()
            .map_or("", |v| v)
    }

    /// Sets `db.client.connection.max`.
    pub fn set_max(&self, max: u64) {
        if let Some(s) = self.state() {
            s.max
                .store(max.min(i64::MAX as u64) as i64, Ordering::Relaxed);
        }
    }

    /// Sets how many connections are open (idle = open − used).
    pub fn set_open(&self, open: u64) {
        if let Some(s) = self.state() {
            s.open
                .store(open.min(i64::MAX as u64) as i64, Ordering::Relaxed);
        }
    }

    /// Records the time it took to open a new connection (`db.client.connection.create_time`).
    pub fn connection_created(&self, took: Duration) {
        if let Some(h) = self.inner.create_time.get(self.row) {
            h.record(took.as_secs_f64());
        }
    }

    /// Reads the pool's state from `status` at each collection instead of from the
    /// guards and setters (for pool libraries that report it: deadpool's `status()`, bb8's
    /// `state()`, sqlx's `size()`/`num_idle()`). Keep `status` cheap and non-blocking.
    pub fn observe(&self, status: impl Fn() -> PoolStatus + Send + Sync + 'static) {
        if let Some(s) = self.state() {
            if let Ok(mut source) = s.source.write() {
                *source = Some(Box::new(status));
            }
        }
    }

    /// A caller starts waiting for a connection: `pending_requests` +1 until the returned
    /// guard is resolved ([`PendingConnection::acquired`], [`PendingConnection::timed_out`])
    /// or dropped (an abandoned wait: nothing recorded).
    #[inline]
    pub fn acquire(&self) -> PendingConnection {
        if let Some(s) = self.state() {
            s.pending.fetch_add(1, Ordering::Relaxed);
        }
        PendingConnection {
            pool: self.clone(),
            start: quanta::Instant::now(),
            done: false,
        }
    }
}

/// A wait for a pooled connection (see [`ConnectionPool::acquire`]).
#[must_use = "resolve the wait with acquired() or timed_out()"]
#[derive(Debug)]
pub struct PendingConnection {
    pool: ConnectionPool,
    start: quanta::Instant,
    done: bool,
}

impl PendingConnection {
    fn resolve(&mut self) {
        if !self.done {
            self.done = true;
            if let Some(s) = self.pool.state() {
                s.pending.fetch_sub(1, Ordering::Relaxed);
            }
        }
    }

    /// The connection was obtained: records `wait_time`, counts it used until the returned
    /// guard is dropped.
    #[inline]
    pub fn acquired(mut self) -> PooledConnection {
        self.resolve();
        let pool = self.pool.clone();
        if let Some(h) = pool.inner.wait_time.get(pool.row) {
            h.record(self.start.elapsed().as_secs_f64());
        }
        if let Some(s) = pool.state() {
            s.used.fetch_add(1, Ordering::Relaxed);
        }
        PooledConnection {
            pool,
            start: quanta::Instant::now(),
        }
    }

    /// The wait timed out: `db.client.connection.timeouts` +1.
    pub fn timed_out(mut self) {
        self.resolve();
        if let Some(c) = self.pool.inner.timeouts.get(self.pool.row) {
            c.add(1);
        }
    }
}

impl Drop for PendingConnection {
    fn drop(&mut self) {
        self.resolve();
    }
}

/// A connection lent out by a pool: counted `used` until dropped, when `use_time` is
/// recorded. Keep it beside the connection it stands for.
#[derive(Debug)]
pub struct PooledConnection {
    pool: ConnectionPool,
    start: quanta::Instant,
}

impl Drop for PooledConnection {
    fn drop(&mut self) {
        if let Some(h) = self.pool.inner.use_time.get(self.pool.row) {
            h.record(self.start.elapsed().as_secs_f64());
        }
        if let Some(s) = self.pool.state() {
            s.used.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

pub(crate) fn pool_table<I, S>(names: I) -> LabelTable
where
    I: IntoIterator<Item = S>,
    S: Into<Cow<'static, str>>,
{
    LabelTable::new(POOL_NAME, names)
}
