//! The files a user hands to doctor and call: CA bundle, client certificate and key, CRLs. Reading
//! and checking them is `certgate_pki::read_*`; this module only turns them into what the probes
//! need, and keeps a certificate/key mismatch as evidence (it is a finding, not a usage error).

use crate::ProbeError;
use certgate_core::evidence::ClientCert;
use certgate_core::x509::CertFacts;
use certgate_pki::PkiError;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer};
use rustls::sign::CertifiedKey;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where the trust anchors came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AnchorSource {
    /// `--cacert FILE` (replaces the system store, as with curl).
    File(PathBuf),
    /// The operating system's bundle at this path.
    System(PathBuf),
    /// No bundle was found.
    None,
}

/// The operating system's CA bundle locations, in the order OpenSSL-based tools look.
const SYSTEM_BUNDLES: [&str; 4] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
    "/etc/ssl/ca-bundle.pem",
];

fn file_error(e: PkiError) -> ProbeError {
    match e {
        PkiError::Io { path, source } => ProbeError::File {
            path: path.display().to_string(),
            why: source.to_string(),
        },
        PkiError::Invalid { path, why } => ProbeError::File {
            path: path.display().to_string(),
            why,
        },
        other => ProbeError::File {
            path: String::new(),
            why: other.to_string(),
        },
    }
}

/// Trust anchors: `cacert` when given, else `$SSL_CERT_FILE` or the system bundle.
pub fn anchors(
    cacert: Option<&Path>,
) -> Result<(Vec<CertificateDer<'static>>, AnchorSource), ProbeError> {
    if let Some(p) = cacert {
        let certs = certgate_pki::read_certs(p).map_err(file_error)?;
        return Ok((certs, AnchorSource::File(p.to_path_buf())));
    }
    let env = std::env::var_os("SSL_CERT_FILE").map(PathBuf::from);
    for p in env
        .into_iter()
        .chain(SYSTEM_BUNDLES.iter().map(PathBuf::from))
    {
        if p.is_file() {
            if let Ok(certs) = certgate_pki::read_certs(&p) {
                return Ok((certs, AnchorSource::System(p)));
            }
        }
    }
    Ok((vec![], AnchorSource::None))
}

/// CRLs from every `--crl` file.
pub fn crls(paths: &[PathBuf]) -> Result<Vec<CertificateRevocationListDer<'static>>, ProbeError> {
    let mut out = vec![];
    for p in paths {
        out.extend(certgate_pki::read_crls(p).map_err(file_error)?);
    }
    Ok(out)
}

/// A client certificate and key ready to present, with the facts the analysis needs.
#[derive(Clone, Debug)]
pub struct ClientIdentity {
    pub certified: Arc<CertifiedKey>,
    pub evidence: ClientCert,
}

/// Loads `--cert`/`--key` (key defaults to the cert file). `Ok(Err(detail))` is a key that does
/// not belong to the certificate: evidence for `client_cert.key_mismatch`, not an input error.
pub fn identity(
    cert: &Path,
    key: Option<&Path>,
) -> Result<Result<ClientIdentity, String>, ProbeError> {
    let key = key.unwrap_or(cert);
    let id = match certgate_pki::read_identity(cert, key) {
        Ok(id) => id,
        Err(e @ PkiError::KeyMismatch { .. }) => return Ok(Err(e.to_string())),
        Err(e) => return Err(file_error(e)),
    };
    let provider = crate::tls::provider();
    let signing = provider
        .key_provider
        .load_private_key(id.key)
        .map_err(|e| ProbeError::File {
            path: key.display().to_string(),
            why: format!("unsupported private key: {e}"),
        })?;
    let facts = CertFacts::from_der(&id.chain[0]).map_err(|e| ProbeError::File {
        path: cert.display().to_string(),
        why: format!("not a valid certificate: {e}"),
    })?;
    let chain_issuers_der = id
        .chain
        .iter()
        .skip(1)
        .filter_map(|c| CertFacts::from_der(c).ok())
        .map(|f| f.issuer_der)
        .collect();
    let evidence = ClientCert::Present {
        subject: facts.subject.clone(),
        issuer: facts.issuer.clone(),
        issuer_der: facts.issuer_der.clone(),
        chain_issuers_der,
        not_before: facts.not_before.unix_timestamp(),
        not_after: facts.not_after.unix_timestamp(),
    };
    Ok(Ok(ClientIdentity {
        certified: Arc::new(CertifiedKey::new(id.chain, signing)),
        evidence,
    }))
}
