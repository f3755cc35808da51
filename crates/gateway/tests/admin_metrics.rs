//! The admin listener after real traffic: curl sends an accepted request, a request without a
//! certificate (496), one with an expired certificate (495) and plain HTTP (497); then `/metrics`,
//! `/status` and `/` are scraped with curl and must count exactly those.

mod common;

use common::{curl, Env};
use std::net::SocketAddr;

fn have_curl() -> bool {
    certgate_testkit::tool("curl").is_some()
}

async fn admin_get(env: &Env, path: &str) -> common::Answer {
    let addr = env.gw.admin_addr().expect("admin listener started");
    curl(vec![format!("http://{addr}{path}")]).await
}

/// The value of the Prometheus sample `series` (exact name and labels), if present.
fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

async fn traffic() -> Env {
    let env = Env::start(|c, _| c.admin = Some(SocketAddr::from(([127, 0, 0, 1], 0)))).await;
    assert_eq!(
        env.curl(Some(&env.pki.valid), "/ok", &["--http1.1"])
            .await
            .status,
        200
    );
    assert_eq!(env.curl(None, "/none", &["--http1.1"]).await.status, 496);
    assert_eq!(
        env.curl(Some(&env.pki.expired), "/old", &["--http1.1"])
            .await
            .status,
        495
    );
    let plain = curl(vec![format!("http://127.0.0.1:{}/plain", env.port())]).await;
    assert_eq!(plain.status, 497);
    env
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_rejections_by_code_requests_by_status_and_handshakes() {
    if !have_curl() {
        return;
    }
    let env = traffic().await;
    let m = admin_get(&env, "/metrics").await;
    assert_eq!(m.status, 200, "{m:?}");
    assert!(m
        .header("content-type")
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let b = &m.body;
    let at = |s: &str| sample(b, s).unwrap_or_else(|| panic!("no sample {s} in\n{b}"));
    assert_eq!(
        at("certgate_client_cert_rejections_total{code=\"client_cert.required\"}"),
        1.0
    );
    assert_eq!(
        at("certgate_client_cert_rejections_total{code=\"client_cert.expired\"}"),
        1.0
    );
    assert_eq!(
        at("certgate_rejections_total{code=\"http.plain_to_tls\"}"),
        1.0
    );
    for (status, n) in [(200, 1.0), (495, 1.0), (496, 1.0), (497, 1.0)] {
        assert_eq!(
            at(&format!("certgate_requests_total{{status=\"{status}\"}}")),
            n
        );
    }
    // curl opens one TLS connection per run: three full handshakes (TLS 1.3 by default).
    assert_eq!(
        at("certgate_handshakes_total{version=\"TLSv1.3\",resumed=\"false\"}"),
        3.0
    );
    assert_eq!(
        at("certgate_handshake_failures_total{code=\"handshake.not_tls\"}"),
        1.0
    );
    // Only the accepted request went upstream.
    assert_eq!(at("certgate_upstream_latency_seconds_count"), 1.0);
    assert_eq!(
        at("certgate_upstream_latency_seconds_bucket{le=\"+Inf\"}"),
        1.0
    );
    assert_eq!(env.echo.count(), 1);
    // Both presented certificates are in the expiry gauge: one valid ~a year, one expired.
    let days: Vec<(String, f64)> = b
        .lines()
        .filter(|l| l.starts_with("certgate_client_cert_expiry_days{"))
        .map(|l| {
            let (series, v) = l.rsplit_once(' ').unwrap();
            (series.to_string(), v.parse().unwrap())
        })
        .collect();
    assert_eq!(days.len(), 2, "{b}");
    let alice = days
        .iter()
        .find(|(s, _)| s.contains("subject=\"CN=alice\""))
        .expect("alice");
    assert!((360.0..=366.0).contains(&alice.1), "{alice:?}");
    let expired = days
        .iter()
        .find(|(s, _)| s.contains("subject=\"CN=expired\""))
        .expect("expired");
    assert!(expired.1 < 0.0, "{expired:?}");
    assert!(
        alice.0.contains("issuer=\"CN=Test Clients CA\""),
        "{alice:?}"
    );
    assert_eq!(at("certgate_config_generation"), 1.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_json_and_html_page_show_the_same_counts_and_the_certificates_seen() {
    if !have_curl() {
        return;
    }
    let env = traffic().await;
    let s = admin_get(&env, "/status").await;
    assert_eq!(s.status, 200, "{s:?}");
    assert_eq!(s.header("content-type"), Some("application/json"));
    let j = s.json();
    assert_eq!(j["generation"], 1);
    assert_eq!(j["listen"], env.gw.local_addr().to_string());
    assert_eq!(j["rejections"]["client_cert.required"], 1);
    assert_eq!(j["rejections"]["client_cert.expired"], 1);
    assert_eq!(j["rejections"]["http.plain_to_tls"], 1);
    assert_eq!(j["requests"]["200"], 1);
    assert_eq!(j["requests"]["496"], 1);
    assert_eq!(j["upstream_latency"]["count"], 1);
    assert_eq!(j["routes"][0]["route"], "/");
    assert_eq!(j["routes"][0]["mode"], "require");
    // Soonest expiry first: the expired certificate, then alice.
    let certs = j["client_certs"].as_array().unwrap();
    assert_eq!(certs.len(), 2, "{j}");
    assert_eq!(certs[0]["subject"], "CN=expired");
    assert_eq!(certs[0]["expiring_soon"], true);
    assert!(certs[0]["days_left"].as_i64().unwrap() < 0);
    assert_eq!(certs[1]["subject"], "CN=alice");
    assert_eq!(certs[1]["expiring_soon"], false);
    assert_eq!(j["client_certs_expiring_soon"], 1);

    let h = admin_get(&env, "/").await;
    assert_eq!(h.status, 200);
    assert!(h.header("content-type").unwrap().starts_with("text/html"));
    for needle in [
        "certgate gateway",
        "CN=alice",
        "CN=expired",
        "client_cert.required",
        "class=\"soon\"",
    ] {
        assert!(h.body.contains(needle), "page lacks {needle}:\n{}", h.body);
    }
    assert_eq!(admin_get(&env, "/nope").await.status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_admin_address_no_admin_listener_runs() {
    let env = Env::start(|_, _| {}).await;
    assert!(env.gw.admin_addr().is_none());
}
