//! OpenMetrics 1.0 text rendering of the gathered metric families, and the `Accept` header
//! negotiation between it and the Prometheus text format 0.0.4.
//!
//! Both renderings read the same `prometheus::proto::MetricFamily` values of one gather, so
//! they never disagree. OpenMetrics differs in form only: counters are one family `x` of type
//! `counter` with samples `x_total`; `# UNIT` where the name ends in a unit (`_seconds`,
//! `_bytes`, `_ratio`); `target_info` is an `info` family; `# EOF` ends the exposition.
//!
//! Every sample keeps the name it has in the 0.0.4 text, so Prometheus stores the same series
//! whichever format it negotiates. OpenMetrics requires a counter's samples to end in
//! `_total`; a counter rendered without that suffix (the `underscore_escaping_without_suffixes`
//! translation strategy) is therefore exposed as an `unknown` family with its own name — what
//! Prometheus makes of an untyped 0.0.4 metric — never renamed to `x_total`.

use std::fmt::Write as _;

use prometheus::proto::{Metric, MetricFamily, MetricType};

use crate::exemplars::{Exemplar, Exemplars};

/// Content type of the Prometheus text format 0.0.4.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Content type of the OpenMetrics text exposition.
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Which exposition format a scrape gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ExpositionFormat {
    /// Prometheus text format 0.0.4 (`text/plain; version=0.0.4`).
    #[default]
    Text,
    /// OpenMetrics 1.0 text (`application/openmetrics-text; version=1.0.0`).
    OpenMetrics,
}

impl ExpositionFormat {
    /// The format an `Accept` header prefers: OpenMetrics when its quality is positive and at
    /// least that of `text/plain` (Prometheus sends `application/openmetrics-text;version=1.0.0,
    /// …,text/plain;version=0.0.4;q=0.5,*/*;q=0.1`), else text 0.0.4 — also when there is no
    /// header or it cannot be read.
    ///
    /// # Examples
    ///
    /// ```
    /// use marketplace_telemetry::ExpositionFormat;
    /// let prometheus = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    /// assert_eq!(ExpositionFormat::negotiate(Some(prometheus)), ExpositionFormat::OpenMetrics);
    /// assert_eq!(ExpositionFormat::negotiate(Some("text/plain")), ExpositionFormat::Text);
    /// assert_eq!(ExpositionFormat::negotiate(None), ExpositionFormat::Text);
    /// ```
    pub fn negotiate(accept: Option<&str>) -> Self {
        let Some(accept) = accept else {
            return ExpositionFormat::Text;
        };
        let (mut openmetrics, mut text) = (0.0f64, 0.0f64);
        for range in accept.split(',') {
            let mut parts = range.split(';').map(str::trim);
            let media = parts.next().unwrap_or("").to_ascii_lowercase();
            let mut q = 1.0;
            for p in parts {
                if let Some(v) = p.strip_prefix("q=").or_else(|| p.strip_prefix("Q=")) {
                    q = v
                        .trim()
                        .parse::<f64>()
                        .ok()
                        .filter(|q| (0.0..=1.0).contains(q))
                        .unwrap_or(0.0);
                }
            }
            match media.as_str() {
                "application/openmetrics-text" => openmetrics = openmetrics.max(q),
                "text/plain" | "text/*" | "*/*" => text = text.max(q),
                _ => {}
            }
        }
        if openmetrics > 0.0 && openmetrics >= text {
            ExpositionFormat::OpenMetrics
        } else {
            ExpositionFormat::Text
        }
    }

    /// The `Content-Type` of this format.
    pub fn content_type(self) -> &'static str {
        match self {
            ExpositionFormat::Text => CONTENT_TYPE,
            ExpositionFormat::OpenMetrics => OPENMETRICS_CONTENT_TYPE,
        }
    }
}

/// `\`, newline and `"` escaped, as OpenMetrics wants label values and help text.
fn escape(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '"' => out.push_str("\\\""),
            c => out.push(c),
        }
    }
}

fn number(v: f64, out: &mut String) {
    if v.is_nan() {
        out.push_str("NaN");
    } else if v.is_infinite() {
        out.push_str(if v > 0.0 { "+Inf" } else { "-Inf" });
    } else {
        let _ = write!(out, "{v}");
    }
}

