//! Handshake analysis for `certgate trace`: the TLS messages one connection exchanged, as seen on
//! the wire (a capture or a relay), in; who failed, after which message and why, out. The event
//! model is filled by `certgate-trace` (which parses records); nothing here reads bytes off a
//! socket or a file. TLS 1.3 hides everything after ServerHello, so part of this reads record
//! sizes and says when a conclusion is inferred rather than seen.

use crate::code::Code;
use crate::finding::{Finding, Side};
use crate::wire::{Alert, CipherSuite, ProtocolVersion};
use serde::Serialize;
use time::OffsetDateTime;

/// Which end of the connection sent a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Peer {
    /// The side that opened the TCP connection.
    Client,
    /// The side that accepted it.
    Server,
}

impl Peer {
    /// The other end.
    pub fn other(self) -> Peer {
        match self {
            Peer::Client => Peer::Server,
            Peer::Server => Peer::Client,
        }
    }

    /// "client" / "server".
    pub fn as_str(self) -> &'static str {
        match self {
            Peer::Client => "client",
            Peer::Server => "server",
        }
    }
}

/// The cleartext fields of a ClientHello that matter for a diagnosis.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClientHello {
    /// `legacy_version` of the hello body.
    pub legacy_version: ProtocolVersion,
    /// The `supported_versions` extension (empty when absent: then `legacy_version` is the offer).
    pub supported_versions: Vec<ProtocolVersion>,
    /// Offered cipher suites, in the client's order.
    #[serde(serialize_with = "suites_hex")]
    pub cipher_suites: Vec<CipherSuite>,
    /// The server name (SNI), when sent.
    pub server_name: Option<String>,
    /// ALPN protocols offered.
    pub alpn: Vec<String>,
    /// Named groups of the key shares sent (TLS 1.3).
    pub key_share_groups: Vec<u16>,
}

impl ClientHello {
    /// The versions the client offers: `supported_versions`, or the legacy version alone.
    pub fn offered_versions(&self) -> Vec<ProtocolVersion> {
        if self.supported_versions.is_empty() {
            vec![self.legacy_version]
        } else {
            self.supported_versions.clone()
        }
    }

    /// The highest version offered (GREASE values ignored).
    pub fn max_version(&self) -> ProtocolVersion {
        self.offered_versions()
            .into_iter()
            .filter(|v| v.name().is_some())
            .max()
            .unwrap_or(self.legacy_version)
    }
}

/// The cleartext fields of a ServerHello (or HelloRetryRequest).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ServerHello {
    /// `legacy_version` of the hello body.
    pub legacy_version: ProtocolVersion,
    /// The version from `supported_versions` (TLS 1.3), when present.
    pub selected_version: Option<ProtocolVersion>,
    /// The chosen cipher suite.
    #[serde(serialize_with = "suite_hex")]
    pub cipher_suite: CipherSuite,
    /// The chosen ALPN protocol (visible in TLS 1.2 only; 1.3 sends it encrypted).
    pub alpn: Option<String>,
    /// This is a HelloRetryRequest (RFC 8446 §4.1.4), not a real ServerHello.
    pub retry: bool,
}

impl ServerHello {
    /// The negotiated version.
    pub fn version(&self) -> ProtocolVersion {
        self.selected_version.unwrap_or(self.legacy_version)
    }
}

fn suite_hex<S: serde::Serializer>(c: &CipherSuite, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(c)
}

fn suites_hex<S: serde::Serializer>(c: &[CipherSuite], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(c.iter().map(|c| c.to_string()))
}

/// One thing seen on one direction of the connection, in order.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Message {
    /// A parsed ClientHello.
    ClientHello(ClientHello),
    /// A parsed ServerHello or HelloRetryRequest.
    ServerHello(ServerHello),
    /// A cleartext Certificate message (TLS ≤ 1.2): the DER certificates, leaf first. Empty when
    /// the client answers a CertificateRequest without a certificate.
    Certificate {
        /// DER certificates as sent.
        #[serde(skip)]
        certs: Vec<Vec<u8>>,
        /// Subject of each certificate (or "unparsable"), filled by [`Message::certificate`].
        subjects: Vec<String>,
    },
    /// A cleartext CertificateRequest (TLS ≤ 1.2): the server asks for a client certificate.
    CertificateRequest {
        /// The CA distinguished names the server advertises (may be empty).
        ca_names: Vec<String>,
    },
    /// Another cleartext handshake message (ServerKeyExchange, ServerHelloDone, ...).
    Handshake {
        /// Handshake type number (RFC 8446 §4).
        msg_type: u8,
    },
    /// A ChangeCipherSpec record (TLS 1.2 switches to encryption; TLS 1.3 sends it for middleboxes).
    ChangeCipherSpec,
    /// A cleartext alert.
    Alert {
        /// 1 = warning, 2 = fatal.
        level: u8,
        /// The alert description.
        alert: Alert,
    },
    /// A record whose content is encrypted: its outer content type and length are all we see.
    Encrypted {
        /// Outer record content type (23 application data in TLS 1.3; 22/21/23 in TLS 1.2).
        content_type: u8,
        /// Record length in bytes (ciphertext, including the AEAD tag).
        len: usize,
    },
    /// The stream does not start with TLS: the first bytes (up to 4 KiB) are kept.
    NotTls {
        /// The first bytes of the stream.
        #[serde(skip)]
        bytes: Vec<u8>,
        /// Printable preview of the first line.
        preview: String,
    },
    /// Bytes that claim to be TLS but do not parse.
    Malformed {
        /// What did not parse.
        reason: String,
    },
    /// Bytes are missing from this direction (segments not captured); reading stops here.
    Gap,
    /// This side closed the connection (FIN), or reset it (RST).
    Closed {
        /// A TCP reset rather than an orderly close.
        reset: bool,
    },
}

impl Message {
    /// A Certificate message with subjects filled in from the DER.
    pub fn certificate(certs: Vec<Vec<u8>>) -> Message {
        let subjects = certs.iter().map(|c| cert_subject(c)).collect();
        Message::Certificate { certs, subjects }
    }

