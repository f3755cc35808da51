//! Reading one file: which certificates and private keys it holds, in which format. Formats are
//! recognised by content, with the file name as a hint: PEM (any mix of blocks), DER certificate
//! or key, PKCS#12 without a password, and Kubernetes Secret manifests (YAML, base64 `data:` or
//! PEM `stringData:`). Files that hold none of these are not an error; they are simply not listed.

use crate::key;
use base64::Engine;
use rustls_pki_types::pem::{PemObject, SectionKind};
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs1KeyDer, PrivatePkcs8KeyDer, PrivateSec1KeyDer};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Files larger than this are not read (certificate material is small; logs and archives are not).
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// The container a certificate or key was found in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Pem,
    Der,
    Pkcs12,
    KubernetesSecret,
    /// Sent by a TLS endpoint during the handshake.
    Tls,
}

impl Format {
    /// Short label for tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Pem => "pem",
            Format::Der => "der",
            Format::Pkcs12 => "pkcs12",
            Format::KubernetesSecret => "k8s-secret",
            Format::Tls => "tls",
        }
    }
}

/// A private key found in a file.
#[derive(Clone, Debug)]
pub struct FoundKey {
    /// SHA-256 of the public key bits; `None` when the key is encrypted or unreadable.
    pub key_id: Option<[u8; 32]>,
    pub format: Format,
    /// True for an encrypted PEM key (its public half cannot be read without the passphrase).
    pub encrypted: bool,
}

/// Everything found in one file.
#[derive(Clone, Debug, Default)]
pub struct FileScan {
    pub path: PathBuf,
    /// Unix permission bits.
    pub mode: Option<u32>,
    /// Certificates (DER) with the format they were found in.
    pub certs: Vec<(Vec<u8>, Format)>,
    pub keys: Vec<FoundKey>,
    /// Why the file looked like certificate material but could not be read.
    pub problem: Option<String>,
}

/// Reads and classifies one file. Never fails: problems are recorded in [`FileScan::problem`].
pub fn scan_file(path: &Path) -> FileScan {
    let mut out = FileScan {
        path: path.to_path_buf(),
        ..FileScan::default()
    };
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            out.problem = Some(format!("cannot read: {e}"));
            return out;
        }
    };
    out.mode = key::mode_of(&meta);
    if meta.len() > MAX_FILE_BYTES {
        if has_cert_extension(path) {
            out.problem = Some(format!("larger than {MAX_FILE_BYTES} bytes; not read"));
        }
        return out;
    }
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            out.problem = Some(format!("cannot read: {e}"));
            return out;
        }
    };
    classify(&bytes, path, &mut out);
    out
}

/// Classifies file contents (exposed for tests and fuzzing).
pub fn classify(bytes: &[u8], path: &Path, out: &mut FileScan) {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
        .unwrap_or_default();
    if (matches!(ext.as_str(), "yaml" | "yml") || looks_like_k8s_secret(bytes))
        && kubernetes_secret(bytes, out)
    {
        return;
    }
    if contains(bytes, b"-----BEGIN ") {
        pem(bytes, Format::Pem, out);
        return;
    }
    if bytes.first() != Some(&0x30) {
        return;
    }
    if matches!(ext.as_str(), "p12" | "pfx") || looks_like_pkcs12(bytes) {
        pkcs12(bytes, out);
        return;
    }
    if x509_parser::parse_x509_certificate(bytes)
        .map(|(rest, _)| rest.is_empty())
        .unwrap_or(false)
    {
        out.certs.push((bytes.to_vec(), Format::Der));
    } else if let Some(k) = key::private_key_from_der(bytes) {
        push_key(&k, Format::Der, out);
    } else if has_cert_extension(path) {
        out.problem =
            Some("not a certificate, key or PKCS#12 file (DER could not be parsed)".into());
    }
}

