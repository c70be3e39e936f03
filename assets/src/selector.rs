//! `--selector`: extra label matchers put on every series selector of the generated rules and
//! dashboards (e.g. `env="prod"`), so one Prometheus can hold the rule sets of several
//! environments of one job.
//!
//! Equality matchers (`k="v"`) are also kept by every aggregation of the rules (`by (job, k)`)
//! and put on the input series of the promtool tests: the recorded series of two environments
//! then stay apart instead of colliding.

use std::fmt;

/// Label names the generated queries use themselves: a selector on them would fight the rules.
const RESERVED: &[&str] = &[
    "job",
    "instance",
    "le",
    "slo",
    "operation",
    "outcome",
    "cache",
    "result",
    "error_code",
    "signal",
    "service_version",
];

/// PromQL keywords that can stand where a metric name could (never selectors), aggregation
/// operators included (`sum by (job) (...)`).
const KEYWORDS: &[&str] = &[
    "bool",
    "offset",
    "and",
    "or",
    "unless",
    "atan2",
    "inf",
    "nan",
    "start",
    "end",
    "sum",
    "min",
    "max",
    "avg",
    "group",
    "stddev",
    "stdvar",
    "count",
    "count_values",
    "bottomk",
    "topk",
    "quantile",
    "limitk",
    "limit_ratio",
];

/// Keywords followed by a parenthesised list of label names.
const GROUPING: &[&str] = &[
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
];

/// One label matcher of a [`Selector`].
#[derive(Debug, Clone, PartialEq, Eq)]
struct Matcher {
    name: String,
    equal: bool,
    value: String,
}

impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = if self.equal { "=" } else { "!=" };
        write!(f, "{}{op}\"{}\"", self.name, self.value)
    }
}

/// Extra label matchers for every series of the generated assets (`--selector`).
///
/// # Examples
///
/// ```
/// use marketplace_telemetry_assets::Selector;
/// let s = Selector::parse(r#"env="prod", region!="test""#).unwrap();
/// assert_eq!(s.to_string(), r#"env="prod",region!="test""#);
/// assert!(Selector::parse("env=prod").unwrap_err().contains("env=prod"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selector {
    matchers: Vec<Matcher>,
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, m) in self.matchers.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{m}")?;
        }
        Ok(())
    }
}

