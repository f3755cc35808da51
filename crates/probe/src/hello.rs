//! Hand-built ClientHellos for SSLv3, TLS 1.0, 1.1, 1.2 and 1.3, and the reading of the server's
//! answer with tls-parser. rustls will not speak TLS 1.0/1.1 nor offer CBC, RC4 or static-RSA
//! suites, so finding out what an old server accepts means writing the hello ourselves. For TLS
//! 1.2 and older the server's first flight is cleartext, so the same probe also yields its chain,
//! its CertificateRequest and whether it staples OCSP.

use certgate_core::evidence::{CertificateRequest, HelloAnswer};
use certgate_core::wire::{Alert, CipherSuite, ProtocolVersion};
use rustls::pki_types::CertificateDer;
use std::net::SocketAddr;
use std::time::Duration;
use tls_parser::{TlsCipherKx, TlsExtension, TlsMessageHandshake};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The five TLS 1.3 suites (RFC 8446 §B.4).
pub const TLS13_SUITES: [u16; 5] = [0x1301, 0x1302, 0x1303, 0x1304, 0x1305];

/// SHA-256("HelloRetryRequest"): a ServerHello with this random is a HelloRetryRequest (RFC 8446 §4.1.3).
const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// Every registered pre-1.3 suite a certificate-authenticated server could pick (PSK, SRP,
/// Kerberos and signalling values left out), strongest first.
pub fn legacy_suites() -> Vec<u16> {
    let mut v: Vec<(u8, u16)> = tls_parser::CIPHERS
        .values()
        .filter(|c| {
            matches!(
                c.kx,
                TlsCipherKx::Rsa
                    | TlsCipherKx::Dh
                    | TlsCipherKx::Dhe
                    | TlsCipherKx::Ecdh
                    | TlsCipherKx::Ecdhe
                    | TlsCipherKx::Aecdh
            )
        })
        .map(|c| {
            let s = CipherSuite(c.id.0);
            let rank = if certgate_core::analyse::protocol::suite_is_modern(s) {
                0
            } else if certgate_core::analyse::protocol::suite_weakness(s).is_some() {
                3
            } else if matches!(c.kx, TlsCipherKx::Ecdhe | TlsCipherKx::Dhe) {
                1
            } else {
                2
            };
            (rank, c.id.0)
        })
        .collect();
    v.sort();
    v.into_iter().map(|(_, id)| id).collect()
}

/// The suites to offer by default for `version`.
pub fn suites_for(version: ProtocolVersion) -> Vec<u16> {
    if version == ProtocolVersion::TLS1_3 {
        TLS13_SUITES.to_vec()
    } else {
        legacy_suites()
    }
}

fn random32() -> [u8; 32] {
    let mut r = [0u8; 32];
    // The random need not be secret here, but it must differ per hello; fall back to the clock.
    if rustls::crypto::aws_lc_rs::default_provider()
        .secure_random
        .fill(&mut r)
        .is_err()
    {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
            .to_be_bytes();
        r[..16].copy_from_slice(&t);
    }
    r
}

fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

fn put_u24(out: &mut Vec<u8>, v: usize) {
    out.extend_from_slice(&(v as u32).to_be_bytes()[1..]);
}

/// Appends `body` prefixed by its length in `width` bytes.
fn put_vec(out: &mut Vec<u8>, width: usize, body: &[u8]) {
    match width {
        1 => out.push(body.len() as u8),
        2 => put_u16(out, body.len() as u16),
        _ => put_u24(out, body.len()),
    }
    out.extend_from_slice(body);
}

fn ext(out: &mut Vec<u8>, typ: u16, body: &[u8]) {
    put_u16(out, typ);
    put_vec(out, 2, body);
}

