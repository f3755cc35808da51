//! Telling TLS from plain text on a fresh connection: peek the first byte without consuming it.
//! A TLS connection starts with a handshake record (0x16); anything else (an HTTP verb, garbage)
//! is answered in clear text with 497, instead of rustls' decode_error alert that no HTTP client
//! can show to a person.

use std::io;
use tokio::net::TcpStream;

/// What the first byte of a connection says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FirstByte {
    /// A TLS handshake record.
    Tls,
    /// Something else: plain HTTP or garbage.
    Plain,
    /// The peer closed before sending anything.
    Closed,
}

/// The TLS record content type of a handshake message (RFC 8446 §5.1).
const HANDSHAKE_RECORD: u8 = 0x16;

/// Peeks at the first byte (the caller bounds the wait with the handshake timeout).
pub async fn first_byte(tcp: &TcpStream) -> io::Result<FirstByte> {
    let mut b = [0u8; 1];
    Ok(match tcp.peek(&mut b).await? {
        0 => FirstByte::Closed,
        _ if b[0] == HANDSHAKE_RECORD => FirstByte::Tls,
        _ => FirstByte::Plain,
    })
}
