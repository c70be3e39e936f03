//! The generic operation machinery every marketplace helper is built on: duration histograms
//! bound per label row × outcome (rows of a [`LabelTable`]: an enum's values or registered
//! runtime values), an error counter per error code, an in-flight up-down counter, and an RAII
//! guard that records on `finish` or on drop.

use std::borrow::Cow;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use opentelemetry::metrics::{
    BoundCounter, BoundHistogram, BoundUpDownCounter, Counter, Histogram, Meter, UpDownCounter,
};
use opentelemetry::KeyValue;

use super::catalog::{self, InstrumentSpec};
use crate::catalog::{
    mark_span_error, mark_span_error_attribute, Fault, LabelKey, LabelTable, OperationResult,
};
use crate::catalog::{ErrorCode, ErrorCodeOf, Label, Outcome};
use crate::exemplars::{Exemplars, SeriesExemplars};

/// Bound instruments of one label row: a duration per outcome, the result histogram.
struct Row {
    /// Success, error (server fault), cancelled: bound with the row.
    durations: [BoundHistogram<f64>; 3],
    /// Exemplar slots of each duration series, when exemplars are kept.
    exemplars: [Option<Arc<SeriesExemplars>>; 3],
    /// `outcome="client_error"`: bound on first use (most rows never see one).
    client_error: std::sync::OnceLock<(BoundHistogram<f64>, Option<Arc<SeriesExemplars>>)>,
    results: Option<BoundHistogram<u64>>,
}

/// Instruments bound once per operation: error counter per code, in-flight counter.
struct PerOperation {
    errors: Box<[BoundCounter<u64>]>,
    error_exemplars: Box<[Option<Arc<SeriesExemplars>>]>,
    active: BoundUpDownCounter<i64>,
}

/// Bound instruments of one operation over the rows of a [`LabelTable`]. Rows (and the
/// per-operation instruments) are bound at build when pre-bound, else on first use: what is
/// pre-bound is on the scrape at 0 from the start, the rest appears when first recorded.
pub(crate) struct OpInstruments {
    name: Cow<'static, str>,
    histogram: Histogram<f64>,
    results_histogram: Option<Histogram<u64>>,
    errors_counter: Counter<u64>,
    active_counter: UpDownCounter<i64>,
    rows: Box<[OnceLock<Row>]>,
    per_operation: OnceLock<PerOperation>,
    /// Level of the per-operation log event, if on.
    events: Option<tracing::Level>,
    table: LabelTable,
    exemplars: Option<Exemplars>,
    /// The duration histogram's family on the scrape, and its buckets.
    family: String,
    boundaries: Box<[f64]>,
    errors_family: String,
}

/// Names shared by every operation of one [`MarketplaceMetrics`](super::MarketplaceMetrics).
/// (and the settings they share).
pub(crate) struct SharedNames {
    pub(crate) errors: String,
    pub(crate) active: String,
    /// Level of the per-operation log events, if on.
    pub(crate) events: Option<tracing::Level>,
    /// Where exemplars go, if anywhere.
    pub(crate) exemplars: Option<Exemplars>,
    /// The error counter's family on the scrape (`…errors_total`).
    errors_family: String,
}

impl SharedNames {
    pub(crate) fn new(
        namespace: Option<&str>,
        events: Option<tracing::Level>,
        exemplars: Option<Exemplars>,
    ) -> Self {
        SharedNames {
            errors: catalog::ERRORS.otel_name(namespace),
            active: catalog::OPERATIONS_ACTIVE.otel_name(namespace),
            events,
            exemplars,
            errors_family: catalog::ERRORS.prometheus_name(namespace),
        }
    }
}

/// Which rows of an operation to bind at build.
#[derive(Clone, Copy)]
pub(crate) enum Prebind<'a> {
    /// Every registered row (`other` rows bind on first use).
    All,
    /// None: everything is bound on first use.
    Nothing,
    /// The rows whose index is listed.
    Rows(&'a [usize]),
}

