//! OpenTelemetry-native telemetry for marketplace services, in one call.
//!
//! ```no_run
//! use marketplace_telemetry::{init_telemetry, TelemetryConfig};
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let telemetry = init_telemetry(TelemetryConfig::from_env()?)?;
//!     search("sparql").await;
//!     telemetry.shutdown()?; // or just drop it: the guard flushes
//!     Ok(())
//! }
//!
//! #[tracing::instrument]
//! async fn search(query: &str) {
//!     tracing::info!(hits = 3, "searched"); // carries trace_id/span_id
//! }
//! ```
//!
//! That one call gives:
//!
//! - **Traces** over OTLP (gRPC, or HTTP/protobuf with the `http` feature) through the SDK's
//!   batch processor, with resource attributes, sampler and W3C propagators; every
//!   `#[tracing::instrument]` span is exported.
//! - **Metrics** through one [`SdkMeterProvider`](opentelemetry_sdk::metrics::SdkMeterProvider)
//!   whose Prometheus reader is served on `http://127.0.0.1:9464/metrics` (or mounted in your
//!   router with [`ScrapeHandler`]), optionally pushed over OTLP, with process metrics.
//! - **Logs** through `tracing`: `RUST_LOG` filtering, text or JSON (`RUST_LOG_FORMAT=json`),
//!   each line inside a span carrying `trace_id` and `span_id`; optionally OTLP log records.
//! - A [`Telemetry`] guard whose shutdown (explicit or on drop) is bounded by a timeout on any
//!   runtime flavour.
//!
//! Everything is configured by the standard `OTEL_*` variables (see [`config`]) or the
//! [`TelemetryConfig::builder`]; a bad value is an [`Error`] naming the variable.
//!
//! # Modules
//!
//! - [`config`]: [`TelemetryConfig`], its builder and the environment variables.
//! - [`Telemetry`]: the guard; [`Telemetry::build`] wires a pipeline without touching globals.
//! - [`ScrapeHandler`]: the `/metrics` rendering.
//! - [`Error`]: the one error type.

#![warn(
    missing_docs,
    unreachable_pub,
    rust_2018_idioms,
    missing_debug_implementations
)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod catalog;
pub mod config;
mod deprecated;
mod error;
mod exemplars;
#[cfg(feature = "grpc-layers")]
#[cfg_attr(docsrs, doc(cfg(feature = "grpc-layers")))]
pub mod grpc;
#[cfg(feature = "http-server")]
#[cfg_attr(docsrs, doc(cfg(feature = "http-server")))]
pub mod http;
#[cfg(feature = "http-client")]
#[cfg_attr(docsrs, doc(cfg(feature = "http-client")))]
pub mod http_client;
pub mod marketplace;
mod openmetrics;
mod panic_hook;
mod pipeline;
pub mod platform;
mod runtime;
mod scrape;
mod shutdown;
mod signal;
mod telemetry;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;

use std::sync::atomic::{AtomicBool, Ordering};

pub use config::{LogWriter, TelemetryConfig, TelemetryConfigBuilder};
pub use error::{Error, Result};
pub use exemplars::{ExemplarFilter, Exemplars};
pub use openmetrics::{ExpositionFormat, OPENMETRICS_CONTENT_TYPE};
pub use pipeline::subscriber::tracing_dispatch;
// Pipeline internals that were re-exported here: still reachable for code that names them,
// out of the documented API (to be removed in the next release).
#[doc(hidden)]
pub use pipeline::process::PROCESS_METRICS;
#[doc(hidden)]
pub use pipeline::subscriber::{EXPORTER_CRATES, EXPORT_ERROR_LOG_WINDOW};
#[doc(hidden)]
pub use pipeline::tokio_metrics::TOKIO_METRICS;
pub use scrape::{ScrapeHandler, CONTENT_TYPE};
pub use shutdown::{shutdown_signal, ShutdownSignal};
pub use signal::{EXPORT_BATCHES, EXPORT_ITEMS};
pub use telemetry::Telemetry;

/// Re-exports of the pinned OpenTelemetry crates, so users need not match versions themselves.
pub mod reexports {
    pub use opentelemetry;
    pub use opentelemetry_sdk;
    pub use tracing_opentelemetry;
}

/// The README's code blocks, compiled as doc tests so the README cannot drift from the API
/// (with the `testing` feature, which its test-kit examples use; CI builds all features).
#[cfg(all(doctest, feature = "testing"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

static INITIALIZED: AtomicBool = AtomicBool::new(false);

/// Builds the pipeline and installs it process-wide: the `tracing` subscriber (plus the `log`
/// bridge), the global tracer and meter providers, and the propagators.
///
/// # Errors
///
/// Everything [`Telemetry::build`] returns, and [`Error::AlreadyInitialized`] when called a
/// second time in one process (or when another global `tracing` subscriber is already set).
///
/// # Examples
///
/// ```no_run
/// # #[tokio::main]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let telemetry = marketplace_telemetry::init_telemetry(
///     marketplace_telemetry::TelemetryConfig::from_env()?,
/// )?;
/// tracing::info!("up");
/// telemetry.shutdown()?;
/// # Ok(()) }
/// ```
pub fn init_telemetry(config: TelemetryConfig) -> Result<Telemetry> {
    if INITIALIZED
        .compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst)
        .is_err()
    {
        return Err(Error::AlreadyInitialized);
    }
    let result = install(config);
    if result.is_err() {
        INITIALIZED.store(false, Ordering::SeqCst);
    }
    result
}

/// Every process-wide write this crate makes happens here.
fn install(config: TelemetryConfig) -> Result<Telemetry> {
    let propagators = config.propagators.clone();
    // The SDK's own instruments (e.g. the batch processor's span counts) take the global meter
    // provider when the tracer and logger providers are built: ours must be global by then.
    let telemetry = Telemetry::build_with(config, |provider| {
        opentelemetry::global::set_meter_provider(pipeline::guarded_meter::GuardedMeterProvider(
            provider.clone(),
        ));
    })?;
    tracing::dispatcher::set_global_default(telemetry.dispatch().clone())
        .map_err(|_| Error::AlreadyInitialized)?;
    // `log` records from dependencies go through the same subscriber; if another logger is
    // set already, keep it.
    let _ = tracing_log::LogTracer::init();
    if let Some(provider) = telemetry.tracer_provider() {
        opentelemetry::global::set_tracer_provider(provider.clone());
    }
    opentelemetry::global::set_text_map_propagator(pipeline::traces::propagator(&propagators));
    if telemetry.config().panic_hook {
        let namespace = telemetry.config().metrics_namespace.as_deref();
        panic_hook::install(catalog::PANICS.u64_counter(&telemetry.meter(), namespace));
    }
    Ok(telemetry)
}
