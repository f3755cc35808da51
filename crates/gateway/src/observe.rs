//! Hooks for observers (metrics, status pages): the listener reports every handshake, request and
//! reload here, after logging it. The default observer does nothing; the admin/metrics module
//! plugs in through [`crate::Gateway::bind_with`].

use crate::identity::ClientIdentity;
use certgate_core::Code;
use std::net::SocketAddr;
use std::time::Duration;

/// A TLS handshake that finished or failed.
#[derive(Debug)]
pub struct HandshakeEvent<'a> {
    /// Client address.
    pub peer: SocketAddr,
    /// SNI the client sent.
    pub sni: Option<&'a str>,
    /// `TLSv1_3`, `TLSv1_2`, when negotiated.
    pub version: Option<rustls::ProtocolVersion>,
    /// True for a resumed session.
    pub resumed: bool,
    /// `Ok` or the code the handshake failed with (`handshake.not_tls` for plain HTTP).
    pub outcome: Result<(), Code>,
    /// The presented client certificate's identity, if any.
    pub identity: Option<&'a ClientIdentity>,
}

/// A request answered (proxied or rejected by the gateway).
#[derive(Debug)]
pub struct RequestEvent<'a> {
    /// Client address.
    pub peer: SocketAddr,
    /// SNI the client sent.
    pub sni: Option<&'a str>,
    /// Route label (`host/path`), when one matched.
    pub route: Option<&'a str>,
    /// HTTP status sent to the client.
    pub status: u16,
    /// The reason code when the gateway itself answered with an error.
    pub code: Option<Code>,
    /// The client certificate's identity, if one was presented.
    pub identity: Option<&'a ClientIdentity>,
    /// Time the upstream took to answer with a response head, when the request was proxied.
    pub upstream_latency: Option<Duration>,
}

/// Receives gateway events; every method defaults to doing nothing.
pub trait Observer: Send + Sync + 'static {
    /// A handshake finished or failed.
    fn handshake(&self, _e: &HandshakeEvent<'_>) {}
    /// A request was answered.
    fn request(&self, _e: &RequestEvent<'_>) {}
    /// A reload was attempted; `generation` is the serving generation afterwards.
    fn reload(&self, _generation: u64, _ok: bool) {}
    /// A live connection was closed because its certificate became revoked.
    fn revoked_connection_closed(&self, _identity: &ClientIdentity) {}
}

/// The observer that ignores everything.
pub struct NoObserver;

impl Observer for NoObserver {}