impl OpInstruments {
    /// Creates the instruments and binds what `prebind` says.
    pub(crate) fn new(
        meter: &Meter,
        operation: Cow<'static, str>,
        duration: (&str, &'static str, &[f64]),
        table: LabelTable,
        results: Option<(&str, &InstrumentSpec)>,
        shared: &SharedNames,
        prebind: Prebind<'_>,
    ) -> Self {
        let (duration_name, description, boundaries) = duration;
        let histogram = meter
            .f64_histogram(duration_name.to_string())
            .with_unit("s")
            .with_description(description)
            .with_boundaries(boundaries.to_vec())
            .build();
        let errors_counter = meter
            .u64_counter(shared.errors.clone())
            .with_unit(catalog::ERRORS.unit)
            .with_description(catalog::ERRORS.description)
            .build();
        let active_counter = meter
            .i64_up_down_counter(shared.active.clone())
            .with_unit(catalog::OPERATIONS_ACTIVE.unit)
            .with_description(catalog::OPERATIONS_ACTIVE.description)
            .build();
        let results_histogram = results.map(|(name, spec)| {
            meter
                .u64_histogram(name.to_string())
                .with_unit(spec.unit)
                .with_description(spec.description)
                .with_boundaries(spec.boundaries.to_vec())
                .build()
        });
        let rows = (0..table.len()).map(|_| OnceLock::new()).collect();
        let op = OpInstruments {
            name: operation,
            histogram,
            results_histogram,
            errors_counter,
            active_counter,
            rows,
            per_operation: OnceLock::new(),
            events: shared.events,
            table,
            exemplars: shared.exemplars.clone(),
            family: format!("{}_seconds", duration_name.replace(['.', '-'], "_")),
            boundaries: boundaries.into(),
            errors_family: shared.errors_family.clone(),
        };
        let prebound: Box<dyn Iterator<Item = usize>> = match prebind {
            // `other` rows bind on their first use: no series for a value nobody registered.
            Prebind::All => {
                Box::new((0..op.rows.len()).filter(|i| !op.table.is_fallback(LabelKey(*i as u32))))
            }
            Prebind::Nothing => Box::new(std::iter::empty()),
            Prebind::Rows(rows) => Box::new(rows.iter().copied()),
        };
        let mut any = false;
        for i in prebound {
            any |= op.row(i).is_some();
        }
        if any {
            op.per_operation();
        }
        op
    }

    #[cold]
    fn bind_row(&self, i: usize) -> Row {
        let attrs = self.table.attributes(i);
        let outcomes = [Outcome::Success, Outcome::Error, Outcome::Cancelled].map(|outcome| {
            let mut a = attrs.clone();
            a.push(KeyValue::new(Outcome::KEY, outcome.as_str()));
            a
        });
        Row {
            durations: outcomes.clone().map(|a| self.histogram.bind(&a)),
            exemplars: outcomes.map(|a| {
                self.exemplars
                    .as_ref()
                    .and_then(|e| e.series(&self.family, &a, &self.boundaries))
            }),
            results: self.results_histogram.as_ref().map(|h| h.bind(&attrs)),
            client_error: std::sync::OnceLock::new(),
        }
    }

    /// The `outcome="client_error"` series of row `i`, bound on first use.
    #[cold]
    fn bind_client_error(&self, i: usize) -> (BoundHistogram<f64>, Option<Arc<SeriesExemplars>>) {
        let mut attrs = self.table.attributes(i);
        attrs.push(KeyValue::new(Outcome::KEY, Outcome::ClientError.as_str()));
        let exemplars = self
            .exemplars
            .as_ref()
            .and_then(|e| e.series(&self.family, &attrs, &self.boundaries));
        (self.histogram.bind(&attrs), exemplars)
    }

    #[cold]
    fn bind_per_operation(&self) -> PerOperation {
        let attrs: Vec<[KeyValue; 2]> = ErrorCode::ALL
            .iter()
            .map(|code| {
                [
                    KeyValue::new("operation", self.name.clone()),
                    KeyValue::new(ErrorCode::KEY, code.as_str()),
                ]
            })
            .collect();
        let errors = attrs.iter().map(|a| self.errors_counter.bind(a)).collect();
        let error_exemplars = attrs
            .iter()
            .map(|a| {
                self.exemplars
                    .as_ref()
                    .and_then(|e| e.series(&self.errors_family, a, &[]))
            })
            .collect();
        let active = self
            .active_counter
            .bind(&[KeyValue::new("operation", self.name.clone())]);
        PerOperation {
            errors,
            error_exemplars,
            active,
        }
    }

    #[inline]
    fn row(&self, i: usize) -> Option<&Row> {
        let cell = self.rows.get(i)?;
        Some(cell.get_or_init(|| self.bind_row(i)))
    }

    #[inline]
    fn per_operation(&self) -> &PerOperation {
        self.per_operation.get_or_init(|| self.bind_per_operation())
    }

    #[inline]
    pub(crate) fn start(&self, label: usize) -> OperationGuard<'_> {
        self.per_operation().active.add(1);
        OperationGuard {
            op: self,
            label,
            start: quanta::Instant::now(),
            done: false,
            results: AtomicU64::new(NO_RESULTS),
            cache_hit: None,
        }
    }
}

