//! Pieces shared by the benches (not a bench target itself).

use std::hint::black_box;

use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SpanData, SpanExporter};

/// A span exporter that takes every batch and does nothing with it: the pipeline's cost
/// without any I/O.
#[derive(Debug)]
#[allow(dead_code)]
pub struct Noop;

impl SpanExporter for Noop {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        black_box(batch);
        Ok(())
    }
}

/// Block-interleaved A/B(/A) measurement of `variants` (name, one call): `rounds` × `blocks`
/// blocks; in each block every variant, in an order rotated block by block, times `block`
/// calls on the same clock, so adjacent blocks ran within milliseconds of each other and
/// their ratio cancels the machine's drift. Returns ns per call, per variant, per block, and
/// writes them to `target/<file>` (`{"rounds", "blocks_per_round", "variants": {name:
/// {"ns_per_call": [...]}}}`) for `scripts/bench_report.py`.
#[allow(dead_code)]
pub fn interleave(
    file: &str,
    rounds: usize,
    blocks: usize,
    block: u64,
    variants: &mut [(&str, &mut dyn FnMut())],
) -> Vec<Vec<f64>> {
    for (_, f) in variants.iter_mut() {
        for _ in 0..block {
            f();
        }
    }
    let n = variants.len();
    let mut ns = vec![Vec::with_capacity(rounds * blocks); n];
    for b in 0..rounds * blocks {
        for k in 0..n {
            let i = (b + k) % n;
            let f = &mut variants[i].1;
            let start = std::time::Instant::now();
            for _ in 0..block {
                f();
            }
            ns[i].push(start.elapsed().as_nanos() as f64 / block as f64);
        }
    }
    let json = serde_json::json!({
        "rounds": rounds,
        "blocks_per_round": blocks,
        "block": block,
        "variants": variants.iter().zip(&ns)
            .map(|((name, _), v)| (name.to_string(), serde_json::json!({"ns_per_call": v})))
            .collect::<serde_json::Map<_, _>>(),
    });
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join(file);
    let _ = std::fs::write(path, serde_json::to_string(&json).unwrap_or_default());
    ns
}

/// An environment variable's number, or `default`.
#[allow(dead_code)]
pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
