//! `capture_chain` against real rustls servers on loopback.

mod support;

use certgate_core::Code;
use certgate_probe::capture_chain;
use std::time::Duration;

const T: Duration = Duration::from_secs(5);

#[tokio::test]
async fn captures_leaf_and_intermediate_as_sent() {
    let pki = support::pki();
    let addr = support::serve(support::config(&pki.server)).await;
    let chain = capture_chain("127.0.0.1", addr.port(), "localhost", T)
        .await
        .unwrap();
    assert_eq!(chain.len(), 2);
    assert_eq!(chain[0], pki.server.der);
    assert_eq!(chain[1], pki.inter.der);
}

#[tokio::test]
async fn captures_the_chain_even_when_the_server_demands_a_client_certificate() {
    let pki = support::pki();
    let cfg = support::config_requiring_client_cert(&pki.server, &pki.root);
    let addr = support::serve(cfg).await;
    let chain = capture_chain("localhost", addr.port(), "localhost", T)
        .await
        .unwrap();
    assert_eq!(chain[0], pki.server.der);
}

#[tokio::test]
async fn refused_and_unresolvable_targets_are_coded_errors() {
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);
    let e = capture_chain("127.0.0.1", port, "localhost", T)
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(Code::TcpConnectionRefused), "{e}");
    let e = capture_chain("no-such-host.invalid", 443, "no-such-host.invalid", T)
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(Code::DnsResolutionFailed), "{e}");
}

#[tokio::test]
async fn plain_http_port_is_a_handshake_error() {
    let addr = support::serve_plain_http().await;
    let e = capture_chain("127.0.0.1", addr.port(), "localhost", T)
        .await
        .unwrap_err();
    assert!(e.code().is_some(), "{e}");
}
