//! The service's identity (`OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, the builder's
//! name and version) and each signal's exporters (`OTEL_*_EXPORTER`).

use super::*;

pub(super) struct Service {
    pub(super) name: String,
    pub(super) version: Option<String>,
    pub(super) attributes: Vec<(String, String)>,
}

/// Resource: builder < `OTEL_RESOURCE_ATTRIBUTES` < `OTEL_SERVICE_NAME` (spec precedence).
pub(super) fn service<F: Fn(&str) -> Option<String>>(
    env: &Env<'_, F>,
    mut attributes: Vec<(String, String)>,
    code_name: Option<String>,
    code_version: Option<String>,
) -> Result<Service> {
    validate_attributes(&attributes, "resource_attribute")?;
    if let Some(raw) = env.get(OTEL_RESOURCE_ATTRIBUTES) {
        for (k, v) in parse_key_values(&raw).map_err(|_| Error::InvalidEnv {
            var: OTEL_RESOURCE_ATTRIBUTES,
            value: raw.clone(),
            expected:
                "comma-separated key=value pairs with non-empty keys (values percent-encoded)",
        })? {
            attributes.retain(|(existing, _)| existing != &k);
            attributes.push((k, v));
        }
    }
    let name = match env.parse(
        OTEL_SERVICE_NAME,
        |v| valid_name(v).then(|| v.trim().to_string()),
        NAME_EXPECTED,
    )? {
        Some(name) => name,
        None => match attributes.iter().find(|(k, _)| k == "service.name") {
            Some((_, v)) => v.clone(),
            None => match code_name {
                Some(name) if valid_name(&name) => name,
                Some(name) => {
                    return Err(Error::InvalidConfig {
                        field: "service_name",
                        value: name,
                        expected: NAME_EXPECTED,
                    })
                }
                None => default_service_name(),
            },
        },
    };
    attributes.retain(|(k, _)| k != "service.name");
    let version = match code_version {
        Some(v) => Some(v),
        None => attributes
            .iter()
            .find(|(k, _)| k == "service.version")
            .map(|(_, v)| v.clone()),
    };
    attributes.retain(|(k, _)| k != "service.version");
    Ok(Service {
        name,
        version,
        attributes,
    })
}

pub(super) fn exporters<F: Fn(&str) -> Option<String>>(
    env: &Env<'_, F>,
    code: Option<Exporters>,
    var: &'static str,
    metrics: bool,
    default: Exporters,
) -> Result<Exporters> {
    let expected = if metrics {
        "a comma list of prometheus, otlp, console, none"
    } else {
        "a comma list of otlp, console, none"
    };
    match code {
        Some(e) => Ok(e),
        None => Ok(env
            .parse(var, |v| parse_exporters(v, metrics), expected)?
            .unwrap_or(default)),
    }
}
