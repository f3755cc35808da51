//! The client's identity, modelled once per connection from the leaf it presented: subject,
//! issuer, CN/OU, SANs (DNS, URI/SPIFFE, IP), serial, SHA-256 fingerprint, validity, and the
//! chain as sent. Rendering it into headers is `forward.rs`'s job; judging it is `trust.rs`'s.

use certgate_core::x509::rfc4514;
use rustls_pki_types::CertificateDer;
use sha2::{Digest, Sha256};
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

/// What the leaf certificate says about the client.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientIdentity {
    /// Subject DN, RFC 4514 (`CN=alice,O=Example`).
    pub subject: String,
    /// Issuer DN, RFC 4514.
    pub issuer: String,
    /// Subject Common Names.
    pub cn: Vec<String>,
    /// Subject Organisational Units.
    pub ou: Vec<String>,
    /// SAN DNS names.
    pub dns: Vec<String>,
    /// SAN URIs (SPIFFE IDs among them).
    pub uri: Vec<String>,
    /// SAN IP addresses, as text.
    pub ip: Vec<String>,
    /// Serial number, uppercase hex (nginx's `$ssl_client_serial` form).
    pub serial: String,
    /// SHA-256 of the leaf DER, lowercase hex.
    pub sha256: String,
    /// notBefore, Unix seconds.
    pub not_before: i64,
    /// notAfter, Unix seconds.
    pub not_after: i64,
}

impl ClientIdentity {
    /// Reads the identity from a leaf certificate; `None` when it cannot be parsed (the verdict
    /// then says why).
    pub fn from_leaf(der: &CertificateDer<'_>) -> Option<ClientIdentity> {
        let (_, c) = X509Certificate::from_der(der.as_ref()).ok()?;
        let strings = |it: &mut dyn Iterator<Item = &x509_parser::x509::AttributeTypeAndValue>| {
            it.filter_map(|a| a.as_str().ok().map(str::to_string))
                .collect::<Vec<_>>()
        };
        let mut id = ClientIdentity {
            subject: rfc4514(c.subject()),
            issuer: rfc4514(c.issuer()),
            cn: strings(&mut c.subject().iter_common_name()),
            ou: strings(&mut c.subject().iter_organizational_unit()),
            serial: c.raw_serial().iter().map(|b| format!("{b:02X}")).collect(),
            sha256: hex::encode(Sha256::digest(der.as_ref())),
            not_before: c.validity().not_before.timestamp(),
            not_after: c.validity().not_after.timestamp(),
            ..Default::default()
        };
        if let Ok(Some(san)) = c.subject_alternative_name() {
            for n in &san.value.general_names {
                match n {
                    GeneralName::DNSName(d) => id.dns.push(d.to_string()),
                    GeneralName::URI(u) => id.uri.push(u.to_string()),
                    GeneralName::IPAddress(b) => {
                        if let Ok(a) = <[u8; 4]>::try_from(*b) {
                            id.ip.push(std::net::Ipv4Addr::from(a).to_string());
                        } else if let Ok(a) = <[u8; 16]>::try_from(*b) {
                            id.ip.push(std::net::Ipv6Addr::from(a).to_string());
                        }
                    }
                    _ => {}
                }
            }
        }
        Some(id)
    }

    /// The SPIFFE ID, when the certificate carries one.
    pub fn spiffe_id(&self) -> Option<&str> {
        self.uri
            .iter()
            .find(|u| u.starts_with("spiffe://"))
            .map(String::as_str)
    }

    /// Days until notAfter at `now` (negative once expired).
    pub fn days_left(&self, now: i64) -> i64 {
        (self.not_after - now).div_euclid(86_400)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use certgate_pki::{Ca, CaSpec, LeafSpec};

    #[test]
    fn identity_reads_names_sans_serial_and_fingerprint() {
        let ca = Ca::root(&CaSpec::new("Id Root")).unwrap();
        let mut spec = LeafSpec::client("alice");
        spec.ou = Some("payments".into());
        spec.names = vec!["alice.example".into(), "10.0.0.1".into()];
        spec.uris = vec!["spiffe://example.org/ns/prod/sa/alice".into()];
        spec.serial = Some(0x1005);
        let leaf = ca.issue(&spec).unwrap();
        let id = ClientIdentity::from_leaf(&leaf.der).unwrap();
        assert_eq!(id.subject, "OU=payments,CN=alice");
        assert_eq!(id.issuer, "CN=Id Root");
        assert_eq!(id.cn, vec!["alice"]);
        assert_eq!(id.ou, vec!["payments"]);
        assert_eq!(id.dns, vec!["alice.example"]);
        assert_eq!(id.ip, vec!["10.0.0.1"]);
        assert_eq!(
            id.spiffe_id(),
            Some("spiffe://example.org/ns/prod/sa/alice")
        );
        assert_eq!(id.serial, "1005");
        assert_eq!(id.sha256.len(), 64);
    }
}
