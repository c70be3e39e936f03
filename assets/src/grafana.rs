//! Grafana dashboards (overview, SLO, version comparison) as JSON, over the recording rules.

use serde_json::{json, Value};

use marketplace_telemetry::marketplace::catalog;

use crate::model::{fmt_f, name, slos};
use crate::{Options, Selector};

pub(crate) fn target(expr: &str, legend: &str, ref_id: &str) -> Value {
    let mut t = json!({
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "expr": expr,
        "legendFormat": legend,
        "refId": ref_id,
    });
    // Queries over raw histogram buckets show the SDK's exemplars: a dot per bucket that opens
    // its trace (datasource provisioning: `exemplarTraceIdDestinations`).
    if expr.contains("_bucket") {
        t["exemplar"] = json!(true);
    }
    t
}

pub(crate) fn panel(
    id: u32,
    title: &str,
    kind: &str,
    unit: &str,
    grid: (u32, u32, u32, u32),
    targets: Vec<Value>,
) -> Value {
    json!({
        "id": id,
        "type": kind,
        "title": title,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": {"x": grid.0, "y": grid.1, "w": grid.2, "h": grid.3},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {},
        "targets": targets,
    })
}

/// One panel: title, unit and its (expression, legend) targets.
pub(crate) type PanelRow<'a> = (&'a str, &'a str, Vec<(String, &'a str)>);

/// Time-series panels laid out two per row (12 × 8 each), ids from 1, targets A, B, C.
pub(crate) fn grid_panels(rows: Vec<PanelRow<'_>>) -> Vec<Value> {
    rows.into_iter()
        .enumerate()
        .map(|(i, (title, unit, targets))| {
            let i = i as u32;
            let targets = targets
                .iter()
                .enumerate()
                .map(|(k, (expr, legend))| target(expr, legend, ["A", "B", "C"][k.min(2)]))
                .collect();
            panel(
                i + 1,
                title,
                "timeseries",
                unit,
                ((i % 2) * 12, (i / 2) * 8, 12, 8),
                targets,
            )
        })
        .collect()
}

pub(crate) fn dashboard(
    uid: &str,
    title: &str,
    panels: Vec<Value>,
    extra_vars: Vec<Value>,
) -> String {
    let mut vars = vec![
        json!({
            "name": "datasource",
            "type": "datasource",
            "query": "prometheus",
            "label": "Data source",
            "hide": 0,
            "options": [],
        }),
        json!({
            "name": "job",
            "type": "query",
            "label": "Job",
            "datasource": {"type": "prometheus", "uid": "${datasource}"},
            "query": {"query": "label_values(target_info, job)", "refId": "job"},
            "refresh": 1,
            "includeAll": false,
            "multi": false,
            "hide": 0,
            "options": [],
        }),
    ];
    vars.extend(extra_vars);
    let value = json!({
        "uid": uid,
        "title": title,
        "tags": ["marketplace", "generated"],
        "timezone": "browser",
        "editable": true,
        "graphTooltip": 1,
        "schemaVersion": 39,
        "version": 1,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "timepicker": {},
        "fiscalYearStartMonth": 0,
        "liveNow": false,
        "weekStart": "",
        "links": [],
        "annotations": {"list": []},
        "templating": {"list": vars},
        "panels": panels,
    });
    serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
}