/// One sample line, with its exemplar if any (`# {trace_id="…",span_id="…"} value timestamp`).
fn sample(
    out: &mut String,
    name: &str,
    suffix: &str,
    m: &Metric,
    extra: Option<(&str, &str)>,
    v: f64,
    exemplar: Option<Exemplar>,
) {
    out.push_str(name);
    out.push_str(suffix);
    let labels = m.get_label();
    if !labels.is_empty() || extra.is_some() {
        out.push('{');
        let mut first = true;
        for (k, val) in labels.iter().map(|l| (l.name(), l.value())).chain(extra) {
            if !first {
                out.push(',');
            }
            first = false;
            out.push_str(k);
            out.push_str("=\"");
            escape(val, out);
            out.push('"');
        }
        out.push('}');
    }
    out.push(' ');
    number(v, out);
    let ts = m.timestamp_ms();
    if ts != 0 {
        let _ = write!(out, " {}.{:03}", ts / 1000, (ts % 1000).abs());
    }
    if let Some(e) = exemplar {
        out.push_str(" # {");
        if let Some((trace, span)) = e.trace {
            let _ = write!(out, "trace_id=\"{trace:032x}\",span_id=\"{span:016x}\"");
        }
        out.push_str("} ");
        number(e.value, out);
        let _ = write!(out, " {}.{:03}", e.unix_ms / 1000, e.unix_ms % 1000);
    }
    out.push('\n');
}

/// The unit a family name ends in, for `# UNIT`.
fn unit_of(family: &str) -> Option<&'static str> {
    ["seconds", "bytes", "ratio"].into_iter().find(|u| {
        family.len() > u.len() + 1
            && family.ends_with(u)
            && family[..family.len() - u.len()].ends_with('_')
    })
}

