//! `certgate codes`: the reason-code catalogue, as text or JSON, straight from core's knowledge base.

use certgate_core::{Code, Ecosystem};
use serde_json::{json, Value};
use std::process::ExitCode;

/// Print the catalogue of reason codes.
#[derive(clap::Args)]
pub struct Args {
    /// Print one JSON document instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.json {
        println!("{}", serde_json::to_string_pretty(&catalogue_json())?);
    } else {
        for &c in Code::ALL {
            let k = c.knowledge();
            println!("{:<28} {:<8} {}", c.as_str(), severity(c), k.title);
            println!("{:<37} fix: {}", "", k.fix);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn severity(c: Code) -> &'static str {
    match c.severity() {
        certgate_core::Severity::Info => "info",
        certgate_core::Severity::Warning => "warning",
        certgate_core::Severity::Error => "error",
    }
}

/// The catalogue as JSON: `{"codes": [{"code", "severity", "title", "explanation", "fix", "fixes"}]}`.
pub fn catalogue_json() -> Value {
    let codes: Vec<Value> = Code::ALL
        .iter()
        .map(|&c| {
            let k = c.knowledge();
            let fixes: serde_json::Map<String, Value> = Ecosystem::ALL
                .iter()
                .filter_map(|&e| {
                    k.fixes
                        .iter()
                        .find(|(x, _)| *x == e)
                        .map(|(_, f)| (e.as_str().to_string(), Value::from(*f)))
                })
                .collect();
            json!({
                "code": c.as_str(),
                "severity": severity(c),
                "title": k.title,
                "explanation": k.explanation,
                "fix": k.fix,
                "fixes": fixes,
            })
        })
        .collect();
    json!({ "codes": codes })
}
