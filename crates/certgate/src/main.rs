//! certgate: mutual TLS for HTTP APIs that people can operate and debug. This binary only parses
//! arguments, calls the library crates and renders; each subcommand lives in `cmd/<name>.rs`.
#![forbid(unsafe_code)]

mod cmd;
mod out;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// mTLS gateway, diagnostics and test lab for HTTP APIs.
#[derive(Parser)]
#[command(name = "certgate", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the mTLS gateway (no arguments: embedded demo with a dev PKI and an echo upstream).
    Serve(Box<cmd::serve::Args>),
    /// Diagnose a TLS/mTLS endpoint and name one root cause with its fix.
    Doctor(cmd::doctor::Args),
    /// Call an API like curl; on failure print the diagnosis instead of a raw error.
    Call(cmd::call::Args),
    /// Explain an error message or a log from curl, OpenSSL, Python, Node, Java, Go, ...
    Explain(cmd::explain::Args),
    /// Start local, deliberately broken TLS endpoints for testing API clients.
    Lab(cmd::lab::Args),
    /// Create CAs, issue, inspect, verify and revoke certificates.
    Cert(cmd::cert::Args),
    /// Find certificates in files and on endpoints and track their expiry.
    Inventory(cmd::inventory::Args),
    /// Reconstruct TLS handshakes from a capture or a live relay.
    Trace(cmd::trace::Args),
    /// Print the catalogue of reason codes.
    Codes(cmd::codes::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(a) => cmd::serve::run(*a),
        Command::Doctor(a) => cmd::doctor::run(a),
        Command::Call(a) => cmd::call::run(a),
        Command::Explain(a) => cmd::explain::run(a),
        Command::Lab(a) => cmd::lab::run(a),
        Command::Cert(a) => cmd::cert::run(a),
        Command::Inventory(a) => cmd::inventory::run(a),
        Command::Trace(a) => cmd::trace::run(a),
        Command::Codes(a) => cmd::codes::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // One line naming what failed; exit 2 = certgate could not do the job (DESIGN.md §3).
            eprintln!("certgate: {e:#}");
            ExitCode::from(2)
        }
    }
}
