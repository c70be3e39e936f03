//! `OTEL_CONFIG_FILE` / `TelemetryConfig::from_yaml`: an OpenTelemetry configuration file
//! (schema 1.0/1.1) configures every signal through the same validation as the environment;
//! substitution as the data model describes; strict errors naming the property path and line;
//! other `OTEL_*` variables ignored when a file is given; never a panic on random input.

use std::io::Write as _;

use marketplace_telemetry::config::{Propagator, Protocol, Sampler};
use marketplace_telemetry::{Error, ExemplarFilter, TelemetryConfig};
use proptest::prelude::*;

const FULL: &str = r#"
file_format: "1.1"
disabled: false
resource:
  attributes:
    - name: service.name
      value: registry
    - name: deployment.environment.name
      value: ${ENVIRONMENT:-staging}
  attributes_list: team=packages,service.version=2.1.0
  detection/development:
    detectors: [{host: }]
propagator:
  composite:
    - tracecontext:
    - baggage:
tracer_provider:
  processors:
    - batch:
        schedule_delay: 2000
        max_queue_size: 4096
        max_export_batch_size: 256
        exporter:
          otlp_grpc:
            endpoint: http://collector:4317
            headers:
              - name: authorization
                value: Bearer ${API_TOKEN}
            compression: gzip
            timeout: 5000
    - simple:
        exporter:
          console:
  sampler:
    parent_based:
      root:
        trace_id_ratio_based:
          ratio: 0.25
      remote_parent_sampled:
        always_on:
meter_provider:
  readers:
    - pull:
        exporter:
          prometheus/development:
            host: 0.0.0.0
            port: ${METRICS_PORT:-9464}
    - periodic:
        interval: 30000
        exporter:
          otlp_http:
            endpoint: http://collector:4318/v1/metrics
  exemplar_filter: always_off
logger_provider:
  processors:
    - batch:
        max_queue_size: 1024
        exporter:
          otlp_http:
            endpoint: http://collector:4318/v1/logs
"#;

fn lookup(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
    move |k| {
        vars.iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.to_string())
    }
}

fn write_file(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("mt-config-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("otel.yaml");
    std::fs::File::create(&path)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    path
}

#[test]
fn a_file_configures_every_signal_and_other_otel_variables_are_ignored() {
    let path = write_file("full", FULL);
    let path_str: &'static str = Box::leak(path.display().to_string().into_boxed_str());
    let vars: &'static [(&'static str, &'static str)] = Box::leak(Box::new([
        ("OTEL_CONFIG_FILE", path_str),
        ("API_TOKEN", "s3cr3t-token"),
        ("METRICS_PORT", "9555"),
        // Ignored: a file is given.
        ("OTEL_SERVICE_NAME", "from-env"),
        ("OTEL_TRACES_SAMPLER", "garbage"),
        ("OTEL_BSP_MAX_QUEUE_SIZE", "-1"),
        ("RUST_LOG_FORMAT", "json"),
    ]));
    let c = TelemetryConfig::builder().build_from(lookup(vars)).unwrap();
    assert_eq!(c.service_name, "registry");
    assert_eq!(c.service_version.as_deref(), Some("2.1.0"));
    assert!(c
        .resource_attributes
        .iter()
        .any(|(k, v)| k == "deployment.environment.name" && v == "staging"));
    assert!(c
        .resource_attributes
        .iter()
        .any(|(k, v)| k == "team" && v == "packages"));
    assert_eq!(
        c.propagators,
        vec![Propagator::TraceContext, Propagator::Baggage]
    );
    assert!(c.traces_exporters.otlp && c.traces_exporters.console);
    assert_eq!(c.traces_otlp.endpoint, "http://collector:4317");
    assert_eq!(c.traces_otlp.protocol, Protocol::Grpc);
    assert_eq!(c.traces_otlp.timeout.as_millis(), 5000);
    assert_eq!(c.batch.schedule_delay.as_millis(), 2000);
    assert_eq!(c.batch.max_queue_size, 4096);
    assert_eq!(c.batch.max_export_batch_size, 256);
    assert_eq!(c.sampler, Sampler::ParentBasedTraceIdRatio(0.25));
    assert!(c.metrics_exporters.prometheus && c.metrics_exporters.otlp);
    assert_eq!(c.prometheus_addr.to_string(), "0.0.0.0:9555");
    assert_eq!(c.metrics_otlp.protocol, Protocol::HttpProtobuf);
    assert_eq!(c.metric_export_interval.as_millis(), 30000);
    assert_eq!(c.exemplar_filter, ExemplarFilter::AlwaysOff);
    assert!(c.logs_exporters.otlp);
    assert_eq!(c.log_batch.max_queue_size, 1024);
    assert_eq!(
        c.log_format,
        marketplace_telemetry::config::LogFormat::Json,
        "non-OTEL variables still apply"
    );
    assert_eq!(c.config_file.as_deref(), Some(path_str));
    // Resource detection is implemented: configured, not a warning.
    assert!(c.resource_detection.is_some());
    assert!(
        !c.config_warnings
            .iter()
            .any(|w| w.contains("resource.detection/development")),
        "{:?}",
        c.config_warnings
    );
    // The secret reached the header, and shows nowhere.
    let shown = format!("{c:?} {}", c.report());
    assert!(!shown.contains("s3cr3t"), "{shown}");
    assert!(
        c.report().to_string().contains("config_file="),
        "{}",
        c.report()
    );
}

