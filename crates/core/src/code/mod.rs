//! The one taxonomy: every problem certgate can name is a [`Code`] with a stable string, a
//! severity, and knowledge (title, explanation, fixes per client ecosystem) kept in `kb.rs`.
//! Codes never change meaning; new causes get new codes.

mod kb;

pub use kb::Knowledge;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

macro_rules! codes {
    ($( $(#[$m:meta])* $variant:ident => $s:literal, $area:ident, $sev:ident; )*) => {
        /// A reason code of DESIGN.md §2. The string form (`cert.expired`) is the contract.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code { $( $(#[$m])* $variant, )* }

        impl Code {
            /// Every code, in catalogue order.
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];

            /// The stable string form, e.g. `client_cert.required`.
            pub const fn as_str(self) -> &'static str {
                match self { $( Code::$variant => $s, )* }
            }

            /// Where in the connection the problem sits; drives verdict precedence.
            pub const fn area(self) -> Area {
                match self { $( Code::$variant => Area::$area, )* }
            }

            /// How bad the problem is when it is present.
            pub const fn severity(self) -> Severity {
                match self { $( Code::$variant => Severity::$sev, )* }
            }
        }
    };
}

codes! {
    /// The connection and the certificate are fine.
    Ok => "ok", None, Info;
    /// The host name does not resolve.
    DnsResolutionFailed => "dns.resolution_failed", Transport, Error;
    /// Nothing listens on the port.
    TcpConnectionRefused => "tcp.connection_refused", Transport, Error;
    /// No answer within the time limit.
    TcpTimeout => "tcp.timeout", Transport, Error;
    /// The peer answered with something that is not TLS.
    HandshakeNotTls => "handshake.not_tls", Handshake, Error;
    /// No TLS version in common.
    HandshakeProtocolVersion => "handshake.protocol_version", Handshake, Error;
    /// No cipher suite in common.
    HandshakeNoSharedCipher => "handshake.no_shared_cipher", Handshake, Error;
    /// The peer aborted with an alert not covered by a finer code.
    HandshakeAlert => "handshake.alert", Handshake, Error;
    /// The server certificate has expired.
    CertExpired => "cert.expired", ServerCert, Error;
    /// The server certificate is not valid yet.
    CertNotYetValid => "cert.not_yet_valid", ServerCert, Error;
    /// No SAN matches the requested name.
    CertHostnameMismatch => "cert.hostname_mismatch", ServerCert, Error;
    /// The server's leaf is self-signed and not trusted.
    CertSelfSigned => "cert.self_signed", ServerCert, Error;
    /// The chain ends at a CA the client does not trust.
    CertUntrustedRoot => "cert.untrusted_root", ServerCert, Error;
    /// The server does not send the intermediates needed to reach a trusted root.
    CertIncompleteChain => "cert.incomplete_chain", ServerCert, Error;
    /// The chain is sent out of order or with unrelated certificates.
    CertChainOrder => "cert.chain_order", ServerCert, Warning;
    /// The certificate is revoked.
    CertRevoked => "cert.revoked", ServerCert, Error;
    /// The key is below current guidance (RSA < 2048 bits).
    CertWeakKey => "cert.weak_key", ServerCert, Warning;
    /// SHA-1 or MD5 signature on a non-root certificate.
    CertWeakSignature => "cert.weak_signature", ServerCert, Warning;
    /// Key usage / extended key usage does not allow this purpose.
    CertWrongUsage => "cert.wrong_usage", ServerCert, Error;
    /// The server requires a client certificate and none was sent.
    ClientCertRequired => "client_cert.required", ClientCert, Error;
    /// The server rejected the client certificate (reason not known more precisely).
    ClientCertRejected => "client_cert.rejected", ClientCert, Error;
    /// The client certificate has expired.
    ClientCertExpired => "client_cert.expired", ClientCert, Error;
    /// The client certificate is not valid yet.
    ClientCertNotYetValid => "client_cert.not_yet_valid", ClientCert, Error;
    /// The client certificate does not chain to a CA the server trusts.
    ClientCertUntrusted => "client_cert.untrusted", ClientCert, Error;
    /// The client certificate is revoked.
    ClientCertRevoked => "client_cert.revoked", ClientCert, Error;
    /// The client certificate's key usage / EKU does not allow client authentication.
    ClientCertWrongUsage => "client_cert.wrong_usage", ClientCert, Error;
    /// A valid certificate whose identity the route does not allow.
    ClientCertNotAllowed => "client_cert.not_allowed", ClientCert, Error;
    /// The certificate and private key given to the client do not belong together.
    ClientCertKeyMismatch => "client_cert.key_mismatch", Local, Error;
    /// Plain HTTP sent to a TLS port.
    HttpPlainToTls => "http.plain_to_tls", Http, Error;
    /// The gateway could not reach its upstream.
    UpstreamUnavailable => "upstream.unavailable", Upstream, Error;
    /// The upstream did not answer in time.
    UpstreamTimeout => "upstream.timeout", Upstream, Error;
    /// The certificate expires within the warning window (inventory `--warn-days`).
    CertExpiringSoon => "cert.expiring_soon", ServerCert, Warning;
    /// The same key pair is used by more than one certificate.
    CertKeyReused => "cert.key_reused", ServerCert, Warning;
    /// A private key file can be read or changed by users other than its owner (and group).
    KeyPermissionsTooOpen => "key.permissions_too_open", Local, Warning;
    /// The client refused the server's certificate without saying precisely why.
    CertRejected => "cert.rejected", ServerCert, Error;
    /// The handshake did not finish and no alert says why.
    HandshakeIncomplete => "handshake.incomplete", Handshake, Warning;
    /// The server still accepts TLS 1.0/1.1 or SSLv3 beside modern versions.
    HandshakeLegacyVersion => "handshake.legacy_version", Handshake, Warning;
    /// The server accepts weak cipher suites (RC4, 3DES, export, NULL, anonymous).
    HandshakeWeakCipher => "handshake.weak_cipher", Handshake, Warning;
    /// The gateway could not learn the client certificate's revocation status (OCSP) and its
    /// policy is fail-closed.
    ClientCertRevocationUnknown => "client_cert.revocation_unknown", ClientCert, Error;
}

