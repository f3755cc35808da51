//! certgate-lab: local, deliberately broken TLS endpoints for testing API clients (`certgate lab`).
//! [`Lab::start`] mints a fresh PKI, listens on one loopback port per scenario and writes
//! `DIR/manifest.json`; the scenario list and each one's expected reason code live in [`scenario`].
#![forbid(unsafe_code)]

pub mod manifest;
pub mod mint;
pub mod scenario;
mod serve;

pub use manifest::{Entry, Manifest, Unavailable};
pub use scenario::{Scenario, CATALOGUE};

use mint::{LabPki, OpensslLeaf, ServerCreds};
use rustls::server::WebPkiClientVerifier;
use rustls::ServerConfig;
use rustls_pki_types::CertificateRevocationListDer;
use scenario::{ClientCred, OpensslServer, Serve, ServerCert};
use serve::Handler;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

/// Why the lab could not start.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    /// A port could not be bound (busy, or not allowed).
    // The io error is part of the one-line message, not a `source`, so that `{:#}` does not
    // print it twice.
    #[error("cannot listen on {addr} for {what}: {error}")]
    Bind {
        addr: SocketAddr,
        what: String,
        error: std::io::Error,
    },
    /// `--only` named a scenario that does not exist.
    #[error("unknown scenario {0:?}; known scenarios: {known}", known = known_names())]
    UnknownScenario(String),
    /// `--port-base` leaves no room for every scenario below 65536.
    #[error("--port-base {0} is too high: the lab needs ports {0}..={last}", last = u32::from(*.0) + CATALOGUE.len() as u32)]
    PortRange(u16),
    /// A file or directory could not be written.
    #[error("{path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    /// Minting certificates failed.
    #[error(transparent)]
    Pki(#[from] certgate_pki::PkiError),
    /// The openssl CLI failed (it makes the SHA-1 and RSA-1024 certificates and serves old TLS).
    #[error("{0}")]
    Openssl(String),
    /// rustls refused a lab configuration.
    #[error("TLS configuration: {0}")]
    Tls(#[from] rustls::Error),
    /// The in-process gateway behind the `mtls-http-*` scenarios refused its configuration.
    #[error("the lab's gateway: {0}")]
    Gateway(#[from] certgate_gateway::ConfigError),
    /// A bug in the lab.
    #[error("internal: {0}")]
    Internal(String),
}

fn known_names() -> String {
    CATALOGUE
        .iter()
        .map(|s| s.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// How to start the lab.
#[derive(Clone, Debug)]
pub struct LabConfig {
    /// Where the manifest, the CA bundle, the CRL and the client credentials are written.
    pub dir: PathBuf,
    /// Address to listen on (default 127.0.0.1; the lab is meant for loopback).
    pub bind: IpAddr,
    /// 0: every port is chosen by the OS. Otherwise the CRL server listens on `port_base` and the
    /// scenario at catalogue index `i` on `port_base + 1 + i`, whatever `only` selects.
    pub port_base: u16,
    /// Scenario names to start; empty means all.
    pub only: Vec<String>,
}

impl LabConfig {
    /// All scenarios on OS-chosen loopback ports, files in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        LabConfig {
            dir: dir.into(),
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port_base: 0,
            only: vec![],
        }
    }
}

/// A running lab. Dropping it stops every endpoint and child process; [`Lab::shutdown`] does the
/// same and waits for them.
pub struct Lab {
    manifest: Manifest,
    stop: watch::Sender<bool>,
    tasks: JoinSet<()>,
    children: Vec<tokio::process::Child>,
    /// The gateway behind the `Serve::Gateway` scenarios and its echo upstream (dropping both
    /// stops them).
    gateway: Option<(certgate_gateway::Gateway, certgate_gateway::echo::Echo)>,
}

impl Lab {
    /// Mints the PKI, binds every selected scenario, writes the files and `manifest.json`, and
    /// starts serving. Must be called inside a tokio runtime.
    pub async fn start(cfg: LabConfig) -> Result<Lab, LabError> {
        let selected = select(&cfg.only)?;
        if cfg.port_base != 0
            && u32::from(cfg.port_base) + CATALOGUE.len() as u32 > u32::from(u16::MAX)
        {
            return Err(LabError::PortRange(cfg.port_base));
        }
        let dir = absolute(&cfg.dir)?;
        for d in [dir.clone(), dir.join("clients"), dir.join("servers")] {
            std::fs::create_dir_all(&d).map_err(|error| LabError::Io { path: d, error })?;
        }

        // Bind everything first: the CRL URL goes into a certificate, and a busy port should
        // fail before any work is done.
        let port = |i: usize| {
            if cfg.port_base == 0 {
                0
            } else {
                cfg.port_base + i as u16
            }
        };
        let crl_listeners = bind(cfg.bind, port(0), "the lab's CRL server").await?;
        let crl_addr = crl_listeners[0].local_addr().map_err(internal)?;
        let mut listeners = Vec::new();
        for &(i, sc) in &selected {
            let l = bind(cfg.bind, port(i + 1), &format!("scenario `{}`", sc.name)).await?;
            listeners.push((sc, l));
        }

        let crl_url = format!("http://{}/issuing-ca.crl", url_host_port(crl_addr));
        let have_openssl = mint::openssl_available();
        // The same port answers OCSP (everything but the CRL's path goes to the responder).
        let ocsp_url = have_openssl.then(|| ocsp_url_for(crl_addr));
        let urls = mint::LabUrls {
            crl: crl_url.clone(),
            ocsp: ocsp_url.clone(),
            ca_issuers: format!("http://{}/issuing-ca.crt", url_host_port(crl_addr)),
        };
        let pki = blocking(move || LabPki::mint(&urls)).await?;
        let files = write_files(&dir, &pki)?;

        let (stop, stop_rx) = watch::channel(false);
        let mut tasks = JoinSet::new();
        let mut children = Vec::new();
        let mut scenarios = Vec::new();
        let mut unavailable = Vec::new();

        let crl_files = Arc::new(vec![
            (
                "/issuing-ca.crl".to_string(),
                "application/pkix-crl",
                pki.server_crl_der()?,
            ),
            (
                "/issuing-ca.crt".to_string(),
                "application/pkix-cert",
                pki.issuing.der.to_vec(),
            ),
        ]);
        let ocsp = match &ocsp_url {
            Some(_) => {
                let (child, addr) = ocsp_responder(&dir, &pki).await?;
                children.push(child);
                Some(addr)
            }
            None => None,
        };
        for l in crl_listeners {
            tasks.spawn(serve::accept_loop(
                l,
                Handler::Files {
                    files: crl_files.clone(),
                    ocsp,
                },
                stop_rx.clone(),
            ));
        }
        let gateway = if listeners
            .iter()
            .any(|(sc, _)| matches!(sc.serve, Serve::Gateway { .. }))
        {
            Some(start_gateway(&pki).await?)
        } else {
            None
        };

        let client_auth = Arc::new(client_auth_config(&pki)?);
        for (sc, ls) in listeners {
            let needs_openssl =
                matches!(sc.serve, Serve::Openssl(_) | Serve::Tls(ServerCert::Sha1));
            if needs_openssl && !have_openssl {
                unavailable.push(Unavailable {
                    name: sc.name.into(),
                    why: "needs the `openssl` command-line tool, which is not installed".into(),
                });
                continue;
            }
            let body: Arc<str> = serde_json::json!({
                "scenario": sc.name,
                "expected": sc.expected,
                "description": sc.description,
            })
            .to_string()
            .into();
            let handler = match sc.serve {
                Serve::Tls(which) => {
                    let creds = match which {
                        ServerCert::Sha1 => {
                            let (issuing, servers) = (pki.issuing.clone(), dir.join("servers"));
                            blocking(move || {
                                mint::openssl_leaf(&issuing, OpensslLeaf::Sha1, &servers)
                            })
                            .await?
                        }
                        other => server_creds(&pki, other).clone(),
                    };
                    creds.save(&dir.join("servers"), sc.name)?;
                    Handler::Tls {
                        acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(tls_config(&creds)?)),
                        body,
                    }
                }
                Serve::TlsClientAuth => Handler::Tls {
                    acceptor: tokio_rustls::TlsAcceptor::from(client_auth.clone()),
                    body,
                },
                Serve::Openssl(kind) => {
                    let s = s_server_args(&pki, kind, &dir, sc.name).await?;
                    let child = serve::spawn_s_server(&s).await?;
                    children.push(child.child);
                    Handler::Relay(child.addr)
                }
                Serve::PlainHttp => Handler::PlainHttp { body },
                Serve::Silent => Handler::Silent,
                Serve::Gateway { .. } => match &gateway {
                    Some((gw, _)) => Handler::Relay(gw.local_addr()),
                    None => return Err(LabError::Internal("gateway not started".into())),
                },
            };
            let addr = ls[0].local_addr().map_err(internal)?;
            for l in ls {
                tasks.spawn(serve::accept_loop(l, handler.clone(), stop_rx.clone()));
            }
            let (client_cert, client_key) = match sc.client.stem() {
                Some(stem) => (
                    Some(dir.join("clients").join(format!("{stem}.pem"))),
                    Some(dir.join("clients").join(format!("{stem}.key"))),
                ),
                None => (None, None),
            };
            let host = if cfg.bind.is_loopback() {
                "localhost".to_string()
            } else {
                url_host(addr.ip())
            };
            scenarios.push(Entry {
                name: sc.name.into(),
                url: match sc.serve {
                    Serve::Gateway { plain_http: true } => {
                        format!("http://{host}:{}/", addr.port())
                    }
                    _ => format!("https://{host}:{}/", addr.port()),
                },
                host,
                port: addr.port(),
                expected: sc.expected,
                description: sc.description.into(),
                clients_fail: sc.clients_fail,
                ca_bundle: files.ca_bundle.clone(),
                client_cert,
                client_key,
                crl: sc.needs_crl.then(|| files.crl.clone()),
            });
        }
        debug_assert!(ClientCred::None.stem().is_none());

        let manifest = Manifest {
            version: 1,
            dir: dir.clone(),
            ca_bundle: files.ca_bundle,
            crl: files.crl,
            crl_url,
            ocsp_url,
            scenarios,
            unavailable,
        };
        let json = serde_json::to_string_pretty(&manifest).map_err(|e| internal(e.into()))?;
        certgate_pki::write_file(&dir.join("manifest.json"), &(json + "\n"), false)?;
        Ok(Lab {
            manifest,
            stop,
            tasks,
            children,
            gateway,
        })
    }

    /// What is running, and where.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Stops every endpoint and child process and waits for them.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        while self.tasks.join_next().await.is_some() {}
        for c in &mut self.children {
            let _ = c.kill().await;
        }
        if let Some((gw, _echo)) = self.gateway.take() {
            gw.shutdown().await;
        }
    }
}

