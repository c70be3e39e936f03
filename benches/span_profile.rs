//! Not a timing benchmark: a fixed workload for `valgrind --tool=callgrind`, which counts
//! instructions (repeatable whatever the machine is doing). One variant per process:
//!
//! ```text
//! cargo bench --no-run --bench span_profile
//! valgrind --tool=callgrind --callgrind-out-file=target/cg.default target/release/deps/span_profile-* default 20000
//! callgrind_annotate --inclusive=yes target/cg.default | head -60
//! ```
//!
//! Variants: `default` (tracing-opentelemetry's default layer), `lean_warn` (the same-work
//! peer at `warn`: that layer without inactivity tracking and thread attributes), `ours_warn`, `ours_info`,
//! `ours_info_json`, `bare` (SDK span, no tracing). Simple processor, no-op exporter.

use std::hint::black_box;

use marketplace_telemetry::config::LogFormat;
use marketplace_telemetry::{tracing_dispatch, LogWriter, TelemetryConfig};
use opentelemetry::trace::{Span as _, Tracer as _, TracerProvider as _};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanData, SpanExporter};
use tracing_subscriber::layer::SubscriberExt;

#[derive(Debug)]
struct Noop;

impl SpanExporter for Noop {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        black_box(batch);
        Ok(())
    }
}

#[tracing::instrument]
fn search(query: &str, kind: &str, page: u32) -> usize {
    black_box(query.len() + kind.len() + page as usize)
}

fn ours(provider: &SdkTracerProvider, rust_log: &str, format: LogFormat) -> tracing::Dispatch {
    let config = TelemetryConfig::builder()
        .with_log_filter(rust_log)
        .with_log_format(format)
        .with_log_writer(LogWriter::new(|| Box::new(std::io::sink())))
        .build_from(|_| None)
        .expect("config");
    tracing_dispatch(&config, Some(provider), None).expect("dispatch")
}

fn main() {
    let mut args = std::env::args().skip(1);
    let variant = args.next().unwrap_or_else(|| "default".into());
    let n: u32 = args.next().and_then(|v| v.parse().ok()).unwrap_or(20_000);
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(Noop)
        .build();
    let dispatch = match variant.as_str() {
        "default" => Some(tracing::Dispatch::new(tracing_subscriber::registry().with(
            tracing_opentelemetry::layer().with_tracer(provider.tracer("profile")),
        ))),
        "lean_warn" => Some(tracing::Dispatch::new(
            tracing_subscriber::registry().with(
                tracing_opentelemetry::layer()
                    .with_tracer(provider.tracer("profile"))
                    .with_tracked_inactivity(false)
                    .with_threads(false),
            ),
        )),
        "ours_warn" => Some(ours(&provider, "warn", LogFormat::Text)),
        "ours_info" => Some(ours(&provider, "info", LogFormat::Text)),
        "ours_info_json" => Some(ours(&provider, "info", LogFormat::Json)),
        "bare" => None,
        other => {
            eprintln!(
                "unknown variant {other}: default, lean_warn, ours_warn, ours_info, ours_info_json, bare"
            );
            std::process::exit(2);
        }
    };
    let tracer = provider.tracer("profile");
    let work = || {
        for _ in 0..n {
            match &dispatch {
                Some(_) => {
                    search(black_box("rdf"), black_box("text"), black_box(2));
                }
                None => {
                    let mut span = tracer.start("search");
                    span.set_attribute(opentelemetry::KeyValue::new("query", black_box("rdf")));
                    span.set_attribute(opentelemetry::KeyValue::new("kind", black_box("text")));
                    span.set_attribute(opentelemetry::KeyValue::new("page", black_box(2i64)));
                    span.end();
                }
            }
        }
    };
    match &dispatch {
        Some(d) => tracing::dispatcher::with_default(d, work),
        None => work(),
    }
    let _ = provider.shutdown();
}
