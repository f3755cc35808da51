//! A client's probe of a server, end to end: transport, protocol versions and suites, the full
//! handshake (client-certificate request and the server's alerts), and the HTTP answer (495/496/
//! 497 bodies) → findings. Chain findings come from `chain` and are passed in, not redone here.

use crate::analyse::protocol;
use crate::code::Code;
use crate::evidence::{ClientCert, HandshakeEnd, HttpAnswer, Reach, ServerEvidence};
use crate::finding::{Finding, Side};
use crate::wire::Alert;
use time::OffsetDateTime;

/// All findings for one probe. `chain` holds the chain analysis of the certificates the server
/// sent; `now` is used to explain a rejected client certificate by its own dates.
pub fn analyse(ev: &ServerEvidence, chain: Vec<Finding>, now: OffsetDateTime) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(detail) = &ev.local_key_mismatch {
        out.push(Finding::new(
            Code::ClientCertKeyMismatch,
            Side::Local,
            detail.clone(),
        ));
    }
    if let Some(f) = transport(&ev.reach) {
        out.push(f);
        return out;
    }
    if !ev.tls {
        plain_http(ev, &mut out);
        return out;
    }
    for f in protocol::analyse(&ev.versions, &ev.suites) {
        push_unique(&mut out, f);
    }
    if out.iter().any(|f| f.code == Code::HandshakeNotTls) {
        return out;
    }
    if let Some(h) = &ev.handshake {
        if let Some(f) = handshake_end(h, now) {
            push_unique(&mut out, f);
        }
    }
    for f in chain {
        push_unique(&mut out, f);
    }
    if let Some(http) = &ev.http {
        if let Some(f) = http_answer(http, ev) {
            push_unique(&mut out, f);
        }
    }
    out
}

fn push_unique(out: &mut Vec<Finding>, f: Finding) {
    if !out.iter().any(|x| x.code == f.code) {
        out.push(f);
    }
}

fn transport(reach: &Reach) -> Option<Finding> {
    Some(match reach {
        Reach::Connected { .. } => return None,
        Reach::DnsFailed { detail } => {
            Finding::new(Code::DnsResolutionFailed, Side::Network, detail.clone())
        }
        Reach::Refused { addr } => Finding::new(
            Code::TcpConnectionRefused,
            Side::Network,
            format!("{addr} refused the connection: nothing listens there"),
        )
        .with("addr", addr.as_str()),
        Reach::Timeout { addr, millis } => Finding::new(
            Code::TcpTimeout,
            Side::Network,
            format!(
                "{addr} did not answer within {:.1} s",
                *millis as f64 / 1000.0
            ),
        )
        .with("addr", addr.as_str()),
        Reach::Unreachable { addr, detail } => Finding::new(
            Code::TcpConnectionRefused,
            Side::Network,
            format!("cannot connect to {addr}: {detail}"),
        )
        .with("addr", addr.as_str()),
    })
}

/// An `http://` target: the only TLS problem it can show is that the port speaks TLS.
fn plain_http(ev: &ServerEvidence, out: &mut Vec<Finding>) {
    let plain_to_tls = ev.tls_answer_to_plain_http
        || ev
            .http
            .as_ref()
            .is_some_and(|h| h.status == 497 || h.body_code == Some(Code::HttpPlainToTls));
    if plain_to_tls {
        let how = match &ev.http {
            Some(h) if !ev.tls_answer_to_plain_http => {
                format!("answered {} {}", h.status, h.reason)
            }
            _ => "answered with a TLS alert".to_string(),
        };
        out.push(Finding::new(
            Code::HttpPlainToTls,
            Side::Client,
            format!(
                "plain HTTP was sent to a port that expects TLS; the server {how}; use https://"
            ),
        ));
    } else if let Some(h) = &ev.http {
        if let Some(f) = http_answer(h, ev) {
            out.push(f);
        }
    }
}

fn acceptable(ev_cr: Option<&crate::evidence::CertificateRequest>) -> String {
    match ev_cr {
        Some(cr) if !cr.ca_names.is_empty() => format!(
            "; it accepts certificates issued by: {}",
            cr.ca_names.join(" | ")
        ),
        Some(_) => "; it does not list the CAs it accepts".to_string(),
        None => String::new(),
    }
}

