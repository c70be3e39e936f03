//! The scrape endpoint's web configuration, in the format of the Prometheus exporter-toolkit
//! (what exporters in other languages take with `--web.config.file`, and what Prometheus'
//! `tls_config`/`basic_auth` scrape settings speak to):
//!
//! ```yaml
//! tls_server_config:
//!   cert_file: server.crt        # PEM chain; paths relative to this file
//!   key_file: server.key         # PEM private key
//!   client_auth_type: RequireAndVerifyClientCert   # or NoClientCert (default), VerifyClientCertIfGiven
//!   client_ca_file: ca.crt       # the CAs client certificates must chain to
//!   min_version: TLS12           # or TLS13
//! basic_auth_users:
//!   prometheus: $2y$10$...       # bcrypt hash (htpasswd -nBC 10 "" | tr -d ':\n')
//! ```
//!
//! Keys this SDK does not implement (`cipher_suites`, `http_server_config`, ...) are errors
//! naming them, never ignored: a security setting that silently does nothing is worse than
//! none. Feature `scrape-auth`.

#[cfg(feature = "scrape-auth")]
use std::collections::HashMap;
use std::path::Path;
#[cfg(feature = "scrape-auth")]
use std::path::PathBuf;
#[cfg(feature = "scrape-auth")]
use std::sync::{Arc, Mutex};

use crate::error::{Error, Result};

/// A loaded web configuration: the TLS acceptor and the basic-auth users. `Debug` shows no
/// hash and no key material.
#[derive(Clone)]
pub(crate) struct WebConfig {
    #[cfg(feature = "scrape-auth")]
    pub(crate) tls: Option<tokio_rustls::TlsAcceptor>,
    #[cfg(feature = "scrape-auth")]
    pub(crate) users: Option<Arc<BasicAuth>>,
}

impl std::fmt::Debug for WebConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("WebConfig");
        #[cfg(feature = "scrape-auth")]
        {
            d.field("tls", &self.tls.is_some());
            d.field(
                "basic_auth_users",
                &self.users.as_ref().map_or(0, |u| u.hashes.len()),
            );
        }
        d.finish_non_exhaustive()
    }
}

fn error(path: &Path, message: impl Into<String>) -> Error {
    Error::WebConfig {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// Reads and checks the web configuration at `path` (certificates and keys loaded, every hash
/// checked), or an error naming the file and the key.
pub(crate) fn load(path: &Path) -> Result<WebConfig> {
    #[cfg(not(feature = "scrape-auth"))]
    {
        Err(error(
            path,
            "a web configuration (TLS, basic auth) needs the crate feature `scrape-auth`",
        ))
    }
    #[cfg(feature = "scrape-auth")]
    {
        let text = std::fs::read_to_string(path).map_err(|e| error(path, e.to_string()))?;
        let doc: serde_norway::Value =
            serde_norway::from_str(&text).map_err(|e| error(path, e.to_string()))?;
        let dir = path.parent().unwrap_or(Path::new("."));
        let top = mapping(path, &doc, "")?;
        let mut tls = None;
        let mut users = None;
        for (key, value) in top {
            match key.as_str() {
                "tls_server_config" => tls = Some(tls::acceptor(path, dir, value)?),
                "basic_auth_users" => users = Some(Arc::new(BasicAuth::new(path, value)?)),
                other => {
                    return Err(error(
                        path,
                        format!("`{other}` is not supported (this SDK takes tls_server_config and basic_auth_users)"),
                    ))
                }
            }
        }
        if tls.is_none() && users.is_none() {
            return Err(error(
                path,
                "neither tls_server_config nor basic_auth_users: the file would protect nothing",
            ));
        }
        Ok(WebConfig { tls, users })
    }
}

/// `value` as a mapping of string keys (an empty document or `~` is an empty mapping).
#[cfg(feature = "scrape-auth")]
fn mapping<'a>(
    path: &Path,
    value: &'a serde_norway::Value,
    at: &str,
) -> Result<Vec<(String, &'a serde_norway::Value)>> {
    match value {
        serde_norway::Value::Null => Ok(Vec::new()),
        serde_norway::Value::Mapping(m) => m
            .iter()
            .map(|(k, v)| match k.as_str() {
                Some(k) => Ok((k.to_string(), v)),
                None => Err(error(path, format!("{at}: keys must be strings"))),
            })
            .collect(),
        _ => Err(error(
            path,
            format!(
                "{}: expected a mapping",
                if at.is_empty() { "the document" } else { at }
            ),
        )),
    }
}

#[cfg(feature = "scrape-auth")]
fn string<'a>(path: &Path, value: &'a serde_norway::Value, at: &str) -> Result<&'a str> {
    value
        .as_str()
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| error(path, format!("{at}: expected a non-empty string")))
}

