//! `doctor`: gather every piece of evidence about one endpoint — concurrently where the probes are
//! independent — then let core name the findings and the one root cause. Input errors (a bad URL,
//! an unreadable file) are `ProbeError`s; everything about the endpoint is a finding.

use crate::files::{self, AnchorSource};
use crate::hello::{self, ServerFlight};
use crate::target::Target;
use crate::tls::{self, HandshakeOptions};
use crate::{http as probe_http, net, ProbeError};
use certgate_core::analyse::chain::{self, ChainInput, Purpose};
use certgate_core::analyse::protocol::{suite_label, suite_weakness};
use certgate_core::evidence::{
    AbsentReason, ClientCert, Handshake, HandshakeEnd, HttpAnswer, ServerEvidence, SuiteSupport,
    VersionProbe,
};
use certgate_core::wire::{CipherSuite, ProtocolVersion};
use certgate_core::x509::CertFacts;
use certgate_core::{Code, Finding, Report};
use http_body_util::Full;
use hyper::body::Bytes;
use rustls::pki_types::CertificateDer;
use serde_json::{json, Map, Value};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What doctor is told besides the URL (DESIGN.md §3).
#[derive(Clone, Debug)]
pub struct DoctorOptions {
    /// Trust anchors (replace the system bundle, as curl's `--cacert`).
    pub cacert: Option<PathBuf>,
    /// Client certificate chain (PEM/DER) and its key (defaults to the same file).
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    /// CRLs to check the server chain against.
    pub crls: Vec<PathBuf>,
    /// SNI and name to verify, when it differs from the URL's host.
    pub servername: Option<String>,
    /// Limit for each connection step.
    pub timeout: Duration,
    /// Probe every protocol version and enumerate cipher suites (off: one modern handshake only).
    pub scan: bool,
}

impl Default for DoctorOptions {
    fn default() -> Self {
        DoctorOptions {
            cacert: None,
            cert: None,
            key: None,
            crls: vec![],
            servername: None,
            timeout: Duration::from_secs(5),
            scan: true,
        }
    }
}

/// The versions probed with hand-built hellos, oldest first.
pub const VERSIONS: [ProtocolVersion; 5] = [
    ProtocolVersion::SSL3,
    ProtocolVersion::TLS1_0,
    ProtocolVersion::TLS1_1,
    ProtocolVersion::TLS1_2,
    ProtocolVersion::TLS1_3,
];

/// Everything doctor found about one endpoint.
#[derive(Clone, Debug)]
pub struct Diagnosis {
    pub target: Target,
    /// SNI and the name the chain was judged against.
    pub server_name: String,
    pub evidence: ServerEvidence,
    /// The chain the server sent, leaf first.
    pub chain: Vec<CertificateDer<'static>>,
    /// Where the trust anchors came from.
    pub anchors_from: AnchorSource,
    /// A CertificateRequest seen only in a cleartext (TLS ≤ 1.2) probe.
    pub flight_certificate_request: Option<certgate_core::evidence::CertificateRequest>,
    /// Every finding, in analysis order.
    pub findings: Vec<Finding>,
    pub elapsed: Duration,
}

impl Diagnosis {
    /// The report (target, findings) in core's one shape.
    pub fn report(&self) -> Report {
        Report {
            target: self.target_json(),
            findings: self.findings.clone(),
        }
    }

    /// The verdict code.
    pub fn verdict(&self) -> Code {
        certgate_core::finding::verdict(&self.findings)
    }

    /// The finding to fix first, if any.
    pub fn root_cause(&self) -> Option<&Finding> {
        certgate_core::finding::rank(&self.findings)
    }

    fn target_json(&self) -> Value {
        json!({
            "url": self.target.url,
            "scheme": if self.target.tls { "https" } else { "http" },
            "host": self.target.host,
            "port": self.target.port,
            "server_name": self.server_name,
        })
    }

    /// The chain's facts, leaf first (certificates that do not parse are skipped).
    pub fn chain_facts(&self) -> Vec<CertFacts> {
        self.chain
            .iter()
            .filter_map(|c| CertFacts::from_der(c).ok())
            .collect()
    }

