//! The tracer provider: OTLP (gRPC or HTTP/protobuf) and/or console exporters behind the SDK's
//! batch processor, the sampler, and the propagators.

use opentelemetry::propagation::TextMapCompositePropagator;
use opentelemetry_sdk::propagation::{BaggagePropagator, TraceContextPropagator};
use opentelemetry_sdk::trace::{self as sdktrace, SdkTracerProvider};
use opentelemetry_sdk::Resource;

use crate::config::{Propagator, Sampler, TelemetryConfig};
use crate::error::Result;
use crate::signal::Signal;

/// Builds the tracer provider, or `None` when no trace exporter is configured.
pub(crate) fn build_provider(
    config: &TelemetryConfig,
    resource: &Resource,
    runtime: &tokio::runtime::Handle,
    meter: &opentelemetry::metrics::Meter,
) -> Result<Option<SdkTracerProvider>> {
    let exporters = config.traces_exporters;
    if !exporters.any() {
        return Ok(None);
    }
    let limits = config.span_limits;
    let mut builder = SdkTracerProvider::builder()
        .with_resource(resource.clone())
        .with_sampler(sampler(config.sampler))
        .with_max_attributes_per_span(limits.attribute_count)
        .with_max_events_per_span(limits.event_count)
        .with_max_links_per_span(limits.link_count)
        .with_max_attributes_per_event(limits.event_attribute_count)
        .with_max_attributes_per_link(limits.link_attribute_count);
    if exporters.otlp {
        #[cfg(not(any(feature = "grpc", feature = "otlp-http")))]
        {
            let _ = (runtime, meter);
            return Err(super::otlp::no_transport(Signal::Traces));
        }
        #[cfg(any(feature = "grpc", feature = "otlp-http"))]
        {
            let exporter = super::otlp::build_exporter!(
                Signal::Traces,
                opentelemetry_otlp::SpanExporter::builder(),
                &config.traces_otlp.bounded(config.batch.export_timeout),
                runtime
            )?;
            use opentelemetry_sdk::trace::{BatchConfigBuilder, BatchSpanProcessor};
            // Every field set: the SDK's default builder reads the `OTEL_BSP_*` variables
            // unchecked. The export timeout is the exporter's (capped above): the SDK's
            // thread-based processor keeps `max_export_timeout` but does not use it.
            let batch = BatchConfigBuilder::default()
                .with_max_queue_size(config.batch.max_queue_size)
                .with_max_export_batch_size(config.batch.max_export_batch_size)
                .with_scheduled_delay(config.batch.schedule_delay)
                .build();
            let exporter = super::export_counters::Counted::new(
                exporter,
                super::export_counters::slot(meter, Signal::Traces),
            );
            let processor = match limits.attribute_value_length {
                Some(n) => {
                    BatchSpanProcessor::builder(super::limits::SpanValueLength::new(exporter, n))
                        .with_batch_config(batch)
                        .build()
                }
                None => BatchSpanProcessor::builder(exporter)
                    .with_batch_config(batch)
                    .build(),
            };
            builder = builder.with_span_processor(processor);
        }
    }
    if exporters.console {
        let console = opentelemetry_stdout::SpanExporter::default();
        builder = match limits.attribute_value_length {
            Some(n) => {
                builder.with_simple_exporter(super::limits::SpanValueLength::new(console, n))
            }
            None => builder.with_simple_exporter(console),
        };
    }
    Ok(Some(builder.build()))
}

fn sampler(sampler: Sampler) -> sdktrace::Sampler {
    use sdktrace::Sampler as S;
    match sampler {
        Sampler::AlwaysOn => S::AlwaysOn,
        Sampler::AlwaysOff => S::AlwaysOff,
        Sampler::TraceIdRatio(r) => S::TraceIdRatioBased(r),
        Sampler::ParentBasedAlwaysOn => S::ParentBased(Box::new(S::AlwaysOn)),
        Sampler::ParentBasedAlwaysOff => S::ParentBased(Box::new(S::AlwaysOff)),
        Sampler::ParentBasedTraceIdRatio(r) => S::ParentBased(Box::new(S::TraceIdRatioBased(r))),
    }
}

