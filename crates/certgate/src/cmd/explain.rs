//! `certgate explain`: turn a client's error message or a server log into reason codes, the
//! cause in plain words and the fix for the ecosystem the message came from. Reads the text from
//! arguments, `--file` or stdin; the matching itself is core's (`certgate_core::explain`).

use crate::out;
use anyhow::{bail, Context};
use certgate_core::explain::{explain, Explanation, Summary};
use certgate_core::Ecosystem;
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;

/// Beyond this many recognised lines the text output is a summary per code.
const DETAIL_LIMIT: usize = 10;

/// Explain an error message or a log.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  certgate explain 'curl: (60) SSL certificate problem: unable to get local issuer certificate'\n  certgate explain --file /var/log/nginx/error.log\n  python app.py 2>&1 | certgate explain -\n\nExit status: 0 something was recognised, 1 nothing was, 2 the input could not be read."
)]
pub struct Args {
    /// The message to explain (several words are joined); `-` reads stdin.
    #[arg(value_name = "TEXT", allow_hyphen_values = true)]
    text: Vec<String>,
    /// Read the message or log from this file.
    #[arg(long, value_name = "LOG", conflicts_with = "text")]
    file: Option<PathBuf>,
    /// Give fixes for this ecosystem instead of the detected one (curl, openssl, python_requests,
    /// node, java, go, php_curl, dotnet, rustls, nginx).
    #[arg(long, value_name = "ECO", value_parser = parse_ecosystem)]
    ecosystem: Option<Ecosystem>,
    /// Print one JSON document instead of text.
    #[arg(long)]
    json: bool,
}

fn parse_ecosystem(s: &str) -> Result<Ecosystem, String> {
    Ecosystem::from_id(s).ok_or_else(|| {
        let ids: Vec<&str> = Ecosystem::ALL.iter().map(|e| e.as_str()).collect();
        format!("unknown ecosystem {s:?}; one of {}", ids.join(", "))
    })
}

