//! OTLP endpoint URLs: validation with a message per mistake, credentials moved out of the
//! URL, and the redacted form used wherever an endpoint is printed.
//!
//! Credentials in a URL (`http://user:pass@collector:4317`) never reach the OTLP exporter: the
//! SDK logs the endpoint it was given (at debug level, and the HTTP exporter logs the request
//! URL on every failed export). They become an `Authorization: Basic …` header — what an HTTP
//! client does with URL userinfo — and headers are secrets everywhere in this crate. A query
//! string stays in the URL (an HTTP collector may need it) and is shown as `?***` by us.

use std::borrow::Cow;

use base64::Engine as _;

/// What every endpoint must be.
pub(super) const ENDPOINT_EXPECTED: &str =
    "an absolute http:// or https:// URL with a host, e.g. http://localhost:4317";
const WHITESPACE_EXPECTED: &str =
    "an http:// or https:// URL without leading or trailing whitespace";
const CONTROL_EXPECTED: &str = "an http:// or https:// URL without control characters";
/// A gRPC endpoint with a path (the HTTP exporter's `/v1/<signal>` is the usual mistake).
pub(super) const GRPC_PATH_EXPECTED: &str =
    "a gRPC endpoint without a path, e.g. http://collector:4317 (paths such as /v1/traces \
     belong to OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf)";

/// Checks an endpoint's syntax; `Err` carries what was expected.
pub(super) fn validate(v: &str) -> Result<(), &'static str> {
    if v.trim() != v {
        return Err(WHITESPACE_EXPECTED);
    }
    if v.chars().any(char::is_control) {
        return Err(CONTROL_EXPECTED);
    }
    let uri: http::Uri = v.parse().map_err(|_| ENDPOINT_EXPECTED)?;
    match (uri.scheme_str(), uri.host()) {
        (Some("http" | "https"), Some(host)) if !host.is_empty() => {
            if valid_host(host) {
                Ok(())
            } else {
                Err(HOST_EXPECTED)
            }
        }
        _ => Err(ENDPOINT_EXPECTED),
    }
}

const HOST_EXPECTED: &str =
    "an http:// or https:// URL whose host is a DNS name (letters, digits, '-' inside labels) or an IP address";

/// A host TLS and DNS accept: an IP literal, or dot-separated labels of letters, digits, `-`
/// and `_`, none empty or starting or ending with `-` (rustls refuses `https://-` only when the
/// exporter is built, in its own words).
fn valid_host(host: &str) -> bool {
    if host.starts_with('[') || host.parse::<std::net::IpAddr>().is_ok() {
        return true;
    }
    let host = host.strip_suffix('.').unwrap_or(host);
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
        // Not an IP address, so a name: rustls refuses one whose last label is all digits
        // (`https://0`, `https://10.0.0`), only when the exporter is built.
        && !host
            .rsplit('.')
            .next()
            .is_some_and(|last| last.chars().all(|c| c.is_ascii_digit()))
}

/// Checks that a gRPC endpoint carries no path (tonic would send every call to it).
pub(super) fn validate_grpc(v: &str) -> Result<(), &'static str> {
    validate(v)?;
    let uri: http::Uri = v.parse().map_err(|_| ENDPOINT_EXPECTED)?;
    match uri.path() {
        "" | "/" => Ok(()),
        _ => Err(GRPC_PATH_EXPECTED),
    }
}

/// `v` with its userinfo removed, and the `Authorization` header value it stood for.
///
/// `user:pass` (percent-decoded) becomes `Basic base64(user:pass)`; a lone `token@` becomes
/// `Basic base64(token:)`.
pub(super) fn take_credentials(v: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = v.split_once("://") else {
        return (v.to_string(), None);
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let Some((userinfo, host)) = authority.rsplit_once('@') else {
        return (v.to_string(), None);
    };
    let (user, pass) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .into_owned()
    };
    let credentials = format!("{}:{}", decode(user), decode(pass));
    let header = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(credentials)
    );
    (format!("{scheme}://{host}{tail}"), Some(header))
}

