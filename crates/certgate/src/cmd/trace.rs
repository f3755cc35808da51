//! `certgate trace`: reconstruct TLS handshakes from a capture file or a live relay and say, per
//! connection, who aborted, after which message and why (certgate-trace reads, core judges).

use crate::out::print;
use anyhow::Context;
use certgate_core::finding::verdict;
use certgate_core::Code;
use certgate_trace::ConnectionReport;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::ExitCode;

/// Reconstruct TLS handshakes from a capture or a live relay.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    source: Source,
}

#[derive(clap::Subcommand)]
enum Source {
    /// Read a pcap or pcapng file (Ethernet, Linux cooked, loopback or raw IP; IPv4 and IPv6).
    Pcap {
        /// The capture file (e.g. from `tcpdump -i lo -w FILE port 8443`).
        file: PathBuf,
        /// Print one JSON document instead of text.
        #[arg(long)]
        json: bool,
        /// Also list connections that carry no TLS at all.
        #[arg(long)]
        all: bool,
    },
    /// Relay TCP connections to a server and report each handshake as it ends.
    Relay {
        /// Address to listen on (e.g. 127.0.0.1:9443).
        #[arg(long)]
        listen: String,
        /// Where to forward each connection (HOST:PORT).
        #[arg(long)]
        to: String,
        /// Print one JSON line per connection instead of text.
        #[arg(long)]
        json: bool,
        /// Print each connection's timeline under its line.
        #[arg(long)]
        timeline: bool,
        /// Stop after this many connections.
        #[arg(long)]
        count: Option<usize>,
    },
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.source {
        Source::Pcap { file, json, all } => pcap(file, json, all),
        Source::Relay {
            listen,
            to,
            json,
            timeline,
            count,
        } => relay(listen, to, json, timeline, count),
    }
}

fn pcap(file: PathBuf, as_json: bool, all: bool) -> anyhow::Result<ExitCode> {
    let cap = certgate_trace::read_file(&file)?;
    if let (0, Some(d)) = (cap.packets, &cap.damage) {
        // A valid header and nothing after it: the file cannot be read (exit 2), not "no problem".
        anyhow::bail!("{}: {}; no packet could be read", file.display(), d.reason);
    }
    let reports: Vec<ConnectionReport> = cap
        .connections
        .iter()
        .map(ConnectionReport::of)
        .filter(|r| all || r.is_tls_related())
        .collect();
    let not_listed = cap.connections.len() - reports.len();
    let findings: Vec<_> = reports
        .iter()
        .flat_map(|r| r.analysis.findings.iter().cloned())
        .collect();
    let overall = verdict(&findings);
    if as_json {
        let doc = json!({
            "target": {"file": file.display().to_string()},
            "verdict": overall.as_str(),
            "title": overall.title(),
            "fix": overall.fix(),
            "packets": cap.packets,
            "connections_not_tls": not_listed,
            "damage": cap.damage,
            "unsupported_link_types": cap.unsupported_links,
            "connections": reports.iter().map(|r| r.to_json()).collect::<Vec<Value>>(),
        });
        print(&format!("{}\n", serde_json::to_string_pretty(&doc)?))?;
    } else {
        let mut text = String::new();
        for r in &reports {
            text.push_str(&r.to_text());
            text.push('\n');
        }
        text.push_str(&format!(
            "{}: {} packets, {} TLS connection(s){}; verdict {}\n",
            file.display(),
            cap.packets,
            reports.len(),
            if not_listed > 0 && !all {
                format!(", {not_listed} other TCP connection(s) without TLS not listed (--all)")
            } else {
                String::new()
            },
            overall.as_str()
        ));
        print(&text)?;
    }
    if let Some(d) = &cap.damage {
        eprintln!(
            "certgate: {}: {} after {} packets; the connections read so far are reported",
            file.display(),
            d.reason,
            d.packets
        );
    }
    for lt in &cap.unsupported_links {
        eprintln!(
            "certgate: {}: link type {lt} is not supported; its packets were skipped",
            file.display()
        );
    }
    Ok(exit(overall))
}

fn exit(code: Code) -> ExitCode {
    if code == Code::Ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn relay(
    listen: String,
    to: String,
    as_json: bool,
    timeline: bool,
    count: Option<usize>,
) -> anyhow::Result<ExitCode> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        eprintln!(
            "certgate trace relay: listening on {}, forwarding to {to}",
            listener.local_addr()?
        );
        let worst = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let w = worst.clone();
        certgate_trace::relay::run(listener, to, count, move |r: ConnectionReport| {
            let line = if as_json {
                serde_json::to_string(&r.to_json()).unwrap_or_default() + "\n"
            } else if timeline {
                r.to_text()
            } else {
                r.summary_line() + "\n"
            };
            let _ = print(&line);
            if let Ok(mut w) = w.lock() {
                w.extend(r.analysis.findings.iter().cloned());
            }
        })
        .await?;
        let all = worst.lock().map(|w| w.clone()).unwrap_or_default();
        Ok(exit(verdict(&all)))
    })
}
