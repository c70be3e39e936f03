//! A test kit for users' own tests (feature `testing`): the production subscriber and
//! marketplace instruments wired to in-memory exporters, plus assertions.
//!
//! ```
//! use marketplace_telemetry::marketplace::{ErrorCode, ItemType, Operation, Outcome};
//! use marketplace_telemetry::testing::TestTelemetry;
//!
//! #[tracing::instrument(skip(metrics))]
//! fn search(metrics: &marketplace_telemetry::marketplace::MarketplaceMetrics) -> Result<(), ErrorCode> {
//!     metrics.search(ItemType::Plugin).finish(Err(ErrorCode::Timeout))
//! }
//!
//! let t = TestTelemetry::new();
//! let metrics = t.marketplace();
//! t.in_scope(|| search(&metrics)).unwrap_err();
//! t.assert_operation(Operation::Search, Outcome::Error, Some(ErrorCode::Timeout), 1);
//! t.assert_span_error("search", "timeout");
//! ```

use std::sync::{Arc, Mutex};

use opentelemetry::metrics::{Meter, MeterProvider as _};
use opentelemetry::trace::{Status, TracerProvider as _};
use opentelemetry::KeyValue;
use opentelemetry_sdk::logs::{InMemoryLogExporter, SdkLoggerProvider};
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData, ResourceMetrics};
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use tracing::Dispatch;

use crate::config::LogWriter;
use crate::config::{LogFormat, TelemetryConfig};
use crate::marketplace::{catalog, ErrorCode, Label, MarketplaceMetrics, Operation, Outcome};
use crate::signal::SCOPE;

/// In-memory telemetry wired like production. Assertions panic with a readable message.
pub struct TestTelemetry {
    spans: InMemorySpanExporter,
    metrics: InMemoryMetricExporter,
    logs: InMemoryLogExporter,
    tracer_provider: SdkTracerProvider,
    meter_provider: SdkMeterProvider,
    logger_provider: SdkLoggerProvider,
    dispatch: Dispatch,
    console: Arc<Mutex<Vec<u8>>>,
    marketplace: MarketplaceMetrics,
    namespace: Option<String>,
}

impl std::fmt::Debug for TestTelemetry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TestTelemetry")
    }
}

impl Default for TestTelemetry {
    fn default() -> Self {
        Self::new()
    }
}

