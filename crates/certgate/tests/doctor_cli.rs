//! `certgate doctor` and `certgate call` as a user runs them: the built binary against
//! `openssl s_server` on loopback, asserting exit codes, the verdict paragraph and the JSON shape.

use assert_cmd::Command;
use certgate_testkit::pki::{Ca, CaSpec, LeafSpec};
use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Stdio};

struct Server(Child, u16);
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `openssl s_server -www` with leaf `cert`, `key` and extra args; `None` without openssl.
fn s_server(dir: &Path, cert: &Path, key: &Path, extra: &[&str]) -> Option<Server> {
    let openssl = certgate_testkit::tool("openssl")?;
    let mut child = std::process::Command::new(openssl)
        .current_dir(dir)
        .args(["s_server", "-accept", "127.0.0.1:0", "-www", "-cert"])
        .arg(cert)
        .arg("-key")
        .arg(key)
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let port = loop {
        let l = lines.next().expect("s_server output").unwrap();
        if let Some(a) = l.strip_prefix("ACCEPT ") {
            break a.rsplit(':').next().unwrap().parse().unwrap();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    Some(Server(child, port))
}

fn certgate() -> Command {
    Command::cargo_bin("certgate").unwrap()
}

#[test]
fn doctor_and_call_name_the_missing_client_certificate_and_succeed_with_one() {
    let dir = certgate_testkit::tempdir();
    let d = dir.path();
    let root = Ca::root(&CaSpec::new("CLI Test Root")).unwrap();
    let server = root
        .issue(&LeafSpec::server(&["localhost", "127.0.0.1"]))
        .unwrap();
    let (cert, key) = server.save(d, "server").unwrap();
    std::fs::write(d.join("root.pem"), &root.cert_pem).unwrap();
    let alice = root.issue(&LeafSpec::client("alice")).unwrap();
    let (ccert, ckey) = alice.save(d, "alice").unwrap();
    let Some(s) = s_server(
        d,
        &cert,
        &key,
        &[
            "-Verify",
            "1",
            "-verify_return_error",
            "-CAfile",
            "root.pem",
        ],
    ) else {
        return;
    };
    let url = format!("https://localhost:{}/", s.1);
    let root_pem = d.join("root.pem");

    // doctor without a certificate: verdict first, exit 1.
    let out = certgate()
        .args(["doctor", &url, "--cacert"])
        .arg(&root_pem)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.starts_with("client_cert.required"), "{text}");
    assert!(text.contains("CN=CLI Test Root"), "{text}");

    // --json: one document with the contract fields.
    let out = certgate()
        .args(["doctor", &url, "--json", "--cacert"])
        .arg(&root_pem)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["verdict"], "client_cert.required");
    assert_eq!(j["target"]["port"], s.1);
    for key in [
        "findings",
        "protocols",
        "ciphers",
        "chain",
        "client_auth",
        "http",
        "timings",
    ] {
        assert!(j.get(key).is_some(), "missing {key}: {j}");
    }
    assert_eq!(j["client_auth"]["requested"], true);
    let f = &j["findings"][0];
    for key in ["code", "severity", "title", "detail", "fix"] {
        assert!(f.get(key).is_some(), "finding lacks {key}: {f}");
    }

    // call without a certificate: the diagnosis instead of a TLS error, exit 1.
    let out = certgate()
        .args(["call", &url, "--cacert"])
        .arg(&root_pem)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("client_cert.required"), "{err}");
    assert!(err.contains("fix:"), "{err}");

    // With the certificate both succeed; call prints the body.
    let ok = |sub: &str| {
        certgate()
            .args([sub, &url, "--cacert"])
            .arg(&root_pem)
            .arg("--cert")
            .arg(&ccert)
            .arg("--key")
            .arg(&ckey)
            .output()
            .unwrap()
    };
    let out = ok("doctor");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = ok("call");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("s_server"));
}

#[test]
fn unreadable_files_and_bad_urls_exit_2_with_one_line() {
    for args in [
        vec![
            "doctor",
            "https://localhost:1/",
            "--cacert",
            "/nonexistent/ca.pem",
        ],
        vec!["call", "ftp://example.com/"],
        vec!["doctor", "https://localhost:1/", "--timeout", "0"],
    ] {
        let out = certgate().args(&args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.starts_with("certgate: "), "{err}");
    }
}

#[test]
fn refused_port_is_a_verdict_not_a_crash() {
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);
    let out = certgate()
        .args(["doctor", &format!("https://127.0.0.1:{port}/"), "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["verdict"], "tcp.connection_refused");
}

/// certgate's own gateway: its demo prints curl commands; the same flags given to doctor and call
/// must yield ok, 496 → client_cert.required, 495 → client_cert.expired, 497 → http.plain_to_tls.
#[test]
fn doctor_and_call_read_the_gateways_496_495_and_497() {
    use std::io::BufReader;
    let dir = certgate_testkit::tempdir();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_certgate"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut cmds = vec![];
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("curl ") {
            cmds.push(
                rest.split_whitespace()
                    .map(str::to_string)
                    .collect::<Vec<_>>(),
            );
        }
        if line.starts_with("Ctrl-C") {
            break;
        }
    }
    let _server = Server(child, 0);
    assert_eq!(cmds.len(), 4, "{cmds:?}");
    let want = [
        ("ok", 0),
        ("client_cert.required", 1),
        ("client_cert.expired", 1),
        ("http.plain_to_tls", 1),
    ];
    for (args, (verdict, exit)) in cmds.iter().zip(want) {
        let out = certgate()
            .current_dir(dir.path())
            .arg("doctor")
            .args(args)
            .arg("--json")
            .output()
            .unwrap();
        let j: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", String::from_utf8_lossy(&out.stderr)));
        assert_eq!(j["verdict"], verdict, "{args:?}: {j:#}");
        assert_eq!(out.status.code(), Some(exit), "{args:?}");

        let out = certgate()
            .current_dir(dir.path())
            .arg("call")
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(exit), "call {args:?}");
        if exit == 1 {
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.contains(verdict), "call {args:?}: {err}");
        }
    }
}