/// `results` not recorded.
const NO_RESULTS: u64 = u64::MAX;

/// An operation in progress: created by a helper such as
/// [`MarketplaceMetrics::search`](super::MarketplaceMetrics::search), it has started the clock
/// and counted itself in flight. Finish it with [`finish`](Self::finish) (outcome from a
/// `Result`), [`succeed`](Self::succeed) or [`fail`](Self::fail); dropped unfinished it records
/// `outcome="cancelled"`.
///
/// On failure the current `tracing` span gets OpenTelemetry status *error* and an `error.type`
/// attribute.
///
/// # Examples
///
/// ```
/// # let meter = opentelemetry::global::meter("docs");
/// use marketplace_telemetry::marketplace::{ErrorCode, ItemType, MarketplaceMetrics};
/// let metrics = MarketplaceMetrics::new(&meter);
///
/// let op = metrics.install(ItemType::Plugin);
/// let result: Result<(), ErrorCode> = Err(ErrorCode::Timeout);
/// let result = op.finish(result); // outcome=error, marketplace.errors{error_code="timeout"} += 1
/// assert!(result.is_err());
/// ```
#[must_use = "an operation dropped unfinished records outcome=cancelled"]
pub struct OperationGuard<'a> {
    op: &'a OpInstruments,
    label: usize,
    // quanta reads the TSC: ~10 ns here against ~25 ns for std::time::Instant (benches/).
    start: quanta::Instant,
    done: bool,
    /// The result count, for the log event ([`NO_RESULTS`] until recorded).
    results: AtomicU64,
    /// Hit or miss of a cache lookup, for the log event.
    pub(crate) cache_hit: Option<bool>,
}

impl std::fmt::Debug for OperationGuard<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OperationGuard")
            .field("operation", &self.op.name)
            .field("elapsed", &self.start.elapsed())
            .finish()
    }
}