#[test]
fn errors_name_the_property_path_and_line() {
    let cases: &[(&str, &str, &str)] = &[
        ("file_format: \"1.1\"\ntracer_provider:\n  procesors: []\n", "tracer_provider.procesors", "unknown property"),
        ("file_format: \"1.1\"\ntracer_provider:\n  processors:\n    - batch:\n        max_queue_size: big\n        exporter: {console: }\n", "tracer_provider.processors[0].batch.max_queue_size", "integer"),
        ("file_format: \"1.1\"\ntracer_provider:\n  processors:\n    - batch:\n        max_queue_size: 0\n        exporter: {console: }\n", "tracer_provider.processors[0].batch.max_queue_size", "expected"),
        ("file_format: \"1.1\"\nattribute_limits:\n  attribute_count_limit: 2000000\n", "attribute_limits.attribute_count_limit", "1048576"),
        ("file_format: \"1.1\"\ntracer_provider:\n  processors: []\n  limits:\n    event_count_limit: -1\n", "tracer_provider.limits.event_count_limit", "non-negative"),
        ("file_format: \"1.1\"\nlog_level: loud\n", "log_level", "severity"),
        ("file_format: \"1.1\"\nmeter_provider:\n  readers:\n    - periodic:\n        exporter:\n          otlp_grpc:\n            temporality_preference: sometimes\n", "meter_provider.readers[0].periodic.exporter.otlp_grpc.temporality_preference", "cumulative"),
        ("file_format: \"2.0\"\n", "file_format", "1.0"),
        ("disabled: true\n", "file_format", "required"),
        ("file_format: \"1.1\"\npropagator:\n  composite_list: tracecontext,xray9\n", "propagator.composite", "expected"),
        ("file_format: \"1.1\"\ntracer_provider:\n  processors:\n    - batch:\n        exporter:\n          otlp_grpc:\n            endpoint: http://a:4317\n          console:\n", "tracer_provider.processors[0].batch.exporter", "exactly one"),
        ("file_format: \"1.1\"\ntracer_provider:\n  processors: []\n  sampler:\n    parent_based:\n      remote_parent_not_sampled:\n        always_on:\n", "tracer_provider.sampler.parent_based.remote_parent_not_sampled", "always_off"),
        ("file_format: \"1.1\"\nresource:\n  attributes:\n    - name: a\n      value: ${1NVALID}\n", "resource.attributes[0].value", "substitution"),
    ];
    for (yaml, path, message) in cases {
        let err = TelemetryConfig::from_yaml(yaml).expect_err(yaml);
        match &err {
            Error::InvalidConfigFile {
                path: p,
                message: m,
                ..
            } => {
                assert_eq!(p, path, "{yaml}\n{err}");
                assert!(m.contains(message), "{yaml}\n{err}");
            }
            other => panic!("{yaml}: expected InvalidConfigFile, got {other:?}"),
        }
    }
    // The line of the offending key, for type errors and for values the shared validation
    // refuses alike.
    let err = TelemetryConfig::from_yaml(cases[1].0).unwrap_err();
    assert!(err.to_string().contains("(line 5)"), "{err}");
    let err = TelemetryConfig::from_yaml(cases[2].0).unwrap_err();
    assert!(err.to_string().contains("(line 5)"), "{err}");
}

