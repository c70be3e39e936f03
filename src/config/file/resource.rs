//! `resource` (attributes, attributes list, detection) and `propagator`.

use super::*;

pub(super) fn resource(ctx: &mut Ctx<'_>, v: &Value) -> Result<()> {
    let mut r = Obj::new(ctx, "resource", v, &["schema_url"])?;
    let mut pairs: Vec<String> = Vec::new();
    if let Some(list) = r.get("attributes") {
        for (i, a) in seq(ctx, "resource.attributes", list)?.iter().enumerate() {
            let path = format!("resource.attributes[{i}]");
            let mut o = Obj::new(ctx, &path, a, &[])?;
            let name = o
                .get("name")
                .ok_or_else(|| error(ctx.text, &format!("{path}.name"), "required"))?;
            let name = scalar(ctx, &format!("{path}.name"), name)?;
            let value = o
                .get("value")
                .ok_or_else(|| error(ctx.text, &format!("{path}.value"), "required"))?;
            let value = match value {
                Value::Sequence(_) => {
                    return Err(error(
                        ctx.text,
                        &format!("{path}.value"),
                        "array attribute values are not supported yet",
                    ))
                }
                v => scalar(ctx, &format!("{path}.value"), v)?,
            };
            if let Some(t) = o.get("type") {
                let t = scalar(ctx, &format!("{path}.type"), t)?;
                if !matches!(t.as_str(), "string" | "bool" | "int" | "double") {
                    return Err(error(ctx.text, &format!("{path}.type"), format!("{t:?}: expected string, bool, int or double (arrays are not supported yet)")));
                }
            }
            o.finish(ctx)?;
            if name == "service.name" {
                ctx.set(OTEL_SERVICE_NAME, value.clone(), format!("{path}.value"));
            }
            pairs.push(format!("{}={}", encode(&name), encode(&value)));
        }
    }
    if let Some(list) = r.get("attributes_list") {
        let l = scalar(ctx, "resource.attributes_list", list)?;
        // Entries of `attributes` win over the list's.
        let mut from_list: Vec<String> = l
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .filter(|s| {
                let key = s.split('=').next().unwrap_or("");
                !pairs.iter().any(|p| p.split('=').next() == Some(key))
            })
            .map(str::to_string)
            .collect();
        from_list.append(&mut pairs);
        pairs = from_list;
    }
    if let Some(d) = r.get("detection/development") {
        detection(ctx, d)?;
    }
    r.finish(ctx)?;
    if !pairs.is_empty() {
        ctx.set(
            OTEL_RESOURCE_ATTRIBUTES,
            pairs.join(","),
            "resource.attributes".into(),
        );
    }
    Ok(())
}

/// `resource.detection/development`: the detectors this SDK has (`service`, `host`,
/// `process`, `container`; another name is an error naming it) and the attribute filter.
pub(super) fn detection(ctx: &mut Ctx<'_>, v: &Value) -> Result<()> {
    const PATH: &str = "resource.detection/development";
    let mut d = Obj::new(ctx, PATH, v, &[])?;
    let mut out = crate::config::values::ResourceDetection::default();
    if let Some(list) = d.get("detectors") {
        for (i, entry) in seq(ctx, &format!("{PATH}.detectors"), list)?
            .iter()
            .enumerate()
        {
            let path = format!("{PATH}.detectors[{i}]");
            let map = entry.as_mapping().filter(|m| m.len() == 1).ok_or_else(|| {
                error(ctx.text, &path, "expected one detector name, e.g. `host:`")
            })?;
            let (name, options) = map
                .iter()
                .next()
                .map(|(k, v)| (k.as_str().unwrap_or("?"), v))
                .unwrap_or(("?", &Value::Null));
            if !(options.is_null() || options.as_mapping().is_some_and(Mapping::is_empty)) {
                return Err(error(
                    ctx.text,
                    &format!("{path}.{name}"),
                    "expected no options",
                ));
            }
            match name {
                "service" => out.service = true,
                "host" => out.host = true,
                "process" => out.process = true,
                "container" => out.container = true,
                other => {
                    return Err(error(
                        ctx.text,
                        &path,
                        format!("{other:?}: expected one of service, host, process, container"),
                    ))
                }
            }
        }
    }
    if let Some(a) = d.get("attributes") {
        let apath = format!("{PATH}.attributes");
        let mut o = Obj::new(ctx, &apath, a, &[])?;
        for (key, target) in [
            ("included", &mut out.included),
            ("excluded", &mut out.excluded),
        ] {
            if let Some(list) = o.get(key) {
                let path = format!("{apath}.{key}");
                for (i, p) in seq(ctx, &path, list)?.iter().enumerate() {
                    target.push(scalar(ctx, &format!("{path}[{i}]"), p)?);
                }
            }
        }
        o.finish(ctx)?;
    }
    d.finish(ctx)?;
    // The `service` detector: `service.name` from `OTEL_SERVICE_NAME` unless the file's own
    // attributes name the service (they take precedence over detected attributes).
    if out.service && !ctx.out.env.contains_key(OTEL_SERVICE_NAME) {
        if let Some(name) = (ctx.lookup)(OTEL_SERVICE_NAME).filter(|n| !n.trim().is_empty()) {
            ctx.set(OTEL_SERVICE_NAME, name, format!("{PATH}.detectors"));
        }
    }
    ctx.out.detection = Some(out);
    Ok(())
}

pub(super) fn propagator(ctx: &mut Ctx<'_>, v: &Value) -> Result<()> {
    let mut p = Obj::new(ctx, "propagator", v, &[])?;
    let mut names: Vec<String> = Vec::new();
    if let Some(list) = p.get("composite") {
        for (i, entry) in seq(ctx, "propagator.composite", list)?.iter().enumerate() {
            let path = format!("propagator.composite[{i}]");
            let map = entry.as_mapping().filter(|m| m.len() == 1).ok_or_else(|| {
                error(
                    ctx.text,
                    &path,
                    "expected one propagator name, e.g. `tracecontext:`",
                )
            })?;
            if let Some(name) = map.keys().next().and_then(Value::as_str) {
                names.push(name.to_string());
            }
        }
    }
    if let Some(list) = p.get("composite_list") {
        for name in scalar(ctx, "propagator.composite_list", list)?.split(',') {
            let name = name.trim();
            if !name.is_empty() && !names.iter().any(|n| n == name) {
                names.push(name.to_string());
            }
        }
    }
    p.finish(ctx)?;
    if !names.is_empty() {
        ctx.set(
            OTEL_PROPAGATORS,
            names.join(","),
            "propagator.composite".into(),
        );
    }
    Ok(())
}
