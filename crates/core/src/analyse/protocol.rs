//! Protocol versions and cipher suites: what a server accepted to hand-built ClientHellos →
//! findings (not TLS at all, no version or suite a modern client can use, legacy versions or weak
//! suites still enabled). Suite facts come from the IANA registry as compiled into tls-parser.

use crate::code::Code;
use crate::evidence::{HelloAnswer, SuiteSupport, VersionProbe};
use crate::finding::{Finding, Side};
use crate::wire::{Alert, CipherSuite, ProtocolVersion};
use tls_parser::{TlsCipherEnc, TlsCipherEncMode, TlsCipherKx, TlsCipherMac, TlsCipherSuite};

/// The IANA name of a suite ("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"), if it is registered.
pub fn suite_name(s: CipherSuite) -> Option<&'static str> {
    TlsCipherSuite::from_id(s.0).map(|c| c.name)
}

/// The name, or the hex value for an unregistered suite.
pub fn suite_label(s: CipherSuite) -> String {
    suite_name(s).map_or_else(|| s.to_string(), str::to_string)
}

/// Why a suite is weak (broken or export-grade cipher, no encryption, no authentication, MD5),
/// or `None` when it is acceptable.
pub fn suite_weakness(s: CipherSuite) -> Option<&'static str> {
    let c = TlsCipherSuite::from_id(s.0)?;
    Some(match c.enc {
        TlsCipherEnc::Null => "no encryption",
        TlsCipherEnc::Rc4 => "RC4 is broken (RFC 7465)",
        TlsCipherEnc::Des | TlsCipherEnc::Rc2 => "DES/RC2 keys are too short",
        TlsCipherEnc::TripleDes => "3DES has 64-bit blocks (SWEET32)",
        _ if c.enc_size < 112 => "export-grade key size",
        _ if matches!(c.kx, TlsCipherKx::Null) => "no key exchange",
        _ if matches!(c.au, tls_parser::TlsCipherAu::Null) => {
            "anonymous: the server is not authenticated"
        }
        _ if matches!(c.mac, TlsCipherMac::HmacMd5) => "MD5 MAC",
        _ => return None,
    })
}

/// True for the suites every modern client offers: TLS 1.3 suites, and TLS 1.2 ECDHE with an
/// AEAD cipher (AES-GCM, ChaCha20-Poly1305). rustls and Go offer nothing else by default.
pub fn suite_is_modern(s: CipherSuite) -> bool {
    let Some(c) = TlsCipherSuite::from_id(s.0) else {
        return false;
    };
    match c.kx {
        TlsCipherKx::Tls13 => true,
        TlsCipherKx::Ecdhe => {
            matches!(c.enc_mode, TlsCipherEncMode::Gcm)
                || matches!(c.enc, TlsCipherEnc::Chacha20_Poly1305)
        }
        _ => false,
    }
}

/// True for suites that only TLS 1.3 can negotiate.
pub fn suite_is_tls13(s: CipherSuite) -> bool {
    TlsCipherSuite::from_id(s.0).is_some_and(|c| matches!(c.kx, TlsCipherKx::Tls13))
}

