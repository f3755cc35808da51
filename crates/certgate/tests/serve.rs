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

/// `certgate serve ARGS` in `dir`, its stdout piped (the demo prints its curl commands there).
fn demo(dir: &std::path::Path, args: &[&str]) -> Killed {
    Killed(
        Command::new(env!("CARGO_BIN_EXE_certgate"))
            .arg("serve")
            .args(args)
            .current_dir(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
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
    let mut child = demo(dir.path(), &["--listen", "127.0.0.1:0"]);
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
    let mut again = demo(dir.path(), &["--listen", "127.0.0.1:0"]);
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
fn header_format_flag_limits_the_identity_headers_the_upstream_gets() {
    if certgate_testkit::tool("curl").is_none() {
        return;
    }
    let dir = certgate_testkit::tempdir();
    let mut child = demo(
        dir.path(),
        &["--listen", "127.0.0.1:0", "--header-format", "nginx"],
    );
    let out = BufReader::new(child.0.stdout.take().unwrap());
    let with_cert = out
        .lines()
        .map(Result::unwrap)
        .find(|l| l.starts_with("curl "))
        .unwrap();
    let (s, body) = curl_status(&with_cert, dir.path());
    assert_eq!(s, 200, "{body}");
    let echo: serde_json::Value = serde_json::from_str(&body).unwrap();
    let headers = echo["headers"].to_string().to_ascii_lowercase();
    assert!(headers.contains("x-ssl-client-s-dn"), "{headers}");
    assert!(headers.contains("x-ssl-client-cert"), "{headers}");
    assert!(!headers.contains("\"client-cert\""), "{headers}");
    assert!(!headers.contains("x-forwarded-client-cert"), "{headers}");
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

#[test]
fn sighup_reloads_the_config_file_and_a_bad_one_is_refused() {
    if certgate_testkit::tool("curl").is_none() || certgate_testkit::tool("kill").is_none() {
        return;
    }
    use certgate_testkit::pki::{Ca, CaSpec, LeafSpec};
    let dir = certgate_testkit::tempdir();
    let d = dir.path();
    let ca = Ca::root(&CaSpec::new("T")).unwrap();
    ca.issue(&LeafSpec::server(&["localhost"]))
        .unwrap()
        .save(d, "server")
        .unwrap();
    ca.issue(&LeafSpec::client("alice"))
        .unwrap()
        .save(d, "alice")
        .unwrap();
    std::fs::write(d.join("ca.pem"), &ca.cert_pem).unwrap();
    let conf = d.join("gw.toml");
    // Same length either way, and the modification time is restored below: only SIGHUP reloads.
    let write = |cn: &str| {
        let before = std::fs::metadata(&conf)
            .ok()
            .and_then(|m| m.modified().ok());
        std::fs::write(
            &conf,
            format!("listen = \"127.0.0.1:0\"\ncert = \"server.pem\"\nkey = \"server.key\"\nclient_ca = [\"ca.pem\"]\nupstream = \"http://127.0.0.1:9\"\n[allow]\ncn = [\"{cn}\"]\n"),
        )
        .unwrap();
        if let Some(t) = before {
            std::fs::File::options()
                .write(true)
                .open(&conf)
                .unwrap()
                .set_modified(t)
                .unwrap();
        }
    };
    write("zzzzz");
    let mut child = Killed(
        Command::new(env!("CARGO_BIN_EXE_certgate"))
            .args(["serve", "--config", "gw.toml"])
            .current_dir(d)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut first = String::new();
    BufReader::new(child.0.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let port: u16 = first
        .split("https://127.0.0.1:")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("{first}"));
    let status = || {
        let out = Command::new("curl")
            .args([
                "-s",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                "--max-time",
                "10",
            ])
            .args([
                "--cacert",
                "ca.pem",
                "--cert",
                "alice.pem",
                "--key",
                "alice.key",
            ])
            .args(["--resolve", &format!("localhost:{port}:127.0.0.1")])
            .arg(format!("https://localhost:{port}/"))
            .current_dir(d)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    assert_eq!(status(), "403", "alice is not allowed yet");
    let hup = || {
        Command::new("kill")
            .args(["-HUP", &child.0.id().to_string()])
            .status()
            .unwrap();
    };
    write("alice");
    hup();
    let mut s = String::new();
    for _ in 0..100 {
        s = status();
        if s == "502" {
            break; // allowed now; the upstream (port 9) is down
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(s, "502", "SIGHUP applied the new allow-list");
    // A broken config is refused on SIGHUP and the running one keeps serving.
    std::fs::write(&conf, "this is not toml = [").unwrap();
    hup();
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(status(), "502");
    assert!(child.0.try_wait().unwrap().is_none(), "still running");
}

#[test]
fn every_rejected_request_leaves_one_json_log_line_with_the_code() {
    if certgate_testkit::tool("curl").is_none() {
        return;
    }
    use certgate_testkit::pki::{Ca, CaSpec, LeafSpec, Validity};
    let dir = certgate_testkit::tempdir();
    let d = dir.path();
    let ca = Ca::root(&CaSpec::new("Log CA")).unwrap();
    ca.issue(&LeafSpec::server(&["localhost"]))
        .unwrap()
        .save(d, "server")
        .unwrap();
    ca.issue(&LeafSpec::client("old").valid(Validity::expired_days_ago(2)))
        .unwrap()
        .save(d, "old")
        .unwrap();
    std::fs::write(d.join("ca.pem"), &ca.cert_pem).unwrap();
    let mut child = Killed(
        Command::new(env!("CARGO_BIN_EXE_certgate"))
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--cert",
                "server.pem",
                "--key",
                "server.key",
            ])
            .args(["--client-ca", "ca.pem", "--upstream", "http://127.0.0.1:9"])
            .current_dir(d)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut first = String::new();
    BufReader::new(child.0.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let port = first
        .split("127.0.0.1:")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let curl = |extra: &[&str]| {
        Command::new("curl")
            .args([
                "-s",
                "-o",
                "/dev/null",
                "--max-time",
                "10",
                "--cacert",
                "ca.pem",
            ])
            .args(["--resolve", &format!("localhost:{port}:127.0.0.1")])
            .args(extra)
            .arg(format!("https://localhost:{port}/x"))
            .current_dir(d)
            .status()
            .unwrap();
    };
    curl(&[]);
    curl(&["--cert", "old.pem", "--key", "old.key"]);
    let _ = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status();
    let _ = child.0.wait();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.0.stderr.take().unwrap(), &mut err).unwrap();
    let lines: Vec<serde_json::Value> = err
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .filter(|v: &serde_json::Value| v["event"] == "request_rejected")
        .collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert_eq!(lines[0]["code"], "client_cert.required");
    assert_eq!(lines[0]["status"], 496);
    assert_eq!(lines[0]["client_ip"], "127.0.0.1");
    assert_eq!(lines[0]["sni"], "localhost");
    assert_eq!(lines[1]["code"], "client_cert.expired");
    assert_eq!(lines[1]["subject"], "CN=old");
    assert_eq!(lines[1]["issuer"], "CN=Log CA");
    assert!(lines[1]["not_after"].as_str().unwrap().ends_with('Z'));
    assert!(lines[1]["serial"].as_str().is_some_and(|s| !s.is_empty()));
    assert_eq!(lines[1]["level"], "WARN");
}
