//! The full handshake of a modern client (rustls, TLS 1.2/1.3) with a *recording* verifier: it
//! accepts whatever chain the server sends so the handshake can go on, and keeps the chain, the
//! stapled OCSP response and the server's CertificateRequest (acceptable CA names, signature
//! schemes) as evidence. Judging the chain is core's `chain` analysis, never this module's.

use certgate_core::evidence::{CertificateRequest, HandshakeEnd};
use certgate_core::wire::{Alert, CipherSuite, ProtocolVersion};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::ResolvesClientCert;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

use crate::ProbeError;

/// The one crypto provider (aws-lc-rs), never the process default: mixing providers panics.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// What the recording verifier and client-certificate resolver saw.
#[derive(Clone, Debug, Default)]
pub struct Observed {
    /// The certificates the server sent, leaf first, as sent.
    pub chain: Vec<CertificateDer<'static>>,
    /// The server stapled an OCSP response.
    pub ocsp_stapled: bool,
    /// The server's CertificateRequest, if any.
    pub certificate_request: Option<CertificateRequest>,
}

/// Records instead of judging; see the module comment.
#[derive(Debug)]
struct Recording {
    seen: Arc<Mutex<Observed>>,
    identity: Option<Arc<CertifiedKey>>,
    schemes: Vec<SignatureScheme>,
}

impl ServerCertVerifier for Recording {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        seen.chain = std::iter::once(end_entity)
            .chain(intermediates)
            .map(|c| c.clone().into_owned())
            .collect();
        seen.ocsp_stapled = !ocsp_response.is_empty();
        Ok(ServerCertVerified::assertion())
    }

    // The handshake signature is not checked: a diagnosis must go on past servers whose keys
    // webpki refuses (RSA-1024) so that their chain can be judged. Nothing secret is sent on
    // this connection; `call` uses a real verifier.
    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.schemes.clone()
    }
}

impl ResolvesClientCert for Recording {
    fn resolve(
        &self,
        root_hint_subjects: &[&[u8]],
        sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        seen.certificate_request = Some(CertificateRequest {
            ca_names: root_hint_subjects.iter().map(|d| dn_text(d)).collect(),
            ca_names_der: root_hint_subjects.iter().map(|d| d.to_vec()).collect(),
            signature_schemes: sigschemes.iter().map(|s| u16::from(*s)).collect(),
        });
        self.identity.clone()
    }

    // Always true so rustls keeps the transcript a TLS 1.2 CertificateRequest needs; whether a
    // certificate is actually sent is decided in `resolve`.
    fn has_certs(&self) -> bool {
        true
    }
}

/// A DER distinguished name (with its outer SEQUENCE) as RFC 4514-style text.
pub fn dn_text(der: &[u8]) -> String {
    use x509_parser::prelude::FromDer;
    match x509_parser::x509::X509Name::from_der(der) {
        Ok((_, name)) => name.to_string(),
        Err(_) => format!("<undecodable name, {} bytes>", der.len()),
    }
}

/// How to run the full handshake.
#[derive(Clone)]
pub struct HandshakeOptions {
    /// SNI and the name the chain is judged against.
    pub server_name: ServerName<'static>,
    /// ALPN protocols to offer.
    pub alpn: Vec<Vec<u8>>,
    /// A client certificate to present when asked.
    pub identity: Option<Arc<CertifiedKey>>,
    pub timeout: Duration,
}

/// The parts of a finished handshake that are evidence.
#[derive(Clone, Debug, Default)]
pub struct Negotiated {
    pub version: Option<ProtocolVersion>,
    pub suite: Option<CipherSuite>,
    pub alpn: Option<String>,
}

/// Parses a host (DNS name or IP address) into a rustls `ServerName`.
pub fn server_name(name: &str) -> Result<ServerName<'static>, ProbeError> {
    let bare = name.trim_start_matches('[').trim_end_matches(']');
    ServerName::try_from(bare.to_string()).map_err(|_| ProbeError::ServerName(name.to_string()))
}

/// Runs the handshake over `tcp`. On success returns the stream (for an HTTP request; TLS 1.3
/// client-auth failures only show on its first read) and what was negotiated. Either way returns
/// what was observed.
pub async fn handshake(
    tcp: TcpStream,
    opts: &HandshakeOptions,
) -> (
    Result<(TlsStream<TcpStream>, Negotiated), HandshakeEnd>,
    Arc<Mutex<Observed>>,
) {
    let seen = Arc::new(Mutex::new(Observed::default()));
    let provider = provider();
    let rec = Arc::new(Recording {
        seen: seen.clone(),
        identity: opts.identity.clone(),
        schemes: provider
            .signature_verification_algorithms
            .supported_schemes(),
    });
    let config =
        match ClientConfig::builder_with_provider(provider).with_safe_default_protocol_versions() {
            Ok(b) => {
                let mut c = b
                    .dangerous()
                    .with_custom_certificate_verifier(rec.clone())
                    .with_client_cert_resolver(rec);
                c.alpn_protocols = opts.alpn.clone();
                c
            }
            Err(e) => {
                return (
                    Err(HandshakeEnd::Failed {
                        detail: e.to_string(),
                    }),
                    seen,
                )
            }
        };
    let connector = TlsConnector::from(Arc::new(config));
    let result = tokio::time::timeout(
        opts.timeout,
        connector.connect(opts.server_name.clone(), tcp),
    )
    .await;
    let out = match result {
        Err(_) => Err(HandshakeEnd::NoAnswer),
        Ok(Err(e)) => Err(end_from_io(&e)),
        Ok(Ok(stream)) => {
            let (_, conn) = stream.get_ref();
            let negotiated = Negotiated {
                version: conn
                    .protocol_version()
                    .map(|v| ProtocolVersion(u16::from(v))),
                suite: conn
                    .negotiated_cipher_suite()
                    .map(|s| CipherSuite(u16::from(s.suite()))),
                alpn: conn
                    .alpn_protocol()
                    .map(|p| String::from_utf8_lossy(p).into_owned()),
            };
            Ok((stream, negotiated))
        }
    };
    (out, seen)
}

