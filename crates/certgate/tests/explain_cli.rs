//! `certgate explain` as a user runs it: message as argument, from stdin, a log file; text and
//! JSON; exit codes 0 (recognised), 1 (nothing recognised), 2 (bad input).

use assert_cmd::Command;
use serde_json::Value;

fn certgate() -> Command {
    Command::cargo_bin("certgate").unwrap()
}

#[test]
fn curl_message_as_argument_gets_code_cause_and_curl_fix() {
    let out = certgate()
        .args([
            "explain",
            "curl: (60) SSL certificate problem: certificate has expired",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("cert.expired — Server certificate expired [curl]"),
        "{text}"
    );
    assert!(
        text.contains("matched: \"certificate has expired\""),
        "{text}"
    );
    assert!(
        text.contains("fix:     Nothing to change in the command"),
        "{text}"
    );
}

#[test]
fn json_names_code_ecosystem_fix_and_evidence() {
    let out = certgate()
        .args([
            "explain",
            "--json",
            "javax.net.ssl.SSLHandshakeException: Received fatal alert: certificate_required",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["code"], "client_cert.required");
    assert_eq!(v["ecosystem"], "java");
    assert!(v["fix"]
        .as_str()
        .unwrap()
        .contains("javax.net.ssl.keyStore"));
    assert_eq!(
        v["matches"][0]["evidence"],
        "Received fatal alert: certificate_required"
    );
    assert!(v["detail"]
        .as_str()
        .unwrap()
        .contains("certificate_required (116)"));
}

#[test]
fn stdin_log_gives_one_match_per_recognised_line_with_line_numbers() {
    let log = "starting\n\
requests.exceptions.SSLError: HTTPSConnectionPool(host='api', port=8443): Max retries exceeded with url: / (Caused by SSLError(SSLError(1, '[SSL: TLSV13_ALERT_CERTIFICATE_REQUIRED] tlsv13 alert certificate required (_ssl.c:2580)')))\n\
done\n";
    let out = certgate()
        .args(["explain", "--json", "-"])
        .write_stdin(log)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["lines"], 3);
    assert_eq!(v["matches"].as_array().unwrap().len(), 1);
    assert_eq!(v["matches"][0]["line"], 2);
    assert_eq!(v["code"], "client_cert.required");
    assert_eq!(v["ecosystem"], "python_requests");
    assert!(v["fix"].as_str().unwrap().contains("cert=("));
}

#[test]
fn nginx_error_log_file_is_summarised() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("error.log");
    let mut log = String::new();
    for i in 0..12 {
        log += &format!("2026/12/01 08:{i:02}:00 [info] 99#99: *{i} client sent no required SSL certificate while reading client request headers, client: 10.0.0.{}, server: api\n", i % 3);
    }
    log += "2026/12/01 09:00:00 [info] 99#99: *50 client SSL certificate verify error: (10:certificate has expired) while reading client request headers, client: 10.0.0.9, server: api\n";
    std::fs::write(&path, log).unwrap();
    let out = certgate()
        .args(["explain", "--file"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("recognised 13 of 13 lines"), "{text}");
    assert!(
        text.contains("client_cert.required             12  2026/12/01 08:00:00"),
        "{text}"
    );
    assert!(
        text.contains("client_cert.expired               1"),
        "{text}"
    );
    assert!(
        text.contains("top clients: 10.0.0.0 (4), 10.0.0.1 (4), 10.0.0.2 (4), 10.0.0.9 (1)"),
        "{text}"
    );
    assert!(
        text.contains("ssl_verify_client"),
        "nginx fix expected: {text}"
    );
}

#[test]
fn unknown_text_is_exit_1_and_suggests_doctor() {
    let out = certgate()
        .args(["explain", "--json", "all good here"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["code"], "unknown");
    assert!(v["fix"].as_str().unwrap().contains("certgate doctor"));
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("x.bin");
    std::fs::write(&bin, b"\x00\x01\x02").unwrap();
    let empty = dir.path().join("empty.log");
    std::fs::write(&empty, "").unwrap();
    for (args, want) in [
        (
            vec![
                "explain".to_string(),
                "--file".into(),
                "/nonexistent/log".into(),
            ],
            "cannot read /nonexistent/log",
        ),
        (
            vec![
                "explain".to_string(),
                "--file".into(),
                bin.display().to_string(),
            ],
            "is binary data",
        ),
        (
            vec![
                "explain".to_string(),
                "--file".into(),
                empty.display().to_string(),
            ],
            "is empty",
        ),
    ] {
        let out = certgate().args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(want), "{err}");
    }
}

#[test]
fn ecosystem_override_picks_that_fix() {
    let out = certgate()
        .args([
            "explain",
            "--ecosystem",
            "go",
            "--json",
            "unable to get local issuer certificate",
        ])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["fix"].as_str().unwrap().contains("RootCAs"), "{v}");
}

#[test]
fn real_nginx_error_log_with_mixed_failures_is_summarised() {
    // Recorded from nginx 1.22 by tests/explain/regen.py: one line per kind of failure.
    let log = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/explain/nginx-error.log");
    let out = certgate()
        .args(["explain", "--json", "--file"])
        .arg(&log)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes = v["summary"]["codes"].as_object().unwrap();
    let mut got: Vec<(&str, u64)> = codes
        .iter()
        .map(|(k, c)| (k.as_str(), c["count"].as_u64().unwrap()))
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            ("cert.untrusted_root", 1),
            ("client_cert.expired", 1),
            ("client_cert.required", 1),
            ("client_cert.revoked", 1),
            ("client_cert.wrong_usage", 1),
            ("http.plain_to_tls", 1),
            ("upstream.unavailable", 1),
        ]
    );
    assert_eq!(v["summary"]["top_clients"][0]["value"], "127.0.0.1");
    assert_eq!(v["summary"]["top_clients"][0]["count"], 7);
    assert!(v["matches"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["ecosystem"] == "nginx"));
}
