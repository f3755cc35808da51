//! `certgate cert`: create CAs, issue, inspect, verify and revoke certificates. Minting and file
//! reading are the pki crate's, judging is core's (`x509::lint_certificate`, `analyse::chain`);
//! this module parses arguments and renders text or one JSON document.

use crate::out;
use anyhow::{bail, Context as _};
use certgate_core::analyse::chain::{analyse, ChainInput, Purpose};
use certgate_core::finding::{verdict, Report};
use certgate_core::x509::{lint_certificate, rfc3339, CertFacts};
use certgate_core::{Code, Finding, Severity};
use certgate_pki::{
    self as pki, Ca, CaSpec, ExtendedKeyUsagePurpose, KeyAlg, LeafSpec, PkiError, Revocation,
    Validity,
};
use rustls_pki_types::CertificateDer;
use serde_json::{json, Map, Value};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use time::{Duration, OffsetDateTime};

/// Create CAs, issue, inspect, verify and revoke certificates.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Certificate authorities.
    Ca(CaArgs),
    /// Issue a server or client certificate signed by a CA made with `cert ca create`.
    Issue(Box<IssueArgs>),
    /// Show what is in a certificate file (PEM or DER) or what a TLS server sends.
    Inspect(Box<InspectArgs>),
    /// Verify a chain against trusted CAs, like `openssl verify`, and name the problem.
    Verify(Box<VerifyArgs>),
    /// Revoke a certificate: add it to the CA's CRL (DIR/crl.pem) and issue the CRL again.
    Revoke(Box<RevokeArgs>),
}

#[derive(clap::Args)]
struct CaArgs {
    #[command(subcommand)]
    command: CaCommand,
}

#[derive(clap::Subcommand)]
enum CaCommand {
    /// Create a root CA, or with --parent an intermediate CA, in a directory (ca.pem, ca.key).
    Create(Box<CaCreateArgs>),
}

