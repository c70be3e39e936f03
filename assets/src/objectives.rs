//! `--objectives FILE`: SLO targets, the SLO period, the burn-rate alert windows and the alert
//! thresholds, `for:` durations and severities, read from a small YAML file (every key
//! optional; a missing key keeps the default; an unknown key is an error naming it and its
//! line). `collector-config/objectives.example.yml` documents every key with its default.

use std::path::Path;

use marketplace_telemetry::marketplace::catalog::{self, InstrumentSpec};
use serde::Deserialize;

/// A Prometheus duration as written (`5m`) and in seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Dur {
    pub(crate) text: String,
    pub(crate) secs: u64,
}

impl Dur {
    fn parse(text: &str, key: &str) -> Result<Dur, String> {
        let bad = || format!("{key}: {text:?} is not a duration like 30s, 5m, 1h, 1d or 1w");
        let mut secs = 0u64;
        let mut rest = text;
        if rest.is_empty() {
            return Err(bad());
        }
        while !rest.is_empty() {
            let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
            let n: u64 = rest[..digits].parse().map_err(|_| bad())?;
            let unit_len = rest[digits..]
                .find(|c: char| c.is_ascii_digit())
                .unwrap_or(rest.len() - digits);
            let unit = match &rest[digits..digits + unit_len] {
                "s" => 1,
                "m" => 60,
                "h" => 3600,
                "d" => 86_400,
                "w" => 604_800,
                _ => return Err(bad()),
            };
            secs = n
                .checked_mul(unit)
                .and_then(|s| secs.checked_add(s))
                .ok_or_else(bad)?;
            rest = &rest[digits + unit_len..];
        }
        if secs == 0 {
            return Err(bad());
        }
        Ok(Dur {
            text: text.to_string(),
            secs,
        })
    }

    fn fixed(text: &str, secs: u64) -> Dur {
        Dur {
            text: text.to_string(),
            secs,
        }
    }

    /// Whole minutes, rounded up.
    pub(crate) fn minutes(&self) -> u64 {
        self.secs.div_ceil(60)
    }

    /// `30d` → `30-day`, `1w` → `7-day`, `12h` → `12-hour`.
    pub(crate) fn adjective(&self) -> String {
        for (unit, word) in [(86_400, "day"), (3600, "hour"), (60, "minute")] {
            if self.secs % unit == 0 {
                return format!("{}-{word}", self.secs / unit);
            }
        }
        format!("{}-second", self.secs)
    }
}

/// One burn-rate window pair of a multi-window alert.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Window {
    pub(crate) long: Dur,
    pub(crate) short: Dur,
    pub(crate) factor: f64,
}

/// The fast (paging) or slow (ticket) burn-rate alert of every SLO.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BurnAlert {
    pub(crate) severity: String,
    pub(crate) for_: Dur,
    pub(crate) windows: Vec<Window>,
}

/// One SLO's target and, for latency SLOs, its threshold in seconds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SloTarget {
    pub(crate) objective: f64,
    pub(crate) threshold: Option<f64>,
}

/// One alert's threshold (when it has one), `for:` and severity.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AlertTarget {
    pub(crate) threshold: Option<f64>,
    pub(crate) for_: Dur,
    pub(crate) severity: String,
}

