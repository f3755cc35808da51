//! Shared fixtures for the gateway tests: a PKI generated in the test (each certificate named by
//! what is wrong with it), a gateway in front of the echo upstream on loopback port 0, and a curl
//! runner that returns the status line, headers and JSON body.
#![allow(dead_code)]

use certgate_gateway::config::{Config, PemSource};
use certgate_gateway::echo::Echo;
use certgate_gateway::Gateway;
use certgate_testkit::pki::{Ca, CaSpec, LeafSpec, Revocation, Validity};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use time::{Duration, OffsetDateTime};

/// A certificate and key on disk (the certificate file holds the chain the client sends).
#[derive(Clone, Debug)]
pub struct Pair {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// The test PKI: root → "Test Clients CA" (intermediate) → client certificates; the server
/// certificate for localhost from the root; a rogue CA nobody trusts; the intermediate's CRL.
pub struct Pki {
    pub dir: tempfile::TempDir,
    pub root: Ca,
    pub clients_ca: Ca,
    /// Root CA certificate: the gateway's `client_ca` and the clients' `--cacert`.
    pub ca: PathBuf,
    pub server: Pair,
    pub valid: Pair,
    pub bob: Pair,
    pub expired: Pair,
    pub not_yet_valid: Pair,
    pub wrong_eku: Pair,
    pub revoked: Pair,
    pub untrusted: Pair,
    /// CRL of the clients CA, listing `revoked`.
    pub crl: PathBuf,
    /// Serial of `revoked`... and of valid, for CRL updates.
    pub valid_serial: String,
    pub revoked_serial: String,
}

fn save(dir: &std::path::Path, name: &str, issued: &certgate_testkit::pki::Issued) -> Pair {
    let (cert, key) = issued.save(dir, name).expect("save");
    Pair { cert, key }
}

impl Pki {
    pub fn new() -> Pki {
        let dir = certgate_testkit::tempdir();
        let d = dir.path();
        let root = Ca::root(&CaSpec::new("Test Root CA")).unwrap();
        let clients_ca = root.intermediate(&CaSpec::new("Test Clients CA")).unwrap();
        let rogue = Ca::root(&CaSpec::new("Rogue CA")).unwrap();
        let ca = d.join("ca.pem");
        std::fs::write(&ca, &root.cert_pem).unwrap();
        let server = save(
            d,
            "server",
            &root
                .issue(&LeafSpec::server(&["localhost", "127.0.0.1"]))
                .unwrap(),
        );
        let mut alice = LeafSpec::client("alice");
        alice.uris = vec!["spiffe://example.org/ns/prod/sa/alice".into()];
        alice.names = vec!["alice.example.org".into()];
        let valid_issued = clients_ca.issue(&alice).unwrap();
        let valid = save(d, "valid", &valid_issued);
        let bob = save(
            d,
            "bob",
            &clients_ca.issue(&LeafSpec::client("bob")).unwrap(),
        );
        let expired = save(
            d,
            "expired",
            &clients_ca
                .issue(&LeafSpec::client("expired").valid(Validity::expired_days_ago(10)))
                .unwrap(),
        );
        let not_yet_valid = save(
            d,
            "not-yet-valid",
            &clients_ca
                .issue(&LeafSpec::client("not-yet-valid").valid(Validity::starts_in_days(10)))
                .unwrap(),
        );
        let mut eku = LeafSpec::client("wrong-eku");
        eku.eku = Some(vec![rcgen_server_auth()]);
        let wrong_eku = save(d, "wrong-eku", &clients_ca.issue(&eku).unwrap());
        let revoked_issued = clients_ca.issue(&LeafSpec::client("revoked")).unwrap();
        let revoked = save(d, "revoked", &revoked_issued);
        let untrusted = save(
            d,
            "untrusted",
            &rogue.issue(&LeafSpec::client("untrusted")).unwrap(),
        );
        let crl = d.join("crl.pem");
        let pki = Pki {
            dir,
            root,
            clients_ca,
            ca,
            server,
            valid,
            bob,
            expired,
            not_yet_valid,
            wrong_eku,
            revoked,
            untrusted,
            crl,
            valid_serial: valid_issued.serial_hex.clone(),
            revoked_serial: revoked_issued.serial_hex.clone(),
        };
        pki.write_crl(std::slice::from_ref(&pki.revoked_serial), 1);
        pki
    }

    /// (Re)writes the clients CA's CRL listing `serials`.
    pub fn write_crl(&self, serials: &[String], number: u64) {
        let now = OffsetDateTime::now_utc();
        let revs: Vec<Revocation> = serials
            .iter()
            .map(|s| Revocation {
                serial_hex: s.clone(),
                at: now - Duration::minutes(1),
                reason: None,
            })
            .collect();
        let pem = self
            .clients_ca
            .crl(
                &revs,
                now - Duration::minutes(5),
                now + Duration::days(7),
                number,
            )
            .unwrap();
        let tmp = self.crl.with_extension("tmp");
        std::fs::write(&tmp, pem).unwrap();
        std::fs::rename(&tmp, &self.crl).unwrap();
    }