#[derive(clap::Args)]
struct CaCreateArgs {
    /// Directory to write ca.pem, ca.key (mode 0600) and, for an intermediate, parents.pem.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Common Name of the CA.
    #[arg(long, value_name = "CN", default_value = "certgate Dev CA")]
    name: String,
    /// Organisation (O=) of the CA.
    #[arg(long)]
    org: Option<String>,
    /// Validity in days from now.
    #[arg(long, default_value_t = 3650, allow_negative_numbers = true)]
    days: i64,
    /// Key type: p256 (default), p384, ed25519, rsa2048, rsa3072.
    #[arg(long, default_value = "p256", value_parser = parse_key)]
    key: KeyAlg,
    /// Make an intermediate CA signed by the CA in this directory.
    #[arg(long, value_name = "DIR")]
    parent: Option<PathBuf>,
    /// Replace an existing CA in --out.
    #[arg(long)]
    force: bool,
    /// Print one JSON document instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct IssueArgs {
    /// Directory of the issuing CA (root or intermediate).
    #[arg(long, value_name = "DIR")]
    ca: PathBuf,
    /// A server certificate for these DNS names / IP addresses (repeat or separate with commas).
    #[arg(
        long,
        value_name = "NAME",
        value_delimiter = ',',
        required_unless_present = "client",
        conflicts_with = "client"
    )]
    server: Vec<String>,
    /// A client certificate with this Common Name.
    #[arg(long, value_name = "CN")]
    client: Option<String>,
    /// A SAN URI such as a SPIFFE ID (spiffe://example.org/ns/prod/sa/api); repeatable.
    #[arg(long, value_name = "URI")]
    uri: Vec<String>,
    /// Extra SAN DNS names / IPs for a client certificate.
    #[arg(long, value_name = "NAME", value_delimiter = ',')]
    san: Vec<String>,
    /// Organisational unit (OU=).
    #[arg(long)]
    ou: Option<String>,
    /// AIA caIssuers URL: where clients can download the issuing CA (repeatable).
    #[arg(long = "ca-issuers", value_name = "URL")]
    ca_issuers: Vec<String>,
    /// Directory to write NAME.pem (certificate + intermediates) and NAME.key (mode 0600).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// File name stem (default: the Common Name).
    #[arg(long, value_name = "NAME")]
    file: Option<String>,
    /// Validity in days from now (negative: already expired).
    #[arg(long, default_value_t = 365, allow_negative_numbers = true)]
    days: i64,
    /// Start of validity, RFC 3339 (e.g. 2020-01-01T00:00:00Z); for test fixtures.
    #[arg(long, value_name = "RFC3339", value_parser = parse_time)]
    not_before: Option<OffsetDateTime>,
    /// End of validity, RFC 3339.
    #[arg(long, value_name = "RFC3339", value_parser = parse_time)]
    not_after: Option<OffsetDateTime>,
    /// Key type: p256 (default), p384, ed25519, rsa2048, rsa3072.
    #[arg(long, default_value = "p256", value_parser = parse_key)]
    key: KeyAlg,
    /// Override the extended key usage: server, client, both or none (for wrong-usage fixtures).
    #[arg(long, value_name = "USAGE")]
    eku: Option<String>,
    /// Print one JSON document instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct InspectArgs {
    /// A certificate file (PEM with one or more certificates, or DER), or https://HOST[:PORT].
    target: String,
    /// Check that this private key belongs to the (first) certificate.
    #[arg(long, value_name = "KEY")]
    key: Option<PathBuf>,
    /// Server name to send (SNI) when inspecting a URL; defaults to the URL's host.
    #[arg(long, value_name = "NAME")]
    servername: Option<String>,
    /// Seconds to wait for a URL.
    #[arg(long, default_value_t = 10)]
    timeout: u64,
    /// Judge validity at this time instead of now (RFC 3339).
    #[arg(long, value_name = "RFC3339", value_parser = parse_time)]
    at: Option<OffsetDateTime>,
    /// Print one JSON document instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct VerifyArgs {
    /// The chain to verify: leaf first, then intermediates (PEM or DER).
    chain: PathBuf,
    /// Trusted CA certificates (PEM bundle or DER); repeatable.
    #[arg(long, value_name = "PEM", required = true)]
    cacert: Vec<PathBuf>,
    /// Intermediate CAs you have but the chain file lacks. Unlike `openssl verify -untrusted`,
    /// they do not make the chain pass: when the path needs one, the verdict is
    /// cert.incomplete_chain, naming it (the server must send it).
    #[arg(long, value_name = "PEM")]
    intermediates: Vec<PathBuf>,
    /// Host name or IP address the certificate must be valid for.
    #[arg(long, value_name = "NAME")]
    host: Option<String>,
    /// What the certificate is for.
    #[arg(long, value_enum, default_value = "server")]
    purpose: PurposeArg,
    /// CRL files to check revocation against; repeatable.
    #[arg(long, value_name = "PEM")]
    crl: Vec<PathBuf>,
    /// Verify at this time instead of now (RFC 3339).
    #[arg(long, value_name = "RFC3339", value_parser = parse_time)]
    at: Option<OffsetDateTime>,
    /// Print one JSON document instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum PurposeArg {
    Server,
    Client,
}

#[derive(clap::Args)]
struct RevokeArgs {
    /// Directory of the CA that issued the certificate.
    #[arg(long, value_name = "DIR")]
    ca: PathBuf,
    /// The certificate to revoke (PEM or DER). Without it (and without --serial) the CRL is
    /// only issued again with a new date.
    cert: Option<PathBuf>,
    /// Revoke by serial number (hex) instead of by file.
    #[arg(long, value_name = "HEX", conflicts_with = "cert")]
    serial: Option<String>,
    /// CRL reason: keyCompromise, superseded, cessationOfOperation, affiliationChanged, ...
    #[arg(long, default_value = "unspecified")]
    reason: String,
    /// Days until the CRL's nextUpdate.
    #[arg(long, default_value_t = 30)]
    days: i64,
    /// Also write the CRL here (it is always kept as DIR/crl.pem).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Print one JSON document instead of text.
    #[arg(long)]
    json: bool,
}

