//! The gateway-backed scenarios: each `mtls-http-*` endpoint (and `http-to-tls-port`) is the
//! real certgate gateway, so curl with the manifest's files must get the status line and the
//! JSON body `code` of DESIGN.md §4 (over HTTP/1.1, to see the reason phrase too), and the control must reach the echo upstream with the
//! client's identity.

use certgate_lab::{Lab, LabConfig};
use certgate_testkit::tool;
use std::process::Command;

/// (scenario, status line curl must see, body `code`)
const ROWS: &[(&str, &str, &str)] = &[
    (
        "mtls-http-required",
        "HTTP/1.1 496 SSL Certificate Required",
        "client_cert.required",
    ),
    (
        "mtls-http-expired",
        "HTTP/1.1 495 SSL Certificate Error",
        "client_cert.expired",
    ),
    (
        "mtls-http-untrusted",
        "HTTP/1.1 495 SSL Certificate Error",
        "client_cert.untrusted",
    ),
    (
        "mtls-http-revoked",
        "HTTP/1.1 495 SSL Certificate Error",
        "client_cert.revoked",
    ),
    (
        "mtls-http-not-allowed",
        "HTTP/1.1 403 Forbidden",
        "client_cert.not_allowed",
    ),
    (
        "http-to-tls-port",
        "HTTP/1.1 497 HTTP Request Sent to HTTPS Port",
        "http.plain_to_tls",
    ),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_scenarios_answer_496_495_403_497_with_their_codes_and_the_control_passes() {
    let Some(curl) = tool("curl") else { return };
    let dir = certgate_testkit::tempdir();
    let mut only: Vec<String> = ROWS.iter().map(|r| r.0.to_string()).collect();
    only.push("mtls-http-good".into());
    let lab = Lab::start(LabConfig {
        only,
        ..LabConfig::new(dir.path())
    })
    .await
    .expect("lab starts");
    let m = lab.manifest().clone();
    assert_eq!(m.scenarios.len(), ROWS.len() + 1, "{:?}", m.unavailable);
    let answers = tokio::task::spawn_blocking(move || {
        m.scenarios
            .iter()
            .map(|e| {
                let mut cmd = Command::new(&curl);
                cmd.args(["-sS", "-i", "--http1.1", "-m", "10", "--cacert"])
                    .arg(&e.ca_bundle);
                if let (Some(c), Some(k)) = (&e.client_cert, &e.client_key) {
                    cmd.arg("--cert").arg(c).arg("--key").arg(k);
                }
                let out = cmd.arg(&e.url).output().expect("run curl");
                (
                    e.clone(),
                    String::from_utf8_lossy(&out.stdout).into_owned(),
                    String::from_utf8_lossy(&out.stderr).into_owned(),
                )
            })
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    lab.shutdown().await;

    for (e, out, err) in &answers {
        let status = out.lines().next().unwrap_or_default().trim();
        let body = out.split("\r\n\r\n").nth(1).unwrap_or_default();
        if e.name == "mtls-http-good" {
            assert_eq!(status, "HTTP/1.1 200 OK", "{}: {out}{err}", e.name);
            // The echo upstream shows what the gateway forwarded.
            assert!(body.contains("SUCCESS"), "{}: {body}", e.name);
            assert!(body.contains("lab-client-good"), "{}: {body}", e.name);
            continue;
        }
        let (_, want_status, want_code) = ROWS.iter().find(|r| r.0 == e.name).unwrap();
        assert_eq!(status, *want_status, "{}: {out}{err}", e.name);
        let v: serde_json::Value = serde_json::from_str(body)
            .unwrap_or_else(|x| panic!("{}: body is not JSON ({x}): {body}", e.name));
        assert_eq!(v["code"], *want_code, "{}: {body}", e.name);
        assert_eq!(v["code"], e.expected.as_str(), "{}: manifest code", e.name);
    }
}
