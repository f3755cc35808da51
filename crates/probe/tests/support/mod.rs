//! Loopback servers for the probe tests: rustls servers built from a `pki` PKI, bound to port 0,
//! answering one tiny HTTP response per connection. They live as long as the test's runtime.
#![allow(dead_code)]

use certgate_pki::{Ca, CaSpec, Issued, LeafSpec};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

pub fn certs(pem: &str) -> Vec<CertificateDer<'static>> {
    CertificateDer::pem_slice_iter(pem.as_bytes())
        .map(|c| c.unwrap())
        .collect()
}

pub fn key(pem: &str) -> PrivateKeyDer<'static> {
    PrivateKeyDer::from_pem_slice(pem.as_bytes()).unwrap()
}

/// A root CA, an intermediate, and a server leaf for localhost/127.0.0.1.
pub struct Pki {
    pub root: Ca,
    pub inter: Ca,
    pub server: Issued,
}

pub fn pki() -> Pki {
    let root = Ca::root(&CaSpec::new("Probe Test Root")).unwrap();
    let inter = root
        .intermediate(&CaSpec::new("Probe Test Issuing CA"))
        .unwrap();
    let server = inter
        .issue(&LeafSpec::server(&["localhost", "127.0.0.1"]))
        .unwrap();
    Pki {
        root,
        inter,
        server,
    }
}

/// A server config without client authentication.
pub fn config(leaf: &Issued) -> ServerConfig {
    ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs(&leaf.chain_pem), key(&leaf.key_pem))
        .unwrap()
}

/// A server config that requires a client certificate from `client_ca` (rejected in the handshake).
pub fn config_requiring_client_cert(leaf: &Issued, client_ca: &Ca) -> ServerConfig {
    let mut roots = RootCertStore::empty();
    roots.add(client_ca.der.clone()).unwrap();
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
        .build()
        .unwrap();
    ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(certs(&leaf.chain_pem), key(&leaf.key_pem))
        .unwrap()
}

/// Serves `config` on 127.0.0.1:0 until the runtime ends; each connection gets
/// `200 ok` after its request head.
pub async fn serve(config: ServerConfig) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = vec![0u8; 4096];
                let mut got = Vec::new();
                while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = tls
                    .write_all(
                        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
                    )
                    .await;
                let _ = tls.shutdown().await;
            });
        }
    });
    addr
}

/// Serves plain text (an HTTP 400, like a web server on a plain port) on 127.0.0.1:0.
pub async fn serve_plain_http() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut tcp, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = [0u8; 2048];
                let _ = tcp.read(&mut buf).await;
                let _ = tcp
                    .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .await;
                let _ = tcp.shutdown().await;
            });
        }
    });
    addr
}

/// An `openssl s_server` on 127.0.0.1:0, killed on drop.
pub struct OpensslServer {
    child: std::process::Child,
    pub port: u16,
}

impl Drop for OpensslServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `openssl s_server -www` with `cert`/`key` files and extra arguments; `None` when
/// openssl is not installed (testkit skips, or fails under CERTGATE_REQUIRE_TOOLS=1).
pub fn openssl_server(
    cert: &std::path::Path,
    key: &std::path::Path,
    extra: &[&str],
) -> Option<OpensslServer> {
    use std::io::BufRead;
    let openssl = certgate_testkit::tool("openssl")?;
    // s_server sends only the first certificate of `-cert`; the rest goes in `-cert_chain`.
    let pem = std::fs::read_to_string(cert).unwrap();
    let blocks: Vec<&str> = pem
        .split_inclusive("-----END CERTIFICATE-----")
        .filter(|b| b.contains("BEGIN CERTIFICATE"))
        .collect();
    let mut chain_args: Vec<std::ffi::OsString> = vec![];
    if blocks.len() > 1 {
        let chain = cert.with_extension("chain.pem");
        std::fs::write(&chain, blocks[1..].concat()).unwrap();
        chain_args = vec!["-cert_chain".into(), chain.into_os_string()];
    }
    let mut child = std::process::Command::new(openssl)
        .args(["s_server", "-accept", "127.0.0.1:0", "-www", "-cert"])
        .arg(cert)
        .arg("-key")
        .arg(key)
        .args(chain_args)
        .args(extra)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start openssl s_server");
    let stdout = child.stdout.take().unwrap();
    let mut lines = std::io::BufReader::new(stdout).lines();
    let port = loop {
        match lines.next() {
            Some(Ok(l)) if l.starts_with("ACCEPT ") => {
                break l.rsplit(':').next().unwrap().trim().parse().unwrap();
            }
            Some(Ok(_)) => continue,
            _ => {
                let _ = child.kill();
                panic!("openssl s_server did not start (args {extra:?})");
            }
        }
    };
    // Keep draining stdout so s_server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Some(OpensslServer { child, port })
}

/// Writes `pem` to `dir/name` and returns the path.
pub fn write(dir: &std::path::Path, name: &str, pem: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, pem).unwrap();
    p
}

/// Runs `openssl ARGS` in `dir` and panics with its stderr when it fails (test recipes).
pub fn openssl(dir: &std::path::Path, args: &[&str]) {
    let out = std::process::Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// nginx on 127.0.0.1 with `server_block` (without `listen`), killed on drop.
pub struct NginxServer {
    child: std::process::Child,
    pub port: u16,
}

impl Drop for NginxServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts nginx in `dir` with one TLS server whose body is `server_block`; `None` when nginx
/// is not installed.
pub fn nginx(dir: &std::path::Path, server_block: &str) -> Option<NginxServer> {
    let bin = certgate_testkit::tool("nginx")?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let ng = dir.join("nginx");
    std::fs::create_dir_all(ng.join("tmp")).unwrap();
    let d = ng.display();
    let conf = format!(
        "master_process off;\ndaemon off;\npid {d}/nginx.pid;\nerror_log {d}/error.log info;\n\
         events {{ worker_connections 64; }}\nhttp {{\n  access_log off;\n\
         client_body_temp_path {d}/tmp/body;\n  proxy_temp_path {d}/tmp/proxy;\n\
         fastcgi_temp_path {d}/tmp/fastcgi;\n  uwsgi_temp_path {d}/tmp/uwsgi;\n\
         scgi_temp_path {d}/tmp/scgi;\n  server {{\n    listen 127.0.0.1:{port} ssl;\n\
         {server_block}\n  }}\n}}\n"
    );
    std::fs::write(ng.join("nginx.conf"), conf).unwrap();
    let child = std::process::Command::new(bin)
        .arg("-p")
        .arg(&ng)
        .arg("-c")
        .arg(ng.join("nginx.conf"))
        .arg("-e")
        .arg(ng.join("error.log"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let n = NginxServer { child, port };
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(n);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!(
        "nginx did not start: {}",
        std::fs::read_to_string(ng.join("error.log")).unwrap_or_default()
    );
}
