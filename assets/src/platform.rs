//! Platform assets: recording rules, alerts, promtool tests and a dashboard over the
//! semantic-convention HTTP, DB, messaging and GenAI instruments and our queue, breaker and
//! rate-limit instruments (the SDK's `catalog::PLATFORM`).
//!
//! Every expression aggregates with `sum by`/`max by` over named labels, so what other SDKs
//! add to each series (`otel_scope_name`, `otel_scope_version`, `service_name`…) is aggregated
//! away and the semconv parts serve a service instrumented with any official OpenTelemetry SDK
//! and its Prometheus exporter (proven against the Python SDK in
//! `assets/tests/assets/other_languages.rs`). Semantic-convention names are never namespaced;
//! ours (`marketplace_queue_*`, `marketplace_circuit_breaker_*`, `marketplace_rate_limit_*`,
//! `marketplace_gen_ai_cost_usd_total`) take the namespace.
//!
//! The thresholds, `for:` and severities are keys of the `--objectives` file (defaults in
//! `objectives::ALERTS`); the promtool tests derive their inputs from them and feed the
//! `--job` the rules were generated for.

use std::fmt::Write as _;

use marketplace_telemetry::marketplace::catalog;

use crate::grafana::{dashboard, grid_panels, PanelRow};
use crate::model::{fmt_f, name, ratio_or_zero};
use crate::objectives::Objectives;
use crate::promtool_tests::{exp_annotations, rounded_check, series};
use crate::rules::{runbook, Rule};
use crate::Options;

/// An alert's threshold, `for:` and severity from the objectives (`--objectives`).
fn alert_target(o: &Objectives, alert: &str) -> (f64, String, String) {
    let t = o.alert(alert);
    (t.threshold.unwrap_or(0.0), t.for_.text, t.severity)
}

struct Names {
    http: String,
    db: String,
    pool_count: String,
    pool_max: String,
    pool_pending: String,
    pool_timeouts: String,
    sent: String,
    consumed: String,
    process: String,
    depth: String,
    dead: String,
    tokens: String,
    genai: String,
    cost: String,
    breaker_state: String,
    breaker_calls: String,
    limits: String,
    usage: String,
}

impl Names {
    fn new(ns: Option<&str>) -> Self {
        Names {
            http: name(&catalog::HTTP_SERVER_DURATION, ns),
            db: name(&catalog::DB_OPERATION_DURATION, ns),
            pool_count: name(&catalog::DB_CONNECTION_COUNT, ns),
            pool_max: name(&catalog::DB_CONNECTION_MAX, ns),
            pool_pending: name(&catalog::DB_CONNECTION_PENDING, ns),
            pool_timeouts: name(&catalog::DB_CONNECTION_TIMEOUTS, ns),
            sent: name(&catalog::MESSAGING_SENT, ns),
            consumed: name(&catalog::MESSAGING_CONSUMED, ns),
            process: name(&catalog::MESSAGING_PROCESS_DURATION, ns),
            depth: name(&catalog::QUEUE_DEPTH, ns),
            dead: name(&catalog::QUEUE_DEAD_LETTERS, ns),
            tokens: name(&catalog::GENAI_TOKEN_USAGE, ns),
            genai: name(&catalog::GENAI_OPERATION_DURATION, ns),
            cost: name(&catalog::GENAI_COST, ns),
            breaker_state: name(&catalog::BREAKER_STATE, ns),
            breaker_calls: name(&catalog::BREAKER_CALLS, ns),
            limits: name(&catalog::RATE_LIMIT_DECISIONS, ns),
            usage: name(&catalog::RATE_LIMIT_USAGE, ns),
        }
    }
}

const POOL: &str = "db_client_connection_pool_name";
const QUEUE: &str = "messaging_system, messaging_destination_name";

fn record(group: &'static str, name: &str, expr: String) -> Rule {
    Rule {
        group,
        name: name.to_string(),
        alert: false,
        expr,
        for_: None,
        labels: vec![],
        annotations: vec![],
    }
}

