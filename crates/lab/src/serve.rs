//! The endpoints: accept loops for rustls scenarios, plain HTTP, the silent port, relays to
//! `openssl s_server` children and to the in-process gateway, and the lab's own HTTP server for
//! the CRL and the OCSP responder (an `openssl ocsp` child). Every connection is bounded in time
//! and ends when the lab shuts down.

use crate::LabError;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, Command};
use tokio::sync::watch;

/// Longest a client may take to finish a handshake and send its request head.
const CLIENT_DEADLINE: Duration = Duration::from_secs(15);
/// Longest the silent endpoint holds a connection open.
const SILENT_HOLD: Duration = Duration::from_secs(120);
/// Largest request head read before answering anyway.
const MAX_HEAD: usize = 16 * 1024;

/// What one accept loop does with each connection.
#[derive(Clone)]
pub enum Handler {
    /// rustls handshake, then a 200 JSON answer naming the scenario.
    Tls {
        acceptor: tokio_rustls::TlsAcceptor,
        body: Arc<str>,
    },
    /// A plain HTTP server: 200 to HTTP requests, 400 to anything else (e.g. a ClientHello).
    PlainHttp { body: Arc<str> },
    /// Accept and never answer.
    Silent,
    /// Copy bytes both ways to a local child process or the lab's gateway.
    Relay(SocketAddr),
    /// Serve static files over plain HTTP: `(path, content type, bytes)`; any other request
    /// goes to `ocsp` (the OCSP responder, which takes POST / and GET /BASE64) when there is one.
    Files {
        files: Arc<Vec<(String, &'static str, Vec<u8>)>>,
        ocsp: Option<SocketAddr>,
    },
}

/// Runs the accept loop on `listener` until `stop` turns true.
pub async fn accept_loop(listener: TcpListener, handler: Handler, mut stop: watch::Receiver<bool>) {
    loop {
        let tcp = tokio::select! {
            r = listener.accept() => match r {
                Ok((tcp, _)) => tcp,
                Err(e) => {
                    tracing::debug!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stop.changed() => return,
        };
        let handler = handler.clone();
        let mut stop = stop.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = handle(tcp, handler) => {}
                _ = stop.changed() => {}
            }
        });
    }
}

async fn handle(tcp: TcpStream, handler: Handler) {
    match handler {
        Handler::Tls { acceptor, body } => {
            let accept = acceptor.accept(tcp).into_fallible();
            match tokio::time::timeout(CLIENT_DEADLINE, accept).await {
                Ok(Ok(tls)) => {
                    answer(tls, |_| {
                        (200, "OK", "application/json", body.as_bytes().to_vec())
                    })
                    .await;
                }
                // A rejection (client-certificate alert, bad hello) is the point of the scenario
                // and rustls has already written the alert. Close gently: dropping a socket with
                // unread bytes (a TLS 1.3 client's early request) sends a RST, which can destroy
                // the alert before the client reads it.
                Ok(Err((_, tcp))) => linger_close(tcp).await,
                Err(_) => {}
            }
        }
        Handler::PlainHttp { body } => {
            answer(tcp, |head| {
                if looks_like_http(head) {
                    (200, "OK", "application/json", body.as_bytes().to_vec())
                } else {
                    // What nginx and most plain servers do with a TLS ClientHello.
                    (
                        400,
                        "Bad Request",
                        "text/plain",
                        b"this port speaks plain HTTP, not TLS\n".to_vec(),
                    )
                }
            })
            .await;
        }
        Handler::Silent => {
            let mut tcp = tcp;
            let mut sink = [0u8; 4096];
            let _ = tokio::time::timeout(SILENT_HOLD, async {
                while matches!(tcp.read(&mut sink).await, Ok(n) if n > 0) {}
            })
            .await;
        }
        Handler::Relay(to) => {
            let Ok(mut up) = TcpStream::connect(to).await else {
                return;
            };
            let mut tcp = tcp;
            let _ = tokio::time::timeout(
                SILENT_HOLD,
                tokio::io::copy_bidirectional(&mut tcp, &mut up),
            )
            .await;
        }
        Handler::Files { files, ocsp } => {
            let mut tcp = tcp;
            let Some(head) = read_head(&mut tcp).await else {
                return;
            };
            let path = request_path(&head);
            let (status, reason, ctype, body) = match files.iter().find(|(p, _, _)| *p == path) {
                Some((_, ctype, bytes)) => (200, "OK", *ctype, bytes.clone()),
                None => match ocsp {
                    Some(to) => return relay_with(tcp, &head, to).await,
                    None => (404, "Not Found", "text/plain", b"not found\n".to_vec()),
                },
            };
            write_answer(tcp, status, reason, ctype, &body).await;
        }
    }
}

/// Forwards a request whose first bytes were already read to `to`, then relays both ways.
async fn relay_with(mut tcp: TcpStream, first: &[u8], to: SocketAddr) {
    let Ok(mut up) = TcpStream::connect(to).await else {
        return;
    };
    if up.write_all(first).await.is_err() {
        return;
    }
    let _ = tokio::time::timeout(
        CLIENT_DEADLINE,
        tokio::io::copy_bidirectional(&mut tcp, &mut up),
    )
    .await;
}

/// Sends FIN, then reads and discards what the client still sends for a moment, so that the
/// kernel never answers unread data with a RST.
async fn linger_close(mut tcp: TcpStream) {
    let _ = tcp.shutdown().await;
    let mut sink = [0u8; 4096];
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        while matches!(tcp.read(&mut sink).await, Ok(n) if n > 0) {}
    })
    .await;
}