/// The rustls error inside an error chain (tokio-rustls and hyper wrap it in `io::Error`).
pub fn rustls_error<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(r) = err.downcast_ref::<rustls::Error>() {
            return Some(r);
        }
        // `io::Error::source()` skips the wrapped error itself, so look inside explicitly.
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            if let Some(r) = io.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
                return Some(r);
            }
        }
        cur = err.source();
    }
    None
}

/// An I/O error from a TLS stream → how the handshake ended.
pub fn end_from_io(e: &std::io::Error) -> HandshakeEnd {
    end_from_error(e)
}

/// Any error from a TLS stream or an HTTP client over it → how the handshake ended.
pub fn end_from_error(e: &(dyn std::error::Error + 'static)) -> HandshakeEnd {
    if let Some(r) = rustls_error(e) {
        return match r {
            rustls::Error::AlertReceived(a) => HandshakeEnd::AlertReceived {
                alert: Alert(u8::from(*a)),
            },
            other => HandshakeEnd::Failed {
                detail: other.to_string(),
            },
        };
    }
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            if matches!(
                io.kind(),
                UnexpectedEof | ConnectionReset | ConnectionAborted | BrokenPipe
            ) {
                return HandshakeEnd::Closed;
            }
            if io.kind() == TimedOut {
                return HandshakeEnd::NoAnswer;
            }
        }
        cur = err.source();
    }
    HandshakeEnd::Failed {
        detail: e.to_string(),
    }
}

/// Connects to `host:port`, runs a handshake with SNI `server_name` and returns the chain the
/// server sent, leaf first, unjudged. For `cert inspect URL` and `inventory`. A chain seen before
/// the handshake failed (e.g. the server then demanded a client certificate) is still returned.
pub async fn capture_chain(
    host: &str,
    port: u16,
    server_name: &str,
    timeout: Duration,
) -> Result<Vec<CertificateDer<'static>>, ProbeError> {
    let name = self::server_name(server_name)?;
    let addrs = crate::net::resolve(host, port, timeout).await?;
    let mut last = None;
    for addr in addrs {
        let tcp = match crate::net::connect(addr, timeout).await {
            Ok(t) => t,
            Err(e) => {
                last = Some(e);
                continue;
            }
        };
        let opts = HandshakeOptions {
            server_name: name.clone(),
            alpn: vec![],
            identity: None,
            timeout,
        };
        let (result, seen) = handshake(tcp, &opts).await;
        let chain = seen.lock().unwrap_or_else(|p| p.into_inner()).chain.clone();
        if !chain.is_empty() {
            return Ok(chain);
        }
        // A server that only speaks TLS 1.0/1.1 sends its chain in cleartext to a hand-built hello.
        if matches!(result, Err(HandshakeEnd::AlertReceived { .. })) {
            for v in [ProtocolVersion::TLS1_1, ProtocolVersion::TLS1_0] {
                let f = crate::hello::probe(
                    addr,
                    v,
                    &crate::hello::suites_for(v),
                    Some(server_name),
                    timeout,
                    true,
                )
                .await;
                if !f.chain.is_empty() {
                    return Ok(f.chain);
                }
            }
        }
        let (detail, alert) = match result {
            Ok(_) => ("the server sent no certificate".to_string(), None),
            Err(HandshakeEnd::AlertReceived { alert }) => {
                (format!("the server sent alert {alert}"), Some(alert))
            }
            Err(HandshakeEnd::NoAnswer) => {
                return Err(ProbeError::Timeout {
                    addr: addr.to_string(),
                    millis: timeout.as_millis() as u64,
                })
            }
            Err(HandshakeEnd::Closed) => ("the server closed the connection".to_string(), None),
            Err(HandshakeEnd::Failed { detail }) => (detail, None),
            Err(HandshakeEnd::Completed) => ("no certificate".to_string(), None),
        };
        return Err(ProbeError::Handshake {
            addr: addr.to_string(),
            detail,
            alert,
        });
    }
    Err(last.unwrap_or_else(|| ProbeError::Connect {
        addr: format!("{host}:{port}"),
        detail: "no address to connect to".into(),
    }))
}
