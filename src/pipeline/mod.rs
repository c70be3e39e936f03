//! Everything [`Telemetry::build`](crate::Telemetry::build) wires, one file per piece: the
//! resource, the three providers and their OTLP exporters (counted), the `tracing` subscriber,
//! panic-contained meters and process metrics.
//!
//! Nothing here imports the facade (`telemetry.rs`, `lib.rs`) or sets a global: the caller
//! decides what becomes process-wide, through [`Pipeline::build`]'s `on_meter_provider` hook.

#[cfg(any(feature = "grpc", feature = "otlp-http"))]
mod export_counters;
mod fast_fields;
pub(crate) mod guarded_meter;
mod json_span;
mod limits;
mod logs;
mod metrics;
pub(crate) mod otlp;
pub(crate) mod process;
mod resource;
pub(crate) mod subscriber;
pub(crate) mod tokio_metrics;
pub(crate) mod traces;

use std::time::{Duration, Instant};

use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::logs::SdkLoggerProvider;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::Dispatch;

use crate::config::TelemetryConfig;
use crate::error::Result;
use crate::signal::SCOPE;

/// The built providers, the registry the Prometheus reader fills, and the dispatcher.
pub(crate) struct Pipeline {
    pub(crate) dispatch: Dispatch,
    pub(crate) tracer_provider: Option<SdkTracerProvider>,
    pub(crate) meter_provider: SdkMeterProvider,
    /// Whether a reader collects from `meter_provider`; without one, instruments come from a
    /// no-op meter (the SDK refuses every observable instrument of a provider without readers,
    /// with an ERROR line per instrument).
    pub(crate) metrics_collected: bool,
    pub(crate) logger_provider: Option<SdkLoggerProvider>,
    pub(crate) registry: Option<prometheus::Registry>,
    /// Keeps the process-metric callbacks registered for the pipeline's lifetime.
    _process: process::ProcessMetrics,
    _tokio: tokio_metrics::TokioMetrics,
}

impl Pipeline {
    /// Builds every provider for `config`, doing I/O on `runtime` (`None`: the SDK is disabled,
    /// so nothing is exported). `on_meter_provider` runs once the meter provider exists and
    /// before the tracer and logger providers are built: the SDK's own instruments (spans
    /// processed, dropped on a full queue) take the global meter provider at that moment. It
    /// does not run when no reader collects metrics (the global provider stays the no-op one).
    pub(crate) fn build(
        config: &TelemetryConfig,
        runtime: Option<&tokio::runtime::Handle>,
        on_meter_provider: impl FnOnce(&SdkMeterProvider),
    ) -> Result<Self> {
        let (tracer_provider, meter_provider, logger_provider, registry, metrics_collected) =
            match runtime {
                Some(handle) => {
                    let resource = resource::build(config);
                    let metrics = metrics::build_provider(config, &resource, handle)?;
                    if metrics.collected {
                        on_meter_provider(&metrics.provider);
                    }
                    let meter = scope_meter(&metrics.provider, metrics.collected);
                    let tracer_provider =
                        traces::build_provider(config, &resource, handle, &meter)?;
                    let logger_provider = logs::build_provider(config, &resource, handle, &meter)?;
                    (
                        tracer_provider,
                        metrics.provider,
                        logger_provider,
                        metrics.registry,
                        metrics.collected,
                    )
                }
                None => (None, SdkMeterProvider::builder().build(), None, None, false),
            };

        let tokio = if config.runtime_metrics && metrics_collected {
            tokio_metrics::register(&meter_provider.meter(SCOPE))
        } else {
            tokio_metrics::TokioMetrics::default()
        };
        let process = if config.process_metrics && metrics_collected {
            process::register(&meter_provider.meter(SCOPE))
        } else {
            process::ProcessMetrics::default()
        };

        let tracer = tracer_provider.as_ref().map(|p| p.tracer(SCOPE));
        let dispatch = subscriber::build_subscriber(
            config,
            config.log_writer.clone(),
            tracer,
            logger_provider.as_ref(),
        )?;
        Ok(Pipeline {
            dispatch,
            tracer_provider,
            meter_provider,
            metrics_collected,
            logger_provider,
            registry,
            _process: process,
            _tokio: tokio,
        })
    }
}

/// This crate's meter on `provider`, or a no-op meter when nothing collects from it.
pub(crate) fn scope_meter(
    provider: &SdkMeterProvider,
    collected: bool,
) -> opentelemetry::metrics::Meter {
    if collected {
        provider.meter(SCOPE)
    } else {
        opentelemetry::metrics::NoopMeterProvider::new().meter(SCOPE)
    }
}

/// Cheap clones of the three providers, to flush or shut down on another thread.
#[derive(Clone)]
pub(crate) struct Providers {
    tracer: Option<SdkTracerProvider>,
    logger: Option<SdkLoggerProvider>,
    meter: SdkMeterProvider,
}

impl Providers {
    pub(crate) fn of(pipeline: &Pipeline) -> Self {
        Providers {
            tracer: pipeline.tracer_provider.clone(),
            logger: pipeline.logger_provider.clone(),
            meter: pipeline.meter_provider.clone(),
        }
    }

    /// Exports everything buffered; returns one line per signal that failed.
    pub(crate) fn flush(self) -> Vec<String> {
        let mut failures = Vec::new();
        if let Some(p) = self.tracer {
            if let Err(e) = p.force_flush() {
                failures.push(format!("traces: {e}"));
            }
        }
        if let Some(p) = self.logger {
            if let Err(e) = p.force_flush() {
                failures.push(format!("logs: {e}"));
            }
        }
        if let Err(e) = self.meter.force_flush() {
            failures.push(format!("metrics: {e}"));
        }
        failures
    }

    /// Shuts down traces → logs → metrics, each within what is left until `deadline`; every
    /// signal is attempted. Returns one line per signal that failed.
    pub(crate) fn shutdown(self, deadline: Instant) -> Vec<String> {
        let remaining = || {
            deadline
                .saturating_duration_since(Instant::now())
                .max(Duration::from_millis(1))
        };
        let mut failures = Vec::new();
        if let Some(p) = self.tracer {
            if let Err(e) = p.shutdown_with_timeout(remaining()) {
                failures.push(format!("traces: {e}"));
            }
        }
        if let Some(p) = self.logger {
            if let Err(e) = p.shutdown_with_timeout(remaining()) {
                failures.push(format!("logs: {e}"));
            }
        }
        if let Err(e) = self.meter.shutdown_with_timeout(remaining()) {
            failures.push(format!("metrics: {e}"));
        }
        failures
    }
}