/// What the rules alert on: the defaults reproduce the committed files.
#[derive(Debug, Clone, PartialEq)]
pub struct Objectives {
    pub(crate) period: Dur,
    pub(crate) slos: Vec<(&'static str, SloTarget)>,
    pub(crate) fast: BurnAlert,
    pub(crate) slow: BurnAlert,
    pub(crate) alerts: Vec<(&'static str, AlertTarget)>,
}

/// The latency SLOs and the histogram each reads (its threshold must be a bucket boundary).
pub(crate) const LATENCY_SLOS: &[(&str, &InstrumentSpec)] = &[
    ("search-latency", &catalog::SEARCH_DURATION),
    ("lookup-latency", &catalog::CACHE_LOOKUP_DURATION),
    ("rdf-latency", &catalog::RDF_QUERY_DURATION),
];

/// Which alerts have a threshold, its kind, and the histogram latency alerts read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Threshold {
    None,
    /// Seconds of a quantile of this histogram.
    Latency(&'static InstrumentSpec),
    /// A ratio above which the alert fires.
    RatioAbove,
    /// A ratio below which the alert fires.
    RatioBelow,
    Bytes,
    /// A count (callers waiting, messages in a backlog or dead-lettered in 10 minutes).
    Count,
    /// A rate per second (a backlog's growth).
    PerSecond,
}

/// Every alert with its threshold kind and defaults: `marketplace-alerts.yml`,
/// `platform-alerts.yml`, `dependencies-alerts.yml`.
pub(crate) const ALERTS: &[(&str, Threshold, Option<f64>, &str, &str)] = &[
    (
        "MarketplaceSearchLatencyHigh",
        Threshold::Latency(&catalog::SEARCH_DURATION),
        Some(0.2),
        "5m",
        "warning",
    ),
    (
        "MarketplaceSearchLatencyCritical",
        Threshold::Latency(&catalog::SEARCH_DURATION),
        Some(0.5),
        "5m",
        "critical",
    ),
    (
        "MarketplaceRdfQueryLatencyHigh",
        Threshold::Latency(&catalog::RDF_QUERY_DURATION),
        Some(0.1),
        "5m",
        "warning",
    ),
    (
        "MarketplaceSearchLatencyP99High",
        Threshold::Latency(&catalog::SEARCH_DURATION),
        Some(1.0),
        "5m",
        "warning",
    ),
    (
        "MarketplacePublishLatencyHigh",
        Threshold::Latency(&catalog::PUBLISH_DURATION),
        Some(5.0),
        "5m",
        "warning",
    ),
    (
        "MarketplaceErrorRatioHigh",
        Threshold::RatioAbove,
        Some(0.01),
        "2m",
        "critical",
    ),
    (
        "MarketplaceErrorPercentageHigh",
        Threshold::RatioAbove,
        Some(0.05),
        "5m",
        "warning",
    ),
    (
        "MarketplaceClientErrorRatioHigh",
        Threshold::RatioAbove,
        Some(0.25),
        "10m",
        "warning",
    ),
    (
        "MarketplaceCacheHitRatioLow",
        Threshold::RatioBelow,
        Some(0.8),
        "10m",
        "warning",
    ),
    (
        "MarketplaceServiceDown",
        Threshold::None,
        None,
        "1m",
        "critical",
    ),
    (
        "MarketplaceHighResidentMemory",
        Threshold::Bytes,
        Some(1_073_741_824.0),
        "15m",
        "warning",
    ),
    (
        "TelemetryExportFailing",
        Threshold::None,
        None,
        "10m",
        "warning",
    ),
    (
        "TelemetrySpansDropped",
        Threshold::None,
        None,
        "10m",
        "warning",
    ),
    (
        "TelemetryLogRecordsDropped",
        Threshold::None,
        None,
        "10m",
        "warning",
    ),
    (
        "MarketplaceOperationsCancelled",
        Threshold::RatioAbove,
        Some(0.05),
        "15m",
        "info",
    ),
    // platform-alerts.yml
    (
        "DbConnectionPoolNearlyExhausted",
        Threshold::RatioAbove,
        Some(0.9),
        "2m",
        "critical",
    ),
    (
        "DbConnectionRequestsPending",
        Threshold::Count,
        Some(5.0),
        "5m",
        "warning",
    ),
    (
        "DbOperationLatencyHigh",
        Threshold::Latency(&catalog::DB_OPERATION_DURATION),
        Some(0.5),
        "5m",
        "warning",
    ),
    (
        "CircuitBreakerOpen",
        Threshold::None,
        None,
        "5m",
        "critical",
    ),
    (
        "RateLimitHitsHigh",
        Threshold::RatioAbove,
        Some(0.1),
        "5m",
        "warning",
    ),
    (
        "DeadLetterQueueGrowing",
        Threshold::Count,
        Some(10.0),
        "1m",
        "warning",
    ),
    (
        "EventBacklogHigh",
        Threshold::Count,
        Some(1000.0),
        "5m",
        "warning",
    ),
    (
        "GenAiProviderErrorRatioHigh",
        Threshold::RatioAbove,
        Some(0.5),
        "3m",
        "critical",
    ),
    (
        "HttpLatencyHigh",
        Threshold::Latency(&catalog::HTTP_SERVER_DURATION),
        Some(5.0),
        "5m",
        "warning",
    ),
    (
        "HttpServerErrorRatioHigh",
        Threshold::RatioAbove,
        Some(0.1),
        "5m",
        "critical",
    ),
    (
        "TokioRuntimeSaturated",
        Threshold::RatioAbove,
        Some(0.9),
        "5m",
        "warning",
    ),
    // dependencies-alerts.yml
    (
        "DownstreamErrorRatioHigh",
        Threshold::RatioAbove,
        Some(0.1),
        "5m",
        "warning",
    ),
    (
        "DownstreamRpcErrorRatioHigh",
        Threshold::RatioAbove,
        Some(0.1),
        "5m",
        "warning",
    ),
    (
        "ConsumerFallingBehind",
        Threshold::PerSecond,
        Some(0.5),
        "10m",
        "warning",
    ),
];

/// The severities the shipped Alertmanager config routes.
const SEVERITIES: &[&str] = &["critical", "warning", "info"];

impl Default for Objectives {
    fn default() -> Self {
        let w = |long: (&str, u64), short: (&str, u64), factor| Window {
            long: Dur::fixed(long.0, long.1),
            short: Dur::fixed(short.0, short.1),
            factor,
        };
        let target = |objective, threshold| SloTarget {
            objective,
            threshold,
        };
        Objectives {
            period: Dur::fixed("30d", 30 * 86_400),
            slos: vec![
                ("search-latency", target(0.95, Some(0.2))),
                ("lookup-latency", target(0.95, Some(0.1))),
                ("rdf-latency", target(0.95, Some(0.1))),
                ("errors", target(0.99, None)),
                ("availability", target(0.999, None)),
                ("cache-hit", target(0.8, None)),
            ],
            fast: BurnAlert {
                severity: "critical".into(),
                for_: Dur::fixed("2m", 120),
                windows: vec![
                    w(("1h", 3600), ("5m", 300), 14.4),
                    w(("6h", 21_600), ("30m", 1800), 6.0),
                ],
            },
            slow: BurnAlert {
                severity: "warning".into(),
                for_: Dur::fixed("1h", 3600),
                windows: vec![
                    w(("1d", 86_400), ("2h", 7200), 3.0),
                    w(("3d", 259_200), ("6h", 21_600), 1.0),
                ],
            },
            alerts: ALERTS
                .iter()
                .map(|(name, _, threshold, for_, severity)| {
                    (
                        *name,
                        AlertTarget {
                            threshold: *threshold,
                            for_: Dur::parse(for_, name).unwrap_or_else(|_| Dur::fixed("5m", 300)),
                            severity: severity.to_string(),
                        },
                    )
                })
                .collect(),
        }
    }
}

// === the file ===

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    period: Option<String>,
    slos: Option<SlosFile>,
    burn_alerts: Option<BurnAlertsFile>,
    alerts: Option<AlertsFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LatencySloFile {
    objective: Option<f64>,
    threshold: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RatioSloFile {
    objective: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SlosFile {
    #[serde(rename = "search-latency")]
    search_latency: Option<LatencySloFile>,
    #[serde(rename = "lookup-latency")]
    lookup_latency: Option<LatencySloFile>,
    #[serde(rename = "rdf-latency")]
    rdf_latency: Option<LatencySloFile>,
    errors: Option<RatioSloFile>,
    availability: Option<RatioSloFile>,
    #[serde(rename = "cache-hit")]
    cache_hit: Option<RatioSloFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WindowFile {
    long: String,
    short: String,
    factor: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BurnAlertFile {
    severity: Option<String>,
    #[serde(rename = "for")]
    for_: Option<String>,
    windows: Option<Vec<WindowFile>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BurnAlertsFile {
    fast: Option<BurnAlertFile>,
    slow: Option<BurnAlertFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AlertFile {
    threshold: Option<f64>,
    #[serde(rename = "for")]
    for_: Option<String>,
    severity: Option<String>,
}

/// `alerts:`: alert name → its settings; names are checked against [`ALERTS`].
type AlertsFile = std::collections::BTreeMap<String, AlertFile>;

fn severity(value: Option<String>, default: &str, key: &str) -> Result<String, String> {
    match value {
        None => Ok(default.to_string()),
        Some(s) if SEVERITIES.contains(&s.as_str()) => Ok(s),
        Some(s) => Err(format!(
            "{key}: severity {s:?} is not one of {SEVERITIES:?} (the routes of alertmanager.yml)"
        )),
    }
}

fn ratio(v: f64, key: &str, max: f64) -> Result<f64, String> {
    if v > 0.0 && v < max {
        Ok(v)
    } else {
        Err(format!("{key}: {v} must be above 0 and below {max}"))
    }
}

impl Objectives {
    /// Reads an objectives file: every key optional, defaults for the rest.
    pub fn from_file(path: &Path) -> Result<Objectives, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("--objectives {}: {e}", path.display()))?;
        Self::from_yaml(&text).map_err(|e| format!("--objectives {}: {e}", path.display()))
    }

    /// [`from_file`](Self::from_file) of a YAML text.
    ///
    /// # Examples
    ///
    /// ```
    /// use marketplace_telemetry_assets::Objectives;
    /// let o = Objectives::from_yaml("slos:\n  errors:\n    objective: 0.995\n").unwrap();
    /// assert_ne!(o, Objectives::default());
    /// let err = Objectives::from_yaml("slos:\n  errors:\n    objectiv: 0.995\n").unwrap_err();
    /// assert!(err.contains("objectiv") && err.contains("line 3"), "{err}");
    /// ```
    pub fn from_yaml(text: &str) -> Result<Objectives, String> {
        let mut o = Objectives::default();
        if text.trim().is_empty() {
            return Ok(o);
        }
        let file: File = serde_norway::from_str(text).map_err(|e| with_line(&e, text))?;
        if let Some(alerts) = &file.alerts {
            for (name, given) in alerts {
                let at = text
                    .lines()
                    .position(|l| l.trim_start().starts_with(&format!("{name}:")));
                let line = || at.map_or(String::new(), |i| format!(" at line {}", i + 1));
                // The `threshold` key's own line (block style), else the alert's.
                let threshold_line = || {
                    at.and_then(|i| {
                        text.lines()
                            .enumerate()
                            .skip(i)
                            .take_while(|(j, l)| *j == i || l.starts_with("    "))
                            .find(|(_, l)| l.contains("threshold"))
                            .map(|(j, _)| format!(" at line {}", j + 1))
                    })
                    .unwrap_or_else(line)
                };
                match ALERTS.iter().find(|(n, ..)| n == name) {
                    None => {
                        return Err(format!(
                            "alerts: unknown alert `{name}`{}, expected one of {:?}",
                            line(),
                            ALERTS.iter().map(|(n, ..)| *n).collect::<Vec<_>>()
                        ))
                    }
                    Some((_, Threshold::None, ..)) if given.threshold.is_some() => {
                        return Err(format!(
                            "alerts.{name}.threshold{}: this alert has no threshold (it takes `for` and `severity`)",
                            threshold_line()
                        ))
                    }
                    Some(_) => {}
                }
            }
        }
        if let Some(p) = file.period {
            o.period = Dur::parse(&p, "period")?;
        }
        if let Some(s) = file.slos {
            let latency = |slot: Option<LatencySloFile>| slot.map(|l| (l.objective, l.threshold));
            let plain = |slot: Option<RatioSloFile>| slot.map(|r| (r.objective, None));
            for (name, given) in [
                ("search-latency", latency(s.search_latency)),
                ("lookup-latency", latency(s.lookup_latency)),
                ("rdf-latency", latency(s.rdf_latency)),
                ("errors", plain(s.errors)),
                ("availability", plain(s.availability)),
                ("cache-hit", plain(s.cache_hit)),
            ] {
                let Some((objective, threshold)) = given else {
                    continue;
                };
                let Some((_, target)) = o.slos.iter_mut().find(|(n, _)| *n == name) else {
                    continue;
                };
                if let Some(v) = objective {
                    target.objective = ratio(v, &format!("slos.{name}.objective"), 1.0)?;
                }
                if let Some(v) = threshold {
                    let spec = LATENCY_SLOS
                        .iter()
                        .find(|(n, _)| *n == name)
                        .map(|(_, s)| *s);
                    if let Some(spec) = spec {
                        if !spec.boundaries.contains(&v) {
                            return Err(format!(
                                "slos.{name}.threshold: {v} s is not a bucket boundary of {} (one of {:?}): the SLI counts the requests under a boundary",
                                spec.name, spec.boundaries
                            ));
                        }
                    }
                    target.threshold = Some(v);
                }
            }
        }
        if let Some(b) = file.burn_alerts {
            for (kind, given, slot) in
                [("fast", b.fast, &mut o.fast), ("slow", b.slow, &mut o.slow)]
            {
                let Some(given) = given else { continue };
                let key = format!("burn_alerts.{kind}");
                slot.severity = severity(given.severity, &slot.severity, &key)?;
                if let Some(f) = given.for_ {
                    slot.for_ = Dur::parse(&f, &format!("{key}.for"))?;
                }
                if let Some(windows) = given.windows {
                    if windows.is_empty() {
                        return Err(format!("{key}.windows: at least one window pair"));
                    }
                    slot.windows = Vec::new();
                    for (i, w) in windows.into_iter().enumerate() {
                        let wkey = format!("{key}.windows[{i}]");
                        let long = Dur::parse(&w.long, &format!("{wkey}.long"))?;
                        let short = Dur::parse(&w.short, &format!("{wkey}.short"))?;
                        if short.secs >= long.secs {
                            return Err(format!(
                                "{wkey}: short window {} must be shorter than long window {}",
                                short.text, long.text
                            ));
                        }
                        if !(w.factor >= 1.0 && w.factor.is_finite()) {
                            return Err(format!(
                                "{wkey}.factor: {} must be at least 1 (a slower burn never spends the budget)",
                                w.factor
                            ));
                        }
                        slot.windows.push(Window {
                            long,
                            short,
                            factor: w.factor,
                        });
                    }
                }
            }
        }
        if let Some(alerts) = file.alerts {
            for (name, kind, ..) in ALERTS {
                let Some(given) = alerts.get(*name) else {
                    continue;
                };
                let Some((_, target)) = o.alerts.iter_mut().find(|(n, _)| n == name) else {
                    continue;
                };
                let key = format!("alerts.{name}");
                target.severity = severity(given.severity.clone(), &target.severity, &key)?;
                if let Some(f) = &given.for_ {
                    target.for_ = Dur::parse(f, &format!("{key}.for"))?;
                }
                if let Some(v) = given.threshold {
                    let tkey = format!("{key}.threshold");
                    target.threshold = Some(match kind {
                        Threshold::Latency(spec) => {
                            let b = spec.boundaries;
                            let first = b.first().copied().unwrap_or(0.0);
                            let last = b.last().copied().unwrap_or(0.0);
                            if !(v >= first && v < last) {
                                return Err(format!(
                                    "{tkey}: {v} s must be at least {first} s and below {last} s, the smallest and largest bucket boundaries of {} (a quantile outside them cannot be measured)",
                                    spec.name
                                ));
                            }
                            v
                        }
                        Threshold::RatioAbove | Threshold::RatioBelow => ratio(v, &tkey, 0.95)?,
                        Threshold::Bytes if v >= 1024.0 && v.is_finite() => v.round(),
                        Threshold::Bytes => {
                            return Err(format!("{tkey}: {v} bytes must be at least 1024"))
                        }
                        Threshold::Count if v >= 1.0 && v.is_finite() => v,
                        Threshold::Count => {
                            return Err(format!("{tkey}: {v} must be a count of at least 1"))
                        }
                        Threshold::PerSecond if v > 0.0 && v.is_finite() => v,
                        Threshold::PerSecond => {
                            return Err(format!("{tkey}: {v} must be a rate above 0 per second"))
                        }
                        Threshold::None => unreachable_threshold(&tkey)?,
                    });
                    // The rules write numbers with at most 6 decimals: a threshold they cannot
                    // write exactly would silently become another one (1e-7 → `> 0`).
                    if crate::model::fmt_f(v).parse::<f64>().ok() != Some(v) {
                        return Err(format!(
                            "{tkey}: {v} has more than 6 decimals (the rules write thresholds with at most 6)"
                        ));
                    }
                }
            }
        }
        Ok(o)
    }

    /// The SLO target of `name`.
    pub(crate) fn slo(&self, name: &str) -> SloTarget {
        self.slos
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| t.clone())
            .unwrap_or(SloTarget {
                objective: 0.99,
                threshold: None,
            })
    }

    /// The target of alert `name`.
    pub(crate) fn alert(&self, name: &str) -> AlertTarget {
        self.alerts
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| t.clone())
            .unwrap_or(AlertTarget {
                threshold: None,
                for_: Dur::fixed("5m", 300),
                severity: "warning".into(),
            })
    }

    /// The SLI windows the rules record, shortest first: every burn window and the period.
    pub(crate) fn windows(&self) -> Vec<Dur> {
        let mut all: Vec<Dur> = self
            .fast
            .windows
            .iter()
            .chain(&self.slow.windows)
            .flat_map(|w| [w.long.clone(), w.short.clone()])
            .chain(std::iter::once(self.period.clone()))
            .collect();
        all.sort_by_key(|d| d.secs);
        all.dedup_by_key(|d| d.secs);
        all
    }
}

/// serde's message with the line of the offending key: serde_norway gives it for nested
/// keys; for a top-level key the line is looked up.
fn with_line(e: &serde_norway::Error, text: &str) -> String {
    let message = e.to_string();
    if message.contains(" line ") {
        return message;
    }
    let line = message
        .split_once("unknown field `")
        .and_then(|(_, rest)| rest.split_once('`'))
        .and_then(|(field, _)| {
            text.lines()
                .position(|l| l.trim_start().starts_with(&format!("{field}:")))
        })
        .map(|i| i + 1)
        .or_else(|| e.location().map(|l| l.line()));
    match line {
        Some(line) => format!("{message} at line {line}"),
        None => message,
    }
}

/// Alerts without a threshold have no `threshold` key in the file (serde rejects it with its
/// line); this keeps the match total.
fn unreachable_threshold(key: &str) -> Result<f64, String> {
    Err(format!("{key}: this alert has no threshold"))
}

// === how thresholds read in annotations ===

/// `0.2` → `200 ms`, `5` → `5 s`.
pub(crate) fn fmt_seconds(v: f64) -> String {
    if v < 1.0 {
        format!("{} ms", crate::model::fmt_f(v * 1000.0))
    } else {
        format!("{} s", crate::model::fmt_f(v))
    }
}

/// `0.05` → `5%`.
pub(crate) fn fmt_percent(v: f64) -> String {
    format!("{}%", crate::model::fmt_f(v * 100.0))
}

/// `1073741824` → `1 GiB`.
pub(crate) fn fmt_bytes(v: f64) -> String {
    for (unit, name) in [(1u64 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")] {
        if v >= unit as f64 {
            return format!("{} {name}", crate::model::fmt_f(v / unit as f64));
        }
    }
    format!("{v} B")
}

// === how Prometheus renders values in templates (for the tests' expected annotations) ===

/// Go's `%.4g` for a finite positive value in the range templates print.
pub(crate) fn go_g4(v: f64) -> String {
    let sci = format!("{v:.3e}");
    let Some((mantissa, exp)) = sci.split_once('e') else {
        return sci;
    };
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..4).contains(&exp) {
        // Go prints e+XX with at least two exponent digits.
        let m = mantissa.trim_end_matches('0').trim_end_matches('.');
        return format!("{m}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    }
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let s = if exp >= 0 {
        let int_len = exp as usize + 1;
        format!("{}.{}", &digits[..int_len], &digits[int_len..])
    } else {
        format!("0.{}{}", "0".repeat((-exp - 1) as usize), digits)
    };
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if mantissa.starts_with('-') {
        format!("-{}", s.trim_start_matches('-'))
    } else {
        s
    }
}

/// Prometheus' `humanizeDuration` for a positive number of seconds.
pub(crate) fn humanize_duration(v: f64) -> String {
    if v >= 1.0 {
        let whole = v as u64;
        let (days, hours, minutes, seconds) = (
            whole / 86_400,
            whole / 3600 % 24,
            whole / 60 % 60,
            whole % 60,
        );
        if days != 0 {
            return format!("{days}d {hours}h {minutes}m {seconds}s");
        }
        if hours != 0 {
            return format!("{hours}h {minutes}m {seconds}s");
        }
        if minutes != 0 {
            return format!("{minutes}m {seconds}s");
        }
        return format!("{}s", go_g4(v));
    }
    let mut v = v;
    let mut prefix = "";
    for p in ["m", "u", "n", "p"] {
        if v >= 1.0 {
            break;
        }
        prefix = p;
        v *= 1000.0;
    }
    format!("{}{prefix}s", go_g4(v))
}

/// Prometheus' `humanizePercentage`.
pub(crate) fn humanize_percentage(v: f64) -> String {
    format!("{}%", go_g4(v * 100.0))
}

/// Prometheus' `humanize1024`.
pub(crate) fn humanize_1024(v: f64) -> String {
    let mut v = v;
    let mut prefix = "";
    for p in ["Ki", "Mi", "Gi", "Ti", "Pi"] {
        if v.abs() < 1024.0 {
            break;
        }
        prefix = p;
        v /= 1024.0;
    }
    format!("{}{prefix}", go_g4(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_render_as_prometheus_does() {
        assert_eq!(humanize_duration(0.975), "975ms");
        assert_eq!(humanize_duration(2.485), "2.485s");
        assert_eq!(humanize_duration(9.75), "9.75s");
        assert_eq!(humanize_duration(0.29500000000000004), "295ms");
        assert_eq!(humanize_duration(0.0001234), "123.4us");
        assert_eq!(humanize_duration(75.0), "1m 15s");
        assert_eq!(humanize_percentage(0.2), "20%");
        assert_eq!(humanize_percentage(0.123456), "12.35%");
        assert_eq!(humanize_1024(2_000_000_000.0), "1.863Gi");
        assert_eq!(humanize_1024(2_147_483_648.0), "2Gi");
        assert_eq!(go_g4(0.00001234), "1.234e-05");
    }

    #[test]
    fn thresholds_read_as_written() {
        assert_eq!(fmt_seconds(0.2), "200 ms");
        assert_eq!(fmt_seconds(5.0), "5 s");
        assert_eq!(fmt_percent(0.05), "5%");
        assert_eq!(fmt_bytes(1_073_741_824.0), "1 GiB");
        assert_eq!(fmt_bytes(536_870_912.0), "512 MiB");
    }

    #[test]
    fn the_default_windows_are_the_committed_ones() {
        let w: Vec<_> = Objectives::default()
            .windows()
            .into_iter()
            .map(|d| d.text)
            .collect();
        assert_eq!(w, ["5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d"]);
        assert_eq!(Objectives::default().period.adjective(), "30-day");
    }

    #[test]
    fn bad_files_are_errors_naming_key_and_line() {
        for (text, needles) in [
            (
                "slos:\n  errors:\n    objectiv: 0.9\n",
                &["objectiv", "line 3"][..],
            ),
            (
                "alerts:\n  MarketplaceServiceDown:\n    threshold: 1\n",
                &["threshold", "line 3"],
            ),
            (
                "alerts:\n  NoSuchAlert: {for: 5m}\n",
                &["NoSuchAlert", "line 2"],
            ),
            ("peroid: 30d\n", &["peroid", "line 1"]),
            (
                "slos:\n  errors: {objective: 1.5}\n",
                &["slos.errors.objective", "1.5"],
            ),
            (
                "slos:\n  search-latency: {threshold: 0.21}\n",
                &["search-latency.threshold", "0.21", "bucket"],
            ),
            (
                "alerts:\n  MarketplaceErrorRatioHigh: {severity: page}\n",
                &["page", "MarketplaceErrorRatioHigh"],
            ),
            (
                "alerts:\n  MarketplaceErrorRatioHigh: {for: 5 minutes}\n",
                &["5 minutes", "for"],
            ),
            (
                "burn_alerts:\n  fast:\n    windows: [{long: 5m, short: 1h, factor: 14.4}]\n",
                &["shorter"],
            ),
            (
                "burn_alerts:\n  slow:\n    windows: [{long: 1d, short: 1h, factor: 0.5}]\n",
                &["factor", "0.5"],
            ),
            (
                "alerts:\n  MarketplacePublishLatencyHigh: {threshold: 60}\n",
                &["largest bucket"],
            ),
            (
                "alerts:\n  MarketplaceSearchLatencyHigh: {threshold: 0.001}\n",
                &["smallest"],
            ),
            ("period: [1]\n", &["period"]),
            (
                "alerts:\n  CircuitBreakerOpen: {threshold: 2}\n",
                &["CircuitBreakerOpen.threshold", "no threshold", "line 2"],
            ),
            (
                "alerts:\n  EventBacklogHigh: {threshold: 0}\n",
                &["EventBacklogHigh.threshold", "count"],
            ),
            (
                "alerts:\n  ConsumerFallingBehind: {threshold: -1}\n",
                &["ConsumerFallingBehind.threshold", "rate"],
            ),
            (
                "alerts:\n  DbOperationLatencyHigh: {threshold: 20}\n",
                &["DbOperationLatencyHigh.threshold", "largest bucket"],
            ),
            (
                "alerts:\n  TokioRuntimeSaturated: {threshold: 1.5}\n",
                &["TokioRuntimeSaturated.threshold", "1.5"],
            ),
            (
                "alerts:\n  ConsumerFallingBehind: {threshold: 0.0000001}\n",
                &["ConsumerFallingBehind.threshold", "6 decimals"],
            ),
            (
                "alerts:\n  MarketplaceHighResidentMemory: {threshold: 100}\n",
                &["MarketplaceHighResidentMemory.threshold", "1024"],
            ),
            (
                "alerts:\n  ConsumerFallingBehind: {threshold: 0}\n",
                &["ConsumerFallingBehind.threshold", "rate"],
            ),
        ] {
            let err = Objectives::from_yaml(text).unwrap_err();
            for n in needles {
                assert!(err.contains(n), "{text:?}: {err} (wanted {n:?})");
            }
        }
    }

    #[test]
    fn an_empty_file_is_the_defaults() {
        assert_eq!(Objectives::from_yaml("").unwrap(), Objectives::default());
        assert_eq!(
            Objectives::from_yaml("# nothing\n").unwrap(),
            Objectives::default()
        );
    }
}
