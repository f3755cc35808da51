//! The wording of `certgate cert verify` for each kind of broken chain, snapshotted (exit code and
//! stdout together) so that changes to messages are reviewed. Times, serials and key ids are
//! filtered; the PKI is minted in the test.

use assert_cmd::Command;
use certgate_pki::{self as pki, Ca, CaSpec, LeafSpec, Revocation, Validity};
use std::path::Path;
use time::{Duration, OffsetDateTime};

fn save(dir: &Path, name: &str, pem: &str) {
    std::fs::write(dir.join(name), pem).unwrap();
}

fn verify(dir: &Path, args: &[&str]) -> String {
    let out = Command::cargo_bin("certgate")
        .unwrap()
        .current_dir(dir)
        .args(["cert", "verify"])
        .args(args)
        .output()
        .unwrap();
    format!(
        "$ certgate cert verify {}\nexit {}\n{}{}",
        args.join(" "),
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn verify_wording_for_each_broken_chain() {
    let tmp = certgate_testkit::tempdir();
    let d = tmp.path();
    let root = Ca::root(&CaSpec::new("Snap Root CA")).unwrap();
    let inter = root.intermediate(&CaSpec::new("Snap Issuing CA")).unwrap();
    let rogue = Ca::root(&CaSpec::new("Rogue Root CA")).unwrap();
    let rogue_inter = rogue
        .intermediate(&CaSpec::new("Rogue Issuing CA"))
        .unwrap();
    save(d, "root.pem", &root.cert_pem);
    save(d, "inter.pem", &inter.cert_pem);
    let good = inter
        .issue(&LeafSpec::server(&["api.example", "10.0.0.1"]))
        .unwrap();
    save(d, "good.pem", &good.chain_pem);
    save(d, "leaf-only.pem", &good.cert_pem);
    save(
        d,
        "disordered.pem",
        &(good.cert_pem.clone() + &root.cert_pem + &inter.cert_pem),
    );
    let expired = inter
        .issue(&LeafSpec::server(&["api.example"]).valid(Validity::expired_days_ago(10)))
        .unwrap();
    save(d, "expired.pem", &expired.chain_pem);
    let mut cn_only = LeafSpec::server(&[]);
    cn_only.cn = "api.example".into();
    save(d, "cn-only.pem", &inter.issue(&cn_only).unwrap().chain_pem);
    let self_signed = pki::self_signed(&LeafSpec::server(&["api.example"])).unwrap();
    save(d, "self-signed.pem", &self_signed.chain_pem);
    let stranger = rogue_inter
        .issue(&LeafSpec::server(&["api.example"]))
        .unwrap();
    save(
        d,
        "stranger.pem",
        &(stranger.chain_pem.clone() + &rogue.cert_pem),
    );
    let client = inter.issue(&LeafSpec::client("alice")).unwrap();
    save(d, "alice.pem", &client.chain_pem);
    let now = OffsetDateTime::now_utc();
    let crl = inter
        .crl(
            &[Revocation {
                serial_hex: client.serial_hex.clone(),
                at: now - Duration::hours(1),
                reason: Some(pki::RevocationReason::KeyCompromise),
            }],
            now - Duration::hours(1),
            now + Duration::days(7),
            1,
        )
        .unwrap();
    save(d, "crl.pem", &crl);

    let cases: &[&[&str]] = &[
        &["good.pem", "--cacert", "root.pem", "--host", "api.example"],
        &["expired.pem", "--cacert", "root.pem"],
        &["good.pem", "--cacert", "root.pem", "--host", "www.example"],
        &[
            "cn-only.pem",
            "--cacert",
            "root.pem",
            "--host",
            "api.example",
        ],
        &["self-signed.pem", "--cacert", "root.pem"],
        &["stranger.pem", "--cacert", "root.pem"],
        &["leaf-only.pem", "--cacert", "root.pem"],
        &[
            "leaf-only.pem",
            "--cacert",
            "root.pem",
            "--intermediates",
            "inter.pem",
        ],
        &["disordered.pem", "--cacert", "root.pem"],
        &["alice.pem", "--cacert", "root.pem"],
        &[
            "alice.pem",
            "--cacert",
            "root.pem",
            "--purpose",
            "client",
            "--crl",
            "crl.pem",
        ],
    ];
    let text: String = cases
        .iter()
        .map(|a| verify(d, a))
        .collect::<Vec<_>>()
        .join("\n");
    insta::with_settings!({filters => vec![
        (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "[TIME]"),
        (r"serial [0-9a-f]{2,40}", "serial [SERIAL]"),
        (r"key id [0-9a-f]{16}…", "key id [KEYID]"),
    ]}, {
        insta::assert_snapshot!(text);
    });
}
