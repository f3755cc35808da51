//! `certgate doctor URL`: probe an endpoint, print the one root cause with its fix first, then the
//! evidence by section (or one JSON document with `--json`). Exit 0 when the verdict is `ok`, 1
//! otherwise, 2 when certgate could not run (bad URL, unreadable file).

use certgate_core::analyse::protocol::{suite_label, suite_weakness};
use certgate_core::evidence::{ClientCert, HandshakeEnd, HelloAnswer, Reach};
use certgate_core::{Code, Severity};
use certgate_probe::files::AnchorSource;
use certgate_probe::{Diagnosis, DoctorOptions, Target};
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Diagnose a TLS/mTLS endpoint and name one root cause with its fix.
#[derive(clap::Args)]
pub struct Args {
    /// The endpoint: https://host[:port][/path], http://..., or host[:port].
    url: String,
    /// CA bundle to trust instead of the system store (PEM or DER).
    #[arg(long, value_name = "PEM")]
    cacert: Option<PathBuf>,
    /// Client certificate (chain) to present when the server asks for one.
    #[arg(long, value_name = "PEM")]
    cert: Option<PathBuf>,
    /// Private key of --cert (default: the --cert file).
    #[arg(long, value_name = "PEM")]
    key: Option<PathBuf>,
    /// CRL to check the server's chain against (repeatable).
    #[arg(long, value_name = "PEM")]
    crl: Vec<PathBuf>,
    /// Name for SNI and hostname verification, when it differs from the URL's host.
    #[arg(long, value_name = "NAME")]
    servername: Option<String>,
    /// Time limit per connection step, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 5.0)]
    timeout: f64,
    /// Skip the protocol-version and cipher-suite scan (one modern handshake only).
    #[arg(long)]
    no_scan: bool,
    /// Print one JSON document instead of text.
    #[arg(long)]
    json: bool,
}

impl Args {
    fn options(&self) -> anyhow::Result<DoctorOptions> {
        Ok(DoctorOptions {
            cacert: self.cacert.clone(),
            cert: self.cert.clone(),
            key: self.key.clone(),
            crls: self.crl.clone(),
            servername: self.servername.clone(),
            timeout: timeout(self.timeout)?,
            scan: !self.no_scan,
        })
    }
}

/// `--timeout SECS` as a duration; refuses zero, negative and absurd values.
pub fn timeout(secs: f64) -> anyhow::Result<Duration> {
    if !(secs > 0.0 && secs <= 3600.0) {
        anyhow::bail!("--timeout {secs}: give a number of seconds between 0 and 3600");
    }
    Ok(Duration::from_secs_f64(secs))
}

