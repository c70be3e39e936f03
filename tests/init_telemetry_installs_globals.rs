//! The only test binary that installs the global pipeline: `init_telemetry` sets the global
//! subscriber, tracer provider and propagator; a second call is a typed error. Also runs the
//! demo as a child process to capture everything it prints with a secret configured.

use marketplace_telemetry_test_support as common;

use std::collections::HashMap;
use std::process::Command;
use std::time::Duration;

use common::{start_receiver, wait_for, Capture};
use marketplace_telemetry::{init_telemetry, Error, TelemetryConfig};

#[tracing::instrument]
fn checkout(item: &str) {
    tracing::info!("checking out");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_installs_the_pipeline_globally_and_a_second_init_is_an_error() {
    let (addr, received) = start_receiver().await;
    let capture = Capture::default();
    let config = TelemetryConfig::builder()
        .with_service_name("global-svc")
        .with_otlp_endpoint(format!("http://{addr}"))
        .with_prometheus_port(0)
        .with_batch_schedule_delay(Duration::from_millis(100))
        .with_log_writer(capture.writer())
        .build_from(|_| None)
        .unwrap();
    // A hook installed before init (the host's own): it must still run after ours.
    static PREVIOUS_HOOK_RAN: std::sync::atomic::AtomicBool =
        std::sync::atomic::AtomicBool::new(false);
    std::panic::set_hook(Box::new(|_| {
        PREVIOUS_HOOK_RAN.store(true, std::sync::atomic::Ordering::SeqCst)
    }));
    let telemetry = init_telemetry(config.clone()).expect("first init");

    let again = init_telemetry(config).unwrap_err();
    assert!(matches!(again, Error::AlreadyInitialized), "{again:?}");

    checkout("plugin-a");
    assert!(
        capture.text().contains("checking out"),
        "global subscriber logs"
    );
    assert!(
        capture.text().contains("telemetry started"),
        "startup report logged"
    );

    // The global propagator is W3C trace-context + baggage.
    let mut carrier = HashMap::new();
    let span = tracing::info_span!("outgoing");
    {
        use tracing_opentelemetry::OpenTelemetrySpanExt;
        let cx = span.context();
        opentelemetry::global::get_text_map_propagator(|p| p.inject_context(&cx, &mut carrier));
    }
    drop(span);
    assert!(carrier.contains_key("traceparent"), "{carrier:?}");

    let found = wait_for(Duration::from_secs(20), || {
        received
            .spans()
            .into_iter()
            .find(|(_, s)| s.name == "checkout")
    });
    let (service, _) = found.expect("span exported through the global subscriber");
    assert_eq!(service, "global-svc");

    // A request handler that panics: logged at ERROR with its trace id, its span marked
    // error.type=panic, counted on the scrape; the previous hook still runs.
    let handler = std::thread::spawn(|| {
        let span = tracing::info_span!("panicking_handler");
        let _entered = span.enter();
        let trace_id = {
            use opentelemetry::trace::TraceContextExt as _;
            opentelemetry::Context::current()
                .span()
                .span_context()
                .trace_id()
                .to_string()
        };
        let result = std::panic::catch_unwind(|| panic!("handler exploded: {}", 42));
        (trace_id, result.is_err())
    });
    let (trace_id, panicked) = handler.join().unwrap();
    assert!(panicked);
    assert!(
        PREVIOUS_HOOK_RAN.load(std::sync::atomic::Ordering::SeqCst),
        "the hook installed before init_telemetry must still run"
    );
    let line = capture
        .text()
        .lines()
        .find(|l| l.contains("handler exploded: 42"))
        .map(str::to_string)
        .unwrap_or_else(|| panic!("panic not logged: {}", capture.text()));
    assert!(line.contains("ERROR"), "{line}");
    assert!(line.contains(&format!("trace_id={trace_id}")), "{line}");
    let span = wait_for(Duration::from_secs(20), || {
        received
            .spans()
            .into_iter()
            .find(|(_, s)| s.name == "panicking_handler")
    })
    .expect("the panicking span is exported")
    .1;
    assert_eq!(common::attr(&span, "error.type").as_deref(), Some("panic"));
    assert_eq!(
        span.status.as_ref().map(|s| s.code),
        Some(2),
        "status error: {:?}",
        span.status
    );
    let scrape = telemetry.scrape_handler().unwrap().render();
    assert!(
        scrape.lines().any(|l| l == "marketplace_panics_total 1"),
        "{}",
        scrape
            .lines()
            .filter(|l| l.contains("panic"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    tokio::task::spawn_blocking(move || telemetry.shutdown())
        .await
        .unwrap()
        .unwrap();
}

#[test]
fn the_demo_never_prints_the_header_secret_even_at_trace_level_with_the_collector_down() {
    const SENTINEL: &str = "S3NT1NEL-demo-secret";
    let demo = common::demo_binary();
    // The secret is also the password of the endpoint URL.
    let closed = format!("http://svc:{SENTINEL}@127.0.0.1:{}", common::free_port());
    let mut cmd = Command::new(&demo);
    cmd.args(["--duration", "2", "--port", "0"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("RUST_LOG", "trace")
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", &closed)
        .env(
            "OTEL_EXPORTER_OTLP_HEADERS",
            format!("authorization=Bearer%20{SENTINEL}"),
        )
        .env(
            "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
            format!("x-api-key={SENTINEL}"),
        )
        .env("OTEL_METRICS_EXPORTER", "prometheus,otlp")
        .env("OTEL_METRIC_EXPORT_INTERVAL", "500")
        .env("OTEL_LOGS_EXPORTER", "otlp")
        .env("OTEL_EXPORTER_PROMETHEUS_PORT", "0")
        .env("OTEL_BSP_SCHEDULE_DELAY", "200");
    // The demo runs 2 s; a shutdown that waited out the closed collector would take far longer.
    let (status, stdout, stderr) = common::output_within(&mut cmd, Duration::from_secs(60));
    let text = format!("{stdout}\n{stderr}");
    assert!(
        text.contains("telemetry started"),
        "{}",
        &text[..text.len().min(3000)]
    );
    assert!(
        text.contains("authorization=<redacted>"),
        "report shows the key only"
    );
    // The check covers the SDK's own export-failure records, which run on the SDK's threads
    // (an in-process test's scoped dispatcher cannot see them; this child's global one does).
    assert!(
        text.contains("OTLP export failed"),
        "the SDK's export-failure logs were not captured: {}",
        &text[..text.len().min(3000)]
    );
    assert!(!text.contains(SENTINEL), "secret printed by the demo");
    // The demo goes on and exits cleanly (status 0, within the limit) although nothing could
    // be exported.
    let status = status.expect("the demo did not exit within 60 s");
    assert!(
        status.success(),
        "exit {status:?}: {}",
        &text[text.len().saturating_sub(3000)..]
    );
}

/// `--help` prints every option and exits 0 without starting anything; an unknown option (or
/// one missing its value) prints the usage and exits 2 — it used to start the service.
#[test]
fn the_demo_answers_help_and_refuses_unknown_options() {
    let demo = common::demo_binary();
    // Port 1 cannot be bound by a test: had the demo started, it would fail differently.
    let help = Command::new(&demo)
        .args(["--help"])
        .env("OTEL_EXPORTER_PROMETHEUS_PORT", "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&help.stdout);
    assert_eq!(help.status.code(), Some(0), "{text}");
    for option in [
        "--port",
        "--concurrency",
        "--no-load",
        "--duration",
        "--namespace",
        "--service-version",
        "--help",
    ] {
        assert!(
            text.contains(option),
            "--help should list {option}:\n{text}"
        );
    }
    for args in [
        &["--bogus"][..],
        &["--port"][..],
        &["--duration", "1", "stray"][..],
    ] {
        let out = Command::new(&demo)
            .args(args)
            .env("OTEL_EXPORTER_PROMETHEUS_PORT", "1")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("usage: marketplace_demo"), "{args:?}: {err}");
        assert!(
            !err.contains("telemetry started"),
            "{args:?} started the service: {err}"
        );
    }
}

#[test]
fn a_bad_variable_makes_the_demo_print_the_message_and_exit_2() {
    let mut cmd = Command::new(common::demo_binary());
    cmd.args(["--duration", "1", "--port", "0"])
        .env_clear()
        .env(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "http://collector:4317/v1/traces",
        );
    let (status, stdout, stderr) = common::output_within(&mut cmd, Duration::from_secs(30));
    let status = status.expect("the demo did not exit within 30 s");
    assert_eq!(status.code(), Some(2), "{stdout}\n{stderr}");
    // The message (variable, value, what it accepts), not the error's Debug struct.
    assert!(
        stderr.contains("OTEL_EXPORTER_OTLP_ENDPOINT=\"http://collector:4317/v1/traces\": expected a gRPC endpoint without a path"),
        "{stderr}"
    );
    assert!(!stderr.contains("InvalidEnv"), "{stderr}");
}

#[test]
fn startup_is_quiet_and_spells_values_as_the_variables_accept_them() {
    let mut cmd = Command::new(common::demo_binary());
    cmd.args(["--duration", "1", "--port", "0", "--no-load"])
        .env_clear()
        .env(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            format!("http://127.0.0.1:{}", common::free_port()),
        )
        .env("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip")
        .env("OTEL_EXPORTER_PROMETHEUS_PORT", "0");
    let (status, stdout, stderr) = common::output_within(&mut cmd, Duration::from_secs(30));
    let text = format!("{stdout}\n{stderr}");
    assert_eq!(status.and_then(|s| s.code()), Some(0), "{text}");
    let report = text
        .lines()
        .find(|l| l.contains("telemetry started"))
        .unwrap_or_else(|| panic!("no startup report: {text}"));
    for spelled in [
        "compression=gzip",
        "propagators=tracecontext,baggage",
        "log_format=text",
        "sampler=parentbased_always_on",
    ] {
        assert!(report.contains(spelled), "{spelled} missing from {report}");
    }
    // The SDK's INFO chatter stays off the console at the default RUST_LOG=info.
    let sdk_info: Vec<&str> = text
        .lines()
        .filter(|l| l.contains(" INFO ") && l.contains("opentelemetry"))
        .collect();
    assert!(sdk_info.is_empty(), "{sdk_info:#?}");
}

#[test]
fn spans_and_log_records_dropped_on_a_full_queue_are_counted_on_the_scrape() {
    let dir = common::temp_dir("dropped-spans");
    let blackhole = common::blackhole();
    let (_demo, scrape_port) = common::start_demo(
        &dir.join("demo.log"),
        &[
            (
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                &format!("http://{blackhole}"),
            ),
            ("OTEL_LOGS_EXPORTER", "otlp"),
            ("OTEL_BSP_MAX_QUEUE_SIZE", "8"),
            ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "8"),
            ("OTEL_BLRP_MAX_QUEUE_SIZE", "8"),
            ("OTEL_BLRP_MAX_EXPORT_BATCH_SIZE", "8"),
        ],
    );
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], scrape_port));
    for series in [
        "otel_sdk_processor_span_processed_total{",
        "otel_sdk_processor_log_processed_total{",
    ] {
        let dropped = wait_for(Duration::from_secs(30), || {
            let (_, body) = common::http_get(addr, "/metrics").ok()?;
            body.lines()
                .find(|l| l.starts_with(series) && l.contains("error_type=\"queue_full\""))
                .and_then(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
                .filter(|v| *v > 0.0)
        });
        assert!(
            dropped.is_some(),
            "the SDK's queue_full counter {series}…}} never appeared on the scrape (logs in {})",
            dir.display()
        );
    }
}

#[test]
fn export_errors_are_logged_rate_limited_not_once_per_batch() {
    let closed = format!("http://127.0.0.1:{}", common::free_port());
    let out = Command::new(common::demo_binary())
        .args(["--duration", "4", "--port", "0"])
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", &closed)
        .env("OTEL_EXPORTER_OTLP_TIMEOUT", "200")
        .env("OTEL_BSP_SCHEDULE_DELAY", "50")
        .env("OTEL_EXPORTER_PROMETHEUS_PORT", "0")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let count = |needle: &str| text.lines().filter(|l| l.contains(needle)).count();
    let export_errors = count("BatchSpanProcessor.ExportError");
    // ~80 batches fail in 4 s at a 50 ms schedule; one line per kind per 10 s window gets
    // through (plus possibly one at shutdown, which is past the window's start).
    assert!(
        export_errors >= 1,
        "the first export error is logged:\n{}",
        &text[..text.len().min(3000)]
    );
    assert!(
        export_errors <= 2,
        "{export_errors} export-error lines: not rate-limited"
    );
}

#[test]
fn the_exporters_own_records_are_never_exported_as_otlp_logs() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (addr, received) = rt.block_on(start_receiver());
    let closed = format!("http://127.0.0.1:{}", common::free_port());
    let out = Command::new(common::demo_binary())
        .args(["--duration", "3", "--port", "0"])
        .env("RUST_LOG", "trace")
        .env("OTEL_LOGS_EXPORTER", "otlp")
        .env("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", format!("http://{addr}"))
        // Traces go nowhere: the exporter crates warn about it while logs are exported.
        .env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", &closed)
        .env("OTEL_EXPORTER_OTLP_TIMEOUT", "200")
        .env("OTEL_BSP_SCHEDULE_DELAY", "100")
        .env("OTEL_EXPORTER_PROMETHEUS_PORT", "0")
        .output()
        .unwrap();
    let console = String::from_utf8_lossy(&out.stdout);
    assert!(
        console.contains("opentelemetry"),
        "the exporter crates did log to the console (the test needs them to)"
    );
    let mut scopes = Vec::new();
    for req in received.logs.lock().unwrap().iter() {
        for rl in &req.resource_logs {
            for sl in &rl.scope_logs {
                let scope = sl
                    .scope
                    .as_ref()
                    .map(|s| s.name.clone())
                    .unwrap_or_default();
                scopes.push((scope, sl.log_records.len()));
            }
        }
    }
    assert!(
        scopes
            .iter()
            .any(|(s, n)| s.starts_with("marketplace_demo") && *n > 0),
        "the demo's own records were exported: {scopes:?}"
    );
    let leaked: Vec<_> = scopes
        .iter()
        .filter(|(s, _)| {
            let krate = s.split("::").next().unwrap_or(s);
            marketplace_telemetry::EXPORTER_CRATES.contains(&krate)
                || krate.starts_with("opentelemetry")
        })
        .collect();
    assert!(
        leaked.is_empty(),
        "exporter records were exported: {leaked:?}"
    );
}
