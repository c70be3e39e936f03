//! Unit tests of parsing and resolution (the module is declared `#[cfg(test)] mod tests;` in
//! `mod.rs`).

use super::*;
use crate::error::Error;
use std::collections::HashMap;

fn build(vars: &[(&str, &str)]) -> Result<TelemetryConfig> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    TelemetryConfig::builder().build_from(|k| map.get(k).cloned())
}

#[test]
fn defaults_are_documented_values() {
    let c = build(&[]).unwrap();
    assert!(!c.sdk_disabled);
    assert_eq!(c.traces_exporters, Exporters::OTLP);
    assert_eq!(c.metrics_exporters, Exporters::PROMETHEUS);
    assert_eq!(c.logs_exporters, Exporters::NONE);
    assert_eq!(c.traces_otlp.endpoint, DEFAULT_GRPC_ENDPOINT);
    assert_eq!(c.traces_otlp.timeout, Duration::from_secs(10));
    assert_eq!(c.sampler, Sampler::ParentBasedAlwaysOn);
    assert_eq!(
        c.propagators,
        vec![Propagator::TraceContext, Propagator::Baggage]
    );
    assert_eq!(c.prometheus_addr, "127.0.0.1:9464".parse().unwrap());
    assert_eq!(c.batch, BatchConfig::default());
    assert_eq!(c.log_filter, "info");
    assert_eq!(c.shutdown_timeout, Duration::from_secs(5));
    assert!(c.service_name.starts_with("unknown_service"));
}

#[test]
fn http_generic_endpoint_gets_signal_path_but_signal_endpoint_is_used_as_is() {
    let c = build(&[
        (OTEL_EXPORTER_OTLP_PROTOCOL, "http/protobuf"),
        (OTEL_EXPORTER_OTLP_ENDPOINT, "http://collector:4318/"),
        (
            "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
            "http://logs:9999/custom",
        ),
    ])
    .unwrap();
    assert_eq!(c.traces_otlp.endpoint, "http://collector:4318/v1/traces");
    assert_eq!(c.metrics_otlp.endpoint, "http://collector:4318/v1/metrics");
    assert_eq!(c.logs_otlp.endpoint, "http://logs:9999/custom");
    assert_eq!(c.traces_otlp.protocol, Protocol::HttpProtobuf);
}

#[test]
fn signal_vars_override_generic_and_builder_overrides_both() {
    let c = build(&[
        (OTEL_EXPORTER_OTLP_TIMEOUT, "1000"),
        ("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "2000"),
    ])
    .unwrap();
    assert_eq!(c.traces_otlp.timeout, Duration::from_millis(2000));
    assert_eq!(c.metrics_otlp.timeout, Duration::from_millis(1000));
    let c = TelemetryConfig::builder()
        .with_otlp_timeout(Duration::from_millis(300))
        .build_from(|k| (k == "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT").then(|| "2000".into()))
        .unwrap();
    assert_eq!(c.traces_otlp.timeout, Duration::from_millis(300));
}

#[test]
fn service_name_env_beats_resource_attributes_and_builder() {
    let c = TelemetryConfig::builder()
        .with_service_name("from-code")
        .build_from(|k| match k {
            OTEL_SERVICE_NAME => Some("from-env".into()),
            OTEL_RESOURCE_ATTRIBUTES => {
                Some("service.name=from-attrs,deployment.environment=prod".into())
            }
            _ => None,
        })
        .unwrap();
    assert_eq!(c.service_name, "from-env");
    assert_eq!(
        c.resource_attributes,
        vec![("deployment.environment".into(), "prod".into())]
    );
}

#[test]
fn resource_attribute_values_are_percent_decoded() {
    let c = build(&[(OTEL_RESOURCE_ATTRIBUTES, "team=search%20core,region=eu")]).unwrap();
    assert!(c
        .resource_attributes
        .contains(&("team".into(), "search core".into())));
}

#[test]
fn bad_sampler_value_names_the_variable() {
    let err = build(&[(OTEL_TRACES_SAMPLER, "banana")]).unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidEnv {
            var: OTEL_TRACES_SAMPLER,
            ..
        }
    ));
    assert!(err.to_string().contains("parentbased_traceidratio"));
}