/// A current-thread runtime: the probes are I/O-bound and start-up time matters.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let target = Target::parse(&args.url)?;
    let opts = args.options()?;
    let diagnosis = runtime()?.block_on(certgate_probe::diagnose(&target, &opts))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&diagnosis.to_json())?);
    } else {
        print!("{}", render(&diagnosis, Style::detect()));
    }
    Ok(if diagnosis.verdict() == Code::Ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// ANSI colour, only on a terminal and never with NO_COLOR.
#[derive(Clone, Copy)]
pub struct Style {
    colour: bool,
}

impl Style {
    pub fn detect() -> Style {
        Style {
            colour: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        }
    }

    /// For text written to stderr.
    pub fn detect_stderr() -> Style {
        Style {
            colour: std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        }
    }

    fn paint(self, code: &str, s: &str) -> String {
        if self.colour {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn bad(self, s: &str) -> String {
        self.paint("1;31", s)
    }
    fn warn(self, s: &str) -> String {
        self.paint("33", s)
    }
    fn good(self, s: &str) -> String {
        self.paint("1;32", s)
    }
    fn dim(self, s: &str) -> String {
        self.paint("2", s)
    }
}

/// The verdict paragraph: code and title, the specific detail, and the fix. Also what `call`
/// prints on failure.
pub fn verdict_paragraph(d: &Diagnosis, st: Style) -> String {
    let mut out = String::new();
    match d.root_cause() {
        None => {
            let _ = writeln!(
                out,
                "{} {}: the connection and the certificates are fine",
                st.good("ok"),
                d.target.url
            );
        }
        Some(f) => {
            let head = format!("{} — {}", f.code, f.code.title());
            let head = if f.severity == Severity::Error {
                st.bad(&head)
            } else {
                st.warn(&head)
            };
            let _ = writeln!(out, "{head}");
            let _ = writeln!(out, "  {}", f.detail);
            let _ = writeln!(out, "  fix: {}", f.code.fix());
        }
    }
    out
}

/// The whole human report: verdict and fix first, then the evidence by section.
pub fn render(d: &Diagnosis, st: Style) -> String {
    let mut out = verdict_paragraph(d, st);
    let ev = &d.evidence;
    let _ = writeln!(out);
    let row = |out: &mut String, label: &str, text: &str| {
        let _ = writeln!(out, "{:<12} {}", label, text);
    };
    let reach = match &ev.reach {
        Reach::Connected { addr } => format!("{addr} (TCP connected)"),
        Reach::DnsFailed { detail } => st.bad(detail),
        Reach::Refused { addr } => st.bad(&format!("{addr} refused")),
        Reach::Timeout { addr, millis } => st.bad(&format!("{addr} no answer in {millis} ms")),
        Reach::Unreachable { addr, detail } => st.bad(&format!("{addr}: {detail}")),
    };
    row(
        &mut out,
        "Target",
        &format!("{} (SNI {})", d.target.url, d.server_name),
    );
    row(&mut out, "Connection", &reach);

    if !ev.versions.is_empty() {
        let mut parts = vec![];
        for p in ev.versions.iter().rev() {
            let name = p.offered.to_string();
            parts.push(match &p.answer {
                HelloAnswer::Accepted { .. } if p.accepted() => {
                    if p.offered < certgate_core::wire::ProtocolVersion::TLS1_2 {
                        st.warn(&format!("{name} yes"))
                    } else {
                        st.good(&format!("{name} yes"))
                    }
                }
                HelloAnswer::NotTls { .. } => st.bad(&format!("{name} not TLS")),
                HelloAnswer::NoAnswer => st.dim(&format!("{name} no answer")),
                _ => st.dim(&format!("{name} no")),
            });
        }
        row(&mut out, "Protocols", &parts.join(", "));
    }
    for (i, s) in ev.suites.iter().enumerate() {
        let list: Vec<String> = s
            .suites
            .iter()
            .map(|c| {
                let l = suite_label(*c);
                if suite_weakness(*c).is_some() {
                    st.warn(&format!("{l} (weak)"))
                } else {
                    l
                }
            })
            .collect();
        row(
            &mut out,
            if i == 0 { "Ciphers" } else { "" },
            &format!("{}: {}", s.version, list.join(", ")),
        );
    }
    if let Some(h) = &ev.handshake {
        let how = match &h.end {
            HandshakeEnd::Completed => st.good("completed"),
            HandshakeEnd::AlertReceived { alert } => st.bad(&format!("server sent alert {alert}")),
            HandshakeEnd::Closed => st.bad("closed by the server"),
            HandshakeEnd::NoAnswer => st.bad("no answer"),
            HandshakeEnd::Failed { detail } => st.bad(&format!("failed: {detail}")),
        };
        let mut text = how;
        if let (Some(v), Some(s)) = (h.version, h.suite) {
            let _ = write!(text, ", {v} {}", suite_label(s));
        }
        if let Some(a) = &h.alpn {
            let _ = write!(text, ", ALPN {a}");
        }
        let _ = write!(
            text,
            ", OCSP stapled: {}",
            if h.ocsp_stapled { "yes" } else { "no" }
        );
        row(&mut out, "Handshake", &text);
    }
    let facts = d.chain_facts();
    for (i, f) in facts.iter().enumerate() {
        let text = format!(
            "{i} {}  issuer {}; {} to {}; {}; {}",
            f.subject,
            f.issuer,
            f.not_before.date(),
            f.not_after.date(),
            f.key,
            f.signature_alg
        );
        row(&mut out, if i == 0 { "Chain" } else { "" }, &text);
        if i == 0 && !f.sans().is_empty() {
            row(&mut out, "", &format!("  SAN {}", f.sans().join(", ")));
        }
    }
    if !facts.is_empty() {
        let anchors = match &d.anchors_from {
            AnchorSource::File(p) => format!("--cacert {}", p.display()),
            AnchorSource::System(p) => format!("system bundle {}", p.display()),
            AnchorSource::None => "none found".to_string(),
        };
        row(&mut out, "Trust", &anchors);
    }
    if let Some(h) = &ev.handshake {
        let cr = h
            .certificate_request
            .as_ref()
            .or(d.flight_certificate_request.as_ref());
        let requested = match cr {
            None => "not requested".to_string(),
            Some(c) if c.ca_names.is_empty() => {
                "requested (no acceptable CA names listed)".to_string()
            }
            Some(c) => format!("requested; acceptable CAs: {}", c.ca_names.join(" | ")),
        };
        let offered = match &h.client_cert {
            ClientCert::Present { subject, .. } => format!("; offered {subject}"),
            ClientCert::Absent { .. } => "; none offered".to_string(),
        };
        row(&mut out, "Client auth", &format!("{requested}{offered}"));
    }
    if let Some(a) = &ev.http {
        let mut text = format!("GET {} → {} {}", d.target.path, a.status, a.reason);
        if let Some(c) = a.body_code {
            let _ = write!(text, " (body names {c})");
        }
        if let Some(s) = &a.server {
            let _ = write!(text, "; server {s}");
        }
        row(&mut out, "HTTP", &text);
    } else if ev.tls_answer_to_plain_http {
        row(
            &mut out,
            "HTTP",
            &st.bad("the server answered plain HTTP with TLS"),
        );
    }

    let others: Vec<_> = d.findings.iter().collect();
    if others.len() > 1 || (others.len() == 1 && d.root_cause().is_none()) {
        let _ = writeln!(out, "\nFindings");
        for f in others {
            let sev = match f.severity {
                Severity::Error => st.bad("error  "),
                Severity::Warning => st.warn("warning"),
                Severity::Info => st.dim("info   "),
            };
            let _ = writeln!(out, "  {sev} {:<26} {}", f.code.as_str(), f.detail);
        }
    }
    let _ = writeln!(
        out,
        "{}",
        st.dim(&format!("\n({:.2} s)", d.elapsed.as_secs_f64()))
    );
    out
}
