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

/// The variable naming the configuration file.
pub const OTEL_CONFIG_FILE: &str = "OTEL_CONFIG_FILE";
/// Its deprecated name (accepted with a warning).
pub const OTEL_EXPERIMENTAL_CONFIG_FILE: &str = "OTEL_EXPERIMENTAL_CONFIG_FILE";

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

// === substitution ===

/// Substitutes `${VAR}`, `${env:VAR}`, `${VAR:-default}` and `$$` in one scalar as the
/// configuration data model prescribes; `Ok(None)` when there was nothing to substitute.
///
/// Left to right: the text is cut at each `$$` (each becomes one `$` that starts no
/// reference), and references are substituted within the pieces between them. A `${` with no
/// `}` before the next `$$` is text; a complete reference that is not `NAME`, `env:NAME` or
/// `NAME:-default` with `NAME` = `[a-zA-Z_][a-zA-Z0-9_]*` fails the whole parse. The default
/// applies to an undefined or empty variable; nothing is substituted recursively.
pub(crate) fn substitute(
    s: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> std::result::Result<Option<String>, String> {
    if !s.contains('$') {
        return Ok(None);
    }
    let mut out = String::with_capacity(s.len());
    let mut changed = false;
    for (i, piece) in s.split("$$").enumerate() {
        if i > 0 {
            out.push('$');
            changed = true;
        }
        let mut rest = piece;
        while let Some(at) = rest.find("${") {
            let Some(end) = rest[at + 2..].find('}') else {
                break;
            };
            out.push_str(&rest[..at]);
            let inner = &rest[at + 2..at + 2 + end];
            let reference = inner.strip_prefix("env:").unwrap_or(inner);
            let (name, default) = match reference.split_once(":-") {
                Some((n, d)) => (n, Some(d)),
                None => (reference, None),
            };
            let valid = name
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                return Err(format!("invalid substitution ${{{inner}}}: expected ${{NAME}}, ${{env:NAME}} or ${{NAME:-default}}"));
            }
            match lookup(name).filter(|v| !v.is_empty()) {
                Some(v) => out.push_str(&v),
                None => out.push_str(default.unwrap_or("")),
            }
            rest = &rest[at + 2 + end + 1..];
            changed = true;
        }
        out.push_str(rest);
    }
    Ok(changed.then_some(out))
}

/// The type of a plain (unquoted) scalar read from its text, as the YAML parser reads it:
/// null, a boolean or a number, else the text itself as a string. A text that would read as
/// a mapping or sequence stays a string: substitution cannot add structure.
fn plain_scalar(text: String) -> Value {
    match serde_norway::from_str::<Value>(&text) {
        Ok(v @ (Value::Null | Value::Bool(_) | Value::Number(_))) => v,
        _ => Value::String(text),
    }
}

/// Parses `text` into a document with every scalar value substituted (keys untouched), each
/// scalar's type taken as the data model says: a plain scalar is typed from its substituted
/// text (`${PORT}` with `PORT=9464` is the integer 9464), a quoted or block scalar stays a
/// string (`"${SVC}"` with `SVC=1.10` is the string `1.10`). serde_norway's `Value` does not
/// keep a scalar's style, so the document is read from yaml-rust2's events, which do.
pub(crate) fn load(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<Value> {
    // serde_norway reads the document first: its errors (and duplicate keys) as before.
    serde_norway::from_str::<Value>(text).map_err(|e| Error::InvalidConfigFile {
        path: String::new(),
        line: e.location().map(|l| l.line()),
        message: format!("not valid YAML: {e}"),
    })?;
    let mut builder = DocBuilder {
        text,
        lookup,
        stack: Vec::new(),
        anchors: HashMap::new(),
        root: None,
        error: None,
    };
    yaml_rust2::parser::Parser::new_from_str(text)
        .load(&mut builder, false)
        .map_err(|e| Error::InvalidConfigFile {
            path: String::new(),
            line: Some(e.marker().line()),
            message: format!("not valid YAML: {e}"),
        })?;
    if let Some(e) = builder.error {
        return Err(e);
    }
    Ok(builder.root.unwrap_or(Value::Null))
}

/// Builds a [`Value`] from parser events, substituting scalar values on the way.
struct DocBuilder<'a> {
    text: &'a str,
    lookup: &'a dyn Fn(&str) -> Option<String>,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Value>,
    root: Option<Value>,
    error: Option<Error>,
}

enum Frame {
    Seq {
        items: Vec<Value>,
        anchor: usize,
        path: String,
    },
    Map {
        map: Mapping,
        key: Option<Value>,
        anchor: usize,
        path: String,
    },
}

impl DocBuilder<'_> {
    /// Whether the next node is a mapping key.
    fn at_key(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Map { key: None, .. }))
    }

    /// The property path of the next node.
    fn child_path(&self) -> String {
        match self.stack.last() {
            None => String::new(),
            Some(Frame::Seq { items, path, .. }) => format!("{path}[{}]", items.len()),
            Some(Frame::Map { key, path, .. }) => {
                let key = key.as_ref().and_then(Value::as_str).unwrap_or("?");
                if path.is_empty() {
                    key.to_string()
                } else {
                    format!("{path}.{key}")
                }
            }
        }
    }

    fn push(&mut self, value: Value, anchor: usize) {
        if anchor != 0 {
            self.anchors.insert(anchor, value.clone());
        }
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(value);
                }
            }
            Some(Frame::Seq { items, .. }) => items.push(value),
            Some(Frame::Map { map, key, .. }) => match key.take() {
                None => *key = Some(value),
                Some(k) => {
                    map.insert(k, value);
                }
            },
        }
    }

    fn scalar(
        &mut self,
        text: String,
        style: yaml_rust2::scanner::TScalarStyle,
        tag: Option<&yaml_rust2::parser::Tag>,
    ) -> Value {
        use yaml_rust2::scanner::TScalarStyle;
        let plain = style == TScalarStyle::Plain
            && !tag.is_some_and(|t| t.suffix == "str" || t.suffix == "tag:yaml.org,2002:str");
        if self.at_key() {
            return if plain {
                plain_scalar(text)
            } else {
                Value::String(text)
            };
        }
        let text = match substitute(&text, self.lookup) {
            Ok(None) => text,
            Ok(Some(new)) => new,
            Err(message) => {
                let path = self.child_path();
                self.error.get_or_insert(error(self.text, &path, message));
                text
            }
        };
        if plain {
            plain_scalar(text)
        } else {
            Value::String(text)
        }
    }
}

impl yaml_rust2::parser::MarkedEventReceiver for DocBuilder<'_> {
    fn on_event(&mut self, ev: yaml_rust2::parser::Event, _mark: yaml_rust2::scanner::Marker) {
        use yaml_rust2::parser::Event;
        if self.error.is_some() {
            return;
        }
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                let value = self.scalar(text, style, tag.as_ref());
                self.push(value, anchor);
            }
            Event::SequenceStart(anchor, _) => {
                let path = self.child_path();
                self.stack.push(Frame::Seq {
                    items: Vec::new(),
                    anchor,
                    path,
                });
            }
            Event::MappingStart(anchor, _) => {
                let path = self.child_path();
                self.stack.push(Frame::Map {
                    map: Mapping::new(),
                    key: None,
                    anchor,
                    path,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => match self.stack.pop() {
                Some(Frame::Seq { items, anchor, .. }) => self.push(Value::Sequence(items), anchor),
                Some(Frame::Map { map, anchor, .. }) => self.push(Value::Mapping(map), anchor),
                None => {}
            },
            Event::Alias(id) => {
                let value = self.anchors.get(&id).cloned().unwrap_or(Value::Null);
                self.push(value, 0);
            }
            _ => {}
        }
    }
}