#[test]
fn sampler_ratio_is_read_from_arg() {
    let c = build(&[
        (OTEL_TRACES_SAMPLER, "parentbased_traceidratio"),
        (OTEL_TRACES_SAMPLER_ARG, "0.25"),
    ])
    .unwrap();
    assert_eq!(c.sampler, Sampler::ParentBasedTraceIdRatio(0.25));
    assert!(build(&[(OTEL_TRACES_SAMPLER_ARG, "1.5")]).is_err());
}

#[test]
fn queue_size_is_range_checked_before_the_sdk_sees_it() {
    for (queue_var, batch_var) in [
        (OTEL_BSP_MAX_QUEUE_SIZE, OTEL_BSP_MAX_EXPORT_BATCH_SIZE),
        (OTEL_BLRP_MAX_QUEUE_SIZE, OTEL_BLRP_MAX_EXPORT_BATCH_SIZE),
    ] {
        for bad in ["0", "100000000", "-1", "1e8", "lots"] {
            let err = build(&[(queue_var, bad)]).unwrap_err();
            assert!(
                matches!(err, Error::InvalidEnv { var, .. } if var == queue_var),
                "{queue_var}={bad}: {err}"
            );
        }
        let err = build(&[(queue_var, "100"), (batch_var, "200")]).unwrap_err();
        assert!(
            matches!(err, Error::InvalidEnv { var, .. } if var == batch_var),
            "{err}"
        );
    }
    let c = build(&[(OTEL_BSP_MAX_QUEUE_SIZE, "100")]).unwrap();
    assert_eq!(c.batch.max_export_batch_size, 100);
    assert_eq!(c.log_batch, BatchConfig::log_records());
    let c = build(&[
        (OTEL_BLRP_MAX_QUEUE_SIZE, "64"),
        (OTEL_BLRP_SCHEDULE_DELAY, "250"),
    ])
    .unwrap();
    assert_eq!(c.log_batch.max_queue_size, 64);
    assert_eq!(c.log_batch.max_export_batch_size, 64);
    assert_eq!(c.log_batch.schedule_delay, Duration::from_millis(250));
    assert_eq!(
        c.batch,
        BatchConfig::default(),
        "spans keep their own settings"
    );
}

#[test]
fn log_batch_builder_values_win_and_are_checked() {
    let c = TelemetryConfig::builder()
        .with_log_batch_max_queue_size(32)
        .with_log_batch_max_export_batch_size(8)
        .with_log_batch_schedule_delay(Duration::from_millis(10))
        .build_from(|k| (k == OTEL_BLRP_MAX_QUEUE_SIZE).then(|| "4096".to_string()))
        .unwrap();
    assert_eq!(
        (
            c.log_batch.max_queue_size,
            c.log_batch.max_export_batch_size
        ),
        (32, 8)
    );
    let err = TelemetryConfig::builder()
        .with_log_batch_max_queue_size(0)
        .build_from(|_| None)
        .unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidConfig {
            field: "log_batch_max_queue_size",
            ..
        }
    ));
}

#[test]
fn exporter_lists_accept_combinations_and_reject_unknowns() {
    let c = build(&[(OTEL_METRICS_EXPORTER, "prometheus,otlp")]).unwrap();
    assert!(c.metrics_exporters.prometheus && c.metrics_exporters.otlp);
    assert!(build(&[(OTEL_TRACES_EXPORTER, "prometheus")]).is_err());
    assert!(build(&[(OTEL_TRACES_EXPORTER, "zipkin")]).is_err());
    assert!(build(&[(OTEL_TRACES_EXPORTER, "none,otlp")]).is_err());
    assert_eq!(
        build(&[(OTEL_TRACES_EXPORTER, "none")])
            .unwrap()
            .traces_exporters,
        Exporters::NONE
    );
}

