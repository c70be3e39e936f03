//! A request's trace crosses processes and languages, at a real collector (rotel): a caller on
//! the official OpenTelemetry Python SDK (its urllib instrumentation injects) installs a package
//! on the demo; the demo fetches it from a downstream on the official Python SDK (its WSGI
//! instrumentation extracts) and queues a message its consumer processes. At the collector:
//! one trace id, parents chaining caller client → demo server → … → demo client → downstream
//! server, and the consumer's span in the trace (child of the producer's). The same with
//! `OTEL_PROPAGATORS=b3multi` on all three; an unsampled caller makes nothing export.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::common;

use common::{
    answers_200, chain_python, repo_root, require, rotel, sink_spans, spawn_on_free_port, temp_dir,
    wait_for, ChildGuard, Collector, SinkSpan,
};

/// The collector, the Python downstream and the demo (calling it), all with `propagators`.
struct Chain {
    collector: Collector,
    python: std::path::PathBuf,
    demo_port: u16,
    propagators: &'static str,
    _downstream: ChildGuard,
    _demo: ChildGuard,
}

fn script(name: &str) -> String {
    repo_root()
        .join("tests/real_components/python")
        .join(name)
        .display()
        .to_string()
}

impl Chain {
    fn start(name: &str, propagators: &'static str) -> Option<Chain> {
        let rotel = require("rotel", rotel())?;
        let python = require("target/chain-venv (Python SDK)", chain_python())?;
        let collector = Collector::start(&rotel, name);
        let dir = temp_dir(name);
        let otlp_http = format!("http://127.0.0.1:{}", collector.http);
        let (downstream, downstream_port) = spawn_on_free_port(
            "python downstream",
            |port| {
                let log = std::fs::File::create(dir.join("downstream.log")).unwrap();
                let mut cmd = Command::new(&python);
                cmd.arg(script("chain_downstream.py"))
                    .arg(port.to_string())
                    .env("OTEL_SERVICE_NAME", "storage-py")
                    .env("OTEL_EXPORTER_OTLP_ENDPOINT", &otlp_http)
                    .env("OTEL_PROPAGATORS", propagators)
                    .stdout(Stdio::null())
                    .stderr(log);
                cmd
            },
            |port| answers_200(port, "/packages/probe"),
        );
        let demo_binary = common::demo_binary();
        let otlp_grpc = format!("http://127.0.0.1:{}", collector.grpc);
        let (demo, demo_port) = spawn_on_free_port(
            "marketplace_demo",
            |port| {
                let log = std::fs::File::create(dir.join("demo.log")).unwrap();
                let mut cmd = Command::new(&demo_binary);
                cmd.args(["--port", &port.to_string(), "--no-load"])
                    .args([
                        "--downstream",
                        &format!("http://127.0.0.1:{downstream_port}"),
                    ])
                    .env("OTEL_SERVICE_NAME", "registry")
                    .env("OTEL_EXPORTER_OTLP_ENDPOINT", &otlp_grpc)
                    .env("OTEL_BSP_SCHEDULE_DELAY", "200")
                    .env("OTEL_METRICS_EXPORTER", "none")
                    .env("OTEL_PROPAGATORS", propagators)
                    .env("RUST_LOG", "warn")
                    .stdout(log.try_clone().unwrap())
                    .stderr(log);
                cmd
            },
            |port| answers_200(port, "/health"),
        );
        Some(Chain {
            collector,
            python,
            demo_port,
            propagators,
            _downstream: downstream,
            _demo: demo,
        })
    }