// === typed reading ===

/// A mapping being read: every key must be taken, or it is reported.
struct Obj<'a> {
    path: String,
    map: Option<&'a Mapping>,
    taken: Vec<&'static str>,
    /// Properties of the schema we do not implement (an error naming them).
    unsupported: &'static [&'static str],
}

impl<'a> Obj<'a> {
    fn new(
        ctx: &Ctx<'_>,
        path: &str,
        v: &'a Value,
        unsupported: &'static [&'static str],
    ) -> Result<Self> {
        let map = match v {
            Value::Mapping(m) => Some(m),
            Value::Null => None,
            _ => return Err(error(ctx.text, path, "expected a mapping")),
        };
        Ok(Obj {
            path: path.to_string(),
            map,
            taken: Vec::new(),
            unsupported,
        })
    }

    fn at(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    fn get(&mut self, key: &'static str) -> Option<&'a Value> {
        self.taken.push(key);
        self.map?.get(key).filter(|v| !v.is_null())
    }

    /// Whether `key` is present, even with no value (`console:`).
    fn has(&mut self, key: &'static str) -> bool {
        self.taken.push(key);
        self.map.is_some_and(|m| m.contains_key(key))
    }

    /// A required property: when it is missing, a key that is none of `known` (a misspelling,
    /// most likely) is reported first.
    fn require(&mut self, ctx: &Ctx<'_>, key: &'static str, known: &[&str]) -> Result<&'a Value> {
        if let Some(v) = self.get(key) {
            return Ok(v);
        }
        if let Some(map) = self.map {
            for k in map.keys().filter_map(Value::as_str) {
                if !known.contains(&k)
                    && !self.unsupported.contains(&k)
                    && !k.ends_with("/development")
                {
                    return Err(error(ctx.text, &self.at(k), "unknown property"));
                }
            }
        }
        Err(error(ctx.text, &self.at(key), "required"))
    }

    /// Every key not taken: an error (unknown or unsupported), or a warning for
    /// `…/development` properties.
    fn finish(self, ctx: &mut Ctx<'_>) -> Result<()> {
        let Some(map) = self.map else {
            return Ok(());
        };
        for k in map.keys() {
            let key = k.as_str().unwrap_or("?");
            if self.taken.contains(&key) {
                continue;
            }
            let path = self.at(key);
            if key.ends_with("/development") {
                ctx.out.warnings.push(format!(
                    "{path}: development property not implemented, ignored"
                ));
            } else if self.unsupported.contains(&key) {
                return Err(error(
                    ctx.text,
                    &path,
                    "this property of the configuration schema is not supported by marketplace-telemetry yet",
                ));
            } else {
                return Err(error(ctx.text, &path, "unknown property"));
            }
        }
        Ok(())
    }
}

fn scalar(ctx: &Ctx<'_>, path: &str, v: &Value) -> Result<String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err(error(
            ctx.text,
            path,
            "expected a string, number or boolean",
        )),
    }
}

fn integer(ctx: &Ctx<'_>, path: &str, v: &Value) -> Result<u64> {
    v.as_u64().ok_or_else(|| {
        error(
            ctx.text,
            path,
            format!("expected a non-negative integer, got {}", describe(v)),
        )
    })
}

fn boolean(ctx: &Ctx<'_>, path: &str, v: &Value) -> Result<bool> {
    v.as_bool().ok_or_else(|| {
        error(
            ctx.text,
            path,
            format!("expected true or false, got {}", describe(v)),
        )
    })
}

fn describe(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "nothing".into(),
        Value::Sequence(_) => "a list".into(),
        Value::Mapping(_) => "a mapping".into(),
        Value::Tagged(_) => "a tagged value".into(),
    }
}

fn seq<'a>(ctx: &Ctx<'_>, path: &str, v: &'a Value) -> Result<&'a [Value]> {
    v.as_sequence().map(|s| s.as_slice()).ok_or_else(|| {
        error(
            ctx.text,
            path,
            format!("expected a list, got {}", describe(v)),
        )
    })
}

