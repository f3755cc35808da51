//! `certgate serve` as a user runs it: the demo with no configuration creates its dev PKI, prints
//! curl commands, and those commands get 200 / 496 / 495 / 497. Then bad input exits 2 with one
//! line naming the file.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn curl_status(cmd: &str, cwd: &std::path::Path) -> (u16, String) {
    // The printed command, plus flags to read the status and body; localhost pinned to 127.0.0.1.
    let mut args: Vec<String> = cmd.split_whitespace().skip(1).map(str::to_string).collect();
    let url = args.last().unwrap().clone();
    let port = url
        .rsplit(':')
        .next()
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    args.insert(0, format!("localhost:{port}:127.0.0.1"));
    args.insert(0, "--resolve".into());
    let out = Command::new("curl")
        .args(["-s", "--max-time", "10", "-w", "\n%{http_code}"])
        .args(&args)
        .current_dir(cwd)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (body, code) = text.rsplit_once('\n').unwrap();
    (code.parse().unwrap_or(0), body.to_string())
}

#[test]
fn demo_serve_prints_curl_commands_that_work() {
    if certgate_testkit::tool("curl").is_none() {
        return;
    }
    let dir = certgate_testkit::tempdir();
    let mut child = Killed(
        Command::new(env!("CARGO_BIN_EXE_certgate"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .current_dir(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let out = BufReader::new(child.0.stdout.take().unwrap());
    let mut cmds = Vec::new();
    for line in out.lines() {
        let line = line.unwrap();
        if line.starts_with("curl ") {
            cmds.push(line.clone());
        }
        if line.starts_with("Ctrl-C") {
            break;
        }
    }
    assert_eq!(cmds.len(), 4, "{cmds:?}");
    assert!(dir.path().join("certgate-dev/ca/ca.pem").exists());
    let (s, body) = curl_status(&cmds[0], dir.path());
    assert_eq!(s, 200, "{body}");
    assert!(body.contains("\"verify\": \"SUCCESS\""), "{body}");
    let (s, body) = curl_status(&cmds[1], dir.path());
    assert_eq!(s, 496, "{body}");
    assert!(body.contains("client_cert.required"));
    let (s, body) = curl_status(&cmds[2], dir.path());
    assert_eq!(s, 495, "{body}");
    assert!(body.contains("client_cert.expired"));
    let (s, body) = curl_status(&cmds[3], dir.path());
    assert_eq!(s, 497, "{body}");
    drop(child);

    // A second run reuses the dev PKI (same CA).
    let ca_before = std::fs::read(dir.path().join("certgate-dev/ca/ca.pem")).unwrap();
    let mut again = Killed(
        Command::new(env!("CARGO_BIN_EXE_certgate"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .current_dir(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut first = String::new();
    BufReader::new(again.0.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(
        first.starts_with("certgate gateway on https://localhost:"),
        "{first}"
    );
    assert_eq!(
        ca_before,
        std::fs::read(dir.path().join("certgate-dev/ca/ca.pem")).unwrap()
    );
}

#[test]
fn bad_input_exits_2_with_one_line_naming_the_file() {
    let dir = certgate_testkit::tempdir();
    let d = dir.path();
    let ca = certgate_testkit::pki::Ca::root(&certgate_testkit::pki::CaSpec::new("T")).unwrap();
    let a = ca
        .issue(&certgate_testkit::pki::LeafSpec::server(&["localhost"]))
        .unwrap();
    let b = ca
        .issue(&certgate_testkit::pki::LeafSpec::server(&["localhost"]))
        .unwrap();
    a.save(d, "a").unwrap();
    b.save(d, "b").unwrap();
    ca.save(&d.join("ca")).unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_certgate"))
            .arg("serve")
            .args(args)
            .current_dir(d)
            .env("CERTGATE_LOG", "off")
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let common = [
        "--listen",
        "127.0.0.1:0",
        "--upstream",
        "http://127.0.0.1:9",
    ];
    // Key of another certificate.
    let (code, err) = run(&[
        &common[..],
        &[
            "--cert",
            "a.pem",
            "--key",
            "b.key",
            "--client-ca",
            "ca/ca.pem",
        ],
    ]
    .concat());
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("b.key") && err.contains("does not belong"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    // A client certificate given as the client CA.
    let (code, err) = run(&[
        &common[..],
        &["--cert", "a.pem", "--key", "a.key", "--client-ca", "b.pem"],
    ]
    .concat());
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("b.pem") && err.contains("not a CA"), "{err}");
    // A missing file.
    let (code, err) = run(&[
        &common[..],
        &[
            "--cert",
            "nope.pem",
            "--key",
            "a.key",
            "--client-ca",
            "ca/ca.pem",
        ],
    ]
    .concat());
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("nope.pem"), "{err}");
}

#[test]
fn address_in_use_is_refused_with_the_address() {
    let dir = certgate_testkit::tempdir();
    let d = dir.path();
    let ca = certgate_testkit::pki::Ca::root(&certgate_testkit::pki::CaSpec::new("T")).unwrap();
    ca.issue(&certgate_testkit::pki::LeafSpec::server(&["localhost"]))
        .unwrap()
        .save(d, "s")
        .unwrap();
    ca.save(&d.join("ca")).unwrap();
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_certgate"))
        .args([
            "serve",
            "--listen",
            &addr,
            "--cert",
            "s.pem",
            "--key",
            "s.key",
            "--client-ca",
            "ca/ca.pem",
            "--upstream",
            "http://127.0.0.1:9",
        ])
        .current_dir(d)
        .env("CERTGATE_LOG", "off")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(&addr) && err.contains("in use"), "{err}");
}