/// `platform-recording.yml`.
pub(crate) fn platform_recording(ns: Option<&str>) -> Vec<Rule> {
    let n = Names::new(ns);
    let ratio = |bad: String, all: String, by: &str| {
        ratio_or_zero(
            &format!("sum by ({by}) ({bad})"),
            &format!("sum by ({by}) ({all})"),
        )
    };
    vec![
        record(
            "platform.http",
            "platform:http_server_requests:rate5m",
            format!("sum by (job) (rate({}_count[5m]))", n.http),
        ),
        record(
            "platform.http",
            "platform:http_server_5xx:ratio_rate5m",
            ratio(
                format!(
                    "rate({}_count{{http_response_status_code=~\"5..\"}}[5m])",
                    n.http
                ),
                format!("rate({}_count[5m])", n.http),
                "job",
            ),
        ),
        record(
            "platform.http",
            "platform:http_server_latency_seconds:p95_5m",
            format!(
                "histogram_quantile(0.95, sum by (job, le) (rate({}_bucket[5m])))",
                n.http
            ),
        ),
        record(
            "platform.db",
            "platform:db_operation_latency_seconds:p95_5m",
            format!(
                "histogram_quantile(0.95, sum by (job, db_system_name, le) (rate({}_bucket[5m])))",
                n.db
            ),
        ),
        record(
            "platform.db",
            "platform:db_connection_usage:ratio",
            // 0 while no connection is in use (an SDK may not have the `used` series yet).
            ratio_or_zero(
                &format!(
                    "sum by (job, {POOL}) ({}{{db_client_connection_state=\"used\"}})",
                    n.pool_count
                ),
                &format!("(sum by (job, {POOL}) ({}) > 0)", n.pool_max),
            ),
        ),
        record(
            "platform.messaging",
            "platform:messaging_process_latency_seconds:p95_5m",
            format!(
                "histogram_quantile(0.95, sum by (job, {QUEUE}, le) (rate({}_bucket[5m])))",
                n.process
            ),
        ),
        record(
            "platform.gen_ai",
            "platform:gen_ai_errors:ratio_rate5m",
            ratio(
                format!("rate({}_count{{error_type!=\"\"}}[5m])", n.genai),
                format!("rate({}_count[5m])", n.genai),
                "job, gen_ai_provider_name",
            ),
        ),
        record(
            "platform.gen_ai",
            "platform:gen_ai_tokens:rate5m",
            format!(
                "sum by (job, gen_ai_provider_name, gen_ai_request_model, gen_ai_token_type) (rate({}_sum[5m]))",
                n.tokens
            ),
        ),
        record(
            "platform.runtime",
            "platform:tokio_busy:ratio_rate5m",
            "sum by (job, instance) (rate(tokio_worker_busy_time_seconds_total[5m])) / sum by (job, instance) (tokio_workers)".to_string(),
        ),
        record(
            "platform.resilience",
            "platform:rate_limit_limited:ratio_rate5m",
            ratio(
                format!("rate({}{{decision=\"limited\"}}[5m])", n.limits),
                format!("rate({}[5m])", n.limits),
                "job, limiter",
            ),
        ),
    ]
}

