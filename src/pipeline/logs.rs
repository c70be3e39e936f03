//! The logger provider behind the OTLP log bridge: OTLP (counted) behind a batch processor
//! built from our checked `OTEL_BLRP_*` values, and/or the console exporter.

use opentelemetry::metrics::Meter;
use opentelemetry_sdk::logs::SdkLoggerProvider;
use opentelemetry_sdk::Resource;

use crate::config::TelemetryConfig;
use crate::error::Result;
use crate::signal::Signal;

/// Builds the logger provider for the OTLP log bridge, or `None` when no log exporter is on.
pub(super) fn build_provider(
    config: &TelemetryConfig,
    resource: &Resource,
    runtime: &tokio::runtime::Handle,
    meter: &Meter,
) -> Result<Option<SdkLoggerProvider>> {
    let exporters = config.logs_exporters;
    if !exporters.any() {
        return Ok(None);
    }
    let mut builder = SdkLoggerProvider::builder().with_resource(resource.clone());
    if exporters.otlp {
        #[cfg(not(any(feature = "grpc", feature = "otlp-http")))]
        {
            let _ = (runtime, meter);
            return Err(super::otlp::no_transport(Signal::Logs));
        }
        #[cfg(any(feature = "grpc", feature = "otlp-http"))]
        {
            let exporter = super::otlp::build_exporter!(
                Signal::Logs,
                opentelemetry_otlp::LogExporter::builder(),
                &config.logs_otlp.bounded(config.log_batch.export_timeout),
                runtime
            )?;
            let exporter = super::limits::LogLimits::new(
                super::export_counters::Counted::new(
                    exporter,
                    super::export_counters::slot(meter, Signal::Logs),
                ),
                config.log_record_limits,
            );
            // Built here rather than with `with_batch_exporter`, whose processor reads the
            // `OTEL_BLRP_*` variables unchecked (a huge queue would abort on allocation, 0 would
            // drop everything): ours are validated by the config and always set.
            let batch = opentelemetry_sdk::logs::BatchConfigBuilder::default()
                .with_max_queue_size(config.log_batch.max_queue_size)
                .with_max_export_batch_size(config.log_batch.max_export_batch_size)
                .with_scheduled_delay(config.log_batch.schedule_delay)
                .build();
            builder = builder.with_log_processor(
                opentelemetry_sdk::logs::BatchLogProcessor::builder(exporter)
                    .with_batch_config(batch)
                    .build(),
            );
        }
    }
    if exporters.console {
        builder = builder.with_simple_exporter(super::limits::LogLimits::new(
            opentelemetry_stdout::LogExporter::default(),
            config.log_record_limits,
        ));
    }
    Ok(Some(builder.build()))
}
