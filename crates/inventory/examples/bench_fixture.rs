//! Bench fixture for bench/inventory/run.sh (not a test): writes FILES certificate files under
//! DIR/tree, starts ENDPOINTS TLS listeners on 127.0.0.1 (port 0 each), writes their list to
//! DIR/endpoints.txt, prints `ready`, and serves until its standard input closes.
//!
//! usage: bench_fixture DIR FILES ENDPOINTS

use certgate_pki::{Ca, CaSpec, LeafSpec, Validity};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::io::{BufRead, Write};
use std::sync::Arc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, dir, files, endpoints] = &args[..] else {
        eprintln!("usage: bench_fixture DIR FILES ENDPOINTS");
        std::process::exit(2);
    };
    let dir = std::path::PathBuf::from(dir);
    let (files, endpoints): (usize, usize) = (files.parse()?, endpoints.parse()?);
    let ca = Ca::root(&CaSpec::new("Bench Root"))?;
    for i in 0..files {
        let validity = match i % 20 {
            0 => Validity::expired_days_ago(1 + (i % 300) as i64),
            1 => Validity::days_from_now(2 + (i % 25) as i64),
            _ => Validity::days_from_now(40 + (i % 700) as i64),
        };
        let name = format!("host{i}.bench.test");
        let leaf = ca.issue(&LeafSpec::server(&[&name]).valid(validity))?;
        let sub = dir.join(format!("tree/d{}/d{}", i % 20, i % 13));
        std::fs::create_dir_all(&sub)?;
        // every 4th file also carries its key, as many deployments do
        let body = if i % 4 == 0 {
            leaf.cert_pem.clone() + &leaf.key_pem
        } else {
            leaf.cert_pem.clone()
        };
        std::fs::write(sub.join(format!("host{i}.pem")), body)?;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut list = String::new();
    for i in 0..endpoints {
        let leaf = ca.issue(&LeafSpec::server(&[
            "127.0.0.1",
            &format!("ep{i}.bench.test"),
        ]))?;
        let certs: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(leaf.chain_pem.as_bytes()).collect::<Result<_, _>>()?;
        let key = PrivateKeyDer::from_pem_slice(leaf.key_pem.as_bytes())?;
        let cfg = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(certs, key)?;
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(cfg));
        let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
        list.push_str(&format!("127.0.0.1:{}\n", listener.local_addr()?.port()));
        rt.spawn(async move {
            while let Ok((s, _)) = listener.accept().await {
                let a = acceptor.clone();
                tokio::spawn(async move {
                    use tokio::io::AsyncWriteExt;
                    if let Ok(mut tls) = a.accept(s).await {
                        let _ = tls.shutdown().await;
                    }
                });
            }
        });
    }
    std::fs::write(dir.join("endpoints.txt"), list)?;
    println!("ready");
    std::io::stdout().flush()?;
    // serve until the bench script closes our stdin
    for _ in std::io::stdin().lock().lines() {}
    Ok(())
}
