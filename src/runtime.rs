//! A small background Tokio runtime owned by the SDK: it drives the tonic channels of the OTLP
//! gRPC exporters and the scrape endpoint. Because it is ours, exports keep flowing and
//! shutdown can flush even when the host's runtime is single-threaded and blocked in
//! `shutdown()` (the SDK's batch processors run on their own threads and only need the channel
//! worker to be polled somewhere).

use std::thread::JoinHandle;
use std::time::Duration;

use crate::error::{Error, Result};

pub(crate) struct IoRuntime {
    handle: tokio::runtime::Handle,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl IoRuntime {
    pub(crate) fn start() -> Result<Self> {
        let thread_error = |source| Error::Thread {
            what: "telemetry I/O",
            source,
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(thread_error)?;
        let handle = runtime.handle().clone();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("marketplace-telemetry-io".into())
            .spawn(move || {
                runtime.block_on(async {
                    let _ = stop_rx.await;
                });
                // Tasks still running (idle connections, channel workers) are cancelled.
                runtime.shutdown_timeout(Duration::from_millis(200));
            })
            .map_err(thread_error)?;
        Ok(IoRuntime {
            handle,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    pub(crate) fn handle(&self) -> &tokio::runtime::Handle {
        &self.handle
    }

    pub(crate) fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for IoRuntime {
    fn drop(&mut self) {
        self.stop();
    }
}