    /// Runs the Python caller on `installs` install URLs; returns (trace id, status) each.
    fn call(&self, sampler: &str, installs: usize) -> Vec<(String, u16)> {
        let urls: Vec<String> = (0..installs)
            .map(|_| {
                format!(
                    "http://127.0.0.1:{}/install/plugin/rdf-toolkit",
                    self.demo_port
                )
            })
            .collect();
        let output = Command::new(&self.python)
            .arg(script("chain_caller.py"))
            .args(&urls)
            .env("OTEL_SERVICE_NAME", "caller-py")
            .env(
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                format!("http://127.0.0.1:{}", self.collector.http),
            )
            .env("OTEL_PROPAGATORS", self.propagators)
            .env("OTEL_TRACES_SAMPLER", sampler)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "caller failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let results: serde_json::Value =
            serde_json::from_slice(output.stdout.trim_ascii()).unwrap();
        results
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["trace_id"].as_str().unwrap().to_string(),
                    r["status"].as_u64().unwrap() as u16,
                )
            })
            .collect()
    }

    /// The spans of `trace` at the sink, once `done` holds for them (or the deadline passes).
    fn spans_of(&self, trace: &str, done: impl Fn(&[SinkSpan]) -> bool) -> Vec<SinkSpan> {
        let found = wait_for(Duration::from_secs(30), || {
            let spans: Vec<SinkSpan> = sink_spans(&self.collector.sink_text())
                .into_iter()
                .filter(|s| s.trace_id == trace)
                .collect();
            done(&spans).then_some(spans)
        });
        found.unwrap_or_else(|| {
            sink_spans(&self.collector.sink_text())
                .into_iter()
                .filter(|s| s.trace_id == trace)
                .collect()
        })
    }
}

fn one<'a>(spans: &'a [SinkSpan], service: &str, kind: &str, name: Option<&str>) -> &'a SinkSpan {
    spans
        .iter()
        .find(|s| s.service == service && s.kind == kind && name.is_none_or(|n| s.name == n))
        .unwrap_or_else(|| panic!("no {kind} span of {service} ({name:?}) in {spans:#?}"))
}

/// Whether `ancestor` is on `span`'s parent chain within `spans`.
fn descends(spans: &[SinkSpan], span: &SinkSpan, ancestor: &SinkSpan) -> bool {
    let mut parent = span.parent_id.clone();
    for _ in 0..spans.len() {
        if parent == ancestor.id {
            return true;
        }
        match spans.iter().find(|s| s.id == parent) {
            Some(p) => parent = p.parent_id.clone(),
            None => return false,
        }
    }
    false
}

/// The full chain for one successful install.
fn assert_chain(chain: &Chain) {
    let results = chain.call("parentbased_always_on", 3);
    let (trace, _) = results
        .iter()
        .find(|(_, status)| *status == 200)
        .unwrap_or_else(|| panic!("no install succeeded: {results:?}"))
        .clone();
    let complete = |spans: &[SinkSpan]| {
        ["caller-py", "registry", "storage-py"]
            .iter()
            .all(|svc| spans.iter().any(|s| s.service == *svc))
            && spans.iter().any(|s| s.name == "process installs")
    };
    let spans = chain.spans_of(&trace, complete);
    assert!(complete(&spans), "incomplete trace {trace}: {spans:#?}");

    let caller = one(&spans, "caller-py", "SPAN_KIND_CLIENT", None);
    let server = one(&spans, "registry", "SPAN_KIND_SERVER", None);
    let client = one(&spans, "registry", "SPAN_KIND_CLIENT", Some("GET"));
    let downstream = one(&spans, "storage-py", "SPAN_KIND_SERVER", None);
    let producer = one(
        &spans,
        "registry",
        "SPAN_KIND_PRODUCER",
        Some("send installs"),
    );
    let consumer = one(
        &spans,
        "registry",
        "SPAN_KIND_CONSUMER",
        Some("process installs"),
    );
    assert_eq!(server.parent_id, caller.id, "demo server ← Python caller");
    assert!(
        descends(&spans, client, server),
        "demo client ← demo server"
    );
    assert_eq!(
        downstream.parent_id, client.id,
        "Python downstream ← demo client"
    );
    assert!(descends(&spans, producer, server), "producer ← demo server");
    assert_eq!(consumer.parent_id, producer.id, "consumer ← producer");
    eprintln!(
        "{}: trace {trace}: {} spans from {} services, chain checked",
        chain.propagators,
        spans.len(),
        3
    );
}

