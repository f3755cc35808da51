//! Forwarding to the upstream: first strip every client-supplied identity header (one function,
//! called on every request of every listener), then render the gateway's identity headers in the
//! configured formats (one function), then proxy with connect and answer timeouts.

use crate::config::HeaderFormat;
use crate::identity::ClientIdentity;
use crate::respond::Body;
use base64::Engine;
use certgate_core::{Code, Finding, Side};
use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, Request, Response, Uri, Version};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use rustls_pki_types::CertificateDer;
use std::net::SocketAddr;
use std::time::Duration;

/// True for a header a client could use to impersonate a verified identity.
pub fn is_identity_header(name: &str) -> bool {
    let lower;
    let n = if name.bytes().any(|b| b.is_ascii_uppercase()) {
        lower = name.to_ascii_lowercase();
        lower.as_str()
    } else {
        name
    };
    n.starts_with("x-ssl-client")
        || n.starts_with("x-forwarded-tls-client-cert")
        || n == "x-forwarded-client-cert"
        || n == "client-cert"
        || n == "client-cert-chain"
        || n.starts_with("ssl-client-")
        || n == "x-client-cert"
        || n == "x-client-verify"
}

/// Removes every client-supplied identity header, and the forwarding headers the gateway sets.
pub fn strip_identity_headers(h: &mut HeaderMap) {
    let doomed = |k: &HeaderName| {
        is_identity_header(k.as_str())
            || *k == "x-forwarded-for"
            || *k == "x-forwarded-proto"
            || *k == "forwarded"
    };
    // Almost every request has none: look before collecting, so the common case allocates nothing.
    if !h.keys().any(doomed) {
        return;
    }
    let names: Vec<HeaderName> = h.keys().filter(|k| doomed(k)).cloned().collect();
    for k in names {
        h.remove(k);
    }
}

const URI_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn pem(der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut s = String::from("-----BEGIN CERTIFICATE-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        s.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        s.push('\n');
    }
    s + "-----END CERTIFICATE-----\n"
}

fn sf_binary(der: &[u8]) -> String {
    format!(
        ":{}:",
        base64::engine::general_purpose::STANDARD.encode(der)
    )
}

fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The identity and forwarding headers of one connection, rendered once (DESIGN.md §4) and copied
/// into each of its forwarded requests: a copy shares the value's bytes, so keep-alive requests do
/// not re-encode the certificate (base64, percent-encoding) every time.
#[derive(Debug)]
pub struct IdentityHeaders {
    /// The formats these headers were rendered for.
    formats: Vec<HeaderFormat>,
    forwarded_for: Option<HeaderValue>,
    /// Headers of a verified certificate: sent only when the route's decision says so.
    verified: Vec<(HeaderName, HeaderValue)>,
}

impl IdentityHeaders {
    /// Renders the headers of a connection from `peer`; `identity` and `chain` are the presented
    /// certificate's (sent on only when a request's verdict verifies it).
    pub fn render(
        identity: Option<&ClientIdentity>,
        chain: Option<&[CertificateDer<'static>]>,
        formats: &[HeaderFormat],
        peer: SocketAddr,
    ) -> IdentityHeaders {
        let mut verified = Vec::new();
        let mut put = |name: &'static str, value: String| {
            if let Ok(v) = HeaderValue::from_str(&value) {
                verified.push((HeaderName::from_static(name), v));
            }
        };
        if let (Some(id), Some(chain)) = (identity, chain) {
            for f in formats {
                match f {
                    HeaderFormat::Nginx => {
                        put("x-ssl-client-s-dn", id.subject.clone());
                        put("x-ssl-client-i-dn", id.issuer.clone());
                        put("x-ssl-client-serial", id.serial.clone());
                        put("x-ssl-client-fingerprint", id.sha256.clone());
                        if let Some(leaf) = chain.first() {
                            put(
                                "x-ssl-client-cert",
                                utf8_percent_encode(&pem(leaf), URI_COMPONENT).to_string(),
                            );
                        }
                    }
                    HeaderFormat::Rfc9440 => {
                        if let Some(leaf) = chain.first() {
                            put("client-cert", sf_binary(leaf));
                        }
                        if chain.len() > 1 {
                            put(
                                "client-cert-chain",
                                chain[1..]
                                    .iter()
                                    .map(|c| sf_binary(c))
                                    .collect::<Vec<_>>()
                                    .join(", "),
                            );
                        }
                    }
                    HeaderFormat::Xfcc => {
                        let mut v = format!("Hash={};Subject={}", id.sha256, quoted(&id.subject));
                        for u in &id.uri {
                            v += &format!(";URI={u}");
                        }
                        for d in &id.dns {
                            v += &format!(";DNS={d}");
                        }
                        put("x-forwarded-client-cert", v);
                    }
                }
            }
        }
        IdentityHeaders {
            formats: formats.to_vec(),
            forwarded_for: HeaderValue::from_str(&peer.ip().to_string()).ok(),
            verified,
        }
    }

