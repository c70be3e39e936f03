//! `meter_provider`: readers, cardinality limits, the exemplar filter.

use super::*;

pub(super) fn meter_provider(ctx: &mut Ctx<'_>, v: &Value) -> Result<()> {
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
                MARKETPLACE_PROMETHEUS_SCOPE_INFO,
                scope_info.to_string(),
                format!("{xp}.scope_info_enabled"),
            );
            if let Some(v) = xo.get("target_info_enabled/development") {
                let p = format!("{xp}.target_info_enabled/development");
                let enabled = boolean(ctx, &p, v)?;
                ctx.set(MARKETPLACE_PROMETHEUS_TARGET_INFO, enabled.to_string(), p);
            }
            if let Some(v) = xo.get("translation_strategy") {
                let p = format!("{xp}.translation_strategy");
                let strategy = scalar(ctx, &p, v)?;
                ctx.set(MARKETPLACE_PROMETHEUS_TRANSLATION_STRATEGY, strategy, p);
            }
            if let Some(h) = xo.get("host") {
                let p = format!("{xp}.host");
                let host = scalar(ctx, &p, h)?;
                ctx.set(OTEL_EXPORTER_PROMETHEUS_HOST, host, p);
            }
            if let Some(port) = xo.get("port") {
                let p = format!("{xp}.port");
                let n = integer(ctx, &p, port)?;
                ctx.set(OTEL_EXPORTER_PROMETHEUS_PORT, n.to_string(), p);
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
                        MARKETPLACE_PROMETHEUS_RESOURCE_LABELS,
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
                ctx.set(OTEL_METRIC_EXPORT_INTERVAL, n.to_string(), p);
            }
            if let Some(v) = po.get("timeout") {
                let p = format!("{pp}.timeout");
                let t = timeout_ms(ctx, &p, v)?;
                ctx.set(OTEL_METRIC_EXPORT_TIMEOUT, t, p);
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
        ctx.set(OTEL_METRICS_EXEMPLAR_FILTER, filter, p.into());
    }
    m.finish(ctx)?;
    ctx.set(
        OTEL_METRICS_EXPORTER,
        join_exporters(&exporters),
        "meter_provider.readers".into(),
    );
    Ok(())
}

/// A reader's `cardinality_limits`. opentelemetry-sdk 0.33 limits per stream, not per reader:
/// one set applies to every reader, so two readers that disagree are an error.
pub(super) fn cardinality_limits(ctx: &mut Ctx<'_>, path: &str, v: &Value) -> Result<()> {
    let mut o = Obj::new(ctx, path, v, &[])?;
    let mut limits = crate::config::values::CardinalityLimits::default();
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
pub(super) fn positive_limit(ctx: &Ctx<'_>, path: &str, v: &Value) -> Result<usize> {
    match integer(ctx, path, v)? {
        n @ 1..=1_048_576 => Ok(n as usize),
        n => Err(error(
            ctx.text,
            path,
            format!("{n}: expected a whole number from 1 to 1048576"),
        )),
    }
}

pub(super) fn instrument_kind(
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