/// Builds one ClientHello record offering exactly `version` and `suites`. `sni` is sent when it
/// is a DNS name (never for IP addresses, RFC 6066 §3).
pub fn client_hello(version: ProtocolVersion, suites: &[u16], sni: Option<&str>) -> Vec<u8> {
    let tls13 = version == ProtocolVersion::TLS1_3;
    let ssl3 = version == ProtocolVersion::SSL3;
    let mut body = Vec::with_capacity(1024);
    // TLS 1.3 hellos say 1.2 here and carry the real version in supported_versions.
    put_u16(&mut body, if tls13 { 0x0303 } else { version.0 });
    body.extend_from_slice(&random32());
    if tls13 {
        put_vec(&mut body, 1, &random32()); // middlebox-compatibility session id
    } else {
        body.push(0);
    }
    let mut cs = Vec::with_capacity(suites.len() * 2 + 2);
    for s in suites {
        put_u16(&mut cs, *s);
    }
    if !tls13 {
        put_u16(&mut cs, 0x00ff); // empty renegotiation info SCSV: old servers expect it
    }
    put_vec(&mut body, 2, &cs);
    body.extend_from_slice(&[1, 0]); // compression: null only

    if !ssl3 {
        let mut exts = Vec::with_capacity(256);
        if let Some(name) = sni.filter(|n| n.parse::<std::net::IpAddr>().is_err()) {
            let mut list = vec![0u8]; // host_name
            put_vec(&mut list, 2, name.as_bytes());
            let mut sn = Vec::new();
            put_vec(&mut sn, 2, &list);
            ext(&mut exts, 0x0000, &sn);
        }
        // supported_groups: x25519, secp256r1, secp384r1, secp521r1, ffdhe2048
        let mut groups = Vec::new();
        for g in [0x001du16, 0x0017, 0x0018, 0x0019, 0x0100] {
            put_u16(&mut groups, g);
        }
        let mut g = Vec::new();
        put_vec(&mut g, 2, &groups);
        ext(&mut exts, 0x000a, &g);
        ext(&mut exts, 0x000b, &[1, 0]); // ec_point_formats: uncompressed
        if version >= ProtocolVersion::TLS1_2 {
            let mut algs = Vec::new();
            for a in [
                0x0403u16, 0x0503, 0x0603, 0x0807, 0x0808, 0x0804, 0x0805, 0x0806, 0x0809, 0x080a,
                0x080b, 0x0401, 0x0501, 0x0601, 0x0203, 0x0201,
            ] {
                put_u16(&mut algs, a);
            }
            let mut sa = Vec::new();
            put_vec(&mut sa, 2, &algs);
            ext(&mut exts, 0x000d, &sa);
        }
        ext(&mut exts, 0x0005, &[1, 0, 0, 0, 0]); // status_request (OCSP)
        ext(&mut exts, 0x0017, &[]); // extended_master_secret
        if tls13 {
            ext(&mut exts, 0x002b, &[2, 0x03, 0x04]); // supported_versions: TLS 1.3 only
            let mut share = Vec::new();
            put_u16(&mut share, 0x001d);
            put_vec(&mut share, 2, &random32()); // any 32 bytes are an X25519 public key
            let mut ks = Vec::new();
            put_vec(&mut ks, 2, &share);
            ext(&mut exts, 0x0033, &ks);
            ext(&mut exts, 0x002d, &[1, 1]); // psk_key_exchange_modes: psk_dhe_ke
        }
        put_vec(&mut body, 2, &exts);
    }

    let mut hs = vec![1u8]; // client_hello
    put_vec(&mut hs, 3, &body);
    // Record version: 0x0301 for everything from TLS 1.0 on, as browsers do (RFC 8446 §5.1).
    let mut rec = vec![0x16];
    put_u16(&mut rec, if ssl3 { 0x0300 } else { 0x0301 });
    put_vec(&mut rec, 2, &hs);
    rec
}

/// What came back for one hello.
#[derive(Clone, Debug)]
pub struct ServerFlight {
    pub answer: HelloAnswer,
    /// Certificates from a cleartext (TLS ≤ 1.2) Certificate message, leaf first.
    pub chain: Vec<CertificateDer<'static>>,
    /// A cleartext CertificateRequest.
    pub certificate_request: Option<CertificateRequest>,
    /// A CertificateStatus (stapled OCSP) message was sent.
    pub ocsp_stapled: bool,
}

impl ServerFlight {
    fn answer(answer: HelloAnswer) -> Self {
        ServerFlight {
            answer,
            chain: vec![],
            certificate_request: None,
            ocsp_stapled: false,
        }
    }
}

