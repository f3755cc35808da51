//! The scan: walk the paths, read files on a pool of threads, connect to endpoints with a bounded
//! number in flight, then join everything into one [`Inventory`]: certificates deduplicated by
//! fingerprint with every place they were found, private keys matched by public key, and core's
//! findings attached.

use crate::cert::{summarise, CertSummary};
use crate::endpoint::{capture, Endpoint};
use crate::file::{scan_file, FileScan, Format};
use certgate_core::analyse::chain::{analyse, ChainInput, Purpose};
use certgate_core::analyse::inventory as judge;
use certgate_core::analyse::inventory::ExpiryStatus;
use certgate_core::x509::lint_certificate;
use certgate_core::{Code, Finding, Side};
use rustls_pki_types::CertificateDer;
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

/// What to scan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A file or a directory tree.
    Path(PathBuf),
    /// A TLS endpoint.
    Endpoint(Endpoint),
}

/// A command-line target that is neither an existing path nor an endpoint.
#[derive(Debug, thiserror::Error)]
#[error("{0}: no such file or directory, and not host:port or https://host[:port]")]
pub struct BadTarget(pub String);

impl Target {
    /// An existing path wins over an endpoint reading (`localhost:443` could be a file name).
    pub fn parse(s: &str) -> Result<Target, BadTarget> {
        let p = Path::new(s);
        if p.exists() {
            return Ok(Target::Path(p.to_path_buf()));
        }
        Endpoint::parse(s)
            .map(Target::Endpoint)
            .ok_or_else(|| BadTarget(s.to_string()))
    }
}

/// Progress of a scan, for a progress bar.
#[derive(Clone, Copy, Debug)]
pub enum Progress {
    /// The walk found this many files and there are this many endpoints: the total work.
    Total(u64),
    /// One file or endpoint is done.
    Done,
}

/// Callback receiving [`Progress`].
pub type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

/// Scan settings.
#[derive(Clone)]
pub struct ScanOptions {
    /// Certificates expiring within this many days are reported as `cert.expiring_soon`.
    pub warn_days: u32,
    /// Endpoints connected at once.
    pub concurrency: usize,
    /// Per endpoint: resolution, connection and handshake each get this long.
    pub timeout: Duration,
    /// Threads reading files.
    pub file_threads: usize,
    pub progress: Option<ProgressFn>,
    /// Trust anchors for judging the chains endpoints send (besides the self-signed CA
    /// certificates found in the scanned files).
    pub anchors: Vec<CertificateDer<'static>>,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            warn_days: 30,
            concurrency: 64,
            timeout: Duration::from_secs(5),
            file_threads: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
            progress: None,
            anchors: Vec::new(),
        }
    }
}

/// Where a certificate was found.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Location {
    /// `file` or `endpoint`.
    pub kind: &'static str,
    /// The file path or `host:port`.
    pub place: String,
    pub format: Format,
    /// Position within the file or the sent chain (0 = first).
    pub index: usize,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.kind {
            "endpoint" => write!(f, "{} (chain #{})", self.place, self.index),
            _ if self.index > 0 => write!(f, "{} (#{})", self.place, self.index),
            _ => f.write_str(&self.place),
        }
    }
}

/// A private-key file and whether its permissions are too open.
#[derive(Clone, Debug, Serialize)]
pub struct KeyFile {
    pub path: String,
    pub format: Format,
    /// Permission bits as octal text (`0600`), when the platform has them.
    pub mode: Option<String>,
    pub too_open: bool,
    /// Encrypted with a passphrase (cannot be matched to a certificate).
    pub encrypted: bool,
    /// Fingerprints of the certificates this key belongs to.
    pub certificates: Vec<String>,
    #[serde(skip)]
    pub key_id: Option<[u8; 32]>,
    #[serde(skip)]
    pub findings: Vec<Finding>,
}

/// One certificate in the inventory.
#[derive(Clone, Debug)]
pub struct CertEntry {
    pub cert: CertSummary,
    /// The certificate itself.
    pub der: Vec<u8>,
    pub locations: Vec<Location>,
    /// Indexes into [`Inventory::keys`] of the private keys that match this certificate.
    pub keys: Vec<usize>,
    pub status: ExpiryStatus,
    pub days_left: i64,
    pub findings: Vec<Finding>,
}