#[test]
fn a_malformed_header_never_shows_its_value() {
    let yaml = "file_format: \"1.1\"\ntracer_provider:\n  processors:\n    - batch:\n        exporter:\n          otlp_http:\n            endpoint: http://a:4318/v1/traces\n            headers_list: \"authorization=Bearer S3NT1NEL,broken\"\n";
    let err = TelemetryConfig::from_yaml(yaml).unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("S3NT1NEL"), "{shown}");
    assert!(
        shown.contains("tracer_provider.processors[0].batch.exporter.otlp_http.headers"),
        "{shown}"
    );
}

#[test]
fn substitution_types_values_after_substituting_and_never_adds_structure() {
    // `${PORT}` becomes the integer; a value that would read as a mapping stays a string.
    std::env::set_var("MT_TEST_PORT", "9777");
    std::env::set_var("MT_TEST_NAME", "{a: b}");
    let c = TelemetryConfig::from_yaml(
        "file_format: \"1.1\"\nresource:\n  attributes:\n    - name: service.name\n      value: ${MT_TEST_NAME}\nmeter_provider:\n  readers:\n    - pull:\n        exporter:\n          prometheus/development:\n            port: ${MT_TEST_PORT}\n",
    )
    .unwrap();
    assert_eq!(c.prometheus_addr.port(), 9777);
    assert_eq!(c.service_name, "{a: b}");
    // A missing provider is off; `$$` escapes.
    let c = TelemetryConfig::from_yaml("file_format: \"1.0\"\nresource:\n  attributes:\n    - name: service.name\n      value: cost$$${MT_UNSET_VAR:-5}\n").unwrap();
    assert_eq!(c.service_name, "cost$5");
    assert!(!c.traces_exporters.otlp && !c.metrics_exporters.prometheus && !c.logs_exporters.otlp);
}

