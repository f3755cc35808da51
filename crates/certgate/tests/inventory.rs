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

    let inline = ca.issue(&LeafSpec::server(&["k8s-inline.test"])).unwrap();
    let indent = |pem: &str| {
        pem.lines()
            .map(|l| format!("    {l}\n"))
            .collect::<String>()
    };
    write(
        &root.join("k8s/inline.yml"),
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: inline\nstringData:\n  tls.crt: |\n{}  tls.key: |\n{}",
            indent(&inline.cert_pem),
            indent(&inline.key_pem)
        ),
        0o600,
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
    let inline = by_cn(&v, "k8s-inline.test");
    assert_eq!(inline["locations"][0]["format"], "kubernetes_secret");
    assert_eq!(inline["private_key"]["files"][0]["mode"], "0600");

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
    // no progress bar or logs when stderr is not a terminal
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
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

/// TLS servers on 127.0.0.1 port 0, alive as long as the returned runtime.
mod loopback {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    use std::sync::Arc;
    use tokio::io::AsyncWriteExt;

    pub fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    }

    /// A TLS server that sends `chain_pem` (as given: leaf first, intermediates or not).
    pub fn tls(rt: &tokio::runtime::Runtime, chain_pem: &str, key_pem: &str) -> u16 {
        let certs: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(chain_pem.as_bytes())
                .map(Result::unwrap)
                .collect();
        let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).unwrap();
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let cfg = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(cfg));
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let port = listener.local_addr().unwrap().port();
        rt.spawn(async move {
            while let Ok((s, _)) = listener.accept().await {
                let a = acceptor.clone();
                tokio::spawn(async move {
                    if let Ok(mut tls) = a.accept(s).await {
                        let _ = tls.shutdown().await;
                    }
                });
            }
        });
        port
    }

    /// A plain-HTTP server: answers anything with a 400 and closes.
    pub fn plain_http(rt: &tokio::runtime::Runtime) -> u16 {
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let port = listener.local_addr().unwrap().port();
        rt.spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let _ = s
                        .write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                        .await;
                });
            }
        });
        port
    }

    /// A port where nothing listens (bound, then released).
    pub fn closed_port() -> u16 {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    }
}