/// Resolves `file` against the web configuration's directory (as exporter-toolkit does).
#[cfg(feature = "scrape-auth")]
fn relative(dir: &Path, file: &str) -> PathBuf {
    let p = Path::new(file);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        dir.join(p)
    }
}

#[cfg(feature = "scrape-auth")]
mod tls {
    use super::*;
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    use tokio_rustls::rustls;

    fn certificates(path: &Path, file: &Path, at: &str) -> Result<Vec<CertificateDer<'static>>> {
        let certs: std::result::Result<Vec<_>, _> = CertificateDer::pem_file_iter(file)
            .map_err(|e| error(path, format!("{at} {}: {e}", file.display())))?
            .collect();
        let certs = certs.map_err(|e| error(path, format!("{at} {}: {e}", file.display())))?;
        if certs.is_empty() {
            return Err(error(
                path,
                format!("{at} {}: no PEM certificate in it", file.display()),
            ));
        }
        Ok(certs)
    }

    /// The TLS acceptor `tls_server_config` describes.
    pub(super) fn acceptor(
        path: &Path,
        dir: &Path,
        value: &serde_norway::Value,
    ) -> Result<tokio_rustls::TlsAcceptor> {
        let mut cert_file = None;
        let mut key_file = None;
        let mut client_auth = "NoClientCert".to_string();
        let mut client_ca = None;
        let mut min_tls13 = false;
        for (key, v) in mapping(path, value, "tls_server_config")? {
            let at = format!("tls_server_config.{key}");
            match key.as_str() {
                "cert_file" => cert_file = Some(relative(dir, string(path, v, &at)?)),
                "key_file" => key_file = Some(relative(dir, string(path, v, &at)?)),
                "client_ca_file" => client_ca = Some(relative(dir, string(path, v, &at)?)),
                "client_auth_type" => client_auth = string(path, v, &at)?.to_string(),
                "min_version" => {
                    min_tls13 = match string(path, v, &at)? {
                        "TLS12" => false,
                        "TLS13" => true,
                        other => {
                            return Err(error(
                                path,
                                format!("{at}: {other:?}: expected TLS12 or TLS13 (older versions are not offered)"),
                            ))
                        }
                    }
                }
                other => {
                    return Err(error(
                        path,
                        format!("tls_server_config.{other} is not supported (this SDK takes cert_file, key_file, client_auth_type, client_ca_file, min_version)"),
                    ))
                }
            }
        }
        let cert_file =
            cert_file.ok_or_else(|| error(path, "tls_server_config.cert_file is required"))?;
        let key_file =
            key_file.ok_or_else(|| error(path, "tls_server_config.key_file is required"))?;
        let chain = certificates(path, &cert_file, "tls_server_config.cert_file")?;
        // The error names the file, never its content.
        let key = PrivateKeyDer::from_pem_file(&key_file).map_err(|_| {
            error(
                path,
                format!(
                    "tls_server_config.key_file {}: no readable PEM private key",
                    key_file.display()
                ),
            )
        })?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let versions: &[&rustls::SupportedProtocolVersion] = if min_tls13 {
            &[&rustls::version::TLS13]
        } else {
            &[&rustls::version::TLS13, &rustls::version::TLS12]
        };
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(versions)
            .map_err(|e| error(path, e.to_string()))?;
        let verifier =
            |required: bool| -> Result<Arc<dyn rustls::server::danger::ClientCertVerifier>> {
                let ca = client_ca.as_ref().ok_or_else(|| {
                    error(
                        path,
                        format!(
                            "tls_server_config.client_auth_type {client_auth} needs client_ca_file"
                        ),
                    )
                })?;
                let mut roots = rustls::RootCertStore::empty();
                for cert in certificates(path, ca, "tls_server_config.client_ca_file")? {
                    roots.add(cert).map_err(|e| {
                        error(path, format!("tls_server_config.client_ca_file: {e}"))
                    })?;
                }
                let builder = rustls::server::WebPkiClientVerifier::builder_with_provider(
                    Arc::new(roots),
                    provider.clone(),
                );
                let builder = if required {
                    builder
                } else {
                    builder.allow_unauthenticated()
                };
                builder
                    .build()
                    .map_err(|e| error(path, format!("tls_server_config.client_ca_file: {e}")))
            };
        let builder = match client_auth.as_str() {
            // As exporter-toolkit: client CAs without a policy would verify nothing.
            "NoClientCert" if client_ca.is_some() => {
                return Err(error(
                    path,
                    "tls_server_config.client_ca_file without client_auth_type RequireAndVerifyClientCert or VerifyClientCertIfGiven would verify nothing",
                ))
            }
            "NoClientCert" => builder.with_no_client_auth(),
            "RequireAndVerifyClientCert" => builder.with_client_cert_verifier(verifier(true)?),
            "VerifyClientCertIfGiven" => builder.with_client_cert_verifier(verifier(false)?),
            other => {
                return Err(error(
                    path,
                    format!("tls_server_config.client_auth_type {other:?}: expected NoClientCert, RequireAndVerifyClientCert or VerifyClientCertIfGiven (RequestClientCert and RequireAnyClientCert accept unverified certificates and are not offered)"),
                ))
            }
        };
        let mut config = builder.with_single_cert(chain, key).map_err(|e| {
            error(
                path,
                format!(
                    "tls_server_config: the certificate and key do not make a server identity: {e}"
                ),
            )
        })?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
    }
}

