//! The connection pipeline, one step per module: accept (bounded by `max_connections`) → detect
//! (TLS or plain → 497) → handshake (SNI picks the rustls configuration; timeout) → identity →
//! per request: strip spoofed headers → route → policy → forward | respond. Every rejected
//! handshake or request gets one structured log line with the reason code.

use crate::detect::{first_byte, FirstByte};
use crate::forward::{strip_identity_headers, IdentityHeaders};
use crate::identity::ClientIdentity;
use crate::load::Loaded;
use crate::observe::{HandshakeEvent, Observer, RequestEvent};
use crate::policy::{decide, select, ClientCert, Decision, Route};
use crate::respond::{self, Body, Rejection};
use crate::tls::{code_of_handshake_error, Resumption};
use crate::trust::TrustStore;
use arc_swap::ArcSwap;
use certgate_core::{Code, Finding, Side};
use http::{Request, Response};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use rustls_pki_types::{CertificateDer, UnixTime};
use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio_rustls::LazyConfigAcceptor;

/// State shared by the accept loop, every connection and the reloader.
pub(crate) struct Shared {
    pub loaded: ArcSwap<Loaded>,
    pub resumption: Resumption,
    pub observer: Arc<dyn Observer>,
    pub live: LiveConnections,
}

/// Connections holding a client certificate, so a CRL reload can close the newly revoked ones.
#[derive(Default)]
pub(crate) struct LiveConnections {
    next: AtomicU64,
    map: Mutex<HashMap<u64, LiveEntry>>,
}

pub(crate) struct LiveEntry {
    pub chain: Arc<Vec<CertificateDer<'static>>>,
    pub identity: Option<Arc<ClientIdentity>>,
    pub peer: SocketAddr,
    pub kill: Arc<Notify>,
}

impl LiveConnections {
    fn add(&self, e: LiveEntry) -> u64 {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.map.lock().expect("live lock").insert(id, e);
        id
    }
    fn remove(&self, id: u64) {
        self.map.lock().expect("live lock").remove(&id);
    }

    /// Closes live connections whose certificate a route of `loaded` now finds revoked.
    pub fn close_revoked(&self, loaded: &Loaded, observer: &dyn Observer) -> usize {
        let now = UnixTime::now();
        let mut closed = 0;
        let map = self.map.lock().expect("live lock");
        let mut stores: Vec<&Arc<TrustStore>> = Vec::new();
        for r in loaded
            .routes
            .iter()
            .filter(|r| r.mode != crate::config::Mode::Off)
        {
            if !stores.iter().any(|s| Arc::ptr_eq(s, &r.trust)) {
                stores.push(&r.trust);
            }
        }
        for e in map.values() {
            if let Some(f) = stores
                .iter()
                .map(|s| s.judge_uncached(&e.chain, now))
                .find(|f| f.code == Code::ClientCertRevoked)
            {
                tracing::warn!(
                    target: "certgate::gateway",
                    event = "connection_closed",
                    code = %f.code,
                    client_ip = %e.peer.ip(),
                    subject = e.identity.as_ref().map(|i| i.subject.as_str()).unwrap_or(""),
                    serial = e.identity.as_ref().map(|i| i.serial.as_str()).unwrap_or(""),
                    "closing a live connection: its client certificate is now revoked"
                );
                if let Some(id) = &e.identity {
                    observer.revoked_connection_closed(id);
                }
                e.kill.notify_one();
                closed += 1;
            }
        }
        closed
    }

    pub fn count(&self) -> usize {
        self.map.lock().expect("live lock").len()
    }
}

/// What one TLS connection established, shared by its requests.
struct Conn {
    peer: SocketAddr,
    sni: Option<String>,
    chain: Option<Arc<Vec<CertificateDer<'static>>>>,
    identity: Option<Arc<ClientIdentity>>,
    /// Verdicts already computed on this connection: (generation, trust store address).
    verdicts: Mutex<Vec<(u64, usize, Arc<Finding>)>>,
    /// The identity headers, rendered on the first forwarded request (again after a reload that
    /// changes the header formats).
    headers: Mutex<Option<Arc<IdentityHeaders>>>,
}

