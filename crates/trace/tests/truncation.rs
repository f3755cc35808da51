//! Damaged captures keep what could be read: a real capture cut anywhere reads exactly like the
//! same capture cut at the end of its last complete packet, plus a damage note naming the
//! truncation; garbage after some packets keeps those packets' connections and verdicts.

use certgate_core::Code;
use certgate_trace::{read, Capture, ConnectionReport};
use proptest::prelude::*;
use std::path::PathBuf;

fn capture(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/captures")
        .join(name);
    std::fs::read(p).unwrap()
}

/// End offsets of the file header and of every block/record after it, and whether each is a
/// packet (pcap: 24-byte header, records of 16 + caplen; pcapng: blocks with their total length).
fn units(data: &[u8]) -> Vec<(usize, bool)> {
    let le = |i: usize| u32::from_le_bytes(data[i..i + 4].try_into().unwrap()) as usize;
    let mut out = Vec::new();
    if data[..4] == [0x0a, 0x0d, 0x0d, 0x0a] {
        let mut i = 0;
        while i + 8 <= data.len() {
            let packet = matches!(le(i), 3 | 6);
            i += le(i + 4);
            out.push((i, packet));
        }
    } else {
        out.push((24, false));
        let mut i = 24;
        while i + 16 <= data.len() {
            i += 16 + le(i + 8);
            out.push((i, true));
        }
    }
    out
}

/// What a reader of this capture reports, connection by connection.
fn summary(cap: &Capture) -> Vec<(usize, String, Code, usize)> {
    cap.connections
        .iter()
        .map(|c| {
            let r = ConnectionReport::of(c);
            (r.id, r.client.to_string(), r.verdict(), r.events.len())
        })
        .collect()
}

const FILES: [&str; 4] = [
    "ipv6_two_connections.pcapng",
    "tls12_client_cert_required.pcap",
    "out_of_order.pcap",
    "client_cert_untrusted_cooked.pcap",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_capture_cut_anywhere_reads_like_its_complete_packets_plus_a_truncation_note(
        file in 0..FILES.len(), cut in any::<prop::sample::Index>()
    ) {
        let data = capture(FILES[file]);
        let units = units(&data);
        let header = units[0].0;
        let cut = header + cut.index(data.len() - header + 1);
        // The last unit that ends at or before the cut.
        let complete = units.iter().take_while(|(end, _)| *end <= cut).collect::<Vec<_>>();
        let boundary = complete.last().map_or(header, |u| u.0);
        let packets = complete.iter().filter(|u| u.1).count() as u64;

        let cut_read = read(&data[..cut], "cut").unwrap();
        let whole_read = read(&data[..boundary], "whole").unwrap();
        prop_assert_eq!(cut_read.packets, packets);
        prop_assert_eq!(whole_read.packets, packets);
        prop_assert_eq!(summary(&cut_read), summary(&whole_read));
        prop_assert!(whole_read.damage.is_none());
        if cut == boundary {
            prop_assert!(cut_read.damage.is_none(), "{:?}", cut_read.damage);
        } else {
            let d = cut_read.damage.expect("a cut inside a block is reported");
            prop_assert_eq!(d.packets, packets);
            prop_assert!(d.reason.contains("truncated") || d.reason.contains("corrupt"), "{}", d.reason);
        }
    }

    #[test]
    fn garbage_after_complete_packets_keeps_their_connections_and_verdicts(
        file in 0..FILES.len(), at in any::<prop::sample::Index>(),
        garbage in proptest::collection::vec(any::<u8>(), 1..512)
    ) {
        let data = capture(FILES[file]);
        let units = units(&data);
        let boundary = units[at.index(units.len())].0;
        let clean = read(&data[..boundary], "clean").unwrap();
        let mut damaged = data[..boundary].to_vec();
        damaged.extend_from_slice(&garbage);
        let cap = read(&damaged[..], "damaged").unwrap();
        prop_assert!(cap.packets >= clean.packets);
        let before = summary(&clean);
        let after = summary(&cap);
        // Random bytes can pass for a few packets, but never for TCP of these 4-tuples.
        for (b, a) in before.iter().zip(&after) {
            prop_assert_eq!((b.0, &b.1, b.2), (a.0, &a.1, a.2));
        }
        prop_assert!(after.len() >= before.len());
    }
}

#[test]
fn a_pcapng_cut_inside_its_last_block_keeps_both_connections_and_the_first_verdict() {
    let data = capture("ipv6_two_connections.pcapng");
    let whole = summary(&read(&data[..], "whole").unwrap());
    assert_eq!(
        whole.iter().map(|s| s.2).collect::<Vec<_>>(),
        [Code::Ok, Code::ClientCertRequired]
    );
    // Cut inside the last block: both connections are there, the second without its last packet.
    let cut = read(&data[..data.len() - 10], "cut").unwrap();
    assert!(cut.damage.is_some());
    let s = summary(&cut);
    assert_eq!(s.len(), 2);
    assert_eq!(s[0], whole[0]);
}
