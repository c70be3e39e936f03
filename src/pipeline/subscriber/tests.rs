//! Our filters against their reference, `EnvFilter`, on generated directive strings and
//! callsites (issue 25, item 1): for every string `EnvFilter` accepts, the console, traces
//! and log-export filters — static fast path included — let through exactly the spans and
//! events `EnvFilter` lets through (with the exporter's crates off where those are denied).

use std::sync::{Arc, Mutex, OnceLock};

use proptest::prelude::*;
use tracing::Level;
use tracing_core::callsite::{Callsite, Identifier};
use tracing_core::field::FieldSet;
use tracing_core::metadata::Kind;
use tracing_core::span::Attributes;
use tracing_core::{Event as CoreEvent, Interest, Metadata};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::Registry;

use super::*;

struct TestCallsite(OnceLock<Metadata<'static>>);

impl Callsite for TestCallsite {
    fn set_interest(&self, _: Interest) {}
    fn metadata(&self) -> &Metadata<'_> {
        self.0.get().expect("set before use")
    }
}

/// A `'static` callsite made at run time (leaked: a test's few hundred).
fn callsite(target: &str, level: Level, span: Option<&str>) -> &'static Metadata<'static> {
    let cs: &'static TestCallsite = Box::leak(Box::new(TestCallsite(OnceLock::new())));
    let target: &'static str = Box::leak(target.to_string().into_boxed_str());
    let name: &'static str = Box::leak(span.unwrap_or("event").to_string().into_boxed_str());
    let fields = FieldSet::new(&["message"], Identifier(cs));
    let kind = if span.is_some() {
        Kind::SPAN
    } else {
        Kind::EVENT
    };
    let meta = Metadata::new(name, target, level, None, None, None, fields, kind);
    let _ = cs.0.set(meta);
    cs.metadata_static()
}

impl TestCallsite {
    fn metadata_static(&'static self) -> &'static Metadata<'static> {
        self.0.get().expect("set above")
    }
}

/// Records what reaches the layer: `span:<target>:<level>` or `event:<target>:<level>@<span>`.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<String>>>);

impl Layer<Registry> for Recorder {
    fn on_new_span(&self, attrs: &Attributes<'_>, _: &tracing::span::Id, _: Context<'_, Registry>) {
        let m = attrs.metadata();
        self.0
            .lock()
            .unwrap()
            .push(format!("span:{}:{}:{}", m.name(), m.target(), m.level()));
    }
    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, Registry>) {
        let m = event.metadata();
        let inside = ctx.lookup_current().map(|s| s.name()).unwrap_or("-");
        self.0
            .lock()
            .unwrap()
            .push(format!("event:{}:{}@{inside}", m.target(), m.level()));
    }
}

const TARGETS: &[&str] = &[
    "app",
    "app::db",
    "app_extra",
    "apple",
    "other::app",
    "tower",
    "tower_http::trace",
    "hyper",
    "h2",
    "reqwest_tracing",
    "opentelemetry_sdk",
    "opentelemetry-otlp",
    "my-crate",
];
const LEVELS: &[Level] = &[
    Level::ERROR,
    Level::WARN,
    Level::INFO,
    Level::DEBUG,
    Level::TRACE,
];
const SPANS: &[&str] = &["req", "db_call"];

/// Drives callsites the way tracing's macros do (max level, callsite interest, `enabled`,
/// then the event or span), events outside and inside each span; returns what reached the
/// recorder.
fn run(filter: BoxedFilter, callsites: &Callsites) -> Vec<String> {
    let recorder = Recorder::default();
    let seen = recorder.0.clone();
    let subscriber = Registry::default().with(recorder.with_filter(filter));
    let max = Subscriber::max_level_hint(&subscriber);
    let dispatch = tracing::Dispatch::new(subscriber);
    let passes = |meta: &'static Metadata<'static>| {
        if max.is_some_and(|max| *meta.level() > max) {
            return false;
        }
        let interest = dispatch.register_callsite(meta);
        !interest.is_never() && (interest.is_always() || dispatch.enabled(meta))
    };
    let fire_events = || {
        for meta in &callsites.events {
            if passes(meta) {
                let values = meta.fields().value_set(&[]);
                dispatch.event(&CoreEvent::new(meta, &values));
            }
        }
    };
    fire_events();
    for meta in &callsites.spans {
        if passes(meta) {
            let values = meta.fields().value_set(&[]);
            let id = dispatch.new_span(&Attributes::new(meta, &values));
            dispatch.enter(&id);
            fire_events();
            dispatch.exit(&id);
            dispatch.try_close(id);
        }
    }
    let out = seen.lock().unwrap().clone();
    out
}

struct Callsites {
    spans: Vec<&'static Metadata<'static>>,
    events: Vec<&'static Metadata<'static>>,
}

fn callsites() -> &'static Callsites {
    static ALL: OnceLock<Callsites> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut spans = Vec::new();
        let mut events = Vec::new();
        for target in TARGETS {
            for level in LEVELS {
                events.push(callsite(target, *level, None));
                for span in SPANS {
                    spans.push(callsite(target, *level, Some(span)));
                }
            }
        }
        Callsites { spans, events }
    })
}