impl Conn {
    /// The certificate state as `route` of generation `generation` sees it; judged at most once
    /// per connection, route trust store and generation.
    fn client_cert(&self, route: &Route, generation: u64) -> ClientCert {
        let (Some(chain), Some(identity)) = (&self.chain, &self.identity) else {
            return ClientCert::Absent(match &self.chain {
                None => "no client certificate was presented in the TLS handshake",
                Some(_) => "the client certificate could not be parsed",
            });
        };
        let key = (generation, Arc::as_ptr(&route.trust) as usize);
        let mut v = self.verdicts.lock().expect("verdict lock");
        let verdict = match v.iter().find(|(g, s, _)| (*g, *s) == key) {
            Some((_, _, f)) => f.clone(),
            None => {
                let f = route.trust.judge(chain, UnixTime::now());
                v.retain(|(g, _, _)| *g == generation);
                v.push((key.0, key.1, f.clone()));
                f
            }
        };
        ClientCert::Present {
            identity: identity.clone(),
            verdict,
        }
    }

    /// This connection's identity headers in `formats`, rendered at most once per format set.
    fn identity_headers(&self, formats: &[crate::config::HeaderFormat]) -> Arc<IdentityHeaders> {
        let mut cached = self.headers.lock().expect("headers lock");
        match &*cached {
            Some(h) if h.is_for(formats) => h.clone(),
            _ => {
                let h = Arc::new(IdentityHeaders::render(
                    self.identity.as_deref(),
                    self.chain.as_deref().map(Vec::as_slice),
                    formats,
                    self.peer,
                ));
                *cached = Some(h.clone());
                h
            }
        }
    }
}

/// Closes a connection whose handshake we rejected, after the alert has been written. Dropping
/// the socket at once while the client's next flight (in TLS 1.3 its Certificate, Finished and
/// often the first request) is still unread makes the kernel answer with RST, and the client then
/// reports "connection reset" or "not connected" instead of the alert that names the cause. Like
/// nginx's lingering close: send FIN, then read and discard for a bounded time and volume.
async fn linger_close(mut tcp: TcpStream) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    const LINGER: std::time::Duration = std::time::Duration::from_millis(500);
    const MAX_DISCARD: usize = 64 * 1024;
    let _ = tcp.shutdown().await;
    let until = tokio::time::Instant::now() + LINGER;
    let mut buf = [0u8; 4096];
    let mut discarded = 0;
    while discarded < MAX_DISCARD {
        match tokio::time::timeout_at(until, tcp.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => discarded += n,
            _ => break,
        }
    }
}

/// How the first phase of a connection ended.
enum Accepted {
    /// A completed TLS handshake, and the SNI the client sent.
    Tls(
        Box<tokio_rustls::server::TlsStream<TcpStream>>,
        Option<String>,
    ),
    /// Plain text on the TLS port.
    Plain(TcpStream),
    /// Closed, timed out or rejected (already logged and counted).
    Done,
}

/// Serves one accepted TCP connection to the end, in two boxed phases: the handshake's state
/// (rustls acceptor, ClientHello, timeouts) is large and short-lived, so an idle keep-alive
/// connection keeps only the HTTP phase's state (the task itself stays a few hundred bytes).
pub(crate) async fn serve_connection(
    shared: Arc<Shared>,
    tcp: TcpStream,
    peer: SocketAddr,
    watcher: hyper_util::server::graceful::Watcher,
) {
    match Box::pin(accept(&shared, tcp, peer)).await {
        Accepted::Tls(tls, sni) => {
            let (session, live_id) = http_session(&shared, tls, sni, peer, watcher);
            session.await;
            if let Some(id) = live_id {
                shared.live.remove(id);
            }
        }
        Accepted::Plain(tcp) => Box::pin(serve_plain(shared, tcp, peer, watcher)).await,
        Accepted::Done => {}
    }
}