/// The OCSP URL the lab's HTTP server at `addr` answers (also in the `revoked` certificate).
fn ocsp_url_for(addr: SocketAddr) -> String {
    format!("http://{}/", url_host_port(addr))
}

/// Writes the responder's files under `DIR/ocsp/` and starts `openssl ocsp` on them.
async fn ocsp_responder(
    dir: &Path,
    pki: &LabPki,
) -> Result<(tokio::process::Child, SocketAddr), LabError> {
    let ocsp_dir = dir.join("ocsp");
    std::fs::create_dir_all(&ocsp_dir).map_err(|error| LabError::Io {
        path: ocsp_dir.clone(),
        error,
    })?;
    certgate_pki::write_file(&ocsp_dir.join("index.txt"), &pki.ocsp_index, false)?;
    certgate_pki::write_file(
        &ocsp_dir.join("index.txt.attr"),
        "unique_subject = no\n",
        false,
    )?;
    certgate_pki::write_file(
        &ocsp_dir.join("issuing-ca.pem"),
        &pki.issuing.cert_pem,
        false,
    )?;
    certgate_pki::write_file(&ocsp_dir.join("issuing-ca.key"), &pki.issuing.key_pem, true)?;
    serve::spawn_ocsp_responder(&ocsp_dir).await
}

