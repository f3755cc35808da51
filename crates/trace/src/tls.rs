//! One direction of a TCP stream → TLS messages. Frames records by hand (so encrypted records and
//! application data are skipped without copying) and hands complete cleartext handshake messages
//! to tls-parser. Never panics on any input: malformed bytes become a `Malformed` message and the
//! direction stops being read.

use certgate_core::analyse::handshake::{dn_text, ClientHello, Message, ServerHello};
use certgate_core::wire::{Alert, CipherSuite, ProtocolVersion};
use tls_parser::{TlsExtension, TlsMessage, TlsMessageHandshake};

/// Largest record body accepted: 2^14 plaintext + 2048 bytes of expansion (RFC 5246 §6.2.3).
const MAX_RECORD: usize = 16384 + 2048;
/// Largest cleartext handshake message kept (a long certificate chain fits easily).
const MAX_HANDSHAKE: usize = 1 << 20;
/// How much of a non-TLS stream is kept as evidence.
const NOT_TLS_KEEP: usize = 4096;
/// Encrypted records reported per direction; later ones are only counted (bulk data says nothing
/// more about the handshake).
const MAX_ENCRYPTED_EVENTS: usize = 32;

/// The random of a HelloRetryRequest: SHA-256("HelloRetryRequest") (RFC 8446 §4.1.3).
const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Nothing seen yet: decide between TLS and something else.
    Start,
    /// Collecting a 5-byte record header.
    Header,
    /// Collecting (or skipping) a record body.
    Body { content_type: u8, len: usize },
    /// Not TLS: collecting evidence bytes.
    NotTls,
    /// Stopped (malformed input or a gap).
    Dead,
}

/// Parser for one direction of a connection.
#[derive(Debug)]
pub struct TlsStream {
    state: State,
    buf: Vec<u8>,
    handshake: Vec<u8>,
    /// This side sent ChangeCipherSpec: its later handshake and alert records are encrypted.
    encrypted: bool,
    not_tls_emitted: bool,
    encrypted_events: usize,
    /// Bytes of the current record body skipped so far.
    skipped: usize,
    /// Records not reported individually (after `MAX_ENCRYPTED_EVENTS`).
    pub skipped_records: u64,
    /// Bytes of application data seen.
    pub bytes: u64,
}

impl Default for TlsStream {
    fn default() -> Self {
        Self::new()
    }
}

impl TlsStream {
    /// A parser at the start of a stream.
    pub fn new() -> Self {
        TlsStream {
            state: State::Start,
            buf: Vec::new(),
            handshake: Vec::new(),
            encrypted: false,
            not_tls_emitted: false,
            encrypted_events: 0,
            skipped: 0,
            skipped_records: 0,
            bytes: 0,
        }
    }

    /// True once the stream stopped being read (malformed, or after a gap).
    pub fn is_dead(&self) -> bool {
        self.state == State::Dead
    }

    /// Bytes are missing from here on: reading stops (TLS framing cannot be recovered).
    pub fn gap(&mut self, out: &mut Vec<Message>) {
        self.flush_not_tls(out);
        if self.state != State::Dead {
            out.push(Message::Gap);
        }
        self.state = State::Dead;
    }

    /// The stream ended (FIN, RST or end of capture): emit what is still buffered.
    pub fn finish(&mut self, out: &mut Vec<Message>) {
        self.flush_not_tls(out);
        if self.state == State::Start && !self.buf.is_empty() {
            out.push(Message::not_tls(&self.buf));
            self.state = State::Dead;
        }
    }

    fn flush_not_tls(&mut self, out: &mut Vec<Message>) {
        if self.state == State::NotTls && !self.not_tls_emitted {
            out.push(Message::not_tls(&self.buf));
            self.not_tls_emitted = true;
            self.buf = Vec::new();
        }
    }

