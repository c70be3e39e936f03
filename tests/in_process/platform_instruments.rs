//! Platform instruments (DB, pools, queues, LLM calls, breakers, rate limits) record the
//! semantic-convention names and attributes; registered label values are bounded (`other`);
//! the series budget: what a default and a minimal service put on the scrape.
#![cfg(feature = "testing")]

use crate::common;

use marketplace_telemetry::marketplace::{
    ErrorCode, ItemType, LabelTable, MarketplaceMetrics, Operation,
};
use marketplace_telemetry::platform::{BreakerState, GenAiOperation, PoolStatus};
use marketplace_telemetry::testing::TestTelemetry;
use marketplace_telemetry::TelemetryConfig;

#[test]
fn db_calls_use_semconv_attributes_and_error_type_only_on_failure() {
    let t = TestTelemetry::new();
    let db = t
        .platform()
        .db_client("postgresql", ["SELECT", "INSERT"], ["packages"]);
    let call = db.query("SELECT", "packages");
    call.returned_rows(7);
    call.succeed();
    db.query("INSERT", "packages").fail(ErrorCode::Conflict);
    db.query("DROP", "users").succeed();
    drop(db.query("SELECT", "packages"));

    let d = "db.client.operation.duration";
    let base = [
        ("db.system.name", "postgresql"),
        ("db.operation.name", "SELECT"),
        ("db.collection.name", "packages"),
    ];
    assert_eq!(t.value(d, &base), 2.0, "success + cancelled");
    assert_eq!(
        t.value(
            d,
            &[("db.operation.name", "INSERT"), ("error.type", "conflict")]
        ),
        1.0
    );
    assert_eq!(
        t.value(
            d,
            &[("db.operation.name", "SELECT"), ("error.type", "cancelled")]
        ),
        1.0
    );
    // Unregistered operation and collection: `other`, never the raw value.
    assert_eq!(
        t.value(
            d,
            &[
                ("db.operation.name", "other"),
                ("db.collection.name", "other")
            ]
        ),
        1.0
    );
    assert_eq!(t.try_value(d, &[("db.operation.name", "DROP")]), None);
    assert_eq!(
        t.histogram_sum("db.client.response.returned_rows", &base),
        Some(7.0)
    );
}

#[test]
fn pools_report_idle_used_pending_max_from_guards_or_a_callback() {
    let t = TestTelemetry::new();
    let pools = t.platform().connection_pools(["main", "replica"]);
    let main = pools.pool("main");
    main.set_max(10);
    main.set_open(4);
    let pending = main.acquire();
    let count = "db.client.connection.count";
    let pool = ("db.client.connection.pool.name", "main");
    assert_eq!(
        t.value("db.client.connection.pending_requests", &[pool]),
        1.0
    );
    let conn = pending.acquired();
    let other = main.acquire().acquired();
    assert_eq!(
        t.value("db.client.connection.pending_requests", &[pool]),
        0.0
    );
    assert_eq!(
        t.value(count, &[pool, ("db.client.connection.state", "used")]),
        2.0
    );
    assert_eq!(
        t.value(count, &[pool, ("db.client.connection.state", "idle")]),
        2.0
    );
    assert_eq!(t.value("db.client.connection.max", &[pool]), 10.0);
    assert_eq!(t.value("db.client.connection.wait_time", &[pool]), 2.0);
    drop(conn);
    drop(other);
    assert_eq!(
        t.value(count, &[pool, ("db.client.connection.state", "used")]),
        0.0
    );
    assert_eq!(t.value("db.client.connection.use_time", &[pool]), 2.0);
    main.acquire().timed_out();
    assert_eq!(t.value("db.client.connection.timeouts", &[pool]), 1.0);

    let replica = ("db.client.connection.pool.name", "replica");
    pools.pool("replica").observe(|| PoolStatus {
        idle: 3,
        used: 5,
        max: 8,
        pending: 2,
    });
    assert_eq!(
        t.value(count, &[replica, ("db.client.connection.state", "used")]),
        5.0
    );
    assert_eq!(
        t.value(count, &[replica, ("db.client.connection.state", "idle")]),
        3.0
    );
    assert_eq!(
        t.value("db.client.connection.pending_requests", &[replica]),
        2.0
    );
}