/// The gateway behind the `mtls-http-*` scenarios: `require` mode, the lab's server
/// certificate, the client CA and its CRL, an allow-list of CN=lab-client-good (so that the
/// `not-allowed` client gets 403), in front of the built-in echo upstream. It listens on an
/// internal loopback port; each scenario's port relays to it, so the scenario ports keep their
/// fixed offsets.
async fn start_gateway(
    pki: &LabPki,
) -> Result<(certgate_gateway::Gateway, certgate_gateway::echo::Echo), LabError> {
    use certgate_gateway::{AllowList, Config, PemSource};
    let loopback = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0);
    let echo = certgate_gateway::echo::Echo::start(loopback)
        .await
        .map_err(internal)?;
    let mut config = Config::new(
        loopback,
        PemSource::Inline(pki.good.chain_pem.clone()),
        PemSource::Inline(pki.good.key_pem.clone()),
        vec![PemSource::Inline(pki.client_ca.cert_pem.clone())],
        &echo.url(),
    );
    config.crl = vec![PemSource::Inline(pki.client_crl_pem.clone())];
    config.allow = AllowList {
        cn: vec![GATEWAY_ALLOWED_CN.into()],
        ..AllowList::default()
    };
    let gw = certgate_gateway::Gateway::bind(config).await?;
    Ok((gw, echo))
}

