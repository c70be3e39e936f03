//! promtool unit tests for every generated rule: synthetic series in, expected samples and
//! alerts out.

use std::fmt::Write as _;

use marketplace_telemetry::marketplace::catalog;
use marketplace_telemetry::marketplace::Label as _;

use crate::model::{fmt_f, name, slos, OPS};
use crate::objectives::{
    fmt_bytes, fmt_percent, fmt_seconds, humanize_1024, humanize_duration, humanize_percentage,
};
use crate::rules::{alert_rules, camel_case, slo_rules, yaml_str, Rule};
use crate::Options;

// === promtool unit tests ===

/// A counter series that grows by `per_min` each minute for `minutes`, in promtool notation.
pub(crate) fn series(labels: &str, per_min: f64, minutes: u32) -> String {
    format!(
        "      - series: '{labels}'\n        values: '0+{}x{minutes}'\n",
        fmt_f(per_min)
    )
}

/// A `promql_expr_test` on `round(10000 * expr)`: promtool compares floats exactly, and the
/// rounded value (an integer) is the same whatever the last bits of the computation.
pub(crate) fn rounded_check(expr: &str, labels: &str, value: f64, at: &str) -> String {
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

pub(crate) fn recording_tests(options: &Options) -> String {
    let ns = options.namespace.as_deref();
    let job = options.job.as_str();
    let mut out = String::from(
        "# Generated with the rules: every recording rule is evaluated against input series\n# with known rates, so a wrong selector or formula fails here.\nrule_files:\n  - ../rules/marketplace-recording.yml\nevaluation_interval: 1m\ntests:\n",
    );
    for op in OPS {
        let m = name(&op.duration, ns);
        let dim = op.duration.labels[0];
        // 60 ok/min + 6 errors/min; every success under the first bucket boundary above 0.01.
        let mut input = String::new();
        input.push_str(&series(
            &format!("{m}_count{{job=\"{job}\",{dim}=\"a\",outcome=\"success\"}}"),
            60.0,
            10,
        ));
        input.push_str(&series(
            &format!("{m}_count{{job=\"{job}\",{dim}=\"a\",outcome=\"error\"}}"),
            6.0,
            10,
        ));
        // 12 client faults/min: their own ratio, not the error ratio.
        input.push_str(&series(
            &format!("{m}_count{{job=\"{job}\",{dim}=\"a\",outcome=\"client_error\"}}"),
            12.0,
            10,
        ));
        // Bucket le=1 holds all 66/min, le=+Inf too; le=0.1 holds half.
        for (le, per_min) in [("0.1", 33.0), ("1", 66.0), ("+Inf", 66.0)] {
            input.push_str(&series(
                &format!("{m}_bucket{{job=\"{job}\",{dim}=\"a\",outcome=\"success\",le=\"{le}\"}}"),
                per_min,
                10,
            ));
        }
        let _ = write!(
            out,
            "  - name: {op} recording rules\n    interval: 1m\n    input_series:\n{input}    promql_expr_test:\n",
            op = op.operation.as_str()
        );
        let checks: [(String, String, f64); 5] = [
            (
                format!("marketplace:operation_requests:rate5m{{operation=\"{}\",outcome=\"success\"}}", op.operation.as_str()),
                format!("marketplace:operation_requests:rate5m{{job=\"{job}\",operation=\"{}\",outcome=\"success\"}}", op.operation.as_str()),
                1.0,
            ),
            (
                format!("marketplace:operation_errors:ratio_rate5m{{operation=\"{}\"}}", op.operation.as_str()),
                format!("marketplace:operation_errors:ratio_rate5m{{job=\"{job}\",operation=\"{}\"}}", op.operation.as_str()),
                6.0 / 78.0,
            ),
            (
                format!("marketplace:operation_client_errors:ratio_rate5m{{operation=\"{}\"}}", op.operation.as_str()),
                format!("marketplace:operation_client_errors:ratio_rate5m{{job=\"{job}\",operation=\"{}\"}}", op.operation.as_str()),
                12.0 / 78.0,
            ),
            (
                format!("marketplace:operation_latency_seconds:p50_5m{{operation=\"{}\"}}", op.operation.as_str()),
                format!("marketplace:operation_latency_seconds:p50_5m{{job=\"{job}\",operation=\"{}\"}}", op.operation.as_str()),
                0.1,
            ),
            (
                format!("marketplace:operation_latency_seconds:p95_5m{{operation=\"{}\"}}", op.operation.as_str()),
                format!("marketplace:operation_latency_seconds:p95_5m{{job=\"{job}\",operation=\"{}\"}}", op.operation.as_str()),
                0.1 + 0.9 * (0.95 * 66.0 - 33.0) / 33.0,
            ),
        ];
        let p99 = 0.1 + 0.9 * (0.99 * 66.0 - 33.0) / 33.0;
        for (expr, labels, value) in checks.iter().cloned().chain(std::iter::once((
            format!(
                "marketplace:operation_latency_seconds:p99_5m{{operation=\"{}\"}}",
                op.operation.as_str()
            ),
            format!(
                "marketplace:operation_latency_seconds:p99_5m{{job=\"{job}\",operation=\"{}\"}}",
                op.operation.as_str()
            ),
            p99,
        ))) {
            out.push_str(&rounded_check(&expr, &labels, value, "10m"));
        }
    }
    // Before the first failure (or hit) an SDK has created no series for it: every ratio reads
    // 0, not "no data". A service that is absent (only another job's series) reads nothing.
    let search = name(&catalog::SEARCH_DURATION, ns);
    let cache = name(&catalog::CACHE_REQUESTS, ns);
    let ratios = [
        (
            "marketplace:operation_errors:ratio_rate5m",
            ",operation=\"search\"",
        ),
        (
            "marketplace:operation_client_errors:ratio_rate5m",
            ",operation=\"search\"",
        ),
        ("marketplace:cache_hit:ratio_rate5m", ",cache=\"search\""),
    ];
    let _ = write!(
        out,
        "  - name: ratios before the first failure or hit\n    interval: 1m\n    input_series:\n{}{}    promql_expr_test:\n",
        series(&format!("{search}_count{{job=\"{job}\",item_type=\"a\",outcome=\"success\"}}"), 60.0, 10),
        series(&format!("{cache}{{job=\"{job}\",cache=\"search\",result=\"miss\"}}"), 60.0, 10),
    );
    for (rule, labels) in ratios {
        out.push_str(&rounded_check(
            rule,
            &format!("{{job=\"{job}\"{labels}}}"),
            0.0,
            "10m",
        ));
    }
    let _ = write!(
        out,
        "  - name: ratios of an absent service\n    interval: 1m\n    input_series:\n{}    promql_expr_test:\n",
        series("some_other_total{job=\"other\"}", 60.0, 10),
    );
    for (rule, _) in ratios {
        let _ = write!(
            out,
            "      - expr: '{rule}'\n        eval_time: 10m\n        exp_samples: []\n"
        );
    }
    let cache = name(&catalog::CACHE_REQUESTS, ns);
    let errors = name(&catalog::ERRORS, ns);
    let mut input = String::new();
    input.push_str(&series(
        &format!("{cache}{{job=\"{job}\",cache=\"search\",result=\"hit\"}}"),
        45.0,
        10,
    ));
    input.push_str(&series(
        &format!("{cache}{{job=\"{job}\",cache=\"search\",result=\"miss\"}}"),
        15.0,
        10,
    ));
    input.push_str(&series(
        &format!("{errors}{{job=\"{job}\",operation=\"install\",error_code=\"timeout\"}}"),
        3.0,
        10,
    ));
    let _ = write!(
        out,
        "  - name: cache and error-code rules\n    interval: 1m\n    input_series:\n{input}    promql_expr_test:\n{}{}",
        rounded_check("marketplace:cache_hit:ratio_rate5m", &format!("{{job=\"{job}\",cache=\"search\"}}"), 0.75, "10m"),
        rounded_check("marketplace:errors_by_code:rate5m", &format!("{{job=\"{job}\",operation=\"install\",error_code=\"timeout\"}}"), 0.05, "10m"),
    );
    out
}

/// Alert unit tests: every alert fires on input that breaks its threshold (from the
/// objectives) and stays silent on input that does not; the `up` and process alerts are fed
/// series of scrape job `options.job`.
pub(crate) fn alert_tests(options: &Options) -> String {
    let ns = options.namespace.as_deref();
    let job = options.job.as_str();
    let o = &options.objectives;
    let search = name(&catalog::SEARCH_DURATION, ns);
    let lookup = name(&catalog::CACHE_LOOKUP_DURATION, ns);
    let rdf = name(&catalog::RDF_QUERY_DURATION, ns);
    let publish = name(&catalog::PUBLISH_DURATION, ns);
    let cache = name(&catalog::CACHE_REQUESTS, ns);
    let mut out = String::from(
        "# Every alert fires on input that breaks its threshold and stays silent on input that\n# does not.\nrule_files:\n  - ../rules/marketplace-recording.yml\n  - ../rules/marketplace-alerts.yml\nevaluation_interval: 1m\ntests:\n",
    );
    let rules = alert_rules(options);
    // Evaluate 10 minutes after `for:` has passed (at least at 25m), with 5 minutes of input
    // to spare.
    let timing = |alert: &str| {
        let eval = (o.alert(alert).for_.minutes() + 10).max(25) as u32;
        (eval, eval + 5)
    };
    let threshold = |alert: &str| o.alert(alert).threshold.unwrap_or(0.0);
    // `firing`: (component, extra label, rendered description).
    let alert_case = |out: &mut String,
                      name: &str,
                      input: &dyn Fn(u32) -> String,
                      alert: &str,
                      firing: Option<Firing<'_>>| {
        let (eval, minutes) = timing(alert);
        let _ = write!(out, "  - name: {name}\n    interval: 1m\n    input_series:\n{}    alert_rule_test:\n      - eval_time: {eval}m\n        alertname: {alert}\n", input(minutes));
        match firing {
            Some((component, extra, description)) => {
                let _ = write!(out, "        exp_alerts:\n          - exp_labels:\n              severity: {}\n              component: {component}\n              job: {job}\n", o.alert(alert).severity);
                if let Some((k, v)) = extra {
                    let _ = writeln!(out, "              {k}: {v}");
                }
                out.push_str(&exp_annotations(&rules, alert, &description));
            }
            None => out.push_str("        exp_alerts: []\n"),
        }
    };

    // Latency: every request between two bucket boundaries, so the quantile is exact.
    let latency_between = |m: &str, lo: f64, hi: Option<f64>, minutes: u32| {
        let mut s = series(
            &format!("{m}_count{{job=\"{job}\",outcome=\"success\"}}"),
            60.0,
            minutes,
        );
        let mut buckets = vec![(fmt_f(lo), 0.0)];
        if let Some(hi) = hi {
            buckets.push((fmt_f(hi), 60.0));
        }
        buckets.push(("+Inf".to_string(), 60.0));
        for (le, n) in buckets {
            s.push_str(&series(
                &format!("{m}_bucket{{job=\"{job}\",outcome=\"success\",le=\"{le}\"}}"),
                n,
                minutes,
            ));
        }
        s
    };
    for (alert, spec, metric, q, what, component) in [
        (
            "MarketplaceSearchLatencyHigh",
            &catalog::SEARCH_DURATION,
            &search,
            0.95,
            "Search",
            "search",
        ),
        (
            "MarketplaceSearchLatencyCritical",
            &catalog::SEARCH_DURATION,
            &search,
            0.95,
            "Search",
            "search",
        ),
        (
            "MarketplaceRdfQueryLatencyHigh",
            &catalog::RDF_QUERY_DURATION,
            &rdf,
            0.95,
            "RDF query",
            "rdf",
        ),
        (
            "MarketplaceSearchLatencyP99High",
            &catalog::SEARCH_DURATION,
            &search,
            0.99,
            "Search",
            "search",
        ),
        (
            "MarketplacePublishLatencyHigh",
            &catalog::PUBLISH_DURATION,
            &publish,
            0.95,
            "Publish",
            "publish",
        ),
    ] {
        let t = threshold(alert);
        let b = spec.boundaries;
        let q: f64 = q;
        let p = (q * 100.0).round();
        // Breach: every request in the first bucket at or above the threshold (past the last
        // boundary the quantile reads as that boundary, still above the threshold).
        let at = b.iter().position(|&x| x >= t).unwrap_or(b.len() - 1);
        let (lo, hi) = (b[at], b.get(at + 1).copied());
        let value = hi.map_or(lo, |hi| lo + (hi - lo) * q);
        alert_case(
            &mut out,
            &format!("{} p{p} above {}", what.to_lowercase(), fmt_seconds(t)),
            &|m| latency_between(metric, lo, hi, m),
            alert,
            Some((
                component,
                None,
                format!(
                    "{what} p{p} latency on {job} is {} (threshold {}).",
                    humanize_duration(value),
                    fmt_seconds(t)
                ),
            )),
        );
        // Healthy: every request in the last bucket at or below the threshold.
        let below = b.iter().rposition(|&x| x <= t).unwrap_or(0);
        let lo = if below == 0 { 0.0 } else { b[below - 1] };
        alert_case(
            &mut out,
            &format!("{} p{p} below {}", what.to_lowercase(), fmt_seconds(t)),
            &|m| latency_between(metric, lo, Some(b[below]), m),
            alert,
            None,
        );
    }

    // Operations: 100 successful searches a minute and `bad` a minute of outcome `bad_outcome`
    // (`error`, `client_error` or `cancelled`); the other failed outcomes at 0.
    let ops_input = |bad_outcome: &str, bad: f64, minutes: u32| {
        let mut s = String::new();
        for outcome in ["success", "error", "client_error", "cancelled"] {
            let n = match outcome {
                "success" => 100.0,
                o if o == bad_outcome => bad,
                _ => 0.0,
            };
            s.push_str(&series(
                &format!("{search}_count{{job=\"{job}\",outcome=\"{outcome}\"}}"),
                n,
                minutes,
            ));
        }
        // Cache lookups (all fine) are not operations of the error ratio: with them counted
        // the ratio read 25/425 instead of 25/125.
        s.push_str(&series(
            &format!("{lookup}_count{{job=\"{job}\",outcome=\"success\"}}"),
            300.0,
            minutes,
        ));
        s
    };
    // A failed share above the threshold: the first of 20%, 50%, 80%, 95% above it; below:
    // half the threshold. (Per minute: n bad of 100 good reads n / (100 + n).)
    let above = |t: f64| {
        let r = [0.2, 0.5, 0.8, 0.95]
            .into_iter()
            .find(|&r| r > t)
            .unwrap_or(0.95);
        (100.0 * r / (1.0 - r), r)
    };
    let below = |t: f64| 100.0 * (t / 2.0) / (1.0 - t / 2.0);
    for (alert, outcome, what) in [
        ("MarketplaceErrorRatioHigh", "error", "error ratio"),
        (
            "MarketplaceErrorPercentageHigh",
            "error",
            "error percentage",
        ),
        (
            "MarketplaceClientErrorRatioHigh",
            "client_error",
            "client error ratio",
        ),
        (
            "MarketplaceOperationsCancelled",
            "cancelled",
            "cancelled operations",
        ),
    ] {
        let t = threshold(alert);
        let (bad, ratio) = above(t);
        let ratio = humanize_percentage(ratio);
        let description = match outcome {
            "cancelled" => format!("{ratio} of operations on {job} were dropped before they finished (client timeouts or disconnects)."),
            "client_error" => format!("{ratio} of operations on {job} ended in a client fault (rate_limited, not_found, validation_failed, conflict, unauthorized) over 5 minutes (threshold {}); these burn no error budget.", fmt_percent(t)),
            _ => format!("{ratio} of operations on {job} failed with a server fault over 5 minutes (threshold {}; client faults and cache lookups not counted).", fmt_percent(t)),
        };
        alert_case(
            &mut out,
            &format!("{what} above {}", fmt_percent(t)),
            &|m| ops_input(outcome, bad, m),
            alert,
            Some(("marketplace", None, description)),
        );
        alert_case(
            &mut out,
            &format!("{what} below {}", fmt_percent(t)),
            &|m| ops_input(outcome, below(t), m),
            alert,
            None,
        );
    }
    // A flood of client faults (95% of operations, e.g. a throttled free tier answered
    // `rate_limited`) pages nobody: neither server-error alert fires.
    for alert in [
        "MarketplaceErrorRatioHigh",
        "MarketplaceErrorPercentageHigh",
    ] {
        alert_case(
            &mut out,
            &format!("a client error flood does not fire {alert}"),
            &|m| ops_input("client_error", 1900.0, m),
            alert,
            None,
        );
    }

    let cache_input = |hits: f64, minutes: u32| {
        let mut s = series(
            &format!("{cache}{{job=\"{job}\",cache=\"search\",result=\"hit\"}}"),
            hits,
            minutes,
        );
        s.push_str(&series(
            &format!("{cache}{{job=\"{job}\",cache=\"search\",result=\"miss\"}}"),
            100.0 - hits,
            minutes,
        ));
        s
    };
    let t = threshold("MarketplaceCacheHitRatioLow");
    let low = if t > 0.5 { 0.5 } else { t / 2.0 };
    alert_case(
        &mut out,
        &format!("cache hit ratio below {}", fmt_percent(t)),
        &|m| cache_input(100.0 * low, m),
        "MarketplaceCacheHitRatioLow",
        Some((
            "cache",
            // The cache alert keeps the per-cache label of its recording rule.
            Some(("cache", "search")),
            format!(
                "Cache search on {job} hits {} of lookups (threshold {}).",
                humanize_percentage(low),
                fmt_percent(t)
            ),
        )),
    );
    alert_case(
        &mut out,
        &format!("cache hit ratio above {}", fmt_percent(t)),
        &|m| cache_input(100.0 * (1.0 + t) / 2.0, m),
        "MarketplaceCacheHitRatioLow",
        None,
    );

    let telemetry_input = |failing: f64, dropped: f64, minutes: u32| {
        let mut s = String::new();
        s.push_str(&series(&format!("telemetry_export_items_total{{job=\"{job}\",signal=\"traces\",outcome=\"failure\"}}"), failing, minutes));
        s.push_str(&series(&format!("otel_sdk_processor_span_processed_total{{job=\"{job}\",error_type=\"queue_full\"}}"), dropped, minutes));
        s.push_str(&series(
            &format!(
                "otel_sdk_processor_log_processed_total{{job=\"{job}\",error_type=\"queue_full\"}}"
            ),
            dropped / 2.0,
            minutes,
        ));
        s
    };
    for (alert, failing, dropped, extra, description, healthy) in [
        ("TelemetryExportFailing", 60.0, 0.0, Some(("signal", "traces")), format!("{job} loses 1 traces items/s: the OTLP collector rejects or does not answer."), "export healthy"),
        ("TelemetrySpansDropped", 0.0, 120.0, None, format!("{job} drops 2 spans/s because the batch queue is full (collector slow or down)."), "no spans dropped"),
        ("TelemetryLogRecordsDropped", 0.0, 120.0, None, format!("{job} drops 1 log records/s because the OTLP log queue is full (collector slow or down)."), "no log records dropped"),
    ] {
        alert_case(
            &mut out,
            &camel_to_words(alert),
            &|m| telemetry_input(failing, dropped, m),
            alert,
            Some(("telemetry", extra, description)),
        );
        alert_case(&mut out, healthy, &|m| telemetry_input(0.0, 0.0, m), alert, None);
    }

    // Down from minute 3: silent before, firing once `for:` has passed.
    let down = o.alert("MarketplaceServiceDown");
    let fire_at = 3 + down.for_.minutes() + 4;
    let _ = write!(out, "  - name: service down\n    interval: 1m\n    input_series:\n      - series: 'up{{job=\"{job}\",instance=\"127.0.0.1:9464\"}}'\n        values: '1 1 1 0x{}'\n    alert_rule_test:\n      - eval_time: 2m\n        alertname: MarketplaceServiceDown\n        exp_alerts: []\n      - eval_time: {fire_at}m\n        alertname: MarketplaceServiceDown\n        exp_alerts:\n          - exp_labels:\n              severity: {}\n              component: marketplace\n              job: {job}\n              instance: 127.0.0.1:9464\n{}", fire_at + 2, down.severity, exp_annotations(&rules, "MarketplaceServiceDown", &format!("Prometheus cannot scrape 127.0.0.1:9464 (job {job}).")));
    // Instance a at twice the threshold, b at a tenth of it.
    let memory = o.alert("MarketplaceHighResidentMemory");
    let t = memory.threshold.unwrap_or(1_073_741_824.0);
    let eval = memory.for_.minutes() + 5;
    let _ = write!(out, "  - name: resident memory\n    interval: 1m\n    input_series:\n      - series: 'process_resident_memory_bytes{{job=\"{job}\",instance=\"a\"}}'\n        values: '{}x{n}'\n      - series: 'process_resident_memory_bytes{{job=\"{job}\",instance=\"b\"}}'\n        values: '{}x{n}'\n    alert_rule_test:\n      - eval_time: {eval}m\n        alertname: MarketplaceHighResidentMemory\n        exp_alerts:\n          - exp_labels:\n              severity: {}\n              component: process\n              job: {job}\n              instance: a\n{}", fmt_f(2.0 * t), fmt_f(t / 10.0), memory.severity, exp_annotations(&rules, "MarketplaceHighResidentMemory", &format!("a uses {}B resident memory (threshold {}).", humanize_1024(2.0 * t), fmt_bytes(t))), n = eval + 10);
    out
}