/// Detect (TLS or plain) and handshake, within the handshake timeout.
async fn accept(shared: &Shared, tcp: TcpStream, peer: SocketAddr) -> Accepted {
    let loaded = shared.loaded.load_full();
    let deadline = tokio::time::Instant::now() + loaded.limits.handshake_timeout();
    let _ = tcp.set_nodelay(true);
    match tokio::time::timeout_at(deadline, first_byte(&tcp)).await {
        Ok(Ok(FirstByte::Tls)) => {}
        Ok(Ok(FirstByte::Plain)) => return Accepted::Plain(tcp),
        _ => return Accepted::Done,
    }
    let start = match tokio::time::timeout_at(
        deadline,
        LazyConfigAcceptor::new(rustls::server::Acceptor::default(), tcp),
    )
    .await
    {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            handshake_failed(shared, peer, None, &e);
            return Accepted::Done;
        }
        Err(_) => return Accepted::Done,
    };
    let sni = start.client_hello().server_name().map(str::to_string);
    let cfg = loaded.tls.for_sni(sni.as_deref());
    match tokio::time::timeout_at(deadline, start.into_stream(cfg).into_fallible()).await {
        Ok(Ok(t)) => Accepted::Tls(Box::new(t), sni),
        Ok(Err((e, tcp))) => {
            handshake_failed(shared, peer, sni.as_deref(), &e);
            linger_close(tcp).await;
            Accepted::Done
        }
        Err(_) => Accepted::Done,
    }
}

/// The HTTP/1.1 or HTTP/2 session (as ALPN chose) of an established TLS connection, and its entry
/// among the live connections. Built synchronously so that nothing but the session itself stays
/// allocated while the connection lives.
fn http_session(
    shared: &Arc<Shared>,
    tls: Box<tokio_rustls::server::TlsStream<TcpStream>>,
    sni: Option<String>,
    peer: SocketAddr,
    watcher: hyper_util::server::graceful::Watcher,
) -> (Pin<Box<dyn Future<Output = ()> + Send>>, Option<u64>) {
    let tls = *tls;
    let limits = shared.loaded.load().limits.clone();
    let (_, sc) = tls.get_ref();
    let alpn_h2 = sc.alpn_protocol() == Some(b"h2");
    let chain: Option<Arc<Vec<CertificateDer<'static>>>> = sc
        .peer_certificates()
        .filter(|c| !c.is_empty())
        .map(|c| Arc::new(c.iter().map(|d| d.clone().into_owned()).collect()));
    let identity = chain
        .as_ref()
        .and_then(|c| ClientIdentity::from_leaf(&c[0]))
        .map(Arc::new);
    shared.observer.handshake(&HandshakeEvent {
        peer,
        sni: sni.as_deref(),
        version: sc.protocol_version(),
        resumed: sc.handshake_kind() == Some(rustls::HandshakeKind::Resumed),
        outcome: Ok(()),
        identity: identity.as_deref(),
    });
    let conn = Arc::new(Conn {
        peer,
        sni,
        chain: chain.clone(),
        identity: identity.clone(),
        verdicts: Mutex::new(Vec::new()),
        headers: Mutex::new(None),
    });
    let kill = Arc::new(Notify::new());
    let live_id = chain.map(|chain| {
        shared.live.add(super::listener::LiveEntry {
            chain,
            identity,
            peer,
            kill: kill.clone(),
        })
    });

    let svc_shared = shared.clone();
    let service = service_fn(move |req| {
        let shared = svc_shared.clone();
        let conn = conn.clone();
        // Boxed: hyper keeps room for one request future per connection for the connection's
        // whole life; a box there costs a pointer while the connection is idle.
        Box::pin(async move { Ok::<_, Infallible>(handle(&shared, &conn, req).await) })
    });
    // ALPN decided the protocol: serve it directly (no preface sniffing, no rewind buffer kept
    // for the life of the connection).
    let io = TokioIo::new(tls);
    if alpn_h2 {
        let conn = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
            .timer(TokioTimer::new())
            .max_header_list_size(limits.max_header_bytes as u32)
            .max_concurrent_streams(128)
            .keep_alive_interval(Some(limits.header_timeout()))
            .serve_connection(io, service);
        // Each protocol's connection boxed on its own: inline, every HTTP/1.1 connection would
        // carry room for the larger HTTP/2 state.
        (Box::pin(until_killed(watcher.watch(conn), kill)), live_id)
    } else {
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout())
            .max_buf_size(limits.max_header_bytes.max(8192))
            // Responses are copied into hyper's one write buffer before rustls encrypts them
            // (which copies anyway): no queue of body chunks kept per idle connection.
            .writev(false)
            .serve_connection(io, service);
        (Box::pin(until_killed(watcher.watch(conn), kill)), live_id)
    }
}

