//! `certgate inventory`: find certificates in files and on endpoints, report expiry and key
//! hygiene. Scanning lives in `certgate-inventory`; this file parses arguments, drives the
//! progress bar and picks the output.

use anyhow::Context;
use certgate_inventory::{scan, Endpoint, Progress, ScanOptions, Target};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// Find certificates in files and on TLS endpoints; report expiry, weak keys and key hygiene.
#[derive(clap::Args)]
pub struct Args {
    /// Files, directories (walked recursively) and endpoints (host:port or https://host[:port]).
    #[arg(value_name = "PATH|URL")]
    targets: Vec<String>,
    /// A file listing endpoints, one host:port per line (# comments allowed). Repeatable.
    #[arg(long, value_name = "FILE")]
    endpoints: Vec<PathBuf>,
    /// Report certificates expiring within this many days (and exit 1).
    #[arg(long, default_value_t = 30, value_name = "N")]
    warn_days: u32,
    /// Print one JSON document instead of the table.
    #[arg(long)]
    json: bool,
    /// Serve Prometheus metrics on this address (e.g. 127.0.0.1:9793) and rescan every
    /// --interval instead of printing once.
    #[arg(long, value_name = "ADDR", conflicts_with_all = ["json", "html"])]
    metrics: Option<std::net::SocketAddr>,
    /// Seconds between rescans with --metrics.
    #[arg(long, default_value_t = 300, value_name = "SECS", requires = "metrics")]
    interval: u64,
    /// Extra trust anchors (PEM) for judging endpoint chains; the system bundle and the root
    /// certificates found in scanned files are used too. Repeatable.
    #[arg(long, value_name = "PEM")]
    cacert: Vec<PathBuf>,
    /// Also write a self-contained HTML report (timeline chart and table) to this file.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Endpoints scanned at once.
    #[arg(long, default_value_t = 64, value_name = "N")]
    concurrency: usize,
    /// Seconds allowed per endpoint for each of resolve, connect and handshake.
    #[arg(long, default_value_t = 5.0, value_name = "SECS")]
    timeout: f64,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut targets = Vec::new();
    for t in &args.targets {
        targets.push(Target::parse(t)?);
    }
    for f in &args.endpoints {
        let text =
            std::fs::read_to_string(f).with_context(|| format!("{}: cannot read", f.display()))?;
        let list =
            Endpoint::parse_list(&text).map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?;
        targets.extend(list.into_iter().map(Target::Endpoint));
    }
    if targets.is_empty() {
        anyhow::bail!("nothing to scan: give a PATH, a host:port or --endpoints FILE");
    }
    if !(args.timeout > 0.0 && args.timeout.is_finite()) {
        anyhow::bail!("--timeout must be a positive number of seconds");
    }
    let mut anchors = Vec::new();
    for p in &args.cacert {
        anchors.extend(certgate_pki::read_certs(p).map_err(|e| anyhow::anyhow!("{e}"))?);
    }
    // The system bundle, when there is one, so public endpoints are judged as clients judge them.
    for bundle in [
        "/etc/ssl/certs/ca-certificates.crt",
        "/etc/pki/tls/certs/ca-bundle.crt",
    ] {
        if let Ok(certs) = certgate_pki::read_certs(bundle) {
            anchors.extend(certs);
            break;
        }
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    if let Some(addr) = args.metrics {
        return serve_metrics(&rt, addr, targets, anchors, &args);
    }
    let bar = progress_bar();
    let opts = ScanOptions {
        warn_days: args.warn_days,
        concurrency: args.concurrency.max(1),
        timeout: Duration::from_secs_f64(args.timeout),
        progress: bar.as_ref().map(|b| {
            let b = b.clone();
            Arc::new(move |p: Progress| match p {
                Progress::Total(n) => b.set_length(n),
                Progress::Done => b.inc(1),
            }) as certgate_inventory::scan::ProgressFn
        }),
        anchors,
        ..ScanOptions::default()
    };
    let inv = rt.block_on(scan(&targets, &opts, time::OffsetDateTime::now_utc()));
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    if let Some(path) = &args.html {
        std::fs::write(path, certgate_inventory::html::report(&inv))
            .with_context(|| format!("{}: cannot write the HTML report", path.display()))?;
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&certgate_inventory::render::to_json(&inv))?
        );
    } else {
        print!("{}", certgate_inventory::render::to_text(&inv));
    }
    Ok(if inv.has_problem() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `--metrics ADDR`: bind, say where on stderr, scan, serve until interrupted.
fn serve_metrics(
    rt: &tokio::runtime::Runtime,
    addr: std::net::SocketAddr,
    targets: Vec<Target>,
    anchors: Vec<rustls_pki_types::CertificateDer<'static>>,
    args: &Args,
) -> anyhow::Result<ExitCode> {
    if args.interval == 0 {
        anyhow::bail!("--interval must be at least 1 second");
    }
    let opts = ScanOptions {
        warn_days: args.warn_days,
        concurrency: args.concurrency.max(1),
        timeout: Duration::from_secs_f64(args.timeout),
        anchors,
        ..ScanOptions::default()
    };
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("{addr}: cannot listen"))?;
        let bound = listener.local_addr()?;
        eprintln!(
            "certgate inventory: serving Prometheus metrics on http://{bound}/metrics (rescan every {}s)",
            args.interval
        );
        tokio::select! {
            r = certgate_inventory::metrics::serve(
                listener,
                targets,
                opts,
                Duration::from_secs(args.interval),
            ) => r.context("metrics server failed")?,
            _ = tokio::signal::ctrl_c() => {}
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// A progress bar on stderr, only when stderr is a terminal (never in pipes, CI logs or tests).
fn progress_bar() -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let b = indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} scanning {pos}/{len} files and endpoints [{elapsed}] {wide_bar} {per_sec}",
    ) {
        b.set_style(style);
    }
    Some(b)
}
