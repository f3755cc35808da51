//! Hot reload and graceful shutdown (issue 4, item 1): a CRL update closes live connections of
//! the newly revoked certificate; a bad new configuration is refused and the old one keeps
//! serving; file changes are picked up; in-flight requests finish on shutdown; resumed sessions
//! are judged again.

mod common;

use certgate_gateway::config::{Config, PemSource};
use certgate_gateway::echo::Echo;
use certgate_gateway::observe::Observer;
use certgate_gateway::reload::Source;
use certgate_gateway::Gateway;
use common::{client_config, get, h1_client, Env, Pki};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Waits (bounded) for `cond`.
async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    for _ in 0..200 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for: {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crl_update_closes_the_live_connection_of_a_newly_revoked_cert() {
    let env = Env::start(|_, _| {}).await;
    let (mut alice, alice_conn) =
        h1_client(&env, client_config(&env.pki, Some(&env.pki.valid))).await;
    let (mut bob, bob_conn) = h1_client(&env, client_config(&env.pki, Some(&env.pki.bob))).await;
    assert_eq!(get(&mut alice, "/").await, Ok(200));
    assert_eq!(get(&mut bob, "/").await, Ok(200));
    assert_eq!(env.gw.live_certificate_connections(), 2);

    env.pki.write_crl(
        &[env.pki.revoked_serial.clone(), env.pki.valid_serial.clone()],
        2,
    );
    let generation = env.gw.reload_files().expect("new CRL loads");
    assert_eq!(generation, 2);

    // Alice's connection is closed by the gateway; Bob's keeps working.
    tokio::time::timeout(Duration::from_secs(10), alice_conn)
        .await
        .expect("the revoked client's connection was closed")
        .unwrap();
    assert_eq!(get(&mut bob, "/").await, Ok(200));
    assert!(!bob_conn.is_finished());
    // Reconnecting (a fresh handshake or a resumed session) gets 495 client_cert.revoked.
    let a = env.curl(Some(&env.pki.valid), "/", &[]).await;
    if certgate_testkit::tool("curl").is_some() {
        assert_eq!(
            (a.status, a.code()),
            (495, "client_cert.revoked".into()),
            "{a:?}"
        );
    }
    let (mut again, _) = h1_client(&env, client_config(&env.pki, Some(&env.pki.valid))).await;
    assert_eq!(get(&mut again, "/").await, Ok(495));
    assert_eq!(env.echo.count(), 3);
    env.gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resumed_session_is_judged_again_against_the_new_crl() {
    let env = Env::start(|_, _| {}).await;
    // One client configuration = one session cache: the second connection resumes.
    let cfg = client_config(&env.pki, Some(&env.pki.valid));
    let (mut c1, _) = h1_client(&env, cfg.clone()).await;
    assert_eq!(get(&mut c1, "/").await, Ok(200));
    drop(c1);
    env.pki.write_crl(
        &[env.pki.revoked_serial.clone(), env.pki.valid_serial.clone()],
        2,
    );
    env.gw.reload_files().unwrap();
    let tls = common::tls_connect(&env, cfg.clone()).await.unwrap();
    assert_eq!(
        tls.get_ref().1.handshake_kind(),
        Some(rustls::HandshakeKind::Resumed),
        "the client resumed its session"
    );
    drop(tls);
    let (mut c2, _) = h1_client(&env, cfg).await;
    assert_eq!(
        get(&mut c2, "/").await,
        Ok(495),
        "revocation re-checked on resume"
    );
    assert_eq!(env.echo.count(), 1);
    env.gw.shutdown().await;
}

#[derive(Default)]
struct Reloads(Mutex<Vec<(u64, bool)>>);
impl Observer for Reloads {
    fn reload(&self, generation: u64, ok: bool) {
        self.0.lock().unwrap().push((generation, ok));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_new_config_is_refused_and_the_old_one_keeps_serving() {
    let env = Env::start(|_, _| {}).await;
    let (mut alice, alice_conn) =
        h1_client(&env, client_config(&env.pki, Some(&env.pki.valid))).await;
    assert_eq!(get(&mut alice, "/").await, Ok(200));

    // A key that does not belong to the certificate.
    let mut bad = env.gw.config();
    bad.key = PemSource::File(env.pki.valid.key.clone());
    let e = env.gw.reload(bad).unwrap_err().to_string();
    assert!(e.contains("does not belong"), "{e}");
    // A client CA file holding a client certificate.
    let mut bad = env.gw.config();
    bad.client_ca = vec![PemSource::File(env.pki.bob.cert.clone())];
    assert!(env
        .gw
        .reload(bad)
        .unwrap_err()
        .to_string()
        .contains("not a CA"));
    // A CRL past its nextUpdate.
    let now = time::OffsetDateTime::now_utc();
    let stale = env
        .pki
        .clients_ca
        .crl(
            &[],
            now - time::Duration::days(10),
            now - time::Duration::days(3),
            9,
        )
        .unwrap();
    let stale_path = env.pki.dir.path().join("stale.crl");
    std::fs::write(&stale_path, stale).unwrap();
    let mut bad = env.gw.config();
    bad.crl = vec![PemSource::File(stale_path)];
    let e = env.gw.reload(bad).unwrap_err().to_string();
    assert!(e.contains("stale.crl") && e.contains("nextUpdate"), "{e}");

    assert_eq!(env.gw.generation(), 1);
    assert_eq!(
        get(&mut alice, "/").await,
        Ok(200),
        "the live connection survived"
    );
    assert!(!alice_conn.is_finished());
    let (mut fresh, _) = h1_client(&env, client_config(&env.pki, Some(&env.pki.valid))).await;
    assert_eq!(
        get(&mut fresh, "/").await,
        Ok(200),
        "new connections use the old config"
    );
    env.gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changed_files_are_reloaded_and_a_broken_file_is_refused() {
    let pki = Pki::new();
    let echo = Echo::start(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    // Config file with a relative CRL path: the file watcher re-reads both.
    let dir = pki.dir.path();
    let toml_path = dir.join("gateway.toml");
    let echo_url = echo.url();
    let write_toml = |allow: &str| {
        std::fs::write(
            &toml_path,
            format!(
                "listen = \"127.0.0.1:0\"\ncert = \"server.pem\"\nkey = \"server.key\"\nupstream = \"{}\"\nclient_ca = [\"ca.pem\"]\ncrl = [\"crl.pem\"]\n{allow}",
                echo_url
            ),
        )
        .unwrap();
    };
    write_toml("");
    let reloads = Arc::new(Reloads::default());
    let gw = Gateway::bind_with(Config::from_file(&toml_path).unwrap(), reloads.clone())
        .await
        .unwrap();
    let env = Env { pki, echo, gw };
    let watch = env
        .gw
        .reloader()
        .watch(Source::File(toml_path.clone()), Duration::from_millis(100));
    let cfg = client_config(&env.pki, Some(&env.pki.bob));
    let (mut bob, _) = h1_client(&env, cfg.clone()).await;
    assert_eq!(get(&mut bob, "/").await, Ok(200));

    // The config file changes: only alice is allowed now.
    write_toml("[allow]\ncn = [\"alice\"]\n");
    eventually("config reload", || env.gw.generation() == 2).await;
    assert_eq!(
        get(&mut bob, "/").await,
        Ok(403),
        "new policy applies to live connections"
    );

    // A broken CRL file is refused; the old generation keeps serving.
    std::fs::write(&env.pki.crl, "not a CRL").unwrap();
    eventually("refused reload", || {
        reloads.0.lock().unwrap().contains(&(2, false))
    })
    .await;
    assert_eq!(env.gw.generation(), 2);
    let (mut alice, _) = h1_client(&env, client_config(&env.pki, Some(&env.pki.valid))).await;
    assert_eq!(get(&mut alice, "/").await, Ok(200));
    watch.abort();
    env.gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_lets_in_flight_requests_finish() {
    // An upstream that answers after 1 s.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let slow = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                tokio::time::sleep(Duration::from_secs(1)).await;
                let _ = s
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nslow")
                    .await;
            });
        }
    });
    let env = Env::start(|c, _| c.upstream = Some(format!("http://{slow}"))).await;
    let (mut alice, _) = h1_client(&env, client_config(&env.pki, Some(&env.pki.valid))).await;
    let in_flight = tokio::spawn(async move { get(&mut alice, "/").await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let addr = env.gw.local_addr();
    env.gw.shutdown().await;
    assert_eq!(
        in_flight.await.unwrap(),
        Ok(200),
        "the in-flight request completed"
    );
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "no longer accepting"
    );
}
