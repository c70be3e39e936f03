//! What the three providers share: batch processors and OTLP/console exporters, mapped onto
//! the per-signal variables.

use super::*;

/// The OTLP variables of traces, metrics, logs (the environment's table).
pub(super) fn signal_vars(index: usize) -> &'static SignalVars {
    &SIGNAL_VARS[index]
}

/// A batch processor's `schedule_delay`, `max_queue_size`, `max_export_batch_size`, and
/// its exporter; returns the exporter's name.
pub(super) fn batch<B>(
    ctx: &mut Ctx<'_>,
    path: &str,
    v: &Value,
    vars: &BatchVars<B>,
    signal: usize,
    otlp: &mut Option<String>,
) -> Result<&'static str> {
    let mut bo = Obj::new(ctx, path, v, &[])?;
    if let Some(v) = bo.get("export_timeout") {
        let p = format!("{path}.export_timeout");
        let t = timeout_ms(ctx, &p, v)?;
        ctx.set(vars.export_timeout, t, p);
    }
    for (key, var) in [
        ("schedule_delay", vars.schedule_delay.name),
        ("max_queue_size", vars.max_queue_size.name),
        ("max_export_batch_size", vars.max_export_batch_size.name),
    ] {
        if let Some(v) = bo.get(key) {
            let p = format!("{path}.{key}");
            let n = integer(ctx, &p, v)?;
            ctx.set(var, n.to_string(), p);
        }
    }
    let e = bo.require(
        ctx,
        "exporter",
        &[
            "exporter",
            "schedule_delay",
            "max_queue_size",
            "max_export_batch_size",
            "export_timeout",
        ],
    )?;
    let name = exporter(
        ctx,
        &format!("{path}.exporter"),
        e,
        signal_vars(signal),
        otlp,
        false,
    )?;
    bo.finish(ctx)?;
    Ok(name)
}

/// Reads an exporter mapping (`otlp_grpc`, `otlp_http`, `console`); returns the exporter
/// names it adds to the signal's `OTEL_*_EXPORTER` list.
pub(super) fn exporter(
    ctx: &mut Ctx<'_>,
    path: &str,
    v: &Value,
    vars: &SignalVars,
    otlp_seen: &mut Option<String>,
    metric: bool,
) -> Result<&'static str> {
    let mut e = Obj::new(ctx, path, v, &[])?;
    let (grpc, http, console) = (e.has("otlp_grpc"), e.has("otlp_http"), e.has("console"));
    e.finish(ctx)?;
    if [grpc, http, console].iter().filter(|b| **b).count() != 1 {
        return Err(error(
            ctx.text,
            path,
            "expected exactly one exporter: otlp_grpc, otlp_http or console",
        ));
    }
    if console {
        return Ok("console");
    }
    let null = Value::Null;
    let (kind, protocol) = if grpc {
        ("otlp_grpc", "grpc")
    } else {
        ("otlp_http", "http/protobuf")
    };
    let v = v.get(kind).unwrap_or(&null);
    let path = format!("{path}.{kind}");
    if let Some(first) = otlp_seen.replace(path.clone()) {
        return Err(error(ctx.text, &path, format!("a second OTLP exporter for this signal (the first is {first}): one per signal is supported")));
    }
    let mut o = Obj::new(ctx, &path, v, &[])?;
    if metric {
        if let Some(v) = o.get("temporality_preference") {
            let p = format!("{path}.temporality_preference");
            let t = scalar(ctx, &p, v)?;
            // The schema spells `low_memory`; the environment `lowmemory`.
            let t = if t == "low_memory" {
                "lowmemory".into()
            } else {
                t
            };
            ctx.set(OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE, t, p);
        }
        if let Some(v) = o.get("default_histogram_aggregation") {
            let p = format!("{path}.default_histogram_aggregation");
            let a = scalar(ctx, &p, v)?;
            ctx.set(
                OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION,
                a,
                p,
            );
        }
    }
    ctx.set(vars.protocol, protocol.into(), path.clone());
    if let Some(v) = o.get("endpoint") {
        let p = format!("{path}.endpoint");
        let endpoint = scalar(ctx, &p, v)?;
        ctx.set(vars.endpoint, endpoint, p);
    }
    let mut headers: Vec<String> = Vec::new();
    if let Some(list) = o.get("headers") {
        for (i, h) in seq(ctx, &format!("{path}.headers"), list)?
            .iter()
            .enumerate()
        {
            let hp = format!("{path}.headers[{i}]");
            let mut ho = Obj::new(ctx, &hp, h, &[])?;
            let name = ho
                .get("name")
                .ok_or_else(|| error(ctx.text, &format!("{hp}.name"), "required"))?;
            let name = scalar(ctx, &format!("{hp}.name"), name)?;
            let value = ho
                .get("value")
                .ok_or_else(|| error(ctx.text, &format!("{hp}.value"), "required"))?;
            let value = scalar(ctx, &format!("{hp}.value"), value)?;
            ho.finish(ctx)?;
            headers.push(format!("{}={}", encode(&name), encode(&value)));
        }
    }
    if let Some(v) = o.get("headers_list") {
        let list = scalar(ctx, &format!("{path}.headers_list"), v)?;
        for h in list.split(',').map(str::trim).filter(|h| !h.is_empty()) {
            let key = h.split('=').next().unwrap_or("");
            if !headers.iter().any(|x| x.split('=').next() == Some(key)) {
                headers.push(h.to_string());
            }
        }
    }
    if !headers.is_empty() {
        ctx.set(vars.headers, headers.join(","), format!("{path}.headers"));
    }
    if let Some(v) = o.get("compression") {
        let p = format!("{path}.compression");
        let c = scalar(ctx, &p, v)?;
        ctx.set(vars.compression, c, p);
    }
    if let Some(v) = o.get("timeout") {
        let p = format!("{path}.timeout");
        let t = timeout_ms(ctx, &p, v)?;
        ctx.set(vars.timeout, t, p);
    }
    if kind == "otlp_http" {
        if let Some(v) = o.get("encoding") {
            let p = format!("{path}.encoding");
            let enc = scalar(ctx, &p, v)?;
            if enc != "protobuf" {
                return Err(error(
                    ctx.text,
                    &p,
                    format!("{enc:?}: only protobuf is supported"),
                ));
            }
        }
    }
    if let Some(v) = o.get("tls") {
        let tp = format!("{path}.tls");
        let mut t = Obj::new(ctx, &tp, v, &[])?;
        for (key, var) in [
            ("ca_file", vars.certificate.name),
            ("cert_file", vars.client_certificate.name),
            ("key_file", vars.client_key.name),
        ] {
            if let Some(v) = t.get(key) {
                let p = format!("{tp}.{key}");
                let file = scalar(ctx, &p, v)?;
                ctx.set(var, file, p);
            }
        }
        if kind == "otlp_grpc" {
            if let Some(v) = t.get("insecure") {
                let p = format!("{tp}.insecure");
                // Checked against the endpoint's scheme, as the environment's variable is.
                let insecure = boolean(ctx, &p, v)?;
                ctx.set(vars.insecure, insecure.to_string(), p);
            }
        }
        t.finish(ctx)?;
    }
    o.finish(ctx)?;
    Ok("otlp")
}

pub(super) fn join_exporters(list: &[&'static str]) -> String {
    let mut names: Vec<&str> = list.iter().copied().filter(|n| *n != "none").collect();
    names.dedup();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(",")
    }
}
