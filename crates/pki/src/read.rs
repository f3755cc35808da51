//! Reading certificates, keys and CRLs that users hand to certgate: PEM or DER, one clear error
//! naming the file when it is neither, an encrypted key, or a key that does not match its
//! certificate. Everything that reads PKI files goes through here so the wording is the same.

use crate::PkiError;
use rustls_pki_types::pem::{PemObject, SectionKind};
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer};
use std::path::{Path, PathBuf};

/// A certificate chain (leaf first) and the private key that belongs to its leaf.
#[derive(Debug)]
pub struct Identity {
    /// Leaf first, then the intermediates as they appear in the file.
    pub chain: Vec<CertificateDer<'static>>,
    /// The leaf's private key.
    pub key: PrivateKeyDer<'static>,
}

fn invalid(path: &Path, why: impl Into<String>) -> PkiError {
    PkiError::Invalid {
        path: path.to_path_buf(),
        why: why.into(),
    }
}

fn read_bytes(path: &Path) -> Result<Vec<u8>, PkiError> {
    std::fs::read(path).map_err(|source| PkiError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn looks_like_pem(b: &[u8]) -> bool {
    b.windows(11).any(|w| w == b"-----BEGIN ")
}

/// The labels of the PEM blocks in `b` (`CERTIFICATE`, `PRIVATE KEY`, ...), for error messages.
fn pem_labels(b: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(b);
    let mut out: Vec<String> = vec![];
    for line in text.lines() {
        if let Some(rest) = line.trim().strip_prefix("-----BEGIN ") {
            let label = rest.trim_end_matches('-').to_string();
            if !out.contains(&label) {
                out.push(label);
            }
        }
    }
    out
}

fn found(b: &[u8]) -> String {
    let labels = pem_labels(b);
    if labels.is_empty() {
        String::new()
    } else {
        format!(" (found: {})", labels.join(", "))
    }
}

/// Reads every certificate in a PEM file (any number of CERTIFICATE blocks) or one DER
/// certificate. Errors name the file: unreadable, empty, garbage, or PEM without certificates.
pub fn read_certs(path: impl AsRef<Path>) -> Result<Vec<CertificateDer<'static>>, PkiError> {
    let path = path.as_ref();
    let bytes = read_bytes(path)?;
    certs_from_bytes(&bytes).map_err(|why| invalid(path, why))
}

/// [`read_certs`] on bytes already in memory (e.g. from a socket); the error is the reason only.
pub fn certs_from_bytes(bytes: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err("the file is empty".into());
    }
    if looks_like_pem(bytes) {
        let mut certs = vec![];
        for item in PemObject::pem_slice_iter(bytes) {
            match item {
                Ok((SectionKind::Certificate, der)) => certs.push(CertificateDer::from(der)),
                Ok(_) => {}
                Err(e) => return Err(format!("malformed PEM: {e}")),
            }
        }
        if certs.is_empty() {
            return Err(format!(
                "no CERTIFICATE block in this PEM file{}",
                found(bytes)
            ));
        }
        for (i, c) in certs.iter().enumerate() {
            certgate_core::x509::CertFacts::from_der(c)
                .map_err(|e| format!("certificate #{} in the file: {e}", i + 1))?;
        }
        return Ok(certs);
    }
    match certgate_core::x509::CertFacts::from_der(bytes) {
        Ok(_) => Ok(vec![CertificateDer::from(bytes.to_vec())]),
        Err(_) => {
            Err("not a certificate: neither PEM (-----BEGIN CERTIFICATE-----) nor DER".into())
        }
    }
}

