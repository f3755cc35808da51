//! The scenario catalogue: every broken endpoint the lab can start, with the reason code a client
//! should see there. The order is part of the contract: with `--port-base P` the scenario at index
//! `i` listens on `P + 1 + i` (`P` itself serves the lab's CRL), so new scenarios go at the END.

use certgate_core::Code;

/// How a scenario's endpoint is served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Serve {
    /// rustls with one of the lab's server certificates, then a tiny HTTP/1.1 answer.
    Tls(ServerCert),
    /// rustls requiring a client certificate in the handshake (rejections end in TLS alerts).
    TlsClientAuth,
    /// An `openssl s_server` child behind a relay on the scenario's port: what rustls refuses
    /// to do (old protocols, NULL ciphers, RSA-1024 keys).
    Openssl(OpensslServer),
    /// Plain HTTP where the client expects TLS.
    PlainHttp,
    /// Accepts the TCP connection and never sends a byte.
    Silent,
    /// Relayed to the lab's in-process certgate gateway (`require` mode, allow-list
    /// CN=lab-client-good, echo upstream), which answers client-certificate problems over HTTP
    /// with 496 / 495 / 403. With `plain_http` the manifest's URL is `http://` on that TLS port,
    /// and the gateway answers 497.
    Gateway { plain_http: bool },
}

/// What an `openssl s_server` child is configured to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpensslServer {
    /// Only TLS 1.0 and 1.1, at security level 0.
    LegacyTls,
    /// TLS 1.2 with only a NULL cipher suite, which no default client enables.
    NoSharedCipher,
    /// An RSA-1024 leaf (aws-lc-rs refuses to sign with keys under 2048 bits).
    WeakKey,
}

/// Which server certificate (and chain as sent) a [`Serve::Tls`] endpoint presents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerCert {
    /// Valid leaf + intermediate.
    Good,
    /// Leaf whose notAfter is in the past.
    Expired,
    /// Leaf whose notBefore is in the future.
    NotYetValid,
    /// Leaf for `wrong.example` only.
    WrongHost,
    /// Leaf with CN=localhost and no subjectAltName.
    CnOnly,
    /// Self-signed leaf.
    SelfSigned,
    /// Leaf + intermediate + root of a CA outside the lab bundle.
    UntrustedRoot,
    /// Leaf without its intermediate.
    MissingIntermediate,
    /// Leaf, then the root, then the intermediate.
    WrongOrder,
    /// Leaf listed in the issuing CA's CRL (published by the lab over HTTP).
    Revoked,
    /// Leaf signed with ECDSA-SHA1 (made with the openssl CLI).
    Sha1,
    /// Leaf whose extended key usage is clientAuth only.
    WrongEku,
}

/// The client credentials a scenario's manifest entry hands to the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientCred {
    /// The scenario is about the server; no client certificate.
    None,
    /// A valid client certificate from the lab's client CA.
    Good,
    /// A client certificate whose notAfter is in the past.
    Expired,
    /// A client certificate from a CA the server does not trust.
    Untrusted,
    /// A client certificate listed in the client CA's CRL.
    Revoked,
    /// A valid client certificate (CN=lab-client-not-allowed) that the gateway's allow-list
    /// does not name.
    NotAllowed,
}

impl ClientCred {
    /// File stem under `DIR/clients/`, or `None`.
    pub fn stem(self) -> Option<&'static str> {
        match self {
            ClientCred::None => None,
            ClientCred::Good => Some("good"),
            ClientCred::Expired => Some("expired"),
            ClientCred::Untrusted => Some("untrusted"),
            ClientCred::Revoked => Some("revoked"),
            ClientCred::NotAllowed => Some("not-allowed"),
        }
    }
}

/// One broken (or good) endpoint.
#[derive(Clone, Copy, Debug)]
pub struct Scenario {
    /// Stable name, used by `--only` and in the manifest.
    pub name: &'static str,
    /// The reason code a diagnosis of this endpoint must name.
    pub expected: Code,
    /// One line for humans.
    pub description: &'static str,
    pub serve: Serve,
    /// The client certificate the manifest hands out for this scenario.
    pub client: ClientCred,
    /// Whether curl (OpenSSL defaults, trusting the lab CA, with the manifest's credentials and
    /// CRL) fails. `false` for the controls and for problems curl tolerates (chain order, CN-only).
    /// For the gateway scenarios, failing means an HTTP error status (`curl --fail` exits 22).
    pub clients_fail: bool,
    /// Whether the client only fails when given the lab's CRL (most clients do not fetch CRLs).
    pub needs_crl: bool,
}

const fn s(
    name: &'static str,
    expected: Code,
    serve: Serve,
    description: &'static str,
) -> Scenario {
    Scenario {
        name,
        expected,
        description,
        serve,
        client: ClientCred::None,
        clients_fail: !matches!(expected, Code::Ok),
        needs_crl: false,
    }
}

const fn with_client(mut sc: Scenario, client: ClientCred) -> Scenario {
    sc.client = client;
    sc
}

use Serve::*;
use ServerCert as C;

