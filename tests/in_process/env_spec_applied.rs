//! The rest of the SDK environment specification, applied and not only parsed: span and log
//! record limits reach the collector, the metric temporality and histogram aggregation are what
//! the OTLP receiver gets, the processors' export timeouts bound an export to a silent
//! collector, `OTEL_LOG_LEVEL` sets the SDK's own diagnostics, and settings that contradict
//! each other are refused naming the variable.

use crate::common;

use std::time::Duration;

use common::{env_map, export_sample, start_receiver, wait_for, Capture};
use marketplace_telemetry::{Error, Telemetry, TelemetryConfig};
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use opentelemetry_proto::tonic::metrics::v1::metric::Data;

fn build(vars: &[(&str, &str)], capture: &Capture) -> Telemetry {
    let config = TelemetryConfig::builder()
        .with_log_writer(capture.writer())
        .with_scrape_endpoint(false)
        .with_shutdown_timeout(Duration::from_secs(2))
        .build_from(env_map(vars))
        .unwrap();
    Telemetry::build(config).unwrap()
}

fn refused(vars: &[(&str, &str)]) -> Error {
    TelemetryConfig::builder()
        .build_from(env_map(vars))
        .expect_err(&format!("{vars:?} must be refused"))
}

fn named(err: &Error) -> &str {
    match err {
        Error::InvalidEnv { var, .. } => var,
        other => panic!("expected InvalidEnv, got {other:?}"),
    }
}

#[test]
fn contradictory_settings_are_refused_naming_the_variable() {
    // Asking for a secure connection to a plaintext endpoint (the default is http://).
    let err = refused(&[("OTEL_EXPORTER_OTLP_INSECURE", "false")]);
    assert_eq!(named(&err), "OTEL_EXPORTER_OTLP_INSECURE");
    assert!(err.to_string().contains("http:// is plaintext"), "{err}");
    let err = refused(&[
        (
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            "https://collector:4317",
        ),
        ("OTEL_EXPORTER_OTLP_TRACES_INSECURE", "true"),
    ]);
    assert_eq!(named(&err), "OTEL_EXPORTER_OTLP_TRACES_INSECURE");
    // Agreeing with the scheme is fine.
    TelemetryConfig::builder()
        .build_from(env_map(&[("OTEL_EXPORTER_OTLP_INSECURE", "true")]))
        .unwrap();

    // A client certificate needs its key, and TLS.
    let dir = common::temp_dir("mtls-config");
    let cert = rcgen::generate_simple_self_signed(vec!["client".to_string()]).unwrap();
    let (cert_path, key_path) = (dir.join("client.pem"), dir.join("client.key"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();
    let (cert_path, key_path) = (
        cert_path.to_str().unwrap().to_string(),
        key_path.to_str().unwrap().to_string(),
    );
    let err = refused(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector:4317"),
        ("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", &cert_path),
    ]);
    assert_eq!(named(&err), "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE");
    let err = refused(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector:4317"),
        ("OTEL_EXPORTER_OTLP_LOGS_CLIENT_KEY", &key_path),
    ]);
    assert_eq!(named(&err), "OTEL_EXPORTER_OTLP_LOGS_CLIENT_KEY");
    let err = refused(&[
        ("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", &cert_path),
        ("OTEL_EXPORTER_OTLP_CLIENT_KEY", &key_path),
    ]);
    assert_eq!(named(&err), "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE");
    assert!(err.to_string().contains("https://"), "{err}");
    // The key file's contents are never shown, whatever is wrong with it.
    std::fs::write(dir.join("bad.key"), "SECRET-KEY-MATERIAL").unwrap();
    let err = refused(&[(
        "OTEL_EXPORTER_OTLP_CLIENT_KEY",
        dir.join("bad.key").to_str().unwrap(),
    )]);
    assert!(!format!("{err} {err:?}").contains("SECRET-KEY-MATERIAL"));

    // Exponential histograms cannot go to the Prometheus reader.
    let err = refused(&[(
        "OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION",
        "base2_exponential_bucket_histogram",
    )]);
    assert_eq!(
        named(&err),
        "OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION"
    );
    assert!(
        err.to_string().contains("OTEL_METRICS_EXPORTER=otlp"),
        "{err}"
    );
}

