//! The admin listener (`--admin ADDR`, `admin = "ADDR"`): `/metrics` in Prometheus text, `/status`
//! as one JSON document, and `/` a small HTML page built from the same status. Plain HTTP/1.1 on
//! its own address: bind it to loopback or a management network, it carries certificate subjects.

use crate::config::ConfigError;
use crate::listener::Shared;
use crate::metrics::Metrics;
use http::{header, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::{json, Map, Value};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::net::TcpListener;

/// Client certificates expiring within this many days are flagged on the status page.
pub const EXPIRING_SOON_DAYS: i64 = 30;

/// A running admin listener; stops when dropped.
pub struct Admin {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Admin {
    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Admin {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Binds `addr` (port 0 picks one) and serves the admin endpoints.
pub(crate) async fn start(
    addr: SocketAddr,
    metrics: Arc<Metrics>,
    shared: Arc<Shared>,
    listen: SocketAddr,
) -> Result<Admin, ConfigError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| ConfigError::Listen {
            addr,
            why: format!("admin listener: {e}"),
        })?;
    let local = listener.local_addr().map_err(|e| ConfigError::Listen {
        addr,
        why: e.to_string(),
    })?;
    let task = tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            let metrics = metrics.clone();
            let shared = shared.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |req: Request<Incoming>| {
                    let r = answer(&req, &metrics, &shared, listen);
                    async move { Ok::<_, Infallible>(r) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(Duration::from_secs(10))
                    .serve_connection(TokioIo::new(tcp), svc)
                    .await;
            });
        }
    });
    tracing::info!(target: "certgate::gateway", event = "admin_listening", addr = %local,
        "admin listener: /metrics, /status, /");
    Ok(Admin { addr: local, task })
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn answer(
    req: &Request<Incoming>,
    metrics: &Metrics,
    shared: &Shared,
    listen: SocketAddr,
) -> Response<Full<Bytes>> {
    let now = unix_now();
    let (status, ctype, body) = match (req.method().as_str(), req.uri().path()) {
        ("GET" | "HEAD", "/metrics") => (
            StatusCode::OK,
            "text/plain; version=0.0.4; charset=utf-8",
            prometheus(metrics, shared, now),
        ),
        ("GET" | "HEAD", "/status") => (
            StatusCode::OK,
            "application/json",
            status(metrics, shared, listen, now).to_string() + "\n",
        ),
        ("GET" | "HEAD", "/") => (
            StatusCode::OK,
            "text/html; charset=utf-8",
            html(&status(metrics, shared, listen, now)),
        ),
        ("GET" | "HEAD", _) => (
            StatusCode::NOT_FOUND,
            "text/plain; charset=utf-8",
            "not found: the admin listener serves /metrics, /status and /\n".into(),
        ),
        _ => (
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain; charset=utf-8",
            "only GET and HEAD\n".into(),
        ),
    };
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, ctype)
        .header(header::CACHE_CONTROL, "no-store")
        .body(Full::new(Bytes::from(body)))
        .expect("static response parts")
}

fn prometheus(metrics: &Metrics, shared: &Shared, now: i64) -> String {
    let loaded = shared.loaded.load();
    metrics.prometheus(
        now,
        &[
            (
                "certgate_config_generation",
                "Serving configuration generation (1 at start, +1 per successful reload).",
                loaded.generation as f64,
            ),
            (
                "certgate_client_cert_connections",
                "Open connections that presented a client certificate.",
                shared.live.count() as f64,
            ),
        ],
    )
}

