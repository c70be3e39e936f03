//! An `#[instrument]` span created, entered, exited and closed: with no subscriber, with our
//! production subscriber, with tracing-opentelemetry's default layer, and a bare OpenTelemetry
//! SDK span — each with a no-op exporter (simple processor) and with the batch processor.
//! The disabled span lives in `benches/disabled_span.rs` (each variant in its own process).

mod common;
use common::Noop;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use marketplace_telemetry::{tracing_dispatch, LogWriter, TelemetryConfig};
use opentelemetry::trace::{Span as _, Tracer as _, TracerProvider as _};
use opentelemetry_sdk::trace::{BatchSpanProcessor, SdkTracerProvider};
use tracing_subscriber::layer::SubscriberExt;

#[tracing::instrument]
fn search(query: &str) -> usize {
    black_box(query.len())
}

fn providers() -> [(&'static str, SdkTracerProvider); 2] {
    [
        (
            "noop",
            SdkTracerProvider::builder()
                .with_simple_exporter(Noop)
                .build(),
        ),
        (
            "batch",
            SdkTracerProvider::builder()
                .with_span_processor(BatchSpanProcessor::builder(Noop).build())
                .build(),
        ),
    ]
}

fn ours(provider: &SdkTracerProvider, rust_log: &str) -> tracing::Dispatch {
    let config = TelemetryConfig::builder()
        .with_log_filter(rust_log)
        .with_log_writer(LogWriter::new(|| Box::new(std::io::sink())))
        .build_from(|_| None)
        .unwrap();
    tracing_dispatch(&config, Some(provider), None).unwrap()
}

fn spans(c: &mut Criterion) {
    let mut g = c.benchmark_group("span");
    g.bench_function("tracing/no_subscriber", |b| {
        b.iter(|| search(black_box("rdf")))
    });
    for (name, provider) in providers() {
        let default_layer = tracing::Dispatch::new(
            tracing_subscriber::registry()
                .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("bench"))),
        );
        tracing::dispatcher::with_default(&default_layer, || {
            g.bench_function(format!("tracing_opentelemetry_default/{name}"), |b| {
                b.iter(|| search(black_box("rdf")))
            });
        });
        for rust_log in ["warn", "info"] {
            let dispatch = ours(&provider, rust_log);
            tracing::dispatcher::with_default(&dispatch, || {
                g.bench_function(format!("ours_rust_log_{rust_log}/{name}"), |b| {
                    b.iter(|| search(black_box("rdf")))
                });
            });
        }
        let tracer = provider.tracer("bench");
        g.bench_function(format!("bare_sdk_span/{name}"), |b| {
            b.iter(|| {
                let mut span = tracer.start("search");
                span.set_attribute(opentelemetry::KeyValue::new("query", "rdf"));
                span.end();
            })
        });
        let _ = provider.shutdown();
    }
    g.finish();
}

criterion_group!(benches, spans);
criterion_main!(benches);