/// The one client identity the lab gateway's allow-list names.
pub const GATEWAY_ALLOWED_CN: &str = "lab-client-good";

/// Runs CPU-bound minting or the openssl CLI off the async workers, on any runtime flavour.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, LabError> + Send + 'static,
) -> Result<T, LabError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| LabError::Internal(format!("minting task: {e}")))?
}

fn internal(e: std::io::Error) -> LabError {
    LabError::Internal(e.to_string())
}

fn select(only: &[String]) -> Result<Vec<(usize, &'static Scenario)>, LabError> {
    for name in only {
        if scenario::find(name).is_none() {
            return Err(LabError::UnknownScenario(name.clone()));
        }
    }
    Ok(CATALOGUE
        .iter()
        .enumerate()
        .filter(|(_, s)| only.is_empty() || only.iter().any(|n| n == s.name))
        .collect())
}

fn absolute(dir: &Path) -> Result<PathBuf, LabError> {
    if dir.is_absolute() {
        return Ok(dir.to_path_buf());
    }
    std::env::current_dir()
        .map(|cwd| cwd.join(dir))
        .map_err(|error| LabError::Io {
            path: dir.to_path_buf(),
            error,
        })
}

/// Binds `ip:port`; on 127.0.0.1 also binds `[::1]` on the same port when it can, because
/// `localhost` resolves to `::1` first for some clients (Node 18, some /etc/hosts).
async fn bind(ip: IpAddr, port: u16, what: &str) -> Result<Vec<TcpListener>, LabError> {
    let addr = SocketAddr::new(ip, port);
    let first = TcpListener::bind(addr)
        .await
        .map_err(|error| LabError::Bind {
            addr,
            what: what.to_string(),
            error,
        })?;
    let mut out = vec![];
    if ip == IpAddr::V4(Ipv4Addr::LOCALHOST) {
        let port = first.local_addr().map_err(internal)?.port();
        if let Ok(v6) = TcpListener::bind((Ipv6Addr::LOCALHOST, port)).await {
            out.push(v6);
        }
    }
    out.insert(0, first);
    Ok(out)
}

fn url_host(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    }
}

fn url_host_port(addr: SocketAddr) -> String {
    format!("{}:{}", url_host(addr.ip()), addr.port())
}

struct Files {
    ca_bundle: PathBuf,
    crl: PathBuf,
}

fn write_files(dir: &Path, pki: &LabPki) -> Result<Files, LabError> {
    let ca_bundle = dir.join("ca.pem");
    let crl = dir.join("crl.pem");
    certgate_pki::write_file(&ca_bundle, &pki.root.cert_pem, false)?;
    // The issuing CA's CRL first (tools that read one CRL per file take the first), then the
    // root's, for clients that check revocation along the whole chain.
    certgate_pki::write_file(
        &crl,
        &(pki.server_crl_pem.clone() + &pki.root_crl_pem),
        false,
    )?;
    let clients = dir.join("clients");
    certgate_pki::write_file(&clients.join("ca.pem"), &pki.client_ca.cert_pem, false)?;
    certgate_pki::write_file(&clients.join("crl.pem"), &pki.client_crl_pem, false)?;
    for (stem, issued) in &pki.clients {
        issued.save(&clients, stem)?;
    }
    Ok(Files { ca_bundle, crl })
}

