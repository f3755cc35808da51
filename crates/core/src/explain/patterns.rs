//! The fixed message patterns, grouped by reason code: one place per code. Each is a regex over
//! one line, the ecosystem whose wording it is (when it is specific to one), a weight (a more
//! specific message beats a vaguer one on the same line) and an optional note for the reader.
//!
//! Wording sources: strings captured from real clients by `tests/explain/regen.sh` (curl 7.88,
//! OpenSSL 3.0, Python 3 requests/urllib3, Node 20, PHP 8.2 cURL, Java 17, nginx 1.22), and for
//! clients that cannot run here the message tables in their source:
//! - Go: golang/go `src/crypto/x509/verify.go` (`certificate signed by unknown authority`,
//!   `certificate has expired or is not yet valid`, `certificate is valid for %s, not %s`,
//!   `certificate specifies an incompatible key usage`, `certificate relies on legacy Common Name
//!   field`), `src/crypto/tls/conn.go` / `handshake_client.go` (`first record does not look like a
//!   TLS handshake`, `server selected unsupported protocol version`), `src/net/http/transport.go`
//!   (`server gave HTTP response to HTTPS client`), `src/crypto/tls/tls.go` (`private key does not
//!   match public key`).
//! - .NET: dotnet/runtime `src/libraries/System.Net.Security/src/Resources/Strings.resx`
//!   (`net_ssl_io_cert_validation` "The remote certificate is invalid according to the validation
//!   procedure: {SslPolicyErrors}", `net_ssl_io_cert_chain_validation` "... because of errors in the
//!   certificate chain: {X509ChainStatusFlags}", `net_auth_tls_alert` "Authentication failed because
//!   the remote party sent a TLS alert: '{TlsAlertMessage}'").
//! - rustls: rustls/rustls `rustls/src/error.rs` (`invalid peer certificate: ...`,
//!   `received fatal alert: ...`, `peer sent no certificates`, `received corrupt message of type
//!   InvalidContentType`, `peer is incompatible: ...`), also exercised live by certgate's tests.

use crate::code::Code;
use crate::code::Ecosystem::{self, *};
use Code::*;

/// One fixed pattern.
pub(super) struct Pattern {
    pub code: Code,
    pub re: &'static str,
    pub eco: Option<Ecosystem>,
    pub weight: u8,
    pub note: &'static str,
}

/// Weights: a specific cause (60) beats a generic symptom (30) beats a bare "verify failed" (10).
pub(super) const SPECIFIC: u8 = 60;
const GENERIC: u8 = 30;
const VAGUE: u8 = 10;
/// Lines about a gateway's upstream beat the transport errors they contain.
const UPSTREAM: u8 = 90;

const fn p(code: Code, re: &'static str) -> Pattern {
    Pattern {
        code,
        re,
        eco: None,
        weight: SPECIFIC,
        note: "",
    }
}
const fn pe(code: Code, eco: Ecosystem, re: &'static str) -> Pattern {
    Pattern {
        code,
        re,
        eco: Some(eco),
        weight: SPECIFIC,
        note: "",
    }
}
const fn pw(code: Code, weight: u8, re: &'static str, note: &'static str) -> Pattern {
    Pattern {
        code,
        re,
        eco: None,
        weight,
        note,
    }
}

