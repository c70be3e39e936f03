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
            Err(other) => prop_assert!(false, "{var}={value:?}: unexpected {other:?}"),
        }
    }
}
