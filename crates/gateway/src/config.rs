//! The gateway's configuration as the operator writes it: TOML (`certgate serve --config FILE`),
//! flags (one route), or built in code by other crates (inline PEM). Loading it into something
//! the gateway can serve (parsed keys, trust stores, compiled routes) is `load.rs`'s job.

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where PEM text comes from: a file (re-read on reload, watched for changes) or inline text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PemSource {
    /// A file path; relative paths in a config file are resolved against the file's directory.
    File(PathBuf),
    /// PEM text held in memory (for gateways started by other crates and tests).
    Inline(String),
}

impl PemSource {
    /// Reads the PEM text.
    pub fn read(&self) -> Result<String, ConfigError> {
        match self {
            PemSource::File(p) => std::fs::read_to_string(p).map_err(|e| ConfigError::File {
                path: p.clone(),
                why: e.to_string(),
            }),
            PemSource::Inline(s) => Ok(s.clone()),
        }
    }

    /// A name for messages: the path, or `<inline PEM>`.
    pub fn name(&self) -> String {
        match self {
            PemSource::File(p) => p.display().to_string(),
            PemSource::Inline(_) => "<inline PEM>".to_string(),
        }
    }

    /// The file path, when there is one.
    pub fn path(&self) -> Option<&Path> {
        match self {
            PemSource::File(p) => Some(p),
            PemSource::Inline(_) => None,
        }
    }

    fn rebase(&mut self, dir: &Path) {
        if let PemSource::File(p) = self {
            if p.is_relative() {
                *p = dir.join(&*p);
            }
        }
    }
}

impl<'de> Deserialize<'de> for PemSource {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(PemSource::File(PathBuf::from(String::deserialize(d)?)))
    }
}

impl From<&Path> for PemSource {
    fn from(p: &Path) -> Self {
        PemSource::File(p.to_path_buf())
    }
}

impl From<PathBuf> for PemSource {
    fn from(p: PathBuf) -> Self {
        PemSource::File(p)
    }
}

/// How a route treats client certificates (DESIGN.md §4).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Complete the handshake, then answer 496 / 495 / 403 over HTTP (default).
    #[default]
    Require,
    /// Reject in the handshake with the precise TLS alert (stealth; like ghostunnel).
    RequireTls,
    /// Forward with or without a certificate; an invalid one is forwarded as `FAILED:<code>`
    /// without identity headers, so the upstream decides.
    Optional,
    /// Do not look at client certificates.
    Off,
}

impl Mode {
    /// Parses `require`, `require-tls`, `optional`, `off`.
    pub fn parse(s: &str) -> Option<Mode> {
        Some(match s {
            "require" => Mode::Require,
            "require-tls" => Mode::RequireTls,
            "optional" => Mode::Optional,
            "off" => Mode::Off,
            _ => return None,
        })
    }

    /// The config-file spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Require => "require",
            Mode::RequireTls => "require-tls",
            Mode::Optional => "optional",
            Mode::Off => "off",
        }
    }
}

/// Identities a route lets through. Empty means "any valid certificate"; otherwise one match in
/// any list is enough (ORed, like ghostunnel's `--allow-*`). Names take `*` (one DNS label or one
/// URI path segment) and `**` (any number of them) as wildcards.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowList {
    /// Subject Common Names.
    #[serde(default)]
    pub cn: Vec<String>,
    /// Subject Organisational Units.
    #[serde(default)]
    pub ou: Vec<String>,
    /// SAN DNS names.
    #[serde(default)]
    pub dns: Vec<String>,
    /// SAN URIs, e.g. SPIFFE IDs (`spiffe://example.org/ns/*/sa/api`).
    #[serde(default)]
    pub uri: Vec<String>,
    /// SHA-256 fingerprints of the leaf certificate (hex, colons allowed).
    #[serde(default)]
    pub sha256: Vec<String>,
}

