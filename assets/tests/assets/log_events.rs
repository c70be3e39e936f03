//! Operation log events for log shipping, proven on the demo's real JSON lines: each finished
//! operation logs one event inside its span (so it carries the trace ids) with `operation`,
//! `outcome`, `duration_ms`, and `error_code` / `results` / `cache_hit` where they apply, each
//! with the type a LogQL filter needs; and every field the LogQL examples of
//! `collector-config/README.md` name is in the lines.

use crate::common;

use std::collections::BTreeSet;
use std::time::Duration;

use marketplace_telemetry::marketplace::catalog::OPERATIONS;
use marketplace_telemetry::marketplace::Label as _;
use serde_json::Value;

fn is_hex(v: &Value, len: usize) -> bool {
    v.as_str()
        .is_some_and(|s| s.len() == len && s.chars().all(|c| c.is_ascii_hexdigit()))
}

/// The demo's JSON lines after `secs` seconds of load.
fn demo_lines(name: &str, env: &[(&str, &str)], secs: u64) -> Vec<Value> {
    let dir = common::temp_dir(name);
    let log = dir.join("demo.log");
    let (demo, _) = common::start_demo(&log, env);
    std::thread::sleep(Duration::from_secs(secs));
    drop(demo);
    std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

#[test]
fn every_finished_operation_logs_one_event_with_typed_fields_inside_its_span() {
    let lines = demo_lines("log-events", &[], 6);
    let events: Vec<&Value> = lines
        .iter()
        .filter(|l| l["message"] == "operation finished")
        .collect();
    assert!(events.len() > 50, "{} operation events", events.len());
    let mut operations = BTreeSet::new();
    let (mut errors, mut results, mut hits, mut labeled) = (0, 0, 0, 0);
    for e in &events {
        let op = e["operation"].as_str().expect("operation is a string");
        operations.insert(op.to_string());
        let outcome = e["outcome"].as_str().expect("outcome is a string");
        assert!(
            ["success", "error", "client_error", "cancelled"].contains(&outcome),
            "{e}"
        );
        assert!(
            e["duration_ms"].as_f64().is_some_and(|d| d >= 0.0),
            "duration_ms is a non-negative number: {e}"
        );
        // Inside the operation's span: the trace ids and the span name are on the line.
        assert!(
            is_hex(&e["trace_id"], 32) && is_hex(&e["span_id"], 16),
            "{e}"
        );
        assert!(e["span"]["name"].is_string(), "{e}");
        assert_eq!(
            e["target"], "marketplace_telemetry::marketplace::operation",
            "{e}"
        );
        // error_code exactly on errors (server and client faults).
        let failed = outcome == "error" || outcome == "client_error";
        assert_eq!(e["error_code"].is_string(), failed, "{e}");
        errors += usize::from(failed);
        // results: an integer, on searches only.
        if !e["results"].is_null() {
            assert!(e["results"].is_u64() && op == "search", "{e}");
            results += 1;
        }
        // cache_hit: a boolean, on finished cache lookups only.
        if op == "cache_lookup" && outcome == "success" {
            assert!(e["cache_hit"].is_boolean(), "{e}");
            hits += 1;
        } else {
            assert!(e["cache_hit"].is_null(), "{e}");
        }
        // The operation's label: its own field for the built-in operations; `label` with
        // `key=value,…` for operations of your own (the demo's package × tier installs).
        if op == "package.install" {
            let label = e["label"].as_str().unwrap_or("");
            assert!(
                label.starts_with("package=") && label.contains(",tier="),
                "{e}"
            );
            labeled += 1;
            continue;
        }
        let label = ["item_type", "query_kind", "cache"]
            .iter()
            .find(|k| e[**k].is_string());
        assert!(label.is_some(), "no label field: {e}");
    }
    assert!(labeled > 0, "the demo's labeled operation logs events");
    operations.remove("package.install");
    let expected: BTreeSet<String> = OPERATIONS
        .iter()
        .map(|o| o.operation.as_str().to_string())
        .collect();
    assert_eq!(operations, expected, "every operation logs events");
    assert!(
        errors > 0 && results > 0 && hits > 0,
        "{errors} {results} {hits}"
    );
}

#[test]
fn operation_events_are_off_when_configured_off() {
    let lines = demo_lines(
        "log-events-off",
        &[("MARKETPLACE_OPERATION_EVENTS", "off")],
        3,
    );
    assert!(lines.len() > 10, "the demo logged");
    assert!(
        !lines.iter().any(|l| l["message"] == "operation finished"),
        "events logged although off"
    );
}

/// The field names a LogQL line filters on after `| json` (and `unwrap`), with what the
/// filter needs: a number for comparisons and `unwrap`, anything for `=`/`=~`.
fn logql_fields(query: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let Some((_, after)) = query.split_once("| json") else {
        return out;
    };
    for stage in after.split('|').map(str::trim) {
        let (stage, unwrap) = match stage.strip_prefix("unwrap ") {
            Some(rest) => (rest, true),
            None => (stage, false),
        };
        let name: String = stage
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() {
            continue;
        }
        let rest = stage[name.len()..].trim_start();
        let numeric = unwrap || rest.starts_with('>') || rest.starts_with('<');
        if rest.starts_with('=') || rest.starts_with("!=") || numeric {
            out.push((name, numeric));
        }
    }
    out
}

#[test]
fn every_field_the_logql_examples_name_is_in_the_demo_lines() {
    let readme = std::fs::read_to_string(common::assets_dir().join("README.md")).unwrap();
    let block = readme
        .split("```logql")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("a logql block");
    let mut fields = Vec::new();
    for line in block.lines() {
        fields.extend(logql_fields(line));
    }
    for must in [
        "duration_ms",
        "cache_hit",
        "query",
        "span_query",
        "error_code",
    ] {
        assert!(
            fields.iter().any(|(f, _)| f == must),
            "the examples filter on {must}: {fields:?}"
        );
    }
    let lines = demo_lines("log-events-logql", &[], 5);
    // `| json` flattens nested objects with `_`.
    fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, Value)>) {
        if let Some(map) = v.as_object() {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}_{k}")
                };
                flatten(&key, v, out);
            }
        } else {
            out.push((prefix.to_string(), v.clone()));
        }
    }
    let mut seen: Vec<(String, Value)> = Vec::new();
    for l in &lines {
        flatten("", l, &mut seen);
    }
    for (field, numeric) in fields {
        let values: Vec<&Value> = seen
            .iter()
            .filter(|(k, _)| *k == field)
            .map(|(_, v)| v)
            .collect();
        assert!(
            !values.is_empty(),
            "LogQL filters on {field:?}, which no demo line has"
        );
        if numeric {
            assert!(
                values.iter().all(|v| v.is_number()),
                "LogQL compares {field:?} as a number; the lines hold {values:?}"
            );
        }
    }
}