#[test]
fn queues_count_sent_consumed_processed_and_set_depths() {
    let t = TestTelemetry::new();
    let queues = t.platform().messaging("rabbitmq", ["installs"]);
    let q = queues.queue("installs");
    q.sent(3);
    q.consumed(2);
    q.process().succeed();
    q.process().fail(ErrorCode::Timeout);
    q.set_depth(40);
    q.set_dead_letters(4);
    let dest = [
        ("messaging.system", "rabbitmq"),
        ("messaging.destination.name", "installs"),
    ];
    let with = |op| [dest[0], dest[1], ("messaging.operation.name", op)];
    assert_eq!(
        t.value("messaging.client.sent.messages", &with("send")),
        3.0
    );
    assert_eq!(
        t.value("messaging.client.consumed.messages", &with("receive")),
        2.0
    );
    assert_eq!(t.value("messaging.process.duration", &with("process")), 2.0);
    assert_eq!(
        t.value("messaging.process.duration", &[("error.type", "timeout")]),
        1.0
    );
    assert_eq!(t.value("marketplace.queue.depth", &dest), 40.0);
    assert_eq!(t.value("marketplace.queue.dead_letters", &dest), 4.0);
    queues.queue("unregistered").sent(1);
    assert_eq!(
        t.value(
            "messaging.client.sent.messages",
            &[("messaging.destination.name", "other")]
        ),
        1.0
    );
}

#[test]
fn llm_calls_record_tokens_cost_and_errors_per_registered_model() {
    let t = TestTelemetry::new();
    let llm = t.platform().gen_ai(
        [GenAiOperation::Chat],
        [("openai", "gpt-4o"), ("anthropic", "claude-sonnet-4")],
    );
    let call = llm.call(GenAiOperation::Chat, "openai", "gpt-4o");
    call.tokens(1000, 200);
    call.cost_usd(0.5);
    call.cost_usd(f64::NAN);
    call.succeed();
    llm.call(GenAiOperation::Chat, "openai", "gpt-9")
        .fail(ErrorCode::RateLimited);
    llm.call(GenAiOperation::Embeddings, "mistral", "large")
        .succeed();

    let model = [
        ("gen_ai.operation.name", "chat"),
        ("gen_ai.provider.name", "openai"),
        ("gen_ai.request.model", "gpt-4o"),
    ];
    let tok = |ty| [model[0], model[1], model[2], ("gen_ai.token.type", ty)];
    assert_eq!(
        t.histogram_sum("gen_ai.client.token.usage", &tok("input")),
        Some(1000.0)
    );
    assert_eq!(
        t.histogram_sum("gen_ai.client.token.usage", &tok("output")),
        Some(200.0)
    );
    assert_eq!(t.value("marketplace.gen_ai.cost.usd", &model), 0.5);
    assert_eq!(
        t.value(
            "gen_ai.client.operation.duration",
            &[
                ("gen_ai.provider.name", "openai"),
                ("gen_ai.request.model", "other"),
                ("error.type", "rate_limited")
            ]
        ),
        1.0
    );
    assert_eq!(
        t.value(
            "gen_ai.client.operation.duration",
            &[
                ("gen_ai.operation.name", "embeddings"),
                ("gen_ai.provider.name", "other"),
                ("gen_ai.request.model", "other")
            ]
        ),
        1.0
    );
}