/// Connects to `addr`, sends a hello for `version` offering `suites`, and reads the answer. With
/// `whole_flight`, reads on to ServerHelloDone (TLS ≤ 1.2) to collect the chain and any
/// CertificateRequest; otherwise stops at the ServerHello.
pub async fn probe(
    addr: SocketAddr,
    version: ProtocolVersion,
    suites: &[u16],
    sni: Option<&str>,
    timeout: Duration,
    whole_flight: bool,
) -> ServerFlight {
    let hello = client_hello(version, suites, sni);
    let run = async {
        let mut tcp = match crate::net::connect(addr, timeout).await {
            Ok(t) => t,
            Err(_) => return ServerFlight::answer(HelloAnswer::Closed),
        };
        if tcp.write_all(&hello).await.is_err() {
            return ServerFlight::answer(HelloAnswer::Closed);
        }
        let mut reader = FlightReader::default();
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => return reader.finish_closed(),
                Ok(n) => {
                    if let Some(done) = reader.feed(&buf[..n], whole_flight) {
                        return done;
                    }
                }
            }
        }
    };
    match tokio::time::timeout(timeout, run).await {
        Ok(f) => f,
        Err(_) => ServerFlight::answer(HelloAnswer::NoAnswer),
    }
}

/// Reassembles records and handshake messages as bytes arrive.
#[derive(Default)]
struct FlightReader {
    raw: Vec<u8>,
    /// Handshake-layer bytes not yet consumed (messages may span records).
    hs: Vec<u8>,
    flight: Option<ServerFlight>,
    /// Version the ServerHello chose.
    version: Option<ProtocolVersion>,
}

/// Limits what one probe reads: a server flight is rarely above 16 KiB.
const MAX_FLIGHT: usize = 256 * 1024;

impl FlightReader {
    /// Feeds bytes; returns the result once the answer is complete.
    fn feed(&mut self, data: &[u8], whole_flight: bool) -> Option<ServerFlight> {
        self.raw.extend_from_slice(data);
        if self.raw.len() > MAX_FLIGHT {
            return Some(self.take());
        }
        loop {
            if self.raw.len() < 5 {
                return self.not_tls_prefix();
            }
            let (typ, major, len) = (
                self.raw[0],
                self.raw[1],
                u16::from_be_bytes([self.raw[3], self.raw[4]]) as usize,
            );
            if !(0x14..=0x17).contains(&typ) || major != 3 || len > 18 * 1024 {
                return Some(self.not_tls());
            }
            if self.raw.len() < 5 + len {
                return None;
            }
            let fragment: Vec<u8> = self.raw[5..5 + len].to_vec();
            self.raw.drain(..5 + len);
            match typ {
                0x15 if fragment.len() >= 2 && self.flight.is_none() => {
                    return Some(ServerFlight::answer(HelloAnswer::Alert {
                        alert: Alert(fragment[1]),
                    }));
                }
                0x15 | 0x17 => return Some(self.take()),
                0x14 => continue,
                _ => {
                    self.hs.extend_from_slice(&fragment);
                    if let Some(done) = self.handshake_messages(whole_flight) {
                        return Some(done);
                    }
                }
            }
        }
    }

    /// Fewer than five bytes so far: decide early only when they already cannot be TLS.
    fn not_tls_prefix(&mut self) -> Option<ServerFlight> {
        let bad = match self.raw.as_slice() {
            [] => false,
            [t, ..] if !(0x14..=0x17).contains(t) => true,
            [_, m, ..] => *m != 3,
            _ => false,
        };
        bad.then(|| self.not_tls())
    }

    fn not_tls(&mut self) -> ServerFlight {
        ServerFlight::answer(HelloAnswer::NotTls {
            preview: preview(&self.raw),
        })
    }

    fn take(&mut self) -> ServerFlight {
        self.flight
            .take()
            .unwrap_or_else(|| ServerFlight::answer(HelloAnswer::Closed))
    }

