//! TLS endpoints to inventory: parsing `host:port` / `https://host[:port]` targets and lists of
//! them, and collecting the certificate chain each one sends. Connection failures come back as
//! findings with transport or handshake codes, never as errors of the scan.

use certgate_core::{Code, Finding, Side};
use rustls_pki_types::CertificateDer;
use serde::Serialize;
use std::time::Duration;

/// A TLS endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Endpoint {
    /// Host name or IP address (IPv6 without brackets).
    pub host: String,
    pub port: u16,
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

impl Endpoint {
    /// Parses `host:port`, `[v6]:port`, or an `https://` URL (port 443 by default). `None` when
    /// the text is neither.
    pub fn parse(s: &str) -> Option<Endpoint> {
        let s = s.trim();
        let (rest, default_port) = if let Some(r) = s.strip_prefix("https://") {
            (r, Some(443))
        } else if s.contains("://") {
            return None;
        } else {
            (s, None)
        };
        let authority = rest.split(['/', '?', '#']).next()?;
        let authority = authority.rsplit('@').next()?;
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (h, after) = v6.split_once(']')?;
            let port = match after.strip_prefix(':') {
                Some(p) => Some(p.parse().ok()?),
                None if after.is_empty() => None,
                None => return None,
            };
            (h.to_string(), port)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), Some(p.parse().ok()?)),
                None => (authority.to_string(), None),
            }
        };
        let port = port.or(default_port)?;
        let valid_host = !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':'));
        (valid_host && port != 0).then_some(Endpoint { host, port })
    }

    /// Parses a list: one endpoint per line; blank lines and `#` comments are skipped. Errors name
    /// the line.
    pub fn parse_list(text: &str) -> Result<Vec<Endpoint>, String> {
        let mut out = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            match Endpoint::parse(line) {
                Some(e) => out.push(e),
                None => {
                    return Err(format!(
                        "line {}: {line:?} is not host:port or https://host[:port]",
                        i + 1
                    ))
                }
            }
        }
        Ok(out)
    }
}

/// Connects to `ep` and returns the chain it sends, leaf first, unjudged (certgate-probe does the
/// handshake). A failure is a finding with the transport or handshake code.
pub async fn capture(
    ep: &Endpoint,
    timeout: Duration,
) -> Result<Vec<CertificateDer<'static>>, Finding> {
    certgate_probe::capture_chain(&ep.host, ep.port, &ep.host, timeout)
        .await
        .map_err(|e| {
            let target = ep.to_string();
            let code = e.code().unwrap_or(Code::HandshakeAlert);
            let side = match code.area() {
                certgate_core::code::Area::Transport => Side::Network,
                _ => Side::Server,
            };
            Finding::new(code, side, format!("{target}: {e}")).with("endpoint", target)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_parse_from_host_port_brackets_and_urls() {
        let e = |h: &str, p| {
            Some(Endpoint {
                host: h.into(),
                port: p,
            })
        };
        assert_eq!(Endpoint::parse("example.com:8443"), e("example.com", 8443));
        assert_eq!(
            Endpoint::parse("https://example.com/x?y"),
            e("example.com", 443)
        );
        assert_eq!(
            Endpoint::parse("https://example.com:9443/"),
            e("example.com", 9443)
        );
        assert_eq!(Endpoint::parse("[::1]:443"), e("::1", 443));
        assert_eq!(Endpoint::parse("127.0.0.1:1"), e("127.0.0.1", 1));
        assert_eq!(Endpoint::parse("example.com"), None);
        assert_eq!(Endpoint::parse("http://example.com"), None);
        assert_eq!(Endpoint::parse("./certs"), None);
        assert_eq!(Endpoint::parse("a b:1"), None);
        assert_eq!(Endpoint::parse("host:0"), None);
        assert_eq!(e("::1", 443).unwrap().to_string(), "[::1]:443");
    }

    #[test]
    fn endpoint_lists_skip_comments_and_name_the_bad_line() {
        let l = Endpoint::parse_list("# prod\na.example:443\n\nb.example:8443 # api\n").unwrap();
        assert_eq!(l.len(), 2);
        let err = Endpoint::parse_list("a.example:443\nnot an endpoint\n").unwrap_err();
        assert!(err.starts_with("line 2:"), "{err}");
    }
}