    /// Feeds the next in-order bytes of this direction.
    pub fn feed(&mut self, mut data: &[u8], out: &mut Vec<Message>) {
        self.bytes += data.len() as u64;
        while !data.is_empty() {
            match self.state {
                State::Dead => return,
                State::NotTls => {
                    if !self.not_tls_emitted {
                        let room = NOT_TLS_KEEP.saturating_sub(self.buf.len());
                        self.buf.extend_from_slice(&data[..data.len().min(room)]);
                        // Emit once an HTTP head (and what came with it) is in, or the buffer is full.
                        if self.buf.len() >= NOT_TLS_KEEP || contains(&self.buf, b"\r\n\r\n") {
                            self.flush_not_tls(out);
                        }
                    }
                    return;
                }
                State::Start => {
                    let need = 3 - self.buf.len().min(3);
                    let take = need.min(data.len());
                    self.buf.extend_from_slice(&data[..take]);
                    data = &data[take..];
                    if self.buf.len() < 3 {
                        return;
                    }
                    let b = &self.buf;
                    // A TLS record: known content type, major version 3 (SSLv3 .. TLS 1.3).
                    if (20..=24).contains(&b[0]) && b[1] == 3 && b[2] <= 4 {
                        self.state = State::Header;
                    } else {
                        self.state = State::NotTls;
                        // Re-enter with the remaining bytes in the NotTls state.
                        self.bytes -= data.len() as u64;
                        self.feed(data, out);
                        return;
                    }
                }
                State::Header => {
                    let need = 5 - self.buf.len();
                    let take = need.min(data.len());
                    self.buf.extend_from_slice(&data[..take]);
                    data = &data[take..];
                    if self.buf.len() < 5 {
                        return;
                    }
                    let (ct, major) = (self.buf[0], self.buf[1]);
                    let len = u16::from_be_bytes([self.buf[3], self.buf[4]]) as usize;
                    self.buf.clear();
                    if !(20..=24).contains(&ct) || major != 3 || len > MAX_RECORD {
                        out.push(Message::Malformed {
                            reason: format!(
                                "not a TLS record header (type {ct}, version major {major}, length {len})"
                            ),
                        });
                        self.state = State::Dead;
                        return;
                    }
                    self.state = State::Body {
                        content_type: ct,
                        len,
                    };
                    if len == 0 {
                        self.record(ct, 0, out);
                    }
                }
                State::Body { content_type, len } => {
                    let keep = self.keeps_body(content_type);
                    let have = if keep { self.buf.len() } else { self.skipped };
                    let take = (len - have).min(data.len());
                    if keep {
                        self.buf.extend_from_slice(&data[..take]);
                    } else {
                        // Encrypted bodies are skipped, only their length matters.
                        self.skipped += take;
                    }
                    data = &data[take..];
                    if have + take == len {
                        self.skipped = 0;
                        self.record(content_type, len, out);
                    }
                }
            }
        }
    }

    /// Whether a record body must be kept (cleartext handshake, CCS, alert) or can be skipped.
    fn keeps_body(&self, ct: u8) -> bool {
        match ct {
            20 | 21 => true,
            22 => !self.encrypted,
            _ => false,
        }
    }

    fn record(&mut self, ct: u8, len: usize, out: &mut Vec<Message>) {
        let body = std::mem::take(&mut self.buf);
        self.state = State::Header;
        match ct {
            20 => {
                out.push(Message::ChangeCipherSpec);
                self.encrypted = true;
            }
            21 if !self.encrypted && len == 2 => out.push(Message::Alert {
                level: body[0],
                alert: Alert(body[1]),
            }),
            22 if !self.encrypted => {
                self.handshake.extend_from_slice(&body);
                self.handshake_messages(out);
            }
            _ => {
                if self.encrypted_events < MAX_ENCRYPTED_EVENTS {
                    self.encrypted_events += 1;
                    out.push(Message::Encrypted {
                        content_type: ct,
                        len,
                    });
                } else {
                    self.skipped_records += 1;
                }
            }
        }
        // Keep the buffer's allocation for the next record.
        self.buf = body;
        self.buf.clear();
    }

