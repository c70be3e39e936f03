//! Typed reading of the document: mappings whose every key must be taken, scalars, numbers,
//! booleans, sequences — each error naming its property path.

use super::*;

/// A mapping being read: every key must be taken, or it is reported.
pub(super) struct Obj<'a> {
    pub(super) path: String,
    pub(super) map: Option<&'a Mapping>,
    pub(super) taken: Vec<&'static str>,
    /// Properties of the schema we do not implement (an error naming them).
    pub(super) unsupported: &'static [&'static str],
}

impl<'a> Obj<'a> {
    pub(super) fn new(
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

    pub(super) fn at(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    pub(super) fn get(&mut self, key: &'static str) -> Option<&'a Value> {
        self.taken.push(key);
        self.map?.get(key).filter(|v| !v.is_null())
    }

    /// Whether `key` is present, even with no value (`console:`).
    pub(super) fn has(&mut self, key: &'static str) -> bool {
        self.taken.push(key);
        self.map.is_some_and(|m| m.contains_key(key))
    }

    /// A required property: when it is missing, a key that is none of `known` (a misspelling,
    /// most likely) is reported first.
    pub(super) fn require(
        &mut self,
        ctx: &Ctx<'_>,
        key: &'static str,
        known: &[&str],
    ) -> Result<&'a Value> {
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
    pub(super) fn finish(self, ctx: &mut Ctx<'_>) -> Result<()> {
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

pub(super) fn scalar(ctx: &Ctx<'_>, path: &str, v: &Value) -> Result<String> {
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

pub(super) fn integer(ctx: &Ctx<'_>, path: &str, v: &Value) -> Result<u64> {
    v.as_u64().ok_or_else(|| {
        error(
            ctx.text,
            path,
            format!("expected a non-negative integer, got {}", describe(v)),
        )
    })
}

pub(super) fn boolean(ctx: &Ctx<'_>, path: &str, v: &Value) -> Result<bool> {
    v.as_bool().ok_or_else(|| {
        error(
            ctx.text,
            path,
            format!("expected true or false, got {}", describe(v)),
        )
    })
}

pub(super) fn describe(v: &Value) -> String {
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

pub(super) fn seq<'a>(ctx: &Ctx<'_>, path: &str, v: &'a Value) -> Result<&'a [Value]> {
    v.as_sequence().map(|s| s.as_slice()).ok_or_else(|| {
        error(
            ctx.text,
            path,
            format!("expected a list, got {}", describe(v)),
        )
    })
}
