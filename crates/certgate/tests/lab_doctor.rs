//! The lab manifest is an oracle (DESIGN.md §1): `certgate doctor`, the built binary, run against
//! every lab endpoint with that entry's files (`--cacert`, `--cert/--key`, `--crl`) must name
//! the entry's expected code as its verdict. Every disagreement is listed before failing.

use certgate_lab::{Entry, Lab, LabConfig, CATALOGUE};
use std::process::Command;

/// `certgate doctor URL --json` with the entry's files; returns (exit code, verdict, stdout).
fn doctor(e: &Entry) -> (Option<i32>, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_certgate"));
    cmd.args(["doctor", &e.url, "--json", "--timeout", "3", "--cacert"])
        .arg(&e.ca_bundle);
    if let (Some(c), Some(k)) = (&e.client_cert, &e.client_key) {
        cmd.arg("--cert").arg(c).arg("--key").arg(k);
    }
    if let Some(crl) = &e.crl {
        cmd.arg("--crl").arg(crl);
    }
    let out = cmd.output().expect("run certgate doctor");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let verdict = serde_json::from_str::<serde_json::Value>(&stdout)
        .ok()
        .and_then(|v| v["verdict"].as_str().map(str::to_string))
        .unwrap_or_else(|| {
            format!(
                "<no JSON verdict; stderr: {}>",
                String::from_utf8_lossy(&out.stderr).trim()
            )
        });
    (out.status.code(), verdict, stdout)
}

#[test]
fn doctor_names_the_manifest_code_of_every_lab_scenario() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = certgate_testkit::tempdir();
    let lab = rt
        .block_on(Lab::start(LabConfig::new(dir.path())))
        .expect("lab starts");
    let m = lab.manifest().clone();
    if certgate_testkit::tool("openssl").is_some() {
        assert!(m.unavailable.is_empty(), "{:?}", m.unavailable);
    }
    assert_eq!(
        m.scenarios.len() + m.unavailable.len(),
        CATALOGUE.len(),
        "every scenario runs or says why not"
    );
    let mut disagreements = vec![];
    for e in &m.scenarios {
        let (status, verdict, _) = doctor(e);
        let want_status = if e.expected == certgate_core::Code::Ok {
            0
        } else {
            1
        };
        eprintln!(
            "{:<22} expected {:<28} doctor {verdict} (exit {status:?})",
            e.name,
            e.expected.as_str()
        );
        if verdict != e.expected.as_str() || status != Some(want_status) {
            disagreements.push(format!(
                "{}: manifest {} (exit {want_status}), doctor {verdict} (exit {status:?})",
                e.name, e.expected
            ));
        }
    }
    rt.block_on(lab.shutdown());
    assert!(
        disagreements.is_empty(),
        "doctor disagrees with the lab manifest on {} of {} scenarios:\n{}",
        disagreements.len(),
        m.scenarios.len(),
        disagreements.join("\n")
    );
}
