//! Counters the gateway keeps about itself, fed by the [`Observer`] hooks and rendered as
//! Prometheus text (`/metrics`) and JSON (`/status`) by `admin.rs`. Updating is lock-free on the
//! request path (atomics); only handshakes with a client certificate touch a small map, which
//! remembers recently seen certificates for the days-to-expiry gauge ("who breaks next week").

use crate::identity::ClientIdentity;
use crate::observe::{HandshakeEvent, Observer, RequestEvent};
use certgate_core::Code;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Upper bounds of the upstream latency histogram, seconds (Prometheus `le` labels).
pub const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// A client certificate stays in the expiry gauge this long after it was last seen.
pub const SEEN_WINDOW: Duration = Duration::from_secs(7 * 86_400);
/// At most this many client certificates are tracked (the least recently seen go first).
pub const SEEN_MAX: usize = 1_000;

/// Handshake label sets: (version, resumed).
const VERSIONS: [&str; 3] = ["TLSv1.2", "TLSv1.3", "other"];

/// A client certificate seen in a handshake.
#[derive(Clone, Debug)]
pub struct SeenCert {
    /// Subject DN (RFC 2253).
    pub subject: String,
    /// Issuer DN (RFC 2253).
    pub issuer: String,
    /// Serial, uppercase hex.
    pub serial: String,
    /// SHA-256 of the leaf, lowercase hex.
    pub sha256: String,
    /// notAfter, Unix seconds.
    pub not_after: i64,
    /// Last handshake that presented it, Unix seconds.
    pub last_seen: i64,
    /// Handshakes that presented it since it was first tracked.
    pub handshakes: u64,
}