impl AllowList {
    /// True when the list allows every valid certificate.
    pub fn is_empty(&self) -> bool {
        self.cn.is_empty()
            && self.ou.is_empty()
            && self.dns.is_empty()
            && self.uri.is_empty()
            && self.sha256.is_empty()
    }
}

/// One route: a path prefix, optionally for one SNI host, with its own mode, CAs and allow-list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteConfig {
    /// Path prefix (`/api`); the longest matching prefix wins. Default `/`.
    #[serde(default = "default_path")]
    pub path: String,
    /// SNI host this route is limited to; routes with a host win over routes without.
    #[serde(default)]
    pub host: Option<String>,
    /// Mode; defaults to the top-level `verify`.
    #[serde(default)]
    pub verify: Option<Mode>,
    /// Trusted client CAs; default: the top-level `client_ca`.
    #[serde(default)]
    pub client_ca: Option<Vec<PemSource>>,
    /// CRLs; default: the top-level `crl`.
    #[serde(default)]
    pub crl: Option<Vec<PemSource>>,
    /// Identities allowed; default: the top-level `allow`.
    #[serde(default)]
    pub allow: Option<AllowList>,
    /// Upstream URL; default: the top-level `upstream`.
    #[serde(default)]
    pub upstream: Option<String>,
    /// OCSP checking of client certificates; default: the top-level `ocsp`.
    #[serde(default)]
    pub ocsp: Option<crate::ocsp::OcspConfig>,
}

fn default_path() -> String {
    "/".to_string()
}

/// Which identity header formats go to the upstream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HeaderFormat {
    /// `X-SSL-Client-Verify`, `-S-DN`, `-I-DN`, `-Serial`, `-Fingerprint`, `-Cert` (nginx style).
    Nginx,
    /// RFC 9440 `Client-Cert` and `Client-Cert-Chain`.
    Rfc9440,
    /// Envoy's `X-Forwarded-Client-Cert`.
    Xfcc,
}

/// Header settings.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeaderConfig {
    /// Formats emitted (default: all three).
    #[serde(default = "all_formats")]
    pub formats: Vec<HeaderFormat>,
}

fn all_formats() -> Vec<HeaderFormat> {
    vec![
        HeaderFormat::Nginx,
        HeaderFormat::Rfc9440,
        HeaderFormat::Xfcc,
    ]
}

impl Default for HeaderConfig {
    fn default() -> Self {
        HeaderConfig {
            formats: all_formats(),
        }
    }
}

/// Timeouts and limits, with defaults that protect a small machine.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Time for the first byte and the whole TLS handshake, seconds.
    pub handshake_timeout_secs: u64,
    /// Time to receive a complete request head (slowloris guard), and idle keep-alive limit, seconds.
    pub header_timeout_secs: u64,
    /// Largest request head accepted (HTTP/1 buffer and HTTP/2 header list), bytes.
    pub max_header_bytes: usize,
    /// Connections served at once; further connections wait in the kernel's accept queue.
    pub max_connections: usize,
    /// Time to connect to the upstream, seconds.
    pub upstream_connect_timeout_secs: u64,
    /// Time for the upstream to answer with a response head, seconds.
    pub upstream_timeout_secs: u64,
    /// How long a graceful shutdown waits for in-flight requests, seconds.
    pub drain_timeout_secs: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            handshake_timeout_secs: 10,
            header_timeout_secs: 30,
            max_header_bytes: 16 * 1024,
            max_connections: 10_000,
            upstream_connect_timeout_secs: 5,
            upstream_timeout_secs: 60,
            drain_timeout_secs: 30,
        }
    }
}

impl Limits {
    pub(crate) fn handshake_timeout(&self) -> Duration {
        Duration::from_secs(self.handshake_timeout_secs.max(1))
    }
    pub(crate) fn header_timeout(&self) -> Duration {
        Duration::from_secs(self.header_timeout_secs.max(1))
    }
    pub(crate) fn upstream_connect_timeout(&self) -> Duration {
        Duration::from_secs(self.upstream_connect_timeout_secs.max(1))
    }
    pub(crate) fn upstream_timeout(&self) -> Duration {
        Duration::from_secs(self.upstream_timeout_secs.max(1))
    }
    pub(crate) fn drain_timeout(&self) -> Duration {
        Duration::from_secs(self.drain_timeout_secs)
    }
}