    /// A one-route `require` configuration with the CRL, upstream `upstream`, on port 0.
    pub fn config(&self, upstream: &str) -> Config {
        let mut c = Config::new(
            SocketAddr::from(([127, 0, 0, 1], 0)),
            PemSource::File(self.server.cert.clone()),
            PemSource::File(self.server.key.clone()),
            vec![PemSource::File(self.ca.clone())],
            upstream,
        );
        c.crl = vec![PemSource::File(self.crl.clone())];
        c
    }
}

fn rcgen_server_auth() -> rcgen::ExtendedKeyUsagePurpose {
    rcgen::ExtendedKeyUsagePurpose::ServerAuth
}

/// A gateway in front of an echo upstream.
pub struct Env {
    pub pki: Pki,
    pub echo: Echo,
    pub gw: Gateway,
}

impl Env {
    /// Starts the gateway with the default configuration changed by `f`.
    pub async fn start(f: impl FnOnce(&mut Config, &Pki)) -> Env {
        let pki = Pki::new();
        let echo = Echo::start(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap();
        let mut c = pki.config(&echo.url());
        f(&mut c, &pki);
        let gw = Gateway::bind(c).await.expect("gateway starts");
        Env { pki, echo, gw }
    }

    pub fn port(&self) -> u16 {
        self.gw.local_addr().port()
    }

    pub fn url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.port())
    }

    /// curl with the test CA, `localhost` pinned to 127.0.0.1, and the given client pair.
    pub async fn curl(&self, pair: Option<&Pair>, path: &str, extra: &[&str]) -> Answer {
        let mut args: Vec<String> = vec![
            "--cacert".into(),
            self.pki.ca.display().to_string(),
            "--resolve".into(),
            format!("localhost:{}:127.0.0.1", self.port()),
        ];
        if let Some(p) = pair {
            args.extend([
                "--cert".into(),
                p.cert.display().to_string(),
                "--key".into(),
                p.key.display().to_string(),
            ]);
        }
        args.extend(extra.iter().map(|s| s.to_string()));
        args.push(self.url(path));
        curl(args).await
    }
}

/// What curl got.
#[derive(Debug)]
pub struct Answer {
    /// curl's exit code.
    pub exit: i32,
    /// `HTTP/1.1 496 SSL Certificate Required`, or empty.
    pub status_line: String,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub stderr: String,
}

impl Answer {
    /// The JSON body (panics with the body when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}\nstderr: {}",
                self.body, self.stderr
            )
        })
    }
    /// The body's `code`.
    pub fn code(&self) -> String {
        self.json()["code"].as_str().unwrap_or_default().to_string()
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Runs curl (`-s -S -i`, 10 s limit) off the async runtime.
pub async fn curl(args: Vec<String>) -> Answer {
    tokio::task::spawn_blocking(move || {
        let out = Command::new("curl")
            .args(["-s", "-S", "-i", "--max-time", "10"])
            .args(&args)
            .output()
            .expect("run curl");
        parse_http(out.status.code().unwrap_or(-1), &out.stdout, &out.stderr)
    })
    .await
    .unwrap()
}

/// Parses a raw HTTP response (status line, headers, body).
pub fn parse_http(exit: i32, raw: &[u8], stderr: &[u8]) -> Answer {
    let text = String::from_utf8_lossy(raw).to_string();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .map(|(h, b)| (h.to_string(), b.to_string()))
        .unwrap_or((text.clone(), String::new()));
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default().to_string();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Answer {
        exit,
        status_line,
        status,
        headers,
        body,
        stderr: String::from_utf8_lossy(stderr).to_string(),
    }
}

/// A rustls client configuration trusting the test root, with `pair` as client certificate.
pub fn client_config(pki: &Pki, pair: Option<&Pair>) -> std::sync::Arc<rustls::ClientConfig> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(&pki.ca).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let b = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
    std::sync::Arc::new(match pair {
        None => b.with_no_client_auth(),
        Some(p) => {
            let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&p.cert)
                .unwrap()
                .map(|c| c.unwrap())
                .collect();
            let key = PrivateKeyDer::from_pem_file(&p.key).unwrap();
            b.with_client_auth_cert(chain, key).unwrap()
        }
    })
}

/// A TLS connection to the gateway (SNI localhost).
pub async fn tls_connect(
    env: &Env,
    cfg: std::sync::Arc<rustls::ClientConfig>,
) -> std::io::Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>> {
    let tcp = tokio::net::TcpStream::connect(env.gw.local_addr()).await?;
    tokio_rustls::TlsConnector::from(cfg)
        .connect(
            rustls_pki_types::ServerName::try_from("localhost").unwrap(),
            tcp,
        )
        .await
}

/// An HTTP/1.1 keep-alive connection over TLS: the sender and the connection task.
pub async fn h1_client(
    env: &Env,
    cfg: std::sync::Arc<rustls::ClientConfig>,
) -> (
    hyper::client::conn::http1::SendRequest<http_body_util::Empty<hyper::body::Bytes>>,
    tokio::task::JoinHandle<()>,
) {
    let tls = tls_connect(env, cfg).await.expect("TLS connect");
    let (sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
        .await
        .expect("HTTP handshake");
    let task = tokio::spawn(async move {
        let _ = conn.await;
    });
    (sender, task)
}

/// GET `path` on a keep-alive connection; the status, or the error text.
pub async fn get(
    sender: &mut hyper::client::conn::http1::SendRequest<http_body_util::Empty<hyper::body::Bytes>>,
    path: &str,
) -> Result<u16, String> {
    use http_body_util::BodyExt;
    let req = http::Request::get(path)
        .header("host", "localhost")
        .body(http_body_util::Empty::new())
        .unwrap();
    // hyper refuses a request on a connection still finishing the previous exchange ("connection
    // was not ready"): wait for it, as its docs ask. Without this, a loaded machine made the
    // reload tests fail now and then with a live connection that was in fact still open.
    if let Err(e) = sender.ready().await {
        return Err(format!("connection closed: {e}"));
    }
    let resp = sender.send_request(req).await.map_err(|e| {
        let mut t = e.to_string();
        let mut cur = std::error::Error::source(&e);
        while let Some(c) = cur {
            t += &format!(": {c}");
            cur = c.source();
        }
        t
    })?;
    let status = resp.status().as_u16();
    let _ = resp.into_body().collect().await;
    Ok(status)
}
