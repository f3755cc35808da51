//! Test helpers (dev only): find real client tools (curl, openssl, python3, node, php, nginx) and
//! temporary directories for generated PKIs. Missing tools skip a test locally, but fail it when
//! `CERTGATE_REQUIRE_TOOLS=1` (set by `.ci/run`), so CI cannot pass by skipping.

use std::path::PathBuf;
use std::process::Command;

/// The path of `tool` on PATH, or `None` (after saying so) when it is missing and tools are not
/// required. Panics when `CERTGATE_REQUIRE_TOOLS=1` and the tool is missing.
pub fn tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        if std::env::var("CERTGATE_REQUIRE_TOOLS").as_deref() == Ok("1") {
            panic!("required tool `{name}` is not installed (CERTGATE_REQUIRE_TOOLS=1); .ci/run installs it");
        }
        eprintln!("SKIP: `{name}` is not installed");
    }
    found
}

/// True when `python3 -c "import MODULE"` works; same skip/fail rule as [`tool`].
pub fn python_module(module: &str) -> bool {
    let ok = tool("python3").is_some()
        && Command::new("python3")
            .args(["-c", &format!("import {module}")])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
    if !ok {
        if std::env::var("CERTGATE_REQUIRE_TOOLS").as_deref() == Ok("1") {
            panic!("required Python module `{module}` is missing (CERTGATE_REQUIRE_TOOLS=1)");
        }
        eprintln!("SKIP: Python module `{module}` is missing");
    }
    ok
}

/// A fresh temporary directory, removed on drop.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("create temp dir")
}

/// Re-exported so tests can build their PKI with one import.
pub use certgate_pki as pki;
