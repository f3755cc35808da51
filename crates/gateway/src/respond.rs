//! The one place that renders the gateway's own answers: 495/496/497/403/404/502/504 as JSON (or
//! an HTML page for browsers, or nginx's 400 pages with `--nginx-compat`). Wording comes from the
//! finding and core's knowledge base; the exact reason phrases (`496 SSL Certificate Required`)
//! go on the HTTP/1 status line through hyper's `ReasonPhrase` extension.

use certgate_core::{Code, Ecosystem, Finding};
use http::header::{HeaderValue, CONNECTION, CONTENT_TYPE};
use http::{HeaderMap, Response, StatusCode};
use http_body_util::{combinators::BoxBody, BodyExt, Full};
use hyper::body::Bytes;
use hyper::ext::ReasonPhrase;
use serde_json::{json, Map, Value};

/// The response body type of every gateway response (own answers and proxied ones).
pub type Body = BoxBody<Bytes, hyper::Error>;

/// A body from bytes.
pub fn full(b: impl Into<Bytes>) -> Body {
    Full::new(b.into()).map_err(|never| match never {}).boxed()
}

/// The reason phrase of a status, including nginx's non-standard 49x codes.
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        495 => "SSL Certificate Error",
        496 => "SSL Certificate Required",
        497 => "HTTP Request Sent to HTTPS Port",
        s => StatusCode::from_u16(s)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("Error"),
    }
}

/// Everything a rejection answer shows.
pub struct Rejection<'a> {
    /// HTTP status (403, 495, 496, 497, 502, 504, 404).
    pub status: u16,
    /// The finding: code, detail, evidence.
    pub finding: &'a Finding,
    /// CA names the route accepts (shown for 495/496).
    pub accepted_issuers: Vec<String>,
    /// Answer like nginx's defaults.
    pub nginx_compat: bool,
}

/// Renders a rejection for a request with headers `req`.
pub fn reject(r: &Rejection<'_>, req: &HeaderMap) -> Response<Body> {
    let close = matches!(r.status, 495..=497);
    let mut resp = if r.nginx_compat {
        nginx_page(r)
    } else if wants_html(req) {
        html_page(r, client_ecosystem(req))
    } else {
        let body = json_body(r, client_ecosystem(req));
        let mut resp = Response::new(full(
            serde_json::to_string_pretty(&body).unwrap_or_default() + "\n",
        ));
        *resp.status_mut() = status(r.status);
        resp.headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        resp
    };
    if !r.nginx_compat {
        resp.extensions_mut().insert(ReasonPhrase::from_static(
            reason_phrase(r.status).as_bytes(),
        ));
    }
    if let Ok(v) = HeaderValue::from_str(r.finding.code.as_str()) {
        resp.headers_mut().insert("x-certgate-code", v);
    }
    if close {
        // Like nginx: the client must reconnect (with a certificate, or over TLS) to succeed.
        resp.headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
    }
    resp
}

fn status(s: u16) -> StatusCode {
    StatusCode::from_u16(s).unwrap_or(StatusCode::BAD_REQUEST)
}

/// The JSON error body of DESIGN.md §4.
pub fn json_body(r: &Rejection<'_>, eco: Option<Ecosystem>) -> Value {
    let f = r.finding;
    let mut m = Map::new();
    m.insert(
        "error".into(),
        format!("{}: {}", reason_phrase(r.status), f.detail).into(),
    );
    m.insert("code".into(), f.code.as_str().into());
    m.insert("status".into(), r.status.into());
    m.insert("title".into(), f.code.title().into());
    m.insert("detail".into(), f.detail.clone().into());
    m.insert(
        "fix".into(),
        match eco {
            Some(e) => f.code.fix_for(e),
            None => f.code.fix(),
        }
        .into(),
    );
    if let Some(e) = eco {
        m.insert("client".into(), e.as_str().into());
    }
    m.insert("explanation".into(), f.code.knowledge().explanation.into());
    if matches!(r.status, 495 | 496) || !r.accepted_issuers.is_empty() {
        m.insert("accepted_issuers".into(), json!(r.accepted_issuers));
    }
    let mut cert = Map::new();
    for k in ["subject", "issuer", "serial", "not_after"] {
        if let Some(v) = f.evidence.get(k) {
            cert.insert(k.into(), v.clone());
        }
    }
    if !cert.is_empty() {
        m.insert("client_certificate".into(), Value::Object(cert));
    }
    if let Some(route) = f.evidence.get("route") {
        m.insert("route".into(), route.clone());
    }
    Value::Object(m)
}