    /// A NotTls message with its preview.
    pub fn not_tls(bytes: &[u8]) -> Message {
        let bytes = bytes[..bytes.len().min(4096)].to_vec();
        let first_line = bytes.split(|&b| b == b'\n').next().unwrap_or(&[]);
        let preview = first_line
            .iter()
            .take(80)
            .map(|&b| {
                if (0x20..0x7f).contains(&b) {
                    b as char
                } else {
                    '.'
                }
            })
            .collect::<String>()
            .trim_end_matches('.')
            .to_string();
        Message::NotTls { bytes, preview }
    }

    /// A short name for the message, as used in "after the server's ServerHelloDone".
    pub fn label(&self) -> String {
        match self {
            Message::ClientHello(_) => "ClientHello".into(),
            Message::ServerHello(h) if h.retry => "HelloRetryRequest".into(),
            Message::ServerHello(_) => "ServerHello".into(),
            Message::Certificate { certs, .. } if certs.is_empty() => "empty Certificate".into(),
            Message::Certificate { .. } => "Certificate".into(),
            Message::CertificateRequest { .. } => "CertificateRequest".into(),
            Message::Handshake { msg_type } => handshake_name(*msg_type).into(),
            Message::ChangeCipherSpec => "ChangeCipherSpec".into(),
            Message::Alert { alert, .. } => format!("alert {alert}"),
            // TLS 1.2: the first encrypted handshake record after ChangeCipherSpec is Finished.
            Message::Encrypted {
                content_type: 22, ..
            } => "Finished (encrypted)".into(),
            Message::Encrypted {
                content_type: 21, ..
            } => "encrypted alert".into(),
            Message::Encrypted { len, .. } => format!("encrypted record ({len} bytes)"),
            Message::NotTls { .. } => "non-TLS data".into(),
            Message::Malformed { .. } => "malformed TLS".into(),
            Message::Gap => "missing bytes".into(),
            Message::Closed { reset: true } => "reset".into(),
            Message::Closed { reset: false } => "close".into(),
        }
    }
}

/// The name of a handshake message type.
pub fn handshake_name(t: u8) -> &'static str {
    match t {
        0 => "HelloRequest",
        1 => "ClientHello",
        2 => "ServerHello",
        4 => "NewSessionTicket",
        5 => "EndOfEarlyData",
        8 => "EncryptedExtensions",
        11 => "Certificate",
        12 => "ServerKeyExchange",
        13 => "CertificateRequest",
        14 => "ServerHelloDone",
        15 => "CertificateVerify",
        16 => "ClientKeyExchange",
        20 => "Finished",
        22 => "CertificateStatus",
        _ => "handshake message",
    }
}

/// One message with its sender.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Event {
    /// Who sent it.
    pub from: Peer,
    /// Seconds since the first packet of the connection (capture or relay time).
    pub at: f64,
    /// What was sent.
    pub message: Message,
}

/// Everything seen on one connection.
#[derive(Clone, Debug, Default)]
pub struct HandshakeTrace {
    /// The messages of both directions, in the order they were seen.
    pub events: Vec<Event>,
    /// Wall-clock time of the connection's first packet, used as `now` for certificate validity.
    pub started: Option<OffsetDateTime>,
}

/// How a connection's handshake ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Both sides got past the handshake (application data flowed).
    Completed,
    /// One side aborted the handshake.
    Failed,
    /// The capture ends, or a side closed silently, before the handshake finished.
    Incomplete,
    /// No TLS on this connection at all (and no sign that TLS was expected).
    NotTls,
}

/// The analysis of one connection.
#[derive(Clone, Debug, Serialize)]
pub struct HandshakeAnalysis {
    /// The negotiated version, when a ServerHello was seen.
    pub version: Option<ProtocolVersion>,
    /// How the handshake ended.
    pub outcome: Outcome,
    /// Which side aborted, when one did.
    pub aborted_by: Option<Peer>,
    /// What the cleartext cannot show (TLS 1.3), and conclusions drawn from record sizes.
    pub notes: Vec<String>,
    /// The findings; the verdict is `finding::verdict(&findings)`.
    pub findings: Vec<Finding>,
}

/// AEAD tag (16) + inner content type (1) of a TLS 1.3 record (RFC 8446 §5.2); CCM_8 has an
/// 8-byte tag.
fn tls13_overhead(suite: CipherSuite) -> usize {
    if suite.0 == 0x1305 {
        9
    } else {
        17
    }
}

/// Finished = 4-byte header + hash length (SHA-384 only for TLS_AES_256_GCM_SHA384).
fn tls13_finished_len(suite: CipherSuite) -> usize {
    if suite.0 == 0x1302 {
        52
    } else {
        36
    }
}

/// An empty TLS 1.3 client Certificate: header (4) + empty context (1) + empty list (3).
const TLS13_EMPTY_CERTIFICATE: usize = 8;

/// Analyses one connection. `now` for certificate validity is the trace's start time.
pub fn analyse(trace: &HandshakeTrace) -> HandshakeAnalysis {
    Analyser::new(trace).run()
}

struct Analyser<'a> {
    ev: &'a [Event],
    started: Option<OffsetDateTime>,
    notes: Vec<String>,
    findings: Vec<Finding>,
}

impl<'a> Analyser<'a> {
    fn new(t: &'a HandshakeTrace) -> Self {
        Analyser {
            ev: &t.events,
            started: t.started,
            notes: Vec::new(),
            findings: Vec::new(),
        }
    }

    fn find<T>(&self, f: impl Fn(&Event) -> Option<T>) -> Option<(usize, T)> {
        self.ev
            .iter()
            .enumerate()
            .find_map(|(i, e)| f(e).map(|t| (i, t)))
    }

    /// The first cleartext alert that ends a handshake, and who sent it.
    fn fatal_alert(&self) -> Option<(usize, (Peer, Alert))> {
        self.find(|e| match &e.message {
            // Warnings such as close_notify or unrecognized_name do not end a handshake.
            Message::Alert { level, alert }
                if *level == 2 || ![0, 90, 100, 112].contains(&alert.0) =>
            {
                Some((e.from, *alert))
            }
            _ => None,
        })
    }

    /// The label of the last message `peer` sent before index `i` (what the alert answers).
    fn last_from(&self, peer: Peer, i: usize) -> Option<String> {
        self.ev[..i]
            .iter()
            .rev()
            .find(|e| e.from == peer && !matches!(e.message, Message::Closed { .. }))
            .map(|e| e.message.label())
    }

