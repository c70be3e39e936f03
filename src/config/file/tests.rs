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
    let md = include_str!("../../../tests/data/data-model-substitution.md");
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