/// Reads one private key: PEM (PKCS#8, PKCS#1 RSA, SEC1 EC) or DER. An encrypted key is
/// refused with [`PkiError::EncryptedKey`].
pub fn read_key(path: impl AsRef<Path>) -> Result<PrivateKeyDer<'static>, PkiError> {
    let path = path.as_ref();
    let bytes = read_bytes(path)?;
    let text = String::from_utf8_lossy(&bytes);
    if text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")
        || text.contains("Proc-Type: 4,ENCRYPTED")
    {
        return Err(PkiError::EncryptedKey {
            path: path.to_path_buf(),
        });
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(invalid(path, "the file is empty"));
    }
    if looks_like_pem(&bytes) {
        return PrivateKeyDer::from_pem_slice(&bytes).map_err(|_| {
            invalid(
                path,
                format!("no private key block in this PEM file{}", found(&bytes)),
            )
        });
    }
    PrivateKeyDer::try_from(bytes.clone()).map_err(|_| {
        // A DER certificate given as a key is a common slip; say so.
        if certgate_core::x509::CertFacts::from_der(&bytes).is_ok() {
            invalid(path, "this is a certificate, not a private key")
        } else {
            invalid(
                path,
                "not a private key: neither PEM nor DER (PKCS#8, PKCS#1, SEC1)",
            )
        }
    })
}

/// Reads certificate revocation lists: PEM (any number of X509 CRL blocks) or one DER CRL.
pub fn read_crls(
    path: impl AsRef<Path>,
) -> Result<Vec<CertificateRevocationListDer<'static>>, PkiError> {
    let path = path.as_ref();
    let bytes = read_bytes(path)?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(invalid(path, "the file is empty"));
    }
    let crls: Vec<CertificateRevocationListDer<'static>> = if looks_like_pem(&bytes) {
        let mut v = vec![];
        for item in PemObject::pem_slice_iter(&bytes) {
            match item {
                Ok((SectionKind::Crl, der)) => v.push(CertificateRevocationListDer::from(der)),
                Ok(_) => {}
                Err(e) => return Err(invalid(path, format!("malformed PEM: {e}"))),
            }
        }
        if v.is_empty() {
            return Err(invalid(
                path,
                format!("no X509 CRL block in this PEM file{}", found(&bytes)),
            ));
        }
        v
    } else {
        vec![CertificateRevocationListDer::from(bytes.clone())]
    };
    for (i, c) in crls.iter().enumerate() {
        match x509_parser::parse_x509_crl(c) {
            Ok(([], _)) => {}
            _ => {
                return Err(invalid(
                    path,
                    if crls.len() == 1 {
                        "not a certificate revocation list (PEM X509 CRL or DER)".to_string()
                    } else {
                        format!("CRL #{} in the file does not parse", i + 1)
                    },
                ))
            }
        }
    }
    Ok(crls)
}

/// Reads a certificate chain and its private key and checks that they belong together;
/// a mismatch is [`PkiError::KeyMismatch`] (reason code `client_cert.key_mismatch`).
/// `key_path` may be the same file as `cert_path` (cert and key in one PEM).
pub fn read_identity(
    cert_path: impl AsRef<Path>,
    key_path: impl AsRef<Path>,
) -> Result<Identity, PkiError> {
    let (cert_path, key_path) = (cert_path.as_ref(), key_path.as_ref());
    let chain = read_certs(cert_path)?;
    let key = read_key(key_path)?;
    check_key_matches(&chain[0], &key, cert_path, key_path)?;
    Ok(Identity { chain, key })
}

/// Checks that `key` is the private key of `cert` by comparing public keys.
pub fn check_key_matches(
    cert: &CertificateDer<'_>,
    key: &PrivateKeyDer<'_>,
    cert_path: &Path,
    key_path: &Path,
) -> Result<(), PkiError> {
    let signer = rustls::crypto::aws_lc_rs::sign::any_supported_type(key)
        .map_err(|e| invalid(key_path, format!("unsupported or damaged private key: {e}")))?;
    let key_spki = signer.public_key().ok_or_else(|| {
        invalid(
            key_path,
            "cannot derive the public key from this private key",
        )
    })?;
    let (_, parsed) = x509_parser::parse_x509_certificate(cert)
        .map_err(|e| invalid(cert_path, format!("not a valid certificate: {e}")))?;
    if parsed.tbs_certificate.subject_pki.raw != key_spki.as_ref() {
        return Err(PkiError::KeyMismatch {
            cert: PathBuf::from(cert_path),
            key: PathBuf::from(key_path),
        });
    }
    Ok(())
}