#[test]
fn propagators_accept_b3_b3multi_xray_and_refuse_jaeger_by_name() {
    assert_eq!(
        build(&[(OTEL_PROPAGATORS, "none")]).unwrap().propagators,
        vec![]
    );
    assert_eq!(
        build(&[(OTEL_PROPAGATORS, " tracecontext , b3multi,xray,b3,b3 ")])
            .unwrap()
            .propagators,
        vec![
            Propagator::TraceContext,
            Propagator::B3Multi,
            Propagator::XRay,
            Propagator::B3
        ]
    );
    for bad in ["tracecontext,jaeger", "ottrace", "b3,none", "B3", "xray9"] {
        let err = build(&[(OTEL_PROPAGATORS, bad)]).unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidEnv {
                    var: OTEL_PROPAGATORS,
                    ..
                }
            ),
            "{bad}: {err:?}"
        );
        assert!(
            err.to_string()
                .contains("jaeger and ottrace are not supported"),
            "{err}"
        );
    }
}

#[test]
fn bad_headers_error_never_contains_the_value() {
    let err = build(&[(
        OTEL_EXPORTER_OTLP_HEADERS,
        "authorization=Bearer SECRET123\n,bad",
    )])
    .unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("SECRET123"), "{shown}");
    assert!(shown.contains(OTEL_EXPORTER_OTLP_HEADERS));
}

#[test]
fn a_header_grpc_cannot_send_is_an_error_naming_the_variable_not_dropped() {
    for var in [
        OTEL_EXPORTER_OTLP_HEADERS,
        "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
    ] {
        let err = build(&[(var, "x-token-bin=SECRET456")]).unwrap_err();
        let shown = format!("{err} {err:?}");
        assert!(
            matches!(&err, Error::InvalidEnv { var: v, .. } if *v == var),
            "{shown}"
        );
        assert!(!shown.contains("SECRET456"), "{shown}");
        assert!(shown.contains("x-token-bin=<redacted>"), "{shown}");
    }
}

