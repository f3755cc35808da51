//! TCP reassembly, hand-written because neither pcap-parser nor etherparse reassembles: segments
//! (possibly out of order, retransmitted or overlapping) → the in-order bytes of each direction,
//! fed to a [`TlsStream`]; FIN and RST become `Closed` once every byte before them arrived.

use crate::tls::TlsStream;
use certgate_core::analyse::handshake::{Event, HandshakeTrace, Message, Peer};
use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, SocketAddr};
use time::OffsetDateTime;

/// Out-of-order bytes held per direction before giving up on the hole (a lost segment).
const MAX_PENDING: usize = 4 << 20;

/// One TCP segment, as decoded from a packet.
#[derive(Debug, Clone)]
pub struct Segment<'a> {
    /// Sender address.
    pub src: SocketAddr,
    /// Receiver address.
    pub dst: SocketAddr,
    /// Sequence number of the first payload byte (of the SYN itself when `syn`).
    pub seq: u32,
    /// SYN flag.
    pub syn: bool,
    /// ACK flag.
    pub ack: bool,
    /// FIN flag.
    pub fin: bool,
    /// RST flag.
    pub rst: bool,
    /// Payload bytes.
    pub payload: &'a [u8],
}

/// One direction of a connection.
#[derive(Debug)]
struct Direction {
    /// Sequence number of stream offset 0.
    base: Option<u32>,
    /// Stream offset of the next byte expected.
    next: u64,
    /// Segments beyond `next`, by stream offset.
    pending: BTreeMap<u64, Vec<u8>>,
    pending_bytes: usize,
    /// Stream offset of the FIN, once seen.
    fin_at: Option<u64>,
    closed: bool,
    tls: TlsStream,
}

impl Direction {
    fn new() -> Self {
        Direction {
            base: None,
            next: 0,
            pending: BTreeMap::new(),
            pending_bytes: 0,
            fin_at: None,
            closed: false,
            tls: TlsStream::new(),
        }
    }

    /// Stream offset of `seq` (sequence numbers wrap at 2^32; streams here are far shorter).
    fn offset(&self, seq: u32) -> u64 {
        u64::from(seq.wrapping_sub(self.base.unwrap_or(seq)))
    }

    fn segment(&mut self, seq: u32, syn: bool, fin: bool, payload: &[u8], out: &mut Vec<Message>) {
        if syn {
            self.base = Some(seq.wrapping_add(1));
        } else if self.base.is_none() {
            // Capture started mid-connection: take the first segment seen as offset 0.
            self.base = Some(seq);
        }
        let seq = if syn { seq.wrapping_add(1) } else { seq };
        let off = self.offset(seq);
        // A "negative" offset (retransmission of bytes before base) shows as a huge one.
        if off > u64::from(u32::MAX / 2) {
            return;
        }
        if fin {
            self.fin_at = Some(off + payload.len() as u64);
        }
        if !payload.is_empty() {
            self.insert(off, payload, out);
        }
        self.maybe_close(out);
    }

    fn insert(&mut self, off: u64, payload: &[u8], out: &mut Vec<Message>) {
        let end = off + payload.len() as u64;
        if end <= self.next {
            return; // retransmission of bytes already delivered
        }
        if off <= self.next {
            let skip = (self.next - off) as usize;
            self.deliver(&payload[skip..], out);
            self.drain(out);
        } else if self.pending_bytes < MAX_PENDING {
            let e = self.pending.entry(off).or_default();
            if payload.len() > e.len() {
                self.pending_bytes += payload.len() - e.len();
                *e = payload.to_vec();
            }
        }
    }

    fn deliver(&mut self, data: &[u8], out: &mut Vec<Message>) {
        self.next += data.len() as u64;
        self.tls.feed(data, out);
    }

    /// Delivers held segments that became contiguous.
    fn drain(&mut self, out: &mut Vec<Message>) {
        while let Some((&off, _)) = self.pending.first_key_value() {
            if off > self.next {
                break;
            }
            let (off, data) = self.pending.pop_first().unwrap_or_default();
            self.pending_bytes -= data.len();
            let end = off + data.len() as u64;
            if end > self.next {
                let skip = (self.next - off) as usize;
                self.deliver(&data[skip..], out);
            }
        }
    }