/// Where a problem sits. Verdict precedence follows this order (DESIGN.md §2): transport →
/// handshake → server certificate → client certificate → HTTP. `Local` problems (the caller's own
/// files) come first of all because nothing else can be trusted until they are fixed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Area {
    Local,
    Transport,
    Handshake,
    ServerCert,
    ClientCert,
    Http,
    Upstream,
    /// `ok`: no problem at all.
    None,
}

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

/// The client ecosystems the knowledge base has specific fixes for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ecosystem {
    Curl,
    Openssl,
    PythonRequests,
    Node,
    Java,
    Go,
    PhpCurl,
    Dotnet,
    Rustls,
    Nginx,
}

impl Ecosystem {
    /// Every ecosystem, in display order.
    pub const ALL: &'static [Ecosystem] = &[
        Ecosystem::Curl,
        Ecosystem::Openssl,
        Ecosystem::PythonRequests,
        Ecosystem::Node,
        Ecosystem::Java,
        Ecosystem::Go,
        Ecosystem::PhpCurl,
        Ecosystem::Dotnet,
        Ecosystem::Rustls,
        Ecosystem::Nginx,
    ];

    /// The client ecosystems (everything but the nginx server configuration).
    pub const CLIENTS: &'static [Ecosystem] = &[
        Ecosystem::Curl,
        Ecosystem::Openssl,
        Ecosystem::PythonRequests,
        Ecosystem::Node,
        Ecosystem::Java,
        Ecosystem::Go,
        Ecosystem::PhpCurl,
        Ecosystem::Dotnet,
        Ecosystem::Rustls,
    ];

    /// Looks an ecosystem up by its identifier (`python_requests`).
    pub fn from_id(id: &str) -> Option<Self> {
        Ecosystem::ALL.iter().copied().find(|e| e.as_str() == id)
    }

    /// Stable identifier used in JSON and on the command line.
    pub const fn as_str(self) -> &'static str {
        match self {
            Ecosystem::Curl => "curl",
            Ecosystem::Openssl => "openssl",
            Ecosystem::PythonRequests => "python_requests",
            Ecosystem::Node => "node",
            Ecosystem::Java => "java",
            Ecosystem::Go => "go",
            Ecosystem::PhpCurl => "php_curl",
            Ecosystem::Dotnet => "dotnet",
            Ecosystem::Rustls => "rustls",
            Ecosystem::Nginx => "nginx",
        }
    }

    /// A human label ("Python requests").
    pub const fn label(self) -> &'static str {
        match self {
            Ecosystem::Curl => "curl",
            Ecosystem::Openssl => "OpenSSL",
            Ecosystem::PythonRequests => "Python requests",
            Ecosystem::Node => "Node.js / axios",
            Ecosystem::Java => "Java",
            Ecosystem::Go => "Go",
            Ecosystem::PhpCurl => "PHP cURL",
            Ecosystem::Dotnet => ".NET",
            Ecosystem::Rustls => "rustls",
            Ecosystem::Nginx => "nginx (server config)",
        }
    }
}