/// Findings from the version probes and the per-version suite lists.
///
/// - any answer that is not TLS → `handshake.not_tls` (and nothing else: the rest is noise);
/// - no version accepted → `handshake.protocol_version`, `.no_shared_cipher` or `.alert`, from
///   the alerts the server sent; silence everywhere → `tcp.timeout`;
/// - only TLS 1.1 or older → `handshake.protocol_version`;
/// - TLS 1.2 without TLS 1.3 and no modern suite → `handshake.no_shared_cipher`;
/// - TLS 1.0/1.1/SSLv3 beside modern versions → `handshake.legacy_version` (warning);
/// - weak suites accepted → `handshake.weak_cipher` (warning).
pub fn analyse(versions: &[VersionProbe], suites: &[SuiteSupport]) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(preview) = versions.iter().find_map(|p| match &p.answer {
        HelloAnswer::NotTls { preview } => Some(preview),
        _ => None,
    }) {
        out.push(
            Finding::new(
                Code::HandshakeNotTls,
                Side::Server,
                format!("the server answered a TLS ClientHello with {preview:?}"),
            )
            .with("answer", preview.as_str()),
        );
        return out;
    }
    if versions.is_empty() {
        return out;
    }

    let accepted: Vec<ProtocolVersion> = versions
        .iter()
        .filter(|p| p.accepted())
        .map(|p| p.offered)
        .collect();
    let names = |v: &[ProtocolVersion]| {
        v.iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let accepted_json: Vec<String> = accepted.iter().map(|v| v.to_string()).collect();

    if accepted.is_empty() {
        out.push(nothing_accepted(versions));
        return out;
    }
    let modern: Vec<ProtocolVersion> = accepted
        .iter()
        .copied()
        .filter(|v| *v >= ProtocolVersion::TLS1_2)
        .collect();
    let legacy: Vec<ProtocolVersion> = accepted
        .iter()
        .copied()
        .filter(|v| *v < ProtocolVersion::TLS1_2)
        .collect();

    if modern.is_empty() {
        out.push(
            Finding::new(
                Code::HandshakeProtocolVersion,
                Side::Server,
                format!(
                    "the server accepts only {}; current clients require TLS 1.2 or 1.3",
                    names(&legacy)
                ),
            )
            .with("accepted", accepted_json.clone()),
        );
    } else if !legacy.is_empty() {
        out.push(
            Finding::new(
                Code::HandshakeLegacyVersion,
                Side::Server,
                format!(
                    "besides {} the server still accepts {}",
                    names(&modern),
                    names(&legacy)
                ),
            )
            .with("accepted", accepted_json.clone()),
        );
    }

    // Without TLS 1.3, a TLS 1.2 server must offer an ECDHE+AEAD suite or modern clients fail.
    if !modern.is_empty() && !modern.contains(&ProtocolVersion::TLS1_3) {
        if let Some(s12) = suites.iter().find(|s| s.version == ProtocolVersion::TLS1_2) {
            if !s12.suites.is_empty() && !s12.suites.iter().any(|s| suite_is_modern(*s)) {
                let list: Vec<String> = s12.suites.iter().map(|s| suite_label(*s)).collect();
                out.push(
                    Finding::new(
                        Code::HandshakeNoSharedCipher,
                        Side::Server,
                        format!(
                            "over TLS 1.2 the server accepts only {}; modern clients offer ECDHE with AES-GCM or ChaCha20-Poly1305",
                            list.join(", ")
                        ),
                    )
                    .with("accepted_suites", list),
                );
            }
        }
    }

    let mut weak: Vec<String> = Vec::new();
    for support in suites {
        for s in &support.suites {
            if let Some(why) = suite_weakness(*s) {
                let entry = format!("{} ({why})", suite_label(*s));
                if !weak.contains(&entry) {
                    weak.push(entry);
                }
            }
        }
    }
    if !weak.is_empty() {
        out.push(
            Finding::new(
                Code::HandshakeWeakCipher,
                Side::Server,
                format!("the server accepts weak cipher suites: {}", weak.join(", ")),
            )
            .with("weak_suites", weak),
        );
    }
    out
}

