//! What the inventory records about one certificate, read from its DER: names, issuer, serial,
//! validity, key and signature algorithm, and the two identities used to join things up (the
//! certificate's SHA-256 fingerprint and a hash of its public key).

use serde::Serialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use x509_parser::prelude::{parse_x509_certificate, GeneralName, SubjectPublicKeyInfo};

/// Key algorithm and size of a certificate's public key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeyInfo {
    /// `RSA`, `ECDSA P-256`, `Ed25519`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// Size in bits (0 when unknown).
    pub bits: u32,
}

impl std::fmt::Display for KeyInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.kind.as_str() {
            "RSA" | "DSA" => write!(f, "{} {}", self.kind, self.bits),
            _ => f.write_str(&self.kind),
        }
    }
}

/// Facts about one certificate.
#[derive(Clone, Debug, Serialize)]
pub struct CertSummary {
    /// SHA-256 of the DER, lowercase hex: the certificate's identity in the inventory.
    pub fingerprint_sha256: String,
    /// Subject DN in RFC 4514 order as x509-parser prints it.
    pub subject: String,
    /// The subject's Common Name, if any.
    pub common_name: Option<String>,
    /// subjectAltName entries: DNS names, IP addresses, URIs, e-mail addresses.
    pub sans: Vec<String>,
    /// Issuer DN.
    pub issuer: String,
    /// Serial number, lowercase hex.
    pub serial: String,
    #[serde(with = "time::serde::rfc3339")]
    pub not_before: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub not_after: OffsetDateTime,
    pub key: KeyInfo,
    /// Signature algorithm name (`sha256WithRSAEncryption`, `ecdsa-with-SHA256`, ...).
    pub signature_algorithm: String,
    /// basicConstraints CA flag.
    pub is_ca: bool,
    /// Subject equals issuer.
    pub self_issued: bool,
    /// SHA-256 of the subjectPublicKey bits: equal for a certificate and its private key.
    #[serde(skip)]
    pub key_id: [u8; 32],
}

impl CertSummary {
    /// The name to show a person: the Common Name, else the first SAN, else the subject DN.
    pub fn display_name(&self) -> String {
        self.common_name
            .clone()
            .or_else(|| self.sans.first().cloned())
            .unwrap_or_else(|| self.subject.clone())
    }
}

/// Parses one DER certificate; `None` when the bytes are not a certificate.
pub fn summarise(der: &[u8]) -> Option<CertSummary> {
    let (_, c) = parse_x509_certificate(der).ok()?;
    let spki = c.public_key();
    let key_bits: &[u8] = &spki.subject_public_key.data;
    let common_name = c
        .subject()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(str::to_string);
    let mut sans = Vec::new();
    if let Ok(Some(ext)) = c.subject_alternative_name() {
        for n in &ext.value.general_names {
            match n {
                GeneralName::DNSName(s) => sans.push(s.to_string()),
                GeneralName::URI(s) => sans.push(s.to_string()),
                GeneralName::RFC822Name(s) => sans.push(s.to_string()),
                GeneralName::IPAddress(b) => {
                    if let Some(ip) = ip_from_bytes(b) {
                        sans.push(ip.to_string());
                    }
                }
                _ => {}
            }
        }
    }
    Some(CertSummary {
        fingerprint_sha256: hex::encode(Sha256::digest(der)),
        subject: c.subject().to_string(),
        common_name,
        sans,
        issuer: c.issuer().to_string(),
        serial: hex::encode(c.raw_serial()),
        not_before: c.validity().not_before.to_datetime(),
        not_after: c.validity().not_after.to_datetime(),
        key: key_info(spki),
        signature_algorithm: sig_name(&c.signature_algorithm.algorithm.to_id_string()),
        is_ca: c.is_ca(),
        self_issued: c.subject().as_raw() == c.issuer().as_raw(),
        key_id: Sha256::digest(key_bits).into(),
    })
}

/// The key identity used to match private keys: SHA-256 of the raw public key bits.
pub fn key_id_of_public_key(bits: &[u8]) -> [u8; 32] {
    Sha256::digest(bits).into()
}

fn ip_from_bytes(b: &[u8]) -> Option<std::net::IpAddr> {
    match b.len() {
        4 => Some(std::net::IpAddr::from(<[u8; 4]>::try_from(b).ok()?)),
        16 => Some(std::net::IpAddr::from(<[u8; 16]>::try_from(b).ok()?)),
        _ => None,
    }
}

fn key_info(spki: &SubjectPublicKeyInfo<'_>) -> KeyInfo {
    let alg = spki.algorithm.algorithm.to_id_string();
    let (kind, bits) = match alg.as_str() {
        "1.2.840.113549.1.1.1" | "1.2.840.113549.1.1.10" => (
            "RSA".to_string(),
            spki.parsed().map(|k| k.key_size()).unwrap_or(0),
        ),
        "1.2.840.10045.2.1" => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|o| o.to_id_string());
            let (name, bits) = match curve.as_deref() {
                Some("1.2.840.10045.3.1.7") => ("ECDSA P-256", 256),
                Some("1.3.132.0.34") => ("ECDSA P-384", 384),
                Some("1.3.132.0.35") => ("ECDSA P-521", 521),
                Some("1.3.132.0.10") => ("ECDSA secp256k1", 256),
                _ => ("ECDSA", spki.parsed().map(|k| k.key_size()).unwrap_or(0)),
            };
            (name.to_string(), bits)
        }
        "1.3.101.112" => ("Ed25519".to_string(), 256),
        "1.3.101.113" => ("Ed448".to_string(), 456),
        "1.2.840.10040.4.1" => (
            "DSA".to_string(),
            spki.parsed().map(|k| k.key_size()).unwrap_or(0),
        ),
        other => (other.to_string(), 0),
    };
    KeyInfo {
        kind,
        bits: bits as u32,
    }
}

fn sig_name(oid: &str) -> String {
    match oid {
        "1.2.840.113549.1.1.4" => "md5WithRSAEncryption",
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption",
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption",
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption",
        "1.2.840.113549.1.1.10" => "rsassaPss",
        "1.2.840.10045.4.1" => "ecdsa-with-SHA1",
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
        "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512",
        "1.3.101.112" => "Ed25519",
        "1.3.101.113" => "Ed448",
        "1.2.840.10040.4.3" => "dsaWithSHA1",
        other => return other.to_string(),
    }
    .to_string()
}