impl Code {
    /// Title, explanation and fixes for this code.
    pub fn knowledge(self) -> &'static Knowledge {
        kb::knowledge(self)
    }

    /// Short human title, e.g. "Client certificate required".
    pub fn title(self) -> &'static str {
        self.knowledge().title
    }

    /// The generic fix.
    pub fn fix(self) -> &'static str {
        self.knowledge().fix
    }

    /// The ecosystems whose users can act on this code, so that the knowledge base owes each of
    /// them a specific fix: nobody for `ok`, the server operator (nginx) for upstream problems,
    /// everybody otherwise (local files such as keys exist on clients and servers alike).
    pub fn applies_to(self) -> &'static [Ecosystem] {
        match self.area() {
            Area::None => &[],
            Area::Upstream => &[Ecosystem::Nginx],
            _ => Ecosystem::ALL,
        }
    }

    /// The ecosystems that have a specific fix in the knowledge base, in display order. Empty for
    /// a code with only a generic entry; otherwise equal to [`Code::applies_to`] (tested).
    pub fn fixed_by(self) -> Vec<Ecosystem> {
        let fixes = self.knowledge().fixes;
        Ecosystem::ALL
            .iter()
            .copied()
            .filter(|e| fixes.iter().any(|(x, _)| x == e))
            .collect()
    }

    /// The fix for one ecosystem, falling back to the generic one.
    pub fn fix_for(self, eco: Ecosystem) -> &'static str {
        self.knowledge()
            .fixes
            .iter()
            .find(|(e, _)| *e == eco)
            .map(|(_, f)| *f)
            .unwrap_or(self.knowledge().fix)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that is not one of the codes.
#[derive(Debug, thiserror::Error)]
#[error("unknown reason code {0:?}")]
pub struct UnknownCode(pub String);

impl FromStr for Code {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Code::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| UnknownCode(s.to_string()))
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Code {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_through_its_string() {
        for &c in Code::ALL {
            assert_eq!(c.as_str().parse::<Code>().unwrap(), c);
        }
        assert!("cert.nope".parse::<Code>().is_err());
    }

    #[test]
    fn every_code_has_title_explanation_and_fix() {
        for &c in Code::ALL {
            let k = c.knowledge();
            assert!(!k.title.is_empty(), "{c} has no title");
            assert!(!k.explanation.is_empty(), "{c} has no explanation");
            assert!(!k.fix.is_empty(), "{c} has no fix");
        }
    }

    /// The codes of DESIGN.md §2: each must carry a specific fix for every ecosystem it applies
    /// to. Codes added later may start with a generic entry only (no per-ecosystem fixes).
    const DESIGN_CODES: &[&str] = &[
        "ok",
        "dns.resolution_failed",
        "tcp.connection_refused",
        "tcp.timeout",
        "handshake.not_tls",
        "handshake.protocol_version",
        "handshake.no_shared_cipher",
        "handshake.alert",
        "cert.expired",
        "cert.not_yet_valid",
        "cert.hostname_mismatch",
        "cert.self_signed",
        "cert.untrusted_root",
        "cert.incomplete_chain",
        "cert.chain_order",
        "cert.revoked",
        "cert.weak_key",
        "cert.weak_signature",
        "cert.wrong_usage",
        "client_cert.required",
        "client_cert.rejected",
        "client_cert.expired",
        "client_cert.not_yet_valid",
        "client_cert.untrusted",
        "client_cert.revoked",
        "client_cert.wrong_usage",
        "client_cert.not_allowed",
        "client_cert.key_mismatch",
        "http.plain_to_tls",
        "upstream.unavailable",
        "upstream.timeout",
    ];

    #[test]
    fn every_design_code_is_in_the_catalogue() {
        for s in DESIGN_CODES {
            assert!(
                s.parse::<Code>().is_ok(),
                "DESIGN.md §2 code {s} is missing"
            );
        }
    }

    #[test]
    fn every_code_has_a_specific_fix_for_every_ecosystem_it_applies_to() {
        let mut generic_only = Vec::new();
        for &c in Code::ALL {
            let k = c.knowledge();
            for (e, f) in k.fixes {
                assert!(!f.trim().is_empty(), "{c}: empty fix for {}", e.as_str());
                assert!(
                    c.applies_to().contains(e),
                    "{c}: fix for {} which it does not apply to",
                    e.as_str()
                );
                assert_eq!(
                    k.fixes.iter().filter(|(x, _)| x == e).count(),
                    1,
                    "{c}: two fixes for {}",
                    e.as_str()
                );
            }
            let by = c.fixed_by();
            if by.is_empty() && !c.applies_to().is_empty() {
                assert!(
                    !DESIGN_CODES.contains(&c.as_str()),
                    "{c} (a DESIGN.md §2 code) has no per-ecosystem fixes"
                );
                generic_only.push(c.as_str());
                continue;
            }
            assert_eq!(
                by,
                c.applies_to(),
                "{c}: per-ecosystem fixes must cover exactly {:?}",
                c.applies_to()
            );
            for &e in c.applies_to() {
                assert_ne!(
                    c.fix_for(e),
                    k.fix,
                    "{c}: fix for {} repeats the generic fix",
                    e.as_str()
                );
            }
        }
        // Visible in `cargo test -- --nocapture`: codes that still rely on the generic fix.
        eprintln!("codes with a generic fix only: {generic_only:?}");
    }

    #[test]
    fn codes_are_lowercase_area_dot_name() {
        for &c in Code::ALL {
            let s = c.as_str();
            assert!(s == "ok" || s.split_once('.').is_some(), "{s}");
            assert_eq!(s, s.to_lowercase());
        }
    }
}