    /// True when these headers were rendered for `formats` (a reload may change them).
    pub fn is_for(&self, formats: &[HeaderFormat]) -> bool {
        self.formats == formats
    }

    /// Sets the forwarding headers, `X-SSL-Client-Verify: verify` (nginx format) and, when
    /// `verified`, the certificate's identity headers.
    pub fn apply(&self, h: &mut HeaderMap, verify: &str, verified: bool) {
        const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
        const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
        const X_SSL_CLIENT_VERIFY: HeaderName = HeaderName::from_static("x-ssl-client-verify");
        if let Some(v) = &self.forwarded_for {
            h.insert(X_FORWARDED_FOR, v.clone());
        }
        h.insert(X_FORWARDED_PROTO, HeaderValue::from_static("https"));
        if self.formats.contains(&HeaderFormat::Nginx) {
            if let Ok(v) = HeaderValue::from_str(verify) {
                h.insert(X_SSL_CLIENT_VERIFY, v);
            }
        }
        if verified {
            for (k, v) in &self.verified {
                h.insert(k.clone(), v.clone());
            }
        }
    }
}

/// The pooled HTTP/1.1 client to upstreams.
#[derive(Clone)]
pub struct Upstream {
    client: Client<HttpConnector, Incoming>,
    timeout: Duration,
}

impl Upstream {
    /// A client with the given connect and answer timeouts.
    pub fn new(connect_timeout: Duration, timeout: Duration) -> Upstream {
        let mut c = HttpConnector::new();
        c.set_connect_timeout(Some(connect_timeout));
        c.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(64)
            .build(c);
        Upstream { client, timeout }
    }

    /// Proxies `req` (identity headers already set) to `base`; failures become a finding with
    /// its status (502 / 504).
    pub async fn proxy(
        &self,
        mut req: Request<Incoming>,
        base: &Uri,
    ) -> Result<Response<Body>, (u16, Finding)> {
        let target = join_uri(base, req.uri());
        if !req.headers().contains_key(http::header::HOST) {
            if let Some(a) = req.uri().authority() {
                if let Ok(v) = HeaderValue::from_str(a.as_str()) {
                    req.headers_mut().insert(http::header::HOST, v);
                }
            }
        }
        remove_hop_by_hop(req.headers_mut());
        *req.uri_mut() = target.clone();
        *req.version_mut() = Version::HTTP_11;
        let host = base.authority().map(|a| a.to_string()).unwrap_or_default();
        match tokio::time::timeout(self.timeout, self.client.request(req)).await {
            Ok(Ok(resp)) => {
                let (mut parts, body) = resp.into_parts();
                remove_hop_by_hop(&mut parts.headers);
                Ok(Response::from_parts(parts, body.boxed()))
            }
            Ok(Err(e)) => {
                let text = error_chain(&e);
                if e.is_connect() && text.contains("timed out") || text.contains("timeout") {
                    Err((
                        504,
                        upstream_finding(
                            Code::UpstreamTimeout,
                            &host,
                            &format!("connecting to the upstream {host} timed out ({text})"),
                        ),
                    ))
                } else {
                    Err((
                        502,
                        upstream_finding(
                            Code::UpstreamUnavailable,
                            &host,
                            &format!("the upstream {host} could not be reached ({text})"),
                        ),
                    ))
                }
            }
            Err(_) => Err((
                504,
                upstream_finding(
                    Code::UpstreamTimeout,
                    &host,
                    &format!(
                        "the upstream {host} did not answer within {} s",
                        self.timeout.as_secs()
                    ),
                ),
            )),
        }
    }
}

fn upstream_finding(code: Code, host: &str, detail: &str) -> Finding {
    Finding::new(code, Side::Server, detail).with("upstream", host.to_string())
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        parts.push(s.to_string());
        cur = s.source();
    }
    parts.dedup();
    parts.join(": ")
}

fn join_uri(base: &Uri, req: &Uri) -> Uri {
    let base_path = base.path().trim_end_matches('/');
    let mut b = Uri::builder();
    if let Some(s) = base.scheme() {
        b = b.scheme(s.clone());
    }
    if let Some(a) = base.authority() {
        b = b.authority(a.clone());
    }
    let b = match (base_path, req.path_and_query()) {
        // The common case, an upstream without a base path: the request's path as it is.
        ("", Some(pq)) => b.path_and_query(pq.clone()),
        (_, pq) => b.path_and_query(format!(
            "{base_path}{}",
            pq.map(|p| p.as_str()).unwrap_or("/")
        )),
    };
    b.build().unwrap_or_else(|_| base.clone())
}

