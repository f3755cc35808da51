//! Explain against messages captured from real clients: `tests/explain/fixtures.jsonl` (recorded
//! by `tests/explain/regen.sh`; every record must map to its expected code) and the lab's
//! client-error corpus `tests/corpus/**/*.jsonl` when present (at least 95%, misses printed).
//! Records are JSON objects with `client`, `scenario`, `message` and `expected`.
//! `CERTGATE_EXTRA_CORPUS=DIR` adds another corpus directory (same rule as tests/corpus).

use certgate_core::explain::explain;
use serde_json::Value;
use std::path::{Path, PathBuf};

struct Record {
    file: String,
    client: String,
    scenario: String,
    message: String,
    expected: String,
}

fn jsonl_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            jsonl_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "jsonl") {
            out.push(p);
        }
    }
    out.sort();
}

fn load(dir: &Path) -> Vec<Record> {
    let mut files = Vec::new();
    jsonl_files(dir, &mut files);
    let mut records = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let v: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{}:{}: {e}", f.display(), i + 1));
            let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            let expected = if v["expected"].is_string() {
                s("expected")
            } else {
                s("expected_code")
            };
            assert!(
                !expected.is_empty(),
                "{}:{}: no expected code",
                f.display(),
                i + 1
            );
            records.push(Record {
                file: f.file_name().unwrap().to_string_lossy().into(),
                client: s("client"),
                scenario: s("scenario"),
                message: s("message"),
                expected,
            });
        }
    }
    records
}

/// Explains every record; returns (hits, misses as printable lines).
fn score(records: &[Record]) -> (usize, Vec<String>) {
    let mut misses = Vec::new();
    for r in records {
        let got = explain(&r.message)
            .code()
            .map(|c| c.as_str())
            .unwrap_or("unknown");
        if got != r.expected {
            misses.push(format!(
                "  {} {} / {}: expected {}, got {got}\n    {:?}",
                r.file, r.client, r.scenario, r.expected, r.message
            ));
        }
    }
    (records.len() - misses.len(), misses)
}

fn report(name: &str, records: &[Record]) -> (usize, Vec<String>) {
    let (hits, misses) = score(records);
    let pct = 100.0 * hits as f64 / records.len().max(1) as f64;
    eprintln!(
        "explain coverage, {name}: {hits}/{} = {pct:.1}%",
        records.len()
    );
    let mut clients: Vec<&str> = records.iter().map(|r| r.client.as_str()).collect();
    clients.sort();
    clients.dedup();
    for c in clients {
        let of: Vec<&Record> = records.iter().filter(|r| r.client == c).collect();
        let missed = misses
            .iter()
            .filter(|m| m.contains(&format!(" {c} ")))
            .count();
        eprintln!("  {c:<16} {}/{}", of.len() - missed, of.len());
    }
    for m in &misses {
        eprintln!("{m}");
    }
    (hits, misses)
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn every_captured_fixture_maps_to_its_expected_code() {
    let records = load(&root().join("tests/explain"));
    assert!(
        records.len() >= 40,
        "tests/explain/fixtures.jsonl has only {} records; run tests/explain/regen.sh",
        records.len()
    );
    let (_, misses) = report("tests/explain fixtures", &records);
    assert!(
        misses.is_empty(),
        "{} fixture(s) explained wrongly:\n{}",
        misses.len(),
        misses.join("\n")
    );
}

#[test]
fn lab_corpus_maps_to_its_expected_codes() {
    let mut dirs = vec![root().join("tests/corpus")];
    if let Some(extra) = std::env::var_os("CERTGATE_EXTRA_CORPUS") {
        dirs.push(PathBuf::from(extra));
    }
    for dir in dirs {
        let records = load(&dir);
        if records.is_empty() {
            eprintln!("SKIP: no corpus records in {}", dir.display());
            continue;
        }
        let (hits, misses) = report(&dir.display().to_string(), &records);
        assert!(
            hits * 100 >= records.len() * 95,
            "explain maps only {hits}/{} corpus records of {} to their expected code (issue 7 asks for 95%):\n{}",
            records.len(),
            dir.display(),
            misses.join("\n")
        );
    }
}