pub(crate) fn overview(ns: Option<&str>) -> String {
    let j = "job=\"$job\"";
    let mut panels = Vec::new();
    let mut id = 0;
    let mut y = 0;
    let mut next =
        |title: &str, kind: &str, unit: &str, targets: Vec<Value>, half: bool, left: bool| {
            id += 1;
            let (x, w) = if half {
                (if left { 0 } else { 12 }, 12)
            } else {
                (0, 24)
            };
            let p = panel(id, title, kind, unit, (x, y, w, 8), targets);
            if !half || !left {
                y += 8;
            }
            p
        };
    panels.push(next(
        "Request rate by operation",
        "timeseries",
        "reqps",
        vec![target(
            &format!("sum by (operation) (marketplace:operation_requests:rate5m{{{j}}})"),
            "{{operation}}",
            "A",
        )],
        true,
        true,
    ));
    panels.push(next(
        "Error ratio by operation",
        "timeseries",
        "percentunit",
        vec![target(
            &format!("marketplace:operation_errors:ratio_rate5m{{{j}}}"),
            "{{operation}}",
            "A",
        )],
        true,
        false,
    ));
    panels.push(next(
        "Client error ratio by operation (caller's faults, no budget burnt)",
        "timeseries",
        "percentunit",
        vec![target(
            &format!("marketplace:operation_client_errors:ratio_rate5m{{{j}}}"),
            "{{operation}}",
            "A",
        )],
        true,
        false,
    ));
    panels.push(next(
        "p95 latency by operation",
        "timeseries",
        "s",
        vec![target(
            &format!("marketplace:operation_latency_seconds:p95_5m{{{j}}}"),
            "{{operation}}",
            "A",
        )],
        true,
        true,
    ));
    panels.push(next(
        "p99 latency by operation",
        "timeseries",
        "s",
        vec![target(
            &format!("marketplace:operation_latency_seconds:p99_5m{{{j}}}"),
            "{{operation}}",
            "A",
        )],
        true,
        false,
    ));
    // Per item type and minute: what the registry team reads ("publishes per minute").
    let per_minute = |spec: &catalog::InstrumentSpec, letter: &str, what: &str| {
        target(
            &format!(
                "sum by (item_type) (rate({}_count{{{j}}}[$__rate_interval])) * 60",
                name(spec, ns)
            ),
            &format!("{what} {{{{item_type}}}}"),
            letter,
        )
    };
    panels.push(next(
        "Publishes, downloads and searches per minute by item type",
        "timeseries",
        "short",
        vec![
            per_minute(&catalog::PUBLISH_DURATION, "A", "publish"),
            per_minute(&catalog::DOWNLOAD_DURATION, "B", "download"),
            per_minute(&catalog::SEARCH_DURATION, "C", "search"),
        ],
        false,
        true,
    ));
    panels.push(next(
        "Total items",
        "stat",
        "short",
        vec![target(
            &format!("sum({}{{{j}}})", name(&catalog::ITEMS, ns)),
            "items",
            "A",
        )],
        true,
        true,
    ));
    let search = name(&catalog::SEARCH_DURATION, ns);
    panels.push(next(
        "Search latency by item type (p50 / p95)",
        "timeseries",
        "s",
        vec![
            target(&format!("histogram_quantile(0.5, sum by (le, item_type) (rate({search}_bucket{{{j}}}[$__rate_interval])))"), "p50 {{item_type}}", "A"),
            target(&format!("histogram_quantile(0.95, sum by (le, item_type) (rate({search}_bucket{{{j}}}[$__rate_interval])))"), "p95 {{item_type}}", "B"),
        ],
        true,
        false,
    ));
    panels.push(next(
        "Cache hit ratio",
        "timeseries",
        "percentunit",
        vec![target(
            &format!("marketplace:cache_hit:ratio_rate5m{{{j}}}"),
            "{{cache}}",
            "A",
        )],
        true,
        true,
    ));
    panels.push(next(
        "Errors by code",
        "timeseries",
        "short",
        vec![target(
            &format!(
                "sum by (error_code) (rate({}{{{j}}}[$__rate_interval]))",
                name(&catalog::ERRORS, ns)
            ),
            "{{error_code}}",
            "A",
        )],
        true,
        false,
    ));
    panels.push(next(
        "Items by type",
        "stat",
        "short",
        vec![target(
            &format!("sum by (item_type) ({}{{{j}}})", name(&catalog::ITEMS, ns)),
            "{{item_type}}",
            "A",
        )],
        true,
        true,
    ));
    panels.push(next(
        "Operations in flight",
        "timeseries",
        "short",
        vec![target(
            &format!(
                "sum by (operation) ({}{{{j}}})",
                name(&catalog::OPERATIONS_ACTIVE, ns)
            ),
            "{{operation}}",
            "A",
        )],
        true,
        false,
    ));
    panels.push(next(
        "Search results per query (p50)",
        "timeseries",
        "short",
        vec![target(
            &format!(
                "histogram_quantile(0.5, sum by (le) (rate({}_bucket{{{j}}}[$__rate_interval])))",
                name(&catalog::SEARCH_RESULTS, ns)
            ),
            "p50",
            "A",
        )],
        true,
        true,
    ));
    panels.push(next(
        "Cache entries",
        "timeseries",
        "short",
        vec![target(
            &format!(
                "sum by (cache) ({}{{{j}}})",
                name(&catalog::CACHE_ENTRIES, ns)
            ),
            "{{cache}}",
            "A",
        )],
        true,
        false,
    ));
    panels.push(next(
        "HTTP requests by route and status",
        "timeseries",
        "reqps",
        vec![target(&format!("sum by (http_route, http_response_status_code) (rate(http_server_request_duration_seconds_count{{{j}}}[$__rate_interval]))"), "{{http_route}} {{http_response_status_code}}", "A")],
        true,
        true,
    ));
    panels.push(next(
        "HTTP p95 latency by route",
        "timeseries",
        "s",
        vec![target(&format!("histogram_quantile(0.95, sum by (le, http_route) (rate(http_server_request_duration_seconds_bucket{{{j}}}[$__rate_interval])))"), "{{http_route}}", "A")],
        true,
        false,
    ));
    panels.push(next(
        "Process: resident memory",
        "timeseries",
        "bytes",
        vec![target(
            &format!("process_resident_memory_bytes{{{j}}}"),
            "{{instance}}",
            "A",
        )],
        true,
        true,
    ));
    panels.push(next(
        "Process: CPU and file descriptors",
        "timeseries",
        "short",
        vec![
            target(
                &format!("rate(process_cpu_seconds_total{{{j}}}[$__rate_interval])"),
                "cpu cores {{instance}}",
                "A",
            ),
            target(
                &format!("process_open_fds{{{j}}} / process_max_fds{{{j}}}"),
                "fd usage {{instance}}",
                "B",
            ),
        ],
        true,
        false,
    ));
    panels.push(next(
        "Tokio runtime: busy ratio and global queue",
        "timeseries",
        "short",
        vec![
            target(
                &format!("platform:tokio_busy:ratio_rate5m{{{j}}}"),
                "busy ratio {{instance}}",
                "A",
            ),
            target(
                &format!("tokio_global_queue_length{{{j}}}"),
                "global queue {{instance}}",
                "B",
            ),
        ],
        true,
        true,
    ));
    panels.push(next(
        "Tokio runtime: workers and alive tasks",
        "timeseries",
        "short",
        vec![
            target(
                &format!("tokio_workers{{{j}}}"),
                "workers {{instance}}",
                "A",
            ),
            target(
                &format!("tokio_tasks_alive{{{j}}}"),
                "alive tasks {{instance}}",
                "B",
            ),
        ],
        true,
        false,
    ));
    let search = name(&catalog::SEARCH_DURATION, ns);
    panels.push(next(
        "Search p95 latency with exemplars (a dot opens its trace)",
        "timeseries",
        "s",
        vec![target(
            &format!("histogram_quantile(0.95, sum by (le, item_type) (rate({search}_bucket{{{j}}}[$__rate_interval])))"),
            "{{item_type}}",
            "A",
        )],
        false,
        true,
    ));
    dashboard(
        "marketplace-overview",
        "Marketplace overview",
        panels,
        vec![],
    )
}

