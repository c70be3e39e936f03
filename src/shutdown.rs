//! [`shutdown_signal`]: wait for the signal that ends a service (SIGTERM from Kubernetes,
//! systemd or `docker stop`; SIGINT from Ctrl-C), so the host can stop serving and then call
//! [`Telemetry::shutdown`](crate::Telemetry::shutdown), which flushes what is still queued.

use std::fmt;

/// Which signal ended the wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ShutdownSignal {
    /// SIGTERM (Unix).
    Terminate,
    /// SIGINT / Ctrl-C.
    Interrupt,
}

impl fmt::Display for ShutdownSignal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ShutdownSignal::Terminate => "SIGTERM",
            ShutdownSignal::Interrupt => "SIGINT",
        })
    }
}

/// Completes when the process receives SIGTERM or SIGINT (on Unix; Ctrl-C elsewhere).
///
/// Await it inside a Tokio runtime (any flavour), e.g. as axum's graceful-shutdown future,
/// then call [`Telemetry::shutdown`](crate::Telemetry::shutdown) — that is what delivers the
/// spans still in the batch queue; a process killed by the default SIGTERM action loses them.
/// Outside a Tokio runtime, or if no handler can be registered, it logs a warning and never
/// completes (it never panics).
///
/// # Examples
///
/// ```no_run
/// # async fn serve(listener: tokio::net::TcpListener, app: axum::Router)
/// #     -> Result<(), Box<dyn std::error::Error>> {
/// let telemetry = marketplace_telemetry::init_telemetry(
///     marketplace_telemetry::TelemetryConfig::from_env()?,
/// )?;
/// axum::serve(listener, app)
///     .with_graceful_shutdown(async {
///         let signal = marketplace_telemetry::shutdown_signal().await;
///         tracing::info!(%signal, "shutting down");
///     })
///     .await?;
/// tokio::task::spawn_blocking(move || telemetry.shutdown()).await??;
/// # Ok(()) }
/// ```
pub async fn shutdown_signal() -> ShutdownSignal {
    if tokio::runtime::Handle::try_current().is_err() {
        tracing::warn!(
            name: "ShutdownSignal.NoRuntime",
            "shutdown_signal() needs a Tokio runtime; it will never complete"
        );
        return std::future::pending().await;
    }
    wait().await
}

#[cfg(unix)]
async fn wait() -> ShutdownSignal {
    use tokio::signal::unix::{signal, SignalKind};
    let terminate = signal(SignalKind::terminate());
    let interrupt = signal(SignalKind::interrupt());
    match (terminate, interrupt) {
        (Ok(mut terminate), Ok(mut interrupt)) => tokio::select! {
            _ = terminate.recv() => ShutdownSignal::Terminate,
            _ = interrupt.recv() => ShutdownSignal::Interrupt,
        },
        (Err(error), _) | (_, Err(error)) => {
            tracing::warn!(
                name: "ShutdownSignal.RegisterFailed",
                %error,
                "could not register the SIGTERM/SIGINT handlers; waiting for Ctrl-C only"
            );
            ctrl_c().await
        }
    }
}

#[cfg(not(unix))]
async fn wait() -> ShutdownSignal {
    ctrl_c().await
}

async fn ctrl_c() -> ShutdownSignal {
    match tokio::signal::ctrl_c().await {
        Ok(()) => ShutdownSignal::Interrupt,
        Err(error) => {
            tracing::warn!(name: "ShutdownSignal.RegisterFailed", %error, "could not wait for Ctrl-C");
            std::future::pending().await
        }
    }
}