fn wants_html(req: &HeaderMap) -> bool {
    req.get_all(http::header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("text/html"))
}

/// Guesses the client's ecosystem from its User-Agent, to pick the most useful fix.
pub fn client_ecosystem(req: &HeaderMap) -> Option<Ecosystem> {
    let ua = req
        .get(http::header::USER_AGENT)?
        .to_str()
        .ok()?
        .to_ascii_lowercase();
    Some(if ua.starts_with("curl/") {
        Ecosystem::Curl
    } else if ua.starts_with("python-requests") {
        Ecosystem::PythonRequests
    } else if ua.starts_with("axios") || ua.starts_with("node") || ua.contains("undici") {
        Ecosystem::Node
    } else if ua.starts_with("go-http-client") {
        Ecosystem::Go
    } else if ua.starts_with("java") || ua.starts_with("okhttp") || ua.contains("apache-httpclient")
    {
        Ecosystem::Java
    } else if ua.contains("php") || ua.contains("guzzle") {
        Ecosystem::PhpCurl
    } else {
        return None;
    })
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn html_page(r: &Rejection<'_>, eco: Option<Ecosystem>) -> Response<Body> {
    let j = json_body(r, eco);
    let s = |k: &str| {
        j.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let issuers = r
        .accepted_issuers
        .iter()
        .map(|i| format!("<li>{}</li>", esc(i)))
        .collect::<String>();
    let body = format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{status} {reason}</title>\
         <style>body{{font-family:sans-serif;max-width:46em;margin:2em auto;line-height:1.4}}code{{background:#eee;padding:0 .2em}}</style></head>\n\
         <body><h1>{status} {reason}</h1>\n<p><strong>{title}</strong> (<code>{code}</code>)</p>\n<p>{detail}</p>\n\
         <h2>Why</h2><p>{expl}</p>\n<h2>How to fix it</h2><p>{fix}</p>\n{issuers}<hr><p>certgate</p></body></html>\n",
        status = r.status,
        reason = esc(reason_phrase(r.status)),
        title = esc(&s("title")),
        code = esc(&s("code")),
        detail = esc(&s("detail")),
        expl = esc(&s("explanation")),
        fix = esc(&s("fix")),
        issuers = if issuers.is_empty() {
            String::new()
        } else {
            format!("<h2>Accepted certificate issuers</h2><ul>{issuers}</ul>\n")
        },
    );
    let mut resp = Response::new(full(body));
    *resp.status_mut() = status(r.status);
    resp.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    resp
}

/// nginx 1.22's built-in pages (research/nginx-baseline.md §3.3): 400 for every 49x, CRLF lines.
fn nginx_page(r: &Rejection<'_>) -> Response<Body> {
    let (code, head, text) = match r.status {
        496 => (
            400,
            "400 Bad Request",
            "No required SSL certificate was sent",
        ),
        495 => (400, "400 Bad Request", "The SSL certificate error"),
        497 => (
            400,
            "400 Bad Request",
            "The plain HTTP request was sent to HTTPS port",
        ),
        403 => (403, "403 Forbidden", ""),
        404 => (404, "404 Not Found", ""),
        502 => (502, "502 Bad Gateway", ""),
        504 => (504, "504 Gateway Time-out", ""),
        s => (s, "400 Bad Request", ""),
    };
    let title = if text.is_empty() {
        head.to_string()
    } else {
        format!("400 {text}")
    };
    let mut body = format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{head}</h1></center>\r\n"
    );
    if !text.is_empty() {
        body += &format!("<center>{text}</center>\r\n");
    }
    body += "<hr><center>certgate</center>\r\n</body>\r\n</html>\r\n";
    let mut resp = Response::new(full(body));
    *resp.status_mut() = status(code);
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/html"));
    resp
}

/// A 404 for a request no route matches (not a certificate problem, so no reason code wins).
pub fn no_route(path: &str, nginx_compat: bool) -> Response<Body> {
    if nginx_compat {
        let f = Finding::new(Code::Ok, certgate_core::Side::Client, "");
        return nginx_page(&Rejection {
            status: 404,
            finding: &f,
            accepted_issuers: vec![],
            nginx_compat,
        });
    }
    let body = json!({
        "error": format!("Not Found: no route serves {path}"),
        "status": 404,
        "title": "No route",
        "detail": format!("no configured route matches the path {path} for this host"),
        "fix": "Check the URL path, or add a route for it to the gateway's configuration.",
    });
    let mut resp = Response::new(full(serde_json::to_vec_pretty(&body).unwrap_or_default()));
    *resp.status_mut() = StatusCode::NOT_FOUND;
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}
