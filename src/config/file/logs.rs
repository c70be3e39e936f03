//! `logger_provider`: processors and limits.

use super::*;

pub(super) fn logger_provider(ctx: &mut Ctx<'_>, v: &Value) -> Result<()> {
    let mut l = Obj::new(ctx, "logger_provider", v, &[])?;
    if let Some(lim) = l.get("limits") {
        limits(
            ctx,
            "logger_provider.limits",
            lim,
            &[
                (
                    "attribute_count_limit",
                    OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT,
                ),
                (
                    "attribute_value_length_limit",
                    OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT,
                ),
            ],
        )?;
    }
    let mut exporters = Vec::new();
    let mut otlp = None;
    let processors = l.require(ctx, "processors", &["processors", "limits"])?;
    for (i, p) in seq(ctx, "logger_provider.processors", processors)?
        .iter()
        .enumerate()
    {
        let path = format!("logger_provider.processors[{i}]");
        let mut po = Obj::new(ctx, &path, p, &["simple"])?;
        let b = po
            .get("batch")
            .ok_or_else(|| error(ctx.text, &path, "expected `batch`"))?;
        let bp = format!("{path}.batch");
        let name = batch(ctx, &bp, b, &BLRP_VARS, 2, &mut otlp)?;
        if name == "console" {
            return Err(error(ctx.text, &format!("{bp}.exporter.console"), "console log export is the tracing console output here (RUST_LOG, RUST_LOG_FORMAT); only OTLP exporters are supported"));
        }
        exporters.push(name);
        po.finish(ctx)?;
    }
    l.finish(ctx)?;
    ctx.set(
        OTEL_LOGS_EXPORTER,
        join_exporters(&exporters),
        "logger_provider.processors".into(),
    );
    Ok(())
}
