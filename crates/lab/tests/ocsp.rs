//! The `revoked` scenario's OCSP responder: the certificate's AIA names the manifest's
//! `ocsp_url`, and `openssl ocsp` asking there hears "revoked" for it and "good" for the lab's
//! good server certificate.

use certgate_lab::{Lab, LabConfig};
use certgate_testkit::tool;
use std::path::Path;
use std::process::Command;

fn openssl(args: &[&str]) -> String {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("run openssl");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The first certificate of a PEM file, written to `to`.
fn first_cert(from: &Path, to: &Path) {
    let pem = std::fs::read_to_string(from).unwrap();
    let end = "-----END CERTIFICATE-----";
    let first = &pem[..pem.find(end).unwrap() + end.len()];
    std::fs::write(to, format!("{first}\n")).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_revoked_certificate_names_the_lab_ocsp_responder_which_answers_revoked() {
    if tool("openssl").is_none() {
        return;
    }
    let dir = certgate_testkit::tempdir();
    let lab = Lab::start(LabConfig {
        only: vec!["revoked".into(), "good".into()],
        ..LabConfig::new(dir.path())
    })
    .await
    .expect("lab starts");
    let m = lab.manifest().clone();
    let url = m
        .ocsp_url
        .clone()
        .expect("an OCSP URL with openssl installed");
    let servers = m.dir.join("servers");
    let (revoked, good) = (
        servers.join("revoked.leaf.pem"),
        servers.join("good.leaf.pem"),
    );
    first_cert(&servers.join("revoked.pem"), &revoked);
    first_cert(&servers.join("good.pem"), &good);
    let issuer = m.dir.join("ocsp/issuing-ca.pem");
    let ca = m.ca_bundle.clone();
    let (uri, revoked_answer, good_answer) = tokio::task::spawn_blocking(move || {
        let p = |p: &Path| p.to_string_lossy().into_owned();
        let ask = |leaf: &Path| {
            openssl(&[
                "ocsp",
                "-issuer",
                &p(&issuer),
                "-cert",
                &p(leaf),
                "-url",
                &url,
                "-CAfile",
                &p(&ca),
                "-timeout",
                "10",
            ])
        };
        (
            openssl(&["x509", "-in", &p(&revoked), "-noout", "-ocsp_uri"]),
            ask(&revoked),
            ask(&good),
        )
    })
    .await
    .unwrap();
    lab.shutdown().await;

    assert_eq!(uri.trim(), m.ocsp_url.as_deref().unwrap(), "AIA OCSP URL");
    assert!(
        revoked_answer.contains("Response verify OK") && revoked_answer.contains(": revoked"),
        "{revoked_answer}"
    );
    assert!(
        revoked_answer.contains("Reason: keyCompromise"),
        "{revoked_answer}"
    );
    assert!(good_answer.contains(": good"), "{good_answer}");
}
