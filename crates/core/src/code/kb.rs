//! The knowledge base: for each code, its title, a plain-words explanation, the generic fix and
//! the fix per client ecosystem. Renderers (HTTP bodies, CLI text, JSON, logs) take their wording
//! from here and nowhere else.

use super::{Code, Ecosystem};

/// What certgate knows about one reason code.
#[derive(Debug)]
pub struct Knowledge {
    /// Short title ("Client certificate required").
    pub title: &'static str,
    /// One paragraph: what happened, in plain words.
    pub explanation: &'static str,
    /// The generic fix.
    pub fix: &'static str,
    /// Fixes specific to a client ecosystem; the generic fix applies where one is missing.
    pub fixes: &'static [(Ecosystem, &'static str)],
}

const fn k(title: &'static str, explanation: &'static str, fix: &'static str) -> Knowledge {
    Knowledge {
        title,
        explanation,
        fix,
        fixes: &[],
    }
}

pub(super) fn knowledge(code: Code) -> &'static Knowledge {
    use Code::*;
    static OK: Knowledge = k(
        "No problem",
        "The connection and the certificates are fine.",
        "Nothing to fix.",
    );
    static DNS: Knowledge = k(
        "Host name does not resolve",
        "The host name could not be resolved to an address, so no connection was attempted.",
        "Check the spelling of the host name and the DNS configuration (resolv.conf, /etc/hosts, split-horizon DNS).",
    );
    static REFUSED: Knowledge = k(
        "Connection refused",
        "The host answered, but nothing listens on that port.",
        "Check the port, that the service is running, and any firewall between you and it.",
    );
    static TIMEOUT: Knowledge = k(
        "No answer",
        "The connection or the handshake got no answer within the time limit.",
        "Check that the host is reachable, that a firewall does not drop the traffic, and that the service is not overloaded.",
    );
    static NOT_TLS: Knowledge = k(
        "Peer does not speak TLS",
        "The peer answered with something that is not TLS, for example plain HTTP.",
        "Use http:// for a plain-text port, or connect to the TLS port of the service.",
    );
    static VERSION: Knowledge = k(
        "No TLS version in common",
        "Client and server share no protocol version; typically the server only speaks TLS 1.0/1.1, which modern clients refuse.",
        "Enable TLS 1.2 and 1.3 on the server. Re-enabling TLS 1.0/1.1 in the client is a last resort.",
    );
    static CIPHER: Knowledge = k(
        "No cipher suite in common",
        "Client and server share no cipher suite, so the handshake cannot proceed.",
        "Enable modern AEAD suites (ECDHE with AES-GCM or ChaCha20-Poly1305) on the server.",
    );
    static ALERT: Knowledge = k(
        "Handshake aborted by an alert",
        "The peer ended the handshake with a TLS alert that no finer code explains.",
        "Read the alert name in the detail and the peer's logs; the peer says why it aborted.",
    );
    static EXPIRED: Knowledge = k(
        "Server certificate expired",
        "The server's certificate is past its notAfter date, so clients refuse it.",
        "Renew the server certificate and reload the server; set up automated renewal and expiry monitoring.",
    );
    static NOT_YET: Knowledge = k(
        "Server certificate not yet valid",
        "The server's certificate has a notBefore date in the future, or the client's clock is behind.",
        "Check the clock of the client and of the machine that issued the certificate; reissue with a correct notBefore.",
    );
    static HOST: Knowledge = k(
        "Host name does not match the certificate",
        "None of the certificate's subjectAltNames matches the name the client asked for. The Common Name is ignored by modern clients.",
        "Use a host name the certificate lists, or reissue the certificate with the name as a DNS (or IP) subjectAltName.",
    );
    static SELF_SIGNED: Knowledge = k(
        "Self-signed server certificate",
        "The server presents a certificate signed by itself, which the client does not trust.",
        "Use a certificate from a CA the clients trust, or give the clients this certificate as a trust anchor.",
    );
    static UNTRUSTED: Knowledge = k(
        "Untrusted root CA",
        "The chain ends at a CA that is not in the client's trust store.",
        "Add the issuing root CA to the client's trust store (or pass it explicitly), or use a certificate from a CA the clients trust.",
    );
    static INCOMPLETE: Knowledge = k(
        "Incomplete chain (missing intermediate)",
        "The server sends its leaf certificate without the intermediate CA certificate(s) needed to reach a trusted root.",
        "Configure the server with the full chain: leaf first, then each intermediate (not the root).",
    );
    static ORDER: Knowledge = k(
        "Chain out of order",
        "The server sends its chain in the wrong order or with unrelated certificates; strict clients refuse it.",
        "Send leaf first, then each issuer in turn; remove unrelated certificates from the chain file.",
    );
    static REVOKED: Knowledge = k(
        "Certificate revoked",
        "The certificate was revoked by its issuer (listed in a CRL or marked revoked by OCSP).",
        "Issue and install a new certificate; find out why the old one was revoked.",
    );
    static WEAK_KEY: Knowledge = k(
        "Weak key",
        "The certificate's key is below current guidance (for example RSA shorter than 2048 bits); many clients refuse it.",
        "Reissue the certificate with an ECDSA P-256 or RSA 2048+ key.",
    );
    static WEAK_SIG: Knowledge = k(
        "Weak signature algorithm",
        "A certificate in the chain is signed with SHA-1 or MD5, which clients no longer accept.",
        "Reissue the certificate with a SHA-256 (or stronger) signature.",
    );
    static USAGE: Knowledge = k(
        "Certificate not valid for this purpose",
        "The certificate's key usage or extended key usage does not allow this purpose (for example a client certificate used as a server certificate).",
        "Reissue the certificate with the right extended key usage (serverAuth for servers, clientAuth for clients).",
    );
    static CC_REQUIRED: Knowledge = k(
        "Client certificate required",
        "The server requires a client certificate (mutual TLS) and the client did not send one.",
        "Send a client certificate and its private key, issued by a CA the server accepts.",
    );
    static CC_REJECTED: Knowledge = k(
        "Client certificate rejected",
        "The server received the client certificate and refused it without saying precisely why.",
        "Check that the certificate is current, issued by a CA the server trusts (send the intermediates too), and meant for client authentication.",
    );
    static CC_EXPIRED: Knowledge = k(
        "Client certificate expired",
        "The client certificate is past its notAfter date.",
        "Renew the client certificate and configure the client with the new one.",
    );
    static CC_NOT_YET: Knowledge = k(
        "Client certificate not yet valid",
        "The client certificate's notBefore is in the future, or the server's clock is behind.",
        "Check clocks; reissue the client certificate with a correct notBefore.",
    );
    static CC_UNTRUSTED: Knowledge = k(
        "Client certificate from an untrusted CA",
        "The client certificate does not chain to a CA the server accepts for this route, or the client did not send the intermediate.",
        "Use a client certificate issued by one of the accepted CAs, and send the intermediate certificates with it.",
    );
    static CC_REVOKED: Knowledge = k(
        "Client certificate revoked",
        "The client certificate is listed as revoked by its issuer.",
        "Get a new client certificate from your CA.",
    );
    static CC_USAGE: Knowledge = k(
        "Client certificate not valid for client authentication",
        "The client certificate's key usage or extended key usage does not allow client authentication.",
        "Reissue the client certificate with extended key usage clientAuth.",
    );
    static CC_NOT_ALLOWED: Knowledge = k(
        "Client identity not allowed",
        "The client certificate is valid, but the identity it names is not on this route's allow-list.",
        "Ask the API operator to allow your identity, or use the certificate issued for this API.",
    );
    static CC_KEY_MISMATCH: Knowledge = k(
        "Client certificate and key do not match",
        "The private key given to the client does not belong to the client certificate, so the client cannot prove possession.",
        "Pair the certificate with the key it was issued for (compare their public keys).",
    );
    static PLAIN: Knowledge = k(
        "Plain HTTP sent to a TLS port",
        "The client spoke plain HTTP to a port that expects TLS.",
        "Use https:// in the URL.",
    );
    static UP_DOWN: Knowledge = k(
        "Upstream unavailable",
        "The gateway could not connect to the upstream service.",
        "Check that the upstream service is running and reachable from the gateway.",
    );
    static UP_SLOW: Knowledge = k(
        "Upstream timed out",
        "The upstream service did not answer within the gateway's time limit.",
        "Check the upstream service's health and load, or raise the gateway's upstream timeout.",
    );
    static EXPIRING: Knowledge = k(
        "Certificate expires soon",
        "The certificate is still valid but its notAfter date falls inside the warning window; when it passes, clients will refuse it and the service goes down.",
        "Renew the certificate now and reload the service that uses it; automate renewal (ACME, cert-manager) and keep expiry monitoring on.",
    );
    static KEY_REUSED: Knowledge = k(
        "Key reused across certificates",
        "Several different certificates carry the same public key, so one leaked private key compromises all of them and renewing a certificate does not rotate its key.",
        "Generate a fresh key pair for each certificate and for each renewal (certbot: --reuse-key off; cert-manager: rotationPolicy: Always).",
    );
    static KEY_OPEN: Knowledge = k(
        "Private key file permissions too open",
        "A private key file can be read or written by users other than its owner and its group, so any local account or process may copy the key.",
        "Restrict the file: chmod 600 (or 640 with a dedicated group such as ssl-cert) and make it owned by the service account; then consider the key exposed and rotate it.",
    );
    static LEGACY_VERSION: Knowledge = k(
        "Legacy TLS versions enabled",
        "Besides TLS 1.2/1.3 the server still accepts TLS 1.0, TLS 1.1 or SSLv3, which are deprecated (RFC 8996) and refused by current clients; they only widen the attack surface.",
        "Disable TLS 1.0/1.1 and SSLv3 on the server (nginx: `ssl_protocols TLSv1.2 TLSv1.3;`).",
    );
    static WEAK_CIPHER: Knowledge = k(
        "Weak cipher suites enabled",
        "The server accepts cipher suites that are broken or below current guidance (RC4, DES/3DES, export-grade, NULL or anonymous suites).",
        "Remove them from the server's cipher list; keep ECDHE with AES-GCM or ChaCha20-Poly1305 (nginx: `ssl_ciphers HIGH:!aNULL:!MD5:!3DES:!RC4;`).",
    );
    match code {
        Ok => &OK,
        DnsResolutionFailed => &DNS,
        TcpConnectionRefused => &REFUSED,
        TcpTimeout => &TIMEOUT,
        HandshakeNotTls => &NOT_TLS,
        HandshakeProtocolVersion => &VERSION,
        HandshakeNoSharedCipher => &CIPHER,
        HandshakeAlert => &ALERT,
        CertExpired => &EXPIRED,
        CertNotYetValid => &NOT_YET,
        CertHostnameMismatch => &HOST,
        CertSelfSigned => &SELF_SIGNED,
        CertUntrustedRoot => &UNTRUSTED,
        CertIncompleteChain => &INCOMPLETE,
        CertChainOrder => &ORDER,
        CertRevoked => &REVOKED,
        CertWeakKey => &WEAK_KEY,
        CertWeakSignature => &WEAK_SIG,
        CertWrongUsage => &USAGE,
        ClientCertRequired => &CC_REQUIRED,
        ClientCertRejected => &CC_REJECTED,
        ClientCertExpired => &CC_EXPIRED,
        ClientCertNotYetValid => &CC_NOT_YET,
        ClientCertUntrusted => &CC_UNTRUSTED,
        ClientCertRevoked => &CC_REVOKED,
        ClientCertWrongUsage => &CC_USAGE,
        ClientCertNotAllowed => &CC_NOT_ALLOWED,
        ClientCertKeyMismatch => &CC_KEY_MISMATCH,
        HttpPlainToTls => &PLAIN,
        UpstreamUnavailable => &UP_DOWN,
        UpstreamTimeout => &UP_SLOW,
        CertExpiringSoon => &EXPIRING,
        CertKeyReused => &KEY_REUSED,
        KeyPermissionsTooOpen => &KEY_OPEN,
        HandshakeLegacyVersion => &LEGACY_VERSION,
        HandshakeWeakCipher => &WEAK_CIPHER,
    }
}
