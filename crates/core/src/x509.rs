//! Certificate facts from DER: names, SANs, validity, key, EKU, signature algorithm, fingerprints,
//! and the lint that turns one certificate's facts into findings (dates, weak key, weak signature).
//! Parsing is x509-parser's; nothing here reads files or the clock (`now` is an argument).

use crate::code::Code;
use crate::finding::{Finding, Side};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::fmt;
use time::OffsetDateTime;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::{FromDer, X509Certificate, X509Name};

/// Bytes that are not a certificate certgate can read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum X509Error {
    /// The DER did not parse as an X.509 certificate.
    #[error("not a valid X.509 certificate: {0}")]
    Malformed(String),
    /// A certificate parsed but bytes were left over after it.
    #[error("{0} bytes of trailing data after the certificate")]
    TrailingData(usize),
}

/// The public key algorithm of a certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum KeyAlgorithm {
    /// RSA (any padding).
    #[serde(rename = "RSA")]
    Rsa,
    /// ECDSA on NIST P-256.
    #[serde(rename = "ECDSA P-256")]
    EcdsaP256,
    /// ECDSA on NIST P-384.
    #[serde(rename = "ECDSA P-384")]
    EcdsaP384,
    /// ECDSA on NIST P-521.
    #[serde(rename = "ECDSA P-521")]
    EcdsaP521,
    /// ECDSA on a curve other than the NIST ones above.
    #[serde(rename = "ECDSA (other curve)")]
    EcdsaOther,
    /// Ed25519.
    Ed25519,
    /// Ed448.
    Ed448,
    /// DSA (obsolete).
    #[serde(rename = "DSA")]
    Dsa,
    /// Anything else.
    #[serde(rename = "unknown")]
    Other,
}

impl KeyAlgorithm {
    /// Human name, e.g. `ECDSA P-256`.
    pub const fn as_str(self) -> &'static str {
        match self {
            KeyAlgorithm::Rsa => "RSA",
            KeyAlgorithm::EcdsaP256 => "ECDSA P-256",
            KeyAlgorithm::EcdsaP384 => "ECDSA P-384",
            KeyAlgorithm::EcdsaP521 => "ECDSA P-521",
            KeyAlgorithm::EcdsaOther => "ECDSA (other curve)",
            KeyAlgorithm::Ed25519 => "Ed25519",
            KeyAlgorithm::Ed448 => "Ed448",
            KeyAlgorithm::Dsa => "DSA",
            KeyAlgorithm::Other => "unknown",
        }
    }
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A certificate's public key: algorithm and size in bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct KeyInfo {
    /// Algorithm (and curve).
    pub alg: KeyAlgorithm,
    /// Key size in bits (RSA modulus length, curve size; 0 when unknown).
    pub bits: u32,
}

impl KeyInfo {
    /// Why this key is below current guidance (RSA/DSA < 2048 bits, EC < 256 bits, DSA at all),
    /// or `None` when it is fine.
    pub fn weakness(&self) -> Option<String> {
        match self.alg {
            KeyAlgorithm::Rsa if self.bits < 2048 => Some(format!(
                "RSA key of {} bits (at least 2048 are needed)",
                self.bits
            )),
            KeyAlgorithm::Dsa => Some(format!("DSA key of {} bits (DSA is obsolete)", self.bits)),
            KeyAlgorithm::EcdsaOther if self.bits > 0 && self.bits < 256 => Some(format!(
                "EC key of {} bits (at least 256 are needed)",
                self.bits
            )),
            _ => None,
        }
    }
}

impl fmt::Display for KeyInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.alg {
            KeyAlgorithm::Rsa | KeyAlgorithm::Dsa | KeyAlgorithm::EcdsaOther => {
                write!(f, "{} {} bits", self.alg, self.bits)
            }
            _ => write!(f, "{}", self.alg),
        }
    }
}

