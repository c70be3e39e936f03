//! Behaviour of a default build (no `tls`, no `http`): what needs a missing feature is a typed
//! error naming the feature, never a plaintext connection or a panic. `scripts/test.sh` runs
//! this binary with default features as well as with all of them.

use crate::common::{env_map, Capture};
use marketplace_telemetry::{Error, Telemetry, TelemetryConfig};

fn build(vars: &[(&str, &str)]) -> Result<Telemetry, Error> {
    let config = TelemetryConfig::builder()
        .with_log_writer(Capture::default().writer())
        .with_scrape_endpoint(false)
        .build_from(env_map(vars))
        .unwrap();
    Telemetry::build(config)
}

#[cfg(not(feature = "tls"))]
#[tokio::test]
async fn an_https_grpc_endpoint_without_the_tls_feature_is_refused_not_sent_in_plaintext() {
    let err = build(&[(
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "https://collector.example:4317",
    )])
    .unwrap_err();
    assert!(
        matches!(err, Error::FeatureDisabled { feature: "tls", .. }),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("https://collector.example:4317"),
        "{err}"
    );
}

#[cfg(not(feature = "otlp-http"))]
#[test]
fn http_protobuf_without_the_http_feature_is_refused() {
    let err = build(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")]).unwrap_err();
    assert!(
        matches!(
            err,
            Error::FeatureDisabled {
                feature: "otlp-http",
                ..
            }
        ),
        "{err:?}"
    );
}

#[cfg(feature = "tls")]
#[tokio::test]
async fn an_https_grpc_endpoint_with_the_tls_feature_builds() {
    let telemetry = build(&[(
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "https://collector.example:4317",
    )]);
    telemetry.unwrap().shutdown().ok();
}
