//! certgate-pki: mint, save and load a small PKI — root and intermediate CAs, server and client
//! certificates, CRLs — including deliberately broken ones for tests and the lab (expired, not yet
//! valid, wrong EKU, weak keys). Analysis of certificates lives in `certgate-core`, not here.
#![forbid(unsafe_code)]

mod crl;
mod read;
pub use crl::{parse_reason, read_crl_state, reason_from_code, reason_name, CrlState};
/// Re-exported so callers can name EKUs and revocation reasons without depending on rcgen.
pub use rcgen::{ExtendedKeyUsagePurpose, RevocationReason};
pub use read::{
    certs_from_bytes, check_key_matches, read_certs, read_crls, read_identity, read_key, Identity,
};

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, DnType, IsCa, Issuer,
    KeyIdMethod, KeyPair, KeyUsagePurpose, RevokedCertParams, SanType, SerialNumber,
};
use rustls_pki_types::CertificateDer;
use std::path::{Path, PathBuf};
use time::{Duration, OffsetDateTime};

/// Something went wrong minting or storing certificates.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    /// rcgen refused the parameters or failed to sign.
    #[error("cannot create certificate: {0}")]
    Rcgen(#[from] rcgen::Error),
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A file did not hold what was expected.
    #[error("{}: {why}", path.display())]
    Invalid { path: PathBuf, why: String },
    /// The private key is encrypted with a passphrase; certgate needs it in the clear.
    #[error("{path}: the private key is encrypted; decrypt it first (openssl pkey -in {path} -out plain.key)", path = .path.display())]
    EncryptedKey { path: PathBuf },
    /// The private key does not belong to the certificate (`client_cert.key_mismatch`).
    #[error("{key} does not belong to the certificate in {cert} (the public keys differ)", key = .key.display(), cert = .cert.display())]
    KeyMismatch { cert: PathBuf, key: PathBuf },
}

impl PkiError {
    /// The reason code this error stands for, when it is a finding about the user's files
    /// rather than a plain I/O failure (a key that does not match → `client_cert.key_mismatch`).
    pub fn code(&self) -> Option<certgate_core::Code> {
        match self {
            PkiError::KeyMismatch { .. } => Some(certgate_core::Code::ClientCertKeyMismatch),
            _ => None,
        }
    }
}

/// Key algorithm for a new key pair.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum KeyAlg {
    /// ECDSA on P-256 with SHA-256 (default).
    #[default]
    EcdsaP256,
    /// ECDSA on P-384 with SHA-384.
    EcdsaP384,
    /// Ed25519.
    Ed25519,
    /// RSA 2048 with SHA-256.
    Rsa2048,
    /// RSA 3072 with SHA-256.
    Rsa3072,
}

impl KeyAlg {
    /// Generates a fresh key pair.
    pub fn generate(self) -> Result<KeyPair, PkiError> {
        Ok(match self {
            KeyAlg::EcdsaP256 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?,
            KeyAlg::EcdsaP384 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384)?,
            KeyAlg::Ed25519 => KeyPair::generate_for(&rcgen::PKCS_ED25519)?,
            KeyAlg::Rsa2048 => {
                KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)?
            }
            KeyAlg::Rsa3072 => {
                KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_3072)?
            }
        })
    }

    /// Parses `p256`, `p384`, `ed25519`, `rsa2048`, `rsa3072`.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_lowercase().as_str() {
            "p256" | "ecdsa" | "ecdsa-p256" => KeyAlg::EcdsaP256,
            "p384" | "ecdsa-p384" => KeyAlg::EcdsaP384,
            "ed25519" => KeyAlg::Ed25519,
            "rsa2048" | "rsa" | "rsa-2048" => KeyAlg::Rsa2048,
            "rsa3072" | "rsa-3072" => KeyAlg::Rsa3072,
            _ => return None,
        })
    }
}

/// A validity window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Validity {
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
}

impl Validity {
    /// From one hour ago (clock skew) to `days` from now.
    pub fn days_from_now(days: i64) -> Self {
        let now = OffsetDateTime::now_utc();
        Validity {
            not_before: now - Duration::hours(1),
            not_after: now + Duration::days(days),
        }
    }

    /// A window that ended `days_ago` days ago (for expired fixtures).
    pub fn expired_days_ago(days_ago: i64) -> Self {
        let now = OffsetDateTime::now_utc();
        Validity {
            not_before: now - Duration::days(days_ago + 365),
            not_after: now - Duration::days(days_ago),
        }
    }