/// Everything certgate reports about one certificate, read from its DER.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CertFacts {
    /// Subject distinguished name, RFC 4514 string (`CN=leaf,O=Example`).
    pub subject: String,
    /// Issuer distinguished name, RFC 4514 string.
    pub issuer: String,
    /// The (first) subject Common Name, if any.
    pub common_name: Option<String>,
    /// subjectAltName DNS names.
    pub sans_dns: Vec<String>,
    /// subjectAltName IP addresses, as text.
    pub sans_ip: Vec<String>,
    /// subjectAltName URIs (e.g. SPIFFE IDs).
    pub sans_uri: Vec<String>,
    /// subjectAltName e-mail addresses.
    pub sans_email: Vec<String>,
    /// Serial number, lowercase hex without separators (as encoded, leading zero kept).
    pub serial_hex: String,
    /// Start of validity.
    #[serde(with = "time::serde::rfc3339")]
    pub not_before: OffsetDateTime,
    /// End of validity.
    #[serde(with = "time::serde::rfc3339")]
    pub not_after: OffsetDateTime,
    /// Public key algorithm and size.
    pub key: KeyInfo,
    /// Signature algorithm name (`ecdsa-with-SHA256`, `sha1WithRSAEncryption`, or the OID).
    pub signature_alg: String,
    /// Extended key usages (`serverAuth`, `clientAuth`, ... or dotted OIDs); `None` when the
    /// certificate has no EKU extension (then it is not restricted by EKU).
    pub eku: Option<Vec<String>>,
    /// Key usages (`digitalSignature`, `keyCertSign`, ...); `None` without the extension.
    pub key_usage: Option<Vec<String>>,
    /// basicConstraints cA.
    pub is_ca: bool,
    /// basicConstraints pathLenConstraint.
    pub path_len: Option<u32>,
    /// Subject key identifier, lowercase hex.
    pub ski_hex: Option<String>,
    /// Authority key identifier (key id), lowercase hex.
    pub aki_hex: Option<String>,
    /// Authority Information Access caIssuers URLs (where the issuer can be downloaded).
    pub ca_issuers: Vec<String>,
    /// SHA-256 fingerprint of the DER, lowercase hex without separators.
    pub sha256_hex: String,
    /// SHA-1 fingerprint of the DER, lowercase hex without separators (for tools that show it).
    pub sha1_hex: String,
    /// Subject and issuer are the same name and the key ids (if present) agree: a root or a
    /// self-signed leaf. The signature itself is checked by path validation, not here.
    pub self_signed: bool,
    /// DER of the subject name (to match issuers byte for byte, as path validation does).
    #[serde(skip)]
    pub subject_der: Vec<u8>,
    /// DER of the issuer name.
    #[serde(skip)]
    pub issuer_der: Vec<u8>,
}

impl CertFacts {
    /// Reads the facts of one DER certificate.
    pub fn from_der(der: &[u8]) -> Result<CertFacts, X509Error> {
        let (rest, cert) =
            X509Certificate::from_der(der).map_err(|e| X509Error::Malformed(e.to_string()))?;
        if !rest.is_empty() {
            return Err(X509Error::TrailingData(rest.len()));
        }
        Ok(facts_of(&cert, der))
    }

    /// Whole days until `not_after` (negative once expired).
    pub fn days_left(&self, now: OffsetDateTime) -> i64 {
        (self.not_after - now).whole_days()
    }

    /// True when `now` is inside the validity window.
    pub fn valid_at(&self, now: OffsetDateTime) -> bool {
        self.not_before <= now && now <= self.not_after
    }

    /// The hash of the signature algorithm when it is a broken one (`SHA-1`, `MD5`, `MD2`).
    pub fn weak_signature_hash(&self) -> Option<&'static str> {
        weak_hash(&self.signature_alg)
    }

    /// True when this certificate may sign other certificates' names: `self` could be the
    /// issuer of `child` (names match; key ids match when both are present).
    pub fn could_issue(&self, child: &CertFacts) -> bool {
        self.subject_der == child.issuer_der
            && match (&self.ski_hex, &child.aki_hex) {
                (Some(s), Some(a)) => s == a,
                _ => true,
            }
    }

    /// `subject` plus the key id, for messages: `CN=Issuing CA (key id 3f2a…)`.
    pub fn label(&self) -> String {
        match &self.ski_hex {
            Some(k) => format!("{} (key id {})", self.subject, short_hex(k)),
            None => self.subject.clone(),
        }
    }

    /// Every subjectAltName, as `DNS:x`, `IP:x`, `URI:x`, `email:x`.
    pub fn sans(&self) -> Vec<String> {
        self.sans_dns
            .iter()
            .map(|s| format!("DNS:{s}"))
            .chain(self.sans_ip.iter().map(|s| format!("IP:{s}")))
            .chain(self.sans_uri.iter().map(|s| format!("URI:{s}")))
            .chain(self.sans_email.iter().map(|s| format!("email:{s}")))
            .collect()
    }
}

