//! `certgate inventory` end to end: a directory tree of generated certificates in every supported
//! container (PEM, DER, PKCS#12, Kubernetes secret), with expired, expiring, weak and good ones,
//! private keys with tight and loose permissions, and real TLS endpoints on loopback.

use assert_cmd::Command;
use certgate_testkit::pki::{Ca, CaSpec, LeafSpec, Validity};
use serde_json::Value;
use std::path::Path;

fn certgate() -> Command {
    Command::cargo_bin("certgate").unwrap()
}

fn write(path: &Path, contents: impl AsRef<[u8]>, mode: u32) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
}

fn run_json(args: &[&str]) -> (i32, Value) {
    let out = certgate()
        .arg("inventory")
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let v: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {stdout}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap(), v)
}

fn by_cn<'a>(v: &'a Value, cn: &str) -> &'a Value {
    v["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["common_name"] == cn)
        .unwrap_or_else(|| panic!("no certificate with CN {cn} in {v:#}"))
}

fn codes(c: &Value) -> Vec<String> {
    c["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

fn p12(chain_der: &[&[u8]], key_pem: &str, password: &str) -> Vec<u8> {
    use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKey, PrivateKeyChain};
    use rustls_pki_types::pem::PemObject;
    let key = rustls_pki_types::PrivatePkcs8KeyDer::from_pem_slice(key_pem.as_bytes()).unwrap();
    let chain = PrivateKeyChain::new(
        b"k1".to_vec(),
        PrivateKey::from_der(key.secret_pkcs8_der()).unwrap(),
        chain_der.iter().map(|d| Certificate::from_der(d).unwrap()),
    );
    let mut ks = KeyStore::new();
    ks.add_entry("leaf", KeyStoreEntry::PrivateKeyChain(chain));
    ks.writer(password).write().unwrap()
}

/// The tree used by the file tests: one certificate per situation, named by it.
struct Tree {
    _dir: tempfile::TempDir,
    root: std::path::PathBuf,
}

fn tree() -> Tree {
    let dir = certgate_testkit::tempdir();
    let root = dir.path().join("certs");
    let ca = Ca::root(&CaSpec::new("Inventory Test Root")).unwrap();
    write(&root.join("ca/root.pem"), &ca.cert_pem, 0o644);

    let good = ca
        .issue(&LeafSpec::server(&["good.test", "www.good.test"]))
        .unwrap();
    write(&root.join("web/good.pem"), &good.chain_pem, 0o644);
    write(&root.join("web/good.key"), &good.key_pem, 0o600);

    let soon = ca
        .issue(&LeafSpec::server(&["soon.test"]).valid(Validity::days_from_now(10)))
        .unwrap();
    write(&root.join("web/soon.crt"), &soon.cert_pem, 0o644);
    write(&root.join("web/soon.key"), &soon.key_pem, 0o644); // world-readable

    let old = ca
        .issue(&LeafSpec::server(&["old.test"]).valid(Validity::expired_days_ago(3)))
        .unwrap();
    write(
        &root.join("old/old.pem"),
        old.cert_pem.clone() + &old.key_pem,
        0o600,
    );

    let der = ca.issue(&LeafSpec::server(&["der.test"])).unwrap();
    write(&root.join("bin/der.cer"), der.der.as_ref(), 0o644);

    let bundle = ca.issue(&LeafSpec::client("p12-client")).unwrap();
    write(
        &root.join("p12/client.p12"),
        p12(&[bundle.der.as_ref(), ca.der.as_ref()], &bundle.key_pem, ""),
        0o600,
    );
    let locked = ca.issue(&LeafSpec::client("locked-client")).unwrap();
    write(
        &root.join("p12/locked.pfx"),
        p12(&[locked.der.as_ref()], &locked.key_pem, "s3cret"),
        0o600,
    );

    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let k8s = ca.issue(&LeafSpec::server(&["k8s.test"])).unwrap();
    write(
        &root.join("k8s/secret.yaml"),
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: web-tls\ntype: kubernetes.io/tls\ndata:\n  tls.crt: {}\n  tls.key: {}\n",
            b64(&k8s.chain_pem),
            b64(&k8s.key_pem)
        ),
        0o644,
    );

    // two different certificates on one key pair
    let kp = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    for name in ["reuse-a", "reuse-b"] {
        let mut p = rcgen::CertificateParams::new(vec![format!("{name}.test")]).unwrap();
        p.distinguished_name.push(rcgen::DnType::CommonName, name);
        let c = p.self_signed(&kp).unwrap();
        write(&root.join(format!("reuse/{name}.pem")), c.pem(), 0o644);
    }

    write(&root.join("noise/readme.txt"), "nothing to see", 0o644);
    write(
        &root.join("noise/broken.crt"),
        [0x30, 0x03, 0x01, 0x02],
        0o644,
    );
    Tree { _dir: dir, root }
}

