//! The limits opentelemetry-sdk 0.33 does not apply itself, applied in an exporter wrapper on
//! the export thread (never on the recording path): the attribute value length of spans
//! (`OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT`), and the attribute count and value length of log
//! records (`OTEL_LOGRECORD_*`). The SDK applies the span count limits itself
//! ([`SdkTracerProvider`](opentelemetry_sdk::trace::SdkTracerProvider)'s `with_span_limits`).
//!
//! Strings are truncated at a character boundary to at most `n` characters, arrays of strings
//! element by element, as the specification prescribes; other values are left alone.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use opentelemetry::logs::{AnyValue, LogRecord as _, Logger as _, LoggerProvider as _};
use opentelemetry::{Array, KeyValue, StringValue, Value};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::logs::{LogBatch, LogExporter, SdkLogRecord};
use opentelemetry_sdk::trace::{SpanData, SpanExporter};

use crate::config::LogRecordLimits;

/// `s` cut to at most `n` characters, or `None` when it is within the limit.
fn truncated(s: &str, n: usize) -> Option<String> {
    let (cut, _) = s.char_indices().nth(n)?;
    Some(s[..cut].to_string())
}

fn limit_value(value: &mut Value, n: usize) {
    match value {
        Value::String(s) => {
            if let Some(t) = truncated(s.as_str(), n) {
                *s = StringValue::from(t);
            }
        }
        Value::Array(Array::String(items)) => {
            for s in items.iter_mut() {
                if let Some(t) = truncated(s.as_str(), n) {
                    *s = StringValue::from(t);
                }
            }
        }
        _ => {}
    }
}

fn limit_attributes(attributes: &mut [KeyValue], n: usize) {
    for kv in attributes {
        limit_value(&mut kv.value, n);
    }
}

/// A span exporter that truncates string attribute values (span, event and link attributes)
/// to `max_length` characters before handing the batch on.
pub(crate) struct SpanValueLength<E> {
    inner: E,
    max_length: usize,
}

impl<E> SpanValueLength<E> {
    pub(crate) fn new(inner: E, max_length: u32) -> Self {
        SpanValueLength {
            inner,
            max_length: max_length as usize,
        }
    }
}

impl<E> fmt::Debug for SpanValueLength<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpanValueLength")
            .field("max_length", &self.max_length)
            .finish_non_exhaustive()
    }
}

impl<E: SpanExporter> SpanExporter for SpanValueLength<E> {
    async fn export(&self, mut batch: Vec<SpanData>) -> OTelSdkResult {
        let n = self.max_length;
        for span in &mut batch {
            limit_attributes(&mut span.attributes, n);
            for event in span.events.events.iter_mut() {
                limit_attributes(&mut event.attributes, n);
            }
            for link in span.links.links.iter_mut() {
                limit_attributes(&mut link.attributes, n);
            }
        }
        self.inner.export(batch).await
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

/// A log exporter that applies [`LogRecordLimits`]: a batch whose records are all within the
/// limits passes untouched; otherwise the records over them are rebuilt (the SDK's records
/// cannot drop an attribute in place) with the first `attribute_count` attributes, string
/// values truncated.
pub(crate) struct LogLimits<E> {
    inner: E,
    limits: LogRecordLimits,
    /// Makes empty records to rebuild into (a provider with no processor: nothing is emitted).
    blank: opentelemetry_sdk::logs::SdkLogger,
    _provider: opentelemetry_sdk::logs::SdkLoggerProvider,
}

impl<E> LogLimits<E> {
    pub(crate) fn new(inner: E, limits: LogRecordLimits) -> Self {
        let provider = opentelemetry_sdk::logs::SdkLoggerProvider::builder().build();
        LogLimits {
            inner,
            limits,
            blank: provider.logger("marketplace-telemetry-limits"),
            _provider: provider,
        }
    }

    fn over(&self, record: &SdkLogRecord) -> bool {
        let count = self.limits.attribute_count as usize;
        let length = self.limits.attribute_value_length.map(|n| n as usize);
        let mut seen = 0;
        for (_, value) in record.attributes_iter() {
            seen += 1;
            if seen > count {
                return true;
            }
            if let (Some(n), AnyValue::String(s)) = (length, value) {
                if s.as_str().chars().nth(n).is_some() {
                    return true;
                }
            }
        }
        false
    }

    fn rebuild(&self, record: &SdkLogRecord) -> SdkLogRecord {
        let mut out = self.blank.create_log_record();
        if let Some(name) = record.event_name() {
            out.set_event_name(name);
        }
        if let Some(target) = record.target() {
            out.set_target(target.clone());
        }
        if let Some(t) = record.timestamp() {
            out.set_timestamp(t);
        }
        if let Some(t) = record.observed_timestamp() {
            out.set_observed_timestamp(t);
        }
        if let Some(text) = record.severity_text() {
            out.set_severity_text(text);
        }
        if let Some(n) = record.severity_number() {
            out.set_severity_number(n);
        }
        if let Some(body) = record.body() {
            out.set_body(body.clone());
        }
        if let Some(tc) = record.trace_context() {
            out.set_trace_context(tc.trace_id, tc.span_id, tc.trace_flags);
        }
        let length = self.limits.attribute_value_length.map(|n| n as usize);
        for (key, value) in record
            .attributes_iter()
            .take(self.limits.attribute_count as usize)
        {
            let value = match (length, value) {
                (Some(n), AnyValue::String(s)) => match truncated(s.as_str(), n) {
                    Some(t) => AnyValue::String(StringValue::from(t)),
                    None => value.clone(),
                },
                _ => value.clone(),
            };
            out.add_attribute(key.clone(), value);
        }
        out
    }
}

impl<E> fmt::Debug for LogLimits<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogLimits")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl<E: LogExporter> LogExporter for LogLimits<E> {
    async fn export(&self, batch: LogBatch<'_>) -> OTelSdkResult {
        if !batch.iter().any(|(record, _)| self.over(record)) {
            return self.inner.export(batch).await;
        }
        let records: Vec<(Cow<'_, SdkLogRecord>, _)> = batch
            .iter()
            .map(|(record, scope)| {
                if self.over(record) {
                    (Cow::Owned(self.rebuild(record)), scope)
                } else {
                    (Cow::Borrowed(record), scope)
                }
            })
            .collect();
        let refs: Vec<(&SdkLogRecord, &opentelemetry::InstrumentationScope)> =
            records.iter().map(|(r, s)| (r.as_ref(), *s)).collect();
        self.inner.export(LogBatch::new(&refs)).await
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_counts_characters_not_bytes() {
        assert_eq!(truncated("héllo", 2).as_deref(), Some("hé"));
        assert_eq!(truncated("hé", 2), None);
        assert_eq!(truncated("abc", 0).as_deref(), Some(""));
        let mut v = Value::Array(Array::String(vec!["abcdef".into(), "ab".into()]));
        limit_value(&mut v, 3);
        assert_eq!(
            v,
            Value::Array(Array::String(vec!["abc".into(), "ab".into()]))
        );
        let mut n = Value::I64(123456);
        limit_value(&mut n, 1);
        assert_eq!(n, Value::I64(123456));
    }
}
