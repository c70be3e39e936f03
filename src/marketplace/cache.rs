//! Cache handles: hit/miss counters, entry gauges and timed lookups per registered cache
//! name (see [`MarketplaceMetrics::cache`](super::MarketplaceMetrics::cache)).

use std::borrow::Cow;
use std::sync::Arc;

use opentelemetry::metrics::{BoundCounter, Counter, Gauge, Meter};
use opentelemetry::KeyValue;

use super::catalog;
use super::operation::{OpInstruments, OperationGuard, Prebind, SharedNames};
use crate::catalog::bound_rows::BoundRows;
use crate::catalog::LabelTable;
use crate::catalog::{CacheResult, ErrorCode, Label, Operation};

pub(super) struct CacheInstruments {
    pub(super) names: Vec<String>,
    requests: BoundRows<Counter<u64>>,
    entries: BoundRows<Gauge<u64>>,
    lookups: OpInstruments,
}

impl CacheInstruments {
    /// The handle of cache `name`; unknown names share the last (`other`) series.
    pub(super) fn handle(this: &Arc<Self>, name: &str) -> Cache {
        let index = this
            .names
            .iter()
            .position(|n| n == name)
            .unwrap_or(this.names.len() - 1);
        let bound = |result: CacheResult| this.requests.get(index * 2 + result.index()).cloned();
        Cache {
            hit: bound(CacheResult::Hit),
            miss: bound(CacheResult::Miss),
            inner: this.clone(),
            index,
        }
    }

    pub(super) fn new(
        meter: &Meter,
        ns: Option<&str>,
        names: Vec<String>,
        shared: &SharedNames,
        prebind_lookups: bool,
    ) -> Self {
        let requests_counter = catalog::CACHE_REQUESTS.u64_counter(meter, ns);
        let entries_gauge = catalog::CACHE_ENTRIES.u64_gauge(meter, ns);
        let mut requests = Vec::with_capacity(names.len() * 2);
        let mut entries = Vec::with_capacity(names.len());
        for name in &names {
            for result in CacheResult::ALL {
                requests.push(vec![
                    KeyValue::new("cache", name.clone()),
                    KeyValue::new(CacheResult::KEY, result.as_str()),
                ]);
            }
            entries.push(vec![KeyValue::new("cache", name.clone())]);
        }
        // The last name is `other`: bound when an unregistered cache takes a handle.
        let registered = names.len().saturating_sub(1);
        let requests = BoundRows::new(requests_counter, requests, |i| i / 2 < registered);
        let entries = BoundRows::new(entries_gauge, entries, |i| i < registered);
        let spec = &catalog::CACHE_LOOKUP_DURATION;
        let lookups = OpInstruments::new(
            meter,
            Cow::Borrowed(Operation::CacheLookup.as_str()),
            (&spec.otel_name(ns), spec.description, spec.boundaries),
            LabelTable::new("cache", names.clone()),
            None,
            shared,
            if prebind_lookups {
                Prebind::All
            } else {
                Prebind::Nothing
            },
        );
        CacheInstruments {
            names,
            requests,
            entries,
            lookups,
        }
    }
}

/// One registered cache: hit/miss counts, entry count, timed lookups. Cheap to clone.
///
/// # Examples
///
/// ```
/// # let meter = opentelemetry::global::meter("docs");
/// # let metrics = marketplace_telemetry::marketplace::MarketplaceMetrics::builder(&meter)
/// #     .with_caches(["search"]).build();
/// let cache = metrics.cache("search");
/// cache.hit();                      // marketplace_cache_requests_total{cache="search",result="hit"}
/// cache.set_entries(1_024);
/// let lookup = cache.lookup();      // times the lookup
/// lookup.miss();                    // duration with outcome=success, and a miss
/// ```
#[derive(Clone)]
pub struct Cache {
    inner: Arc<CacheInstruments>,
    index: usize,
    // Clones of this cache's two bound series: a hit is one bound add, no lookup.
    hit: Option<BoundCounter<u64>>,
    miss: Option<BoundCounter<u64>>,
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Cache").field(&self.name()).finish()
    }
}

impl Cache {
    /// The `cache` label value.
    pub fn name(&self) -> &str {
        &self.inner.names[self.index.min(self.inner.names.len() - 1)]
    }

    /// Counts a hit.
    #[inline]
    pub fn hit(&self) {
        if let Some(c) = &self.hit {
            c.add(1);
        }
    }

    /// Counts a miss.
    #[inline]
    pub fn miss(&self) {
        if let Some(c) = &self.miss {
            c.add(1);
        }
    }

    /// Counts a lookup by result: one pre-bound counter add, nothing else (the timed
    /// [`lookup`](Self::lookup) also annotates the current span).
    #[inline]
    pub fn record(&self, result: CacheResult) {
        let counter = match result {
            CacheResult::Hit => &self.hit,
            CacheResult::Miss => &self.miss,
        };
        if let Some(c) = counter {
            c.add(1);
        }
    }

    /// Sets the number of entries in the cache.
    #[inline]
    pub fn set_entries(&self, entries: u64) {
        if let Some(g) = self.inner.entries.get(self.index) {
            g.record(entries);
        }
    }

    /// Starts a timed lookup; end it with [`CacheLookup::hit`], [`CacheLookup::miss`] or
    /// [`CacheLookup::fail`].
    #[inline]
    pub fn lookup(&self) -> CacheLookup<'_> {
        CacheLookup {
            cache: self,
            op: self.inner.lookups.start(self.index),
        }
    }
}

/// A cache lookup in progress (see [`Cache::lookup`]); dropped unfinished it records
/// `cancelled`.
#[derive(Debug)]
#[must_use = "a lookup dropped unfinished records outcome=cancelled"]
pub struct CacheLookup<'a> {
    cache: &'a Cache,
    op: OperationGuard<'a>,
}

impl CacheLookup<'_> {
    /// Ends the lookup as a hit (and sets `marketplace.cache.hit=true` on the current span).
    #[inline]
    pub fn hit(self) {
        self.end(CacheResult::Hit);
    }

    /// Ends the lookup as a miss (and sets `marketplace.cache.hit=false` on the current span).
    #[inline]
    pub fn miss(self) {
        self.end(CacheResult::Miss);
    }

    #[inline]
    fn end(self, result: CacheResult) {
        let hit = result == CacheResult::Hit;
        self.cache.record(result);
        crate::catalog::with_active_span(|span| {
            span.set_attribute(opentelemetry::KeyValue::new("marketplace.cache.hit", hit));
        });
        let mut op = self.op;
        op.cache_hit = Some(hit);
        op.succeed();
    }

    /// Ends the lookup as `hit` or `miss`.
    #[inline]
    pub fn finish(self, hit: bool) {
        if hit {
            self.hit()
        } else {
            self.miss()
        }
    }

    /// Ends the lookup as a failure (the cache backend failed; neither hit nor miss).
    #[inline]
    pub fn fail(self, code: ErrorCode) {
        self.op.fail(code);
    }
}