impl Ctx<'_> {
    fn set(&mut self, var: &'static str, value: String, path: String) {
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
        ctx.set("OTEL_SDK_DISABLED", d.to_string(), "disabled".into());
    }
    if let Some(v) = top.get("log_level") {
        let level = scalar(&ctx, "log_level", v)?;
        ctx.set(
            "OTEL_LOG_LEVEL",
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
                ("attribute_count_limit", "OTEL_ATTRIBUTE_COUNT_LIMIT"),
                (
                    "attribute_value_length_limit",
                    "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT",
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
        "OTEL_TRACES_EXPORTER",
        "none".into(),
        "tracer_provider".into(),
    );
    ctx.set(
        "OTEL_METRICS_EXPORTER",
        "none".into(),
        "meter_provider".into(),
    );
    ctx.set(
        "OTEL_LOGS_EXPORTER",
        "none".into(),
        "logger_provider".into(),
    );
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
            ctx.set(var, n.to_string(), p);
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

fn resource(ctx: &mut Ctx<'_>, v: &Value) -> Result<()> {
    let mut r = Obj::new(ctx, "resource", v, &["schema_url"])?;
    let mut pairs: Vec<String> = Vec::new();
    if let Some(list) = r.get("attributes") {
        for (i, a) in seq(ctx, "resource.attributes", list)?.iter().enumerate() {
            let path = format!("resource.attributes[{i}]");
            let mut o = Obj::new(ctx, &path, a, &[])?;
            let name = o
                .get("name")
                .ok_or_else(|| error(ctx.text, &format!("{path}.name"), "required"))?;
            let name = scalar(ctx, &format!("{path}.name"), name)?;
            let value = o
                .get("value")
                .ok_or_else(|| error(ctx.text, &format!("{path}.value"), "required"))?;
            let value = match value {
                Value::Sequence(_) => {
                    return Err(error(
                        ctx.text,
                        &format!("{path}.value"),
                        "array attribute values are not supported yet",
                    ))
                }
                v => scalar(ctx, &format!("{path}.value"), v)?,
            };
            if let Some(t) = o.get("type") {
                let t = scalar(ctx, &format!("{path}.type"), t)?;
                if !matches!(t.as_str(), "string" | "bool" | "int" | "double") {
                    return Err(error(ctx.text, &format!("{path}.type"), format!("{t:?}: expected string, bool, int or double (arrays are not supported yet)")));
                }
            }
            o.finish(ctx)?;
            if name == "service.name" {
                ctx.set("OTEL_SERVICE_NAME", value.clone(), format!("{path}.value"));
            }
            pairs.push(format!("{}={}", encode(&name), encode(&value)));
        }
    }
    if let Some(list) = r.get("attributes_list") {
        let l = scalar(ctx, "resource.attributes_list", list)?;
        // Entries of `attributes` win over the list's.
        let mut from_list: Vec<String> = l
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .filter(|s| {
                let key = s.split('=').next().unwrap_or("");
                !pairs.iter().any(|p| p.split('=').next() == Some(key))
            })
            .map(str::to_string)
            .collect();
        from_list.append(&mut pairs);
        pairs = from_list;
    }
    if let Some(d) = r.get("detection/development") {
        detection(ctx, d)?;
    }
    r.finish(ctx)?;
    if !pairs.is_empty() {
        ctx.set(
            "OTEL_RESOURCE_ATTRIBUTES",
            pairs.join(","),
            "resource.attributes".into(),
        );
    }
    Ok(())
}

/// `resource.detection/development`: the detectors this SDK has (`service`, `host`,
/// `process`, `container`; another name is an error naming it) and the attribute filter.
fn detection(ctx: &mut Ctx<'_>, v: &Value) -> Result<()> {
    const PATH: &str = "resource.detection/development";
    let mut d = Obj::new(ctx, PATH, v, &[])?;
    let mut out = super::values::ResourceDetection::default();
    if let Some(list) = d.get("detectors") {
        for (i, entry) in seq(ctx, &format!("{PATH}.detectors"), list)?
            .iter()
            .enumerate()
        {
            let path = format!("{PATH}.detectors[{i}]");
            let map = entry.as_mapping().filter(|m| m.len() == 1).ok_or_else(|| {
                error(ctx.text, &path, "expected one detector name, e.g. `host:`")
            })?;
            let (name, options) = map
                .iter()
                .next()
                .map(|(k, v)| (k.as_str().unwrap_or("?"), v))
                .unwrap_or(("?", &Value::Null));
            if !(options.is_null() || options.as_mapping().is_some_and(Mapping::is_empty)) {
                return Err(error(
                    ctx.text,
                    &format!("{path}.{name}"),
                    "expected no options",
                ));
            }
            match name {
                "service" => out.service = true,
                "host" => out.host = true,
                "process" => out.process = true,
                "container" => out.container = true,
                other => {
                    return Err(error(
                        ctx.text,
                        &path,
                        format!("{other:?}: expected one of service, host, process, container"),
                    ))
                }
            }
        }
    }
    if let Some(a) = d.get("attributes") {
        let apath = format!("{PATH}.attributes");
        let mut o = Obj::new(ctx, &apath, a, &[])?;
        for (key, target) in [
            ("included", &mut out.included),
            ("excluded", &mut out.excluded),
        ] {
            if let Some(list) = o.get(key) {
                let path = format!("{apath}.{key}");
                for (i, p) in seq(ctx, &path, list)?.iter().enumerate() {
                    target.push(scalar(ctx, &format!("{path}[{i}]"), p)?);
                }
            }
        }
        o.finish(ctx)?;
    }
    d.finish(ctx)?;
    // The `service` detector: `service.name` from `OTEL_SERVICE_NAME` unless the file's own
    // attributes name the service (they take precedence over detected attributes).
    if out.service && !ctx.out.env.contains_key("OTEL_SERVICE_NAME") {
        if let Some(name) = (ctx.lookup)("OTEL_SERVICE_NAME").filter(|n| !n.trim().is_empty()) {
            ctx.set("OTEL_SERVICE_NAME", name, format!("{PATH}.detectors"));
        }
    }
    ctx.out.detection = Some(out);
    Ok(())
}

fn propagator(ctx: &mut Ctx<'_>, v: &Value) -> Result<()> {
    let mut p = Obj::new(ctx, "propagator", v, &[])?;
    let mut names: Vec<String> = Vec::new();
    if let Some(list) = p.get("composite") {
        for (i, entry) in seq(ctx, "propagator.composite", list)?.iter().enumerate() {
            let path = format!("propagator.composite[{i}]");
            let map = entry.as_mapping().filter(|m| m.len() == 1).ok_or_else(|| {
                error(
                    ctx.text,
                    &path,
                    "expected one propagator name, e.g. `tracecontext:`",
                )
            })?;
            if let Some(name) = map.keys().next().and_then(Value::as_str) {
                names.push(name.to_string());
            }
        }
    }
    if let Some(list) = p.get("composite_list") {
        for name in scalar(ctx, "propagator.composite_list", list)?.split(',') {
            let name = name.trim();
            if !name.is_empty() && !names.iter().any(|n| n == name) {
                names.push(name.to_string());
            }
        }
    }
    p.finish(ctx)?;
    if !names.is_empty() {
        ctx.set(
            "OTEL_PROPAGATORS",
            names.join(","),
            "propagator.composite".into(),
        );
    }
    Ok(())
}

use super::env::{BatchVars, SignalVars, BLRP_VARS, BSP_VARS, SIGNAL_VARS};

/// The OTLP variables of traces, metrics, logs (the environment's table).
fn signal_vars(index: usize) -> &'static SignalVars {
    &SIGNAL_VARS[index]
}

/// A batch processor's `schedule_delay`, `max_queue_size`, `max_export_batch_size`, and
/// its exporter; returns the exporter's name.
fn batch(
    ctx: &mut Ctx<'_>,
    path: &str,
    v: &Value,
    vars: &BatchVars,
    signal: usize,
    otlp: &mut Option<String>,
) -> Result<&'static str> {
    let mut bo = Obj::new(ctx, path, v, &[])?;
    if let Some(v) = bo.get("export_timeout") {
        let p = format!("{path}.export_timeout");
        let t = timeout_ms(ctx, &p, v)?;
        ctx.set(vars.export_timeout, t, p);
    }
    for (key, var) in [
        ("schedule_delay", vars.schedule_delay),
        ("max_queue_size", vars.max_queue_size),
        ("max_export_batch_size", vars.max_export_batch_size),
    ] {
        if let Some(v) = bo.get(key) {
            let p = format!("{path}.{key}");
            let n = integer(ctx, &p, v)?;
            ctx.set(var, n.to_string(), p);
        }
    }
    let e = bo.require(
        ctx,
        "exporter",
        &[
            "exporter",
            "schedule_delay",
            "max_queue_size",
            "max_export_batch_size",
            "export_timeout",
        ],
    )?;
    let name = exporter(
        ctx,
        &format!("{path}.exporter"),
        e,
        signal_vars(signal),
        otlp,
        false,
    )?;
    bo.finish(ctx)?;
    Ok(name)
}