impl OperationGuard<'_> {
    /// Records the outcome from `result` (and the error code on `Err`), then returns `result`
    /// so it can end a function.
    #[inline]
    pub fn finish<R: OperationResult>(mut self, result: R) -> R {
        match result.outcome() {
            Ok(()) => self.end(Outcome::Success, None),
            Err(code) => self.end(code.outcome(), Some(code)),
        }
        result
    }

    /// Records a success.
    #[inline]
    pub fn succeed(mut self) {
        self.end(Outcome::Success, None);
    }

    /// Records a failure with `code`.
    #[inline]
    pub fn fail(mut self, code: ErrorCode) {
        self.end(code.outcome(), Some(code));
    }

    /// Records a cancellation now (what dropping does).
    #[inline]
    pub fn cancel(mut self) {
        self.end(Outcome::Cancelled, None);
    }

    /// Records how many results the operation produced (searches) and sets the
    /// `marketplace.results` attribute on the current span. No-op for operations without a
    /// result histogram.
    #[inline]
    pub fn results(&self, count: u64) {
        if self.op.results_histogram.is_some() {
            if let Some(h) = self.op.row(self.label).and_then(|r| r.results.as_ref()) {
                h.record(count);
            }
            if self.op.events.is_some() {
                self.results.store(count, Ordering::Relaxed);
            }
            let count = count.min(i64::MAX as u64) as i64;
            crate::catalog::with_active_span(|span| {
                span.set_attribute(KeyValue::new("marketplace.results", count));
            });
        }
    }

    #[inline]
    fn end(&mut self, outcome: Outcome, code: Option<ErrorCode>) {
        if self.done {
            return;
        }
        self.done = true;
        let now = quanta::Instant::now();
        let elapsed = now.saturating_duration_since(self.start).as_secs_f64();
        if let Some(row) = self.op.row(self.label) {
            let (duration, exemplars) = match row.durations.get(outcome.index()) {
                Some(d) => (d, row.exemplars[outcome.index()].as_ref()),
                None => {
                    let (d, e) = row
                        .client_error
                        .get_or_init(|| self.op.bind_client_error(self.label));
                    (d, e.as_ref())
                }
            };
            duration.record(elapsed);
            if let Some(e) = exemplars {
                e.offer(elapsed, now);
            }
        }
        let per_operation = self.op.per_operation();
        per_operation.active.add(-1);
        if let Some(code) = code {
            if let Some(c) = per_operation.errors.get(code.index()) {
                c.add(1);
            }
            if let Some(Some(e)) = per_operation.error_exemplars.get(code.index()) {
                e.offer(1.0, now);
            }
            match code.fault() {
                Fault::Server => mark_span_error(code),
                // The caller's fault: `error.type` on the span, status left unset (as the HTTP
                // conventions do for a server's 4xx).
                Fault::Client => mark_span_error_attribute(code),
            }
        }
        if let Some(level) = self.op.events {
            self.event(level, outcome, code, elapsed);
        }
    }

    /// The operation's log event (inside its span, so it carries the trace ids).
    #[cold]
    #[inline(never)]
    fn event(&self, level: tracing::Level, outcome: Outcome, code: Option<ErrorCode>, secs: f64) {
        use tracing::Level;
        let operation: &str = &self.op.name;
        let row = self.op.table.row(self.label);
        let key = if row.len() == 1 {
            self.op.table.keys().next().unwrap_or("")
        } else {
            ""
        };
        let described;
        let value: &str = match row {
            [v] => v,
            _ => {
                described = self.op.table.describe(self.label);
                &described
            }
        };
        let outcome = outcome.as_str();
        let duration_ms = secs * 1000.0;
        let error_code = code.map(ErrorCode::as_str);
        let results = Some(self.results.load(Ordering::Relaxed)).filter(|r| *r != NO_RESULTS);
        let cache_hit = self.cache_hit;
        // `tracing` needs the level and field names at compile time: one callsite per level
        // and label key.
        macro_rules! event {
            ($level:expr) => {
                match key {
                    "item_type" => tracing::event!(
                        $level,
                        operation,
                        item_type = value,
                        outcome,
                        duration_ms,
                        error_code,
                        results,
                        cache_hit,
                        "operation finished"
                    ),
                    "query_kind" => tracing::event!(
                        $level,
                        operation,
                        query_kind = value,
                        outcome,
                        duration_ms,
                        error_code,
                        results,
                        cache_hit,
                        "operation finished"
                    ),
                    "cache" => tracing::event!(
                        $level,
                        operation,
                        cache = value,
                        outcome,
                        duration_ms,
                        error_code,
                        results,
                        cache_hit,
                        "operation finished"
                    ),
                    _ => tracing::event!(
                        $level,
                        operation,
                        label = value,
                        outcome,
                        duration_ms,
                        error_code,
                        results,
                        cache_hit,
                        "operation finished"
                    ),
                }
            };
        }
        if level == Level::ERROR {
            event!(Level::ERROR)
        } else if level == Level::WARN {
            event!(Level::WARN)
        } else if level == Level::INFO {
            event!(Level::INFO)
        } else if level == Level::DEBUG {
            event!(Level::DEBUG)
        } else {
            event!(Level::TRACE)
        }
    }
}

impl Drop for OperationGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        self.end(Outcome::Cancelled, None);
    }
}

/// Telemetry for an operation of your own with a bounded label `L`: a duration histogram
/// `<name>.duration{L::KEY, outcome}`, errors in `marketplace.errors{operation=<name>}`, and
/// `marketplace.operations.active{operation=<name>}`. The marketplace helpers are instances of
/// it. Cheap to clone.
///
/// # Examples
///
/// ```
/// # let meter = opentelemetry::global::meter("docs");
/// use marketplace_telemetry::marketplace::{ErrorCode, MarketplaceMetrics};
///
/// marketplace_telemetry::label_enum! {
///     pub enum Queue: "queue" { Ingest => "ingest", Reindex => "reindex" }
/// }
///
/// let metrics = MarketplaceMetrics::new(&meter);
/// let consume = metrics.operation::<Queue>("queue.consume", &[0.001, 0.01, 0.1, 0.2, 1.0]);
/// let op = consume.start(Queue::Ingest);
/// op.succeed(); // queue_consume_duration_seconds{queue="ingest",outcome="success"}
/// ```
pub struct OperationMetrics<L: Label> {
    inner: Arc<OpInstruments>,
    _label: PhantomData<fn(L)>,
}

impl<L: Label> Clone for OperationMetrics<L> {
    fn clone(&self) -> Self {
        OperationMetrics {
            inner: self.inner.clone(),
            _label: PhantomData,
        }
    }
}

impl<L: Label> std::fmt::Debug for OperationMetrics<L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OperationMetrics")
            .field("operation", &self.inner.name)
            .field("label", &L::KEY)
            .finish()
    }
}

