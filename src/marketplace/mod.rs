//! Marketplace instruments and `#[tracing::instrument]`-friendly helpers.
//!
//! [`MarketplaceMetrics`] holds every domain instrument of the [`catalog`], pre-bound to every
//! combination of its bounded labels, so a helper call is an array index and one SDK call: no
//! allocation, no attribute lookup. (Histogram records take the SDK's per-series mutex;
//! counters and gauges are atomics.)
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! # let meter = opentelemetry::global::meter("docs");
//! use marketplace_telemetry::marketplace::{ErrorCode, ItemType, MarketplaceMetrics};
//!
//! #[derive(Debug)]
//! struct NotFound;
//! impl marketplace_telemetry::marketplace::ErrorCodeOf for NotFound {
//!     fn error_code(&self) -> ErrorCode { ErrorCode::NotFound }
//! }
//!
//! #[tracing::instrument(skip(metrics))]
//! async fn search(metrics: &MarketplaceMetrics, q: &str) -> Result<Vec<String>, NotFound> {
//!     let op = metrics.search(ItemType::Plugin);  // clock starts, in flight +1
//!     let found = vec![q.to_string()];
//!     op.results(found.len() as u64);
//!     op.finish(Ok(found))                        // outcome=success; on Err: code counted,
//! }                                               // span status error; dropped: cancelled
//!
//! let metrics = MarketplaceMetrics::new(&meter);
//! search(&metrics, "rdf").await.unwrap();
//! # }
//! ```

mod cache;
pub mod catalog;
mod labels;
mod operation;

use std::borrow::Cow;
use std::future::Future;
use std::sync::Arc;

use opentelemetry::metrics::{BoundGauge, Meter};
use opentelemetry::KeyValue;

pub use cache::{Cache, CacheLookup};
pub use labels::{
    CacheResult, ErrorCode, ErrorCodeOf, ItemType, Label, Operation, Outcome, QueryKind,
};
pub use operation::{OperationGuard, OperationMetrics, OperationResult};

use cache::CacheInstruments;
use operation::SharedNames;

/// Label value of caches not registered at init.
pub const OTHER_CACHE: &str = "other";
/// At most this many caches can be registered (they are label values: keep them few).
pub const MAX_CACHES: usize = 32;

/// Every marketplace instrument, pre-bound; `Clone + Send + Sync`, cheap to clone (one `Arc`).
///
/// Get it from [`Telemetry::marketplace`](crate::Telemetry::marketplace), or build it from any
/// [`Meter`] with [`MarketplaceMetrics::new`] / [`MarketplaceMetrics::builder`].
#[derive(Clone)]
pub struct MarketplaceMetrics {
    inner: Arc<Inner>,
}

struct Inner {
    meter: Meter,
    namespace: Option<String>,
    shared: SharedNames,
    search: OperationMetrics<ItemType>,
    install: OperationMetrics<ItemType>,
    publish: OperationMetrics<ItemType>,
    download: OperationMetrics<ItemType>,
    rdf_query: OperationMetrics<QueryKind>,
    caches: Arc<CacheInstruments>,
    items: Box<[BoundGauge<u64>]>,
}

impl std::fmt::Debug for MarketplaceMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MarketplaceMetrics")
            .field("namespace", &self.inner.namespace)
            .field("caches", &self.inner.caches.names)
            .finish()
    }
}

/// Builder for [`MarketplaceMetrics`].
///
/// # Examples
///
/// ```
/// # let meter = opentelemetry::global::meter("docs");
/// use marketplace_telemetry::marketplace::MarketplaceMetrics;
/// let metrics = MarketplaceMetrics::builder(&meter)
///     .with_namespace("mockforge")
///     .with_caches(["search", "package"])
///     .build();
/// metrics.cache("search").hit();
/// ```
#[derive(Debug)]
#[must_use]
pub struct MarketplaceMetricsBuilder {
    meter: Meter,
    namespace: Option<String>,
    caches: Vec<String>,
    events: Option<tracing::Level>,
}

impl MarketplaceMetricsBuilder {
    /// Prefixes every instrument name: `mockforge` → `mockforge.marketplace.search.duration`,
    /// scraped as `mockforge_marketplace_search_duration_seconds`. Letters, digits and `_`,
    /// not starting with a digit; anything else is replaced by `_`.
    pub fn with_namespace(mut self, namespace: impl Into<String>) -> Self {
        let ns = sanitize_namespace(&namespace.into());
        self.namespace = (!ns.is_empty()).then_some(ns);
        self
    }