/// Reads an exporter mapping (`otlp_grpc`, `otlp_http`, `console`); returns the exporter
/// names it adds to the signal's `OTEL_*_EXPORTER` list.
fn exporter(
    ctx: &mut Ctx<'_>,
    path: &str,
    v: &Value,
    vars: &SignalVars,
    otlp_seen: &mut Option<String>,
    metric: bool,
) -> Result<&'static str> {
    let mut e = Obj::new(ctx, path, v, &[])?;
    let (grpc, http, console) = (e.has("otlp_grpc"), e.has("otlp_http"), e.has("console"));
    e.finish(ctx)?;
    if [grpc, http, console].iter().filter(|b| **b).count() != 1 {
        return Err(error(
            ctx.text,
            path,
            "expected exactly one exporter: otlp_grpc, otlp_http or console",
        ));
    }
    if console {
        return Ok("console");
    }
    let null = Value::Null;
    let (kind, protocol) = if grpc {
        ("otlp_grpc", "grpc")
    } else {
        ("otlp_http", "http/protobuf")
    };
    let v = v.get(kind).unwrap_or(&null);
    let path = format!("{path}.{kind}");
    if let Some(first) = otlp_seen.replace(path.clone()) {
        return Err(error(ctx.text, &path, format!("a second OTLP exporter for this signal (the first is {first}): one per signal is supported")));
    }
    let mut o = Obj::new(ctx, &path, v, &[])?;
    if metric {
        if let Some(v) = o.get("temporality_preference") {
            let p = format!("{path}.temporality_preference");
            let t = scalar(ctx, &p, v)?;
            // The schema spells `low_memory`; the environment `lowmemory`.
            let t = if t == "low_memory" {
                "lowmemory".into()
            } else {
                t
            };
            ctx.set("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", t, p);
        }
        if let Some(v) = o.get("default_histogram_aggregation") {
            let p = format!("{path}.default_histogram_aggregation");
            let a = scalar(ctx, &p, v)?;
            ctx.set(
                "OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION",
                a,
                p,
            );
        }
    }
    ctx.set(vars.protocol, protocol.into(), path.clone());
    if let Some(v) = o.get("endpoint") {
        let p = format!("{path}.endpoint");
        let endpoint = scalar(ctx, &p, v)?;
        ctx.set(vars.endpoint, endpoint, p);
    }
    let mut headers: Vec<String> = Vec::new();
    if let Some(list) = o.get("headers") {
        for (i, h) in seq(ctx, &format!("{path}.headers"), list)?
            .iter()
            .enumerate()
        {
            let hp = format!("{path}.headers[{i}]");
            let mut ho = Obj::new(ctx, &hp, h, &[])?;
            let name = ho
                .get("name")
                .ok_or_else(|| error(ctx.text, &format!("{hp}.name"), "required"))?;
            let name = scalar(ctx, &format!("{hp}.name"), name)?;
            let value = ho
                .get("value")
                .ok_or_else(|| error(ctx.text, &format!("{hp}.value"), "required"))?;
            let value = scalar(ctx, &format!("{hp}.value"), value)?;
            ho.finish(ctx)?;
            headers.push(format!("{}={}", encode(&name), encode(&value)));
        }
    }
    if let Some(v) = o.get("headers_list") {
        let list = scalar(ctx, &format!("{path}.headers_list"), v)?;
        for h in list.split(',').map(str::trim).filter(|h| !h.is_empty()) {
            let key = h.split('=').next().unwrap_or("");
            if !headers.iter().any(|x| x.split('=').next() == Some(key)) {
                headers.push(h.to_string());
            }
        }
    }
    if !headers.is_empty() {
        ctx.set(vars.headers, headers.join(","), format!("{path}.headers"));
    }
    if let Some(v) = o.get("compression") {
        let p = format!("{path}.compression");
        let c = scalar(ctx, &p, v)?;
        ctx.set(vars.compression, c, p);
    }
    if let Some(v) = o.get("timeout") {
        let p = format!("{path}.timeout");
        let t = timeout_ms(ctx, &p, v)?;
        ctx.set(vars.timeout, t, p);
    }
    if kind == "otlp_http" {
        if let Some(v) = o.get("encoding") {
            let p = format!("{path}.encoding");
            let enc = scalar(ctx, &p, v)?;
            if enc != "protobuf" {
                return Err(error(
                    ctx.text,
                    &p,
                    format!("{enc:?}: only protobuf is supported"),
                ));
            }
        }
    }
    if let Some(v) = o.get("tls") {
        let tp = format!("{path}.tls");
        let mut t = Obj::new(ctx, &tp, v, &[])?;
        for (key, var) in [
            ("ca_file", vars.certificate),
            ("cert_file", vars.client_certificate),
            ("key_file", vars.client_key),
        ] {
            if let Some(v) = t.get(key) {
                let p = format!("{tp}.{key}");
                let file = scalar(ctx, &p, v)?;
                ctx.set(var, file, p);
            }
        }
        if kind == "otlp_grpc" {
            if let Some(v) = t.get("insecure") {
                let p = format!("{tp}.insecure");
                // Checked against the endpoint's scheme, as the environment's variable is.
                let insecure = boolean(ctx, &p, v)?;
                ctx.set(vars.insecure, insecure.to_string(), p);
            }
        }
        t.finish(ctx)?;
    }
    o.finish(ctx)?;
    Ok("otlp")
}

fn join_exporters(list: &[&'static str]) -> String {
    let mut names: Vec<&str> = list.iter().copied().filter(|n| *n != "none").collect();
    names.dedup();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(",")
    }
}

fn tracer_provider(ctx: &mut Ctx<'_>, v: &Value) -> Result<()> {
    let mut t = Obj::new(ctx, "tracer_provider", v, &["id_generator"])?;
    if let Some(l) = t.get("limits") {
        limits(
            ctx,
            "tracer_provider.limits",
            l,
            &[
                ("attribute_count_limit", "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT"),
                (
                    "attribute_value_length_limit",
                    "OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT",
                ),
                ("event_count_limit", "OTEL_SPAN_EVENT_COUNT_LIMIT"),
                ("link_count_limit", "OTEL_SPAN_LINK_COUNT_LIMIT"),
                (
                    "event_attribute_count_limit",
                    "OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT",
                ),
                (
                    "link_attribute_count_limit",
                    "OTEL_LINK_ATTRIBUTE_COUNT_LIMIT",
                ),
            ],
        )?;
    }
    let mut exporters = Vec::new();
    let mut otlp = None;
    let processors = t.require(
        ctx,
        "processors",
        &["processors", "sampler", "limits", "id_generator"],
    )?;
    for (i, p) in seq(ctx, "tracer_provider.processors", processors)?
        .iter()
        .enumerate()
    {
        let path = format!("tracer_provider.processors[{i}]");
        let mut po = Obj::new(ctx, &path, p, &[])?;
        if let Some(b) = po.get("batch") {
            let bp = format!("{path}.batch");
            exporters.push(batch(ctx, &bp, b, &BSP_VARS, 0, &mut otlp)?);
        } else if let Some(s) = po.get("simple") {
            let sp = format!("{path}.simple");
            let mut so = Obj::new(ctx, &sp, s, &[])?;
            let e = so
                .get("exporter")
                .ok_or_else(|| error(ctx.text, &format!("{sp}.exporter"), "required"))?;
            let name = exporter(
                ctx,
                &format!("{sp}.exporter"),
                e,
                signal_vars(0),
                &mut otlp,
                false,
            )?;
            if name == "otlp" {
                return Err(error(ctx.text, &sp, "a simple processor with an OTLP exporter is not supported (it exports each span synchronously): use batch"));
            }
            exporters.push(name);
            so.finish(ctx)?;
        } else {
            po.finish(ctx)?;
            return Err(error(ctx.text, &path, "expected `batch` or `simple`"));
        }
        po.finish(ctx)?;
    }
    if let Some(s) = t.get("sampler") {
        let (sampler, arg) = sampler(ctx, "tracer_provider.sampler", s, true)?;
        ctx.set(
            "OTEL_TRACES_SAMPLER",
            sampler,
            "tracer_provider.sampler".into(),
        );
        if let Some(arg) = arg {
            ctx.set(
                "OTEL_TRACES_SAMPLER_ARG",
                arg,
                "tracer_provider.sampler".into(),
            );
        }
    }
    t.finish(ctx)?;
    ctx.set(
        "OTEL_TRACES_EXPORTER",
        join_exporters(&exporters),
        "tracer_provider.processors".into(),
    );
    Ok(())
}