fn parse_key(s: &str) -> Result<KeyAlg, String> {
    KeyAlg::parse(s).ok_or_else(|| {
        format!("unknown key type {s:?}; use p256, p384, ed25519, rsa2048 or rsa3072")
    })
}

fn parse_time(s: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map_err(|e| format!("{s:?} is not an RFC 3339 time like 2026-01-31T12:00:00Z ({e})"))
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::Ca(CaArgs {
            command: CaCommand::Create(a),
        }) => ca_create(*a),
        Command::Issue(a) => issue(*a),
        Command::Inspect(a) => inspect(*a),
        Command::Verify(a) => verify(*a),
        Command::Revoke(a) => revoke(*a),
    }
}

/// Turns a pki error into the one line main prints; a key mismatch carries its reason code.
fn pki_err(e: PkiError) -> anyhow::Error {
    match e.code() {
        Some(code) => anyhow::anyhow!("{code}: {e}"),
        None => anyhow::anyhow!("{e}"),
    }
}

fn print_json(v: &Value) -> anyhow::Result<()> {
    out::print(&(serde_json::to_string_pretty(v)? + "\n"))
}

fn load_ca(dir: &Path) -> anyhow::Result<Ca> {
    if !dir.join("ca.pem").exists() && dir.is_dir() {
        bail!(
            "{}: no CA here (ca.pem is missing); create one with `certgate cert ca create --out {}`",
            dir.display(),
            dir.display()
        );
    }
    Ca::load(dir).map_err(pki_err)
}