#[test]
fn breakers_and_rate_limiters_count_and_show_state() {
    let t = TestTelemetry::new();
    let rdf = t.platform().circuit_breakers(["rdf"]).breaker("rdf");
    let state = |s| {
        t.value(
            "marketplace.circuit_breaker.state",
            &[("breaker", "rdf"), ("state", s)],
        )
    };
    assert_eq!((state("closed"), state("open")), (1.0, 0.0));
    rdf.record_failure();
    assert!(rdf.set_state(BreakerState::Open));
    assert!(!rdf.set_state(BreakerState::Open));
    rdf.record_rejected();
    assert_eq!((state("closed"), state("open")), (0.0, 1.0));
    assert_eq!(
        t.value(
            "marketplace.circuit_breaker.transitions",
            &[("breaker", "rdf"), ("state", "open")]
        ),
        1.0
    );
    for (result, n) in [("failure", 1.0), ("rejected", 1.0), ("success", 0.0)] {
        assert_eq!(
            t.value(
                "marketplace.circuit_breaker.calls",
                &[("breaker", "rdf"), ("result", result)]
            ),
            n
        );
    }

    let api = t.platform().rate_limiters(["api"]).limiter("api");
    api.record(true);
    api.record(true);
    api.record(false);
    api.set_usage(90, 100);
    let d = |v| {
        t.value(
            "marketplace.rate_limit.decisions",
            &[("limiter", "api"), ("decision", v)],
        )
    };
    assert_eq!((d("allowed"), d("limited")), (2.0, 1.0));
    assert!((t.value("marketplace.rate_limit.usage", &[("limiter", "api")]) - 0.9).abs() < 1e-9);
}

#[test]
fn labeled_operations_take_registered_values_and_count_the_rest_as_other() {
    let t = TestTelemetry::new();
    let installs = t.marketplace().labeled_operation(
        "package.install",
        &[0.1, 1.0],
        LabelTable::new("package", ["serde", "tokio"]).cross("tier", ["free", "pro"]),
    );
    installs.start(&["tokio", "pro"]).succeed();
    installs
        .start(&["left-pad", "pro"])
        .fail(ErrorCode::NotFound);
    let key = installs.key(&["serde", "enterprise"]);
    installs.start_key(key).succeed();
    let d = "package.install.duration";
    assert_eq!(
        t.value(
            d,
            &[
                ("package", "tokio"),
                ("tier", "pro"),
                ("outcome", "success")
            ]
        ),
        1.0
    );
    assert_eq!(
        t.value(
            d,
            &[
                ("package", "other"),
                ("tier", "pro"),
                ("outcome", "client_error")
            ]
        ),
        1.0
    );
    assert_eq!(t.value(d, &[("package", "serde"), ("tier", "other")]), 1.0);
    assert_eq!(t.try_value(d, &[("package", "left-pad")]), None);
    assert_eq!(
        t.value(
            "marketplace.errors",
            &[
                ("operation", "package.install"),
                ("error_code", "not_found")
            ]
        ),
        1.0
    );
}

/// Sample lines (not comments) of a scrape.
fn samples(body: &str) -> usize {
    body.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .count()
}

#[test]
fn series_budget_default_and_minimal_service() {
    let scrape = |builder: marketplace_telemetry::TelemetryConfigBuilder| {
        let telemetry = common::metrics_only(builder);
        let _ = telemetry.marketplace();
        let body = telemetry.scrape_handler().expect("scrape").render();
        telemetry.shutdown().unwrap();
        samples(&body)
    };
    let default = scrape(TelemetryConfig::builder());
    let minimal = scrape(
        TelemetryConfig::builder()
            .with_marketplace_operations([Operation::Search])
            .with_marketplace_item_types([ItemType::Package]),
    );
    let nothing = scrape(TelemetryConfig::builder().with_marketplace_operations([]));
    println!("series on the scrape: default {default}, minimal (search × package) {minimal}, nothing pre-bound {nothing}");
    let readme = std::fs::read_to_string(common::repo_root().join("README.md")).unwrap();
    let default_claim = format!("**{},{:03} series**", default / 1000, default % 1000);
    let minimal_claim = format!("**{minimal} series** ({nothing} with nothing pre-bound)");
    for claim in [default_claim, minimal_claim] {
        assert!(
            readme.contains(&claim),
            "README's series budget should say {claim:?}"
        );
    }
    assert!(default > 1000, "default {default}");
    assert!(minimal < 300, "minimal {minimal}");
    assert!(nothing < minimal);

    // What is not pre-bound still works: bound on first use.
    let t = TestTelemetry::new();
    let metrics = MarketplaceMetrics::builder(&t.meter())
        .with_metrics_namespace("lazy")
        .with_marketplace_operations([])
        .build();
    assert_eq!(t.try_value("lazy.marketplace.install.duration", &[]), None);
    metrics.install(ItemType::Plugin).succeed();
    metrics.set_items(ItemType::Template, 3);
    assert_eq!(
        t.value(
            "lazy.marketplace.install.duration",
            &[("item_type", "plugin"), ("outcome", "success")]
        ),
        1.0
    );
    assert_eq!(
        t.value("lazy.marketplace.items", &[("item_type", "template")]),
        3.0
    );
}

