//! OTLP settings per signal: the builder's values, then `OTEL_EXPORTER_OTLP_{SIGNAL}_*`, then
//! `OTEL_EXPORTER_OTLP_*`, then the protocol's defaults; TLS client identity.

use super::*;

/// OTLP values given in code: they apply to all three signals.
pub(super) struct OtlpOverrides {
    pub(super) endpoint: Option<String>,
    pub(super) protocol: Option<Protocol>,
    pub(super) headers: Option<Headers>,
    pub(super) timeout: Option<Duration>,
    pub(super) compression: Option<crate::config::values::Compression>,
    pub(super) ca_certificate: Option<std::path::PathBuf>,
}

/// The three signals' OTLP settings: code > signal env > generic env > default.
pub(super) fn otlp<F: Fn(&str) -> Option<String>>(
    env: &Env<'_, F>,
    code: &OtlpOverrides,
) -> Result<[OtlpConfig; 3]> {
    if let Some(endpoint) = &code.endpoint {
        endpoint::validate(endpoint).map_err(|expected| Error::InvalidConfig {
            field: "otlp_endpoint",
            value: endpoint::redact(endpoint).into_owned(),
            expected,
        })?;
    }
    positive(code.timeout, "otlp_timeout")?;
    if let Some(path) = &code.ca_certificate {
        if parse_pem_path(&path.to_string_lossy()).is_none() {
            return Err(Error::InvalidConfig {
                field: "otlp_ca_certificate",
                value: path.display().to_string(),
                expected: PemCertificate::EXPECTED,
            });
        }
    }
    let generic = GenericOtlp {
        protocol: env.read(var::OTEL_EXPORTER_OTLP_PROTOCOL)?,
        endpoint: env.read(var::OTEL_EXPORTER_OTLP_ENDPOINT)?,
        headers: env.read(var::OTEL_EXPORTER_OTLP_HEADERS)?,
        timeout: env.read(var::OTEL_EXPORTER_OTLP_TIMEOUT)?,
        compression: env.read(var::OTEL_EXPORTER_OTLP_COMPRESSION)?,
        certificate: env.read(var::OTEL_EXPORTER_OTLP_CERTIFICATE)?,
        client_certificate: env
            .read(var::OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE)?
            .map(|p| (p, OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE)),
        client_key: env
            .read(var::OTEL_EXPORTER_OTLP_CLIENT_KEY)?
            .map(|p| (p, OTEL_EXPORTER_OTLP_CLIENT_KEY)),
        insecure: env
            .read(var::OTEL_EXPORTER_OTLP_INSECURE)?
            .map(|b| (b, OTEL_EXPORTER_OTLP_INSECURE)),
    };
    let [traces, metrics, logs] = &SIGNAL_VARS;
    Ok([
        otlp_signal(env, code, &generic, traces)?,
        otlp_signal(env, code, &generic, metrics)?,
        otlp_signal(env, code, &generic, logs)?,
    ])
}

