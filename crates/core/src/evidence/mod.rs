//! What was observed about a server, as plain data: how far the connection got, which protocol
//! versions and cipher suites it accepted, what the full handshake showed (chain, client-auth
//! request, ALPN, OCSP), and the HTTP answer. Probes fill these in; `analyse` turns them into
//! findings. Nothing here does I/O.

use crate::code::Code;
use crate::wire::{Alert, CipherSuite, ProtocolVersion};
use serde::Serialize;

/// How far the transport got before TLS.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Reach {
    /// A TCP connection was made to `addr`.
    Connected { addr: String },
    /// The host name did not resolve.
    DnsFailed { detail: String },
    /// The host answered with a reset: nothing listens on the port.
    Refused { addr: String },
    /// No answer within the time limit.
    Timeout { addr: String, millis: u64 },
    /// Another connect error (network unreachable, ...).
    Unreachable { addr: String, detail: String },
}

/// What the server answered to one hand-built ClientHello.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "answer", rename_all = "snake_case")]
pub enum HelloAnswer {
    /// A ServerHello (or a TLS 1.3 HelloRetryRequest) choosing this version and suite.
    Accepted {
        version: ProtocolVersion,
        suite: CipherSuite,
    },
    /// A fatal alert instead of a ServerHello.
    Alert { alert: Alert },
    /// The connection was closed or reset without a TLS answer.
    Closed,
    /// Bytes that are not TLS (e.g. an HTTP response); `preview` is their printable start.
    NotTls { preview: String },
    /// Nothing within the time limit.
    NoAnswer,
}

/// One protocol version probe: the version offered and the answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VersionProbe {
    /// The only version offered.
    pub offered: ProtocolVersion,
    pub answer: HelloAnswer,
}

impl VersionProbe {
    /// True when the server accepted exactly the offered version.
    pub fn accepted(&self) -> bool {
        matches!(self.answer, HelloAnswer::Accepted { version, .. } if version == self.offered)
    }
}

/// The cipher suites a server accepted for one protocol version, in the order it chose them
/// (its preference order when it enforces one).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SuiteSupport {
    pub version: ProtocolVersion,
    pub suites: Vec<CipherSuite>,
}

/// A CertificateRequest: the server asks the client for a certificate.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CertificateRequest {
    /// The acceptable CA names, as text (RFC 4514 style).
    pub ca_names: Vec<String>,
    /// The same names, DER-encoded, for exact comparison with a certificate's issuer.
    #[serde(skip)]
    pub ca_names_der: Vec<Vec<u8>>,
    /// Signature schemes the server accepts for the CertificateVerify.
    pub signature_schemes: Vec<u16>,
}

/// The client certificate certgate offered, or why it offered none.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ClientCert {
    /// A certificate was configured and offered when asked.
    Present {
        subject: String,
        issuer: String,
        /// Issuer name, DER, to compare with the server's acceptable CA names.
        #[serde(skip)]
        issuer_der: Vec<u8>,
        /// The issuer names of the other certificates sent with it (intermediates), DER.
        #[serde(skip)]
        chain_issuers_der: Vec<Vec<u8>>,
        /// Validity window, Unix seconds.
        not_before: i64,
        not_after: i64,
    },
    /// No certificate was offered.
    Absent { why: AbsentReason },
}

/// Why no client certificate was offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AbsentReason {
    /// None was configured (`--cert/--key` not given).
    NotConfigured,
}

/// How the full handshake (a modern TLS 1.2/1.3 client) ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum HandshakeEnd {
    /// The handshake completed (and, for TLS 1.3, the first read did not bring an alert).
    Completed,
    /// The server sent a fatal alert.
    AlertReceived { alert: Alert },
    /// The connection was closed during the handshake.
    Closed,
    /// Nothing within the time limit.
    NoAnswer,
    /// The handshake failed on our side for another reason (text of the TLS library).
    Failed { detail: String },
}

/// What the full handshake showed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Handshake {
    pub end: HandshakeEnd,
    /// Negotiated version and suite, when known.
    pub version: Option<ProtocolVersion>,
    pub suite: Option<CipherSuite>,
    /// Negotiated ALPN protocol.
    pub alpn: Option<String>,
    /// Number of certificates the server sent (the chain itself is analysed separately).
    pub chain_len: usize,
    /// Whether the server stapled an OCSP response.
    pub ocsp_stapled: bool,
    /// The server's CertificateRequest, if it sent one.
    pub certificate_request: Option<CertificateRequest>,
    /// What certgate offered.
    pub client_cert: ClientCert,
}

/// Which software's wording an HTTP error body uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorBodyStyle {
    /// certgate's JSON or HTML body with a `code`.
    Certgate,
    /// nginx's fixed 400/495/496/497 pages.
    Nginx,
    /// Something else.
    Other,
}

/// The answer to one HTTP request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HttpAnswer {
    pub status: u16,
    /// The reason phrase, when the protocol has one.
    pub reason: String,
    /// The `Server` header.
    pub server: Option<String>,
    /// The reason code the body names (certgate bodies), or the one nginx's text means.
    pub body_code: Option<Code>,
    pub style: ErrorBodyStyle,
    /// The printable start of the body.
    pub body_preview: String,
}

/// Everything one probe of a server observed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ServerEvidence {
    /// `https` (true) or plain `http` (false) was asked for.
    pub tls: bool,
    pub reach: Reach,
    /// One probe per protocol version (empty for plain HTTP or when TCP failed).
    pub versions: Vec<VersionProbe>,
    /// Accepted suites per accepted version.
    pub suites: Vec<SuiteSupport>,
    /// The full handshake by a modern client.
    pub handshake: Option<Handshake>,
    /// The answer to an HTTP request, when one came.
    pub http: Option<HttpAnswer>,
    /// Plain HTTP was sent and the server answered with TLS bytes (an alert).
    pub tls_answer_to_plain_http: bool,
    /// The client certificate and key given do not belong together (detail names the files).
    pub local_key_mismatch: Option<String>,
}
