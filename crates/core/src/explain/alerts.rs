//! TLS alerts as each client words them, mapped to a code by who sent the alert. An alert the
//! *server* sent (what a client reports) is about the client's certificate; an alert the *client*
//! sent (what a server log reports) is about the server's certificate.

use crate::code::{Code, Ecosystem};
use crate::wire::Alert;
use regex::Regex;
use std::sync::LazyLock;

/// An alert found in a line.
pub(super) struct AlertHit {
    pub alert: Alert,
    pub start: usize,
    pub end: usize,
    pub eco: Option<Ecosystem>,
}

enum Form {
    /// OpenSSL: `sslv3 alert bad certificate`, `TLSV13_ALERT_CERTIFICATE_REQUIRED`.
    Openssl,
    /// `SSL alert number 42`.
    Number,
    /// Java `Received fatal alert: bad_certificate`, rustls `received fatal alert: BadCertificate`.
    Received,
    /// Go `remote error: tls: unknown certificate authority` (golang/go src/crypto/tls/alert.go).
    Go,
    /// .NET `the remote party sent a TLS alert: 'CertificateRequired'` (dotnet/runtime
    /// System.Net.Security Strings.resx `net_auth_tls_alert`, names from `TlsAlertMessage`).
    Dotnet,
}

static FORMS: LazyLock<Vec<(Regex, Form)>> = LazyLock::new(|| {
    [
        (
            r"(?i)(?:sslv3|tlsv1|tlsv13)[ _](?:alert[ _])?([a-z]+(?:[ _][a-z]+)*)",
            Form::Openssl,
        ),
        (r"(?i)alert number (\d{1,3})\b", Form::Number),
        (r"(?i)received fatal alert: (\w+)", Form::Received),
        (r"remote error: tls: ([a-zA-Z ]+)", Form::Go),
        (r"sent a TLS alert: '(\w+)'", Form::Dotnet),
    ]
    .into_iter()
    .map(|(re, f)| (Regex::new(re).expect("alert regex"), f))
    .collect()
});

/// `error:0A000412:` (OpenSSL 3) or `error:14094412:` (1.1): library 20 is SSL, and SSL reasons
/// 1000 + n are "alert n received" (SSL_AD_REASON_OFFSET in ssl.h).
static OPENSSL_ERROR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"error:([0-9A-Fa-f]{8}):").expect("openssl error regex"));

/// Go's alert texts where they differ from the RFC names (golang/go src/crypto/tls/alert.go).
const GO_NAMES: &[(&str, u8)] = &[
    ("bad record MAC", 20),
    ("revoked certificate", 44),
    ("expired certificate", 45),
    ("unknown certificate authority", 48),
    ("unknown certificate", 46),
    ("error decoding message", 50),
    ("error decrypting message", 51),
    ("protocol version not supported", 70),
    ("insufficient security level", 71),
];

/// Names that are neither RFC nor Go: .NET's `UnsupportedCert`, OpenSSL's `user cancelled`.
const ALIASES: &[(&str, u8)] = &[
    ("unsupportedcert", 43),
    ("decompressionfail", 30),
    ("usercancelled", 90),
];