    /// The cache names (label `cache`), registered once: at most [`MAX_CACHES`]; lookups of
    /// other names are counted under [`OTHER_CACHE`]. Default: `["default"]`.
    pub fn with_caches<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.caches = names.into_iter().map(Into::into).collect();
        self
    }

    /// One structured `tracing` event per finished operation at `level` (`None`: off, the
    /// default — at high request rates one line per operation is a lot of log volume), emitted
    /// inside the operation's span so it carries the trace ids. Fields: `operation`, the
    /// operation's label (`item_type`, `query_kind`, `cache`; `label` for operations of your
    /// own), `outcome`, `duration_ms` (float), and where they apply `error_code`, `results`
    /// (after [`OperationGuard::results`]) and `cache_hit` (cache lookups). Target
    /// `marketplace_telemetry::marketplace::operation`. For log pipelines: Loki's
    /// `| json | duration_ms > 200` or `cache_hit = "false"`.
    ///
    /// # Examples
    ///
    /// ```
    /// # let meter = opentelemetry::global::meter("docs");
    /// use marketplace_telemetry::marketplace::{ItemType, MarketplaceMetrics};
    /// let metrics = MarketplaceMetrics::builder(&meter)
    ///     .with_operation_events(Some(tracing::Level::INFO))
    ///     .build();
    /// let op = metrics.search(ItemType::Plugin);
    /// op.results(3);
    /// op.succeed(); // INFO operation finished operation="search" item_type="plugin" outcome="success" duration_ms=… results=3
    /// ```
    pub fn with_operation_events(mut self, level: Option<tracing::Level>) -> Self {
        self.events = level;
        self
    }

    /// Creates and binds every instrument.
    pub fn build(self) -> MarketplaceMetrics {
        let ns = self.namespace.as_deref();
        let meter = self.meter;
        let shared = SharedNames::new(ns, self.events);
        let op = |op: Operation, spec: &catalog::InstrumentSpec| {
            (
                Cow::Borrowed(op.as_str()),
                spec.otel_name(ns),
                spec.description,
                spec.boundaries,
            )
        };
        let item_op = |o: Operation,
                       spec: &catalog::InstrumentSpec,
                       results: Option<&catalog::InstrumentSpec>| {
            let (name, duration, description, boundaries) = op(o, spec);
            let results_name = results.map(|r| (r.otel_name(ns), r));
            OperationMetrics::<ItemType>::build(
                &meter,
                name,
                &duration,
                description,
                boundaries,
                results_name.as_ref().map(|(n, r)| (n.as_str(), *r)),
                &shared,
            )
        };
        let search = item_op(
            Operation::Search,
            &catalog::SEARCH_DURATION,
            Some(&catalog::SEARCH_RESULTS),
        );
        let install = item_op(Operation::Install, &catalog::INSTALL_DURATION, None);
        let publish = item_op(Operation::Publish, &catalog::PUBLISH_DURATION, None);
        let download = item_op(Operation::Download, &catalog::DOWNLOAD_DURATION, None);
        let (name, duration, description, boundaries) =
            op(Operation::RdfQuery, &catalog::RDF_QUERY_DURATION);
        let rdf_query = OperationMetrics::<QueryKind>::build(
            &meter,
            name,
            &duration,
            description,
            boundaries,
            None,
            &shared,
        );

        let mut names: Vec<String> = Vec::new();
        for name in self.caches {
            if names.len() < MAX_CACHES && !names.contains(&name) && name != OTHER_CACHE {
                names.push(name);
            }
        }
        if names.is_empty() {
            names.push("default".to_string());
        }
        names.push(OTHER_CACHE.to_string());
        let caches = Arc::new(CacheInstruments::new(&meter, ns, names, &shared));

        let items_gauge = meter
            .u64_gauge(catalog::ITEMS.otel_name(ns))
            .with_unit(catalog::ITEMS.unit)
            .with_description(catalog::ITEMS.description)
            .build();
        let items = ItemType::ALL
            .iter()
            .map(|t| items_gauge.bind(&[KeyValue::new(ItemType::KEY, t.as_str())]))
            .collect();

        MarketplaceMetrics {
            inner: Arc::new(Inner {
                meter,
                namespace: self.namespace,
                shared,
                search,
                install,
                publish,
                download,
                rdf_query,
                caches,
                items,
            }),
        }
    }
}

