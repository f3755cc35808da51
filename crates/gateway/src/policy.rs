//! Routes and the one decision every request goes through: which route applies (SNI host + longest
//! path prefix), and whether the client's certificate state lets the request through under that
//! route's mode and allow-list. No I/O here; the listener feeds it and `respond.rs` renders it.

use crate::config::{AllowList, Mode};
use crate::identity::ClientIdentity;
use crate::trust::TrustStore;
use certgate_core::{Code, Finding, Side};
use std::sync::Arc;

/// A route ready to serve.
#[derive(Debug)]
pub struct Route {
    /// Index in the configuration, for logs.
    pub index: usize,
    /// Path prefix.
    pub path: String,
    /// SNI host (lowercase), if the route is limited to one.
    pub host: Option<String>,
    /// Verification mode.
    pub mode: Mode,
    /// Trusted client CAs and CRLs.
    pub trust: Arc<TrustStore>,
    /// Allowed identities (empty: any valid certificate).
    pub allow: AllowList,
    /// Upstream base URI (`http://host:port/base`).
    pub upstream: http::Uri,
    /// OCSP checking of accepted client certificates, when configured.
    pub ocsp: Option<Arc<crate::ocsp::OcspChecker>>,
}

impl Route {
    /// `host/path` for logs and bodies.
    pub fn label(&self) -> String {
        match &self.host {
            Some(h) => format!("{h}{}", self.path),
            None => self.path.clone(),
        }
    }
}

/// Picks the route for a request: routes for the request's SNI host beat host-less routes; among
/// them the longest path prefix wins (`/api` matches `/api` and `/api/x`, not `/apix`).
pub fn select<'r>(routes: &'r [Route], sni: Option<&str>, path: &str) -> Option<&'r Route> {
    let host_match = |r: &Route| match (&r.host, sni) {
        (None, _) => Some(0),
        (Some(h), Some(s)) if h.eq_ignore_ascii_case(s) => Some(1),
        _ => None,
    };
    routes
        .iter()
        .filter(|r| prefix_matches(&r.path, path))
        .filter_map(|r| host_match(r).map(|h| (h, r.path.len(), std::cmp::Reverse(r.index), r)))
        .max_by_key(|(h, len, idx, _)| (*h, *len, *idx))
        .map(|(.., r)| r)
}

fn prefix_matches(prefix: &str, path: &str) -> bool {
    if prefix == "/" || prefix.is_empty() {
        return true;
    }
    let p = prefix.trim_end_matches('/');
    path == p || (path.starts_with(p) && path[p.len()..].starts_with('/'))
}

/// The client-certificate state of a connection as seen by one route.
#[derive(Clone, Debug)]
pub enum ClientCert {
    /// No certificate was presented (the reason is in the text: not asked, or not sent).
    Absent(&'static str),
    /// A certificate was presented; `verdict` is `ok` or the `client_cert.*` finding.
    Present {
        identity: Arc<ClientIdentity>,
        verdict: Arc<Finding>,
    },
}

/// What happens to a request.
#[derive(Debug)]
pub enum Decision {
    /// Forward; `verify` is the `X-SSL-Client-Verify` value and `identity` what may be rendered.
    Forward {
        verify: String,
        identity: Option<Arc<ClientIdentity>>,
    },
    /// Answer with this status and finding.
    Reject { status: u16, finding: Finding },
}

/// The one place that applies mode and allow-list (DESIGN.md §4 table).
pub fn decide(route: &Route, cert: &ClientCert) -> Decision {
    match (route.mode, cert) {
        (Mode::Off, _) => Decision::Forward {
            verify: "NONE".into(),
            identity: None,
        },
        (Mode::Optional, ClientCert::Absent(_)) => Decision::Forward {
            verify: "NONE".into(),
            identity: None,
        },
        (Mode::Require | Mode::RequireTls, ClientCert::Absent(why)) => Decision::Reject {
            status: 496,
            finding: Finding::new(Code::ClientCertRequired, Side::Client, *why)
                .with("route", route.label()),
        },
        (mode, ClientCert::Present { identity, verdict }) => {
            if verdict.code != Code::Ok {
                if mode == Mode::Optional {
                    // The upstream decides; an unverified identity is never rendered.
                    return Decision::Forward {
                        verify: format!("FAILED:{}", verdict.code),
                        identity: None,
                    };
                }
                return Decision::Reject {
                    status: 495,
                    finding: (**verdict).clone().with("route", route.label()),
                };
            }
            if !route.allow.is_empty() && !allowed(&route.allow, identity) {
                return Decision::Reject {
                    status: 403,
                    finding: Finding::new(
                        Code::ClientCertNotAllowed,
                        Side::Client,
                        format!(
                            "the certificate {} is valid, but route {} allows only {}",
                            identity.subject,
                            route.label(),
                            describe_allow(&route.allow)
                        ),
                    )
                    .with("route", route.label())
                    .with("subject", identity.subject.clone())
                    .with("issuer", identity.issuer.clone())
                    .with("serial", identity.serial.clone())
                    .with("sha256", identity.sha256.clone()),
                };
            }
            Decision::Forward {
                verify: "SUCCESS".into(),
                identity: Some(identity.clone()),
            }
        }
    }
}

/// True when one entry of `allow` matches the identity.
pub fn allowed(allow: &AllowList, id: &ClientIdentity) -> bool {
    let any = |pats: &[String], vals: &[String], m: fn(&str, &str) -> bool| {
        pats.iter().any(|p| vals.iter().any(|v| m(p, v)))
    };
    any(&allow.cn, &id.cn, |p, v| p == v)
        || any(&allow.ou, &id.ou, |p, v| p == v)
        || any(&allow.dns, &id.dns, dns_matches)
        || any(&allow.uri, &id.uri, uri_matches)
        || allow
            .sha256
            .iter()
            .any(|p| normalise_fingerprint(p) == id.sha256)
}

fn describe_allow(a: &AllowList) -> String {
    let mut parts = Vec::new();
    for (k, v) in [
        ("CN", &a.cn),
        ("OU", &a.ou),
        ("DNS", &a.dns),
        ("URI", &a.uri),
        ("SHA-256", &a.sha256),
    ] {
        if !v.is_empty() {
            parts.push(format!("{k} {}", v.join(" | ")));
        }
    }
    parts.join("; ")
}

/// Lowercase hex without separators.
pub fn normalise_fingerprint(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_hexdigit())
        .collect::<String>()
        .to_ascii_lowercase()
}

