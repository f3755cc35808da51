//! `certgate call URL`: an HTTP request like curl (`-X -H -d -i --cacert --cert --key`). On
//! success the body goes to stdout; on failure — TLS, transport, or a 495/496/497 answer — the
//! diagnosis (cause and fix, from the same findings as doctor) replaces the raw error.

use super::doctor::{runtime, timeout, verdict_paragraph, Style};
use certgate_probe::{CallError, CallRequest, Client, DoctorOptions};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Call an API like curl; on failure print the diagnosis instead of a raw error.
#[derive(clap::Args)]
pub struct Args {
    /// https://host[:port]/path (or http://...).
    url: String,
    /// HTTP method (default GET, or POST with -d).
    #[arg(short = 'X', long = "request", value_name = "METHOD")]
    method: Option<String>,
    /// Extra header 'Name: value' (repeatable).
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    headers: Vec<String>,
    /// Request body; @FILE reads it from a file.
    #[arg(short = 'd', long = "data", value_name = "DATA")]
    data: Option<String>,
    /// Print the status line and response headers before the body.
    #[arg(short = 'i', long = "include")]
    include: bool,
    /// CA bundle to trust instead of the system store.
    #[arg(long, value_name = "PEM")]
    cacert: Option<PathBuf>,
    /// Client certificate (chain) to present.
    #[arg(long, value_name = "PEM")]
    cert: Option<PathBuf>,
    /// Private key of --cert (default: the --cert file).
    #[arg(long, value_name = "PEM")]
    key: Option<PathBuf>,
    /// CRL to check the server's chain against (repeatable).
    #[arg(long, value_name = "PEM")]
    crl: Vec<PathBuf>,
    /// Name for SNI and verification, when it differs from the URL's host.
    #[arg(long, value_name = "NAME")]
    servername: Option<String>,
    /// Time limit per step, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    timeout: f64,
    /// On failure, print the diagnosis as one JSON document on stdout.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let body = match &args.data {
        Some(d) if d.starts_with('@') => {
            std::fs::read(&d[1..]).map_err(|e| anyhow::anyhow!("{}: {e}", &d[1..]))?
        }
        Some(d) => d.clone().into_bytes(),
        None => vec![],
    };
    let method = match (&args.method, &args.data) {
        (Some(m), _) => m
            .to_ascii_uppercase()
            .parse::<http::Method>()
            .map_err(|_| anyhow::anyhow!("-X {m}: not an HTTP method"))?,
        (None, Some(_)) => http::Method::POST,
        (None, None) => http::Method::GET,
    };
    let mut headers = vec![];
    for h in &args.headers {
        let (k, v) = h
            .split_once(':')
            .ok_or_else(|| anyhow::anyhow!("-H {h:?}: expected 'Name: value'"))?;
        headers.push((k.trim().to_string(), v.trim().to_string()));
    }
    if args.data.is_some()
        && !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
    {
        // curl's default for -d.
        headers.push((
            "Content-Type".into(),
            "application/x-www-form-urlencoded".into(),
        ));
    }
    let opts = DoctorOptions {
        cacert: args.cacert.clone(),
        cert: args.cert.clone(),
        key: args.key.clone(),
        crls: args.crl.clone(),
        servername: args.servername.clone(),
        timeout: timeout(args.timeout)?,
        scan: true,
    };
    let req = CallRequest {
        method,
        url: args.url.clone(),
        headers,
        body,
    };
    let result = runtime()?.block_on(async {
        let client = Client::new(opts)?;
        Ok::<_, CallError>(client.send(req).await)
    });
    let response = match result {
        Err(CallError::Input(e)) | Ok(Err(CallError::Input(e))) => return Err(e.into()),
        Err(e @ CallError::Diagnosed { .. }) | Ok(Err(e @ CallError::Diagnosed { .. })) => {
            let CallError::Diagnosed { error, diagnosis } = e else {
                unreachable!()
            };
            if args.json {
                let mut j = diagnosis.to_json();
                j["error"] = error.clone().into();
                println!("{}", serde_json::to_string_pretty(&j)?);
            } else {
                eprintln!("certgate call: {} failed: {error}", args.url);
                eprint!("{}", verdict_paragraph(&diagnosis, Style::detect_stderr()));
            }
            return Ok(ExitCode::from(1));
        }
        Ok(Ok(r)) => r,
    };
    let mut out = std::io::stdout().lock();
    if args.include {
        writeln!(out, "{:?} {}", response.version, response.status)?;
        for (k, v) in &response.headers {
            writeln!(out, "{}: {}", k, v.to_str().unwrap_or("<binary>"))?;
        }
        writeln!(out)?;
    }
    out.write_all(&response.body)?;
    out.flush()?;
    Ok(if response.status < 400 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
