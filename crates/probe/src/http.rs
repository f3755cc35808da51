//! One HTTP request over an established connection (HTTP/1.1, or HTTP/2 when ALPN chose it), and
//! the reading of error answers: certgate's 495/496/497/403/502/504 JSON bodies and nginx's fixed
//! 400 pages, each mapped to the reason code it stands for.

use certgate_core::evidence::{ErrorBodyStyle, HttpAnswer};
use certgate_core::Code;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};

/// The largest body read into memory (doctor only needs the start of error bodies).
pub const MAX_BODY: usize = 8 * 1024 * 1024;

/// Why no HTTP answer came.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// No answer within the time limit.
    #[error("no HTTP answer within {0} ms")]
    Timeout(u64),
    /// The exchange failed; the source may hold a TLS alert.
    #[error("HTTP exchange failed: {0}")]
    Exchange(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// A received response with its whole body (up to [`MAX_BODY`]).
#[derive(Clone, Debug)]
pub struct Response {
    pub status: u16,
    pub version: http::Version,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

/// Sends `req` over `io` and reads the response, within `timeout`.
pub async fn send<IO>(
    io: IO,
    h2: bool,
    req: http::Request<Full<Bytes>>,
    timeout: Duration,
) -> Result<Response, HttpError>
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let exchange = async move {
        let io = TokioIo::new(io);
        let resp = if h2 {
            let (mut sender, conn) =
                hyper::client::conn::http2::handshake(TokioExecutor::new(), io).await?;
            tokio::spawn(conn);
            sender.send_request(req).await?
        } else {
            let (mut sender, conn) = hyper::client::conn::http1::handshake(io).await?;
            tokio::spawn(conn);
            sender.send_request(req).await?
        };
        let (parts, body) = resp.into_parts();
        let body = Limited::new(body, MAX_BODY)
            .collect()
            .await
            .map(|c| c.to_bytes())
            .unwrap_or_default();
        Ok::<_, hyper::Error>(Response {
            status: parts.status.as_u16(),
            version: parts.version,
            headers: parts.headers,
            body,
        })
    };
    match tokio::time::timeout(timeout, exchange).await {
        Err(_) => Err(HttpError::Timeout(timeout.as_millis() as u64)),
        Ok(Err(e)) => Err(HttpError::Exchange(Box::new(e))),
        Ok(Ok(r)) => Ok(r),
    }
}

/// nginx's fixed 400 texts for client-certificate and plain-HTTP errors (ngx_http_special_response.c).
const NGINX_TEXTS: [(&str, Code); 3] = [
    (
        "No required SSL certificate was sent",
        Code::ClientCertRequired,
    ),
    ("The SSL certificate error", Code::ClientCertRejected),
    (
        "The plain HTTP request was sent to HTTPS port",
        Code::HttpPlainToTls,
    ),
];

/// Reads a response as evidence: status, server, and the reason code its body names.
pub fn answer(r: &Response) -> HttpAnswer {
    let text = String::from_utf8_lossy(&r.body[..r.body.len().min(64 * 1024)]);
    let mut style = ErrorBodyStyle::Other;
    let mut body_code = None;
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
        if let Some(c) = v.get("code").and_then(|c| c.as_str()) {
            if let Ok(code) = c.parse::<Code>() {
                body_code = Some(code);
                style = ErrorBodyStyle::Certgate;
            }
        }
    }
    if body_code.is_none() {
        if let Some((_, code)) = NGINX_TEXTS.iter().find(|(t, _)| text.contains(t)) {
            body_code = Some(*code);
            style = ErrorBodyStyle::Nginx;
        }
    }
    if body_code.is_none() && text.contains("certgate") {
        // certgate's HTML pages carry the code as `<code>area.name</code>`.
        body_code = Code::ALL
            .iter()
            .copied()
            .find(|c| *c != Code::Ok && text.contains(&format!(">{}<", c.as_str())));
        if body_code.is_some() {
            style = ErrorBodyStyle::Certgate;
        }
    }
    let status = http::StatusCode::from_u16(r.status).ok();
    let reason = match r.status {
        495 => "SSL Certificate Error",
        496 => "SSL Certificate Required",
        497 => "HTTP Request Sent to HTTPS Port",
        _ => status.and_then(|s| s.canonical_reason()).unwrap_or(""),
    };
    let preview: String = text.chars().take(300).collect();
    HttpAnswer {
        status: r.status,
        reason: reason.to_string(),
        server: r
            .headers
            .get(http::header::SERVER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        body_code,
        style,
        body_preview: preview.trim().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, body: &str) -> Response {
        Response {
            status,
            version: http::Version::HTTP_11,
            headers: http::HeaderMap::new(),
            body: Bytes::from(body.to_string()),
        }
    }

    #[test]
    fn certgate_json_bodies_name_their_code() {
        let a = answer(&resp(
            495,
            r#"{"error":"expired","code":"client_cert.expired","status":495}"#,
        ));
        assert_eq!(a.body_code, Some(Code::ClientCertExpired));
        assert_eq!(a.style, ErrorBodyStyle::Certgate);
        assert_eq!(a.reason, "SSL Certificate Error");
    }

    #[test]
    fn nginx_400_pages_are_recognised_by_their_text() {
        let page = "<html>\r\n<head><title>400 No required SSL certificate was sent</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<center>No required SSL certificate was sent</center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n";
        let a = answer(&resp(400, page));
        assert_eq!(a.body_code, Some(Code::ClientCertRequired));
        assert_eq!(a.style, ErrorBodyStyle::Nginx);
        let a = answer(&resp(400, "<center>The SSL certificate error</center>"));
        assert_eq!(a.body_code, Some(Code::ClientCertRejected));
        let a = answer(&resp(200, "hello"));
        assert_eq!(a.body_code, None);
    }
}