fn sanitize_namespace(ns: &str) -> String {
    let mut out: String = ns
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

// === impl MarketplaceMetrics ===

impl MarketplaceMetrics {
    /// All instruments with default settings (no namespace, one cache named `default`).
    pub fn new(meter: &Meter) -> Self {
        Self::builder(meter).build()
    }

    /// A builder for namespace and cache names.
    pub fn builder(meter: &Meter) -> MarketplaceMetricsBuilder {
        MarketplaceMetricsBuilder {
            meter: meter.clone(),
            namespace: None,
            caches: Vec::new(),
            events: None,
        }
    }

    /// Starts a search of `item_type` items; finish it with [`OperationGuard::finish`] and
    /// record the result count with [`OperationGuard::results`].
    #[inline]
    pub fn search(&self, item_type: ItemType) -> OperationGuard<'_> {
        self.inner.search.start(item_type)
    }

    /// Starts an install.
    #[inline]
    pub fn install(&self, item_type: ItemType) -> OperationGuard<'_> {
        self.inner.install.start(item_type)
    }

    /// Starts a publish.
    #[inline]
    pub fn publish(&self, item_type: ItemType) -> OperationGuard<'_> {
        self.inner.publish.start(item_type)
    }

    /// Starts a download.
    #[inline]
    pub fn download(&self, item_type: ItemType) -> OperationGuard<'_> {
        self.inner.download.start(item_type)
    }

    /// Starts an RDF/SPARQL query.
    #[inline]
    pub fn rdf_query(&self, kind: QueryKind) -> OperationGuard<'_> {
        self.inner.rdf_query.start(kind)
    }

    /// Times a search future (outcome from its `Result`, `cancelled` if dropped first).
    pub async fn time_search<F, T, E>(&self, item_type: ItemType, fut: F) -> Result<T, E>
    where
        F: Future<Output = Result<T, E>>,
        E: ErrorCodeOf,
    {
        self.inner.search.time(item_type, fut).await
    }

    /// Times an install future.
    pub async fn time_install<F, T, E>(&self, item_type: ItemType, fut: F) -> Result<T, E>
    where
        F: Future<Output = Result<T, E>>,
        E: ErrorCodeOf,
    {
        self.inner.install.time(item_type, fut).await
    }

    /// Times a publish future.
    pub async fn time_publish<F, T, E>(&self, item_type: ItemType, fut: F) -> Result<T, E>
    where
        F: Future<Output = Result<T, E>>,
        E: ErrorCodeOf,
    {
        self.inner.publish.time(item_type, fut).await
    }

    /// Times a download future.
    pub async fn time_download<F, T, E>(&self, item_type: ItemType, fut: F) -> Result<T, E>
    where
        F: Future<Output = Result<T, E>>,
        E: ErrorCodeOf,
    {
        self.inner.download.time(item_type, fut).await
    }

    /// Times an RDF query future.
    pub async fn time_rdf_query<F, T, E>(&self, kind: QueryKind, fut: F) -> Result<T, E>
    where
        F: Future<Output = Result<T, E>>,
        E: ErrorCodeOf,
    {
        self.inner.rdf_query.time(kind, fut).await
    }

    /// The operation handles, for the sync and future forms (`time_sync`, `time`).
    pub fn search_operation(&self) -> &OperationMetrics<ItemType> {
        &self.inner.search
    }

    /// See [`search_operation`](Self::search_operation).
    pub fn install_operation(&self) -> &OperationMetrics<ItemType> {
        &self.inner.install
    }

    /// See [`search_operation`](Self::search_operation).
    pub fn publish_operation(&self) -> &OperationMetrics<ItemType> {
        &self.inner.publish
    }

    /// See [`search_operation`](Self::search_operation).
    pub fn download_operation(&self) -> &OperationMetrics<ItemType> {
        &self.inner.download
    }

    /// See [`search_operation`](Self::search_operation).
    pub fn rdf_query_operation(&self) -> &OperationMetrics<QueryKind> {
        &self.inner.rdf_query
    }

    /// The handle of a registered cache (resolve it once, keep it); unknown names share the
    /// [`OTHER_CACHE`] series.
    pub fn cache(&self, name: &str) -> Cache {
        CacheInstruments::handle(&self.inner.caches, name)
    }

    /// Sets the number of items of a type in the marketplace (`marketplace.items`).
    #[inline]
    pub fn set_items(&self, item_type: ItemType, count: u64) {
        if let Some(g) = self.inner.items.get(item_type.index()) {
            g.record(count);
        }
    }

    /// Telemetry for an operation of your own, on the same machinery (see
    /// [`OperationMetrics`]). `name` becomes the `operation` label and the instrument
    /// `<namespace.>name.duration`; call it once at startup and keep the handle.
    pub fn operation<L: Label>(&self, name: &str, boundaries: &[f64]) -> OperationMetrics<L> {
        let ns = self.inner.namespace.as_deref();
        let duration = match ns {
            Some(ns) => format!("{ns}.{name}.duration"),
            None => format!("{name}.duration"),
        };
        OperationMetrics::build(
            &self.inner.meter,
            Cow::Owned(name.to_string()),
            &duration,
            "Duration of the operation.",
            boundaries,
            None,
            &self.inner.shared,
        )
    }

    /// The namespace, if any.
    pub fn namespace(&self) -> Option<&str> {
        self.inner.namespace.as_deref()
    }
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
