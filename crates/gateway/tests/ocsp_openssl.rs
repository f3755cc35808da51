//! The OCSP client against a real responder: `openssl ocsp -index ... -port` on loopback, signing
//! with the CA itself or with a delegated responder certificate (EKU OCSPSigning). Also what the
//! checker says when the responder is down, and that answers are cached. Then the gateway with
//! curl: OCSP-revoked → 495 `client_cert.revoked`, good → 200, responder down → 495
//! `client_cert.revocation_unknown` when fail-closed and 200 when fail-open.

mod common;

use certgate_gateway::ocsp::{FailMode, OcspChecker, OcspConfig, OcspStatus};
use certgate_testkit::pki::{Ca, CaSpec, Issued, LeafSpec};
use certgate_testkit::{tempdir, tool};
use rcgen::ExtendedKeyUsagePurpose;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A free loopback port (openssl ocsp cannot report the port it picked for `-port 0`).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// An `openssl ocsp` responder, killed on drop.
struct Responder {
    child: Child,
    url: String,
}

impl Drop for Responder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One line of an `openssl ca` index: V (valid) or R (revoked, with its date and reason).
fn index_line(leaf: &Issued, cn: &str, revoked: bool) -> String {
    let serial = leaf.serial_hex.to_uppercase();
    let serial = if serial.len() % 2 == 1 {
        format!("0{serial}")
    } else {
        serial
    };
    if revoked {
        format!("R\t491231235959Z\t240101000000Z,keyCompromise\t{serial}\tunknown\t/CN={cn}\n")
    } else {
        format!("V\t491231235959Z\t\t{serial}\tunknown\t/CN={cn}\n")
    }
}

fn start_responder(dir: &Path, ca: &Ca, index: &str, signer: Option<&Issued>) -> Option<Responder> {
    start_responder_on(free_port(), dir, ca, index, signer)
}

fn start_responder_on(
    port: u16,
    dir: &Path,
    ca: &Ca,
    index: &str,
    signer: Option<&Issued>,
) -> Option<Responder> {
    let openssl = tool("openssl")?;
    std::fs::write(dir.join("index.txt"), index).unwrap();
    std::fs::write(dir.join("ca.pem"), &ca.cert_pem).unwrap();
    std::fs::write(dir.join("ca.key"), &ca.key_pem).unwrap();
    let (rsigner, rkey) = match signer {
        Some(s) => {
            std::fs::write(dir.join("resp.pem"), &s.cert_pem).unwrap();
            std::fs::write(dir.join("resp.key"), &s.key_pem).unwrap();
            ("resp.pem", "resp.key")
        }
        None => ("ca.pem", "ca.key"),
    };
    let mut child = Command::new(openssl)
        .current_dir(dir)
        .args([
            "ocsp",
            "-index",
            "index.txt",
            "-CA",
            "ca.pem",
            "-rsigner",
            rsigner,
            "-rkey",
            rkey,
        ])
        .args(["-port", &port.to_string(), "-nmin", "5"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start openssl ocsp");
    // Wait for its "waiting for OCSP client connections" line: a probe connection would wedge
    // OpenSSL 3.0's single-threaded responder until its read times out.
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    loop {
        match lines.next() {
            Some(Ok(l)) if l.contains("waiting for OCSP client connections") => break,
            Some(Ok(_)) => {}
            _ => panic!("openssl ocsp exited before listening on {port}"),
        }
    }
    // Keep draining its log so it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Some(Responder {
        child,
        url: format!("http://127.0.0.1:{port}"),
    })
}

struct Pki {
    ca: Ca,
    good: Issued,
    revoked: Issued,
    stranger: Issued,
}

fn pki() -> Pki {
    let ca = Ca::root(&CaSpec::new("Ocsp Root")).unwrap();
    let mut g = LeafSpec::client("good");
    g.serial = Some(0x1001);
    let mut r = LeafSpec::client("revoked");
    r.serial = Some(0x1002);
    let mut s = LeafSpec::client("stranger");
    s.serial = Some(0x1003);
    Pki {
        good: ca.issue(&g).unwrap(),
        revoked: ca.issue(&r).unwrap(),
        stranger: ca.issue(&s).unwrap(),
        ca,
    }
}

fn checker(url: &str) -> OcspChecker {
    let mut c = OcspConfig::new(FailMode::FailClosed);
    c.responder = Some(url.to_string());
    OcspChecker::new(c)
}

#[tokio::test]
async fn openssl_ocsp_signed_by_the_ca_says_good_revoked_and_unknown() {
    let p = pki();
    let dir = tempdir();
    let index = index_line(&p.good, "good", false) + &index_line(&p.revoked, "revoked", true);
    let Some(resp) = start_responder(dir.path(), &p.ca, &index, None) else {
        return;
    };
    let c = checker(&resp.url);
    assert_eq!(
        c.status(&p.good.der, &p.ca.der, now()).await,
        OcspStatus::Good
    );
    match c.status(&p.revoked.der, &p.ca.der, now()).await {
        OcspStatus::Revoked { at, reason } => {
            assert_eq!(at, 1_704_067_200, "2024-01-01T00:00:00Z from the index");
            assert_eq!(reason, Some(1), "keyCompromise");
        }
        other => panic!("expected revoked, got {other:?}"),
    }
    match c.status(&p.stranger.der, &p.ca.der, now()).await {
        OcspStatus::Unavailable(why) => assert!(why.contains("unknown"), "{why}"),
        other => panic!("expected unknown, got {other:?}"),
    }
}

