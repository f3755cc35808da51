//! `certgate trace pcap` run as a binary on committed captures: text, JSON, exit codes, and one
//! clear line (exit 2) for files it cannot read.

use assert_cmd::Command;
use std::path::PathBuf;

fn capture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/captures")
        .join(name)
        .display()
        .to_string()
}

fn certgate() -> Command {
    Command::cargo_bin("certgate").unwrap()
}

#[test]
fn client_cert_required_capture_exits_1_and_says_who_failed_and_why() {
    let out = certgate()
        .args(["trace", "pcap", &capture("tls12_client_cert_required.pcap")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("client_cert.required"), "{text}");
    assert!(
        text.contains("the server sent handshake_failure (40)"),
        "{text}"
    );
    assert!(
        text.contains("Certificate (empty: no certificate sent)"),
        "{text}"
    );
    assert!(text.contains("fix: "), "{text}");
}

#[test]
fn json_has_one_document_with_verdict_findings_and_timeline() {
    let out = certgate()
        .args([
            "trace",
            "pcap",
            "--json",
            &capture("ipv6_two_connections.pcapng"),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verdict"], "client_cert.required");
    let conns = v["connections"].as_array().unwrap();
    assert_eq!(conns.len(), 2);
    assert_eq!(conns[0]["verdict"], "ok");
    assert_eq!(conns[0]["version"], "TLSv1.3");
    assert_eq!(conns[1]["verdict"], "client_cert.required");
    assert_eq!(conns[1]["findings"][0]["code"], "client_cert.required");
    assert!(conns[1]["findings"][0]["fix"].as_str().unwrap().len() > 10);
    assert_eq!(conns[1]["timeline"][0]["message"], "ClientHello");
    assert!(conns[1]["target"]["client"]
        .as_str()
        .unwrap()
        .starts_with("[::1]:"));
}

#[test]
fn good_capture_exits_0() {
    let out = certgate()
        .args(["trace", "pcap", &capture("tls13_ok.pcap")])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn unreadable_and_non_capture_files_exit_2_with_one_line_naming_them() {
    let out = certgate()
        .args(["trace", "pcap", "/nonexistent/x.pcap"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("/nonexistent/x.pcap"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("notes.txt");
    std::fs::write(&f, "hello, not a capture\n").unwrap();
    let out = certgate()
        .args(["trace", "pcap", f.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("is not a pcap or pcapng capture"), "{err}");
}

#[test]
fn truncated_capture_reports_connections_and_warns_on_stderr() {
    let out = certgate()
        .args(["trace", "pcap", &capture("truncated.pcap")])
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("truncated capture"), "{err}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("handshake.incomplete"), "{text}");
}

/// Offsets of the pcapng blocks of a file.
fn pcapng_blocks(data: &[u8]) -> Vec<usize> {
    let mut out = Vec::new();
    let mut i = 0;
    while i + 8 <= data.len() {
        out.push(i);
        i += u32::from_le_bytes(data[i + 4..i + 8].try_into().unwrap()) as usize;
    }
    out
}

#[test]
fn corrupt_pcapng_reports_the_connections_before_the_damage_and_one_line_on_stderr() {
    // The two-connection capture with garbage over its last packets' block headers: the first
    // connection (ok) is complete before the damage.
    let mut data = std::fs::read(capture("ipv6_two_connections.pcapng")).unwrap();
    let blocks = pcapng_blocks(&data);
    let at = blocks[blocks.len() - 3];
    data[at..at + 12].copy_from_slice(b"GARBAGEGARBA");
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("corrupt.pcapng");
    std::fs::write(&f, &data).unwrap();
    let out = certgate()
        .args(["trace", "pcap", "--json", f.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("corrupt.pcapng: corrupt data after packet"),
        "{err}"
    );
    assert!(
        err.contains("the connections read so far are reported"),
        "{err}"
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(doc["damage"]["reason"]
        .as_str()
        .unwrap()
        .starts_with("corrupt data"));
    let conns = doc["connections"].as_array().unwrap();
    assert_eq!(conns.len(), 2, "{doc}");
    assert_eq!(conns[0]["verdict"], "ok");
    assert_eq!(
        out.status.code(),
        Some(1),
        "the second connection is cut short"
    );
}

#[test]
fn garbage_and_header_only_captures_exit_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let real = std::fs::read(capture("tls12_ok.pcap")).unwrap();
    let mut header_then_garbage = real[..24].to_vec();
    header_then_garbage.extend_from_slice(&[0xff; 40]);
    let cases: [(&str, Vec<u8>, &str); 3] = [
        (
            "random.bin",
            (0..4096u32)
                .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
                .collect(),
            "is not a pcap or pcapng capture",
        ),
        ("empty.pcap", Vec::new(), "is not a pcap or pcapng capture"),
        (
            "header_only.pcap",
            header_then_garbage,
            "no packet could be read",
        ),
    ];
    for (name, bytes, says) in cases {
        let f = dir.path().join(name);
        std::fs::write(&f, bytes).unwrap();
        let out = certgate()
            .args(["trace", "pcap", f.to_str().unwrap()])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}");
        assert!(out.stdout.is_empty(), "{name}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{name}: {err}");
        assert!(err.contains(name) && err.contains(says), "{name}: {err}");
    }
}
