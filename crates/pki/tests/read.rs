//! Reading user-supplied PKI files: PEM and DER both work; garbage, encrypted keys and keys
//! that belong to another certificate give one clear error naming the file.

use certgate_pki::{
    read_certs, read_crls, read_identity, read_key, Ca, CaSpec, LeafSpec, PkiError,
};
use rustls_pki_types::pem::PemObject;
use std::path::Path;

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn pem_and_der_certificates_both_read() {
    let dir = tempfile::tempdir().unwrap();
    let root = Ca::root(&CaSpec::new("Read Root")).unwrap();
    let inter = root.intermediate(&CaSpec::new("Read Issuing")).unwrap();
    let leaf = inter.issue(&LeafSpec::server(&["localhost"])).unwrap();
    let pem = write(dir.path(), "chain.pem", leaf.chain_pem.as_bytes());
    assert_eq!(read_certs(&pem).unwrap().len(), 2);
    let der = write(dir.path(), "leaf.der", &leaf.der);
    assert_eq!(read_certs(&der).unwrap(), vec![leaf.der.clone()]);
    let key_der = rustls_pki_types::PrivateKeyDer::from_pem_slice(leaf.key_pem.as_bytes()).unwrap();
    let kd = write(dir.path(), "leaf.key.der", key_der.secret_der());
    read_key(&kd).unwrap();
    let kp = write(dir.path(), "leaf.key", leaf.key_pem.as_bytes());
    let id = read_identity(&pem, &kp).unwrap();
    assert_eq!(id.chain.len(), 2);
    // cert and key in one file
    let both = write(
        dir.path(),
        "both.pem",
        (leaf.chain_pem.clone() + &leaf.key_pem).as_bytes(),
    );
    read_identity(&both, &both).unwrap();
}

#[test]
fn key_of_another_certificate_is_a_key_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    let root = Ca::root(&CaSpec::new("Read Root")).unwrap();
    let a = root.issue(&LeafSpec::client("a")).unwrap();
    let b = root.issue(&LeafSpec::client("b")).unwrap();
    let cert = write(dir.path(), "a.pem", a.cert_pem.as_bytes());
    let key = write(dir.path(), "b.key", b.key_pem.as_bytes());
    let err = read_identity(&cert, &key).unwrap_err();
    assert!(matches!(err, PkiError::KeyMismatch { .. }), "{err}");
    assert_eq!(err.code(), Some(certgate_core::Code::ClientCertKeyMismatch));
    let msg = err.to_string();
    assert!(msg.contains("b.key") && msg.contains("a.pem"), "{msg}");
}

#[test]
fn bad_inputs_give_one_line_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = Ca::root(&CaSpec::new("Read Root")).unwrap();
    let garbage = write(
        dir.path(),
        "garbage.pem",
        b"hello, this is not a certificate\n",
    );
    let empty = write(dir.path(), "empty.pem", b"");
    let key_only = write(dir.path(), "key.pem", root.key_pem.as_bytes());
    let enc = write(
        dir.path(),
        "enc.key",
        b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIBvTBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG9w0BBQwwHAQI\n-----END ENCRYPTED PRIVATE KEY-----\n",
    );
    let missing = dir.path().join("missing.pem");
    let cases: Vec<(String, &str)> = vec![
        (read_certs(&garbage).unwrap_err().to_string(), "neither PEM"),
        (read_certs(&empty).unwrap_err().to_string(), "empty"),
        (
            read_certs(&key_only).unwrap_err().to_string(),
            "found: PRIVATE KEY",
        ),
        (read_certs(&missing).unwrap_err().to_string(), "missing.pem"),
        (read_key(&enc).unwrap_err().to_string(), "encrypted"),
        (
            read_key(&garbage).unwrap_err().to_string(),
            "not a private key",
        ),
        (
            read_crls(&garbage).unwrap_err().to_string(),
            "revocation list",
        ),
        (read_crls(&key_only).unwrap_err().to_string(), "no X509 CRL"),
    ];
    for (msg, want) in cases {
        assert!(msg.contains(want), "{msg:?} lacks {want:?}");
        assert!(!msg.contains('\n'), "{msg:?} is more than one line");
        assert!(
            msg.contains(dir.path().to_str().unwrap()),
            "{msg:?} does not name the file"
        );
    }
}

/// PEM from users and peers is untrusted: truncations and corruptions of a real chain+key file
/// give certificates or an error, never a panic.
#[test]
fn truncated_and_corrupted_pem_never_panics() {
    let root = Ca::root(&CaSpec::new("Fuzz Root")).unwrap();
    let inter = root.intermediate(&CaSpec::new("Fuzz Issuing")).unwrap();
    let leaf = inter.issue(&LeafSpec::server(&["localhost"])).unwrap();
    let good = (leaf.chain_pem.clone() + &leaf.key_pem).into_bytes();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut variants: Vec<Vec<u8>> = (0..good.len())
        .step_by(7)
        .map(|n| good[..n].to_vec())
        .collect();
    for _ in 0..300 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let mut v = good.clone();
        let i = (x as usize) % v.len();
        v[i] = (x >> 40) as u8;
        variants.push(v);
    }
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("v.pem");
    for v in variants {
        let _ = certgate_pki::certs_from_bytes(&v);
        std::fs::write(&p, &v).unwrap();
        let _ = read_key(&p);
        let _ = read_crls(&p);
        let _ = read_identity(&p, &p);
    }
}