fn rfc3339(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| {
            d.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// The `/status` document. Its fields are a contract for scripts: extend, do not rename.
pub fn status_json(metrics: &Metrics, now: i64, gateway: Map<String, Value>) -> Value {
    let started = metrics
        .started()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let codes = |v: Vec<(certgate_core::Code, u64)>| -> Map<String, Value> {
        v.into_iter()
            .map(|(c, n)| (c.as_str().to_string(), n.into()))
            .collect()
    };
    let certs: Vec<Value> = metrics
        .seen_certs(now)
        .into_iter()
        .map(|c| {
            let days = (c.not_after - now).div_euclid(86_400);
            json!({
                "subject": c.subject, "issuer": c.issuer, "serial": c.serial, "sha256": c.sha256,
                "not_after": rfc3339(c.not_after), "days_left": days,
                "expiring_soon": days < EXPIRING_SOON_DAYS,
                "last_seen": rfc3339(c.last_seen), "handshakes": c.handshakes,
            })
        })
        .collect();
    let (buckets, sum, count) = metrics.upstream_latency();
    let (reloads_ok, reloads_refused) = metrics.reloads();
    let mut doc = json!({
        "certgate": env!("CARGO_PKG_VERSION"),
        "started_at": rfc3339(started),
        "uptime_secs": now - started,
        "handshakes": metrics.handshakes().into_iter().map(|(v, r, n)| json!({"version": v, "resumed": r, "count": n})).collect::<Vec<_>>(),
        "handshake_failures": codes(metrics.handshake_failures()),
        "rejections": codes(metrics.rejections()),
        "requests": metrics.requests().into_iter().map(|(s, n)| (s.to_string(), Value::from(n))).collect::<Map<_, _>>(),
        "upstream_latency": {
            "count": count,
            "mean_ms": if count > 0 { sum * 1e3 / count as f64 } else { 0.0 },
            "buckets": crate::metrics::LATENCY_BUCKETS.iter().map(|b| b.to_string()).chain(["+Inf".to_string()]).zip(buckets).map(|(le, n)| json!({"le": le, "count": n})).collect::<Vec<_>>(),
        },
        "reloads": {"ok": reloads_ok, "refused": reloads_refused},
        "revoked_connections_closed": metrics.revoked_connections_closed(),
        "client_certs_expiring_soon": certs.iter().filter(|c| c["expiring_soon"] == true).count(),
        "client_certs": certs,
    });
    if let Value::Object(m) = &mut doc {
        m.extend(gateway);
    }
    doc
}

fn status(metrics: &Metrics, shared: &Shared, listen: SocketAddr, now: i64) -> Value {
    let loaded = shared.loaded.load();
    let mut g = Map::new();
    g.insert("listen".into(), listen.to_string().into());
    g.insert("generation".into(), loaded.generation.into());
    g.insert("client_cert_connections".into(), shared.live.count().into());
    g.insert(
        "routes".into(),
        loaded
            .routes
            .iter()
            .map(|r| {
                json!({
                    "route": r.label(),
                    "mode": format!("{:?}", r.mode).to_lowercase(),
                    "upstream": r.upstream.to_string(),
                    "trusted_cas": r.trust.issuer_names(),
                })
            })
            .collect::<Vec<_>>()
            .into(),
    );
    status_json(metrics, now, g)
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The status page: the `/status` document as tables (no scripts, no external resources).
pub fn html(s: &Value) -> String {
    let text = |v: &Value| match v {
        Value::String(t) => esc(t),
        other => esc(&other.to_string()),
    };
    let kv_table = |title: &str, v: &Value| {
        let mut t = format!("<h2>{}</h2>\n<table>\n", esc(title));
        match v.as_object() {
            Some(m) if !m.is_empty() => {
                for (k, n) in m {
                    t += &format!(
                        "<tr><td><code>{}</code></td><td>{}</td></tr>\n",
                        esc(k),
                        text(n)
                    );
                }
            }
            _ => t += "<tr><td>none yet</td></tr>\n",
        }
        t + "</table>\n"
    };
    let mut o = String::from(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>certgate status</title>\n\
         <style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}\
         td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}.soon{background:#fdd}</style>\n\
         </head><body>\n<h1>certgate gateway</h1>\n",
    );
    o += &format!(
        "<p>version {} &middot; listening on <code>{}</code> &middot; started {} &middot; \
         configuration generation {} &middot; {} open connections with a client certificate</p>\n\
         <p>Also: <a href=\"/metrics\">/metrics</a> (Prometheus), <a href=\"/status\">/status</a> (JSON)</p>\n",
        text(&s["certgate"]),
        text(&s["listen"]),
        text(&s["started_at"]),
        text(&s["generation"]),
        text(&s["client_cert_connections"]),
    );
    o += &format!(
        "<h2>Client certificates seen in the last 7 days ({} expiring within {EXPIRING_SOON_DAYS} days)</h2>\n<table>\n\
         <tr><th>days left</th><th>subject</th><th>issuer</th><th>serial</th><th>not after</th><th>last seen</th><th>handshakes</th></tr>\n",
        text(&s["client_certs_expiring_soon"])
    );
    for c in s["client_certs"].as_array().into_iter().flatten() {
        o += &format!(
            "<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            if c["expiring_soon"] == true { " class=\"soon\"" } else { "" },
            text(&c["days_left"]),
            text(&c["subject"]),
            text(&c["issuer"]),
            text(&c["serial"]),
            text(&c["not_after"]),
            text(&c["last_seen"]),
            text(&c["handshakes"]),
        );
    }
    o += "</table>\n";
    o += &kv_table("Rejections by reason code", &s["rejections"]);
    o += &kv_table("Responses by HTTP status", &s["requests"]);
    let mut hs = Map::new();
    for h in s["handshakes"].as_array().into_iter().flatten() {
        hs.insert(
            format!(
                "{}{}",
                h["version"].as_str().unwrap_or(""),
                if h["resumed"] == true { " resumed" } else { "" }
            ),
            h["count"].clone(),
        );
    }
    o += &kv_table("Handshakes", &Value::Object(hs));
    o += &kv_table("Failed handshakes by reason code", &s["handshake_failures"]);
    o += "<h2>Routes</h2>\n<table>\n<tr><th>route</th><th>mode</th><th>upstream</th><th>trusted CAs</th></tr>\n";
    for r in s["routes"].as_array().into_iter().flatten() {
        let cas: Vec<String> = r["trusted_cas"]
            .as_array()
            .into_iter()
            .flatten()
            .map(text)
            .collect();
        o += &format!(
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            text(&r["route"]),
            text(&r["mode"]),
            text(&r["upstream"]),
            cas.join("<br>")
        );
    }
    o += "</table>\n";
    o += &format!(
        "<p>Upstream: {} responses, mean {:.2} ms. Reloads: {} ok, {} refused. Live connections closed after revocation: {}.</p>\n",
        text(&s["upstream_latency"]["count"]),
        s["upstream_latency"]["mean_ms"].as_f64().unwrap_or(0.0),
        text(&s["reloads"]["ok"]),
        text(&s["reloads"]["refused"]),
        text(&s["revoked_connections_closed"]),
    );
    o + "</body></html>\n"
}
