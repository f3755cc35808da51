//! Text and JSON renderings of an [`Inventory`]. Wording of findings comes from core's knowledge
//! base (titles, fixes) and the findings' own detail; nothing here invents a diagnosis.

use crate::scan::{CertEntry, Inventory};
use certgate_core::analyse::inventory::ExpiryStatus;
use certgate_core::finding::verdict;
use certgate_core::Finding;
use serde_json::{json, Value};
use std::fmt::Write;
use time::format_description::well_known::Rfc3339;

/// `ok`, `expiring`, `expired`, `not_yet_valid`.
pub fn status_str(s: ExpiryStatus) -> &'static str {
    match s {
        ExpiryStatus::Expired => "expired",
        ExpiryStatus::Expiring => "expiring",
        ExpiryStatus::NotYetValid => "not_yet_valid",
        ExpiryStatus::Ok => "ok",
    }
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// Every finding of the inventory (certificates, endpoints, orphan keys), for the verdict.
pub fn all_findings(inv: &Inventory) -> Vec<Finding> {
    let mut all: Vec<Finding> = inv.certs.iter().flat_map(|c| c.findings.clone()).collect();
    all.extend(inv.endpoints.iter().flat_map(|e| e.findings.clone()));
    all.extend(
        inv.keys
            .iter()
            .filter(|k| k.certificates.is_empty())
            .flat_map(|k| k.findings.clone()),
    );
    all
}

/// Counts for the summary line and JSON.
pub fn summary(inv: &Inventory) -> Value {
    let count = |s: ExpiryStatus| inv.certs.iter().filter(|c| c.status == s).count();
    json!({
        "certificates": inv.certs.len(),
        "expired": count(ExpiryStatus::Expired),
        "expiring": count(ExpiryStatus::Expiring),
        "not_yet_valid": count(ExpiryStatus::NotYetValid),
        "ok": count(ExpiryStatus::Ok),
        "private_keys": inv.keys.len(),
        "files_scanned": inv.files_scanned,
        "endpoints": inv.endpoints.len(),
        "endpoints_failed": inv.endpoints.iter().filter(|e| e.chain.is_empty()).count(),
        "skipped": inv.skipped.len(),
    })
}

fn cert_json(inv: &Inventory, c: &CertEntry) -> Value {
    let f = &c.cert.facts;
    let keys: Vec<Value> = c
        .keys
        .iter()
        .map(|&k| {
            let k = &inv.keys[k];
            json!({"path": k.path, "format": k.format, "mode": k.mode, "too_open": k.too_open})
        })
        .collect();
    json!({
        "fingerprint_sha256": f.sha256_hex,
        "subject": f.subject,
        "common_name": f.common_name,
        "sans": c.cert.sans(),
        "issuer": f.issuer,
        "serial": f.serial_hex,
        "not_before": rfc3339(f.not_before),
        "not_after": rfc3339(f.not_after),
        "days_left": c.days_left,
        "status": status_str(c.status),
        "key": {"type": f.key.alg.as_str(), "bits": f.key.bits},
        "signature_algorithm": f.signature_alg,
        "is_ca": f.is_ca,
        "self_signed": f.self_signed,
        "locations": c.locations,
        "private_key": {
            "found": !c.keys.is_empty(),
            "too_open": c.keys.iter().any(|&k| inv.keys[k].too_open),
            "files": keys,
        },
        "findings": c.findings.iter().map(|f| f.to_json(None)).collect::<Vec<_>>(),
    })
}