/// No version was accepted: name the cause from what the server sent back.
fn nothing_accepted(versions: &[VersionProbe]) -> Finding {
    let alerts: Vec<Alert> = versions
        .iter()
        .filter_map(|p| match p.answer {
            HelloAnswer::Alert { alert } => Some(alert),
            _ => None,
        })
        .collect();
    let alert_names: Vec<String> = alerts.iter().map(|a| a.to_string()).collect();
    let offered: Vec<String> = versions.iter().map(|p| p.offered.to_string()).collect();
    if alerts.is_empty() {
        let silent = versions
            .iter()
            .all(|p| matches!(p.answer, HelloAnswer::NoAnswer));
        return if silent {
            Finding::new(
                Code::TcpTimeout,
                Side::Server,
                "the TCP connection opened but the server never answered a TLS ClientHello",
            )
        } else {
            Finding::new(
                Code::HandshakeAlert,
                Side::Server,
                format!(
                    "the server closed the connection without a TLS answer to ClientHellos for {}",
                    offered.join(", ")
                ),
            )
        };
    }
    let (code, detail) = if alerts.contains(&Alert::PROTOCOL_VERSION) {
        (
            Code::HandshakeProtocolVersion,
            format!(
                "the server refused every version offered ({}) with {}",
                offered.join(", "),
                Alert::PROTOCOL_VERSION
            ),
        )
    } else if alerts
        .iter()
        .all(|a| *a == Alert::HANDSHAKE_FAILURE || *a == Alert::INSUFFICIENT_SECURITY)
    {
        (
            Code::HandshakeNoSharedCipher,
            format!(
                "the server refused every ClientHello ({}) with {}",
                offered.join(", "),
                alert_names[0]
            ),
        )
    } else {
        (
            Code::HandshakeAlert,
            format!(
                "the server refused every ClientHello with {}",
                alert_names[0]
            ),
        )
    };
    Finding::new(code, Side::Server, detail).with("alerts", alert_names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(v: ProtocolVersion, answer: HelloAnswer) -> VersionProbe {
        VersionProbe { offered: v, answer }
    }
    fn ok(v: ProtocolVersion, s: u16) -> VersionProbe {
        probe(
            v,
            HelloAnswer::Accepted {
                version: v,
                suite: CipherSuite(s),
            },
        )
    }
    fn alert(v: ProtocolVersion, a: Alert) -> VersionProbe {
        probe(v, HelloAnswer::Alert { alert: a })
    }
    fn codes(f: &[Finding]) -> Vec<Code> {
        f.iter().map(|f| f.code).collect()
    }
    use ProtocolVersion as V;

    #[test]
    fn suite_table_names_and_judges_suites() {
        assert_eq!(
            suite_name(CipherSuite(0xc02f)),
            Some("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")
        );
        assert!(suite_is_modern(CipherSuite(0xc02f)));
        assert!(suite_is_modern(CipherSuite(0x1301)));
        assert!(!suite_is_modern(CipherSuite(0x002f))); // RSA kx, CBC
        assert!(suite_weakness(CipherSuite(0x0005)).unwrap().contains("RC4"));
        assert!(suite_weakness(CipherSuite(0x000a))
            .unwrap()
            .contains("3DES"));
        assert!(suite_weakness(CipherSuite(0x0003)).is_some()); // export RC4-40
        assert!(suite_weakness(CipherSuite(0xc02f)).is_none());
        assert_eq!(suite_label(CipherSuite(0xfefe)), "0xfefe");
    }

    #[test]
    fn modern_server_has_no_findings() {
        let v = [
            alert(V::TLS1_0, Alert::PROTOCOL_VERSION),
            alert(V::TLS1_1, Alert::PROTOCOL_VERSION),
            ok(V::TLS1_2, 0xc02f),
            ok(V::TLS1_3, 0x1301),
        ];
        let s = [SuiteSupport {
            version: V::TLS1_2,
            suites: vec![CipherSuite(0xc02f)],
        }];
        assert!(analyse(&v, &s).is_empty());
    }

    #[test]
    fn tls10_only_server_is_protocol_version() {
        let v = [
            ok(V::TLS1_0, 0xc014),
            alert(V::TLS1_2, Alert::PROTOCOL_VERSION),
            alert(V::TLS1_3, Alert::PROTOCOL_VERSION),
        ];
        let f = analyse(&v, &[]);
        assert_eq!(codes(&f), [Code::HandshakeProtocolVersion]);
        assert!(f[0].detail.contains("TLSv1.0"), "{}", f[0].detail);
    }

    #[test]
    fn legacy_versions_beside_modern_ones_are_a_warning() {
        let v = [ok(V::TLS1_0, 0xc014), ok(V::TLS1_2, 0xc02f)];
        assert_eq!(codes(&analyse(&v, &[])), [Code::HandshakeLegacyVersion]);
    }

    #[test]
    fn tls12_with_only_cbc_suites_is_no_shared_cipher() {
        let v = [
            ok(V::TLS1_2, 0x002f),
            alert(V::TLS1_3, Alert::PROTOCOL_VERSION),
        ];
        let s = [SuiteSupport {
            version: V::TLS1_2,
            suites: vec![CipherSuite(0x002f), CipherSuite(0x000a)],
        }];
        assert_eq!(
            codes(&analyse(&v, &s)),
            [Code::HandshakeNoSharedCipher, Code::HandshakeWeakCipher]
        );
    }

    #[test]
    fn nothing_accepted_is_named_from_the_alerts() {
        let hf = [
            alert(V::TLS1_2, Alert::HANDSHAKE_FAILURE),
            alert(V::TLS1_3, Alert::HANDSHAKE_FAILURE),
        ];
        assert_eq!(codes(&analyse(&hf, &[])), [Code::HandshakeNoSharedCipher]);
        let pv = [alert(V::TLS1_2, Alert::PROTOCOL_VERSION)];
        assert_eq!(codes(&analyse(&pv, &[])), [Code::HandshakeProtocolVersion]);
        let other = [alert(V::TLS1_2, Alert::UNRECOGNIZED_NAME)];
        assert_eq!(codes(&analyse(&other, &[])), [Code::HandshakeAlert]);
        let silent = [probe(V::TLS1_2, HelloAnswer::NoAnswer)];
        assert_eq!(codes(&analyse(&silent, &[])), [Code::TcpTimeout]);
        let closed = [probe(V::TLS1_2, HelloAnswer::Closed)];
        assert_eq!(codes(&analyse(&closed, &[])), [Code::HandshakeAlert]);
    }

    #[test]
    fn http_answer_to_a_hello_is_not_tls_and_nothing_else() {
        let v = [
            probe(
                V::TLS1_2,
                HelloAnswer::NotTls {
                    preview: "HTTP/1.1 400 Bad Request".into(),
                },
            ),
            ok(V::TLS1_0, 0x0005),
        ];
        assert_eq!(codes(&analyse(&v, &[])), [Code::HandshakeNotTls]);
    }
}
