//! Capture files → TCP segments → connections. pcap-parser reads pcap and pcapng (format detected
//! from the magic number); etherparse slices Ethernet, Linux cooked (SLL, SLL2), BSD loopback and
//! raw IP down to TCP. A truncated or corrupt file keeps every connection read before the damage.

use crate::tcp::{addr, Connection, Flows, Segment};
use etherparse::{EtherType, LaxNetSlice, LaxSlicedPacket, TransportSlice};
use pcap_parser::{Linktype, PcapBlockOwned, PcapError};
use std::io::Read;
use std::path::Path;

/// certgate could not read a capture (as opposed to findings about what it holds).
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a pcap or pcapng capture.
    #[error("{path} is not a pcap or pcapng capture ({reason})")]
    NotACapture {
        /// The file.
        path: String,
        /// What the reader said.
        reason: String,
    },
}

/// Where reading stopped early, when it did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Damage {
    /// Packets read before the damage.
    pub packets: u64,
    /// What went wrong ("the file ends inside a packet", "corrupt block").
    pub reason: String,
}

/// Everything read from a capture.
#[derive(Debug)]
pub struct Capture {
    /// TCP connections, in order of first packet.
    pub connections: Vec<Connection>,
    /// Packets read.
    pub packets: u64,
    /// Packets that were not TCP over IP (or used an unsupported link type).
    pub skipped_packets: u64,
    /// Link types seen that certgate cannot decode.
    pub unsupported_links: Vec<i32>,
    /// Set when the file is truncated or corrupt after its header (possibly before any packet).
    pub damage: Option<Damage>,
    /// File size in bytes.
    pub bytes: u64,
}

/// Reads a capture file.
pub fn read_file(path: &Path) -> Result<Capture, CaptureError> {
    let shown = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|source| CaptureError::Io {
        path: shown.clone(),
        source,
    })?;
    let bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut cap = read(std::io::BufReader::with_capacity(1 << 20, file), &shown)?;
    cap.bytes = bytes;
    Ok(cap)
}

/// Reads a capture from any reader; `name` is used in error messages.
pub fn read<R: Read + Send>(reader: R, name: &str) -> Result<Capture, CaptureError> {
    let mut rd =
        pcap_parser::create_reader(1 << 20, reader).map_err(|e| CaptureError::NotACapture {
            path: name.to_string(),
            reason: describe(&e),
        })?;
    let mut flows = Flows::new();
    // Per pcapng interface: link type and timestamp units per second.
    let mut ifaces: Vec<(Linktype, u64, i64)> = Vec::new();
    let mut legacy: Option<(Linktype, bool)> = None;
    // Once a file header (pcap) or section header (pcapng) parsed, later damage is damage to a
    // capture, not proof that the file is something else.
    let mut header_seen = false;
    let mut packets = 0u64;
    let mut skipped = 0u64;
    let mut unsupported: Vec<i32> = Vec::new();
    let mut damage = None;
    let mut last_ts = 0.0;
    loop {
        match rd.next() {
            Ok((offset, block)) => {
                let pkt: Option<(Linktype, f64, &[u8])> = match block {
                    PcapBlockOwned::LegacyHeader(h) => {
                        header_seen = true;
                        legacy = Some((h.network, h.is_nanosecond_precision()));
                        None
                    }
                    PcapBlockOwned::Legacy(b) => {
                        let (lt, nanos) = legacy.unwrap_or((Linktype::ETHERNET, false));
                        let frac = if nanos { 1e-9 } else { 1e-6 };
                        let ts = f64::from(b.ts_sec) + f64::from(b.ts_usec) * frac;
                        let n = (b.caplen as usize).min(b.data.len());
                        Some((lt, ts, &b.data[..n]))
                    }
                    PcapBlockOwned::NG(pcap_parser::Block::SectionHeader(_)) => {
                        header_seen = true;
                        ifaces.clear();
                        None
                    }
                    PcapBlockOwned::NG(pcap_parser::Block::InterfaceDescription(idb)) => {
                        let res = idb.ts_resolution().unwrap_or(1_000_000).max(1);
                        ifaces.push((idb.linktype, res, idb.ts_offset()));
                        None
                    }
                    PcapBlockOwned::NG(pcap_parser::Block::EnhancedPacket(epb)) => {
                        let (lt, res, off) = ifaces.get(epb.if_id as usize).copied().unwrap_or((
                            Linktype::ETHERNET,
                            1_000_000,
                            0,
                        ));
                        let raw = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                        let ts = (raw / res) as f64 + (raw % res) as f64 / res as f64 + off as f64;
                        let n = (epb.caplen as usize).min(epb.data.len());
                        Some((lt, ts, &epb.data[..n]))
                    }
                    PcapBlockOwned::NG(pcap_parser::Block::SimplePacket(spb)) => {
                        let lt = ifaces.first().map(|i| i.0).unwrap_or(Linktype::ETHERNET);
                        Some((lt, last_ts, spb.data))
                    }
                    PcapBlockOwned::NG(_) => None,
                };
                if let Some((lt, ts, data)) = pkt {
                    packets += 1;
                    last_ts = ts;
                    match segment_of(lt, data) {
                        Decoded::Tcp(seg) => flows.segment(ts, &seg),
                        Decoded::Other => skipped += 1,
                        Decoded::UnsupportedLink => {
                            skipped += 1;
                            if !unsupported.contains(&lt.0) {
                                unsupported.push(lt.0);
                            }
                        }
                    }
                }
                rd.consume(offset);
            }
            Err(PcapError::Eof) => break,
            Err(PcapError::Incomplete(_)) => {
                if rd.refill().is_err() {
                    damage = Some(Damage {
                        packets,
                        reason: "read error".into(),
                    });
                    break;
                }
            }
            Err(PcapError::UnexpectedEof) => {
                damage = Some(Damage {
                    packets,
                    reason: "the file ends inside a packet (truncated capture)".into(),
                });
                break;
            }
            Err(e) => {
                let reason = describe(&e);
                if !header_seen {
                    return Err(CaptureError::NotACapture {
                        path: name.to_string(),
                        reason,
                    });
                }
                damage = Some(Damage {
                    packets,
                    reason: format!("corrupt data after packet {packets}: {reason}"),
                });
                break;
            }
        }
    }
    Ok(Capture {
        connections: flows.finish(last_ts),
        packets,
        skipped_packets: skipped,
        unsupported_links: unsupported,
        damage,
        bytes: 0,
    })
}

