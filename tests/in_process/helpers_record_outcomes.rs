//! The marketplace helpers record what users rely on: outcome and error code from a `Result`,
//! span status error with `error.type`, `cancelled` for dropped operations and futures,
//! result counts and cache hits on the span, namespaced names.
#![cfg(feature = "testing")]

use std::time::Duration;

use marketplace_telemetry::marketplace::{
    catalog, ErrorCode, ErrorCodeOf, ItemType, MarketplaceMetrics, Operation, Outcome, QueryKind,
};
use marketplace_telemetry::testing::TestTelemetry;

#[derive(Debug)]
enum RegistryError {
    Missing,
    Slow,
}

impl ErrorCodeOf for RegistryError {
    fn error_code(&self) -> ErrorCode {
        match self {
            RegistryError::Missing => ErrorCode::NotFound,
            RegistryError::Slow => ErrorCode::Timeout,
        }
    }
}

#[tracing::instrument(skip(metrics))]
fn install_plugin(metrics: &MarketplaceMetrics, name: &str) -> Result<(), RegistryError> {
    let op = metrics.install(ItemType::Plugin);
    let result = match name {
        "missing" => Err(RegistryError::Missing),
        "slow" => Err(RegistryError::Slow),
        _ => Ok(()),
    };
    op.finish(&result);
    result
}

#[test]
fn a_failing_instrumented_operation_marks_its_span_and_counts_the_code() {
    let t = TestTelemetry::new();
    let metrics = t.marketplace();
    t.in_scope(|| {
        install_plugin(&metrics, "rdf-tools").unwrap();
        install_plugin(&metrics, "missing").unwrap_err();
        install_plugin(&metrics, "slow").unwrap_err();
    });
    t.assert_operation(Operation::Install, Outcome::Success, None, 1);
    // A server fault: outcome `error`, span status error.
    t.assert_operation(
        Operation::Install,
        Outcome::Error,
        Some(ErrorCode::Timeout),
        1,
    );
    t.assert_span_error("install_plugin", "timeout");
    // A client fault (the caller asked for what is not there): outcome `client_error`, the
    // code on the span as `error.type`, status left unset.
    t.assert_operation(
        Operation::Install,
        Outcome::ClientError,
        Some(ErrorCode::NotFound),
        1,
    );
    let client_fault = t
        .spans()
        .into_iter()
        .find(|s| {
            s.name == "install_plugin"
                && s.attributes
                    .iter()
                    .any(|kv| kv.key.as_str() == "error.type" && kv.value.as_str() == "not_found")
        })
        .expect("the client fault's span carries error.type");
    assert!(
        !matches!(
            client_fault.status,
            opentelemetry::trace::Status::Error { .. }
        ),
        "a client fault is not the service's error"
    );
    let ok_span = t.spans().into_iter().find(|s| {
        s.name == "install_plugin"
            && !matches!(s.status, opentelemetry::trace::Status::Error { .. })
    });
    assert!(
        ok_span.is_some(),
        "the successful call's span is not an error"
    );
    assert_eq!(
        t.value("marketplace.operations.active", &[("operation", "install")]),
        0.0
    );
}

#[tokio::test]
async fn a_future_dropped_before_completion_records_cancelled() {
    let t = TestTelemetry::new();
    let metrics = t.marketplace();
    let slow = metrics.time_download(ItemType::Package, async {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        Ok::<_, RegistryError>(())
    });
    assert!(tokio::time::timeout(Duration::from_millis(20), slow)
        .await
        .is_err());
    t.assert_operation(Operation::Download, Outcome::Cancelled, None, 1);
    t.assert_operation(Operation::Download, Outcome::Success, None, 0);

    let ok = metrics
        .time_rdf_query(QueryKind::Ask, async { Ok::<_, RegistryError>(true) })
        .await;
    assert!(ok.unwrap());
    let failed = metrics
        .time_publish(ItemType::Template, async {
            Err::<(), _>(RegistryError::Slow)
        })
        .await;
    assert!(failed.is_err());
    t.assert_operation(Operation::RdfQuery, Outcome::Success, None, 1);
    t.assert_operation(
        Operation::Publish,
        Outcome::Error,
        Some(ErrorCode::Timeout),
        1,
    );
    assert_eq!(
        t.value("marketplace.operations.active", &[]),
        0.0,
        "nothing left in flight"
    );
}

#[test]
fn an_operation_guard_dropped_unfinished_records_cancelled() {
    let t = TestTelemetry::new();
    let metrics = t.marketplace();
    {
        let _op = metrics.search(ItemType::Scenario);
        assert_eq!(
            t.value("marketplace.operations.active", &[("operation", "search")]),
            1.0
        );
    }
    t.assert_operation(Operation::Search, Outcome::Cancelled, None, 1);
    assert_eq!(
        t.value("marketplace.operations.active", &[("operation", "search")]),
        0.0
    );
}

#[tracing::instrument(skip(metrics))]
fn search_and_cache(metrics: &MarketplaceMetrics) {
    let op = metrics.search(ItemType::Plugin);
    metrics.cache("search").lookup().hit();
    op.results(42);
    op.succeed();
}

