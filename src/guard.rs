//! [`Telemetry`], the guard that owns the pipeline: accessors for the providers, and a
//! shutdown that flushes traces → logs → metrics on a dedicated thread, bounded by a timeout,
//! whatever runtime the caller is on (or none).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use opentelemetry::metrics::{Meter, MeterProvider as _};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::logs::SdkLoggerProvider;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::Dispatch;

use crate::config::TelemetryConfig;
use crate::error::{Error, Result};
use crate::process::ProcessMetrics;
use crate::runtime::IoRuntime;
use crate::scrape::{ScrapeHandler, ScrapeServer};

/// Instrumentation scope of everything this crate records.
pub(crate) const SCOPE: &str = "marketplace-telemetry";

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
    dispatch: Dispatch,
    tracer_provider: Option<SdkTracerProvider>,
    meter_provider: SdkMeterProvider,
    logger_provider: Option<SdkLoggerProvider>,
    registry: Option<prometheus::Registry>,
    scrape: Mutex<Option<ScrapeServer>>,
    runtime: Mutex<Option<IoRuntime>>,
    _process: ProcessMetrics,
    marketplace: std::sync::OnceLock<crate::marketplace::MarketplaceMetrics>,
    shut_down: AtomicBool,
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
        Self::build_inner(config, false)
    }

    /// `install_global_meter`: make our meter provider the global one before the tracer and
    /// logger providers are built, so the SDK's own instruments (spans processed, dropped on a
    /// full queue) land on our scrape.
    pub(crate) fn build_inner(config: TelemetryConfig, install_global_meter: bool) -> Result<Self> {
        let disabled = config.sdk_disabled;
        // One small thread with a current-thread runtime for every I/O the SDK does.
        let runtime = if disabled {
            None
        } else {
            Some(IoRuntime::start()?)
        };

        let resource = crate::resource::build(&config);
        let (tracer_provider, meter_provider, logger_provider, registry) = match &runtime {
            Some(rt) => {
                let handle = rt.handle();
                let metrics = crate::metrics::build_provider(&config, &resource, handle)?;
                if install_global_meter {
                    opentelemetry::global::set_meter_provider(
                        crate::callback_guard::GuardedMeterProvider(metrics.provider.clone()),
                    );
                }
                let meter = metrics.provider.meter(SCOPE);
                let tracer_provider =
                    crate::traces::build_provider(&config, &resource, handle, &meter)?;
                let logger_provider =
                    crate::logs::build_logger_provider(&config, &resource, handle, &meter)?;
                (
                    tracer_provider,
                    metrics.provider,
                    logger_provider,
                    metrics.registry,
                )
            }
            None => (None, SdkMeterProvider::builder().build(), None, None),
        };

        let process = if config.process_metrics && !disabled {
            crate::process::register(&meter_provider.meter(SCOPE))
        } else {
            ProcessMetrics::default()
        };

        let scrape = match (&registry, &runtime) {
            (Some(registry), Some(rt)) if config.serve_scrape_endpoint => {
                Some(ScrapeServer::start(
                    config.prometheus_addr,
                    ScrapeHandler::new(registry.clone()),
                    rt.handle(),
                )?)
            }
            _ => None,
        };

        let tracer = tracer_provider.as_ref().map(|p| p.tracer(SCOPE));
        let subscriber = crate::logs::build_subscriber(
            &config,
            config.log_writer.clone(),
            tracer,
            logger_provider.as_ref(),
        )?;
        let dispatch = Dispatch::new(subscriber);

        let telemetry = Telemetry {
            config,
            dispatch,
            tracer_provider,
            meter_provider,
            logger_provider,
            registry,
            scrape: Mutex::new(scrape),
            runtime: Mutex::new(runtime),
            _process: process,
            marketplace: std::sync::OnceLock::new(),
            shut_down: AtomicBool::new(false),
        };
        tracing::dispatcher::with_default(&telemetry.dispatch, || telemetry.log_startup());
        Ok(telemetry)
    }

    fn log_startup(&self) {
        tracing::info!(
            name: "Telemetry.Started",
            target: "marketplace_telemetry",
            "telemetry started: {}",
            self.config.report()
        );
    }

    /// The effective configuration.
    pub fn config(&self) -> &TelemetryConfig {
        &self.config
    }

    /// The `tracing` dispatcher with the console, span-export and log-export layers.
    /// [`init_telemetry`](crate::init_telemetry) installs it globally.
    pub fn dispatch(&self) -> &Dispatch {
        &self.dispatch
    }

    /// The tracer provider, if any trace exporter is configured.
    pub fn tracer_provider(&self) -> Option<&SdkTracerProvider> {
        self.tracer_provider.as_ref()
    }

    /// The meter provider (without readers when the SDK is disabled).
    pub fn meter_provider(&self) -> &SdkMeterProvider {
        &self.meter_provider
    }

    /// The logger provider, if any log exporter is configured.
    pub fn logger_provider(&self) -> Option<&SdkLoggerProvider> {
        self.logger_provider.as_ref()
    }

    /// A meter with this crate's instrumentation scope, for your own instruments. Its
    /// observable callbacks are panic-contained: a callback that panics skips its own
    /// observations, and every other metric is still collected (the SDK alone would stop all
    /// metric collection for good).
    pub fn meter(&self) -> Meter {
        crate::callback_guard::guarded_meter(self.meter_provider.meter(SCOPE))
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
    pub fn marketplace(&self) -> crate::marketplace::MarketplaceMetrics {
        self.marketplace
            .get_or_init(|| {
                let mut builder = crate::marketplace::MarketplaceMetrics::builder(&self.meter())
                    .with_caches(self.config.caches.iter().cloned());
                if let Some(ns) = &self.config.metrics_namespace {
                    builder = builder.with_namespace(ns.clone());
                }
                builder.build()
            })
            .clone()
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
        self.registry.clone().map(ScrapeHandler::new)
    }

    /// Exports everything buffered now, bounded by the shutdown timeout.
    ///
    /// # Errors
    ///
    /// [`Error::Shutdown`] listing each signal whose flush failed or timed out.
    pub fn force_flush(&self) -> Result<()> {
        let tracer = self.tracer_provider.clone();
        let logger = self.logger_provider.clone();
        let meter = self.meter_provider.clone();
        self.run_bounded("flush", move |_deadline| {
            let mut failures = Vec::new();
            if let Some(p) = tracer {
                if let Err(e) = p.force_flush() {
                    failures.push(format!("traces: {e}"));
                }
            }
            if let Some(p) = logger {
                if let Err(e) = p.force_flush() {
                    failures.push(format!("logs: {e}"));
                }
            }
            if let Err(e) = meter.force_flush() {
                failures.push(format!("metrics: {e}"));
            }
            failures
        })
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
        let tracer = self.tracer_provider.clone();
        let logger = self.logger_provider.clone();
        let meter = self.meter_provider.clone();
        let result = self.run_bounded("shutdown", move |deadline| {
            let remaining = || {
                deadline
                    .saturating_duration_since(Instant::now())
                    .max(Duration::from_millis(1))
            };
            let mut failures = Vec::new();
            if let Some(p) = tracer {
                if let Err(e) = p.shutdown_with_timeout(remaining()) {
                    failures.push(format!("traces: {e}"));
                }
            }
            if let Some(p) = logger {
                if let Err(e) = p.shutdown_with_timeout(remaining()) {
                    failures.push(format!("logs: {e}"));
                }
            }
            if let Err(e) = meter.shutdown_with_timeout(remaining()) {
                failures.push(format!("metrics: {e}"));
            }
            failures
        });
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