/// The issuer of the offered certificate is not among the CA names the server listed (a
/// non-empty list); `None` when there is nothing to compare.
fn issuer_not_listed(h: &crate::evidence::Handshake) -> Option<String> {
    let cr = h.certificate_request.as_ref()?;
    if cr.ca_names_der.is_empty() {
        return None;
    }
    match &h.client_cert {
        ClientCert::Present {
            issuer,
            issuer_der,
            chain_issuers_der,
            ..
        } => {
            let listed = cr
                .ca_names_der
                .iter()
                .any(|n| n == issuer_der || chain_issuers_der.iter().any(|c| c == n));
            (!listed).then(|| issuer.clone())
        }
        ClientCert::Absent { .. } => None,
    }
}

fn handshake_end(h: &crate::evidence::Handshake, now: OffsetDateTime) -> Option<Finding> {
    let cr = h.certificate_request.as_ref();
    let asked = cr.is_some();
    let ca_json = || serde_json::Value::from(cr.map(|c| c.ca_names.clone()).unwrap_or_default());
    let f = match &h.end {
        HandshakeEnd::Completed => return None,
        HandshakeEnd::NoAnswer => Finding::new(
            Code::TcpTimeout,
            Side::Server,
            "the server stopped answering during the TLS handshake",
        ),
        HandshakeEnd::Failed { detail } => Finding::new(
            Code::HandshakeAlert,
            Side::Server,
            format!("the handshake failed: {detail}"),
        ),
        HandshakeEnd::Closed if asked && matches!(h.client_cert, ClientCert::Absent { .. }) => {
            Finding::new(
                Code::ClientCertRequired,
                Side::Client,
                format!(
                    "the server asked for a client certificate and closed the connection when none was sent{}",
                    acceptable(cr)
                ),
            )
            .with("acceptable_cas", ca_json())
        }
        HandshakeEnd::Closed => Finding::new(
            Code::HandshakeAlert,
            Side::Server,
            "the server closed the connection during the handshake without an alert",
        ),
        HandshakeEnd::AlertReceived { alert } => {
            let alert = *alert;
            match &h.client_cert {
                ClientCert::Absent { .. } if asked || alert == Alert::CERTIFICATE_REQUIRED => {
                    Finding::new(
                        Code::ClientCertRequired,
                        Side::Client,
                        format!(
                            "the server requires a client certificate: it asked for one and aborted with {alert} when none was sent{}",
                            acceptable(cr)
                        ),
                    )
                    .with("alert", alert.to_string())
                    .with("acceptable_cas", ca_json())
                }
                ClientCert::Present {
                    subject,
                    issuer,
                    not_before,
                    not_after,
                    ..
                } if asked => {
                    let code = client_alert_code(alert, *not_before, *not_after, now);
                    let code = match (code, issuer_not_listed(h)) {
                        (Code::ClientCertRejected, Some(_)) => Code::ClientCertUntrusted,
                        (c, _) => c,
                    };
                    let unlisted = issuer_not_listed(h)
                        .map(|i| format!("; its issuer {i:?} is not among the CAs the server accepts"))
                        .unwrap_or_default();
                    Finding::new(
                        code,
                        Side::Client,
                        format!(
                            "the server rejected the client certificate {subject:?} (issuer {issuer:?}) with {alert}{unlisted}{}",
                            acceptable(cr)
                        ),
                    )
                    .with("alert", alert.to_string())
                    .with("acceptable_cas", ca_json())
                }
                _ if alert == Alert::PROTOCOL_VERSION => Finding::new(
                    Code::HandshakeProtocolVersion,
                    Side::Server,
                    format!("the server aborted a TLS 1.2/1.3 handshake with {alert}"),
                ),
                _ if alert == Alert::HANDSHAKE_FAILURE
                    || alert == Alert::INSUFFICIENT_SECURITY =>
                {
                    Finding::new(
                        Code::HandshakeNoSharedCipher,
                        Side::Server,
                        format!(
                            "the server aborted a modern TLS 1.2/1.3 handshake with {alert}: it shares no suite or group with current clients"
                        ),
                    )
                }
                _ => Finding::new(
                    Code::HandshakeAlert,
                    Side::Server,
                    format!("the server aborted the handshake with {alert}"),
                )
                .with("alert", alert.to_string()),
            }
        }
    };
    Some(f)
}