#[test]
fn config_debug_and_report_never_show_header_values() {
    let c = build(&[
        (OTEL_EXPORTER_OTLP_HEADERS, "api-key=SECRET123"),
        ("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "x-token=SECRET456"),
    ])
    .unwrap();
    assert_eq!(c.traces_otlp.headers.len(), 2);
    let shown = format!("{c:?} {}", c.report());
    assert!(!shown.contains("SECRET"), "{shown}");
    assert!(shown.contains("api-key"));
}

#[test]
fn empty_variables_count_as_unset() {
    let c = build(&[(OTEL_TRACES_SAMPLER, ""), (RUST_LOG, "  ")]).unwrap();
    assert_eq!(c.sampler, Sampler::ParentBasedAlwaysOn);
    assert_eq!(c.log_filter, "info");
}

#[test]
fn prometheus_host_and_port() {
    let c = build(&[
        (OTEL_EXPORTER_PROMETHEUS_HOST, "0.0.0.0"),
        (OTEL_EXPORTER_PROMETHEUS_PORT, "9100"),
    ])
    .unwrap();
    assert_eq!(c.prometheus_addr, "0.0.0.0:9100".parse().unwrap());
    assert!(build(&[(OTEL_EXPORTER_PROMETHEUS_PORT, "70000")]).is_err());
    assert!(build(&[(OTEL_EXPORTER_PROMETHEUS_HOST, "my host")]).is_err());
}

// === the declarations (`settings.rs`) ===

#[test]
fn every_declared_variable_refuses_its_bad_value_naming_itself() {
    for d in settings::DECLARATIONS {
        for &var in d.names {
            let err = build(&[(var, d.refused)])
                .expect_err(&format!("{var}={:?} must be refused", d.refused));
            match &err {
                Error::InvalidEnv { var: named, .. } => assert_eq!(*named, var),
                other => panic!("{var}: expected InvalidEnv, got {other:?}"),
            }
            let shown = err.to_string();
            assert!(shown.starts_with(var), "{shown}");
            assert!(
                shown.contains(d.expected),
                "{shown} (declared: {})",
                d.expected
            );
        }
    }
}

#[test]
fn every_variable_is_declared_once() {
    let mut seen = std::collections::HashSet::new();
    for var in ALL_ENV_VARS {
        assert!(seen.insert(*var), "{var} declared twice");
    }
    let declared: usize = settings::DECLARATIONS.iter().map(|d| d.names.len()).sum();
    assert_eq!(declared, ALL_ENV_VARS.len());
}

const TABLE_START: &str = "<!-- variables: generated from src/config/settings.rs (BLESS=1 cargo test -- readme_variable_table) -->\n";
const TABLE_END: &str = "<!-- /variables -->";

/// The README's variable table is the declarations', byte for byte; `BLESS=1` rewrites it.
#[test]
fn readme_variable_table_is_rendered_from_the_declarations() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    let readme = std::fs::read_to_string(path).unwrap();
    let start = readme
        .find(TABLE_START)
        .expect("README: table start marker")
        + TABLE_START.len();
    let end = start
        + readme[start..]
            .find(TABLE_END)
            .expect("README: table end marker");
    let table = settings::readme_table();
    if readme[start..end] != table {
        if std::env::var_os("BLESS").is_some() {
            let updated = format!("{}{table}{}", &readme[..start], &readme[end..]);
            std::fs::write(path, updated).unwrap();
        } else {
            panic!(
                "README's variable table differs from src/config/settings.rs; run \
                 `BLESS=1 cargo test --lib -- readme_variable_table` and review the diff"
            );
        }
    }
}

#[test]
fn entities_join_the_resource_under_resource_attributes() {
    let c = build(&[
        (
            "OTEL_ENTITIES",
            ";k8s.pod{k8s.pod.uid=pod-1}[k8s.pod.name=web%2C1];;service{service.name=from-entity}[deployment.environment.name=dev]@https://opentelemetry.io/schemas/1.37.0;",
        ),
        ("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=prod"),
    ])
    .unwrap();
    let attr = |k: &str| {
        c.resource_attributes
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(attr("k8s.pod.uid"), Some("pod-1"));
    assert_eq!(attr("k8s.pod.name"), Some("web,1"));
    assert_eq!(attr("deployment.environment.name"), Some("prod"));
    assert_eq!(c.service_name, "from-entity");
    for bad in [
        "pod",
        "{a=b}",
        "1pod{a=b}",
        "pod{a=b",
        "pod{a=b}[c=d",
        "pod{a=b}x",
        "pod{a=b}@not a uri",
        "pod{=b}",
        "service{}",
    ] {
        assert!(build(&[("OTEL_ENTITIES", bad)]).is_err(), "{bad} accepted");
    }
}

#[test]
fn kubernetes_detection_runs_only_inside_a_pod() {
    // `HOSTNAME` alone (every shell, every laptop) is no pod.
    let laptop = build(&[("HOSTNAME", "laptop")]).unwrap();
    assert!(!laptop.kubernetes);
    let pod = build(&[
        ("KUBERNETES_SERVICE_HOST", "10.96.0.1"),
        ("HOSTNAME", "registry-7d9f8-abcde"),
    ])
    .unwrap();
    assert!(pod.kubernetes);
    // Through a configuration file too (the variable is not an `OTEL_*` one).
    let file = TelemetryConfig::builder()
        .build_from_yaml("file_format: \"1.0\"\n", &|k| {
            (k == "KUBERNETES_SERVICE_HOST").then(|| "10.96.0.1".to_string())
        })
        .unwrap();
    assert!(file.kubernetes);
}