pub(crate) fn slo_dashboard(options: &Options) -> String {
    let o = &options.objectives;
    let period = &o.period.text;
    // Burn rate over the fast alert's windows: its first short window and every long one.
    let burn_windows: Vec<&str> = o
        .fast
        .windows
        .first()
        .map(|w| w.short.text.as_str())
        .into_iter()
        .chain(o.fast.windows.iter().map(|w| w.long.text.as_str()))
        .collect();
    let mut panels = Vec::new();
    let mut id = 0;
    for (i, slo) in slos(options).iter().enumerate() {
        let y = (i as u32) * 8;
        let sel = format!("job=\"$job\",slo=\"{}\"", slo.name);
        id += 1;
        panels.push(panel(
            id,
            &format!(
                "{}: compliance ({period}) vs objective {}",
                slo.name,
                fmt_f(slo.objective)
            ),
            "stat",
            "percentunit",
            (0, y, 8, 8),
            vec![target(
                &format!("1 - slo:sli_error:ratio_rate{period}{{{sel}}}"),
                "compliance",
                "A",
            )],
        ));
        id += 1;
        panels.push(panel(
            id,
            &format!("{}: error budget remaining", slo.name),
            "gauge",
            "percentunit",
            (8, y, 8, 8),
            vec![target(
                &format!("slo:error_budget:remaining_ratio{{{sel}}}"),
                "remaining",
                "A",
            )],
        ));
        id += 1;
        let budget = fmt_f(1.0 - slo.objective);
        panels.push(panel(
            id,
            &format!("{}: burn rate", slo.name),
            "timeseries",
            "short",
            (16, y, 8, 8),
            burn_windows
                .iter()
                .zip(["A", "B", "C", "D", "E", "F", "G", "H"])
                .map(|(w, ref_id)| {
                    target(
                        &format!("slo:sli_error:ratio_rate{w}{{{sel}}} / {budget}"),
                        w,
                        ref_id,
                    )
                })
                .collect(),
        ));
    }
    dashboard("marketplace-slo", "Marketplace SLOs", panels, vec![])
}

