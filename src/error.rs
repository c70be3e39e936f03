//! The crate's one error type.
//!
//! Every variant says *what* went wrong and *where*: the environment variable or builder field,
//! the offending value (never a secret: header values are replaced by `<redacted>` before they
//! reach an error) and what was expected.

use std::net::SocketAddr;

/// Errors returned by configuration parsing, [`init_telemetry`](crate::init_telemetry),
/// [`Telemetry::build`](crate::Telemetry::build) and [`Telemetry::shutdown`](crate::Telemetry::shutdown).
///
/// # Examples
///
/// ```
/// use marketplace_telemetry::{Error, TelemetryConfig};
///
/// let err = TelemetryConfig::builder()
///     .build_from(|name| (name == "OTEL_TRACES_SAMPLER").then(|| "banana".to_string()))
///     .unwrap_err();
/// assert!(matches!(err, Error::InvalidEnv { var: "OTEL_TRACES_SAMPLER", .. }));
/// assert!(err.to_string().starts_with("OTEL_TRACES_SAMPLER=\"banana\""));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An environment variable holds a value we cannot accept.
    #[error("{var}={value:?}: expected {expected}")]
    InvalidEnv {
        /// The variable's name, e.g. `OTEL_TRACES_SAMPLER`.
        var: &'static str,
        /// The value as read (header values are redacted).
        value: String,
        /// What the variable accepts.
        expected: &'static str,
    },

    /// A value given through the builder is invalid.
    #[error("invalid configuration `{field}`={value:?}: expected {expected}")]
    InvalidConfig {
        /// The builder field, e.g. `otlp_endpoint`.
        field: &'static str,
        /// The value as given (header values are redacted).
        value: String,
        /// What the field accepts.
        expected: &'static str,
    },

    /// A configuration file (`OTEL_CONFIG_FILE`) property is invalid, unknown or not supported.
    #[error("configuration file: `{path}`{}: {message}", .line.map(|l| format!(" (line {l})")).unwrap_or_default())]
    InvalidConfigFile {
        /// The property path, e.g. `tracer_provider.processors[0].batch.max_queue_size`.
        path: String,
        /// Its line in the file, when it could be found.
        line: Option<usize>,
        /// What is wrong (never a header value).
        message: String,
    },

    /// The gRPC exporter needs a Tokio runtime and none is running on this thread.
    #[error(
        "the OTLP gRPC exporter for {signal} needs a Tokio runtime: call init inside a runtime \
         (e.g. from `#[tokio::main]`), or use the `http` feature with \
         OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf"
    )]
    NoTokioRuntime {
        /// `traces`, `metrics` or `logs`.
        signal: &'static str,
    },

    /// A cargo feature needed by the configuration is not compiled in.
    #[error("{what} needs the `{feature}` cargo feature of marketplace-telemetry")]
    FeatureDisabled {
        /// What the configuration asked for, e.g. `OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf`.
        what: String,
        /// The missing feature.
        feature: &'static str,
    },

    /// The OTLP exporter could not be built.
    #[error("could not build the OTLP {signal} exporter")]
    Exporter {
        /// `traces`, `metrics` or `logs`.
        signal: &'static str,
        /// The SDK's error.
        #[source]
        source: opentelemetry_otlp::ExporterBuildError,
    },

    /// The Prometheus reader could not be built.
    #[error("could not build the Prometheus metrics reader")]
    Prometheus(#[source] opentelemetry_sdk::error::OTelSdkError),

    /// The scrape endpoint could not bind its address (e.g. the port is taken).
    #[error("could not bind the Prometheus scrape endpoint to {addr}")]
    ScrapeBind {
        /// The address from `OTEL_EXPORTER_PROMETHEUS_HOST`/`_PORT` or the builder.
        addr: SocketAddr,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },

    /// The scrape endpoint's web configuration (`MARKETPLACE_PROMETHEUS_WEB_CONFIG`) cannot be
    /// used: the file, and the key or file it names. Never a hash or key material.
    #[error("MARKETPLACE_PROMETHEUS_WEB_CONFIG {}: {message}", path.display())]
    WebConfig {
        /// The web configuration file.
        path: std::path::PathBuf,
        /// What is wrong, naming the key.
        message: String,
    },

    /// Another `init_telemetry` already installed a global subscriber in this process.
    #[error(
        "telemetry is already initialised in this process (a global tracing subscriber is set); \
         use `Telemetry::build` for more than one pipeline"
    )]
    AlreadyInitialized,

    /// A thread the SDK needs could not be started.
    #[error("could not start the {what} thread")]
    Thread {
        /// Which thread.
        what: &'static str,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },

    /// Shutdown did not finish for every signal; each failure is listed.
    #[error("telemetry shutdown was incomplete: {}", .failures.join("; "))]
    Shutdown {
        /// One entry per signal that failed, e.g. `traces: timed out after 5s`.
        failures: Vec<String>,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