fn server_creds(pki: &LabPki, which: ServerCert) -> &ServerCreds {
    match which {
        ServerCert::Good => &pki.good,
        ServerCert::Expired => &pki.expired,
        ServerCert::NotYetValid => &pki.not_yet_valid,
        ServerCert::WrongHost => &pki.wrong_host,
        ServerCert::CnOnly => &pki.cn_only,
        ServerCert::SelfSigned => &pki.self_signed,
        ServerCert::UntrustedRoot => &pki.untrusted_root,
        ServerCert::MissingIntermediate => &pki.missing_intermediate,
        ServerCert::WrongOrder => &pki.wrong_order,
        ServerCert::Revoked => &pki.revoked,
        ServerCert::WrongEku => &pki.wrong_eku,
        // Made on demand by the openssl CLI (see `Lab::start`).
        ServerCert::Sha1 => &pki.good,
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

fn tls_config(creds: &ServerCreds) -> Result<ServerConfig, LabError> {
    let mut cfg = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(creds.chain_der()?, creds.key_der()?)?;
    // HTTP/1.1 only: the lab answers with a hand-written HTTP/1.1 response.
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(cfg)
}

/// Client auth required in the handshake, checked against the client CA and its CRL, like
/// nginx/Envoy-style servers that end a bad client certificate with a TLS alert.
fn client_auth_config(pki: &LabPki) -> Result<ServerConfig, LabError> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(pki.client_ca.der.clone())?;
    let crl = CertificateRevocationListDer::from(mint::crl_der(&pki.client_crl_pem)?);
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
        .with_crls([crl])
        // The CRL covers the client CA's leaves only (see research/crates.md, trap 4).
        .only_check_end_entity_revocation()
        .build()
        .map_err(|e| LabError::Internal(format!("client verifier: {e}")))?;
    let mut cfg = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(pki.good.chain_der()?, pki.good.key_der()?)?;
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(cfg)
}

/// Writes the child's certificate files and returns its `s_server` arguments.
async fn s_server_args(
    pki: &LabPki,
    kind: OpensslServer,
    dir: &Path,
    name: &str,
) -> Result<Vec<String>, LabError> {
    let servers = dir.join("servers");
    let creds = match kind {
        OpensslServer::WeakKey => {
            let (issuing, servers) = (pki.issuing.clone(), servers.clone());
            blocking(move || mint::openssl_leaf(&issuing, OpensslLeaf::WeakKey, &servers)).await?
        }
        OpensslServer::LegacyTls | OpensslServer::NoSharedCipher => pki.good.clone(),
    };
    // s_server sends only the first certificate of -cert; the intermediates go in -cert_chain.
    let blocks = pem_blocks(&creds.chain_pem);
    let (leaf, rest) = blocks
        .split_first()
        .ok_or_else(|| LabError::Internal("empty chain".into()))?;
    let (_, key) = creds.save(&servers, name)?;
    let leaf_file = servers.join(format!("{name}.leaf.pem"));
    let chain_file = servers.join(format!("{name}.intermediates.pem"));
    certgate_pki::write_file(&leaf_file, leaf, false)?;
    certgate_pki::write_file(&chain_file, &rest.concat(), false)?;
    let s = |p: &Path| p.to_string_lossy().into_owned();
    let mut args = vec![
        "-cert".to_string(),
        s(&leaf_file),
        "-key".into(),
        s(&key),
        "-cert_chain".into(),
        s(&chain_file),
    ];
    let extra: &[&str] = match kind {
        OpensslServer::LegacyTls => &[
            "-min_protocol",
            "TLSv1",
            "-max_protocol",
            "TLSv1.1",
            "-cipher",
            "DEFAULT:@SECLEVEL=0",
        ],
        OpensslServer::NoSharedCipher => {
            &["-tls1_2", "-cipher", "ECDHE-ECDSA-NULL-SHA:@SECLEVEL=0"]
        }
        // TLS 1.2+: security level 0 would also let TLS 1.0/1.1 in, a second problem that a
        // diagnosis would rightly rank first.
        OpensslServer::WeakKey => &["-min_protocol", "TLSv1.2", "-cipher", "DEFAULT:@SECLEVEL=0"],
    };
    args.extend(extra.iter().map(|s| s.to_string()));
    Ok(args)
}

/// Splits PEM text into its certificate blocks, each ending with a newline.
fn pem_blocks(pem: &str) -> Vec<String> {
    const END: &str = "-----END CERTIFICATE-----";
    pem.split_inclusive(END)
        .filter(|b| b.contains("-----BEGIN CERTIFICATE-----"))
        .map(|b| format!("{}\n", b.trim_start()))
        .collect()
}
