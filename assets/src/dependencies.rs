//! Dependency assets: what a service sees of the services and queues it calls — client-side
//! RED over the semantic-convention client instruments (`http.client.request.duration` by
//! `server.address`, `rpc.client.call.duration` by `rpc.method`, semconv 1.44) and the
//! messaging instruments (processing p95, consumers falling behind): recording rules, alerts,
//! their promtool tests and the "Dependencies" dashboard.
//!
//! As in [`crate::platform`], every expression aggregates with `sum by` over named labels, and
//! error ratios read `error_type!=""` (the Python SDK fills an absent `error.type` with an empty
//! label value); a ratio is `0` — not absent — before the first error, so the dashboard and the
//! alert can tell a healthy dependency from one that is not called.

use std::fmt::Write as _;

use marketplace_telemetry::marketplace::catalog;

use crate::grafana::{dashboard, grid_panels, PanelRow};
use crate::model::{fmt_f, name};
use crate::objectives::Objectives;
use crate::platform::with_scope;
use crate::platform::{above, test_inputs, write_alert_case, AlertCase};
use crate::promtool_tests::{rounded_check, series};
use crate::rules::{runbook, Rule};
use crate::Options;

/// An alert's threshold, `for:` and severity from the objectives (`--objectives`).
fn alert_target(o: &Objectives, alert: &str) -> (f64, String, String) {
    let t = o.alert(alert);
    (t.threshold.unwrap_or(0.0), t.for_.text, t.severity)
}

struct Names {
    http: String,
    rpc: String,
    sent: String,
    consumed: String,
    process: String,
    depth: String,
}

impl Names {
    fn new(ns: Option<&str>) -> Self {
        Names {
            http: name(&catalog::HTTP_CLIENT_DURATION, ns),
            rpc: name(&catalog::RPC_CLIENT_DURATION, ns),
            sent: name(&catalog::MESSAGING_SENT, ns),
            consumed: name(&catalog::MESSAGING_CONSUMED, ns),
            process: name(&catalog::MESSAGING_PROCESS_DURATION, ns),
            depth: name(&catalog::QUEUE_DEPTH, ns),
        }
    }
}

const QUEUE: &str = "messaging_system, messaging_destination_name";

fn record(name: &str, expr: String) -> Rule {
    Rule {
        group: "dependencies",
        name: name.to_string(),
        alert: false,
        expr,
        for_: None,
        labels: vec![],
        annotations: vec![],
    }
}

/// `bad / all` by `by`, `0` where `all` has series and `bad` none yet.
fn error_ratio(metric: &str, by: &str) -> String {
    format!(
        "(sum by ({by}) (rate({metric}_count{{error_type!=\"\"}}[5m])) or 0 * sum by ({by}) (rate({metric}_count[5m]))) / sum by ({by}) (rate({metric}_count[5m]))"
    )
}

/// `dependencies-recording.yml`.
pub(crate) fn dependency_recording(ns: Option<&str>) -> Vec<Rule> {
    let n = Names::new(ns);
    vec![
        record(
            "dependency:http_client_requests:rate5m",
            format!("sum by (job, server_address) (rate({}_count[5m]))", n.http),
        ),
        record(
            "dependency:http_client_errors:ratio_rate5m",
            error_ratio(&n.http, "job, server_address"),
        ),
        record(
            "dependency:http_client_latency_seconds:p95_5m",
            format!(
                "histogram_quantile(0.95, sum by (job, server_address, le) (rate({}_bucket[5m])))",
                n.http
            ),
        ),
        record(
            "dependency:rpc_client_calls:rate5m",
            format!("sum by (job, rpc_method) (rate({}_count[5m]))", n.rpc),
        ),
        record(
            "dependency:rpc_client_errors:ratio_rate5m",
            error_ratio(&n.rpc, "job, rpc_method"),
        ),
        record(
            "dependency:rpc_client_latency_seconds:p95_5m",
            format!(
                "histogram_quantile(0.95, sum by (job, rpc_method, le) (rate({}_bucket[5m])))",
                n.rpc
            ),
        ),
        record(
            "dependency:messaging_backlog_growth:rate10m",
            format!(
                "sum by (job, {QUEUE}) (rate({}[10m])) - sum by (job, {QUEUE}) (rate({}[10m]))",
                n.sent, n.consumed
            ),
        ),
    ]
}