    fn first_non_tls(&self, peer: Peer) -> Option<(usize, &'a [u8], String)> {
        self.ev
            .iter()
            .enumerate()
            .find_map(|(i, e)| match &e.message {
                Message::NotTls { bytes, preview } if e.from == peer => {
                    Some((i, bytes.as_slice(), preview.clone()))
                }
                _ => None,
            })
    }

    fn closed(&self, peer: Peer) -> Option<(usize, bool)> {
        self.find(|e| match e.message {
            Message::Closed { reset } if e.from == peer => Some(reset),
            _ => None,
        })
    }

    fn closed_after(&self, p: Peer, i: usize) -> bool {
        self.closed(p).is_some_and(|(c, _)| c > i)
    }

    fn result(
        self,
        version: Option<ProtocolVersion>,
        outcome: Outcome,
        by: Option<Peer>,
    ) -> HandshakeAnalysis {
        HandshakeAnalysis {
            version,
            outcome,
            aborted_by: by,
            notes: self.notes,
            findings: self.findings,
        }
    }

    fn run(mut self) -> HandshakeAnalysis {
        let ch = self.find(|e| match &e.message {
            Message::ClientHello(h) if e.from == Peer::Client => Some(h.clone()),
            _ => None,
        });
        let client_text = self.first_non_tls(Peer::Client);
        let server_text = self.first_non_tls(Peer::Server);

        // Plain text from the client: HTTP to a TLS port, or simply not a TLS connection.
        if ch.is_none() {
            if let Some((_, bytes, preview)) = client_text {
                return self.plain_client(bytes, &preview);
            }
        }
        let Some((ch_at, ch)) = ch else {
            if let Some((_, bytes, _)) = server_text {
                if let Some(code) = http_answer_code(bytes) {
                    let f = Finding::new(
                        code,
                        side_of(code),
                        "the server answered in cleartext HTTP without any TLS from the client",
                    )
                    .with("status", http_status(bytes).unwrap_or(0));
                    self.findings.push(f);
                    return self.result(None, Outcome::Failed, Some(Peer::Server));
                }
            }
            self.notes
                .push("no ClientHello seen on this connection".into());
            // An alert still says who gave up, even when the capture missed the start.
            if let Some((_, (from, a))) = self.fatal_alert() {
                let f = Finding::new(
                    Code::HandshakeAlert,
                    side_of_alert(Code::HandshakeAlert, from),
                    format!(
                        "the {} sent the fatal alert {} ({}); no ClientHello was seen, so the capture may have started mid-connection",
                        from.as_str(),
                        a.name().unwrap_or("unknown"),
                        a.0
                    ),
                )
                .with("alert", a.0)
                .with("alert_name", a.name().unwrap_or("unknown"));
                self.findings.push(f);
                return self.result(None, Outcome::Failed, Some(from));
            }
            return self.result(None, Outcome::Incomplete, None);
        };

        // The server answers a ClientHello with something that is not TLS.
        if let Some((i, bytes, preview)) = server_text {
            if i > ch_at {
                let status = http_status(bytes);
                let mut f = Finding::new(
                    Code::HandshakeNotTls,
                    Side::Server,
                    format!(
                        "the client sent a TLS ClientHello{} and the server answered with non-TLS data: \"{preview}\"",
                        sni_text(&ch)
                    ),
                );
                if let Some(s) = status {
                    f = f.with("http_status", s);
                }
                self.findings.push(f);
                return self.result(None, Outcome::Failed, Some(Peer::Server));
            }
        }

        let sh = self.find(|e| match &e.message {
            Message::ServerHello(h) if e.from == Peer::Server && !h.retry => Some(h.clone()),
            _ => None,
        });
        let version = sh.as_ref().map(|(_, h)| h.version());

        // A cleartext fatal alert decides, when there is one.
        let alert = self.fatal_alert();
        // Certificates visible in the cleartext (TLS ≤ 1.2).
        self.check_visible_server_certs();

        if let Some((i, (from, a))) = alert {
            let after = self
                .last_from(from.other(), i)
                .unwrap_or_else(|| "the start".into());
            self.alert_finding(&ch, sh.as_ref().map(|s| &s.1), i, from, a, &after);
            return self.result(version, Outcome::Failed, Some(from));
        }

        let Some((sh_at, sh)) = sh else {
            return self.no_server_hello(&ch, ch_at);
        };
        if sh.version() == ProtocolVersion::TLS1_3 {
            self.notes.push(
                "TLS 1.3: everything after ServerHello (certificates, CertificateRequest, alerts) is encrypted; what follows is read from record sizes and who closed".into(),
            );
            self.tls13_after_hello(sh_at, &sh, version)
        } else {
            self.tls12_after_hello(sh_at, version)
        }
    }

    fn plain_client(mut self, bytes: &[u8], preview: &str) -> HandshakeAnalysis {
        let server_tls = self.ev.iter().any(|e| {
            e.from == Peer::Server
                && matches!(
                    e.message,
                    Message::Alert { .. } | Message::Encrypted { .. } | Message::ServerHello(_)
                )
        });
        let server_answer = self.first_non_tls(Peer::Server);
        let answer_code = server_answer
            .as_ref()
            .and_then(|(_, b, _)| http_answer_code(b));
        let server_closed = self.closed(Peer::Server).is_some();
        let looks_http = looks_like_http_request(bytes);
        let detail_req = format!("the client sent \"{preview}\"");
        if server_tls {
            self.findings.push(Finding::new(
                Code::HttpPlainToTls,
                Side::Client,
                format!("{detail_req} in cleartext and the server answered with TLS: the port expects TLS"),
            ));
            return self.result(None, Outcome::Failed, Some(Peer::Server));
        }
        if let Some(code) = answer_code {
            let status = server_answer
                .as_ref()
                .and_then(|(_, b, _)| http_status(b))
                .unwrap_or(0);
            self.findings.push(
                Finding::new(
                    code,
                    side_of(code),
                    format!("{detail_req} and the server answered HTTP {status} in cleartext"),
                )
                .with("status", status),
            );
            return self.result(None, Outcome::Failed, Some(Peer::Server));
        }
        if looks_http && server_answer.is_none() && server_closed {
            self.findings.push(Finding::new(
                Code::HttpPlainToTls,
                Side::Client,
                format!("{detail_req} in cleartext and the server closed the connection without answering: the port most likely expects TLS (inferred)"),
            ));
            return self.result(None, Outcome::Failed, Some(Peer::Server));
        }
        self.notes
            .push(format!("not a TLS connection: {detail_req} in cleartext"));
        self.result(None, Outcome::NotTls, None)
    }