/// `platform-alerts.yml`.
pub(crate) fn platform_alerts(options: &Options) -> Vec<Rule> {
    let n = Names::new(options.namespace.as_deref());
    let o = &options.objectives;
    let alert =
        |name: &str, expr: String, component: &str, summary: String, description: String| {
            let (_, for_, severity) = alert_target(o, name);
            Rule {
                group: "platform.alerts",
                name: name.to_string(),
                alert: true,
                expr,
                for_: Some(for_),
                labels: vec![
                    ("severity".into(), severity),
                    ("component".into(), component.to_string()),
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
            "DbConnectionPoolNearlyExhausted",
            format!("platform:db_connection_usage:ratio > {}", t("DbConnectionPoolNearlyExhausted")),
            "db",
            format!("Connection pool more than {} used", pct("DbConnectionPoolNearlyExhausted")),
            format!("Pool {{{{ $labels.{POOL} }}}} on {{{{ $labels.job }}}} has more than {} of its connections in use: callers will start to wait.", pct("DbConnectionPoolNearlyExhausted")),
        ),
        alert(
            "DbConnectionRequestsPending",
            format!("sum by (job, {POOL}) ({}) > {}", n.pool_pending, t("DbConnectionRequestsPending")),
            "db",
            "Callers wait for pooled connections".into(),
            format!("More than {} callers wait for a connection of pool {{{{ $labels.{POOL} }}}} on {{{{ $labels.job }}}}.", t("DbConnectionRequestsPending")),
        ),
        alert(
            "DbOperationLatencyHigh",
            format!("platform:db_operation_latency_seconds:p95_5m > {}", t("DbOperationLatencyHigh")),
            "db",
            format!("Database p95 latency above {}s", t("DbOperationLatencyHigh")),
            format!("{{{{ $labels.db_system_name }}}} calls from {{{{ $labels.job }}}} take more than {}s at p95.", t("DbOperationLatencyHigh")),
        ),
        alert(
            "CircuitBreakerOpen",
            format!("max by (job, breaker) ({}{{state=\"open\"}}) == 1", n.breaker_state),
            "resilience",
            "Circuit breaker open".into(),
            "Breaker {{ $labels.breaker }} on {{ $labels.job }} is open: calls through it are rejected.".into(),
        ),
        alert(
            "RateLimitHitsHigh",
            format!("platform:rate_limit_limited:ratio_rate5m > {}", t("RateLimitHitsHigh")),
            "resilience",
            format!("More than {} of requests rate-limited", pct("RateLimitHitsHigh")),
            format!("Limiter {{{{ $labels.limiter }}}} on {{{{ $labels.job }}}} refuses more than {} of requests.", pct("RateLimitHitsHigh")),
        ),
        alert(
            "DeadLetterQueueGrowing",
            format!("sum by (job, {QUEUE}) (delta({}[10m])) > {}", n.dead, t("DeadLetterQueueGrowing")),
            "messaging",
            "Dead-letter queue growing".into(),
            format!("More than {} messages of {{{{ $labels.messaging_destination_name }}}} ({{{{ $labels.messaging_system }}}}, {{{{ $labels.job }}}}) went to the dead-letter queue in 10 minutes.", t("DeadLetterQueueGrowing")),
        ),
        alert(
            "EventBacklogHigh",
            format!("sum by (job, {QUEUE}) ({}) > {}", n.depth, t("EventBacklogHigh")),
            "messaging",
            "Queue backlog high".into(),
            format!("More than {} messages wait in {{{{ $labels.messaging_destination_name }}}} ({{{{ $labels.messaging_system }}}}, {{{{ $labels.job }}}}).", t("EventBacklogHigh")),
        ),
        alert(
            "GenAiProviderErrorRatioHigh",
            format!("platform:gen_ai_errors:ratio_rate5m > {}", t("GenAiProviderErrorRatioHigh")),
            "gen_ai",
            format!("More than {} of LLM calls fail", pct("GenAiProviderErrorRatioHigh")),
            format!("More than {} of {{{{ $labels.gen_ai_provider_name }}}} calls from {{{{ $labels.job }}}} fail.", pct("GenAiProviderErrorRatioHigh")),
        ),
        alert(
            "HttpLatencyHigh",
            format!("platform:http_server_latency_seconds:p95_5m > {}", t("HttpLatencyHigh")),
            "http",
            format!("HTTP p95 latency above {}s", t("HttpLatencyHigh")),
            format!("HTTP requests to {{{{ $labels.job }}}} take more than {}s at p95.", t("HttpLatencyHigh")),
        ),
        alert(
            "TokioRuntimeSaturated",
            format!(
                "platform:tokio_busy:ratio_rate5m > {} and on (job, instance) sum by (job, instance) (deriv(tokio_global_queue_length[5m])) > 0",
                t("TokioRuntimeSaturated")
            ),
            "runtime",
            format!("Tokio workers busy more than {} of the time, queue growing", pct("TokioRuntimeSaturated")),
            format!("The Tokio runtime of {{{{ $labels.instance }}}} ({{{{ $labels.job }}}}) is busy more than {} of the time and its global queue grows: tasks wait for a worker.", pct("TokioRuntimeSaturated")),
        ),
        alert(
            "HttpServerErrorRatioHigh",
            format!("platform:http_server_5xx:ratio_rate5m > {}", t("HttpServerErrorRatioHigh")),
            "http",
            format!("More than {} of HTTP requests answered 5xx", pct("HttpServerErrorRatioHigh")),
            format!("More than {} of HTTP requests to {{{{ $labels.job }}}} end in a 5xx.", pct("HttpServerErrorRatioHigh")),
        ),
    ]
}

/// A label set with the scope labels an OpenTelemetry exporter adds: the rules must aggregate
/// them away.
pub(crate) fn with_scope(series: &str) -> String {
    let scope = ",otel_scope_name=\"any-sdk\",otel_scope_version=\"1.0\"}";
    match series.strip_suffix('}') {
        Some(head) => format!("{head}{scope}"),
        None => format!("{series}{{{}", &scope[1..]),
    }
}

/// What a generated test file over the alerts `rules` shares: the `job="<--job>"` matcher its
/// inputs carry, and an input length (minutes) that outlasts the longest `for:` of `rules` by
/// `margin`.
pub(crate) fn test_inputs(options: &Options, rules: &[Rule], margin: u32) -> (String, u32) {
    let longest = rules
        .iter()
        .map(|r| options.objectives.alert(&r.name).for_.minutes() as u32)
        .max()
        .unwrap_or(5);
    (format!("job=\"{}\"", options.job), longest + margin)
}

/// One generated alert test case (`platform_test.yml`, `dependencies_test.yml`).
pub(crate) struct AlertCase<'a> {
    pub(crate) name: &'a str,
    /// The input series (YAML lines).
    pub(crate) input: String,
    pub(crate) alert: &'a str,
    /// The earliest evaluation minute; at least 10 minutes after the alert's `for:`.
    pub(crate) eval: u32,
    /// Firing with these extra labels (`k="v",...`) and this rendered description; `None`:
    /// silent.
    pub(crate) firing: Option<(&'a str, String)>,
    /// `promql_expr_test` entries checked on the same input.
    pub(crate) checks: String,
}

/// Writes `case` into `out`: the expected alert carries the rule's severity and component
/// (from `rules`) and the `--job` of `options`.
pub(crate) fn write_alert_case(
    out: &mut String,
    options: &Options,
    rules: &[Rule],
    case: AlertCase<'_>,
) {
    let AlertCase {
        name,
        input,
        alert,
        eval,
        firing,
        checks,
    } = case;
    let target = options.objectives.alert(alert);
    let eval = eval.max(target.for_.minutes() as u32 + 10);
    let component = rules
        .iter()
        .find(|r| r.name == alert)
        .and_then(|r| r.labels.iter().find(|(k, _)| k == "component"))
        .map_or(String::new(), |(_, v)| v.clone());
    let _ = write!(
        out,
        "  - name: {name}\n    interval: 1m\n    input_series:\n{input}    alert_rule_test:\n      - eval_time: {eval}m\n        alertname: {alert}\n"
    );
    match firing {
        Some((labels, description)) => {
            let _ = write!(
                out,
                "        exp_alerts:\n          - exp_labels:\n              severity: {}\n              component: {component}\n              job: {}\n",
                target.severity, options.job
            );
            for kv in labels.split(',').filter(|s| !s.is_empty()) {
                if let Some((k, v)) = kv.split_once('=') {
                    let _ = writeln!(out, "              {k}: {}", v.trim_matches('"'));
                }
            }
            out.push_str(&exp_annotations(rules, alert, &description));
        }
        None => out.push_str("        exp_alerts: []\n"),
    }
    if !checks.is_empty() {
        let _ = write!(out, "    promql_expr_test:\n{checks}");
    }
}

/// A share above threshold `t` (a ratio below 1): half way from it to 100 %.
pub(crate) fn above(t: f64) -> f64 {
    (t + 1.0) / 2.0
}

/// Two latency inputs for a p95 threshold `t` on a histogram with `boundaries`: every request
/// in the first bucket at or above `t` (breaching: the quantile lies above `t`; past the last
/// boundary it reads as that boundary), and every request in the last bucket at or below `t`
/// (healthy). Each as (lower, upper boundary), with whether the alert fires.
pub(crate) fn breach_and_healthy(boundaries: &[f64], t: f64) -> [((f64, Option<f64>), bool); 2] {
    let b = boundaries;
    let at = b.iter().position(|&x| x >= t).unwrap_or(b.len() - 1);
    let (lo, hi) = (b[at], b.get(at + 1).copied());
    // The breaching bucket must lie above `t` (its lower bound may equal it).
    let below = b.iter().rposition(|&x| x <= t).unwrap_or(0);
    let healthy_lo = if below == 0 { 0.0 } else { b[below - 1] };
    [((lo, hi), true), ((healthy_lo, Some(b[below])), false)]
}

/// `platform_test.yml`: each alert fires on input that breaks it and stays silent otherwise;
/// each recording rule is checked on the same inputs. Inputs carry `otel_scope_*` labels.
pub(crate) fn platform_tests(options: &Options) -> String {
    let n = Names::new(options.namespace.as_deref());
    let o = &options.objectives;
    let rules = platform_alerts(options);
    let svc = options.job.as_str();
    // Each alert is evaluated at least 10 minutes after its `for:` has passed.
    let (job, len) = test_inputs(options, &rules, 30);
    let job = job.as_str();
    let thr = |alert: &str| alert_target(o, alert).0;
    let pct = |alert: &str| format!("{}%", fmt_f(thr(alert) * 100.0));
    let mut out = String::from(
        "# Every platform alert fires on input that breaks it and stays silent on input that does\n# not; inputs carry the otel_scope_* labels exporters add (the rules aggregate them away).\nrule_files:\n  - ../rules/platform-recording.yml\n  - ../rules/platform-alerts.yml\nevaluation_interval: 1m\ntests:\n",
    );
    let gauge = |labels: &str, value: f64| {
        format!(
            "      - series: '{}'\n        values: '{}x{len}'\n",
            labels,
            fmt_f(value)
        )
    };
    // One case: `input`, the alert at `eval`m with `firing` = (labels, description) or silent.
    let mut case = |name: &str,
                    input: String,
                    alert: &str,
                    eval: u32,
                    firing: Option<(&str, String)>,
                    checks: String| {
        write_alert_case(
            &mut out,
            options,
            &rules,
            AlertCase {
                name,
                input,
                alert,
                eval,
                firing,
                checks,
            },
        );
    };

    // Pools of 20: above the threshold, half way to 100 %; below, half the threshold.
    let pool = format!("{job},{POOL}=\"main\"");
    let t = thr("DbConnectionPoolNearlyExhausted");
    for (used, fires) in [(20.0 * above(t), true), (20.0 * t / 2.0, false)] {
        let input = gauge(
            &with_scope(&format!(
                "{}{{{pool},db_client_connection_state=\"used\"}}",
                n.pool_count
            )),
            used,
        ) + &gauge(
            &with_scope(&format!(
                "{}{{{pool},db_client_connection_state=\"idle\"}}",
                n.pool_count
            )),
            20.0 - used,
        ) + &gauge(&with_scope(&format!("{}{{{pool}}}", n.pool_max)), 20.0);
        case(
            &format!("pool {used} of 20 used"),
            input,
            "DbConnectionPoolNearlyExhausted",
            10,
            fires.then(|| (
                "db_client_connection_pool_name=\"main\"",
                format!("Pool main on {svc} has more than {} of its connections in use: callers will start to wait.", pct("DbConnectionPoolNearlyExhausted")),
            )),
            rounded_check(
                "platform:db_connection_usage:ratio",
                &format!("{{{pool}}}"),
                used / 20.0,
                "10m",
            ),
        );
    }
    let t = thr("DbConnectionRequestsPending");
    for (pending, fires) in [(t + 3.0, true), (t, false)] {
        case(
            &format!("{pending} pending connection requests"),
            gauge(
                &with_scope(&format!("{}{{{pool}}}", n.pool_pending)),
                pending,
            ),
            "DbConnectionRequestsPending",
            15,
            fires.then(|| {
                (
                    "db_client_connection_pool_name=\"main\"",
                    format!(
                        "More than {} callers wait for a connection of pool main on {svc}.",
                        fmt_f(t)
                    ),
                )
            }),
            String::new(),
        );
    }

    // Latency: every request between two bucket boundaries, so the quantile is exact.
    // `hi` None: every request past the last boundary (the quantile reads as `lo`).
    let latency = |metric: &str, labels: &str, lo: f64, hi: Option<f64>| {
        let mut s = String::new();
        let mut buckets = vec![(fmt_f(lo), 0.0)];
        buckets.extend(hi.map(|hi| (fmt_f(hi), 60.0)));
        buckets.push(("+Inf".into(), 60.0));
        for (le, per_min) in buckets {
            s.push_str(&series(
                &with_scope(&format!("{metric}_bucket{{{job},{labels}le=\"{le}\"}}")),
                per_min,
                len,
            ));
        }
        s.push_str(&series(
            &with_scope(&format!("{metric}_count{{{job},{labels}}}").replace(",}", "}")),
            60.0,
            len,
        ));
        s
    };
    let db = "db_system_name=\"postgresql\",db_operation_name=\"SELECT\",";
    let t = thr("DbOperationLatencyHigh");
    for ((lo, hi), fires) in breach_and_healthy(catalog::DB_OPERATION_DURATION.boundaries, t) {
        case(
            &format!("db p95 between {lo}s and {hi:?}s"),
            latency(&n.db, db, lo, hi),
            "DbOperationLatencyHigh",
            15,
            fires.then(|| {
                (
                    "db_system_name=\"postgresql\"",
                    format!(
                        "postgresql calls from {svc} take more than {}s at p95.",
                        fmt_f(t)
                    ),
                )
            }),
            rounded_check(
                "platform:db_operation_latency_seconds:p95_5m",
                &format!("{{{job},db_system_name=\"postgresql\"}}"),
                hi.map_or(lo, |hi| lo + (hi - lo) * 0.95),
                "15m",
            ),
        );
    }
    let route = "http_request_method=\"GET\",http_route=\"/search\",http_response_status_code=\"200\",url_scheme=\"http\",";
    let t = thr("HttpLatencyHigh");
    for ((lo, hi), fires) in breach_and_healthy(catalog::HTTP_SERVER_DURATION.boundaries, t) {
        case(
            &format!("http p95 between {lo}s and {hi:?}s"),
            latency(&n.http, route, lo, hi),
            "HttpLatencyHigh",
            15,
            fires.then(|| {
                (
                    "",
                    format!(
                        "HTTP requests to {svc} take more than {}s at p95.",
                        fmt_f(t)
                    ),
                )
            }),
            rounded_check(
                "platform:http_server_latency_seconds:p95_5m",
                &format!("{{{job}}}"),
                hi.map_or(lo, |hi| lo + (hi - lo) * 0.95),
                "15m",
            ) + &rounded_check(
                "platform:http_server_requests:rate5m",
                &format!("{{{job}}}"),
                1.0,
                "15m",
            ),
        );
    }
    // Queue processing latency (a recording rule, no alert): checked beside the backlog alert.
    let process_checks = rounded_check(
        "platform:messaging_process_latency_seconds:p95_5m",
        &format!("{{{job},messaging_system=\"rabbitmq\",messaging_destination_name=\"installs\"}}"),
        0.1 + (0.25 - 0.1) * 0.95,
        "15m",
    );
    let q = "messaging_system=\"rabbitmq\",messaging_destination_name=\"installs\"";

    // HTTP 5xx: of 100 a minute, above or half the threshold.
    let t = thr("HttpServerErrorRatioHigh");
    for (bad, fires) in [(100.0 * above(t), true), (100.0 * t / 2.0, false)] {
        let input = series(
            &with_scope(&format!(
                "{}_count{{{job},http_response_status_code=\"500\"}}",
                n.http
            )),
            bad,
            len,
        ) + &series(
            &with_scope(&format!(
                "{}_count{{{job},http_response_status_code=\"200\"}}",
                n.http
            )),
            100.0 - bad,
            len,
        );
        case(
            &format!("http 5xx {bad}%"),
            input,
            "HttpServerErrorRatioHigh",
            15,
            fires.then(|| {
                (
                    "",
                    format!(
                        "More than {} of HTTP requests to {svc} end in a 5xx.",
                        pct("HttpServerErrorRatioHigh")
                    ),
                )
            }),
            rounded_check(
                "platform:http_server_5xx:ratio_rate5m",
                &format!("{{{job}}}"),
                bad / 100.0,
                "15m",
            ),
        );
    }
    // Breakers: open for the whole input, or closed.
    for (open, fires) in [(1.0, true), (0.0, false)] {
        let input = gauge(
            &with_scope(&format!(
                "{}{{{job},breaker=\"rdf\",state=\"open\"}}",
                n.breaker_state
            )),
            open,
        ) + &gauge(
            &with_scope(&format!(
                "{}{{{job},breaker=\"rdf\",state=\"closed\"}}",
                n.breaker_state
            )),
            1.0 - open,
        );
        case(
            &format!("breaker open={open}"),
            input,
            "CircuitBreakerOpen",
            15,
            fires.then(|| {
                (
                    "breaker=\"rdf\"",
                    format!("Breaker rdf on {svc} is open: calls through it are rejected."),
                )
            }),
            String::new(),
        );
    }
    // Rate limits: of 100 a minute, above or half the threshold limited.
    let t = thr("RateLimitHitsHigh");
    for (limited, fires) in [(100.0 * above(t), true), (100.0 * t / 2.0, false)] {
        let input = series(
            &with_scope(&format!(
                "{}{{{job},limiter=\"api\",decision=\"limited\"}}",
                n.limits
            )),
            limited,
            len,
        ) + &series(
            &with_scope(&format!(
                "{}{{{job},limiter=\"api\",decision=\"allowed\"}}",
                n.limits
            )),
            100.0 - limited,
            len,
        );
        case(
            &format!("rate limited {limited}%"),
            input,
            "RateLimitHitsHigh",
            15,
            fires.then(|| {
                (
                    "limiter=\"api\"",
                    format!(
                        "Limiter api on {svc} refuses more than {} of requests.",
                        pct("RateLimitHitsHigh")
                    ),
                )
            }),
            rounded_check(
                "platform:rate_limit_limited:ratio_rate5m",
                &format!("{{{job},limiter=\"api\"}}"),
                limited / 100.0,
                "15m",
            ),
        );
    }
    // Dead letters: twice or half the threshold in 10 minutes.
    let t = thr("DeadLetterQueueGrowing");
    for (per_min, fires) in [(t / 5.0, true), (t / 20.0, false)] {
        case(
            &format!("dead letters +{per_min}/min"),
            series(&with_scope(&format!("{}{{{job},{q}}}", n.dead)), per_min, len),
            "DeadLetterQueueGrowing",
            15,
            fires.then(|| (
                q,
                format!("More than {} messages of installs (rabbitmq, {svc}) went to the dead-letter queue in 10 minutes.", fmt_f(t)),
            )),
            String::new(),
        );
    }
    // Backlog: 1.5 × or 0.2 × the threshold waiting; the processing latency between 0.1 and
    // 0.25 s.
    let t = thr("EventBacklogHigh");
    for (depth, fires) in [(1.5 * t, true), (0.2 * t, false)] {
        let input = gauge(&with_scope(&format!("{}{{{job},{q}}}", n.depth)), depth)
            + &latency(
                &n.process,
                &format!("{q},messaging_operation_name=\"process\","),
                0.1,
                Some(0.25),
            );
        case(
            &format!("backlog {depth}"),
            input,
            "EventBacklogHigh",
            15,
            fires.then(|| {
                (
                    q,
                    format!(
                        "More than {} messages wait in installs (rabbitmq, {svc}).",
                        fmt_f(t)
                    ),
                )
            }),
            process_checks.clone(),
        );
    }
    // Tokio: 2 workers busy above the threshold with the global queue growing by 1 a
    // minute; then busy half the threshold; then busy but the queue not growing.
    let rt = format!("{job},instance=\"svc:9464\"");
    let t = thr("TokioRuntimeSaturated");
    let busy = 120.0 * above(t);
    for (busy_per_min, queue_step, fires) in [
        (busy, 1.0, true),
        (120.0 * t / 2.0, 1.0, false),
        (busy, 0.0, false),
    ] {
        let input = series(
            &with_scope(&format!("tokio_worker_busy_time_seconds_total{{{rt}}}")),
            busy_per_min,
            len,
        ) + &gauge(&with_scope(&format!("tokio_workers{{{rt}}}")), 2.0)
            + &series(
                &with_scope(&format!("tokio_global_queue_length{{{rt}}}")),
                queue_step,
                len,
            );
        case(
            &format!("tokio busy {busy_per_min}s/min, queue +{queue_step}/min"),
            input,
            "TokioRuntimeSaturated",
            15,
            fires.then(|| (
                "instance=\"svc:9464\"",
                format!("The Tokio runtime of svc:9464 ({svc}) is busy more than {} of the time and its global queue grows: tasks wait for a worker.", pct("TokioRuntimeSaturated")),
            )),
            rounded_check(
                "platform:tokio_busy:ratio_rate5m",
                &format!("{{{rt}}}"),
                busy_per_min / 60.0 / 2.0,
                "15m",
            ),
        );
    }
    // LLM calls: of 100 a minute, above or half the threshold fail. Tokens: 1000 input a
    // minute.
    let t = thr("GenAiProviderErrorRatioHigh");
    let model = "gen_ai_operation_name=\"chat\",gen_ai_provider_name=\"openai\",gen_ai_request_model=\"gpt-4o\"";
    for (failed, fires) in [(100.0 * above(t), true), (100.0 * t / 2.0, false)] {
        let input = series(
            &with_scope(&format!(
                "{}_count{{{job},{model},error_type=\"timeout\"}}",
                n.genai
            )),
            failed,
            len,
        ) + &series(
            &with_scope(&format!("{}_count{{{job},{model}}}", n.genai)),
            100.0 - failed,
            len,
        ) + &series(
            &with_scope(&format!(
                "{}_sum{{{job},{model},gen_ai_token_type=\"input\"}}",
                n.tokens
            )),
            1000.0,
            len,
        ) + &series(
            &with_scope(&format!("{}{{{job},{model}}}", n.cost)),
            0.6,
            len,
        );
        case(
            &format!("llm errors {failed}%"),
            input,
            "GenAiProviderErrorRatioHigh",
            15,
            fires.then(|| (
                "gen_ai_provider_name=\"openai\"",
                format!("More than {} of openai calls from {svc} fail.", pct("GenAiProviderErrorRatioHigh")),
            )),
            rounded_check(
                "platform:gen_ai_errors:ratio_rate5m",
                &format!("{{{job},gen_ai_provider_name=\"openai\"}}"),
                failed / 100.0,
                "15m",
            ) + &rounded_check(
                "platform:gen_ai_tokens:rate5m",
                &format!("{{{job},gen_ai_provider_name=\"openai\",gen_ai_request_model=\"gpt-4o\",gen_ai_token_type=\"input\"}}"),
                1000.0 / 60.0,
                "15m",
            ),
        );
    }
    // Before the first failure an SDK (ours, or an official one) has no failure series: every
    // ratio reads 0. A service that is absent reads nothing.
    let pool = format!("{job},{POOL}=\"main\"");
    let input = series(
        &with_scope(&format!(
            "{}_count{{{job},http_response_status_code=\"200\"}}",
            n.http
        )),
        60.0,
        20,
    ) + &series(
        &with_scope(&format!("{}_count{{{job},{model}}}", n.genai)),
        60.0,
        20,
    ) + &series(
        &with_scope(&format!(
            "{}{{{job},limiter=\"api\",decision=\"allowed\"}}",
            n.limits
        )),
        60.0,
        20,
    ) + &gauge(
        &with_scope(&format!(
            "{}{{{pool},db_client_connection_state=\"idle\"}}",
            n.pool_count
        )),
        4.0,
    ) + &gauge(&with_scope(&format!("{}{{{pool}}}", n.pool_max)), 4.0);
    let ratios = [
        ("platform:http_server_5xx:ratio_rate5m", String::new()),
        (
            "platform:gen_ai_errors:ratio_rate5m",
            ",gen_ai_provider_name=\"openai\"".to_string(),
        ),
        (
            "platform:rate_limit_limited:ratio_rate5m",
            ",limiter=\"api\"".to_string(),
        ),
        (
            "platform:db_connection_usage:ratio",
            format!(",{POOL}=\"main\""),
        ),
    ];
    let _ = write!(out, "  - name: ratios before the first failure\n    interval: 1m\n    input_series:\n{input}    promql_expr_test:\n");
    for (rule, labels) in &ratios {
        out.push_str(&rounded_check(
            rule,
            &format!("{{{job}{labels}}}"),
            0.0,
            "15m",
        ));
    }
    let _ = write!(
        out,
        "  - name: ratios of an absent service\n    interval: 1m\n    input_series:\n{}    promql_expr_test:\n",
        series("some_other_total{job=\"other\"}", 60.0, 20)
    );
    for (rule, _) in &ratios {
        let _ = write!(
            out,
            "      - expr: '{rule}'\n        eval_time: 15m\n        exp_samples: []\n"
        );
    }
    out
}

/// `platform.json`: HTTP, DB and pools, queues, LLM calls, breakers and rate limits.
pub(crate) fn platform_dashboard(ns: Option<&str>) -> String {
    let n = Names::new(ns);
    let j = "job=\"$job\"";
    let r = "[$__rate_interval]";
    let rows: Vec<PanelRow<'_>> = vec![
        ("HTTP requests per second by route", "reqps", vec![(format!("sum by (http_route) (rate({}_count{{{j}}}{r}))", n.http), "{{http_route}}")]),
        ("HTTP 5xx ratio", "percentunit", vec![(format!("platform:http_server_5xx:ratio_rate5m{{{j}}}"), "5xx")]),
        ("HTTP p95 latency", "s", vec![(format!("platform:http_server_latency_seconds:p95_5m{{{j}}}"), "p95")]),
        ("DB p95 latency by system", "s", vec![(format!("platform:db_operation_latency_seconds:p95_5m{{{j}}}"), "{{db_system_name}}")]),
        ("DB operations per second", "ops", vec![(format!("sum by (db_operation_name, db_collection_name) (rate({}_count{{{j}}}{r}))", n.db), "{{db_operation_name}} {{db_collection_name}}")]),
        ("Pool connections used and max", "short", vec![
            (format!("sum by ({POOL}) ({}{{{j},db_client_connection_state=\"used\"}})", n.pool_count), "used {{db_client_connection_pool_name}}"),
            (format!("sum by ({POOL}) ({}{{{j}}})", n.pool_max), "max {{db_client_connection_pool_name}}"),
        ]),
        ("Pool usage ratio", "percentunit", vec![(format!("platform:db_connection_usage:ratio{{{j}}}"), "{{db_client_connection_pool_name}}")]),
        ("Pool waits and timeouts", "short", vec![
            (format!("sum by ({POOL}) ({}{{{j}}})", n.pool_pending), "pending {{db_client_connection_pool_name}}"),
            (format!("sum by ({POOL}) (rate({}{{{j}}}{r}))", n.pool_timeouts), "timeouts/s {{db_client_connection_pool_name}}"),
        ]),
        ("Queue depth and dead letters", "short", vec![
            (format!("sum by (messaging_destination_name) ({}{{{j}}})", n.depth), "depth {{messaging_destination_name}}"),
            (format!("sum by (messaging_destination_name) ({}{{{j}}})", n.dead), "dead letters {{messaging_destination_name}}"),
        ]),
        ("Messages sent and consumed per second", "short", vec![
            (format!("sum by (messaging_destination_name) (rate({}{{{j}}}{r}))", n.sent), "sent {{messaging_destination_name}}"),
            (format!("sum by (messaging_destination_name) (rate({}{{{j}}}{r}))", n.consumed), "consumed {{messaging_destination_name}}"),
        ]),
        ("Message processing p95", "s", vec![(format!("platform:messaging_process_latency_seconds:p95_5m{{{j}}}"), "{{messaging_destination_name}}")]),
        ("LLM error ratio by provider", "percentunit", vec![(format!("platform:gen_ai_errors:ratio_rate5m{{{j}}}"), "{{gen_ai_provider_name}}")]),
        ("LLM tokens per second", "short", vec![(format!("sum by (gen_ai_provider_name, gen_ai_token_type) (platform:gen_ai_tokens:rate5m{{{j}}})"), "{{gen_ai_provider_name}} {{gen_ai_token_type}}")]),
        ("LLM p95 latency by model", "s", vec![(format!("histogram_quantile(0.95, sum by (gen_ai_provider_name, gen_ai_request_model, le) (rate({}_bucket{{{j}}}{r})))", n.genai), "{{gen_ai_provider_name}} {{gen_ai_request_model}}")]),
        ("LLM cost per hour (USD)", "currencyUSD", vec![(format!("3600 * sum by (gen_ai_provider_name, gen_ai_request_model) (rate({}{{{j}}}{r}))", n.cost), "{{gen_ai_provider_name}} {{gen_ai_request_model}}")]),
        ("Circuit breakers open", "short", vec![(format!("max by (breaker) ({}{{{j},state=\"open\"}})", n.breaker_state), "{{breaker}}")]),
        ("Breaker calls by result", "reqps", vec![(format!("sum by (breaker, result) (rate({}{{{j}}}{r}))", n.breaker_calls), "{{breaker}} {{result}}")]),
        ("Rate limiting", "percentunit", vec![
            (format!("platform:rate_limit_limited:ratio_rate5m{{{j}}}"), "limited {{limiter}}"),
            (format!("max by (limiter) ({}{{{j}}})", n.usage), "budget used {{limiter}}"),
        ]),
    ];
    let panels = grid_panels(rows);
    dashboard(
        "marketplace-platform",
        "Platform: HTTP, DB, queues, LLM, resilience",
        panels,
        vec![],
    )
}
