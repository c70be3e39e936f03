//! OTLP exporter construction shared by the three signals: one place that maps an
//! [`OtlpConfig`] onto the SDK's tonic or HTTP builders, with our typed errors.
//!
//! We never `Debug`-format the SDK's builders or exporters: in 0.33 they print header values.

#[cfg(any(feature = "grpc", feature = "otlp-http"))]
use opentelemetry_otlp::WithExportConfig;

#[cfg(any(feature = "grpc", feature = "otlp-http"))]
use crate::config::{OtlpConfig, Protocol};
use crate::error::Error;
#[cfg(any(feature = "grpc", feature = "otlp-http"))]
use crate::error::Result;
use crate::signal::Signal;

/// Checks what the SDK would otherwise find out too late (or by panicking): the transport's
/// feature is compiled in, TLS is available for `https://`, and gRPC has a Tokio runtime.
#[cfg(any(feature = "grpc", feature = "otlp-http"))]
pub(crate) fn preflight(signal: Signal, config: &OtlpConfig) -> Result<()> {
    let https = config.endpoint.trim_start().starts_with("https://");
    if config.client_identity.is_some() && !cfg!(feature = "tls") {
        return Err(Error::FeatureDisabled {
            what: format!("a client certificate (mTLS) for OTLP {}", signal.as_str()),
            feature: "tls",
        });
    }
    if config.ca_certificate.is_some() && !cfg!(feature = "tls") {
        return Err(Error::FeatureDisabled {
            what: format!("a CA certificate for OTLP {}", signal.as_str()),
            feature: "tls",
        });
    }
    match config.protocol {
        Protocol::Grpc => {
            if !cfg!(feature = "grpc") {
                return Err(Error::FeatureDisabled {
                    what: format!("OTLP {} over grpc", signal.as_str()),
                    feature: "grpc",
                });
            }
            if https && !cfg!(feature = "tls") {
                return Err(Error::FeatureDisabled {
                    what: format!("the https:// OTLP endpoint {}", config.endpoint),
                    feature: "tls",
                });
            }
            if tokio::runtime::Handle::try_current().is_err() {
                return Err(Error::NoTokioRuntime {
                    signal: signal.as_str(),
                });
            }
        }
        Protocol::HttpProtobuf => {
            if !cfg!(feature = "otlp-http") {
                return Err(Error::FeatureDisabled {
                    what: format!("OTLP {} over http/protobuf", signal.as_str()),
                    feature: "otlp-http",
                });
            }
            if https || config.ca_certificate.is_some() || config.client_identity.is_some() {
                // The blocking reqwest client is built without a TLS stack: refuse rather than
                // fail at every export.
                return Err(Error::FeatureDisabled {
                    what: format!(
                        "the https:// endpoint {} over http/protobuf (use grpc with `tls`)",
                        config.endpoint
                    ),
                    feature: "tls",
                });
            }
        }
    }
    Ok(())
}

/// The error for an OTLP exporter requested in a build without any transport feature.
#[cfg(not(any(feature = "grpc", feature = "otlp-http")))]
pub(crate) fn no_transport(signal: Signal) -> Error {
    Error::FeatureDisabled {
        what: format!("OTLP {} export", signal.as_str()),
        feature: "grpc",
    }
}

#[cfg(feature = "grpc")]
pub(crate) fn tonic<B>(builder: B, config: &OtlpConfig) -> B
where
    B: WithExportConfig + opentelemetry_otlp::WithTonicConfig,
{
    use tonic::metadata::{MetadataKey, MetadataMap, MetadataValue};
    let mut metadata = MetadataMap::new();
    for (k, v) in config.headers.iter() {
        // The config parser accepts only keys and values that convert (HTTP-safe, no `-bin`
        // binary keys), so nothing is skipped here.
        if let (Ok(key), Ok(value)) = (
            MetadataKey::from_bytes(k.as_bytes()),
            MetadataValue::try_from(v),
        ) {
            metadata.insert(key, value);
        }
    }
    let builder = builder
        .with_endpoint(config.endpoint.clone())
        .with_timeout(config.timeout)
        .with_metadata(metadata);
    #[cfg(feature = "tls")]
    let builder = {
        use opentelemetry_otlp::tonic_types::transport::{Certificate, ClientTlsConfig, Identity};
        // Checked readable by the config parser; a file that vanished since falls back to the
        // webpki roots (or no client certificate), and the handshake fails loudly rather than
        // going plaintext.
        let ca = config
            .ca_certificate
            .as_ref()
            .and_then(|path| std::fs::read(path).ok());
        let identity = config.client_identity.as_ref().and_then(|id| {
            Some(Identity::from_pem(
                std::fs::read(&id.certificate).ok()?,
                std::fs::read(&id.key).ok()?,
            ))
        });
        if ca.is_none() && identity.is_none() {
            builder
        } else {
            let mut tls = ClientTlsConfig::new();
            tls = match ca {
                Some(pem) => tls.ca_certificate(Certificate::from_pem(pem)),
                None => tls.with_enabled_roots(),
            };
            if let Some(identity) = identity {
                tls = tls.identity(identity);
            }
            builder.with_tls_config(tls)
        }
    };
    match config.compression {
        crate::config::Compression::Gzip => {
            builder.with_compression(opentelemetry_otlp::Compression::Gzip)
        }
        crate::config::Compression::None => builder,
    }
}

#[cfg(feature = "otlp-http")]
pub(crate) fn http<B>(builder: B, config: &OtlpConfig) -> B
where
    B: WithExportConfig + opentelemetry_otlp::WithHttpConfig,
{
    let headers = config
        .headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let builder = builder
        .with_endpoint(config.endpoint.clone())
        .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
        .with_timeout(config.timeout)
        .with_headers(headers);
    match config.compression {
        crate::config::Compression::Gzip => {
            builder.with_compression(opentelemetry_otlp::Compression::Gzip)
        }
        crate::config::Compression::None => builder,
    }
}

#[cfg(any(feature = "grpc", feature = "otlp-http"))]
/// Builds an OTLP exporter for one signal: `$builder` is the SDK's `XExporter::builder()`
/// (optionally pre-configured), `$config` an [`OtlpConfig`].
macro_rules! build_exporter {
    ($signal:expr, $builder:expr, $config:expr, $runtime:expr) => {{
        let config: &$crate::config::OtlpConfig = $config;
        let signal: $crate::config::Signal = $signal;
        $crate::pipeline::otlp::preflight(signal, config)?;
        // tonic spawns its channel worker on the current runtime: make that ours.
        let runtime: &tokio::runtime::Handle = $runtime;
        let _entered = runtime.enter();
        let built = match config.protocol {
            #[cfg(feature = "grpc")]
            $crate::config::Protocol::Grpc => {
                $crate::pipeline::otlp::tonic($builder.with_tonic(), config).build()
            }
            #[cfg(feature = "otlp-http")]
            $crate::config::Protocol::HttpProtobuf => {
                $crate::pipeline::otlp::http($builder.with_http(), config).build()
            }
            #[allow(unreachable_patterns)] // preflight rejected protocols without their feature
            _ => {
                return Err($crate::error::Error::FeatureDisabled {
                    what: format!("OTLP {} over {}", signal.as_str(), config.protocol.as_str()),
                    feature: "grpc",
                })
            }
        };
        built.map_err(|source| $crate::error::Error::Exporter {
            signal: signal.as_str(),
            source,
        })
    }};
}
#[cfg(any(feature = "grpc", feature = "otlp-http"))]
pub(crate) use build_exporter;
