//! `certgate serve`: the mTLS gateway. Without arguments it is the embedded demo (a dev PKI under
//! ./certgate-dev, the gateway on 127.0.0.1:8443 in front of the built-in echo upstream, curl
//! commands printed); with `--config FILE` or flags it serves what the operator configured.
//! Everything else lives in `certgate-gateway`.

use anyhow::{bail, Context};
use certgate_gateway::config::{AllowList, Config, HeaderFormat, Mode, PemSource};
use certgate_gateway::echo::Echo;
use certgate_gateway::reload::Source;
use certgate_gateway::Gateway;
use certgate_pki::{Ca, CaSpec, LeafSpec, Validity};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// Arguments of `certgate serve` (DESIGN.md §3).
#[derive(clap::Args)]
pub struct Args {
    /// Full configuration (TOML): routes, CAs, CRLs, allow-lists, limits.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8443].
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
    /// Server certificate chain (PEM, leaf first).
    #[arg(long, value_name = "PEM", requires = "key")]
    cert: Option<PathBuf>,
    /// Server private key (PEM).
    #[arg(long, value_name = "PEM", requires = "cert")]
    key: Option<PathBuf>,
    /// CA that issues client certificates (repeatable).
    #[arg(long = "client-ca", value_name = "PEM")]
    client_ca: Vec<PathBuf>,
    /// CRL of a client CA (repeatable; reloaded on change).
    #[arg(long, value_name = "PEM")]
    crl: Vec<PathBuf>,
    /// Upstream URL (http://host:port); without it, the built-in echo upstream.
    #[arg(long, value_name = "URL")]
    upstream: Option<String>,
    /// Client-certificate mode.
    #[arg(long, value_name = "MODE", value_parser = ["require", "require-tls", "optional", "off"])]
    verify: Option<String>,
    /// Allow this subject Common Name (repeatable; any allow-list match lets a request through).
    #[arg(long = "allow-cn", value_name = "NAME")]
    allow_cn: Vec<String>,
    /// Allow this subject Organisational Unit.
    #[arg(long = "allow-ou", value_name = "NAME")]
    allow_ou: Vec<String>,
    /// Allow this SAN DNS name (`*` one label, `**` several).
    #[arg(long = "allow-dns", value_name = "NAME")]
    allow_dns: Vec<String>,
    /// Allow this SAN URI / SPIFFE ID (`*` one path segment, `**` several).
    #[arg(long = "allow-uri", value_name = "URI")]
    allow_uri: Vec<String>,
    /// Allow the certificate with this SHA-256 fingerprint (pin).
    #[arg(long = "allow-sha256", value_name = "HEX")]
    allow_sha256: Vec<String>,
    /// Admin listener (metrics, status).
    #[arg(long, value_name = "ADDR")]
    admin: Option<SocketAddr>,
    /// Answer like nginx's defaults (400 with nginx's texts) instead of 495/496/497 JSON.
    #[arg(long)]
    nginx_compat: bool,
    /// Identity header format sent to the upstream (repeatable; default: all three, like the
    /// config file's `[headers] formats`).
    #[arg(long = "header-format", value_name = "FORMAT", value_parser = ["nginx", "rfc9440", "xfcc"])]
    header_format: Vec<String>,
    /// Send no CA names in the CertificateRequest.
    #[arg(long)]
    hide_ca_names: bool,
    /// Check client certificates with OCSP: `fail-open` accepts when the responder gives no
    /// answer, `fail-closed` answers 495 `client_cert.revocation_unknown`.
    #[arg(long, value_name = "POLICY", value_parser = ["fail-open", "fail-closed"])]
    ocsp: Option<String>,
    /// OCSP responder URL (default: the certificate's AIA OCSP URL).
    #[arg(long = "ocsp-responder", value_name = "URL", requires = "ocsp")]
    ocsp_responder: Option<String>,
    /// Where the demo keeps its dev PKI.
    #[arg(long, value_name = "DIR", default_value = "certgate-dev")]
    dev_dir: PathBuf,
}

/// Runs the gateway until Ctrl-C / SIGTERM.
pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    init_logs();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(serve(a))
}

