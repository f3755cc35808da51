//! doctor against servers we did not write: `openssl s_server` for old protocols, weak and
//! missing suites, client-certificate alerts, and certificates that are broken in every way a
//! client refuses. Each test states the failure class and asserts the verdict code.

mod support;

use certgate_core::Code;
use certgate_pki::{Ca, CaSpec, Issued, LeafSpec, Revocation, Validity};
use certgate_probe::{diagnose, Diagnosis, DoctorOptions, Target};
use std::path::{Path, PathBuf};
use std::time::Duration;

struct Case {
    dir: tempfile::TempDir,
    root: Ca,
    inter: Ca,
    /// root.pem, the trust anchor doctor is given.
    trust: PathBuf,
}

fn case() -> Case {
    let dir = certgate_testkit::tempdir();
    let root = Ca::root(&CaSpec::new("OpenSSL Test Root")).unwrap();
    let inter = root
        .intermediate(&CaSpec::new("OpenSSL Test Issuing CA"))
        .unwrap();
    let trust = support::write(dir.path(), "root.pem", &root.cert_pem);
    Case {
        dir,
        root,
        inter,
        trust,
    }
}

impl Case {
    fn path(&self) -> &Path {
        self.dir.path()
    }
    fn save(&self, leaf: &Issued, name: &str) -> (PathBuf, PathBuf) {
        leaf.save(self.path(), name).unwrap()
    }
    fn good_server(&self) -> (PathBuf, PathBuf) {
        let leaf = self
            .inter
            .issue(&LeafSpec::server(&["localhost", "127.0.0.1"]))
            .unwrap();
        self.save(&leaf, "server")
    }
    fn opts(&self) -> DoctorOptions {
        DoctorOptions {
            cacert: Some(self.trust.clone()),
            timeout: Duration::from_secs(5),
            ..DoctorOptions::default()
        }
    }
}

async fn doctor(port: u16, o: &DoctorOptions) -> Diagnosis {
    let t = Target::parse(&format!("https://localhost:{port}/")).unwrap();
    diagnose(&t, o).await.unwrap()
}

macro_rules! server {
    ($cert:expr, $key:expr, $args:expr) => {
        match support::openssl_server(&$cert, &$key, $args) {
            Some(s) => s,
            None => return,
        }
    };
}

#[tokio::test]
async fn tls10_only_server_is_protocol_version_and_its_chain_is_still_read() {
    let c = case();
    let (cert, key) = c.good_server();
    let s = server!(cert, key, &["-tls1", "-cipher", "DEFAULT@SECLEVEL=0"]);
    let d = doctor(s.port, &c.opts()).await;
    assert_eq!(
        d.verdict(),
        Code::HandshakeProtocolVersion,
        "{:#?}",
        d.findings
    );
    assert!(d.root_cause().unwrap().detail.contains("TLSv1.0"));
    assert_eq!(d.chain.len(), 2, "chain from the cleartext TLS 1.0 flight");
}

#[tokio::test]
async fn server_still_accepting_tls10_beside_tls13_is_legacy_version() {
    let c = case();
    let (cert, key) = c.good_server();
    let s = server!(
        cert,
        key,
        &["-min_protocol", "TLSv1", "-cipher", "DEFAULT@SECLEVEL=0"]
    );
    let d = doctor(s.port, &c.opts()).await;
    assert_eq!(
        d.verdict(),
        Code::HandshakeLegacyVersion,
        "{:#?}",
        d.findings
    );
}

#[tokio::test]
async fn tls12_server_with_only_cbc_suites_is_no_shared_cipher() {
    let c = case();
    let (cert, key) = c.good_server();
    let s = server!(
        cert,
        key,
        &["-no_tls1_3", "-cipher", "ECDHE-ECDSA-AES128-SHA"]
    );
    let d = doctor(s.port, &c.opts()).await;
    assert_eq!(
        d.verdict(),
        Code::HandshakeNoSharedCipher,
        "{:#?}",
        d.findings
    );
}

#[tokio::test]
async fn server_offering_a_null_cipher_is_weak_cipher() {
    // Debian's OpenSSL 3 has no RC4 or 3DES left; NULL encryption is the weak suite it still has.
    let c = case();
    let (cert, key) = c.good_server();
    let s = server!(
        cert,
        key,
        &[
            "-no_tls1_3",
            "-min_protocol",
            "TLSv1.2",
            "-cipher",
            "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-NULL-SHA:@SECLEVEL=0"
        ]
    );
    let d = doctor(s.port, &c.opts()).await;
    assert_eq!(d.verdict(), Code::HandshakeWeakCipher, "{:#?}", d.findings);
}

#[tokio::test]
async fn server_requiring_a_client_cert_over_tls12_and_tls13_is_client_cert_required() {
    let c = case();
    let (cert, key) = c.good_server();
    let client_ca = support::write(c.path(), "client-ca.pem", &c.root.cert_pem);
    let ca = client_ca.to_str().unwrap();
    for extra in [&["-no_tls1_3"][..], &[][..]] {
        let mut args = vec!["-Verify", "1", "-CAfile", ca];
        args.extend_from_slice(extra);
        let s = server!(cert, key, &args);
        let d = doctor(s.port, &c.opts()).await;
        assert_eq!(
            d.verdict(),
            Code::ClientCertRequired,
            "{extra:?}: {:#?}",
            d.findings
        );
    }
}

