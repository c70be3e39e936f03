//! The machinery the platform handles share: histograms bound per label row the semantic
//! conventions' way (`error.type` absent on success, set on failure) and an RAII timer.

use std::sync::OnceLock;

use opentelemetry::metrics::{BoundHistogram, Histogram};
use opentelemetry::KeyValue;

use crate::catalog::{ErrorCode, ErrorCodeOf, Label, LabelTable, OperationResult};

/// `error.type` of an operation dropped before it finished.
pub const CANCELLED: &str = "cancelled";

/// How many `error.type` values a row can have: the [`ErrorCode`]s and [`CANCELLED`].
const ERROR_TYPES: usize = 10;

fn error_type(code: Option<ErrorCode>) -> &'static str {
    code.map_or(CANCELLED, ErrorCode::as_str)
}

/// A histogram over the rows of a table, plus constant attributes: the success series of each
/// row bound at build (or on first use when not pre-bound), each `error.type` series on its
/// first failure.
pub(crate) struct TimedRows {
    histogram: Histogram<f64>,
    table: LabelTable,
    constant: Vec<KeyValue>,
    ok: Box<[OnceLock<BoundHistogram<f64>>]>,
    /// `rows × ERROR_TYPES`: index `row * ERROR_TYPES + code` (`ERROR_TYPES - 1` = cancelled).
    errors: Box<[OnceLock<BoundHistogram<f64>>]>,
}

impl TimedRows {
    pub(crate) fn new(
        histogram: Histogram<f64>,
        table: LabelTable,
        constant: Vec<KeyValue>,
        prebind: impl Fn(usize) -> bool,
    ) -> Self {
        let rows = table.len();
        let this = TimedRows {
            histogram,
            table,
            constant,
            ok: (0..rows).map(|_| OnceLock::new()).collect(),
            errors: (0..rows * ERROR_TYPES).map(|_| OnceLock::new()).collect(),
        };
        for row in (0..rows).filter(|r| prebind(*r)) {
            this.ok_series(row);
        }
        this
    }

    pub(crate) fn table(&self) -> &LabelTable {
        &self.table
    }

    pub(crate) fn attributes(&self, row: usize) -> Vec<KeyValue> {
        let mut a = self.constant.clone();
        a.extend(self.table.attributes(row));
        a
    }

    fn ok_series(&self, row: usize) -> Option<&BoundHistogram<f64>> {
        let cell = self.ok.get(row)?;
        Some(cell.get_or_init(|| self.histogram.bind(&self.attributes(row))))
    }

    #[cold]
    fn error_series(&self, row: usize, code: Option<ErrorCode>) -> Option<&BoundHistogram<f64>> {
        let i = code.map_or(ERROR_TYPES - 1, |c| c.index());
        let cell = self.errors.get(row * ERROR_TYPES + i)?;
        Some(cell.get_or_init(|| {
            let mut a = self.attributes(row);
            a.push(KeyValue::new("error.type", error_type(code)));
            self.histogram.bind(&a)
        }))
    }

    /// Records `value` for `row`: success when `error` is `None`.
    #[inline]
    pub(crate) fn record(&self, row: usize, value: f64, error: Option<Option<ErrorCode>>) {
        let series = match error {
            None => self.ok_series(row),
            Some(code) => self.error_series(row, code),
        };
        if let Some(h) = series {
            h.record(value);
        }
    }
}