/// `3f2a9c…` (first 8 bytes) for messages; full values go in evidence.
pub fn short_hex(h: &str) -> String {
    if h.len() > 16 {
        format!("{}…", &h[..16])
    } else {
        h.to_string()
    }
}

fn weak_hash(sig_alg: &str) -> Option<&'static str> {
    let s = sig_alg.to_ascii_lowercase();
    if s.contains("md5") {
        Some("MD5")
    } else if s.contains("md2") {
        Some("MD2")
    } else if s.contains("sha1") {
        Some("SHA-1")
    } else {
        None
    }
}

fn facts_of(cert: &X509Certificate<'_>, der: &[u8]) -> CertFacts {
    let tbs = &cert.tbs_certificate;
    let mut f = CertFacts {
        subject: rfc4514(tbs.subject()),
        issuer: rfc4514(tbs.issuer()),
        common_name: tbs
            .subject()
            .iter_common_name()
            .next()
            .and_then(|a| a.as_str().ok())
            .map(str::to_string),
        sans_dns: vec![],
        sans_ip: vec![],
        sans_uri: vec![],
        sans_email: vec![],
        serial_hex: hex::encode(tbs.raw_serial()),
        not_before: tbs.validity().not_before.to_datetime(),
        not_after: tbs.validity().not_after.to_datetime(),
        key: key_info(tbs.public_key()),
        signature_alg: sig_alg_name(&cert.signature_algorithm.algorithm.to_id_string()),
        eku: None,
        key_usage: None,
        is_ca: false,
        path_len: None,
        ski_hex: None,
        aki_hex: None,
        ca_issuers: vec![],
        sha256_hex: hex::encode(Sha256::digest(der)),
        sha1_hex: sha1_hex(der),
        self_signed: false,
        subject_der: tbs.subject().as_raw().to_vec(),
        issuer_der: tbs.issuer().as_raw().to_vec(),
    };
    for ext in tbs.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::SubjectAlternativeName(san) => {
                for n in &san.general_names {
                    match n {
                        GeneralName::DNSName(d) => f.sans_dns.push(d.to_string()),
                        GeneralName::URI(u) => f.sans_uri.push(u.to_string()),
                        GeneralName::RFC822Name(e) => f.sans_email.push(e.to_string()),
                        GeneralName::IPAddress(b) => f.sans_ip.push(ip_text(b)),
                        _ => {}
                    }
                }
            }
            ParsedExtension::ExtendedKeyUsage(e) => {
                let mut v = vec![];
                let named = [
                    (e.any, "anyExtendedKeyUsage"),
                    (e.server_auth, "serverAuth"),
                    (e.client_auth, "clientAuth"),
                    (e.code_signing, "codeSigning"),
                    (e.email_protection, "emailProtection"),
                    (e.time_stamping, "timeStamping"),
                    (e.ocsp_signing, "OCSPSigning"),
                ];
                v.extend(named.iter().filter(|(b, _)| *b).map(|(_, n)| n.to_string()));
                v.extend(e.other.iter().map(|o| o.to_id_string()));
                f.eku = Some(v);
            }
            ParsedExtension::KeyUsage(k) => {
                let names = [
                    (k.digital_signature(), "digitalSignature"),
                    (k.non_repudiation(), "nonRepudiation"),
                    (k.key_encipherment(), "keyEncipherment"),
                    (k.data_encipherment(), "dataEncipherment"),
                    (k.key_agreement(), "keyAgreement"),
                    (k.key_cert_sign(), "keyCertSign"),
                    (k.crl_sign(), "cRLSign"),
                    (k.encipher_only(), "encipherOnly"),
                    (k.decipher_only(), "decipherOnly"),
                ];
                f.key_usage = Some(
                    names
                        .iter()
                        .filter(|(b, _)| *b)
                        .map(|(_, n)| n.to_string())
                        .collect(),
                );
            }
            ParsedExtension::BasicConstraints(b) => {
                f.is_ca = b.ca;
                f.path_len = b.path_len_constraint;
            }
            ParsedExtension::SubjectKeyIdentifier(k) => f.ski_hex = Some(hex::encode(k.0)),
            ParsedExtension::AuthorityKeyIdentifier(a) => {
                f.aki_hex = a.key_identifier.as_ref().map(|k| hex::encode(k.0));
            }
            ParsedExtension::AuthorityInfoAccess(aia) => {
                for d in &aia.accessdescs {
                    // id-ad-caIssuers (RFC 5280 §4.2.2.1)
                    if d.access_method.to_id_string() == "1.3.6.1.5.5.7.48.2" {
                        if let GeneralName::URI(u) = d.access_location {
                            f.ca_issuers.push(u.to_string());
                        }
                    }
                }
            }
            _ => {}
        }
    }
    f.self_signed = f.subject_der == f.issuer_der
        && match (&f.ski_hex, &f.aki_hex) {
            (Some(s), Some(a)) => s == a,
            _ => true,
        };
    f
}