    fn handshake_messages(&mut self, out: &mut Vec<Message>) {
        loop {
            if self.handshake.len() < 4 {
                return;
            }
            let len =
                u32::from_be_bytes([0, self.handshake[1], self.handshake[2], self.handshake[3]])
                    as usize;
            if len > MAX_HANDSHAKE {
                out.push(Message::Malformed {
                    reason: format!("handshake message of {len} bytes"),
                });
                self.state = State::Dead;
                return;
            }
            if self.handshake.len() < 4 + len {
                return;
            }
            let msg: Vec<u8> = self.handshake.drain(..4 + len).collect();
            out.push(handshake_message(&msg));
        }
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// One complete cleartext handshake message (header included) → the event model.
pub fn handshake_message(msg: &[u8]) -> Message {
    let t = msg[0];
    let parsed = tls_parser::parse_tls_message_handshake(msg);
    let malformed = |what: &str| Message::Malformed {
        reason: format!("{what} does not parse"),
    };
    let Ok((_, TlsMessage::Handshake(h))) = parsed else {
        return match t {
            1 => malformed("ClientHello"),
            2 => malformed("ServerHello"),
            11 => malformed("Certificate"),
            13 => malformed("CertificateRequest"),
            _ => Message::Handshake { msg_type: t },
        };
    };
    match h {
        TlsMessageHandshake::ClientHello(c) => {
            let mut hello = ClientHello {
                legacy_version: ProtocolVersion(c.version.0),
                supported_versions: Vec::new(),
                cipher_suites: c.ciphers.iter().map(|s| CipherSuite(s.0)).collect(),
                server_name: None,
                alpn: Vec::new(),
                key_share_groups: Vec::new(),
            };
            if let Some(ext) = c.ext {
                if let Ok((_, exts)) = tls_parser::parse_tls_client_hello_extensions(ext) {
                    for e in exts {
                        match e {
                            TlsExtension::SNI(names) => {
                                hello.server_name = names
                                    .iter()
                                    .find(|(t, _)| t.0 == 0)
                                    .map(|(_, n)| String::from_utf8_lossy(n).into_owned());
                            }
                            TlsExtension::ALPN(p) => {
                                hello.alpn = p
                                    .iter()
                                    .map(|p| String::from_utf8_lossy(p).into_owned())
                                    .collect();
                            }
                            TlsExtension::SupportedVersions(v) => {
                                hello.supported_versions =
                                    v.iter().map(|v| ProtocolVersion(v.0)).collect();
                            }
                            TlsExtension::KeyShare(raw) => {
                                hello.key_share_groups = key_share_groups(raw);
                            }
                            _ => {}
                        }
                    }
                }
            }
            Message::ClientHello(hello)
        }
        TlsMessageHandshake::ServerHello(s) => {
            let mut hello = ServerHello {
                legacy_version: ProtocolVersion(s.version.0),
                selected_version: None,
                cipher_suite: CipherSuite(s.cipher.0),
                alpn: None,
                retry: s.random == HRR_RANDOM,
            };
            if let Some(ext) = s.ext {
                if let Ok((_, exts)) = tls_parser::parse_tls_server_hello_extensions(ext) {
                    for e in exts {
                        match e {
                            TlsExtension::SupportedVersions(v) => {
                                hello.selected_version = v.first().map(|v| ProtocolVersion(v.0));
                            }
                            TlsExtension::ALPN(p) => {
                                hello.alpn =
                                    p.first().map(|p| String::from_utf8_lossy(p).into_owned());
                            }
                            _ => {}
                        }
                    }
                }
            }
            Message::ServerHello(hello)
        }
        TlsMessageHandshake::Certificate(c) => {
            Message::certificate(c.cert_chain.iter().map(|c| c.data.to_vec()).collect())
        }
        TlsMessageHandshake::CertificateRequest(r) => Message::CertificateRequest {
            ca_names: r.unparsed_ca.iter().map(|dn| dn_text(dn)).collect(),
        },
        _ => Message::Handshake { msg_type: t },
    }
}

/// Named groups of a ClientHello key_share: u16 list length, then (group, u16 length, key).
fn key_share_groups(raw: &[u8]) -> Vec<u16> {
    let mut groups = Vec::new();
    let mut i = 2;
    while i + 4 <= raw.len() {
        let group = u16::from_be_bytes([raw[i], raw[i + 1]]);
        let len = u16::from_be_bytes([raw[i + 2], raw[i + 3]]) as usize;
        groups.push(group);
        i += 4 + len;
    }
    groups
}

/// A cipher suite's IANA name, when tls-parser knows it.
pub fn suite_name(s: CipherSuite) -> String {
    match tls_parser::TlsCipherSuite::from_id(s.0) {
        Some(c) => c.name.to_string(),
        None => s.to_string(),
    }
}

/// A named group's name (the common ones).
pub fn group_name(g: u16) -> String {
    match g {
        23 => "secp256r1".into(),
        24 => "secp384r1".into(),
        25 => "secp521r1".into(),
        29 => "x25519".into(),
        30 => "x448".into(),
        0x11ec => "X25519MLKEM768".into(),
        256..=260 => format!(
            "ffdhe{}",
            [2048, 3072, 4096, 6144, 8192][(g - 256) as usize]
        ),
        _ => format!("0x{g:04x}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(chunks: &[&[u8]]) -> Vec<Message> {
        let mut s = TlsStream::new();
        let mut out = Vec::new();
        for c in chunks {
            s.feed(c, &mut out);
        }
        s.finish(&mut out);
        out
    }

    #[test]
    fn alert_split_across_feeds_is_one_alert() {
        let rec = [21u8, 3, 3, 0, 2, 2, 116];
        for cut in 0..rec.len() {
            let out = run(&[&rec[..cut], &rec[cut..]]);
            assert_eq!(
                out,
                vec![Message::Alert {
                    level: 2,
                    alert: Alert(116)
                }],
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn application_data_is_skipped_but_counted_as_encrypted_records() {
        let mut rec = vec![23u8, 3, 3, 0x01, 0x00];
        rec.extend(std::iter::repeat_n(0xaa, 256));
        let out = run(&[&rec[..100], &rec[100..]]);
        assert_eq!(
            out,
            vec![Message::Encrypted {
                content_type: 23,
                len: 256
            }]
        );
    }

    #[test]
    fn plain_http_is_not_tls_with_a_preview() {
        let out = run(&[b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"]);
        match &out[..] {
            [Message::NotTls { preview, .. }] => assert_eq!(preview, "GET / HTTP/1.1"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn after_change_cipher_spec_handshake_records_are_encrypted() {
        let out = run(&[&[20, 3, 3, 0, 1, 1, 22, 3, 3, 0, 3, 1, 2, 3]]);
        assert_eq!(
            out,
            vec![
                Message::ChangeCipherSpec,
                Message::Encrypted {
                    content_type: 22,
                    len: 3
                }
            ]
        );
    }

    #[test]
    fn garbage_record_header_stops_the_stream() {
        let out = run(&[&[22, 3, 3, 0xff, 0xff, 0]]);
        assert!(matches!(out[..], [Message::Malformed { .. }]));
    }
}
