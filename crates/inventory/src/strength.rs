//! Key and signature strength of one certificate: `cert.weak_key` (RSA/DSA under 2048 bits, EC
//! under 256) and `cert.weak_signature` (MD5 or SHA-1, except on self-issued roots, whose own
//! signature nobody checks).

use crate::cert::CertSummary;
use certgate_core::{Code, Finding, Side};

/// Strength findings for `c`.
pub fn findings(c: &CertSummary, side: Side) -> Vec<Finding> {
    let mut out = Vec::new();
    let name = c.display_name();
    let weak_key = match c.key.kind.as_str() {
        "RSA" | "DSA" => c.key.bits > 0 && c.key.bits < 2048,
        k if k.starts_with("ECDSA") => c.key.bits > 0 && c.key.bits < 256,
        _ => false,
    };
    if weak_key {
        out.push(
            Finding::new(
                Code::CertWeakKey,
                side,
                format!(
                    "{name} has a {} key; 2048-bit RSA or P-256 is the minimum",
                    c.key
                ),
            )
            .with("key", c.key.to_string()),
        );
    }
    let sig = c.signature_algorithm.to_ascii_lowercase();
    if !c.self_issued && (sig.contains("md5") || sig.contains("sha1")) {
        out.push(
            Finding::new(
                Code::CertWeakSignature,
                side,
                format!("{name} is signed with {}", c.signature_algorithm),
            )
            .with("signature_algorithm", c.signature_algorithm.clone()),
        );
    }
    out
}