    /// A window that starts `days` from now (for not-yet-valid fixtures).
    pub fn starts_in_days(days: i64) -> Self {
        let now = OffsetDateTime::now_utc();
        Validity {
            not_before: now + Duration::days(days),
            not_after: now + Duration::days(days + 365),
        }
    }
}

/// Parameters of a new CA.
#[derive(Clone, Debug)]
pub struct CaSpec {
    /// Common Name of the CA.
    pub name: String,
    /// Organisation, if any.
    pub org: Option<String>,
    pub key: KeyAlg,
    pub validity: Validity,
}

impl CaSpec {
    /// A ten-year CA named `name` with a P-256 key.
    pub fn new(name: &str) -> Self {
        CaSpec {
            name: name.to_string(),
            org: None,
            key: KeyAlg::default(),
            validity: Validity::days_from_now(3650),
        }
    }
}

/// What a leaf certificate is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// TLS server (EKU serverAuth).
    Server,
    /// TLS client (EKU clientAuth).
    Client,
}

/// Parameters of a new leaf certificate.
#[derive(Clone, Debug)]
pub struct LeafSpec {
    pub purpose: Purpose,
    /// Subject Common Name.
    pub cn: String,
    /// Subject Organisational Unit, if any.
    pub ou: Option<String>,
    /// DNS names and IP addresses (as text) put in subjectAltName.
    pub names: Vec<String>,
    /// URIs (e.g. SPIFFE IDs) put in subjectAltName.
    pub uris: Vec<String>,
    pub key: KeyAlg,
    pub validity: Validity,
    /// Overrides the EKU implied by `purpose` (an empty list omits the extension).
    pub eku: Option<Vec<ExtendedKeyUsagePurpose>>,
    /// Explicit serial number; random-looking by default.
    pub serial: Option<u64>,
    /// Authority Information Access caIssuers URLs: where clients can download the issuer.
    /// Public CAs always set it; certgate's chain analysis takes it as the sign that a missing
    /// issuer is an intermediate (`cert.incomplete_chain`) rather than an untrusted root.
    pub ca_issuers: Vec<String>,
}

impl LeafSpec {
    /// A server certificate for `names` (DNS names or IP addresses), CN = first name, 1 year.
    pub fn server(names: &[&str]) -> Self {
        LeafSpec {
            purpose: Purpose::Server,
            cn: names.first().copied().unwrap_or("localhost").to_string(),
            ou: None,
            names: names.iter().map(|s| s.to_string()).collect(),
            uris: vec![],
            key: KeyAlg::default(),
            validity: Validity::days_from_now(365),
            eku: None,
            serial: None,
            ca_issuers: vec![],
        }
    }

    /// A client certificate with Common Name `cn`, 1 year.
    pub fn client(cn: &str) -> Self {
        LeafSpec {
            purpose: Purpose::Client,
            cn: cn.to_string(),
            ou: None,
            names: vec![],
            uris: vec![],
            key: KeyAlg::default(),
            validity: Validity::days_from_now(365),
            eku: None,
            serial: None,
            ca_issuers: vec![],
        }
    }

    /// Sets the validity window.
    pub fn valid(mut self, v: Validity) -> Self {
        self.validity = v;
        self
    }
}

/// A certificate with its private key, as PEM.
#[derive(Clone, Debug)]
pub struct Issued {
    /// The certificate alone.
    pub cert_pem: String,
    /// The certificate followed by the intermediates between it and the root (what a peer sends).
    pub chain_pem: String,
    /// PKCS#8 private key.
    pub key_pem: String,
    /// The certificate, DER.
    pub der: CertificateDer<'static>,
    /// Serial number as lowercase hex, no separators.
    pub serial_hex: String,
}

impl Issued {
    /// Writes `NAME.pem` (chain), `NAME.key` (mode 0600) into `dir`; returns both paths.
    pub fn save(&self, dir: &Path, name: &str) -> Result<(PathBuf, PathBuf), PkiError> {
        let cert = dir.join(format!("{name}.pem"));
        let key = dir.join(format!("{name}.key"));
        write_file(&cert, &self.chain_pem, false)?;
        write_file(&key, &self.key_pem, true)?;
        Ok((cert, key))
    }
}

/// A revocation entry for a CRL.
#[derive(Clone, Debug)]
pub struct Revocation {
    pub serial_hex: String,
    pub at: OffsetDateTime,
    pub reason: Option<RevocationReason>,
}

