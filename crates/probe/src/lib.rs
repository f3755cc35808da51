//! certgate-probe: act as a TLS client to gather evidence about a server — reachability, which
//! protocol versions and cipher suites it accepts (hand-built ClientHellos), the chain and
//! client-certificate request of a full handshake, and the HTTP answer. Judging the evidence is
//! `certgate-core`'s job; this crate only does the I/O and calls core.
#![forbid(unsafe_code)]

pub mod client;
pub mod diagnose;
pub mod files;
pub mod hello;
pub mod http;
pub mod net;
pub mod target;
pub mod tls;

pub use client::{CallError, CallRequest, Client};
pub use diagnose::{diagnose, Diagnosis, DoctorOptions};
pub use target::Target;
pub use tls::capture_chain;

use certgate_core::wire::Alert;
use certgate_core::Code;

/// certgate could not gather evidence (as opposed to a finding about the server).
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// The host name did not resolve.
    #[error("{host}: the name does not resolve: {detail}")]
    Dns { host: String, detail: String },
    /// Nothing listens on the port.
    #[error("{addr}: connection refused")]
    Refused { addr: String },
    /// No answer in time.
    #[error("{addr}: no answer within {millis} ms")]
    Timeout { addr: String, millis: u64 },
    /// Another connect error.
    #[error("{addr}: {detail}")]
    Connect { addr: String, detail: String },
    /// The TLS handshake failed.
    #[error("{addr}: TLS handshake failed: {detail}")]
    Handshake {
        addr: String,
        detail: String,
        /// The alert the server sent, if that is how it failed.
        alert: Option<Alert>,
    },
    /// The server name cannot be used for SNI / verification.
    #[error("invalid server name {0:?}")]
    ServerName(String),
    /// A URL that cannot be probed.
    #[error("invalid URL {url:?}: {why}")]
    Url { url: String, why: String },
    /// A local file (certificate, key, CA, CRL) is missing or unusable.
    #[error("{path}: {why}")]
    File { path: String, why: String },
}

impl ProbeError {
    /// The reason code for failures that are facts about the endpoint (DNS, TCP, handshake);
    /// `None` for usage and input errors.
    pub fn code(&self) -> Option<Code> {
        Some(match self {
            ProbeError::Dns { .. } => Code::DnsResolutionFailed,
            ProbeError::Refused { .. } | ProbeError::Connect { .. } => Code::TcpConnectionRefused,
            ProbeError::Timeout { .. } => Code::TcpTimeout,
            ProbeError::Handshake { alert, .. } => match *alert {
                Some(Alert::CERTIFICATE_REQUIRED) => Code::ClientCertRequired,
                Some(Alert::PROTOCOL_VERSION) => Code::HandshakeProtocolVersion,
                Some(Alert::HANDSHAKE_FAILURE) => Code::HandshakeNoSharedCipher,
                _ => Code::HandshakeAlert,
            },
            ProbeError::ServerName(_) | ProbeError::Url { .. } | ProbeError::File { .. } => {
                return None
            }
        })
    }
}