#[test]
fn the_deprecated_variable_works_with_a_warning() {
    let path = write_file("deprecated", "file_format: \"1.1\"\n");
    let p: &'static str = Box::leak(path.display().to_string().into_boxed_str());
    let vars: &'static [(&'static str, &'static str)] =
        Box::leak(Box::new([("OTEL_EXPERIMENTAL_CONFIG_FILE", p)]));
    let c = TelemetryConfig::builder().build_from(lookup(vars)).unwrap();
    assert!(c.config_warnings.iter().any(|w| w.contains("deprecated")));
    let vars: &'static [(&'static str, &'static str)] =
        Box::leak(Box::new([("OTEL_CONFIG_FILE", "/nonexistent/otel.yaml")]));
    let err = TelemetryConfig::builder()
        .build_from(lookup(vars))
        .unwrap_err();
    assert!(err.to_string().contains("/nonexistent/otel.yaml"), "{err}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    /// Random documents built from the schema's words, YAML punctuation and substitutions:
    /// an error or a configuration, never a panic.
    #[test]
    fn random_documents_never_panic(parts in prop::collection::vec(prop::sample::select(vec![
        "file_format: \"1.1\"\n", "tracer_provider:\n", "  processors:\n", "    - batch:\n",
        "        exporter:\n", "          otlp_grpc:\n", "            endpoint: ${X:-http://a:4317}\n",
        "  sampler:\n", "    parent_based:\n", "      root:\n", "        always_off:\n",
        "meter_provider:\n", "  readers:\n", "    - pull:\n", "        exporter:\n",
        "          prometheus/development:\n", "            port: ${P}\n", "resource:\n",
        "  attributes:\n", "    - name: a\n", "      value: $${\n", "- \n", ": \n", "[\n", "{}\n",
        "\"\n", "${\n", "  headers_list: a=b,c\n", "disabled: ${D:-true}\n", "\t\n", "&a x\n", "*a\n",
        "  views:\n", "    - selector: {instrument_name: \"a.*\"}\n", "      stream:\n",
        "        aggregation: {explicit_bucket_histogram: {boundaries: [1, ${B:-2}]}}\n",
        "        attribute_keys: {included: [k]}\n", "        cardinality_limits: {default: ${C:-0}}\n",
        "  limits:\n", "    attribute_count_limit: ${N:--1}\n", "attribute_limits: {}\n",
        "log_level: ${L:-info3}\n", "            tls: {cert_file: /x, key_file: /y, insecure: true}\n",
        "            temporality_preference: low_memory\n",
        "            translation_strategy: ${T:-no_translation/development}\n",
        "        export_timeout: 0\n",
    ]), 0..24)) {
        let doc: String = parts.concat();
        let _ = TelemetryConfig::from_yaml(&doc);
    }
}

#[test]
fn the_readme_example_file_is_valid() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = readme
        .split("### A configuration file")
        .nth(1)
        .expect("README has the configuration file section");
    let yaml = section
        .split("```yaml\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .expect("a yaml block");
    let c = TelemetryConfig::from_yaml(yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    assert_eq!(c.service_name, "registry");
    assert_eq!(c.sampler, Sampler::ParentBasedTraceIdRatio(0.1));
    assert!(c.logs_exporters.otlp && c.metrics_exporters.prometheus && c.traces_exporters.otlp);
}

#[test]
fn limits_timeouts_tls_temporality_and_log_level_map_onto_the_environment_settings() {
    let dir = std::env::temp_dir().join(format!("mt-config-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["client".to_string()]).unwrap();
    std::fs::write(dir.join("client.pem"), cert.cert.pem()).unwrap();
    std::fs::write(dir.join("client.key"), cert.signing_key.serialize_pem()).unwrap();
    let yaml = format!(
        r#"
file_format: "1.1"
log_level: debug2
attribute_limits:
  attribute_count_limit: 64
  attribute_value_length_limit: 4096
tracer_provider:
  limits:
    attribute_count_limit: 32
    event_count_limit: 16
  processors:
    - batch:
        export_timeout: 2500
        exporter:
          otlp_grpc:
            endpoint: https://collector:4317
            timeout: 0
            tls:
              cert_file: {dir}/client.pem
              key_file: {dir}/client.key
              insecure: false
meter_provider:
  readers:
    - periodic:
        timeout: 7000
        exporter:
          otlp_http:
            endpoint: http://collector:4318/v1/metrics
            temporality_preference: low_memory
            default_histogram_aggregation: base2_exponential_bucket_histogram
logger_provider:
  limits:
    attribute_value_length_limit: 100
  processors:
    - batch:
        export_timeout: 0
        exporter:
          otlp_http:
            endpoint: http://collector:4318/v1/logs
"#,
        dir = dir.display()
    );
    let config = TelemetryConfig::from_yaml(&yaml).unwrap();
    assert_eq!(
        config.sdk_log_level,
        Some(tracing::level_filters::LevelFilter::DEBUG)
    );
    let s = config.span_limits;
    // tracer_provider.limits over attribute_limits, which the rest fall back to.
    assert_eq!(
        (s.attribute_count, s.event_count, s.event_attribute_count),
        (32, 16, 64)
    );
    assert_eq!(s.attribute_value_length, Some(4096));
    let l = config.log_record_limits;
    assert_eq!(
        (l.attribute_count, l.attribute_value_length),
        (64, Some(100))
    );
    assert_eq!(config.batch.export_timeout.as_millis(), 2500);
    // The schema's 0 ("no limit") is our longest bound, one hour.
    assert_eq!(config.log_batch.export_timeout.as_secs(), 3600);
    assert_eq!(config.traces_otlp.timeout.as_secs(), 3600);
    let id = config.traces_otlp.client_identity.as_ref().expect("mTLS");
    assert!(id.certificate.ends_with("client.pem") && id.key.ends_with("client.key"));
    assert_eq!(config.metric_export_timeout.as_millis(), 7000);
    assert_eq!(
        config.metrics_temporality,
        marketplace_telemetry::config::Temporality::LowMemory
    );
    assert_eq!(
        config.metrics_histogram_aggregation,
        marketplace_telemetry::config::HistogramAggregation::Base2Exponential
    );

    // `insecure: true` against an https:// endpoint is refused, naming the property.
    let contradiction = yaml.replace("insecure: false", "insecure: true");
    let err = TelemetryConfig::from_yaml(&contradiction).unwrap_err();
    assert!(
        err.to_string()
            .contains("tracer_provider.processors[0].batch.exporter.otlp_grpc.tls.insecure"),
        "{err}"
    );
}

/// Today's defaults written as a file: the startup report (the effective configuration) is the
/// same as with no file and no variables at all.
#[test]
fn the_file_equivalent_of_the_defaults_is_the_default_configuration() {
    const DEFAULTS: &str = r#"
file_format: "1.1"
propagator:
  composite: [{tracecontext: }, {baggage: }]
tracer_provider:
  processors:
    - batch:
        schedule_delay: 5000
        export_timeout: 30000
        max_queue_size: 2048
        max_export_batch_size: 512
        exporter:
          otlp_grpc:
            endpoint: http://localhost:4317
            timeout: 10000
  sampler:
    parent_based:
      root:
        always_on:
meter_provider:
  readers:
    - pull:
        exporter:
          prometheus/development:
            host: 127.0.0.1
            port: 9464
            scope_info_enabled: false
"#;
    let path = write_file("defaults", DEFAULTS);
    let from_file = TelemetryConfig::builder()
        .build_from(lookup_owned(vec![(
            "OTEL_CONFIG_FILE".into(),
            path.display().to_string(),
        )]))
        .unwrap();
    let without = TelemetryConfig::builder().build_from(|_| None).unwrap();
    let file_report = from_file.report().to_string();
    let prefix = format!(
        "config_file={} (other OTEL_* variables ignored) ",
        path.display()
    );
    assert_eq!(
        file_report.strip_prefix(&prefix),
        Some(without.report().to_string().as_str()),
        "\n{file_report}"
    );
    assert!(from_file.config_warnings.is_empty());
    assert_eq!(
        from_file.prometheus_scope_info,
        without.prometheus_scope_info
    );
}

/// The commented example shipped for the demo's deployment parses, with its substitutions.
#[test]
fn the_shipped_example_file_is_valid() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/otel-config.yaml");
    let config = TelemetryConfig::builder()
        .build_from(lookup_owned(vec![
            ("OTEL_CONFIG_FILE".into(), path.display().to_string()),
            ("DEPLOY_ENV".into(), "prod".into()),
            ("TRACE_RATIO".into(), "0.25".into()),
        ]))
        .unwrap();
    assert_eq!(config.service_name, "marketplace-demo");
    assert!(config
        .resource_attributes
        .contains(&("deployment.environment.name".into(), "prod".into())));
    assert_eq!(config.sampler, Sampler::ParentBasedTraceIdRatio(0.25));
    assert!(config.metrics_exporters.prometheus && config.metrics_exporters.otlp);
    assert!(config.logs_exporters.otlp);
    assert!(
        config.config_warnings.is_empty(),
        "{:?}",
        config.config_warnings
    );
}

fn lookup_owned(vars: Vec<(String, String)>) -> impl Fn(&str) -> Option<String> {
    move |k| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
}

/// `meter_provider.views` and a reader's `cardinality_limits` change what the scrape shows.
#[test]
fn views_and_cardinality_limits_shape_the_scrape() {
    let config = TelemetryConfig::from_yaml(
        r#"
file_format: "1.1"
meter_provider:
  readers:
    - pull:
        exporter:
          prometheus/development:
            port: 0
            scope_info_enabled: false
        cardinality_limits:
          default: 2000
          counter: 3
  views:
    - selector: {instrument_name: view.test.latency}
      stream:
        name: view.test.renamed
        aggregation:
          explicit_bucket_histogram:
            boundaries: [0.5, 2.5]
        attribute_keys:
          included: [route]
    - selector: {instrument_name: "view.test.drop*", instrument_type: counter}
      stream:
        aggregation: {drop: }
"#,
    )
    .unwrap();
    assert_eq!(config.metric_views.len(), 2);
    let telemetry = marketplace_telemetry::Telemetry::build(config).unwrap();
    let meter = telemetry.meter();
    let h = meter
        .f64_histogram("view.test.latency")
        .with_unit("s")
        .build();
    h.record(
        1.0,
        &[
            opentelemetry::KeyValue::new("route", "/a"),
            opentelemetry::KeyValue::new("user", "u1"),
        ],
    );
    meter.u64_counter("view.test.dropped").build().add(1, &[]);
    let c = meter.u64_counter("view.test.many").build();
    for i in 0..10 {
        c.add(1, &[opentelemetry::KeyValue::new("i", i64::from(i))]);
    }
    let body = telemetry.scrape_handler().unwrap().render();
    let _ = telemetry.shutdown();
    // Renamed, re-bucketed, only the allowed attribute kept.
    assert!(
        body.contains("view_test_renamed_seconds_bucket{route=\"/a\",le=\"2.5\"} 1"),
        "{body}"
    );
    assert!(!body.contains("view_test_latency"), "{body}");
    assert!(!body.contains("user=\"u1\""), "{body}");
    // Dropped.
    assert!(!body.contains("view_test_dropped"), "{body}");
    // Three series, then everything else in the overflow series.
    let many: Vec<&str> = body
        .lines()
        .filter(|l| l.starts_with("view_test_many_total{"))
        .collect();
    assert_eq!(many.len(), 4, "{many:?}");
    assert!(many.contains(&"view_test_many_total{otel_metric_overflow=\"true\"} 7"));
    assert!(
        many.iter()
            .any(|l| l.contains("otel_metric_overflow=\"true\"")),
        "{many:?}"
    );
}

#[test]
fn view_mistakes_are_errors_naming_the_property() {
    let base = "file_format: \"1.1\"\nmeter_provider:\n  readers:\n    - pull: {exporter: {prometheus/development: {port: 0}}}\n";
    let cases: &[(&str, &str, &str)] = &[
        ("  views:\n    - selector: {instrument_name: \"a.*\"}\n      stream: {name: b}\n", "meter_provider.views[0].stream.name", "exactly"),
        ("  views:\n    - selector: {instrument_name: a}\n      stream: {attribute_keys: {excluded: [x]}}\n", "meter_provider.views[0].stream.attribute_keys.excluded", "allow list"),
        ("  views:\n    - selector: {instrument_name: a}\n      stream: {aggregation: {explicit_bucket_histogram: {boundaries: [5, 1]}}}\n", "meter_provider.views[0].stream.aggregation.explicit_bucket_histogram.boundaries", "increasing"),
        ("  views:\n    - selector: {instrument_type: timer}\n      stream: {}\n", "meter_provider.views[0].selector.instrument_type", "histogram"),
        ("  views:\n    - selector: {instrument_name: a}\n      stream: {aggregation_cardinality_limit: 0}\n", "meter_provider.views[0].stream.aggregation_cardinality_limit", "from 1"),
        ("  views:\n    - selecter: {instrument_name: a}\n      stream: {}\n", "meter_provider.views[0].selecter", "unknown"),
    ];
    for (views, path, message) in cases {
        let yaml = format!("{base}{views}");
        match TelemetryConfig::from_yaml(&yaml).expect_err(&yaml) {
            Error::InvalidConfigFile {
                path: p,
                message: m,
                ..
            } => {
                assert_eq!(p, *path, "{yaml}");
                assert!(m.contains(message), "{yaml}\n{m}");
            }
            other => panic!("{other:?}"),
        }
    }
    // Two readers with different cardinality limits: the SDK cannot tell them apart.
    let err = TelemetryConfig::from_yaml(
        "file_format: \"1.1\"\nmeter_provider:\n  readers:\n    - pull:\n        exporter: {prometheus/development: {port: 0}}\n        cardinality_limits: {default: 100}\n    - periodic:\n        exporter: {console: }\n        cardinality_limits: {default: 200}\n",
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("meter_provider.readers[1].periodic.cardinality_limits"),
        "{err}"
    );
}

/// The getting-started configuration (examples/otel-getting-started.yaml): the `service`
/// detector takes `service.name` from `OTEL_SERVICE_NAME` (it used to be ignored with a
/// warning, leaving the code's default), the other detectors are on, nothing is a warning.
#[cfg(feature = "otlp-http")]
#[test]
fn the_getting_started_file_takes_the_service_name_and_runs_every_detector() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/otel-getting-started.yaml");
    let config = TelemetryConfig::builder()
        .build_from(lookup_owned(vec![
            ("OTEL_CONFIG_FILE".into(), path.display().to_string()),
            ("OTEL_SERVICE_NAME".into(), "checkout".into()),
            (
                "OTEL_RESOURCE_ATTRIBUTES".into(),
                "deployment.environment.name=dev".into(),
            ),
            (
                "OTEL_EXPORTER_OTLP_ENDPOINT".into(),
                "http://127.0.0.1:4318".into(),
            ),
        ]))
        .unwrap();
    assert_eq!(config.service_name, "checkout");
    let detection = config
        .resource_detection
        .clone()
        .expect("detection configured");
    assert!(detection.service && detection.host && detection.process && detection.container);
    assert!(config
        .resource_attributes
        .contains(&("deployment.environment.name".into(), "dev".into())));
    assert!(
        config.config_warnings.is_empty(),
        "{:?}",
        config.config_warnings
    );
}

#[test]
fn detection_mistakes_are_errors_naming_the_property() {
    for (doc, path) in [
        (
            "file_format: \"1.1\"\nresource:\n  detection/development:\n    detectors:\n      - kubernetes:\n",
            "resource.detection/development.detectors[0]",
        ),
        (
            "file_format: \"1.1\"\nresource:\n  detection/development:\n    detectrs:\n      - host:\n",
            "resource.detection/development.detectrs",
        ),
        (
            "file_format: \"1.1\"\nresource:\n  detection/development:\n    attributes:\n      included: process.*\n",
            "resource.detection/development.attributes.included",
        ),
    ] {
        let err = TelemetryConfig::from_yaml(doc).unwrap_err().to_string();
        assert!(err.contains(path), "{doc}: {err}");
    }
    // Attributes set in the file win over the `service` detector.
    let c = TelemetryConfig::from_yaml(
        "file_format: \"1.1\"\nresource:\n  attributes:\n    - name: service.name\n      value: from-file\n  detection/development:\n    detectors:\n      - service:\n",
    )
    .unwrap();
    assert_eq!(c.service_name, "from-file");
}
