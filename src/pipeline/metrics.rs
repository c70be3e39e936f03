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
}

pub(crate) fn build_provider(
    config: &TelemetryConfig,
    resource: &Resource,
    runtime: &tokio::runtime::Handle,
) -> Result<MetricsPipeline> {
    let exporters = config.metrics_exporters;
    let mut builder = SdkMeterProvider::builder().with_resource(resource.clone());
    let mut registry = None;
    #[cfg(any(feature = "grpc", feature = "http"))]
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
        #[cfg(not(any(feature = "grpc", feature = "http")))]
        {
            let _ = runtime;
            return Err(super::otlp::no_transport(Signal::Metrics));
        }
        #[cfg(any(feature = "grpc", feature = "http"))]
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
    if config.metrics_histogram_aggregation == crate::config::HistogramAggregation::Base2Exponential
    {
        // Every histogram: the SDK has no per-reader default aggregation, and the config
        // refused this choice when the Prometheus reader is on.
        builder = builder.with_view(|i: &opentelemetry_sdk::metrics::Instrument| {
            (i.kind() == opentelemetry_sdk::metrics::InstrumentKind::Histogram)
                .then(|| {
                    opentelemetry_sdk::metrics::Stream::builder()
                        .with_aggregation(
                            opentelemetry_sdk::metrics::Aggregation::Base2ExponentialHistogram {
                                max_size: 160,
                                max_scale: 20,
                                record_min_max: true,
                            },
                        )
                        .build()
                        .ok()
                })
                .flatten()
        });
    }
    let provider = builder.build();
    // Only an OTLP metric exporter has exports to count (no zero series otherwise).
    #[cfg(any(feature = "grpc", feature = "http"))]
    if exporters.otlp {
        let _ = otlp_counters.set(super::export_counters::ExportCounters::new(
            &opentelemetry::metrics::MeterProvider::meter(&provider, crate::signal::SCOPE),
            Signal::Metrics,
        ));
    }
    Ok(MetricsPipeline { provider, registry })
}
