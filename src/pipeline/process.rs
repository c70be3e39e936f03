//! Process metrics as OpenTelemetry observable instruments, named so that the Prometheus scrape
//! shows the standard names: `process_resident_memory_bytes`, `process_virtual_memory_bytes`,
//! `process_cpu_seconds_total`, `process_open_fds`, `process_max_fds`, `process_threads`,
//! `process_start_time_seconds`. Read through the `procfs` crate (Linux); elsewhere nothing is
//! registered.

use opentelemetry::metrics::Meter;

/// Keeps the observable instruments registered for the provider's lifetime.
#[derive(Debug, Default)]
pub(crate) struct ProcessMetrics {
    #[allow(dead_code)] // held for their registration only
    handles: Vec<Box<dyn std::any::Any + Send + Sync>>,
}

/// Process metric names, OpenTelemetry form (unit suffixes are added by the exporter).
pub const PROCESS_METRICS: &[(&str, &str)] = &[
    ("process.resident_memory", "process_resident_memory_bytes"),
    ("process.virtual_memory", "process_virtual_memory_bytes"),
    ("process.cpu", "process_cpu_seconds_total"),
    ("process.open_fds", "process_open_fds"),
    ("process.max_fds", "process_max_fds"),
    ("process.threads", "process_threads"),
    ("process.start_time", "process_start_time_seconds"),
];

#[cfg(target_os = "linux")]
pub(crate) fn register(meter: &Meter) -> ProcessMetrics {
    use procfs::process::{LimitValue, Process};

    // A panicking callback would kill the metrics reader; contain it and report nothing.
    fn guarded<T>(read: impl FnOnce() -> Option<T>) -> Option<T> {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(read))
            .ok()
            .flatten()
    }
    fn stat() -> Option<procfs::process::Stat> {
        guarded(|| Process::myself().ok()?.stat().ok())
    }

    let page_size = procfs::page_size();
    let ticks = procfs::ticks_per_second().max(1) as f64;
    let start_time = stat().and_then(|s| {
        let boot = procfs::boot_time_secs().ok()? as f64;
        Some(boot + s.starttime as f64 / ticks)
    });

    let mut handles: Vec<Box<dyn std::any::Any + Send + Sync>> = Vec::new();
    handles.push(Box::new(
        meter
            .u64_observable_gauge("process.resident_memory")
            .with_unit("By")
            .with_description("Resident memory size in bytes.")
            .with_callback(move |o| {
                if let Some(s) = stat() {
                    o.observe(s.rss.saturating_mul(page_size), &[]);
                }
            })
            .build(),
    ));
    handles.push(Box::new(
        meter
            .u64_observable_gauge("process.virtual_memory")
            .with_unit("By")
            .with_description("Virtual memory size in bytes.")
            .with_callback(|o| {
                if let Some(s) = stat() {
                    o.observe(s.vsize, &[]);
                }
            })
            .build(),
    ));
    handles.push(Box::new(
        meter
            .f64_observable_counter("process.cpu")
            .with_unit("s")
            .with_description("Total user and system CPU time spent in seconds.")
            .with_callback(move |o| {
                if let Some(s) = stat() {
                    o.observe((s.utime + s.stime) as f64 / ticks, &[]);
                }
            })
            .build(),
    ));
    handles.push(Box::new(
        meter
            .u64_observable_gauge("process.open_fds")
            .with_description("Number of open file descriptors.")
            .with_callback(|o| {
                if let Some(n) = guarded(|| Process::myself().ok()?.fd_count().ok()) {
                    o.observe(n as u64, &[]);
                }
            })
            .build(),
    ));
    handles.push(Box::new(
        meter
            .u64_observable_gauge("process.max_fds")
            .with_description("Maximum number of open file descriptors.")
            .with_callback(|o| {
                let limit = guarded(|| {
                    match Process::myself()
                        .ok()?
                        .limits()
                        .ok()?
                        .max_open_files
                        .soft_limit
                    {
                        LimitValue::Value(v) => Some(v),
                        LimitValue::Unlimited => None,
                    }
                });
                if let Some(v) = limit {
                    o.observe(v, &[]);
                }
            })
            .build(),
    ));
    handles.push(Box::new(
        meter
            .u64_observable_gauge("process.threads")
            .with_description("Number of OS threads in the process.")
            .with_callback(|o| {
                if let Some(s) = stat() {
                    o.observe(s.num_threads.max(0) as u64, &[]);
                }
            })
            .build(),
    ));
    if let Some(start) = start_time {
        handles.push(Box::new(
            meter
                .f64_observable_gauge("process.start_time")
                .with_unit("s")
                .with_description("Start time of the process since unix epoch in seconds.")
                .with_callback(move |o| o.observe(start, &[]))
                .build(),
        ));
    }
    ProcessMetrics { handles }
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn register(_meter: &Meter) -> ProcessMetrics {
    ProcessMetrics::default()
}
