//! A real OpenTelemetry collector (rotel, front forwarding to a sink) receives our traces over
//! gRPC and over HTTP/protobuf, our metrics over OTLP and our logs over OTLP; the assertions
//! read what the sink decoded and printed.

use crate::common;

use common::{env_map, require, rotel, Capture, Collector};
use marketplace_telemetry::{Telemetry, TelemetryConfig};

fn send_all_signals(endpoint: String, protocol: &str, service: &str, tag: &str) {
    let config = TelemetryConfig::builder()
        .with_log_writer(Capture::default().writer())
        .with_prometheus_port(0)
        .build_from(env_map(&[
            ("OTEL_SERVICE_NAME", service),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
            ("OTEL_METRICS_EXPORTER", "prometheus,otlp"),
            ("OTEL_LOGS_EXPORTER", "otlp"),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
            ("OTEL_METRIC_EXPORT_INTERVAL", "500"),
        ]))
        .unwrap();
    let telemetry = Telemetry::build(config).unwrap();
    tracing::dispatcher::with_default(telemetry.dispatch(), || {
        let span = tracing::info_span!("rotel_span", tag);
        let _g = span.enter();
        tracing::info!("rotel log body {tag}");
    });
    telemetry
        .meter()
        .u64_counter(format!("rotel.test.{tag}"))
        .build()
        .add(5, &[]);
    telemetry
        .shutdown()
        .expect("shutdown flushes to a live collector");
}

#[test]
fn traces_metrics_and_logs_over_grpc_reach_the_sink_through_a_forwarding_collector() {
    let Some(rotel) = require("rotel", rotel()) else {
        return;
    };
    let collector = Collector::start(&rotel, "rotel-grpc");
    let endpoint = format!("http://127.0.0.1:{}", collector.grpc);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async { send_all_signals(endpoint, "grpc", "rotel-grpc-svc", "grpc") });
    collector
        .sink_shows(&[
            "rotel_span",
            "rotel-grpc-svc",
            "rotel.test.grpc",
            "Body: Str(rotel log body grpc)",
        ])
        .unwrap();
}

#[cfg(feature = "otlp-http")]
#[test]
fn traces_metrics_and_logs_over_http_protobuf_reach_the_sink_without_a_runtime() {
    let Some(rotel) = require("rotel", rotel()) else {
        return;
    };
    let collector = Collector::start(&rotel, "rotel-http");
    let endpoint = format!("http://127.0.0.1:{}", collector.http);
    send_all_signals(endpoint, "http/protobuf", "rotel-http-svc", "http");
    collector
        .sink_shows(&[
            "rotel_span",
            "rotel-http-svc",
            "rotel.test.http",
            "Body: Str(rotel log body http)",
        ])
        .unwrap();
}

#[test]
fn spans_recorded_after_a_collector_restart_arrive_and_the_host_never_waits() {
    let Some(rotel) = require("rotel", rotel()) else {
        return;
    };
    let mut collector = Collector::start(&rotel, "rotel-restart");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let _entered = rt.enter();
    let config = TelemetryConfig::builder()
        .with_log_writer(Capture::default().writer())
        .with_prometheus_port(0)
        .with_otlp_endpoint(format!("http://127.0.0.1:{}", collector.grpc))
        .with_batch_schedule_delay(std::time::Duration::from_millis(100))
        .with_otlp_timeout(std::time::Duration::from_secs(2))
        .build_from(|_| None)
        .unwrap();
    let telemetry = Telemetry::build(config).unwrap();
    let recorded = std::cell::Cell::new(0u32);
    let span = |name: &'static str| {
        recorded.set(recorded.get() + 1);
        tracing::dispatcher::with_default(telemetry.dispatch(), || {
            let s = tracing::info_span!("restart_probe", phase = name);
            let _g = s.enter();
        })
    };
    span("before-kill");
    collector.sink_shows(&["before-kill"]).unwrap();

    collector.kill_front();
    for _ in 0..100 {
        span("while-down"); // must not block: the batch processor's queue absorbs or drops
    }
    std::thread::sleep(std::time::Duration::from_secs(1));
    collector.start_front();
    // The gRPC channel reconnects by itself; keep recording until a span makes it through.
    let arrived = common::wait_for(std::time::Duration::from_secs(40), || {
        span("after-restart");
        collector
            .sink_text()
            .contains("after-restart")
            .then_some(())
    });
    assert!(
        arrived.is_some(),
        "no span arrived after the collector restarted"
    );
    // Loss is always counted: every span recorded was either delivered or counted as failed.
    let _ = telemetry.force_flush();
    let handler = telemetry.scrape_handler().unwrap();
    let total = f64::from(recorded.get());
    let mut last = (0.0, 0.0);
    let balanced = common::wait_for(std::time::Duration::from_secs(30), || {
        let body = handler.render();
        let item = |outcome| {
            common::export_sample(&body, "telemetry_export_items_total", "traces", outcome).max(0.0)
        };
        last = (item("success"), item("failure"));
        (last.0 + last.1 == total).then_some(())
    });
    assert!(
        balanced.is_some(),
        "{total} spans recorded, {} delivered + {} counted as lost",
        last.0,
        last.1
    );
    // And "delivered" is what the sink really decoded, not only what our counter says: the
    // front was killed only after the first span reached the sink, and stays up after its
    // restart, so every span counted as exported must arrive.
    let mut at_sink = 0;
    let matched = common::wait_for(std::time::Duration::from_secs(30), || {
        at_sink = collector.sink_text().matches("restart_probe").count();
        (at_sink as f64 == last.0).then_some(())
    });
    assert!(
        matched.is_some(),
        "our counter says {} spans delivered, the sink decoded {at_sink}",
        last.0
    );
    let _ = telemetry.shutdown();
}