    /// The `--json` document: core's report plus the evidence by section.
    pub fn to_json(&self) -> Value {
        let mut m: Map<String, Value> = self.report().to_json(None);
        let ev = &self.evidence;
        m.insert("connection".into(), json!(ev.reach));
        m.insert(
            "protocols".into(),
            Value::Array(
                ev.versions
                    .iter()
                    .map(|p| {
                        json!({
                            "version": p.offered,
                            "accepted": p.accepted(),
                            "answer": p.answer,
                        })
                    })
                    .collect(),
            ),
        );
        m.insert(
            "ciphers".into(),
            Value::Array(
                ev.suites
                    .iter()
                    .map(|s| {
                        json!({
                            "version": s.version,
                            "suites": s.suites.iter().map(|c| json!({
                                "id": c,
                                "name": suite_label(*c),
                                "weak": suite_weakness(*c),
                            })).collect::<Vec<_>>(),
                        })
                    })
                    .collect(),
            ),
        );
        m.insert(
            "chain".into(),
            Value::Array(
                self.chain_facts()
                    .iter()
                    .map(|f| {
                        json!({
                            "subject": f.subject,
                            "issuer": f.issuer,
                            "serial": f.serial_hex,
                            "not_before": certgate_core::x509::rfc3339(f.not_before),
                            "not_after": certgate_core::x509::rfc3339(f.not_after),
                            "sans": f.sans(),
                            "key": f.key.to_string(),
                            "signature_alg": f.signature_alg,
                            "sha256": f.sha256_hex,
                        })
                    })
                    .collect(),
            ),
        );
        m.insert(
            "trust_anchors".into(),
            match &self.anchors_from {
                AnchorSource::File(p) => json!({"source": "cacert", "path": p}),
                AnchorSource::System(p) => json!({"source": "system", "path": p}),
                AnchorSource::None => json!({"source": "none"}),
            },
        );
        m.insert("handshake".into(), json!(ev.handshake));
        let cr = ev
            .handshake
            .as_ref()
            .and_then(|h| h.certificate_request.clone())
            .or_else(|| self.flight_certificate_request.clone());
        m.insert(
            "client_auth".into(),
            json!({
                "requested": cr.is_some(),
                "acceptable_cas": cr.as_ref().map(|c| c.ca_names.clone()).unwrap_or_default(),
                "offered": ev.handshake.as_ref().map(|h| json!(h.client_cert)),
            }),
        );
        m.insert("http".into(), json!(ev.http));
        m.insert(
            "timings".into(),
            json!({ "total_ms": self.elapsed.as_millis() as u64 }),
        );
        Value::Object(m)
    }
}

/// Runs doctor against `target`.
pub async fn diagnose(target: &Target, opts: &DoctorOptions) -> Result<Diagnosis, ProbeError> {
    let start = Instant::now();
    let now = OffsetDateTime::now_utc();
    let (anchors, anchors_from) = files::anchors(opts.cacert.as_deref())?;
    let crls = files::crls(&opts.crls)?;
    let (identity, mismatch) = match (&opts.cert, &opts.key) {
        (Some(c), key) => match files::identity(c, key.as_deref())? {
            Ok(id) => (Some(id), None),
            Err(detail) => (None, Some(detail)),
        },
        (None, Some(k)) => {
            return Err(ProbeError::File {
                path: k.display().to_string(),
                why: "--key needs --cert".into(),
            })
        }
        (None, None) => (None, None),
    };
    let server_name = opts
        .servername
        .clone()
        .unwrap_or_else(|| target.host.clone());
    let sni = tls::server_name(&server_name)?;

    let (reach, addr) = net::reach(&target.host, target.port, opts.timeout).await;
    let mut ev = ServerEvidence {
        tls: target.tls,
        reach,
        versions: vec![],
        suites: vec![],
        handshake: None,
        http: None,
        tls_answer_to_plain_http: false,
        local_key_mismatch: mismatch,
    };
    let mut chain = vec![];
    let mut flight_cr = None;
    if let Some(addr) = addr {
        if target.tls {
            let mut scans = tokio::task::JoinSet::new();
            if opts.scan {
                for v in VERSIONS {
                    let sni = server_name.clone();
                    let t = opts.timeout;
                    scans.spawn(async move { scan_version(addr, v, sni, t).await });
                }
            }
            let hs_opts = HandshakeOptions {
                server_name: sni,
                alpn: vec![b"h2".to_vec(), b"http/1.1".to_vec()],
                identity: identity.as_ref().map(|i| i.certified.clone()),
                timeout: opts.timeout,
            };
            let client_cert =
                identity
                    .as_ref()
                    .map(|i| i.evidence.clone())
                    .unwrap_or(ClientCert::Absent {
                        why: AbsentReason::NotConfigured,
                    });
            let (handshake, answer, seen_chain) =
                full_exchange(addr, target, &hs_opts, client_cert).await;
            let mut results = vec![];
            while let Some(r) = scans.join_next().await {
                if let Ok(r) = r {
                    results.push(r);
                }
            }
            results.sort_by_key(|(p, _, _)| p.offered);
            chain = seen_chain;
            // A server rustls cannot talk to (TLS ≤ 1.1 only) still shows its chain in cleartext.
            if chain.is_empty() {
                if let Some(f) = results
                    .iter()
                    .rev()
                    .map(|(_, _, f)| f)
                    .find(|f| !f.chain.is_empty())
                {
                    chain = f.chain.clone();
                }
            }
            flight_cr = results
                .iter()
                .rev()
                .find_map(|(_, _, f)| f.certificate_request.clone());
            for (probe, suites, _) in results {
                ev.versions.push(probe);
                if let Some(s) = suites {
                    ev.suites.push(s);
                }
            }
            ev.handshake = Some(handshake);
            ev.http = answer;
        } else {
            let (answer, tls_bytes) = plain_request(addr, target, opts.timeout).await;
            ev.http = answer;
            ev.tls_answer_to_plain_http = tls_bytes;
        }
    }

    let (roots, intermediates) = split_anchors(anchors);
    let chain_findings = if chain.is_empty() {
        vec![]
    } else {
        chain::analyse(&ChainInput {
            presented: &chain,
            anchors: &roots,
            crls: &crls,
            name: Some(&server_name),
            purpose: Purpose::Server,
            now,
            intermediates: &intermediates,
        })
    };
    let findings = certgate_core::analyse::probe::analyse(&ev, chain_findings, now);
    Ok(Diagnosis {
        target: target.clone(),
        server_name,
        evidence: ev,
        chain,
        anchors_from,
        flight_certificate_request: flight_cr,
        findings,
        elapsed: start.elapsed(),
    })
}