impl Selector {
    /// Parses `k="v",k2!="v2"`: label names as Prometheus spells them, `=` or `!=`, values in
    /// double quotes without `"`, `'`, `\` or control characters. The error names the bad
    /// part.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut matchers = Vec::new();
        let mut rest = text.trim();
        while !rest.is_empty() {
            let bad = |why: &str| format!("--selector {text:?}: {why}");
            let name_end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            let name = &rest[..name_end];
            if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
                return Err(bad(&format!(
                    "expected a label name at {rest:?} (like env=\"prod\")"
                )));
            }
            if name.starts_with("__") || RESERVED.contains(&name) {
                return Err(bad(&format!(
                    "label {name:?} is reserved (the rules use it themselves{})",
                    if name == "job" { "; use --job" } else { "" }
                )));
            }
            let after = rest[name_end..].trim_start();
            let (equal, after) = if let Some(a) = after.strip_prefix("!=") {
                (false, a)
            } else if after.starts_with("=~") || after.starts_with("!~") {
                return Err(bad(&format!(
                    "{name}: only = and != are supported (the generated tests need a value that matches)"
                )));
            } else if let Some(a) = after.strip_prefix('=') {
                (true, a)
            } else {
                return Err(bad(&format!("expected = or != after {name}")));
            };
            let after = after.trim_start();
            let Some(quoted) = after.strip_prefix('"') else {
                return Err(bad(&format!(
                    "the value of {name} must be in double quotes"
                )));
            };
            let Some(end) = quoted.find('"') else {
                return Err(bad(&format!("the value of {name} has no closing quote")));
            };
            let value = &quoted[..end];
            if value
                .chars()
                .any(|c| c == '\'' || c == '\\' || c.is_control())
            {
                return Err(bad(&format!(
                    "the value of {name} must not hold ', \\ or control characters"
                )));
            }
            if matchers.iter().any(|m: &Matcher| m.name == name) {
                return Err(bad(&format!("label {name} is given twice")));
            }
            matchers.push(Matcher {
                name: name.to_string(),
                equal,
                value: value.to_string(),
            });
            rest = quoted[end + 1..].trim_start();
            if let Some(r) = rest.strip_prefix(',') {
                rest = r.trim_start();
            } else if !rest.is_empty() {
                return Err(bad(&format!("expected , before {rest:?}")));
            }
        }
        Ok(Selector { matchers })
    }

    /// No matchers: the assets are rendered unchanged.
    pub fn is_empty(&self) -> bool {
        self.matchers.is_empty()
    }

    /// The equality matchers as (label, value): the labels every series of the deployment
    /// carries.
    pub(crate) fn equalities(&self) -> impl Iterator<Item = (&str, &str)> {
        self.matchers
            .iter()
            .filter(|m| m.equal)
            .map(|m| (m.name.as_str(), m.value.as_str()))
    }

    /// `expr` with the matchers on every series selector.
    pub(crate) fn apply(&self, expr: &str) -> String {
        if self.is_empty() {
            return expr.to_string();
        }
        inject(expr, &self.to_string())
    }

    /// [`apply`](Self::apply) for a rule: also keeps the equality labels in every
    /// aggregation that keeps `job`.
    pub(crate) fn apply_to_rule(&self, expr: &str) -> String {
        let mut expr = self.apply(expr);
        let kept: String = self.equalities().map(|(k, _)| format!(", {k}")).collect();
        if !kept.is_empty() {
            expr = expr.replace("by (job", &format!("by (job{kept}"));
        }
        expr
    }

    /// A promtool test file with the equality labels on every input series and every
    /// expected sample and alert that carries `job` (the rules keep them beside `job`).
    pub(crate) fn apply_to_test(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        for line in text.split_inclusive('\n') {
            let trimmed = line.trim_start();
            if trimmed.starts_with("job: ") {
                out.push_str(line);
                let indent = &line[..line.len() - trimmed.len()];
                for (k, v) in self.equalities() {
                    out.push_str(&format!("{indent}{k}: {v}\n"));
                }
                continue;
            }
            let mut line = line.to_string();
            let mut from = 0;
            while let Some(at) = line[from..].find("job=\"") {
                let start = from + at + 5;
                let Some(len) = line[start..].find('"') else {
                    break;
                };
                let extra: String = self
                    .equalities()
                    .map(|(k, v)| format!(",{k}=\"{v}\""))
                    .collect();
                line.insert_str(start + len + 1, &extra);
                from = start + len + 1 + extra.len();
            }
            out.push_str(&line);
        }
        out
    }
}

/// Puts `matchers` into every vector selector of `expr` (a small PromQL scanner: strings,
/// label matchers, ranges, numbers, Grafana variables, function names, keywords and grouping
/// lists are copied unchanged).
fn inject(expr: &str, matchers: &str) -> String {
    let b = expr.as_bytes();
    let mut out = String::with_capacity(expr.len() + 32);
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b'"' | b'\'' | b'`' => {
                let end = skip_string(b, i);
                out.push_str(&expr[i..end]);
                i = end;
            }
            b'{' | b'[' => {
                let end = skip_group(b, i);
                out.push_str(&expr[i..end]);
                i = end;
            }
            b'$' => {
                let end = skip_word(b, i + 1);
                out.push_str(&expr[i..end]);
                i = end;
            }
            c if c.is_ascii_digit()
                || (c == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit)) =>
            {
                let end = skip_word(b, i);
                out.push_str(&expr[i..end]);
                i = end;
            }
            c if c.is_ascii_alphabetic() || c == b'_' || c == b':' => {
                let end = skip_word(b, i);
                let word = &expr[i..end];
                out.push_str(word);
                i = end;
                let next = skip_ws(b, i);
                let lower = word.to_ascii_lowercase();
                if GROUPING.contains(&lower.as_str()) {
                    if b.get(next) == Some(&b'(') {
                        let close = skip_group(b, next);
                        out.push_str(&expr[i..close]);
                        i = close;
                    }
                } else if KEYWORDS.contains(&lower.as_str()) || b.get(next) == Some(&b'(') {
                    // A keyword or a function call.
                } else if b.get(next) == Some(&b'{') {
                    let close = skip_group(b, next);
                    let inner = expr[next + 1..close - 1].trim();
                    out.push_str(&expr[i..next]);
                    out.push('{');
                    out.push_str(matchers);
                    if !inner.is_empty() {
                        out.push(',');
                        out.push_str(inner);
                    }
                    out.push('}');
                    i = close;
                } else {
                    out.push('{');
                    out.push_str(matchers);
                    out.push('}');
                }
            }
            _ => {
                let len = expr[i..].chars().next().map_or(1, char::len_utf8);
                out.push_str(&expr[i..i + len]);
                i += len;
            }
        }
    }
    out
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
}

