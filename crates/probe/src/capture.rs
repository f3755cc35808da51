//! Capture the certificate chain a TLS server sends, whatever is wrong with it: a rustls client
//! whose verifier records the chain and accepts it (signatures of the handshake itself are still
//! checked), so expired, self-signed or untrusted chains are captured too. Judging the chain is
//! core's job (`analyse::chain`), not this module's.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpStream;

/// Why the chain could not be captured.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// The server name is not a valid DNS name or IP address.
    #[error("{0:?} is not a valid server name")]
    BadName(String),
    /// TCP connect failed.
    #[error("cannot connect: {0}")]
    Connect(std::io::Error),
    /// No answer in time.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The TLS handshake failed before the server sent its certificate.
    #[error("TLS handshake failed: {0}")]
    Handshake(std::io::Error),
    /// The handshake ended without a certificate.
    #[error("the server sent no certificate")]
    NoCertificate,
}

#[derive(Debug)]
struct Recorder {
    provider: Arc<CryptoProvider>,
    chain: Mutex<Vec<CertificateDer<'static>>>,
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let mut chain = vec![end_entity.clone().into_owned()];
        chain.extend(intermediates.iter().map(|c| c.clone().into_owned()));
        if let Ok(mut c) = self.chain.lock() {
            *c = chain;
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Connects to `host:port`, sends `server_name` as SNI (unless it is an IP address) and returns
/// the chain the server sent, leaf first. A server that requires a client certificate still
/// sends its chain first, so that case is captured too.
pub async fn capture_chain(
    host: &str,
    port: u16,
    server_name: &str,
    timeout: Duration,
) -> Result<Vec<CertificateDer<'static>>, CaptureError> {
    let name = ServerName::try_from(server_name.to_string())
        .map_err(|_| CaptureError::BadName(server_name.to_string()))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let recorder = Arc::new(Recorder {
        provider: provider.clone(),
        chain: Mutex::new(vec![]),
    });
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| CaptureError::Handshake(std::io::Error::other(e)))?
        .dangerous()
        .with_custom_certificate_verifier(recorder.clone())
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let work = async {
        let tcp = TcpStream::connect((host, port))
            .await
            .map_err(CaptureError::Connect)?;
        // The handshake may fail after the certificate arrived (e.g. the server then demands
        // a client certificate); what was recorded still counts.
        let result = connector.connect(name, tcp).await;
        let chain = recorder.chain.lock().map(|c| c.clone()).unwrap_or_default();
        match (result, chain.is_empty()) {
            (_, false) => Ok(chain),
            (Err(e), true) => Err(CaptureError::Handshake(e)),
            (Ok(_), true) => Err(CaptureError::NoCertificate),
        }
    };
    tokio::time::timeout(timeout, work)
        .await
        .map_err(|_| CaptureError::Timeout(timeout))?
}
