//! `DIR/manifest.json`: what a running lab offers. One entry per scenario with the URL, the files
//! a client needs and the reason code a diagnosis must name. Tests and CI scripts read it; its
//! field names are a contract (add fields, never rename).

use certgate_core::Code;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The whole manifest.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Manifest {
    /// Format version of this document.
    pub version: u32,
    /// The directory holding the manifest, the CA bundle and the client credentials.
    pub dir: PathBuf,
    /// Trust anchor for every lab server certificate (PEM).
    pub ca_bundle: PathBuf,
    /// The issuing CA's CRL, which lists the `revoked` scenario's certificate, followed by the
    /// root's (empty) CRL (PEM).
    pub crl: PathBuf,
    /// Where the lab serves the same CRL (DER) over HTTP; the revoked certificate points here.
    pub crl_url: String,
    /// The lab's OCSP responder (`openssl ocsp`), named in the revoked certificate's Authority
    /// Information Access; `null` without the openssl CLI.
    pub ocsp_url: Option<String>,
    /// The running scenarios, in catalogue order.
    pub scenarios: Vec<Entry>,
    /// Selected scenarios that could not start here, with the reason.
    pub unavailable: Vec<Unavailable>,
}

/// One running scenario.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Entry {
    /// Scenario name (`expired`, `mtls-tls-required`, ...).
    pub name: String,
    /// The URL to call.
    pub url: String,
    /// The host name to use (and to verify the certificate against).
    pub host: String,
    /// The TCP port.
    pub port: u16,
    /// The reason code a correct diagnosis names (DESIGN.md §2).
    pub expected: Code,
    /// One line for humans.
    pub description: String,
    /// Whether curl with this entry's files fails here (other clients differ; see docs/lab.md).
    pub clients_fail: bool,
    /// The CA bundle the client should trust.
    pub ca_bundle: PathBuf,
    /// Client certificate chain (PEM) to present, when the scenario hands one out.
    pub client_cert: Option<PathBuf>,
    /// Its private key (PKCS#8 PEM).
    pub client_key: Option<PathBuf>,
    /// A CRL the client must be given to see the failure (most clients do not fetch CRLs).
    pub crl: Option<PathBuf>,
}

/// A selected scenario that is not running.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Unavailable {
    pub name: String,
    /// Why, in one line.
    pub why: String,
}

impl Manifest {
    /// The entry called `name`.
    pub fn entry(&self, name: &str) -> Option<&Entry> {
        self.scenarios.iter().find(|e| e.name == name)
    }
}
