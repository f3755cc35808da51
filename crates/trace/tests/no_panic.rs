//! Parsers of untrusted bytes never panic: arbitrary TLS streams, arbitrary handshake messages,
//! arbitrary capture files and real captures with corrupted bytes all end in messages or errors.

use certgate_trace::tls::{handshake_message, TlsStream};
use certgate_trace::{read, ConnectionReport};
use proptest::prelude::*;

fn real_capture() -> Vec<u8> {
    let p = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/captures/tls12_client_cert_required.pcap");
    std::fs::read(p).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn tls_stream_takes_any_bytes_in_any_chunks(data in proptest::collection::vec(any::<u8>(), 0..4096), cuts in proptest::collection::vec(1usize..64, 1..16)) {
        let mut s = TlsStream::new();
        let mut out = Vec::new();
        let mut rest = &data[..];
        for c in cuts.iter().cycle() {
            if rest.is_empty() { break; }
            let n = (*c).min(rest.len());
            s.feed(&rest[..n], &mut out);
            rest = &rest[n..];
        }
        s.finish(&mut out);
    }

    #[test]
    fn records_that_look_like_tls_with_random_bodies_do_not_panic(ct in 20u8..25, minor in 0u8..5, body in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let mut rec = vec![ct, 3, minor];
        rec.extend_from_slice(&(body.len() as u16).to_be_bytes());
        rec.extend_from_slice(&body);
        let mut s = TlsStream::new();
        let mut out = Vec::new();
        s.feed(&rec, &mut out);
        s.finish(&mut out);
    }

    #[test]
    fn any_handshake_message_parses_or_is_malformed(t in 0u8..30, body in proptest::collection::vec(any::<u8>(), 0..1024)) {
        let mut msg = vec![t];
        msg.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
        msg.extend_from_slice(&body);
        let _ = handshake_message(&msg);
    }

    #[test]
    fn conversation_scripts_of_any_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let r = certgate_trace::conversation::replay(&data);
        let _ = r.to_text();
        let _ = r.to_json();
    }

    #[test]
    fn corrupted_seed_scripts_never_panic(seed in any::<prop::sample::Index>(), flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..24), cut in any::<usize>()) {
        let seeds = seed_scripts();
        let mut data = seeds[seed.index(seeds.len())].1.clone();
        for (at, b) in flips {
            let i = at % data.len();
            data[i] = b;
        }
        let keep = cut % (data.len() + 1);
        let r = certgate_trace::conversation::replay(&data[..keep]);
        let _ = r.to_text();
        let _ = r.to_json();
    }

    #[test]
    fn arbitrary_files_are_read_or_refused(data in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let _ = read(&data[..], "fuzz");
    }

    #[test]
    fn corrupted_real_captures_never_panic_reader_or_analysis(flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..24), cut in any::<usize>()) {
        let mut data = real_capture();
        for (at, b) in flips {
            let i = 24 + at % (data.len() - 24);
            data[i] = b;
        }
        let keep = 24 + cut % (data.len() - 23);
        if let Ok(cap) = read(&data[..keep], "fuzz") {
            for c in &cap.connections {
                let r = ConnectionReport::of(c);
                let _ = r.to_text();
                let _ = r.to_json();
            }
        }
    }
}

fn seed_scripts() -> Vec<(String, Vec<u8>)> {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/seeds/tls_conversation");
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn fuzz_seed_scripts_replay_to_the_verdicts_of_their_captures() {
    // The seeds are the captures' connections as tshark reassembled them, without the closes:
    // verdicts read from the messages alone match EXPECTED; those inferred from who closed after
    // which record sizes (TLS 1.3 client certificate, plain HTTP closed silently) come out `ok`.
    let by_close = [
        "ipv6_two_connections-1",
        "plain_http_to_tls_port-0",
        "tls13_client_cert_required-0",
    ];
    let expected = std::fs::read_to_string(
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/captures/EXPECTED"),
    )
    .unwrap();
    let seeds = seed_scripts();
    assert_eq!(seeds.len(), 15);
    for (name, script) in &seeds {
        let (capture, conn) = name.trim_end_matches(".script").rsplit_once('-').unwrap();
        let conn: usize = conn.parse().unwrap();
        let want = expected
            .lines()
            .find(|l| l.split_once('.').is_some_and(|(f, _)| f == capture))
            .and_then(|l| l.split_whitespace().nth(1 + conn))
            .unwrap();
        let want = if by_close.contains(&name.trim_end_matches(".script")) {
            "ok"
        } else {
            want
        };
        let r = certgate_trace::conversation::replay(script);
        assert_eq!(r.verdict().as_str(), want, "{name}");
    }
}
