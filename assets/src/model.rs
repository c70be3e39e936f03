//! What the rules are about: the operations (from the SDK's catalog), the SLOs with their
//! SLIs, the SLI windows and the burn-rate alert pairs.

use marketplace_telemetry::catalog::Label as _;
use marketplace_telemetry::marketplace::catalog::{
    self, InstrumentSpec, OperationSpec, OPERATIONS,
};

use crate::Options;

/// The operations the rules cover: the SDK's own list.
pub(crate) const OPS: &[OperationSpec] = OPERATIONS;

/// An SLO: its SLI is a ratio of bad events to all events.
pub(crate) struct Slo {
    pub(crate) name: &'static str,
    pub(crate) component: &'static str,
    pub(crate) objective: f64,
    pub(crate) description: String,
    /// PromQL of bad events per second over `{w}` (the window is substituted).
    pub(crate) bad: String,
    /// PromQL of all events per second over `{w}`.
    pub(crate) total: String,
    /// The SLI's error ratio over `{w}` when it is not `bad / total` (availability also
    /// counts the time the target was down).
    pub(crate) ratio: Option<String>,
}

impl Slo {
    /// PromQL of the SLI's error ratio over window `w`.
    pub(crate) fn error_ratio(&self, w: &str) -> String {
        match &self.ratio {
            Some(ratio) => ratio.replace("{w}", w),
            None => format!(
                "({}) / ({})",
                self.bad.replace("{w}", w),
                self.total.replace("{w}", w)
            ),
        }
    }
}

pub(crate) fn name(spec: &InstrumentSpec, ns: Option<&str>) -> String {
    spec.prometheus_name(ns)
}

/// The operations whose errors the error SLO and the error-ratio alerts count: every one but
/// the cache lookup (the cache has its own SLI, and N lookups per request would dilute the
/// ratio to about 1/(1+N) of the real one).
pub(crate) fn request_ops() -> impl Iterator<Item = &'static OperationSpec> {
    OPS.iter()
        .filter(|op| op.operation != marketplace_telemetry::marketplace::Operation::CacheLookup)
}

/// The `operation` matcher selecting [`request_ops`] on the per-operation recording rules.
pub(crate) const REQUEST_OPS_MATCHER: &str = "operation!=\"cache_lookup\"";

