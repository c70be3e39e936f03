//! [`Telemetry`], the guard that owns the pipeline: accessors for the providers, and a
//! shutdown that flushes traces → logs → metrics on a dedicated thread, bounded by a timeout,
//! whatever runtime the caller is on (or none).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use opentelemetry::metrics::Meter;
use opentelemetry_sdk::logs::SdkLoggerProvider;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::Dispatch;

use crate::config::TelemetryConfig;
use crate::error::{Error, Result};
use crate::exemplars::Exemplars;
use crate::marketplace::MarketplaceMetrics;
use crate::pipeline::{guarded_meter, Pipeline, Providers};
use crate::runtime::IoRuntime;
use crate::scrape::{ScrapeHandler, ScrapeServer};

/// Extra time granted past the configured timeout before `shutdown` gives up on the worker
/// thread (the SDK's own timeouts are not always exact).
const SHUTDOWN_MARGIN: Duration = Duration::from_millis(500);

/// The telemetry pipeline: providers for the three signals, the scrape endpoint and the
/// `tracing` dispatcher. Dropping it flushes and shuts everything down (bounded by
/// [`TelemetryConfig::shutdown_timeout`]); so does [`shutdown`](Self::shutdown).
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), marketplace_telemetry::Error> {
/// use marketplace_telemetry::{Telemetry, TelemetryConfig};
///
/// let config = TelemetryConfig::builder()
///     .with_service_name("docs")
///     .with_prometheus_port(0)                // any free port
///     .with_traces_exporters(Default::default()) // no collector in doc tests
///     .build_from(|_| None)?;
/// let telemetry = Telemetry::build(config)?;   // no globals touched
/// let counter = telemetry.meter().u64_counter("docs.runs").build();
/// counter.add(1, &[]);
/// assert!(telemetry.scrape_addr().is_some());
/// telemetry.shutdown()?;
/// # Ok(()) }
/// ```
#[must_use = "dropping the guard shuts telemetry down"]
pub struct Telemetry {
    config: TelemetryConfig,
    pipeline: Pipeline,
    scrape: Mutex<Option<ScrapeServer>>,
    runtime: Mutex<Option<IoRuntime>>,
    marketplace: OnceLock<MarketplaceMetrics>,
    shut_down: AtomicBool,
    exemplars: Exemplars,
    /// Resource labels the bridge puts on every series (Prometheus spelling).
    resource_labels: Arc<[String]>,
}

impl std::fmt::Debug for Telemetry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never format the SDK providers: their exporters print header values.
        f.debug_struct("Telemetry")
            .field("service_name", &self.config.service_name)
            .field("scrape_addr", &self.scrape_addr())
            .field("shut_down", &self.shut_down.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

// === impl Telemetry ===

impl Telemetry {
    /// Builds the whole pipeline without installing anything globally: no global subscriber,
    /// tracer/meter provider or propagator. Use [`dispatch`](Self::dispatch) with
    /// `tracing::dispatcher::with_default` to record through it. Tests and embedders use this;
    /// services use [`init_telemetry`](crate::init_telemetry).
    ///
    /// # Errors
    ///
    /// [`Error::NoTokioRuntime`] for gRPC outside a Tokio runtime, [`Error::FeatureDisabled`],
    /// [`Error::Exporter`], [`Error::ScrapeBind`] when the scrape port is taken,
    /// [`Error::Thread`].
    ///
    /// # Examples
    ///
    /// See [`Telemetry`].
    pub fn build(config: TelemetryConfig) -> Result<Self> {
        Self::build_with(config, |_| {})
    }

    /// [`build`](Self::build), calling `on_meter_provider` as soon as the meter provider exists
    /// (before the tracer and logger providers are built): [`init_telemetry`](crate::init_telemetry)
    /// makes it the global one there, so the SDK's own instruments land on our scrape.
    pub(crate) fn build_with(
        config: TelemetryConfig,
        on_meter_provider: impl FnOnce(&SdkMeterProvider),
    ) -> Result<Self> {
        // One small thread with a current-thread runtime for every I/O the SDK does.
        let runtime = if config.sdk_disabled {
            None
        } else {
            Some(IoRuntime::start()?)
        };
        let pipeline = Pipeline::build(
            &config,
            runtime.as_ref().map(IoRuntime::handle),
            on_meter_provider,
        )?;
        let exemplars = Exemplars::new(config.exemplar_filter);
        let resource_labels: Arc<[String]> = config
            .prometheus_resource_labels
            .iter()
            .map(|k| crate::exemplars::prometheus_label(k))
            .collect();
        let scrape = match (&pipeline.registry, &runtime) {
            (Some(registry), Some(rt)) if config.serve_scrape_endpoint => {
                // Loaded before the port is bound: a bad file is an error, never an open port.
                let web = config
                    .prometheus_web_config
                    .as_deref()
                    .map(crate::scrape::load_web_config)
                    .transpose()?;
                Some(ScrapeServer::start(
                    config.prometheus_addr,
                    ScrapeHandler::new(
                        registry.clone(),
                        Some((exemplars.clone(), resource_labels.clone())),
                    ),
                    web,
                    pipeline.dispatch.clone(),
                    rt.handle(),
                )?)
            }
            _ => None,
        };
        if config.prometheus_web_config.is_some() && !config.serve_scrape_endpoint {
            tracing::dispatcher::with_default(&pipeline.dispatch, || {
                tracing::warn!(
                    name: "ScrapeEndpoint.WebConfigUnused",
                    "MARKETPLACE_PROMETHEUS_WEB_CONFIG is set but the SDK serves no endpoint (with_scrape_endpoint(false)): it protects nothing; protect the route you mount ScrapeHandler on"
                );
            });
        }
        let telemetry = Telemetry {
            config,
            pipeline,
            scrape: Mutex::new(scrape),
            runtime: Mutex::new(runtime),
            marketplace: OnceLock::new(),
            shut_down: AtomicBool::new(false),
            exemplars,
            resource_labels,
        };
        tracing::dispatcher::with_default(telemetry.dispatch(), || telemetry.log_startup());
        Ok(telemetry)
    }

    fn log_startup(&self) {
        tracing::info!(
            name: "Telemetry.Started",
            target: "marketplace_telemetry",
            "telemetry started: {}",
            self.config.report()
        );
        for warning in &self.config.config_warnings {
            tracing::warn!(
                name: "Telemetry.ConfigFileWarning",
                target: "marketplace_telemetry",
                "{warning}"
            );
        }
    }

    /// The effective configuration.
    pub fn config(&self) -> &TelemetryConfig {
        &self.config
    }

    /// The `tracing` dispatcher with the console, span-export and log-export layers.
    /// [`init_telemetry`](crate::init_telemetry) installs it globally.
    pub fn dispatch(&self) -> &Dispatch {
        &self.pipeline.dispatch
    }

    /// The tracer provider, if any trace exporter is configured.
    pub fn tracer_provider(&self) -> Option<&SdkTracerProvider> {
        self.pipeline.tracer_provider.as_ref()
    }

    /// The meter provider (without readers when the SDK is disabled).
    pub fn meter_provider(&self) -> &SdkMeterProvider {
        &self.pipeline.meter_provider
    }

    /// The logger provider, if any log exporter is configured.
    pub fn logger_provider(&self) -> Option<&SdkLoggerProvider> {
        self.pipeline.logger_provider.as_ref()
    }

    /// A meter with this crate's instrumentation scope, for your own instruments. Its
    /// observable callbacks are panic-contained: a callback that panics skips its own
    /// observations, and every other metric is still collected (the SDK alone would stop all
    /// metric collection for good).
    pub fn meter(&self) -> Meter {
        guarded_meter::guarded_meter(crate::pipeline::scope_meter(
            &self.pipeline.meter_provider,
            self.pipeline.metrics_collected,
        ))
    }

    /// The marketplace instruments and helpers (created on first call, then shared; cheap to
    /// clone), with the configured namespace and caches.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> Result<(), marketplace_telemetry::Error> {
    /// use marketplace_telemetry::marketplace::ItemType;
    /// # let config = marketplace_telemetry::TelemetryConfig::builder()
    /// #     .with_sdk_disabled(true).build_from(|_| None)?;
    /// # let telemetry = marketplace_telemetry::Telemetry::build(config)?;
    /// let metrics = telemetry.marketplace();
    /// metrics.set_items(ItemType::Plugin, 120);
    /// # Ok(()) }
    /// ```
    pub fn marketplace(&self) -> MarketplaceMetrics {
        self.marketplace
            .get_or_init(|| {
                MarketplaceMetrics::builder(&self.meter())
                    .with_exemplars(self.exemplars.clone())
                    .with_settings(self.config.marketplace_settings())
                    .build()
            })
            .clone()
    }

    /// The platform handles' factory (databases and pools, queues, LLM calls, breakers, rate
    /// limits) over this pipeline's meter, with the configured namespace for our own names.
    ///
    /// ```
    /// # fn main() -> Result<(), marketplace_telemetry::Error> {
    /// use marketplace_telemetry::platform::{ConnectionPools, Platform};
    /// use marketplace_telemetry::{Telemetry, TelemetryConfig};
    ///
    /// let config = TelemetryConfig::builder().with_sdk_disabled(true).build_from(|_| None)?;
    /// let telemetry = Telemetry::build(config)?;
    /// let platform: Platform = telemetry.platform();
    /// let pools: ConnectionPools = platform.connection_pools(["main"]);
    /// pools.pool("main").set_max(10);
    /// # Ok(()) }
    /// ```
    pub fn platform(&self) -> crate::platform::Platform {
        let platform = crate::platform::Platform::new(&self.meter());
        match &self.config.metrics_namespace {
            Some(ns) => platform.with_metrics_namespace(ns.clone()),
            None => platform,
        }
    }

    /// The address the scrape endpoint is bound to (useful with port 0), if it is served.
    pub fn scrape_addr(&self) -> Option<SocketAddr> {
        self.scrape
            .lock()
            .ok()
            .and_then(|s| s.as_ref().map(ScrapeServer::addr))
    }

    /// A handler rendering `/metrics`, to mount in your own router, if the Prometheus exporter
    /// is on.
    pub fn scrape_handler(&self) -> Option<ScrapeHandler> {
        self.pipeline.registry.clone().map(|registry| {
            ScrapeHandler::new(
                registry,
                Some((self.exemplars.clone(), self.resource_labels.clone())),
            )
        })
    }

    /// The pipeline's exemplar store (filter from `OTEL_METRICS_EXEMPLAR_FILTER`): the
    /// instruments of [`marketplace`](Self::marketplace) and [`http_layer`](Self::http_layer)
    /// record into it and the scrape endpoint's OpenMetrics rendering reads it.
    pub fn exemplars(&self) -> &Exemplars {
        &self.exemplars
    }

    /// The tower HTTP layer on this pipeline's meter, with exemplars on its duration buckets.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> Result<(), marketplace_telemetry::Error> {
    /// # let config = marketplace_telemetry::TelemetryConfig::builder()
    /// #     .with_sdk_disabled(true).build_from(|_| None)?;
    /// # let telemetry = marketplace_telemetry::Telemetry::build(config)?;
    /// let app: axum::Router = axum::Router::new()
    ///     .route("/", axum::routing::get(|| async { "ok" }))
    ///     .layer(telemetry.http_layer());
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "http-server")]
    pub fn http_layer(&self) -> crate::http::HttpLayer {
        crate::http::HttpLayer::new(&self.meter()).with_exemplars(self.exemplars.clone())
    }

    /// The HTTP client layer on this pipeline's meter, with exemplars on the OpenMetrics
    /// scrape (feature `http-client`): wrap a hyper-based client with it, or hand it to
    /// [`ReqwestTracing`](crate::http_client::ReqwestTracing) (feature `reqwest`).
    #[cfg(feature = "http-client")]
    pub fn http_client_layer(&self) -> crate::http_client::HttpClientLayer {
        let layer = crate::http_client::HttpClientLayer::new(&self.meter())
            .with_exemplars(self.exemplars.clone());
        match self.tracer_provider() {
            Some(provider) => {
                use opentelemetry::trace::TracerProvider as _;
                layer.with_tracer(provider.tracer(crate::signal::SCOPE))
            }
            None => layer,
        }
    }

    /// The gRPC server layer on this pipeline's meter, with exemplars (feature `grpc-layers`):
    /// `tonic::transport::Server::builder().layer(telemetry.grpc_server_layer())`.
    #[cfg(feature = "grpc-layers")]
    pub fn grpc_server_layer(&self) -> crate::grpc::GrpcServerLayer {
        crate::grpc::GrpcServerLayer::with_exemplars(&self.meter(), self.exemplars.clone())
    }

    /// The gRPC client layer on this pipeline's meter, with exemplars (feature `grpc-layers`):
    /// wrap a tonic `Channel` with it before handing it to a generated client.
    #[cfg(feature = "grpc-layers")]
    pub fn grpc_client_layer(&self) -> crate::grpc::GrpcClientLayer {
        crate::grpc::GrpcClientLayer::with_exemplars(&self.meter(), self.exemplars.clone())
    }

    /// Exports everything buffered now, bounded by the shutdown timeout.
    ///
    /// # Errors
    ///
    /// [`Error::Shutdown`] listing each signal whose flush failed or timed out.
    pub fn force_flush(&self) -> Result<()> {
        let providers = Providers::of(&self.pipeline);
        self.run_bounded("flush", move |_deadline| providers.flush())
    }

    /// Flushes and shuts down traces → logs → metrics, then stops the scrape endpoint.
    /// Bounded by [`TelemetryConfig::shutdown_timeout`] (plus a small margin) on every runtime
    /// flavour, including from inside a current-thread runtime's `block_on`, and with no
    /// runtime. A second call does nothing and returns `Ok`. Telemetry recorded afterwards is
    /// dropped silently.
    ///
    /// # Errors
    ///
    /// [`Error::Shutdown`] listing every signal that failed or timed out (all signals are
    /// attempted).
    ///
    /// # Examples
    ///
    /// See [`Telemetry`].
    pub fn shutdown(&self) -> Result<()> {
        if self.shut_down.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        let providers = Providers::of(&self.pipeline);
        let result = self.run_bounded("shutdown", move |deadline| providers.shutdown(deadline));
        if let Ok(mut scrape) = self.scrape.lock() {
            if let Some(mut server) = scrape.take() {
                server.stop();
            }
        }
        if let Ok(mut runtime) = self.runtime.lock() {
            if let Some(mut rt) = runtime.take() {
                rt.stop();
            }
        }
        result
    }

    /// Runs `work` on a fresh thread and waits at most the configured timeout (+ margin).
    fn run_bounded<F>(&self, what: &'static str, work: F) -> Result<()>
    where
        F: FnOnce(Instant) -> Vec<String> + Send + 'static,
    {
        let timeout = self.config.shutdown_timeout;
        let deadline = Instant::now() + timeout;
        let (tx, rx) = std::sync::mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name(format!("marketplace-telemetry-{what}"))
            .spawn(move || {
                let _ = tx.send(work(deadline));
            });
        if let Err(source) = spawned {
            return Err(Error::Thread {
                what: "shutdown",
                source,
            });
        }
        match rx.recv_timeout(timeout + SHUTDOWN_MARGIN) {
            Ok(failures) if failures.is_empty() => Ok(()),
            Ok(failures) => Err(Error::Shutdown { failures }),
            // The worker is left to finish on its own; the host goes on.
            Err(_) => Err(Error::Shutdown {
                failures: vec![format!("{what} timed out after {timeout:?}")],
            }),
        }
    }
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Err(error) = self.shutdown() {
            // The global subscriber may be ours; write where the host can see it regardless.
            eprintln!("marketplace-telemetry: {error}");
        }
    }
}