    fn finish_closed(&mut self) -> ServerFlight {
        if !self.raw.is_empty() && self.flight.is_none() {
            let looks_tls = self.raw[0] >= 0x14 && self.raw[0] <= 0x17;
            if !looks_tls {
                return self.not_tls();
            }
        }
        self.take()
    }

    /// Consumes whole handshake messages; returns the result when the flight is complete.
    fn handshake_messages(&mut self, whole_flight: bool) -> Option<ServerFlight> {
        while self.hs.len() >= 4 {
            let len = u32::from_be_bytes([0, self.hs[1], self.hs[2], self.hs[3]]) as usize;
            if self.hs.len() < 4 + len {
                return None;
            }
            let msg: Vec<u8> = self.hs.drain(..4 + len).collect();
            let typ = msg[0];
            match typ {
                2 => {
                    let Some((version, suite)) = server_hello(&msg) else {
                        return Some(ServerFlight::answer(HelloAnswer::NotTls {
                            preview: "an undecodable ServerHello".into(),
                        }));
                    };
                    self.version = Some(version);
                    self.flight = Some(ServerFlight::answer(HelloAnswer::Accepted {
                        version,
                        suite,
                    }));
                    // TLS 1.3: everything after the ServerHello is encrypted.
                    if !whole_flight || version >= ProtocolVersion::TLS1_3 {
                        return Some(self.take());
                    }
                }
                11 => {
                    if let Some(f) = self.flight.as_mut() {
                        f.chain = certificates(&msg);
                    }
                }
                13 => {
                    let v12 = self.version == Some(ProtocolVersion::TLS1_2);
                    if let Some(f) = self.flight.as_mut() {
                        f.certificate_request = certificate_request(&msg[4..], v12);
                    }
                }
                22 => {
                    if let Some(f) = self.flight.as_mut() {
                        f.ocsp_stapled = true;
                    }
                }
                14 => return Some(self.take()), // ServerHelloDone
                _ => {}
            }
        }
        None
    }
}

/// (version, suite) from a ServerHello message (with its 4-byte header); a HelloRetryRequest
/// counts as accepting TLS 1.3 with its suite.
fn server_hello(msg: &[u8]) -> Option<(ProtocolVersion, CipherSuite)> {
    let (_, parsed) = tls_parser::parse_tls_message_handshake(msg).ok()?;
    let tls_parser::TlsMessage::Handshake(TlsMessageHandshake::ServerHello(sh)) = parsed else {
        return None;
    };
    let mut version = ProtocolVersion(sh.version.0);
    if let Some(ext) = sh.ext {
        if let Ok((_, exts)) = tls_parser::parse_tls_server_hello_extensions(ext) {
            for e in exts {
                if let TlsExtension::SupportedVersions(v) = e {
                    if let Some(v) = v.first() {
                        version = ProtocolVersion(v.0);
                    }
                }
            }
        }
    }
    if sh.random == HRR_RANDOM {
        version = ProtocolVersion::TLS1_3;
    }
    Some((version, CipherSuite(sh.cipher.0)))
}

fn certificates(msg: &[u8]) -> Vec<CertificateDer<'static>> {
    match tls_parser::parse_tls_message_handshake(msg) {
        Ok((_, tls_parser::TlsMessage::Handshake(TlsMessageHandshake::Certificate(c)))) => c
            .cert_chain
            .iter()
            .map(|c| CertificateDer::from(c.data.to_vec()))
            .collect(),
        _ => vec![],
    }
}

/// A TLS ≤ 1.2 CertificateRequest body (RFC 5246 §7.4.4): types, [signature algorithms], CA names.
fn certificate_request(body: &[u8], tls12: bool) -> Option<CertificateRequest> {
    let (_, cr) = tls_parser::parse_tls_handshake_certificaterequest(body).ok()?;
    // tls-parser tries the TLS 1.2 layout first; before 1.2 there is no signature list.
    let schemes = if tls12 {
        cr.sig_hash_algs.unwrap_or_default()
    } else {
        vec![]
    };
    Some(CertificateRequest {
        ca_names: cr
            .unparsed_ca
            .iter()
            .map(|d| crate::tls::dn_text(d))
            .collect(),
        ca_names_der: cr.unparsed_ca.iter().map(|d| d.to_vec()).collect(),
        signature_schemes: schemes,
    })
}