/// `rate(series[$__rate_interval])` of the selected jobs, every series labelled with its
/// `service_version`: its own label when the service puts it on every series
/// (`with_prometheus_resource_labels(["service.version"])`, or a scrape-config target label for
/// services in other languages), else joined from its instance's `target_info`.
fn rate_by_version(series: &str, matchers: &str) -> String {
    format!(
        "(rate({series}{{job=~\"$job\",{matchers}service_version!=\"\"}}[$__rate_interval]) or (rate({series}{{job=~\"$job\",{matchers}service_version=\"\"}}[$__rate_interval]) * on (job, instance) group_left (service_version) target_info{{job=~\"$job\"}}))"
    )
}

/// Version comparison: p95 latency and error ratio per `service_version`, over one or several
/// jobs (v1 and v2 deployed as separate jobs compare side by side).
pub(crate) fn versions_dashboard(ns: Option<&str>) -> String {
    let mut panels = Vec::new();
    let ops = [
        ("search", name(&catalog::SEARCH_DURATION, ns)),
        ("install", name(&catalog::INSTALL_DURATION, ns)),
        ("rdf_query", name(&catalog::RDF_QUERY_DURATION, ns)),
    ];
    for (i, (op, m)) in ops.iter().enumerate() {
        let y = (i as u32) * 8;
        panels.push(panel(
            (i as u32) * 2 + 1,
            &format!("{op}: p95 latency by version"),
            "timeseries",
            "s",
            (0, y, 12, 8),
            vec![target(
                &format!(
                    "histogram_quantile(0.95, sum by (le, service_version) {})",
                    rate_by_version(&format!("{m}_bucket"), "")
                ),
                "{{service_version}}",
                "A",
            )],
        ));
        panels.push(panel(
            (i as u32) * 2 + 2,
            &format!("{op}: error ratio by version"),
            "timeseries",
            "percentunit",
            (12, y, 12, 8),
            vec![target(
                &format!(
                    "sum by (service_version) {} / sum by (service_version) {}",
                    rate_by_version(&format!("{m}_count"), "outcome=\"error\","),
                    rate_by_version(&format!("{m}_count"), "")
                ),
                "{{service_version}}",
                "A",
            )],
        ));
    }
    let mut dashboard = dashboard(
        "marketplace-versions",
        "Marketplace version comparison",
        panels,
        vec![],
    );
    // Several jobs at once (v1 and v2 as separate jobs), listed from `up` so services that do
    // not run this SDK appear too.
    if let Ok(mut value) = serde_json::from_str::<Value>(&dashboard) {
        if let Some(job) = value["templating"]["list"][1].as_object_mut() {
            job.insert("multi".into(), Value::Bool(true));
            job.insert("includeAll".into(), Value::Bool(true));
            job.insert(
                "query".into(),
                json!({"query": "label_values(up, job)", "refId": "job"}),
            );
        }
        dashboard = serde_json::to_string_pretty(&value).unwrap_or(dashboard) + "\n";
    }
    dashboard
}

/// A rendered dashboard with `selector` on every panel query and on the `job` variable's
/// query (unchanged when the selector is empty).
pub(crate) fn apply_selector(dashboard: &str, selector: &Selector) -> String {
    if selector.is_empty() {
        return dashboard.to_string();
    }
    let Ok(mut value) = serde_json::from_str::<Value>(dashboard) else {
        return dashboard.to_string();
    };
    fn walk(panels: &mut Value, selector: &Selector) {
        for p in panels.as_array_mut().into_iter().flatten() {
            for t in p["targets"].as_array_mut().into_iter().flatten() {
                if let Some(e) = t["expr"].as_str() {
                    t["expr"] = Value::String(selector.apply(e));
                }
            }
            walk(&mut p["panels"], selector);
        }
    }
    walk(&mut value["panels"], selector);
    for var in value["templating"]["list"]
        .as_array_mut()
        .into_iter()
        .flatten()
    {
        // Grafana's `label_values(metric, label)`: only the metric is a selector.
        if let Some(q) = var["query"]["query"].as_str() {
            if let Some(args) = q
                .strip_prefix("label_values(")
                .and_then(|r| r.strip_suffix(')'))
            {
                if let Some((metric, label)) = args.rsplit_once(',') {
                    var["query"]["query"] =
                        Value::String(format!("label_values({},{label})", selector.apply(metric)));
                }
            }
        }
    }
    serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
}