    fn no_server_hello(mut self, ch: &ClientHello, ch_at: usize) -> HandshakeAnalysis {
        let gap = self.ev.iter().any(|e| matches!(e.message, Message::Gap));
        let malformed = self.ev.iter().find_map(|e| match &e.message {
            Message::Malformed { reason } => Some((e.from, reason.clone())),
            _ => None,
        });
        if let Some((from, reason)) = malformed {
            self.notes.push(format!(
                "the {} sent TLS that does not parse: {reason}",
                from.as_str()
            ));
        }
        match self.closed(Peer::Server) {
            Some((i, reset)) if i > ch_at && !gap => {
                let how = if reset { "reset" } else { "closed" };
                self.findings.push(Finding::new(
                    Code::HandshakeIncomplete,
                    Side::Server,
                    format!(
                        "the server {how} the connection after the ClientHello{} without a ServerHello or an alert (offered {})",
                        sni_text(ch),
                        versions_text(ch)
                    ),
                ));
                self.result(None, Outcome::Failed, Some(Peer::Server))
            }
            _ => {
                self.findings.push(Finding::new(
                    Code::HandshakeIncomplete,
                    Side::Network,
                    "the capture ends after the ClientHello: no ServerHello was seen".to_string(),
                ));
                self.result(None, Outcome::Incomplete, None)
            }
        }
    }

    /// After a TLS 1.2 ServerHello: cleartext up to ChangeCipherSpec, then encrypted records.
    fn tls12_after_hello(
        mut self,
        sh_at: usize,
        version: Option<ProtocolVersion>,
    ) -> HandshakeAnalysis {
        let ccs = |p: Peer| {
            self.ev
                .iter()
                .position(|e| e.from == p && matches!(e.message, Message::ChangeCipherSpec))
        };
        let (client_ccs, server_ccs) = (ccs(Peer::Client), ccs(Peer::Server));
        let data_after = |p: Peer, from: Option<usize>| {
            from.is_some_and(|i| {
                self.ev[i..].iter().any(|e| {
                    e.from == p
                        && matches!(
                            e.message,
                            Message::Encrypted {
                                content_type: 23,
                                ..
                            }
                        )
                })
            })
        };
        if client_ccs.is_some()
            && server_ccs.is_some()
            && (data_after(Peer::Client, client_ccs) || data_after(Peer::Server, server_ccs))
        {
            return self.result(version, Outcome::Completed, None);
        }
        // Both Finished exchanged but no data yet: still a completed handshake.
        if let (Some(c), Some(s)) = (client_ccs, server_ccs) {
            let fin = |p: Peer, i: usize| {
                self.ev[i..].iter().any(|e| {
                    e.from == p
                        && matches!(
                            e.message,
                            Message::Encrypted {
                                content_type: 22,
                                ..
                            }
                        )
                })
            };
            if fin(Peer::Client, c) && fin(Peer::Server, s) {
                return self.result(version, Outcome::Completed, None);
            }
        }
        // An encrypted alert just before a close: a failure we cannot read.
        if let Some((from, i)) = self.encrypted_alert_then_close(sh_at) {
            let after = self.last_from(from.other(), i).unwrap_or_default();
            self.findings.push(
                Finding::new(
                    Code::HandshakeAlert,
                    side_at_fault(from),
                    format!("the {} sent an encrypted alert after the {}'s {after} and closed; its content cannot be read", from.as_str(), from.other().as_str()),
                )
                .with("from", from.as_str()),
            );
            return self.result(version, Outcome::Failed, Some(from));
        }
        self.silent_end(version, sh_at)
    }

    /// A fatal alert sent encrypted: an encrypted alert record (TLS 1.2: content type 21) followed
    /// by that side closing.
    fn encrypted_alert_then_close(&self, from_idx: usize) -> Option<(Peer, usize)> {
        self.ev
            .iter()
            .enumerate()
            .skip(from_idx)
            .find_map(|(i, e)| match e.message {
                Message::Encrypted {
                    content_type: 21, ..
                } if self.closed(e.from).is_some_and(|(c, _)| c > i) => Some((e.from, i)),
                _ => None,
            })
    }

    /// The connection stops during the handshake without an alert.
    fn silent_end(mut self, version: Option<ProtocolVersion>, after: usize) -> HandshakeAnalysis {
        let closer = self
            .ev
            .iter()
            .enumerate()
            .skip(after)
            .find_map(|(i, e)| match e.message {
                Message::Closed { reset } => Some((i, e.from, reset)),
                _ => None,
            });
        match closer {
            Some((i, who, reset)) => {
                let last = self
                    .last_from(who.other(), i)
                    .unwrap_or_else(|| "nothing".into());
                let how = if reset { "reset" } else { "closed" };
                self.findings.push(
                    Finding::new(
                        Code::HandshakeIncomplete,
                        side_at_fault(who),
                        format!(
                            "the {} {how} the connection during the handshake, after the {}'s {last}, without an alert",
                            who.as_str(),
                            who.other().as_str()
                        ),
                    )
                    .with("closed_by", who.as_str()),
                );
                self.result(version, Outcome::Failed, Some(who))
            }
            None => {
                self.findings.push(Finding::new(
                    Code::HandshakeIncomplete,
                    Side::Network,
                    "the capture ends before the handshake finished".to_string(),
                ));
                self.result(version, Outcome::Incomplete, None)
            }
        }
    }