/// The whole gateway configuration. The top-level `verify`, `client_ca`, `crl`, `allow` and
/// `upstream` are the defaults of every route, and the one route when `route` is empty.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address to listen on (default `127.0.0.1:8443`).
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// The server certificate chain (leaf first).
    pub cert: PemSource,
    /// The server's private key.
    pub key: PemSource,
    /// Default upstream (`http://host:port[/base]`).
    #[serde(default)]
    pub upstream: Option<String>,
    /// Default mode.
    #[serde(default)]
    pub verify: Mode,
    /// Default trusted client CAs.
    #[serde(default)]
    pub client_ca: Vec<PemSource>,
    /// Default CRLs.
    #[serde(default)]
    pub crl: Vec<PemSource>,
    /// Default allow-list.
    #[serde(default)]
    pub allow: AllowList,
    /// Routes; empty means one route `/` with the defaults above.
    #[serde(default, rename = "route")]
    pub routes: Vec<RouteConfig>,
    /// Identity header formats.
    #[serde(default)]
    pub headers: HeaderConfig,
    /// Send an empty CA list in the CertificateRequest instead of the trusted CA names.
    #[serde(default)]
    pub hide_ca_names: bool,
    /// Answer like nginx's defaults (400 with nginx's HTML texts) instead of 495/496/497 JSON.
    #[serde(default)]
    pub nginx_compat: bool,
    /// Timeouts and limits.
    #[serde(default)]
    pub limits: Limits,
    /// Address of the admin listener (metrics, status), if any.
    #[serde(default)]
    pub admin: Option<SocketAddr>,
    /// Default OCSP checking of client certificates (`[ocsp]`: responder, policy, timeouts).
    #[serde(default)]
    pub ocsp: Option<crate::ocsp::OcspConfig>,
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8443))
}

impl Config {
    /// A one-route configuration: `require` mode, all header formats, default limits.
    pub fn new(
        listen: SocketAddr,
        cert: PemSource,
        key: PemSource,
        client_ca: Vec<PemSource>,
        upstream: &str,
    ) -> Config {
        Config {
            listen,
            cert,
            key,
            upstream: Some(upstream.to_string()),
            verify: Mode::Require,
            client_ca,
            crl: vec![],
            allow: AllowList::default(),
            routes: vec![],
            headers: HeaderConfig::default(),
            hide_ca_names: false,
            nginx_compat: false,
            limits: Limits::default(),
            admin: None,
            ocsp: None,
        }
    }

    /// Parses TOML text; relative paths are resolved against `base_dir`.
    pub fn from_toml(text: &str, base_dir: &Path, name: &str) -> Result<Config, ConfigError> {
        let mut c: Config = toml::from_str(text).map_err(|e| ConfigError::Invalid {
            what: name.to_string(),
            why: e.message().to_string()
                + &e.span()
                    .map(|s| {
                        let line = text[..s.start].matches('\n').count() + 1;
                        format!(" (line {line})")
                    })
                    .unwrap_or_default(),
        })?;
        c.rebase(base_dir);
        Ok(c)
    }

