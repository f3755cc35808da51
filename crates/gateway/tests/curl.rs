//! Every row of DESIGN.md §4 with curl against a real gateway on loopback: the status (line),
//! the JSON `code`, and whether the echo upstream received the request.

mod common;

use certgate_gateway::config::{AllowList, Mode, RouteConfig};
use common::{Answer, Env};

fn have_curl() -> bool {
    certgate_testkit::tool("curl").is_some()
}

async fn env() -> Env {
    Env::start(|c, _| {
        c.routes = vec![
            RouteConfig {
                path: "/".into(),
                ..Default::default()
            },
            RouteConfig {
                path: "/admin".into(),
                allow: Some(AllowList {
                    cn: vec!["alice".into()],
                    ..Default::default()
                }),
                ..Default::default()
            },
            RouteConfig {
                path: "/optional".into(),
                verify: Some(Mode::Optional),
                ..Default::default()
            },
            RouteConfig {
                path: "/open".into(),
                verify: Some(Mode::Off),
                ..Default::default()
            },
        ];
    })
    .await
}

/// Asserts status and code, and that the upstream saw nothing new.
fn rejected(a: &Answer, status: u16, code: &str, env: &Env, before: usize) {
    assert_eq!(a.status, status, "{a:?}");
    assert_eq!(a.code(), code, "{a:?}");
    assert_eq!(
        env.echo.count(),
        before,
        "a rejected request reached the upstream"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn valid_client_cert_is_forwarded_with_identity_headers() {
    if !have_curl() {
        return;
    }
    let env = env().await;
    let a = env
        .curl(Some(&env.pki.valid), "/hello?x=1", &["--http1.1"])
        .await;
    assert_eq!(a.status, 200, "{a:?}");
    let seen = env.echo.requests();
    assert_eq!(seen.len(), 1);
    let r = &seen[0];
    assert_eq!(r.path, "/hello?x=1");
    assert_eq!(r.header("x-ssl-client-verify"), vec!["SUCCESS"]);
    assert_eq!(r.header("x-ssl-client-s-dn"), vec!["CN=alice"]);
    assert_eq!(r.header("x-ssl-client-i-dn"), vec!["CN=Test Clients CA"]);
    assert_eq!(r.header("x-forwarded-proto"), vec!["https"]);
    assert_eq!(r.header("x-forwarded-for"), vec!["127.0.0.1"]);
    let xfcc = r.header("x-forwarded-client-cert")[0];
    assert!(
        xfcc.contains("URI=spiffe://example.org/ns/prod/sa/alice")
            && xfcc.contains("DNS=alice.example.org"),
        "{xfcc}"
    );
    assert!(r.header("client-cert")[0].starts_with(':'));
    assert!(
        !r.header("client-cert-chain").is_empty(),
        "intermediate forwarded"
    );
    assert!(r.header("x-ssl-client-cert")[0].starts_with("-----BEGIN%20CERTIFICATE-----"));
    env.gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_client_cert_gets_496_with_exact_status_line_and_never_reaches_upstream() {
    if !have_curl() {
        return;
    }
    let env = env().await;
    let a = env.curl(None, "/", &["--http1.1"]).await;
    rejected(&a, 496, "client_cert.required", &env, 0);
    assert_eq!(a.status_line, "HTTP/1.1 496 SSL Certificate Required");
    assert_eq!(a.header("content-type"), Some("application/json"));
    let j = a.json();
    assert_eq!(j["status"], 496);
    assert_eq!(j["accepted_issuers"][0], "CN=Test Root CA");
    for k in ["error", "title", "detail", "fix"] {
        assert!(
            j[k].as_str().is_some_and(|s| !s.is_empty()),
            "{k} missing: {j}"
        );
    }
    env.gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_invalid_client_cert_gets_495_with_its_precise_code() {
    if !have_curl() {
        return;
    }
    let env = env().await;
    let p = &env.pki;
    for (pair, code) in [
        (&p.expired, "client_cert.expired"),
        (&p.not_yet_valid, "client_cert.not_yet_valid"),
        (&p.untrusted, "client_cert.untrusted"),
        (&p.revoked, "client_cert.revoked"),
        (&p.wrong_eku, "client_cert.wrong_usage"),
    ] {
        let a = env.curl(Some(pair), "/", &["--http1.1"]).await;
        rejected(&a, 495, code, &env, 0);
        assert_eq!(a.status_line, "HTTP/1.1 495 SSL Certificate Error");
        assert!(
            a.json()["client_certificate"]["subject"].is_string(),
            "{a:?}"
        );
    }
    env.gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn valid_cert_not_on_the_allow_list_gets_403() {
    if !have_curl() {
        return;
    }
    let env = env().await;
    let a = env.curl(Some(&env.pki.bob), "/admin/x", &[]).await;
    rejected(&a, 403, "client_cert.not_allowed", &env, 0);
    let a = env.curl(Some(&env.pki.valid), "/admin/x", &[]).await;
    assert_eq!(a.status, 200, "{a:?}");
    assert_eq!(env.echo.count(), 1);
    env.gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_on_the_tls_port_gets_497() {
    if !have_curl() {
        return;
    }
    let env = env().await;
    let a = common::curl(vec![format!("http://127.0.0.1:{}/x", env.port())]).await;
    rejected(&a, 497, "http.plain_to_tls", &env, 0);
    assert_eq!(
        a.status_line,
        "HTTP/1.1 497 HTTP Request Sent to HTTPS Port"
    );
    // Any verb, not just the five Go recognises.
    let a = common::curl(vec![
        "-X".into(),
        "PURGE".into(),
        format!("http://127.0.0.1:{}/x", env.port()),
    ])
    .await;
    rejected(&a, 497, "http.plain_to_tls", &env, 0);
    env.gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_and_tls12_behave_the_same() {
    if !have_curl() {
        return;
    }
    let env = env().await;
    let a = env.curl(Some(&env.pki.valid), "/", &["--http2"]).await;
    assert_eq!(
        (a.status, a.status_line.starts_with("HTTP/2")),
        (200, true),
        "{a:?}"
    );
    let a = env.curl(None, "/", &["--http2"]).await;
    rejected(&a, 496, "client_cert.required", &env, 1);
    let a = env.curl(Some(&env.pki.expired), "/", &["--http2"]).await;
    rejected(&a, 495, "client_cert.expired", &env, 1);
    for v in [
        ["--tlsv1.2", "--tls-max", "1.2"],
        ["--tlsv1.3", "--tls-max", "1.3"],
    ] {
        let a = env.curl(Some(&env.pki.valid), "/", &v).await;
        assert_eq!(a.status, 200, "{v:?} {a:?}");
        let a = env.curl(Some(&env.pki.revoked), "/", &v).await;
        assert_eq!(
            (a.status, a.code()),
            (495, "client_cert.revoked".to_string()),
            "{v:?}"
        );
    }
    assert_eq!(env.echo.count(), 3);
    env.gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_identity_headers_never_reach_the_upstream() {
    if !have_curl() {
        return;
    }
    let env = env().await;
    let forged = [
        "-H",
        "X-SSL-Client-Verify: SUCCESS",
        "-H",
        "X-SSL-Client-S-DN: CN=admin",
        "-H",
        "X-SSL-Client-Fingerprint: 00",
        "-H",
        "X-Forwarded-Client-Cert: Hash=00;Subject=\"CN=admin\"",
        "-H",
        "Client-Cert: :AAAA:",
        "-H",
        "Client-Cert-Chain: :AAAA:",
        "-H",
        "X-Forwarded-Tls-Client-Cert: forged",
        "-H",
        "X-Forwarded-For: 6.6.6.6",
    ];
    // With a valid certificate: only the gateway's values arrive.
    let a = env.curl(Some(&env.pki.bob), "/", &forged).await;
    assert_eq!(a.status, 200, "{a:?}");
    // On a route that ignores certificates, and in optional mode without one: the forged headers
    // are removed, not passed through.
    let a = env.curl(None, "/open", &forged).await;
    assert_eq!(a.status, 200, "{a:?}");
    let a = env.curl(None, "/optional", &forged).await;
    assert_eq!(a.status, 200, "{a:?}");
    let seen = env.echo.requests();
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[0].header("x-ssl-client-s-dn"), vec!["CN=bob"]);
    assert_eq!(seen[0].header("x-ssl-client-verify"), vec!["SUCCESS"]);
    assert_ne!(seen[0].header("x-ssl-client-fingerprint"), vec!["00"]);
    for r in &seen[1..] {
        assert_eq!(r.header("x-ssl-client-verify"), vec!["NONE"], "{r:?}");
        for h in [
            "x-ssl-client-s-dn",
            "x-ssl-client-fingerprint",
            "x-forwarded-client-cert",
            "client-cert",
            "client-cert-chain",
            "x-forwarded-tls-client-cert",
        ] {
            assert!(r.header(h).is_empty(), "{h} reached the upstream: {r:?}");
        }
    }
    for r in &seen {
        assert_eq!(r.header("x-forwarded-for"), vec!["127.0.0.1"]);
        assert!(r.header("x-forwarded-tls-client-cert").is_empty());
    }
    env.gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn optional_mode_forwards_absence_and_failure_without_identity() {
    if !have_curl() {
        return;
    }
    let env = env().await;
    let a = env.curl(Some(&env.pki.expired), "/optional", &[]).await;
    assert_eq!(a.status, 200, "{a:?}");
    let a = env.curl(Some(&env.pki.valid), "/optional", &[]).await;
    assert_eq!(a.status, 200, "{a:?}");
    let seen = env.echo.requests();
    assert_eq!(
        seen[0].header("x-ssl-client-verify"),
        vec!["FAILED:client_cert.expired"]
    );
    assert!(
        seen[0].header("x-ssl-client-s-dn").is_empty(),
        "unverified identity rendered"
    );
    assert_eq!(seen[1].header("x-ssl-client-verify"), vec!["SUCCESS"]);
    env.gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browsers_get_html_and_nginx_compat_gets_nginx_pages() {
    if !have_curl() {
        return;
    }
    let env = env().await;
    let a = env
        .curl(None, "/", &["--http1.1", "-H", "Accept: text/html"])
        .await;
    assert_eq!(a.status, 496);
    assert!(a.header("content-type").unwrap().starts_with("text/html"));
    assert!(
        a.body.contains("Client certificate required") || a.body.contains("client_cert.required"),
        "{}",
        a.body
    );
    env.gw.shutdown().await;

    let env = Env::start(|c, _| c.nginx_compat = true).await;
    let a = env.curl(None, "/", &["--http1.1"]).await;
    assert_eq!(a.status_line, "HTTP/1.1 400 Bad Request");
    assert!(
        a.body
            .contains("<title>400 No required SSL certificate was sent</title>"),
        "{}",
        a.body
    );
    assert_eq!(a.header("x-certgate-code"), Some("client_cert.required"));
    let a = env.curl(Some(&env.pki.expired), "/", &["--http1.1"]).await;
    assert!(a.body.contains("The SSL certificate error"), "{}", a.body);
    let a = common::curl(vec![format!("http://127.0.0.1:{}/", env.port())]).await;
    assert_eq!(a.status, 400);
    assert!(a
        .body
        .contains("The plain HTTP request was sent to HTTPS port"));
    assert_eq!(env.echo.count(), 0);
    env.gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn require_tls_rejects_in_the_handshake_and_never_reaches_upstream() {
    if !have_curl() {
        return;
    }
    let env = Env::start(|c, _| c.verify = Mode::RequireTls).await;
    let a = env.curl(None, "/", &[]).await;
    assert_ne!(a.exit, 0, "{a:?}");
    assert_eq!(a.status, 0);
    // TLS 1.3 clients see the alert only on their first read, racing the server's close
    // (RFC 8446 §4.4.2.4); under TLS 1.2 it arrives inside the handshake, so check its text there.
    let a = env.curl(Some(&env.pki.expired), "/", &[]).await;
    assert_ne!(a.exit, 0, "{a:?}");
    let a = env
        .curl(Some(&env.pki.expired), "/", &["-v", "--tls-max", "1.2"])
        .await;
    assert_ne!(a.exit, 0, "{a:?}");
    assert!(
        a.stderr.contains("TLS alert, certificate expired"),
        "alert names the cause: {}",
        a.stderr
    );
    let a = env.curl(Some(&env.pki.valid), "/", &[]).await;
    assert_eq!(a.status, 200, "{a:?}");
    assert_eq!(env.echo.count(), 1);
    env.gw.shutdown().await;
}
