//! Export throughput: `#[instrument]` spans per second through our pipeline (production
//! subscriber + batch span processor) into (a) a counting exporter and (b) a real OTLP collector,
//! with the spans dropped by the SDK's queue, and the CPU the process spent per 10k spans/s.
//!
//! ```text
//! cargo run --release -p marketplace-telemetry-stress --bin export_throughput -- counting 100000 5
//! cargo run --release -p marketplace-telemetry-stress --bin export_throughput -- otlp 100000 5 http://127.0.0.1:4317
//! ```
//! Arguments: sink (`counting` | `otlp`), target spans per second, seconds, OTLP endpoint.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use marketplace_telemetry::{tracing_dispatch, LogWriter, Telemetry, TelemetryConfig};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{
    BatchConfigBuilder, BatchSpanProcessor, SdkTracerProvider, SpanData, SpanExporter,
};

#[derive(Debug, Clone, Default)]
struct Counting(Arc<AtomicU64>);

impl SpanExporter for Counting {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        self.0.fetch_add(batch.len() as u64, Ordering::Relaxed);
        Ok(())
    }
}

#[tracing::instrument]
fn operation(i: u64) {
    std::hint::black_box(i);
}

fn cpu_seconds() -> f64 {
    // utime + stime of this process, from /proc (Linux only; the example is a measurement tool).
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let fields: Vec<&str> = s.rsplit(')').next()?.split_whitespace().collect();
            let ticks =
                fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
            Some(ticks / 100.0)
        })
        .unwrap_or(0.0)
}

/// Emits `rate` spans per second for `secs` seconds, paced in 1 ms slices.
fn drive(dispatch: &tracing::Dispatch, rate: u64, secs: u64) -> u64 {
    let mut sent = 0;
    let start = Instant::now();
    let end = start + Duration::from_secs(secs);
    tracing::dispatcher::with_default(dispatch, || {
        while Instant::now() < end {
            let due = (start.elapsed().as_secs_f64() * rate as f64) as u64;
            while sent < due {
                operation(sent);
                sent += 1;
            }
            std::thread::sleep(Duration::from_micros(500));
        }
    });
    sent
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let sink = args.get(1).map(String::as_str).unwrap_or("counting");
    let rate: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let secs: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(5);
    let quiet = LogWriter::new(|| Box::new(std::io::sink()));
    let cpu0 = cpu_seconds();
    let (sent, exported, dropped) = match sink {
        "counting" => {
            let counter = Counting::default();
            let provider = SdkTracerProvider::builder()
                .with_span_processor(
                    BatchSpanProcessor::builder(counter.clone())
                        .with_batch_config(BatchConfigBuilder::default().build())
                        .build(),
                )
                .build();
            let config = TelemetryConfig::builder()
                .with_log_writer(quiet)
                .build_from(|_| None)?;
            let dispatch = tracing_dispatch(&config, Some(&provider), None)?;
            let sent = drive(&dispatch, rate, secs);
            provider.force_flush()?;
            let exported = counter.0.load(Ordering::Relaxed);
            (sent, exported, sent.saturating_sub(exported))
        }
        _ => {
            let endpoint = args
                .get(4)
                .cloned()
                .unwrap_or_else(|| "http://127.0.0.1:4317".into());
            let rt = tokio::runtime::Runtime::new()?;
            let _entered = rt.enter();
            let config = TelemetryConfig::builder()
                .with_log_writer(quiet)
                .with_otlp_endpoint(endpoint)
                .with_scrape_endpoint(false)
                .with_batch_schedule_delay(Duration::from_millis(200))
                .with_batch_max_queue_size(65_536)
                .with_batch_max_export_batch_size(8_192)
                // The environment may switch parts off (under valgrind: the process
                // metrics, whose page-size probe reads the auxiliary vector valgrind fakes).
                .build_from(|var| std::env::var(var).ok())?;
            let telemetry = Telemetry::build(config)?;
            let sent = drive(telemetry.dispatch(), rate, secs);
            telemetry.shutdown()?;
            // The collector's count is read by the caller (scripts/bench.sh greps the sink).
            (sent, 0, 0)
        }
    };
    let cpu = cpu_seconds() - cpu0;
    let achieved = sent as f64 / secs as f64;
    println!(
        "export-throughput: sink={sink} target={rate}/s sent={sent} achieved={achieved:.0}/s exported={exported} dropped={dropped} cpu={cpu:.2}s cpu_per_10k_spans_per_s={:.1}%",
        cpu / secs as f64 * 100.0 * 10_000.0 / achieved.max(1.0)
    );
    Ok(())
}
