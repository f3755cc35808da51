//! Limits and robustness (issue 4, item 4): garbage bytes, a truncated ClientHello, slowloris
//! headers, oversized headers, many idle connections, a full connection table, an upstream that
//! refuses or hangs, and a client whose key does not match its certificate. Throughout, the
//! gateway stays up and a valid client keeps being served.

mod common;

use certgate_gateway::config::RouteConfig;
use common::{client_config, get, h1_client, tls_connect, Env};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A valid client gets 200 on a fresh connection.
async fn still_serving(env: &Env) {
    let (mut c, _) = h1_client(env, client_config(&env.pki, Some(&env.pki.valid))).await;
    assert_eq!(get(&mut c, "/").await, Ok(200), "a valid client is served");
}

/// Reads until the peer closes (bounded); true when it closed.
async fn closed_by_peer(s: &mut TcpStream) -> bool {
    let mut buf = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
            Err(_) => return false,
        }
    }
}

fn short_limits(c: &mut certgate_gateway::Config) {
    c.limits.handshake_timeout_secs = 1;
    c.limits.header_timeout_secs = 1;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_bytes_and_a_truncated_client_hello_are_dropped() {
    let env = Env::start(|c, _| short_limits(c)).await;
    let addr = env.gw.local_addr();
    // Garbage that looks like a TLS record header, then random bytes.
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(&[0x16, 0x03, 0x01, 0x00, 0x05, 0xde, 0xad, 0xbe, 0xef, 0x00])
        .await
        .unwrap();
    assert!(closed_by_peer(&mut s).await);
    // Binary garbage that is not TLS: answered (400/497 in clear) and closed.
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(&[0x00, 0xff, 0x13, 0x37, b'\r', b'\n', b'\r', b'\n'])
        .await
        .unwrap();
    assert!(closed_by_peer(&mut s).await);
    // The first 40 bytes of a real ClientHello, then silence: the handshake timeout closes it.
    let hello = client_hello_bytes().await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(&hello[..40]).await.unwrap();
    assert!(closed_by_peer(&mut s).await);
    // A connection that sends nothing at all is closed too.
    let mut s = TcpStream::connect(addr).await.unwrap();
    assert!(closed_by_peer(&mut s).await);
    still_serving(&env).await;
    assert_eq!(env.echo.count(), 1);
    env.gw.shutdown().await;
}

/// The bytes a rustls client sends first (a ClientHello record).
async fn client_hello_bytes() -> Vec<u8> {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let cfg = std::sync::Arc::new(
        rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth(),
    );
    tokio::spawn(async move {
        let tcp = TcpStream::connect(addr).await.unwrap();
        let _ = tokio_rustls::TlsConnector::from(cfg)
            .connect(
                rustls_pki_types::ServerName::try_from("localhost").unwrap(),
                tcp,
            )
            .await;
    });
    let (mut s, _) = l.accept().await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = s.read(&mut buf).await.unwrap();
    buf.truncate(n);
    assert_eq!(buf[0], 0x16);
    buf
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slowloris_headers_are_cut_off_by_the_header_timeout() {
    let env = Env::start(|c, _| short_limits(c)).await;
    let mut tls = tls_connect(&env, client_config(&env.pki, Some(&env.pki.valid)))
        .await
        .unwrap();
    tls.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n")
        .await
        .unwrap();
    let mut closed = false;
    for _ in 0..40 {
        // One header byte every 250 ms never completes the head within the 1 s limit.
        if tls.write_all(b"X").await.is_err() {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
        still_serving_quick(&env).await;
    }
    if !closed {
        let mut buf = [0u8; 512];
        closed = matches!(
            tokio::time::timeout(Duration::from_secs(5), tls.read(&mut buf)).await,
            Ok(Ok(_)) | Ok(Err(_))
        );
    }
    assert!(closed, "the slow client was cut off");
    env.gw.shutdown().await;
}

async fn still_serving_quick(env: &Env) {
    let (mut c, _) = h1_client(env, client_config(&env.pki, Some(&env.pki.valid))).await;
    assert_eq!(get(&mut c, "/").await, Ok(200));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_headers_get_431_and_never_reach_upstream() {
    if certgate_testkit::tool("curl").is_none() {
        return;
    }
    let env = Env::start(|c, _| c.limits.max_header_bytes = 8192).await;
    // Just over the limit: the whole request fits in the socket buffers, so the answer is read.
    let over = format!("X-Big: {}", "a".repeat(12 * 1024));
    let a = env
        .curl(Some(&env.pki.valid), "/", &["--http1.1", "-H", &over])
        .await;
    assert_eq!(a.status, 431, "{a:?}");
    // Far over it: the gateway answers and closes while curl may still be sending.
    let big = format!("X-Big: {}", "a".repeat(100 * 1024));
    let a = env
        .curl(Some(&env.pki.valid), "/", &["--http1.1", "-H", &big])
        .await;
    assert!(a.status == 431 || a.exit != 0, "{a:?}");
    let a = env
        .curl(Some(&env.pki.valid), "/", &["--http2", "-H", &big])
        .await;
    assert!(
        a.status == 431 || a.exit != 0,
        "h2 refuses the header list: {a:?}"
    );
    assert_eq!(env.echo.count(), 0);
    still_serving(&env).await;
    env.gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_idle_connections_do_not_starve_a_valid_client() {
    let env = Env::start(|_, _| {}).await;
    let addr = env.gw.local_addr();
    let mut idle = Vec::new();
    // 2,000 idle connections (issue 4): 1,600 TCP connections that never speak, and 400
    // finished mTLS keep-alive connections. Each costs this process two descriptors.
    for _ in 0..1_600 {
        idle.push(TcpStream::connect(addr).await.unwrap());
    }
    let cfg = client_config(&env.pki, Some(&env.pki.bob));
    let mut tls_idle = Vec::new();
    for _ in 0..400 {
        let (mut c, t) = h1_client(&env, cfg.clone()).await;
        assert_eq!(get(&mut c, "/").await, Ok(200));
        tls_idle.push((c, t));
    }
    still_serving(&env).await;
    assert!(env.gw.live_certificate_connections() >= 400);
    drop(idle);
    drop(tls_idle);
    env.gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_connection_table_queues_clients_until_idle_ones_time_out() {
    let env = Env::start(|c, _| {
        short_limits(c);
        c.limits.max_connections = 20;
    })
    .await;
    let addr = env.gw.local_addr();
    let mut idle = Vec::new();
    for _ in 0..20 {
        idle.push(TcpStream::connect(addr).await.unwrap());
    }
    // The valid client waits in the accept queue; the silent ones are dropped after the 1 s
    // handshake timeout, and it is served.
    still_serving(&env).await;
    drop(idle);
    env.gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_refusing_gets_502_and_hanging_gets_504() {
    if certgate_testkit::tool("curl").is_none() {
        return;
    }
    // A port nothing listens on, and an upstream that accepts and never answers.
    let refused = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let hang = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hang_addr = hang.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = hang.accept().await {
            held.push(s);
        }
    });
    let env = Env::start(|c, _| {
        c.limits.upstream_timeout_secs = 1;
        c.routes = vec![
            RouteConfig {
                path: "/down".into(),
                upstream: Some(format!("http://{refused}")),
                ..Default::default()
            },
            RouteConfig {
                path: "/slow".into(),
                upstream: Some(format!("http://{hang_addr}")),
                ..Default::default()
            },
            RouteConfig {
                path: "/".into(),
                ..Default::default()
            },
        ];
    })
    .await;
    let a = env.curl(Some(&env.pki.valid), "/down", &[]).await;
    assert_eq!(
        (a.status, a.code()),
        (502, "upstream.unavailable".into()),
        "{a:?}"
    );
    let a = env.curl(Some(&env.pki.valid), "/slow", &[]).await;
    assert_eq!(
        (a.status, a.code()),
        (504, "upstream.timeout".into()),
        "{a:?}"
    );
    still_serving(&env).await;
    env.gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_without_the_private_key_is_refused_in_the_handshake() {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let env = Env::start(|_, _| {}).await;
    // Alice's chain with Bob's key: rustls' client builder refuses that, so assemble it by hand.
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&env.pki.valid.cert)
        .unwrap()
        .map(|c| c.unwrap())
        .collect();
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let key = provider
        .key_provider
        .load_private_key(PrivateKeyDer::from_pem_file(&env.pki.bob.key).unwrap())
        .unwrap();
    let ck = std::sync::Arc::new(rustls::sign::CertifiedKey::new(chain, key));
    #[derive(Debug)]
    struct Fixed(std::sync::Arc<rustls::sign::CertifiedKey>);
    impl rustls::client::ResolvesClientCert for Fixed {
        fn resolve(
            &self,
            _: &[&[u8]],
            _: &[rustls::SignatureScheme],
        ) -> Option<std::sync::Arc<rustls::sign::CertifiedKey>> {
            Some(self.0.clone())
        }
        fn has_certs(&self) -> bool {
            true
        }
    }
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(
            CertificateDer::pem_file_iter(&env.pki.ca)
                .unwrap()
                .next()
                .unwrap()
                .unwrap(),
        )
        .unwrap();
    let cfg = std::sync::Arc::new(
        rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_client_cert_resolver(std::sync::Arc::new(Fixed(ck))),
    );
    // TLS 1.3: the client learns of the rejection on its first read.
    let refused = match tls_connect(&env, cfg).await {
        Err(_) => true,
        Ok(mut tls) => {
            let _ = tls
                .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
                .await;
            let mut buf = [0u8; 64];
            !matches!(tls.read(&mut buf).await, Ok(n) if n > 0)
        }
    };
    assert!(refused, "a forged proof of possession got through");
    assert_eq!(env.echo.count(), 0);
    still_serving(&env).await;
    env.gw.shutdown().await;
}