#[test]
fn a_tree_of_expired_expiring_and_good_certificates_is_reported_in_json_and_exits_1() {
    let t = tree();
    let (code, v) = run_json(&[t.root.to_str().unwrap()]);
    assert_eq!(code, 1, "{v:#}");

    let good = by_cn(&v, "good.test");
    assert_eq!(good["status"], "ok");
    assert_eq!(
        good["sans"],
        serde_json::json!(["good.test", "www.good.test"])
    );
    assert_eq!(good["issuer"], "CN=Inventory Test Root");
    assert_eq!(good["key"]["type"], "ECDSA P-256");
    assert_eq!(good["private_key"]["found"], true);
    assert_eq!(good["private_key"]["too_open"], false);
    assert_eq!(good["private_key"]["files"][0]["mode"], "0600");
    assert!(good["days_left"].as_i64().unwrap() >= 363);
    assert!(codes(good).is_empty(), "{good:#}");

    let soon = by_cn(&v, "soon.test");
    assert_eq!(soon["status"], "expiring");
    assert!((9..=10).contains(&soon["days_left"].as_i64().unwrap()));
    assert_eq!(soon["private_key"]["too_open"], true);
    assert_eq!(
        codes(soon),
        vec!["cert.expiring_soon", "key.permissions_too_open"]
    );

    let old = by_cn(&v, "old.test");
    assert_eq!(old["status"], "expired");
    assert!((-4..=-3).contains(&old["days_left"].as_i64().unwrap()));
    assert_eq!(old["private_key"]["found"], true); // key in the same PEM file
    assert_eq!(codes(old), vec!["cert.expired"]);

    assert_eq!(by_cn(&v, "der.test")["locations"][0]["format"], "der");
    let client = by_cn(&v, "p12-client");
    assert_eq!(client["locations"][0]["format"], "pkcs12");
    assert_eq!(client["private_key"]["files"][0]["format"], "pkcs12");
    let k8s = by_cn(&v, "k8s.test");
    assert_eq!(k8s["locations"][0]["format"], "kubernetes_secret");
    assert_eq!(k8s["private_key"]["found"], true);

    // the root appears in root.pem and inside the PKCS#12 bundle: one entry, two locations
    let root = by_cn(&v, "Inventory Test Root");
    assert_eq!(root["locations"].as_array().unwrap().len(), 2);
    assert_eq!(root["is_ca"], true);

    for name in ["reuse-a", "reuse-b"] {
        assert_eq!(codes(by_cn(&v, name)), vec!["cert.key_reused"], "{name}");
    }
    let skipped = v["skipped"].to_string();
    assert!(
        skipped.contains("locked.pfx") && skipped.contains("password-protected"),
        "{skipped}"
    );
    assert!(skipped.contains("broken.crt"), "{skipped}");
    assert!(!skipped.contains("readme.txt"));

    // sorted by days left: the expired one first
    assert_eq!(v["certificates"][0]["common_name"], "old.test");
    let days: Vec<i64> = v["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["days_left"].as_i64().unwrap())
        .collect();
    assert!(days.windows(2).all(|w| w[0] <= w[1]), "{days:?}");
    assert_eq!(v["summary"]["expired"], 1);
    assert_eq!(v["summary"]["expiring"], 1);
}

#[test]
fn the_table_lists_soonest_expiry_first_and_names_the_problem() {
    let t = tree();
    let out = certgate()
        .args(["inventory", t.root.join("web").to_str().unwrap()])
        .args([t.root.join("old").to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("DAYS"), "{text}");
    assert!(
        lines[1].contains("old.test") && lines[1].contains("cert.expired"),
        "{text}"
    );
    assert!(
        lines[2].contains("soon.test") && lines[2].contains("0644 too open"),
        "{text}"
    );
    assert!(
        lines[3].contains("good.test") && lines[3].contains("good.test +1"),
        "{text}"
    );
    assert!(text.contains("private keys readable by others:"), "{text}");
    assert!(
        text.contains("3 certificates (1 expired, 1 expiring within 30 days, 1 ok)"),
        "{text}"
    );
}

#[test]
fn only_good_certificates_exit_0_and_the_warning_window_is_a_flag() {
    let t = tree();
    let web = t.root.join("web");
    let good = web.join("good.pem");
    let (code, v) = run_json(&[good.to_str().unwrap()]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["verdict"], "ok");
    // soon.test expires in 10 days: inside the default 30, outside a 5-day window
    let soon = web.join("soon.crt");
    assert_eq!(run_json(&[soon.to_str().unwrap()]).0, 1);
    assert_eq!(run_json(&[soon.to_str().unwrap(), "--warn-days", "5"]).0, 0);
}

#[test]
fn a_target_that_is_neither_a_path_nor_an_endpoint_is_a_usage_error() {
    let out = certgate()
        .args(["inventory", "/no/such/dir"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("/no/such/dir") && err.lines().count() == 1,
        "{err}"
    );
    let dir = certgate_testkit::tempdir();
    let list = dir.path().join("endpoints.txt");
    std::fs::write(&list, "ok.example:443\nnot an endpoint\n").unwrap();
    let out = certgate()
        .args(["inventory", "--endpoints", list.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("endpoints.txt: line 2"), "{err}");
}

#[test]
fn openssl_made_weak_certificates_and_passwordless_pkcs12_are_read() {
    let Some(openssl) = certgate_testkit::tool("openssl") else {
        return;
    };
    let dir = certgate_testkit::tempdir();
    let d = dir.path();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(&openssl)
            .args(args)
            .current_dir(d)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:1024",
        "-sha1",
        "-nodes",
        "-subj",
        "/CN=weak.test",
        "-days",
        "400",
        "-keyout",
        "weak.key",
        "-out",
        "weak.pem",
    ]);
    run(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-subj",
        "/CN=openssl-p12.test",
        "-days",
        "400",
        "-keyout",
        "p.key",
        "-out",
        "p.pem",
    ]);
    run(&[
        "pkcs12",
        "-export",
        "-in",
        "p.pem",
        "-inkey",
        "p.key",
        "-passout",
        "pass:",
        "-out",
        "bundle.p12",
    ]);
    run(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-subj",
        "/CN=OpenSSL Test CA",
        "-days",
        "400",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
    ]);
    run(&[
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-subj",
        "/CN=sha1.test",
        "-keyout",
        "sha1.key",
        "-out",
        "sha1.csr",
    ]);
    run(&[
        "x509", "-req", "-in", "sha1.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-sha1", "-days",
        "400", "-out", "sha1.pem",
    ]);
    std::fs::remove_file(d.join("p.pem")).unwrap();
    std::fs::remove_file(d.join("p.key")).unwrap();
    let (_, v) = run_json(&[d.to_str().unwrap()]);
    let weak = by_cn(&v, "weak.test");
    assert_eq!(weak["key"]["type"], "RSA");
    assert_eq!(weak["key"]["bits"], 1024);
    assert_eq!(weak["private_key"]["found"], true, "{weak:#}");
    // self-signed: its SHA-1 signature is nobody's concern, its 1024-bit key is
    assert_eq!(codes(weak), vec!["cert.weak_key"]);
    let sha1 = by_cn(&v, "sha1.test");
    assert_eq!(sha1["signature_algorithm"], "ecdsa-with-SHA1");
    assert_eq!(codes(sha1), vec!["cert.weak_signature"]);
    let p = by_cn(&v, "openssl-p12.test");
    assert_eq!(p["locations"][0]["format"], "pkcs12");
    assert_eq!(p["private_key"]["found"], true, "{p:#}");
}
