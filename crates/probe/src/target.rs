//! The URL a user gives doctor or call: scheme, host, port, path. A bare `host[:port]` means https.

use crate::ProbeError;

/// A parsed target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The URL as given.
    pub url: String,
    /// `https` (true) or `http` (false).
    pub tls: bool,
    /// Host as written (IPv6 without brackets).
    pub host: String,
    pub port: u16,
    /// Path and query, `/` when empty.
    pub path: String,
}

impl Target {
    /// Parses `https://host[:port][/path]`, `http://...`, or `host[:port]` (https).
    pub fn parse(url: &str) -> Result<Target, ProbeError> {
        let bad = |why: &str| ProbeError::Url {
            url: url.to_string(),
            why: why.to_string(),
        };
        let with_scheme = if url.contains("://") {
            url.to_string()
        } else {
            format!("https://{url}")
        };
        let uri: http::Uri = with_scheme
            .parse()
            .map_err(|e: http::uri::InvalidUri| bad(&e.to_string()))?;
        let tls = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            Some(other) => return Err(bad(&format!("scheme {other:?} is not http or https"))),
            None => true,
        };
        let host = uri
            .host()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| bad("no host"))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
        let path = uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "/".to_string());
        Ok(Target {
            url: url.to_string(),
            tls,
            host,
            port,
            path,
        })
    }

    /// The `Host` header value.
    pub fn authority(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        let default = if self.tls { 443 } else { 80 };
        if self.port == default {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urls_and_bare_hosts() {
        let t = Target::parse("https://api.example.com:8443/v1/x?y=1").unwrap();
        assert_eq!(
            (t.tls, t.host.as_str(), t.port, t.path.as_str()),
            (true, "api.example.com", 8443, "/v1/x?y=1")
        );
        let t = Target::parse("example.com").unwrap();
        assert_eq!((t.tls, t.port, t.path.as_str()), (true, 443, "/"));
        let t = Target::parse("http://[::1]:8080").unwrap();
        assert_eq!((t.tls, t.host.as_str(), t.port), (false, "::1", 8080));
        assert_eq!(t.authority(), "[::1]:8080");
        assert!(Target::parse("ftp://x").is_err());
        assert!(Target::parse("https://").is_err());
    }
}
