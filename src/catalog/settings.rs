//! [`MarketplaceSettings`]: the domain settings of the marketplace helpers, declared once.

use super::labels::{ItemType, Operation};

/// The domain settings of the marketplace helpers — metrics namespace, cache names, operation
/// events, pre-bound operations and item types — as one value: build it once and hand it to
/// either entry point, `TelemetryConfigBuilder::with_marketplace_settings` (what
/// `Telemetry::marketplace` builds from) or `MarketplaceMetricsBuilder::with_settings` (for a
/// `Meter` of your own). The per-setting `with_*` methods of those two builders set the same
/// fields. A leaf like the rest of the catalog: it names those types, it does not import them.
///
/// # Examples
///
/// ```
/// use marketplace_telemetry::catalog::{MarketplaceSettings, Operation};
/// use marketplace_telemetry::marketplace::MarketplaceMetrics;
/// use marketplace_telemetry::TelemetryConfig;
///
/// let settings = MarketplaceSettings::default()
///     .with_metrics_namespace("mockforge")
///     .with_caches(["search", "package"])
///     .with_marketplace_operations([Operation::Search, Operation::Install]);
/// // Through the configuration (init_telemetry / Telemetry::marketplace) ...
/// let config = TelemetryConfig::builder()
///     .with_marketplace_settings(settings.clone())
///     .with_sdk_disabled(true)
///     .build_from(|_| None)?;
/// assert_eq!(config.marketplace_settings(), settings);
/// // ... or over a meter of your own.
/// let meter = opentelemetry::global::meter("docs");
/// let metrics = MarketplaceMetrics::builder(&meter).with_settings(settings).build();
/// metrics.cache("search").hit();
/// # Ok::<(), marketplace_telemetry::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MarketplaceSettings {
    /// Prefix of every marketplace instrument name (`mockforge` →
    /// `mockforge_marketplace_search_duration_seconds`). Default none.
    pub metrics_namespace: Option<String>,
    /// The cache names (label `cache`). Default `["default"]`.
    pub caches: Vec<String>,
    /// The level of the per-operation log event, `None` (the default) for none.
    pub operation_events: Option<tracing::Level>,
    /// The built-in operations bound at build (`None`: all).
    pub operations: Option<Vec<Operation>>,
    /// The item types bound at build (`None`: all).
    pub item_types: Option<Vec<ItemType>>,
}

impl Default for MarketplaceSettings {
    fn default() -> Self {
        MarketplaceSettings {
            metrics_namespace: None,
            caches: vec!["default".to_string()],
            operation_events: None,
            operations: None,
            item_types: None,
        }
    }
}

impl MarketplaceSettings {
    /// Prefixes every instrument name (letters, digits and `_`; anything else becomes `_`
    /// when the instruments are built).
    #[must_use]
    pub fn with_metrics_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.metrics_namespace = Some(namespace.into());
        self
    }

    /// The cache names (label `cache`), at most `marketplace::MAX_CACHES`; others are counted
    /// under `marketplace::OTHER_CACHE`.
    #[must_use]
    pub fn with_caches<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.caches = names.into_iter().map(Into::into).collect();
        self
    }

    /// One `tracing` event per finished operation at `level` (`None`: off).
    #[must_use]
    pub fn with_operation_events(mut self, level: Option<tracing::Level>) -> Self {
        self.operation_events = level;
        self
    }

    /// The built-in operations whose series are bound at build (the others on first use).
    #[must_use]
    pub fn with_marketplace_operations(
        mut self,
        operations: impl IntoIterator<Item = Operation>,
    ) -> Self {
        self.operations = Some(operations.into_iter().collect());
        self
    }

    /// The item types whose rows are bound at build (the others on first use).
    #[must_use]
    pub fn with_marketplace_item_types(
        mut self,
        item_types: impl IntoIterator<Item = ItemType>,
    ) -> Self {
        self.item_types = Some(item_types.into_iter().collect());
        self
    }
}
