//! The committed client-error corpus (`tests/corpus/*.jsonl`) is well formed and complete: every
//! line has the four documented fields, every code is a real code and the one the scenario
//! states, and every scenario that makes clients fail is covered by at least six clients.

use certgate_core::Code;
use certgate_lab::CATALOGUE;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

#[test]
fn corpus_records_are_well_formed_and_cover_every_failing_scenario_with_six_clients() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus");
    let mut clients_per_scenario: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).expect("tests/corpus exists") {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("jsonl") {
            continue;
        }
        files += 1;
        let text = std::fs::read_to_string(&path).unwrap();
        for (i, line) in text.lines().enumerate() {
            let at = format!("{}:{}", path.display(), i + 1);
            let v: serde_json::Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("{at}: {e}"));
            let field = |k: &str| {
                v[k].as_str()
                    .unwrap_or_else(|| panic!("{at}: no string {k:?}"))
                    .to_string()
            };
            let (client, scenario, message, expected) = (
                field("client"),
                field("scenario"),
                field("message"),
                field("expected"),
            );
            assert_eq!(
                path.file_stem().unwrap().to_str().unwrap(),
                client,
                "{at}: client vs file name"
            );
            assert!(!message.trim().is_empty(), "{at}: empty message");
            let code: Code = expected.parse().unwrap_or_else(|e| panic!("{at}: {e}"));
            let sc = CATALOGUE
                .iter()
                .find(|s| s.name == scenario)
                .unwrap_or_else(|| panic!("{at}: unknown scenario {scenario:?}"));
            assert_eq!(
                sc.expected, code,
                "{at}: expected code differs from the scenario's"
            );
            assert!(
                !message.contains("/tmp/"),
                "{at}: unnormalised path in {message:?}"
            );
            clients_per_scenario
                .entry(scenario)
                .or_default()
                .insert(client);
        }
    }
    assert!(files >= 6, "only {files} client files in {}", dir.display());
    for sc in CATALOGUE.iter().filter(|s| s.clients_fail) {
        let n = clients_per_scenario.get(sc.name).map_or(0, |c| c.len());
        assert!(
            n >= 6,
            "scenario {} has records from {n} clients, want at least 6",
            sc.name
        );
    }
}
