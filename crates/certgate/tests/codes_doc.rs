//! docs/codes.md is `certgate codes --markdown`; this test fails when it is stale, and
//! `UPDATE_DOCS=1 cargo test -p certgate --test codes_doc` rewrites it.

use assert_cmd::Command;
use std::path::PathBuf;

fn certgate() -> Command {
    Command::cargo_bin("certgate").unwrap()
}

#[test]
fn docs_codes_md_is_the_generated_catalogue() {
    let out = certgate().args(["codes", "--markdown"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let generated = String::from_utf8(out.stdout).unwrap();
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/codes.md");
    if std::env::var("UPDATE_DOCS").as_deref() == Ok("1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/codes.md is stale: the reason codes or the knowledge base changed \
         (crates/core/src/code/). Regenerate it with\n\n    \
         UPDATE_DOCS=1 cargo test -p certgate --test codes_doc\n\nand commit docs/codes.md."
    );
}

#[test]
fn every_code_is_documented_with_its_fixes() {
    let out = certgate().args(["codes", "--json"]).output().unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes = doc["codes"].as_array().unwrap();
    assert!(codes.len() >= 31);
    let req = codes
        .iter()
        .find(|c| c["code"] == "client_cert.required")
        .unwrap();
    assert!(req["fixes"]["python_requests"]
        .as_str()
        .unwrap()
        .contains("cert=("));
    assert!(req["fixes"]["java"]
        .as_str()
        .unwrap()
        .contains("javax.net.ssl.keyStore"));
}

#[test]
fn one_code_as_text_lists_every_ecosystem_fix() {
    let out = certgate()
        .args(["codes", "cert.untrusted_root"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("cert.untrusted_root (error): Untrusted root CA"),
        "{text}"
    );
    for label in [
        "curl:",
        "Python requests:",
        "Java:",
        "Go:",
        ".NET:",
        "nginx (server config):",
    ] {
        assert!(text.contains(label), "missing {label} in {text}");
    }
}

#[test]
fn unknown_code_is_one_line_and_exit_2() {
    let out = certgate().args(["codes", "cert.nope"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("unknown reason code \"cert.nope\""), "{err}");
}

#[test]
fn closed_stdout_pipe_is_not_a_panic() {
    use std::process::{Command as Std, Stdio};
    let bin = assert_cmd::cargo::cargo_bin("certgate");
    for args in [
        &["codes"][..],
        &["codes", "--markdown"],
        &["codes", "--json"],
    ] {
        let mut child = Std::new(&bin)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take()); // the reader goes away before certgate writes
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
    }
}
