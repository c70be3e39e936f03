//! `tracer_provider`: processors, limits and the sampler.

use super::*;

pub(super) fn tracer_provider(ctx: &mut Ctx<'_>, v: &Value) -> Result<()> {
    let mut t = Obj::new(ctx, "tracer_provider", v, &["id_generator"])?;
    if let Some(l) = t.get("limits") {
        limits(
            ctx,
            "tracer_provider.limits",
            l,
            &[
                ("attribute_count_limit", OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT),
                (
                    "attribute_value_length_limit",
                    OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT,
                ),
                ("event_count_limit", OTEL_SPAN_EVENT_COUNT_LIMIT),
                ("link_count_limit", OTEL_SPAN_LINK_COUNT_LIMIT),
                (
                    "event_attribute_count_limit",
                    OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT,
                ),
                (
                    "link_attribute_count_limit",
                    OTEL_LINK_ATTRIBUTE_COUNT_LIMIT,
                ),
            ],
        )?;
    }
    let mut exporters = Vec::new();
    let mut otlp = None;
    let processors = t.require(
        ctx,
        "processors",
        &["processors", "sampler", "limits", "id_generator"],
    )?;
    for (i, p) in seq(ctx, "tracer_provider.processors", processors)?
        .iter()
        .enumerate()
    {
        let path = format!("tracer_provider.processors[{i}]");
        let mut po = Obj::new(ctx, &path, p, &[])?;
        if let Some(b) = po.get("batch") {
            let bp = format!("{path}.batch");
            exporters.push(batch(ctx, &bp, b, &BSP_VARS, 0, &mut otlp)?);
        } else if let Some(s) = po.get("simple") {
            let sp = format!("{path}.simple");
            let mut so = Obj::new(ctx, &sp, s, &[])?;
            let e = so
                .get("exporter")
                .ok_or_else(|| error(ctx.text, &format!("{sp}.exporter"), "required"))?;
            let name = exporter(
                ctx,
                &format!("{sp}.exporter"),
                e,
                signal_vars(0),
                &mut otlp,
                false,
            )?;
            if name == "otlp" {
                return Err(error(ctx.text, &sp, "a simple processor with an OTLP exporter is not supported (it exports each span synchronously): use batch"));
            }
            exporters.push(name);
            so.finish(ctx)?;
        } else {
            po.finish(ctx)?;
            return Err(error(ctx.text, &path, "expected `batch` or `simple`"));
        }
        po.finish(ctx)?;
    }
    if let Some(s) = t.get("sampler") {
        let (sampler, arg) = sampler(ctx, "tracer_provider.sampler", s, true)?;
        ctx.set(
            OTEL_TRACES_SAMPLER,
            sampler,
            "tracer_provider.sampler".into(),
        );
        if let Some(arg) = arg {
            ctx.set(
                OTEL_TRACES_SAMPLER_ARG,
                arg,
                "tracer_provider.sampler".into(),
            );
        }
    }
    t.finish(ctx)?;
    ctx.set(
        OTEL_TRACES_EXPORTER,
        join_exporters(&exporters),
        "tracer_provider.processors".into(),
    );
    Ok(())
}

/// A sampler as `OTEL_TRACES_SAMPLER` (and its argument).
pub(super) fn sampler(
    ctx: &mut Ctx<'_>,
    path: &str,
    v: &Value,
    top: bool,
) -> Result<(String, Option<String>)> {
    let mut s = Obj::new(
        ctx,
        path,
        v,
        &["probability/development", "composite/development"],
    )?;
    let mut found: Option<(String, Option<String>)> = None;
    if s.has("always_on") {
        found = Some(("always_on".into(), None));
    }
    if s.has("always_off") {
        found = Some(("always_off".into(), None));
    }
    if let Some(r) = s.get("trace_id_ratio_based") {
        let rp = format!("{path}.trace_id_ratio_based");
        let mut ro = Obj::new(ctx, &rp, r, &[])?;
        let ratio = match ro.get("ratio") {
            Some(v) => v.as_f64().ok_or_else(|| {
                error(
                    ctx.text,
                    &format!("{rp}.ratio"),
                    format!("expected a number from 0 to 1, got {}", describe(v)),
                )
            })?,
            None => 1.0,
        };
        ro.finish(ctx)?;
        found = Some(("traceidratio".into(), Some(ratio.to_string())));
    } else if matches!(v.get("trace_id_ratio_based"), Some(Value::Null)) {
        found = Some(("traceidratio".into(), Some("1".into())));
    }
    if let Some(p) = s.get("parent_based") {
        let pp = format!("{path}.parent_based");
        if !top {
            return Err(error(
                ctx.text,
                &pp,
                "a parent_based sampler inside parent_based is not supported",
            ));
        }
        let mut po = Obj::new(ctx, &pp, p, &[])?;
        let root = match po.get("root") {
            Some(r) => sampler(ctx, &format!("{pp}.root"), r, false)?,
            None => ("always_on".into(), None),
        };
        for (branch, default) in [
            ("remote_parent_sampled", "always_on"),
            ("remote_parent_not_sampled", "always_off"),
            ("local_parent_sampled", "always_on"),
            ("local_parent_not_sampled", "always_off"),
        ] {
            if let Some(b) = po.get(branch) {
                let bp = format!("{pp}.{branch}");
                let (name, _) = sampler(ctx, &bp, b, false)?;
                if name != default {
                    return Err(error(ctx.text, &bp, format!("only {default} is supported for this branch (the SDK's parent-based sampler), got {name}")));
                }
            }
        }
        po.finish(ctx)?;
        found = Some(match root.0.as_str() {
            "always_on" => ("parentbased_always_on".into(), None),
            "always_off" => ("parentbased_always_off".into(), None),
            _ => ("parentbased_traceidratio".into(), root.1),
        });
    } else if matches!(v.get("parent_based"), Some(Value::Null)) {
        found = Some(("parentbased_always_on".into(), None));
    }
    s.finish(ctx)?;
    found.ok_or_else(|| {
        error(
            ctx.text,
            path,
            "expected always_on, always_off, trace_id_ratio_based or parent_based",
        )
    })
}