    /// After a TLS 1.3 ServerHello everything is encrypted; read the flights by size.
    fn tls13_after_hello(
        mut self,
        sh_at: usize,
        sh: &ServerHello,
        version: Option<ProtocolVersion>,
    ) -> HandshakeAnalysis {
        let overhead = tls13_overhead(sh.cipher_suite);
        let finished = tls13_finished_len(sh.cipher_suite);
        let alert_len = 2 + overhead;
        // Split what follows ServerHello into alternating flights of encrypted records.
        let mut flights: Vec<(Peer, Vec<(usize, usize)>)> = Vec::new();
        for (i, e) in self.ev.iter().enumerate().skip(sh_at + 1) {
            if let Message::Encrypted {
                content_type: 23,
                len,
            } = e.message
            {
                match flights.last_mut() {
                    Some((p, recs)) if *p == e.from => recs.push((i, len)),
                    _ => flights.push((e.from, vec![(i, len)])),
                }
            }
        }
        let server1 = flights.first().filter(|(p, _)| *p == Peer::Server);
        let client = flights.get(1).filter(|(p, _)| *p == Peer::Client);
        let server2 = flights.get(2).filter(|(p, _)| *p == Peer::Server);

        let Some((_, s1)) = server1 else {
            return self.silent_end(version, sh_at);
        };
        let Some((_, c)) = client else {
            return self.silent_end(version, s1[0].0);
        };
        // The client's first encrypted record has the size of an alert and it closes: it refused
        // the server's encrypted flight, nearly always the certificate.
        let c_first = c[0];
        if c_first.1 == alert_len && c.len() == 1 && self.closed_after(Peer::Client, c_first.0) {
            self.findings.push(
                Finding::new(
                    Code::CertRejected,
                    Side::Server,
                    "the client answered the server's encrypted certificate flight with one alert-sized encrypted record and closed: it refused the handshake, nearly always the server's certificate (untrusted CA, expired, wrong name); TLS 1.3 hides which",
                )
                .with("inferred", true)
                .with("record_len", c_first.1 as u64),
            );
            return self.result(version, Outcome::Failed, Some(Peer::Client));
        }
        // What the client's flight says about a client certificate.
        let plain: Vec<usize> = c.iter().map(|r| r.1.saturating_sub(overhead)).collect();
        let client_cert = if plain.first() == Some(&finished) {
            ClientCertSeen::NotAsked
        } else if plain.first() == Some(&(TLS13_EMPTY_CERTIFICATE + finished))
            || (plain.first() == Some(&TLS13_EMPTY_CERTIFICATE) && plain.get(1) == Some(&finished))
        {
            ClientCertSeen::Empty
        } else if plain
            .first()
            .is_some_and(|&n| n > TLS13_EMPTY_CERTIFICATE + finished + 64)
        {
            ClientCertSeen::Sent
        } else {
            ClientCertSeen::Unknown
        };
        match client_cert {
            ClientCertSeen::Empty => self.notes.push(
                "the client's encrypted flight has the size of an empty Certificate plus Finished: the server asked for a client certificate and the client sent none (inferred)".into(),
            ),
            ClientCertSeen::Sent => self.notes.push(
                "the client's encrypted flight is large enough to hold a client certificate (inferred)".into(),
            ),
            _ => {}
        }
        // The server's next flight is a single alert-sized record followed by its close.
        if let Some((_, s2)) = server2 {
            if s2[0].1 == alert_len && self.closed_after(Peer::Server, s2[0].0) && s2.len() == 1 {
                let (code, side, text) = match client_cert {
                    ClientCertSeen::Empty => (
                        Code::ClientCertRequired,
                        Side::Client,
                        "the server asked for a client certificate, the client sent an empty Certificate, and the server answered with an alert-sized encrypted record (certificate_required, 116, in TLS 1.3) and closed",
                    ),
                    ClientCertSeen::Sent => (
                        Code::ClientCertRejected,
                        Side::Client,
                        "the client sent a certificate and the server answered with an alert-sized encrypted record and closed: it refused the client certificate; TLS 1.3 hides the precise alert",
                    ),
                    _ => (
                        Code::HandshakeAlert,
                        Side::Server,
                        "after the client's Finished the server sent one alert-sized encrypted record and closed; TLS 1.3 hides which alert",
                    ),
                };
                self.findings.push(
                    Finding::new(code, side, format!("{text} (inferred from record sizes)"))
                        .with("inferred", true),
                );
                return self.result(version, Outcome::Failed, Some(Peer::Server));
            }
            return self.result(version, Outcome::Completed, None);
        }
        // The server went silent after the client's flight.
        if let Some((i, reset)) = self.closed(Peer::Server).filter(|(i, _)| *i > c[0].0) {
            let (code, side, text) = match client_cert {
                ClientCertSeen::Empty => (
                    Code::ClientCertRequired,
                    Side::Client,
                    "the client sent an empty Certificate and the server closed the connection without another record",
                ),
                _ => (
                    Code::HandshakeIncomplete,
                    Side::Server,
                    "the server closed the connection after the client's encrypted flight without sending anything",
                ),
            };
            self.findings.push(
                Finding::new(code, side, format!("{text} (inferred from record sizes)"))
                    .with("inferred", true)
                    .with("reset", reset),
            );
            let _ = i;
            return self.result(version, Outcome::Failed, Some(Peer::Server));
        }
        if client_cert == ClientCertSeen::NotAsked || c.len() > 1 || flights.len() > 3 {
            return self.result(version, Outcome::Completed, None);
        }
        self.silent_end(version, c[0].0)
    }