/// A sampler as `OTEL_TRACES_SAMPLER` (and its argument).
fn sampler(
    ctx: &mut Ctx<'_>,
    path: &str,
    v: &Value,
    top: bool,
) -> Result<(String, Option<String>)> {
    let mut s = Obj::new(
        ctx,
        path,
        v,
        &["probability/development", "composite/development"],
    )?;
    let mut found: Option<(String, Option<String>)> = None;
    if s.has("always_on") {
        found = Some(("always_on".into(), None));
    }
    if s.has("always_off") {
        found = Some(("always_off".into(), None));
    }
    if let Some(r) = s.get("trace_id_ratio_based") {
        let rp = format!("{path}.trace_id_ratio_based");
        let mut ro = Obj::new(ctx, &rp, r, &[])?;
        let ratio = match ro.get("ratio") {
            Some(v) => v.as_f64().ok_or_else(|| {
                error(
                    ctx.text,
                    &format!("{rp}.ratio"),
                    format!("expected a number from 0 to 1, got {}", describe(v)),
                )
            })?,
            None => 1.0,
        };
        ro.finish(ctx)?;
        found = Some(("traceidratio".into(), Some(ratio.to_string())));
    } else if matches!(v.get("trace_id_ratio_based"), Some(Value::Null)) {
        found = Some(("traceidratio".into(), Some("1".into())));
    }
    if let Some(p) = s.get("parent_based") {
        let pp = format!("{path}.parent_based");
        if !top {
            return Err(error(
                ctx.text,
                &pp,
                "a parent_based sampler inside parent_based is not supported",
            ));
        }
        let mut po = Obj::new(ctx, &pp, p, &[])?;
        let root = match po.get("root") {
            Some(r) => sampler(ctx, &format!("{pp}.root"), r, false)?,
            None => ("always_on".into(), None),
        };
        for (branch, default) in [
            ("remote_parent_sampled", "always_on"),
            ("remote_parent_not_sampled", "always_off"),
            ("local_parent_sampled", "always_on"),
            ("local_parent_not_sampled", "always_off"),
        ] {
            if let Some(b) = po.get(branch) {
                let bp = format!("{pp}.{branch}");
                let (name, _) = sampler(ctx, &bp, b, false)?;
                if name != default {
                    return Err(error(ctx.text, &bp, format!("only {default} is supported for this branch (the SDK's parent-based sampler), got {name}")));
                }
            }
        }
        po.finish(ctx)?;
        found = Some(match root.0.as_str() {
            "always_on" => ("parentbased_always_on".into(), None),
            "always_off" => ("parentbased_always_off".into(), None),
            _ => ("parentbased_traceidratio".into(), root.1),
        });
    } else if matches!(v.get("parent_based"), Some(Value::Null)) {
        found = Some(("parentbased_always_on".into(), None));
    }
    s.finish(ctx)?;
    found.ok_or_else(|| {
        error(
            ctx.text,
            path,
            "expected always_on, always_off, trace_id_ratio_based or parent_based",
        )
    })
}

fn meter_provider(ctx: &mut Ctx<'_>, v: &Value) -> Result<()> {
    let mut m = Obj::new(ctx, "meter_provider", v, &[])?;
    let mut exporters = Vec::new();
    let mut otlp = None;
    let readers = m.require(ctx, "readers", &["readers", "views", "exemplar_filter"])?;
    for (i, r) in seq(ctx, "meter_provider.readers", readers)?
        .iter()
        .enumerate()
    {
        let path = format!("meter_provider.readers[{i}]");
        let mut ro = Obj::new(ctx, &path, r, &[])?;
        if let Some(p) = ro.get("pull") {
            let pp = format!("{path}.pull");
            let mut po = Obj::new(ctx, &pp, p, &["producers"])?;
            if let Some(c) = po.get("cardinality_limits") {
                cardinality_limits(ctx, &format!("{pp}.cardinality_limits"), c)?;
            }
            let e = po
                .get("exporter")
                .ok_or_else(|| error(ctx.text, &format!("{pp}.exporter"), "required"))?;
            let ep = format!("{pp}.exporter");
            let mut eo = Obj::new(ctx, &ep, e, &[])?;
            if !eo.has("prometheus/development") {
                return Err(error(ctx.text, &ep, "expected `prometheus/development`"));
            }
            let null = Value::Null;
            let prom = e.get("prometheus/development").unwrap_or(&null);
            let xp = format!("{ep}.prometheus/development");
            let mut xo = Obj::new(ctx, &xp, prom, &[])?;
            // The schema's default is `true` (ours without a file is `false`).
            let scope_info = match xo.get("scope_info_enabled") {
                Some(v) => boolean(ctx, &format!("{xp}.scope_info_enabled"), v)?,
                None => true,
            };
            ctx.set(
                "MARKETPLACE_PROMETHEUS_SCOPE_INFO",
                scope_info.to_string(),
                format!("{xp}.scope_info_enabled"),
            );
            if let Some(v) = xo.get("target_info_enabled/development") {
                let p = format!("{xp}.target_info_enabled/development");
                let enabled = boolean(ctx, &p, v)?;
                ctx.set("MARKETPLACE_PROMETHEUS_TARGET_INFO", enabled.to_string(), p);
            }
            if let Some(v) = xo.get("translation_strategy") {
                let p = format!("{xp}.translation_strategy");
                let strategy = scalar(ctx, &p, v)?;
                ctx.set("MARKETPLACE_PROMETHEUS_TRANSLATION_STRATEGY", strategy, p);
            }
            if let Some(h) = xo.get("host") {
                let p = format!("{xp}.host");
                let host = scalar(ctx, &p, h)?;
                ctx.set("OTEL_EXPORTER_PROMETHEUS_HOST", host, p);
            }
            if let Some(port) = xo.get("port") {
                let p = format!("{xp}.port");
                let n = integer(ctx, &p, port)?;
                ctx.set("OTEL_EXPORTER_PROMETHEUS_PORT", n.to_string(), p);
            }
            if let Some(l) = xo.get("resource_constant_labels") {
                let lp = format!("{xp}.resource_constant_labels");
                let mut lo = Obj::new(ctx, &lp, l, &["excluded"])?;
                if let Some(inc) = lo.get("included") {
                    let keys: Vec<String> = seq(ctx, &format!("{lp}.included"), inc)?
                        .iter()
                        .map(|k| scalar(ctx, &format!("{lp}.included"), k))
                        .collect::<Result<_>>()?;
                    ctx.set(
                        "MARKETPLACE_PROMETHEUS_RESOURCE_LABELS",
                        keys.join(","),
                        format!("{lp}.included"),
                    );
                }
                lo.finish(ctx)?;
            }
            xo.finish(ctx)?;
            eo.finish(ctx)?;
            po.finish(ctx)?;
            exporters.push("prometheus");
        } else if let Some(p) = ro.get("periodic") {
            let pp = format!("{path}.periodic");
            let mut po = Obj::new(ctx, &pp, p, &["producers"])?;
            if let Some(c) = po.get("cardinality_limits") {
                cardinality_limits(ctx, &format!("{pp}.cardinality_limits"), c)?;
            }
            if let Some(v) = po.get("interval") {
                let p = format!("{pp}.interval");
                let n = integer(ctx, &p, v)?;
                ctx.set("OTEL_METRIC_EXPORT_INTERVAL", n.to_string(), p);
            }
            if let Some(v) = po.get("timeout") {
                let p = format!("{pp}.timeout");
                let t = timeout_ms(ctx, &p, v)?;
                ctx.set("OTEL_METRIC_EXPORT_TIMEOUT", t, p);
            }
            let e = po
                .get("exporter")
                .ok_or_else(|| error(ctx.text, &format!("{pp}.exporter"), "required"))?;
            exporters.push(exporter(
                ctx,
                &format!("{pp}.exporter"),
                e,
                signal_vars(1),
                &mut otlp,
                true,
            )?);
            po.finish(ctx)?;
        } else {
            ro.finish(ctx)?;
            return Err(error(ctx.text, &path, "expected `pull` or `periodic`"));
        }
        ro.finish(ctx)?;
    }
    if let Some(list) = m.get("views") {
        for (i, view) in seq(ctx, "meter_provider.views", list)?.iter().enumerate() {
            let parsed = metric_view(ctx, &format!("meter_provider.views[{i}]"), view)?;
            ctx.out.views.push(parsed);
        }
    }
    if let Some(f) = m.get("exemplar_filter") {
        let p = "meter_provider.exemplar_filter";
        let filter = scalar(ctx, p, f)?;
        ctx.set("OTEL_METRICS_EXEMPLAR_FILTER", filter, p.into());
    }
    m.finish(ctx)?;
    ctx.set(
        "OTEL_METRICS_EXPORTER",
        join_exporters(&exporters),
        "meter_provider.readers".into(),
    );
    Ok(())
}

