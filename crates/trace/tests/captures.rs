//! Every committed capture (tests/captures, made by regen.sh from real openssl/curl handshakes on
//! loopback) gets the verdict EXPECTED names, connection by connection.

use certgate_core::Code;
use certgate_trace::{read, read_file, ConnectionReport};
use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/captures")
}

fn verdicts(cap: &certgate_trace::Capture) -> Vec<Code> {
    cap.connections
        .iter()
        .map(ConnectionReport::of)
        .filter(|r| r.is_tls_related())
        .map(|r| r.verdict())
        .collect()
}

#[test]
fn every_committed_capture_gets_its_expected_verdicts() {
    let expected = std::fs::read_to_string(dir().join("EXPECTED")).unwrap();
    let mut checked = 0;
    for line in expected.lines().filter(|l| !l.trim().is_empty()) {
        let mut words = line.split_whitespace();
        let file = words.next().unwrap();
        let want: Vec<Code> = words.map(|w| w.parse().unwrap()).collect();
        let cap = read_file(&dir().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(verdicts(&cap), want, "{file}");
        checked += 1;
    }
    assert!(checked >= 14, "only {checked} captures listed");
}

#[test]
fn tls12_client_cert_required_names_the_empty_certificate_and_the_accepted_ca() {
    let cap = read_file(&dir().join("tls12_client_cert_required.pcap")).unwrap();
    let r = ConnectionReport::of(&cap.connections[0]);
    let f = &r.analysis.findings[0];
    assert_eq!(f.code, Code::ClientCertRequired);
    assert!(f.detail.contains("empty Certificate"), "{}", f.detail);
    assert_eq!(f.evidence["alert_name"], "handshake_failure");
    assert_eq!(f.evidence["from"], "server");
    assert_eq!(
        f.evidence["accepted_ca_names"][0],
        "CN=Trace Capture Root CA"
    );
}

#[test]
fn tls13_says_what_it_cannot_see() {
    let cap = read_file(&dir().join("tls13_client_cert_required.pcap")).unwrap();
    let r = ConnectionReport::of(&cap.connections[0]);
    assert!(r.analysis.notes.iter().any(|n| n.contains("encrypted")));
    assert_eq!(r.analysis.findings[0].evidence["inferred"], true);
}

#[test]
fn truncated_capture_reports_damage_and_the_connection_read_so_far() {
    let cap = read_file(&dir().join("truncated.pcap")).unwrap();
    let d = cap.damage.expect("truncation is reported");
    assert!(d.reason.contains("truncated"), "{}", d.reason);
    assert_eq!(cap.connections.len(), 1);
    let r = ConnectionReport::of(&cap.connections[0]);
    assert!(r.events.len() > 3);
}

#[test]
fn bsd_loopback_link_type_reads_like_ethernet() {
    // Rewrite a real Ethernet capture as link type NULL (4-byte address family, then IP).
    let data = std::fs::read(dir().join("tls12_client_cert_required.pcap")).unwrap();
    let mut out = data[..24].to_vec();
    out[20..24].copy_from_slice(&0u32.to_le_bytes());
    let mut i = 24;
    while i + 16 <= data.len() {
        let caplen = u32::from_le_bytes(data[i + 8..i + 12].try_into().unwrap()) as usize;
        let pkt = &data[i + 16..i + 16 + caplen];
        let mut hdr = data[i..i + 16].to_vec();
        let n = (caplen - 14 + 4) as u32;
        hdr[8..12].copy_from_slice(&n.to_le_bytes());
        hdr[12..16].copy_from_slice(&n.to_le_bytes());
        out.extend_from_slice(&hdr);
        out.extend_from_slice(&2u32.to_le_bytes()); // AF_INET
        out.extend_from_slice(&pkt[14..]);
        i += 16 + caplen;
    }
    let cap = read(&out[..], "null.pcap").unwrap();
    assert_eq!(verdicts(&cap), vec![Code::ClientCertRequired]);
}

#[test]
fn a_file_that_is_not_a_capture_is_an_error_naming_it() {
    let e = read(&b"this is not a capture at all, just text"[..], "notes.txt").unwrap_err();
    assert!(e.to_string().contains("notes.txt"), "{e}");
}
