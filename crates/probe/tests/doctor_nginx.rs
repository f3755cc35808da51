//! doctor against nginx (`ssl_verify_client on`): nginx completes the handshake and answers over
//! HTTP — 400 pages with fixed texts by default, 495/496 with `error_page 49x =49x` — and doctor
//! must still name the client-certificate cause.

mod support;

use certgate_core::Code;
use certgate_pki::{Ca, CaSpec, LeafSpec};
use certgate_probe::{diagnose, DoctorOptions, Target};
use std::time::Duration;

#[tokio::test]
async fn nginx_client_cert_pages_and_plain_http_are_recognised() {
    let dir = certgate_testkit::tempdir();
    let d = dir.path();
    let root = Ca::root(&CaSpec::new("Nginx Test Root")).unwrap();
    let client_ca = Ca::root(&CaSpec::new("Nginx Client CA")).unwrap();
    let server = root
        .issue(&LeafSpec::server(&["localhost", "127.0.0.1"]))
        .unwrap();
    let (cert, key) = server.save(d, "server").unwrap();
    let trust = support::write(d, "root.pem", &root.cert_pem);
    let ca = support::write(d, "client-ca.pem", &client_ca.cert_pem);
    let base = format!(
        "server_name localhost;\n ssl_certificate {};\n ssl_certificate_key {};\n \
         ssl_client_certificate {};\n ssl_verify_client on;\n \
         location / {{ default_type text/plain; return 200 'ok'; }}",
        cert.display(),
        key.display(),
        ca.display()
    );
    let opts = |cert: Option<(std::path::PathBuf, std::path::PathBuf)>| DoctorOptions {
        cacert: Some(trust.clone()),
        cert: cert.as_ref().map(|c| c.0.clone()),
        key: cert.map(|c| c.1),
        timeout: Duration::from_secs(5),
        ..DoctorOptions::default()
    };
    let Some(ng) = support::nginx(&d.join("a"), &base) else {
        return;
    };
    let https = Target::parse(&format!("https://localhost:{}/", ng.port)).unwrap();

    // No certificate: nginx's "400 No required SSL certificate was sent".
    let r = diagnose(&https, &opts(None)).await.unwrap();
    assert_eq!(r.verdict(), Code::ClientCertRequired, "{:#?}", r.findings);
    assert_eq!(r.evidence.http.as_ref().unwrap().status, 400);

    // A certificate from a CA nginx does not trust: "400 The SSL certificate error".
    let stranger = Ca::root(&CaSpec::new("Stranger CA"))
        .unwrap()
        .issue(&LeafSpec::client("mallory"))
        .unwrap();
    let r = diagnose(&https, &opts(Some(stranger.save(d, "mallory").unwrap())))
        .await
        .unwrap();
    assert_eq!(r.verdict(), Code::ClientCertRejected, "{:#?}", r.findings);
    assert!(
        r.root_cause().unwrap().detail.contains("CN=Stranger CA"),
        "{:#?}",
        r.findings
    );

    // The right certificate gets through.
    let alice = client_ca.issue(&LeafSpec::client("alice")).unwrap();
    let r = diagnose(&https, &opts(Some(alice.save(d, "alice").unwrap())))
        .await
        .unwrap();
    assert_eq!(r.verdict(), Code::Ok, "{:#?}", r.findings);

    // Plain HTTP to the TLS port: "400 The plain HTTP request was sent to HTTPS port".
    let http = Target::parse(&format!("http://localhost:{}/", ng.port)).unwrap();
    let r = diagnose(&http, &opts(None)).await.unwrap();
    assert_eq!(r.verdict(), Code::HttpPlainToTls, "{:#?}", r.findings);
    drop(ng);

    // With `error_page 496 =496` nginx sends the 496 status itself.
    let with_status = format!("{base}\n error_page 495 =495 /e;\n error_page 496 =496 /e;\n location = /e {{ internal; return 200 'x'; }}");
    let Some(ng) = support::nginx(&d.join("b"), &with_status) else {
        return;
    };
    let https = Target::parse(&format!("https://localhost:{}/", ng.port)).unwrap();
    let r = diagnose(&https, &opts(None)).await.unwrap();
    assert_eq!(r.verdict(), Code::ClientCertRequired, "{:#?}", r.findings);
    assert_eq!(r.evidence.http.as_ref().unwrap().status, 496);
}
