//! Declarative configuration: an OpenTelemetry configuration file (`OTEL_CONFIG_FILE`, schema
//! `file_format` 1.0 and 1.1) mapped onto the same settings the environment gives, so one
//! validation path, one startup report and the same typed errors serve both — naming the
//! property path (`tracer_provider.processors[0].batch.max_queue_size`) and its line instead
//! of a variable.
//!
//! As the specification prescribes, when a file is given the other `OTEL_*` variables are
//! ignored except through substitution (`${VAR}`, `${env:VAR}`, `${VAR:-default}`, `$$`), done
//! on scalar values only (never keys), with the YAML type read after substitution.
//!
//! Strict: an unknown property, a wrong type, or a property of the schema this SDK does not
//! implement is an error naming its path; `…/development` properties we do not implement are
//! warnings (in the startup report).

use std::collections::HashMap;

use serde_norway::{Mapping, Value};

use crate::error::{Error, Result};

/// Reads the configuration document at `path` — the one place a configuration file is read.
/// Named by `var` (`OTEL_CONFIG_FILE`): an unreadable file is an error naming that variable;
/// given in code (`TelemetryConfig::from_file`): an error about the file.
pub(crate) fn read_document(path: &str, var: Option<&'static str>) -> Result<String> {
    std::fs::read_to_string(path.trim()).map_err(|e| match var {
        Some(var) => Error::InvalidEnv {
            var,
            value: path.to_string(),
            expected: match e.kind() {
                std::io::ErrorKind::NotFound => {
                    <super::syntax::ConfigFile as super::syntax::Syntax>::EXPECTED
                }
                std::io::ErrorKind::PermissionDenied => {
                    "a configuration file this process may read"
                }
                _ => "the path of a readable UTF-8 configuration file (YAML)",
            },
        },
        None => Error::InvalidConfigFile {
            path: String::new(),
            line: None,
            message: format!("cannot read {}: {e}", path.trim()),
        },
    })
}

/// A configuration file mapped onto the environment's settings.
#[derive(Debug, Default)]
pub(crate) struct FileSettings {
    /// `OTEL_*` variable → value, as the file sets them.
    pub(crate) env: HashMap<&'static str, String>,
    /// `OTEL_*` variable → the property path it came from (for errors).
    pub(crate) origin: HashMap<&'static str, String>,
    /// Properties we accept without acting on (`…/development`), and other notes.
    pub(crate) warnings: Vec<String>,
    /// `meter_provider.views`, in order.
    pub(crate) views: Vec<super::values::MetricView>,
    /// The readers' `cardinality_limits` (one set for all readers) and where it came from.
    pub(crate) cardinality: Option<(super::values::CardinalityLimits, String)>,
    /// `resource.detection/development`.
    pub(crate) detection: Option<super::values::ResourceDetection>,
}

struct Ctx<'a> {
    text: &'a str,
    out: FileSettings,
    /// The environment, for substitution and what the `service` detector reads.
    lookup: &'a dyn Fn(&str) -> Option<String>,
}

/// A parse error at `path`, with the line of its last key when it can be found.
fn error(text: &str, path: &str, message: impl Into<String>) -> Error {
    Error::InvalidConfigFile {
        path: path.to_string(),
        line: line_of(text, path),
        message: message.into(),
    }
}

/// The line of `path`'s last key: each key of the path looked for after the line of the one
/// before it (`tracer_provider.processors[0].batch.max_queue_size` → the `max_queue_size:`
/// under that `batch:`), if the text has them.
pub(crate) fn line_of(text: &str, path: &str) -> Option<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let mut from = 0;
    let mut found = None;
    for key in path.split('.').map(|k| k.split('[').next().unwrap_or(k)) {
        if key.is_empty() {
            continue;
        }
        let at = lines[from..].iter().position(|l| {
            let t = l
                .trim_start()
                .trim_start_matches("- ")
                .trim_start_matches('{');
            t.starts_with(&format!("{key}:"))
                || l.contains(&format!("{{{key}:"))
                || l.contains(&format!(", {key}:"))
        })?;
        from += at;
        found = Some(from + 1);
    }
    found
}

mod exporters;
mod logs;
mod metrics;
mod reader;
mod resource;
mod substitution;
#[cfg(test)]
mod tests;
mod traces;
mod views;

use super::env::*;
use super::settings::*;
use exporters::*;
use logs::*;
use metrics::*;
use reader::*;
use resource::*;
use traces::*;
use views::*;

pub(crate) use substitution::load;
#[cfg(test)]
use substitution::substitute;

impl Ctx<'_> {
    fn set(&mut self, var: impl Into<&'static str>, value: String, path: String) {
        let var = var.into();
        self.out.env.insert(var, value);
        self.out.origin.insert(var, path);
    }
}