fn has_cert_extension(path: &Path) -> bool {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
        .unwrap_or_default();
    matches!(
        ext.as_str(),
        "pem" | "crt" | "cer" | "cert" | "der" | "key" | "p12" | "pfx"
    )
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn pem(bytes: &[u8], format: Format, out: &mut FileScan) {
    for item in <(SectionKind, Vec<u8>)>::pem_slice_iter(bytes) {
        match item {
            Ok((SectionKind::Certificate, der)) => out.certs.push((der, format)),
            Ok((SectionKind::PrivateKey, der)) => push_key(
                &PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(der)),
                format,
                out,
            ),
            Ok((SectionKind::RsaPrivateKey, der)) => push_key(
                &PrivateKeyDer::Pkcs1(PrivatePkcs1KeyDer::from(der)),
                format,
                out,
            ),
            Ok((SectionKind::EcPrivateKey, der)) => push_key(
                &PrivateKeyDer::Sec1(PrivateSec1KeyDer::from(der)),
                format,
                out,
            ),
            Ok(_) => {}
            Err(e) => {
                out.problem = Some(format!("malformed PEM: {e}"));
                break;
            }
        }
    }
    // Encrypted keys ("ENCRYPTED PRIVATE KEY", or legacy "Proc-Type: 4,ENCRYPTED") are real keys
    // whose public half cannot be read without the passphrase.
    let text = String::from_utf8_lossy(bytes);
    let encrypted = text
        .matches("-----BEGIN ENCRYPTED PRIVATE KEY-----")
        .count()
        + text.matches("Proc-Type: 4,ENCRYPTED").count();
    for _ in 0..encrypted {
        out.keys.push(FoundKey {
            key_id: None,
            format,
            encrypted: true,
        });
    }
}

fn push_key(k: &PrivateKeyDer<'_>, format: Format, out: &mut FileScan) {
    out.keys.push(FoundKey {
        key_id: key::public_key_bits(k).map(|b| crate::cert::key_id_of_public_key(&b)),
        format,
        encrypted: false,
    });
}

/// PFX ::= SEQUENCE { version INTEGER (v3), authSafe ContentInfo, ... }
fn looks_like_pkcs12(b: &[u8]) -> bool {
    // after the outer SEQUENCE header comes INTEGER 3
    let hdr = match b.get(1) {
        Some(&l) if l < 0x80 => 2,
        Some(&l) => 2 + (l & 0x7f) as usize,
        None => return false,
    };
    b.get(hdr..hdr + 3) == Some(&[0x02, 0x01, 0x03])
}

fn pkcs12(bytes: &[u8], out: &mut FileScan) {
    // "Without a password" in practice means an empty password (openssl -passout pass:) or no
    // encryption at all; both open with "".
    match p12_keystore::Pkcs12Archive::from_pkcs12(bytes, "") {
        Ok(archive) => {
            for c in &archive.certs {
                out.certs.push((c.cert.as_der().to_vec(), Format::Pkcs12));
            }
            for k in &archive.keys {
                push_key(
                    &PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(k.key.as_der().to_vec())),
                    Format::Pkcs12,
                    out,
                );
            }
        }
        Err(p12_keystore::error::Error::MacError(_)) => {
            out.problem = Some("PKCS#12 bundle is password-protected; not read".into());
        }
        Err(e) => out.problem = Some(format!("unreadable PKCS#12 bundle: {e}")),
    }
}

fn looks_like_k8s_secret(b: &[u8]) -> bool {
    contains(b, b"kind: Secret")
}