    fn alert_finding(
        &mut self,
        ch: &ClientHello,
        sh: Option<&ServerHello>,
        i: usize,
        from: Peer,
        a: Alert,
        after: &str,
    ) {
        let client_cert = self.find(|e| match &e.message {
            Message::Certificate { certs, .. } if e.from == Peer::Client => Some(certs.len()),
            _ => None,
        });
        let cert_req = self
            .find(|e| match &e.message {
                Message::CertificateRequest { ca_names } if e.from == Peer::Server => {
                    Some(ca_names.clone())
                }
                _ => None,
            })
            .map(|x| x.1);
        let empty_client_cert = client_cert.is_some_and(|(_, n)| n == 0);
        let sent_client_cert = client_cert.is_some_and(|(_, n)| n > 0);
        let by_server = from == Peer::Server;
        let head = format!(
            "the {} sent {a} after the {}'s {after}",
            from.as_str(),
            from.other().as_str()
        );
        use Code::*;
        let (code, why) = match (a.0, by_server) {
            (116, true) => (ClientCertRequired, "the server requires a client certificate and got none".to_string()),
            (40, true) if empty_client_cert => (
                ClientCertRequired,
                "the server asked for a client certificate (CertificateRequest) and the client answered with an empty Certificate".to_string(),
            ),
            (40, true) if sh.is_none() => (
                HandshakeNoSharedCipher,
                format!(
                    "the server refused the ClientHello ({} suites offered, {}): most often no cipher suite in common",
                    ch.cipher_suites.len(),
                    versions_text(ch)
                ),
            ),
            (42 | 43 | 46, true) if sent_client_cert => (ClientCertRejected, "the server refused the client certificate".into()),
            (42 | 43 | 46, true) if empty_client_cert => (ClientCertRequired, "the client answered the CertificateRequest with an empty Certificate".into()),
            (42 | 43 | 46, false) => (CertRejected, "the client refused the server's certificate".into()),
            (44, true) => (ClientCertRevoked, "the server says the client certificate is revoked".into()),
            (44, false) => (CertRevoked, "the client says the server certificate is revoked".into()),
            (45, true) => (ClientCertExpired, "the server says the client certificate has expired".into()),
            (45, false) => (CertExpired, "the client says the server certificate has expired".into()),
            (48, true) => (ClientCertUntrusted, "the server does not trust the CA that issued the client certificate".into()),
            (48, false) => (CertUntrustedRoot, "the client does not trust the CA at the end of the server's chain".into()),
            (49, true) => (ClientCertNotAllowed, "the server accepted the certificate but denies this identity access".into()),
            (70, _) => (
                HandshakeProtocolVersion,
                match sh {
                    Some(s) => format!("the client offered {} and the server chose {}", versions_text(ch), s.version()),
                    None => format!("the client offered {}", versions_text(ch)),
                },
            ),
            (71, _) => (HandshakeNoSharedCipher, "the peer requires stronger parameters than were offered".into()),
            _ => (HandshakeAlert, format!("the {} aborted the handshake", from.as_str())),
        };
        let mut f = Finding::new(code, side_of_alert(code, from), format!("{head}: {why}"))
            .with("alert", a.0)
            .with("alert_name", a.name().unwrap_or("unknown"))
            .with("from", from.as_str())
            .with("after", after);
        if code == ClientCertRequired || code == ClientCertRejected {
            if let Some(names) = cert_req {
                f = f.with("accepted_ca_names", names);
            }
        }
        // The certificate the client refused is in the cleartext for TLS 1.2: name it.
        if !by_server {
            if let Some(subject) = self.visible_server_subject() {
                f = f.with("server_certificate", subject);
            }
        }
        let _ = i;
        self.findings.push(f);
    }

    fn visible_server_subject(&self) -> Option<String> {
        self.ev.iter().find_map(|e| match &e.message {
            Message::Certificate { subjects, .. } if e.from == Peer::Server => {
                subjects.first().cloned()
            }
            _ => None,
        })
    }