/// The basic-auth users (name → bcrypt hash) and the credentials already verified (bcrypt is
/// slow by design; Prometheus sends the same ones every scrape).
#[cfg(feature = "scrape-auth")]
pub(crate) struct BasicAuth {
    hashes: HashMap<String, String>,
    verified: Mutex<std::collections::HashSet<(String, String)>>,
    /// At most two verifications at a time: a flood of wrong passwords costs two cores' worth
    /// of bcrypt at most, never the host's.
    pub(crate) verifying: Arc<tokio::sync::Semaphore>,
    /// A hash (at the users' cost) of nothing anyone sends: an unknown user costs a
    /// verification too, so the time of the answer does not tell which part was wrong.
    dummy: String,
}

#[cfg(feature = "scrape-auth")]
impl BasicAuth {
    /// At most this many verified credential pairs are remembered.
    const CACHE: usize = 64;

    fn new(path: &Path, value: &serde_norway::Value) -> Result<Self> {
        let mut hashes = HashMap::new();
        for (user, hash) in mapping(path, value, "basic_auth_users")? {
            if user.is_empty() || user.contains(':') {
                return Err(error(
                    path,
                    format!("basic_auth_users: user {user:?} must be non-empty and hold no ':'"),
                ));
            }
            // Never show the hash: only whether it is one.
            let hash = hash
                .as_str()
                .filter(|h| bcrypt::verify("", h).is_ok())
                .ok_or_else(|| {
                    error(
                        path,
                        format!(
                            "basic_auth_users.{user}: expected a bcrypt hash ($2a$, $2b$ or $2y$)"
                        ),
                    )
                })?;
            hashes.insert(user, hash.to_string());
        }
        if hashes.is_empty() {
            return Err(error(path, "basic_auth_users: at least one user"));
        }
        // The highest cost of any user: an unknown name never answers faster than a known one.
        let cost = hashes
            .values()
            .filter_map(|h| h.get(4..6).and_then(|c| c.parse::<u32>().ok()))
            .max()
            .unwrap_or(bcrypt::DEFAULT_COST);
        let dummy = bcrypt::hash(uuid::Uuid::new_v4().to_string(), cost)
            .map_err(|e| error(path, format!("basic_auth_users: {e}")))?;
        Ok(BasicAuth {
            hashes,
            verified: Mutex::new(std::collections::HashSet::new()),
            verifying: Arc::new(tokio::sync::Semaphore::new(2)),
            dummy,
        })
    }

    /// The user and password of an `Authorization: Basic ...` header.
    pub(crate) fn credentials(header: Option<&http::HeaderValue>) -> Option<(String, String)> {
        use base64::Engine as _;
        let value = header?.to_str().ok()?;
        let (scheme, encoded) = value.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return None;
        }
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()?;
        let decoded = String::from_utf8(decoded).ok()?;
        let (user, password) = decoded.split_once(':')?;
        Some((user.to_string(), password.to_string()))
    }

    /// Whether `credentials` were verified before (no bcrypt work).
    pub(crate) fn known(&self, credentials: &(String, String)) -> bool {
        self.verified
            .lock()
            .map(|v| v.contains(credentials))
            .unwrap_or(false)
    }

    /// Verifies `credentials` (slow: bcrypt; run it off the I/O thread). Unknown users are
    /// checked against a dummy hash, so every refusal costs the same.
    pub(crate) fn verify(&self, credentials: (String, String)) -> bool {
        let (user, password) = &credentials;
        let (hash, exists) = match self.hashes.get(user) {
            Some(h) => (h.as_str(), true),
            None => (self.dummy.as_str(), false),
        };
        let ok = bcrypt::verify(password, hash).unwrap_or(false) && exists;
        if ok {
            if let Ok(mut v) = self.verified.lock() {
                if v.len() >= Self::CACHE {
                    v.clear();
                }
                v.insert(credentials);
            }
        }
        ok
    }
}
