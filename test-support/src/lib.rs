//! Test support for marketplace-telemetry's test binaries (a workspace crate, `publish =
//! false`, as tracing keeps `tracing-mock`): free ports, child-process guards, log capture, an
//! in-process OTLP gRPC receiver, a slow proxy, and the real tools (rotel, prometheus,
//! promtool) located or required. The ops-asset helpers live with the assets crate's tests.
#![allow(missing_docs)]

pub mod slow_proxy;

use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use marketplace_telemetry::{LogWriter, Telemetry};
use opentelemetry_proto::tonic::collector::logs::v1::{
    logs_service_server::{LogsService, LogsServiceServer},
    ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    metrics_service_server::{MetricsService, MetricsServiceServer},
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    trace_service_server::{TraceService, TraceServiceServer},
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::Span;

/// The repository root (this crate is `test-support/` in it).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("test-support/ sits in the repository root")
        .to_path_buf()
}

/// A port that was free a moment ago (bind :0, read, close).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind 127.0.0.1:0")
}

/// Polls `f` until it returns `Some` or `deadline` passes.
pub fn wait_for<T>(deadline: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let end = Instant::now() + deadline;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() >= end {
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Runs `cmd` to completion within `limit` (killed past it): its exit status (`None` when it
/// had to be killed) and its stdout and stderr, read concurrently so a chatty child never
/// blocks on a full pipe.
pub fn output_within(
    cmd: &mut Command,
    limit: Duration,
) -> (Option<std::process::ExitStatus>, String, String) {
    use std::io::Read;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let read = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out = read(Box::new(child.stdout.take().unwrap()));
    let err = read(Box::new(child.stderr.take().unwrap()));
    let status = wait_for(limit, || child.try_wait().ok().flatten());
    if status.is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
    (status, out.join().unwrap(), err.join().unwrap())
}

/// Kills and reaps the child on drop, also when the test fails.
pub struct ChildGuard {
    pub child: Child,
    pub name: &'static str,
}

impl ChildGuard {
    pub fn spawn(name: &'static str, cmd: &mut Command) -> ChildGuard {
        let child = cmd
            .stdin(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e}"));
        ChildGuard { child, name }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits until `port` accepts connections; false if the child exits first or 20 s pass.
    pub fn serves(&mut self, port: u16) -> bool {
        wait_for(Duration::from_secs(20), || {
            if let Ok(Some(_)) = self.child.try_wait() {
                return Some(false);
            }
            std::net::TcpStream::connect(("127.0.0.1", port))
                .ok()
                .map(|_| true)
        })
        .unwrap_or(false)
    }

    /// SIGTERM (lets rotel flush), then SIGKILL after a grace period.
    pub fn terminate(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let end = Instant::now() + Duration::from_secs(5);
        while Instant::now() < end {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `LogWriter` that appends to a shared buffer.
/// Spawns `command(port)` on a fresh [`free_port`] until `ready(port)` holds while the child
/// runs (5 tries). A free port can be taken by a concurrent test before the child binds it:
/// the child then exits, or another server answers, and the next try uses another port.
pub fn spawn_on_free_port(
    name: &'static str,
    mut command: impl FnMut(u16) -> Command,
    ready: impl Fn(u16) -> bool,
) -> (ChildGuard, u16) {
    for attempt in 1..=5 {
        let port = free_port();
        let mut child = ChildGuard::spawn(name, &mut command(port));
        let up = wait_for(Duration::from_secs(20), || {
            if let Ok(Some(_)) = child.child.try_wait() {
                return Some(false);
            }
            ready(port).then_some(true)
        })
        .unwrap_or(false);
        if up {
            return (child, port);
        }
        eprintln!("{name} was not ready on :{port} (attempt {attempt}), trying another port");
    }
    panic!("{name} never became ready");
}

/// Whether `GET path` on loopback `port` answers 200.
pub fn answers_200(port: u16, path: &str) -> bool {
    http_get(SocketAddr::from(([127, 0, 0, 1], port)), path)
        .map(|(status, _)| status == 200)
        .unwrap_or(false)
}

#[derive(Clone, Default)]
pub struct Capture(pub Arc<Mutex<Vec<u8>>>);

impl Capture {
    pub fn writer(&self) -> LogWriter {
        let buf = self.0.clone();
        LogWriter::new(move || Box::new(CaptureWriter(buf.clone())))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

struct CaptureWriter(Arc<Mutex<Vec<u8>>>);

impl Write for CaptureWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Everything an in-process OTLP gRPC receiver got.
#[derive(Clone, Default)]
pub struct Received {
    pub traces: Arc<Mutex<Vec<ExportTraceServiceRequest>>>,
    pub metrics: Arc<Mutex<Vec<ExportMetricsServiceRequest>>>,
    pub logs: Arc<Mutex<Vec<ExportLogsServiceRequest>>>,
    /// The gRPC metadata (HTTP/2 headers) of every trace export, as sent on the wire.
    pub trace_metadata: Arc<Mutex<Vec<tonic::metadata::MetadataMap>>>,
}

impl Received {
    /// Every span with its resource's `service.name`.
    pub fn spans(&self) -> Vec<(String, Span)> {
        let mut out = Vec::new();
        for req in self.traces.lock().unwrap().iter() {
            for rs in &req.resource_spans {
                let service = rs
                    .resource
                    .as_ref()
                    .and_then(|r| r.attributes.iter().find(|kv| kv.key == "service.name"))
                    .and_then(|kv| kv.value.as_ref())
                    .and_then(|v| match &v.value {
                        Some(Value::StringValue(s)) => Some(s.clone()),
                        _ => None,
                    })
                    .unwrap_or_default();
                for ss in &rs.scope_spans {
                    for span in &ss.spans {
                        out.push((service.clone(), span.clone()));
                    }
                }
            }
        }
        out
    }
}

/// String value of a span attribute.
pub fn attr(span: &Span, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
        .and_then(|v| match &v.value {
            Some(Value::StringValue(s)) => Some(s.clone()),
            Some(Value::IntValue(i)) => Some(i.to_string()),
            Some(Value::BoolValue(b)) => Some(b.to_string()),
            _ => None,
        })
}

#[tonic::async_trait]
impl TraceService for Received {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        self.trace_metadata
            .lock()
            .unwrap()
            .push(request.metadata().clone());
        self.traces.lock().unwrap().push(request.into_inner());
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl MetricsService for Received {
    async fn export(
        &self,
        request: tonic::Request<ExportMetricsServiceRequest>,
    ) -> Result<tonic::Response<ExportMetricsServiceResponse>, tonic::Status> {
        self.metrics.lock().unwrap().push(request.into_inner());
        Ok(tonic::Response::new(ExportMetricsServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl LogsService for Received {
    async fn export(
        &self,
        request: tonic::Request<ExportLogsServiceRequest>,
    ) -> Result<tonic::Response<ExportLogsServiceResponse>, tonic::Status> {
        self.logs.lock().unwrap().push(request.into_inner());
        Ok(tonic::Response::new(ExportLogsServiceResponse::default()))
    }
}

/// A metrics-only pipeline (no trace export, console logs captured) serving `/metrics` on a
/// free loopback port; values set on `builder` win.
pub fn metrics_only(builder: marketplace_telemetry::TelemetryConfigBuilder) -> Telemetry {
    let config = builder
        .with_log_writer(Capture::default().writer())
        .build_from(env_map(&[
            ("OTEL_TRACES_EXPORTER", "none"),
            ("OTEL_EXPORTER_PROMETHEUS_PORT", "0"),
        ]))
        .unwrap();
    Telemetry::build(config).unwrap()
}

/// The value of `name{signal=…,outcome=…}` in a scrape body (our export counters), or -1.
pub fn export_sample(body: &str, name: &str, signal: &str, outcome: &str) -> f64 {
    body.lines()
        .find(|l| {
            l.starts_with(&format!("{name}{{"))
                && l.contains(&format!("signal=\"{signal}\""))
                && l.contains(&format!("outcome=\"{outcome}\""))
        })
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
        .unwrap_or(-1.0)
}

/// Starts an OTLP gRPC receiver on a free loopback port on the current runtime.
pub async fn start_receiver() -> (SocketAddr, Received) {
    start_receiver_on(0).await
}

/// Starts an OTLP gRPC receiver on 127.0.0.1:`port` (0: any) on the current runtime.
pub async fn start_receiver_on(port: u16) -> (SocketAddr, Received) {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let received = Received::default();
    let server = tonic::transport::Server::builder()
        // gzip accepted like a real collector, so a compressing exporter is tested end to end.
        .add_service(
            TraceServiceServer::new(received.clone())
                .accept_compressed(tonic::codec::CompressionEncoding::Gzip),
        )
        .add_service(
            MetricsServiceServer::new(received.clone())
                .accept_compressed(tonic::codec::CompressionEncoding::Gzip),
        )
        .add_service(
            LogsServiceServer::new(received.clone())
                .accept_compressed(tonic::codec::CompressionEncoding::Gzip),
        )
        .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener));
    tokio::spawn(server);
    (addr, received)
}

/// A TCP listener that accepts connections and never answers (a black-holed collector).
pub fn blackhole() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream); // keep it open, say nothing
        }
    });
    addr
}

/// Path of a tool: `$name` on PATH, else None.
pub fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    })
}

/// The rotel binary: `$ROTEL`, else the one `scripts/install-tools.sh` put under `target/`.
pub fn rotel() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("ROTEL").map(PathBuf::from) {
        if p.is_file() {
            return Some(p);
        }
    }
    let venv = repo_root().join("target/tools-venv/lib");
    let entries = std::fs::read_dir(venv).ok()?;
    for entry in entries.flatten() {
        let candidate = entry.path().join("site-packages/rotel/rotel-agent");
        if candidate.is_file() {
            return Some(candidate);
        }
    }
    None
}

/// Fails the test unless the tool exists, or skips it (returns None) when
/// `MARKETPLACE_TELEMETRY_ALLOW_MISSING_TOOLS=1` (local runs without the installs).
pub fn require(tool: &str, path: Option<PathBuf>) -> Option<PathBuf> {
    match path {
        Some(p) => Some(p),
        None if std::env::var("MARKETPLACE_TELEMETRY_ALLOW_MISSING_TOOLS").as_deref()
            == Ok("1") =>
        {
            eprintln!("SKIP: {tool} not installed");
            None
        }
        None => {
            panic!("{tool} is not installed: run scripts/install-tools.sh (scripts/test.sh does)")
        }
    }
}

/// A fresh temporary directory under target/ (kept for post-mortem on failure).
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = repo_root().join("target/test-tmp").join(format!(
        "{name}-{}-{}",
        std::process::id(),
        free_port()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// HTTP GET on loopback with a plain TCP client (no extra deps): (status, body). HTTP/1.0,
/// so servers never answer with chunked encoding.
pub fn http_get(addr: SocketAddr, path: &str) -> std::io::Result<(u16, String)> {
    http_request(addr, "GET", path)
}

pub fn http_request(addr: SocketAddr, method: &str, path: &str) -> std::io::Result<(u16, String)> {
    http_request_with(addr, method, path, &[])
}

/// [`http_request`] with extra request headers (written as given).
pub fn http_request_with(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> std::io::Result<(u16, String)> {
    use std::io::Read;
    let mut stream = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut head = format!("{method} {path} HTTP/1.0\r\nHost: {addr}\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = match text.find("\r\n\r\n") {
        Some(i) => text[i + 4..].to_string(),
        None => String::new(),
    };
    Ok((status, body))
}

/// Builds a config from an explicit variable map (never the process environment).
pub fn env_map(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: std::collections::HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k| map.get(k).cloned()
}

/// A real Prometheus scraping `targets` every second; killed on drop.
pub struct Prometheus {
    pub api: SocketAddr,
    pub dir: PathBuf,
    _child: ChildGuard,
}

impl Prometheus {
    /// Starts Prometheus with a generated config (plus `extra` YAML appended at top level).
    pub fn start(binary: &Path, targets: &[SocketAddr], extra: &str) -> Prometheus {
        let list = targets
            .iter()
            .map(|t| format!("'{t}'"))
            .collect::<Vec<_>>()
            .join(", ");
        Prometheus::start_with_config(
            binary,
            &format!(
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: sdk\n    static_configs:\n      - targets: [{list}]\n{extra}"
            ),
        )
    }

    /// GET an API path and parse the JSON answer.
    pub fn get(&self, path: &str) -> Option<serde_json::Value> {
        let (status, body) = http_get(self.api, path).ok()?;
        (status == 200)
            .then(|| serde_json::from_str(&body).ok())
            .flatten()
    }

    /// Instant query.
    pub fn query(&self, q: &str) -> Option<serde_json::Value> {
        self.get(&format!("/api/v1/query?query={}", url_encode(q)))
    }

    /// Waits until every target of job `sdk` is up.
    pub fn wait_up(&self, targets: usize) {
        let up = wait_for(Duration::from_secs(40), || {
            let v = self.query("sum(up{job=\"sdk\"})")?;
            let value = v["data"]["result"][0]["value"][1].as_str()?.to_string();
            (value == targets.to_string()).then_some(())
        });
        assert!(up.is_some(), "targets never up; see {}", self.dir.display());
    }
}

/// Percent-encodes a query-string value.
pub fn url_encode(q: &str) -> String {
    q.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'-' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Runs `promtool check metrics` on an exposition; Err with promtool's findings.
pub fn promtool_check_metrics(promtool: &Path, body: &str) -> Result<(), String> {
    let mut lint = Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    if let Some(mut stdin) = lint.stdin.take() {
        stdin
            .write_all(body.as_bytes())
            .map_err(|e| e.to_string())?;
    }
    let out = lint.wait_with_output().map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "promtool check metrics exit {:?}:\n{}{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// Path of the built demo example (scripts/test.sh builds examples before the tests).
pub fn demo_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let demo = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(|dir| dir.join("examples").join("marketplace_demo"))
        .unwrap();
    assert!(
        demo.is_file(),
        "build the example first: cargo build --examples ({})",
        demo.display()
    );
    demo
}

/// Starts the demo service with load, its scrape endpoint on `scrape_port`, JSON logs to `log`.
/// Starts the demo with JSON logs into `log`; returns it and its scrape port.
pub fn start_demo(log: &Path, extra_env: &[(&str, &str)]) -> (ChildGuard, u16) {
    start_demo_with_args(log, extra_env, &[])
}

/// [`start_demo`] with extra command-line arguments (e.g. `--namespace mockforge`).
pub fn start_demo_with_args(
    log: &Path,
    extra_env: &[(&str, &str)],
    extra_args: &[&str],
) -> (ChildGuard, u16) {
    let closed = format!("http://127.0.0.1:{}", free_port());
    spawn_on_free_port(
        "marketplace_demo",
        |scrape_port| {
            let out = std::fs::File::create(log).unwrap();
            let mut cmd = Command::new(demo_binary());
            cmd.args(["--port", "0", "--concurrency", "8"])
                .args(extra_args)
                .env("OTEL_EXPORTER_PROMETHEUS_PORT", scrape_port.to_string())
                // What examples/otel-config.yaml substitutes for its scrape port.
                .env("SCRAPE_PORT", scrape_port.to_string())
                .env("RUST_LOG_FORMAT", "json")
                // Traces on (so logs carry ids) to a closed port: the demo must not care.
                .env("OTEL_EXPORTER_OTLP_ENDPOINT", &closed)
                .stdout(out.try_clone().unwrap())
                .stderr(out);
            for (k, v) in extra_env {
                cmd.env(k, v);
            }
            cmd
        },
        |scrape_port| answers_200(scrape_port, "/metrics"),
    )
}

/// The demo's API port, from the `service: http://127.0.0.1:PORT` line it prints at start
/// (it runs with `--port 0`).
pub fn demo_api_port(log: &Path) -> Option<u16> {
    wait_for(Duration::from_secs(20), || {
        let text = std::fs::read_to_string(log).ok()?;
        let line = text.lines().find(|l| l.starts_with("service: http://"))?;
        line.rsplit(':').next()?.trim().parse().ok()
    })
}

/// [`start_demo_with_args`] for a demo whose installs fetch from a second demo instance (a
/// storage service, `--no-load`, logging to `storage.log` beside `log`), so the client-side
/// (dependency) series exist too. Returns both (keep them) and the first one's scrape port.
pub fn start_demo_with_downstream(
    log: &Path,
    extra_env: &[(&str, &str)],
    extra_args: &[&str],
) -> (ChildGuard, ChildGuard, u16) {
    let storage_log = log.with_file_name("storage.log");
    let (storage, _) = start_demo_with_args(&storage_log, &[], &["--no-load"]);
    let port = demo_api_port(&storage_log).expect("the storage demo's API port");
    let downstream = format!("http://127.0.0.1:{port}");
    let mut args = vec!["--downstream", downstream.as_str()];
    args.extend_from_slice(extra_args);
    let (demo, scrape_port) = start_demo_with_args(log, extra_env, &args);
    (storage, demo, scrape_port)
}

/// The shipped prometheus.yml adapted to a test: the SDK target, absolute rule paths, 1 s
/// intervals, the given Alertmanager (or none).
pub fn shipped_prometheus_config(
    target: SocketAddr,
    rules: &[PathBuf],
    alertmanager: Option<SocketAddr>,
) -> String {
    let shipped =
        std::fs::read_to_string(repo_root().join("collector-config/prometheus/prometheus.yml"))
            .unwrap();
    let mut out = String::new();
    let mut skip = false;
    for line in shipped.lines() {
        if line.starts_with("rule_files:") || line.starts_with("alerting:") {
            skip = true;
            continue;
        }
        if skip && (line.starts_with(' ') || line.is_empty()) {
            continue;
        }
        skip = false;
        out.push_str(&line.replace("127.0.0.1:9464", &target.to_string()));
        out.push('\n');
    }
    let out = out
        .replace("scrape_interval: 15s", "scrape_interval: 1s")
        .replace("evaluation_interval: 15s", "evaluation_interval: 1s");
    let mut extra = String::from("rule_files:\n");
    for r in rules {
        extra.push_str(&format!("  - {}\n", r.display()));
    }
    if let Some(am) = alertmanager {
        extra.push_str(&format!(
            "alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['{am}']\n"
        ));
    }
    format!("{out}{extra}")
}

impl Prometheus {
    /// Starts Prometheus with a complete config file text.
    pub fn start_with_config(binary: &Path, config: &str) -> Prometheus {
        Prometheus::start_with_flags(binary, config, &[])
    }

    /// [`start_with_config`](Self::start_with_config) with extra command-line flags (e.g.
    /// `--enable-feature=exemplar-storage`).
    pub fn start_with_flags(binary: &Path, config: &str, flags: &[&str]) -> Prometheus {
        let dir = temp_dir("prometheus");
        std::fs::write(dir.join("prometheus.yml"), config).unwrap();
        let (child, port) = spawn_on_free_port(
            "prometheus",
            |port| {
                let log = std::fs::File::create(dir.join("prometheus.log")).unwrap();
                let mut cmd = Command::new(binary);
                cmd.arg(format!(
                    "--config.file={}",
                    dir.join("prometheus.yml").display()
                ))
                .arg(format!(
                    "--storage.tsdb.path={}",
                    dir.join("data").display()
                ))
                .arg(format!("--web.listen-address=127.0.0.1:{port}"))
                .args(flags)
                .stdout(log.try_clone().unwrap())
                .stderr(log);
                cmd
            },
            |port| answers_200(port, "/-/ready"),
        );
        Prometheus {
            api: SocketAddr::from(([127, 0, 0, 1], port)),
            dir,
            _child: child,
        }
    }

    /// Number of samples an instant query returns (None on a query error).
    pub fn samples(&self, q: &str) -> Option<usize> {
        let v = self.query(q)?;
        (v["status"] == "success").then(|| v["data"]["result"].as_array().map_or(0, |a| a.len()))
    }
}

/// A real rotel collector pair: `front` (what the SDK talks to) forwarding to `sink`, which
/// prints everything it decodes to `sink_out`.
pub struct Collector {
    pub grpc: u16,
    pub http: u16,
    pub sink_out: PathBuf,
    rotel: PathBuf,
    sink_grpc: u16,
    dir: PathBuf,
    _sink: ChildGuard,
    front: Option<ChildGuard>,
}

impl Collector {
    /// Starts a sink and a front on fresh ports. A port picked by [`free_port`] can be taken by
    /// a concurrent test before rotel binds it: then rotel exits and we try other ports.
    pub fn start(rotel: &Path, name: &str) -> Collector {
        for attempt in 1..=5 {
            if let Some(collector) = Collector::try_start(rotel, name) {
                return collector;
            }
            eprintln!("rotel could not bind its ports (attempt {attempt}), trying others");
        }
        panic!("rotel never started (see target/test-tmp/{name}-*)");
    }

    fn try_start(rotel: &Path, name: &str) -> Option<Collector> {
        let dir = temp_dir(name);
        let (g1, h1, g2, h2) = (free_port(), free_port(), free_port(), free_port());
        let sink_out = dir.join("sink.out");
        let out = std::fs::File::create(&sink_out).unwrap();
        let mut sink = ChildGuard::spawn(
            "rotel sink",
            Command::new(rotel)
                .env("NO_COLOR", "1")
                .args(["--log-format", "json", "start"])
                .args(["--otlp-grpc-endpoint", &format!("127.0.0.1:{g2}")])
                .args(["--otlp-http-endpoint", &format!("127.0.0.1:{h2}")])
                .args(["--exporter", "blackhole"])
                .args([
                    "--debug-log",
                    "traces",
                    "--debug-log",
                    "metrics",
                    "--debug-log",
                    "logs",
                ])
                .args(["--debug-log-verbosity", "detailed"])
                .stdout(out.try_clone().unwrap())
                .stderr(out),
        );
        if !(sink.serves(g2) && sink.serves(h2)) {
            return None;
        }
        let mut c = Collector {
            grpc: g1,
            http: h1,
            sink_out,
            rotel: rotel.to_path_buf(),
            sink_grpc: g2,
            dir,
            _sink: sink,
            front: None,
        };
        c.try_start_front().then_some(c)
    }

    /// (Re)starts the front collector on the same ports.
    pub fn start_front(&mut self) {
        assert!(
            self.try_start_front(),
            "rotel front did not serve 127.0.0.1:{} and :{} (see {})",
            self.grpc,
            self.http,
            self.dir.display()
        );
    }

    fn try_start_front(&mut self) -> bool {
        let log = std::fs::File::create(self.dir.join("front.out")).unwrap();
        let mut front = ChildGuard::spawn(
            "rotel front",
            Command::new(&self.rotel)
                .env("NO_COLOR", "1")
                .arg("start")
                .args(["--otlp-grpc-endpoint", &format!("127.0.0.1:{}", self.grpc)])
                .args(["--otlp-http-endpoint", &format!("127.0.0.1:{}", self.http)])
                .args(["--exporter", "otlp"])
                .args([
                    "--otlp-exporter-endpoint",
                    &format!("http://127.0.0.1:{}", self.sink_grpc),
                ])
                .stdout(log.try_clone().unwrap())
                .stderr(log),
        );
        let up = front.serves(self.grpc) && front.serves(self.http);
        self.front = Some(front);
        up
    }

    /// Kills the front collector (SIGKILL: nothing is flushed).
    pub fn kill_front(&mut self) {
        self.front = None; // ChildGuard's drop kills and reaps
    }

    /// The sink's decoded output so far.
    pub fn sink_text(&self) -> String {
        std::fs::read_to_string(&self.sink_out).unwrap_or_default()
    }

    /// Waits until the sink has printed every needle.
    pub fn sink_shows(&self, needles: &[&str]) -> Result<(), String> {
        let found = wait_for(Duration::from_secs(30), || {
            let text = self.sink_text();
            needles.iter().all(|n| text.contains(n)).then_some(())
        });
        match found {
            Some(()) => Ok(()),
            None => {
                let text = self.sink_text();
                let missing: Vec<_> = needles.iter().filter(|n| !text.contains(*n)).collect();
                Err(format!(
                    "sink never showed {missing:?}; sink output ({}):\n{}",
                    self.sink_out.display(),
                    &text[text.len().saturating_sub(4000)..]
                ))
            }
        }
    }
}

/// One span as rotel's detailed debug dump prints it, with its resource's `service.name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkSpan {
    pub service: String,
    pub trace_id: String,
    pub parent_id: String,
    pub id: String,
    pub name: String,
    /// `SPAN_KIND_SERVER`, `SPAN_KIND_CLIENT`, …
    pub kind: String,
}

/// Every span in a rotel sink's dump (`--debug-log traces --debug-log-verbosity detailed`).
pub fn sink_spans(text: &str) -> Vec<SinkSpan> {
    let mut spans = Vec::new();
    let mut service = String::new();
    let mut in_resource = false;
    let mut current: Option<SinkSpan> = None;
    let field = |line: &str, name: &str| -> Option<String> {
        let rest = line.trim_start().strip_prefix(name)?;
        let value = rest.trim_start().strip_prefix(':')?;
        Some(value.trim().to_string())
    };
    for line in text.lines() {
        if line.starts_with("ResourceSpans #") {
            in_resource = true;
            service.clear();
            continue;
        }
        if line.starts_with("ScopeSpans #") {
            in_resource = false;
            continue;
        }
        if in_resource {
            if let Some(v) = line.trim().strip_prefix("-> service.name: Str(") {
                service = v.trim_end_matches(')').to_string();
            }
            continue;
        }
        if line.starts_with("Span #") {
            spans.extend(current.take());
            current = Some(SinkSpan {
                service: service.clone(),
                trace_id: String::new(),
                parent_id: String::new(),
                id: String::new(),
                name: String::new(),
                kind: String::new(),
            });
            continue;
        }
        if let Some(span) = current.as_mut() {
            // The span's own fields come first; events and links below may repeat names.
            let slot = if let Some(v) = field(line, "Trace ID") {
                Some((&mut span.trace_id, v))
            } else if let Some(v) = field(line, "Parent ID") {
                Some((&mut span.parent_id, v))
            } else if let Some(v) = field(line, "ID") {
                Some((&mut span.id, v))
            } else if let Some(v) = field(line, "Name") {
                Some((&mut span.name, v))
            } else {
                field(line, "Kind").map(|v| (&mut span.kind, v))
            };
            if let Some((slot, v)) = slot {
                if slot.is_empty() {
                    *slot = v;
                }
            }
        }
    }
    spans.extend(current);
    spans
}

/// The Python of `target/chain-venv` (the official OpenTelemetry Python SDK with its urllib
/// and WSGI instrumentation), installed by `scripts/install-tools.sh`.
pub fn chain_python() -> Option<PathBuf> {
    let python = repo_root().join("target/chain-venv/bin/python");
    python.is_file().then_some(python)
}

/// A test PKI written into a directory: a CA, a server certificate for `localhost` and
/// `127.0.0.1` and a client certificate, both signed by the CA (PEM files).
pub struct Pki {
    pub ca: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
    /// A second CA that signed nothing here (a client certificate of another CA).
    pub other_client_cert: PathBuf,
    pub other_client_key: PathBuf,
}

/// Generates a [`Pki`] in `dir`.
pub fn test_pki(dir: &Path) -> Pki {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let ca_params = |name: &str| {
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.distinguished_name.push(rcgen::DnType::CommonName, name);
        p
    };
    let ca =
        CertifiedIssuer::self_signed(ca_params("test CA"), KeyPair::generate().unwrap()).unwrap();
    let other =
        CertifiedIssuer::self_signed(ca_params("other CA"), KeyPair::generate().unwrap()).unwrap();
    let leaf = |names: Vec<String>, issuer: &CertifiedIssuer<'_, KeyPair>| {
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(names)
            .unwrap()
            .signed_by(&key, issuer)
            .unwrap();
        (cert.pem(), key.serialize_pem())
    };
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let (server_cert, server_key) = leaf(vec!["localhost".into(), "127.0.0.1".into()], &ca);
    let (client_cert, client_key) = leaf(vec!["prometheus".into()], &ca);
    let (other_cert, other_key) = leaf(vec!["prometheus".into()], &other);
    Pki {
        ca: write("ca.crt", &ca.pem()),
        server_cert: write("server.crt", &server_cert),
        server_key: write("server.key", &server_key),
        client_cert: write("client.crt", &client_cert),
        client_key: write("client.key", &client_key),
        other_client_cert: write("other-client.crt", &other_cert),
        other_client_key: write("other-client.key", &other_key),
    }
}

/// A bcrypt hash of `password` at the lowest cost (fast tests; the format is the same).
pub fn bcrypt_hash(password: &str) -> String {
    bcrypt::hash(password, 4).unwrap()
}
