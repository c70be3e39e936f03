//! The generic operation machinery every marketplace helper is built on: pre-bound duration
//! histograms indexed by `label × outcome`, a pre-bound error counter per error code, an
//! in-flight up-down counter, and an RAII guard that records on `finish` or on drop.

use std::borrow::Cow;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use opentelemetry::metrics::{BoundCounter, BoundHistogram, BoundUpDownCounter, Meter};
use opentelemetry::trace::Status;
use opentelemetry::KeyValue;

use super::catalog::{self, InstrumentSpec};
use super::labels::{ErrorCode, ErrorCodeOf, Label, Outcome};

/// Bound instruments of one operation, for `n` label values.
pub(crate) struct OpInstruments {
    name: Cow<'static, str>,
    outcomes: usize,
    durations: Box<[BoundHistogram<f64>]>,
    errors: Box<[BoundCounter<u64>]>,
    active: BoundUpDownCounter<i64>,
    results: Option<Box<[BoundHistogram<u64>]>>,
    /// Level of the per-operation log event, if on.
    events: Option<tracing::Level>,
    label_key: &'static str,
    label_values: Box<[Cow<'static, str>]>,
}

/// Names shared by every operation of one [`MarketplaceMetrics`](super::MarketplaceMetrics).
/// (and the settings they share).
pub(crate) struct SharedNames {
    pub(crate) errors: String,
    pub(crate) active: String,
    /// Level of the per-operation log events, if on.
    pub(crate) events: Option<tracing::Level>,
}

impl SharedNames {
    pub(crate) fn new(namespace: Option<&str>, events: Option<tracing::Level>) -> Self {
        SharedNames {
            errors: catalog::ERRORS.otel_name(namespace),
            active: catalog::OPERATIONS_ACTIVE.otel_name(namespace),
            events,
        }
    }
}

impl OpInstruments {
    /// Binds every series up front: `label_values.len() × 3` durations, 9 error codes.
    pub(crate) fn new(
        meter: &Meter,
        operation: Cow<'static, str>,
        duration: (&str, &'static str, &[f64]),
        label_key: &'static str,
        label_values: &[Cow<'static, str>],
        results: Option<(&str, &InstrumentSpec)>,
        shared: &SharedNames,
    ) -> Self {
        let (duration_name, description, boundaries) = duration;
        let histogram = meter
            .f64_histogram(duration_name.to_string())
            .with_unit("s")
            .with_description(description)
            .with_boundaries(boundaries.to_vec())
            .build();
        let mut durations = Vec::with_capacity(label_values.len() * Outcome::ALL.len());
        for value in label_values {
            for outcome in Outcome::ALL {
                durations.push(histogram.bind(&[
                    KeyValue::new(label_key, value.clone()),
                    KeyValue::new(Outcome::KEY, outcome.as_str()),
                ]));
            }
        }
        let errors_counter = meter
            .u64_counter(shared.errors.clone())
            .with_unit(catalog::ERRORS.unit)
            .with_description(catalog::ERRORS.description)
            .build();
        let errors = ErrorCode::ALL
            .iter()
            .map(|code| {
                errors_counter.bind(&[
                    KeyValue::new("operation", operation.clone()),
                    KeyValue::new(ErrorCode::KEY, code.as_str()),
                ])
            })
            .collect();
        let active = meter
            .i64_up_down_counter(shared.active.clone())
            .with_unit(catalog::OPERATIONS_ACTIVE.unit)
            .with_description(catalog::OPERATIONS_ACTIVE.description)
            .build()
            .bind(&[KeyValue::new("operation", operation.clone())]);
        let results = results.map(|(name, spec)| {
            let h = meter
                .u64_histogram(name.to_string())
                .with_unit(spec.unit)
                .with_description(spec.description)
                .with_boundaries(spec.boundaries.to_vec())
                .build();
            label_values
                .iter()
                .map(|value| h.bind(&[KeyValue::new(label_key, value.clone())]))
                .collect()
        });
        OpInstruments {
            name: operation,
            outcomes: Outcome::ALL.len(),
            durations: durations.into_boxed_slice(),
            errors,
            active,
            results,
            events: shared.events,
            label_key,
            label_values: label_values.into(),
        }
    }

    #[inline]
    pub(crate) fn start(&self, label: usize) -> OperationGuard<'_> {
        self.active.add(1);
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

/// What an operation can be finished with: `Result<T, E>` or `&Result<T, E>` where the error
/// names its [`ErrorCode`] through [`ErrorCodeOf`].
pub trait OperationResult {
    /// `Ok(())` for success, `Err(code)` for failure.
    fn outcome(&self) -> Result<(), ErrorCode>;
}

impl<T, E: ErrorCodeOf> OperationResult for Result<T, E> {
    #[inline]
    fn outcome(&self) -> Result<(), ErrorCode> {
        match self {
            Ok(_) => Ok(()),
            Err(e) => Err(e.error_code()),
        }
    }
}

impl<T, E: ErrorCodeOf> OperationResult for &Result<T, E> {
    #[inline]
    fn outcome(&self) -> Result<(), ErrorCode> {
        (**self).outcome()
    }
}

impl OperationGuard<'_> {
    /// Records the outcome from `result` (and the error code on `Err`), then returns `result`
    /// so it can end a function.
    #[inline]
    pub fn finish<R: OperationResult>(mut self, result: R) -> R {
        match result.outcome() {
            Ok(()) => self.end(Outcome::Success, None),
            Err(code) => self.end(Outcome::Error, Some(code)),
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
        self.end(Outcome::Error, Some(code));
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
        if let Some(results) = &self.op.results {
            if let Some(h) = results.get(self.label) {
                h.record(count);
            }
            if self.op.events.is_some() {
                self.results.store(count, Ordering::Relaxed);
            }
            let count = count.min(i64::MAX as u64) as i64;
            super::with_active_span(|span| {
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
        let elapsed = self.start.elapsed().as_secs_f64();
        if let Some(h) = self
            .op
            .durations
            .get(self.label * self.op.outcomes + outcome.index())
        {
            h.record(elapsed);
        }
        self.op.active.add(-1);
        if let Some(code) = code {
            if let Some(c) = self.op.errors.get(code.index()) {
                c.add(1);
            }
            mark_span_error(code);
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
        let value: &str = self.op.label_values.get(self.label).map_or("", |v| v);
        let outcome = outcome.as_str();
        let duration_ms = secs * 1000.0;
        let error_code = code.map(ErrorCode::as_str);
        let results = Some(self.results.load(Ordering::Relaxed)).filter(|r| *r != NO_RESULTS);
        let cache_hit = self.cache_hit;
        // `tracing` needs the level and field names at compile time: one callsite per level
        // and label key.
        macro_rules! event {
            ($level:expr) => {
                match self.op.label_key {
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

/// Sets OpenTelemetry status *error* and `error.type` on the current span.
pub(crate) fn mark_span_error(code: ErrorCode) {
    super::with_active_span(|span| {
        span.set_attribute(KeyValue::new("error.type", code.as_str()));
        span.set_status(Status::error(code.as_str()));
    });
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

    pub(crate) fn build(
        meter: &Meter,
        operation: Cow<'static, str>,
        duration_name: &str,
        description: &'static str,
        boundaries: &[f64],
        results: Option<(&str, &InstrumentSpec)>,
        shared: &SharedNames,
    ) -> Self {
        let values: Vec<Cow<'static, str>> =
            L::ALL.iter().map(|l| Cow::Borrowed(l.as_str())).collect();
        Self::from_instruments(OpInstruments::new(
            meter,
            operation,
            (duration_name, description, boundaries),
            L::KEY,
            &values,
            results,
            shared,
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