    fn maybe_close(&mut self, out: &mut Vec<Message>) {
        if !self.closed && self.fin_at.is_some_and(|f| self.next >= f) {
            self.closed = true;
            self.tls.finish(out);
            out.push(Message::Closed { reset: false });
        }
    }

    /// End of capture: a hole that never filled is a gap.
    fn end(&mut self, out: &mut Vec<Message>) {
        if !self.pending.is_empty() {
            self.tls.gap(out);
            self.pending.clear();
        } else {
            self.tls.finish(out);
        }
        if !self.closed && self.fin_at.is_some() {
            self.closed = true;
            out.push(Message::Closed { reset: false });
        }
    }
}

/// One TCP connection and what both directions said.
#[derive(Debug)]
pub struct Connection {
    /// 1-based number in order of first packet.
    pub id: usize,
    /// The side that opened the connection (or spoke first).
    pub client: SocketAddr,
    /// The other side.
    pub server: SocketAddr,
    /// Time of the first packet, in seconds since the Unix epoch.
    pub first_ts: f64,
    /// Whether the SYN was seen (otherwise the capture started mid-connection).
    pub saw_syn: bool,
    /// Everything seen, in order.
    pub events: Vec<Event>,
    dirs: [Direction; 2],
    /// Set when a RST or both FINs ended it.
    pub done: bool,
    /// Payload bytes carried by both directions.
    pub payload_bytes: u64,
}

impl Connection {
    fn new(id: usize, client: SocketAddr, server: SocketAddr, ts: f64) -> Self {
        Connection {
            id,
            client,
            server,
            first_ts: ts,
            saw_syn: false,
            events: Vec::new(),
            dirs: [Direction::new(), Direction::new()],
            done: false,
            payload_bytes: 0,
        }
    }

    fn push(&mut self, from: Peer, ts: f64, msgs: Vec<Message>) {
        let at = (ts - self.first_ts).max(0.0);
        self.events
            .extend(msgs.into_iter().map(|message| Event { from, at, message }));
    }

    /// The trace handed to the analysis.
    pub fn trace(&self) -> HandshakeTrace {
        HandshakeTrace {
            events: self.events.clone(),
            started: OffsetDateTime::from_unix_timestamp_nanos((self.first_ts * 1e9) as i128).ok(),
        }
    }

    /// True when either direction carried payload.
    pub fn has_payload(&self) -> bool {
        self.payload_bytes > 0
    }

    /// Records not reported individually, both directions.
    pub fn skipped_records(&self) -> u64 {
        self.dirs.iter().map(|d| d.tls.skipped_records).sum()
    }
}

/// Every connection of a capture, in order of first packet.
#[derive(Debug, Default)]
pub struct Flows {
    conns: Vec<Connection>,
    /// (lower endpoint, higher endpoint) → index of the live connection.
    live: HashMap<(SocketAddr, SocketAddr), usize>,
}

fn key(a: SocketAddr, b: SocketAddr) -> (SocketAddr, SocketAddr) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

impl Flows {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one segment seen at `ts` (seconds since the epoch).
    pub fn segment(&mut self, ts: f64, s: &Segment<'_>) {
        let k = key(s.src, s.dst);
        let opening = s.syn && !s.ack;
        let idx = match self.live.get(&k) {
            // A new SYN on a finished 4-tuple is a new connection (port reuse).
            Some(&i) if !(opening && (self.conns[i].done || self.conns[i].has_payload())) => i,
            _ => {
                if !opening && s.payload.is_empty() && !s.syn {
                    return; // a bare ACK/FIN/RST of a connection we never saw: nothing to say
                }
                // Without a SYN, the side that speaks first is taken as the client; a SYN-ACK
                // names the server directly.
                let (client, server) = if s.syn && s.ack {
                    (s.dst, s.src)
                } else {
                    (s.src, s.dst)
                };
                let id = self.conns.len() + 1;
                self.conns.push(Connection::new(id, client, server, ts));
                self.live.insert(k, self.conns.len() - 1);
                self.conns.len() - 1
            }
        };
        let c = &mut self.conns[idx];
        if opening {
            c.saw_syn = true;
        }
        let from = if s.src == c.client {
            Peer::Client
        } else {
            Peer::Server
        };
        let d = &mut c.dirs[from as usize];
        let mut out = Vec::new();
        if s.rst {
            d.tls.finish(&mut out);
            out.push(Message::Closed { reset: true });
            d.closed = true;
            c.done = true;
        } else {
            d.segment(s.seq, s.syn, s.fin, s.payload, &mut out);
        }
        c.payload_bytes += s.payload.len() as u64;
        if c.dirs.iter().all(|d| d.closed) {
            c.done = true;
        }
        c.push(from, ts, out);
    }