/// The one JSON document of `certgate inventory --json`.
pub fn to_json(inv: &Inventory) -> Value {
    let all = all_findings(inv);
    let v = verdict(&all);
    json!({
        "generated_at": rfc3339(inv.generated_at),
        "warn_days": inv.warn_days,
        "verdict": v.as_str(),
        "title": v.title(),
        "summary": summary(inv),
        "certificates": inv.certs.iter().map(|c| cert_json(inv, c)).collect::<Vec<_>>(),
        "endpoints": inv.endpoints.iter().map(|e| json!({
            "endpoint": e.endpoint.to_string(),
            "host": e.endpoint.host,
            "port": e.endpoint.port,
            "reachable": !e.chain.is_empty(),
            "chain": e.chain,
            "findings": e.findings.iter().map(|f| f.to_json(None)).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "private_keys": inv.keys.iter().map(|k| {
            let mut v = serde_json::to_value(k).unwrap_or_default();
            v["findings"] = k.findings.iter().map(|f| f.to_json(None)).collect::<Vec<_>>().into();
            v
        }).collect::<Vec<_>>(),
        "skipped": inv.skipped,
    })
}

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// A cell's text for the private-key column.
fn key_cell(inv: &Inventory, c: &CertEntry) -> String {
    match c.keys.first() {
        None => "-".to_string(),
        Some(&k) => {
            let k = &inv.keys[k];
            let mode = k.mode.clone().unwrap_or_else(|| "found".into());
            if c.keys.iter().any(|&k| inv.keys[k].too_open) {
                format!("{mode} too open")
            } else {
                mode
            }
        }
    }
}

/// The human table, soonest expiry first, then endpoint failures, skipped files and a summary.
pub fn to_text(inv: &Inventory) -> String {
    let headers = [
        "DAYS",
        "NOT AFTER",
        "SUBJECT",
        "SANS",
        "ISSUER",
        "SERIAL",
        "KEY",
        "PRIV KEY",
        "FOUND IN",
        "FINDINGS",
    ];
    let rows: Vec<[String; 10]> = inv
        .certs
        .iter()
        .map(|c| {
            let f = &c.cert.facts;
            let all_sans = c.cert.sans();
            let sans = match all_sans.len() {
                0 => "-".to_string(),
                1 => all_sans[0].clone(),
                n => format!("{} +{}", all_sans[0], n - 1),
            };
            let found = match c.locations.len() {
                0 => "-".to_string(),
                1 => c.locations[0].to_string(),
                n => format!("{} +{}", c.locations[0], n - 1),
            };
            let codes: Vec<&str> = c.findings.iter().map(|f| f.code.as_str()).collect();
            let issuer = f
                .issuer
                .split(',')
                .find_map(|p| p.trim().strip_prefix("CN="))
                .unwrap_or(&f.issuer)
                .to_string();
            let serial = certgate_core::x509::short_hex(&f.serial_hex);
            [
                c.days_left.to_string(),
                f.not_after.date().to_string(),
                clip(&c.cert.display_name(), 40),
                clip(&sans, 32),
                clip(&issuer, 28),
                serial,
                f.key.to_string(),
                key_cell(inv, c),
                clip(&found, 60),
                if codes.is_empty() {
                    "ok".into()
                } else {
                    codes.join(",")
                },
            ]
        })
        .collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.len()).collect();
    for r in &rows {
        for (w, cell) in widths.iter_mut().zip(r.iter()) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let line = |cells: &[&str], out: &mut String| {
        let mut l = String::new();
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            if i + 1 == cells.len() {
                l.push_str(cell);
            } else if i == 0 {
                let _ = write!(l, "{cell:>w$}  ");
            } else {
                let pad = w - cell.chars().count();
                l.push_str(cell);
                l.push_str(&" ".repeat(pad + 2));
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    if !rows.is_empty() {
        line(&headers, &mut out);
        for r in &rows {
            let cells: Vec<&str> = r.iter().map(String::as_str).collect();
            line(&cells, &mut out);
        }
    }
    let failed: Vec<_> = inv
        .endpoints
        .iter()
        .filter(|e| e.chain.is_empty())
        .collect();
    if !failed.is_empty() {
        out.push_str("\nendpoints that could not be scanned:\n");
        for e in failed {
            for f in &e.findings {
                let _ = writeln!(out, "  {}  {}  {}", e.endpoint, f.code, f.detail);
            }
        }
    }
    let open: Vec<_> = inv.keys.iter().filter(|k| k.too_open).collect();
    if !open.is_empty() {
        out.push_str("\nprivate keys readable by others:\n");
        for k in open {
            let _ = writeln!(out, "  {}  {}", k.mode.as_deref().unwrap_or("?"), k.path);
        }
    }
    if !inv.skipped.is_empty() {
        out.push_str("\nnot read:\n");
        for s in &inv.skipped {
            let _ = writeln!(out, "  {}: {}", s.path, s.reason);
        }
    }
    let s = summary(inv);
    let _ = writeln!(
        out,
        "\n{} certificates ({} expired, {} expiring within {} days, {} ok) in {} files and {} endpoints; {} private keys",
        s["certificates"],
        s["expired"],
        s["expiring"],
        inv.warn_days,
        s["ok"],
        inv.files_scanned,
        inv.endpoints.len(),
        s["private_keys"],
    );
    let all = all_findings(inv);
    if let Some(f) = certgate_core::finding::rank(&all) {
        let _ = writeln!(
            out,
            "fix first: {} — {}\n  {}",
            f.code,
            f.detail,
            f.code.fix()
        );
    }
    out
}