#[tokio::test]
async fn expired_client_cert_is_named_from_the_servers_alert() {
    let c = case();
    let (cert, key) = c.good_server();
    let client_ca = support::write(c.path(), "client-ca.pem", &c.root.cert_pem);
    let s = server!(
        cert,
        key,
        &[
            "-Verify",
            "1",
            "-verify_return_error",
            "-CAfile",
            client_ca.to_str().unwrap()
        ]
    );
    let old = c
        .root
        .issue(&LeafSpec::client("old").valid(Validity::expired_days_ago(2)))
        .unwrap();
    let (ccert, ckey) = c.save(&old, "old-client");
    let mut o = c.opts();
    o.cert = Some(ccert);
    o.key = Some(ckey);
    let d = doctor(s.port, &o).await;
    assert_eq!(d.verdict(), Code::ClientCertExpired, "{:#?}", d.findings);
}

#[tokio::test]
async fn server_certificate_classes_get_their_codes() {
    let c = case();
    let now = time::OffsetDateTime::now_utc();
    let revoked = c.inter.issue(&LeafSpec::server(&["localhost"])).unwrap();
    let crl = c
        .inter
        .crl(
            &[Revocation {
                serial_hex: revoked.serial_hex.clone(),
                at: now - time::Duration::hours(1),
                reason: None,
            }],
            now - time::Duration::hours(1),
            now + time::Duration::days(7),
            1,
        )
        .unwrap();
    let crl_path = support::write(c.path(), "inter.crl", &crl);
    let cases: Vec<(&str, Issued, Code)> = vec![
        (
            "not-yet-valid",
            c.inter
                .issue(&LeafSpec::server(&["localhost"]).valid(Validity::starts_in_days(3)))
                .unwrap(),
            Code::CertNotYetValid,
        ),
        (
            "cn-only",
            c.inter.issue(&LeafSpec::server(&[])).unwrap(),
            Code::CertHostnameMismatch,
        ),
        (
            "self-signed",
            certgate_pki::self_signed(&LeafSpec::server(&["localhost"])).unwrap(),
            Code::CertSelfSigned,
        ),
        ("revoked", revoked, Code::CertRevoked),
    ];
    for (name, leaf, want) in cases {
        let (cert, key) = c.save(&leaf, name);
        let s = server!(cert, key, &[]);
        let mut o = c.opts();
        o.crls = vec![crl_path.clone()];
        let d = doctor(s.port, &o).await;
        assert_eq!(d.verdict(), want, "{name}: {:#?}", d.findings);
    }
}

#[tokio::test]
async fn rsa1024_and_sha1_server_certificates_are_weak() {
    let c = case();
    if certgate_testkit::tool("openssl").is_none() {
        return;
    }
    // Recipes: a 1024-bit RSA leaf, and a leaf signed with SHA-1, both issued by the test root.
    let root_cert = support::write(c.path(), "root-ca.pem", &c.root.cert_pem);
    let root_key = support::write(c.path(), "root-ca.key", &c.root.key_pem);
    support::write(
        c.path(),
        "ext.cnf",
        "subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n",
    );
    let (rc, rk) = (root_cert.to_str().unwrap(), root_key.to_str().unwrap());
    for (name, bits, digest) in [
        ("rsa1024", "rsa:1024", "-sha256"),
        ("sha1", "rsa:2048", "-sha1"),
    ] {
        let (key, csr, crt) = (
            format!("{name}.key"),
            format!("{name}.csr"),
            format!("{name}.pem"),
        );
        support::openssl(
            c.path(),
            &[
                "req",
                "-new",
                "-newkey",
                bits,
                "-nodes",
                "-keyout",
                &key,
                "-out",
                &csr,
                "-subj",
                "/CN=localhost",
            ],
        );
        support::openssl(
            c.path(),
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                rc,
                "-CAkey",
                rk,
                "-CAcreateserial",
                digest,
                "-days",
                "30",
                "-extfile",
                "ext.cnf",
                "-out",
                &crt,
            ],
        );
    }
    for (name, want) in [
        ("rsa1024", Code::CertWeakKey),
        ("sha1", Code::CertWeakSignature),
    ] {
        let s = server!(
            c.path().join(format!("{name}.pem")),
            c.path().join(format!("{name}.key")),
            &["-cipher", "DEFAULT@SECLEVEL=0", "-min_protocol", "TLSv1.2"]
        );
        let d = doctor(s.port, &c.opts()).await;
        assert_eq!(d.verdict(), want, "{name}: {:#?}", d.findings);
    }
}

#[tokio::test]
async fn capture_chain_reads_a_tls10_only_servers_chain() {
    let c = case();
    let (cert, key) = c.good_server();
    let s = server!(cert, key, &["-tls1", "-cipher", "DEFAULT@SECLEVEL=0"]);
    let chain =
        certgate_probe::capture_chain("127.0.0.1", s.port, "localhost", Duration::from_secs(5))
            .await
            .unwrap();
    assert_eq!(chain.len(), 2);
}
