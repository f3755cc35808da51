//! `certgate lab`: start the broken endpoints of `certgate-lab`, write `DIR/manifest.json`, print
//! where everything is, and run until Ctrl-C / SIGTERM.

use anyhow::Context;
use certgate_lab::{Lab, LabConfig, CATALOGUE};
use std::io::Write;
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

/// Local, deliberately broken TLS endpoints for testing API clients in CI.
#[derive(clap::Args)]
pub struct Args {
    /// Directory for manifest.json, the CA bundle (ca.pem), the CRL and client credentials.
    #[arg(long, default_value = "certgate-lab")]
    dir: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
    /// Fixed ports: the CRL server on PORT, scenario number i on PORT+i (see --list). 0 lets the
    /// OS choose every port.
    #[arg(
        long = "port-base",
        visible_alias = "base-port",
        default_value_t = 0,
        value_name = "PORT"
    )]
    port_base: u16,
    /// Start only these scenarios (repeat, or separate with commas).
    #[arg(long, value_delimiter = ',', value_name = "NAME")]
    only: Vec<String>,
    /// Print the manifest as JSON on stdout once every endpoint listens.
    #[arg(long)]
    json: bool,
    /// List the scenarios and their expected reason codes, then exit.
    #[arg(long)]
    list: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.list {
        let mut out = std::io::stdout().lock();
        for (i, sc) in CATALOGUE.iter().enumerate() {
            writeln!(
                out,
                "{:>2}  {:<22} {:<28} {}",
                i + 1,
                sc.name,
                sc.expected.as_str(),
                sc.description
            )?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(async move {
        let lab = Lab::start(LabConfig {
            dir: args.dir,
            bind: args.bind,
            port_base: args.port_base,
            only: args.only,
        })
        .await?;
        let m = lab.manifest();
        if args.json {
            println!("{}", serde_json::to_string_pretty(m)?);
        } else {
            println!(
                "certgate lab: {} endpoints; manifest {}",
                m.scenarios.len(),
                m.dir.join("manifest.json").display()
            );
            println!(
                "trust {}  (CRL {}, also at {}{})",
                m.ca_bundle.display(),
                m.crl.display(),
                m.crl_url,
                m.ocsp_url
                    .as_deref()
                    .map(|u| format!("; OCSP responder {u}"))
                    .unwrap_or_default()
            );
            for e in &m.scenarios {
                println!("  {:<22} {:<28} {}", e.name, e.url, e.expected);
            }
            for u in &m.unavailable {
                println!("  {:<22} not started: {}", u.name, u.why);
            }
            println!("Ctrl-C stops the lab.");
        }
        std::io::stdout().flush()?;
        wait_for_stop().await?;
        eprintln!("certgate lab: stopping");
        lab.shutdown().await;
        Ok(ExitCode::SUCCESS)
    })
}

/// Ctrl-C or SIGTERM.
async fn wait_for_stop() -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).context("cannot watch SIGTERM")?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r.context("cannot watch Ctrl-C")?,
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c()
        .await
        .context("cannot watch Ctrl-C")?;
    Ok(())
}