    /// Reads and parses a TOML file.
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
            path: path.to_path_buf(),
            why: e.to_string(),
        })?;
        let dir = path.parent().unwrap_or(Path::new("."));
        Config::from_toml(&text, dir, &path.display().to_string())
    }

    fn rebase(&mut self, dir: &Path) {
        self.cert.rebase(dir);
        self.key.rebase(dir);
        for s in self.client_ca.iter_mut().chain(self.crl.iter_mut()) {
            s.rebase(dir);
        }
        for r in &mut self.routes {
            for s in r
                .client_ca
                .iter_mut()
                .flatten()
                .chain(r.crl.iter_mut().flatten())
            {
                s.rebase(dir);
            }
        }
    }

    /// The routes to serve: the configured ones with defaults filled in, or the one default route.
    pub fn effective_routes(&self) -> Vec<RouteConfig> {
        let base = RouteConfig {
            path: "/".into(),
            host: None,
            verify: Some(self.verify),
            client_ca: Some(self.client_ca.clone()),
            crl: Some(self.crl.clone()),
            allow: Some(self.allow.clone()),
            upstream: self.upstream.clone(),
            ocsp: self.ocsp.clone(),
        };
        if self.routes.is_empty() {
            return vec![base];
        }
        self.routes
            .iter()
            .map(|r| RouteConfig {
                path: r.path.clone(),
                host: r.host.as_ref().map(|h| h.to_ascii_lowercase()),
                verify: r.verify.or(base.verify),
                client_ca: r.client_ca.clone().or(base.client_ca.clone()),
                crl: r.crl.clone().or(base.crl.clone()),
                allow: r.allow.clone().or(base.allow.clone()),
                upstream: r.upstream.clone().or(base.upstream.clone()),
                ocsp: r.ocsp.clone().or(base.ocsp.clone()),
            })
            .collect()
    }

    /// Every file this configuration reads (watched for changes).
    pub fn files(&self) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = [&self.cert, &self.key]
            .into_iter()
            .chain(self.client_ca.iter())
            .chain(self.crl.iter())
            .chain(
                self.routes
                    .iter()
                    .flat_map(|r| r.client_ca.iter().flatten().chain(r.crl.iter().flatten())),
            )
            .filter_map(|s| s.path().map(Path::to_path_buf))
            .collect();
        v.sort();
        v.dedup();
        v
    }
}

/// A configuration that cannot be served, with the file or field at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A file could not be read.
    #[error("{path}: {why}", path = path.display())]
    File { path: PathBuf, why: String },
    /// A file or value is unusable.
    #[error("{what}: {why}")]
    Invalid { what: String, why: String },
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {why}")]
    Listen { addr: SocketAddr, why: String },
}

impl ConfigError {
    pub(crate) fn invalid(what: impl Into<String>, why: impl Into<String>) -> Self {
        ConfigError::Invalid {
            what: what.into(),
            why: why.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_routes_inherit_defaults_and_paths_are_rebased() {
        let c = Config::from_toml(
            r#"
            listen = "127.0.0.1:9443"
            cert = "server.pem"
            key = "/abs/server.key"
            upstream = "http://127.0.0.1:8080"
            client_ca = ["ca.pem"]
            [[route]]
            path = "/admin"
            verify = "require-tls"
            [route.allow]
            cn = ["alice"]
            [[route]]
            path = "/public"
            verify = "off"
            "#,
            Path::new("/etc/certgate"),
            "test.toml",
        )
        .unwrap();
        assert_eq!(c.cert, PemSource::File("/etc/certgate/server.pem".into()));
        assert_eq!(c.key, PemSource::File("/abs/server.key".into()));
        let r = c.effective_routes();
        assert_eq!(r[0].verify, Some(Mode::RequireTls));
        assert_eq!(r[0].allow.as_ref().unwrap().cn, vec!["alice"]);
        assert_eq!(
            r[1].client_ca.as_ref().unwrap()[0],
            PemSource::File("/etc/certgate/ca.pem".into())
        );
        assert_eq!(r[1].upstream.as_deref(), Some("http://127.0.0.1:8080"));
    }

    #[test]
    fn unknown_keys_are_refused_with_the_line() {
        let e = Config::from_toml(
            "cert = \"a\"\nkey = \"b\"\nverfy = \"off\"\n",
            Path::new("."),
            "x.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("x.toml") && e.contains("verfy") && e.contains("line 3"),
            "{e}"
        );
    }
}