pub(super) static PATTERNS: &[Pattern] = &[
    // dns.resolution_failed
    pe(DnsResolutionFailed, Curl, r"Could not resolve host"),
    p(DnsResolutionFailed, r"(?i)Name or service not known|nodename nor servname provided|Temporary failure in name resolution|No address associated with hostname"),
    pe(DnsResolutionFailed, Node, r"\b(?:ENOTFOUND|EAI_AGAIN)\b"),
    pe(DnsResolutionFailed, Go, r"lookup \S+(?: on \S+)?: no such host"),
    pe(DnsResolutionFailed, Java, r"java\.net\.UnknownHostException|UnresolvedAddressException"),
    pe(DnsResolutionFailed, Dotnet, r"No such host is known"),
    pe(DnsResolutionFailed, PythonRequests, r"NameResolutionError|Failed to resolve '"),
    pe(DnsResolutionFailed, Nginx, r"could not be resolved \(\d+: "),
    // tcp.connection_refused
    pw(TcpConnectionRefused, GENERIC, r"(?i)connection refused|\bECONNREFUSED\b|connect:errno=111", ""),
    // tcp.timeout
    pw(TcpTimeout, GENERIC, r"(?i)connection timed out|operation timed out|\bETIMEDOUT\b|i/o timeout|connect timed out|read timed out|ConnectTimeout(?:Error)?\b|context deadline exceeded", ""),
    pe(TcpTimeout, Curl, r"curl: \(28\)"),
    Pattern { code: TcpConnectionRefused, re: r"curl: \(7\)|cURL error 7\b|Couldn't connect to server", eco: None, weight: GENERIC, note: "" },
    Pattern { code: TcpConnectionRefused, re: r"java\.net\.ConnectException", eco: Some(Java), weight: GENERIC - 5, note: "Java could not open the connection (HttpClient hides the reason behind ClosedChannelException; usually nothing listens on the port)." },
    pw(TcpTimeout, GENERIC, r"deadline has elapsed|\bABORT_ERR\b|The operation was aborted|TimeoutError", "The request was abandoned after waiting (a timeout or an abort signal): the peer accepted the connection but never answered."),
    pe(TcpTimeout, PhpCurl, r"cURL error 28\b"),
    // handshake.not_tls
    p(HandshakeNotTls, r"(?i)wrong[ _]version[ _]number|packet length too long"),
    pe(HandshakeNotTls, Java, r"Unsupported or unrecognized SSL message|Unrecognized SSL message, plaintext connection\?"),
    pe(HandshakeNotTls, Go, r"first record does not look like a TLS handshake|server gave HTTP response to HTTPS client"),
    pe(HandshakeNotTls, Rustls, r"received corrupt message of type InvalidContentType|InvalidMessage\(InvalidContentType\)"),
    pe(HandshakeNotTls, Dotnet, r"The handshake failed due to an unexpected packet format"),
    // http.plain_to_tls (the server's view of the same mistake)
    pe(HttpPlainToTls, Nginx, r"The plain HTTP request was sent to HTTPS port|client sent plain HTTP request to HTTPS port"),
    p(HttpPlainToTls, r"\b497 HTTP Request Sent to HTTPS Port|HTTP Request Sent to HTTPS Port"),
    p(HttpPlainToTls, r"SSL routines[^ ]*:+http request\b|\[SSL: HTTP_REQUEST\]|client sent an HTTP request to an HTTPS server"),
    // handshake.protocol_version
    p(HandshakeProtocolVersion, r"(?i)unsupported[ _]protocol\b|no protocols available|UNSUPPORTED_PROTOCOL|version too low|tlsv1 alert protocol version"),
    pw(HandshakeProtocolVersion, SPECIFIC, r"(?i)legacy sigalg disallowed or unsupported|LEGACY_SIGALG_DISALLOWED_OR_UNSUPPORTED", "The server signed its key exchange the TLS 1.0/1.1 way (MD5/SHA-1), which OpenSSL 3 refuses: the server only speaks a legacy TLS version."),
    pe(HandshakeProtocolVersion, Java, r"No appropriate protocol \(protocol is disabled or cipher suites are inappropriate\)|The server selected protocol version \S+ is not accepted"),
    pe(HandshakeProtocolVersion, Go, r"server selected unsupported protocol version|no supported versions satisfy MinVersion and MaxVersion|client offered only unsupported versions"),
    pe(HandshakeProtocolVersion, Rustls, r"peer is incompatible: \w*(?:Version|Tls1[23])\w*|peer is incompatible: SupportedVersionsExtensionRequired"),
    // handshake.no_shared_cipher
    p(HandshakeNoSharedCipher, r"(?i)no[ _]shared[ _]cipher|no ciphers available|no cipher suite supported by both client and server|NoCipherSuitesInCommon|insufficient[ _]security|no suitable signature algorithm|NO_SUITABLE_SIGNATURE_ALGORITHM|no shared signature algorithms"),
    // handshake.alert / handshake.incomplete (aborts with and without an alert; named alerts
    // are handled in alerts.rs)
    pe(HandshakeIncomplete, Java, r"Remote host terminated the handshake|Remote host closed connection during handshake"),
    pw(HandshakeIncomplete, GENERIC, r"(?i)unexpected eof while reading|UNEXPECTED_EOF_WHILE_READING|EOF occurred in violation of protocol|Client network socket disconnected before secure TLS connection was established|Received an unexpected EOF or 0 bytes from the transport stream|remote party has closed the transport stream|peer closed connection in SSL handshake", "The peer closed the connection during the handshake without an alert; servers that require a client certificate sometimes do this. Run `certgate doctor URL`."),
    pw(HandshakeIncomplete, VAGUE, r"(?i)\bECONNRESET\b|connection reset by peer", "The peer reset the connection; during a TLS handshake this usually means it refused something (version, certificate). Run `certgate doctor URL`."),
    // cert.expired
    p(CertExpired, r"(?i)certificate has expired|\bCERT_HAS_EXPIRED\b"),
    pe(CertExpired, Java, r"CertificateExpiredException|NotAfter: "),
    pw(CertExpired, GENERIC, r"validity check failed", "Java's PKIX `validity check failed`: a certificate in the chain is outside its validity period (expired, or not yet valid)."),
    pe(CertExpired, Go, r"x509: certificate has expired or is not yet valid: current time \S+ is after"),
    pe(CertExpired, Rustls, r"invalid peer certificate: (?:Expired\b|certificate expired)"),
    pw(CertExpired, GENERIC, r"\bNotTimeValid\b", ".NET's NotTimeValid: a certificate is outside its validity period (usually expired)."),
    // cert.not_yet_valid
    p(CertNotYetValid, r"(?i)certificate is not yet valid|\bCERT_NOT_YET_VALID\b"),
    pe(CertNotYetValid, Java, r"CertificateNotYetValidException|NotBefore: "),
    pe(CertNotYetValid, Go, r"x509: certificate has expired or is not yet valid: current time \S+ is before"),
    pe(CertNotYetValid, Rustls, r"invalid peer certificate: (?:NotValidYet\b|certificate not valid yet)"),
    // cert.hostname_mismatch
    pe(CertHostnameMismatch, Curl, r"no alternative certificate subject name matches target host name|subjectAltName does not match|certificate subject name '.*' does not match target host name"),
    pe(CertHostnameMismatch, Node, r"ERR_TLS_CERT_ALTNAME_INVALID|Hostname/IP does not match certificate's altnames"),
    pe(CertHostnameMismatch, PythonRequests, r"Hostname mismatch, certificate is not valid for|IP address mismatch, certificate is not valid for|doesn't match either of|hostname '.*' doesn't match"),
    p(CertHostnameMismatch, r"(?i)\bhostname mismatch\b|\bIP address mismatch\b|\bHOSTNAME_MISMATCH\b|\bIP_ADDRESS_MISMATCH\b"),
    pe(CertHostnameMismatch, Java, r"No subject alternative (?:DNS )?names? (?:present|matching)|No name matching \S+ found"),
    pe(CertHostnameMismatch, Go, r"x509: certificate is valid for .*, not |x509: certificate is not valid for any names|because it doesn't contain any IP SANs|certificate relies on legacy Common Name field"),
    pe(CertHostnameMismatch, Dotnet, r"RemoteCertificateNameMismatch"),
    pe(CertHostnameMismatch, Rustls, r"invalid peer certificate: (?:NotValidForName\b|certificate not valid for name)"),
    // cert.self_signed (the "in certificate chain" variant is an untrusted root, weighted higher)
    p(CertSelfSigned, r"(?i)self[- _]signed[ _]certificate|\bDEPTH_ZERO_SELF_SIGNED_CERT\b"),
    // cert.untrusted_root
    pw(CertUntrustedRoot, SPECIFIC + 5, r"(?i)self[- _]signed certificate in certificate chain|\bSELF_SIGNED_CERT_IN_CHAIN\b", ""),
    pw(CertUntrustedRoot, SPECIFIC, r"PKIX path building failed|unable to find valid certification path to requested target", "Java says this whenever it cannot build a path to a trusted root: an untrusted or self-signed CA, or a missing intermediate (cert.incomplete_chain). `certgate doctor URL` tells which."),
    pe(CertUntrustedRoot, Go, r"x509: certificate signed by unknown authority"),
    pw(CertUntrustedRoot, SPECIFIC, r"invalid peer certificate: UnknownIssuer\b", "webpki says UnknownIssuer for an untrusted or self-signed CA and for a missing intermediate (cert.incomplete_chain) alike; `certgate doctor URL` tells which."),
    pw(CertWeakKey, SPECIFIC, r"invalid peer certificate: BadSignature\b", "webpki reports a signature made with a key it does not accept (RSA below 2048 bits) as BadSignature; a tampered certificate would say the same."),
    pe(CertUntrustedRoot, Dotnet, r"certificate chain: UntrustedRoot|\bUntrustedRoot\b"),
    p(CertUntrustedRoot, r"(?i)invalid CA certificate|\bINVALID_CA\b|certificate signature failure|\bCERT_SIGNATURE_FAILURE\b|unable to decrypt certificate's signature|\bCERT_UNTRUSTED\b|certificate not trusted"),
    pw(CertUntrustedRoot, VAGUE, r"(?i)certificate verify failed|CERTIFICATE_VERIFY_FAILED|RemoteCertificateChainErrors|SSL certificate problem", "The message says verification failed but not why; the usual cause is a CA the client does not trust. Run `certgate doctor URL` for the precise reason."),
    // cert.incomplete_chain
    pw(CertIncompleteChain, SPECIFIC + 5, r"(?i)unable to verify the first certificate|\bUNABLE_TO_VERIFY_LEAF_SIGNATURE\b", "The server sent only its leaf certificate and the client cannot find the issuer: almost always a missing intermediate."),
    p(CertIncompleteChain, r"(?i)unable to get issuer certificate\b|\bUNABLE_TO_GET_ISSUER_CERT\b"),
    pw(CertIncompleteChain, SPECIFIC, r"(?i)unable to get local issuer certificate|\bUNABLE_TO_GET_ISSUER_CERT_LOCALLY\b", "OpenSSL says this when the issuer of the last certificate the server sent is not in the client's trust store: a missing intermediate, or a root CA the client does not trust (cert.untrusted_root). A CA file holding both root and intermediate fixes either; `certgate doctor URL` tells which."),
    pe(CertIncompleteChain, Dotnet, r"\bPartialChain\b"),
    // cert.revoked
    p(CertRevoked, r"(?i)certificate revoked|\bCERT_REVOKED\b|Certificate has been revoked|CertificateRevokedException|x509: certificate is revoked"),
    pe(CertRevoked, Rustls, r"invalid peer certificate: Revoked\b"),
    pe(CertRevoked, Dotnet, r"certificate chain: Revoked\b"),
    // cert.weak_key
    p(CertWeakKey, r"(?i)ee key too small|\bEE_KEY_TOO_SMALL\b|EE certificate key too weak|CA certificate key too weak|\bCA_KEY_TOO_SMALL\b|key too small|Algorithm constraints check failed on keysize limits"),
    // cert.weak_signature
    p(CertWeakSignature, r"(?i)ca md too weak|\bCA_MD_TOO_WEAK\b|CA signature digest algorithm too weak|Algorithm constraints check failed on signature algorithm|insecure algorithm (?:SHA1|MD5)|UnsupportedSignatureAlgorithm"),
    // cert.wrong_usage
    p(CertWrongUsage, r"(?i)unsupported certificate purpose|unsuitable certificate purpose|does not allow extended key usage for server authentication|\bINVALID_PURPOSE\b|Extended key usage does not permit use for TLS server authentication|certificate specifies an incompatible key usage|\bNotValidForUsage\b|invalid peer certificate: InvalidPurpose"),
    // client_cert.required
    p(ClientCertRequired, r"(?i)peer did not return a certificate|PEER_DID_NOT_RETURN_A_CERTIFICATE|tls: client didn't provide a certificate|peer sent no certificates|Empty client certificate chain|\b496 SSL Certificate Required|SSL Certificate Required"),
    pe(ClientCertRequired, Nginx, r"client sent no required SSL certificate|No required SSL certificate was sent"),
    // client_cert.expired: curl's wording when the server sends alert certificate_expired (45)
    // while the server's own certificate verified fine (curl lib/vtls/openssl.c treats that alert
    // like a verification failure and, with no verify error to show, prints this).
    Pattern { code: ClientCertExpired, re: r"SSL certificate verification failed", eco: None, weight: SPECIFIC, note: "curl prints this when the server answered with alert certificate_expired (45): the server refused your client certificate as expired (or not yet valid)." },
    // client_cert.rejected
    pe(ClientCertRejected, Nginx, r"The SSL certificate error"),
    Pattern { code: ClientCertRejected, re: r"client SSL certificate verify error", eco: Some(Nginx), weight: GENERIC, note: "nginx refused the client certificate; the `(N:reason)` after it says why." },
    p(ClientCertRejected, r"\b495 SSL Certificate Error|The server has rejected the client credentials"),
    // client_cert.key_mismatch
    p(ClientCertKeyMismatch, r"(?i)key values mismatch|KEY_VALUES_MISMATCH|private key does not match (?:the )?public key|unable to set private key file|KeyMismatch|key does not match the certificate|check private key failed"),
    // upstream.unavailable / upstream.timeout (nginx error log and 502/504 pages)
    Pattern { code: UpstreamUnavailable, re: r"while connecting to upstream|no live upstreams|\b502 Bad Gateway\b", eco: Some(Nginx), weight: UPSTREAM, note: "" },
    Pattern { code: UpstreamTimeout, re: r"upstream timed out|\b504 Gateway Time-?out\b", eco: Some(Nginx), weight: UPSTREAM + 1, note: "" },
];
