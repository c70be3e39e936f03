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
    let mut found = match &config.resource_detection {
        Some(detection) => detected(detection),
        None => defaults(),
    };
    if config.kubernetes {
        let mut pod = kubernetes();
        if let Some(detection) = &config.resource_detection {
            pod.retain(|kv| detection.keeps(kv.key.as_str()));
        }
        found.extend(pod);
    }
    with_configured(config, found)
}

/// The pod's `k8s.pod.name`, `k8s.namespace.name`, `k8s.node.name` and `container.id`
/// (opentelemetry-resource-detectors' Kubernetes and container detectors; each attribute
/// only when its source exists). Called only inside a pod: the Kubernetes detector takes
/// `HOSTNAME` as the pod name, which outside one is just the machine's name.
fn kubernetes() -> Vec<KeyValue> {
    use opentelemetry_resource_detectors::{ContainerResourceDetector, K8sResourceDetector};
    use opentelemetry_sdk::resource::ResourceDetector;

    let detectors: [&dyn ResourceDetector; 2] = [&K8sResourceDetector, &ContainerResourceDetector];
    detectors
        .iter()
        .flat_map(|d| {
            d.detect()
                .iter()
                .filter(|(_, v)| !v.as_str().trim().is_empty())
                .map(|(k, v)| match k.as_str() {
                    // The service account file ends in no newline today; do not rely on it.
                    "k8s.namespace.name" => KeyValue::new(k.clone(), v.as_str().trim().to_string()),
                    _ => KeyValue::new(k.clone(), v.clone()),
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// This crate's own detection when a configuration file sets none: a new
/// `service.instance.id`, `host.name`, `process.pid`, `process.runtime.name`.
fn defaults() -> Vec<KeyValue> {
    let mut attributes = vec![KeyValue::new(
        "service.instance.id",
        uuid::Uuid::new_v4().to_string(),
    )];
    if let Some(host) = gethostname::gethostname().to_str() {
        attributes.push(KeyValue::new("host.name", host.to_string()));
    }
    attributes.push(KeyValue::new("process.pid", i64::from(std::process::id())));
    attributes.push(KeyValue::new("process.runtime.name", "rust"));
    attributes
}

/// What a configuration file's detectors find, filtered by its patterns.
fn detected(detection: &crate::config::ResourceDetection) -> Vec<KeyValue> {
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
    attributes
}

/// The resource: `found` first, then the configured version and attributes, which win
/// (later attributes replace earlier ones of the same key), then the service name.
fn with_configured(config: &TelemetryConfig, mut attributes: Vec<KeyValue>) -> Resource {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn value(resource: &Resource, key: &'static str) -> Option<String> {
        resource
            .get(&opentelemetry::Key::from_static_str(key))
            .map(|v| v.to_string())
    }

    #[test]
    fn configured_attributes_win_over_found_ones() {
        let config = TelemetryConfig::builder()
            .with_resource_attribute("service.instance.id", "pod-7")
            .with_resource_attribute("host.name", "configured-host")
            .build_from(|_| None)
            .unwrap();
        let resource = build(&config);
        assert_eq!(
            value(&resource, "service.instance.id").as_deref(),
            Some("pod-7")
        );
        assert_eq!(
            value(&resource, "host.name").as_deref(),
            Some("configured-host")
        );
        assert!(value(&resource, "process.pid").is_some());
        // Without configured values, the defaults are there.
        let resource = build(&TelemetryConfig::builder().build_from(|_| None).unwrap());
        assert!(value(&resource, "service.instance.id").is_some_and(|id| id.len() == 36));
    }
}
