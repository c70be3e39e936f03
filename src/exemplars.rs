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
    /// The store's clock origin, copied here: the hot path reads it beside `next_ns` rather
    /// than through `store`.
    epoch: quanta::Instant,
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
        let now_ns = now.saturating_duration_since(self.epoch).as_nanos() as u64;
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

/// Prometheus family name → canonical label string → slots.
type SeriesMap = HashMap<String, HashMap<String, Arc<SeriesExemplars>>>;

struct Store {
    filter: ExemplarFilter,
    epoch: quanta::Instant,
    series: Mutex<SeriesMap>,
    /// Bumped when a series is added: the scrape's [`ScrapeIndex`] is rebuilt only then.
    generation: AtomicU64,
    /// The index the last scrape used, with the generation it was built at.
    index: Mutex<Option<(u64, Arc<ScrapeIndex>)>>,
}

/// What the OpenMetrics renderer needs, precomputed once per change of the series set: each
/// family under its own name and under its suffix-less name, to its series by canonical key.
/// A scrape takes it with one lock (not one per series) and looks series up without
/// allocating (see [`ScrapeLookup`]).
#[derive(Default)]
pub(crate) struct ScrapeIndex {
    families: HashMap<String, Arc<HashMap<String, Arc<SeriesExemplars>>>>,
}

/// A scrape's lookup: the index, the labels to ignore, and the buffers a key is built in
/// (reused from series to series: no allocation per series once they have grown).
pub(crate) struct ScrapeLookup<'a> {
    index: Arc<ScrapeIndex>,
    ignore: &'a [String],
    pairs: Vec<(&'a str, &'a str)>,
    key: String,
}

impl<'a> ScrapeLookup<'a> {
    /// The series map of scraped family `family` (by its name as scraped, suffixed or not).
    pub(crate) fn family(
        &self,
        family: &str,
    ) -> Option<Arc<HashMap<String, Arc<SeriesExemplars>>>> {
        self.index.families.get(family).cloned()
    }

    /// The slots of the series with `labels` (as scraped) in `family`, minus the labels the
    /// bridge adds (`otel_scope_*`) and the resource labels to ignore.
    pub(crate) fn series<'f>(
        &mut self,
        family: &'f HashMap<String, Arc<SeriesExemplars>>,
        labels: impl Iterator<Item = (&'a str, &'a str)>,
    ) -> Option<&'f Arc<SeriesExemplars>> {
        let ignore = self.ignore;
        self.pairs.clear();
        self.pairs.extend(
            labels.filter(|(k, _)| !k.starts_with("otel_scope_") && !ignore.iter().any(|i| i == k)),
        );
        self.pairs.sort_unstable();
        self.key.clear();
        for (k, v) in &self.pairs {
            push_pair(&mut self.key, k, v);
        }
        family.get(self.key.as_str())
    }
}

fn push_pair(out: &mut String, k: &str, v: &str) {
    out.push_str(k);
    out.push('\u{1}');
    out.push_str(v);
    out.push('\u{2}');
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
        push_pair(&mut out, k, v);
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
                generation: AtomicU64::new(0),
                index: Mutex::new(None),
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
                    self.store.generation.fetch_add(1, Ordering::Release);
                    Arc::new(SeriesExemplars {
                        epoch: self.store.epoch,
                        store: self.store.clone(),
                        next_ns: AtomicU64::new(0),
                        boundaries: boundaries.into(),
                        slots: (0..=boundaries.len()).map(|_| Slot::default()).collect(),
                    })
                })
                .clone(),
        )
    }

    /// The lookup for one scrape: the precomputed index (rebuilt under the series lock only
    /// when a series was added since the last scrape) and `ignore`, the resource labels the
    /// bridge adds to every series.
    pub(crate) fn scrape_lookup<'a>(&self, ignore: &'a [String]) -> ScrapeLookup<'a> {
        ScrapeLookup {
            index: self.scrape_index(),
            ignore,
            pairs: Vec::new(),
            key: String::new(),
        }
    }

    fn scrape_index(&self) -> Arc<ScrapeIndex> {
        let generation = self.store.generation.load(Ordering::Acquire);
        let Ok(mut cached) = self.store.index.lock() else {
            return Arc::default();
        };
        if let Some((built_at, index)) = cached.as_ref() {
            if *built_at == generation {
                return index.clone();
            }
        }
        let Ok(series) = self.store.series.lock() else {
            return Arc::default();
        };
        // Read the generation again under the series lock: a series added after this point
        // bumps it past what the index is stamped with, so the next scrape rebuilds.
        let generation = self.store.generation.load(Ordering::Acquire);
        let mut families = HashMap::with_capacity(series.len() * 2);
        for (name, members) in series.iter() {
            let members = Arc::new(members.clone());
            // Series are kept under their suffixed names (`…_seconds`, `…_total`); a scrape
            // translated without suffixes names the family without them.
            for suffix in UNIT_AND_TOTAL_SUFFIXES {
                if let Some(bare) = name.strip_suffix(suffix) {
                    families
                        .entry(bare.to_string())
                        .or_insert_with(|| members.clone());
                }
            }
            families.insert(name.clone(), members);
        }
        let index = Arc::new(ScrapeIndex { families });
        *cached = Some((generation, index.clone()));
        index
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

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::KeyValue;

    fn found(store: &Exemplars, family: &str, labels: &[(&str, &str)]) -> bool {
        let ignore = vec!["service_name".to_string()];
        let mut lookup = store.scrape_lookup(&ignore);
        let Some(members) = lookup.family(family) else {
            return false;
        };
        let labels: Vec<(&str, &str)> = labels.to_vec();
        lookup.series(&members, labels.into_iter()).is_some()
    }

    #[test]
    fn the_scrape_index_follows_series_added_after_a_scrape() {
        let store = Exemplars::new(ExemplarFilter::TraceBased);
        let bounds = [0.1, 1.0];
        store.series(
            "op_duration_seconds",
            &[KeyValue::new("marketplace.operation", "search")],
            &bounds,
        );
        assert!(found(
            &store,
            "op_duration_seconds",
            &[("marketplace_operation", "search")]
        ));
        // Scraped with resource and scope labels, in another order, under the suffix-less name.
        assert!(found(
            &store,
            "op_duration",
            &[
                ("service_name", "svc"),
                ("otel_scope_name", "x"),
                ("marketplace_operation", "search"),
            ]
        ));
        assert!(!found(
            &store,
            "op_duration_seconds",
            &[("marketplace_operation", "install")]
        ));
        // Added after the index was built: the next scrape sees it.
        store.series(
            "op_duration_seconds",
            &[KeyValue::new("marketplace.operation", "install")],
            &bounds,
        );
        assert!(found(
            &store,
            "op_duration_seconds",
            &[("marketplace_operation", "install")]
        ));
        assert!(!found(
            &store,
            "other_seconds",
            &[("marketplace_operation", "install")]
        ));
    }
}
