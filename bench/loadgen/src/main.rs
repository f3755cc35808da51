//! Benchmark-only load generator for `bench/gateway/run.sh`: HTTP/1.1 over rustls with a client
//! certificate, which wrk and h2load cannot send. Two modes: `load` (closed-loop keep-alive requests
//! on C connections for D seconds, prints one JSON line with rate and latency percentiles) and `idle`
//! (open N mTLS connections, one GET each, then hold them so the caller can read the server's RSS).
//! Not a general tool: one request shape, responses framed by Content-Length or chunked encoding.
#![forbid(unsafe_code)]

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

#[derive(Parser)]
#[command(
    name = "certgate-loadgen",
    about = "HTTP/1.1 mTLS load generator for bench/"
)]
struct Cli {
    #[command(subcommand)]
    mode: Mode,
}

#[derive(clap::Args, Clone)]
struct Target {
    /// `https://127.0.0.1:PORT/path` or `http://...` (plain, for the upstream alone).
    url: String,
    /// Root CA that signed the server certificate (required for https).
    #[arg(long)]
    cacert: Option<String>,
    /// Client certificate chain (PEM); every certificate in the file is sent.
    #[arg(long)]
    cert: Option<String>,
    /// Client private key (PEM).
    #[arg(long)]
    key: Option<String>,
    /// Offer only TLS 1.2 (default: TLS 1.3 only, like `s_time -tls1_3`).
    #[arg(long)]
    tls12: bool,
    /// Name sent as SNI and checked against the server certificate.
    #[arg(long, default_value = "localhost")]
    servername: String,
}

#[derive(Subcommand)]
enum Mode {
    /// Keep-alive requests from C connections for D seconds; prints one JSON line.
    Load {
        #[command(flatten)]
        target: Target,
        #[arg(short = 'c', long, default_value_t = 50)]
        connections: usize,
        #[arg(short = 'd', long, default_value_t = 10.0)]
        seconds: f64,
    },
    /// Open N connections (one GET each), print `READY ok=N failed=M`, hold them for H seconds.
    Idle {
        #[command(flatten)]
        target: Target,
        #[arg(short = 'n', long, default_value_t = 1000)]
        count: usize,
        #[arg(long, default_value_t = 30.0)]
        hold: f64,
    },
}