/// Label keys (as scraped) whose values come from a [`LabelTable`]: an `other` there is the
/// table's fallback row, for values nobody registered.
const TABLE_LABELS: &[&str] = &[
    "breaker",
    "limiter",
    "db_client_connection_pool_name",
    "messaging_destination_name",
    "db_operation_name",
    "db_collection_name",
    "gen_ai_provider_name",
    "gen_ai_request_model",
    "package",
    "tier",
    "cache",
];

fn other_rows(body: &str) -> Vec<&str> {
    body.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| {
            TABLE_LABELS
                .iter()
                .any(|k| l.contains(&format!("{k}=\"other\"")))
        })
        .collect()
}

#[test]
fn nothing_recorded_means_no_series_for_a_name_nobody_registered() {
    let telemetry = common::metrics_only(TelemetryConfig::builder());
    let m = telemetry.marketplace();
    let platform = telemetry.platform();
    let _db = platform.db_client("postgresql", ["SELECT", "INSERT"], ["packages"]);
    let pools = platform.connection_pools(["main"]);
    let _queues = platform.messaging("rabbitmq", ["installs"]);
    let _llm = platform.gen_ai([GenAiOperation::Chat], [("openai", "gpt-4o")]);
    let breakers = platform.circuit_breakers(["rdf"]);
    let _limiters = platform.rate_limiters(["api"]);
    // The realistic service of issue 25: 7 packages × 2 tiers, one labeled operation.
    let packages = ["serde", "tokio", "axum", "hyper", "tonic", "rand", "regex"];
    let table = LabelTable::new("package", packages).cross("tier", ["free", "pro"]);
    let (rows, registered) = (table.len(), table.registered_len());
    let resolve = m.labeled_operation("resolve", &[0.1, 1.0], table);
    let render = || telemetry.scrape_handler().expect("scrape").render();

    let body = render();
    assert_eq!(
        other_rows(&body),
        Vec::<&str>::new(),
        "nothing was recorded"
    );
    // The registered rows are there from the start (zero): a breaker shows as closed.
    assert!(body.contains("marketplace_circuit_breaker_state{breaker=\"rdf\",state=\"closed\"} 1"));
    let resolve_series = |body: &str| {
        body.lines()
            .filter(|l| l.starts_with("resolve_duration_seconds_count{"))
            .count()
    };
    assert_eq!((rows, registered), (24, 14));
    assert_eq!(
        resolve_series(&body),
        registered * 3,
        "one count series per registered package × tier × outcome, no tier=\"other\" row"
    );

    // `other` rows appear from the first unregistered value on, with what was recorded.
    let ghost = breakers.breaker("ghost");
    resolve.start(&["left-pad", "free"]).succeed();
    pools.pool("replica").set_max(3);
    let body = render();
    assert!(
        body.contains("marketplace_circuit_breaker_state{breaker=\"other\",state=\"closed\"} 1")
    );
    assert!(body.contains("db_client_connection_max{db_client_connection_pool_name=\"other\"} 3"));
    assert_eq!(resolve_series(&body), registered * 3 + 3);
    assert!(!body.contains("tier=\"other\""), "a tier nobody used");
    drop(ghost);
    telemetry.shutdown().unwrap();
}