/// DNS pattern: `*` is exactly one label, `**` one or more labels; case-insensitive.
pub fn dns_matches(pattern: &str, name: &str) -> bool {
    let p: Vec<String> = pattern.split('.').map(|s| s.to_ascii_lowercase()).collect();
    let n: Vec<String> = name.split('.').map(|s| s.to_ascii_lowercase()).collect();
    glob(&p, &n)
}

/// URI pattern: scheme and authority must match exactly; in the path `*` is one segment and `**`
/// any number (≥ 1) of segments (ghostunnel's SPIFFE wildcard rules).
pub fn uri_matches(pattern: &str, uri: &str) -> bool {
    let split = |s: &str| -> Option<(String, Vec<String>)> {
        let (scheme, rest) = s.split_once("://")?;
        let (auth, path) = rest.split_once('/').unwrap_or((rest, ""));
        Some((
            format!(
                "{}://{}",
                scheme.to_ascii_lowercase(),
                auth.to_ascii_lowercase()
            ),
            path.split('/').map(str::to_string).collect(),
        ))
    };
    match (split(pattern), split(uri)) {
        (Some((pa, pp)), Some((ua, up))) => pa == ua && glob(&pp, &up),
        _ => pattern == uri,
    }
}

fn glob(p: &[String], n: &[String]) -> bool {
    match p.first().map(String::as_str) {
        None => n.is_empty(),
        Some("**") => (1..=n.len()).any(|k| glob(&p[1..], &n[k..])),
        Some("*") => !n.is_empty() && !n[0].is_empty() && glob(&p[1..], &n[1..]),
        Some(seg) => n.first().is_some_and(|x| x == seg) && glob(&p[1..], &n[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_one_or_many_labels_and_segments() {
        assert!(dns_matches("*.example.com", "api.example.com"));
        assert!(!dns_matches("*.example.com", "a.b.example.com"));
        assert!(dns_matches("**.example.com", "a.b.example.com"));
        assert!(!dns_matches("*.example.com", "example.com"));
        assert!(dns_matches("API.example.com", "api.EXAMPLE.com"));
        assert!(uri_matches(
            "spiffe://example.org/ns/*/sa/api",
            "spiffe://example.org/ns/prod/sa/api"
        ));
        assert!(!uri_matches(
            "spiffe://example.org/ns/*/sa/api",
            "spiffe://evil.org/ns/prod/sa/api"
        ));
        assert!(uri_matches(
            "spiffe://example.org/**",
            "spiffe://example.org/a/b/c"
        ));
        assert!(!uri_matches(
            "spiffe://example.org/*",
            "spiffe://example.org/a/b"
        ));
    }

    #[test]
    fn allow_lists_are_ored_and_pins_ignore_colons() {
        let id = ClientIdentity {
            cn: vec!["alice".into()],
            ou: vec!["ops".into()],
            sha256: "ab".repeat(32),
            ..Default::default()
        };
        let mut a = AllowList {
            cn: vec!["bob".into()],
            ..Default::default()
        };
        assert!(!allowed(&a, &id));
        a.ou.push("ops".into());
        assert!(allowed(&a, &id));
        let pin = AllowList {
            sha256: vec![vec!["AB"; 32].join(":")],
            ..Default::default()
        };
        assert!(allowed(&pin, &id));
    }

    #[test]
    fn longest_prefix_wins_and_host_routes_beat_hostless_ones() {
        let t = Arc::new(TrustStore::new(vec![], vec![], &[]).unwrap());
        let r = |i, path: &str, host: Option<&str>| Route {
            index: i,
            path: path.into(),
            host: host.map(str::to_string),
            mode: Mode::Require,
            trust: t.clone(),
            allow: AllowList::default(),
            upstream: "http://127.0.0.1:1".parse().unwrap(),
            ocsp: None,
        };
        let routes = vec![
            r(0, "/", None),
            r(1, "/api", None),
            r(2, "/", Some("admin.local")),
        ];
        assert_eq!(select(&routes, None, "/api/x").unwrap().index, 1);
        assert_eq!(select(&routes, None, "/apix").unwrap().index, 0);
        assert_eq!(
            select(&routes, Some("admin.local"), "/api").unwrap().index,
            2
        );
        assert_eq!(select(&routes[1..2], None, "/other").map(|r| r.index), None);
    }
}