/// An expected alert of a test case: (component, an extra label, rendered description).
type Firing<'a> = (&'a str, Option<(&'a str, &'a str)>, String);

/// `TelemetrySpansDropped` → `telemetry spans dropped`.
fn camel_to_words(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_uppercase() && !out.is_empty() {
            out.push(' ');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// `exp_annotations` of an alert: its summary and runbook as generated, the description as
/// Prometheus renders it for the test's input.
pub(crate) fn exp_annotations(rules: &[Rule], alert: &str, description: &str) -> String {
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

/// SLO unit tests; every input series carries the service's scrape job `job`.
pub(crate) fn slo_tests(options: &Options) -> String {
    let ns = options.namespace.as_deref();
    let job = options.job.as_str();
    let o = &options.objectives;
    let windows = o.windows();
    // Evaluate once both burn alerts' `for:` have passed, with input to spare.
    let eval = (o.fast.for_.minutes().max(o.slow.for_.minutes()) + 50).max(110) as u32;
    let minutes = eval + 10;
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
            &format!("{m}_count{{job=\"{job}\",outcome=\"success\"}}"),
            100.0,
            minutes,
        ));
        s.push_str(&series(
            &format!("{m}_bucket{{job=\"{job}\",outcome=\"success\",le=\"{le}\"}}"),
            100.0 - bad,
            minutes,
        ));
        s
    };
    let ops_input = |bad_outcome: &str, bad: f64| {
        let mut s = String::new();
        for op in OPS {
            let m = name(&op.duration, ns);
            // Searches carry the errors; cache lookups (300/min, all successful) must not
            // dilute the ratio: the old definition counted them and read bad/400.
            let (ok, err) = match op.operation.as_str() {
                "search" => (100.0 - bad, bad),
                "cache_lookup" => (300.0, 0.0),
                _ => (0.0, 0.0),
            };
            s.push_str(&series(
                &format!("{m}_count{{job=\"{job}\",outcome=\"success\"}}"),
                ok,
                minutes,
            ));
            s.push_str(&series(
                &format!("{m}_count{{job=\"{job}\",outcome=\"{bad_outcome}\"}}"),
                err,
                minutes,
            ));
        }
        s
    };
    let up = |values: &str| {
        format!(
            "      - series: 'up{{job=\"{job}\",instance=\"a\"}}'\n        values: '{values}'\n"
        )
    };
    let http_input = |bad: f64| {
        let mut s = up(&format!("1x{minutes}"));
        s.push_str(&series(&format!("http_server_request_duration_seconds_count{{job=\"{job}\",http_response_status_code=\"200\"}}"), 100.0 - bad, minutes));
        s.push_str(&series(&format!("http_server_request_duration_seconds_count{{job=\"{job}\",http_response_status_code=\"503\"}}"), bad, minutes));
        s
    };
    let cache_input = |bad: f64| {
        let mut s = String::new();
        s.push_str(&series(
            &format!("{cache}{{job=\"{job}\",cache=\"search\",result=\"hit\"}}"),
            100.0 - bad,
            minutes,
        ));
        s.push_str(&series(
            &format!("{cache}{{job=\"{job}\",cache=\"search\",result=\"miss\"}}"),
            bad,
            minutes,
        ));
        s
    };
    let max_factor = o
        .fast
        .windows
        .iter()
        .chain(&o.slow.windows)
        .map(|w| w.factor)
        .fold(1.0, f64::max);
    let le = |slo: &str| fmt_f(o.slo(slo).threshold.unwrap_or(0.1));
    for slo in slos(options) {
        let budget = 1.0 - slo.objective;
        // Burning: bad ratio = (largest burn factor + 5.6) × budget (20 × by default; capped
        // at 90%), which breaks the fast page when possible; healthy: half the budget.
        let burning = ((max_factor + 5.6) * budget).min(0.9) * 100.0;
        let healthy = 0.5 * budget * 100.0;
        let input = |bad: f64| match slo.name {
            "search-latency" => latency_input(&search, &le("search-latency"), bad),
            "lookup-latency" => latency_input(&lookup, &le("lookup-latency"), bad),
            "rdf-latency" => latency_input(&rdf, &le("rdf-latency"), bad),
            "errors" => ops_input("error", bad),
            "availability" => http_input(bad),
            _ => cache_input(bad),
        };
        let _ = write!(
            out,
            "  - name: {} burning\n    interval: 1m\n    input_series:\n{}    promql_expr_test:\n",
            slo.name,
            input(burning)
        );
        let labels = format!("{{job=\"{job}\",slo=\"{}\"}}", slo.name);
        let at = format!("{eval}m");
        for w in &windows {
            out.push_str(&rounded_check(
                &format!("slo:sli_error:ratio_rate{}{{slo=\"{}\"}}", w.text, slo.name),
                &labels,
                burning / 100.0,
                &at,
            ));
        }
        out.push_str(&rounded_check(
            &format!("slo:error_budget:remaining_ratio{{slo=\"{}\"}}", slo.name),
            &labels,
            1.0 - (burning / 100.0) / budget,
            &at,
        ));
        // The objective reads no series: it carries the selector's labels itself.
        let objective_labels = std::iter::once(format!("slo=\"{}\"", slo.name))
            .chain(
                options
                    .selector
                    .equalities()
                    .map(|(k, v)| format!("{k}=\"{v}\"")),
            )
            .collect::<Vec<_>>()
            .join(",");
        out.push_str(&rounded_check(
            &format!("slo:objective:ratio{{slo=\"{}\"}}", slo.name),
            &format!("{{{objective_labels}}}"),
            slo.objective,
            &at,
        ));
        let camel = camel_case(slo.name);
        // Which burn alerts exist (a factor whose threshold is ≥ 100% is left out) and
        // whether the burning input breaks one of their conditions.
        let alert_state = |windows: &[crate::objectives::Window]| {
            let thresholds: Vec<f64> = windows
                .iter()
                .map(|w| w.factor * budget)
                .filter(|t| *t < 1.0)
                .collect();
            (
                !thresholds.is_empty(),
                thresholds.iter().any(|t| burning / 100.0 > *t),
            )
        };
        let (can_page, pages) = alert_state(&o.fast.windows);
        let (can_ticket, tickets) = alert_state(&o.slow.windows);
        let slo_alerts = slo_rules(options);
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
        for (exists, fires, kind, severity) in [
            (can_page, pages, "Fast", &o.fast.severity),
            (can_ticket, tickets, "Slow", &o.slow.severity),
        ] {
            if !exists {
                continue;
            }
            let alert = format!("Slo{camel}ErrorBudgetBurn{kind}");
            if fires {
                let _ = write!(out, "      - eval_time: {eval}m\n        alertname: {alert}\n        exp_alerts:\n          - exp_labels:\n              severity: {severity}\n              component: {c}\n              slo: {n}\n              job: {job}\n{a}", c = slo.component, n = slo.name, a = annotations(&alert));
            } else {
                let _ = write!(out, "      - eval_time: {eval}m\n        alertname: {alert}\n        exp_alerts: []\n");
            }
        }
        let _ = write!(
            out,
            "  - name: {} healthy\n    interval: 1m\n    input_series:\n{}    alert_rule_test:\n",
            slo.name,
            input(healthy)
        );
        for (exists, kind) in [(can_page, "Fast"), (can_ticket, "Slow")] {
            if exists {
                let _ = write!(out, "      - eval_time: {eval}m\n        alertname: Slo{camel}ErrorBudgetBurn{kind}\n        exp_alerts: []\n");
            }
        }
    }
    // The errors SLO's burning input as client faults (`rate_limited`, ...): the SLI stays 0
    // over every window and no burn alert fires (the same flood of `timeout` above fires).
    if let Some(errors) = slos(options).iter().find(|s| s.name == "errors") {
        let budget = 1.0 - errors.objective;
        let flood = ((max_factor + 5.6) * budget).min(0.9) * 100.0;
        let _ = write!(
            out,
            "  - name: errors client fault flood burns no budget\n    interval: 1m\n    input_series:\n{}    promql_expr_test:\n",
            ops_input("client_error", flood)
        );
        for w in &windows {
            out.push_str(&rounded_check(
                &format!("slo:sli_error:ratio_rate{}{{slo=\"errors\"}}", w.text),
                &format!("{{job=\"{job}\",slo=\"errors\"}}"),
                0.0,
                &format!("{eval}m"),
            ));
        }
        out.push_str("    alert_rule_test:\n");
        for kind in ["Fast", "Slow"] {
            let _ = write!(out, "      - eval_time: {eval}m\n        alertname: SloErrorsErrorBudgetBurn{kind}\n        exp_alerts: []\n");
        }
    }
    let shortest = &windows[0];
    let window = windows
        .iter()
        .find(|w| w.secs >= 7200)
        .unwrap_or(&windows[windows.len() - 1]);
    // Before the first miss the cache-hit SLI is 0 too.
    let _ = write!(
        out,
        "  - name: cache-hit before the first miss\n    interval: 1m\n    input_series:\n{}    promql_expr_test:\n{}",
        series(&format!("{cache}{{job=\"{job}\",cache=\"search\",result=\"hit\"}}"), 100.0, 20),
        rounded_check(&format!("slo:sli_error:ratio_rate{}{{slo=\"cache-hit\"}}", windows[0].text), &format!("{{job=\"{job}\",slo=\"cache-hit\"}}"), 0.0, "15m"),
    );
    // Before the first 5xx there is no bad series at all: the SLI must be 0, not empty.
    let _ = write!(
        out,
        "  - name: availability before the first server error\n    interval: 1m\n    input_series:\n{}    promql_expr_test:\n{}",
        up("1x20") + &series(&format!("http_server_request_duration_seconds_count{{job=\"{job}\",http_response_status_code=\"200\"}}"), 100.0, 20),
        rounded_check(&format!("slo:sli_error:ratio_rate{}{{slo=\"availability\"}}", shortest.text), &format!("{{job=\"{job}\",slo=\"availability\"}}"), 0.0, "15m"),
    );
    // Down for the second half of a window (2 h by default), no server error ever: half of
    // it was unavailable. (The 5xx-only definition read 0 here: a service that is down
    // burned no budget.)
    let half = window.minutes() / 2;
    let _ = write!(
        out,
        "  - name: availability counts the time the target was down\n    interval: 1m\n    input_series:\n{}      - series: 'http_server_request_duration_seconds_count{{job=\"{job}\",http_response_status_code=\"200\"}}'\n        values: '0+100x{} _x{half}'\n    promql_expr_test:\n{}",
        up(&format!("1x{} 0x{half}", half - 1)),
        half - 1,
        rounded_check(&format!("slo:sli_error:ratio_rate{}{{slo=\"availability\"}}", window.text), &format!("{{job=\"{job}\",slo=\"availability\"}}"), 0.5, &format!("{}m", 2 * half - 1)),
    );
    out
}

// === dashboards ===
