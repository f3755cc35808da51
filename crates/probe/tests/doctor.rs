//! doctor against real rustls servers on loopback: one scenario per root cause, asserting the
//! verdict code (and, where it matters, what the evidence says).

mod support;

use certgate_core::Code;
use certgate_pki::{Ca, CaSpec, LeafSpec, Validity};
use certgate_probe::{diagnose, Diagnosis, DoctorOptions, Target};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

fn opts(cacert: Option<PathBuf>) -> DoctorOptions {
    DoctorOptions {
        cacert,
        timeout: Duration::from_secs(5),
        ..DoctorOptions::default()
    }
}

async fn doctor(url: &str, o: &DoctorOptions) -> Diagnosis {
    diagnose(&Target::parse(url).unwrap(), o).await.unwrap()
}

fn url(addr: SocketAddr) -> String {
    format!("https://localhost:{}/", addr.port())
}

#[tokio::test]
async fn healthy_server_is_ok_with_versions_suites_and_chain() {
    let dir = certgate_testkit::tempdir();
    let pki = support::pki();
    let root = support::write(dir.path(), "root.pem", &pki.root.cert_pem);
    let addr = support::serve(support::config(&pki.server)).await;
    let d = doctor(&url(addr), &opts(Some(root))).await;
    assert_eq!(d.verdict(), Code::Ok, "{:#?}", d.findings);
    assert_eq!(d.chain.len(), 2);
    let accepted: Vec<String> = d
        .evidence
        .versions
        .iter()
        .filter(|p| p.accepted())
        .map(|p| p.offered.to_string())
        .collect();
    assert_eq!(accepted, ["TLSv1.2", "TLSv1.3"]);
    assert!(d.evidence.suites.iter().all(|s| !s.suites.is_empty()));
    assert_eq!(d.evidence.http.as_ref().unwrap().status, 200);
    let j = d.to_json();
    assert_eq!(j["verdict"], "ok");
    assert_eq!(j["chain"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn expired_server_certificate_is_cert_expired() {
    let dir = certgate_testkit::tempdir();
    let pki = support::pki();
    let leaf = pki
        .inter
        .issue(&LeafSpec::server(&["localhost"]).valid(Validity::expired_days_ago(3)))
        .unwrap();
    let root = support::write(dir.path(), "root.pem", &pki.root.cert_pem);
    let addr = support::serve(support::config(&leaf)).await;
    let d = doctor(&url(addr), &opts(Some(root))).await;
    assert_eq!(d.verdict(), Code::CertExpired, "{:#?}", d.findings);
}

#[tokio::test]
async fn wrong_name_is_hostname_mismatch() {
    let dir = certgate_testkit::tempdir();
    let pki = support::pki();
    let root = support::write(dir.path(), "root.pem", &pki.root.cert_pem);
    let addr = support::serve(support::config(&pki.server)).await;
    let mut o = opts(Some(root));
    o.servername = Some("api.example.com".into());
    let d = doctor(&url(addr), &o).await;
    assert_eq!(d.verdict(), Code::CertHostnameMismatch, "{:#?}", d.findings);
}

#[tokio::test]
async fn unknown_root_is_untrusted() {
    let dir = certgate_testkit::tempdir();
    let pki = support::pki();
    let other = Ca::root(&CaSpec::new("Some Other Root")).unwrap();
    let trust = support::write(dir.path(), "other.pem", &other.cert_pem);
    let addr = support::serve(support::config(&pki.server)).await;
    let d = doctor(&url(addr), &opts(Some(trust))).await;
    assert_eq!(d.verdict(), Code::CertUntrustedRoot, "{:#?}", d.findings);
}

#[tokio::test]
async fn server_without_its_intermediate_is_incomplete_chain() {
    let dir = certgate_testkit::tempdir();
    let pki = support::pki();
    let mut leaf_only = pki.server.clone();
    leaf_only.chain_pem = leaf_only.cert_pem.clone();
    // The client's bundle holds root and intermediate (curl would connect); the server must
    // still send the intermediate for clients that only trust roots.
    let bundle = format!("{}{}", pki.root.cert_pem, pki.inter.cert_pem);
    let root = support::write(dir.path(), "bundle.pem", &bundle);
    let addr = support::serve(support::config(&leaf_only)).await;
    let d = doctor(&url(addr), &opts(Some(root))).await;
    assert_eq!(d.verdict(), Code::CertIncompleteChain, "{:#?}", d.findings);
}

#[tokio::test]
async fn server_requiring_a_client_cert_is_client_cert_required_with_its_ca_names() {
    let dir = certgate_testkit::tempdir();
    let pki = support::pki();
    let client_ca = Ca::root(&CaSpec::new("Client Root CA")).unwrap();
    let root = support::write(dir.path(), "root.pem", &pki.root.cert_pem);
    let cfg = support::config_requiring_client_cert(&pki.server, &client_ca);
    let addr = support::serve(cfg).await;
    let d = doctor(&url(addr), &opts(Some(root.clone()))).await;
    assert_eq!(d.verdict(), Code::ClientCertRequired, "{:#?}", d.findings);
    let cr = d
        .evidence
        .handshake
        .as_ref()
        .unwrap()
        .certificate_request
        .as_ref()
        .unwrap();
    assert_eq!(cr.ca_names, ["CN=Client Root CA"]);

    // The right certificate is accepted.
    let alice = client_ca.issue(&LeafSpec::client("alice")).unwrap();
    let (cert, key) = alice.save(dir.path(), "alice").unwrap();
    let mut o = opts(Some(root.clone()));
    o.cert = Some(cert);
    o.key = Some(key);
    let d = doctor(&url(addr), &o).await;
    assert_eq!(d.verdict(), Code::Ok, "{:#?}", d.findings);

    // A certificate from another CA is refused, and doctor says its issuer is not listed.
    let stranger_ca = Ca::root(&CaSpec::new("Stranger CA")).unwrap();
    let bob = stranger_ca.issue(&LeafSpec::client("bob")).unwrap();
    let (cert, key) = bob.save(dir.path(), "bob").unwrap();
    let mut o = opts(Some(root));
    o.cert = Some(cert);
    o.key = Some(key);
    let d = doctor(&url(addr), &o).await;
    assert_eq!(d.verdict(), Code::ClientCertUntrusted, "{:#?}", d.findings);
    assert!(d.root_cause().unwrap().detail.contains("CN=Stranger CA"));
}

#[tokio::test]
async fn certificate_and_key_that_do_not_match_are_a_local_key_mismatch() {
    let dir = certgate_testkit::tempdir();
    let pki = support::pki();
    let a = pki.root.issue(&LeafSpec::client("a")).unwrap();
    let b = pki.root.issue(&LeafSpec::client("b")).unwrap();
    let cert = support::write(dir.path(), "a.pem", &a.cert_pem);
    let key = support::write(dir.path(), "b.key", &b.key_pem);
    let root = support::write(dir.path(), "root.pem", &pki.root.cert_pem);
    let addr = support::serve(support::config(&pki.server)).await;
    let mut o = opts(Some(root));
    o.cert = Some(cert);
    o.key = Some(key);
    let d = doctor(&url(addr), &o).await;
    assert_eq!(
        d.verdict(),
        Code::ClientCertKeyMismatch,
        "{:#?}",
        d.findings
    );
}

#[tokio::test]
async fn plain_http_server_on_an_https_url_is_not_tls() {
    let addr = support::serve_plain_http().await;
    let d = doctor(&url(addr), &opts(None)).await;
    assert_eq!(d.verdict(), Code::HandshakeNotTls, "{:#?}", d.findings);
}

#[tokio::test]
async fn http_url_to_a_tls_port_is_plain_to_tls() {
    let pki = support::pki();
    let addr = support::serve(support::config(&pki.server)).await;
    let d = doctor(&format!("http://127.0.0.1:{}/", addr.port()), &opts(None)).await;
    assert_eq!(d.verdict(), Code::HttpPlainToTls, "{:#?}", d.findings);
}

#[tokio::test]
async fn closed_port_is_connection_refused() {
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);
    let d = doctor(&format!("https://127.0.0.1:{port}/"), &opts(None)).await;
    assert_eq!(d.verdict(), Code::TcpConnectionRefused);
}

#[tokio::test]
async fn unreadable_cacert_is_an_input_error_not_a_finding() {
    let e = diagnose(
        &Target::parse("https://localhost:1/").unwrap(),
        &opts(Some(PathBuf::from("/nonexistent/ca.pem"))),
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("/nonexistent/ca.pem"), "{e}");
    assert_eq!(e.code(), None);
}
