//! rustls server configurations. The default verifier accepts any presented chain at the TLS
//! layer, so the handshake completes and the HTTP layer can answer 495/496 with the cause; it
//! still checks the CertificateVerify signature, so a client that does not hold the private key
//! never gets through. Routes in `require-tls` mode get a strict verifier that rejects in the
//! handshake with the precise alert. One configuration per SNI host, picked after the ClientHello.

use crate::config::{ConfigError, Mode};
use crate::policy::Route;
use crate::trust::TrustStore;
use certgate_core::Code;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::{ClientHello, ProducesTickets, ResolvesServerCert, StoresServerSessions};
use rustls::sign::CertifiedKey;
use rustls::{
    CertificateError, DigitallySignedStruct, DistinguishedName, Error, ServerConfig,
    SignatureScheme,
};
use rustls_pki_types::{CertificateDer, UnixTime};
use std::collections::HashMap;
use std::sync::Arc;

/// The one crypto provider (aws-lc-rs), shared by every configuration.
pub fn provider() -> Arc<CryptoProvider> {
    static P: std::sync::OnceLock<Arc<CryptoProvider>> = std::sync::OnceLock::new();
    P.get_or_init(|| Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
        .clone()
}

/// Session state that outlives reloads, so clients keep resuming across them. A resumed session
/// carries the client's chain, and the HTTP layer judges it again against the current CRLs.
#[derive(Clone)]
pub struct Resumption {
    ticketer: Arc<dyn ProducesTickets>,
    cache: Arc<dyn StoresServerSessions>,
}

impl Resumption {
    /// Fresh ticket keys and a bounded session cache.
    pub fn new() -> Result<Resumption, ConfigError> {
        Ok(Resumption {
            ticketer: rustls::crypto::aws_lc_rs::Ticketer::new()
                .map_err(|e| ConfigError::invalid("session tickets", e.to_string()))?,
            cache: rustls::server::ServerSessionMemoryCache::new(4096),
        })
    }
}

/// Accepts any chain (validation happens per route after the handshake) but checks the
/// proof of possession of the private key.
#[derive(Debug)]
struct AcceptPresented {
    hints: Vec<DistinguishedName>,
    algs: WebPkiSupportedAlgorithms,
}

impl ClientCertVerifier for AcceptPresented {
    fn offer_client_auth(&self) -> bool {
        true
    }
    fn client_auth_mandatory(&self) -> bool {
        false
    }
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &self.hints
    }
    fn verify_client_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: UnixTime,
    ) -> Result<ClientCertVerified, Error> {
        Ok(ClientCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls12_signature(m, c, d, &self.algs)
    }
    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls13_signature(m, c, d, &self.algs)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algs.supported_schemes()
    }
}

/// `require-tls`: a certificate is mandatory and must be accepted by one of the stores; otherwise
/// the handshake fails with the alert that names the cause (certificate_expired, unknown_ca, ...).
#[derive(Debug)]
struct RejectInHandshake {
    stores: Vec<Arc<TrustStore>>,
    inner: AcceptPresented,
}

impl ClientCertVerifier for RejectInHandshake {
    fn offer_client_auth(&self) -> bool {
        true
    }
    fn client_auth_mandatory(&self) -> bool {
        true
    }
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &self.inner.hints
    }
    fn verify_client_cert(
        &self,
        ee: &CertificateDer<'_>,
        im: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, Error> {
        let chain: Vec<CertificateDer<'_>> = std::iter::once(ee.clone())
            .chain(im.iter().cloned())
            .collect();
        let mut worst = Code::ClientCertUntrusted;
        for s in &self.stores {
            let f = s.judge(&chain, now);
            if f.code == Code::Ok {
                return Ok(ClientCertVerified::assertion());
            }
            worst = f.code;
        }
        Err(Error::InvalidCertificate(match worst {
            Code::ClientCertExpired => CertificateError::Expired,
            Code::ClientCertNotYetValid => CertificateError::NotValidYet,
            Code::ClientCertRevoked => CertificateError::Revoked,
            Code::ClientCertWrongUsage => CertificateError::InvalidPurpose,
            Code::ClientCertUntrusted => CertificateError::UnknownIssuer,
            _ => CertificateError::ApplicationVerificationFailure,
        }))
    }
    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls12_signature(m, c, d)
    }
    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls13_signature(m, c, d)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// The code a handshake failure stands for, for the log line of a rejected handshake.