fn init_logs() {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_env("CERTGATE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // JSON when a machine reads the logs, compact text on a terminal.
    let _ = if std::io::stderr().is_terminal() {
        b.compact().try_init()
    } else {
        b.json().flatten_event(true).try_init()
    };
}

async fn serve(a: Args) -> anyhow::Result<ExitCode> {
    let flags_used = a.cert.is_some()
        || !a.client_ca.is_empty()
        || !a.crl.is_empty()
        || a.verify.is_some()
        || !a.allow_cn.is_empty()
        || !a.allow_ou.is_empty()
        || !a.allow_dns.is_empty()
        || !a.allow_uri.is_empty()
        || !a.allow_sha256.is_empty();
    let mut echo = None;
    let mut demo = None;
    let (mut config, source) = if let Some(path) = &a.config {
        if flags_used || a.upstream.is_some() {
            bail!("--config {} cannot be combined with --cert/--client-ca/--crl/--verify/--allow-*/--upstream; put them in the file", path.display());
        }
        (Config::from_file(path)?, Source::File(path.clone()))
    } else if let (Some(cert), Some(key)) = (&a.cert, &a.key) {
        let upstream = match &a.upstream {
            Some(u) => u.clone(),
            None => {
                let e = Echo::start(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
                let u = e.url();
                echo = Some(e);
                u
            }
        };
        let mut c = Config::new(
            a.listen.unwrap_or(SocketAddr::from(([127, 0, 0, 1], 8443))),
            PemSource::File(cert.clone()),
            PemSource::File(key.clone()),
            a.client_ca.iter().cloned().map(PemSource::File).collect(),
            &upstream,
        );
        c.crl = a.crl.iter().cloned().map(PemSource::File).collect();
        if let Some(v) = &a.verify {
            c.verify = Mode::parse(v).context("invalid --verify")?;
        }
        c.allow = AllowList {
            cn: a.allow_cn.clone(),
            ou: a.allow_ou.clone(),
            dns: a.allow_dns.clone(),
            uri: a.allow_uri.clone(),
            sha256: a.allow_sha256.clone(),
        };
        (c, Source::Current)
    } else {
        if flags_used {
            bail!("--cert and --key are needed with --client-ca/--crl/--verify/--allow-* (or run `certgate serve` alone for the demo)");
        }
        let pki = DevPki::ensure(&a.dev_dir)?;
        let upstream = match &a.upstream {
            Some(u) => u.clone(),
            None => {
                let e = Echo::start(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
                let u = e.url();
                echo = Some(e);
                u
            }
        };
        let c = Config::new(
            SocketAddr::from(([127, 0, 0, 1], 8443)),
            PemSource::File(pki.server.clone()),
            PemSource::File(pki.server_key.clone()),
            vec![PemSource::File(pki.ca.clone())],
            &upstream,
        );
        demo = Some(pki);
        (c, Source::Current)
    };
    if let Some(l) = a.listen {
        config.listen = l;
    }
    config.nginx_compat |= a.nginx_compat;
    if !a.header_format.is_empty() {
        config.headers.formats = a
            .header_format
            .iter()
            .map(|f| match f.as_str() {
                "nginx" => HeaderFormat::Nginx,
                "rfc9440" => HeaderFormat::Rfc9440,
                _ => HeaderFormat::Xfcc,
            })
            .collect();
    }
    config.hide_ca_names |= a.hide_ca_names;
    if let Some(policy) = &a.ocsp {
        use certgate_gateway::ocsp::{FailMode, OcspConfig};
        let mut o = OcspConfig::new(if policy == "fail-closed" {
            FailMode::FailClosed
        } else {
            FailMode::FailOpen
        });
        o.responder = a.ocsp_responder.clone();
        config.ocsp = Some(o);
    }
    if a.admin.is_some() {
        config.admin = a.admin;
    }
    let gw = Gateway::bind(config).await?;
    let addr = gw.local_addr();
    let upstream_text = echo
        .as_ref()
        .map(|e| format!("the built-in echo upstream ({})", e.url()))
        .unwrap_or_else(|| "the configured upstream".to_string());
    match &demo {
        Some(pki) => print_demo(pki, addr, &upstream_text),
        None => println!("certgate gateway on https://{addr} in front of {upstream_text}"),
    }
    if let Some(admin) = gw.admin_addr() {
        println!(
            "admin: http://{admin}/ (status page), http://{admin}/metrics, http://{admin}/status"
        );
    }
    let watcher = gw.reloader().watch(source, Duration::from_secs(2));
    wait_for_stop().await;
    eprintln!("certgate: shutting down (draining in-flight requests)");
    watcher.abort();
    gw.shutdown().await;
    drop(echo);
    Ok(ExitCode::SUCCESS)
}

async fn wait_for_stop() {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

fn print_demo(pki: &DevPki, addr: SocketAddr, upstream: &str) {
    let host = if addr.ip().is_loopback() || addr.ip().is_unspecified() {
        "localhost".to_string()
    } else {
        addr.ip().to_string()
    };
    let url = format!("https://{host}:{}", addr.port());
    let d = |p: &Path| p.display().to_string();
    println!(
        "certgate gateway on {url} in front of {upstream}\n\
         dev PKI in {dir} (client CA and server certificate; reused on the next run)\n\
         \n\
         # with a client certificate: 200, and the echo shows the identity headers it received\n\
         curl --cacert {ca} --cert {client} --key {client_key} {url}/hello\n\
         \n\
         # without a certificate: 496 SSL Certificate Required, JSON naming the fix\n\
         curl --cacert {ca} {url}/hello\n\
         \n\
         # with an expired certificate: 495 SSL Certificate Error, code client_cert.expired\n\
         curl --cacert {ca} --cert {expired} --key {expired_key} {url}/hello\n\
         \n\
         # plain HTTP on the TLS port: 497\n\
         curl http://{host}:{port}/hello\n\
         \n\
         Ctrl-C stops (in-flight requests finish); SIGHUP or a changed file reloads.",
        dir = d(&pki.dir),
        ca = d(&pki.ca),
        client = d(&pki.client),
        client_key = d(&pki.client_key),
        expired = d(&pki.expired),
        expired_key = d(&pki.expired_key),
        port = addr.port(),
    );
}

/// The demo's PKI: a CA, a server certificate for localhost, a client certificate and an expired
/// one. Created once, reused afterwards.
struct DevPki {
    dir: PathBuf,
    ca: PathBuf,
    server: PathBuf,
    server_key: PathBuf,
    client: PathBuf,
    client_key: PathBuf,
    expired: PathBuf,
    expired_key: PathBuf,
}

impl DevPki {
    fn ensure(dir: &Path) -> anyhow::Result<DevPki> {
        let ca_dir = dir.join("ca");
        let ca = if ca_dir.join("ca.pem").exists() {
            Ca::load(&ca_dir)
                .with_context(|| format!("cannot reuse the dev CA in {}", ca_dir.display()))?
        } else {
            let mut spec = CaSpec::new("certgate dev CA");
            spec.org = Some("certgate-dev".into());
            let ca = Ca::root(&spec)?;
            ca.save(&ca_dir)?;
            ca
        };
        let pki = DevPki {
            dir: dir.to_path_buf(),
            ca: ca_dir.join("ca.pem"),
            server: dir.join("server.pem"),
            server_key: dir.join("server.key"),
            client: dir.join("client.pem"),
            client_key: dir.join("client.key"),
            expired: dir.join("expired.pem"),
            expired_key: dir.join("expired.key"),
        };
        let missing = |a: &Path, b: &Path| !a.exists() || !b.exists();
        if missing(&pki.server, &pki.server_key) {
            ca.issue(&LeafSpec::server(&["localhost", "127.0.0.1", "::1"]))?
                .save(dir, "server")?;
        }
        if missing(&pki.client, &pki.client_key) {
            let mut spec = LeafSpec::client("dev-client");
            spec.ou = Some("certgate-dev".into());
            spec.uris = vec!["spiffe://certgate.dev/client/dev-client".into()];
            ca.issue(&spec)?.save(dir, "client")?;
        }
        if missing(&pki.expired, &pki.expired_key) {
            ca.issue(&LeafSpec::client("dev-client-expired").valid(Validity::expired_days_ago(3)))?
                .save(dir, "expired")?;
        }
        Ok(pki)
    }
}
