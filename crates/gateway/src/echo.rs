//! The built-in echo upstream: a plain-HTTP server that answers every request with a JSON
//! description of what it received — method, path, headers, and the identity the gateway
//! forwarded. `certgate serve` puts it behind the demo gateway; tests use its record of requests
//! to prove what did (and did not) reach the upstream.

use crate::respond::full;
use http::{Request, Response};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{json, Map, Value};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;

/// One request as the upstream saw it.
#[derive(Clone, Debug)]
pub struct SeenRequest {
    /// Method.
    pub method: String,
    /// Path and query.
    pub path: String,
    /// Headers, lowercase names, in arrival order.
    pub headers: Vec<(String, String)>,
}

impl SeenRequest {
    /// Every value of header `name`.
    pub fn header(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// A running echo upstream.
pub struct Echo {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<SeenRequest>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Echo {
    /// Starts on `addr` (port 0 picks one).
    pub async fn start(addr: SocketAddr) -> std::io::Result<Echo> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let seen: Arc<Mutex<Vec<SeenRequest>>> = Arc::default();
        let rec = seen.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let rec = rec.clone();
                tokio::spawn(async move {
                    let svc = service_fn(move |req: Request<Incoming>| {
                        let rec = rec.clone();
                        async move { Ok::<_, Infallible>(answer(&rec, req)) }
                    });
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(tcp), svc)
                        .await;
                });
            }
        });
        Ok(Echo { addr, seen, task })
    }

    /// Its address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`, for a gateway's `upstream`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<SeenRequest> {
        self.seen.lock().expect("echo lock").clone()
    }

    /// How many requests were received.
    pub fn count(&self) -> usize {
        self.seen.lock().expect("echo lock").len()
    }
}

impl Drop for Echo {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn answer(rec: &Mutex<Vec<SeenRequest>>, req: Request<Incoming>) -> Response<crate::respond::Body> {
    let seen = SeenRequest {
        method: req.method().to_string(),
        path: req
            .uri()
            .path_and_query()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        headers: req
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
    };
    let mut headers = Map::new();
    for (k, v) in &seen.headers {
        headers.insert(k.clone(), Value::String(v.clone()));
    }
    let id = |k: &str| seen.header(k).first().map(|s| s.to_string());
    let body = json!({
        "echo": "certgate echo upstream: this is what the gateway forwarded",
        "method": seen.method,
        "path": seen.path,
        "client_identity": {
            "verify": id("x-ssl-client-verify"),
            "subject": id("x-ssl-client-s-dn"),
            "issuer": id("x-ssl-client-i-dn"),
            "serial": id("x-ssl-client-serial"),
            "sha256": id("x-ssl-client-fingerprint"),
            "xfcc": id("x-forwarded-client-cert"),
        },
        "headers": headers,
    });
    rec.lock().expect("echo lock").push(seen);
    let mut resp = Response::new(full(
        serde_json::to_string_pretty(&body).unwrap_or_default() + "\n",
    ));
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    resp
}