    /// TLS ≤ 1.2 shows the server's chain: check its dates against the capture time.
    fn check_visible_server_certs(&mut self) {
        let Some(now) = self.started else { return };
        let Some(certs) = self.ev.iter().find_map(|e| match &e.message {
            Message::Certificate { certs, .. } if e.from == Peer::Server => Some(certs),
            _ => None,
        }) else {
            return;
        };
        let Some(leaf) = certs.first() else { return };
        let Ok((_, cert)) = x509_parser::parse_x509_certificate(leaf) else {
            return;
        };
        let v = cert.validity();
        let (nb, na) = (v.not_before.to_datetime(), v.not_after.to_datetime());
        let subject = cert.subject().to_string();
        if now > na {
            self.findings.push(
                Finding::new(
                    Code::CertExpired,
                    Side::Server,
                    format!("the server's certificate ({subject}) expired on {na}, before this connection ({now})"),
                )
                .with("not_after", na.to_string()),
            );
        } else if now < nb {
            self.findings.push(
                Finding::new(
                    Code::CertNotYetValid,
                    Side::Server,
                    format!("the server's certificate ({subject}) is valid only from {nb}, after this connection ({now})"),
                )
                .with("not_before", nb.to_string()),
            );
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ClientCertSeen {
    NotAsked,
    Empty,
    Sent,
    Unknown,
}

/// Whose problem an alert-derived code is.
fn side_of_alert(code: Code, from: Peer) -> Side {
    match code {
        Code::HandshakeAlert => side_at_fault(from),
        c => side_of(c),
    }
}

fn side_of(code: Code) -> Side {
    use crate::code::Area;
    match code.area() {
        Area::ClientCert | Area::Http => Side::Client,
        _ => Side::Server,
    }
}

/// The side that aborted detected the problem; without more, the problem is reported on the
/// other side's account (the one that sent what was refused).
fn side_at_fault(aborter: Peer) -> Side {
    match aborter {
        Peer::Client => Side::Server,
        Peer::Server => Side::Client,
    }
}

fn sni_text(ch: &ClientHello) -> String {
    ch.server_name
        .as_ref()
        .map(|s| format!(" for {s}"))
        .unwrap_or_default()
}

fn versions_text(ch: &ClientHello) -> String {
    let v: Vec<String> = ch
        .offered_versions()
        .iter()
        .filter(|v| v.name().is_some())
        .map(|v| v.to_string())
        .collect();
    v.join("/")
}

fn looks_like_http_request(b: &[u8]) -> bool {
    const METHODS: [&[u8]; 9] = [
        b"GET ",
        b"POST ",
        b"PUT ",
        b"HEAD ",
        b"DELETE ",
        b"OPTIONS ",
        b"PATCH ",
        b"CONNECT ",
        b"TRACE ",
    ];
    METHODS.iter().any(|m| b.starts_with(m))
}

/// The status of a cleartext HTTP answer (`HTTP/1.1 497 ...`).
pub fn http_status(b: &[u8]) -> Option<u16> {
    let rest = b.strip_prefix(b"HTTP/1.")?;
    let s = rest.get(2..5)?;
    std::str::from_utf8(s).ok()?.parse().ok()
}

/// The code a cleartext HTTP answer stands for: certgate's JSON `code` field when present,
/// else 495/496/497, or nginx's 400 "plain HTTP request was sent to HTTPS port".
fn http_answer_code(b: &[u8]) -> Option<Code> {
    let status = http_status(b)?;
    let text = String::from_utf8_lossy(b);
    if let Some(c) = json_code(&text) {
        return Some(c);
    }
    match status {
        495 => Some(Code::ClientCertRejected),
        496 => Some(Code::ClientCertRequired),
        497 => Some(Code::HttpPlainToTls),
        400 if text.contains("plain HTTP request was sent to HTTPS port") => {
            Some(Code::HttpPlainToTls)
        }
        _ => None,
    }
}

/// `"code":"client_cert.required"` in a JSON body, when it names a known code.
fn json_code(text: &str) -> Option<Code> {
    let at = text.find("\"code\"")?;
    let rest = text[at + 6..].trim_start().strip_prefix(':')?.trim_start();
    let rest = rest.strip_prefix('"')?;
    let end = rest.find('"')?;
    rest[..end].parse().ok()
}

fn cert_subject(der: &[u8]) -> String {
    match x509_parser::parse_x509_certificate(der) {
        Ok((_, c)) => c.subject().to_string(),
        Err(_) => "unparsable certificate".into(),
    }
}

/// A distinguished name from DER (CertificateRequest CA names), or a placeholder.
pub fn dn_text(der: &[u8]) -> String {
    use x509_parser::prelude::FromDer;
    match x509_parser::x509::X509Name::from_der(der) {
        Ok((_, n)) => n.to_string(),
        Err(_) => format!("<{} bytes of DER>", der.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::verdict;
    use Peer::{Client as C, Server as S};

    fn ch() -> Message {
        Message::ClientHello(ClientHello {
            legacy_version: ProtocolVersion::TLS1_2,
            supported_versions: vec![ProtocolVersion::TLS1_3, ProtocolVersion::TLS1_2],
            cipher_suites: vec![CipherSuite(0x1301), CipherSuite(0xc02f)],
            server_name: Some("localhost".into()),
            alpn: vec!["http/1.1".into()],
            key_share_groups: vec![29],
        })
    }

    fn sh(v: ProtocolVersion, suite: u16) -> Message {
        Message::ServerHello(ServerHello {
            legacy_version: ProtocolVersion::TLS1_2,
            selected_version: (v == ProtocolVersion::TLS1_3).then_some(v),
            cipher_suite: CipherSuite(suite),
            alpn: None,
            retry: false,
        })
    }

    fn enc(len: usize) -> Message {
        Message::Encrypted {
            content_type: 23,
            len,
        }
    }

    fn hs(t: u8) -> Message {
        Message::Handshake { msg_type: t }
    }

    fn alert(a: u8) -> Message {
        Message::Alert {
            level: 2,
            alert: Alert(a),
        }
    }

    const FIN: Message = Message::Closed { reset: false };

    fn run(ev: Vec<(Peer, Message)>) -> HandshakeAnalysis {
        let events = ev
            .into_iter()
            .map(|(from, message)| Event {
                from,
                at: 0.0,
                message,
            })
            .collect();
        analyse(&HandshakeTrace {
            events,
            started: None,
        })
    }

    fn code(ev: Vec<(Peer, Message)>) -> Code {
        verdict(&run(ev).findings)
    }

    fn tls12_until_cert_request() -> Vec<(Peer, Message)> {
        vec![
            (C, ch()),
            (S, sh(ProtocolVersion::TLS1_2, 0xc02f)),
            (S, Message::certificate(vec![vec![1, 2, 3]])),
            (S, hs(12)),
            (
                S,
                Message::CertificateRequest {
                    ca_names: vec!["CN=Clients CA".into()],
                },
            ),
            (S, hs(14)),
        ]
    }

    #[test]
    fn tls12_empty_client_certificate_then_handshake_failure_is_client_cert_required() {
        let mut ev = tls12_until_cert_request();
        ev.extend([
            (C, Message::certificate(vec![])),
            (C, hs(16)),
            (C, Message::ChangeCipherSpec),
            (
                C,
                Message::Encrypted {
                    content_type: 22,
                    len: 40,
                },
            ),
            (S, alert(40)),
            (S, FIN),
        ]);
        let a = run(ev);
        assert_eq!(verdict(&a.findings), Code::ClientCertRequired);
        assert_eq!(a.aborted_by, Some(Peer::Server));
        let f = &a.findings[0];
        assert!(
            f.detail.contains("after the client's Finished"),
            "{}",
            f.detail
        );
        assert_eq!(f.evidence["accepted_ca_names"][0], "CN=Clients CA");
    }

    #[test]
    fn tls12_client_cert_sent_and_refused_with_unknown_ca_is_client_cert_untrusted() {
        let mut ev = tls12_until_cert_request();
        ev.extend([
            (C, Message::certificate(vec![vec![9; 300]])),
            (S, alert(48)),
        ]);
        assert_eq!(code(ev), Code::ClientCertUntrusted);
    }

    #[test]
    fn alerts_from_the_client_blame_the_server_certificate() {
        for (a, want) in [
            (48, Code::CertUntrustedRoot),
            (45, Code::CertExpired),
            (42, Code::CertRejected),
            (44, Code::CertRevoked),
        ] {
            let ev = vec![
                (C, ch()),
                (S, sh(ProtocolVersion::TLS1_2, 0xc02f)),
                (S, Message::certificate(vec![vec![1]])),
                (S, hs(14)),
                (C, alert(a)),
            ];
            let r = run(ev);
            assert_eq!(verdict(&r.findings), want, "alert {a}");
            assert_eq!(r.findings[0].side, Side::Server);
            assert!(r.findings[0].detail.starts_with("the client sent"));
        }
    }

    #[test]
    fn protocol_version_alert_names_the_offer() {
        let ev = vec![(C, ch()), (S, alert(70)), (S, FIN)];
        let r = run(ev);
        assert_eq!(verdict(&r.findings), Code::HandshakeProtocolVersion);
        assert!(
            r.findings[0].detail.contains("TLSv1.3/TLSv1.2"),
            "{}",
            r.findings[0].detail
        );
    }

    #[test]
    fn a_fatal_alert_without_a_client_hello_is_still_a_failure() {
        let r = run(vec![(S, alert(48)), (S, FIN)]);
        assert_eq!(verdict(&r.findings), Code::HandshakeAlert);
        assert!(
            r.findings[0].detail.contains("unknown_ca"),
            "{}",
            r.findings[0].detail
        );
        assert_eq!(r.aborted_by, Some(S));
    }

    #[test]
    fn handshake_failure_right_after_client_hello_is_no_shared_cipher() {
        let ev = vec![(C, ch()), (S, alert(40))];
        assert_eq!(code(ev), Code::HandshakeNoSharedCipher);
    }

    #[test]
    fn tls13_empty_certificate_and_alert_sized_answer_is_client_cert_required() {
        let ev = vec![
            (C, ch()),
            (S, sh(ProtocolVersion::TLS1_3, 0x1302)),
            (S, Message::ChangeCipherSpec),
            (S, enc(1200)),
            (C, Message::ChangeCipherSpec),
            (C, enc(8 + 17)),
            (C, enc(52 + 17)),
            (S, enc(19)),
            (S, FIN),
        ];
        let r = run(ev);
        assert_eq!(verdict(&r.findings), Code::ClientCertRequired);
        assert_eq!(r.findings[0].evidence["inferred"], true);
        assert!(r.notes.iter().any(|n| n.contains("encrypted")));
    }

    #[test]
    fn tls13_coalesced_client_certificate_and_alert_answer_is_client_cert_rejected() {
        let ev = vec![
            (C, ch()),
            (S, sh(ProtocolVersion::TLS1_3, 0x1301)),
            (S, enc(1200)),
            (C, enc(900)),
            (S, enc(19)),
            (S, FIN),
        ];
        assert_eq!(code(ev), Code::ClientCertRejected);
    }

    #[test]
    fn tls13_client_alert_after_server_flight_is_cert_rejected() {
        let ev = vec![
            (C, ch()),
            (S, sh(ProtocolVersion::TLS1_3, 0x1301)),
            (S, enc(1200)),
            (C, Message::ChangeCipherSpec),
            (C, enc(19)),
            (C, FIN),
        ];
        let r = run(ev);
        assert_eq!(verdict(&r.findings), Code::CertRejected);
        assert_eq!(r.aborted_by, Some(Peer::Client));
    }

    #[test]
    fn tls13_finished_then_data_is_ok() {
        let ev = vec![
            (C, ch()),
            (S, sh(ProtocolVersion::TLS1_3, 0x1301)),
            (S, enc(1200)),
            (C, enc(36 + 17)),
            (C, enc(100)),
            (S, enc(250)),
            (S, enc(500)),
            (C, FIN),
        ];
        let r = run(ev);
        assert_eq!(r.outcome, Outcome::Completed);
        assert_eq!(verdict(&r.findings), Code::Ok);
    }

    #[test]
    fn tls12_full_handshake_with_data_is_ok() {
        let ev = vec![
            (C, ch()),
            (S, sh(ProtocolVersion::TLS1_2, 0xc02f)),
            (S, hs(14)),
            (C, hs(16)),
            (C, Message::ChangeCipherSpec),
            (S, Message::ChangeCipherSpec),
            (C, enc(80)),
        ];
        let r = run(ev);
        assert_eq!(r.outcome, Outcome::Completed);
        assert!(r.findings.is_empty());
    }

    #[test]
    fn plain_http_answered_by_tls_or_497_is_plain_to_tls() {
        let req = Message::not_tls(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!(
            code(vec![(C, req.clone()), (S, alert(50))]),
            Code::HttpPlainToTls
        );
        let ans = Message::not_tls(b"HTTP/1.1 497 HTTP Request Sent to HTTPS Port\r\n\r\n{}");
        assert_eq!(code(vec![(C, req.clone()), (S, ans)]), Code::HttpPlainToTls);
        let nginx = Message::not_tls(b"HTTP/1.1 400 Bad Request\r\n\r\n<center>The plain HTTP request was sent to HTTPS port</center>");
        assert_eq!(
            code(vec![(C, req.clone()), (S, nginx)]),
            Code::HttpPlainToTls
        );
        let ok = Message::not_tls(b"HTTP/1.1 200 OK\r\n\r\n");
        let r = run(vec![(C, req), (S, ok)]);
        assert_eq!(r.outcome, Outcome::NotTls);
        assert_eq!(verdict(&r.findings), Code::Ok);
    }

    #[test]
    fn certgate_json_code_in_a_cleartext_answer_is_taken_as_is() {
        let req = Message::not_tls(b"GET / HTTP/1.1\r\n\r\n");
        let ans = Message::not_tls(b"HTTP/1.1 496 SSL Certificate Required\r\ncontent-type: application/json\r\n\r\n{\"code\": \"client_cert.required\"}");
        assert_eq!(code(vec![(C, req), (S, ans)]), Code::ClientCertRequired);
    }

    #[test]
    fn client_hello_answered_with_http_is_not_tls() {
        let ans = Message::not_tls(b"HTTP/1.1 400 Bad Request\r\n\r\n");
        assert_eq!(code(vec![(C, ch()), (S, ans)]), Code::HandshakeNotTls);
    }

    #[test]
    fn capture_ending_after_client_hello_is_incomplete_not_a_failure() {
        let r = run(vec![(C, ch())]);
        assert_eq!(r.outcome, Outcome::Incomplete);
        assert_eq!(verdict(&r.findings), Code::HandshakeIncomplete);
        assert_eq!(r.findings[0].side, Side::Network);
    }

    #[test]
    fn server_closing_silently_after_client_hello_is_named() {
        let r = run(vec![(C, ch()), (S, FIN)]);
        assert_eq!(r.outcome, Outcome::Failed);
        assert!(r.findings[0].detail.contains("server closed"));
    }

    #[test]
    fn http_status_reads_only_real_status_lines() {
        assert_eq!(http_status(b"HTTP/1.1 497 x"), Some(497));
        assert_eq!(http_status(b"HTTP/1.1"), None);
        assert_eq!(http_status(b"\x16\x03\x01"), None);
    }
}