/// What each platform handle adds to the scrape before anything is recorded: its registered
/// rows only (the README's series-budget figures).
#[test]
fn platform_handles_add_their_registered_rows_to_the_series_budget() {
    let telemetry =
        common::metrics_only(TelemetryConfig::builder().with_marketplace_operations([]));
    let m = telemetry.marketplace();
    let platform = telemetry.platform();
    let count = || samples(&telemetry.scrape_handler().expect("scrape").render());
    let mut last = count();
    let mut delta = || {
        let now = count();
        let d = now - last;
        last = now;
        d
    };
    let _pool = platform.connection_pools(["main"]);
    let pool = delta();
    let _db = platform.db_client("postgresql", ["SELECT"], ["packages"]);
    let db = delta();
    let _queue = platform.messaging("rabbitmq", ["installs"]);
    let queue = delta();
    let _llm = platform.gen_ai([GenAiOperation::Chat], [("openai", "gpt-4o")]);
    let llm = delta();
    let _breaker = platform.circuit_breakers(["rdf"]);
    let breaker = delta();
    let packages = ["serde", "tokio", "axum", "hyper", "tonic", "rand", "regex"];
    let _op = m.labeled_operation(
        "resolve",
        &[0.1, 1.0],
        LabelTable::new("package", packages).cross("tier", ["free", "pro"]),
    );
    let crossed = delta();
    println!(
        "series per handle: pool {pool}, db client (1 operation × 1 collection) {db}, \
         queue {queue}, llm (1 operation × 1 model) {llm}, breaker {breaker}, \
         7 packages × 2 tiers labeled operation (2 buckets) {crossed}"
    );
    let readme = std::fs::read_to_string(common::repo_root().join("README.md")).unwrap();
    for claim in [
        format!("a pool **{pool}**"),
        format!("a DB client **{db}** per operation × collection row"),
        format!("a queue **{queue}**"),
        format!("an LLM client **{llm}** per operation × model row"),
        format!("a circuit breaker **{breaker}**"),
        format!("7 packages × 2 tiers with 2 buckets: **{crossed}**"),
    ] {
        assert!(
            readme.contains(&claim),
            "README's series budget should say {claim:?}"
        );
    }
    telemetry.shutdown().unwrap();
}

/// Services written against the former paths still compile and record the same series: the
/// platform constructors on `MarketplaceMetrics` (deprecated), the label types under
/// `marketplace::` and `marketplace::catalog`.
#[test]
#[allow(deprecated)]
fn the_former_paths_still_compile_and_record() {
    use marketplace_telemetry::marketplace::catalog::{InstrumentSpec, CATALOG};
    use marketplace_telemetry::marketplace::{LabelKey, OperationResult, OTHER};
    let t = TestTelemetry::new();
    let m = t.marketplace();
    m.db_client("postgresql", ["SELECT"], ["packages"])
        .query("SELECT", "packages")
        .succeed();
    m.connection_pools(["main"]).pool("main").set_max(3);
    m.messaging("rabbitmq", ["installs"])
        .queue("installs")
        .sent(1);
    m.gen_ai([GenAiOperation::Chat], [("openai", "gpt-4o")])
        .call(GenAiOperation::Chat, "openai", "gpt-4o")
        .succeed();
    m.circuit_breakers(["rdf"]).breaker("rdf").record_success();
    m.rate_limiters(["api"]).limiter("api").record(true);
    assert_eq!(
        t.value(
            "db.client.operation.duration",
            &[("db.operation.name", "SELECT")]
        ),
        1.0
    );
    assert_eq!(t.value("messaging.client.sent.messages", &[]), 1.0);
    let spec: &InstrumentSpec = &CATALOG[0];
    assert!(!spec.name.is_empty());
    let _: Option<LabelKey> = None;
    assert_eq!(OTHER, "other");
    let ok: Result<(), ErrorCode> = Ok(());
    assert!(ok.outcome().is_ok());
}