/// A reader's `cardinality_limits`. opentelemetry-sdk 0.33 limits per stream, not per reader:
/// one set applies to every reader, so two readers that disagree are an error.
fn cardinality_limits(ctx: &mut Ctx<'_>, path: &str, v: &Value) -> Result<()> {
    let mut o = Obj::new(ctx, path, v, &[])?;
    let mut limits = super::values::CardinalityLimits::default();
    for (key, slot) in [
        ("default", &mut limits.default),
        ("counter", &mut limits.counter),
        ("up_down_counter", &mut limits.up_down_counter),
        ("histogram", &mut limits.histogram),
        ("gauge", &mut limits.gauge),
        ("observable_counter", &mut limits.observable_counter),
        (
            "observable_up_down_counter",
            &mut limits.observable_up_down_counter,
        ),
        ("observable_gauge", &mut limits.observable_gauge),
    ] {
        if let Some(v) = o.get(key) {
            *slot = Some(positive_limit(ctx, &format!("{path}.{key}"), v)?);
        }
    }
    o.finish(ctx)?;
    if let Some((first, first_path)) = &ctx.out.cardinality {
        if *first != limits {
            return Err(error(ctx.text, path, format!("differs from {first_path}: opentelemetry-sdk 0.33 applies cardinality limits to every reader at once, so all readers must give the same")));
        }
    }
    ctx.out.cardinality = Some((limits, path.to_string()));
    Ok(())
}

/// A cardinality limit: a whole number from 1 to 1048576.
fn positive_limit(ctx: &Ctx<'_>, path: &str, v: &Value) -> Result<usize> {
    match integer(ctx, path, v)? {
        n @ 1..=1_048_576 => Ok(n as usize),
        n => Err(error(
            ctx.text,
            path,
            format!("{n}: expected a whole number from 1 to 1048576"),
        )),
    }
}

fn instrument_kind(
    ctx: &Ctx<'_>,
    path: &str,
    name: &str,
) -> Result<opentelemetry_sdk::metrics::InstrumentKind> {
    use opentelemetry_sdk::metrics::InstrumentKind as K;
    Ok(match name {
        "counter" => K::Counter,
        "up_down_counter" => K::UpDownCounter,
        "histogram" => K::Histogram,
        "gauge" => K::Gauge,
        "observable_counter" => K::ObservableCounter,
        "observable_up_down_counter" => K::ObservableUpDownCounter,
        "observable_gauge" => K::ObservableGauge,
        other => return Err(error(ctx.text, path, format!("{other:?}: expected counter, up_down_counter, histogram, gauge, observable_counter, observable_up_down_counter or observable_gauge"))),
    })
}

