//! Trace-linked exemplars for our instruments: the OpenTelemetry SDK 0.33 records none and the
//! Prometheus bridge writes none, so we keep them ourselves, beside the series we own.
//!
//! Per series, one slot per histogram bucket (one for a counter): the value, trace id, span id
//! and time of the last exemplar. The hot path finds the measurement's bucket and compares the
//! clock with the slot's next time: the span context is looked up only when that bucket's
//! exemplar is older than [`REFRESH`]. When the lookup finds no sampled span, the whole series
//! is left alone for [`RETRY`]: code that runs outside spans pays one load and a compare. A slot is written under a per-slot
//! sequence lock (no lock, no allocation; a writer that finds it busy skips). The OpenMetrics
//! renderer reads the slots at scrape time and appends `# {trace_id="…",span_id="…"} value ts`
//! to the bucket's line.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use opentelemetry::trace::TraceContextExt as _;

/// A bucket's exemplar is replaced at most this often.
pub(crate) const REFRESH: Duration = Duration::from_secs(1);
/// After a call that could not give an exemplar (no sampled span), the next try is this far.
pub(crate) const RETRY: Duration = Duration::from_millis(100);

/// What the default Prometheus translation appends to a family name (a unit, `_total`), for
/// finding a series scraped under the suffix-less translation.
const UNIT_AND_TOTAL_SUFFIXES: &[&str] = &[
    "_seconds",
    "_bytes",
    "_ratio",
    "_total",
    "_seconds_total",
    "_bytes_total",
];

/// Which measurements may become exemplars (`OTEL_METRICS_EXEMPLAR_FILTER`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ExemplarFilter {
    /// Only measurements made inside a sampled span (the default).
    #[default]
    TraceBased,
    /// Every measurement (outside a span: an exemplar without trace ids).
    AlwaysOn,
    /// None.
    AlwaysOff,
}

impl ExemplarFilter {
    /// The variable's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ExemplarFilter::TraceBased => "trace_based",
            ExemplarFilter::AlwaysOn => "always_on",
            ExemplarFilter::AlwaysOff => "always_off",
        }
    }
}

mod slot;

pub(crate) use slot::{Exemplar, Slot};

/// The atomics the slot is written with: std's here; the model-check crate
/// (`model-check/`) compiles the same `slot.rs` over loom's to explore every interleaving.
mod sync {
    pub(super) use std::sync::atomic::{fence, AtomicU64, Ordering};
}

/// The exemplar slots of one series.
pub(crate) struct SeriesExemplars {
    store: Arc<Store>,
    /// Nanoseconds (store clock) before which no slot of this series is looked at: the hot
    /// path is this one load and compare until then.
    next_ns: AtomicU64,
    /// Bucket upper bounds (empty for a counter: one slot).
    boundaries: Box<[f64]>,
    slots: Box<[Slot]>,
}

impl SeriesExemplars {
    /// Offers a measurement: cheap unless its bucket's slot is due.
    #[inline]
    pub(crate) fn offer(&self, value: f64, now: quanta::Instant) {
        let now_ns = now.saturating_duration_since(self.store.epoch).as_nanos() as u64;
        if now_ns < self.next_ns.load(Ordering::Relaxed) {
            return;
        }
        self.offer_slow(value, now_ns);
    }

    #[inline(never)]
    fn offer_slow(&self, value: f64, now_ns: u64) {
        let bucket = if self.boundaries.is_empty() {
            0
        } else {
            self.boundaries.partition_point(|b| *b < value)
        };
        let Some(slot) = self.slots.get(bucket) else {
            return;
        };
        if now_ns < slot.next_ns.load(Ordering::Relaxed) {
            return;
        }
        let trace = current_sampled_span();
        let take = match self.store.filter {
            ExemplarFilter::AlwaysOff => false,
            ExemplarFilter::AlwaysOn => true,
            ExemplarFilter::TraceBased => trace.is_some(),
        };
        if take {
            slot.next_ns
                .store(now_ns + REFRESH.as_nanos() as u64, Ordering::Relaxed);
            slot.write(value, trace);
        } else {
            // Not in a sampled span: leave the whole series alone for a while, so code that
            // runs outside spans pays one load per call. (Inside sampled spans the gate stays
            // open: a rare slow bucket gets its exemplar from the first request that lands in it.)
            self.next_ns
                .store(now_ns + RETRY.as_nanos() as u64, Ordering::Relaxed);
        }
    }