/// `v` as it may be printed: userinfo shown as `***@`, a query string as `?***`.
///
/// Works on malformed values too (they are printed in errors): everything between `://` (or
/// the start) and the last `@` is hidden — over-redacting an `@` in a path, never showing a
/// part of a password.
pub(crate) fn redact(v: &str) -> Cow<'_, str> {
    let (head, query) = v.split_at(v.find('?').unwrap_or(v.len()));
    let at = head.rfind('@');
    if at.is_none() && query.is_empty() {
        return Cow::Borrowed(v);
    }
    let mut out = String::with_capacity(v.len());
    match at {
        Some(at) => {
            let start = head[..at].find("://").map_or(0, |i| i + 3);
            out.push_str(&head[..start]);
            out.push_str("***");
            out.push_str(&head[at..]);
        }
        None => out.push_str(head),
    }
    if !query.is_empty() {
        out.push_str("?***");
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_tls_would_refuse_are_refused_here() {
        for bad in [
            "https://-?key=v",
            "http://-a.example:4317",
            "https://a..b:4317",
            "http://a_b-.x",
        ] {
            assert_eq!(validate(bad), Err(HOST_EXPECTED), "{bad}");
        }
        for good in [
            "https://collector.example:4317",
            "http://127.0.0.1:4317",
            "http://[::1]:4317",
            "http://otel_collector:4317",
            "http://localhost.",
        ] {
            assert_eq!(validate(good), Ok(()), "{good}");
        }
    }

    #[test]
    fn mistakes_get_their_own_message() {
        assert_eq!(validate(" http://c:4317"), Err(WHITESPACE_EXPECTED));
        assert_eq!(validate("http://c:4317\n"), Err(WHITESPACE_EXPECTED));
        assert_eq!(validate("http://c:43\t17"), Err(CONTROL_EXPECTED));
        assert_eq!(validate("http://"), Err(ENDPOINT_EXPECTED));
        assert_eq!(validate("ftp://c:4317"), Err(ENDPOINT_EXPECTED));
        assert_eq!(validate("c:4317"), Err(ENDPOINT_EXPECTED));
        assert_eq!(validate("http://c:4318/v1/traces"), Ok(()));
        assert_eq!(validate_grpc("http://c:4317/"), Ok(()));
        assert_eq!(
            validate_grpc("http://c:4317/v1/traces"),
            Err(GRPC_PATH_EXPECTED)
        );
    }

    #[test]
    fn credentials_leave_the_url_as_a_basic_header() {
        let (url, header) = take_credentials("http://us%40er:p%3Ass@c:4318/v1/traces?k=v");
        assert_eq!(url, "http://c:4318/v1/traces?k=v");
        // base64("us@er:p:ss")
        assert_eq!(header.as_deref(), Some("Basic dXNAZXI6cDpzcw=="));
        assert_eq!(
            take_credentials("http://c:4317"),
            ("http://c:4317".into(), None)
        );
        // An '@' in the path is not userinfo.
        assert_eq!(
            take_credentials("http://c:4318/a@b"),
            ("http://c:4318/a@b".into(), None)
        );
    }

    #[test]
    fn redaction_hides_userinfo_and_query() {
        assert_eq!(redact("http://u:secret@c:4317"), "http://***@c:4317");
        assert_eq!(
            redact("https://c/v1/logs?key=secret"),
            "https://c/v1/logs?***"
        );
        assert_eq!(redact("http://c:4317"), "http://c:4317");
        assert_eq!(redact(" u:secret@c?x"), "***@c?***");
        assert_eq!(redact("http:/u:secret@c"), "***@c");
        assert_eq!(redact("http://u:se/cret@c"), "http://***@c");
        assert_eq!(redact("http://c/a@b"), "http://***@b"); // over-redacts, never under
    }
}
