//! Pieces shared by the benches (not a bench target itself).

use std::hint::black_box;

use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SpanData, SpanExporter};

/// A span exporter that takes every batch and does nothing with it: the pipeline's cost
/// without any I/O.
#[derive(Debug)]
pub struct Noop;

impl SpanExporter for Noop {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        black_box(batch);
        Ok(())
    }
}
