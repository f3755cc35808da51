//! A whole capture file → pcap/pcapng blocks, link layers, IP, TCP reassembly, TLS, the analysis
//! and both renderings of every connection.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(cap) = certgate_trace::read(data, "fuzz") {
        for c in &cap.connections {
            let r = certgate_trace::ConnectionReport::of(c);
            let _ = r.verdict();
            let _ = r.to_text();
            let _ = r.to_json();
        }
    }
});