/// Percent-encodes what `OTEL_RESOURCE_ATTRIBUTES` / `…_HEADERS` treat as separators.
fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b',' | b'=' | b'%' | b' ' | b'"' | b'\\' | b';' => out.push_str(&format!("%{b:02X}")),
            _ => out.push(b as char),
        }
    }
    out
}

// === the document ===

/// Maps a configuration document onto the environment's settings.
pub(crate) fn parse(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<FileSettings> {
    let doc = load(text, lookup)?;
    let mut ctx = Ctx {
        text,
        out: FileSettings::default(),
        lookup,
    };
    let mut top = Obj::new(&ctx, "", &doc, &["distribution"])?;
    match top.get("file_format") {
        Some(v) => {
            let f = scalar(&ctx, "file_format", v)?;
            if !matches!(f.as_str(), "1.0" | "1.1") {
                return Err(error(
                    text,
                    "file_format",
                    format!("{f:?}: expected \"1.0\" or \"1.1\""),
                ));
            }
        }
        None => return Err(error(text, "file_format", "required: \"1.0\" or \"1.1\"")),
    }
    if let Some(v) = top.get("disabled") {
        let d = boolean(&ctx, "disabled", v)?;
        ctx.set(OTEL_SDK_DISABLED, d.to_string(), "disabled".into());
    }
    if let Some(v) = top.get("log_level") {
        let level = scalar(&ctx, "log_level", v)?;
        ctx.set(
            OTEL_LOG_LEVEL,
            severity_level(&ctx, &level)?.into(),
            "log_level".into(),
        );
    }
    if let Some(v) = top.get("attribute_limits") {
        limits(
            &mut ctx,
            "attribute_limits",
            v,
            &[
                ("attribute_count_limit", OTEL_ATTRIBUTE_COUNT_LIMIT),
                (
                    "attribute_value_length_limit",
                    OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT,
                ),
            ],
        )?;
    }
    if let Some(v) = top.get("resource") {
        resource(&mut ctx, v)?;
    }
    if let Some(v) = top.get("propagator") {
        propagator(&mut ctx, v)?;
    }
    // A provider the file leaves out is off (the specification's no-op provider).
    ctx.set(
        OTEL_TRACES_EXPORTER,
        "none".into(),
        "tracer_provider".into(),
    );
    ctx.set(
        OTEL_METRICS_EXPORTER,
        "none".into(),
        "meter_provider".into(),
    );
    ctx.set(OTEL_LOGS_EXPORTER, "none".into(), "logger_provider".into());
    if let Some(v) = top.get("tracer_provider") {
        tracer_provider(&mut ctx, v)?;
    }
    if let Some(v) = top.get("meter_provider") {
        meter_provider(&mut ctx, v)?;
    }
    if let Some(v) = top.get("logger_provider") {
        logger_provider(&mut ctx, v)?;
    }
    top.finish(&mut ctx)?;
    Ok(ctx.out)
}

/// A schema `SeverityNumber` (`debug`, `info2`, `fatal`, …) as an `OTEL_LOG_LEVEL` level.
fn severity_level(ctx: &Ctx<'_>, v: &str) -> Result<&'static str> {
    let base = v.strip_suffix(['2', '3', '4']).unwrap_or(v);
    match base {
        "trace" => Ok("trace"),
        "debug" => Ok("debug"),
        "info" => Ok("info"),
        "warn" => Ok("warn"),
        "error" | "fatal" => Ok("error"),
        _ => Err(error(
            ctx.text,
            "log_level",
            format!("{v:?}: expected a severity such as trace, debug, info, warn, error or fatal (optionally followed by 2, 3 or 4)"),
        )),
    }
}

/// A limits mapping: each `(property, variable)` read as a non-negative integer.
fn limits(
    ctx: &mut Ctx<'_>,
    path: &str,
    v: &Value,
    properties: &[(&'static str, &'static str)],
) -> Result<()> {
    let mut o = Obj::new(ctx, path, v, &[])?;
    for (key, var) in properties {
        if let Some(v) = o.get(key) {
            let p = format!("{path}.{key}");
            let n = integer(ctx, &p, v)?;
            ctx.set(*var, n.to_string(), p);
        }
    }
    o.finish(ctx)
}

/// A timeout in milliseconds where the schema's 0 means "no limit" (our longest, one hour).
fn timeout_ms(ctx: &Ctx<'_>, path: &str, v: &Value) -> Result<String> {
    Ok(match integer(ctx, path, v)? {
        0 => super::values::MAX_DURATION_MS.to_string(),
        n => n.to_string(),
    })
}
