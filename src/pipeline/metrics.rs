//! The meter provider: one [`SdkMeterProvider`] whose Prometheus reader writes into our own
//! [`prometheus::Registry`] (served by the scrape endpoint), plus an optional OTLP periodic reader
//! and a console reader.

use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::Resource;

use crate::config::TelemetryConfig;
use crate::error::{Error, Result};
use crate::signal::Signal;

/// A built meter provider and the registry its Prometheus reader fills.
pub(crate) struct MetricsPipeline {
    pub(crate) provider: SdkMeterProvider,
    pub(crate) registry: Option<prometheus::Registry>,
    /// Whether any reader collects from the provider (`OTEL_METRICS_EXPORTER=none`: none).
    pub(crate) collected: bool,
}

pub(crate) fn build_provider(
    config: &TelemetryConfig,
    resource: &Resource,
    runtime: &tokio::runtime::Handle,
) -> Result<MetricsPipeline> {
    let exporters = config.metrics_exporters;
    let collected = exporters.prometheus || exporters.otlp || exporters.console;
    let mut builder = SdkMeterProvider::builder().with_resource(resource.clone());
    let mut registry = None;
    #[cfg(any(feature = "grpc", feature = "otlp-http"))]
    let otlp_counters = super::export_counters::CounterSlot::default();
    if exporters.prometheus {
        let reg = prometheus::Registry::new();
        let mut exporter = opentelemetry_prometheus::exporter()
            .with_registry(reg.clone())
            // By default no otel_scope_* labels: noise on each series, never queried by our
            // assets, and a cost on every scrape. target_info keeps the resource.
            .scope_info_enabled(config.prometheus_scope_info);
        if !config.prometheus_target_info {
            exporter = exporter.without_target_info();
        }
        if config.prometheus_translation
            == crate::config::PrometheusTranslation::UnderscoreEscapingWithoutSuffixes
        {
            exporter = exporter.without_units().without_counter_suffixes();
        }
        let reader = exporter
            // Chosen resource attributes as labels on every series (service.version →
            // service_version): version and environment comparisons without a target_info join.
            .with_resource_selector(opentelemetry_prometheus::ResourceSelector::KeyAllowList(
                config
                    .prometheus_resource_labels
                    .iter()
                    .map(|k| opentelemetry::Key::new(k.clone()))
                    .collect(),
            ))
            .build()
            .map_err(Error::Prometheus)?;
        builder = builder.with_reader(reader);
        registry = Some(reg);
    }
    if exporters.otlp {
        #[cfg(not(any(feature = "grpc", feature = "otlp-http")))]
        {
            let _ = runtime;
            return Err(super::otlp::no_transport(Signal::Metrics));
        }
        #[cfg(any(feature = "grpc", feature = "otlp-http"))]
        {
            use opentelemetry_sdk::metrics::Temporality as T;
            let temporality = match config.metrics_temporality {
                crate::config::Temporality::Cumulative => T::Cumulative,
                crate::config::Temporality::Delta => T::Delta,
                crate::config::Temporality::LowMemory => T::LowMemory,
            };
            let exporter = super::otlp::build_exporter!(
                Signal::Metrics,
                opentelemetry_otlp::MetricExporter::builder().with_temporality(temporality),
                &config.metrics_otlp.bounded(config.metric_export_timeout),
                runtime
            )?;
            let exporter = super::export_counters::Counted::new(exporter, otlp_counters.clone());
            builder = builder.with_reader(
                PeriodicReader::builder(exporter)
                    .with_interval(config.metric_export_interval)
                    .build(),
            );
        }
    }
    if exporters.console {
        builder = builder.with_reader(
            PeriodicReader::builder(opentelemetry_stdout::MetricExporter::default())
                .with_interval(config.metric_export_interval)
                .build(),
        );
    }
    if let Some(view) = view(config) {
        builder = builder.with_view(view);
    }
    let provider = builder.build();
    // Only an OTLP metric exporter has exports to count (no zero series otherwise).
    #[cfg(any(feature = "grpc", feature = "otlp-http"))]
    if exporters.otlp {
        let _ = otlp_counters.set(super::export_counters::ExportCounters::new(
            &opentelemetry::metrics::MeterProvider::meter(&provider, crate::signal::SCOPE),
            Signal::Metrics,
        ));
    }
    Ok(MetricsPipeline {
        provider,
        registry,
        collected,
    })
}

/// One SDK view for everything configured: the first configured view that selects an
/// instrument gives its stream; the reader's cardinality limit for its kind and the default
/// histogram aggregation apply where that view (or no view) sets none. `None` when nothing is
/// configured (the SDK's defaults, no per-instrument call).
fn view(
    config: &TelemetryConfig,
) -> Option<
    impl Fn(&opentelemetry_sdk::metrics::Instrument) -> Option<opentelemetry_sdk::metrics::Stream>
        + Send
        + Sync
        + 'static,
> {
    use opentelemetry_sdk::metrics::{Aggregation, InstrumentKind, Stream};
    let views = config.metric_views.clone();
    let limits = config.cardinality_limits;
    let exponential = config.metrics_histogram_aggregation
        == crate::config::HistogramAggregation::Base2Exponential;
    if views.is_empty() && limits == crate::config::CardinalityLimits::default() && !exponential {
        return None;
    }
    Some(move |i: &opentelemetry_sdk::metrics::Instrument| {
        let chosen = views.iter().find(|v| v.selects(i));
        let limit = chosen
            .and_then(|v| v.cardinality_limit)
            .or_else(|| limits.for_kind(i.kind()));
        let aggregation = chosen.and_then(|v| v.aggregation.clone()).or_else(|| {
            (exponential && i.kind() == InstrumentKind::Histogram).then_some(
                // Every histogram: the SDK has no per-reader default aggregation, and the
                // config refused this choice when the Prometheus reader is on.
                Aggregation::Base2ExponentialHistogram {
                    max_size: 160,
                    max_scale: 20,
                    record_min_max: true,
                },
            )
        });
        if chosen.is_none() && limit.is_none() && aggregation.is_none() {
            return None;
        }
        let mut stream = Stream::builder();
        if let Some(v) = chosen {
            if let Some(name) = &v.name {
                stream = stream.with_name(name.clone());
            }
            if let Some(description) = &v.description {
                stream = stream.with_description(description.clone());
            }
            if let Some(keys) = &v.attribute_keys {
                stream = stream.with_allowed_attribute_keys(
                    keys.iter().map(|k| opentelemetry::Key::new(k.clone())),
                );
            }
        }
        if let Some(aggregation) = aggregation {
            stream = stream.with_aggregation(aggregation);
        }
        if let Some(limit) = limit {
            stream = stream.with_cardinality_limit(limit);
        }
        // Every value was checked by the configuration (limits positive, boundaries
        // increasing), so the build does not fail; if it did, the instrument keeps its default.
        stream.build().ok()
    })
}
