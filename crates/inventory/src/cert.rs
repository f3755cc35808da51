//! One certificate as the inventory sees it: core's [`CertFacts`] plus the identity used to join
//! a certificate with its private key (a hash of the public key bits, equal on both sides).

use certgate_core::x509::CertFacts;
use sha2::{Digest, Sha256};

/// Core's facts about a certificate and the hash of its public key.
#[derive(Clone, Debug)]
pub struct CertSummary {
    pub facts: CertFacts,
    /// SHA-256 of the subjectPublicKey bits: equal for a certificate and its private key.
    pub key_id: [u8; 32],
}

impl CertSummary {
    /// The name to show a person: the Common Name, else the first SAN, else the subject DN.
    pub fn display_name(&self) -> String {
        let f = &self.facts;
        f.common_name
            .clone()
            .or_else(|| f.sans_dns.first().cloned())
            .or_else(|| f.sans_ip.first().cloned())
            .or_else(|| f.sans_uri.first().cloned())
            .unwrap_or_else(|| f.subject.clone())
    }

    /// SANs without their type prefix (`DNS:`), as people list them.
    pub fn sans(&self) -> Vec<String> {
        let f = &self.facts;
        f.sans_dns
            .iter()
            .chain(&f.sans_ip)
            .chain(&f.sans_uri)
            .chain(&f.sans_email)
            .cloned()
            .collect()
    }
}

/// Reads one DER certificate; `None` when the bytes are not a certificate.
pub fn summarise(der: &[u8]) -> Option<CertSummary> {
    let facts = CertFacts::from_der(der).ok()?;
    let (_, c) = x509_parser::parse_x509_certificate(der).ok()?;
    let key_id = key_id_of_public_key(&c.public_key().subject_public_key.data);
    Some(CertSummary { facts, key_id })
}

/// The key identity used to match private keys: SHA-256 of the raw public key bits.
pub fn key_id_of_public_key(bits: &[u8]) -> [u8; 32] {
    Sha256::digest(bits).into()
}
