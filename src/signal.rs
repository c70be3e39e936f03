//! The vocabulary every layer shares: the three signals, this crate's instrumentation scope
//! and the names of its export counters. A leaf module: it imports nothing from the crate.

/// Instrumentation scope of everything this crate records.
pub(crate) const SCOPE: &str = "marketplace-telemetry";

/// OpenTelemetry names of the SDK's self-telemetry (scrape: `telemetry_export_batches_total`,
/// `telemetry_export_items_total`, labels `signal`, `outcome` = `success` | `failure`).
pub const EXPORT_BATCHES: &str = "telemetry.export.batches";
/// See [`EXPORT_BATCHES`]; items are spans, log records or metric data points.
pub const EXPORT_ITEMS: &str = "telemetry.export.items";

/// The three OpenTelemetry signals.
///
/// # Examples
///
/// ```
/// use marketplace_telemetry::config::Signal;
/// assert_eq!(Signal::Traces.as_str(), "traces");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Signal {
    /// Spans.
    Traces,
    /// Metric points.
    Metrics,
    /// Log records.
    Logs,
}

impl Signal {
    /// Lower-case name, as used in OTLP paths and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Signal::Traces => "traces",
            Signal::Metrics => "metrics",
            Signal::Logs => "logs",
        }
    }

    /// The OTLP/HTTP path of the signal (`/v1/traces`, ...).
    pub(crate) fn http_path(self) -> &'static str {
        match self {
            Signal::Traces => "/v1/traces",
            Signal::Metrics => "/v1/metrics",
            Signal::Logs => "/v1/logs",
        }
    }
}