/// The same three signals configured by a configuration file alone (`OTEL_CONFIG_FILE`), with
/// the collector address substituted from the environment and a stray `OTEL_*` endpoint that
/// the file makes irrelevant.
#[test]
fn a_configuration_file_alone_sends_all_signals_to_the_collector() {
    let Some(rotel) = require("rotel", rotel()) else {
        return;
    };
    let collector = Collector::start(&rotel, "rotel-file");
    let dir = common::temp_dir("config-file");
    let file = dir.join("otel.yaml");
    std::fs::write(
        &file,
        r#"file_format: "1.1"
resource:
  attributes:
    - name: service.name
      value: rotel-file-svc
tracer_provider:
  processors:
    - batch:
        schedule_delay: 100
        exporter:
          otlp_grpc:
            endpoint: http://127.0.0.1:${COLLECTOR_GRPC_PORT}
meter_provider:
  readers:
    - pull:
        exporter:
          prometheus/development:
            port: 0
    - periodic:
        interval: 500
        exporter:
          otlp_grpc:
            endpoint: http://127.0.0.1:${COLLECTOR_GRPC_PORT}
logger_provider:
  processors:
    - batch:
        schedule_delay: 100
        exporter:
          otlp_grpc:
            endpoint: http://127.0.0.1:${COLLECTOR_GRPC_PORT}
"#,
    )
    .unwrap();
    let port = collector.grpc.to_string();
    let closed = format!("http://127.0.0.1:{}", common::free_port());
    let config = TelemetryConfig::builder()
        .with_log_writer(Capture::default().writer())
        .build_from(env_map(&[
            ("OTEL_CONFIG_FILE", file.to_str().unwrap()),
            ("COLLECTOR_GRPC_PORT", &port),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &closed),
        ]))
        .unwrap();
    assert!(config.report().to_string().contains("config_file="));
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let telemetry = Telemetry::build(config).unwrap();
        tracing::dispatcher::with_default(telemetry.dispatch(), || {
            let span = tracing::info_span!("file_span");
            let _g = span.enter();
            tracing::info!("file log body");
        });
        telemetry
            .meter()
            .u64_counter("rotel.test.file")
            .build()
            .add(5, &[]);
        telemetry
            .shutdown()
            .expect("shutdown flushes to a live collector");
    });
    collector
        .sink_shows(&[
            "file_span",
            "rotel-file-svc",
            "rotel.test.file",
            "Body: Str(file log body)",
        ])
        .unwrap();
}