fn ca_create(a: CaCreateArgs) -> anyhow::Result<ExitCode> {
    if a.out.join("ca.key").exists() && !a.force {
        bail!(
            "{}: a CA already exists here (ca.key); use --force to replace it",
            a.out.display()
        );
    }
    let spec = CaSpec {
        name: a.name.clone(),
        org: a.org.clone(),
        key: a.key,
        validity: window(a.days),
    };
    let ca = match &a.parent {
        None => Ca::root(&spec).map_err(pki_err)?,
        Some(parent) => load_ca(parent)?.intermediate(&spec).map_err(pki_err)?,
    };
    ca.save(&a.out).map_err(pki_err)?;
    let facts = CertFacts::from_der(&ca.der)?;
    let cert = a.out.join("ca.pem");
    let key = a.out.join("ca.key");
    if a.json {
        print_json(&json!({
            "ca": {
                "cert": cert,
                "key": key,
                "parents": if ca.parents_pem.is_empty() { Value::Null } else { json!(a.out.join("parents.pem")) },
                "kind": if a.parent.is_some() { "intermediate" } else { "root" },
                "subject": facts.subject,
                "issuer": facts.issuer,
                "not_after": rfc3339(facts.not_after),
                "key_type": facts.key.to_string(),
                "sha256": facts.sha256_hex,
            }
        }))?;
    } else {
        let kind = if a.parent.is_some() {
            "intermediate CA"
        } else {
            "root CA"
        };
        out::print(&format!(
            "created {kind} {}\n  certificate  {}\n  private key  {} (mode 0600)\n  valid until  {}\n",
            facts.subject,
            cert.display(),
            key.display(),
            rfc3339(facts.not_after)
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn issue(a: IssueArgs) -> anyhow::Result<ExitCode> {
    let ca = load_ca(&a.ca)?;
    let mut spec = match &a.client {
        Some(cn) => {
            let mut s = LeafSpec::client(cn);
            s.names = a.san.clone();
            s
        }
        None => {
            let names: Vec<&str> = a.server.iter().map(String::as_str).collect();
            let mut s = LeafSpec::server(&names);
            s.names.extend(a.san.iter().cloned());
            s
        }
    };
    spec.uris = a.uri.clone();
    spec.ou = a.ou.clone();
    spec.ca_issuers = a.ca_issuers.clone();
    spec.key = a.key;
    let mut validity = window(a.days);
    if let Some(nb) = a.not_before {
        validity.not_before = nb;
    }
    if let Some(na) = a.not_after {
        validity.not_after = na;
    }
    if validity.not_after <= validity.not_before {
        bail!(
            "the validity window is empty: not after {} is not later than not before {}",
            rfc3339(validity.not_after),
            rfc3339(validity.not_before)
        );
    }
    spec.validity = validity;
    if let Some(e) = &a.eku {
        spec.eku = Some(match e.to_ascii_lowercase().as_str() {
            "server" | "serverauth" => vec![ExtendedKeyUsagePurpose::ServerAuth],
            "client" | "clientauth" => vec![ExtendedKeyUsagePurpose::ClientAuth],
            "both" => vec![
                ExtendedKeyUsagePurpose::ServerAuth,
                ExtendedKeyUsagePurpose::ClientAuth,
            ],
            "none" => vec![],
            other => bail!("unknown --eku {other:?}; use server, client, both or none"),
        });
    }
    let issued = ca.issue(&spec).map_err(pki_err)?;
    std::fs::create_dir_all(&a.out)
        .with_context(|| format!("{}: cannot create directory", a.out.display()))?;
    let stem = a.file.clone().unwrap_or_else(|| file_stem(&spec.cn));
    let (cert_path, key_path) = issued.save(&a.out, &stem).map_err(pki_err)?;
    let facts = CertFacts::from_der(&issued.der)?;
    if a.json {
        print_json(&json!({
            "cert": cert_path,
            "key": key_path,
            "subject": facts.subject,
            "issuer": facts.issuer,
            "serial": facts.serial_hex,
            "sans": facts.sans(),
            "eku": facts.eku,
            "not_before": rfc3339(facts.not_before),
            "not_after": rfc3339(facts.not_after),
            "key_type": facts.key.to_string(),
            "sha256": facts.sha256_hex,
        }))?;
    } else {
        let kind = if a.client.is_some() {
            "client"
        } else {
            "server"
        };
        let sans = facts.sans();
        out::print(&format!(
            "issued {kind} certificate {} by {}\n  SANs         {}\n  valid        {} → {}\n  serial       {}\n  certificate  {} (with intermediates)\n  private key  {} (mode 0600)\n",
            facts.subject,
            facts.issuer,
            if sans.is_empty() { "none".to_string() } else { sans.join(", ") },
            rfc3339(facts.not_before),
            rfc3339(facts.not_after),
            facts.serial_hex,
            cert_path.display(),
            key_path.display()
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `days` from now; a negative number gives a window that ended that many days ago and
/// started a year before (an expired fixture), never an inverted one.
fn window(days: i64) -> Validity {
    if days >= 0 {
        Validity::days_from_now(days)
    } else {
        Validity::expired_days_ago(-days)
    }
}

/// `api.example.com` → `api.example.com`; `*.example.com` → `wildcard.example.com`; anything
/// outside `[A-Za-z0-9._-]` becomes `_`.
fn file_stem(cn: &str) -> String {
    let s: String = cn
        .replace('*', "wildcard")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() || s.starts_with('.') {
        format!("cert{s}")
    } else {
        s
    }
}

fn inspect(a: InspectArgs) -> anyhow::Result<ExitCode> {
    let now = a.at.unwrap_or_else(OffsetDateTime::now_utc);
    let (source, certs) = if a.target.starts_with("https://") || a.target.starts_with("tls://") {
        let (host, port) = parse_url(&a.target)?;
        let sni = a.servername.clone().unwrap_or_else(|| host.clone());
        let certs = capture(&host, port, &sni, a.timeout)?;
        (json!({"url": a.target, "servername": sni}), certs)
    } else {
        let path = PathBuf::from(&a.target);
        let certs = pki::read_certs(&path).map_err(pki_err)?;
        if let Some(key) = &a.key {
            let k = pki::read_key(key).map_err(pki_err)?;
            pki::check_key_matches(&certs[0], &k, &path, key).map_err(pki_err)?;
        }
        (json!({"file": path}), certs)
    };
    let mut all_findings: Vec<Finding> = vec![];
    let mut docs = vec![];
    let mut text = String::new();
    for (i, der) in certs.iter().enumerate() {
        let facts = CertFacts::from_der(der)
            .with_context(|| format!("certificate #{} of {}", i + 1, a.target))?;
        let findings = lint_certificate(&facts, now);
        render_facts(&mut text, i, certs.len(), &facts, &findings, now);
        let mut doc = serde_json::to_value(&facts)?;
        if let Value::Object(m) = &mut doc {
            m.insert("days_left".into(), facts.days_left(now).into());
            m.insert(
                "findings".into(),
                Value::Array(findings.iter().map(|f| f.to_json(None)).collect()),
            );
        }
        docs.push(doc);
        all_findings.extend(findings);
    }
    let v = verdict(&all_findings);
    if a.json {
        let mut m = Map::new();
        m.insert("target".into(), source);
        m.insert("verdict".into(), v.as_str().into());
        m.insert("certificates".into(), Value::Array(docs));
        if a.key.is_some() {
            m.insert("key_matches".into(), true.into());
        }
        print_json(&Value::Object(m))?;
    } else {
        if a.key.is_some() {
            text.push_str("private key matches the certificate\n");
        }
        out::print(&text)?;
    }
    Ok(if v == Code::Ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn colon_hex(h: &str) -> String {
    h.as_bytes()
        .chunks(2)
        .map(|c| String::from_utf8_lossy(c).to_ascii_uppercase())
        .collect::<Vec<_>>()
        .join(":")
}

fn render_facts(
    t: &mut String,
    i: usize,
    n: usize,
    f: &CertFacts,
    findings: &[Finding],
    now: OffsetDateTime,
) {
    let days = f.days_left(now);
    let left = if now > f.not_after {
        format!("EXPIRED {} days ago", -days)
    } else if now < f.not_before {
        format!(
            "NOT YET VALID, starts in {} days",
            (f.not_before - now).whole_days()
        )
    } else {
        format!("{days} days left")
    };
    let _ = writeln!(t, "certificate {} of {n}", i + 1);
    let row = |t: &mut String, k: &str, v: &str| {
        let _ = writeln!(t, "  {k:<12} {v}");
    };
    row(t, "subject", &f.subject);
    row(t, "issuer", &f.issuer);
    let sans = f.sans();
    row(
        t,
        "SANs",
        &if sans.is_empty() {
            "none".into()
        } else {
            sans.join(", ")
        },
    );
    row(t, "serial", &f.serial_hex);
    row(
        t,
        "valid",
        &format!(
            "{} → {} ({left})",
            rfc3339(f.not_before),
            rfc3339(f.not_after)
        ),
    );
    row(t, "key", &f.key.to_string());
    row(t, "signature", &f.signature_alg);
    row(
        t,
        "EKU",
        &match &f.eku {
            None => "not restricted (no extension)".into(),
            Some(v) if v.is_empty() => "empty".into(),
            Some(v) => v.join(", "),
        },
    );
    if let Some(ku) = &f.key_usage {
        row(t, "key usage", &ku.join(", "));
    }
    let ca = match (f.is_ca, f.path_len) {
        (false, _) => "no".to_string(),
        (true, None) => "yes".into(),
        (true, Some(n)) => format!("yes, path length {n}"),
    };
    row(
        t,
        "CA",
        &if f.self_signed {
            format!("{ca} (self-signed)")
        } else {
            ca
        },
    );
    if let Some(s) = &f.ski_hex {
        row(t, "key id", s);
    }
    if let Some(s) = &f.aki_hex {
        row(t, "issuer key", s);
    }
    row(t, "SHA-256", &colon_hex(&f.sha256_hex));
    row(t, "SHA-1", &colon_hex(&f.sha1_hex));
    if findings.is_empty() {
        row(t, "warnings", "none");
    } else {
        for (j, w) in findings.iter().enumerate() {
            row(
                t,
                if j == 0 { "warnings" } else { "" },
                &format!("{}: {}", w.code, w.detail),
            );
        }
    }
}

fn parse_url(url: &str) -> anyhow::Result<(String, u16)> {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    let (host, port) = if let Some(r) = authority.strip_prefix('[') {
        let (h, after) = r
            .split_once(']')
            .with_context(|| format!("{url}: unclosed [ in the host"))?;
        (h.to_string(), after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (authority.to_string(), None),
        }
    };
    if host.is_empty() {
        bail!("{url}: no host in the URL");
    }
    let port = match port {
        None | Some("") => 443,
        Some(p) => p
            .parse()
            .with_context(|| format!("{url}: {p:?} is not a port number"))?,
    };
    Ok((host, port))
}

fn capture(
    host: &str,
    port: u16,
    sni: &str,
    timeout: u64,
) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(certgate_probe::capture_chain(
        host,
        port,
        sni,
        std::time::Duration::from_secs(timeout),
    ))
    .map_err(|e| anyhow::anyhow!("{e}"))
}

fn verify(a: VerifyArgs) -> anyhow::Result<ExitCode> {
    let now = a.at.unwrap_or_else(OffsetDateTime::now_utc);
    let chain = pki::read_certs(&a.chain).map_err(pki_err)?;
    let mut anchors = vec![];
    for p in &a.cacert {
        anchors.extend(pki::read_certs(p).map_err(pki_err)?);
    }
    let mut intermediates = vec![];
    for p in &a.intermediates {
        intermediates.extend(pki::read_certs(p).map_err(pki_err)?);
    }
    let mut crls = vec![];
    for p in &a.crl {
        crls.extend(pki::read_crls(p).map_err(pki_err)?);
    }
    let purpose = match a.purpose {
        PurposeArg::Server => Purpose::Server,
        PurposeArg::Client => Purpose::Client,
    };
    let input = ChainInput {
        presented: &chain,
        anchors: &anchors,
        crls: &crls,
        name: a.host.as_deref(),
        purpose,
        now,
        intermediates: &intermediates,
    };
    let findings = analyse(&input);
    let report = Report {
        target: json!({
            "chain": a.chain,
            "cacert": a.cacert,
            "host": a.host,
            "purpose": match purpose { Purpose::Server => "server", Purpose::Client => "client" },
            "at": rfc3339(now),
        }),
        findings,
    };
    let v = report.verdict();
    if a.json {
        let mut m = report.to_json(None);
        let leaf = CertFacts::from_der(&chain[0])?;
        m.insert(
            "leaf".into(),
            json!({
                "subject": leaf.subject,
                "issuer": leaf.issuer,
                "serial": leaf.serial_hex,
                "not_after": rfc3339(leaf.not_after),
                "sha256": leaf.sha256_hex,
            }),
        );
        print_json(&Value::Object(m))?;
    } else {
        let mut t = String::new();
        if v == Code::Ok {
            let leaf = CertFacts::from_der(&chain[0])?;
            let _ = writeln!(
                t,
                "ok: {} is valid for {} use{} at {}",
                leaf.subject,
                match purpose {
                    Purpose::Server => "server",
                    Purpose::Client => "client",
                },
                a.host
                    .as_deref()
                    .map(|h| format!(" as {h}"))
                    .unwrap_or_default(),
                rfc3339(now)
            );
        } else {
            let _ = writeln!(t, "{v}: {}", v.title());
        }
        for f in &report.findings {
            let sev = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "info",
            };
            let _ = writeln!(t, "  {sev} {}: {}", f.code, f.detail);
        }
        if v != Code::Ok {
            let _ = writeln!(t, "fix: {}", v.fix());
        }
        out::print(&t)?;
    }
    Ok(if v == Code::Ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn revoke(a: RevokeArgs) -> anyhow::Result<ExitCode> {
    let ca = load_ca(&a.ca)?;
    let ca_facts = CertFacts::from_der(&ca.der)?;
    let reason = pki::parse_reason(&a.reason).with_context(|| {
        format!(
            "unknown --reason {:?}; use keyCompromise, cACompromise, affiliationChanged, superseded, cessationOfOperation, certificateHold, privilegeWithdrawn or unspecified",
            a.reason
        )
    })?;
    let crl_path = a.ca.join("crl.pem");
    let mut state = if crl_path.exists() {
        pki::read_crl_state(&crl_path).map_err(pki_err)?
    } else {
        pki::CrlState::default()
    };
    let now = OffsetDateTime::now_utc();
    let target: Option<(String, String)> = match (&a.cert, &a.serial) {
        (Some(p), _) => {
            let certs = pki::read_certs(p).map_err(pki_err)?;
            let f = CertFacts::from_der(&certs[0])?;
            if f.issuer_der != ca_facts.subject_der {
                bail!(
                    "{}: {} was issued by {}, not by this CA ({})",
                    p.display(),
                    f.subject,
                    f.issuer,
                    ca_facts.subject
                );
            }
            Some((f.serial_hex.clone(), f.subject.clone()))
        }
        (None, Some(s)) => {
            let hex: String = s
                .chars()
                .filter(|c| *c != ':')
                .collect::<String>()
                .to_ascii_lowercase();
            if hex.is_empty() || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                bail!("--serial {s:?} is not a hexadecimal serial number");
            }
            Some((hex, format!("serial {s}")))
        }
        (None, None) => None,
    };
    let mut already = false;
    if let Some((serial, _)) = &target {
        already = state
            .revoked
            .iter()
            .any(|r| strip0(&r.serial_hex) == strip0(serial));
        if !already {
            state.revoked.push(Revocation {
                serial_hex: serial.clone(),
                at: now,
                reason: Some(reason),
            });
        }
    }
    let pem = ca
        .crl(
            &state.revoked,
            now - Duration::minutes(5),
            now + Duration::days(a.days),
            state.number + 1,
        )
        .map_err(pki_err)?;
    pki::write_file(&crl_path, &pem, false).map_err(pki_err)?;
    if let Some(o) = &a.out {
        pki::write_file(o, &pem, false).map_err(pki_err)?;
    }
    if a.json {
        print_json(&json!({
            "crl": crl_path,
            "copy": a.out,
            "issuer": ca_facts.subject,
            "number": state.number + 1,
            "revoked": target.as_ref().map(|(s, _)| s.clone()),
            "already_revoked": already,
            "entries": state.revoked.iter().map(|r| json!({
                "serial": r.serial_hex,
                "revoked_at": rfc3339(r.at),
                "reason": r.reason.map(pki::reason_name),
            })).collect::<Vec<_>>(),
            "next_update": rfc3339(now + Duration::days(a.days)),
        }))?;
    } else {
        let mut t = String::new();
        match (&target, already) {
            (Some((serial, who)), false) => {
                let _ = writeln!(
                    t,
                    "revoked {who} (serial {serial}, reason {})",
                    pki::reason_name(reason)
                );
            }
            (Some((serial, who)), true) => {
                let _ = writeln!(t, "{who} (serial {serial}) was already revoked");
            }
            (None, _) => {}
        }
        let _ = writeln!(
            t,
            "wrote CRL #{} of {} with {} entr{} to {}{}; next update {}",
            state.number + 1,
            ca_facts.subject,
            state.revoked.len(),
            if state.revoked.len() == 1 { "y" } else { "ies" },
            crl_path.display(),
            a.out
                .as_ref()
                .map(|o| format!(" and {}", o.display()))
                .unwrap_or_default(),
            rfc3339(now + Duration::days(a.days))
        );
        out::print(&t)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn strip0(s: &str) -> &str {
    s.trim_start_matches('0')
}