/// A call in progress on a platform instrument (a DB query, a message being processed, an LLM
/// call): the clock runs from its creation. Finish it with [`finish`](Self::finish),
/// [`succeed`](Self::succeed) or [`fail`](Self::fail); dropped unfinished it records
/// `error.type="cancelled"`. A failure also sets status *error* and `error.type` on the
/// current span. DB and LLM calls inside a sampled trace also record their semantic-convention
/// client span (a child of the current span, ended with the call, status *error* and
/// `error.type` on failure); outside one they make no span and allocate nothing for it.
///
/// # Examples
///
/// ```
/// # let meter = opentelemetry::global::meter("docs");
/// # let platform = marketplace_telemetry::platform::Platform::new(&meter);
/// use marketplace_telemetry::marketplace::ErrorCode;
/// let db = platform.db_client("postgresql", ["SELECT"], ["packages"]);
/// let call = db.query("SELECT", "packages");
/// let rows: Result<Vec<u8>, ErrorCode> = Ok(vec![1, 2]);
/// let rows = call.finish(rows); // db_client_operation_duration_seconds{…} (no error_type)
/// ```
#[must_use = "a call dropped unfinished records error.type=\"cancelled\""]
pub struct TimedCall<'a> {
    rows: &'a TimedRows,
    row: usize,
    start: quanta::Instant,
    done: bool,
    /// The semconv client span of the call, when the caller's trace is sampled.
    span: Option<tracing::Span>,
}

/// Whether the active OpenTelemetry context (the entered `tracing` span's) is sampled: client
/// spans are made only then, so a call outside a sampled trace allocates nothing for them.
#[inline]
pub(crate) fn in_sampled_trace() -> bool {
    use opentelemetry::trace::TraceContextExt as _;
    opentelemetry::Context::map_current(|cx| cx.span().span_context().is_sampled())
}

impl std::fmt::Debug for TimedCall<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TimedCall")
            .field("labels", &self.rows.table().row(self.row))
            .field("elapsed", &self.start.elapsed())
            .finish()
    }
}

impl<'a> TimedCall<'a> {
    #[inline]
    pub(crate) fn start(rows: &'a TimedRows, row: usize) -> Self {
        Self::start_with_span(rows, row, None)
    }

    /// A call with its client span (ended, with status and `error.type` on failure, when the
    /// call ends).
    #[inline]
    pub(crate) fn start_with_span(
        rows: &'a TimedRows,
        row: usize,
        span: Option<tracing::Span>,
    ) -> Self {
        TimedCall {
            rows,
            row,
            start: quanta::Instant::now(),
            done: false,
            span,
        }
    }

    /// The call's span (DB and LLM client spans, a queue message's consumer span) — a
    /// disabled span when it has none. Enter it, or `instrument` a future with it, to make
    /// the work it times its children:
    /// `call.span().in_scope(|| handle(message))`.
    pub fn span(&self) -> tracing::Span {
        self.span.clone().unwrap_or_else(tracing::Span::none)
    }

    /// The call's span without a clone, for recording on it.
    pub(crate) fn span_ref(&self) -> Option<&tracing::Span> {
        self.span.as_ref()
    }

    /// Records success or, on `Err`, the error's [`ErrorCode`] as `error.type`; returns
    /// `result`.
    #[inline]
    pub fn finish<R: OperationResult>(mut self, result: R) -> R {
        match result.outcome() {
            Ok(()) => self.end(None),
            Err(code) => self.end(Some(Some(code))),
        }
        result
    }

    /// Records a success.
    #[inline]
    pub fn succeed(mut self) {
        self.end(None);
    }

    /// Records a failure: `error.type` = `code`.
    #[inline]
    pub fn fail(mut self, code: impl ErrorCodeOf) {
        self.end(Some(Some(code.error_code())));
    }

    /// Seconds since the call started.
    pub fn elapsed(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }

    pub(crate) fn row(&self) -> usize {
        self.row
    }

    #[inline]
    fn end(&mut self, error: Option<Option<ErrorCode>>) {
        if self.done {
            return;
        }
        self.done = true;
        self.rows
            .record(self.row, self.start.elapsed().as_secs_f64(), error);
        if let Some(code) = error {
            crate::catalog::mark_span_error_type(error_type(code));
            if let Some(span) = &self.span {
                span.record("otel.status_code", "ERROR");
                span.record("error.type", error_type(code));
            }
        }
        // Dropping the span ends it.
        self.span = None;
    }
}

impl Drop for TimedCall<'_> {
    #[inline]
    fn drop(&mut self) {
        self.end(Some(None));
    }
}