/// DB and LLM calls inside a sampled trace record a semantic-convention client span, a child
/// of the current span, with status error and `error.type` on failure; outside a trace they
/// record none (and allocate nothing for it: `tests/alloc_budget.rs`).
#[test]
fn db_and_llm_calls_record_semconv_client_spans_inside_a_trace() {
    use opentelemetry::trace::{SpanKind, Status};
    let t = TestTelemetry::new();
    let platform = t.platform();
    let db = platform
        .db_client("postgresql", ["SELECT"], ["packages"])
        .with_namespace("registry");
    let llm = platform.gen_ai([GenAiOperation::Chat], [("openai", "gpt-4o")]);
    t.in_scope(|| {
        let _handler = tracing::info_span!("handler").entered();
        db.query("SELECT", "packages").fail(ErrorCode::Timeout);
        let call = llm.call(GenAiOperation::Chat, "openai", "gpt-4o");
        call.tokens(120, 30);
        call.succeed();
    });
    // Outside any span: metrics only.
    t.in_scope(|| db.query("SELECT", "packages").succeed());

    let handler = t.span("handler").expect("the handler span");
    let attr = |s: &opentelemetry_sdk::trace::SpanData, key: &str| {
        s.attributes
            .iter()
            .find(|kv| kv.key.as_str() == key)
            .map(|kv| kv.value.to_string())
    };
    let db_spans = t.spans_named("SELECT packages");
    assert_eq!(
        db_spans.len(),
        1,
        "one client span, for the call inside the trace"
    );
    let span = &db_spans[0];
    assert_eq!(span.span_kind, SpanKind::Client);
    assert_eq!(span.parent_span_id, handler.span_context.span_id());
    assert_eq!(
        span.span_context.trace_id(),
        handler.span_context.trace_id()
    );
    assert_eq!(attr(span, "db.system.name").as_deref(), Some("postgresql"));
    assert_eq!(attr(span, "db.namespace").as_deref(), Some("registry"));
    assert_eq!(attr(span, "db.operation.name").as_deref(), Some("SELECT"));
    assert_eq!(
        attr(span, "db.collection.name").as_deref(),
        Some("packages")
    );
    assert_eq!(attr(span, "error.type").as_deref(), Some("timeout"));
    assert!(
        matches!(span.status, Status::Error { .. }),
        "{:?}",
        span.status
    );

    let llm_spans = t.spans_named("chat gpt-4o");
    assert_eq!(llm_spans.len(), 1);
    let span = &llm_spans[0];
    assert_eq!(span.span_kind, SpanKind::Client);
    assert_eq!(span.parent_span_id, handler.span_context.span_id());
    assert_eq!(
        attr(span, "gen_ai.provider.name").as_deref(),
        Some("openai")
    );
    assert_eq!(
        attr(span, "gen_ai.request.model").as_deref(),
        Some("gpt-4o")
    );
    assert_eq!(
        attr(span, "gen_ai.usage.input_tokens").as_deref(),
        Some("120")
    );
    assert_eq!(
        attr(span, "gen_ai.usage.output_tokens").as_deref(),
        Some("30")
    );
    assert_eq!(attr(span, "error.type"), None);
}

