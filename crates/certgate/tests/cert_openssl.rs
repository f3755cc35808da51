//! Agreement with real OpenSSL: broken chains made with the `openssl` CLI (`req`, `ca`), judged by
//! `openssl verify` and by `certgate cert verify`; both must name the same failure. And the other
//! way round: a CA → intermediate → server/client → CRL made by `certgate cert` is accepted by
//! `openssl verify` and read by `openssl x509 -text` / `openssl crl`.
//! Skips when openssl is missing, fails then under CERTGATE_REQUIRE_TOOLS=1.

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command as Std;

fn openssl(dir: &Path, args: &[&str]) -> std::process::Output {
    let out = Std::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run openssl");
    out
}

fn openssl_ok(dir: &Path, args: &[&str]) {
    let out = openssl(dir, args);
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// An OpenSSL CA with its own database, so `openssl ca` can set exact dates and revoke.
struct OsslCa {
    dir: PathBuf,
}

const CNF: &str = r#"
[ ca ]
default_ca = CA_default
[ CA_default ]
dir = .
database = $dir/index.txt
new_certs_dir = $dir/newcerts
serial = $dir/serial
crlnumber = $dir/crlnumber
default_md = sha256
policy = policy_any
unique_subject = no
default_crl_days = 30
default_days = 365
[ policy_any ]
commonName = supplied
[ req ]
distinguished_name = dn
[ dn ]
[ server ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ client ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ aia ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
authorityInfoAccess = caIssuers;URI:http://pki.example/issuing.crt
[ cn_only ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
[ v3_ca ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"#;

impl OsslCa {
    fn setup(dir: &Path) -> PathBuf {
        std::fs::create_dir_all(dir.join("newcerts")).unwrap();
        std::fs::write(dir.join("index.txt"), "").unwrap();
        std::fs::write(dir.join("serial"), "1000\n").unwrap();
        std::fs::write(dir.join("crlnumber"), "01\n").unwrap();
        std::fs::write(dir.join("ca.cnf"), CNF).unwrap();
        dir.to_path_buf()
    }

    fn root(base: &Path, name: &str) -> OsslCa {
        let dir = Self::setup(&base.join(name));
        openssl_ok(
            &dir,
            &[
                "req",
                "-x509",
                "-config",
                "ca.cnf",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-subj",
                &format!("/CN={name}"),
                "-days",
                "3650",
                "-extensions",
                "v3_ca",
            ],
        );
        OsslCa { dir }
    }

    fn intermediate(&self, base: &Path, name: &str) -> OsslCa {
        let dir = Self::setup(&base.join(name));
        openssl_ok(
            &dir,
            &[
                "req",
                "-new",
                "-config",
                "ca.cnf",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                "ca.key",
                "-out",
                "ca.csr",
                "-subj",
                &format!("/CN={name}"),
            ],
        );
        let csr = dir.join("ca.csr");
        let out = dir.join("ca.pem");
        self.sign(&csr, &out, "v3_ca", None);
        OsslCa { dir }
    }

    /// Signs `csr` with this CA; `dates` = (start, end) as `YYYYMMDDHHMMSSZ`.
    fn sign(&self, csr: &Path, out: &Path, ext: &str, dates: Option<(&str, &str)>) {
        self.sign_md(csr, out, ext, dates, "sha256")
    }

    fn sign_md(&self, csr: &Path, out: &Path, ext: &str, dates: Option<(&str, &str)>, md: &str) {
        let (csr, out) = (csr.to_str().unwrap(), out.to_str().unwrap());
        let mut args = vec![
            "ca",
            "-batch",
            "-config",
            "ca.cnf",
            "-keyfile",
            "ca.key",
            "-cert",
            "ca.pem",
            "-in",
            csr,
            "-out",
            out,
            "-extensions",
            ext,
            "-notext",
            "-md",
            md,
        ];
        if let Some((s, e)) = dates {
            args.extend(["-startdate", s, "-enddate", e]);
        }
        openssl_ok(&self.dir, &args);
    }

    /// A new leaf `name` with `ext` (server/client/cn_only), optional dates and key spec.
    fn leaf(&self, base: &Path, name: &str, ext: &str, dates: Option<(&str, &str)>) -> PathBuf {
        self.leaf_with(
            base,
            name,
            ext,
            dates,
            &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
        )
    }

    fn leaf_with(
        &self,
        base: &Path,
        name: &str,
        ext: &str,
        dates: Option<(&str, &str)>,
        key: &[&str],
    ) -> PathBuf {
        let csr = base.join(format!("{name}.csr"));
        let keyf = base.join(format!("{name}.key"));
        let mut args = vec!["req", "-new", "-config"];
        let cnf = self.dir.join("ca.cnf");
        args.push(cnf.to_str().unwrap());
        args.extend(key);
        let subj = format!("/CN={}", if ext == "cn_only" { "localhost" } else { name });
        args.extend([
            "-nodes",
            "-keyout",
            keyf.to_str().unwrap(),
            "-out",
            csr.to_str().unwrap(),
            "-subj",
            &subj,
        ]);
        openssl_ok(base, &args);
        let out = base.join(format!("{name}.pem"));
        self.sign(&csr, &out, ext, dates);
        out
    }

    fn cert(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    fn revoke(&self, cert: &Path) -> PathBuf {
        openssl_ok(
            &self.dir,
            &[
                "ca",
                "-config",
                "ca.cnf",
                "-keyfile",
                "ca.key",
                "-cert",
                "ca.pem",
                "-revoke",
                cert.to_str().unwrap(),
                "-crl_reason",
                "keyCompromise",
            ],
        );
        let crl = self.dir.join("crl.pem");
        openssl_ok(
            &self.dir,
            &[
                "ca", "-config", "ca.cnf", "-keyfile", "ca.key", "-cert", "ca.pem", "-gencrl",
                "-out", "crl.pem",
            ],
        );
        crl
    }
}

fn cat(out: &Path, parts: &[&Path]) -> PathBuf {
    let mut s = String::new();
    for p in parts {
        s.push_str(&std::fs::read_to_string(p).unwrap());
    }
    std::fs::write(out, s).unwrap();
    out.to_path_buf()
}

/// `openssl verify`'s error number for the chain (0 = OK).
fn openssl_verify(base: &Path, case: &Case) -> i32 {
    let mut args: Vec<String> = vec!["verify".into(), "-CAfile".into(), path(&case.cacert)];
    if let Some(u) = &case.rest {
        args.extend(["-untrusted".into(), path(u)]);
    }
    if let Some(c) = &case.crl {
        args.extend(["-crl_check".into(), "-CRLfile".into(), path(c)]);
    }
    if let Some(h) = &case.host {
        args.extend(["-verify_hostname".into(), h.clone()]);
    }
    args.extend(["-purpose".into(), case.purpose_openssl().into()]);
    args.push(path(&case.leaf));
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = openssl(base, &a);
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    if out.status.success() {
        return 0;
    }
    // "error 10 at 0 depth lookup: certificate has expired"
    text.split("error ")
        .skip(1)
        .find_map(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("{}: no error number in openssl output: {text}", case.name))
}

fn path(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

struct Case {
    name: &'static str,
    /// Leaf (OpenSSL verifies this file's first certificate).
    leaf: PathBuf,
    /// What the peer sends after the leaf (OpenSSL: -untrusted; certgate: appended to the chain).
    rest: Option<PathBuf>,
    cacert: PathBuf,
    crl: Option<PathBuf>,
    host: Option<String>,
    client: bool,
    /// What OpenSSL must say (error number) and what certgate must say (verdict).
    openssl: i32,
    certgate: &'static str,
}

impl Case {
    fn purpose_openssl(&self) -> &'static str {
        if self.client {
            "sslclient"
        } else {
            "sslserver"
        }
    }
}

fn certgate_verify(base: &Path, case: &Case) -> (String, i32) {
    let chain = match &case.rest {
        Some(r) => cat(
            &base.join(format!("{}-chain.pem", case.name)),
            &[&case.leaf, r],
        ),
        None => case.leaf.clone(),
    };
    let mut cmd = Command::cargo_bin("certgate").unwrap();
    cmd.args(["cert", "verify", "--json"])
        .arg(&chain)
        .arg("--cacert")
        .arg(&case.cacert)
        .args(["--purpose", if case.client { "client" } else { "server" }]);
    if let Some(c) = &case.crl {
        cmd.arg("--crl").arg(c);
    }
    if let Some(h) = &case.host {
        cmd.args(["--host", h]);
    }
    let out = cmd.output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{}: not JSON ({e}): {}{}",
            case.name,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (
        v["verdict"].as_str().unwrap().to_string(),
        out.status.code().unwrap(),
    )
}

#[test]
fn certgate_verify_names_the_same_failure_as_openssl_verify() {
    if certgate_testkit::tool("openssl").is_none() {
        return;
    }
    let tmp = certgate_testkit::tempdir();
    let base = tmp.path();
    let root = OsslCa::root(base, "Agree Root");
    let inter = root.intermediate(base, "Agree Issuing");
    let other = OsslCa::root(base, "Stranger Root");
    let past = Some(("20200101000000Z", "20210101000000Z"));
    let future = Some(("20400101000000Z", "20410101000000Z"));

    let good = inter.leaf(base, "good", "server", None);
    let with_aia = inter.leaf(base, "aia", "aia", None);
    let expired = inter.leaf(base, "expired", "server", past);
    let not_yet = inter.leaf(base, "notyet", "server", future);
    let stranger = other.leaf(base, "stranger", "server", None);
    let client = inter.leaf(base, "clientonly", "client", None);
    let revoked = inter.leaf(base, "revoked", "server", None);
    let crl = inter.revoke(&revoked);
    let cn_only = inter.leaf(base, "cnonly", "cn_only", None);
    let expired_inter_ca = root.intermediate(base, "Expired Issuing");
    // An intermediate that expired: re-sign its CSR with past dates.
    root.sign(
        &expired_inter_ca.dir.join("ca.csr"),
        &expired_inter_ca.cert(),
        "v3_ca",
        past,
    );
    let under_expired = expired_inter_ca.leaf(base, "underexpired", "server", None);
    // Self-signed server certificate.
    let selfsigned = base.join("selfsigned.pem");
    openssl_ok(
        base,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "selfsigned.key",
            "-out",
            "selfsigned.pem",
            "-subj",
            "/CN=localhost",
            "-days",
            "30",
            "-addext",
            "subjectAltName=DNS:localhost",
            "-addext",
            "basicConstraints=critical,CA:FALSE",
        ],
    );
    // A leaf signed with SHA-1, and a leaf with a 1024-bit RSA key.
    let weak_rsa = inter.leaf_with(base, "rsa1024", "server", None, &["-newkey", "rsa:1024"]);
    let sha1_csr = base.join("rsa1024.csr");
    let sha1 = base.join("sha1.pem");
    inter.sign_md(&sha1_csr, &sha1, "server", None, "sha1");
    let inter_pem = inter.cert();
    let root_pem = root.cert();

    let c = |name, leaf: &PathBuf, rest: Option<&PathBuf>, ca: &PathBuf, openssl, certgate| Case {
        name,
        leaf: leaf.clone(),
        rest: rest.cloned(),
        cacert: ca.clone(),
        crl: None,
        host: None,
        client: false,
        openssl,
        certgate,
    };
    let mut cases = vec![
        c("good", &good, Some(&inter_pem), &root_pem, 0, "ok"),
        // X509_V_ERR_CERT_HAS_EXPIRED
        c(
            "expired",
            &expired,
            Some(&inter_pem),
            &root_pem,
            10,
            "cert.expired",
        ),
        // X509_V_ERR_CERT_NOT_YET_VALID
        c(
            "not_yet_valid",
            &not_yet,
            Some(&inter_pem),
            &root_pem,
            9,
            "cert.not_yet_valid",
        ),
        // X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY: issuer unknown
        c(
            "untrusted_issuer",
            &stranger,
            None,
            &root_pem,
            20,
            "cert.untrusted_root",
        ),
        // X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN: the peer sends a root nobody trusts
        c(
            "untrusted_root_sent",
            &stranger,
            Some(&other.cert()),
            &root_pem,
            19,
            "cert.untrusted_root",
        ),
        // X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT
        c(
            "self_signed",
            &selfsigned,
            None,
            &root_pem,
            18,
            "cert.self_signed",
        ),
        // X509_V_ERR_INVALID_PURPOSE: a clientAuth-only certificate used by a server
        c(
            "wrong_usage",
            &client,
            Some(&inter_pem),
            &root_pem,
            26,
            "cert.wrong_usage",
        ),
        // Missing intermediate: OpenSSL cannot tell it from an untrusted issuer either (20)
        c(
            "missing_intermediate",
            &good,
            None,
            &root_pem,
            20,
            "cert.untrusted_root",
        ),
        // ... but a leaf that says where its issuer is (AIA caIssuers) was issued by an
        // intermediate: the server must send it.
        c(
            "missing_intermediate_aia",
            &with_aia,
            None,
            &root_pem,
            20,
            "cert.incomplete_chain",
        ),
        // The intermediate expired
        c(
            "expired_intermediate",
            &under_expired,
            Some(&expired_inter_ca.cert()),
            &root_pem,
            10,
            "cert.expired",
        ),
    ];
    let mut revoked_case = c(
        "revoked",
        &revoked,
        Some(&inter_pem),
        &root_pem,
        23,
        "cert.revoked",
    );
    revoked_case.crl = Some(crl.clone());
    cases.push(revoked_case);
    // The good certificate against the same CRL: still fine.
    let mut not_revoked = c("not_revoked", &good, Some(&inter_pem), &root_pem, 0, "ok");
    not_revoked.crl = Some(crl.clone());
    cases.push(not_revoked);
    // X509_V_ERR_HOSTNAME_MISMATCH
    let mut mismatch = c(
        "hostname_mismatch",
        &good,
        Some(&inter_pem),
        &root_pem,
        62,
        "cert.hostname_mismatch",
    );
    mismatch.host = Some("other.example".into());
    cases.push(mismatch);
    // Client certificate used as such: fine; server certificate as client: wrong usage.
    let mut client_ok = c("client_ok", &client, Some(&inter_pem), &root_pem, 0, "ok");
    client_ok.client = true;
    cases.push(client_ok);
    let mut server_as_client = c(
        "server_as_client",
        &good,
        Some(&inter_pem),
        &root_pem,
        26,
        "client_cert.wrong_usage",
    );
    server_as_client.client = true;
    cases.push(server_as_client);

    cases.push(c(
        "sha1_signature",
        &sha1,
        Some(&inter_pem),
        &root_pem,
        0,
        "cert.weak_signature",
    ));
    cases.push(c(
        "rsa1024_key",
        &weak_rsa,
        Some(&inter_pem),
        &root_pem,
        0,
        "cert.weak_key",
    ));

    let mut failures = vec![];
    for case in &cases {
        let o = openssl_verify(base, case);
        let (v, exit) = certgate_verify(base, case);
        let want_exit = if case.certgate == "ok" { 0 } else { 1 };
        if o != case.openssl || v != case.certgate || exit != want_exit {
            failures.push(format!(
                "{}: openssl {o} (want {}), certgate {v} exit {exit} (want {} exit {want_exit})",
                case.name, case.openssl, case.certgate
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "disagreements:\n{}",
        failures.join("\n")
    );

    // The one deliberate difference: OpenSSL still accepts a host name found only in the
    // subject CN; certgate (like browsers, Go, rustls) does not.
    let mut cn = c(
        "cn_only",
        &cn_only,
        Some(&inter_pem),
        &root_pem,
        0,
        "cert.hostname_mismatch",
    );
    cn.host = Some("localhost".into());
    assert_eq!(openssl_verify(base, &cn), 0);
    assert_eq!(certgate_verify(base, &cn).0, "cert.hostname_mismatch");
}

#[test]
fn openssl_accepts_a_pki_made_by_certgate_cert() {
    if certgate_testkit::tool("openssl").is_none() {
        return;
    }
    let tmp = certgate_testkit::tempdir();
    let d = tmp.path();
    let run = |args: &[&str]| {
        Command::cargo_bin("certgate")
            .unwrap()
            .current_dir(d)
            .args(args)
            .assert()
            .success();
    };
    run(&[
        "cert",
        "ca",
        "create",
        "--out",
        "root",
        "--name",
        "OpenSSL Check Root",
    ]);
    run(&[
        "cert",
        "ca",
        "create",
        "--out",
        "inter",
        "--parent",
        "root",
        "--name",
        "OpenSSL Check Issuing",
    ]);
    run(&[
        "cert",
        "issue",
        "--ca",
        "inter",
        "--server",
        "localhost,127.0.0.1",
        "--out",
        "out",
    ]);
    run(&[
        "cert",
        "issue",
        "--ca",
        "inter",
        "--client",
        "alice",
        "--uri",
        "spiffe://example.org/alice",
        "--out",
        "out",
        "--key",
        "rsa2048",
    ]);
    run(&[
        "cert", "issue", "--ca", "inter", "--client", "mallory", "--out", "out", "--key", "ed25519",
    ]);
    run(&[
        "cert",
        "revoke",
        "--ca",
        "inter",
        "out/mallory.pem",
        "--reason",
        "keyCompromise",
    ]);
    // root + intermediate CRLs: OpenSSL's -crl_check_all wants one per CA.
    run(&["cert", "revoke", "--ca", "root"]);
    let crls = cat(
        &d.join("crls.pem"),
        &[&d.join("inter/crl.pem"), &d.join("root/crl.pem")],
    );
    let verify = |leaf: &str, purpose: &str| {
        let out = openssl(
            d,
            &[
                "verify",
                "-CAfile",
                "root/ca.pem",
                "-untrusted",
                "inter/ca.pem",
                "-purpose",
                purpose,
                "-crl_check_all",
                "-CRLfile",
                crls.to_str().unwrap(),
                leaf,
            ],
        );
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr)
    };
    assert!(verify("out/localhost.pem", "sslserver").contains(": OK"));
    assert!(verify("out/alice.pem", "sslclient").contains(": OK"));
    assert!(verify("out/mallory.pem", "sslclient").contains("certificate revoked"));
    let text = openssl(d, &["x509", "-in", "out/alice.pem", "-noout", "-text"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("URI:spiffe://example.org/alice"), "{text}");
    assert!(text.contains("TLS Web Client Authentication"), "{text}");
    assert!(text.contains("Public-Key: (2048 bit)"), "{text}");
    let crl = openssl(d, &["crl", "-in", "inter/crl.pem", "-noout", "-text"]);
    let crl = String::from_utf8_lossy(&crl.stdout);
    assert!(crl.contains("Key Compromise"), "{crl}");
}