/// Hop-by-hop headers (RFC 9110 §7.6.1) that never cross the gateway.
const HOP_BY_HOP: [HeaderName; 7] = [
    http::header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("proxy-connection"),
    http::header::TE,
    http::header::TRAILER,
    http::header::TRANSFER_ENCODING,
    http::header::UPGRADE,
];

fn remove_hop_by_hop(h: &mut HeaderMap) {
    // One pass to look: most messages carry none, and a removal hashes its name each time.
    if !h.keys().any(|k| HOP_BY_HOP.contains(k)) {
        return;
    }
    if h.contains_key(http::header::CONNECTION) {
        remove_connection_listed(h);
    }
    for n in HOP_BY_HOP {
        h.remove(n);
    }
}

/// Removes the headers a `Connection` header names (RFC 9110 §7.6.1).
fn remove_connection_listed(h: &mut HeaderMap) {
    let listed: Vec<String> = h
        .get_all(http::header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(',').map(|s| s.trim().to_ascii_lowercase()))
        .collect();
    for n in listed {
        if let Ok(name) = HeaderName::from_bytes(n.as_bytes()) {
            h.remove(name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spoofable_identity_header_is_stripped() {
        let mut h = HeaderMap::new();
        for n in [
            "X-SSL-Client-Verify",
            "x-ssl-client-s-dn",
            "X-Forwarded-Client-Cert",
            "Client-Cert",
            "Client-Cert-Chain",
            "X-Forwarded-Tls-Client-Cert",
            "X-Forwarded-Tls-Client-Cert-Info",
            "X-Forwarded-For",
            "Accept",
        ] {
            h.insert(
                HeaderName::from_bytes(n.as_bytes()).unwrap(),
                HeaderValue::from_static("x"),
            );
        }
        strip_identity_headers(&mut h);
        assert_eq!(
            h.keys().map(|k| k.as_str()).collect::<Vec<_>>(),
            vec!["accept"]
        );
    }

    #[test]
    fn identity_headers_go_out_only_for_a_verified_certificate() {
        let id = ClientIdentity {
            subject: "CN=alice".into(),
            issuer: "CN=ca".into(),
            serial: "0A".into(),
            sha256: "ab".into(),
            ..Default::default()
        };
        let chain = [CertificateDer::from(vec![0x30, 0x00])];
        let peer: SocketAddr = "127.0.0.7:4000".parse().unwrap();
        let formats = [HeaderFormat::Nginx, HeaderFormat::Xfcc];
        let rendered = IdentityHeaders::render(Some(&id), Some(&chain), &formats, peer);
        assert!(rendered.is_for(&formats));
        assert!(!rendered.is_for(&[HeaderFormat::Nginx]));

        let mut verified = HeaderMap::new();
        rendered.apply(&mut verified, "SUCCESS", true);
        assert_eq!(verified["x-ssl-client-verify"], "SUCCESS");
        assert_eq!(verified["x-ssl-client-s-dn"], "CN=alice");
        assert_eq!(verified["x-forwarded-for"], "127.0.0.7");
        assert_eq!(
            verified["x-forwarded-client-cert"],
            "Hash=ab;Subject=\"CN=alice\""
        );

        let mut failed = HeaderMap::new();
        rendered.apply(&mut failed, "FAILED:client_cert.expired", false);
        assert_eq!(failed["x-ssl-client-verify"], "FAILED:client_cert.expired");
        let mut names: Vec<_> = failed.keys().map(|k| k.as_str()).collect();
        names.sort();
        assert_eq!(
            names,
            [
                "x-forwarded-for",
                "x-forwarded-proto",
                "x-ssl-client-verify"
            ]
        );
    }

    #[test]
    fn hop_by_hop_headers_and_those_connection_names_are_removed() {
        let mut h = HeaderMap::new();
        h.insert("connection", HeaderValue::from_static("close, x-private"));
        h.insert("x-private", HeaderValue::from_static("1"));
        h.insert("te", HeaderValue::from_static("trailers"));
        h.insert("accept", HeaderValue::from_static("*/*"));
        remove_hop_by_hop(&mut h);
        assert_eq!(
            h.keys().map(|k| k.as_str()).collect::<Vec<_>>(),
            vec!["accept"]
        );
    }

    #[test]
    fn upstream_path_joins_base_and_request() {
        let j = |b: &str, r: &str| join_uri(&b.parse().unwrap(), &r.parse().unwrap()).to_string();
        assert_eq!(
            j("http://127.0.0.1:8080", "/a?b=1"),
            "http://127.0.0.1:8080/a?b=1"
        );
        assert_eq!(
            j("http://127.0.0.1:8080/base/", "/a"),
            "http://127.0.0.1:8080/base/a"
        );
    }
}
