//! One connection given as the in-order bytes of its two directions (a relay's sockets, a test, a
//! fuzzer), read by two [`TlsStream`]s into the event model. Capture files go through
//! [`crate::tcp::Flows`] instead, which reassembles TCP segments first.

use crate::report::ConnectionReport;
use crate::tls::TlsStream;
use certgate_core::analyse::handshake::{Event, HandshakeTrace, Message, Peer};
use std::net::SocketAddr;
use time::OffsetDateTime;

/// Both directions of one connection, fed as their bytes arrive.
#[derive(Debug, Default)]
pub struct Conversation {
    events: Vec<Event>,
    streams: [TlsStream; 2],
    closed: [bool; 2],
}

impl Conversation {
    /// A connection on which nothing was said yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The next in-order bytes `from` one side, seen `at` seconds after the connection started.
    pub fn feed(&mut self, from: Peer, at: f64, bytes: &[u8]) {
        let mut out = Vec::new();
        self.streams[from as usize].feed(bytes, &mut out);
        self.push(from, at, out);
    }

    /// One side closed (FIN) or reset its direction; later calls for that side are ignored.
    pub fn close(&mut self, from: Peer, at: f64, reset: bool) {
        if std::mem::replace(&mut self.closed[from as usize], true) {
            return;
        }
        let mut out = Vec::new();
        self.streams[from as usize].finish(&mut out);
        out.push(Message::Closed { reset });
        self.push(from, at, out);
    }

    fn push(&mut self, from: Peer, at: f64, out: Vec<Message>) {
        self.events
            .extend(out.into_iter().map(|message| Event { from, at, message }));
    }

    /// Records not reported individually, both directions.
    pub fn skipped_records(&self) -> u64 {
        self.streams.iter().map(|s| s.skipped_records).sum()
    }

    /// Ends the conversation (what is still buffered on an open side is emitted, as at the end of
    /// a capture) and analyses it.
    pub fn report(
        mut self,
        id: usize,
        client: SocketAddr,
        server: SocketAddr,
        started: Option<OffsetDateTime>,
    ) -> ConnectionReport {
        for from in [Peer::Client, Peer::Server] {
            if !self.closed[from as usize] {
                let mut out = Vec::new();
                self.streams[from as usize].finish(&mut out);
                let at = self.events.last().map_or(0.0, |e| e.at);
                self.push(from, at, out);
            }
        }
        let skipped = self.skipped_records();
        let trace = HandshakeTrace {
            events: self.events,
            started,
        };
        ConnectionReport::new(id, client, server, trace, skipped)
    }
}

/// Tag bit of a script chunk: the bytes come from the server (otherwise from the client).
pub const FROM_SERVER: u8 = 1;
/// Tag bit of a script chunk: that side closes its direction after these bytes.
pub const THEN_CLOSE: u8 = 2;
/// Tag bit of a script chunk (with [`THEN_CLOSE`]): the close is a reset.
pub const RESET: u8 = 4;

/// A conversation written as bytes, the input of the fuzz target and of regression tests: chunks
/// of `tag (u8), length (u16 big-endian), bytes`; a last chunk shorter than its length keeps what
/// is there. Each chunk is seen one millisecond after the previous one.
pub fn script(chunks: &[(u8, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (tag, bytes) in chunks {
        for part in bytes.chunks(usize::from(u16::MAX)) {
            out.push(*tag);
            out.extend_from_slice(&(part.len() as u16).to_be_bytes());
            out.extend_from_slice(part);
        }
    }
    out
}

/// Plays a [`script`] into a [`Conversation`] between two loopback endpoints and analyses it.
/// Never panics, whatever the bytes.
pub fn replay(mut data: &[u8]) -> ConnectionReport {
    let mut conv = Conversation::new();
    let mut at = 0.0;
    while let [tag, rest @ ..] = data {
        let (len, rest) = match rest {
            [hi, lo, rest @ ..] => (usize::from(u16::from_be_bytes([*hi, *lo])), rest),
            _ => (rest.len(), &[][..]),
        };
        let (bytes, rest) = rest.split_at(len.min(rest.len()));
        let from = if tag & FROM_SERVER != 0 {
            Peer::Server
        } else {
            Peer::Client
        };
        conv.feed(from, at, bytes);
        if tag & THEN_CLOSE != 0 {
            conv.close(from, at, tag & RESET != 0);
        }
        at += 0.001;
        data = rest;
    }
    let client = SocketAddr::from(([127, 0, 0, 1], 50000));
    let server = SocketAddr::from(([127, 0, 0, 1], 443));
    conv.report(1, client, server, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use certgate_core::Code;

    /// A minimal TLS 1.2 ClientHello record offering one suite, no extensions.
    fn client_hello() -> Vec<u8> {
        let mut body = vec![3, 3];
        body.extend([7u8; 32]); // random
        body.extend([0, 0, 2, 0xc0, 0x2f, 1, 0]); // no session id, one suite, null compression
        let mut hs = vec![1, 0, 0, body.len() as u8];
        hs.extend(body);
        let mut rec = vec![22, 3, 1, 0, hs.len() as u8];
        rec.extend(hs);
        rec
    }

    #[test]
    fn a_scripted_handshake_failure_after_the_client_hello_is_no_shared_cipher() {
        let hello = client_hello();
        let alert = [21u8, 3, 3, 0, 2, 2, 40];
        let r = replay(&script(&[(0, &hello), (FROM_SERVER | THEN_CLOSE, &alert)]));
        let msgs: Vec<_> = r
            .events
            .iter()
            .map(|e| (e.from, e.message.clone()))
            .collect();
        assert!(
            matches!(msgs[0], (Peer::Client, Message::ClientHello(_))),
            "{msgs:?}"
        );
        assert_eq!(
            msgs[1..],
            [
                (
                    Peer::Server,
                    Message::Alert {
                        level: 2,
                        alert: certgate_core::wire::Alert(40)
                    }
                ),
                (Peer::Server, Message::Closed { reset: false })
            ]
        );
        assert_eq!(r.verdict(), Code::HandshakeNoSharedCipher);
    }

    #[test]
    fn a_short_last_chunk_keeps_its_bytes_and_a_side_closes_once() {
        let mut s = script(&[(THEN_CLOSE | RESET, b"GET / HTTP/1.1\r\n\r\n")]);
        s.extend_from_slice(&[THEN_CLOSE, 0, 200, b'x']);
        let r = replay(&s);
        let msgs: Vec<_> = r.events.iter().map(|e| e.message.clone()).collect();
        assert!(matches!(msgs[0], Message::NotTls { .. }), "{msgs:?}");
        assert_eq!(msgs[1..], [Message::Closed { reset: true }]);
    }
}
