//! How an operation ended, on the metric and on the span: [`OperationResult`] (what an
//! operation is finished with) and the span helpers every timed call uses (status *error* and
//! `error.type` on the active span).

use opentelemetry::trace::Status;
use opentelemetry::KeyValue;

use super::labels::{ErrorCode, ErrorCodeOf, Label};

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

/// Sets OpenTelemetry status *error* and `error.type` on the current span.
pub(crate) fn mark_span_error(code: ErrorCode) {
    mark_span_error_type(code.as_str());
}

/// Sets `error.type` on the current span without status *error* (a client fault).
pub(crate) fn mark_span_error_attribute(code: ErrorCode) {
    with_active_span(|span| {
        span.set_attribute(KeyValue::new("error.type", code.as_str()));
    });
}

/// Sets OpenTelemetry status *error* and `error.type` = `error_type` on the current span.
pub(crate) fn mark_span_error_type(error_type: &'static str) {
    with_active_span(|span| {
        span.set_attribute(KeyValue::new("error.type", error_type));
        span.set_status(Status::error(error_type));
    });
}

/// Runs `f` on the active OpenTelemetry span, if there is one that records.
///
/// tracing-opentelemetry (context activation, on in our subscriber and by default) makes the
/// OTel span of the entered `tracing` span the active one, so this reaches the same span as
/// `tracing::Span::current().set_attribute(..)` — without cloning the `tracing` span and
/// looking its extensions up in the registry (~140 ns a call with our subscriber, against
/// ~20 ns here: `benches/hot_path_in_span.rs`). A `tracing` span the trace filter excludes has
/// no OTel span: the nearest exported ancestor gets the attribute.
#[inline]
pub(crate) fn with_active_span(f: impl FnOnce(&opentelemetry::trace::SpanRef<'_>)) {
    use opentelemetry::trace::TraceContextExt as _;
    opentelemetry::Context::map_current(|cx| {
        if cx.has_active_span() {
            let span = cx.span();
            if span.is_recording() {
                f(&span);
            }
        }
    });
}