fn level() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("error"),
        Just("WARN"),
        Just("info"),
        Just("Debug"),
        Just("trace"),
        Just("off"),
        Just("OFF"),
        Just("0"),
        Just("3"),
        Just("5"),
        Just(""),
    ]
    .prop_map(String::from)
}

fn target() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("app"),
        Just("app::db"),
        Just("app_"),
        Just("ap"),
        Just("tower"),
        Just("tower_http"),
        Just("hyper"),
        Just("reqwest"),
        Just("opentelemetry"),
        Just("opentelemetry_sdk"),
        Just("other::app"),
        Just("my-crate"),
        Just("x"),
    ]
    .prop_map(String::from)
}

/// One directive: bare levels, targets with and without levels, `target=`, span and field
/// directives, empty segments and surrounding spaces.
fn directive() -> impl Strategy<Value = String> {
    let core = prop_oneof![
        level(),
        target(),
        (target(), level()).prop_map(|(t, l)| format!("{t}={l}")),
        (prop::sample::select(SPANS), level()).prop_map(|(s, l)| format!("[{s}]={l}")),
        (target(), prop::sample::select(SPANS), level())
            .prop_map(|(t, s, l)| format!("{t}[{s}]={l}")),
        (target(), level()).prop_map(|(t, l)| format!("{t}[{{message}}]={l}")),
        Just(String::new()),
    ];
    (
        core,
        prop_oneof![Just(""), Just(" ")],
        prop_oneof![Just(""), Just(" ")],
    )
        .prop_map(|(d, a, b)| format!("{a}{d}{b}"))
}

fn directives() -> impl Strategy<Value = String> {
    prop::collection::vec(directive(), 0..5).prop_map(|v| v.join(","))
}

fn reference(directives: &str, deny: bool) -> Option<BoxedFilter> {
    let filter = EnvFilter::builder().parse(directives).ok()?;
    Some(if deny {
        // The deny list is ours (no reference): a plain target test, with no level hint
        // of its own (as `ExporterCrates`).
        let deny = tracing_subscriber::filter::filter_fn(|m| !is_exporter_target(m.target()))
            .with_max_level_hint(tracing::level_filters::LevelFilter::TRACE);
        Box::new(filter.and(deny))
    } else {
        Box::new(filter)
    })
}

fn same_decisions(directives: &str) -> std::result::Result<(), TestCaseError> {
    let console = quiet_sdk(directives, None);
    for (directives, deny, name) in [
        (console.as_str(), false, "console"),
        (directives, true, "traces/log export"),
    ] {
        let Some(want) = reference(directives, deny) else {
            prop_assert!(
                layer_filter(directives, "f", deny).is_err(),
                "{directives:?}"
            );
            continue;
        };
        let (ours, _) = layer_filter(directives, "f", deny)
            .map_err(|e| TestCaseError::fail(format!("{directives:?} refused: {e}")))?;
        let (got, want) = (run(ours, callsites()), run(want, callsites()));
        prop_assert_eq!(got, want, "{} filter for {:?}", name, directives);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]
    #[test]
    fn filters_decide_as_env_filter_on_generated_directives(s in directives()) {
        same_decisions(&s)?;
    }
}

#[test]
fn filters_decide_as_env_filter_on_the_reported_inputs() {
    for s in [
        "info,",
        "info,,",
        ",",
        "",
        "app=",
        "app=,info",
        " app=debug",
        "info, app=trace",
        "tower=off",
        "warn,tower_http=debug",
        "OFF",
        "3",
        "app",
    ] {
        same_decisions(s).unwrap_or_else(|e| panic!("{s:?}: {e}"));
    }
}

#[test]
fn exporter_crates_match_by_crate_not_prefix() {
    for t in [
        "tower",
        "tower::buffer",
        "hyper_util::client",
        "h2",
        "opentelemetry",
        "opentelemetry_sdk",
        "opentelemetry-otlp",
        "opentelemetry_otlp::exporter",
    ] {
        assert!(is_exporter_target(t), "{t}");
    }
    for t in [
        "tower_http::trace::on_response",
        "reqwest_tracing::reqwest_otel_span_builder",
        "hyperion",
        "app",
        "opentelemetryx",
        "h2o",
    ] {
        assert!(!is_exporter_target(t), "{t}");
    }
}

/// The harness is not vacuous: with everything on, every callsite reaches the recorder —
/// 130 spans, and 65 events outside spans plus 65 inside each span.
#[test]
fn the_harness_drives_every_callsite() {
    let (filter, _) = layer_filter("trace", "f", false).unwrap();
    let seen = run(filter, callsites());
    assert_eq!(seen.iter().filter(|s| s.starts_with("span:")).count(), 130);
    assert_eq!(
        seen.iter().filter(|s| s.starts_with("event:")).count(),
        65 + 130 * 65
    );
    // With the exporter crates denied, their spans and events are gone.
    let (filter, _) = layer_filter("trace", "f", true).unwrap();
    let seen = run(filter, callsites());
    assert!(!seen
        .iter()
        .any(|s| s.contains(":tower:") || s.contains(":opentelemetry_sdk:")));
    assert!(seen.iter().any(|s| s.contains(":tower_http::trace:")));
}