    /// Ends the capture: flushes every direction and returns the connections in order.
    pub fn finish(mut self, ts: f64) -> Vec<Connection> {
        for c in &mut self.conns {
            for from in [Peer::Client, Peer::Server] {
                let mut out = Vec::new();
                c.dirs[from as usize].end(&mut out);
                c.push(from, ts, out);
            }
        }
        self.conns
    }

    /// Number of connections so far.
    pub fn len(&self) -> usize {
        self.conns.len()
    }

    /// True when no connection was seen.
    pub fn is_empty(&self) -> bool {
        self.conns.is_empty()
    }
}

/// A socket address from an IP and a port.
pub fn addr(ip: IpAddr, port: u16) -> SocketAddr {
    SocketAddr::new(ip, port)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg<'a>(from_client: bool, seq: u32, flags: &str, payload: &'a [u8]) -> Segment<'a> {
        let c: SocketAddr = "127.0.0.1:50000".parse().unwrap();
        let s: SocketAddr = "127.0.0.1:443".parse().unwrap();
        let (src, dst) = if from_client { (c, s) } else { (s, c) };
        Segment {
            src,
            dst,
            seq,
            syn: flags.contains('S'),
            ack: flags.contains('A'),
            fin: flags.contains('F'),
            rst: flags.contains('R'),
            payload,
        }
    }

    #[test]
    fn out_of_order_and_retransmitted_segments_reassemble_into_one_alert() {
        let mut f = Flows::new();
        f.segment(0.0, &seg(true, 100, "S", b""));
        f.segment(0.0, &seg(false, 500, "SA", b""));
        // Alert 21 03 03 00 02 02 28 sent as three segments, delivered 3, 1, 2, 1 (retransmit).
        let rec = [21u8, 3, 3, 0, 2, 2, 40];
        f.segment(0.1, &seg(false, 501 + 5, "A", &rec[5..]));
        f.segment(0.2, &seg(false, 501, "A", &rec[..2]));
        f.segment(0.3, &seg(false, 501 + 2, "A", &rec[2..5]));
        f.segment(0.4, &seg(false, 501, "A", &rec[..2]));
        f.segment(0.5, &seg(false, 508, "FA", b""));
        let conns = f.finish(1.0);
        assert_eq!(conns.len(), 1);
        let msgs: Vec<_> = conns[0].events.iter().map(|e| e.message.clone()).collect();
        assert_eq!(
            msgs,
            vec![
                Message::Alert {
                    level: 2,
                    alert: certgate_core::wire::Alert(40)
                },
                Message::Closed { reset: false }
            ]
        );
        assert_eq!(conns[0].events[0].from, Peer::Server);
    }

    #[test]
    fn fin_before_missing_data_waits_and_a_hole_becomes_a_gap() {
        let mut f = Flows::new();
        f.segment(0.0, &seg(true, 0, "S", b""));
        f.segment(0.1, &seg(true, 1 + 10, "FA", b"late"));
        let conns = f.finish(1.0);
        let msgs: Vec<_> = conns[0].events.iter().map(|e| e.message.clone()).collect();
        assert_eq!(msgs, vec![Message::Gap, Message::Closed { reset: false }]);
    }
}