#[test]
fn a_request_is_one_trace_from_a_python_caller_through_the_demo_to_a_python_downstream() {
    let Some(chain) = Chain::start("chain-w3c", "tracecontext,baggage") else {
        return;
    };
    assert_chain(&chain);

    // An unsampled caller: its flag travels, so neither the demo nor the downstream exports.
    let unsampled = chain.call("always_off", 1);
    let (unsampled_trace, status) = &unsampled[0];
    // The demo fails 5 % of installs on purpose (404): either way the request was served.
    assert!(
        matches!(*status, 200 | 404),
        "the request itself was served: {status}"
    );
    // A sampled request after it: once that one is at the sink, the unsampled one would be too.
    let later = chain.call("parentbased_always_on", 1);
    let later_spans = chain.spans_of(&later[0].0, |spans| {
        spans.iter().any(|s| s.service == "storage-py")
    });
    assert!(
        later_spans.iter().any(|s| s.service == "storage-py"),
        "the sampled request after it arrived"
    );
    std::thread::sleep(Duration::from_millis(500));
    let leaked: Vec<SinkSpan> = sink_spans(&chain.collector.sink_text())
        .into_iter()
        .filter(|s| &s.trace_id == unsampled_trace)
        .collect();
    assert!(leaked.is_empty(), "unsampled request exported: {leaked:#?}");
}

#[test]
fn b3multi_carries_the_same_chain() {
    let Some(chain) = Chain::start("chain-b3multi", "b3multi") else {
        return;
    };
    assert_chain(&chain);
}

/// The demo's own tonic client → tonic server pair (its gRPC health checks through the gRPC
/// layers) at the collector: a client span and, in the same trace, its server child.
#[test]
fn a_tonic_client_and_server_pair_of_ours_is_one_trace_at_the_collector() {
    let Some(chain) = Chain::start("chain-grpc", "tracecontext,baggage") else {
        return;
    };
    let method = "grpc.health.v1.Health/Check";
    let found = wait_for(Duration::from_secs(30), || {
        let spans = sink_spans(&chain.collector.sink_text());
        let client = spans
            .iter()
            .find(|s| s.name == method && s.kind == "SPAN_KIND_CLIENT")?
            .clone();
        let server = spans
            .iter()
            .find(|s| s.name == method && s.kind == "SPAN_KIND_SERVER" && s.parent_id == client.id)?
            .clone();
        Some((client, server))
    });
    let (client, server) = found.expect("a gRPC client span with its server child at the sink");
    assert_eq!(client.trace_id, server.trace_id);
    assert_eq!(client.service, "registry");
}

/// The ecosystem's instrumentation through our pipeline: `reqwest-tracing`'s client span and
/// `tower-http`'s `TraceLayer` server span reach the collector (their crates are not on the
/// exporter's deny-list, which matches our exporter's own crates exactly).
#[test]
fn reqwest_tracing_and_tower_http_spans_reach_the_collector() {
    use marketplace_telemetry::{Telemetry, TelemetryConfig};
    let Some(rotel) = require("rotel", rotel()) else {
        return;
    };
    let collector = Collector::start(&rotel, "ecosystem-spans");
    let endpoint = format!("http://127.0.0.1:{}", collector.grpc);
    // One thread: the server's connection tasks run where our dispatcher is the default.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let config = TelemetryConfig::builder()
            .with_log_writer(common::Capture::default().writer())
            .with_prometheus_port(0)
            .build_from(common::env_map(&[
                ("OTEL_SERVICE_NAME", "ecosystem"),
                ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
                ("OTEL_BSP_SCHEDULE_DELAY", "100"),
            ]))
            .unwrap();
        let telemetry = Telemetry::build(config).unwrap();
        let _guard = tracing::dispatcher::set_default(telemetry.dispatch());
        let app = axum::Router::new()
            .route("/ping", axum::routing::get(|| async { "pong" }))
            // tower-http makes its spans at DEBUG by default, under the traces filter's `info`.
            .layer(
                tower_http::trace::TraceLayer::new_for_http().make_span_with(
                    tower_http::trace::DefaultMakeSpan::new().level(tracing::Level::INFO),
                ),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
            .with(reqwest_tracing::TracingMiddleware::default())
            .build();
        use tracing::Instrument as _;
        let status = async {
            client
                .get(format!("http://{addr}/ping"))
                .send()
                .await
                .unwrap()
                .status()
        }
        .instrument(tracing::info_span!("ecosystem_root"))
        .await;
        assert_eq!(status, 200);
        tokio::time::sleep(Duration::from_millis(300)).await;
        telemetry.shutdown().unwrap();
    });
    collector
        .sink_shows(&[
            "ecosystem_root",
            "target: Str(reqwest_tracing",
            "target: Str(tower_http",
        ])
        .unwrap();
}