/// `dependencies-alerts.yml`.
pub(crate) fn dependency_alerts(options: &Options) -> Vec<Rule> {
    let o = &options.objectives;
    let alert = |name: &str, expr: String, summary: String, description: String| {
        let (_, for_, severity) = alert_target(o, name);
        Rule {
            group: "dependencies.alerts",
            name: name.to_string(),
            alert: true,
            expr,
            for_: Some(for_),
            labels: vec![
                ("severity".into(), severity),
                ("component".into(), "dependencies".to_string()),
            ],
            annotations: vec![
                ("summary", summary),
                ("description", description),
                ("runbook_url", runbook(name)),
            ],
        }
    };
    let t = |a: &str| fmt_f(alert_target(o, a).0);
    let pct = |a: &str| format!("{}%", fmt_f(alert_target(o, a).0 * 100.0));
    vec![
        alert(
            "DownstreamErrorRatioHigh",
            format!("dependency:http_client_errors:ratio_rate5m > {}", t("DownstreamErrorRatioHigh")),
            format!("More than {} of calls to a downstream fail", pct("DownstreamErrorRatioHigh")),
            format!("More than {} of HTTP calls from {{{{ $labels.job }}}} to {{{{ $labels.server_address }}}} fail (4xx, 5xx or no answer).", pct("DownstreamErrorRatioHigh")),
        ),
        alert(
            "DownstreamRpcErrorRatioHigh",
            format!("dependency:rpc_client_errors:ratio_rate5m > {}", t("DownstreamRpcErrorRatioHigh")),
            format!("More than {} of gRPC calls to a method fail", pct("DownstreamRpcErrorRatioHigh")),
            format!("More than {} of gRPC calls from {{{{ $labels.job }}}} to {{{{ $labels.rpc_method }}}} end in a status other than OK.", pct("DownstreamRpcErrorRatioHigh")),
        ),
        alert(
            "ConsumerFallingBehind",
            format!(
                "dependency:messaging_backlog_growth:rate10m > {}",
                t("ConsumerFallingBehind")
            ),
            "A queue's consumer falls behind".into(),
            format!("More messages are sent to {{{{ $labels.messaging_destination_name }}}} ({{{{ $labels.messaging_system }}}}, {{{{ $labels.job }}}}) than consumed: its backlog grows by more than {} messages a second.", t("ConsumerFallingBehind")),
        ),
    ]
}