/// Splits a CA bundle into roots (self-signed: the trust anchors) and intermediates (known, but
/// not trusted by themselves), so that a server which omits an intermediate is named
/// `cert.incomplete_chain` even when the user's bundle happens to hold it: curl would still
/// connect, but clients that only trust roots (browsers, Go, Java, Python) would not. A bundle
/// without any root is trusted as given (OpenSSL's partial-chain mode, curl's default).
pub fn split_anchors(
    certs: Vec<CertificateDer<'static>>,
) -> (Vec<CertificateDer<'static>>, Vec<CertificateDer<'static>>) {
    let (roots, others): (Vec<_>, Vec<_>) = certs.into_iter().partition(|c| {
        CertFacts::from_der(c)
            .map(|f| f.self_signed)
            .unwrap_or(true)
    });
    if roots.is_empty() {
        (others, vec![])
    } else {
        (roots, others)
    }
}

/// Probes one version; when accepted, enumerates its suites by offering the rest until the
/// server refuses (the order found is the server's preference when it enforces one).
async fn scan_version(
    addr: SocketAddr,
    version: ProtocolVersion,
    sni: String,
    timeout: Duration,
) -> (VersionProbe, Option<SuiteSupport>, ServerFlight) {
    let mut offer = hello::suites_for(version);
    let first = hello::probe(addr, version, &offer, Some(&sni), timeout, true).await;
    let probe = VersionProbe {
        offered: version,
        answer: first.answer.clone(),
    };
    if !probe.accepted() {
        return (probe, None, first);
    }
    let mut found: Vec<CipherSuite> = vec![];
    let mut answer = first.answer.clone();
    // Bounded: at most one connection per offered suite.
    for _ in 0..offer.len() {
        match answer {
            certgate_core::evidence::HelloAnswer::Accepted { version: v, suite }
                if v == version && offer.contains(&suite.0) =>
            {
                found.push(suite);
                offer.retain(|s| *s != suite.0);
            }
            _ => break,
        }
        if offer.is_empty() {
            break;
        }
        answer = hello::probe(addr, version, &offer, Some(&sni), timeout, false)
            .await
            .answer;
    }
    (
        probe,
        Some(SuiteSupport {
            version,
            suites: found,
        }),
        first,
    )
}