/// The SLOs with the targets of `options.objectives`; availability reads the `up` of
/// `options.job`.
pub(crate) fn slos(options: &Options) -> Vec<Slo> {
    let ns = options.namespace.as_deref();
    let job = options.job.as_str();
    let o = &options.objectives;
    let threshold = |slo: &str| fmt_f(o.slo(slo).threshold.unwrap_or(0.1));
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
    let (search_bad, search_total) = latency(&search, &threshold("search-latency"));
    let (lookup_bad, lookup_total) = latency(&lookup, &threshold("lookup-latency"));
    let (rdf_bad, rdf_total) = latency(&rdf, &threshold("rdf-latency"));
    let ms = |slo: &str| fmt_f(o.slo(slo).threshold.unwrap_or(0.1) * 1000.0);
    let pct = |slo: &str| fmt_f(o.slo(slo).objective * 100.0);
    // The request operations' counts as one union (each term tagged with its operation, so
    // `or` keeps them all): a plain sum of per-metric terms is empty while any operation has
    // never run, and a `__name__` regex collides once `rate` drops the names. 0 rather than no
    // data before the first server fault (`outcome="error"` only: client faults burn no
    // budget).
    let union = |matcher: &str| {
        let terms = request_ops()
            .map(|op| {
                format!(
                    "label_replace(sum by (job) (rate({}_count{matcher}[{{w}}])), \"operation\", \"{}\", \"\", \"\")",
                    name(&op.duration, ns),
                    op.operation.as_str()
                )
            })
            .collect::<Vec<_>>()
            .join(" or ");
        format!("sum by (job) ({terms})")
    };
    let all_ops = union("");
    let all_errors = format!("{} or 0 * {all_ops}", union("{outcome=\"error\"}"));
    vec![
        Slo {
            name: "search-latency",
            component: "search",
            objective: o.slo("search-latency").objective,
            description: format!(
                "{p}% of successful searches complete within {t} ms (search p{p} < {t} ms).",
                p = pct("search-latency"),
                t = ms("search-latency")
            ),
            bad: search_bad,
            total: search_total,
            ratio: None,
        },
        Slo {
            name: "lookup-latency",
            component: "cache",
            objective: o.slo("lookup-latency").objective,
            description: format!(
                "{p}% of cache lookups complete within {t} ms (lookup p{p} < {t} ms).",
                p = pct("lookup-latency"),
                t = ms("lookup-latency")
            ),
            bad: lookup_bad,
            total: lookup_total,
            ratio: None,
        },
        Slo {
            name: "rdf-latency",
            component: "rdf",
            objective: o.slo("rdf-latency").objective,
            description: format!(
                "{p}% of RDF queries complete within {t} ms (RDF p{p} < {t} ms).",
                p = pct("rdf-latency"),
                t = ms("rdf-latency")
            ),
            bad: rdf_bad,
            total: rdf_total,
            ratio: None,
        },
        Slo {
            name: "errors",
            component: "marketplace",
            objective: o.slo("errors").objective,
            description: format!(
                "Fewer than {}% of marketplace operations fail with a server fault (client faults and cache lookups excluded).",
                fmt_f(100.0 - o.slo("errors").objective * 100.0)
            ),
            bad: all_errors,
            total: all_ops,
            ratio: None,
        },
        availability(job, o.slo("availability").objective),
        Slo {
            name: "cache-hit",
            component: "cache",
            objective: o.slo("cache-hit").objective,
            description: format!("More than {}% of cache lookups are hits.", pct("cache-hit")),
            // 0 before the first miss.
            bad: format!("sum by (job) (rate({cache}{{result=\"miss\"}}[{{w}}])) or 0 * sum by (job) (rate({cache}[{{w}}]))"),
            total: format!("sum by (job) (rate({cache}[{{w}}]))"),
            ratio: None,
        },
    ]
}

// === rules ===

/// `bad / total`, 0 (not "no data") while `bad` has no series but `total` has: before the
/// first failure, an SDK (ours, or an official one) has not created the failure series yet.
/// An absent service (no `total`) stays absent. Both sides must keep the same labels.
pub(crate) fn ratio_or_zero(bad: &str, total: &str) -> String {
    format!("({bad} or 0 * {total}) / {total}")
}

pub(crate) fn fmt_f(v: f64) -> String {
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

/// Availability: the share of time the target was scraped (`up`) times the share of its HTTP
/// requests answered without a 5xx — so a service that is down burns budget, though it serves
/// no request that could fail. Error ratio = 1 − up-time × (1 − 5xx ratio).
fn availability(job: &str, objective: f64) -> Slo {
    let total = "sum by (job) (rate(http_server_request_duration_seconds_count[{w}]))";
    let bad = "sum by (job) (rate(http_server_request_duration_seconds_count{http_response_status_code=~\"5..\"}[{w}]))";
    let up = format!("avg by (job) (avg_over_time(up{{job=\"{job}\"}}[{{w}}]))");
    // No 5xx series exist until the first 5xx, and no request series while down: the 5xx
    // ratio then falls back to 0 (with the job label, from `up`).
    let server_errors = format!("(({bad}) / ({total}) or 0 * {up})");
    Slo {
        name: "availability",
        component: "marketplace",
        objective,
        description: format!("{}% availability: the target is up and answers HTTP requests without a server error (5xx).", fmt_f(objective * 100.0)),
        bad: bad.to_string(),
        total: total.to_string(),
        ratio: Some(format!("1 - (1 - {server_errors}) * {up}")),
    }
}