/// A certificate authority that can issue certificates and CRLs.
#[derive(Clone, Debug)]
pub struct Ca {
    /// This CA's certificate.
    pub cert_pem: String,
    /// This CA's private key (PKCS#8).
    pub key_pem: String,
    /// This CA's certificate, DER.
    pub der: CertificateDer<'static>,
    /// Intermediates between this CA and its root, PEM, nearest first (empty for a root).
    pub parents_pem: String,
}

impl Ca {
    /// A new self-signed root CA.
    pub fn root(spec: &CaSpec) -> Result<Ca, PkiError> {
        let key = spec.key.generate()?;
        let cert = ca_params(spec).self_signed(&key)?;
        Ok(Ca {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            der: cert.der().clone(),
            parents_pem: String::new(),
        })
    }

    /// A new intermediate CA signed by this one.
    pub fn intermediate(&self, spec: &CaSpec) -> Result<Ca, PkiError> {
        let key = spec.key.generate()?;
        let issuer = self.issuer()?;
        let cert = ca_params(spec).signed_by(&key, &issuer)?;
        // A root's own certificate is not part of the chain a peer sends; an intermediate's is.
        let parents_pem = self.chain_below_root();
        Ok(Ca {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            der: cert.der().clone(),
            parents_pem,
        })
    }

    /// True when this CA is self-issued (a root).
    pub fn is_root(&self) -> bool {
        x509_parser::parse_x509_certificate(&self.der)
            .map(|(_, c)| c.subject() == c.issuer())
            .unwrap_or(false)
    }

    /// Issues a leaf certificate.
    pub fn issue(&self, spec: &LeafSpec) -> Result<Issued, PkiError> {
        let key = spec.key.generate()?;
        let issuer = self.issuer()?;
        let cert = leaf_params(spec)?.signed_by(&key, &issuer)?;
        let serial_hex = serial_of(cert.der());
        Ok(Issued {
            chain_pem: cert.pem() + &self.chain_below_root(),
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            der: cert.der().clone(),
            serial_hex,
        })
    }

    /// The intermediates a leaf issued by this CA must send: this CA (if it is an intermediate)
    /// and its parents below the root.
    pub fn chain_below_root(&self) -> String {
        if self.is_root() {
            String::new()
        } else {
            self.cert_pem.clone() + &self.parents_pem
        }
    }

    /// A CRL signed by this CA listing `revoked`, valid from `this_update` to `next_update`.
    pub fn crl(
        &self,
        revoked: &[Revocation],
        this_update: OffsetDateTime,
        next_update: OffsetDateTime,
        number: u64,
    ) -> Result<String, PkiError> {
        let issuer = self.issuer()?;
        let revoked_certs = revoked
            .iter()
            .map(|r| {
                Ok(RevokedCertParams {
                    serial_number: SerialNumber::from_slice(
                        &hex_to_bytes(&r.serial_hex).ok_or_else(|| PkiError::Invalid {
                            path: PathBuf::from("<revocation>"),
                            why: format!("serial {:?} is not hex", r.serial_hex),
                        })?,
                    ),
                    revocation_time: r.at,
                    reason_code: r.reason,
                    invalidity_date: None,
                })
            })
            .collect::<Result<Vec<_>, PkiError>>()?;
        let crl = CertificateRevocationListParams {
            this_update,
            next_update,
            crl_number: SerialNumber::from(number),
            issuing_distribution_point: None,
            revoked_certs,
            key_identifier_method: KeyIdMethod::Sha256,
        }
        .signed_by(&issuer)?;
        Ok(crl.pem()?)
    }

    /// Writes `ca.pem`, `ca.key` (mode 0600) and, for an intermediate, `parents.pem` into `dir`.
    pub fn save(&self, dir: &Path) -> Result<(), PkiError> {
        std::fs::create_dir_all(dir).map_err(|source| PkiError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        write_file(&dir.join("ca.pem"), &self.cert_pem, false)?;
        write_file(&dir.join("ca.key"), &self.key_pem, true)?;
        if !self.parents_pem.is_empty() {
            write_file(&dir.join("parents.pem"), &self.parents_pem, false)?;
        }
        Ok(())
    }

    /// Loads a CA saved by [`Ca::save`].
    pub fn load(dir: &Path) -> Result<Ca, PkiError> {
        let cert_pem = read_file(&dir.join("ca.pem"))?;
        let key_pem = read_file(&dir.join("ca.key"))?;
        let parents = dir.join("parents.pem");
        let parents_pem = if parents.exists() {
            read_file(&parents)?
        } else {
            String::new()
        };
        let der = pem_to_der(&cert_pem).ok_or_else(|| PkiError::Invalid {
            path: dir.join("ca.pem"),
            why: "no CERTIFICATE block".into(),
        })?;
        let ca = Ca {
            cert_pem,
            key_pem,
            der,
            parents_pem,
        };
        ca.issuer().map_err(|e| PkiError::Invalid {
            path: dir.join("ca.key"),
            why: e.to_string(),
        })?;
        Ok(ca)
    }

    fn issuer(&self) -> Result<Issuer<'static, KeyPair>, PkiError> {
        let key = KeyPair::from_pem(&self.key_pem)?;
        Ok(Issuer::from_ca_cert_pem(&self.cert_pem, key)?)
    }
}