pub fn code_of_handshake_error(e: &std::io::Error) -> Code {
    let Some(tls) = e.get_ref().and_then(|i| i.downcast_ref::<Error>()) else {
        return Code::HandshakeAlert;
    };
    match tls {
        Error::NoCertificatesPresented => Code::ClientCertRequired,
        Error::InvalidCertificate(c) => match c {
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                Code::ClientCertExpired
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                Code::ClientCertNotYetValid
            }
            CertificateError::Revoked => Code::ClientCertRevoked,
            CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
                Code::ClientCertWrongUsage
            }
            CertificateError::UnknownIssuer => Code::ClientCertUntrusted,
            // The CertificateVerify signature did not verify: the client's certificate and key
            // do not belong together.
            CertificateError::BadSignature => Code::ClientCertKeyMismatch,
            _ => Code::ClientCertRejected,
        },
        Error::PeerIncompatible(_) => Code::HandshakeProtocolVersion,
        _ => Code::HandshakeAlert,
    }
}

#[derive(Debug)]
struct OneCert(Arc<CertifiedKey>);

impl ResolvesServerCert for OneCert {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }
}

/// One rustls configuration per SNI host that has routes of its own, plus the default.
pub struct TlsConfigs {
    default: Arc<ServerConfig>,
    by_host: HashMap<String, Arc<ServerConfig>>,
}

impl TlsConfigs {
    /// The configuration for a ClientHello's SNI.
    pub fn for_sni(&self, sni: Option<&str>) -> Arc<ServerConfig> {
        sni.and_then(|s| self.by_host.get(&s.to_ascii_lowercase()))
            .unwrap_or(&self.default)
            .clone()
    }

    /// Builds the configurations for `routes`.
    pub fn build(
        routes: &[Route],
        cert: Arc<CertifiedKey>,
        hide_ca_names: bool,
        resumption: &Resumption,
    ) -> Result<TlsConfigs, ConfigError> {
        let make = |set: Vec<&Route>| build_one(&set, cert.clone(), hide_ca_names, resumption);
        let hostless: Vec<&Route> = routes.iter().filter(|r| r.host.is_none()).collect();
        let default = make(hostless.clone())?;
        let mut by_host = HashMap::new();
        for h in routes.iter().filter_map(|r| r.host.clone()) {
            if by_host.contains_key(&h) {
                continue;
            }
            let set: Vec<&Route> = routes
                .iter()
                .filter(|r| r.host.is_none() || r.host.as_deref() == Some(&h))
                .collect();
            by_host.insert(h, make(set)?);
        }
        Ok(TlsConfigs { default, by_host })
    }
}

fn build_one(
    routes: &[&Route],
    cert: Arc<CertifiedKey>,
    hide_ca_names: bool,
    resumption: &Resumption,
) -> Result<Arc<ServerConfig>, ConfigError> {
    let p = provider();
    let algs = p.signature_verification_algorithms;
    let mut stores: Vec<Arc<TrustStore>> = Vec::new();
    for r in routes.iter().filter(|r| r.mode != Mode::Off) {
        if !stores.iter().any(|s| Arc::ptr_eq(s, &r.trust)) {
            stores.push(r.trust.clone());
        }
    }
    let mut hints: Vec<DistinguishedName> = Vec::new();
    if !hide_ca_names {
        for h in stores.iter().flat_map(|s| s.hints.iter()) {
            if !hints.iter().any(|x| x.as_ref() == h.as_ref()) {
                hints.push(h.clone());
            }
        }
    }
    let builder = ServerConfig::builder_with_provider(p.clone())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| ConfigError::invalid("TLS", e.to_string()))?;
    let accept = AcceptPresented { hints, algs };
    let all_off = routes.iter().all(|r| r.mode == Mode::Off);
    let all_strict = !routes.is_empty() && routes.iter().all(|r| r.mode == Mode::RequireTls);
    let mut cfg = if all_off {
        builder.with_no_client_auth()
    } else if all_strict {
        builder.with_client_cert_verifier(Arc::new(RejectInHandshake {
            stores,
            inner: accept,
        }))
    } else {
        builder.with_client_cert_verifier(Arc::new(accept))
    }
    .with_cert_resolver(Arc::new(OneCert(cert)));
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    cfg.ticketer = resumption.ticketer.clone();
    cfg.session_storage = resumption.cache.clone();
    // One ticket per full handshake is enough for a client to resume, and halves ticket work.
    cfg.send_tls13_tickets = 1;
    Ok(Arc::new(cfg))
}