struct SharedBuf(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for SharedBuf {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut b) = self.0.lock() {
            b.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl TestTelemetry {
    /// JSON console logs at `trace`, every span and log record kept, no namespace.
    pub fn new() -> Self {
        Self::with_namespace(None)
    }

    /// Like [`new`](Self::new) with a metric namespace.
    pub fn with_namespace(namespace: Option<&str>) -> Self {
        let spans = InMemorySpanExporter::default();
        let metrics = InMemoryMetricExporter::default();
        let logs = InMemoryLogExporter::default();
        let tracer_provider = SdkTracerProvider::builder()
            .with_simple_exporter(spans.clone())
            .build();
        let meter_provider = SdkMeterProvider::builder()
            .with_reader(PeriodicReader::builder(metrics.clone()).build())
            .build();
        let logger_provider = SdkLoggerProvider::builder()
            .with_simple_exporter(logs.clone())
            .build();
        let console = Arc::new(Mutex::new(Vec::new()));
        let buf = console.clone();
        let mut builder = TelemetryConfig::builder()
            .with_log_format(LogFormat::Json)
            .with_log_filter("trace")
            .with_traces_filter("trace")
            .with_logs_export_filter("trace")
            .with_log_writer(LogWriter::new(move || Box::new(SharedBuf(buf.clone()))));
        if let Some(ns) = namespace {
            builder = builder.with_metrics_namespace(ns);
        }
        let dispatch = match builder.build_from(|_| None).and_then(|config| {
            crate::pipeline::subscriber::build_subscriber(
                &config,
                config.log_writer.clone(),
                Some(tracer_provider.tracer(SCOPE)),
                Some(&logger_provider),
            )
        }) {
            Ok(dispatch) => dispatch,
            // The fixed configuration above always parses.
            Err(_) => Dispatch::none(),
        };
        let mut mm = MarketplaceMetrics::builder(&meter_provider.meter(SCOPE))
            .with_caches(["default", "search", "package"]);
        if let Some(ns) = namespace {
            mm = mm.with_metrics_namespace(ns);
        }
        TestTelemetry {
            spans,
            metrics,
            logs,
            tracer_provider,
            meter_provider,
            logger_provider,
            dispatch,
            console,
            marketplace: mm.build(),
            namespace: namespace.map(str::to_string),
        }
    }

    /// Runs `f` with this telemetry as the `tracing` dispatcher.
    pub fn in_scope<R>(&self, f: impl FnOnce() -> R) -> R {
        tracing::dispatcher::with_default(&self.dispatch, f)
    }

    /// The dispatcher (for `tracing::dispatcher::set_default` in async tests).
    pub fn dispatch(&self) -> &Dispatch {
        &self.dispatch
    }

    /// The marketplace instruments, recording into this kit.
    pub fn marketplace(&self) -> MarketplaceMetrics {
        self.marketplace.clone()
    }

    /// The platform handles' factory, recording into this kit.
    pub fn platform(&self) -> crate::platform::Platform {
        crate::platform::Platform::new(&self.meter())
    }

    /// The HTTP client layer recording into this kit, as
    /// [`Telemetry::http_client_layer`](crate::Telemetry::http_client_layer) makes it (client
    /// spans built with the kit's tracer).
    #[cfg(feature = "http-client")]
    pub fn http_client_layer(&self) -> crate::http_client::HttpClientLayer {
        use opentelemetry::trace::TracerProvider as _;
        crate::http_client::HttpClientLayer::new(&self.meter())
            .with_tracer(self.tracer_provider.tracer(SCOPE))
    }

    /// A meter recording into this kit.
    pub fn meter(&self) -> Meter {
        self.meter_provider.meter(SCOPE)
    }

    /// Every finished span.
    pub fn spans(&self) -> Vec<SpanData> {
        let _ = self.tracer_provider.force_flush();
        self.spans.get_finished_spans().unwrap_or_default()
    }

    /// The last finished span named `name` (see [`spans_named`](Self::spans_named) for all).
    pub fn span(&self, name: &str) -> Option<SpanData> {
        self.spans().into_iter().rev().find(|s| s.name == name)
    }

    /// Every finished span named `name`, oldest first.
    pub fn spans_named(&self, name: &str) -> Vec<SpanData> {
        self.spans()
            .into_iter()
            .filter(|s| s.name == name)
            .collect()
    }

    /// Every finished span of trace `trace_id`, oldest first — e.g. the trace of one request:
    ///
    /// ```
    /// # use marketplace_telemetry::testing::TestTelemetry;
    /// let t = TestTelemetry::new();
    /// t.in_scope(|| {
    ///     let _request = tracing::info_span!("request").entered();
    ///     tracing::info_span!("db").in_scope(|| {});
    /// });
    /// let request = t.span("request").unwrap();
    /// let trace = t.trace(request.span_context.trace_id());
    /// assert_eq!(trace.len(), 2);
    /// ```
    pub fn trace(&self, trace_id: opentelemetry::trace::TraceId) -> Vec<SpanData> {
        self.spans()
            .into_iter()
            .filter(|s| s.span_context.trace_id() == trace_id)
            .collect()
    }

    /// Console output so far (JSON lines).
    pub fn console(&self) -> String {
        self.console
            .lock()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }

    /// Bodies of the OTLP log records emitted so far.
    pub fn log_bodies(&self) -> Vec<String> {
        let _ = self.logger_provider.force_flush();
        self.logs
            .get_emitted_logs()
            .unwrap_or_default()
            .iter()
            .filter_map(|l| l.record.body().map(|b| format!("{b:?}")))
            .collect()
    }

    /// Panics unless at least one finished span named `name` has status error and
    /// `error.type = error_type`; the message lists every candidate's status and attributes.
    ///
    /// ```
    /// # use marketplace_telemetry::marketplace::{ErrorCode, ItemType};
    /// # use marketplace_telemetry::testing::TestTelemetry;
    /// #[tracing::instrument(skip(m))]
    /// fn search(m: &marketplace_telemetry::marketplace::MarketplaceMetrics, fail: bool) -> Result<(), ErrorCode> {
    ///     m.search(ItemType::Plugin).finish(if fail { Err(ErrorCode::Timeout) } else { Ok(()) })
    /// }
    /// let t = TestTelemetry::new();
    /// let m = t.marketplace();
    /// t.in_scope(|| { let _ = search(&m, true); let _ = search(&m, false); });
    /// t.assert_span_error("search", "timeout"); // the first call
    /// t.assert_span_ok("search"); // the second
    /// ```
    #[track_caller]
    pub fn assert_span_error(&self, name: &str, error_type: &str) {
        let candidates = self.candidates(name);
        let matched = candidates.iter().any(|span| {
            matches!(span.status, Status::Error { .. })
                && attribute(span, "error.type").as_deref() == Some(error_type)
        });
        assert!(
            matched,
            "no span {name:?} with status error and error.type={error_type:?}; candidates:\n{}",
            describe(&candidates)
        );
    }

    /// Panics unless at least one finished span named `name` ended without error (status
    /// `Ok` or `Unset`); the message lists every candidate's status and attributes.
    #[track_caller]
    pub fn assert_span_ok(&self, name: &str) {
        let candidates = self.candidates(name);
        assert!(
            candidates
                .iter()
                .any(|span| !matches!(span.status, Status::Error { .. })),
            "no span {name:?} ended without error; candidates:\n{}",
            describe(&candidates)
        );
    }

    /// Every span named `name`; panics naming the spans there are when there is none.
    #[track_caller]
    fn candidates(&self, name: &str) -> Vec<SpanData> {
        let candidates = self.spans_named(name);
        if candidates.is_empty() {
            panic!("no span named {name:?}; spans: {:?}", self.span_names());
        }
        candidates
    }

    fn span_names(&self) -> Vec<String> {
        self.spans().iter().map(|s| s.name.to_string()).collect()
    }

    fn snapshot(&self) -> Option<ResourceMetrics> {
        let _ = self.meter_provider.force_flush();
        self.metrics.get_finished_metrics().ok()?.pop()
    }

    /// Sum over every data point of instrument `name` (OpenTelemetry name, namespace
    /// included) whose attributes contain all `labels`: the value for counters and gauges,
    /// the count for histograms. Panics when no data point matches, naming the instruments
    /// that do exist: an absent series is not a zero (use [`try_value`](Self::try_value) to
    /// tell them apart yourself).
    ///
    /// # Examples
    ///
    /// ```
    /// # use marketplace_telemetry::testing::TestTelemetry;
    /// let t = TestTelemetry::new();
    /// t.meter().u64_counter("jobs.done").build().add(2, &[]);
    /// assert_eq!(t.value("jobs.done", &[]), 2.0);
    /// assert_eq!(t.try_value("jobs.never", &[]), None);
    /// ```
    #[track_caller]
    pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        match self.try_value(name, labels) {
            Some(v) => v,
            None => {
                let present: Vec<String> = self
                    .snapshot()
                    .map(|rm| {
                        rm.scope_metrics()
                            .flat_map(|sm| sm.metrics().map(|m| m.name().to_string()))
                            .collect()
                    })
                    .unwrap_or_default();
                panic!("no data point of {name:?} with labels {labels:?}; instruments with data: {present:?}")
            }
        }
    }

    /// As [`value`](Self::value), but `None` when no data point of `name` matches `labels`.
    pub fn try_value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let rm = self.snapshot()?;
        let mut found = false;
        let matches = |attrs: &mut dyn Iterator<Item = &KeyValue>| has_labels(attrs, labels);
        let mut total = 0.0;
        for sm in rm.scope_metrics() {
            for m in sm.metrics().filter(|m| m.name() == name) {
                macro_rules! sum_points {
                    ($data:expr, $conv:expr) => {
                        match $data {
                            MetricData::Sum(s) => {
                                for p in s.data_points() {
                                    if matches(&mut p.attributes()) {
                                        found = true;
                                        total += $conv(p.value());
                                    }
                                }
                            }
                            MetricData::Gauge(g) => {
                                for p in g.data_points() {
                                    if matches(&mut p.attributes()) {
                                        found = true;
                                        total += $conv(p.value());
                                    }
                                }
                            }
                            MetricData::Histogram(h) => {
                                for p in h.data_points() {
                                    if matches(&mut p.attributes()) {
                                        found = true;
                                        total += p.count() as f64;
                                    }
                                }
                            }
                            MetricData::ExponentialHistogram(_) => {}
                        }
                    };
                }
                match m.data() {
                    AggregatedMetrics::F64(d) => sum_points!(d, |v: f64| v),
                    AggregatedMetrics::U64(d) => sum_points!(d, |v: u64| v as f64),
                    AggregatedMetrics::I64(d) => sum_points!(d, |v: i64| v as f64),
                }
            }
        }
        found.then_some(total)
    }

    /// The sum of the histogram data points of `name` whose attributes include `labels`
    /// (`None` when there is none) — what a histogram recorded, where [`value`](Self::value)
    /// gives how many times.
    ///
    /// # Examples
    ///
    /// ```
    /// # use marketplace_telemetry::testing::TestTelemetry;
    /// let t = TestTelemetry::new();
    /// let h = t.meter().u64_histogram("body.size").build();
    /// h.record(3, &[]);
    /// h.record(4, &[]);
    /// assert_eq!(t.histogram_sum("body.size", &[]), Some(7.0));
    /// assert_eq!(t.value("body.size", &[]), 2.0);
    /// ```
    pub fn histogram_sum(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let rm = self.snapshot()?;
        let matches = |attrs: &mut dyn Iterator<Item = &KeyValue>| has_labels(attrs, labels);
        let mut found = None;
        for sm in rm.scope_metrics() {
            for m in sm.metrics().filter(|m| m.name() == name) {
                macro_rules! sum {
                    ($data:expr, $conv:expr) => {
                        if let MetricData::Histogram(h) = $data {
                            for p in h.data_points() {
                                if matches(&mut p.attributes()) {
                                    *found.get_or_insert(0.0) += $conv(p.sum());
                                }
                            }
                        }
                    };
                }
                match m.data() {
                    AggregatedMetrics::F64(d) => sum!(d, |v: f64| v),
                    AggregatedMetrics::U64(d) => sum!(d, |v: u64| v as f64),
                    AggregatedMetrics::I64(d) => sum!(d, |v: i64| v as f64),
                }
            }
        }
        found
    }

    /// Panics unless `operation` recorded exactly `times` durations with `outcome` (and, for
    /// errors, exactly `times` counts of `code` in `marketplace.errors`).
    #[track_caller]
    pub fn assert_operation(
        &self,
        operation: Operation,
        outcome: Outcome,
        code: Option<ErrorCode>,
        times: u64,
    ) {
        let spec = catalog::OPERATIONS
            .iter()
            .find(|o| o.operation == operation)
            .map(|o| o.duration)
            .unwrap_or(catalog::SEARCH_DURATION);
        let ns = self.namespace.as_deref();
        let name = spec.otel_name(ns);
        // Never recorded and recorded zero times are the same answer here.
        let got = self
            .try_value(&name, &[(Outcome::KEY, outcome.as_str())])
            .unwrap_or(0.0);
        assert_eq!(
            got, times as f64,
            "{name}{{outcome={outcome}}} recorded {got} times, expected {times}"
        );
        if let Some(code) = code {
            let errors = catalog::ERRORS.otel_name(ns);
            let got = self
                .try_value(
                    &errors,
                    &[
                        ("operation", operation.as_str()),
                        (ErrorCode::KEY, code.as_str()),
                    ],
                )
                .unwrap_or(0.0);
            assert_eq!(
                got, times as f64,
                "{errors}{{operation={operation},error_code={code}}} is {got}, expected {times}"
            );
        }
    }
}

/// A span attribute's value as a string.
fn attribute(span: &SpanData, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| kv.value.to_string())
}

/// One line per span: status and attributes.
fn describe(spans: &[SpanData]) -> String {
    spans
        .iter()
        .map(|s| {
            let attrs: Vec<String> = s
                .attributes
                .iter()
                .map(|kv| format!("{}={}", kv.key, kv.value))
                .collect();
            format!(
                "  - status={:?} attributes=[{}]",
                s.status,
                attrs.join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether a data point's attributes include every `(key, value)` of `labels`.
fn has_labels(attrs: &mut dyn Iterator<Item = &KeyValue>, labels: &[(&str, &str)]) -> bool {
    let attrs: Vec<&KeyValue> = attrs.collect();
    labels.iter().all(|(k, v)| {
        attrs
            .iter()
            .any(|kv| kv.key.as_str() == *k && kv.value.as_str() == *v)
    })
}
