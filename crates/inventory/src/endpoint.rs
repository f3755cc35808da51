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

/// Connects to `ep`, completes a TLS handshake that accepts any certificate (the inventory wants
/// to see what is served, not to trust it) and returns the chain as sent.
pub async fn capture(
    ep: &Endpoint,
    timeout: Duration,
) -> Result<Vec<CertificateDer<'static>>, Finding> {
    let target = ep.to_string();
    let fail = |code: Code, detail: String| {
        Finding::new(code, Side::Network, format!("{target}: {detail}"))
            .with("endpoint", target.clone())
    };
    let addrs: Vec<std::net::SocketAddr> = match tokio::time::timeout(
        timeout,
        tokio::net::lookup_host((ep.host.as_str(), ep.port)),
    )
    .await
    {
        Ok(Ok(a)) => a.collect(),
        Ok(Err(e)) => return Err(fail(Code::DnsResolutionFailed, e.to_string())),
        Err(_) => return Err(fail(Code::TcpTimeout, "name resolution timed out".into())),
    };
    let Some(addr) = addrs.first().copied() else {
        return Err(fail(Code::DnsResolutionFailed, "no addresses".into()));
    };
    let tcp = match tokio::time::timeout(timeout, tokio::net::TcpStream::connect(addr)).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            return Err(fail(
                Code::TcpConnectionRefused,
                format!("connection refused ({addr})"),
            ))
        }
        Ok(Err(e)) => return Err(fail(Code::TcpConnectionRefused, format!("{e} ({addr})"))),
        Err(_) => {
            return Err(fail(
                Code::TcpTimeout,
                format!("no TCP answer within {}s", timeout.as_secs_f32()),
            ))
        }
    };
    let name = match ep.host.parse::<std::net::IpAddr>() {
        Ok(ip) => rustls_pki_types::ServerName::IpAddress(ip.into()),
        Err(_) => match rustls_pki_types::ServerName::try_from(ep.host.clone()) {
            Ok(n) => n,
            Err(_) => return Err(fail(Code::DnsResolutionFailed, "invalid host name".into())),
        },
    };
    let connector = tokio_rustls::TlsConnector::from(client_config());
    match tokio::time::timeout(timeout, connector.connect(name, tcp)).await {
        Err(_) => Err(fail(
            Code::TcpTimeout,
            format!("no TLS handshake within {}s", timeout.as_secs_f32()),
        )),
        Ok(Err(e)) => Err(handshake_failure(&target, e)),
        Ok(Ok(tls)) => {
            let (_, conn) = tls.get_ref();
            Ok(conn
                .peer_certificates()
                .map(|c| c.iter().map(|d| d.clone().into_owned()).collect())
                .unwrap_or_default())
        }
    }
}

fn handshake_failure(target: &str, e: std::io::Error) -> Finding {
    use rustls::{AlertDescription, Error as TlsError};
    let code = match e.get_ref().and_then(|i| i.downcast_ref::<TlsError>()) {
        Some(TlsError::InvalidMessage(_)) | Some(TlsError::InappropriateMessage { .. }) => {
            Code::HandshakeNotTls
        }
        Some(TlsError::AlertReceived(AlertDescription::ProtocolVersion)) => {
            Code::HandshakeProtocolVersion
        }
        Some(TlsError::PeerIncompatible(_)) => Code::HandshakeNoSharedCipher,
        Some(TlsError::AlertReceived(AlertDescription::CertificateRequired)) => {
            Code::ClientCertRequired
        }
        Some(_) => Code::HandshakeAlert,
        None if e.kind() == std::io::ErrorKind::UnexpectedEof => Code::HandshakeAlert,
        None => Code::HandshakeAlert,
    };
    Finding::new(
        code,
        Side::Server,
        format!("{target}: TLS handshake failed: {e}"),
    )
    .with("endpoint", target)
}

fn client_config() -> std::sync::Arc<rustls::ClientConfig> {
    use std::sync::{Arc, OnceLock};
    static CFG: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    CFG.get_or_init(|| {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let cfg = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .expect("aws-lc-rs supports TLS 1.2 and 1.3")
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(RecordOnly(provider)))
            .with_no_client_auth();
        Arc::new(cfg)
    })
    .clone()
}

/// Accepts any server certificate: the inventory records chains, it does not trust them. The
/// handshake signature is still checked so the peer really holds the key of what it sent.
#[derive(Debug)]
struct RecordOnly(std::sync::Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for RecordOnly {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &rustls_pki_types::ServerName<'_>,
        _: &[u8],
        _: rustls_pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(m, c, d, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(m, c, d, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
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
