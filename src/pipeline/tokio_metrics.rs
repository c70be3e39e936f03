//! Tokio runtime metrics: the runtime `init_telemetry` runs in, read at collection (observable
//! instruments over tokio's stable `RuntimeMetrics`: a few atomic loads per worker per scrape,
//! nothing on any request's path).
//!
//! No semantic conventions exist for Tokio; the names are ours, in the style of the runtime
//! conventions of other languages (`jvm.thread.count`, `dotnet.thread_pool.queue.length`,
//! `jvm.cpu.time`) — but no gauge ends in `.count`: Prometheus reserves `_count` for histograms
//! and `promtool check metrics` flags it, and our scrape passes promtool clean:
//!
//! | instrument | kind | unit | Prometheus |
//! |---|---|---|---|
//! | `tokio.workers` | gauge | `{worker}` | `tokio_workers` |
//! | `tokio.tasks.alive` | gauge | `{task}` | `tokio_tasks_alive` |
//! | `tokio.global_queue.length` | gauge | `{task}` | `tokio_global_queue_length` |
//! | `tokio.worker.busy.time` (all workers) | counter | `s` | `tokio_worker_busy_time_seconds_total` |
//! | `tokio.worker.parks` (all workers) | counter | `{park}` | `tokio_worker_parks_total` |
//!
//! The busy ratio per interval is `rate(tokio_worker_busy_time_seconds_total[5m]) /
//! tokio_workers` (the recording rule `platform:tokio_busy:ratio_rate5m`).

use opentelemetry::metrics::Meter;

/// The Tokio runtime instrument names, OpenTelemetry form and Prometheus form.
pub const TOKIO_METRICS: &[(&str, &str)] = &[
    ("tokio.workers", "tokio_workers"),
    ("tokio.tasks.alive", "tokio_tasks_alive"),
    ("tokio.global_queue.length", "tokio_global_queue_length"),
    (
        "tokio.worker.busy.time",
        "tokio_worker_busy_time_seconds_total",
    ),
    ("tokio.worker.parks", "tokio_worker_parks_total"),
];

/// Keeps the observable instruments registered for the provider's lifetime.
#[derive(Debug, Default)]
pub(crate) struct TokioMetrics {
    #[allow(dead_code)] // held for their registration only
    handles: Vec<Box<dyn std::any::Any + Send + Sync>>,
}

/// Registers the instruments for the current Tokio runtime; none outside one.
pub(crate) fn register(meter: &Meter) -> TokioMetrics {
    let Ok(handle) = tokio::runtime::Handle::try_current() else {
        return TokioMetrics::default();
    };
    let metrics = handle.metrics();
    let mut handles: Vec<Box<dyn std::any::Any + Send + Sync>> = Vec::new();
    let m = metrics.clone();
    handles.push(Box::new(
        meter
            .u64_observable_gauge("tokio.workers")
            .with_unit("{worker}")
            .with_description("Worker threads of the Tokio runtime.")
            .with_callback(move |o| o.observe(m.num_workers() as u64, &[]))
            .build(),
    ));
    let m = metrics.clone();
    handles.push(Box::new(
        meter
            .u64_observable_gauge("tokio.tasks.alive")
            .with_unit("{task}")
            .with_description("Tasks alive in the Tokio runtime.")
            .with_callback(move |o| o.observe(m.num_alive_tasks() as u64, &[]))
            .build(),
    ));
    let m = metrics.clone();
    handles.push(Box::new(
        meter
            .u64_observable_gauge("tokio.global_queue.length")
            .with_unit("{task}")
            .with_description("Tasks waiting in the Tokio runtime's global (injection) queue.")
            .with_callback(move |o| o.observe(m.global_queue_depth() as u64, &[]))
            .build(),
    ));
    #[cfg(target_has_atomic = "64")]
    {
        let m = metrics.clone();
        handles.push(Box::new(
            meter
                .f64_observable_counter("tokio.worker.busy.time")
                .with_unit("s")
                .with_description(
                    "Time the Tokio runtime's workers were busy, summed over workers.",
                )
                .with_callback(move |o| {
                    let busy: f64 = (0..m.num_workers())
                        .map(|w| m.worker_total_busy_duration(w).as_secs_f64())
                        .sum();
                    o.observe(busy, &[]);
                })
                .build(),
        ));
        let m = metrics;
        handles.push(Box::new(
            meter
                .u64_observable_counter("tokio.worker.parks")
                .with_unit("{park}")
                .with_description("Times the Tokio runtime's workers parked, summed over workers.")
                .with_callback(move |o| {
                    let parks: u64 = (0..m.num_workers()).map(|w| m.worker_park_count(w)).sum();
                    o.observe(parks, &[]);
                })
                .build(),
        ));
    }
    TokioMetrics { handles }
}