/// Where a signal's endpoint came from.
#[derive(Clone, Copy)]
enum EndpointSource {
    /// The builder, or our default.
    Code,
    /// This environment variable.
    Env(&'static str),
}

/// The generic `OTEL_EXPORTER_OTLP_*` values, read once for the three signals.
pub(super) struct GenericOtlp {
    protocol: Option<Protocol>,
    endpoint: Option<String>,
    headers: Option<Headers>,
    timeout: Option<Duration>,
    compression: Option<crate::config::values::Compression>,
    certificate: Option<std::path::PathBuf>,
    client_certificate: Option<(std::path::PathBuf, &'static str)>,
    client_key: Option<(std::path::PathBuf, &'static str)>,
    insecure: Option<(bool, &'static str)>,
}

pub(super) fn otlp_signal<F: Fn(&str) -> Option<String>>(
    env: &Env<'_, F>,
    code: &OtlpOverrides,
    generic: &GenericOtlp,
    vars: &SignalVars,
) -> Result<OtlpConfig> {
    let protocol = match code.protocol {
        Some(p) => p,
        None => env
            .read(vars.protocol)?
            .or(generic.protocol)
            .unwrap_or(Protocol::Grpc),
    };
    // The endpoint and where it came from (named in the error if it does not suit gRPC).
    let (endpoint, source) = match &code.endpoint {
        Some(e) => (e.clone(), EndpointSource::Code),
        None => match env.read(vars.endpoint)? {
            Some(e) => (e, EndpointSource::Env(vars.endpoint.name)),
            None => match (&generic.endpoint, protocol) {
                (Some(e), Protocol::Grpc) => {
                    (e.clone(), EndpointSource::Env(OTEL_EXPORTER_OTLP_ENDPOINT))
                }
                (Some(e), Protocol::HttpProtobuf) => (
                    join_signal_path(e, vars.signal),
                    EndpointSource::Env(OTEL_EXPORTER_OTLP_ENDPOINT),
                ),
                (None, Protocol::Grpc) => (DEFAULT_GRPC_ENDPOINT.to_string(), EndpointSource::Code),
                (None, Protocol::HttpProtobuf) => (
                    join_signal_path(DEFAULT_HTTP_ENDPOINT, vars.signal),
                    EndpointSource::Code,
                ),
            },
        },
    };
    if protocol == Protocol::Grpc {
        if let Err(expected) = endpoint::validate_grpc(&endpoint) {
            let value = endpoint::redact(&endpoint).into_owned();
            return Err(match source {
                EndpointSource::Env(var) => Error::InvalidEnv {
                    var,
                    value,
                    expected,
                },
                EndpointSource::Code => Error::InvalidConfig {
                    field: "otlp_endpoint",
                    value,
                    expected,
                },
            });
        }
    }
    // Credentials in the URL travel as a header (explicit `authorization` headers win).
    let (endpoint, basic_auth) = endpoint::take_credentials(&endpoint);
    let mut headers = generic.headers.clone().unwrap_or_default();
    if let Some(signal_headers) = env.read(vars.headers)? {
        for (k, v) in signal_headers.iter() {
            headers.insert(k, v);
        }
    }
    if let Some(explicit) = &code.headers {
        for (k, v) in explicit.iter() {
            headers.insert(k, v);
        }
    }
    if let Some(basic_auth) = basic_auth {
        if !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        {
            headers.insert("authorization", basic_auth);
        }
    }
    let timeout = match code.timeout {
        Some(t) => t,
        None => env
            .read(vars.timeout)?
            .or(generic.timeout)
            .unwrap_or(Duration::from_secs(10)),
    };
    let compression = match code.compression {
        Some(c) => c,
        None => env
            .read(vars.compression)?
            .or(generic.compression)
            .unwrap_or_default(),
    };
    let ca_certificate = match &code.ca_certificate {
        Some(path) => Some(path.clone()),
        None => env
            .read(vars.certificate)?
            .or_else(|| generic.certificate.clone()),
    };
    let client_identity = client_identity(env, generic, vars, &endpoint)?;
    let insecure = env
        .read(vars.insecure)?
        .map(|b| (b, vars.insecure.name))
        .or(generic.insecure);
    if let Some((insecure, var)) = insecure {
        let https = endpoint.starts_with("https://");
        if insecure == https {
            return Err(Error::InvalidEnv {
                var,
                value: insecure.to_string(),
                expected: if https {
                    "false (or unset) with an https:// endpoint: the endpoint's scheme decides, and https:// is TLS"
                } else {
                    "true (or unset) with an http:// endpoint: the endpoint's scheme decides, and http:// is plaintext; use https:// for TLS"
                },
            });
        }
    }
    Ok(OtlpConfig {
        endpoint,
        protocol,
        headers,
        timeout,
        compression,
        ca_certificate,
        client_identity,
    })
}

/// The client certificate and key (mTLS): signal variable over generic, both or neither, and
/// only for an `https://` endpoint.
pub(super) fn client_identity<F: Fn(&str) -> Option<String>>(
    env: &Env<'_, F>,
    generic: &GenericOtlp,
    vars: &SignalVars,
    endpoint: &str,
) -> Result<Option<ClientIdentity>> {
    let certificate = env
        .read(vars.client_certificate)?
        .map(|p| (p, vars.client_certificate.name))
        .or_else(|| generic.client_certificate.clone());
    let key = env
        .read(vars.client_key)?
        .map(|p| (p, vars.client_key.name))
        .or_else(|| generic.client_key.clone());
    match (certificate, key) {
        (None, None) => Ok(None),
        (Some((path, var)), None) => Err(Error::InvalidEnv {
            var,
            value: path.display().to_string(),
            expected: "a client certificate together with its key (OTEL_EXPORTER_OTLP_CLIENT_KEY or the signal's _CLIENT_KEY)",
        }),
        (None, Some((path, var))) => Err(Error::InvalidEnv {
            var,
            value: path.display().to_string(),
            expected: "a client key together with its certificate (OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE or the signal's _CLIENT_CERTIFICATE)",
        }),
        (Some((certificate, var)), Some((key, _))) => {
            if !endpoint.starts_with("https://") {
                return Err(Error::InvalidEnv {
                    var,
                    value: certificate.display().to_string(),
                    expected: "a client certificate for an https:// endpoint (a certificate is presented only over TLS)",
                });
            }
            Ok(Some(ClientIdentity { certificate, key }))
        }
    }
}
