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
mod operation;

/// The shared catalog ([`crate::catalog`]), under its former path.
pub use crate::catalog;

use std::borrow::Cow;
use std::future::Future;
use std::sync::Arc;

use std::sync::OnceLock;

use opentelemetry::metrics::{BoundGauge, Gauge, Meter};
use opentelemetry::KeyValue;

pub use crate::catalog::{
    CacheResult, ErrorCode, ErrorCodeOf, Fault, ItemType, Label, LabelKey, LabelTable,
    MarketplaceSettings, Operation, OperationResult, Outcome, QueryKind, MAX_ROWS, MAX_VALUE_LEN,
    OTHER,
};
pub use cache::{Cache, CacheLookup};
pub use operation::{LabeledOperation, OperationGuard, OperationMetrics};

use cache::CacheInstruments;
use operation::{OpInstruments, Prebind, SharedNames};

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
    items: Box<[LazyGauge]>,
}

/// A gauge and its series for one label value, bound at build or on first use.
type LazyGauge = (Gauge<u64>, OnceLock<BoundGauge<u64>>);

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
    /// The domain settings, one value (`MarketplaceSettings`); the `with_*` methods set them.
    settings: MarketplaceSettings,
    exemplars: Option<crate::Exemplars>,
}

impl MarketplaceMetricsBuilder {
    /// All domain settings at once (what the per-setting `with_*` methods set one by one):
    /// the same [`MarketplaceSettings`] value a `TelemetryConfigBuilder` takes.
    pub fn with_settings(mut self, settings: MarketplaceSettings) -> Self {
        self.settings = settings;
        self
    }

    /// Records exemplars (trace id, span id, value, time) on the duration buckets and the
    /// error counter into `exemplars`, for the OpenMetrics scrape.
    /// [`Telemetry::marketplace`](crate::Telemetry::marketplace) passes the pipeline's store;
    /// without one no exemplars are kept.
    pub fn with_exemplars(mut self, exemplars: crate::Exemplars) -> Self {
        self.exemplars = Some(exemplars);
        self
    }

    /// The built-in operations whose series are bound at build (on the scrape at 0 from the
    /// start). Default: all six. The others still work: their series are bound on first use
    /// (one allocation then) and appear from then on. Part of the series budget: a default
    /// `MarketplaceMetrics` pre-binds ~1,200 series (histogram buckets count), one operation
    /// over one item type ~90 — see the README's "Series budget".
    ///
    /// # Examples
    ///
    /// ```
    /// # let meter = opentelemetry::global::meter("docs");
    /// use marketplace_telemetry::marketplace::{ItemType, MarketplaceMetrics, Operation};
    /// let metrics = MarketplaceMetrics::builder(&meter)
    ///     .with_marketplace_operations([Operation::Search])
    ///     .with_marketplace_item_types([ItemType::Package])
    ///     .build();
    /// metrics.search(ItemType::Package).succeed(); // pre-bound
    /// metrics.install(ItemType::Plugin).succeed(); // bound now, on first use
    /// ```
    pub fn with_marketplace_operations(
        mut self,
        operations: impl IntoIterator<Item = Operation>,
    ) -> Self {
        self.settings = self.settings.with_marketplace_operations(operations);
        self
    }

    /// Former name of [`with_marketplace_operations`](Self::with_marketplace_operations) (the
    /// setting's name on `TelemetryConfigBuilder` too).
    #[deprecated(since = "0.1.0", note = "use `with_marketplace_operations`")]
    pub fn with_operations(self, operations: impl IntoIterator<Item = Operation>) -> Self {
        self.with_marketplace_operations(operations)
    }

    /// The item types whose rows of the item operations (search, install, publish, download)
    /// and of `marketplace.items` are bound at build. Default: all four. Others are bound on
    /// first use.
    pub fn with_marketplace_item_types(
        mut self,
        item_types: impl IntoIterator<Item = ItemType>,
    ) -> Self {
        self.settings = self.settings.with_marketplace_item_types(item_types);
        self
    }

    /// Former name of [`with_marketplace_item_types`](Self::with_marketplace_item_types).
    #[deprecated(since = "0.1.0", note = "use `with_marketplace_item_types`")]
    pub fn with_item_types(self, item_types: impl IntoIterator<Item = ItemType>) -> Self {
        self.with_marketplace_item_types(item_types)
    }