/// Renders `families` as OpenMetrics 1.0 text, ending with `# EOF`; with `exemplars` (and the
/// resource labels the bridge adds, ignored when finding a series' slots), bucket and counter
/// lines carry the exemplar of their series.
pub(crate) fn render(
    families: &[MetricFamily],
    exemplars: Option<(&Exemplars, &[String])>,
) -> String {
    let mut out = String::with_capacity(16 * 1024);
    let mut lookup = exemplars.map(|(store, ignore)| store.scrape_lookup(ignore));
    for mf in families {
        let name = mf.name();
        let kind = mf.get_field_type();
        let is_info = kind == MetricType::GAUGE
            && name.ends_with("_info")
            && mf
                .get_metric()
                .iter()
                .all(|m| m.get_gauge().get_value() == 1.0);
        // A counter without the `_total` suffix cannot be an OpenMetrics counter under its
        // own name (see the module docs).
        let suffixed_counter = kind == MetricType::COUNTER && name.ends_with("_total");
        let (family, type_name) = match kind {
            MetricType::COUNTER if suffixed_counter => (&name[..name.len() - 6], "counter"),
            MetricType::COUNTER => (name, "unknown"),
            MetricType::GAUGE if is_info => (name.strip_suffix("_info").unwrap_or(name), "info"),
            MetricType::GAUGE => (name, "gauge"),
            MetricType::HISTOGRAM => (name, "histogram"),
            MetricType::SUMMARY => (name, "summary"),
            MetricType::UNTYPED => (name, "unknown"),
        };
        let _ = writeln!(out, "# TYPE {family} {type_name}");
        if let Some(unit) = unit_of(family) {
            let _ = writeln!(out, "# UNIT {family} {unit}");
        }
        let help = mf.help();
        if !help.is_empty() {
            let _ = write!(out, "# HELP {family} ");
            escape(help, &mut out);
            out.push('\n');
        }
        // OpenMetrics allows exemplars on counters' `_total` and on buckets only. The family
        // is looked up once; its series by a key built in `lookup`'s reused buffers.
        let family_slots = match lookup.as_mut() {
            Some(l) if suffixed_counter || kind == MetricType::HISTOGRAM => l.family(name),
            _ => None,
        };
        for m in mf.get_metric() {
            let slots = match (lookup.as_mut(), family_slots.as_deref()) {
                (Some(l), Some(members)) => {
                    l.series(members, m.get_label().iter().map(|l| (l.name(), l.value())))
                }
                _ => None,
            };
            match kind {
                MetricType::COUNTER => sample(
                    &mut out,
                    family,
                    if suffixed_counter { "_total" } else { "" },
                    m,
                    None,
                    m.get_counter().get_value(),
                    slots.as_ref().and_then(|s| s.get(0)),
                ),
                MetricType::GAUGE if is_info => {
                    sample(&mut out, family, "_info", m, None, 1.0, None)
                }
                MetricType::GAUGE => sample(
                    &mut out,
                    family,
                    "",
                    m,
                    None,
                    m.get_gauge().get_value(),
                    None,
                ),
                MetricType::UNTYPED => {
                    // The bridge never writes untyped families; the value is there all the same.
                    #[allow(deprecated)]
                    let v = m.get_untyped().get_value();
                    sample(&mut out, family, "", m, None, v, None)
                }
                MetricType::HISTOGRAM => {
                    let h = m.get_histogram();
                    let mut le = String::new();
                    let mut inf = false;
                    for b in h.get_bucket() {
                        le.clear();
                        number(b.upper_bound(), &mut le);
                        inf |= b.upper_bound() == f64::INFINITY;
                        let exemplar = slots
                            .as_ref()
                            .and_then(|s| s.get(s.bucket_of(b.upper_bound())?));
                        sample(
                            &mut out,
                            family,
                            "_bucket",
                            m,
                            Some(("le", &le)),
                            b.cumulative_count() as f64,
                            exemplar,
                        );
                    }
                    if !inf {
                        let exemplar = slots
                            .as_ref()
                            .and_then(|s| s.get(s.bucket_of(f64::INFINITY)?));
                        sample(
                            &mut out,
                            family,
                            "_bucket",
                            m,
                            Some(("le", "+Inf")),
                            h.get_sample_count() as f64,
                            exemplar,
                        );
                    }
                    sample(
                        &mut out,
                        family,
                        "_count",
                        m,
                        None,
                        h.get_sample_count() as f64,
                        None,
                    );
                    sample(&mut out, family, "_sum", m, None, h.get_sample_sum(), None);
                }
                MetricType::SUMMARY => {
                    let s = m.get_summary();
                    let mut q = String::new();
                    for quantile in s.get_quantile() {
                        q.clear();
                        number(quantile.quantile(), &mut q);
                        sample(
                            &mut out,
                            family,
                            "",
                            m,
                            Some(("quantile", &q)),
                            quantile.value(),
                            None,
                        );
                    }
                    sample(
                        &mut out,
                        family,
                        "_count",
                        m,
                        None,
                        s.sample_count() as f64,
                        None,
                    );
                    sample(&mut out, family, "_sum", m, None, s.sample_sum(), None);
                }
            }
        }
    }
    out.push_str("# EOF\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_follows_quality() {
        use ExpositionFormat::*;
        assert_eq!(
            ExpositionFormat::negotiate(Some("application/openmetrics-text")),
            OpenMetrics
        );
        assert_eq!(
            ExpositionFormat::negotiate(Some(
                "application/openmetrics-text;q=0.3,text/plain;q=0.5"
            )),
            Text
        );
        assert_eq!(
            ExpositionFormat::negotiate(Some("application/openmetrics-text;q=0")),
            Text
        );
        assert_eq!(
            ExpositionFormat::negotiate(Some("application/openmetrics-text;q=bad")),
            Text
        );
        assert_eq!(ExpositionFormat::negotiate(Some("*/*")), Text);
        assert_eq!(ExpositionFormat::negotiate(Some("")), Text);
    }

    #[test]
    fn units_come_from_the_name_suffix() {
        assert_eq!(
            unit_of("http_server_request_duration_seconds"),
            Some("seconds")
        );
        assert_eq!(unit_of("marketplace_rate_limit_usage_ratio"), Some("ratio"));
        assert_eq!(unit_of("seconds"), None);
        assert_eq!(unit_of("process_cpu_seconds"), Some("seconds"));
        assert_eq!(unit_of("marketplace_items"), None);
    }
}