/// Runs a connection until it ends or a CRL reload revokes its certificate.
async fn until_killed(conn: impl Future, kill: Arc<Notify>) {
    tokio::select! {
        _ = conn => {}
        _ = kill.notified() => {}
    }
}

fn handshake_failed(shared: &Shared, peer: SocketAddr, sni: Option<&str>, e: &std::io::Error) {
    let code = if e.kind() == std::io::ErrorKind::InvalidData && sni.is_none() {
        // Bytes that started like a TLS record but were not a ClientHello.
        match code_of_handshake_error(e) {
            Code::HandshakeAlert => Code::HandshakeNotTls,
            c => c,
        }
    } else {
        code_of_handshake_error(e)
    };
    tracing::warn!(
        target: "certgate::gateway",
        event = "handshake_rejected",
        code = %code,
        client_ip = %peer.ip(),
        sni = sni.unwrap_or(""),
        detail = %e,
        "TLS handshake rejected"
    );
    shared.observer.handshake(&HandshakeEvent {
        peer,
        sni,
        version: None,
        resumed: false,
        outcome: Err(code),
        identity: None,
    });
}

/// Plain HTTP on the TLS port: every request gets 497 (parsed by hyper, so any verb works).
async fn serve_plain(
    shared: Arc<Shared>,
    tcp: TcpStream,
    peer: SocketAddr,
    watcher: hyper_util::server::graceful::Watcher,
) {
    let limits = shared.loaded.load().limits.clone();
    shared.observer.handshake(&HandshakeEvent {
        peer,
        sni: None,
        version: None,
        resumed: false,
        outcome: Err(Code::HandshakeNotTls),
        identity: None,
    });
    let svc_shared = shared.clone();
    let service = service_fn(move |req: Request<Incoming>| {
        let shared = svc_shared.clone();
        async move {
            let loaded = shared.loaded.load();
            let host = req
                .headers()
                .get(http::header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("this-host")
                .to_string();
            let finding = Finding::new(
                Code::HttpPlainToTls,
                Side::Client,
                format!(
                    "a plain HTTP request ({} {}) was sent to this TLS port; use https://{host}{}",
                    req.method(),
                    req.uri().path(),
                    req.uri().path()
                ),
            );
            log_rejection(peer, None, None, 497, &finding);
            shared.observer.request(&RequestEvent {
                peer,
                sni: None,
                route: None,
                status: 497,
                code: Some(Code::HttpPlainToTls),
                identity: None,
                upstream_latency: None,
            });
            Ok::<_, Infallible>(respond::reject(
                &Rejection {
                    status: 497,
                    finding: &finding,
                    accepted_issuers: vec![],
                    nginx_compat: loaded.nginx_compat,
                },
                req.headers(),
            ))
        }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout())
        .max_buf_size(limits.max_header_bytes.max(8192))
        .keep_alive(false)
        .serve_connection(TokioIo::new(tcp), service);
    let _ = watcher.watch(conn).await;
}

/// One request: strip → route → policy → forward or respond.
async fn handle(shared: &Shared, conn: &Conn, mut req: Request<Incoming>) -> Response<Body> {
    // First, always: nothing the client sends may pose as the gateway's identity headers.
    strip_identity_headers(req.headers_mut());
    let loaded = shared.loaded.load_full();
    let path = req.uri().path().to_string();
    let Some(route) = select(&loaded.routes, conn.sni.as_deref(), &path) else {
        shared.observer.request(&RequestEvent {
            peer: conn.peer,
            sni: conn.sni.as_deref(),
            route: None,
            status: 404,
            code: None,
            identity: conn.identity.as_deref(),
            upstream_latency: None,
        });
        return respond::no_route(&path, loaded.nginx_compat);
    };
    let label = route.label();
    let cert = conn.client_cert(route, loaded.generation);
    let cert = crate::ocsp::recheck(route, conn.chain.as_deref().map(Vec::as_slice), cert).await;
    let reject = |status: u16, finding: &Finding, req: &Request<Incoming>| {
        log_rejection(
            conn.peer,
            conn.sni.as_deref(),
            Some(&label),
            status,
            finding,
        );
        shared.observer.request(&RequestEvent {
            peer: conn.peer,
            sni: conn.sni.as_deref(),
            route: Some(&label),
            status,
            code: Some(finding.code),
            identity: conn.identity.as_deref(),
            upstream_latency: None,
        });
        respond::reject(
            &Rejection {
                status,
                finding,
                accepted_issuers: if matches!(status, 495 | 496) {
                    route.trust.issuer_names()
                } else {
                    vec![]
                },
                nginx_compat: loaded.nginx_compat,
            },
            req.headers(),
        )
    };
    let h2 = req.version() == http::Version::HTTP_2;
    // What the error page needs from the request (format and client ecosystem), kept before the
    // request is handed to the upstream.
    let mut answer_hints = http::HeaderMap::new();
    for h in [http::header::ACCEPT, http::header::USER_AGENT] {
        if let Some(v) = req.headers().get(&h) {
            answer_hints.insert(h, v.clone());
        }
    }
    let mut resp = match decide(route, &cert) {
        Decision::Reject { status, finding } => reject(status, &finding, &req),
        Decision::Forward { verify, identity } => {
            conn.identity_headers(&loaded.formats).apply(
                req.headers_mut(),
                &verify,
                identity.is_some(),
            );
            let started = Instant::now();
            match loaded.upstream.proxy(req, &route.upstream).await {
                Ok(resp) => {
                    shared.observer.request(&RequestEvent {
                        peer: conn.peer,
                        sni: conn.sni.as_deref(),
                        route: Some(&label),
                        status: resp.status().as_u16(),
                        code: None,
                        identity: conn.identity.as_deref(),
                        upstream_latency: Some(started.elapsed()),
                    });
                    resp
                }
                Err((status, finding)) => {
                    let finding = finding.with("route", label.clone());
                    log_rejection(
                        conn.peer,
                        conn.sni.as_deref(),
                        Some(&label),
                        status,
                        &finding,
                    );
                    shared.observer.request(&RequestEvent {
                        peer: conn.peer,
                        sni: conn.sni.as_deref(),
                        route: Some(&label),
                        status,
                        code: Some(finding.code),
                        identity: conn.identity.as_deref(),
                        upstream_latency: Some(started.elapsed()),
                    });
                    respond::reject(
                        &Rejection {
                            status,
                            finding: &finding,
                            accepted_issuers: vec![],
                            nginx_compat: loaded.nginx_compat,
                        },
                        &answer_hints,
                    )
                }
            }
        }
    };
    if h2 {
        // Connection-specific headers are not allowed in HTTP/2 (RFC 9113 §8.2.2).
        resp.headers_mut().remove(http::header::CONNECTION);
    }
    resp
}

/// The structured log line of a rejected request (DESIGN.md §4: IP, SNI, route, code, cert facts).
fn log_rejection(
    peer: SocketAddr,
    sni: Option<&str>,
    route: Option<&str>,
    status: u16,
    f: &Finding,
) {
    let ev = |k: &str| {
        f.evidence
            .get(k)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    };
    tracing::warn!(
        target: "certgate::gateway",
        event = "request_rejected",
        code = %f.code,
        status,
        client_ip = %peer.ip(),
        sni = sni.unwrap_or(""),
        route = route.unwrap_or(""),
        subject = %ev("subject"),
        issuer = %ev("issuer"),
        serial = %ev("serial"),
        not_after = %ev("not_after"),
        detail = %f.detail,
        "request rejected"
    );
}