/// The demo configured only by the shipped `examples/otel-config.yaml` — over gRPC as shipped,
/// and over HTTP/protobuf with its exporters switched to `otlp_http` — sends traces, metrics and
/// logs that reach the sink with the file's resource, and runs the file's sampler.
fn demo_with_the_example_file(http: bool) {
    let Some(rotel) = require("rotel", rotel()) else {
        return;
    };
    let name = if http {
        "rotel-demo-http"
    } else {
        "rotel-demo-grpc"
    };
    let collector = Collector::start(&rotel, name);
    let dir = common::temp_dir(name);
    let shipped =
        std::fs::read_to_string(common::repo_root().join("examples/otel-config.yaml")).unwrap();
    let (file, endpoint) = if http {
        let variant = dir.join("otel-config-http.yaml");
        let text = shipped.replace("otlp_grpc:", "otlp_http:").replace(
            "endpoint: ${COLLECTOR_GRPC_ENDPOINT:-http://localhost:4317}",
            "endpoint: ${COLLECTOR_HTTP_ENDPOINT}/v1/SIGNAL",
        );
        // One path per signal, in the order the file lists them.
        let text = text
            .replacen("/v1/SIGNAL", "/v1/traces", 1)
            .replacen("/v1/SIGNAL", "/v1/metrics", 1)
            .replacen("/v1/SIGNAL", "/v1/logs", 1);
        std::fs::write(&variant, text).unwrap();
        (variant, format!("http://127.0.0.1:{}", collector.http))
    } else {
        (
            common::repo_root().join("examples/otel-config.yaml"),
            format!("http://127.0.0.1:{}", collector.grpc),
        )
    };
    let environment = format!("{name}-env");
    let log = dir.join("demo.log");
    let demo = common::start_demo(
        &log,
        &[
            ("OTEL_CONFIG_FILE", file.to_str().unwrap()),
            ("COLLECTOR_GRPC_ENDPOINT", &endpoint),
            ("COLLECTOR_HTTP_ENDPOINT", &endpoint),
            ("DEPLOY_ENV", &environment),
            ("SERVICE_NAME", name),
            ("TRACE_RATIO", "1.0"),
            ("BSP_SCHEDULE_DELAY", "200"),
            ("METRIC_EXPORT_INTERVAL", "500"),
        ],
    );
    let shown = collector.sink_shows(&[
        name,
        &environment,
        "marketplace.search.duration",
        "search done",
    ]);
    drop(demo);
    let log = std::fs::read_to_string(&log).unwrap_or_default();
    shown.unwrap();
    assert!(
        log.contains("config_file=") && log.contains("sampler=parentbased_traceidratio"),
        "the startup report names the file and its sampler:\n{log}"
    );
    let protocol = if http { "(http/protobuf" } else { "(grpc" };
    assert_eq!(
        log.matches(&format!("{protocol}, timeout=")).count(),
        3,
        "traces, metrics and logs all over {protocol}:\n{log}"
    );
}

#[test]
fn the_demo_configured_by_the_example_file_reaches_the_collector_over_grpc() {
    demo_with_the_example_file(false);
}

#[cfg(feature = "otlp-http")]
#[test]
fn the_demo_configured_by_the_example_file_reaches_the_collector_over_http() {
    demo_with_the_example_file(true);
}

/// The getting-started configuration (examples/otel-getting-started.yaml, OTLP/HTTP) with
/// `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES`: the collector receives the service name
/// the `service` detector takes from the environment (not the code's default), a
/// `service.instance.id`, and the host and process detectors' attributes.
#[cfg(feature = "otlp-http")]
#[test]
fn the_getting_started_file_reaches_the_collector_with_the_environments_service_name() {
    let Some(rotel) = require("rotel", rotel()) else {
        return;
    };
    let collector = Collector::start(&rotel, "rotel-getting-started");
    let dir = common::temp_dir("getting-started");
    let log = std::fs::File::create(dir.join("demo.log")).unwrap();
    let file = common::repo_root().join("examples/otel-getting-started.yaml");
    let endpoint = format!("http://127.0.0.1:{}", collector.http);
    let _demo = common::ChildGuard::spawn(
        "marketplace_demo (getting started)",
        std::process::Command::new(common::demo_binary())
            .args(["--port", "0", "--concurrency", "4"])
            .env("OTEL_CONFIG_FILE", &file)
            .env("OTEL_SERVICE_NAME", "checkout")
            .env(
                "OTEL_RESOURCE_ATTRIBUTES",
                "deployment.environment.name=getting-started",
            )
            .env("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint)
            .env("RUST_LOG_FORMAT", "json")
            .stdout(log.try_clone().unwrap())
            .stderr(log),
    );
    let shown = collector.sink_shows(&[
        "service.name",
        "checkout",
        "service.instance.id",
        "host.name",
        "host.arch",
        "process.pid",
        "process.runtime.name",
        "getting-started",
        // A span the demo's load makes (the file's metric interval is the default minute).
        "SPAN_KIND_SERVER",
    ]);
    if let Err(e) = shown {
        let demo_log = std::fs::read_to_string(dir.join("demo.log")).unwrap_or_default();
        panic!(
            "{e}\n--- demo log ---\n{}",
            &demo_log[..demo_log.len().min(4000)]
        );
    }
    let sink = collector.sink_text();
    assert!(
        !sink.contains("marketplace-demo"),
        "the code's default service name reached the collector"
    );
    assert!(
        !sink.contains("process.command_args"),
        "command lines can carry secrets"
    );
}