#[test]
fn limits_follow_the_specification_precedence() {
    let config = TelemetryConfig::builder()
        .build_from(env_map(&[
            ("OTEL_ATTRIBUTE_COUNT_LIMIT", "10"),
            ("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "100"),
            ("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "5"),
            ("OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT", "7"),
            ("OTEL_SPAN_EVENT_COUNT_LIMIT", "0"),
        ]))
        .unwrap();
    let s = config.span_limits;
    assert_eq!(
        (s.attribute_count, s.attribute_value_length, s.event_count),
        (5, Some(100), 0)
    );
    // Events and links fall back to the general count; their own count limits do not.
    assert_eq!((s.event_attribute_count, s.link_attribute_count), (10, 10));
    assert_eq!(s.link_count, 128);
    let l = config.log_record_limits;
    assert_eq!((l.attribute_count, l.attribute_value_length), (10, Some(7)));
    assert!(config.report().to_string().contains("span_limits("));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn span_and_log_record_limits_reach_the_collector() {
    let (addr, received) = start_receiver().await;
    let endpoint = format!("http://{addr}");
    let capture = Capture::default();
    let telemetry = tokio::task::spawn_blocking(move || {
        let telemetry = build(
            &[
                ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
                ("OTEL_LOGS_EXPORTER", "otlp"),
                ("OTEL_METRICS_EXPORTER", "none"),
                ("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "4"),
                ("OTEL_SPAN_EVENT_COUNT_LIMIT", "1"),
                ("OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", "2"),
                ("OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT", "2"),
                ("OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT", "3"),
            ],
            &capture,
        );
        tracing::dispatcher::with_default(telemetry.dispatch(), || {
            let span = tracing::info_span!("limited", query = "héllo world", count = 12345);
            let _g = span.enter();
            tracing::info!(
                first = "abcdef",
                second = "xy",
                third = "dropped",
                "limited record"
            );
            tracing::info!("a second event, over the span's event limit");
        });
        let _ = telemetry.force_flush();
        telemetry
    })
    .await
    .unwrap();

    let spans = received.spans();
    let (_, span) = spans
        .iter()
        .find(|(_, s)| s.name == "limited")
        .expect("the span arrived");
    assert_eq!(common::attr(span, "query").as_deref(), Some("héll"));
    assert_eq!(common::attr(span, "count").as_deref(), Some("12345"));
    // Counts are the SDK's: one event kept, one dropped; two attributes on it, the rest dropped.
    assert_eq!(
        (span.events.len(), span.dropped_events_count),
        (1, 1),
        "{:?}",
        span.events
    );
    assert_eq!(span.events[0].attributes.len(), 2);
    assert!(span.events[0].dropped_attributes_count > 0);

    let logs = received.logs.lock().unwrap().clone();
    let record = logs
        .iter()
        .flat_map(|r| &r.resource_logs)
        .flat_map(|r| &r.scope_logs)
        .flat_map(|s| &s.log_records)
        .find(|r| {
            matches!(
                r.body.as_ref().and_then(|b| b.value.as_ref()),
                Some(AnyValue::StringValue(s)) if s == "limited record"
            )
        })
        .expect("the record arrived")
        .clone();
    assert_eq!(record.attributes.len(), 2, "{:?}", record.attributes);
    let first = record
        .attributes
        .iter()
        .find(|kv| kv.key == "first")
        .and_then(|kv| kv.value.as_ref()?.value.clone());
    assert_eq!(first, Some(AnyValue::StringValue("abc".into())));
    assert!(record.attributes.iter().all(|kv| kv.key != "third"));
    // The record kept its trace context through the rebuild.
    assert_eq!(record.trace_id, span.trace_id);
    drop(telemetry);
}

/// Metrics pushed to the receiver with these variables; returns every metric received.
async fn pushed_metrics(
    vars: &[(&str, &str)],
) -> Vec<opentelemetry_proto::tonic::metrics::v1::Metric> {
    let (addr, received) = start_receiver().await;
    let endpoint = format!("http://{addr}");
    let mut all: Vec<(String, String)> = vec![
        ("OTEL_EXPORTER_OTLP_ENDPOINT".into(), endpoint),
        ("OTEL_TRACES_EXPORTER".into(), "none".into()),
        ("OTEL_METRICS_EXPORTER".into(), "otlp".into()),
    ];
    all.extend(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    tokio::task::spawn_blocking(move || {
        let vars: Vec<(&str, &str)> = all.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let telemetry = build(&vars, &Capture::default());
        let metrics = telemetry.marketplace();
        for _ in 0..3 {
            drop(metrics.search(marketplace_telemetry::marketplace::ItemType::Plugin));
        }
        let _ = telemetry.force_flush();
        let _ = telemetry.shutdown();
    })
    .await
    .unwrap();
    let requests = received.metrics.lock().unwrap().clone();
    requests
        .into_iter()
        .flat_map(|r| r.resource_metrics)
        .flat_map(|r| r.scope_metrics)
        .flat_map(|s| s.metrics)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn temporality_and_histogram_aggregation_reach_the_otlp_receiver() {
    const DELTA: i32 = 1;
    const CUMULATIVE: i32 = 2;
    let duration = |metrics: &[opentelemetry_proto::tonic::metrics::v1::Metric]| {
        metrics
            .iter()
            .find(|m| m.name == "marketplace.search.duration")
            .and_then(|m| m.data.clone())
            .unwrap_or_else(|| {
                let names: Vec<&str> = metrics.iter().map(|m| m.name.as_str()).collect();
                panic!("no operation duration histogram among {names:?}")
            })
    };

    let defaults = pushed_metrics(&[]).await;
    match duration(&defaults) {
        Data::Histogram(h) => assert_eq!(h.aggregation_temporality, CUMULATIVE),
        other => panic!("expected an explicit-bucket histogram, got {other:?}"),
    }

    let tuned = pushed_metrics(&[
        ("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "delta"),
        (
            "OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION",
            "base2_exponential_bucket_histogram",
        ),
    ])
    .await;
    match duration(&tuned) {
        Data::ExponentialHistogram(h) => {
            assert_eq!(h.aggregation_temporality, DELTA);
            assert_eq!(h.data_points.iter().map(|p| p.count).sum::<u64>(), 3);
        }
        other => panic!("expected an exponential histogram, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_processor_export_timeout_bounds_an_export_to_a_silent_collector() {
    // The collector accepts connections and never answers; the OTLP timeout alone (10 s)
    // would hold the export far longer than the processor's 300 ms bound.
    let silent = format!("http://{}", common::blackhole());
    let body = tokio::task::spawn_blocking(move || {
        let config = TelemetryConfig::builder()
            .with_log_writer(Capture::default().writer())
            .with_shutdown_timeout(Duration::from_secs(2))
            .build_from(env_map(&[
                ("OTEL_EXPORTER_OTLP_ENDPOINT", &silent),
                ("OTEL_EXPORTER_OTLP_TIMEOUT", "10000"),
                ("OTEL_BSP_EXPORT_TIMEOUT", "300"),
                ("OTEL_BSP_SCHEDULE_DELAY", "50"),
                ("OTEL_EXPORTER_PROMETHEUS_PORT", "0"),
            ]))
            .unwrap();
        let telemetry = Telemetry::build(config).unwrap();
        tracing::dispatcher::with_default(telemetry.dispatch(), || {
            let _span = tracing::info_span!("to_nowhere").entered();
        });
        let handler = telemetry.scrape_handler().unwrap();
        // The failed export is counted once its 300 ms are up; 10 s would run past this wait.
        let body = wait_for(Duration::from_secs(5), || {
            let body = handler.render();
            (export_sample(&body, "telemetry_export_batches_total", "traces", "failure") >= 1.0)
                .then_some(body)
        });
        let _ = telemetry.shutdown();
        body
    })
    .await
    .unwrap();
    assert!(body.is_some(), "no failed export counted within 5 s");
}

#[test]
fn otel_log_level_sets_the_sdks_own_diagnostics() {
    let sdk_lines = |vars: &[(&str, &str)]| {
        let capture = Capture::default();
        // The last value of a variable wins: the test's own go after the defaults.
        let mut all = vec![("OTEL_TRACES_EXPORTER", "none"), ("RUST_LOG", "info")];
        all.extend_from_slice(vars);
        let telemetry = build(&all, &capture);
        tracing::dispatcher::with_default(&telemetry.dispatch().clone(), || {
            // The SDK logs each new meter at DEBUG on the calling thread.
            use opentelemetry::metrics::MeterProvider as _;
            let _ = telemetry.meter_provider().meter("otel-log-level-test");
        });
        let _ = telemetry.shutdown();
        capture
            .text()
            .lines()
            .filter(|l| l.contains(" DEBUG ") && l.contains("opentelemetry"))
            .count()
    };
    assert_eq!(
        sdk_lines(&[]),
        0,
        "the SDK's debug lines are off by default"
    );
    assert!(
        sdk_lines(&[("OTEL_LOG_LEVEL", "debug")]) > 0,
        "OTEL_LOG_LEVEL=debug shows the SDK's debug diagnostics"
    );
    // RUST_LOG naming the SDK's targets is more specific and wins.
    assert_eq!(
        sdk_lines(&[
            ("OTEL_LOG_LEVEL", "debug"),
            ("RUST_LOG", "info,opentelemetry=warn")
        ]),
        0
    );
}