/// The composite propagator for the configured list (empty list: a no-op propagator).
pub(crate) fn propagator(propagators: &[Propagator]) -> TextMapCompositePropagator {
    let list: Vec<Box<dyn opentelemetry::propagation::TextMapPropagator + Send + Sync>> =
        propagators
            .iter()
            .map(|p| match p {
                Propagator::TraceContext => Box::new(TraceContextPropagator::new()) as Box<_>,
                Propagator::Baggage => Box::new(BaggagePropagator::new()) as Box<_>,
                Propagator::B3 => Box::new(opentelemetry_propagator_b3::Propagator::with_encoding(
                    opentelemetry_propagator_b3::B3Encoding::SingleHeader,
                )) as Box<_>,
                Propagator::B3Multi => {
                    Box::new(opentelemetry_propagator_b3::Propagator::with_encoding(
                        opentelemetry_propagator_b3::B3Encoding::MultipleHeader,
                    )) as Box<_>
                }
                Propagator::XRay => {
                    Box::new(opentelemetry_aws::trace::XrayPropagator::default()) as Box<_>
                }
            })
            .collect();
    TextMapCompositePropagator::new(list)
}

#[cfg(test)]
mod tests {
    //! Every propagation format round-trips a sampled and an unsampled context through its
    //! own headers, and a malformed header means "no parent" (a new root), never a panic.

    use std::collections::HashMap;

    use opentelemetry::propagation::TextMapPropagator;
    use opentelemetry::trace::{
        SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState,
    };
    use opentelemetry::Context;

    use super::*;

    fn context(sampled: bool) -> Context {
        let flags = if sampled {
            TraceFlags::SAMPLED
        } else {
            TraceFlags::default()
        };
        Context::new().with_remote_span_context(SpanContext::new(
            TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap(),
            SpanId::from_hex("00f067aa0ba902b7").unwrap(),
            flags,
            true,
            TraceState::default(),
        ))
    }

    #[test]
    fn each_format_round_trips_through_its_own_headers() {
        for (p, header) in [
            (Propagator::TraceContext, "traceparent"),
            (Propagator::B3, "b3"),
            (Propagator::B3Multi, "x-b3-traceid"),
            (Propagator::XRay, "x-amzn-trace-id"),
        ] {
            let propagator = propagator(&[p]);
            for sampled in [true, false] {
                let mut headers = HashMap::new();
                propagator.inject_context(&context(sampled), &mut headers);
                assert!(headers.contains_key(header), "{p:?}: {headers:?}");
                let back = propagator.extract(&headers);
                let sc = back.span().span_context().clone();
                assert_eq!(
                    sc.trace_id(),
                    TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap(),
                    "{p:?}"
                );
                assert_eq!(sc.span_id(), SpanId::from_hex("00f067aa0ba902b7").unwrap());
                assert_eq!(sc.is_sampled(), sampled, "{p:?} keeps the sampled flag");
            }
        }
    }

    #[test]
    fn malformed_headers_start_a_new_root() {
        let all = propagator(&[
            Propagator::TraceContext,
            Propagator::Baggage,
            Propagator::B3,
            Propagator::B3Multi,
            Propagator::XRay,
        ]);
        let long = "a".repeat(10_000);
        for (key, value) in [
            ("traceparent", "00-zz-00f067aa0ba902b7-01"),
            (
                "traceparent",
                "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            ),
            ("b3", "garbage"),
            ("b3", "4bf92f3577b34da6a3ce929d0e0e4736-"),
            ("x-b3-traceid", "zz"),
            ("x-amzn-trace-id", "Root=1-bad"),
            ("x-amzn-trace-id", long.as_str()),
            ("baggage", long.as_str()),
        ] {
            let headers: HashMap<String, String> =
                HashMap::from([(key.to_string(), value.to_string())]);
            let cx = all.extract(&headers);
            assert!(
                !cx.span().span_context().is_valid(),
                "{key}: {value:.40} gave a parent"
            );
        }
    }

    #[test]
    fn baggage_is_bounded_as_the_w3c_spec_says() {
        use opentelemetry::baggage::BaggageExt as _;
        let all = propagator(&[Propagator::TraceContext, Propagator::Baggage]);
        // 500 members: at most 180 kept (W3C), the SDK keeps fewer (64).
        let many: Vec<String> = (0..500).map(|i| format!("k{i}=v")).collect();
        let headers = HashMap::from([("baggage".to_string(), many.join(","))]);
        let cx = all.extract(&headers);
        let kept = cx.baggage().len();
        assert!(kept > 0 && kept <= 180, "{kept} members kept");
        // Over 8192 bytes: dropped whole.
        let big = format!("k={}", "v".repeat(9000));
        let headers = HashMap::from([("baggage".to_string(), big)]);
        assert_eq!(all.extract(&headers).baggage().len(), 0);
    }
}