    /// Prefixes every instrument name: `mockforge` → `mockforge.marketplace.search.duration`,
    /// scraped as `mockforge_marketplace_search_duration_seconds`. Letters, digits and `_`,
    /// not starting with a digit; anything else is replaced by `_`.
    pub fn with_metrics_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.settings = self.settings.with_metrics_namespace(namespace);
        self
    }

    /// Former name of [`with_metrics_namespace`](Self::with_metrics_namespace).
    #[deprecated(since = "0.1.0", note = "use `with_metrics_namespace`")]
    pub fn with_namespace(self, namespace: impl Into<String>) -> Self {
        self.with_metrics_namespace(namespace)
    }

    /// The cache names (label `cache`), registered once: at most [`MAX_CACHES`]; lookups of
    /// other names are counted under [`OTHER_CACHE`]. Default: `["default"]`.
    pub fn with_caches<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.settings = self.settings.with_caches(names);
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
        self.settings = self.settings.with_operation_events(level);
        self
    }

    /// Creates and binds every instrument.
    pub fn build(self) -> MarketplaceMetrics {
        let settings = self.settings;
        let namespace = settings
            .metrics_namespace
            .as_deref()
            .map(sanitize_namespace)
            .filter(|ns| !ns.is_empty());
        let ns = namespace.as_deref();
        let meter = self.meter;
        let shared = SharedNames::new(ns, settings.operation_events, self.exemplars.clone());
        let prebound_op = |o: Operation| {
            settings
                .operations
                .as_ref()
                .is_none_or(|ops| ops.contains(&o))
        };
        let item_rows: Vec<usize> = match &settings.item_types {
            None => (0..ItemType::ALL.len()).collect(),
            Some(types) => types.iter().map(|t| t.index()).collect(),
        };
        let item_op = |o: Operation,
                       spec: &catalog::InstrumentSpec,
                       results: Option<&catalog::InstrumentSpec>| {
            let results_name = results.map(|r| (r.otel_name(ns), r));
            OperationMetrics::<ItemType>::build(
                &meter,
                Cow::Borrowed(o.as_str()),
                &spec.otel_name(ns),
                spec.description,
                spec.boundaries,
                results_name.as_ref().map(|(n, r)| (n.as_str(), *r)),
                &shared,
                if prebound_op(o) {
                    Prebind::Rows(&item_rows)
                } else {
                    Prebind::Nothing
                },
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
        let spec = &catalog::RDF_QUERY_DURATION;
        let rdf_query = OperationMetrics::<QueryKind>::build(
            &meter,
            Cow::Borrowed(Operation::RdfQuery.as_str()),
            &spec.otel_name(ns),
            spec.description,
            spec.boundaries,
            None,
            &shared,
            if prebound_op(Operation::RdfQuery) {
                Prebind::All
            } else {
                Prebind::Nothing
            },
        );

        let mut names: Vec<String> = Vec::new();
        for name in settings.caches.iter().cloned() {
            if names.len() < MAX_CACHES && !names.contains(&name) && name != OTHER_CACHE {
                names.push(name);
            }
        }
        if names.is_empty() {
            names.push("default".to_string());
        }
        names.push(OTHER_CACHE.to_string());
        let caches = Arc::new(CacheInstruments::new(
            &meter,
            ns,
            names,
            &shared,
            prebound_op(Operation::CacheLookup),
        ));

        let items_gauge = catalog::ITEMS.u64_gauge(&meter, ns);
        let items = ItemType::ALL
            .iter()
            .map(|t| {
                let gauge = items_gauge.clone();
                let cell = OnceLock::new();
                if item_rows.contains(&t.index()) {
                    let _ = cell.set(gauge.bind(&[KeyValue::new(ItemType::KEY, t.as_str())]));
                }
                (gauge, cell)
            })
            .collect();

        MarketplaceMetrics {
            inner: Arc::new(Inner {
                meter,
                namespace,
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
            settings: MarketplaceSettings::default(),
            exemplars: None,
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
        if let Some((gauge, bound)) = self.inner.items.get(item_type.index()) {
            bound
                .get_or_init(|| gauge.bind(&[KeyValue::new(ItemType::KEY, item_type.as_str())]))
                .record(count);
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
            Prebind::All,
        )
    }

    /// An operation of your own over registered runtime label values (see
    /// [`LabeledOperation`]): `name` becomes the `operation` label and the instrument
    /// `<namespace.>name.duration{labels…, outcome}`. Every registered row of `labels` is
    /// pre-bound (`labels.registered_len() × 3` duration series); an `other` row is bound by
    /// the first unregistered value that lands on it. Call it once at startup and keep the handle.
    pub fn labeled_operation(
        &self,
        name: &str,
        boundaries: &[f64],
        labels: LabelTable,
    ) -> LabeledOperation {
        let ns = self.inner.namespace.as_deref();
        let duration = match ns {
            Some(ns) => format!("{ns}.{name}.duration"),
            None => format!("{name}.duration"),
        };
        LabeledOperation::new(OpInstruments::new(
            &self.inner.meter,
            Cow::Owned(name.to_string()),
            (&duration, "Duration of the operation.", boundaries),
            labels,
            None,
            &self.inner.shared,
            Prebind::All,
        ))
    }

    /// The meter every instrument of this `MarketplaceMetrics` is created from.
    pub(crate) fn meter_ref(&self) -> &Meter {
        &self.inner.meter
    }

    /// The namespace, if any.
    pub fn namespace(&self) -> Option<&str> {
        self.inner.namespace.as_deref()
    }
}
