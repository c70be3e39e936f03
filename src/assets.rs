//! Ops assets generated from the [`catalog`](crate::marketplace::catalog) (feature `assets`):
//! Prometheus recording, alert and SLO rules with their promtool unit tests, and Grafana
//! dashboards. Because they are generated from the same catalog the SDK exports, their queries
//! name exactly the series the SDK exports — for any namespace.
//!
//! `cargo run --example gen_assets --features assets` rewrites `collector-config/`; a test
//! fails when the committed files differ from [`render`]'s output.
//!
//! ```
//! let assets = marketplace_telemetry::assets::render(None);
//! assert!(assets.iter().any(|a| a.path == "prometheus/rules/marketplace-alerts.yml"));
//! ```

use std::fmt::Write as _;

use serde_json::{json, Value};

use crate::marketplace::catalog::{self, InstrumentSpec};

/// One generated file, relative to `collector-config/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asset {
    /// Path below `collector-config/`.
    pub path: &'static str,
    /// File contents.
    pub contents: String,
}

/// The Prometheus job name the shipped scrape config uses for the SDK's endpoint.
pub const JOB: &str = "marketplace";

/// A marketplace operation as the rules see it.
struct Op {
    name: &'static str,
    spec: InstrumentSpec,
}

const OPS: &[Op] = &[
    Op {
        name: "search",
        spec: catalog::SEARCH_DURATION,
    },
    Op {
        name: "cache_lookup",
        spec: catalog::CACHE_LOOKUP_DURATION,
    },
    Op {
        name: "install",
        spec: catalog::INSTALL_DURATION,
    },
    Op {
        name: "rdf_query",
        spec: catalog::RDF_QUERY_DURATION,
    },
    Op {
        name: "publish",
        spec: catalog::PUBLISH_DURATION,
    },
    Op {
        name: "download",
        spec: catalog::DOWNLOAD_DURATION,
    },
];

/// An SLO: its SLI is a ratio of bad events to all events.
struct Slo {
    name: &'static str,
    component: &'static str,
    objective: f64,
    description: &'static str,
    /// PromQL of bad events per second over `{w}` (the window is substituted).
    bad: String,
    /// PromQL of all events per second over `{w}`.
    total: String,
}

/// SLI windows for the recording rules, shortest first.
const WINDOWS: &[&str] = &["5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d"];

/// Multi-window, multi-burn-rate alerts: (severity, long, short, factor, for).
const BURNS: &[(&str, &str, &str, f64, &str)] = &[
    ("critical", "1h", "5m", 14.4, "2m"),
    ("critical", "6h", "30m", 6.0, "15m"),
    ("warning", "1d", "2h", 3.0, "1h"),
    ("warning", "3d", "6h", 1.0, "3h"),
];

fn name(spec: &InstrumentSpec, ns: Option<&str>) -> String {
    spec.prometheus_name(ns)
}

fn slos(ns: Option<&str>) -> Vec<Slo> {
    let search = name(&catalog::SEARCH_DURATION, ns);
    let lookup = name(&catalog::CACHE_LOOKUP_DURATION, ns);
    let rdf = name(&catalog::RDF_QUERY_DURATION, ns);
    let cache = name(&catalog::CACHE_REQUESTS, ns);
    let latency = |metric: &str, le: &str| {
        (
            format!(
                "sum by (job) (rate({metric}_count{{outcome=\"success\"}}[{{w}}])) - sum by (job) (rate({metric}_bucket{{outcome=\"success\",le=\"{le}\"}}[{{w}}]))"
            ),
            format!("sum by (job) (rate({metric}_count{{outcome=\"success\"}}[{{w}}]))"),
        )
    };
    let (search_bad, search_total) = latency(&search, "0.2");
    let (lookup_bad, lookup_total) = latency(&lookup, "0.1");
    let (rdf_bad, rdf_total) = latency(&rdf, "0.1");
    let all_ops = OPS
        .iter()
        .map(|op| format!("rate({}_count[{{w}}])", name(&op.spec, ns)))
        .collect::<Vec<_>>();
    let all_errors = OPS
        .iter()
        .map(|op| {
            format!(
                "rate({}_count{{outcome=\"error\"}}[{{w}}])",
                name(&op.spec, ns)
            )
        })
        .collect::<Vec<_>>();
    let sum_all = |parts: &[String]| {
        parts
            .iter()
            .map(|p| format!("sum by (job) ({p})"))
            .collect::<Vec<_>>()
            .join(" + ")
    };
    vec![
        Slo {
            name: "search-latency",
            component: "search",
            objective: 0.95,
            description: "95% of successful searches complete within 200 ms (search p95 < 200 ms).",
            bad: search_bad,
            total: search_total,
        },
        Slo {
            name: "lookup-latency",
            component: "cache",
            objective: 0.95,
            description: "95% of cache lookups complete within 100 ms (lookup p95 < 100 ms).",
            bad: lookup_bad,
            total: lookup_total,
        },
        Slo {
            name: "rdf-latency",
            component: "rdf",
            objective: 0.95,
            description: "95% of RDF queries complete within 100 ms (RDF p95 < 100 ms).",
            bad: rdf_bad,
            total: rdf_total,
        },
        Slo {
            name: "errors",
            component: "marketplace",
            objective: 0.99,
            description: "Fewer than 1% of marketplace operations fail.",
            bad: sum_all(&all_errors),
            total: sum_all(&all_ops),
        },
        Slo {
            name: "availability",
            component: "marketplace",
            objective: 0.999,
            description: "99.9% of HTTP requests are answered without a server error (5xx).",
            // No 5xx series exist until the first 5xx: fall back to 0 (with the job label).
            bad: "(sum by (job) (rate(http_server_request_duration_seconds_count{http_response_status_code=~\"5..\"}[{w}])) or 0 * sum by (job) (rate(http_server_request_duration_seconds_count[{w}])))".to_string(),
            total: "sum by (job) (rate(http_server_request_duration_seconds_count[{w}]))".to_string(),
        },
        Slo {
            name: "cache-hit",
            component: "cache",
            objective: 0.8,
            description: "More than 80% of cache lookups are hits.",
            bad: format!("sum by (job) (rate({cache}{{result=\"miss\"}}[{{w}}]))"),
            total: format!("sum by (job) (rate({cache}[{{w}}]))"),
        },
    ]
}

// === rules ===