/// One endpoint: the chain it sent (fingerprints, leaf first) or why there is none.
#[derive(Clone, Debug)]
pub struct EndpointReport {
    pub endpoint: Endpoint,
    pub chain: Vec<String>,
    pub findings: Vec<Finding>,
}

/// A file that looked like certificate material but could not be read.
#[derive(Clone, Debug, Serialize)]
pub struct Skipped {
    pub path: String,
    pub reason: String,
}

/// The result of a scan.
#[derive(Clone, Debug)]
pub struct Inventory {
    pub generated_at: OffsetDateTime,
    pub warn_days: u32,
    /// Sorted by days left, soonest first.
    pub certs: Vec<CertEntry>,
    pub keys: Vec<KeyFile>,
    pub endpoints: Vec<EndpointReport>,
    pub skipped: Vec<Skipped>,
    pub files_scanned: usize,
}

impl Inventory {
    /// True when anything is expired or inside the warning window, or an endpoint could not be
    /// scanned: the exit status 1 of `certgate inventory`.
    pub fn has_problem(&self) -> bool {
        self.certs
            .iter()
            .any(|c| matches!(c.status, ExpiryStatus::Expired | ExpiryStatus::Expiring))
            || self.endpoints.iter().any(|e| e.chain.is_empty())
    }
}

/// Lists the files under the given paths: directories recursively (symlinked directories below a
/// root are not followed, so loops cannot happen; `.git` is skipped), files as given.
pub fn walk(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<Skipped>) {
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    let mut stack: Vec<PathBuf> = Vec::new();
    for p in paths {
        if p.is_dir() {
            stack.push(p.clone());
        } else {
            files.push(p.clone());
        }
    }
    while let Some(dir) = stack.pop() {
        let rd = match std::fs::read_dir(&dir) {
            Ok(rd) => rd,
            Err(e) => {
                skipped.push(Skipped {
                    path: dir.display().to_string(),
                    reason: format!("cannot list directory: {e}"),
                });
                continue;
            }
        };
        let mut entries: Vec<_> = rd.filter_map(Result::ok).collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let path = e.path();
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir() {
                if e.file_name() != ".git" {
                    stack.push(path);
                }
            } else if ft.is_file() || (ft.is_symlink() && path.is_file()) {
                files.push(path);
            }
        }
    }
    (files, skipped)
}

/// Runs a whole scan. `now` is the clock reading all findings are judged against.
pub async fn scan(targets: &[Target], opts: &ScanOptions, now: OffsetDateTime) -> Inventory {
    let paths: Vec<PathBuf> = targets
        .iter()
        .filter_map(|t| match t {
            Target::Path(p) => Some(p.clone()),
            _ => None,
        })
        .collect();
    let endpoints: Vec<Endpoint> = targets
        .iter()
        .filter_map(|t| match t {
            Target::Endpoint(e) => Some(e.clone()),
            _ => None,
        })
        .collect();
    let (files, mut skipped) = tokio::task::spawn_blocking(move || walk(&paths))
        .await
        .unwrap_or_default();
    if let Some(p) = &opts.progress {
        p(Progress::Total((files.len() + endpoints.len()) as u64));
    }
    let files_scanned = files.len();
    let file_job = {
        let progress = opts.progress.clone();
        let threads = opts.file_threads.max(1);
        tokio::task::spawn_blocking(move || read_files(files, threads, progress))
    };
    let endpoint_results = scan_endpoints(endpoints, opts).await;
    let file_results = file_job.await.unwrap_or_default();
    for f in &file_results {
        if let Some(why) = &f.problem {
            skipped.push(Skipped {
                path: f.path.display().to_string(),
                reason: why.clone(),
            });
        }
    }
    assemble(
        file_results,
        endpoint_results,
        skipped,
        files_scanned,
        opts,
        now,
    )
}

fn read_files(files: Vec<PathBuf>, threads: usize, progress: Option<ProgressFn>) -> Vec<FileScan> {
    let next = AtomicUsize::new(0);
    let mut results: Vec<Vec<(usize, FileScan)>> = Vec::new();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads.min(files.len().max(1)))
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(path) = files.get(i) else { break };
                        let r = scan_file(path);
                        if let Some(p) = &progress {
                            p(Progress::Done);
                        }
                        if !r.certs.is_empty() || !r.keys.is_empty() || r.problem.is_some() {
                            mine.push((i, r));
                        }
                    }
                    mine
                })
            })
            .collect();
        for h in handles {
            results.push(h.join().unwrap_or_default());
        }
    });
    let mut all: Vec<(usize, FileScan)> = results.into_iter().flatten().collect();
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, r)| r).collect()
}

