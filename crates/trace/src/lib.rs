//! certgate-trace: reconstruct TLS handshakes from a capture file (pcap, pcapng) or a live TCP
//! relay, and hand each connection to core's handshake analysis. Here lives the I/O and the byte
//! parsing (link layers, TCP reassembly, TLS records); the judgement lives in
//! `certgate_core::analyse::handshake`.
#![forbid(unsafe_code)]

pub mod conversation;
pub mod pcap;
pub mod relay;
pub mod report;
pub mod tcp;
pub mod tls;

pub use pcap::{read, read_file, Capture, CaptureError};
pub use report::ConnectionReport;
