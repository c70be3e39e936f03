//! Every variable we read, fuzzed: random unicode, random bytes (lossily converted), huge and
//! negative numbers, empty strings. Never a panic; every failure is `InvalidEnv` naming the
//! variable that was set.

use marketplace_telemetry::config::ALL_ENV_VARS;
use marketplace_telemetry::{Error, TelemetryConfig};
use proptest::prelude::*;

fn values() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        proptest::collection::vec(any::<u8>(), 0..64)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        any::<i128>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|f| f.to_string()),
        Just(String::new()),
        Just("1e8".to_string()),
        Just("18446744073709551616".to_string()),
        "[a-z_/,=%0-9.: -]{0,40}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn any_value_in_any_variable_is_accepted_or_rejected_by_name(
        index in 0..ALL_ENV_VARS.len(),
        value in values(),
    ) {
        let var = ALL_ENV_VARS[index];
        let result = TelemetryConfig::builder()
            .build_from(|k| (k == var).then(|| value.clone()));
        match result {
            Ok(_) => {}
            Err(Error::InvalidEnv { var: named, .. }) => prop_assert_eq!(named, var),
            // A value naming a file that exists (`.`, `Cargo.toml`) is read as a document:
            // its errors name the property path instead.
            Err(Error::InvalidConfigFile { .. }) if var.ends_with("CONFIG_FILE") => {}
            Err(other) => prop_assert!(false, "{var}={value:?}: unexpected {other:?}"),
        }
    }
}

/// Endpoint-shaped values: schemes, userinfo, hosts, ports, paths and queries, with stray
/// whitespace, control characters and unicode mixed in (weighted so that about half are valid
/// and reach the SDK).
fn endpoints() -> impl Strategy<Value = String> {
    let scheme = prop_oneof![
        6 => Just("http://"),
        3 => Just("https://"),
        1 => Just("ftp://"),
        1 => Just(""),
        1 => Just("http:/"),
        1 => Just(" http://"),
    ];
    let userinfo = prop_oneof![
        6 => Just(""),
        2 => Just("user:pa%20ss@"),
        1 => Just("tok@"),
        1 => Just("@"),
    ];
    let host = prop_oneof![
        4 => Just("collector".to_string()),
        2 => Just("127.0.0.1".to_string()),
        1 => Just("[::1]".to_string()),
        1 => Just(String::new()),
        2 => "[a-z0-9.\\- \t\n\u{7f}é]{0,12}",
    ];
    let port = prop_oneof![
        4 => Just(""),
        4 => Just(":4317"),
        1 => Just(":0"),
        1 => Just(":99999"),
        1 => Just(":x"),
    ];
    let path = prop_oneof![
        6 => Just(String::new()),
        2 => Just("/".to_string()),
        2 => Just("/v1/traces".to_string()),
        1 => Just("/otel".to_string()),
        1 => "/[a-z%?#=& \t]{0,10}",
    ];
    let tail = prop_oneof![6 => Just(""), 1 => Just(" "), 1 => Just("\n"), 2 => Just("?key=v")];
    (scheme, userinfo, host, port, path, tail)
        .prop_map(|(s, u, h, p, pa, t)| format!("{s}{u}{h}{p}{pa}{t}"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Every endpoint is either refused by us (`InvalidEnv` naming the variable, credentials
    /// hidden) or accepted and then built by the SDK without an error: a mistake is never left
    /// for the SDK to report in its own words, and nothing panics.
    #[test]
    fn an_endpoint_is_refused_by_name_or_built_without_an_sdk_error(
        endpoint in endpoints(),
        http in any::<bool>(),
    ) {
        let protocol = if http && cfg!(feature = "otlp-http") { "http/protobuf" } else { "grpc" };
        let config = TelemetryConfig::builder()
            .with_scrape_endpoint(false)
            .with_log_writer(marketplace_telemetry::LogWriter::new(|| Box::new(std::io::sink())))
            .build_from(|k| match k {
                "OTEL_EXPORTER_OTLP_ENDPOINT" => Some(endpoint.clone()),
                "OTEL_EXPORTER_OTLP_PROTOCOL" => Some(protocol.to_string()),
                "OTEL_METRICS_EXPORTER" => Some("none".to_string()),
                _ => None,
            });
        match config {
            Err(Error::InvalidEnv { var, value, .. }) => {
                prop_assert_eq!(var, "OTEL_EXPORTER_OTLP_ENDPOINT");
                prop_assert!(!value.contains("pa%20ss"), "credentials shown: {}", value);
            }
            Err(other) => prop_assert!(false, "{endpoint:?}: unexpected {other:?}"),
            Ok(config) => {
                let debug = format!("{config:?} {}", config.report());
                prop_assert!(!debug.contains("pa%20ss"), "credentials shown: {}", debug);
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                let built = runtime.block_on(async { marketplace_telemetry::Telemetry::build(config) });
                match built {
                    Ok(telemetry) => drop(telemetry.shutdown()),
                    // Our own typed refusal (e.g. https without the `tls` feature).
                    Err(Error::FeatureDisabled { .. }) => {}
                    Err(e) => prop_assert!(false, "{endpoint:?} ({protocol}) accepted, then refused: {e:?}"),
                }
            }
        }
    }
}

/// RELIABILITY.md states how many variables the fuzz covers: it is `ALL_ENV_VARS`, counted.
#[test]
fn the_reliability_page_counts_the_variables_the_fuzz_covers() {
    let page = std::fs::read_to_string(crate::common::repo_root().join("RELIABILITY.md")).unwrap();
    let claim = format!("over all {} variables", ALL_ENV_VARS.len());
    assert!(page.contains(&claim), "RELIABILITY.md should say {claim:?}");
}