/// A self-signed leaf certificate (not a CA): what a quick dev setup often serves.
pub fn self_signed(spec: &LeafSpec) -> Result<Issued, PkiError> {
    let key = spec.key.generate()?;
    let cert = leaf_params(spec)?.self_signed(&key)?;
    Ok(Issued {
        chain_pem: cert.pem(),
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
        der: cert.der().clone(),
        serial_hex: serial_of(cert.der()),
    })
}

fn leaf_params(spec: &LeafSpec) -> Result<CertificateParams, PkiError> {
    let mut p = CertificateParams::new(Vec::<String>::new())?;
    p.distinguished_name = rcgen::DistinguishedName::new();
    p.distinguished_name
        .push(DnType::CommonName, spec.cn.as_str());
    if let Some(ou) = &spec.ou {
        p.distinguished_name
            .push(DnType::OrganizationalUnitName, ou.as_str());
    }
    for n in &spec.names {
        p.subject_alt_names
            .push(match n.parse::<std::net::IpAddr>() {
                Ok(ip) => SanType::IpAddress(ip),
                Err(_) => SanType::DnsName(n.as_str().try_into()?),
            });
    }
    for u in &spec.uris {
        p.subject_alt_names
            .push(SanType::URI(u.as_str().try_into()?));
    }
    p.is_ca = IsCa::ExplicitNoCa;
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    if matches!(spec.key, KeyAlg::Rsa2048 | KeyAlg::Rsa3072) {
        p.key_usages.push(KeyUsagePurpose::KeyEncipherment);
    }
    p.extended_key_usages = match &spec.eku {
        Some(e) => e.clone(),
        None => vec![match spec.purpose {
            Purpose::Server => ExtendedKeyUsagePurpose::ServerAuth,
            Purpose::Client => ExtendedKeyUsagePurpose::ClientAuth,
        }],
    };
    p.not_before = spec.validity.not_before;
    p.not_after = spec.validity.not_after;
    p.serial_number = Some(SerialNumber::from(
        spec.serial.unwrap_or_else(random_serial),
    ));
    p.use_authority_key_identifier_extension = true;
    if !spec.ca_issuers.is_empty() {
        p.custom_extensions.push(aia_extension(&spec.ca_issuers));
    }
    Ok(p)
}

/// An Authority Information Access extension (RFC 5280 §4.2.2.1) listing `urls` as caIssuers,
/// for callers that build their own rcgen parameters.
pub fn aia_extension(urls: &[String]) -> rcgen::CustomExtension {
    aia_extension_with(urls, &[])
}

/// An Authority Information Access extension with caIssuers URLs and OCSP responder URLs (rcgen
/// has fields for neither).
pub fn aia_extension_with(ca_issuers: &[String], ocsp: &[String]) -> rcgen::CustomExtension {
    // AccessDescription ::= SEQUENCE { accessMethod OID, [6] IA5String URI }
    const CA_ISSUERS: [u8; 10] = [0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x02];
    const OCSP: [u8; 10] = [0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01];
    let mut descs = vec![];
    for (method, u) in ocsp
        .iter()
        .map(|u| (OCSP, u))
        .chain(ca_issuers.iter().map(|u| (CA_ISSUERS, u)))
    {
        let mut body = method.to_vec();
        body.extend(der_tlv(0x86, u.as_bytes()));
        descs.extend(der_tlv(0x30, &body));
    }
    // id-pe-authorityInfoAccess 1.3.6.1.5.5.7.1.1
    rcgen::CustomExtension::from_oid_content(&[1, 3, 6, 1, 5, 5, 7, 1, 1], der_tlv(0x30, &descs))
}

