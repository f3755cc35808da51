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