/// Where and how to connect, resolved once.
struct Endpoint {
    addr: String,
    host_header: String,
    path: String,
    tls: Option<(TlsConnector, ServerName<'static>)>,
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

impl Endpoint {
    fn new(t: &Target) -> Result<Self> {
        let (tls, rest) = if let Some(r) = t.url.strip_prefix("https://") {
            (true, r)
        } else if let Some(r) = t.url.strip_prefix("http://") {
            (false, r)
        } else {
            bail!("{}: URL must start with http:// or https://", t.url);
        };
        let (addr, path) = match rest.find('/') {
            Some(i) => (rest[..i].to_string(), rest[i..].to_string()),
            None => (rest.to_string(), "/".to_string()),
        };
        let tls = if tls {
            let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
            let mut roots = rustls::RootCertStore::empty();
            let ca = t
                .cacert
                .as_deref()
                .context("--cacert is required for https")?;
            for c in
                CertificateDer::pem_file_iter(ca).with_context(|| format!("{ca}: unreadable"))?
            {
                roots.add(c.with_context(|| format!("{ca}: bad PEM"))?)?;
            }
            let versions: &[&rustls::SupportedProtocolVersion] = if t.tls12 {
                &[&rustls::version::TLS12]
            } else {
                &[&rustls::version::TLS13]
            };
            let builder = rustls::ClientConfig::builder_with_protocol_versions(versions)
                .with_root_certificates(roots);
            let config = match (&t.cert, &t.key) {
                (Some(cert), Some(key)) => {
                    let chain = CertificateDer::pem_file_iter(cert)
                        .with_context(|| format!("{cert}: unreadable"))?
                        .collect::<Result<Vec<_>, _>>()
                        .with_context(|| format!("{cert}: bad PEM"))?;
                    let key = PrivateKeyDer::from_pem_file(key)
                        .with_context(|| format!("{key}: no private key"))?;
                    builder.with_client_auth_cert(chain, key)?
                }
                (None, None) => builder.with_no_client_auth(),
                _ => bail!("--cert and --key go together"),
            };
            let name = ServerName::try_from(t.servername.clone())?;
            Some((TlsConnector::from(Arc::new(config)), name))
        } else {
            None
        };
        Ok(Self {
            host_header: t.servername.clone(),
            addr,
            path,
            tls,
        })
    }

    async fn connect(&self) -> Result<Box<dyn Io>> {
        let tcp = TcpStream::connect(&self.addr).await?;
        tcp.set_nodelay(true)?;
        Ok(match &self.tls {
            Some((connector, name)) => Box::new(connector.connect(name.clone(), tcp).await?),
            None => Box::new(tcp),
        })
    }

    fn request(&self) -> Vec<u8> {
        format!(
            "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: certgate-loadgen\r\n\r\n",
            self.path, self.host_header
        )
        .into_bytes()
    }
}

/// One HTTP/1.1 response: its status and whether the server will close the connection.
struct Response {
    status: u16,
    close: bool,
}

/// Reads one response from `io`, keeping any bytes past it in `buf`.
async fn read_response(io: &mut Box<dyn Io>, buf: &mut Vec<u8>) -> Result<Response> {
    let head_end = loop {
        if let Some(i) = find(buf, b"\r\n\r\n") {
            break i + 4;
        }
        fill(io, buf).await?;
    };
    let head = std::str::from_utf8(&buf[..head_end]).context("non-UTF-8 response head")?;
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .context("bad status line")?;
    let (mut length, mut chunked, mut close) = (None, false, false);
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match name.to_ascii_lowercase().as_str() {
            "content-length" => length = value.parse::<usize>().ok(),
            "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
            "connection" => close = value.eq_ignore_ascii_case("close"),
            _ => {}
        }
    }
    buf.drain(..head_end);
    if chunked {
        loop {
            let line_end = loop {
                if let Some(i) = find(buf, b"\r\n") {
                    break i;
                }
                fill(io, buf).await?;
            };
            let size_text = std::str::from_utf8(&buf[..line_end])?;
            let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
                .context("bad chunk size")?;
            buf.drain(..line_end + 2);
            // chunk data + CRLF; the last chunk (size 0) is followed by CRLF (no trailers here)
            while buf.len() < size + 2 {
                fill(io, buf).await?;
            }
            buf.drain(..size + 2);
            if size == 0 {
                break;
            }
        }
    } else if let Some(n) = length {
        while buf.len() < n {
            fill(io, buf).await?;
        }
        buf.drain(..n);
    } else {
        close = true; // body runs to the end of the connection: not worth supporting here
    }
    Ok(Response { status, close })
}

async fn fill(io: &mut Box<dyn Io>, buf: &mut Vec<u8>) -> Result<()> {
    let mut chunk = [0u8; 16 * 1024];
    let n = io.read(&mut chunk).await?;
    if n == 0 {
        bail!("connection closed mid-response");
    }
    buf.extend_from_slice(&chunk[..n]);
    Ok(())
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// What one connection task saw.
#[derive(Default)]
struct Tally {
    latencies_us: Vec<u32>,
    statuses: BTreeMap<u16, u64>,
    errors: u64,
    connects: u64,
}

async fn drive(ep: Arc<Endpoint>, deadline: Instant) -> Tally {
    let mut t = Tally::default();
    let request = ep.request();
    let mut buf = Vec::with_capacity(4096);
    while Instant::now() < deadline {
        let mut io = match ep.connect().await {
            Ok(io) => io,
            Err(_) => {
                t.errors += 1;
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        t.connects += 1;
        buf.clear();
        while Instant::now() < deadline {
            let start = Instant::now();
            let outcome = async {
                io.write_all(&request).await?;
                read_response(&mut io, &mut buf).await
            }
            .await;
            match outcome {
                Ok(r) => {
                    t.latencies_us
                        .push(start.elapsed().as_micros().min(u32::MAX as u128) as u32);
                    *t.statuses.entry(r.status).or_default() += 1;
                    if r.close {
                        break;
                    }
                }
                Err(_) => {
                    t.errors += 1;
                    break;
                }
            }
        }
    }
    t
}

fn percentile(sorted: &[u32], p: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

async fn load(target: Target, connections: usize, seconds: f64) -> Result<()> {
    let ep = Arc::new(Endpoint::new(&target)?);
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(seconds);
    let tasks: Vec<_> = (0..connections)
        .map(|_| tokio::spawn(drive(ep.clone(), deadline)))
        .collect();
    let mut all = Tally::default();
    for task in tasks {
        let t = task.await?;
        all.latencies_us.extend(t.latencies_us);
        for (s, n) in t.statuses {
            *all.statuses.entry(s).or_default() += n;
        }
        all.errors += t.errors;
        all.connects += t.connects;
    }
    let secs = started.elapsed().as_secs_f64();
    all.latencies_us.sort_unstable();
    let l = &all.latencies_us;
    let statuses: serde_json::Map<String, serde_json::Value> = all
        .statuses
        .iter()
        .map(|(s, n)| (s.to_string(), (*n).into()))
        .collect();
    let out = serde_json::json!({
        "requests": l.len(),
        "errors": all.errors,
        "connects": all.connects,
        "statuses": statuses,
        "secs": secs,
        "rps": l.len() as f64 / secs,
        "p50_us": percentile(l, 0.50),
        "p90_us": percentile(l, 0.90),
        "p99_us": percentile(l, 0.99),
        "max_us": l.last().copied().unwrap_or(0),
    });
    println!("{out}");
    Ok(())
}

async fn idle(target: Target, count: usize, hold: f64) -> Result<()> {
    let ep = Arc::new(Endpoint::new(&target)?);
    let request = ep.request();
    let mut held = Vec::with_capacity(count);
    let mut failed = 0usize;
    // Open in batches so the server sees at most 50 handshakes at once, like a busy client fleet.
    for batch in (0..count).collect::<Vec<_>>().chunks(50) {
        let opened: Vec<_> = batch
            .iter()
            .map(|_| {
                let ep = ep.clone();
                let request = request.clone();
                tokio::spawn(async move {
                    let mut io = ep.connect().await?;
                    let mut buf = Vec::new();
                    io.write_all(&request).await?;
                    let r = read_response(&mut io, &mut buf).await?;
                    if r.status != 200 || r.close {
                        bail!("status {} (close: {})", r.status, r.close);
                    }
                    Ok::<_, anyhow::Error>(io)
                })
            })
            .collect();
        for task in opened {
            match task.await? {
                Ok(io) => held.push(io),
                Err(e) => {
                    if failed == 0 {
                        eprintln!("certgate-loadgen: idle connection failed: {e:#}");
                    }
                    failed += 1;
                }
            }
        }
    }
    println!("READY ok={} failed={failed}", held.len());
    tokio::time::sleep(Duration::from_secs_f64(hold)).await;
    // Report how many the server closed while we held them (an idle timeout shorter than `hold`).
    let mut closed = 0;
    for io in held.iter_mut() {
        let mut b = [0u8; 1];
        if let Ok(Ok(0)) = tokio::time::timeout(Duration::from_millis(1), io.read(&mut b)).await {
            closed += 1;
        }
    }
    println!("DONE closed_by_server={closed}");
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.mode {
        Mode::Load {
            target,
            connections,
            seconds,
        } => load(target, connections, seconds).await,
        Mode::Idle {
            target,
            count,
            hold,
        } => idle(target, count, hold).await,
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("certgate-loadgen: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}