/// One `meter_provider.views[i]` entry.
fn metric_view(ctx: &mut Ctx<'_>, path: &str, v: &Value) -> Result<super::values::MetricView> {
    use opentelemetry_sdk::metrics::Aggregation;
    let mut view = super::values::MetricView::default();
    let mut o = Obj::new(ctx, path, v, &[])?;
    let selector = o.require(ctx, "selector", &["selector", "stream"])?;
    let sp = format!("{path}.selector");
    let mut so = Obj::new(ctx, &sp, selector, &[])?;
    let text = |so: &mut Obj<'_>, key: &'static str| -> Result<Option<String>> {
        match so.get(key) {
            Some(v) => scalar(ctx, &format!("{sp}.{key}"), v).map(Some),
            None => Ok(None),
        }
    };
    view.instrument_name = text(&mut so, "instrument_name")?;
    view.unit = text(&mut so, "unit")?;
    view.meter_name = text(&mut so, "meter_name")?;
    view.meter_version = text(&mut so, "meter_version")?;
    view.meter_schema_url = text(&mut so, "meter_schema_url")?;
    if let Some(kind) = text(&mut so, "instrument_type")? {
        view.instrument_type = Some(instrument_kind(
            ctx,
            &format!("{sp}.instrument_type"),
            &kind,
        )?);
    }
    so.finish(ctx)?;
    let stream = o.require(ctx, "stream", &["selector", "stream"])?;
    let st = format!("{path}.stream");
    let mut to = Obj::new(ctx, &st, stream, &[])?;
    if let Some(v) = to.get("name") {
        let p = format!("{st}.name");
        let exact = view
            .instrument_name
            .as_deref()
            .is_some_and(|n| !n.contains(['*', '?']));
        if !exact {
            return Err(error(ctx.text, &p, "a stream name needs a selector naming one instrument exactly (instrument_name without wildcards): several instruments cannot share one name"));
        }
        view.name = Some(scalar(ctx, &p, v)?);
    }
    if let Some(v) = to.get("description") {
        view.description = Some(scalar(ctx, &format!("{st}.description"), v)?);
    }
    if let Some(v) = to.get("aggregation_cardinality_limit") {
        view.cardinality_limit = Some(positive_limit(
            ctx,
            &format!("{st}.aggregation_cardinality_limit"),
            v,
        )?);
    }
    if let Some(v) = to.get("attribute_keys") {
        let ap = format!("{st}.attribute_keys");
        let mut ao = Obj::new(ctx, &ap, v, &[])?;
        if let Some(inc) = ao.get("included") {
            let mut keys = Vec::new();
            for k in seq(ctx, &format!("{ap}.included"), inc)? {
                let key = scalar(ctx, &format!("{ap}.included"), k)?;
                if key.contains(['*', '?']) {
                    return Err(error(ctx.text, &format!("{ap}.included"), format!("{key:?}: wildcards are not supported here (opentelemetry-sdk 0.33 keeps an allow list of exact keys)")));
                }
                keys.push(key);
            }
            view.attribute_keys = Some(keys);
        }
        if ao.has("excluded") {
            return Err(error(ctx.text, &format!("{ap}.excluded"), "not supported: opentelemetry-sdk 0.33 keeps an allow list of attribute keys only (list the keys to keep in `included`)"));
        }
        ao.finish(ctx)?;
    }
    if let Some(v) = to.get("aggregation") {
        let ap = format!("{st}.aggregation");
        let mut ao = Obj::new(ctx, &ap, v, &[])?;
        let mut found = Vec::new();
        for key in ["default", "drop", "sum", "last_value"] {
            if ao.has(key) {
                found.push(match key {
                    "default" => Aggregation::Default,
                    "drop" => Aggregation::Drop,
                    "sum" => Aggregation::Sum,
                    _ => Aggregation::LastValue,
                });
            }
        }
        if ao.has("explicit_bucket_histogram") {
            let hp = format!("{ap}.explicit_bucket_histogram");
            let null = Value::Null;
            let h = v.get("explicit_bucket_histogram").unwrap_or(&null);
            let mut ho = Obj::new(ctx, &hp, h, &[])?;
            let boundaries = match ho.get("boundaries") {
                Some(b) => {
                    let bp = format!("{hp}.boundaries");
                    let mut out = Vec::new();
                    for x in seq(ctx, &bp, b)? {
                        match x.as_f64() {
                            Some(f) if f.is_finite() && out.last().is_none_or(|l| *l < f) => {
                                out.push(f)
                            }
                            _ => {
                                return Err(error(
                                    ctx.text,
                                    &bp,
                                    format!(
                                        "expected finite numbers in increasing order, got {}",
                                        describe(x)
                                    ),
                                ))
                            }
                        }
                    }
                    out
                }
                None => vec![
                    0.0, 5.0, 10.0, 25.0, 50.0, 75.0, 100.0, 250.0, 500.0, 750.0, 1000.0, 2500.0,
                    5000.0, 7500.0, 10000.0,
                ],
            };
            let record_min_max = match ho.get("record_min_max") {
                Some(b) => boolean(ctx, &format!("{hp}.record_min_max"), b)?,
                None => true,
            };
            ho.finish(ctx)?;
            found.push(Aggregation::ExplicitBucketHistogram {
                boundaries,
                record_min_max,
            });
        }
        if ao.has("base2_exponential_bucket_histogram") {
            let hp = format!("{ap}.base2_exponential_bucket_histogram");
            let null = Value::Null;
            let h = v.get("base2_exponential_bucket_histogram").unwrap_or(&null);
            let mut ho = Obj::new(ctx, &hp, h, &[])?;
            let max_scale = match ho.get("max_scale") {
                Some(x) => match x.as_i64() {
                    Some(n @ -10..=20) => n as i8,
                    _ => {
                        return Err(error(
                            ctx.text,
                            &format!("{hp}.max_scale"),
                            format!(
                                "expected a whole number from -10 to 20, got {}",
                                describe(x)
                            ),
                        ))
                    }
                },
                None => 20,
            };
            let max_size = match ho.get("max_size") {
                Some(x) => match x.as_u64() {
                    Some(n @ 2..=16384) => n as u32,
                    _ => {
                        return Err(error(
                            ctx.text,
                            &format!("{hp}.max_size"),
                            format!(
                                "expected a whole number from 2 to 16384, got {}",
                                describe(x)
                            ),
                        ))
                    }
                },
                None => 160,
            };
            let record_min_max = match ho.get("record_min_max") {
                Some(b) => boolean(ctx, &format!("{hp}.record_min_max"), b)?,
                None => true,
            };
            ho.finish(ctx)?;
            found.push(Aggregation::Base2ExponentialHistogram {
                max_size,
                max_scale,
                record_min_max,
            });
        }
        ao.finish(ctx)?;
        if found.len() != 1 {
            return Err(error(ctx.text, &ap, "expected exactly one of default, drop, sum, last_value, explicit_bucket_histogram, base2_exponential_bucket_histogram"));
        }
        view.aggregation = found.pop();
    }
    to.finish(ctx)?;
    o.finish(ctx)?;
    Ok(view)
}