/// A queue message carries its trace: `send` records a producer span (child of the current
/// span) and injects its context into the message's headers; `receive` on the other side
/// extracts it and times the processing under a consumer span whose parent is the producer's
/// (the messaging conventions' rule for a message processed on its own); the work done in
/// the call's span is its child. A message without a sampled context gets no span.
#[test]
fn a_message_carries_its_trace_from_producer_to_consumer() {
    use opentelemetry::trace::{SpanKind, Status};
    use std::collections::HashMap;
    opentelemetry::global::set_text_map_propagator(
        opentelemetry_sdk::propagation::TraceContextPropagator::new(),
    );
    let t = TestTelemetry::new();
    let queue = t
        .platform()
        .messaging("rabbitmq", ["installs"])
        .queue("installs");
    let mut headers: HashMap<String, String> = HashMap::new();
    t.in_scope(|| {
        let _request = tracing::info_span!("request").entered();
        queue.send(&mut headers);
    });
    assert!(headers.contains_key("traceparent"), "{headers:?}");
    // The consumer: another task, no current span.
    t.in_scope(|| {
        let call = queue.receive(&headers);
        call.span().in_scope(|| {
            let _handle = tracing::info_span!("handle_install").entered();
        });
        call.fail(ErrorCode::ValidationFailed);
    });
    // A message that carries no context: processed, timed, no span.
    t.in_scope(|| queue.receive(&HashMap::<String, String>::new()).succeed());

    let request = t.span("request").expect("request span");
    let send = t.span("send installs").expect("producer span");
    let process = t.spans_named("process installs");
    assert_eq!(process.len(), 1, "no span for the message without context");
    let process = &process[0];
    let handle = t.span("handle_install").expect("work span");
    assert_eq!(send.span_kind, SpanKind::Producer);
    assert_eq!(send.parent_span_id, request.span_context.span_id());
    assert_eq!(process.span_kind, SpanKind::Consumer);
    assert_eq!(process.parent_span_id, send.span_context.span_id());
    assert_eq!(handle.parent_span_id, process.span_context.span_id());
    for s in [&send, process, &handle] {
        assert_eq!(s.span_context.trace_id(), request.span_context.trace_id());
    }
    assert!(matches!(process.status, Status::Error { .. }));
    assert_eq!(
        t.value(
            "messaging.client.sent.messages",
            &[("messaging.destination.name", "installs")]
        ),
        1.0
    );
    assert_eq!(
        t.value(
            "messaging.client.consumed.messages",
            &[("messaging.destination.name", "installs")]
        ),
        2.0
    );
}

/// A batch is processed under one consumer span linked to each message's producer; a
/// dead-lettered message, processed later, gets a trace of its own linked to its producer's.
#[test]
fn a_batch_and_a_dead_lettered_message_link_to_their_producers() {
    use opentelemetry::trace::SpanKind;
    use std::collections::HashMap;
    opentelemetry::global::set_text_map_propagator(
        opentelemetry_sdk::propagation::TraceContextPropagator::new(),
    );
    let t = TestTelemetry::new();
    let queue = t
        .platform()
        .messaging("rabbitmq", ["installs"])
        .queue("installs");
    let mut messages: Vec<HashMap<String, String>> = Vec::new();
    for request in ["request_a", "request_b"] {
        let mut headers = HashMap::new();
        t.in_scope(|| {
            let _request = tracing::info_span!("request", name = request).entered();
            queue.send(&mut headers);
        });
        messages.push(headers);
    }
    let sends = t.spans_named("send installs");
    assert_eq!(sends.len(), 2);

    let batch: Vec<&dyn opentelemetry::propagation::Extractor> = messages
        .iter()
        .map(|m| m as &dyn opentelemetry::propagation::Extractor)
        .collect();
    t.in_scope(|| queue.receive_batch(&batch).succeed());
    let process = t.spans_named("process installs");
    assert_eq!(process.len(), 1);
    let batch_span = &process[0];
    assert_eq!(batch_span.span_kind, SpanKind::Consumer);
    let linked: Vec<_> = batch_span
        .links
        .iter()
        .map(|l| l.span_context.span_id())
        .collect();
    for send in &sends {
        assert!(linked.contains(&send.span_context.span_id()), "{linked:?}");
        assert_ne!(
            batch_span.span_context.trace_id(),
            send.span_context.trace_id()
        );
    }

    // The first message failed and was dead-lettered with its headers; processed later.
    t.in_scope(|| queue.receive_linked(&messages[0]).succeed());
    let process = t.spans_named("process installs");
    let dead = process
        .iter()
        .find(|s| s.span_context.span_id() != batch_span.span_context.span_id())
        .expect("the dead letter's consumer span");
    assert_eq!(dead.links.len(), 1);
    let producer = sends
        .iter()
        .find(|s| s.span_context.span_id() == dead.links[0].span_context.span_id())
        .expect("linked to its producer");
    assert_ne!(
        dead.span_context.trace_id(),
        producer.span_context.trace_id()
    );
    assert_eq!(
        t.value(
            "messaging.client.consumed.messages",
            &[("messaging.destination.name", "installs")]
        ),
        3.0
    );
}
