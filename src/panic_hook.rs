//! The panic hook `init_telemetry` installs (unless
//! [`with_panic_hook(false)`](crate::TelemetryConfigBuilder::with_panic_hook)): a panic becomes
//! an ERROR event through `tracing` — so it carries the `trace_id`/`span_id` of the span it
//! happened in and reaches the OTLP logs when they are on — the active span gets status error
//! with `error.type="panic"`, and [`PANICS`](crate::catalog::PANICS) counts it.
//! The hook that was installed before (the default one prints the message and, with
//! `RUST_BACKTRACE`, the backtrace) still runs afterwards.
//!
//! Written by hand: no maintained crate does the three together (`tracing-panic` logs only).

use std::panic::PanicHookInfo;

use opentelemetry::metrics::Counter;
use opentelemetry::trace::Status;
use opentelemetry::KeyValue;

use crate::catalog::with_active_span;

/// Installs the hook; `panics` is the counter it increments.
pub(crate) fn install(panics: Counter<u64>) {
    // The series exists from the start, at 0: `increase(..[5m]) > 0` alerts on the first one.
    panics.add(0, &[]);
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        record(info, &panics);
        previous(info);
    }));
}

fn record(info: &PanicHookInfo<'_>, panics: &Counter<u64>) {
    let message = payload(info);
    let location = info
        .location()
        .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()))
        .unwrap_or_default();
    let thread = std::thread::current();
    let thread = thread.name().unwrap_or("<unnamed>");
    // semconv names (`error.type`, `exception.message`, `code.*`); `target: "panic"` lets
    // RUST_LOG single these out.
    tracing::error!(
        target: "panic",
        {
            error.type = "panic",
            exception.message = message,
            code.location = location.as_str(),
            thread.name = thread
        },
        "panicked at {location}: {message}"
    );
    with_active_span(|span| {
        span.set_attribute(KeyValue::new("error.type", "panic"));
        span.set_status(Status::error(format!("panic: {message}")));
    });
    panics.add(1, &[]);
}

/// The panic message, when the payload is a string (it is for `panic!` and `unwrap`).
fn payload<'a>(info: &'a PanicHookInfo<'_>) -> &'a str {
    if let Some(s) = info.payload().downcast_ref::<&'static str>() {
        s
    } else if let Some(s) = info.payload().downcast_ref::<String>() {
        s.as_str()
    } else {
        "Box<dyn Any>"
    }
}