#[test]
fn endpoints_from_args_and_a_list_are_scanned_and_problems_named() {
    let dir = certgate_testkit::tempdir();
    let root = Ca::root(&CaSpec::new("Endpoint Test Root")).unwrap();
    let issuing = root
        .intermediate(&CaSpec::new("Endpoint Issuing CA"))
        .unwrap();
    let names = ["127.0.0.1", "localhost"];
    let good = issuing.issue(&LeafSpec::server(&names)).unwrap();
    let mut spec = LeafSpec::server(&names).valid(Validity::expired_days_ago(2));
    spec.cn = "expired-endpoint".into();
    let expired = issuing.issue(&spec).unwrap();
    let mut spec = LeafSpec::server(&names);
    spec.cn = "leaf-only".into();
    let bare = issuing.issue(&spec).unwrap();
    // the files side knows the issuing CA (as servers' config directories do) and the root
    write(
        &dir.path().join("pki/issuing.pem"),
        &issuing.cert_pem,
        0o644,
    );
    let root_pem = dir.path().join("root.pem");
    write(&root_pem, &root.cert_pem, 0o644);

    let rt = loopback::runtime();
    let p_good = loopback::tls(&rt, &good.chain_pem, &good.key_pem);
    let p_expired = loopback::tls(&rt, &expired.chain_pem, &expired.key_pem);
    let p_bare = loopback::tls(&rt, &bare.cert_pem, &bare.key_pem); // no intermediate sent
    let p_plain = loopback::plain_http(&rt);
    let p_closed = loopback::closed_port();
    let list = dir.path().join("endpoints.txt");
    std::fs::write(
        &list,
        format!(
            "# from the ops wiki\n127.0.0.1:{p_bare}\n127.0.0.1:{p_plain}\n127.0.0.1:{p_closed}\n"
        ),
    )
    .unwrap();

    let (code, v) = run_json(&[
        &format!("127.0.0.1:{p_good}"),
        &format!("https://127.0.0.1:{p_expired}/health"),
        "--endpoints",
        list.to_str().unwrap(),
        "--cacert",
        root_pem.to_str().unwrap(),
        dir.path().join("pki").to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{v:#}");
    let eps = v["endpoints"].as_array().unwrap();
    assert_eq!(eps.len(), 5);
    let ep = |port: u16| {
        eps.iter()
            .find(|e| e["port"] == port)
            .unwrap_or_else(|| panic!("no endpoint {port} in {v:#}"))
    };
    let ep_codes = |port: u16| -> Vec<String> {
        ep(port)["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ep(p_good)["reachable"], true);
    assert_eq!(ep(p_good)["chain"].as_array().unwrap().len(), 2);
    assert!(ep_codes(p_good).is_empty(), "{:#}", ep(p_good));
    assert_eq!(ep_codes(p_bare), vec!["cert.incomplete_chain"]);
    assert_eq!(ep(p_plain)["reachable"], false);
    assert!(
        ep_codes(p_plain)[0].starts_with("handshake."),
        "{:#}",
        ep(p_plain)
    );
    assert_eq!(ep_codes(p_closed), vec!["tcp.connection_refused"]);

    let leaf = by_cn(&v, "127.0.0.1");
    assert_eq!(leaf["status"], "ok");
    assert_eq!(leaf["locations"][0]["kind"], "endpoint");
    assert_eq!(leaf["locations"][0]["place"], format!("127.0.0.1:{p_good}"));
    assert_eq!(leaf["private_key"]["found"], false);
    let exp = by_cn(&v, "expired-endpoint");
    assert_eq!(exp["status"], "expired");
    assert_eq!(codes(exp), vec!["cert.expired"]);
    assert_eq!(codes(by_cn(&v, "leaf-only")), vec!["cert.incomplete_chain"]);
    // the issuing CA was sent by two endpoints and found in a file: one entry, three places
    let ca = by_cn(&v, "Endpoint Issuing CA");
    assert_eq!(ca["locations"].as_array().unwrap().len(), 3, "{ca:#}");
    assert_eq!(v["summary"]["endpoints_failed"], 2);
}

/// Kills the child process when the test ends, pass or fail.
struct Reaper(std::process::Child);

impl Drop for Reaper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn http_get(addr: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn metrics_serve_gauges_per_source_and_pick_up_new_certificates_on_rescan() {
    use std::io::BufRead;
    let dir = certgate_testkit::tempdir();
    let ca = Ca::root(&CaSpec::new("Metrics Test Root")).unwrap();
    let mut spec = LeafSpec::server(&["a.metrics.test"]).valid(Validity::days_from_now(20));
    spec.cn = "metrics-a".into();
    let a = ca.issue(&spec).unwrap();
    let a_path = dir.path().join("a.pem");
    write(&a_path, &a.cert_pem, 0o644);

    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("certgate"))
        .args(["inventory", "--metrics", "127.0.0.1:0", "--interval", "1"])
        .arg(dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = Reaper(child);
    let mut first = String::new();
    std::io::BufReader::new(child.0.stderr.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let addr = first
        .split("http://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap_or_else(|| panic!("no address in {first:?}"))
        .to_string();

    let page = http_get(&addr, "/metrics");
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(page.contains("text/plain; version=0.0.4"), "{page}");
    let labels = format!(
        "source=\"{}\",source_kind=\"file\",subject=\"CN=metrics-a\",issuer=\"CN=Metrics Test Root\",serial=\"{}\"",
        a_path.display(),
        a.serial_hex
    );
    let days = page
        .lines()
        .find(|l| l.starts_with("certgate_cert_days_left{") && l.contains(&labels))
        .unwrap_or_else(|| panic!("no days_left series with {labels} in\n{page}"));
    let n: i64 = days.rsplit(' ').next().unwrap().parse().unwrap();
    assert!((19..=20).contains(&n), "{days}");
    let na = a.der.as_ref();
    let not_after = x509_parser::parse_x509_certificate(na)
        .unwrap()
        .1
        .validity()
        .not_after
        .timestamp();
    assert!(
        page.contains(&format!("certgate_cert_not_after_seconds{{{labels}")),
        "{page}"
    );
    assert!(page.contains(&format!("}} {not_after}\n")), "{page}");
    assert!(page.contains("# TYPE certgate_cert_days_left gauge"));
    assert!(http_get(&addr, "/nope").starts_with("HTTP/1.1 404"));

    // a certificate added after start shows up after a rescan
    let mut spec = LeafSpec::server(&["b.metrics.test"]);
    spec.cn = "metrics-b".into();
    write(
        &dir.path().join("b.pem"),
        ca.issue(&spec).unwrap().cert_pem,
        0o644,
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        if http_get(&addr, "/metrics").contains("subject=\"CN=metrics-b\"") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "rescan never picked up b.pem"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// Longest vertical run of pixels of exactly `rgb` in any column of an RGB(A) image.
fn longest_vertical_run(
    img: &[u8],
    width: usize,
    height: usize,
    bpp: usize,
    rgb: [u8; 3],
) -> usize {
    let mut best = 0;
    for x in 0..width {
        let mut run = 0;
        for y in 0..height {
            let i = (y * width + x) * bpp;
            if img[i..i + 3] == rgb {
                run += 1;
                best = best.max(run);
            } else {
                run = 0;
            }
        }
    }
    best
}

#[test]
fn the_html_report_renders_its_timeline_and_rows_in_headless_chromium() {
    let Some(chromium) = certgate_testkit::tool("chromium") else {
        return;
    };
    let t = tree();
    let dir = certgate_testkit::tempdir();
    let html = dir.path().join("report.html");
    let out = certgate()
        .args(["inventory", "--json", "--html", html.to_str().unwrap()])
        .arg(&t.root)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let n = v["certificates"].as_array().unwrap().len();
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        !page.contains("http://") || !page.contains("src="),
        "must not load anything"
    );

    let url = format!("file://{}", html.display());
    let browser = |extra: &[&str]| {
        let out = std::process::Command::new(&chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--window-size=1280,1400",
                &format!("--user-data-dir={}", dir.path().join("profile").display()),
            ])
            .args(extra)
            .arg(&url)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "chromium: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    // the DOM as Chromium parsed it: one row per certificate, bars of every status in the chart
    let dom = String::from_utf8(browser(&["--dump-dom"])).unwrap();
    assert_eq!(dom.matches("<tr class=\"cert ").count(), n, "{dom}");
    assert!(dom.contains("<tr class=\"cert expired\""));
    assert!(dom.contains("old.test") && dom.contains("soon.test"));
    for bar in ["bar expired", "bar expiring", "bar ok"] {
        assert!(dom.contains(&format!("class=\"{bar}\"")), "{bar} missing");
    }
    // and as it was painted: each status colour forms a bar (a tall solid run of pixels) that
    // only the chart draws — the legend squares are 10 px, the badges only outlined
    let shot = dir.path().join("report.png");
    browser(&[&format!("--screenshot={}", shot.display())]);
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&shot).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let bpp = match info.color_type {
        png::ColorType::Rgba => 4,
        png::ColorType::Rgb => 3,
        other => panic!("unexpected PNG colour type {other:?}"),
    };
    let (w, h) = (info.width as usize, info.height as usize);
    for (name, rgb) in [
        ("expired", [0xd6, 0x27, 0x28]),
        ("expiring", [0xff, 0x9f, 0x1c]),
        ("ok", [0x2c, 0xa0, 0x2c]),
    ] {
        let run = longest_vertical_run(&buf, w, h, bpp, rgb);
        assert!(run >= 20, "no painted {name} bar (longest run {run} px)");
    }
}

/// Scale, test-sized: 2,000 certificate files and 100 loopback endpoints in one run. The full
/// size (10,000 files, 1,000 endpoints) and the speed figures are in bench/inventory/run.sh.
#[test]
fn two_thousand_files_and_a_hundred_endpoints_are_all_accounted_for() {
    const FILES: usize = 2_000;
    const ENDPOINTS: usize = 100;
    let dir = certgate_testkit::tempdir();
    let ca = Ca::root(&CaSpec::new("Scale Test Root")).unwrap();
    let (mut expired, mut expiring) = (0, 0);
    for i in 0..FILES {
        // a spread of expiry dates: every 20th expired, every 20th (offset) within 30 days
        let validity = match i % 20 {
            0 => {
                expired += 1;
                Validity::expired_days_ago(1 + (i % 300) as i64)
            }
            1 => {
                expiring += 1;
                Validity::days_from_now(2 + (i % 25) as i64)
            }
            _ => Validity::days_from_now(40 + (i % 700) as i64),
        };
        let mut spec = LeafSpec::server(&[&format!("host{i}.scale.test")]).valid(validity);
        spec.cn = format!("host{i}.scale.test");
        let leaf = ca.issue(&spec).unwrap();
        let sub = dir.path().join(format!("tree/d{}/d{}", i % 10, i % 7));
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(sub.join(format!("host{i}.pem")), &leaf.cert_pem).unwrap();
    }
    let rt = loopback::runtime();
    let mut list = String::new();
    for i in 0..ENDPOINTS {
        let mut spec = LeafSpec::server(&["127.0.0.1"]);
        spec.cn = format!("endpoint{i}.scale.test");
        let leaf = ca.issue(&spec).unwrap();
        let port = loopback::tls(&rt, &leaf.chain_pem, &leaf.key_pem);
        list.push_str(&format!("127.0.0.1:{port}\n"));
    }
    let list_path = dir.path().join("endpoints.txt");
    std::fs::write(&list_path, list).unwrap();
    let (code, v) = run_json(&[
        dir.path().join("tree").to_str().unwrap(),
        "--endpoints",
        list_path.to_str().unwrap(),
        "--concurrency",
        "32",
        "--timeout",
        "20",
    ]);
    assert_eq!(code, 1);
    let s = &v["summary"];
    assert_eq!(s["files_scanned"], FILES);
    assert_eq!(s["endpoints"], ENDPOINTS);
    assert_eq!(s["endpoints_failed"], 0, "{:#}", v["endpoints"]);
    assert_eq!(s["certificates"], FILES + ENDPOINTS);
    assert_eq!(s["expired"], expired);
    assert_eq!(s["expiring"], expiring);
    let certs = v["certificates"].as_array().unwrap();
    let days: Vec<i64> = certs
        .iter()
        .map(|c| c["days_left"].as_i64().unwrap())
        .collect();
    assert!(days.windows(2).all(|w| w[0] <= w[1]));
    let from_endpoints = certs
        .iter()
        .filter(|c| c["locations"][0]["kind"] == "endpoint")
        .count();
    assert_eq!(from_endpoints, ENDPOINTS);
}