#[test]
fn result_counts_and_cache_hits_become_span_attributes_and_metrics() {
    let t = TestTelemetry::new();
    let metrics = t.marketplace();
    t.in_scope(|| search_and_cache(&metrics));
    let span = t.span("search_and_cache").expect("span");
    let attr = |k: &str| {
        span.attributes
            .iter()
            .find(|kv| kv.key.as_str() == k)
            .map(|kv| kv.value.to_string())
    };
    assert_eq!(attr("marketplace.results").as_deref(), Some("42"));
    assert_eq!(attr("marketplace.cache.hit").as_deref(), Some("true"));
    assert_eq!(
        t.value("marketplace.search.results", &[("item_type", "plugin")]),
        1.0
    );
    assert_eq!(
        t.value(
            "marketplace.cache.requests",
            &[("cache", "search"), ("result", "hit")]
        ),
        1.0
    );
    // Unknown cache names are bounded into "other".
    metrics.cache("attacker-chosen-name").miss();
    assert_eq!(
        t.value(
            "marketplace.cache.requests",
            &[("cache", "other"), ("result", "miss")]
        ),
        1.0
    );
}

#[test]
fn the_namespace_prefixes_every_catalog_name() {
    let t = TestTelemetry::with_namespace(Some("mockforge"));
    let metrics = t.marketplace();
    metrics.install(ItemType::Plugin).fail(ErrorCode::Internal);
    assert_eq!(
        t.value(
            "mockforge.marketplace.install.duration",
            &[("outcome", "error")]
        ),
        1.0
    );
    assert_eq!(
        t.value(
            "mockforge.marketplace.errors",
            &[("error_code", "internal")]
        ),
        1.0
    );
    assert_eq!(
        t.try_value("marketplace.install.duration", &[]),
        None,
        "no un-prefixed series"
    );
    for spec in catalog::CATALOG {
        let name = spec.prometheus_name(Some("mockforge"));
        assert!(name.starts_with("mockforge_marketplace_"), "{name}");
    }
}

marketplace_telemetry::label_enum! {
    enum Breaker: "breaker" { Registry => "registry", Storage => "storage" }
}

#[test]
fn a_generic_operation_uses_the_same_machinery() {
    let t = TestTelemetry::new();
    let metrics = t.marketplace();
    let probe = metrics.operation::<Breaker>("breaker.probe", &[0.001, 0.01, 0.1]);
    probe.start(Breaker::Storage).fail(ErrorCode::Unavailable);
    let _ = probe.time_sync(Breaker::Registry, || Ok::<_, ErrorCode>(()));
    assert_eq!(
        t.value(
            "breaker.probe.duration",
            &[("breaker", "storage"), ("outcome", "error")]
        ),
        1.0
    );
    assert_eq!(
        t.value(
            "breaker.probe.duration",
            &[("breaker", "registry"), ("outcome", "success")]
        ),
        1.0
    );
    assert_eq!(
        t.value(
            "marketplace.errors",
            &[
                ("operation", "breaker.probe"),
                ("error_code", "unavailable")
            ]
        ),
        1.0
    );
}

#[test]
#[should_panic(expected = "no data point of \"marketplace.never.recorded\"")]
fn value_of_an_absent_series_is_an_error_not_a_zero() {
    let t = TestTelemetry::new();
    t.value("marketplace.never.recorded", &[]);
}

#[test]
fn try_value_tells_absent_from_zero() {
    let t = TestTelemetry::new();
    let metrics = t.marketplace();
    drop(metrics.search(marketplace_telemetry::marketplace::ItemType::Plugin));
    // The in-flight gauge went +1 then -1: present, and zero.
    assert_eq!(
        t.try_value("marketplace.operations.active", &[("operation", "search")]),
        Some(0.0)
    );
    assert_eq!(t.try_value("marketplace.never.recorded", &[]), None);
}

#[tracing::instrument(skip(metrics))]
fn search_twice(
    metrics: &marketplace_telemetry::marketplace::MarketplaceMetrics,
    fail: bool,
) -> Result<(), ErrorCode> {
    let result = if fail {
        Err(ErrorCode::Timeout)
    } else {
        Ok(())
    };
    metrics.search(ItemType::Plugin).finish(result)
}

/// Two calls of one `#[instrument]` function, the first failing: the span assertions find the
/// span they mean among both, and a failed assertion lists every candidate.
#[test]
fn span_assertions_consider_every_span_of_the_name() {
    let t = TestTelemetry::new();
    let metrics = t.marketplace();
    t.in_scope(|| {
        let _ = search_twice(&metrics, true);
        let _ = search_twice(&metrics, false);
    });
    assert_eq!(t.spans_named("search_twice").len(), 2);
    t.assert_span_error("search_twice", "timeout");
    t.assert_span_ok("search_twice");
    let failed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        t.assert_span_error("search_twice", "not_found")
    }))
    .expect_err("no span has error.type=not_found");
    let message = failed.downcast_ref::<String>().cloned().unwrap_or_default();
    assert_eq!(message.matches("  - status=").count(), 2, "{message}");
    assert!(message.contains("error.type=timeout"), "{message}");
    // The trace of one call holds its own span only.
    let first = &t.spans_named("search_twice")[0];
    assert_eq!(t.trace(first.span_context.trace_id()).len(), 1);
}
