//! The OpenTelemetry [`Resource`] shared by the three signals: `service.name`,
//! `service.version`, `telemetry.sdk.*` and the attributes from `OTEL_RESOURCE_ATTRIBUTES`;
//! by default also `service.instance.id`, `host.name` and `process.pid`, or — when a
//! configuration file sets `resource.detection/development` — what its detectors find
//! (opentelemetry-resource-detectors), filtered by its `included`/`excluded` patterns. The
//! configured attributes win over detected ones.

use opentelemetry::KeyValue;
use opentelemetry_sdk::resource::{Resource, TelemetryResourceDetector};

use crate::config::TelemetryConfig;

/// Builds the resource from an already-validated config (which resolved `OTEL_SERVICE_NAME`
/// and `OTEL_RESOURCE_ATTRIBUTES`); the SDK's env detectors are not used, so the environment
/// is read exactly once, by the config.
pub(crate) fn build(config: &TelemetryConfig) -> Resource {
    if let Some(detection) = &config.resource_detection {
        return detected(config, detection);
    }
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

/// The resource with a configuration file's detectors.
fn detected(config: &TelemetryConfig, detection: &crate::config::ResourceDetection) -> Resource {
    use opentelemetry_resource_detectors::{
        ContainerResourceDetector, HostResourceDetector, OsResourceDetector,
        ProcessResourceDetector,
    };
    use opentelemetry_sdk::resource::ResourceDetector;

    let mut found: Vec<Box<dyn ResourceDetector>> = Vec::new();
    if detection.host {
        found.push(Box::new(HostResourceDetector::default()));
        found.push(Box::new(OsResourceDetector));
    }
    if detection.process {
        found.push(Box::new(ProcessResourceDetector));
    }
    if detection.container {
        found.push(Box::new(ContainerResourceDetector));
    }
    let mut attributes: Vec<KeyValue> = found
        .iter()
        .flat_map(|d| {
            d.detect()
                .iter()
                .map(|(k, v)| KeyValue::new(k.clone(), v.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    if detection.service {
        attributes.push(KeyValue::new(
            "service.instance.id",
            uuid::Uuid::new_v4().to_string(),
        ));
    }
    attributes.retain(|kv| detection.keeps(kv.key.as_str()));
    // Configured attributes override detected ones (later attributes win in the builder).
    if let Some(version) = &config.service_version {
        attributes.push(KeyValue::new("service.version", version.clone()));
    }
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