fn skip_word(b: &[u8], mut i: usize) -> usize {
    while b
        .get(i)
        .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b':' || *c == b'.')
    {
        i += 1;
    }
    i
}

/// The index after the string literal starting at `i`.
fn skip_string(b: &[u8], i: usize) -> usize {
    let quote = b[i];
    let mut j = i + 1;
    while j < b.len() {
        if b[j] == b'\\' && quote != b'`' {
            j += 2;
            continue;
        }
        if b[j] == quote {
            return j + 1;
        }
        j += 1;
    }
    b.len()
}

/// The index after the bracket opened at `i` closes (`{}`, `[]` or `()`), strings skipped.
fn skip_group(b: &[u8], i: usize) -> usize {
    let (open, close) = match b[i] {
        b'{' => (b'{', b'}'),
        b'[' => (b'[', b']'),
        _ => (b'(', b')'),
    };
    let mut depth = 0usize;
    let mut j = i;
    while j < b.len() {
        match b[j] {
            b'"' | b'\'' | b'`' => {
                j = skip_string(b, j);
                continue;
            }
            c if c == open => depth += 1,
            c if c == close => {
                depth -= 1;
                if depth == 0 {
                    return j + 1;
                }
            }
            _ => {}
        }
        j += 1;
    }
    b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(expr: &str) -> String {
        Selector::parse(r#"env="prod""#).unwrap().apply(expr)
    }

    #[test]
    fn every_selector_gets_the_matchers_and_nothing_else_changes() {
        assert_eq!(
            apply(r#"sum by (job, le) (rate(m_bucket{outcome="success",le="0.2"}[5m]))"#),
            r#"sum by (job, le) (rate(m_bucket{env="prod",outcome="success",le="0.2"}[5m]))"#
        );
        assert_eq!(
            apply("histogram_quantile(0.95, sum(rate(m_bucket[$__rate_interval])) by (le))"),
            r#"histogram_quantile(0.95, sum(rate(m_bucket{env="prod"}[$__rate_interval])) by (le))"#
        );
        assert_eq!(
            apply(r#"up{job="x"} == 0 or 0 * vector(1) > bool 2 and on (job) slo:a:b offset 5m"#),
            r#"up{env="prod",job="x"} == 0 or 0 * vector(1) > bool 2 and on (job) slo:a:b{env="prod"} offset 5m"#
        );
        assert_eq!(
            apply(r#"label_replace(m, "dst", "x", "src", "(.*)") * on (a) group_left (b) t{}"#),
            r#"label_replace(m{env="prod"}, "dst", "x", "src", "(.*)") * on (a) group_left (b) t{env="prod"}"#
        );
        assert_eq!(apply("1 - 2e3 + .5"), "1 - 2e3 + .5");
    }

    #[test]
    fn rules_keep_the_equality_labels_beside_job() {
        let s = Selector::parse(r#"env="prod",region!="eu""#).unwrap();
        assert_eq!(
            s.apply_to_rule("sum by (job) (rate(m[5m]))"),
            r#"sum by (job, env) (rate(m{env="prod",region!="eu"}[5m]))"#
        );
    }

    #[test]
    fn tests_get_the_labels_on_series_and_expectations() {
        let s = Selector::parse(r#"env="prod""#).unwrap();
        let text = "      - series: 'm{job=\"a\",x=\"y\"}'\n          - exp_labels:\n              job: a\n";
        assert_eq!(
            s.apply_to_test(text),
            "      - series: 'm{job=\"a\",env=\"prod\",x=\"y\"}'\n          - exp_labels:\n              job: a\n              env: prod\n"
        );
    }

    #[test]
    fn bad_selectors_are_errors_naming_the_problem() {
        for (text, needle) in [
            ("env=prod", "double quotes"),
            ("env=~\"p.*\"", "only = and !="),
            ("job=\"x\"", "--job"),
            ("__name__=\"x\"", "reserved"),
            ("env=\"a\" region=\"b\"", "expected ,"),
            ("env=\"a", "closing quote"),
            ("env=\"a'b\"", "must not hold"),
            ("env=\"a\",env=\"b\"", "twice"),
            ("=\"a\"", "label name"),
        ] {
            let err = Selector::parse(text).unwrap_err();
            assert!(err.contains(needle), "{text}: {err}");
        }
        assert!(Selector::parse("").unwrap().is_empty());
    }
}
