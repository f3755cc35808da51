//! Private keys: derive the public key of a PKCS#8, PKCS#1 (RSA) or SEC1 (EC) private key, so a
//! key file can be matched with the certificate it belongs to, and read file permissions.
//! The public part is read from the key's own structure where it is stored there (RSA modulus
//! and exponent, the EC point most encoders include); otherwise the crypto provider derives it.

use rustls_pki_types::{PrivateKeyDer, PrivatePkcs1KeyDer, PrivatePkcs8KeyDer, PrivateSec1KeyDer};

const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const OID_EC: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];

/// The raw subjectPublicKey bits (what a certificate's SPKI bit string holds) of a private key,
/// or `None` when the key cannot be read.
pub fn public_key_bits(key: &PrivateKeyDer<'_>) -> Option<Vec<u8>> {
    let structural = match key {
        PrivateKeyDer::Pkcs1(k) => rsa_public_from_pkcs1(k.secret_pkcs1_der()),
        PrivateKeyDer::Sec1(k) => ec_public_from_sec1(k.secret_sec1_der()),
        PrivateKeyDer::Pkcs8(k) => from_pkcs8(k.secret_pkcs8_der()),
        _ => None,
    };
    structural.or_else(|| {
        use rcgen::PublicKeyData;
        rcgen::KeyPair::try_from(key)
            .ok()
            .map(|kp| kp.der_bytes().to_vec())
    })
}

/// Interprets DER bytes of unknown kind as a private key (PKCS#8, then PKCS#1, then SEC1).
pub fn private_key_from_der(der: &[u8]) -> Option<PrivateKeyDer<'static>> {
    let (tag, body, rest) = tlv(der)?;
    if tag != 0x30 || !rest.is_empty() {
        return None;
    }
    let (t0, v0, after) = tlv(body)?;
    if t0 != 0x02 {
        return None;
    }
    let (t1, _, _) = tlv(after)?;
    let owned = der.to_vec();
    match (v0, t1) {
        // PKCS#8: version 0 or 1, then an AlgorithmIdentifier SEQUENCE
        ([0] | [1], 0x30) => Some(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(owned))),
        // PKCS#1: version 0, then the modulus INTEGER
        ([0], 0x02) => Some(PrivateKeyDer::Pkcs1(PrivatePkcs1KeyDer::from(owned))),
        // SEC1: version 1, then the private key OCTET STRING
        ([1], 0x04) => Some(PrivateKeyDer::Sec1(PrivateSec1KeyDer::from(owned))),
        _ => None,
    }
}

fn from_pkcs8(der: &[u8]) -> Option<Vec<u8>> {
    let (_, body, _) = tlv(der)?;
    let (_, _version, rest) = tlv(body)?;
    let (_, alg, rest) = tlv(rest)?;
    let (_, oid, _) = tlv(alg)?;
    let (_, inner, mut rest) = tlv(rest)?;
    // OneAsymmetricKey (RFC 5958) may carry the public key as [1] IMPLICIT BIT STRING
    while let Some((tag, v, r)) = tlv(rest) {
        if tag == 0x81 && !v.is_empty() {
            return Some(v[1..].to_vec());
        }
        rest = r;
    }
    if oid == OID_RSA {
        rsa_public_from_pkcs1(inner)
    } else if oid == OID_EC {
        ec_public_from_sec1(inner)
    } else {
        None
    }
}

/// RSAPrivateKey ::= SEQUENCE { version, modulus, publicExponent, ... } → RSAPublicKey DER.
fn rsa_public_from_pkcs1(der: &[u8]) -> Option<Vec<u8>> {
    let (_, body, _) = tlv(der)?;
    let (_, _version, rest) = tlv(body)?;
    let (tn, n, rest) = tlv(rest)?;
    let (te, e, _) = tlv(rest)?;
    if tn != 0x02 || te != 0x02 {
        return None;
    }
    // DER integers are canonical, so re-wrapping them gives the certificate's exact bytes.
    let mut inner = encode(0x02, n);
    inner.extend(encode(0x02, e));
    Some(encode(0x30, &inner))
}

/// ECPrivateKey ::= SEQUENCE { version 1, privateKey, [0] parameters OPTIONAL,
/// [1] publicKey BIT STRING OPTIONAL }.
fn ec_public_from_sec1(der: &[u8]) -> Option<Vec<u8>> {
    let (_, body, _) = tlv(der)?;
    let mut rest = body;
    while let Some((tag, v, r)) = tlv(rest) {
        if tag == 0xa1 {
            let (bt, bits, _) = tlv(v)?;
            if bt == 0x03 && !bits.is_empty() {
                return Some(bits[1..].to_vec());
            }
        }
        rest = r;
    }
    None
}

/// One DER TLV: (tag, contents, rest). Only the length forms DER allows.
fn tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *b.first()?;
    let first = *b.get(1)? as usize;
    let (len, hdr) = if first < 0x80 {
        (first, 2)
    } else {
        let n = first & 0x7f;
        if n == 0 || n > 4 || b.len() < 2 + n {
            return None;
        }
        let len = b[2..2 + n]
            .iter()
            .fold(0usize, |a, &x| (a << 8) | x as usize);
        (len, 2 + n)
    };
    let end = hdr.checked_add(len)?;
    if b.len() < end {
        return None;
    }
    Some((tag, &b[hdr..end], &b[end..]))
}

fn encode(tag: u8, v: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = v.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .iter()
            .copied()
            .skip_while(|&x| x == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(v);
    out
}

/// Unix permission bits of `path` (following symlinks), `None` elsewhere.
pub fn mode_of(meta: &std::fs::Metadata) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        Some(meta.permissions().mode() & 0o7777)
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls_pki_types::pem::PemObject;

    fn cert_key_bits(cert_pem: &str) -> Vec<u8> {
        let der = rustls_pki_types::CertificateDer::from_pem_slice(cert_pem.as_bytes()).unwrap();
        let (_, c) = x509_parser::parse_x509_certificate(&der).unwrap();
        c.public_key().subject_public_key.data.to_vec()
    }

    #[test]
    fn every_key_kind_yields_the_public_key_in_its_certificate() {
        use certgate_pki::{Ca, CaSpec, KeyAlg, LeafSpec};
        let ca = Ca::root(&CaSpec::new("Key Test CA")).unwrap();
        for alg in [
            KeyAlg::EcdsaP256,
            KeyAlg::EcdsaP384,
            KeyAlg::Ed25519,
            KeyAlg::Rsa2048,
        ] {
            let mut spec = LeafSpec::server(&["key.test"]);
            spec.key = alg;
            let leaf = ca.issue(&spec).unwrap();
            let key = PrivateKeyDer::from_pem_slice(leaf.key_pem.as_bytes()).unwrap();
            assert_eq!(
                public_key_bits(&key).as_deref(),
                Some(&cert_key_bits(&leaf.cert_pem)[..]),
                "{alg:?}"
            );
            // the same key read back from raw DER of unknown kind
            let again = private_key_from_der(key.secret_der()).unwrap();
            assert_eq!(public_key_bits(&again), public_key_bits(&key));
        }
    }

    #[test]
    fn garbage_is_not_a_key() {
        assert!(private_key_from_der(b"\x30\x03\x02\x01\x05").is_none());
        assert!(private_key_from_der(b"hello").is_none());
        assert!(tlv(&[0x30, 0x85, 1, 1, 1, 1, 1]).is_none());
    }
}
