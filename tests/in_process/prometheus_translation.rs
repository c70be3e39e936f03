//! Prometheus translation strategies (the configuration schema's `translation_strategy`), as
//! the OpenTelemetry ↔ Prometheus compatibility specification defines them: what the scrape
//! really shows for each instrument kind and unit, under the two strategies Prometheus before
//! 3.0 can ingest; the two UTF-8 strategies are refused with a typed error naming the setting;
//! `scope_info_enabled` and `target_info_enabled` switch their series and labels.

use crate::common;

use common::{env_map, Capture};
use marketplace_telemetry::config::PrometheusTranslation;
use marketplace_telemetry::{Error, Telemetry, TelemetryConfig};

/// (instrument, unit, kind, underscore_escaping_with_suffixes, underscore_escaping_without_suffixes)
/// — the sample names a scrape must show.
const TABLE: &[(&str, &str, &str, &str, &str)] = &[
    (
        "foo.bar",
        "s",
        "counter",
        "foo_bar_seconds_total",
        "foo_bar",
    ),
    (
        "requests-in.flight",
        "",
        "counter",
        "requests_in_flight_total",
        "requests_in_flight",
    ),
    (
        "payload.size",
        "By",
        "counter",
        "payload_size_bytes_total",
        "payload_size",
    ),
    (
        "http.server.request.duration",
        "s",
        "histogram",
        "http_server_request_duration_seconds_bucket",
        "http_server_request_duration_bucket",
    ),
    (
        "queue.depth",
        "{message}",
        "updown",
        "queue_depth",
        "queue_depth",
    ),
    (
        "memory.usage",
        "By",
        "gauge",
        "memory_usage_bytes",
        "memory_usage",
    ),
    (
        "network.throughput",
        "By/s",
        "gauge",
        "network_throughput_bytes_per_second",
        "network_throughput",
    ),
    (
        "cpu.utilization",
        "1",
        "gauge",
        "cpu_utilization_ratio",
        "cpu_utilization",
    ),
];

fn scrape(vars: &[(&str, &str)], strategy: Option<PrometheusTranslation>) -> String {
    let mut builder = TelemetryConfig::builder().with_log_writer(Capture::default().writer());
    if let Some(s) = strategy {
        builder = builder.with_prometheus_translation(s);
    }
    let mut all = vec![
        ("OTEL_TRACES_EXPORTER", "none"),
        ("OTEL_EXPORTER_PROMETHEUS_PORT", "0"),
    ];
    all.extend_from_slice(vars);
    let telemetry = Telemetry::build(builder.build_from(env_map(&all)).unwrap()).unwrap();
    let meter = telemetry.meter();
    for (name, unit, kind, _, _) in TABLE {
        let name = name.to_string();
        let unit = unit.to_string();
        match *kind {
            "counter" => meter.u64_counter(name).with_unit(unit).build().add(1, &[]),
            "histogram" => meter
                .f64_histogram(name)
                .with_unit(unit)
                .build()
                .record(0.1, &[]),
            "updown" => meter
                .i64_up_down_counter(name)
                .with_unit(unit)
                .build()
                .add(3, &[]),
            _ => meter
                .f64_gauge(name)
                .with_unit(unit)
                .build()
                .record(0.5, &[]),
        }
    }
    let body = telemetry.scrape_handler().unwrap().render();
    let _ = telemetry.shutdown();
    body
}

fn sample_names(body: &str) -> Vec<&str> {
    body.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split(['{', ' ']).next())
        .collect()
}

#[test]
fn names_follow_the_specification_for_each_strategy() {
    let with = scrape(&[], None);
    let without = scrape(
        &[],
        Some(PrometheusTranslation::UnderscoreEscapingWithoutSuffixes),
    );
    let (with_names, without_names) = (sample_names(&with), sample_names(&without));
    for (instrument, unit, kind, suffixed, bare) in TABLE {
        assert!(
            with_names.contains(suffixed),
            "{instrument} ({kind}, unit {unit:?}): expected {suffixed} with suffixes\n{with}"
        );
        assert!(
            without_names.contains(bare),
            "{instrument} ({kind}, unit {unit:?}): expected {bare} without suffixes\n{without}"
        );
        if suffixed != bare {
            assert!(
                !without_names.contains(suffixed),
                "{suffixed} without suffixes"
            );
        }
    }
    // Our own instruments follow the strategy too.
    assert!(
        with_names.contains(&"telemetry_export_batches_total")
            || with.contains("process_cpu_seconds_total")
    );
    assert!(without_names.contains(&"process_cpu"), "{without}");
}

#[test]
fn utf8_strategies_are_refused_naming_the_setting() {
    for strategy in [
        "no_utf8_escaping_with_suffixes",
        "no_translation/development",
        "UnderscoreEscapingWithSuffixes",
    ] {
        let err = TelemetryConfig::builder()
            .build_from(env_map(&[(
                "MARKETPLACE_PROMETHEUS_TRANSLATION_STRATEGY",
                strategy,
            )]))
            .unwrap_err();
        match &err {
            Error::InvalidEnv { var, expected, .. } => {
                assert_eq!(*var, "MARKETPLACE_PROMETHEUS_TRANSLATION_STRATEGY");
                assert!(expected.contains("UTF-8"), "{err}");
            }
            other => panic!("{strategy}: {other:?}"),
        }
    }
    // In a configuration file, the property path is named.
    let err = TelemetryConfig::from_yaml(
        "file_format: \"1.1\"\nmeter_provider:\n  readers:\n    - pull:\n        exporter:\n          prometheus/development:\n            translation_strategy: no_translation/development\n",
    )
    .unwrap_err();
    assert!(
        err.to_string().contains(
            "meter_provider.readers[0].pull.exporter.prometheus/development.translation_strategy"
        ),
        "{err}"
    );
}

#[test]
fn scope_labels_and_target_info_follow_their_switches() {
    let defaults = scrape(&[], None);
    assert!(defaults.contains("target_info{"), "{defaults}");
    assert!(!defaults.contains("otel_scope_name"), "{defaults}");
    let switched = scrape(
        &[
            ("MARKETPLACE_PROMETHEUS_SCOPE_INFO", "true"),
            ("MARKETPLACE_PROMETHEUS_TARGET_INFO", "false"),
        ],
        None,
    );
    assert!(!switched.contains("target_info"), "{switched}");
    assert!(
        switched
            .lines()
            .any(|l| l.starts_with("foo_bar_seconds_total{") && l.contains("otel_scope_name=")),
        "{switched}"
    );
}