/// A Kubernetes Secret manifest (possibly several documents): base64 values of `data:` whose key
/// names certificate material (`tls.crt`, `tls.key`, `ca.crt`, `*.pem`, ...), and PEM blocks in
/// `stringData:`. A deliberately small reader: `kubectl get secret -o yaml` output and hand-written
/// manifests, not YAML in general. Returns false when the file is not a Secret.
fn kubernetes_secret(bytes: &[u8], out: &mut FileScan) -> bool {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return false;
    };
    if !text.lines().any(|l| l.trim() == "kind: Secret") {
        return false;
    }
    for line in text.lines() {
        let t = line.trim();
        let Some((name, value)) = t.split_once(':') else {
            continue;
        };
        let name = name.trim().trim_matches('"').trim_matches('\'');
        let value = value.trim().trim_matches('"').trim_matches('\'');
        let material = [".crt", ".pem", ".key", ".cert", ".cer"]
            .iter()
            .any(|s| name.ends_with(s));
        if !material || value.is_empty() || value.starts_with('|') || value.starts_with('>') {
            continue;
        }
        let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(value) else {
            continue;
        };
        if contains(&decoded, b"-----BEGIN ") {
            pem(&decoded, Format::KubernetesSecret, out);
        } else if let Some(k) = key::private_key_from_der(&decoded) {
            push_key(&k, Format::KubernetesSecret, out);
        } else if x509_parser::parse_x509_certificate(&decoded).is_ok() {
            out.certs.push((decoded, Format::KubernetesSecret));
        }
    }
    // stringData block scalars hold PEM indented by YAML; strip the indentation and read it.
    if contains(bytes, b"-----BEGIN ") {
        let dedented: String = text
            .lines()
            .map(|l| l.trim_start())
            .collect::<Vec<_>>()
            .join("\n");
        pem(dedented.as_bytes(), Format::KubernetesSecret, out);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every prefix and single-byte corruption of real PEM, DER, PKCS#12 and Secret files is
    /// classified without a panic (the reader sees arbitrary files from disk).
    #[test]
    fn truncated_and_corrupted_files_never_panic() {
        use certgate_pki::{Ca, CaSpec, LeafSpec};
        let ca = Ca::root(&CaSpec::new("Fuzz Root")).unwrap();
        let leaf = ca.issue(&LeafSpec::server(&["fuzz.test"])).unwrap();
        let key = PrivatePkcs8KeyDer::from_pem_slice(leaf.key_pem.as_bytes()).unwrap();
        let chain = p12_keystore::PrivateKeyChain::new(
            b"k".to_vec(),
            p12_keystore::PrivateKey::from_der(key.secret_pkcs8_der()).unwrap(),
            [p12_keystore::Certificate::from_der(leaf.der.as_ref()).unwrap()],
        );
        let mut ks = p12_keystore::KeyStore::new();
        ks.add_entry("k", p12_keystore::KeyStoreEntry::PrivateKeyChain(chain));
        let p12 = ks.writer("").write().unwrap();
        let yaml = format!(
            "kind: Secret\ndata:\n  tls.crt: {}\n",
            base64::engine::general_purpose::STANDARD.encode(&leaf.cert_pem)
        );
        let samples: [(&str, Vec<u8>); 5] = [
            (
                "a.pem",
                (leaf.cert_pem.clone() + &leaf.key_pem).into_bytes(),
            ),
            ("a.der", leaf.der.to_vec()),
            ("a.key", key.secret_pkcs8_der().to_vec()),
            ("a.p12", p12),
            ("a.yaml", yaml.into_bytes()),
        ];
        for (name, bytes) in &samples {
            let mut whole = FileScan::default();
            classify(bytes, Path::new(name), &mut whole);
            assert!(
                !whole.certs.is_empty() || !whole.keys.is_empty(),
                "{name} not recognised"
            );
            for cut in 0..bytes.len() {
                classify(&bytes[..cut], Path::new(name), &mut FileScan::default());
            }
            for i in (0..bytes.len()).step_by(3) {
                let mut b = bytes.clone();
                b[i] ^= 0x5a;
                classify(&b, Path::new(name), &mut FileScan::default());
            }
        }
    }

    #[test]
    fn pkcs12_sniffing_wants_version_3_after_the_sequence_header() {
        assert!(looks_like_pkcs12(&[
            0x30, 0x82, 0x01, 0x00, 0x02, 0x01, 0x03
        ]));
        assert!(!looks_like_pkcs12(&[0x30, 0x82, 0x01, 0x00, 0x30, 0x82]));
        assert!(!looks_like_pkcs12(&[0x30]));
    }

    #[test]
    fn plain_text_and_binary_noise_are_ignored_without_a_problem() {
        for (name, bytes) in [
            ("notes.txt", &b"hello world"[..]),
            ("blob.bin", &[0x30, 0x01, 0x00][..]),
        ] {
            let mut out = FileScan::default();
            classify(bytes, Path::new(name), &mut out);
            assert!(out.certs.is_empty() && out.keys.is_empty() && out.problem.is_none());
        }
        let mut out = FileScan::default();
        classify(&[0x30, 0x01, 0x00], Path::new("x.crt"), &mut out);
        assert!(out.problem.is_some());
    }
}