/// One DER tag-length-value (short or long length form), for the few structures rcgen does not
/// write (AIA access descriptions, OCSP requests, RSA public keys).
pub fn der_tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = content.len();
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let bytes: Vec<u8> = n
            .to_be_bytes()
            .iter()
            .copied()
            .skip_while(|&b| b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

fn ca_params(spec: &CaSpec) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = rcgen::DistinguishedName::new();
    p.distinguished_name
        .push(DnType::CommonName, spec.name.as_str());
    if let Some(o) = &spec.org {
        p.distinguished_name
            .push(DnType::OrganizationName, o.as_str());
    }
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    p.not_before = spec.validity.not_before;
    p.not_after = spec.validity.not_after;
    p.serial_number = Some(SerialNumber::from(random_serial()));
    p.use_authority_key_identifier_extension = true;
    p
}

/// A 63-bit serial from the clock and a process counter: unique enough for test PKIs, never zero.
fn random_serial() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = OffsetDateTime::now_utc().unix_timestamp_nanos() as u64;
    let c = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut x = nanos ^ c.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ u64::from(std::process::id()) << 32;
    // splitmix64 finaliser, so consecutive serials do not look sequential
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (x ^ (x >> 31)) & 0x7FFF_FFFF_FFFF_FFFF | 1
}

fn serial_of(der: &[u8]) -> String {
    x509_parser::parse_x509_certificate(der)
        .map(|(_, c)| hex_lower(c.raw_serial()))
        .unwrap_or_default()
}

pub(crate) fn hex_lower(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn hex_to_bytes(s: &str) -> Option<Vec<u8>> {
    let s: String = s.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    if s.is_empty() || !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

fn pem_to_der(pem: &str) -> Option<CertificateDer<'static>> {
    use rustls_pki_types::pem::PemObject;
    CertificateDer::pem_slice_iter(pem.as_bytes()).next()?.ok()
}

fn read_file(path: &Path) -> Result<String, PkiError> {
    std::fs::read_to_string(path).map_err(|source| PkiError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes `contents` to `path`; private material gets mode 0600 from creation on.
pub fn write_file(path: &Path, contents: &str, private: bool) -> Result<(), PkiError> {
    use std::io::Write;
    let io = |source| PkiError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(io)?;
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(io)?;
    }
    f.write_all(contents.as_bytes()).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_intermediate_leaf_chain_is_leaf_then_intermediate() {
        let root = Ca::root(&CaSpec::new("Test Root")).unwrap();
        assert!(root.is_root());
        let inter = root.intermediate(&CaSpec::new("Test Issuing CA")).unwrap();
        assert!(!inter.is_root());
        let leaf = inter.issue(&LeafSpec::client("alice")).unwrap();
        assert_eq!(leaf.chain_pem.matches("BEGIN CERTIFICATE").count(), 2);
        let direct = root.issue(&LeafSpec::server(&["localhost"])).unwrap();
        assert_eq!(direct.chain_pem.matches("BEGIN CERTIFICATE").count(), 1);
    }

    #[test]
    fn crl_lists_the_revoked_serial() {
        let root = Ca::root(&CaSpec::new("Test Root")).unwrap();
        let leaf = root.issue(&LeafSpec::client("mallory")).unwrap();
        let now = OffsetDateTime::now_utc();
        let pem = root
            .crl(
                &[Revocation {
                    serial_hex: leaf.serial_hex.clone(),
                    at: now,
                    reason: Some(RevocationReason::KeyCompromise),
                }],
                now,
                now + Duration::days(7),
                1,
            )
            .unwrap();
        use rustls_pki_types::pem::PemObject;
        let der =
            rustls_pki_types::CertificateRevocationListDer::from_pem_slice(pem.as_bytes()).unwrap();
        let (_, crl) = x509_parser::parse_x509_crl(&der).unwrap();
        let serials: Vec<String> = crl
            .iter_revoked_certificates()
            .map(|r| hex_lower(r.raw_serial()))
            .collect();
        assert_eq!(serials, vec![leaf.serial_hex]);
    }

    #[test]
    fn saved_ca_loads_back_and_keys_are_private() {
        let dir = tempfile::tempdir().unwrap();
        let root = Ca::root(&CaSpec::new("Test Root")).unwrap();
        root.save(dir.path()).unwrap();
        let back = Ca::load(dir.path()).unwrap();
        assert_eq!(back.cert_pem, root.cert_pem);
        back.issue(&LeafSpec::client("bob")).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("ca.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