/// The alert a server sends about a client certificate → the finest client_cert code.
fn client_alert_code(alert: Alert, not_before: i64, not_after: i64, now: OffsetDateTime) -> Code {
    let t = now.unix_timestamp();
    match alert {
        // OpenSSL sends certificate_expired for both ends of the validity window.
        Alert::CERTIFICATE_EXPIRED if t < not_before => Code::ClientCertNotYetValid,
        Alert::CERTIFICATE_EXPIRED => Code::ClientCertExpired,
        _ if t > not_after => Code::ClientCertExpired,
        _ if t < not_before => Code::ClientCertNotYetValid,
        Alert::CERTIFICATE_REVOKED => Code::ClientCertRevoked,
        Alert::UNKNOWN_CA => Code::ClientCertUntrusted,
        Alert::UNSUPPORTED_CERTIFICATE => Code::ClientCertWrongUsage,
        _ => Code::ClientCertRejected,
    }
}

/// 495/496/497, nginx's 400 pages, certgate's 403/502/504 bodies → the matching finding.
fn http_answer(h: &HttpAnswer, ev: &ServerEvidence) -> Option<Finding> {
    let hs = ev.handshake.as_ref();
    let cr = hs.and_then(|h| h.certificate_request.as_ref());
    let said = format!("the server answered HTTP {} {}", h.status, h.reason);
    let from_body = h.body_code.filter(|c| {
        c.as_str().starts_with("client_cert.")
            || c.as_str().starts_with("upstream.")
            || *c == Code::HttpPlainToTls
    });
    let code = match (h.status, from_body) {
        (496, _) => Code::ClientCertRequired,
        (495, Some(c)) if c.as_str().starts_with("client_cert.") => c,
        (495, _) => Code::ClientCertRejected,
        (497, _) => Code::HttpPlainToTls,
        (_, Some(c)) => c,
        _ => return None,
    };
    let side = match code.as_str().split('.').next() {
        Some("upstream") => Side::Server,
        _ => Side::Client,
    };
    let mut detail = said;
    if code.as_str().starts_with("client_cert.") {
        if let Some(i) = hs.and_then(issuer_not_listed) {
            detail.push_str(&format!(
                "; the certificate's issuer {i:?} is not among the CAs the server accepts"
            ));
        }
        detail.push_str(&acceptable(cr));
    }
    let mut f = Finding::new(code, side, detail).with("status", h.status);
    if !h.body_preview.is_empty() {
        f = f.with("body", h.body_preview.as_str());
    }
    Some(f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::*;
    use crate::wire::{CipherSuite, ProtocolVersion};

    fn modern_versions() -> Vec<VersionProbe> {
        vec![
            VersionProbe {
                offered: ProtocolVersion::TLS1_2,
                answer: HelloAnswer::Accepted {
                    version: ProtocolVersion::TLS1_2,
                    suite: CipherSuite(0xc02f),
                },
            },
            VersionProbe {
                offered: ProtocolVersion::TLS1_3,
                answer: HelloAnswer::Accepted {
                    version: ProtocolVersion::TLS1_3,
                    suite: CipherSuite(0x1301),
                },
            },
        ]
    }

    fn handshake(end: HandshakeEnd, cr: Option<CertificateRequest>, cc: ClientCert) -> Handshake {
        Handshake {
            end,
            version: Some(ProtocolVersion::TLS1_3),
            suite: Some(CipherSuite(0x1301)),
            alpn: None,
            chain_len: 1,
            ocsp_stapled: false,
            certificate_request: cr,
            client_cert: cc,
        }
    }

    fn evidence(h: Option<Handshake>, http: Option<HttpAnswer>) -> ServerEvidence {
        ServerEvidence {
            tls: true,
            reach: Reach::Connected {
                addr: "127.0.0.1:443".into(),
            },
            versions: modern_versions(),
            suites: vec![],
            handshake: h,
            http,
            tls_answer_to_plain_http: false,
            local_key_mismatch: None,
        }
    }

    fn cr(names: &[&str]) -> CertificateRequest {
        CertificateRequest {
            ca_names: names.iter().map(|s| s.to_string()).collect(),
            ca_names_der: names.iter().map(|s| s.as_bytes().to_vec()).collect(),
            signature_schemes: vec![],
        }
    }

    fn present(issuer: &str) -> ClientCert {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        ClientCert::Present {
            subject: "CN=alice".into(),
            issuer: issuer.into(),
            issuer_der: issuer.as_bytes().to_vec(),
            chain_issuers_der: vec![],
            not_before: now - 3600,
            not_after: now + 86400,
        }
    }

    const ABSENT: ClientCert = ClientCert::Absent {
        why: AbsentReason::NotConfigured,
    };

    fn verdict(ev: &ServerEvidence) -> Code {
        crate::finding::verdict(&analyse(ev, vec![], OffsetDateTime::now_utc()))
    }

    #[test]
    fn transport_failures_stop_the_analysis() {
        let mut ev = evidence(None, None);
        ev.reach = Reach::Refused {
            addr: "127.0.0.1:1".into(),
        };
        assert_eq!(verdict(&ev), Code::TcpConnectionRefused);
        ev.reach = Reach::DnsFailed {
            detail: "no such host".into(),
        };
        assert_eq!(verdict(&ev), Code::DnsResolutionFailed);
    }

    #[test]
    fn certificate_required_alert_without_a_cert_is_client_cert_required() {
        let h = handshake(
            HandshakeEnd::AlertReceived {
                alert: Alert::CERTIFICATE_REQUIRED,
            },
            Some(cr(&["CN=Client CA"])),
            ABSENT,
        );
        let f = analyse(&evidence(Some(h), None), vec![], OffsetDateTime::now_utc());
        assert_eq!(f[0].code, Code::ClientCertRequired);
        assert!(f[0].detail.contains("CN=Client CA"), "{}", f[0].detail);
    }

    #[test]
    fn tls12_handshake_failure_after_a_request_is_client_cert_required() {
        let h = handshake(
            HandshakeEnd::AlertReceived {
                alert: Alert::HANDSHAKE_FAILURE,
            },
            Some(cr(&[])),
            ABSENT,
        );
        assert_eq!(verdict(&evidence(Some(h), None)), Code::ClientCertRequired);
    }

    #[test]
    fn rejected_cert_is_named_by_alert_and_by_the_acceptable_ca_list() {
        let h = handshake(
            HandshakeEnd::AlertReceived {
                alert: Alert::UNKNOWN_CA,
            },
            Some(cr(&["CN=Client CA"])),
            present("CN=Other CA"),
        );
        let f = analyse(&evidence(Some(h), None), vec![], OffsetDateTime::now_utc());
        assert_eq!(f[0].code, Code::ClientCertUntrusted);
        assert!(f[0].detail.contains("not among"), "{}", f[0].detail);

        let h = handshake(
            HandshakeEnd::AlertReceived {
                alert: Alert::BAD_CERTIFICATE,
            },
            Some(cr(&["CN=Client CA"])),
            present("CN=Other CA"),
        );
        assert_eq!(verdict(&evidence(Some(h), None)), Code::ClientCertUntrusted);

        let h = handshake(
            HandshakeEnd::AlertReceived {
                alert: Alert::CERTIFICATE_REVOKED,
            },
            Some(cr(&["CN=Client CA"])),
            present("CN=Client CA"),
        );
        assert_eq!(verdict(&evidence(Some(h), None)), Code::ClientCertRevoked);
    }

    #[test]
    fn http_496_and_495_bodies_become_client_cert_findings() {
        let answer = |status, code| HttpAnswer {
            status,
            reason: "x".into(),
            server: None,
            body_code: code,
            style: ErrorBodyStyle::Certgate,
            body_preview: String::new(),
        };
        let h = || {
            Some(handshake(
                HandshakeEnd::Completed,
                Some(cr(&[])),
                present("CN=Client CA"),
            ))
        };
        assert_eq!(
            verdict(&evidence(h(), Some(answer(496, None)))),
            Code::ClientCertRequired
        );
        assert_eq!(
            verdict(&evidence(
                h(),
                Some(answer(495, Some(Code::ClientCertExpired)))
            )),
            Code::ClientCertExpired
        );
        assert_eq!(
            verdict(&evidence(h(), Some(answer(495, None)))),
            Code::ClientCertRejected
        );
        assert_eq!(
            verdict(&evidence(
                h(),
                Some(answer(403, Some(Code::ClientCertNotAllowed)))
            )),
            Code::ClientCertNotAllowed
        );
        assert_eq!(verdict(&evidence(h(), Some(answer(404, None)))), Code::Ok);
    }

    #[test]
    fn plain_http_to_a_tls_port_is_named() {
        let mut ev = evidence(None, None);
        ev.tls = false;
        ev.tls_answer_to_plain_http = true;
        assert_eq!(verdict(&ev), Code::HttpPlainToTls);
    }

    #[test]
    fn key_mismatch_is_reported_first() {
        let mut ev = evidence(None, None);
        ev.local_key_mismatch = Some("client.pem and client.key do not match".into());
        assert_eq!(verdict(&ev), Code::ClientCertKeyMismatch);
    }
}