/// The printable start of a non-TLS answer (first line, at most 60 characters).
fn preview(b: &[u8]) -> String {
    let text: String = b
        .iter()
        .take(60)
        .map(|&c| {
            if (0x20..0x7f).contains(&c) {
                c as char
            } else {
                '\n'
            }
        })
        .collect();
    let line = text.lines().next().unwrap_or("").trim().to_string();
    if line.is_empty() {
        format!("{} bytes that are not TLS", b.len())
    } else {
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hellos_parse_back_with_tls_parser() {
        for v in [
            ProtocolVersion::SSL3,
            ProtocolVersion::TLS1_0,
            ProtocolVersion::TLS1_2,
            ProtocolVersion::TLS1_3,
        ] {
            let rec = client_hello(v, &suites_for(v), Some("example.com"));
            let (rest, plain) = tls_parser::parse_tls_plaintext(&rec).unwrap();
            assert!(rest.is_empty());
            let tls_parser::TlsMessage::Handshake(TlsMessageHandshake::ClientHello(ch)) =
                &plain.msg[0]
            else {
                panic!("not a ClientHello")
            };
            let expected = if v == ProtocolVersion::TLS1_3 {
                0x0303
            } else {
                v.0
            };
            assert_eq!(ch.version.0, expected);
            if v != ProtocolVersion::SSL3 {
                let (_, exts) =
                    tls_parser::parse_tls_client_hello_extensions(ch.ext.unwrap()).unwrap();
                assert!(exts.iter().any(|e| matches!(e, TlsExtension::SNI(_))));
                let has_sv = exts
                    .iter()
                    .any(|e| matches!(e, TlsExtension::SupportedVersions(_)));
                assert_eq!(has_sv, v == ProtocolVersion::TLS1_3);
            }
        }
    }

    #[test]
    fn ip_addresses_are_never_sent_as_sni() {
        let rec = client_hello(ProtocolVersion::TLS1_2, &[0xc02f], Some("127.0.0.1"));
        assert!(!rec.windows(9).any(|w| w == b"127.0.0.1"));
    }

    #[test]
    fn legacy_list_is_strongest_first_and_has_no_tls13_or_signalling_suites() {
        let l = legacy_suites();
        assert!(l.len() > 100, "{}", l.len());
        assert!(certgate_core::analyse::protocol::suite_is_modern(
            CipherSuite(l[0])
        ));
        assert!(!l.contains(&0x1301) && !l.contains(&0x00ff) && !l.contains(&0x5600));
    }

    #[test]
    fn reader_sees_alerts_http_and_split_server_hellos() {
        let mut r = FlightReader::default();
        let f = r.feed(&[0x15, 3, 3, 0, 2, 2, 70], true).unwrap();
        assert_eq!(
            f.answer,
            HelloAnswer::Alert {
                alert: Alert::PROTOCOL_VERSION
            }
        );
        let mut r = FlightReader::default();
        let f = r.feed(b"HTTP/1.1 400 Bad Request\r\n\r\n", true).unwrap();
        assert_eq!(
            f.answer,
            HelloAnswer::NotTls {
                preview: "HTTP/1.1 400 Bad Request".into()
            }
        );
        // A TLS 1.2 ServerHello choosing 0xc02f, delivered in two pieces.
        let mut sh = vec![2u8, 0, 0, 38, 3, 3];
        sh.extend_from_slice(&[7u8; 32]);
        sh.extend_from_slice(&[0, 0xc0, 0x2f, 0]);
        let mut rec = vec![0x16, 3, 3, 0, sh.len() as u8];
        rec.extend_from_slice(&sh);
        let mut r = FlightReader::default();
        assert!(r.feed(&rec[..10], false).is_none());
        let f = r.feed(&rec[10..], false).unwrap();
        assert_eq!(
            f.answer,
            HelloAnswer::Accepted {
                version: ProtocolVersion::TLS1_2,
                suite: CipherSuite(0xc02f)
            }
        );
    }
}
