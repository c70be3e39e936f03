//! The service's identity (`OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, the builder's
//! name and version) and each signal's exporters (`OTEL_*_EXPORTER`).

use super::*;

pub(super) struct Service {
    pub(super) name: String,
    pub(super) version: Option<String>,
    pub(super) attributes: Vec<(String, String)>,
}

/// Resource: builder < `OTEL_ENTITIES` < `OTEL_RESOURCE_ATTRIBUTES` < `OTEL_SERVICE_NAME`.
pub(super) fn service<F: Fn(&str) -> Option<String>>(
    env: &Env<'_, F>,
    mut attributes: Vec<(String, String)>,
    code_name: Option<String>,
    code_version: Option<String>,
) -> Result<Service> {
    validate_attributes(&attributes, "resource_attribute")?;
    let entities = env.read(var::OTEL_ENTITIES)?.unwrap_or_default();
    let listed = env.read(var::OTEL_RESOURCE_ATTRIBUTES)?.unwrap_or_default();
    for (k, v) in entities.into_iter().chain(listed) {
        attributes.retain(|(existing, _)| existing != &k);
        attributes.push((k, v));
    }
    let name = match env.read(var::OTEL_SERVICE_NAME)? {
        Some(name) => name,
        None => match attributes.iter().find(|(k, _)| k == "service.name") {
            Some((_, v)) => v.clone(),
            None => match code_name {
                Some(name) if valid_name(&name) => name,
                Some(name) => {
                    return Err(Error::InvalidConfig {
                        field: "service_name",
                        value: name,
                        expected: ServiceName::EXPECTED,
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

pub(super) fn exporters<F: Fn(&str) -> Option<String>, S: Syntax<Value = Exporters>>(
    env: &Env<'_, F>,
    code: Option<Exporters>,
    setting: Setting<S>,
    default: Exporters,
) -> Result<Exporters> {
    match code {
        Some(e) => Ok(e),
        None => Ok(env.read(setting)?.unwrap_or(default)),
    }
}