/// Where the text came from, for error messages.
fn read_input(args: &Args) -> anyhow::Result<(String, String)> {
    let (bytes, source) = if let Some(path) = &args.file {
        let b = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        (b, path.display().to_string())
    } else if args.text.is_empty() || args.text == ["-"] {
        if args.text.is_empty() && std::io::stdin().is_terminal() {
            bail!("nothing to explain: pass the message as TEXT, a log with --file LOG, or pipe it into `certgate explain -`");
        }
        let mut b = Vec::new();
        std::io::stdin()
            .read_to_end(&mut b)
            .context("cannot read stdin")?;
        (b, "stdin".to_string())
    } else {
        (args.text.join(" ").into_bytes(), "the argument".to_string())
    };
    if bytes.contains(&0) {
        bail!("{source} is binary data, not a text message or log");
    }
    let text = String::from_utf8_lossy(&bytes).into_owned();
    if text.trim().is_empty() {
        bail!("nothing to explain: {source} is empty");
    }
    Ok((text, source))
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (text, _source) = read_input(&args)?;
    let mut e = explain(&text);
    if let Some(eco) = args.ecosystem {
        for m in &mut e.matches {
            m.ecosystem = Some(eco);
        }
    }
    let lines: Vec<&str> = text.lines().collect();
    let rendered = if args.json {
        serde_json::to_string_pretty(&to_json(&e, &lines))? + "\n"
    } else {
        to_text(&e, &lines)
    };
    out::print(&rendered)?;
    Ok(if e.matches.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

const UNKNOWN_FIX: &str = "certgate does not know this message. If it is a TLS failure, `certgate doctor URL` probes the endpoint and names the cause; `certgate codes` lists what certgate can name.";

/// `{"code", "title", "detail", "fix", "ecosystem", "matches", "lines", "recognised", "summary"}`.
fn to_json(e: &Explanation, lines: &[&str]) -> Value {
    let Some(best) = e.best() else {
        return json!({
            "code": "unknown",
            "title": "Not recognised",
            "detail": format!("None of the {} line(s) matched a known message.", e.lines),
            "fix": UNKNOWN_FIX,
            "ecosystem": null,
            "matches": [],
            "lines": e.lines,
            "recognised": 0,
        });
    };
    let matches: Vec<Value> = e
        .matches
        .iter()
        .map(|m| m.to_json(lines.get(m.line - 1).copied().unwrap_or("").trim()))
        .collect();
    let mut doc = json!({
        "code": best.code.as_str(),
        "title": best.code.title(),
        "detail": detail(best.code.knowledge().explanation, best.note.as_deref()),
        "fix": best.fix(),
        "ecosystem": best.ecosystem.map(|x| x.as_str()),
        "matches": matches,
        "lines": e.lines,
        "recognised": e.matches.len(),
    });
    if e.matches.len() > 1 {
        doc["summary"] = e.summary().to_json();
    }
    doc
}

fn detail(explanation: &str, note: Option<&str>) -> String {
    match note {
        Some(n) => format!("{explanation} {}", capitalise(n)),
        None => explanation.to_string(),
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

fn to_text(e: &Explanation, lines: &[&str]) -> String {
    let mut s = String::new();
    if e.matches.is_empty() {
        let _ = writeln!(s, "unknown: nothing recognised in {} line(s).", e.lines);
        let _ = writeln!(s, "  {UNKNOWN_FIX}");
        return s;
    }
    if e.matches.len() <= DETAIL_LIMIT {
        for (i, m) in e.matches.iter().enumerate() {
            if i > 0 {
                s.push('\n');
            }
            let eco = m
                .ecosystem
                .map(|x| format!(" [{}]", x.label()))
                .unwrap_or_default();
            if e.lines > 1 {
                let _ = write!(s, "line {}: ", m.line);
            }
            let _ = writeln!(s, "{} — {}{eco}", m.code, m.code.title());
            let _ = writeln!(s, "  matched: {:?}", m.evidence);
            if e.lines > 1 {
                let _ = writeln!(s, "  in:      {}", lines[m.line - 1].trim());
            }
            if let Some(n) = &m.note {
                let _ = writeln!(s, "  note:    {}", capitalise(n));
            }
            let _ = writeln!(s, "  cause:   {}", m.code.knowledge().explanation);
            let _ = writeln!(s, "  fix:     {}", m.fix());
        }
        if e.matches.len() > 1 {
            let best = e.best().expect("not empty");
            let _ = writeln!(s, "\nverdict: {} (line {})", best.code, best.line);
        }
        return s;
    }
    let sum = e.summary();
    let _ = writeln!(s, "recognised {} of {} lines\n", e.matches.len(), e.lines);
    let _ = writeln!(
        s,
        "{:<28} {:>6}  {:<25} {:<25}",
        "code", "count", "first seen", "last seen"
    );
    let mut by_count: Vec<_> = sum.codes.iter().collect();
    by_count.sort_by(|a, b| b.1.count.cmp(&a.1.count).then(a.0.cmp(b.0)));
    for (c, st) in &by_count {
        let _ = writeln!(
            s,
            "{:<28} {:>6}  {:<25} {:<25}",
            c.as_str(),
            st.count,
            st.first_seen.as_deref().unwrap_or("-"),
            st.last_seen.as_deref().unwrap_or("-")
        );
    }
    if !sum.per_hour.is_empty() {
        let _ = writeln!(s, "\nper hour:");
        for (h, m) in &sum.per_hour {
            let parts: Vec<String> = m.iter().map(|(c, n)| format!("{c} {n}")).collect();
            let _ = writeln!(s, "  {h}  {}", parts.join(", "));
        }
    }
    for (label, map) in [
        ("top clients", &sum.clients),
        ("top identities", &sum.identities),
    ] {
        let top = Summary::top(map, 5);
        if !top.is_empty() {
            let parts: Vec<String> = top.iter().map(|(k, n)| format!("{k} ({n})")).collect();
            let _ = writeln!(s, "{label}: {}", parts.join(", "));
        }
    }
    s.push('\n');
    for (c, _) in &by_count {
        let first = e.matches.iter().find(|m| m.code == **c).expect("counted");
        let _ = writeln!(s, "{} — {}", c, c.title());
        let _ = writeln!(
            s,
            "  e.g. line {}: {}",
            first.line,
            lines[first.line - 1].trim()
        );
        let _ = writeln!(s, "  fix: {}", first.fix());
    }
    s
}