    /// Writes `value` (with `trace`) into its bucket's slot now; the caller decided it is due.
    pub(crate) fn put(&self, value: f64, trace: Option<(u128, u64)>) {
        let bucket = self.boundaries.partition_point(|b| *b < value);
        if let Some(slot) = self.slots.get(bucket) {
            slot.write(value, trace);
        }
    }

    pub(crate) fn get(&self, bucket: usize) -> Option<Exemplar> {
        self.slots.get(bucket)?.read()
    }

    /// The slot of the bucket whose upper bound is `le` (`+Inf`: the last).
    pub(crate) fn bucket_of(&self, le: f64) -> Option<usize> {
        if le == f64::INFINITY {
            return Some(self.boundaries.len());
        }
        self.boundaries.iter().position(|b| *b == le)
    }
}

/// The trace and span id of the active OpenTelemetry span, when it is sampled.
fn current_sampled_span() -> Option<(u128, u64)> {
    opentelemetry::Context::map_current(|cx| {
        let span = cx.span();
        let sc = span.span_context();
        (sc.is_valid() && sc.is_sampled()).then(|| {
            (
                u128::from_be_bytes(sc.trace_id().to_bytes()),
                u64::from_be_bytes(sc.span_id().to_bytes()),
            )
        })
    })
}

struct Store {
    filter: ExemplarFilter,
    epoch: quanta::Instant,
    /// Prometheus family name → canonical label string → slots.
    series: Mutex<HashMap<String, HashMap<String, Arc<SeriesExemplars>>>>,
}

/// The exemplars of one pipeline: handed to the instruments that record them
/// (`MarketplaceMetrics::with_exemplars`, the HTTP layer of `Telemetry::http_layer`) and
/// read by its scrape endpoint. Cheap to clone.
#[derive(Clone)]
pub struct Exemplars {
    store: Arc<Store>,
}

impl std::fmt::Debug for Exemplars {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exemplars")
            .field("filter", &self.store.filter)
            .finish()
    }
}

/// `k="v"` pairs sorted by name, joined: the key a series is found by at scrape time.
pub(crate) fn canonical<'a>(labels: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut pairs: Vec<(&str, &str)> = labels.collect();
    pairs.sort_unstable();
    let mut out = String::new();
    for (k, v) in pairs {
        out.push_str(k);
        out.push('\u{1}');
        out.push_str(v);
        out.push('\u{2}');
    }
    out
}