/// `dependencies_test.yml`: each alert fires on input that breaks it and stays silent
/// otherwise; each recording rule is checked on the same inputs (with the `otel_scope_*`
/// labels exporters add).
pub(crate) fn dependency_tests(options: &Options) -> String {
    let n = Names::new(options.namespace.as_deref());
    let o = &options.objectives;
    let rules = dependency_alerts(options);
    let svc = options.job.as_str();
    // Each alert is evaluated 10 minutes after its `for:` has passed (at 25m at the earliest).
    let (job, len) = test_inputs(options, &rules, 35);
    let job = job.as_str();
    let thr = |alert: &str| alert_target(o, alert).0;
    let pct = |alert: &str| format!("{}%", fmt_f(thr(alert) * 100.0));
    let mut out = String::from(
        "# Every dependency alert fires on input that breaks it and stays silent on input that\n# does not; inputs carry the otel_scope_* labels exporters add.\nrule_files:\n  - ../rules/dependencies-recording.yml\n  - ../rules/dependencies-alerts.yml\nevaluation_interval: 1m\ntests:\n",
    );
    // Evaluated at 25m at the earliest (and 10 minutes after the alert's `for:`).
    let mut case =
        |name: &str, input: String, alert: &str, firing: Option<(&str, String)>, checks: String| {
            write_alert_case(
                &mut out,
                options,
                &rules,
                AlertCase {
                    name,
                    input,
                    alert,
                    eval: 25,
                    firing,
                    checks,
                },
            );
        };
    // Requests between two bucket boundaries (the quantile is exact), `bad` of 100 a minute
    // failed with `error`.
    let calls = |metric: &str, labels: &str, bad: f64, error: &str, lo: f64, hi: f64| {
        let mut s = String::new();
        for (le, per_min) in [(fmt_f(lo), 0.0), (fmt_f(hi), 100.0), ("+Inf".into(), 100.0)] {
            s.push_str(&series(
                &with_scope(&format!("{metric}_bucket{{{job},{labels},le=\"{le}\"}}")),
                per_min,
                len,
            ));
        }
        s.push_str(&series(
            &with_scope(&format!("{metric}_count{{{job},{labels}}}")),
            100.0 - bad,
            len,
        ));
        if bad > 0.0 {
            s.push_str(&series(
                &with_scope(&format!(
                    "{metric}_count{{{job},{labels},error_type=\"{error}\"}}"
                )),
                bad,
                len,
            ));
        }
        s
    };

    let host = "server_address=\"storage.internal\"";
    let t = thr("DownstreamErrorRatioHigh");
    for (bad, fires) in [
        (100.0 * above(t), true),
        (100.0 * t / 2.0, false),
        (0.0, false),
    ] {
        let input = calls(&n.http, host, bad, "503", 0.1, 0.25);
        case(
            &format!("http downstream errors {bad}%"),
            input,
            "DownstreamErrorRatioHigh",
            fires.then(|| (
                host,
                format!("More than {} of HTTP calls from {svc} to storage.internal fail (4xx, 5xx or no answer).", pct("DownstreamErrorRatioHigh")),
            )),
            // Before the first error the ratio is 0, not absent.
            rounded_check(
                "dependency:http_client_errors:ratio_rate5m",
                &format!("{{{job},{host}}}"),
                bad / 100.0,
                "25m",
            ) + &rounded_check(
                "dependency:http_client_requests:rate5m",
                &format!("{{{job},{host}}}"),
                100.0 / 60.0,
                "25m",
            ) + &rounded_check(
                "dependency:http_client_latency_seconds:p95_5m",
                &format!("{{{job},{host}}}"),
                0.1 + (0.25 - 0.1) * 0.95,
                "25m",
            ),
        );
    }
    let method = "rpc_method=\"grpc.health.v1.Health/Check\"";
    let t = thr("DownstreamRpcErrorRatioHigh");
    for (bad, fires) in [
        (100.0 * above(t), true),
        (100.0 * t / 2.0, false),
        (0.0, false),
    ] {
        let input = calls(&n.rpc, method, bad, "UNAVAILABLE", 0.01, 0.025);
        case(
            &format!("rpc downstream errors {bad}%"),
            input,
            "DownstreamRpcErrorRatioHigh",
            fires.then(|| (
                method,
                format!("More than {} of gRPC calls from {svc} to grpc.health.v1.Health/Check end in a status other than OK.", pct("DownstreamRpcErrorRatioHigh")),
            )),
            rounded_check(
                "dependency:rpc_client_errors:ratio_rate5m",
                &format!("{{{job},{method}}}"),
                bad / 100.0,
                "25m",
            ) + &rounded_check(
                "dependency:rpc_client_latency_seconds:p95_5m",
                &format!("{{{job},{method}}}"),
                0.01 + (0.025 - 0.01) * 0.95,
                "25m",
            ) + &rounded_check(
                "dependency:rpc_client_calls:rate5m",
                &format!("{{{job},{method}}}"),
                100.0 / 60.0,
                "25m",
            ),
        );
    }
    // A queue: the backlog grows at twice the threshold (behind) or not at all (keeping up).
    let q = "messaging_system=\"rabbitmq\",messaging_destination_name=\"installs\"";
    let t = thr("ConsumerFallingBehind");
    let sent = 120.0 + 120.0 * t;
    // Growth per second = (sent − consumed) / 60: 2t behind, t/2 (under the threshold).
    for (consumed, fires) in [(sent - 120.0 * t, true), (sent - 30.0 * t, false)] {
        let input = series(&with_scope(&format!("{}{{{job},{q}}}", n.sent)), sent, len)
            + &series(
                &with_scope(&format!("{}{{{job},{q}}}", n.consumed)),
                consumed,
                len,
            );
        case(
            &format!("consumer at {consumed} of {sent} a minute"),
            input,
            "ConsumerFallingBehind",
            fires.then(|| (
                q,
                format!("More messages are sent to installs (rabbitmq, {svc}) than consumed: its backlog grows by more than {} messages a second.", fmt_f(t)),
            )),
            rounded_check(
                "dependency:messaging_backlog_growth:rate10m",
                &format!("{{{job},{q}}}"),
                (sent - consumed) / 60.0,
                "25m",
            ),
        );
    }
    // A service that is absent reads nothing (before its first error it reads 0: above).
    let _ = write!(
        out,
        "  - name: ratios of an absent service\n    interval: 1m\n    input_series:\n{}    promql_expr_test:\n",
        series("some_other_total{job=\"other\"}", 60.0, 20)
    );
    for rule in [
        "dependency:http_client_errors:ratio_rate5m",
        "dependency:rpc_client_errors:ratio_rate5m",
    ] {
        let _ = write!(
            out,
            "      - expr: '{rule}'\n        eval_time: 15m\n        exp_samples: []\n"
        );
    }
    out
}

