//! `certgate cert` end to end: the real binary makes a CA, an intermediate, server and client
//! certificates and a CRL, inspects files and a live TLS server, verifies chains, and turns bad
//! input into one line naming the file with exit code 2.

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

fn certgate(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("certgate").unwrap();
    c.current_dir(dir);
    c
}

fn ok_json(dir: &Path, args: &[&str]) -> Value {
    let out = certgate(dir).args(args).arg("--json").output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Runs and returns (exit code, stdout, stderr).
fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = certgate(dir).args(args).output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn pki(dir: &Path) {
    ok_json(
        dir,
        &[
            "cert", "ca", "create", "--out", "root", "--name", "CLI Root",
        ],
    );
    ok_json(
        dir,
        &[
            "cert",
            "ca",
            "create",
            "--out",
            "inter",
            "--parent",
            "root",
            "--name",
            "CLI Issuing",
        ],
    );
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn ca_intermediate_server_and_client_are_issued_with_private_keys() {
    let tmp = certgate_testkit::tempdir();
    let d = tmp.path();
    pki(d);
    let server = ok_json(
        d,
        &[
            "cert",
            "issue",
            "--ca",
            "inter",
            "--server",
            "api.example,127.0.0.1",
            "--out",
            "out",
        ],
    );
    assert_eq!(server["subject"], "CN=api.example");
    assert_eq!(server["issuer"], "CN=CLI Issuing");
    assert_eq!(
        server["sans"],
        serde_json::json!(["DNS:api.example", "IP:127.0.0.1"])
    );
    let client = ok_json(
        d,
        &[
            "cert",
            "issue",
            "--ca",
            "inter",
            "--client",
            "alice",
            "--uri",
            "spiffe://example.org/ns/prod/sa/alice",
            "--key",
            "ed25519",
            "--out",
            "out",
        ],
    );
    assert_eq!(client["eku"], serde_json::json!(["clientAuth"]));
    assert_eq!(client["key_type"], "Ed25519");
    let rsa = ok_json(
        d,
        &[
            "cert", "issue", "--ca", "root", "--client", "bob", "--key", "rsa3072", "--out", "out",
        ],
    );
    assert_eq!(rsa["key_type"], "RSA 3072 bits");
    // The chain file carries the intermediate; keys are private.
    let chain = std::fs::read_to_string(d.join("out/api.example.pem")).unwrap();
    assert_eq!(chain.matches("BEGIN CERTIFICATE").count(), 2);
    #[cfg(unix)]
    for k in [
        "out/api.example.key",
        "out/alice.key",
        "root/ca.key",
        "inter/ca.key",
    ] {
        assert_eq!(mode(&d.join(k)), 0o600, "{k}");
    }
    // Verify: ok for the right name and purpose.
    let (code, stdout, _) = run(
        d,
        &[
            "cert",
            "verify",
            "out/api.example.pem",
            "--cacert",
            "root/ca.pem",
            "--host",
            "api.example",
        ],
    );
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.starts_with("ok: CN=api.example is valid for server use as api.example"));
    let (code, _, _) = run(
        d,
        &[
            "cert",
            "verify",
            "out/alice.pem",
            "--cacert",
            "root/ca.pem",
            "--purpose",
            "client",
        ],
    );
    assert_eq!(code, 0);
    // An existing CA is not overwritten by accident.
    let (code, _, err) = run(d, &["cert", "ca", "create", "--out", "root"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("already exists") && err.contains("--force"),
        "{err}"
    );
}

#[test]
fn past_and_future_validity_fixtures_and_what_verify_says() {
    let tmp = certgate_testkit::tempdir();
    let d = tmp.path();
    pki(d);
    ok_json(
        d,
        &[
            "cert",
            "issue",
            "--ca",
            "inter",
            "--server",
            "localhost",
            "--days",
            "-3",
            "--out",
            "out",
            "--file",
            "expired",
        ],
    );
    ok_json(
        d,
        &[
            "cert",
            "issue",
            "--ca",
            "inter",
            "--server",
            "localhost",
            "--not-before",
            "2040-01-01T00:00:00Z",
            "--not-after",
            "2041-01-01T00:00:00Z",
            "--out",
            "out",
            "--file",
            "future",
        ],
    );
    let out = certgate(d)
        .args([
            "cert",
            "verify",
            "out/expired.pem",
            "--cacert",
            "root/ca.pem",
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verdict"], "cert.expired");
    assert_eq!(v["findings"][0]["evidence"]["days_expired"], 3);
    assert!(v["fix"].as_str().unwrap().len() > 10);
    let (code, stdout, _) = run(
        d,
        &[
            "cert",
            "verify",
            "out/future.pem",
            "--cacert",
            "root/ca.pem",
        ],
    );
    assert_eq!(code, 1);
    assert!(stdout.starts_with("cert.not_yet_valid: "), "{stdout}");
    assert!(stdout.contains("2040-01-01T00:00:00Z"), "{stdout}");
    // Inside the leaf's window, the intermediate (ten years from now) has expired: named.
    let (code, stdout, _) = run(
        d,
        &[
            "cert",
            "verify",
            "out/future.pem",
            "--cacert",
            "root/ca.pem",
            "--at",
            "2040-06-01T00:00:00Z",
        ],
    );
    assert_eq!(code, 1);
    assert!(
        stdout.contains("the intermediate CN=CLI Issuing expired"),
        "{stdout}"
    );
    // An expired CA (negative --days) has a real window that ended in the past.
    let ca = ok_json(
        d,
        &["cert", "ca", "create", "--out", "old-ca", "--days", "-5"],
    );
    let not_after = ca["ca"]["not_after"].as_str().unwrap().to_string();
    let (code, stdout, _) = run(d, &["cert", "inspect", "old-ca/ca.pem"]);
    assert_eq!(code, 1);
    assert!(
        stdout.contains(&not_after) && stdout.contains("EXPIRED 5 days ago"),
        "{stdout}"
    );
    // An empty window is refused.
    let (code, _, err) = run(
        d,
        &[
            "cert",
            "issue",
            "--ca",
            "inter",
            "--server",
            "x",
            "--not-before",
            "2030-01-01T00:00:00Z",
            "--not-after",
            "2029-01-01T00:00:00Z",
            "--out",
            "out",
        ],
    );
    assert_eq!(code, 2);
    assert!(err.contains("validity window is empty"), "{err}");
}

#[test]
fn inspect_shows_names_dates_key_fingerprints_and_lint() {
    let tmp = certgate_testkit::tempdir();
    let d = tmp.path();
    pki(d);
    ok_json(
        d,
        &[
            "cert",
            "issue",
            "--ca",
            "inter",
            "--server",
            "localhost",
            "--out",
            "out",
        ],
    );
    let (code, stdout, _) = run(d, &["cert", "inspect", "out/localhost.pem"]);
    assert_eq!(code, 0);
    for want in [
        "certificate 1 of 2",
        "subject      CN=localhost",
        "issuer       CN=CLI Issuing",
        "SANs         DNS:localhost",
        "days left",
        "key          ECDSA P-256",
        "signature    ecdsa-with-SHA256",
        "EKU          serverAuth",
        "SHA-256      ",
        "warnings     none",
        "subject      CN=CLI Issuing",
    ] {
        assert!(stdout.contains(want), "missing {want:?} in\n{stdout}");
    }
    let v = ok_json(d, &["cert", "inspect", "out/localhost.pem"]);
    assert_eq!(v["verdict"], "ok");
    let leaf = &v["certificates"][0];
    assert_eq!(leaf["sans_dns"], serde_json::json!(["localhost"]));
    assert_eq!(leaf["key"]["alg"], "ECDSA P-256");
    assert!(leaf["days_left"].as_i64().unwrap() >= 364);
    assert_eq!(leaf["sha256_hex"].as_str().unwrap().len(), 64);
    // DER works as well as PEM; the key can be checked against the certificate.
    let pem = std::fs::read_to_string(d.join("out/localhost.pem")).unwrap();
    let der = rustls_pki_types::pem::PemObject::from_pem_slice(pem.as_bytes())
        .map(|c: rustls_pki_types::CertificateDer<'static>| c.to_vec())
        .unwrap();
    std::fs::write(d.join("leaf.der"), der).unwrap();
    let v = ok_json(
        d,
        &["cert", "inspect", "leaf.der", "--key", "out/localhost.key"],
    );
    assert_eq!(v["certificates"].as_array().unwrap().len(), 1);
    assert_eq!(v["key_matches"], true);
    // An expired certificate: exit 1 and the lint finding.
    ok_json(
        d,
        &[
            "cert", "issue", "--ca", "inter", "--client", "old", "--days", "-1", "--out", "out",
        ],
    );
    let (code, stdout, _) = run(d, &["cert", "inspect", "out/old.pem"]);
    assert_eq!(code, 1);
    assert!(
        stdout.contains("EXPIRED") && stdout.contains("cert.expired"),
        "{stdout}"
    );
}

#[test]
fn revoke_keeps_every_entry_and_verify_reports_the_revocation() {
    let tmp = certgate_testkit::tempdir();
    let d = tmp.path();
    pki(d);
    for cn in ["alice", "mallory", "trudy"] {
        ok_json(
            d,
            &[
                "cert", "issue", "--ca", "inter", "--client", cn, "--out", "out",
            ],
        );
    }
    let r1 = ok_json(
        d,
        &[
            "cert",
            "revoke",
            "--ca",
            "inter",
            "out/mallory.pem",
            "--reason",
            "keyCompromise",
        ],
    );
    assert_eq!(r1["number"], 1);
    let r2 = ok_json(
        d,
        &[
            "cert",
            "revoke",
            "--ca",
            "inter",
            "out/trudy.pem",
            "--out",
            "copy.pem",
        ],
    );
    assert_eq!(r2["number"], 2);
    assert_eq!(r2["entries"].as_array().unwrap().len(), 2);
    assert_eq!(r2["entries"][0]["reason"], "keyCompromise");
    assert!(d.join("copy.pem").exists());
    let again = ok_json(d, &["cert", "revoke", "--ca", "inter", "out/trudy.pem"]);
    assert_eq!(again["already_revoked"], true);
    assert_eq!(again["entries"].as_array().unwrap().len(), 2);
    let out = certgate(d)
        .args([
            "cert",
            "verify",
            "out/mallory.pem",
            "--cacert",
            "root/ca.pem",
            "--purpose",
            "client",
            "--crl",
            "inter/crl.pem",
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verdict"], "client_cert.revoked");
    assert_eq!(v["findings"][0]["evidence"]["reason"], "keyCompromise");
    let (code, _, _) = run(
        d,
        &[
            "cert",
            "verify",
            "out/alice.pem",
            "--cacert",
            "root/ca.pem",
            "--purpose",
            "client",
            "--crl",
            "inter/crl.pem",
        ],
    );
    assert_eq!(code, 0);
    // A certificate of another CA cannot be revoked here.
    let (code, _, err) = run(d, &["cert", "revoke", "--ca", "root", "out/alice.pem"]);
    assert_eq!(code, 2);
    assert!(err.contains("not by this CA"), "{err}");
}

#[test]
fn bad_input_is_one_line_naming_the_file_and_exit_2() {
    let tmp = certgate_testkit::tempdir();
    let d = tmp.path();
    pki(d);
    ok_json(
        d,
        &[
            "cert", "issue", "--ca", "inter", "--client", "a", "--out", "out",
        ],
    );
    ok_json(
        d,
        &[
            "cert", "issue", "--ca", "inter", "--client", "b", "--out", "out",
        ],
    );
    std::fs::write(d.join("garbage.pem"), "this is not a certificate\n").unwrap();
    std::fs::write(d.join("empty.pem"), "").unwrap();
    std::fs::write(d.join("binary.der"), [0x30u8, 0x82, 0xff, 0x00, 0x13, 0x37]).unwrap();
    std::fs::write(
        d.join("enc.key"),
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIBvTBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG9w0BBQwwHAQI\n-----END ENCRYPTED PRIVATE KEY-----\n",
    )
    .unwrap();
    let cases: &[(&[&str], &str, &str)] = &[
        (
            &["cert", "inspect", "garbage.pem"],
            "garbage.pem",
            "not a certificate",
        ),
        (&["cert", "inspect", "empty.pem"], "empty.pem", "empty"),
        (
            &["cert", "inspect", "binary.der"],
            "binary.der",
            "not a certificate",
        ),
        (
            &["cert", "inspect", "missing.pem"],
            "missing.pem",
            "No such file",
        ),
        (
            &["cert", "inspect", "out/a.key"],
            "out/a.key",
            "found: PRIVATE KEY",
        ),
        (
            &["cert", "inspect", "out/a.pem", "--key", "enc.key"],
            "enc.key",
            "encrypted",
        ),
        (
            &["cert", "inspect", "out/a.pem", "--key", "out/b.key"],
            "out/b.key",
            "client_cert.key_mismatch",
        ),
        (
            &["cert", "inspect", "out/a.pem", "--key", "garbage.pem"],
            "garbage.pem",
            "not a private key",
        ),
        (
            &["cert", "verify", "out/a.pem", "--cacert", "garbage.pem"],
            "garbage.pem",
            "not a certificate",
        ),
        (
            &[
                "cert",
                "verify",
                "out/a.pem",
                "--cacert",
                "root/ca.pem",
                "--crl",
                "out/a.pem",
            ],
            "out/a.pem",
            "no X509 CRL",
        ),
        (
            &[
                "cert", "issue", "--ca", "nowhere", "--client", "x", "--out", "o",
            ],
            "nowhere",
            "No such file",
        ),
        (
            &[
                "cert", "issue", "--ca", "out", "--client", "x", "--out", "o",
            ],
            "out",
            "no CA here",
        ),
        (
            &["cert", "revoke", "--ca", "inter", "garbage.pem"],
            "garbage.pem",
            "not a certificate",
        ),
        (
            &["cert", "inspect", "https://127.0.0.1:1"],
            "127.0.0.1:1",
            "connect",
        ),
    ];
    for (args, file, why) in cases {
        let (code, stdout, stderr) = run(d, args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stdout.is_empty(), "{args:?} printed to stdout: {stdout}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(
            stderr.contains(file) && stderr.contains(why),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

/// A TLS server on 127.0.0.1:0 that sends `chain_pem` (one handshake per connection, `n`
/// connections), on a thread.
fn tls_server(chain_pem: &str, key_pem: &str, n: usize) -> u16 {
    use rustls_pki_types::pem::PemObject;
    let chain: Vec<rustls_pki_types::CertificateDer<'static>> =
        rustls_pki_types::CertificateDer::pem_slice_iter(chain_pem.as_bytes())
            .map(|c| c.unwrap())
            .collect();
    let key = rustls_pki_types::PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).unwrap();
    let cfg = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .unwrap();
    let cfg = std::sync::Arc::new(cfg);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(n) {
            let Ok(mut tcp) = stream else { continue };
            let _ = tcp.set_read_timeout(Some(std::time::Duration::from_secs(5)));
            let mut conn = rustls::ServerConnection::new(cfg.clone()).unwrap();
            while conn.is_handshaking() {
                if conn.complete_io(&mut tcp).is_err() {
                    break;
                }
            }
        }
    });
    port
}

#[test]
fn inspect_url_captures_the_chain_a_server_sends_even_when_expired() {
    let tmp = certgate_testkit::tempdir();
    let d = tmp.path();
    let root = certgate_pki::Ca::root(&certgate_pki::CaSpec::new("URL Root")).unwrap();
    let inter = root
        .intermediate(&certgate_pki::CaSpec::new("URL Issuing"))
        .unwrap();
    let leaf = inter
        .issue(
            &certgate_pki::LeafSpec::server(&["localhost"])
                .valid(certgate_pki::Validity::expired_days_ago(5)),
        )
        .unwrap();
    let port = tls_server(&leaf.chain_pem, &leaf.key_pem, 1);
    let url = format!("https://127.0.0.1:{port}/some/path");
    let out = certgate(d)
        .args([
            "cert",
            "inspect",
            &url,
            "--servername",
            "localhost",
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["target"]["servername"], "localhost");
    assert_eq!(v["verdict"], "cert.expired");
    let certs = v["certificates"].as_array().unwrap();
    assert_eq!(certs.len(), 2);
    assert_eq!(certs[0]["subject"], "CN=localhost");
    assert_eq!(certs[1]["subject"], "CN=URL Issuing");
}