fn sha1_hex(der: &[u8]) -> String {
    hex::encode(
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, der).as_ref(),
    )
}

fn ip_text(b: &[u8]) -> String {
    match b.len() {
        4 => std::net::Ipv4Addr::new(b[0], b[1], b[2], b[3]).to_string(),
        16 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(b);
            std::net::Ipv6Addr::from(a).to_string()
        }
        _ => hex::encode(b),
    }
}

/// RFC 4514: RDNs in reverse order of the encoding, `,` between RDNs, `+` inside one.
pub fn rfc4514(name: &X509Name<'_>) -> String {
    let rdns: Vec<String> = name
        .iter_rdn()
        .map(|rdn| {
            rdn.iter()
                .map(|atv| {
                    let oid = atv.attr_type().to_id_string();
                    let key = attr_name(&oid).map(str::to_string).unwrap_or(oid);
                    let val = match atv.as_str() {
                        Ok(s) => escape_rfc4514(s),
                        Err(_) => format!("#{}", hex::encode(atv.attr_value().data)),
                    };
                    format!("{key}={val}")
                })
                .collect::<Vec<_>>()
                .join("+")
        })
        .collect();
    rdns.into_iter().rev().collect::<Vec<_>>().join(",")
}

fn attr_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "2.5.4.3" => "CN",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.9" => "STREET",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.5" => "serialNumber",
        "0.9.2342.19200300.100.1.25" => "DC",
        "0.9.2342.19200300.100.1.1" => "UID",
        "1.2.840.113549.1.9.1" => "emailAddress",
        _ => return None,
    })
}