/// Reads a request head (bounded in size and time), then writes one HTTP/1.1 answer and closes.
async fn answer<S, F>(mut s: S, respond: F)
where
    S: AsyncRead + AsyncWrite + Unpin,
    F: FnOnce(&[u8]) -> (u16, &'static str, &'static str, Vec<u8>),
{
    let Some(head) = read_head(&mut s).await else {
        return;
    };
    let (status, reason, ctype, body) = respond(&head);
    write_answer(s, status, reason, ctype, &body).await;
}

/// The bytes of a request head (or of whatever the client sent first that is not HTTP),
/// bounded in size and time; `None` when nothing arrived in time.
async fn read_head<S: AsyncRead + Unpin>(s: &mut S) -> Option<Vec<u8>> {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 2048];
    let read = tokio::time::timeout(CLIENT_DEADLINE, async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => head.extend_from_slice(&buf[..n]),
            }
            if head.windows(4).any(|w| w == b"\r\n\r\n")
                || head.len() >= MAX_HEAD
                || !looks_like_http(&head)
            {
                return;
            }
        }
    })
    .await;
    (read.is_ok() && !head.is_empty()).then_some(head)
}

/// Writes one HTTP/1.1 answer and closes.
async fn write_answer<S: AsyncWrite + Unpin>(
    mut s: S,
    status: u16,
    reason: &str,
    ctype: &str,
    body: &[u8],
) {
    let mut out = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    let _ = s.write_all(&out).await;
    let _ = s.shutdown().await;
}

fn looks_like_http(head: &[u8]) -> bool {
    let methods: [&[u8]; 7] = [
        b"GET ",
        b"HEAD ",
        b"POST ",
        b"PUT ",
        b"DELETE ",
        b"OPTIONS ",
        b"PATCH ",
    ];
    methods
        .iter()
        .any(|m| head.starts_with(m) || (head.len() < m.len() && m.starts_with(head)))
}

fn request_path(head: &[u8]) -> String {
    let line = head.split(|b| *b == b'\r').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let path = line.split(' ').nth(1).unwrap_or("/");
    path.split('?').next().unwrap_or("/").to_string()
}

/// An `openssl s_server` child and the loopback address it listens on.
pub struct SServer {
    pub child: Child,
    pub addr: SocketAddr,
}

/// Starts `openssl s_server -accept 127.0.0.1:0 ARGS -www` and waits for its `ACCEPT` line.
pub async fn spawn_s_server(args: &[String]) -> Result<SServer, LabError> {
    let mut child = Command::new("openssl")
        .arg("s_server")
        .args(["-accept", "127.0.0.1:0", "-www"])
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| LabError::Openssl(format!("cannot start `openssl s_server`: {e}")))?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let found = announced(stdout, |line| {
        line.strip_prefix("ACCEPT ")
            .and_then(|a| a.trim().parse::<SocketAddr>().ok())
    })
    .await;
    let Some(addr) = found else {
        let _ = child.kill().await;
        return Err(LabError::Openssl(format!(
            "`openssl s_server {}` did not start listening",
            args.join(" ")
        )));
    };
    Ok(SServer { child, addr })
}

/// Starts `openssl ocsp` as a responder in `dir` (which holds `index.txt`, `issuing-ca.pem` and
/// `issuing-ca.key`) on a free loopback port, and waits until it listens.
pub async fn spawn_ocsp_responder(dir: &std::path::Path) -> Result<(Child, SocketAddr), LabError> {
    // `openssl ocsp -port 0` cannot say which port it got: take a free one and hand it over.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| LabError::Internal(format!("no free port for the OCSP responder: {e}")))?;
    let mut child = Command::new("openssl")
        .current_dir(dir)
        .args(["ocsp", "-index", "index.txt", "-CA", "issuing-ca.pem"])
        .args(["-rsigner", "issuing-ca.pem", "-rkey", "issuing-ca.key"])
        // -ignore_err: a malformed request must not end the responder; -timeout: a
        // connection that sends nothing must not wedge it (it serves one at a time).
        .args(["-nmin", "60", "-ignore_err", "-timeout", "5"])
        .args(["-port", &addr.port().to_string()])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| LabError::Openssl(format!("cannot start `openssl ocsp`: {e}")))?;
    let stderr = child.stderr.take().expect("stderr is piped");
    // Connecting to probe readiness would occupy the single-threaded responder: wait for its line.
    let ready = announced(stderr, |line| {
        line.contains("waiting for OCSP client connections")
            .then_some(())
    })
    .await;
    if ready.is_none() {
        let _ = child.kill().await;
        return Err(LabError::Openssl(format!(
            "`openssl ocsp -port {}` did not start listening",
            addr.port()
        )));
    }
    Ok((child, addr))
}

/// Reads a child's output until `pick` finds what it announces (its address, that it is ready),
/// for at most 20 s; then keeps draining the pipe in the background so the child never blocks on
/// a full one.
async fn announced<R, T>(out: R, pick: impl Fn(&str) -> Option<T>) -> Option<T>
where
    R: tokio::io::AsyncRead + Unpin + Send + 'static,
{
    use tokio::io::AsyncBufReadExt;
    let mut lines = tokio::io::BufReader::new(out).lines();
    let found = tokio::time::timeout(Duration::from_secs(20), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(t) = pick(&line) {
                return Some(t);
            }
        }
        None
    })
    .await
    .ok()
    .flatten();
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    found
}