type EndpointResult = (Endpoint, Result<Vec<Vec<u8>>, Finding>);

async fn scan_endpoints(endpoints: Vec<Endpoint>, opts: &ScanOptions) -> Vec<EndpointResult> {
    let sem = Arc::new(tokio::sync::Semaphore::new(opts.concurrency.max(1)));
    let mut set = tokio::task::JoinSet::new();
    for (i, ep) in endpoints.into_iter().enumerate() {
        let sem = sem.clone();
        let timeout = opts.timeout;
        let progress = opts.progress.clone();
        set.spawn(async move {
            let _permit = sem.acquire_owned().await;
            let r = capture(&ep, timeout)
                .await
                .map(|chain| chain.into_iter().map(|c| c.to_vec()).collect());
            if let Some(p) = &progress {
                p(Progress::Done);
            }
            (i, ep, r)
        });
    }
    let mut out = Vec::new();
    while let Some(r) = set.join_next().await {
        if let Ok(r) = r {
            out.push(r);
        }
    }
    out.sort_by_key(|(i, _, _)| *i);
    out.into_iter().map(|(_, e, r)| (e, r)).collect()
}

/// Joins file and endpoint results into the inventory and attaches core's findings.
fn assemble(
    files: Vec<FileScan>,
    endpoints: Vec<EndpointResult>,
    skipped: Vec<Skipped>,
    files_scanned: usize,
    opts: &ScanOptions,
    now: OffsetDateTime,
) -> Inventory {
    let mut certs: Vec<CertEntry> = Vec::new();
    let mut by_fp: HashMap<String, usize> = HashMap::new();
    let mut keys: Vec<KeyFile> = Vec::new();
    let mut add = |der: &[u8], loc: Location, certs: &mut Vec<CertEntry>| -> Option<String> {
        let s = summarise(der)?;
        let fp = s.facts.sha256_hex.clone();
        let i = *by_fp.entry(fp.clone()).or_insert_with(|| {
            certs.push(CertEntry {
                der: der.to_vec(),
                days_left: judge::days_left(s.facts.not_after, now),
                status: judge::expiry_status(
                    s.facts.not_before,
                    s.facts.not_after,
                    now,
                    opts.warn_days,
                ),
                cert: s,
                locations: Vec::new(),
                keys: Vec::new(),
                findings: Vec::new(),
            });
            certs.len() - 1
        });
        if !certs[i].locations.contains(&loc) {
            certs[i].locations.push(loc);
        }
        Some(fp)
    };
    let mut skipped = skipped;
    for f in &files {
        let place = f.path.display().to_string();
        for (index, (der, format)) in f.certs.iter().enumerate() {
            let loc = Location {
                kind: "file",
                place: place.clone(),
                format: *format,
                index,
            };
            if add(der, loc, &mut certs).is_none() {
                skipped.push(Skipped {
                    path: place.clone(),
                    reason: format!("certificate #{index} could not be parsed"),
                });
            }
        }
        for k in &f.keys {
            let mode = f.mode;
            let findings: Vec<Finding> = mode
                .and_then(|m| judge::key_permissions(&place, m))
                .into_iter()
                .collect();
            keys.push(KeyFile {
                path: place.clone(),
                format: k.format,
                mode: mode.map(|m| format!("{m:04o}")),
                too_open: !findings.is_empty(),
                encrypted: k.encrypted,
                certificates: Vec::new(),
                key_id: k.key_id,
                findings,
            });
        }
    }
    let mut reports = Vec::new();
    for (ep, r) in endpoints {
        let place = ep.to_string();
        match r {
            Ok(chain) => {
                let fps = chain
                    .iter()
                    .enumerate()
                    .filter_map(|(index, der)| {
                        let loc = Location {
                            kind: "endpoint",
                            place: place.clone(),
                            format: Format::Tls,
                            index,
                        };
                        add(der, loc, &mut certs)
                    })
                    .collect();
                reports.push(EndpointReport {
                    endpoint: ep,
                    chain: fps,
                    findings: Vec::new(),
                });
            }
            Err(f) => reports.push(EndpointReport {
                endpoint: ep,
                chain: Vec::new(),
                findings: vec![f],
            }),
        }
    }
    // chains: judged against the anchors plus the CA certificates found in files, which also
    // serve as known intermediates, so a server that omits one is `cert.incomplete_chain`
    let mut anchors: Vec<CertificateDer<'_>> = opts.anchors.clone();
    let mut intermediates: Vec<CertificateDer<'_>> = Vec::new();
    for c in &certs {
        if c.cert.facts.is_ca && c.locations.iter().any(|l| l.kind == "file") {
            let der = CertificateDer::from(c.der.clone());
            if c.cert.facts.self_signed {
                anchors.push(der);
            } else {
                intermediates.push(der);
            }
        }
    }
    for r in reports.iter_mut().filter(|r| !r.chain.is_empty()) {
        let presented: Vec<CertificateDer<'_>> = r
            .chain
            .iter()
            .filter_map(|fp| by_fp.get(fp))
            .map(|&i| CertificateDer::from(certs[i].der.clone()))
            .collect();
        let input = ChainInput {
            presented: &presented,
            anchors: &anchors,
            crls: &[],
            name: Some(&r.endpoint.host),
            purpose: Purpose::Server,
            now,
            intermediates: &intermediates,
        };
        // dates and strength are reported per certificate; the chain adds how it was served
        let chain_findings: Vec<Finding> = analyse(&input)
            .into_iter()
            .filter(|f| {
                !matches!(
                    f.code,
                    Code::CertExpired
                        | Code::CertNotYetValid
                        | Code::CertWeakKey
                        | Code::CertWeakSignature
                )
            })
            .map(|f| f.with("endpoint", r.endpoint.to_string()))
            .collect();
        if let Some(&leaf) = r.chain.first().and_then(|fp| by_fp.get(fp)) {
            certs[leaf].findings.extend(chain_findings.iter().cloned());
        }
        r.findings.extend(chain_findings);
    }
    // keys ↔ certificates
    let mut key_index: HashMap<[u8; 32], Vec<usize>> = HashMap::new();
    for (i, k) in keys.iter().enumerate() {
        if let Some(id) = k.key_id {
            key_index.entry(id).or_default().push(i);
        }
    }
    for c in certs.iter_mut() {
        if let Some(ks) = key_index.get(&c.cert.key_id) {
            c.keys = ks.clone();
            for &k in ks {
                keys[k].certificates.push(c.cert.facts.sha256_hex.clone());
            }
        }
    }
    // findings
    let uses: Vec<judge::KeyUse<'_>> = certs
        .iter()
        .map(|c| judge::KeyUse {
            fingerprint: &c.cert.facts.sha256_hex,
            subject: &c.cert.facts.subject,
            key_id: &c.cert.key_id,
        })
        .collect();
    let reuse = judge::key_reuse(&uses, Side::Local);
    let mut extra: Vec<Vec<Finding>> = vec![Vec::new(); certs.len()];
    for (i, f) in reuse {
        extra[i].push(f);
    }
    for (c, more) in certs.iter_mut().zip(extra) {
        let side = if c.locations.iter().any(|l| l.kind == "endpoint") {
            Side::Server
        } else {
            Side::Local
        };
        let name = c.cert.display_name();
        c.findings.extend(judge::expiry(
            &name,
            c.cert.facts.not_before,
            c.cert.facts.not_after,
            now,
            opts.warn_days,
            side,
        ));
        // key and signature strength: core's certificate lint (its date findings are replaced by
        // the expiry finding above, which also knows the warning window)
        c.findings.extend(
            lint_certificate(&c.cert.facts, now)
                .into_iter()
                .filter(|f| matches!(f.code, Code::CertWeakKey | Code::CertWeakSignature))
                .map(|mut f| {
                    f.side = side;
                    f
                }),
        );
        c.findings.extend(more);
        for &k in &c.keys {
            c.findings.extend(keys[k].findings.iter().cloned());
        }
    }
    certs.sort_by(|a, b| {
        (a.days_left, &a.cert.facts.subject, &a.cert.facts.sha256_hex).cmp(&(
            b.days_left,
            &b.cert.facts.subject,
            &b.cert.facts.sha256_hex,
        ))
    });
    // indexes into certs changed with the sort; keys refer to fingerprints, so nothing to fix
    Inventory {
        generated_at: now,
        warn_days: opts.warn_days,
        certs,
        keys,
        endpoints: reports,
        skipped,
        files_scanned,
    }
}
