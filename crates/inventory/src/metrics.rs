//! Prometheus exposition of an inventory, and the small HTTP server behind `--metrics ADDR` that
//! rescans on an interval. Conventions follow x509-certificate-exporter: one series per place a
//! certificate was found, a Unix-time `not_after` gauge for alert rules (`... - time() < 86400 *
//! 30`), plus days left and an expired flag for dashboards.

use crate::scan::{scan, Inventory, ScanOptions, Target};
use certgate_core::analyse::inventory::ExpiryStatus;
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Request, Response, StatusCode};
use std::fmt::Write;
use std::sync::{Arc, RwLock};
use std::time::Duration;

fn esc(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The inventory as Prometheus text format 0.0.4.
pub fn render(inv: &Inventory, scan_seconds: f64) -> String {
    let mut series: Vec<(String, &crate::scan::CertEntry)> = Vec::new();
    for c in &inv.certs {
        let f = &c.cert.facts;
        for l in &c.locations {
            let labels = format!(
                "source=\"{}\",source_kind=\"{}\",subject=\"{}\",issuer=\"{}\",serial=\"{}\",fingerprint_sha256=\"{}\"",
                esc(&l.to_string()),
                l.kind,
                esc(&f.subject),
                esc(&f.issuer),
                f.serial_hex,
                f.sha256_hex,
            );
            series.push((labels, c));
        }
    }
    let mut out = String::new();
    let mut gauge = |name: &str, help: &str, value: &dyn Fn(&crate::scan::CertEntry) -> String| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
        for (labels, c) in &series {
            let _ = writeln!(out, "{name}{{{labels}}} {}", value(c));
        }
    };
    gauge(
        "certgate_cert_not_after_seconds",
        "Certificate notAfter as a Unix timestamp.",
        &|c| c.cert.facts.not_after.unix_timestamp().to_string(),
    );
    gauge(
        "certgate_cert_not_before_seconds",
        "Certificate notBefore as a Unix timestamp.",
        &|c| c.cert.facts.not_before.unix_timestamp().to_string(),
    );
    gauge(
        "certgate_cert_days_left",
        "Whole days until notAfter at the last scan (negative once expired).",
        &|c| c.days_left.to_string(),
    );
    gauge(
        "certgate_cert_expired",
        "1 when the certificate had expired at the last scan.",
        &|c| u8::from(c.status == ExpiryStatus::Expired).to_string(),
    );
    let _ = writeln!(
        out,
        "# HELP certgate_endpoint_up 1 when the endpoint completed a TLS handshake at the last scan.\n# TYPE certgate_endpoint_up gauge"
    );
    for e in &inv.endpoints {
        let code = e.findings.first().map(|f| f.code.as_str()).unwrap_or("ok");
        let _ = writeln!(
            out,
            "certgate_endpoint_up{{endpoint=\"{}\",code=\"{code}\"}} {}",
            esc(&e.endpoint.to_string()),
            u8::from(!e.chain.is_empty())
        );
    }
    let _ = writeln!(
        out,
        "# HELP certgate_inventory_read_errors Files that looked like certificate material but could not be read.\n# TYPE certgate_inventory_read_errors gauge\ncertgate_inventory_read_errors {}",
        inv.skipped.len()
    );
    let _ = writeln!(
        out,
        "# HELP certgate_inventory_last_scan_seconds Unix time of the last completed scan.\n# TYPE certgate_inventory_last_scan_seconds gauge\ncertgate_inventory_last_scan_seconds {}",
        inv.generated_at.unix_timestamp()
    );
    let _ = writeln!(
        out,
        "# HELP certgate_inventory_scan_duration_seconds How long the last scan took.\n# TYPE certgate_inventory_scan_duration_seconds gauge\ncertgate_inventory_scan_duration_seconds {scan_seconds:.3}"
    );
    out
}

/// Serves `/metrics` on `listener`, scanning `targets` first and then every `interval`, until
/// the future is dropped. The first scan completes before the first connection is answered, so a
/// scrape never sees an empty inventory.
pub async fn serve(
    listener: tokio::net::TcpListener,
    targets: Vec<Target>,
    opts: ScanOptions,
    interval: Duration,
) -> std::io::Result<()> {
    let page = Arc::new(RwLock::new(String::new()));
    let rescan = {
        let page = page.clone();
        async move {
            let started = std::time::Instant::now();
            let inv = scan(&targets, &opts, time::OffsetDateTime::now_utc()).await;
            let text = render(&inv, started.elapsed().as_secs_f64());
            *page.write().unwrap_or_else(|p| p.into_inner()) = text;
            (targets, opts)
        }
    };
    let (targets, opts) = rescan.await;
    let scanner = {
        let page = page.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await; // the first tick is immediate; that scan already ran
            loop {
                tick.tick().await;
                let started = std::time::Instant::now();
                let inv = scan(&targets, &opts, time::OffsetDateTime::now_utc()).await;
                let text = render(&inv, started.elapsed().as_secs_f64());
                *page.write().unwrap_or_else(|p| p.into_inner()) = text;
            }
        })
    };
    let _abort = AbortOnDrop(scanner);
    loop {
        let (stream, _) = listener.accept().await?;
        let page = page.clone();
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                let page = page.clone();
                async move { Ok::<_, std::convert::Infallible>(respond(&req, &page)) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                .await;
        });
    }
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn respond<B>(req: &Request<B>, page: &RwLock<String>) -> Response<Full<Bytes>> {
    let (status, ctype, body) = match req.uri().path() {
        "/metrics" => (
            StatusCode::OK,
            "text/plain; version=0.0.4; charset=utf-8",
            page.read().unwrap_or_else(|p| p.into_inner()).clone(),
        ),
        "/" => (
            StatusCode::OK,
            "text/plain; charset=utf-8",
            "certgate inventory exporter: see /metrics\n".to_string(),
        ),
        _ => (
            StatusCode::NOT_FOUND,
            "text/plain; charset=utf-8",
            "not found; metrics are at /metrics\n".to_string(),
        ),
    };
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    if let Ok(v) = hyper::header::HeaderValue::from_str(ctype) {
        r.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped_per_the_text_format() {
        assert_eq!(esc(r#"CN=a "b" \ c"#), r#"CN=a \"b\" \\ c"#);
        assert_eq!(esc("x\ny"), "x\\ny");
    }
}