/// `dependencies.json`: HTTP downstreams, gRPC methods, queues.
pub(crate) fn dependency_dashboard(ns: Option<&str>) -> String {
    let n = Names::new(ns);
    let j = "job=\"$job\"";
    let r = "[$__rate_interval]";
    let rows: Vec<PanelRow<'_>> = vec![
        ("HTTP calls per second by downstream", "reqps", vec![(format!("dependency:http_client_requests:rate5m{{{j}}}"), "{{server_address}}")]),
        ("HTTP error ratio by downstream", "percentunit", vec![(format!("dependency:http_client_errors:ratio_rate5m{{{j}}}"), "{{server_address}}")]),
        ("HTTP p95 latency by downstream", "s", vec![(format!("dependency:http_client_latency_seconds:p95_5m{{{j}}}"), "{{server_address}}")]),
        ("HTTP calls by status", "reqps", vec![(format!("sum by (server_address, http_response_status_code) (rate({}_count{{{j}}}{r}))", n.http), "{{server_address}} {{http_response_status_code}}")]),
        ("gRPC calls per second by method", "reqps", vec![(format!("dependency:rpc_client_calls:rate5m{{{j}}}"), "{{rpc_method}}")]),
        ("gRPC error ratio by method", "percentunit", vec![(format!("dependency:rpc_client_errors:ratio_rate5m{{{j}}}"), "{{rpc_method}}")]),
        ("gRPC p95 latency by method", "s", vec![(format!("dependency:rpc_client_latency_seconds:p95_5m{{{j}}}"), "{{rpc_method}}")]),
        ("Queue backlog growth (sent − consumed per second)", "short", vec![(format!("dependency:messaging_backlog_growth:rate10m{{{j}}}"), "{{messaging_destination_name}}")]),
        ("Message processing p95", "s", vec![(format!("histogram_quantile(0.95, sum by (messaging_destination_name, le) (rate({}_bucket{{{j}}}{r})))", n.process), "{{messaging_destination_name}}")]),
        ("Queue depth", "short", vec![(format!("sum by (messaging_destination_name) ({}{{{j}}})", n.depth), "{{messaging_destination_name}}")]),
    ];
    let panels = grid_panels(rows);
    dashboard(
        "marketplace-dependencies",
        "Dependencies: downstream HTTP and gRPC, queues",
        panels,
        vec![],
    )
}