fn escape_rfc4514(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let n = s.chars().count();
    for (i, c) in s.chars().enumerate() {
        let special = matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=')
            || (i == 0 && (c == '#' || c == ' '))
            || (i + 1 == n && c == ' ');
        if special {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn sig_alg_name(oid: &str) -> String {
    match oid {
        "1.2.840.113549.1.1.2" => "md2WithRSAEncryption",
        "1.2.840.113549.1.1.4" => "md5WithRSAEncryption",
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption",
        "1.2.840.113549.1.1.10" => "rsassaPss",
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption",
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption",
        "1.2.840.10045.4.1" => "ecdsa-with-SHA1",
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
        "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512",
        "1.2.840.10040.4.3" => "dsa-with-SHA1",
        "2.16.840.1.101.3.4.3.2" => "dsa-with-SHA256",
        "1.3.101.112" => "ED25519",
        "1.3.101.113" => "ED448",
        other => return other.to_string(),
    }
    .to_string()
}

fn key_info(spki: &x509_parser::x509::SubjectPublicKeyInfo<'_>) -> KeyInfo {
    let alg_oid = spki.algorithm.algorithm.to_id_string();
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.as_oid().ok())
        .map(|o| o.to_id_string());
    let (alg, bits) = match alg_oid.as_str() {
        "1.2.840.113549.1.1.1" | "1.2.840.113549.1.1.10" => {
            let bits = match spki.parsed() {
                Ok(x509_parser::public_key::PublicKey::RSA(r)) => bit_len(r.modulus),
                _ => 0,
            };
            (KeyAlgorithm::Rsa, bits)
        }
        "1.2.840.10045.2.1" => match curve.as_deref() {
            Some("1.2.840.10045.3.1.7") => (KeyAlgorithm::EcdsaP256, 256),
            Some("1.3.132.0.34") => (KeyAlgorithm::EcdsaP384, 384),
            Some("1.3.132.0.35") => (KeyAlgorithm::EcdsaP521, 521),
            _ => {
                let bits = spki.parsed().map(|k| k.key_size() as u32).unwrap_or(0);
                (KeyAlgorithm::EcdsaOther, bits)
            }
        },
        "1.3.101.112" => (KeyAlgorithm::Ed25519, 256),
        "1.3.101.113" => (KeyAlgorithm::Ed448, 456),
        "1.2.840.10040.4.1" => {
            let bits = spki.parsed().map(|k| k.key_size() as u32).unwrap_or(0);
            (KeyAlgorithm::Dsa, bits)
        }
        _ => (KeyAlgorithm::Other, 0),
    };
    KeyInfo { alg, bits }
}

/// Bit length of a big-endian unsigned integer (leading zero bytes ignored).
fn bit_len(b: &[u8]) -> u32 {
    let b = match b.iter().position(|&x| x != 0) {
        Some(i) => &b[i..],
        None => return 0,
    };
    (b.len() as u32) * 8 - b[0].leading_zeros()
}

/// Findings about one certificate on its own, at `now`: expired, not yet valid, weak key,
/// weak signature (SHA-1/MD5 on a certificate that is not self-signed). Chain-level checks (trust,
/// name, revocation, usage) are in [`crate::analyse::chain`]. Findings are on the server side;
/// callers judging a client certificate set `side` themselves.
pub fn lint_certificate(facts: &CertFacts, now: OffsetDateTime) -> Vec<Finding> {
    let mut out = vec![];
    if let Some(f) = validity_finding(
        facts,
        now,
        Code::CertExpired,
        Code::CertNotYetValid,
        "certificate",
    ) {
        out.push(f);
    }
    out.extend(weak_key_finding(facts, "certificate"));
    out.extend(weak_signature_finding(facts));
    out
}

/// `cert.weak_key` (warning) when the key is below guidance; `role` names the certificate in
/// the message ("certificate", "CA").
pub fn weak_key_finding(facts: &CertFacts, role: &str) -> Option<Finding> {
    let why = facts.key.weakness()?;
    Some(
        Finding::new(
            Code::CertWeakKey,
            Side::Server,
            format!("the {role} {} has a weak key: {why}", facts.subject),
        )
        .with("subject", facts.subject.clone())
        .with("key", facts.key.alg.as_str())
        .with("bits", facts.key.bits),
    )
}

/// `cert.weak_signature` (warning) for SHA-1/MD5 on a certificate that is not self-signed (a
/// root's own signature is never checked by clients, so it does not matter).
pub fn weak_signature_finding(facts: &CertFacts) -> Option<Finding> {
    let h = facts.weak_signature_hash()?;
    if facts.self_signed {
        return None;
    }
    Some(
        Finding::new(
            Code::CertWeakSignature,
            Side::Server,
            format!(
                "{} is signed with {} ({h} is broken)",
                facts.subject, facts.signature_alg
            ),
        )
        .with("subject", facts.subject.clone())
        .with("signature_alg", facts.signature_alg.clone()),
    )
}

/// An expired / not-yet-valid finding with dates and days as evidence, or `None` when `now`
/// is inside the window. `what` names the certificate's role in the message ("certificate",
/// "intermediate").
pub fn validity_finding(
    facts: &CertFacts,
    now: OffsetDateTime,
    expired: Code,
    not_yet: Code,
    what: &str,
) -> Option<Finding> {
    let side = Side::Server;
    if now > facts.not_after {
        let days = (now - facts.not_after).whole_days();
        Some(
            Finding::new(
                expired,
                side,
                format!(
                    "the {what} {} expired on {} ({} ago)",
                    facts.subject,
                    rfc3339(facts.not_after),
                    days_text(days)
                ),
            )
            .with("subject", facts.subject.clone())
            .with("not_before", rfc3339(facts.not_before))
            .with("not_after", rfc3339(facts.not_after))
            .with("days_expired", days),
        )
    } else if now < facts.not_before {
        let days = (facts.not_before - now).whole_days();
        Some(
            Finding::new(
                not_yet,
                side,
                format!(
                    "the {what} {} is not valid until {} (in {})",
                    facts.subject,
                    rfc3339(facts.not_before),
                    days_text(days)
                ),
            )
            .with("subject", facts.subject.clone())
            .with("not_before", rfc3339(facts.not_before))
            .with("not_after", rfc3339(facts.not_after))
            .with("days_until_valid", days),
        )
    } else {
        None
    }
}

fn days_text(d: i64) -> String {
    match d {
        0 => "less than a day".to_string(),
        1 => "1 day".to_string(),
        n => format!("{n} days"),
    }
}

/// RFC 3339 text of a time (UTC, whole seconds), for messages and evidence.
pub fn rfc3339(t: OffsetDateTime) -> String {
    let t = t.replace_nanosecond(0).unwrap_or(t);
    t.to_offset(time::UtcOffset::UTC)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}
