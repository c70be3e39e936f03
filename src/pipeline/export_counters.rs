//! Loss made visible: every OTLP exporter is wrapped so that each export — batches and items,
//! success or failure, per signal — is counted on our own meter provider
//! (`telemetry_export_batches_total`, `telemetry_export_items_total`). The SDK logs failed
//! exports and drops the data; these counters let an alert see it.

use std::fmt;
use std::time::Duration;

use opentelemetry::metrics::{BoundCounter, Meter};
use opentelemetry::KeyValue;
use opentelemetry_sdk::error::OTelSdkResult;

use crate::signal::{Signal, EXPORT_BATCHES, EXPORT_ITEMS};

pub(crate) struct ExportCounters {
    batches_ok: BoundCounter<u64>,
    batches_failed: BoundCounter<u64>,
    items_ok: BoundCounter<u64>,
    items_failed: BoundCounter<u64>,
}

impl ExportCounters {
    pub(crate) fn new(meter: &Meter, signal: Signal) -> Self {
        let batches = meter
            .u64_counter(EXPORT_BATCHES)
            .with_unit("{batch}")
            .with_description("OTLP export calls by signal and outcome.")
            .build();
        let items = meter
            .u64_counter(EXPORT_ITEMS)
            .with_unit("{item}")
            .with_description("Spans, log records or metric points exported (success) or lost (failure), by signal.")
            .build();
        let attrs = |outcome: &'static str| {
            [
                KeyValue::new("signal", signal.as_str()),
                KeyValue::new("outcome", outcome),
            ]
        };
        ExportCounters {
            batches_ok: batches.bind(&attrs("success")),
            batches_failed: batches.bind(&attrs("failure")),
            items_ok: items.bind(&attrs("success")),
            items_failed: items.bind(&attrs("failure")),
        }
    }

    fn record(&self, result: &OTelSdkResult, items: u64) {
        if result.is_ok() {
            self.batches_ok.add(1);
            self.items_ok.add(items);
        } else {
            self.batches_failed.add(1);
            self.items_failed.add(items);
        }
    }
}

/// Counters that can be set after the exporter is built (the metric exporter's counters live
/// in the very provider that owns the exporter).
pub(crate) type CounterSlot = std::sync::Arc<std::sync::OnceLock<ExportCounters>>;

/// An exporter that counts what it exports.
pub(crate) struct Counted<E> {
    inner: E,
    counters: CounterSlot,
}

impl<E> Counted<E> {
    pub(crate) fn new(inner: E, counters: CounterSlot) -> Self {
        Counted { inner, counters }
    }

    fn record(&self, result: &OTelSdkResult, items: u64) {
        if let Some(c) = self.counters.get() {
            c.record(result, items);
        }
    }
}

/// A slot already holding the counters for `signal`.
pub(crate) fn slot(meter: &Meter, signal: Signal) -> CounterSlot {
    let slot = CounterSlot::default();
    let _ = slot.set(ExportCounters::new(meter, signal));
    slot
}

// Never format the inner exporter: the SDK's exporters print header values in `Debug`.
impl<E> fmt::Debug for Counted<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CountedExporter")
    }
}

impl<E: opentelemetry_sdk::trace::SpanExporter> opentelemetry_sdk::trace::SpanExporter
    for Counted<E>
{
    async fn export(&self, batch: Vec<opentelemetry_sdk::trace::SpanData>) -> OTelSdkResult {
        let n = batch.len() as u64;
        let result = self.inner.export(batch).await;
        self.record(&result, n);
        result
    }
    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }
    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }
    fn set_resource(&mut self, resource: &opentelemetry_sdk::Resource) {
        self.inner.set_resource(resource)
    }
}

impl<E: opentelemetry_sdk::logs::LogExporter> opentelemetry_sdk::logs::LogExporter for Counted<E> {
    async fn export(&self, batch: opentelemetry_sdk::logs::LogBatch<'_>) -> OTelSdkResult {
        let n = batch.iter().count() as u64;
        let result = self.inner.export(batch).await;
        self.record(&result, n);
        result
    }
    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }
    fn event_enabled(
        &self,
        level: opentelemetry::logs::Severity,
        target: &str,
        name: Option<&str>,
    ) -> bool {
        self.inner.event_enabled(level, target, name)
    }
    fn set_resource(&mut self, resource: &opentelemetry_sdk::Resource) {
        self.inner.set_resource(resource)
    }
}

impl<E: opentelemetry_sdk::metrics::exporter::PushMetricExporter>
    opentelemetry_sdk::metrics::exporter::PushMetricExporter for Counted<E>
{
    async fn export(
        &self,
        metrics: &opentelemetry_sdk::metrics::data::ResourceMetrics,
    ) -> OTelSdkResult {
        let n = metrics
            .scope_metrics()
            .map(|s| s.metrics().count())
            .sum::<usize>() as u64;
        let result = self.inner.export(metrics).await;
        self.record(&result, n);
        result
    }
    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }
    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }
    fn temporality(&self) -> opentelemetry_sdk::metrics::Temporality {
        self.inner.temporality()
    }
}
