//! The OpenTelemetry [`Resource`] shared by the three signals: `service.name`,
//! `service.version`, `service.instance.id`, `host.name`, `process.pid`, `telemetry.sdk.*`
//! and the attributes from `OTEL_RESOURCE_ATTRIBUTES`.

use opentelemetry::KeyValue;
use opentelemetry_sdk::resource::{Resource, TelemetryResourceDetector};

use crate::config::TelemetryConfig;

/// Builds the resource from an already-validated config (which resolved `OTEL_SERVICE_NAME`
/// and `OTEL_RESOURCE_ATTRIBUTES`); the SDK's env detectors are not used, so the environment
/// is read exactly once, by the config.
pub(crate) fn build(config: &TelemetryConfig) -> Resource {
    let mut attributes = Vec::with_capacity(5 + config.resource_attributes.len());
    if let Some(version) = &config.service_version {
        attributes.push(KeyValue::new("service.version", version.clone()));
    }
    let has = |key: &str| config.resource_attributes.iter().any(|(k, _)| k == key);
    if !has("service.instance.id") {
        attributes.push(KeyValue::new(
            "service.instance.id",
            uuid::Uuid::new_v4().to_string(),
        ));
    }
    if !has("host.name") {
        if let Some(host) = gethostname::gethostname().to_str() {
            attributes.push(KeyValue::new("host.name", host.to_string()));
        }
    }
    attributes.push(KeyValue::new("process.pid", i64::from(std::process::id())));
    attributes.push(KeyValue::new("process.runtime.name", "rust"));
    attributes.extend(
        config
            .resource_attributes
            .iter()
            .map(|(k, v)| KeyValue::new(k.clone(), v.clone())),
    );
    Resource::builder_empty()
        .with_detector(Box::new(TelemetryResourceDetector))
        .with_attributes(attributes)
        .with_service_name(config.service_name.clone())
        .build()
}
