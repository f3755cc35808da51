//! The live relay between real `openssl s_client` and `openssl s_server` on loopback: bytes are
//! forwarded unchanged (the handshakes succeed or fail exactly as they would directly) and each
//! connection's report names the cause.

use certgate_core::Code;
use certgate_testkit::pki::{Ca, CaSpec, LeafSpec};
use certgate_testkit::{tempdir, tool};
use certgate_trace::{relay, ConnectionReport};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio::net::TcpListener;

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `openssl s_server` on an ephemeral port; returns it and the port it printed.
fn s_server(dir: &Path, extra: &[&str]) -> (Server, u16) {
    let mut child = Command::new("openssl")
        .args([
            "s_server",
            "-accept",
            "127.0.0.1:0",
            "-www",
            "-naccept",
            "1",
        ])
        .arg("-cert")
        .arg(dir.join("server.pem"))
        .arg("-key")
        .arg(dir.join("server.key"))
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start openssl s_server");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let port = loop {
        let line = lines.next().expect("s_server exited").unwrap();
        if let Some(addr) = line.strip_prefix("ACCEPT ") {
            break addr.rsplit(':').next().unwrap().parse().unwrap();
        }
    };
    // Keep draining s_server's stdout so it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (Server(child), port)
}

fn pki(dir: &Path) {
    let ca = Ca::root(&CaSpec::new("Relay Test Root CA")).unwrap();
    ca.save(dir).unwrap();
    ca.issue(&LeafSpec::server(&["localhost", "127.0.0.1"]))
        .unwrap()
        .save(dir, "server")
        .unwrap();
    ca.issue(&LeafSpec::client("relay-client"))
        .unwrap()
        .save(dir, "client")
        .unwrap();
}

/// Starts the relay for one connection to `to`, runs `client`, returns the relay's report.
async fn relay_one(to: String, client: impl FnOnce(String) + Send + 'static) -> ConnectionReport {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (tx, rx) = std::sync::mpsc::channel();
    let relay = tokio::spawn(relay::run(listener, to, Some(1), move |r| {
        let _ = tx.send(r);
    }));
    tokio::task::spawn_blocking(move || client(addr))
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(20), relay)
        .await
        .expect("relay finished")
        .unwrap()
        .unwrap();
    rx.recv_timeout(Duration::from_secs(5)).unwrap()
}

fn s_client(addr: &str, dir: &Path, extra: &[&str], stdin: &[u8]) -> std::process::Output {
    let mut child = Command::new("openssl")
        .args([
            "s_client",
            "-connect",
            addr,
            "-servername",
            "localhost",
            "-ign_eof",
        ])
        .arg("-CAfile")
        .arg(dir.join("ca.pem"))
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_reports_missing_client_certificate_between_real_openssl_peers() {
    if tool("openssl").is_none() {
        return;
    }
    let tmp = tempdir();
    let dir = tmp.path().to_path_buf();
    pki(&dir);
    let ca = dir.join("ca.pem");
    let (_server, port) = s_server(
        &dir,
        &["-tls1_2", "-Verify", "1", "-CAfile", ca.to_str().unwrap()],
    );
    let d = dir.clone();
    let r = relay_one(format!("127.0.0.1:{port}"), move |addr| {
        let out = s_client(&addr, &d, &[], b"");
        // The failure reaches the client exactly as without the relay.
        assert!(!out.status.success());
    })
    .await;
    assert_eq!(r.verdict(), Code::ClientCertRequired, "{}", r.to_text());
    assert!(r.summary_line().contains("TLSv1.2"), "{}", r.summary_line());
    assert!(r
        .to_text()
        .contains("CertificateRequest accepted CAs: CN=Relay Test Root CA"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_forwards_a_good_tls13_mutual_handshake_unchanged() {
    if tool("openssl").is_none() {
        return;
    }
    let tmp = tempdir();
    let dir = tmp.path().to_path_buf();
    pki(&dir);
    let ca = dir.join("ca.pem");
    let (_server, port) = s_server(
        &dir,
        &["-tls1_3", "-Verify", "1", "-CAfile", ca.to_str().unwrap()],
    );
    let d = dir.clone();
    let r = relay_one(format!("127.0.0.1:{port}"), move |addr| {
        let cert = d.join("client.pem");
        let key = d.join("client.key");
        let out = s_client(
            &addr,
            &d,
            &[
                "-cert",
                cert.to_str().unwrap(),
                "-key",
                key.to_str().unwrap(),
            ],
            b"GET / HTTP/1.0\r\n\r\n",
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        // s_server -www answers through the relay with its status page.
        assert!(stdout.contains("HTTP/1.0 200 ok"), "{stdout}");
    })
    .await;
    assert_eq!(r.verdict(), Code::Ok, "{}", r.to_text());
    assert_eq!(
        r.analysis.version,
        Some(certgate_core::wire::ProtocolVersion::TLS1_3)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_to_a_closed_port_reports_connection_refused() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let to = closed.local_addr().unwrap().to_string();
    drop(closed);
    let r = relay_one(to, |addr| {
        let _ = std::net::TcpStream::connect(addr);
    })
    .await;
    assert_eq!(r.verdict(), Code::TcpConnectionRefused);
}
