//! [`ConfigReport`]: the secret-free one-paragraph summary logged at startup.

use std::fmt;

use super::values::Sampler;
use super::TelemetryConfig;

/// Display adapter returned by [`TelemetryConfig::report`].
#[derive(Debug)]
pub struct ConfigReport<'a>(pub(super) &'a TelemetryConfig);

impl fmt::Display for ConfigReport<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.0;
        if c.sdk_disabled {
            return write!(
                f,
                "service={} sdk_disabled=true (nothing exported)",
                c.service_name
            );
        }
        if let Some(file) = &c.config_file {
            write!(f, "config_file={file} (other OTEL_* variables ignored) ")?;
        }
        write!(
            f,
            "service={} version={} traces={} metrics={} logs={}",
            c.service_name,
            c.service_version.as_deref().unwrap_or("-"),
            c.traces_exporters,
            c.metrics_exporters,
            c.logs_exporters
        )?;
        for (signal, exporters, otlp) in [
            ("traces", c.traces_exporters, &c.traces_otlp),
            ("metrics", c.metrics_exporters, &c.metrics_otlp),
            ("logs", c.logs_exporters, &c.logs_otlp),
        ] {
            if exporters.otlp {
                write!(
                    f,
                    " {signal}_otlp={}({}, timeout={}ms, compression={}, headers={}{})",
                    super::endpoint::redact(&otlp.endpoint),
                    otlp.protocol.as_str(),
                    otlp.timeout.as_millis(),
                    otlp.compression.as_str(),
                    otlp.headers,
                    if otlp.client_identity.is_some() {
                        ", client_certificate"
                    } else {
                        ""
                    }
                )?;
            }
        }
        let (sampler, arg) = match c.sampler {
            Sampler::AlwaysOn => ("always_on", None),
            Sampler::AlwaysOff => ("always_off", None),
            Sampler::TraceIdRatio(r) => ("traceidratio", Some(r)),
            Sampler::ParentBasedAlwaysOn => ("parentbased_always_on", None),
            Sampler::ParentBasedAlwaysOff => ("parentbased_always_off", None),
            Sampler::ParentBasedTraceIdRatio(r) => ("parentbased_traceidratio", Some(r)),
        };
        write!(f, " sampler={sampler}")?;
        if let Some(arg) = arg {
            write!(f, " sampler_arg={arg}")?;
        }
        let propagators: Vec<&str> = c.propagators.iter().map(|p| p.as_str()).collect();
        write!(
            f,
            " propagators={} bsp(delay={}ms, queue={}, batch={}, export_timeout={}ms)",
            if propagators.is_empty() {
                "none".to_string()
            } else {
                propagators.join(",")
            },
            c.batch.schedule_delay.as_millis(),
            c.batch.max_queue_size,
            c.batch.max_export_batch_size,
            c.batch.export_timeout.as_millis()
        )?;
        if c.span_limits != super::values::SpanLimits::default() {
            write!(f, " span_limits({:?})", c.span_limits)?;
        }
        if c.logs_exporters.otlp {
            write!(
                f,
                " blrp(delay={}ms, queue={}, batch={}, export_timeout={}ms)",
                c.log_batch.schedule_delay.as_millis(),
                c.log_batch.max_queue_size,
                c.log_batch.max_export_batch_size,
                c.log_batch.export_timeout.as_millis()
            )?;
            if c.log_record_limits != super::values::LogRecordLimits::default() {
                write!(f, " log_record_limits({:?})", c.log_record_limits)?;
            }
        }
        if c.metrics_exporters.prometheus {
            if c.serve_scrape_endpoint {
                write!(f, " scrape=http://{}/metrics", c.prometheus_addr)?;
            } else {
                f.write_str(" scrape=mounted-by-host")?;
            }
        }
        if c.metrics_exporters.otlp {
            write!(
                f,
                " metric_interval={}ms metric_export_timeout={}ms temporality={} histograms={}",
                c.metric_export_interval.as_millis(),
                c.metric_export_timeout.as_millis(),
                c.metrics_temporality.as_str(),
                c.metrics_histogram_aggregation.as_str()
            )?;
        }
        write!(
            f,
            " log_format={} log_filter={:?} traces_filter={:?}",
            c.log_format.as_str(),
            c.log_filter,
            c.traces_filter
        )?;
        if let Some(level) = c.sdk_log_level {
            write!(f, " sdk_log_level={level}")?;
        }
        Ok(())
    }
}
