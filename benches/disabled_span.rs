//! A disabled `#[instrument]` span (debug level, filtered out by `RUST_LOG=info`): our
//! production subscriber installed as the global default, against bare tracing with no
//! subscriber at all. Each variant must run in its own process — a dispatcher created earlier
//! in the process changes tracing's global max level and callsite interest for the other:
//! `cargo bench --bench disabled_span -- no_subscriber` then `-- ours_filtered_out`
//! (`scripts/bench.sh` does). Setup happens inside the benchmark closure, so a filtered-out
//! variant installs nothing.

use std::hint::black_box;
use std::sync::OnceLock;

use criterion::{criterion_group, criterion_main, Criterion};
use marketplace_telemetry::{tracing_dispatch, LogWriter, TelemetryConfig};

#[tracing::instrument(level = "debug")]
fn debug_only(query: &str) -> usize {
    black_box(query.len())
}

fn install_ours() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let config = TelemetryConfig::builder()
            .with_log_filter("info")
            .with_log_writer(LogWriter::new(|| Box::new(std::io::sink())))
            .build_from(|_| None)
            .expect("default config");
        let dispatch = tracing_dispatch(&config, None, None).expect("subscriber");
        if tracing::dispatcher::set_global_default(dispatch).is_err() {
            panic!("another global subscriber is installed: the figures would not be ours");
        }
    });
}

fn disabled(c: &mut Criterion) {
    let mut g = c.benchmark_group("disabled_span");
    g.bench_function("no_subscriber", |b| {
        if tracing::dispatcher::has_been_set() {
            panic!("a subscriber is installed: run this variant in its own process");
        }
        b.iter(|| debug_only(black_box("rdf")))
    });
    g.bench_function("ours_filtered_out", |b| {
        install_ours();
        b.iter(|| debug_only(black_box("rdf")))
    });
    g.finish();
}

criterion_group!(benches, disabled);
criterion_main!(benches);
