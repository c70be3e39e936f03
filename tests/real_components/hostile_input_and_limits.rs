//! Hostile input and limits: free-form strings with newlines, quotes, backslashes, NUL, 10 KB
//! and lossily-converted invalid UTF-8 in resource attributes, cache and operation names keep
//! the scrape valid for promtool and real Prometheus, and a real collector (rotel) accepts them
//! over OTLP in resource attributes, span attributes, log bodies and metric labels; a million distinct values on a free-form
//! label stay capped with the SDK's overflow series; the scrape endpoint survives idle
//! connections and refuses oversized requests; telemetry used after shutdown is a no-op.

use crate::common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::{env_map, http_get, metrics_only, require, which, Capture};
use marketplace_telemetry::marketplace::ItemType;
use marketplace_telemetry::{Telemetry, TelemetryConfig};
use opentelemetry::KeyValue;

fn hostile_values() -> Vec<String> {
    vec![
        "new\nline".to_string(),
        "quote\"d".to_string(),
        "back\\slash".to_string(),
        "nul\0byte".to_string(),
        "x".repeat(10 * 1024),
        String::from_utf8_lossy(&[0x66, 0x6f, 0xff, 0xfe, 0x6f]).into_owned(),
        "}{=,\"\n\t\r".to_string(),
    ]
}

marketplace_telemetry::label_enum! {
    enum Probe: "probe" { One => "one" }
}

#[test]
fn hostile_label_values_keep_the_scrape_valid_for_promtool_and_prometheus() {
    let Some(promtool) = require("promtool", which("promtool")) else {
        return;
    };
    let Some(prometheus) = require("prometheus", which("prometheus")) else {
        return;
    };
    let mut builder = TelemetryConfig::builder().with_caches(hostile_values());
    for (i, v) in hostile_values().into_iter().enumerate() {
        builder = builder.with_resource_attribute(format!("hostile.attr{i}"), v);
    }
    let telemetry = metrics_only(builder);
    let metrics = telemetry.marketplace();
    for v in hostile_values() {
        metrics.cache(&v).hit();
        metrics
            .operation::<Probe>(&v, &[0.1, 1.0])
            .start(Probe::One)
            .succeed();
    }
    let counter = telemetry
        .meter()
        .u64_counter("hostile.values")
        .with_description("Values chosen to break the exposition.")
        .build();
    for v in hostile_values() {
        counter.add(1, &[KeyValue::new("free_form", v)]);
    }
    metrics.search(ItemType::Plugin).succeed();

    let (status, body) = http_get(telemetry.scrape_addr().unwrap(), "/metrics").unwrap();
    assert_eq!(status, 200);
    if let Err(findings) = common::promtool_check_metrics(&promtool, &body) {
        panic!("{findings}");
    }
    let prom = common::Prometheus::start(&prometheus, &[telemetry.scrape_addr().unwrap()], "");
    prom.wait_up(1);
    let targets = prom.get("/api/v1/targets").unwrap();
    assert_eq!(
        targets["data"]["activeTargets"][0]["lastError"], "",
        "{targets}"
    );
    let n = common::wait_for(Duration::from_secs(20), || {
        let v = prom.query("count(hostile_values_total)")?;
        v["data"]["result"][0]["value"][1]
            .as_str()
            .map(str::to_string)
    });
    assert_eq!(
        n.as_deref(),
        Some(hostile_values().len().to_string().as_str())
    );
    telemetry.shutdown().unwrap();
}

#[test]
fn hostile_values_are_accepted_over_otlp_by_a_real_collector() {
    let Some(rotel) = require("rotel", common::rotel()) else {
        return;
    };
    let collector = common::Collector::start(&rotel, "rotel-hostile");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let _entered = rt.enter();
    let mut builder = TelemetryConfig::builder()
        .with_log_writer(Capture::default().writer())
        .with_scrape_endpoint(false)
        .with_caches(hostile_values());
    for (i, v) in hostile_values().into_iter().enumerate() {
        builder = builder.with_resource_attribute(format!("hostile.attr{i}"), v);
    }
    let config = builder
        .build_from(env_map(&[
            ("OTEL_SERVICE_NAME", "hostile-svc"),
            (
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                &format!("http://127.0.0.1:{}", collector.grpc),
            ),
            ("OTEL_METRICS_EXPORTER", "prometheus,otlp"),
            ("OTEL_LOGS_EXPORTER", "otlp"),
        ]))
        .unwrap();
    let telemetry = Telemetry::build(config).unwrap();
    let metrics = telemetry.marketplace();
    let counter = telemetry.meter().u64_counter("hostile.values").build();
    tracing::dispatcher::with_default(telemetry.dispatch(), || {
        for v in hostile_values() {
            let span = tracing::info_span!("hostile_span", value = %v);
            let _g = span.enter();
            tracing::info!(value = %v, "hostile {v}");
            metrics.cache(&v).hit();
            metrics
                .operation::<Probe>(&v, &[0.1, 1.0])
                .start(Probe::One)
                .succeed();
            counter.add(1, &[KeyValue::new("free_form", v)]);
        }
        let _g = tracing::info_span!("hostile_marker").entered();
        tracing::info!("hostile marker record");
    });
    telemetry.force_flush().unwrap();
    // Every batch of every signal was accepted: nothing counted as failed.
    let body = telemetry.scrape_handler().unwrap().render();
    for signal in ["traces", "metrics", "logs"] {
        let ok = common::export_sample(&body, "telemetry_export_items_total", signal, "success");
        let lost = common::export_sample(&body, "telemetry_export_items_total", signal, "failure");
        assert!(
            ok > 0.0 && lost <= 0.0,
            "{signal}: {ok} accepted, {lost} lost\n{body}"
        );
    }
    collector
        .sink_shows(&[
            "hostile_span",
            "hostile_marker",
            "hostile-svc",
            "hostile marker record",
            "hostile.values",
        ])
        .unwrap();
    telemetry.shutdown().unwrap();
}