#[tokio::test]
async fn openssl_ocsp_with_a_delegated_responder_certificate_is_accepted() {
    let p = pki();
    let mut spec = LeafSpec::client("ocsp responder");
    spec.eku = Some(vec![ExtendedKeyUsagePurpose::OcspSigning]);
    let responder_cert = p.ca.issue(&spec).unwrap();
    let dir = tempdir();
    let index = index_line(&p.good, "good", false) + &index_line(&p.revoked, "revoked", true);
    let Some(resp) = start_responder(dir.path(), &p.ca, &index, Some(&responder_cert)) else {
        return;
    };
    let c = checker(&resp.url);
    assert_eq!(
        c.status(&p.good.der, &p.ca.der, now()).await,
        OcspStatus::Good
    );
    assert!(matches!(
        c.status(&p.revoked.der, &p.ca.der, now()).await,
        OcspStatus::Revoked { .. }
    ));
}

#[tokio::test]
async fn a_responder_certificate_without_ocsp_signing_is_refused() {
    let p = pki();
    // A client certificate of the same CA may not sign OCSP answers for it.
    let impostor = p.ca.issue(&LeafSpec::client("impostor")).unwrap();
    let dir = tempdir();
    let index = index_line(&p.revoked, "revoked", false);
    let Some(resp) = start_responder(dir.path(), &p.ca, &index, Some(&impostor)) else {
        return;
    };
    match checker(&resp.url)
        .status(&p.revoked.der, &p.ca.der, now())
        .await
    {
        OcspStatus::Unavailable(why) => assert!(why.contains("not signed by the issuer"), "{why}"),
        other => panic!("an unauthorised signature must not count, got {other:?}"),
    }
}

#[tokio::test]
async fn a_dead_responder_is_unavailable_and_the_answer_is_cached() {
    let p = pki();
    let url = format!("http://127.0.0.1:{}", free_port());
    let c = checker(&url);
    match c.status(&p.good.der, &p.ca.der, now()).await {
        OcspStatus::Unavailable(why) => assert!(why.contains("unreachable"), "{why}"),
        other => panic!("expected unavailable, got {other:?}"),
    }
    let dir = tempdir();
    let index = index_line(&p.good, "good", false);
    let Some(resp) = start_responder(dir.path(), &p.ca, &index, None) else {
        return;
    };
    let c2 = checker(&resp.url);
    assert_eq!(
        c2.status(&p.good.der, &p.ca.der, now()).await,
        OcspStatus::Good
    );
    drop(resp);
    // A good answer is reused after the responder is gone; a failure is remembered too.
    assert_eq!(
        c2.status(&p.good.der, &p.ca.der, now()).await,
        OcspStatus::Good
    );
    assert!(matches!(
        c.status(&p.good.der, &p.ca.der, now()).await,
        OcspStatus::Unavailable(_)
    ));
}

fn index_serial(serial_hex: &str, cn: &str, revoked: bool) -> String {
    let serial = serial_hex.to_uppercase();
    let serial = if serial.len() % 2 == 1 {
        format!("0{serial}")
    } else {
        serial
    };
    if revoked {
        format!("R\t491231235959Z\t240101000000Z,keyCompromise\t{serial}\tunknown\t/CN={cn}\n")
    } else {
        format!("V\t491231235959Z\t\t{serial}\tunknown\t/CN={cn}\n")
    }
}

/// A gateway whose route checks OCSP at `responder` with `policy`.
async fn gateway(responder: String, policy: FailMode) -> common::Env {
    common::Env::start(move |c, _| {
        let mut o = OcspConfig::new(policy);
        o.responder = Some(responder);
        o.timeout_ms = 1_000;
        c.ocsp = Some(o);
    })
    .await
}

/// curl through a fail-closed or fail-open gateway whose OCSP responder (for the clients CA of the
/// gateway's PKI) lists alice as `alice_revoked` or is not running at all (`None`).
async fn through_gateway(alice_revoked: Option<bool>, policy: FailMode) -> common::Answer {
    let port = free_port();
    let env = gateway(format!("http://127.0.0.1:{port}"), policy).await;
    let dir = tempdir();
    let _resp = match alice_revoked {
        Some(r) => {
            let index = index_serial(&env.pki.valid_serial, "alice", r);
            Some(start_responder_on(port, dir.path(), &env.pki.clients_ca, &index, None).unwrap())
        }
        None => None,
    };
    let a = env.curl(Some(&env.pki.valid), "/x", &["--http1.1"]).await;
    let upstream_saw = env.echo.count();
    assert_eq!(upstream_saw, usize::from(a.status == 200), "{a:?}");
    a
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_answers_495_revoked_when_the_responder_says_revoked_and_200_when_good() {
    if tool("curl").is_none() || tool("openssl").is_none() {
        return;
    }
    let a = through_gateway(Some(true), FailMode::FailClosed).await;
    assert_eq!(
        (a.status, a.code().as_str()),
        (495, "client_cert.revoked"),
        "{a:?}"
    );
    assert!(
        a.json()["detail"].as_str().unwrap().contains("OCSP"),
        "{a:?}"
    );
    let a = through_gateway(Some(false), FailMode::FailClosed).await;
    assert_eq!(a.status, 200, "{a:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responder_down_is_495_revocation_unknown_when_fail_closed_and_200_when_fail_open() {
    if tool("curl").is_none() {
        return;
    }
    let a = through_gateway(None, FailMode::FailClosed).await;
    assert_eq!(
        (a.status, a.code().as_str()),
        (495, "client_cert.revocation_unknown"),
        "{a:?}"
    );
    let a = through_gateway(None, FailMode::FailOpen).await;
    assert_eq!(a.status, 200, "{a:?}");
}