/// The full handshake of a modern client and one GET request over it.
async fn full_exchange(
    addr: SocketAddr,
    target: &Target,
    opts: &HandshakeOptions,
    client_cert: ClientCert,
) -> (Handshake, Option<HttpAnswer>, Vec<CertificateDer<'static>>) {
    let mut hs = Handshake {
        end: HandshakeEnd::Completed,
        version: None,
        suite: None,
        alpn: None,
        chain_len: 0,
        ocsp_stapled: false,
        certificate_request: None,
        client_cert,
    };
    let tcp = match net::connect(addr, opts.timeout).await {
        Ok(t) => t,
        Err(e) => {
            hs.end = match e {
                ProbeError::Timeout { .. } => HandshakeEnd::NoAnswer,
                other => HandshakeEnd::Failed {
                    detail: other.to_string(),
                },
            };
            return (hs, None, vec![]);
        }
    };
    let (result, seen) = tls::handshake(tcp, opts).await;
    let mut answer = None;
    match result {
        Err(end) => hs.end = end,
        Ok((stream, negotiated)) => {
            hs.version = negotiated.version;
            hs.suite = negotiated.suite;
            hs.alpn = negotiated.alpn.clone();
            let h2 = negotiated.alpn.as_deref() == Some("h2");
            match probe_http::send(stream, h2, get_request(target, h2), opts.timeout).await {
                Ok(r) => answer = Some(probe_http::answer(&r)),
                Err(probe_http::HttpError::Exchange(e)) => {
                    // TLS 1.3 client-auth failures arrive as an alert on the first read.
                    if tls::rustls_error(e.as_ref()).is_some() {
                        hs.end = tls::end_from_error(e.as_ref());
                    }
                }
                Err(probe_http::HttpError::Timeout(_)) => {}
            }
        }
    }
    let seen = seen.lock().unwrap_or_else(|p| p.into_inner()).clone();
    hs.chain_len = seen.chain.len();
    hs.ocsp_stapled = seen.ocsp_stapled;
    hs.certificate_request = seen.certificate_request;
    (hs, answer, seen.chain)
}

fn get_request(target: &Target, h2: bool) -> http::Request<Full<Bytes>> {
    let mut b = http::Request::builder()
        .method(http::Method::GET)
        .header(http::header::ACCEPT, "application/json")
        .header(
            http::header::USER_AGENT,
            concat!("certgate-doctor/", env!("CARGO_PKG_VERSION")),
        );
    if h2 {
        b = b.uri(format!("https://{}{}", target.authority(), target.path));
    } else {
        b = b
            .uri(target.path.as_str())
            .header(http::header::HOST, target.authority());
    }
    b.body(Full::new(Bytes::new()))
        .unwrap_or_else(|_| http::Request::new(Full::new(Bytes::new())))
}

/// A plain-HTTP GET written by hand, so a TLS answer (an alert) can be recognised as such.
async fn plain_request(
    addr: SocketAddr,
    target: &Target,
    timeout: Duration,
) -> (Option<HttpAnswer>, bool) {
    let run = async {
        let mut tcp = net::connect(addr, timeout).await.ok()?;
        let req = format!(
            "GET {} HTTP/1.1\r\nHost: {}\r\nAccept: application/json\r\nUser-Agent: certgate-doctor\r\nConnection: close\r\n\r\n",
            target.path,
            target.authority()
        );
        tcp.write_all(req.as_bytes()).await.ok()?;
        let mut got = Vec::new();
        let mut buf = [0u8; 8192];
        while got.len() < 256 * 1024 {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
            if matches!(got.first(), Some(0x15) | Some(0x16)) {
                break;
            }
        }
        Some(got)
    };
    let got = match tokio::time::timeout(timeout, run).await {
        Ok(Some(g)) => g,
        _ => return (None, false),
    };
    if matches!(got.first(), Some(0x15) | Some(0x16)) {
        return (None, true);
    }
    (parse_http1(&got).map(|r| probe_http::answer(&r)), false)
}

/// A minimal HTTP/1.x response parser for the hand-written plain request.
fn parse_http1(b: &[u8]) -> Option<probe_http::Response> {
    let end = b.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&b[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let mut parts = status_line.splitn(3, ' ');
    let version = match parts.next()? {
        "HTTP/1.0" => http::Version::HTTP_10,
        v if v.starts_with("HTTP/") => http::Version::HTTP_11,
        _ => return None,
    };
    let status: u16 = parts.next()?.parse().ok()?;
    let mut headers = http::HeaderMap::new();
    for l in lines {
        if let Some((k, v)) = l.split_once(':') {
            if let (Ok(k), Ok(v)) = (
                http::header::HeaderName::from_bytes(k.trim().as_bytes()),
                http::HeaderValue::from_str(v.trim()),
            ) {
                headers.append(k, v);
            }
        }
    }
    Some(probe_http::Response {
        status,
        version,
        headers,
        body: Bytes::copy_from_slice(&b[end + 4..]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_plain_http_answer() {
        let r = parse_http1(b"HTTP/1.1 497 HTTP Request Sent to HTTPS Port\r\nServer: x\r\n\r\n{\"code\":\"http.plain_to_tls\"}").unwrap();
        assert_eq!(r.status, 497);
        assert_eq!(probe_http::answer(&r).body_code, Some(Code::HttpPlainToTls));
        assert!(parse_http1(b"garbage").is_none());
    }
}
