//! Mints the certificates `tests/captures/regen.sh` uses, with certgate's own PKI crate:
//! `cargo run -p certgate-trace --example capture_pki -- DIR` writes `ca.pem`, `server.pem/.key`
//! (localhost, valid), `expired.pem/.key` (expired 10 days ago), `client.pem/.key` (clientAuth)
//! `other-ca.pem` (a CA that signed nothing the server sends) and `stranger.pem/.key` (a client
//! certificate from that other CA).

use certgate_testkit::pki::{Ca, CaSpec, LeafSpec, Validity};
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(std::env::args().nth(1).ok_or("usage: capture_pki DIR")?);
    std::fs::create_dir_all(&dir)?;
    let ca = Ca::root(&CaSpec::new("Trace Capture Root CA"))?;
    ca.save(&dir)?;
    ca.issue(&LeafSpec::server(&["localhost", "127.0.0.1", "::1"]))?
        .save(&dir, "server")?;
    ca.issue(
        &LeafSpec::server(&["localhost", "127.0.0.1", "::1"]).valid(Validity::expired_days_ago(10)),
    )?
    .save(&dir, "expired")?;
    ca.issue(&LeafSpec::client("trace-client"))?
        .save(&dir, "client")?;
    let other = Ca::root(&CaSpec::new("Unrelated Root CA"))?;
    std::fs::write(dir.join("other-ca.pem"), &other.cert_pem)?;
    other
        .issue(&LeafSpec::client("stranger"))?
        .save(&dir, "stranger")?;
    Ok(())
}
