//! Environment-variable substitution in scalar values, and the document read from the
//! parser's events (a quoted scalar stays a string after substitution).

use super::*;

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
pub(super) fn plain_scalar(text: String) -> Value {
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
pub(super) struct DocBuilder<'a> {
    text: &'a str,
    lookup: &'a dyn Fn(&str) -> Option<String>,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Value>,
    root: Option<Value>,
    error: Option<Error>,
}

pub(super) enum Frame {
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