/// The gateway's counters. One per gateway; cheap to update from every connection.
pub struct Metrics {
    started: SystemTime,
    /// `[version][resumed]` successful handshakes.
    handshakes: [[AtomicU64; 2]; 3],
    /// Failed handshakes and gateway-made error responses, by code (index: `Code as usize`).
    rejections: Vec<AtomicU64>,
    /// Handshakes that failed, by code.
    handshake_failures: Vec<AtomicU64>,
    /// Responses sent, by status (100..=599; anything else counts as 0).
    requests: Vec<AtomicU64>,
    /// Cumulative-per-bucket is computed at render; here each request counts in one bucket
    /// (the last slot is +Inf).
    latency_buckets: [AtomicU64; LATENCY_BUCKETS.len() + 1],
    latency_sum_us: AtomicU64,
    latency_count: AtomicU64,
    reloads_ok: AtomicU64,
    reloads_failed: AtomicU64,
    revoked_closed: AtomicU64,
    seen: Mutex<HashMap<String, SeenCert>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

fn zeros(n: usize) -> Vec<AtomicU64> {
    (0..n).map(|_| AtomicU64::new(0)).collect()
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl Metrics {
    /// All counters at zero.
    pub fn new() -> Metrics {
        Metrics {
            started: SystemTime::now(),
            handshakes: Default::default(),
            rejections: zeros(Code::ALL.len()),
            handshake_failures: zeros(Code::ALL.len()),
            requests: zeros(600),
            latency_buckets: Default::default(),
            latency_sum_us: AtomicU64::new(0),
            latency_count: AtomicU64::new(0),
            reloads_ok: AtomicU64::new(0),
            reloads_failed: AtomicU64::new(0),
            revoked_closed: AtomicU64::new(0),
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// When the counters started.
    pub fn started(&self) -> SystemTime {
        self.started
    }

    fn remember(&self, id: &ClientIdentity, now: i64) {
        let mut seen = self.seen.lock().expect("seen lock");
        if let Some(s) = seen.get_mut(&id.sha256) {
            s.last_seen = now;
            s.handshakes += 1;
            return;
        }
        if seen.len() >= SEEN_MAX {
            // Forget expired entries of the window first, then the least recently seen.
            seen.retain(|_, s| now - s.last_seen < SEEN_WINDOW.as_secs() as i64);
            if seen.len() >= SEEN_MAX {
                if let Some(oldest) = seen
                    .values()
                    .min_by_key(|s| s.last_seen)
                    .map(|s| s.sha256.clone())
                {
                    seen.remove(&oldest);
                }
            }
        }
        seen.insert(
            id.sha256.clone(),
            SeenCert {
                subject: id.subject.clone(),
                issuer: id.issuer.clone(),
                serial: id.serial.clone(),
                sha256: id.sha256.clone(),
                not_after: id.not_after,
                last_seen: now,
                handshakes: 1,
            },
        );
    }

    /// Client certificates seen within [`SEEN_WINDOW`] of `now`, soonest expiry first.
    pub fn seen_certs(&self, now: i64) -> Vec<SeenCert> {
        let seen = self.seen.lock().expect("seen lock");
        let mut v: Vec<SeenCert> = seen
            .values()
            .filter(|s| now - s.last_seen < SEEN_WINDOW.as_secs() as i64)
            .cloned()
            .collect();
        v.sort_by(|a, b| {
            a.not_after
                .cmp(&b.not_after)
                .then(a.subject.cmp(&b.subject))
        });
        v
    }

    /// Successful handshakes: `(version, resumed, count)` for every non-zero series.
    pub fn handshakes(&self) -> Vec<(&'static str, bool, u64)> {
        let mut v = Vec::new();
        for (i, version) in VERSIONS.iter().enumerate() {
            for (r, resumed) in [false, true].into_iter().enumerate() {
                let n = self.handshakes[i][r].load(Relaxed);
                if n > 0 {
                    v.push((*version, resumed, n));
                }
            }
        }
        v
    }

    /// Rejections by code (handshake failures and gateway-made error responses), non-zero only.
    pub fn rejections(&self) -> Vec<(Code, u64)> {
        nonzero_codes(&self.rejections)
    }

    /// Failed handshakes by code, non-zero only.
    pub fn handshake_failures(&self) -> Vec<(Code, u64)> {
        nonzero_codes(&self.handshake_failures)
    }

    /// Responses by HTTP status, non-zero only.
    pub fn requests(&self) -> Vec<(u16, u64)> {
        self.requests
            .iter()
            .enumerate()
            .filter_map(|(s, n)| {
                let n = n.load(Relaxed);
                (n > 0).then_some((s as u16, n))
            })
            .collect()
    }

    /// (successful, refused) reloads.
    pub fn reloads(&self) -> (u64, u64) {
        (
            self.reloads_ok.load(Relaxed),
            self.reloads_failed.load(Relaxed),
        )
    }

    /// Live connections closed because their certificate became revoked.
    pub fn revoked_connections_closed(&self) -> u64 {
        self.revoked_closed.load(Relaxed)
    }

    /// Upstream latency: (per-bucket counts, +Inf last), sum in seconds, count.
    pub fn upstream_latency(&self) -> (Vec<u64>, f64, u64) {
        (
            self.latency_buckets
                .iter()
                .map(|b| b.load(Relaxed))
                .collect(),
            self.latency_sum_us.load(Relaxed) as f64 / 1e6,
            self.latency_count.load(Relaxed),
        )
    }

    /// The Prometheus text exposition (format 0.0.4) of every metric, at `now` (Unix seconds).
    pub fn prometheus(&self, now: i64, extra: &[(&str, &str, f64)]) -> String {
        let mut o = String::with_capacity(4096);
        family(
            &mut o,
            "certgate_client_cert_rejections_total",
            "counter",
            "Requests and handshakes rejected because of the client certificate, by reason code.",
        );
        for (code, n) in self.rejections() {
            if code.as_str().starts_with("client_cert.") {
                let _ = writeln!(
                    o,
                    "certgate_client_cert_rejections_total{{code=\"{}\"}} {n}",
                    code.as_str()
                );
            }
        }
        family(
            &mut o,
            "certgate_rejections_total",
            "counter",
            "Every rejected handshake and every error response the gateway made itself, by reason code.",
        );
        for (code, n) in self.rejections() {
            let _ = writeln!(
                o,
                "certgate_rejections_total{{code=\"{}\"}} {n}",
                code.as_str()
            );
        }
        family(
            &mut o,
            "certgate_handshakes_total",
            "counter",
            "Completed TLS handshakes by protocol version and whether the session was resumed.",
        );
        for (version, resumed, n) in self.handshakes() {
            let _ = writeln!(
                o,
                "certgate_handshakes_total{{version=\"{version}\",resumed=\"{resumed}\"}} {n}"
            );
        }
        family(
            &mut o,
            "certgate_handshake_failures_total",
            "counter",
            "TLS handshakes that failed (or plain HTTP on the TLS port), by reason code.",
        );
        for (code, n) in self.handshake_failures() {
            let _ = writeln!(
                o,
                "certgate_handshake_failures_total{{code=\"{}\"}} {n}",
                code.as_str()
            );
        }
        family(
            &mut o,
            "certgate_requests_total",
            "counter",
            "HTTP responses sent to clients, by status (proxied and gateway-made).",
        );
        for (status, n) in self.requests() {
            let _ = writeln!(o, "certgate_requests_total{{status=\"{status}\"}} {n}");
        }
        family(
            &mut o,
            "certgate_upstream_latency_seconds",
            "histogram",
            "Time from forwarding a request to receiving the upstream's response head.",
        );
        let (buckets, sum, count) = self.upstream_latency();
        let mut cumulative = 0;
        for (i, n) in buckets.iter().enumerate() {
            cumulative += n;
            let le = LATENCY_BUCKETS
                .get(i)
                .map(|b| b.to_string())
                .unwrap_or_else(|| "+Inf".into());
            let _ = writeln!(
                o,
                "certgate_upstream_latency_seconds_bucket{{le=\"{le}\"}} {cumulative}"
            );
        }
        let _ = writeln!(o, "certgate_upstream_latency_seconds_sum {sum}");
        let _ = writeln!(o, "certgate_upstream_latency_seconds_count {count}");
        family(
            &mut o,
            "certgate_client_cert_expiry_days",
            "gauge",
            "Days until notAfter of each client certificate seen in the last 7 days (negative: expired).",
        );
        for c in self.seen_certs(now) {
            let _ = writeln!(
                o,
                "certgate_client_cert_expiry_days{{subject=\"{}\",issuer=\"{}\",serial=\"{}\"}} {}",
                label(&c.subject),
                label(&c.issuer),
                label(&c.serial),
                (c.not_after - now).div_euclid(86_400)
            );
        }
        family(
            &mut o,
            "certgate_reloads_total",
            "counter",
            "Configuration reloads by result (refused: the previous configuration kept serving).",
        );
        let (ok, failed) = self.reloads();
        let _ = writeln!(o, "certgate_reloads_total{{result=\"ok\"}} {ok}");
        let _ = writeln!(o, "certgate_reloads_total{{result=\"refused\"}} {failed}");
        family(
            &mut o,
            "certgate_revoked_connections_closed_total",
            "counter",
            "Live connections closed because a reloaded CRL revoked their client certificate.",
        );
        let _ = writeln!(
            o,
            "certgate_revoked_connections_closed_total {}",
            self.revoked_connections_closed()
        );
        for (name, help, value) in extra {
            family(&mut o, name, "gauge", help);
            let _ = writeln!(o, "{name} {value}");
        }
        family(
            &mut o,
            "certgate_start_time_seconds",
            "gauge",
            "Unix time the gateway started.",
        );
        let started = self
            .started
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let _ = writeln!(o, "certgate_start_time_seconds {started}");
        o
    }
}

fn nonzero_codes(v: &[AtomicU64]) -> Vec<(Code, u64)> {
    Code::ALL
        .iter()
        .zip(v)
        .filter_map(|(c, n)| {
            let n = n.load(Relaxed);
            (n > 0).then_some((*c, n))
        })
        .collect()
}

/// The `# HELP` and `# TYPE` lines of one metric family.
fn family(o: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(o, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// A Prometheus label value: backslash, double quote and newline escaped.
fn label(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Observer for Metrics {
    fn handshake(&self, e: &HandshakeEvent<'_>) {
        match e.outcome {
            Ok(()) => {
                let v = match e.version {
                    Some(rustls::ProtocolVersion::TLSv1_2) => 0,
                    Some(rustls::ProtocolVersion::TLSv1_3) => 1,
                    _ => 2,
                };
                self.handshakes[v][e.resumed as usize].fetch_add(1, Relaxed);
                if let Some(id) = e.identity {
                    self.remember(id, unix_now());
                }
            }
            Err(code) => {
                self.handshake_failures[code as usize].fetch_add(1, Relaxed);
                // Plain HTTP is counted when its 497 goes out, not twice.
                if code != Code::HandshakeNotTls {
                    self.rejections[code as usize].fetch_add(1, Relaxed);
                }
            }
        }
    }

    fn request(&self, e: &RequestEvent<'_>) {
        let slot = if (100..600).contains(&e.status) {
            e.status as usize
        } else {
            0
        };
        self.requests[slot].fetch_add(1, Relaxed);
        if let Some(code) = e.code {
            self.rejections[code as usize].fetch_add(1, Relaxed);
        }
        if let Some(d) = e.upstream_latency {
            let secs = d.as_secs_f64();
            let i = LATENCY_BUCKETS
                .iter()
                .position(|b| secs <= *b)
                .unwrap_or(LATENCY_BUCKETS.len());
            self.latency_buckets[i].fetch_add(1, Relaxed);
            self.latency_sum_us.fetch_add(d.as_micros() as u64, Relaxed);
            self.latency_count.fetch_add(1, Relaxed);
        }
    }

    fn reload(&self, _generation: u64, ok: bool) {
        if ok {
            &self.reloads_ok
        } else {
            &self.reloads_failed
        }
        .fetch_add(1, Relaxed);
    }

    fn revoked_connection_closed(&self, _identity: &ClientIdentity) {
        self.revoked_closed.fetch_add(1, Relaxed);
    }
}

/// Sends every event to the metrics first, then to another observer.
pub(crate) struct Tee(pub Arc<Metrics>, pub Arc<dyn Observer>);

impl Observer for Tee {
    fn handshake(&self, e: &HandshakeEvent<'_>) {
        self.0.handshake(e);
        self.1.handshake(e);
    }
    fn request(&self, e: &RequestEvent<'_>) {
        self.0.request(e);
        self.1.request(e);
    }
    fn reload(&self, generation: u64, ok: bool) {
        self.0.reload(generation, ok);
        self.1.reload(generation, ok);
    }
    fn revoked_connection_closed(&self, identity: &ClientIdentity) {
        self.0.revoked_connection_closed(identity);
        self.1.revoked_connection_closed(identity);
    }
}