fn describe<I>(e: &PcapError<I>) -> String {
    match e {
        PcapError::Eof => "empty file".into(),
        PcapError::HeaderNotRecognized => "unknown magic number".into(),
        PcapError::UnexpectedEof => "the file ends too early".into(),
        PcapError::BufferTooSmall => "a block is larger than 1 MiB".into(),
        PcapError::ReadError => "read error".into(),
        PcapError::Incomplete(_) => "incomplete block".into(),
        _ => "malformed block".into(),
    }
}

enum Decoded<'a> {
    Tcp(Segment<'a>),
    Other,
    UnsupportedLink,
}

/// One link-layer frame → its TCP segment, when it carries one.
fn segment_of(lt: Linktype, data: &[u8]) -> Decoded<'_> {
    let sliced = match lt {
        Linktype::ETHERNET => LaxSlicedPacket::from_ethernet(data).ok(),
        // Linux cooked v1: 16-byte header, protocol (EtherType) in the last two bytes.
        Linktype::LINUX_SLL if data.len() >= 16 => Some(LaxSlicedPacket::from_ether_type(
            EtherType(u16::from_be_bytes([data[14], data[15]])),
            &data[16..],
        )),
        // Linux cooked v2: 20-byte header, protocol first.
        Linktype::LINUX_SLL2 if data.len() >= 20 => Some(LaxSlicedPacket::from_ether_type(
            EtherType(u16::from_be_bytes([data[0], data[1]])),
            &data[20..],
        )),
        // BSD loopback / OpenBSD loop: 4-byte address family, then IP.
        Linktype::NULL | Linktype::LOOP if data.len() >= 4 => {
            LaxSlicedPacket::from_ip(&data[4..]).ok()
        }
        Linktype::RAW | Linktype::IPV4 | Linktype::IPV6 => LaxSlicedPacket::from_ip(data).ok(),
        Linktype::LINUX_SLL | Linktype::LINUX_SLL2 | Linktype::NULL | Linktype::LOOP => None,
        _ => return Decoded::UnsupportedLink,
    };
    let Some(p) = sliced else {
        return Decoded::Other;
    };
    let (src, dst) = match &p.net {
        Some(LaxNetSlice::Ipv4(ip)) => (
            ip.header().source_addr().into(),
            ip.header().destination_addr().into(),
        ),
        Some(LaxNetSlice::Ipv6(ip)) => (
            ip.header().source_addr().into(),
            ip.header().destination_addr().into(),
        ),
        _ => return Decoded::Other,
    };
    let Some(TransportSlice::Tcp(tcp)) = &p.transport else {
        return Decoded::Other;
    };
    Decoded::Tcp(Segment {
        src: addr(src, tcp.source_port()),
        dst: addr(dst, tcp.destination_port()),
        seq: tcp.sequence_number(),
        syn: tcp.syn(),
        ack: tcp.ack(),
        fin: tcp.fin(),
        rst: tcp.rst(),
        payload: tcp.payload(),
    })
}