/// Every scenario, in port order (append only).
pub const CATALOGUE: &[Scenario] = &[
    s("good", Code::Ok, Tls(C::Good), "a valid certificate chain for localhost: the control, every client succeeds"),
    s("expired", Code::CertExpired, Tls(C::Expired), "the server certificate expired 30 days ago"),
    s("not-yet-valid", Code::CertNotYetValid, Tls(C::NotYetValid), "the server certificate becomes valid in 30 days"),
    s("wrong-host", Code::CertHostnameMismatch, Tls(C::WrongHost), "the certificate is for wrong.example, not localhost"),
    Scenario { clients_fail: false, ..s("cn-only", Code::CertHostnameMismatch, Tls(C::CnOnly), "CN=localhost but no subjectAltName: browsers, Go, rustls and Python requests refuse it; curl, OpenSSL, Node and Java still fall back to the CN") },
    s("self-signed", Code::CertSelfSigned, Tls(C::SelfSigned), "a self-signed leaf certificate"),
    s("untrusted-root", Code::CertUntrustedRoot, Tls(C::UntrustedRoot), "the chain ends at a root that is not in the lab bundle (sent along, like a corporate proxy)"),
    s("missing-intermediate", Code::CertIncompleteChain, Tls(C::MissingIntermediate), "the server sends its leaf without the intermediate CA (the leaf's AIA caIssuers URL says where the intermediate is, as publicly issued leaves do)"),
    Scenario { clients_fail: false, ..s("wrong-order", Code::CertChainOrder, Tls(C::WrongOrder), "the chain is sent as leaf, root, intermediate; most clients repair the order and succeed") },
    Scenario { needs_crl: true, ..s("revoked", Code::CertRevoked, Tls(C::Revoked), "the certificate is listed in its CA's CRL (the manifest's crl file, also served over HTTP); clients that do not check CRLs succeed") },
    s("weak-key", Code::CertWeakKey, Openssl(OpensslServer::WeakKey), "an RSA-1024 server key, refused at OpenSSL security level 2"),
    s("sha1-signature", Code::CertWeakSignature, Tls(C::Sha1), "the server certificate is signed with ECDSA-SHA1"),
    s("wrong-eku", Code::CertWrongUsage, Tls(C::WrongEku), "the certificate's extended key usage is clientAuth only, not serverAuth"),
    s("legacy-tls", Code::HandshakeProtocolVersion, Openssl(OpensslServer::LegacyTls), "the server speaks only TLS 1.0 and 1.1 (openssl s_server)"),
    s("no-shared-cipher", Code::HandshakeNoSharedCipher, Openssl(OpensslServer::NoSharedCipher), "the server offers only a NULL cipher suite no client enables (openssl s_server)"),
    s("not-tls", Code::HandshakeNotTls, PlainHttp, "plain HTTP where the client expects TLS (an https:// URL to an http port)"),
    s("silent", Code::TcpTimeout, Silent, "accepts the TCP connection and never answers; clients hang until their timeout"),
    s("mtls-tls-required", Code::ClientCertRequired, TlsClientAuth, "requires a client certificate in the handshake; none is sent, the server answers with a TLS alert"),
    with_client(s("mtls-tls-expired", Code::ClientCertExpired, TlsClientAuth, "requires a client certificate in the handshake; the manifest's certificate is expired (alert certificate_expired)"), ClientCred::Expired),
    with_client(s("mtls-tls-untrusted", Code::ClientCertUntrusted, TlsClientAuth, "requires a client certificate in the handshake; the manifest's certificate is from an unknown CA (alert unknown_ca)"), ClientCred::Untrusted),
    with_client(s("mtls-tls-revoked", Code::ClientCertRevoked, TlsClientAuth, "requires a client certificate in the handshake; the manifest's certificate is revoked (alert certificate_revoked)"), ClientCred::Revoked),
    with_client(s("mtls-tls-good", Code::Ok, TlsClientAuth, "requires a client certificate in the handshake; the manifest's certificate is valid: the mTLS control"), ClientCred::Good),
    s("mtls-http-required", Code::ClientCertRequired, GATEWAY, "the certgate gateway requires a client certificate; none is sent, it answers HTTP 496 SSL Certificate Required"),
    with_client(s("mtls-http-expired", Code::ClientCertExpired, GATEWAY, "the certgate gateway rejects the manifest's expired client certificate with HTTP 495 (code client_cert.expired)"), ClientCred::Expired),
    with_client(s("mtls-http-untrusted", Code::ClientCertUntrusted, GATEWAY, "the certgate gateway rejects the manifest's client certificate from an unknown CA with HTTP 495 (code client_cert.untrusted)"), ClientCred::Untrusted),
    with_client(s("mtls-http-revoked", Code::ClientCertRevoked, GATEWAY, "the certgate gateway rejects the manifest's revoked client certificate (client CA's CRL) with HTTP 495 (code client_cert.revoked)"), ClientCred::Revoked),
    with_client(s("mtls-http-not-allowed", Code::ClientCertNotAllowed, GATEWAY, "the manifest's client certificate is valid, but the gateway route's allow-list (CN=lab-client-good) does not name it: HTTP 403"), ClientCred::NotAllowed),
    s("http-to-tls-port", Code::HttpPlainToTls, Gateway { plain_http: true }, "plain http:// sent to the certgate gateway's TLS port: HTTP 497 HTTP Request Sent to HTTPS Port"),
    with_client(s("mtls-http-good", Code::Ok, GATEWAY, "the certgate gateway accepts the manifest's valid, allowed client certificate and forwards to its echo upstream: the gateway control"), ClientCred::Good),
];

/// A gateway-backed scenario called over https.
const GATEWAY: Serve = Gateway { plain_http: false };

/// The scenario called `name`.
pub fn find(name: &str) -> Option<&'static Scenario> {
    CATALOGUE.iter().find(|s| s.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_kebab_case() {
        let mut seen = std::collections::HashSet::new();
        for sc in CATALOGUE {
            assert!(seen.insert(sc.name), "duplicate {}", sc.name);
            assert!(sc
                .name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
        }
    }

    #[test]
    fn only_the_controls_and_problems_curl_tolerates_let_clients_succeed() {
        for sc in CATALOGUE {
            let tolerated = matches!(
                sc.name,
                "good" | "mtls-tls-good" | "mtls-http-good" | "wrong-order" | "cn-only"
            );
            assert_eq!(sc.clients_fail, !tolerated, "{}", sc.name);
        }
    }
}