/// A label key as the Prometheus bridge writes it (dots and dashes → `_`).
pub(crate) fn prometheus_label(key: &str) -> String {
    key.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

impl Exemplars {
    /// A store with `filter`.
    pub fn new(filter: ExemplarFilter) -> Self {
        Exemplars {
            store: Arc::new(Store {
                filter,
                epoch: quanta::Instant::now(),
                series: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The filter.
    pub fn filter(&self) -> ExemplarFilter {
        self.store.filter
    }

    /// The slots of series `family{labels}` (Prometheus names), created on first use;
    /// `None` when the filter is `always_off`.
    pub(crate) fn series(
        &self,
        family: &str,
        labels: &[opentelemetry::KeyValue],
        boundaries: &[f64],
    ) -> Option<Arc<SeriesExemplars>> {
        if self.store.filter == ExemplarFilter::AlwaysOff {
            return None;
        }
        let names: Vec<(String, String)> = labels
            .iter()
            .map(|kv| {
                (
                    prometheus_label(kv.key.as_str()),
                    kv.value.as_str().into_owned(),
                )
            })
            .collect();
        let key = canonical(names.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let mut series = self.store.series.lock().ok()?;
        let family = series.entry(family.to_string()).or_default();
        Some(
            family
                .entry(key)
                .or_insert_with(|| {
                    Arc::new(SeriesExemplars {
                        store: self.store.clone(),
                        next_ns: AtomicU64::new(0),
                        boundaries: boundaries.into(),
                        slots: (0..=boundaries.len()).map(|_| Slot::default()).collect(),
                    })
                })
                .clone(),
        )
    }

    /// The slots of a scraped series, if it has any: `labels` as scraped, minus the labels the
    /// bridge adds (`otel_scope_*`) and those in `ignore` (resource labels).
    pub(crate) fn lookup(
        &self,
        family: &str,
        labels: &[(&str, &str)],
        ignore: &[String],
    ) -> Option<Arc<SeriesExemplars>> {
        let series = self.store.series.lock().ok()?;
        // Series are kept under their suffixed names (`…_seconds`, `…_total`); a scrape
        // translated without suffixes names the family without them.
        let family = series.get(family).or_else(|| {
            series
                .iter()
                .find(|(name, _)| {
                    name.strip_prefix(family)
                        .is_some_and(|rest| UNIT_AND_TOTAL_SUFFIXES.contains(&rest))
                })
                .map(|(_, v)| v)
        })?;
        let key = canonical(
            labels
                .iter()
                .copied()
                .filter(|(k, _)| !k.starts_with("otel_scope_") && !ignore.iter().any(|i| i == k)),
        );
        family.get(&key).cloned()
    }
}

/// Exemplars of one duration histogram fed by a layer (HTTP server, HTTP client): a per-bucket
/// gate (across series) keeps the hot path at one load and a compare; when a bucket is due,
/// the span's context is read and the series' slot written.
#[cfg_attr(not(feature = "http-server"), allow(dead_code))]
pub(crate) struct BucketExemplars {
    store: Exemplars,
    /// The histogram's family on the scrape.
    family: &'static str,
    buckets: &'static [f64],
    epoch: quanta::Instant,
    /// Per bucket: nanoseconds after `epoch` from which the next exemplar may be taken.
    next: Box<[std::sync::atomic::AtomicU64]>,
}

#[cfg_attr(not(feature = "http-client"), allow(dead_code))]
impl BucketExemplars {
    /// A gate over the same store, family and buckets (its own timing).
    pub(crate) fn same_store(&self) -> Self {
        BucketExemplars::new(self.store.clone(), self.family, self.buckets)
    }

    pub(crate) fn new(store: Exemplars, family: &'static str, buckets: &'static [f64]) -> Self {
        BucketExemplars {
            store,
            family,
            buckets,
            epoch: quanta::Instant::now(),
            next: (0..=buckets.len())
                .map(|_| std::sync::atomic::AtomicU64::new(0))
                .collect(),
        }
    }

    pub(crate) fn offer(
        &self,
        value: f64,
        attrs: &[opentelemetry::KeyValue],
        span: &tracing::Span,
    ) {
        self.offer_with(value, attrs, || {
            use opentelemetry::trace::TraceContextExt as _;
            use tracing_opentelemetry::OpenTelemetrySpanExt as _;
            span.context().span().span_context().clone()
        })
    }

    /// [`Self::offer`] with the span's context read only when a bucket is due.
    pub(crate) fn offer_with(
        &self,
        value: f64,
        attrs: &[opentelemetry::KeyValue],
        span: impl FnOnce() -> opentelemetry::trace::SpanContext,
    ) {
        use std::sync::atomic::Ordering;
        let bucket = self.buckets.partition_point(|b| *b < value);
        let Some(next) = self.next.get(bucket) else {
            return;
        };
        let now = quanta::Instant::now()
            .saturating_duration_since(self.epoch)
            .as_nanos() as u64;
        if now < next.load(Ordering::Relaxed) {
            return;
        }
        self.offer_slow(next, now, value, attrs, span);
    }

    #[cold]
    #[inline(never)]
    fn offer_slow(
        &self,
        next: &std::sync::atomic::AtomicU64,
        now: u64,
        value: f64,
        attrs: &[opentelemetry::KeyValue],
        span: impl FnOnce() -> opentelemetry::trace::SpanContext,
    ) {
        use std::sync::atomic::Ordering;
        let sc = span();
        let trace = (sc.is_valid() && sc.is_sampled()).then(|| {
            (
                u128::from_be_bytes(sc.trace_id().to_bytes()),
                u64::from_be_bytes(sc.span_id().to_bytes()),
            )
        });
        let take = match self.store.filter() {
            ExemplarFilter::AlwaysOff => false,
            ExemplarFilter::AlwaysOn => true,
            _ => trace.is_some(),
        };
        let wait = if take { REFRESH } else { RETRY };
        next.store(now + wait.as_nanos() as u64, Ordering::Relaxed);
        if take {
            if let Some(series) = self.store.series(self.family, attrs, self.buckets) {
                series.put(value, trace);
            }
        }
    }
}