struct Rule {
    group: &'static str,
    /// `record` or `alert` name.
    name: String,
    alert: bool,
    expr: String,
    for_: Option<&'static str>,
    labels: Vec<(&'static str, String)>,
    annotations: Vec<(&'static str, String)>,
}

fn yaml_str(s: &str) -> String {
    // Double-quoted YAML scalar: escape backslashes and quotes.
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn render_rules(rules: &[Rule]) -> String {
    // Rules of one group must be contiguous: order groups by first appearance.
    let mut groups: Vec<&'static str> = Vec::new();
    for r in rules {
        if !groups.contains(&r.group) {
            groups.push(r.group);
        }
    }
    let mut rules: Vec<&Rule> = rules.iter().collect();
    rules.sort_by_key(|r| groups.iter().position(|g| *g == r.group));
    let mut out = String::from(
        "# Generated by `cargo run --example gen_assets --features assets` from the SDK's catalog.\n# Do not edit by hand: change src/assets.rs and regenerate.\ngroups:\n",
    );
    let mut group = "";
    for r in rules {
        if r.group != group {
            group = r.group;
            let _ = writeln!(out, "  - name: {group}\n    rules:");
        }
        let kind = if r.alert { "alert" } else { "record" };
        let _ = writeln!(out, "      - {kind}: {}", r.name);
        let _ = writeln!(out, "        expr: {}", yaml_str(&r.expr));
        if let Some(f) = r.for_ {
            let _ = writeln!(out, "        for: {f}");
        }
        if !r.labels.is_empty() {
            let _ = writeln!(out, "        labels:");
            for (k, v) in &r.labels {
                let _ = writeln!(out, "          {k}: {}", yaml_str(v));
            }
        }
        if !r.annotations.is_empty() {
            let _ = writeln!(out, "        annotations:");
            for (k, v) in &r.annotations {
                let _ = writeln!(out, "          {k}: {}", yaml_str(v));
            }
        }
    }
    out
}

fn runbook(alert: &str) -> String {
    format!("collector-config/RUNBOOK.md#{}", alert.to_ascii_lowercase())
}

fn recording_rules(ns: Option<&str>) -> Vec<Rule> {
    let mut rules = Vec::new();
    for op in OPS {
        let m = name(&op.spec, ns);
        let label = || vec![("operation", op.name.to_string())];
        rules.push(Rule {
            group: "marketplace.operations",
            name: "marketplace:operation_requests:rate5m".into(),
            alert: false,
            expr: format!("sum by (job, outcome) (rate({m}_count[5m]))"),
            for_: None,
            labels: label(),
            annotations: vec![],
        });
        rules.push(Rule {
            group: "marketplace.operations",
            name: "marketplace:operation_errors:ratio_rate5m".into(),
            alert: false,
            expr: format!(
                "sum by (job) (rate({m}_count{{outcome=\"error\"}}[5m])) / sum by (job) (rate({m}_count[5m]))"
            ),
            for_: None,
            labels: label(),
            annotations: vec![],
        });
        for (q, tag) in [(0.5, "p50"), (0.95, "p95"), (0.99, "p99")] {
            rules.push(Rule {
                group: "marketplace.operations",
                name: format!("marketplace:operation_latency_seconds:{tag}_5m"),
                alert: false,
                expr: format!("histogram_quantile({q}, sum by (job, le) (rate({m}_bucket[5m])))"),
                for_: None,
                labels: label(),
                annotations: vec![],
            });
        }
    }
    let cache = name(&catalog::CACHE_REQUESTS, ns);
    rules.push(Rule {
        group: "marketplace.cache",
        name: "marketplace:cache_hit:ratio_rate5m".into(),
        alert: false,
        expr: format!(
            "sum by (job, cache) (rate({cache}{{result=\"hit\"}}[5m])) / sum by (job, cache) (rate({cache}[5m]))"
        ),
        for_: None,
        labels: vec![],
        annotations: vec![],
    });
    let errors = name(&catalog::ERRORS, ns);
    rules.push(Rule {
        group: "marketplace.cache",
        name: "marketplace:errors_by_code:rate5m".into(),
        alert: false,
        expr: format!("sum by (job, operation, error_code) (rate({errors}[5m]))"),
        for_: None,
        labels: vec![],
        annotations: vec![],
    });
    rules
}

fn alert_rules(ns: Option<&str>) -> Vec<Rule> {
    let search = name(&catalog::SEARCH_DURATION, ns);
    let rdf = name(&catalog::RDF_QUERY_DURATION, ns);
    let p95 =
        |m: &str| format!("histogram_quantile(0.95, sum by (job, le) (rate({m}_bucket[5m])))");
    let alert = |name: &str,
                 expr: String,
                 for_: &'static str,
                 severity: &str,
                 component: &str,
                 summary: &str,
                 description: &str| Rule {
        group: "marketplace.alerts",
        name: name.to_string(),
        alert: true,
        expr,
        for_: Some(for_),
        labels: vec![
            ("severity", severity.to_string()),
            ("component", component.to_string()),
        ],
        annotations: vec![
            ("summary", summary.to_string()),
            ("description", description.to_string()),
            ("runbook_url", runbook(name)),
        ],
    };
    vec![
        alert(
            "MarketplaceSearchLatencyHigh",
            format!("{} > 0.2", p95(&search)),
            "5m",
            "warning",
            "search",
            "Search p95 latency above 200 ms",
            "Search p95 latency on {{ $labels.job }} is {{ $value | humanizeDuration }} (threshold 200 ms).",
        ),
        alert(
            "MarketplaceSearchLatencyCritical",
            format!("{} > 0.5", p95(&search)),
            "5m",
            "critical",
            "search",
            "Search p95 latency above 500 ms",
            "Search p95 latency on {{ $labels.job }} is {{ $value | humanizeDuration }} (threshold 500 ms).",
        ),
        alert(
            "MarketplaceRdfQueryLatencyHigh",
            format!("{} > 0.1", p95(&rdf)),
            "5m",
            "warning",
            "rdf",
            "RDF query p95 latency above 100 ms",
            "RDF query p95 latency on {{ $labels.job }} is {{ $value | humanizeDuration }} (threshold 100 ms).",
        ),
        alert(
            "MarketplaceErrorRatioHigh",
            "sum by (job) (marketplace:operation_requests:rate5m{outcome=\"error\"}) / sum by (job) (marketplace:operation_requests:rate5m) > 0.01".to_string(),
            "5m",
            "warning",
            "marketplace",
            "More than 1% of marketplace operations fail",
            "{{ $value | humanizePercentage }} of operations on {{ $labels.job }} failed over 5 minutes (threshold 1%).",
        ),
        alert(
            "MarketplaceCacheHitRatioLow",
            "marketplace:cache_hit:ratio_rate5m{cache!=\"other\"} < 0.8".to_string(),
            "10m",
            "warning",
            "cache",
            "Cache hit ratio below 80%",
            "Cache {{ $labels.cache }} on {{ $labels.job }} hits {{ $value | humanizePercentage }} of lookups (threshold 80%).",
        ),
        alert(
            "MarketplaceServiceDown",
            format!("up{{job=\"{JOB}\"}} == 0"),
            "1m",
            "critical",
            "marketplace",
            "Marketplace service is down",
            "Prometheus cannot scrape {{ $labels.instance }} (job {{ $labels.job }}).",
        ),
        alert(
            "MarketplaceHighResidentMemory",
            format!("process_resident_memory_bytes{{job=\"{JOB}\"}} > 1073741824"),
            "15m",
            "warning",
            "process",
            "Marketplace resident memory above 1 GiB",
            "{{ $labels.instance }} uses {{ $value | humanize1024 }}B resident memory (threshold 1 GiB).",
        ),
        alert(
            "TelemetryExportFailing",
            "sum by (job, signal) (rate(telemetry_export_items_total{outcome=\"failure\"}[5m])) > 0".to_string(),
            "10m",
            "warning",
            "telemetry",
            "Telemetry export is failing",
            "{{ $labels.job }} loses {{ $value | humanize }} {{ $labels.signal }} items/s: the OTLP collector rejects or does not answer.",
        ),
        alert(
            "TelemetrySpansDropped",
            "sum by (job) (rate(otel_sdk_processor_span_processed_total{error_type=\"queue_full\"}[5m])) > 0".to_string(),
            "10m",
            "warning",
            "telemetry",
            "Spans dropped on a full export queue",
            "{{ $labels.job }} drops {{ $value | humanize }} spans/s because the batch queue is full (collector slow or down).",
        ),
        alert(
            "TelemetryLogRecordsDropped",
            "sum by (job) (rate(otel_sdk_processor_log_processed_total{error_type=\"queue_full\"}[5m])) > 0".to_string(),
            "10m",
            "warning",
            "telemetry",
            "Log records dropped on a full export queue",
            "{{ $labels.job }} drops {{ $value | humanize }} log records/s because the OTLP log queue is full (collector slow or down).",
        ),
        alert(
            "MarketplaceOperationsCancelled",
            "sum by (job) (marketplace:operation_requests:rate5m{outcome=\"cancelled\"}) / sum by (job) (marketplace:operation_requests:rate5m) > 0.05".to_string(),
            "15m",
            "info",
            "marketplace",
            "More than 5% of operations are cancelled",
            "{{ $value | humanizePercentage }} of operations on {{ $labels.job }} were dropped before they finished (client timeouts or disconnects).",
        ),
    ]
}

fn slo_rules(ns: Option<&str>) -> Vec<Rule> {
    let mut rules = Vec::new();
    for slo in slos(ns) {
        let budget = 1.0 - slo.objective;
        for w in WINDOWS {
            let bad = slo.bad.replace("{w}", w);
            let total = slo.total.replace("{w}", w);
            rules.push(Rule {
                group: "marketplace.slo.sli",
                name: format!("slo:sli_error:ratio_rate{w}"),
                alert: false,
                expr: format!("({bad}) / ({total})"),
                for_: None,
                labels: vec![("slo", slo.name.to_string())],
                annotations: vec![],
            });
        }
        rules.push(Rule {
            group: "marketplace.slo.budget",
            name: "slo:error_budget:remaining_ratio".into(),
            alert: false,
            expr: format!(
                "1 - (slo:sli_error:ratio_rate30d{{slo=\"{}\"}} / {})",
                slo.name,
                fmt_f(budget)
            ),
            for_: None,
            labels: vec![("slo", slo.name.to_string())],
            annotations: vec![],
        });
        rules.push(Rule {
            group: "marketplace.slo.budget",
            name: "slo:objective:ratio".into(),
            alert: false,
            expr: format!("vector({})", fmt_f(slo.objective)),
            for_: None,
            labels: vec![("slo", slo.name.to_string())],
            annotations: vec![],
        });
        // Page on fast burns, ticket on slow ones; a burn factor whose threshold is ≥ 100%
        // of events cannot fire and is left out (cache-hit's 20% budget).
        let mut pages = Vec::new();
        let mut tickets = Vec::new();
        for (severity, long, short, factor, _) in BURNS {
            let threshold = factor * budget;
            if threshold >= 1.0 {
                continue;
            }
            let cond = format!(
                "(slo:sli_error:ratio_rate{long}{{slo=\"{n}\"}} > {t} and slo:sli_error:ratio_rate{short}{{slo=\"{n}\"}} > {t})",
                n = slo.name,
                t = fmt_f(threshold)
            );
            if *severity == "critical" {
                pages.push(cond);
            } else {
                tickets.push(cond);
            }
        }
        let camel = camel_case(slo.name);
        for (severity, conds, kind, for_) in [
            ("critical", pages, "ErrorBudgetBurnFast", "2m"),
            ("warning", tickets, "ErrorBudgetBurnSlow", "1h"),
        ] {
            if conds.is_empty() {
                continue;
            }
            let alert = format!("Slo{camel}{kind}");
            rules.push(Rule {
                group: "marketplace.slo.alerts",
                name: alert.clone(),
                alert: true,
                expr: conds.join(" or "),
                for_: Some(for_),
                labels: vec![
                    ("severity", severity.to_string()),
                    ("component", slo.component.to_string()),
                    ("slo", slo.name.to_string()),
                ],
                annotations: vec![
                    (
                        "summary",
                        format!(
                            "SLO {} is burning its error budget {}",
                            slo.name,
                            if severity == "critical" {
                                "fast"
                            } else {
                                "steadily"
                            }
                        ),
                    ),
                    (
                        "description",
                        format!(
                            "{} Objective {}; at this burn rate the 30-day budget runs out early.",
                            slo.description,
                            fmt_f(slo.objective)
                        ),
                    ),
                    ("runbook_url", runbook(&format!("slo-{}", slo.name))),
                ],
            });
        }
    }
    rules
}

/// `search-latency` → `SearchLatency`.
fn camel_case(name: &str) -> String {
    name.split('-')
        .map(|p| {
            let mut c = p.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn fmt_f(v: f64) -> String {
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

// === promtool unit tests ===

/// A counter series that grows by `per_min` each minute for `minutes`, in promtool notation.
fn series(labels: &str, per_min: f64, minutes: u32) -> String {
    format!(
        "      - series: '{labels}'\n        values: '0+{}x{minutes}'\n",
        fmt_f(per_min)
    )
}

/// A `promql_expr_test` on `round(10000 * expr)`: promtool compares floats exactly, and the
/// rounded value (an integer) is the same whatever the last bits of the computation.
fn rounded_check(expr: &str, labels: &str, value: f64, at: &str) -> String {
    // The rounded result has no metric name.
    let labels = match labels.find('{') {
        Some(i) => &labels[i..],
        None => "{}",
    };
    format!(
        "      - expr: 'round(10000 * {expr})'\n        eval_time: {at}\n        exp_samples:\n          - labels: '{labels}'\n            value: {}\n",
        (value * 10000.0).round()
    )
}

fn recording_tests(ns: Option<&str>) -> String {
    let mut out = String::from(
        "# Generated with the rules: every recording rule is evaluated against input series\n# with known rates, so a wrong selector or formula fails here.\nrule_files:\n  - ../rules/marketplace-recording.yml\nevaluation_interval: 1m\ntests:\n",
    );
    for op in OPS {
        let m = name(&op.spec, ns);
        let dim = op.spec.labels[0];
        // 60 ok/min + 6 errors/min; every success under the first bucket boundary above 0.01.
        let mut input = String::new();
        input.push_str(&series(
            &format!("{m}_count{{job=\"{JOB}\",{dim}=\"a\",outcome=\"success\"}}"),
            60.0,
            10,
        ));
        input.push_str(&series(
            &format!("{m}_count{{job=\"{JOB}\",{dim}=\"a\",outcome=\"error\"}}"),
            6.0,
            10,
        ));
        // Bucket le=1 holds all 66/min, le=+Inf too; le=0.1 holds half.
        for (le, per_min) in [("0.1", 33.0), ("1", 66.0), ("+Inf", 66.0)] {
            input.push_str(&series(
                &format!("{m}_bucket{{job=\"{JOB}\",{dim}=\"a\",outcome=\"success\",le=\"{le}\"}}"),
                per_min,
                10,
            ));
        }
        let _ = write!(
            out,
            "  - name: {op} recording rules\n    interval: 1m\n    input_series:\n{input}    promql_expr_test:\n",
            op = op.name
        );
        let checks: [(String, String, f64); 4] = [
            (
                format!("marketplace:operation_requests:rate5m{{operation=\"{}\",outcome=\"success\"}}", op.name),
                format!("marketplace:operation_requests:rate5m{{job=\"{JOB}\",operation=\"{}\",outcome=\"success\"}}", op.name),
                1.0,
            ),
            (
                format!("marketplace:operation_errors:ratio_rate5m{{operation=\"{}\"}}", op.name),
                format!("marketplace:operation_errors:ratio_rate5m{{job=\"{JOB}\",operation=\"{}\"}}", op.name),
                6.0 / 66.0,
            ),
            (
                format!("marketplace:operation_latency_seconds:p50_5m{{operation=\"{}\"}}", op.name),
                format!("marketplace:operation_latency_seconds:p50_5m{{job=\"{JOB}\",operation=\"{}\"}}", op.name),
                0.1,
            ),
            (
                format!("marketplace:operation_latency_seconds:p95_5m{{operation=\"{}\"}}", op.name),
                format!("marketplace:operation_latency_seconds:p95_5m{{job=\"{JOB}\",operation=\"{}\"}}", op.name),
                0.1 + 0.9 * (0.95 * 66.0 - 33.0) / 33.0,
            ),
        ];
        let p99 = 0.1 + 0.9 * (0.99 * 66.0 - 33.0) / 33.0;
        for (expr, labels, value) in checks.iter().cloned().chain(std::iter::once((
            format!(
                "marketplace:operation_latency_seconds:p99_5m{{operation=\"{}\"}}",
                op.name
            ),
            format!(
                "marketplace:operation_latency_seconds:p99_5m{{job=\"{JOB}\",operation=\"{}\"}}",
                op.name
            ),
            p99,
        ))) {
            out.push_str(&rounded_check(&expr, &labels, value, "10m"));
        }
    }
    let cache = name(&catalog::CACHE_REQUESTS, ns);
    let errors = name(&catalog::ERRORS, ns);
    let mut input = String::new();
    input.push_str(&series(
        &format!("{cache}{{job=\"{JOB}\",cache=\"search\",result=\"hit\"}}"),
        45.0,
        10,
    ));
    input.push_str(&series(
        &format!("{cache}{{job=\"{JOB}\",cache=\"search\",result=\"miss\"}}"),
        15.0,
        10,
    ));
    input.push_str(&series(
        &format!("{errors}{{job=\"{JOB}\",operation=\"install\",error_code=\"timeout\"}}"),
        3.0,
        10,
    ));
    let _ = write!(
        out,
        "  - name: cache and error-code rules\n    interval: 1m\n    input_series:\n{input}    promql_expr_test:\n{}{}",
        rounded_check("marketplace:cache_hit:ratio_rate5m", &format!("{{job=\"{JOB}\",cache=\"search\"}}"), 0.75, "10m"),
        rounded_check("marketplace:errors_by_code:rate5m", &format!("{{job=\"{JOB}\",operation=\"install\",error_code=\"timeout\"}}"), 0.05, "10m"),
    );
    out
}

fn alert_tests(ns: Option<&str>) -> String {
    let search = name(&catalog::SEARCH_DURATION, ns);
    let rdf = name(&catalog::RDF_QUERY_DURATION, ns);
    let cache = name(&catalog::CACHE_REQUESTS, ns);
    let mut out = String::from(
        "# Every alert fires on input that breaks its threshold and stays silent on input that\n# does not.\nrule_files:\n  - ../rules/marketplace-recording.yml\n  - ../rules/marketplace-alerts.yml\nevaluation_interval: 1m\ntests:\n",
    );
    // Latency histograms: `slow` puts every request in the given bucket range.
    let latency_input = |m: &str, le_fast: &str, fast: f64, total: f64| {
        let mut s = String::new();
        s.push_str(&series(
            &format!("{m}_count{{job=\"{JOB}\",outcome=\"success\"}}"),
            total,
            30,
        ));
        s.push_str(&series(
            &format!("{m}_bucket{{job=\"{JOB}\",outcome=\"success\",le=\"{le_fast}\"}}"),
            fast,
            30,
        ));
        s.push_str(&series(
            &format!("{m}_bucket{{job=\"{JOB}\",outcome=\"success\",le=\"1\"}}"),
            total,
            30,
        ));
        s.push_str(&series(
            &format!("{m}_bucket{{job=\"{JOB}\",outcome=\"success\",le=\"+Inf\"}}"),
            total,
            30,
        ));
        s
    };
    let rules = alert_rules(ns);
    // `firing`: (severity, component, rendered description).
    let alert_case = |out: &mut String,
                      name: &str,
                      input: String,
                      alert: &str,
                      firing: Option<(&str, &str, &str)>| {
        let _ = write!(out, "  - name: {name}\n    interval: 1m\n    input_series:\n{input}    alert_rule_test:\n      - eval_time: 25m\n        alertname: {alert}\n");
        match firing {
            Some((severity, component, description)) => {
                let _ = write!(out, "        exp_alerts:\n          - exp_labels:\n              severity: {severity}\n              component: {component}\n              job: {JOB}\n");
                if component == "cache" {
                    // The cache alert keeps the per-cache label of its recording rule.
                    out.push_str("              cache: search\n");
                }
                out.push_str(&exp_annotations(&rules, alert, description));
            }
            None => out.push_str("        exp_alerts: []\n"),
        }
    };
    // Search: all requests between 0.5 and 1 s → p95 ≈ 0.98 s: warning and critical fire.
    alert_case(
        &mut out,
        "search latency breach",
        latency_input(&search, "0.5", 0.0, 60.0),
        "MarketplaceSearchLatencyHigh",
        Some((
            "warning",
            "search",
            "Search p95 latency on marketplace is 975ms (threshold 200 ms).",
        )),
    );
    alert_case(
        &mut out,
        "search latency breach is critical",
        latency_input(&search, "0.5", 0.0, 60.0),
        "MarketplaceSearchLatencyCritical",
        Some((
            "critical",
            "search",
            "Search p95 latency on marketplace is 975ms (threshold 500 ms).",
        )),
    );
    alert_case(
        &mut out,
        "fast searches do not alert",
        latency_input(&search, "0.1", 60.0, 60.0),
        "MarketplaceSearchLatencyHigh",
        None,
    );
    alert_case(
        &mut out,
        "fast searches are not critical",
        latency_input(&search, "0.1", 60.0, 60.0),
        "MarketplaceSearchLatencyCritical",
        None,
    );
    alert_case(
        &mut out,
        "rdf latency breach",
        latency_input(&rdf, "0.1", 0.0, 60.0),
        "MarketplaceRdfQueryLatencyHigh",
        Some((
            "warning",
            "rdf",
            "RDF query p95 latency on marketplace is 955ms (threshold 100 ms).",
        )),
    );
    alert_case(
        &mut out,
        "fast rdf queries do not alert",
        latency_input(&rdf, "0.1", 60.0, 60.0),
        "MarketplaceRdfQueryLatencyHigh",
        None,
    );

    let ops_input = |errors: f64, cancelled: f64| {
        let mut s = String::new();
        s.push_str(&series(
            &format!("{search}_count{{job=\"{JOB}\",outcome=\"success\"}}"),
            100.0,
            30,
        ));
        s.push_str(&series(
            &format!("{search}_count{{job=\"{JOB}\",outcome=\"error\"}}"),
            errors,
            30,
        ));
        s.push_str(&series(
            &format!("{search}_count{{job=\"{JOB}\",outcome=\"cancelled\"}}"),
            cancelled,
            30,
        ));
        s
    };
    alert_case(
        &mut out,
        "error ratio above 1%",
        ops_input(25.0, 0.0),
        "MarketplaceErrorRatioHigh",
        Some((
            "warning",
            "marketplace",
            "20% of operations on marketplace failed over 5 minutes (threshold 1%).",
        )),
    );
    alert_case(
        &mut out,
        "error ratio below 1%",
        ops_input(0.5, 0.0),
        "MarketplaceErrorRatioHigh",
        None,
    );
    alert_case(&mut out, "many cancelled operations", ops_input(0.0, 25.0), "MarketplaceOperationsCancelled", Some(("info", "marketplace", "20% of operations on marketplace were dropped before they finished (client timeouts or disconnects).")));
    alert_case(
        &mut out,
        "few cancelled operations",
        ops_input(0.0, 1.0),
        "MarketplaceOperationsCancelled",
        None,
    );

    let cache_input = |hits: f64, misses: f64| {
        let mut s = String::new();
        s.push_str(&series(
            &format!("{cache}{{job=\"{JOB}\",cache=\"search\",result=\"hit\"}}"),
            hits,
            30,
        ));
        s.push_str(&series(
            &format!("{cache}{{job=\"{JOB}\",cache=\"search\",result=\"miss\"}}"),
            misses,
            30,
        ));
        s
    };
    alert_case(
        &mut out,
        "cache hit ratio low",
        cache_input(50.0, 50.0),
        "MarketplaceCacheHitRatioLow",
        Some((
            "warning",
            "cache",
            "Cache search on marketplace hits 50% of lookups (threshold 80%).",
        )),
    );
    alert_case(
        &mut out,
        "cache hit ratio fine",
        cache_input(90.0, 10.0),
        "MarketplaceCacheHitRatioLow",
        None,
    );

    let telemetry_input = |failing: f64, dropped: f64| {
        let mut s = String::new();
        s.push_str(&series(&format!("telemetry_export_items_total{{job=\"{JOB}\",signal=\"traces\",outcome=\"failure\"}}"), failing, 30));
        s.push_str(&series(&format!("otel_sdk_processor_span_processed_total{{job=\"{JOB}\",error_type=\"queue_full\"}}"), dropped, 30));
        s.push_str(&series(
            &format!(
                "otel_sdk_processor_log_processed_total{{job=\"{JOB}\",error_type=\"queue_full\"}}"
            ),
            dropped / 2.0,
            30,
        ));
        s
    };
    let _ = write!(out, "  - name: export failing\n    interval: 1m\n    input_series:\n{}    alert_rule_test:\n      - eval_time: 25m\n        alertname: TelemetryExportFailing\n        exp_alerts:\n          - exp_labels:\n              severity: warning\n              component: telemetry\n              job: {JOB}\n              signal: traces\n{}", telemetry_input(60.0, 0.0), exp_annotations(&rules, "TelemetryExportFailing", "marketplace loses 1 traces items/s: the OTLP collector rejects or does not answer."));
    alert_case(
        &mut out,
        "export healthy",
        telemetry_input(0.0, 0.0),
        "TelemetryExportFailing",
        None,
    );
    let _ = write!(out, "  - name: spans dropped\n    interval: 1m\n    input_series:\n{}    alert_rule_test:\n      - eval_time: 25m\n        alertname: TelemetrySpansDropped\n        exp_alerts:\n          - exp_labels:\n              severity: warning\n              component: telemetry\n              job: {JOB}\n{}", telemetry_input(0.0, 120.0), exp_annotations(&rules, "TelemetrySpansDropped", "marketplace drops 2 spans/s because the batch queue is full (collector slow or down)."));
    alert_case(
        &mut out,
        "no spans dropped",
        telemetry_input(0.0, 0.0),
        "TelemetrySpansDropped",
        None,
    );
    let _ = write!(out, "  - name: log records dropped\n    interval: 1m\n    input_series:\n{}    alert_rule_test:\n      - eval_time: 25m\n        alertname: TelemetryLogRecordsDropped\n        exp_alerts:\n          - exp_labels:\n              severity: warning\n              component: telemetry\n              job: {JOB}\n{}", telemetry_input(0.0, 120.0), exp_annotations(&rules, "TelemetryLogRecordsDropped", "marketplace drops 1 log records/s because the OTLP log queue is full (collector slow or down)."));
    alert_case(
        &mut out,
        "no log records dropped",
        telemetry_input(0.0, 0.0),
        "TelemetryLogRecordsDropped",
        None,
    );

    let _ = write!(out, "  - name: service down\n    interval: 1m\n    input_series:\n      - series: 'up{{job=\"{JOB}\",instance=\"127.0.0.1:9464\"}}'\n        values: '1 1 1 0x10'\n    alert_rule_test:\n      - eval_time: 2m\n        alertname: MarketplaceServiceDown\n        exp_alerts: []\n      - eval_time: 8m\n        alertname: MarketplaceServiceDown\n        exp_alerts:\n          - exp_labels:\n              severity: critical\n              component: marketplace\n              job: {JOB}\n              instance: 127.0.0.1:9464\n{}", exp_annotations(&rules, "MarketplaceServiceDown", "Prometheus cannot scrape 127.0.0.1:9464 (job marketplace)."));
    let _ = write!(out, "  - name: resident memory\n    interval: 1m\n    input_series:\n      - series: 'process_resident_memory_bytes{{job=\"{JOB}\",instance=\"a\"}}'\n        values: '2000000000x30'\n      - series: 'process_resident_memory_bytes{{job=\"{JOB}\",instance=\"b\"}}'\n        values: '100000000x30'\n    alert_rule_test:\n      - eval_time: 20m\n        alertname: MarketplaceHighResidentMemory\n        exp_alerts:\n          - exp_labels:\n              severity: warning\n              component: process\n              job: {JOB}\n              instance: a\n{}", exp_annotations(&rules, "MarketplaceHighResidentMemory", "a uses 1.863GiB resident memory (threshold 1 GiB)."));
    out
}

/// `exp_annotations` of an alert: its summary and runbook as generated, the description as
/// Prometheus renders it for the test's input.
fn exp_annotations(rules: &[Rule], alert: &str, description: &str) -> String {
    let mut out = String::from("            exp_annotations:\n");
    if let Some(rule) = rules.iter().find(|r| r.name == alert) {
        for (k, v) in &rule.annotations {
            let v = if *k == "description" {
                description.to_string()
            } else {
                v.clone()
            };
            let _ = writeln!(out, "              {k}: {}", yaml_str(&v));
        }
    }
    out
}

fn slo_tests(ns: Option<&str>) -> String {
    let mut out = String::from(
        "# SLI recording rules evaluate to the known bad/total ratio over every window; burn-rate\n# alerts fire on a budget-burning input and stay silent on a healthy one.\nrule_files:\n  - ../rules/marketplace-slo.yml\nevaluation_interval: 1m\ntests:\n",
    );
    let search = name(&catalog::SEARCH_DURATION, ns);
    let lookup = name(&catalog::CACHE_LOOKUP_DURATION, ns);
    let rdf = name(&catalog::RDF_QUERY_DURATION, ns);
    let cache = name(&catalog::CACHE_REQUESTS, ns);
    // For each SLO: (input at `bad_per_min` of 100/min, bad ratio).
    let latency_input = |m: &str, le: &str, bad: f64| {
        let mut s = String::new();
        s.push_str(&series(
            &format!("{m}_count{{job=\"{JOB}\",outcome=\"success\"}}"),
            100.0,
            120,
        ));
        s.push_str(&series(
            &format!("{m}_bucket{{job=\"{JOB}\",outcome=\"success\",le=\"{le}\"}}"),
            100.0 - bad,
            120,
        ));
        s
    };
    let ops_input = |bad: f64| {
        let mut s = String::new();
        for op in OPS {
            let m = name(&op.spec, ns);
            let (ok, err) = if op.name == "search" {
                (100.0 - bad, bad)
            } else {
                (0.0, 0.0)
            };
            s.push_str(&series(
                &format!("{m}_count{{job=\"{JOB}\",outcome=\"success\"}}"),
                ok,
                120,
            ));
            s.push_str(&series(
                &format!("{m}_count{{job=\"{JOB}\",outcome=\"error\"}}"),
                err,
                120,
            ));
        }
        s
    };
    let http_input = |bad: f64| {
        let mut s = String::new();
        s.push_str(&series(&format!("http_server_request_duration_seconds_count{{job=\"{JOB}\",http_response_status_code=\"200\"}}"), 100.0 - bad, 120));
        s.push_str(&series(&format!("http_server_request_duration_seconds_count{{job=\"{JOB}\",http_response_status_code=\"503\"}}"), bad, 120));
        s
    };
    let cache_input = |bad: f64| {
        let mut s = String::new();
        s.push_str(&series(
            &format!("{cache}{{job=\"{JOB}\",cache=\"search\",result=\"hit\"}}"),
            100.0 - bad,
            120,
        ));
        s.push_str(&series(
            &format!("{cache}{{job=\"{JOB}\",cache=\"search\",result=\"miss\"}}"),
            bad,
            120,
        ));
        s
    };
    for slo in slos(ns) {
        let budget = 1.0 - slo.objective;
        // Burning: bad ratio = 20 × budget (capped at 90%), which breaks the fast page when
        // possible; healthy: half the budget.
        let burning = (20.0 * budget).min(0.9) * 100.0;
        let healthy = 0.5 * budget * 100.0;
        let input = |bad: f64| match slo.name {
            "search-latency" => latency_input(&search, "0.2", bad),
            "lookup-latency" => latency_input(&lookup, "0.1", bad),
            "rdf-latency" => latency_input(&rdf, "0.1", bad),
            "errors" => ops_input(bad),
            "availability" => http_input(bad),
            _ => cache_input(bad),
        };
        let _ = write!(
            out,
            "  - name: {} burning\n    interval: 1m\n    input_series:\n{}    promql_expr_test:\n",
            slo.name,
            input(burning)
        );
        let labels = format!("{{job=\"{JOB}\",slo=\"{}\"}}", slo.name);
        for w in WINDOWS {
            out.push_str(&rounded_check(
                &format!("slo:sli_error:ratio_rate{w}{{slo=\"{}\"}}", slo.name),
                &labels,
                burning / 100.0,
                "110m",
            ));
        }
        out.push_str(&rounded_check(
            &format!("slo:error_budget:remaining_ratio{{slo=\"{}\"}}", slo.name),
            &labels,
            1.0 - (burning / 100.0) / budget,
            "110m",
        ));
        out.push_str(&rounded_check(
            &format!("slo:objective:ratio{{slo=\"{}\"}}", slo.name),
            &format!("{{slo=\"{}\"}}", slo.name),
            slo.objective,
            "110m",
        ));
        let camel = camel_case(slo.name);
        let can_page = 14.4 * budget < 1.0 || 6.0 * budget < 1.0;
        let slo_alerts = slo_rules(ns);
        let annotations = |alert: &str| {
            let description = slo_alerts
                .iter()
                .find(|r| r.name == alert)
                .and_then(|r| r.annotations.iter().find(|(k, _)| *k == "description"))
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            exp_annotations(&slo_alerts, alert, &description)
        };
        out.push_str("    alert_rule_test:\n");
        if can_page {
            let _ = write!(out, "      - eval_time: 110m\n        alertname: Slo{camel}ErrorBudgetBurnFast\n        exp_alerts:\n          - exp_labels:\n              severity: critical\n              component: {c}\n              slo: {n}\n              job: {JOB}\n{a}", c = slo.component, n = slo.name, a = annotations(&format!("Slo{camel}ErrorBudgetBurnFast")));
        }
        let _ = write!(out, "      - eval_time: 110m\n        alertname: Slo{camel}ErrorBudgetBurnSlow\n        exp_alerts:\n          - exp_labels:\n              severity: warning\n              component: {c}\n              slo: {n}\n              job: {JOB}\n{a}", c = slo.component, n = slo.name, a = annotations(&format!("Slo{camel}ErrorBudgetBurnSlow")));
        let _ = write!(
            out,
            "  - name: {} healthy\n    interval: 1m\n    input_series:\n{}    alert_rule_test:\n",
            slo.name,
            input(healthy)
        );
        if can_page {
            let _ = write!(out, "      - eval_time: 110m\n        alertname: Slo{camel}ErrorBudgetBurnFast\n        exp_alerts: []\n");
        }
        let _ = write!(out, "      - eval_time: 110m\n        alertname: Slo{camel}ErrorBudgetBurnSlow\n        exp_alerts: []\n");
    }
    // Before the first 5xx there is no bad series at all: the SLI must be 0, not empty.
    let _ = write!(
        out,
        "  - name: availability before the first server error\n    interval: 1m\n    input_series:\n{}    promql_expr_test:\n{}",
        series(&format!("http_server_request_duration_seconds_count{{job=\"{JOB}\",http_response_status_code=\"200\"}}"), 100.0, 20),
        rounded_check("slo:sli_error:ratio_rate5m{slo=\"availability\"}", &format!("{{job=\"{JOB}\",slo=\"availability\"}}"), 0.0, "15m"),
    );
    out
}

// === dashboards ===

fn target(expr: &str, legend: &str, ref_id: &str) -> Value {
    json!({
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "expr": expr,
        "legendFormat": legend,
        "refId": ref_id,
    })
}

fn panel(
    id: u32,
    title: &str,
    kind: &str,
    unit: &str,
    grid: (u32, u32, u32, u32),
    targets: Vec<Value>,
) -> Value {
    json!({
        "id": id,
        "type": kind,
        "title": title,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": {"x": grid.0, "y": grid.1, "w": grid.2, "h": grid.3},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {},
        "targets": targets,
    })
}

fn dashboard(uid: &str, title: &str, panels: Vec<Value>, extra_vars: Vec<Value>) -> String {
    let mut vars = vec![
        json!({
            "name": "datasource",
            "type": "datasource",
            "query": "prometheus",
            "label": "Data source",
            "hide": 0,
            "options": [],
        }),
        json!({
            "name": "job",
            "type": "query",
            "label": "Job",
            "datasource": {"type": "prometheus", "uid": "${datasource}"},
            "query": {"query": "label_values(target_info, job)", "refId": "job"},
            "refresh": 1,
            "includeAll": false,
            "multi": false,
            "hide": 0,
            "options": [],
        }),
    ];
    vars.extend(extra_vars);
    let value = json!({
        "uid": uid,
        "title": title,
        "tags": ["marketplace", "generated"],
        "timezone": "browser",
        "editable": true,
        "graphTooltip": 1,
        "schemaVersion": 39,
        "version": 1,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "timepicker": {},
        "fiscalYearStartMonth": 0,
        "liveNow": false,
        "weekStart": "",
        "links": [],
        "annotations": {"list": []},
        "templating": {"list": vars},
        "panels": panels,
    });
    serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
}

fn overview(ns: Option<&str>) -> String {
    let j = "job=\"$job\"";
    let mut panels = Vec::new();
    let mut id = 0;
    let mut y = 0;
    let mut next =
        |title: &str, kind: &str, unit: &str, targets: Vec<Value>, half: bool, left: bool| {
            id += 1;
            let (x, w) = if half {
                (if left { 0 } else { 12 }, 12)
            } else {
                (0, 24)
            };
            let p = panel(id, title, kind, unit, (x, y, w, 8), targets);
            if !half || !left {
                y += 8;
            }
            p
        };
    panels.push(next(
        "Request rate by operation",
        "timeseries",
        "reqps",
        vec![target(
            &format!("sum by (operation) (marketplace:operation_requests:rate5m{{{j}}})"),
            "{{operation}}",
            "A",
        )],
        true,
        true,
    ));
    panels.push(next(
        "Error ratio by operation",
        "timeseries",
        "percentunit",
        vec![target(
            &format!("marketplace:operation_errors:ratio_rate5m{{{j}}}"),
            "{{operation}}",
            "A",
        )],
        true,
        false,
    ));
    panels.push(next(
        "p95 latency by operation",
        "timeseries",
        "s",
        vec![target(
            &format!("marketplace:operation_latency_seconds:p95_5m{{{j}}}"),
            "{{operation}}",
            "A",
        )],
        true,
        true,
    ));
    let search = name(&catalog::SEARCH_DURATION, ns);
    panels.push(next(
        "Search latency by item type (p50 / p95)",
        "timeseries",
        "s",
        vec![
            target(&format!("histogram_quantile(0.5, sum by (le, item_type) (rate({search}_bucket{{{j}}}[$__rate_interval])))"), "p50 {{item_type}}", "A"),
            target(&format!("histogram_quantile(0.95, sum by (le, item_type) (rate({search}_bucket{{{j}}}[$__rate_interval])))"), "p95 {{item_type}}", "B"),
        ],
        true,
        false,
    ));
    panels.push(next(
        "Cache hit ratio",
        "timeseries",
        "percentunit",
        vec![target(
            &format!("marketplace:cache_hit:ratio_rate5m{{{j}}}"),
            "{{cache}}",
            "A",
        )],
        true,
        true,
    ));
    panels.push(next(
        "Errors by code",
        "timeseries",
        "short",
        vec![target(
            &format!(
                "sum by (error_code) (rate({}{{{j}}}[$__rate_interval]))",
                name(&catalog::ERRORS, ns)
            ),
            "{{error_code}}",
            "A",
        )],
        true,
        false,
    ));
    panels.push(next(
        "Items by type",
        "stat",
        "short",
        vec![target(
            &format!("sum by (item_type) ({}{{{j}}})", name(&catalog::ITEMS, ns)),
            "{{item_type}}",
            "A",
        )],
        true,
        true,
    ));
    panels.push(next(
        "Operations in flight",
        "timeseries",
        "short",
        vec![target(
            &format!(
                "sum by (operation) ({}{{{j}}})",
                name(&catalog::OPERATIONS_ACTIVE, ns)
            ),
            "{{operation}}",
            "A",
        )],
        true,
        false,
    ));
    panels.push(next(
        "Search results per query (p50)",
        "timeseries",
        "short",
        vec![target(
            &format!(
                "histogram_quantile(0.5, sum by (le) (rate({}_bucket{{{j}}}[$__rate_interval])))",
                name(&catalog::SEARCH_RESULTS, ns)
            ),
            "p50",
            "A",
        )],
        true,
        true,
    ));
    panels.push(next(
        "Cache entries",
        "timeseries",
        "short",
        vec![target(
            &format!(
                "sum by (cache) ({}{{{j}}})",
                name(&catalog::CACHE_ENTRIES, ns)
            ),
            "{{cache}}",
            "A",
        )],
        true,
        false,
    ));
    panels.push(next(
        "HTTP requests by route and status",
        "timeseries",
        "reqps",
        vec![target(&format!("sum by (http_route, http_response_status_code) (rate(http_server_request_duration_seconds_count{{{j}}}[$__rate_interval]))"), "{{http_route}} {{http_response_status_code}}", "A")],
        true,
        true,
    ));
    panels.push(next(
        "HTTP p95 latency by route",
        "timeseries",
        "s",
        vec![target(&format!("histogram_quantile(0.95, sum by (le, http_route) (rate(http_server_request_duration_seconds_bucket{{{j}}}[$__rate_interval])))"), "{{http_route}}", "A")],
        true,
        false,
    ));
    panels.push(next(
        "Process: resident memory",
        "timeseries",
        "bytes",
        vec![target(
            &format!("process_resident_memory_bytes{{{j}}}"),
            "{{instance}}",
            "A",
        )],
        true,
        true,
    ));
    panels.push(next(
        "Process: CPU and file descriptors",
        "timeseries",
        "short",
        vec![
            target(
                &format!("rate(process_cpu_seconds_total{{{j}}}[$__rate_interval])"),
                "cpu cores {{instance}}",
                "A",
            ),
            target(
                &format!("process_open_fds{{{j}}} / process_max_fds{{{j}}}"),
                "fd usage {{instance}}",
                "B",
            ),
        ],
        true,
        false,
    ));
    dashboard(
        "marketplace-overview",
        "Marketplace overview",
        panels,
        vec![],
    )
}

fn slo_dashboard(ns: Option<&str>) -> String {
    let mut panels = Vec::new();
    let mut id = 0;
    for (i, slo) in slos(ns).iter().enumerate() {
        let y = (i as u32) * 8;
        let sel = format!("job=\"$job\",slo=\"{}\"", slo.name);
        id += 1;
        panels.push(panel(
            id,
            &format!(
                "{}: compliance (30d) vs objective {}",
                slo.name,
                fmt_f(slo.objective)
            ),
            "stat",
            "percentunit",
            (0, y, 8, 8),
            vec![target(
                &format!("1 - slo:sli_error:ratio_rate30d{{{sel}}}"),
                "compliance",
                "A",
            )],
        ));
        id += 1;
        panels.push(panel(
            id,
            &format!("{}: error budget remaining", slo.name),
            "gauge",
            "percentunit",
            (8, y, 8, 8),
            vec![target(
                &format!("slo:error_budget:remaining_ratio{{{sel}}}"),
                "remaining",
                "A",
            )],
        ));
        id += 1;
        let budget = fmt_f(1.0 - slo.objective);
        panels.push(panel(
            id,
            &format!("{}: burn rate", slo.name),
            "timeseries",
            "short",
            (16, y, 8, 8),
            vec![
                target(
                    &format!("slo:sli_error:ratio_rate5m{{{sel}}} / {budget}"),
                    "5m",
                    "A",
                ),
                target(
                    &format!("slo:sli_error:ratio_rate1h{{{sel}}} / {budget}"),
                    "1h",
                    "B",
                ),
                target(
                    &format!("slo:sli_error:ratio_rate6h{{{sel}}} / {budget}"),
                    "6h",
                    "C",
                ),
            ],
        ));
    }
    dashboard("marketplace-slo", "Marketplace SLOs", panels, vec![])
}

fn versions_dashboard(ns: Option<&str>) -> String {
    // Join every series with target_info to read service_version (a resource attribute).
    let join = "* on (job, instance) group_left (service_version) target_info{job=\"$job\"}";
    let mut panels = Vec::new();
    let ops = [
        ("search", name(&catalog::SEARCH_DURATION, ns)),
        ("install", name(&catalog::INSTALL_DURATION, ns)),
        ("rdf_query", name(&catalog::RDF_QUERY_DURATION, ns)),
    ];
    for (i, (op, m)) in ops.iter().enumerate() {
        let y = (i as u32) * 8;
        panels.push(panel(
            (i as u32) * 2 + 1,
            &format!("{op}: p95 latency by version"),
            "timeseries",
            "s",
            (0, y, 12, 8),
            vec![target(
                &format!("histogram_quantile(0.95, sum by (le, service_version) (rate({m}_bucket{{job=\"$job\"}}[$__rate_interval]) {join}))"),
                "{{service_version}}",
                "A",
            )],
        ));
        panels.push(panel(
            (i as u32) * 2 + 2,
            &format!("{op}: error ratio by version"),
            "timeseries",
            "percentunit",
            (12, y, 12, 8),
            vec![target(
                &format!("sum by (service_version) (rate({m}_count{{job=\"$job\",outcome=\"error\"}}[$__rate_interval]) {join}) / sum by (service_version) (rate({m}_count{{job=\"$job\"}}[$__rate_interval]) {join})"),
                "{{service_version}}",
                "A",
            )],
        ));
    }
    dashboard(
        "marketplace-versions",
        "Marketplace version comparison",
        panels,
        vec![],
    )
}

/// Every generated asset for `namespace` (the committed files are `render(None)`).
pub fn render(namespace: Option<&str>) -> Vec<Asset> {
    let ns = namespace;
    vec![
        Asset {
            path: "prometheus/rules/marketplace-recording.yml",
            contents: render_rules(&recording_rules(ns)),
        },
        Asset {
            path: "prometheus/rules/marketplace-alerts.yml",
            contents: render_rules(&alert_rules(ns)),
        },
        Asset {
            path: "prometheus/rules/marketplace-slo.yml",
            contents: render_rules(&slo_rules(ns)),
        },
        Asset {
            path: "prometheus/tests/recording_test.yml",
            contents: recording_tests(ns),
        },
        Asset {
            path: "prometheus/tests/alerts_test.yml",
            contents: alert_tests(ns),
        },
        Asset {
            path: "prometheus/tests/slo_test.yml",
            contents: slo_tests(ns),
        },
        Asset {
            path: "grafana/dashboards/marketplace-overview.json",
            contents: overview(ns),
        },
        Asset {
            path: "grafana/dashboards/marketplace-slo.json",
            contents: slo_dashboard(ns),
        },
        Asset {
            path: "grafana/dashboards/marketplace-versions.json",
            contents: versions_dashboard(ns),
        },
    ]
}