fn logger_provider(ctx: &mut Ctx<'_>, v: &Value) -> Result<()> {
    let mut l = Obj::new(ctx, "logger_provider", v, &[])?;
    if let Some(lim) = l.get("limits") {
        limits(
            ctx,
            "logger_provider.limits",
            lim,
            &[
                (
                    "attribute_count_limit",
                    "OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT",
                ),
                (
                    "attribute_value_length_limit",
                    "OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT",
                ),
            ],
        )?;
    }
    let mut exporters = Vec::new();
    let mut otlp = None;
    let processors = l.require(ctx, "processors", &["processors", "limits"])?;
    for (i, p) in seq(ctx, "logger_provider.processors", processors)?
        .iter()
        .enumerate()
    {
        let path = format!("logger_provider.processors[{i}]");
        let mut po = Obj::new(ctx, &path, p, &["simple"])?;
        let b = po
            .get("batch")
            .ok_or_else(|| error(ctx.text, &path, "expected `batch`"))?;
        let bp = format!("{path}.batch");
        let name = batch(ctx, &bp, b, &BLRP_VARS, 2, &mut otlp)?;
        if name == "console" {
            return Err(error(ctx.text, &format!("{bp}.exporter.console"), "console log export is the tracing console output here (RUST_LOG, RUST_LOG_FORMAT); only OTLP exporters are supported"));
        }
        exporters.push(name);
        po.finish(ctx)?;
    }
    l.finish(ctx)?;
    ctx.set(
        "OTEL_LOGS_EXPORTER",
        join_exporters(&exporters),
        "logger_provider.processors".into(),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn substitution_follows_the_data_model() {
        let e = env(&[("A", "x"), ("EMPTY", "")]);
        assert_eq!(substitute("${A}", &e).unwrap().as_deref(), Some("x"));
        assert_eq!(
            substitute("${env:A}-${B:-dflt}", &e).unwrap().as_deref(),
            Some("x-dflt")
        );
        assert_eq!(substitute("${EMPTY:-d}", &e).unwrap().as_deref(), Some("d"));
        assert_eq!(substitute("${UNSET}", &e).unwrap().as_deref(), Some(""));
        assert_eq!(substitute("$${A}", &e).unwrap().as_deref(), Some("${A}"));
        assert_eq!(substitute("cost $5", &e).unwrap(), None);
        assert!(substitute("${1BAD}", &e).is_err());
        // No closing brace: not a reference, so text (as `${X:-$${X}}` needs).
        assert_eq!(substitute("${A", &e).unwrap(), None);
    }

    /// The environment of the data model's examples.
    const SPEC_ENV: &[(&str, &str)] = &[
        ("STRING_VALUE", "value"),
        ("BOOL_VALUE", "true"),
        ("INT_VALUE", "1"),
        ("FLOAT_VALUE", "1.1"),
        ("HEX_VALUE", "0xdeadbeef"),
        ("INVALID_MAP_VALUE", "value\nkey:value"),
        ("DO_NOT_REPLACE_ME", "Never use this value"),
        ("REPLACE_ME", "${DO_NOT_REPLACE_ME}"),
        ("VALUE_WITH_ESCAPE", "value$$"),
    ];

    enum Want {
        Str(&'static str),
        Bool(bool),
        Int(u64),
        Float(f64),
        Null,
        /// The key itself stays unsubstituted; its value is the string `value`.
        Key(&'static str),
        Error,
    }

    /// Every example of the configuration data model's "Environment variable substitution"
    /// section (tests/data/data-model-substitution.md, from the specification): the YAML
    /// input and the value and type it resolves to.
    const SPEC_TABLE: &[(&str, Want)] = &[
        ("key: ${STRING_VALUE}", Want::Str("value")),
        ("key: ${BOOL_VALUE}", Want::Bool(true)),
        ("key: ${INT_VALUE}", Want::Int(1)),
        ("key: ${FLOAT_VALUE}", Want::Float(1.1)),
        ("key: ${HEX_VALUE}", Want::Int(3735928559)),
        ("key: \"${STRING_VALUE}\"", Want::Str("value")),
        ("key: \"${BOOL_VALUE}\"", Want::Str("true")),
        ("key: \"${INT_VALUE}\"", Want::Str("1")),
        ("key: \"${FLOAT_VALUE}\"", Want::Str("1.1")),
        ("key: \"${HEX_VALUE}\"", Want::Str("0xdeadbeef")),
        ("key: ${env:STRING_VALUE}", Want::Str("value")),
        ("key: ${INVALID_MAP_VALUE}", Want::Str("value\nkey:value")),
        (
            "key: foo ${STRING_VALUE} ${FLOAT_VALUE}",
            Want::Str("foo value 1.1"),
        ),
        ("key: ${UNDEFINED_KEY}", Want::Null),
        ("key: ${UNDEFINED_KEY:-fallback}", Want::Str("fallback")),
        ("${STRING_VALUE}: value", Want::Key("${STRING_VALUE}")),
        ("key: ${REPLACE_ME}", Want::Str("${DO_NOT_REPLACE_ME}")),
        (
            "key: ${UNDEFINED_KEY:-${STRING_VALUE}}",
            Want::Str("${STRING_VALUE}"),
        ),
        ("key: ${STRING_VALUE:?error}", Want::Error),
        ("key: $${STRING_VALUE}", Want::Str("${STRING_VALUE}")),
        ("key: $$${STRING_VALUE}", Want::Str("$value")),
        ("key: $$$${STRING_VALUE}", Want::Str("$${STRING_VALUE}")),
        (
            "key: $${STRING_VALUE:-fallback}",
            Want::Str("${STRING_VALUE:-fallback}"),
        ),
        (
            "key: $${STRING_VALUE:-${STRING_VALUE}}",
            Want::Str("${STRING_VALUE:-value}"),
        ),
        (
            "key: ${UNDEFINED_KEY:-$${UNDEFINED_KEY}}",
            Want::Str("${UNDEFINED_KEY:-${UNDEFINED_KEY}}"),
        ),
        ("key: ${VALUE_WITH_ESCAPE}", Want::Str("value$$")),
        ("key: a $$ b", Want::Str("a $ b")),
        ("key: a $ b", Want::Str("a $ b")),
    ];

    #[test]
    fn every_example_of_the_data_model_substitutes_as_specified() {
        let e = env(SPEC_ENV);
        for (input, want) in SPEC_TABLE {
            let got = load(input, &e);
            let value = |doc: &Value| doc.get("key").cloned();
            match want {
                Want::Error => {
                    assert!(got.is_err(), "{input}: expected an error, got {got:?}");
                    continue;
                }
                Want::Key(k) => {
                    let doc = got.unwrap_or_else(|e| panic!("{input}: {e}"));
                    assert_eq!(doc.get(*k), Some(&Value::String("value".into())), "{input}");
                    continue;
                }
                _ => {}
            }
            let doc = got.unwrap_or_else(|e| panic!("{input}: {e}"));
            let v = value(&doc).unwrap_or_else(|| panic!("{input}: no key in {doc:?}"));
            match want {
                Want::Str(s) => assert_eq!(v, Value::String(s.to_string()), "{input}"),
                Want::Bool(b) => assert_eq!(v, Value::Bool(*b), "{input}"),
                Want::Int(i) => assert_eq!(v.as_u64(), Some(*i), "{input}: {v:?}"),
                Want::Float(f) => {
                    assert!(v.is_f64() && v.as_f64() == Some(*f), "{input}: {v:?}")
                }
                Want::Null => assert_eq!(v, Value::Null, "{input}"),
                Want::Key(_) | Want::Error => unreachable!(),
            }
        }
    }

    #[test]
    fn the_table_test_has_every_row_of_the_specification() {
        let md = include_str!("../../tests/data/data-model-substitution.md");
        let inputs: Vec<&str> = md
            .lines()
            .filter(|l| l.starts_with("| `"))
            .filter_map(|l| l.split('`').nth(1))
            .collect();
        assert_eq!(inputs.len(), SPEC_TABLE.len(), "{inputs:?}");
        for input in inputs {
            assert!(
                SPEC_TABLE.iter().any(|(i, _)| *i == input),
                "row {input:?} of the specification is not in the table test"
            );
        }
    }

    #[test]
    fn a_quoted_substitution_keeps_the_variable_text_as_a_string() {
        // The reported cases: a version-like name and a hex-like one.
        for (svc, doc) in [
            ("1.10", "v: \"${SVC}\""),
            ("0x1F", "v: '${SVC}'"),
            ("true", "v: |\n  ${SVC}\n"),
        ] {
            let vars = [("SVC", svc)];
            let e = env(&vars);
            let v = load(doc, &e).unwrap();
            let want = if doc.contains('|') {
                format!("{svc}\n")
            } else {
                svc.to_string()
            };
            assert_eq!(v.get("v"), Some(&Value::String(want)), "{doc} with {svc}");
        }
        let e = env(&[("SVC", "1.10")]);
        assert_eq!(
            load("v: ${SVC}", &e)
                .unwrap()
                .get("v")
                .and_then(Value::as_f64),
            Some(1.1)
        );
    }

    #[test]
    fn anchors_and_aliases_are_kept() {
        let e = env(&[("X", "5")]);
        let v = load("a: &n ${X}\nb: *n\nc: &m {d: 1}\ne: *m\n", &e).unwrap();
        assert_eq!(v.get("b").and_then(Value::as_u64), Some(5));
        assert_eq!(
            v.get("e").and_then(|m| m.get("d")).and_then(Value::as_u64),
            Some(1)
        );
    }
}