#[test]
fn a_panicking_user_callback_costs_only_its_own_observation() {
    // With the SDK's meter, the first panic poisons the pipeline lock and every later scrape
    // is empty for good; ours contains it.
    let telemetry = metrics_only(TelemetryConfig::builder());
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = calls.clone();
    let _gauge = telemetry
        .meter()
        .u64_observable_gauge("user.flaky")
        .with_callback(move |o| {
            if seen.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 2 == 0 {
                panic!("a bug in the host's callback");
            }
            o.observe(7, &[]);
        })
        .build();
    telemetry.marketplace().search(ItemType::Plugin).succeed();
    let addr = telemetry.scrape_addr().unwrap();
    let mut flaky_seen = 0;
    for scrape in 0..4 {
        let (status, body) = http_get(addr, "/metrics").unwrap();
        assert_eq!(status, 200, "scrape {scrape}");
        assert!(
            body.contains("process_resident_memory_bytes") && body.contains("search"),
            "scrape {scrape} lost the other metrics:\n{body}"
        );
        flaky_seen += usize::from(body.contains("user_flaky 7"));
    }
    assert_eq!(
        flaky_seen, 2,
        "the callback's good calls are still observed"
    );
    telemetry.shutdown().unwrap();
}

#[test]
fn a_million_distinct_values_stay_capped_with_an_overflow_series() {
    let telemetry = metrics_only(TelemetryConfig::builder().with_scrape_endpoint(false));
    let counter = telemetry.meter().u64_counter("exploding.requests").build();
    for i in 0..1_000_000u32 {
        counter.add(1, &[KeyValue::new("user_id", i64::from(i))]);
    }
    let body = telemetry.scrape_handler().unwrap().render();
    let series = body
        .lines()
        .filter(|l| l.starts_with("exploding_requests_total{"))
        .count();
    assert!(
        series <= 2001,
        "{series} series: the cardinality limit did not hold"
    );
    assert!(series >= 1000, "{series} series");
    let overflow = body
        .lines()
        .find(|l| {
            l.starts_with("exploding_requests_total{")
                && l.contains("otel_metric_overflow=\"true\"")
        })
        .expect("overflow series present");
    let value: f64 = overflow.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(value >= 998_000.0, "overflow counts the rest: {overflow}");
    telemetry.shutdown().unwrap();
}

#[test]
fn idle_connections_do_not_block_a_scrape_and_oversized_requests_are_refused() {
    let telemetry = metrics_only(TelemetryConfig::builder());
    let addr = telemetry.scrape_addr().unwrap();
    let idle: Vec<TcpStream> = (0..200)
        .filter_map(|_| TcpStream::connect(addr).ok())
        .collect();
    assert_eq!(idle.len(), 200);
    let (status, body) = http_get(addr, "/metrics").expect("scrape with 200 idle connections open");
    assert_eq!(status, 200);
    assert!(body.contains("target_info"));

    // A request line + headers far over the 16 KiB limit.
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let huge = format!(
        "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(64 * 1024)
    );
    let _ = s.write_all(huge.as_bytes());
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    assert!(
        !answer.starts_with("HTTP/1.1 200"),
        "oversized request served: {}",
        &answer[..answer.len().min(80)]
    );
    drop(idle);
    telemetry.shutdown().unwrap();
}

#[test]
fn telemetry_used_after_shutdown_is_a_silent_no_op() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let _entered = rt.enter();
    let config = TelemetryConfig::builder()
        .with_log_writer(Capture::default().writer())
        .with_scrape_endpoint(false)
        .with_otlp_endpoint(format!("http://127.0.0.1:{}", common::free_port()))
        .with_shutdown_timeout(Duration::from_secs(1))
        .build_from(|_| None)
        .unwrap();
    let telemetry = Telemetry::build(config).unwrap();
    let metrics = telemetry.marketplace();
    let meter = telemetry.meter();
    let _ = telemetry.shutdown();
    // None of this may panic or block.
    metrics.search(ItemType::Plugin).succeed();
    metrics.cache("default").hit();
    meter.u64_counter("after.shutdown").build().add(1, &[]);
    tracing::dispatcher::with_default(telemetry.dispatch(), || {
        let span = tracing::info_span!("after_shutdown");
        let _g = span.enter();
        tracing::info!("still fine");
    });
    assert!(telemetry.shutdown().is_ok(), "second shutdown is harmless");
    // Flushing a shut-down pipeline reports, never panics or hangs.
    let _ = telemetry.force_flush();
}
