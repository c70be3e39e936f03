//! `meter_provider.views`: selectors and streams, as one SDK view.

use super::*;

/// One `meter_provider.views[i]` entry.
pub(super) fn metric_view(
    ctx: &mut Ctx<'_>,
    path: &str,
    v: &Value,
) -> Result<crate::config::values::MetricView> {
    use opentelemetry_sdk::metrics::Aggregation;
    let mut view = crate::config::values::MetricView::default();
    let mut o = Obj::new(ctx, path, v, &[])?;
    let selector = o.require(ctx, "selector", &["selector", "stream"])?;
    let sp = format!("{path}.selector");
    let mut so = Obj::new(ctx, &sp, selector, &[])?;
    let text = |so: &mut Obj<'_>, key: &'static str| -> Result<Option<String>> {
        match so.get(key) {
            Some(v) => scalar(ctx, &format!("{sp}.{key}"), v).map(Some),
            None => Ok(None),
        }
    };
    view.instrument_name = text(&mut so, "instrument_name")?;
    view.unit = text(&mut so, "unit")?;
    view.meter_name = text(&mut so, "meter_name")?;
    view.meter_version = text(&mut so, "meter_version")?;
    view.meter_schema_url = text(&mut so, "meter_schema_url")?;
    if let Some(kind) = text(&mut so, "instrument_type")? {
        view.instrument_type = Some(instrument_kind(
            ctx,
            &format!("{sp}.instrument_type"),
            &kind,
        )?);
    }
    so.finish(ctx)?;
    let stream = o.require(ctx, "stream", &["selector", "stream"])?;
    let st = format!("{path}.stream");
    let mut to = Obj::new(ctx, &st, stream, &[])?;
    if let Some(v) = to.get("name") {
        let p = format!("{st}.name");
        let exact = view
            .instrument_name
            .as_deref()
            .is_some_and(|n| !n.contains(['*', '?']));
        if !exact {
            return Err(error(ctx.text, &p, "a stream name needs a selector naming one instrument exactly (instrument_name without wildcards): several instruments cannot share one name"));
        }
        view.name = Some(scalar(ctx, &p, v)?);
    }
    if let Some(v) = to.get("description") {
        view.description = Some(scalar(ctx, &format!("{st}.description"), v)?);
    }
    if let Some(v) = to.get("aggregation_cardinality_limit") {
        view.cardinality_limit = Some(positive_limit(
            ctx,
            &format!("{st}.aggregation_cardinality_limit"),
            v,
        )?);
    }
    if let Some(v) = to.get("attribute_keys") {
        let ap = format!("{st}.attribute_keys");
        let mut ao = Obj::new(ctx, &ap, v, &[])?;
        if let Some(inc) = ao.get("included") {
            let mut keys = Vec::new();
            for k in seq(ctx, &format!("{ap}.included"), inc)? {
                let key = scalar(ctx, &format!("{ap}.included"), k)?;
                if key.contains(['*', '?']) {
                    return Err(error(ctx.text, &format!("{ap}.included"), format!("{key:?}: wildcards are not supported here (opentelemetry-sdk 0.33 keeps an allow list of exact keys)")));
                }
                keys.push(key);
            }
            view.attribute_keys = Some(keys);
        }
        if ao.has("excluded") {
            return Err(error(ctx.text, &format!("{ap}.excluded"), "not supported: opentelemetry-sdk 0.33 keeps an allow list of attribute keys only (list the keys to keep in `included`)"));
        }
        ao.finish(ctx)?;
    }
    if let Some(v) = to.get("aggregation") {
        let ap = format!("{st}.aggregation");
        let mut ao = Obj::new(ctx, &ap, v, &[])?;
        let mut found = Vec::new();
        for key in ["default", "drop", "sum", "last_value"] {
            if ao.has(key) {
                found.push(match key {
                    "default" => Aggregation::Default,
                    "drop" => Aggregation::Drop,
                    "sum" => Aggregation::Sum,
                    _ => Aggregation::LastValue,
                });
            }
        }
        if ao.has("explicit_bucket_histogram") {
            let hp = format!("{ap}.explicit_bucket_histogram");
            let null = Value::Null;
            let h = v.get("explicit_bucket_histogram").unwrap_or(&null);
            let mut ho = Obj::new(ctx, &hp, h, &[])?;
            let boundaries = match ho.get("boundaries") {
                Some(b) => {
                    let bp = format!("{hp}.boundaries");
                    let mut out = Vec::new();
                    for x in seq(ctx, &bp, b)? {
                        match x.as_f64() {
                            Some(f) if f.is_finite() && out.last().is_none_or(|l| *l < f) => {
                                out.push(f)
                            }
                            _ => {
                                return Err(error(
                                    ctx.text,
                                    &bp,
                                    format!(
                                        "expected finite numbers in increasing order, got {}",
                                        describe(x)
                                    ),
                                ))
                            }
                        }
                    }
                    out
                }
                None => vec![
                    0.0, 5.0, 10.0, 25.0, 50.0, 75.0, 100.0, 250.0, 500.0, 750.0, 1000.0, 2500.0,
                    5000.0, 7500.0, 10000.0,
                ],
            };
            let record_min_max = match ho.get("record_min_max") {
                Some(b) => boolean(ctx, &format!("{hp}.record_min_max"), b)?,
                None => true,
            };
            ho.finish(ctx)?;
            found.push(Aggregation::ExplicitBucketHistogram {
                boundaries,
                record_min_max,
            });
        }
        if ao.has("base2_exponential_bucket_histogram") {
            let hp = format!("{ap}.base2_exponential_bucket_histogram");
            let null = Value::Null;
            let h = v.get("base2_exponential_bucket_histogram").unwrap_or(&null);
            let mut ho = Obj::new(ctx, &hp, h, &[])?;
            let max_scale = match ho.get("max_scale") {
                Some(x) => match x.as_i64() {
                    Some(n @ -10..=20) => n as i8,
                    _ => {
                        return Err(error(
                            ctx.text,
                            &format!("{hp}.max_scale"),
                            format!(
                                "expected a whole number from -10 to 20, got {}",
                                describe(x)
                            ),
                        ))
                    }
                },
                None => 20,
            };
            let max_size = match ho.get("max_size") {
                Some(x) => match x.as_u64() {
                    Some(n @ 2..=16384) => n as u32,
                    _ => {
                        return Err(error(
                            ctx.text,
                            &format!("{hp}.max_size"),
                            format!(
                                "expected a whole number from 2 to 16384, got {}",
                                describe(x)
                            ),
                        ))
                    }
                },
                None => 160,
            };
            let record_min_max = match ho.get("record_min_max") {
                Some(b) => boolean(ctx, &format!("{hp}.record_min_max"), b)?,
                None => true,
            };
            ho.finish(ctx)?;
            found.push(Aggregation::Base2ExponentialHistogram {
                max_size,
                max_scale,
                record_min_max,
            });
        }
        ao.finish(ctx)?;
        if found.len() != 1 {
            return Err(error(ctx.text, &ap, "expected exactly one of default, drop, sum, last_value, explicit_bucket_histogram, base2_exponential_bucket_histogram"));
        }
        view.aggregation = found.pop();
    }
    to.finish(ctx)?;
    o.finish(ctx)?;
    Ok(view)
}