impl<L: Label> OperationMetrics<L> {
    pub(crate) fn from_instruments(inner: OpInstruments) -> Self {
        OperationMetrics {
            inner: Arc::new(inner),
            _label: PhantomData,
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn build(
        meter: &Meter,
        operation: Cow<'static, str>,
        duration_name: &str,
        description: &'static str,
        boundaries: &[f64],
        results: Option<(&str, &InstrumentSpec)>,
        shared: &SharedNames,
        prebind: Prebind<'_>,
    ) -> Self {
        let values: Vec<&'static str> = L::ALL.iter().map(|l| l.as_str()).collect();
        Self::from_instruments(OpInstruments::new(
            meter,
            operation,
            (duration_name, description, boundaries),
            LabelTable::closed(L::KEY, &values),
            results,
            shared,
            prebind,
        ))
    }

    /// Starts the operation: clock running, in flight +1.
    #[inline]
    pub fn start(&self, label: L) -> OperationGuard<'_> {
        self.inner.start(label.index())
    }

    /// Times a future returning `Result`: outcome from its output, `cancelled` if it is
    /// dropped before completion.
    pub async fn time<F, T, E>(&self, label: L, fut: F) -> Result<T, E>
    where
        F: Future<Output = Result<T, E>>,
        E: ErrorCodeOf,
    {
        let op = self.start(label);
        let result = fut.await;
        op.finish(result)
    }

    /// Times a closure returning `Result`.
    pub fn time_sync<T, E: ErrorCodeOf>(
        &self,
        label: L,
        f: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, E> {
        let op = self.start(label);
        op.finish(f())
    }

    /// The `operation` label value.
    pub fn name(&self) -> &str {
        &self.inner.name
    }
}

/// An operation of your own over one to three labels with runtime values registered at init
/// (a [`LabelTable`]): `package × tier`, `tenant × plan`… — same series as
/// [`OperationMetrics`] (`<name>.duration{labels…, outcome}`, `marketplace.errors`,
/// `marketplace.operations.active`), every row pre-bound, unknown values counted as
/// [`OTHER`](super::OTHER). Resolve a row once with [`key`](Self::key) for the cheapest call
/// (an index), or pass the values each time to [`start`](Self::start) (a scan of the
/// registered rows; never allocates).
///
/// # Examples
///
/// ```
/// # let meter = opentelemetry::global::meter("docs");
/// use marketplace_telemetry::marketplace::{LabelTable, MarketplaceMetrics};
///
/// let metrics = MarketplaceMetrics::new(&meter);
/// let installs = metrics.labeled_operation(
///     "package.install",
///     &[0.01, 0.1, 0.2, 1.0, 10.0],
///     LabelTable::new("package", ["serde", "tokio"]).cross("tier", ["free", "pro"]),
/// );
/// let op = installs.start(&["tokio", "pro"]);
/// op.succeed(); // package_install_duration_seconds{package="tokio",tier="pro",outcome="success"}
///
/// let hot = installs.key(&["serde", "free"]); // resolve once, keep
/// installs.start_key(hot).succeed();
/// installs.start(&["left-pad", "free"]).succeed(); // package="other"
/// ```
#[derive(Clone)]
pub struct LabeledOperation {
    inner: Arc<OpInstruments>,
}

impl std::fmt::Debug for LabeledOperation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LabeledOperation")
            .field("operation", &self.inner.name)
            .field("labels", &self.inner.table)
            .finish()
    }
}

impl LabeledOperation {
    pub(crate) fn new(inner: OpInstruments) -> Self {
        LabeledOperation {
            inner: Arc::new(inner),
        }
    }

    /// The row of `values` (one per label, in the table's order).
    #[inline]
    pub fn key(&self, values: &[&str]) -> LabelKey {
        self.inner.table.key(values)
    }

    /// Starts the operation for `values`: clock running, in flight +1.
    #[inline]
    pub fn start(&self, values: &[&str]) -> OperationGuard<'_> {
        self.inner.start(self.key(values).index())
    }

    /// Starts the operation for a resolved row.
    #[inline]
    pub fn start_key(&self, key: LabelKey) -> OperationGuard<'_> {
        self.inner.start(key.index())
    }

    /// Times a future returning `Result` (see [`OperationMetrics::time`]).
    pub async fn time<F, T, E>(&self, key: LabelKey, fut: F) -> Result<T, E>
    where
        F: Future<Output = Result<T, E>>,
        E: ErrorCodeOf,
    {
        let op = self.start_key(key);
        let result = fut.await;
        op.finish(result)
    }

    /// The label table.
    pub fn labels(&self) -> &LabelTable {
        &self.inner.table
    }

    /// The `operation` label value.
    pub fn name(&self) -> &str {
        &self.inner.name
    }
}