fn squash(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Looks an alert up by any spelling: `unknown_ca`, `unknown ca`, `UnknownCA`, `UNKNOWN_CA`.
fn by_name(name: &str) -> Option<Alert> {
    let key = squash(name);
    if key.is_empty() {
        return None;
    }
    (0..=255u8)
        .map(Alert)
        .find(|a| a.name().map(squash).as_deref() == Some(key.as_str()))
        .or_else(|| {
            ALIASES
                .iter()
                .find(|(n, _)| *n == key)
                .map(|(_, v)| Alert(*v))
        })
}

/// The longest leading run of words that names an alert (`certificate required while` →
/// `certificate_required`).
fn by_leading_words(words: &str) -> Option<Alert> {
    let parts: Vec<&str> = words.split([' ', '_']).filter(|w| !w.is_empty()).collect();
    (1..=parts.len().min(5))
        .rev()
        .find_map(|n| by_name(&parts[..n].join("_")))
}

/// Finds the alert a line reports, if any.
pub(super) fn find(line: &str) -> Option<AlertHit> {
    for (re, form) in FORMS.iter() {
        for c in re.captures_iter(line) {
            let (whole, name) = (c.get(0).expect("group 0"), c.get(1).expect("group 1"));
            let (alert, eco) = match form {
                Form::Openssl => (by_leading_words(name.as_str()), None),
                Form::Number => (name.as_str().parse::<u8>().ok().map(Alert), None),
                Form::Received => {
                    let n = name.as_str();
                    let eco = if n.contains('_') || n.chars().all(|c| c.is_ascii_lowercase()) {
                        Ecosystem::Java
                    } else {
                        Ecosystem::Rustls
                    };
                    (by_name(n), Some(eco))
                }
                Form::Go => {
                    let text = name.as_str().trim();
                    let go = GO_NAMES
                        .iter()
                        .find(|(n, _)| text.starts_with(n))
                        .map(|(_, v)| Alert(*v));
                    (go.or_else(|| by_leading_words(text)), Some(Ecosystem::Go))
                }
                Form::Dotnet => (by_name(name.as_str()), Some(Ecosystem::Dotnet)),
            };
            if let Some(alert) = alert {
                return Some(AlertHit {
                    alert,
                    start: whole.start(),
                    end: whole.end(),
                    eco,
                });
            }
        }
    }
    let m = OPENSSL_ERROR.captures(line)?;
    let code = u32::from_str_radix(&m[1], 16).ok()?;
    let ssl_lib = (code >> 23) & 0xff == 20 || code >> 24 == 20;
    let reason = code & 0xfff;
    if ssl_lib && (1000..1256).contains(&reason) {
        let whole = m.get(0).expect("group 0");
        return Some(AlertHit {
            alert: Alert((reason - 1000) as u8),
            start: whole.start(),
            end: whole.end(),
            eco: None,
        });
    }
    None
}

/// The code an alert stands for, its weight and a note, given who sent it.
pub(super) fn code_for(alert: Alert, sent_by_client: bool) -> (Code, u8, String) {
    use Code::*;
    let name = alert.to_string();
    if sent_by_client {
        // A server's log: the client refused the server's certificate or parameters.
        let (code, why) = match alert.0 {
            44 => (CertRevoked, "the client says the server's certificate is revoked"),
            45 => (CertExpired, "the client says the server's certificate has expired"),
            43 => (CertWrongUsage, "the client says the server's certificate is not usable for a server"),
            48 => (CertUntrustedRoot, "the client does not trust the CA that issued the server's certificate"),
            70 => (HandshakeProtocolVersion, "the client supports none of the server's TLS versions"),
            71 => (HandshakeNoSharedCipher, "the client finds the server's parameters too weak"),
            42 | 46 => (CertRejected, "the client refused the server's certificate without saying why (untrusted CA, expired or wrong name; the client's own error says which)"),
            _ => (HandshakeAlert, "the client aborted the handshake"),
        };
        let weight = if code == HandshakeAlert { 40 } else { 80 };
        return (
            code,
            weight,
            format!("alert {name} sent by the client: {why}."),
        );
    }
    let (code, why) = match alert.0 {
        41 | 116 => (ClientCertRequired, "the server requires a client certificate and none was sent"),
        42 | 46 => (ClientCertRejected, "the server refused the client certificate"),
        43 => (ClientCertWrongUsage, "the server says the client certificate is not usable for client authentication"),
        44 => (ClientCertRevoked, "the server says the client certificate is revoked"),
        45 => (ClientCertExpired, "the server says the client certificate has expired"),
        48 => (ClientCertUntrusted, "the server does not trust the CA that issued the client certificate"),
        49 => (ClientCertNotAllowed, "the server accepted the certificate but denies this identity access"),
        70 => (HandshakeProtocolVersion, "the server supports none of the client's TLS versions"),
        71 => (HandshakeNoSharedCipher, "the server finds the client's parameters too weak"),
        // RFC 8446 §6.2: handshake_failure = "unable to negotiate an acceptable set of security
        // parameters". OpenSSL TLS 1.2 servers also use it for a missing required client cert.
        40 => (HandshakeNoSharedCipher, "the server found no acceptable cipher suite, group or signature algorithm; with TLS 1.2, OpenSSL-based servers (nginx, Apache) also send this when a required client certificate is missing, so if you sent none, that is the likelier cause (client_cert.required)"),
        51 => (HandshakeAlert, "the server could not verify a signature; with a client certificate this usually means the key does not match the certificate"),
        112 => (HandshakeAlert, "the server does not serve the requested host name (SNI)"),
        120 => (HandshakeAlert, "no application protocol (ALPN) in common"),
        _ => (HandshakeAlert, "the server aborted the handshake"),
    };
    let weight = if code == HandshakeAlert { 40 } else { 80 };
    (
        code,
        weight,
        format!("alert {name} sent by the server: {why}."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(line: &str) -> Option<u8> {
        find(line).map(|h| h.alert.0)
    }

    #[test]
    fn every_clients_spelling_of_an_alert_is_found() {
        assert_eq!(
            alert("error:0A00045C:SSL routines::tlsv13 alert certificate required, errno 0"),
            Some(116)
        );
        assert_eq!(
            alert("[SSL: SSLV3_ALERT_BAD_CERTIFICATE] sslv3 alert bad certificate (_ssl.c:2580)"),
            Some(42)
        );
        assert_eq!(alert("code: 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA'"), Some(48));
        assert_eq!(alert("SSL alert number 45"), Some(45));
        assert_eq!(
            alert(
                "javax.net.ssl.SSLHandshakeException: Received fatal alert: certificate_required"
            ),
            Some(116)
        );
        assert_eq!(
            alert("remote error: tls: unknown certificate authority"),
            Some(48)
        );
        assert_eq!(alert("remote error: tls: unknown certificate"), Some(46));
        assert_eq!(alert("received fatal alert: UnknownCA"), Some(48));
        assert_eq!(
            alert("the remote party sent a TLS alert: 'UnsupportedCert'."),
            Some(43)
        );
        assert_eq!(alert("tlsv1 unrecognized name"), Some(112));
        assert_eq!(alert("SSL_read: error:0A000415:SSL routines::"), Some(45));
        assert_eq!(
            alert("error:14094412:SSL routines:ssl3_read_bytes:"),
            Some(42)
        );
        assert_eq!(
            alert("error:0A000086:SSL routines::certificate verify failed"),
            None
        );
    }

    #[test]
    fn direction_decides_whose_certificate_is_meant() {
        assert_eq!(code_for(Alert(48), false).0, Code::ClientCertUntrusted);
        assert_eq!(code_for(Alert(48), true).0, Code::CertUntrustedRoot);
        assert_eq!(code_for(Alert(116), false).0, Code::ClientCertRequired);
    }
}
