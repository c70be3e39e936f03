//! promtool unit tests for every generated rule: synthetic series in, expected samples and
//! alerts out.

use std::fmt::Write as _;

use marketplace_telemetry::marketplace::catalog;
use marketplace_telemetry::marketplace::Label as _;

use crate::model::{fmt_f, name, slos, OPS, WINDOWS};
use crate::rules::{alert_rules, camel_case, slo_rules, yaml_str, Rule};
use crate::JOB;

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

pub(crate) fn recording_tests(ns: Option<&str>) -> String {
    let mut out = String::from(
        "# Generated with the rules: every recording rule is evaluated against input series\n# with known rates, so a wrong selector or formula fails here.\nrule_files:\n  - ../rules/marketplace-recording.yml\nevaluation_interval: 1m\ntests:\n",
    );
    for op in OPS {
        let m = name(&op.duration, ns);
        let dim = op.duration.labels[0];
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
            op = op.operation.as_str()
        );
        let checks: [(String, String, f64); 4] = [
            (
                format!("marketplace:operation_requests:rate5m{{operation=\"{}\",outcome=\"success\"}}", op.operation.as_str()),
                format!("marketplace:operation_requests:rate5m{{job=\"{JOB}\",operation=\"{}\",outcome=\"success\"}}", op.operation.as_str()),
                1.0,
            ),
            (
                format!("marketplace:operation_errors:ratio_rate5m{{operation=\"{}\"}}", op.operation.as_str()),
                format!("marketplace:operation_errors:ratio_rate5m{{job=\"{JOB}\",operation=\"{}\"}}", op.operation.as_str()),
                6.0 / 66.0,
            ),
            (
                format!("marketplace:operation_latency_seconds:p50_5m{{operation=\"{}\"}}", op.operation.as_str()),
                format!("marketplace:operation_latency_seconds:p50_5m{{job=\"{JOB}\",operation=\"{}\"}}", op.operation.as_str()),
                0.1,
            ),
            (
                format!("marketplace:operation_latency_seconds:p95_5m{{operation=\"{}\"}}", op.operation.as_str()),
                format!("marketplace:operation_latency_seconds:p95_5m{{job=\"{JOB}\",operation=\"{}\"}}", op.operation.as_str()),
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
                "marketplace:operation_latency_seconds:p99_5m{{job=\"{JOB}\",operation=\"{}\"}}",
                op.operation.as_str()
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

/// Alert unit tests; the `up` and process alerts are fed series of scrape job `job`.
pub(crate) fn alert_tests(ns: Option<&str>, job: &str) -> String {
    let search = name(&catalog::SEARCH_DURATION, ns);
    let lookup = name(&catalog::CACHE_LOOKUP_DURATION, ns);
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
    let rules = alert_rules(ns, job);
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

    // Every request between `lo` and `hi` seconds.
    let latency_between = |m: &str, lo: &str, hi: &str, total: f64| {
        let mut s = String::new();
        s.push_str(&series(
            &format!("{m}_count{{job=\"{JOB}\",outcome=\"success\"}}"),
            total,
            30,
        ));
        for (le, n) in [(lo, 0.0), (hi, total), ("+Inf", total)] {
            s.push_str(&series(
                &format!("{m}_bucket{{job=\"{JOB}\",outcome=\"success\",le=\"{le}\"}}"),
                n,
                30,
            ));
        }
        s
    };
    let publish = name(&catalog::PUBLISH_DURATION, ns);
    // Searches between 1 and 2.5 s → p99 = 1 + 1.5 × 0.99.
    alert_case(
        &mut out,
        "search p99 above 1 s",
        latency_between(&search, "1", "2.5", 60.0),
        "MarketplaceSearchLatencyP99High",
        Some((
            "warning",
            "search",
            "Search p99 latency on marketplace is 2.485s (threshold 1 s).",
        )),
    );
    alert_case(
        &mut out,
        "search p99 below 1 s",
        latency_between(&search, "0.5", "1", 60.0),
        "MarketplaceSearchLatencyP99High",
        None,
    );
    // Publishes between 5 and 10 s → p95 = 5 + 5 × 0.95.
    alert_case(
        &mut out,
        "publish p95 above 5 s",
        latency_between(&publish, "5", "10", 60.0),
        "MarketplacePublishLatencyHigh",
        Some((
            "warning",
            "publish",
            "Publish p95 latency on marketplace is 9.75s (threshold 5 s).",
        )),
    );
    alert_case(
        &mut out,
        "publish p95 below 5 s",
        latency_between(&publish, "2.5", "5", 60.0),
        "MarketplacePublishLatencyHigh",
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
        // Cache lookups (all fine) are not operations of the error ratio: with them counted
        // the ratio read 25/425 instead of 25/125.
        s.push_str(&series(
            &format!("{lookup}_count{{job=\"{JOB}\",outcome=\"success\"}}"),
            300.0,
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
            "critical",
            "marketplace",
            "20% of operations on marketplace failed over 5 minutes (threshold 1%, cache lookups not counted).",
        )),
    );
    alert_case(
        &mut out,
        "error percentage above 5%",
        ops_input(25.0, 0.0),
        "MarketplaceErrorPercentageHigh",
        Some((
            "warning",
            "marketplace",
            "20% of operations on marketplace failed over 5 minutes (threshold 5%, cache lookups not counted).",
        )),
    );
    // 3 of 103 = 2.9 %: pages (> 1 %), no 5 % warning.
    alert_case(
        &mut out,
        "error percentage below 5%",
        ops_input(3.0, 0.0),
        "MarketplaceErrorPercentageHigh",
        None,
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

    let _ = write!(out, "  - name: service down\n    interval: 1m\n    input_series:\n      - series: 'up{{job=\"{job}\",instance=\"127.0.0.1:9464\"}}'\n        values: '1 1 1 0x10'\n    alert_rule_test:\n      - eval_time: 2m\n        alertname: MarketplaceServiceDown\n        exp_alerts: []\n      - eval_time: 8m\n        alertname: MarketplaceServiceDown\n        exp_alerts:\n          - exp_labels:\n              severity: critical\n              component: marketplace\n              job: {job}\n              instance: 127.0.0.1:9464\n{}", exp_annotations(&rules, "MarketplaceServiceDown", &format!("Prometheus cannot scrape 127.0.0.1:9464 (job {job}).")));
    let _ = write!(out, "  - name: resident memory\n    interval: 1m\n    input_series:\n      - series: 'process_resident_memory_bytes{{job=\"{job}\",instance=\"a\"}}'\n        values: '2000000000x30'\n      - series: 'process_resident_memory_bytes{{job=\"{job}\",instance=\"b\"}}'\n        values: '100000000x30'\n    alert_rule_test:\n      - eval_time: 20m\n        alertname: MarketplaceHighResidentMemory\n        exp_alerts:\n          - exp_labels:\n              severity: warning\n              component: process\n              job: {job}\n              instance: a\n{}", exp_annotations(&rules, "MarketplaceHighResidentMemory", "a uses 1.863GiB resident memory (threshold 1 GiB)."));
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
pub(crate) fn slo_tests(ns: Option<&str>, job: &str) -> String {
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
            120,
        ));
        s.push_str(&series(
            &format!("{m}_bucket{{job=\"{job}\",outcome=\"success\",le=\"{le}\"}}"),
            100.0 - bad,
            120,
        ));
        s
    };
    let ops_input = |bad: f64| {
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
                120,
            ));
            s.push_str(&series(
                &format!("{m}_count{{job=\"{job}\",outcome=\"error\"}}"),
                err,
                120,
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
        let mut s = up("1x120");
        s.push_str(&series(&format!("http_server_request_duration_seconds_count{{job=\"{job}\",http_response_status_code=\"200\"}}"), 100.0 - bad, 120));
        s.push_str(&series(&format!("http_server_request_duration_seconds_count{{job=\"{job}\",http_response_status_code=\"503\"}}"), bad, 120));
        s
    };
    let cache_input = |bad: f64| {
        let mut s = String::new();
        s.push_str(&series(
            &format!("{cache}{{job=\"{job}\",cache=\"search\",result=\"hit\"}}"),
            100.0 - bad,
            120,
        ));
        s.push_str(&series(
            &format!("{cache}{{job=\"{job}\",cache=\"search\",result=\"miss\"}}"),
            bad,
            120,
        ));
        s
    };
    for slo in slos(ns, job) {
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
        let labels = format!("{{job=\"{job}\",slo=\"{}\"}}", slo.name);
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
        let slo_alerts = slo_rules(ns, job);
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
            let _ = write!(out, "      - eval_time: 110m\n        alertname: Slo{camel}ErrorBudgetBurnFast\n        exp_alerts:\n          - exp_labels:\n              severity: critical\n              component: {c}\n              slo: {n}\n              job: {job}\n{a}", c = slo.component, n = slo.name, a = annotations(&format!("Slo{camel}ErrorBudgetBurnFast")));
        }
        let _ = write!(out, "      - eval_time: 110m\n        alertname: Slo{camel}ErrorBudgetBurnSlow\n        exp_alerts:\n          - exp_labels:\n              severity: warning\n              component: {c}\n              slo: {n}\n              job: {job}\n{a}", c = slo.component, n = slo.name, a = annotations(&format!("Slo{camel}ErrorBudgetBurnSlow")));
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
        up("1x20") + &series(&format!("http_server_request_duration_seconds_count{{job=\"{job}\",http_response_status_code=\"200\"}}"), 100.0, 20),
        rounded_check("slo:sli_error:ratio_rate5m{slo=\"availability\"}", &format!("{{job=\"{job}\",slo=\"availability\"}}"), 0.0, "15m"),
    );
    // Down for the second hour, no server error ever: half of the last 2 h was unavailable.
    // (The 5xx-only definition read 0 here: a service that is down burned no budget.)
    let _ = write!(
        out,
        "  - name: availability counts the time the target was down\n    interval: 1m\n    input_series:\n{}      - series: 'http_server_request_duration_seconds_count{{job=\"{job}\",http_response_status_code=\"200\"}}'\n        values: '0+100x59 _x60'\n    promql_expr_test:\n{}",
        up("1x59 0x60"),
        rounded_check("slo:sli_error:ratio_rate2h{slo=\"availability\"}", &format!("{{job=\"{job}\",slo=\"availability\"}}"), 0.5, "119m"),
    );
    out
}

// === dashboards ===
