//! Real clients against a real lab: curl, openssl s_client, Python requests, Python ssl, Node
//! https, PHP cURL and Java HttpClient call every scenario with the manifest's files, and each
//! must fail (or succeed) the way the manifest says, with a message that names the scenario's
//! problem. With `CERTGATE_CORPUS_OUT=DIR` the messages are also written as the client-error
//! corpus (`tests/corpus/regen.sh`; format in `tests/corpus/README.md`).
//!
//! On the gateway scenarios the failure is an HTTP status: every client's message then carries
//! the response body (on one line), and it must name the body's reason code. The TLS-only
//! clients (`openssl s_client`, tokio-rustls) skip the one `http://` scenario.

use certgate_core::Code;
use certgate_lab::{Entry, Lab, LabConfig, Manifest};
use certgate_testkit::{python_module, tool};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long a client may wait on one scenario (the `silent` one always takes this long).
const TIMEOUT_SECS: u64 = 3;

/// One client's result on one scenario.
#[derive(Debug, Clone)]
struct Outcome {
    client: &'static str,
    scenario: String,
    ok: bool,
    message: String,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_clients_fail_every_scenario_the_way_the_manifest_says() {
    let dir = certgate_testkit::tempdir();
    let lab = Lab::start(LabConfig::new(dir.path()))
        .await
        .expect("lab starts");
    let manifest = lab.manifest().clone();
    assert!(
        manifest.unavailable.is_empty() || tool("openssl").is_none(),
        "scenarios unavailable although openssl is installed: {:?}",
        manifest.unavailable
    );
    let outcomes = tokio::task::spawn_blocking({
        let m = manifest.clone();
        move || run_all_clients(&m)
    })
    .await
    .unwrap();
    lab.shutdown().await;

    let mut problems = vec![];
    let mut clients_seen = std::collections::BTreeSet::new();
    for o in &outcomes {
        clients_seen.insert(o.client);
        let e = manifest.entry(&o.scenario).expect("scenario in manifest");
        let should_fail = expect_failure(o.client, e);
        if o.ok == should_fail {
            problems.push(format!(
                "{} on {}: expected {}, got {} {:?}",
                o.client,
                e.name,
                if should_fail { "a failure" } else { "success" },
                if o.ok { "success" } else { "failure" },
                o.message
            ));
        } else if !o.ok {
            let msg = squash(&o.message);
            let needles = needles(o.client, e);
            if !needles.iter().any(|n| msg.contains(&squash(n))) {
                problems.push(format!(
                    "{} on {} ({}): message {:?} names none of {:?}",
                    o.client, e.name, e.expected, o.message, needles
                ));
            }
        }
    }
    eprintln!(
        "{} outcomes from {} clients: {:?}",
        outcomes.len(),
        clients_seen.len(),
        clients_seen
    );
    if let Ok(out) = std::env::var("CERTGATE_CORPUS_OUT") {
        write_corpus(Path::new(&out), &manifest, &outcomes);
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// Whether `client` must fail on `e`: curl's behaviour is the manifest's `clients_fail`; the
/// other clients differ from curl only where listed (all observed with the versions in Debian 12
/// and Node 20 / Java 17).
fn expect_failure(client: &str, e: &Entry) -> bool {
    match (client, e.name.as_str()) {
        // urllib3 2 turns off the CN fallback that OpenSSL's own check still has.
        ("python-requests", "cn-only") => true,
        // webpki never looks at the CN.
        ("rustls", "cn-only") => true,
        // requests has no way to take a CRL.
        ("python-requests", "revoked") => false,
        // Node's bundled OpenSSL runs at security level 1, where RSA-1024 is allowed.
        ("node", "weak-key") => false,
        // Java's disabledAlgorithms forbid RSA < 1024 and SHA-1 only for public-CA chains.
        ("java", "weak-key" | "sha1-signature") => false,
        _ => e.clients_fail,
    }
}

/// Fragments of which a failing client's message must contain one (compared with [`squash`]):
/// the words by which that client names the scenario's problem.
fn needles(client: &str, e: &Entry) -> Vec<&'static str> {
    if is_gateway(e) {
        // The gateway's body names the precise code (`"code": "client_cert.expired"`).
        return match (client, e.name.as_str()) {
            // Java sends no certificate whose issuer is not in the CertificateRequest's CA
            // list, so the gateway sees none at all.
            ("java", "mtls-http-untrusted") => vec!["client_cert.required"],
            _ => vec![e.expected.as_str()],
        };
    }
    match (client, e.name.as_str()) {
        // Java sends no certificate whose issuer is not in the CertificateRequest's CA list.
        ("java", "mtls-tls-untrusted") => return vec!["certificate_required"],
        // s_client waits forever and its buffered CONNECTED line dies with it: no words at all.
        ("openssl", "silent") => return vec![""],
        // Java's PKIX builder says the same for every untrusted or incomplete chain.
        ("java", "self-signed" | "untrusted-root" | "missing-intermediate") => {
            return vec!["unable to find valid certification path"]
        }
        // webpki reports every chain it cannot complete as UnknownIssuer.
        ("rustls", "self-signed" | "untrusted-root" | "missing-intermediate") => {
            return vec!["UnknownIssuer"]
        }
        // webpki rejects RSA keys under 2048 bits as a bad signature on the handshake.
        ("rustls", "weak-key") => return vec!["BadSignature"],
        ("rustls", "sha1-signature") => return vec!["UnsupportedSignatureAlgorithm"],
        ("rustls", "not-tls") => return vec!["InvalidContentType"],
        ("rustls", "silent") => return vec!["deadline has elapsed"],
        _ => {}
    }
    match e.expected {
        Code::CertExpired => vec!["expired"],
        Code::CertNotYetValid => vec!["not yet valid", "not valid yet"],
        Code::CertHostnameMismatch => vec![
            "hostname",
            "host name",
            "altname",
            "subject alternative",
            "subject name",
            "not valid for name",
        ],
        Code::CertSelfSigned => vec!["self-signed certificate"],
        Code::CertUntrustedRoot => vec![
            "self-signed certificate in certificate chain",
            "self_signed_cert_in_chain",
        ],
        Code::CertIncompleteChain => vec![
            "unable to get local issuer certificate",
            "unable to verify the first certificate",
        ],
        Code::CertRevoked => vec!["revoked"],
        Code::CertWeakKey => vec!["key too weak", "too small"],
        Code::CertWeakSignature => vec!["digest algorithm too weak"],
        Code::CertWrongUsage => vec!["unsuitable certificate purpose", "extended key usage"],
        Code::HandshakeProtocolVersion => {
            vec!["protocol version", "legacy sigalg", "unsupported protocol"]
        }
        Code::HandshakeNoSharedCipher => vec!["handshake failure"],
        Code::HandshakeNotTls => vec!["wrong version number", "plaintext connection"],
        Code::TcpTimeout => vec!["timed out", "timeout", "aborted"],
        Code::ClientCertRequired => vec!["certificate required"],
        Code::ClientCertExpired => vec!["certificate expired"],
        Code::ClientCertUntrusted => vec!["unknown ca"],
        Code::ClientCertRevoked => vec!["certificate revoked"],
        other => panic!("no client wording known for {other} ({})", e.name),
    }
}

/// Lowercase without spaces, `_` and `-`: "certificate_required", "CertificateRequired" and
/// "certificate required" are the same words.
fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// A scenario answered by the lab's certgate gateway (the failure is an HTTP status).
fn is_gateway(e: &Entry) -> bool {
    e.name.starts_with("mtls-http-") || e.name == "http-to-tls-port"
}

/// Whether a TLS-only client (s_client, tokio-rustls) can call the entry at all.
fn over_tls(e: &&Entry) -> bool {
    e.url.starts_with("https://")
}

/// `STATUS body: BODY` on one line, as the script runners write it.
fn with_body(status: &str, body: &str) -> String {
    format!(
        "{status} body: {}",
        body.split_whitespace().collect::<Vec<_>>().join(" ")
    )
}

fn run_all_clients(m: &Manifest) -> Vec<Outcome> {
    let mut out = vec![];
    if tool("curl").is_some() {
        out.extend(m.scenarios.iter().map(curl));
    }
    if tool("openssl").is_some() {
        out.extend(m.scenarios.iter().filter(over_tls).map(s_client));
    }
    out.extend(rustls_client(m));
    let scripts = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients");
    let manifest_path = m.dir.join("manifest.json");
    let t = TIMEOUT_SECS.to_string();
    let mp = manifest_path.to_string_lossy().into_owned();
    let py = scripts
        .join("python_client.py")
        .to_string_lossy()
        .into_owned();
    if python_module("requests") {
        out.extend(script(
            "python-requests",
            "python3",
            &[&py, "requests", &mp, &t],
            m,
        ));
    }
    if tool("python3").is_some() {
        out.extend(script("python-ssl", "python3", &[&py, "ssl", &mp, &t], m));
    }
    if tool("node").is_some() {
        let js = scripts
            .join("node_client.js")
            .to_string_lossy()
            .into_owned();
        out.extend(script("node", "node", &[&js, &mp, &t], m));
    }
    if tool("php").is_some() {
        let php = scripts
            .join("php_client.php")
            .to_string_lossy()
            .into_owned();
        out.extend(script("php-curl", "php", &[&php, &mp, &t], m));
    }
    if tool("java").is_some() {
        let java = scripts
            .join("LabClient.java")
            .to_string_lossy()
            .into_owned();
        out.extend(script("java", "java", &[&java, &mp, &t], m));
    }
    out
}

fn curl(e: &Entry) -> Outcome {
    // --fail-with-body: an HTTP error status is a failure (exit 22), and the body still shows.
    let mut args: Vec<String> = vec![
        "-sS".into(),
        "--fail-with-body".into(),
        "-m".into(),
        TIMEOUT_SECS.to_string(),
        "--cacert".into(),
        path(&e.ca_bundle),
    ];
    if let (Some(c), Some(k)) = (&e.client_cert, &e.client_key) {
        args.extend(["--cert".into(), path(c), "--key".into(), path(k)]);
    }
    if let Some(crl) = &e.crl {
        args.extend(["--crlfile".into(), path(crl)]);
    }
    args.push(e.url.clone());
    let (status, stdout, stderr) = run("curl", &args, None, Duration::from_secs(TIMEOUT_SECS + 10));
    let first = stderr.lines().next().unwrap_or_default().trim();
    Outcome {
        client: "curl",
        scenario: e.name.clone(),
        ok: status == Some(0),
        message: if status == Some(22) {
            with_body(first, &stdout)
        } else {
            first.to_string()
        },
    }
}

fn s_client(e: &Entry) -> Outcome {
    let mut args: Vec<String> = [
        "s_client",
        "-connect",
        &format!("{}:{}", e.host, e.port),
        "-servername",
        &e.host,
        "-verify_hostname",
        &e.host,
        "-verify_return_error",
        "-CAfile",
        &path(&e.ca_bundle),
        "-ign_eof",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if let (Some(c), Some(k)) = (&e.client_cert, &e.client_key) {
        args.extend(["-cert".into(), path(c), "-key".into(), path(k)]);
    }
    if let Some(crl) = &e.crl {
        args.extend(["-CRL".into(), path(crl), "-crl_check".into()]);
    }
    let request = format!("GET / HTTP/1.0\r\nHost: {}\r\n\r\n", e.host);
    let (status, stdout, stderr) = run(
        "openssl",
        &args,
        Some(request.as_bytes()),
        Duration::from_secs(TIMEOUT_SECS),
    );
    let status_line = stdout.lines().find(|l| l.starts_with("HTTP/1."));
    let ok = status == Some(0) && status_line.is_some_and(|l| l.contains(" 200 "));
    if let Some(line) = status_line.filter(|_| !ok) {
        // An HTTP error after a completed handshake: the status line and the JSON body.
        let body: Vec<&str> = stdout
            .lines()
            .skip_while(|l| !l.starts_with('{'))
            .take_while(|l| *l != "}")
            .chain(["}"])
            .collect();
        return Outcome {
            client: "openssl",
            scenario: e.name.clone(),
            ok,
            message: with_body(line.trim(), &body.join("\n")),
        };
    }
    // What a user reads: the verify and error lines, not the certificate dump.
    let all = format!("{stderr}\n{stdout}");
    let mut lines: Vec<&str> = all
        .lines()
        .map(str::trim)
        .filter(|l| {
            let l = l.to_lowercase();
            l.contains("error") || l.contains("alert") || l.starts_with("verify return:0")
        })
        .collect();
    if lines.is_empty() {
        lines = all
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .take(1)
            .collect();
    }
    lines.dedup();
    Outcome {
        client: "openssl",
        scenario: e.name.clone(),
        ok,
        message: lines.join("\n"),
    }
}

/// The Rust ecosystem's client: tokio-rustls (what reqwest and hyper-rustls use) trusting the
/// manifest's CA, with its client certificate and CRL. The message is the error's Display, as
/// `{err}` prints it; a stalled server shows tokio's own timeout error.
fn rustls_client(m: &Manifest) -> Vec<Outcome> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{
        CertificateDer, CertificateRevocationListDer, PrivateKeyDer, ServerName,
    };
    use std::sync::Arc;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    m.scenarios
        .iter()
        .filter(over_tls)
        .map(|e| {
            let mut roots = rustls::RootCertStore::empty();
            for c in CertificateDer::pem_file_iter(&e.ca_bundle).unwrap() {
                roots.add(c.unwrap()).unwrap();
            }
            let mut verifier = rustls::client::WebPkiServerVerifier::builder_with_provider(
                Arc::new(roots),
                provider.clone(),
            );
            if let Some(crl) = &e.crl {
                let crls: Vec<_> = CertificateRevocationListDer::pem_file_iter(crl)
                    .unwrap()
                    .map(|c| c.unwrap())
                    .collect();
                verifier = verifier.with_crls(crls).only_check_end_entity_revocation();
            }
            let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_webpki_verifier(verifier.build().unwrap());
            let config = match (&e.client_cert, &e.client_key) {
                (Some(c), Some(k)) => builder
                    .with_client_auth_cert(
                        CertificateDer::pem_file_iter(c)
                            .unwrap()
                            .map(|c| c.unwrap())
                            .collect(),
                        PrivateKeyDer::from_pem_file(k).unwrap(),
                    )
                    .unwrap(),
                _ => builder.with_no_client_auth(),
            };
            let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
            let name = ServerName::try_from(e.host.clone()).unwrap();
            let addr = format!("{}:{}", e.host, e.port);
            let request = format!(
                "GET / HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
                e.host
            );
            let result: Result<String, String> = rt.block_on(async {
                let call = async {
                    let tcp = tokio::net::TcpStream::connect(&addr).await?;
                    let mut tls = connector.connect(name, tcp).await?;
                    tls.write_all(request.as_bytes()).await?;
                    let mut answer = String::new();
                    tls.read_to_string(&mut answer).await?;
                    Ok::<_, std::io::Error>(answer)
                };
                match tokio::time::timeout(Duration::from_secs(TIMEOUT_SECS), call).await {
                    Ok(Ok(answer)) => Ok(answer),
                    Ok(Err(err)) => Err(err.to_string()),
                    Err(elapsed) => Err(elapsed.to_string()),
                }
            });
            let (ok, message) = match result {
                Ok(answer)
                    if answer.starts_with("HTTP/1.1 200") || answer.starts_with("HTTP/1.0 200") =>
                {
                    (true, String::new())
                }
                Ok(answer) => (
                    false,
                    with_body(
                        answer.lines().next().unwrap_or("empty answer").trim(),
                        answer.split("\r\n\r\n").nth(1).unwrap_or_default(),
                    ),
                ),
                Err(message) => (false, message),
            };
            Outcome {
                client: "rustls",
                scenario: e.name.clone(),
                ok,
                message,
            }
        })
        .collect()
}

/// Runs a runner script that prints one JSON line per scenario.
fn script(client: &'static str, program: &str, args: &[&str], m: &Manifest) -> Vec<Outcome> {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let limit = Duration::from_secs((TIMEOUT_SECS + 5) * m.scenarios.len() as u64 + 30);
    let (status, stdout, stderr) = run(program, &args, None, limit);
    let outcomes: Vec<Outcome> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|v| Outcome {
            client,
            scenario: v["scenario"].as_str().unwrap_or_default().to_string(),
            ok: v["ok"].as_bool().unwrap_or(false),
            message: v["message"].as_str().unwrap_or_default().trim().to_string(),
        })
        .collect();
    assert_eq!(
        outcomes.len(),
        m.scenarios.len(),
        "{client} runner ({program} {args:?}) exited {status:?} after {} of {} scenarios; stderr:\n{stderr}",
        outcomes.len(),
        m.scenarios.len()
    );
    outcomes
}

/// Runs a command with optional stdin, killing it after `limit`; returns (exit code, stdout, stderr).
fn run(
    program: &str,
    args: &[String],
    stdin: Option<&[u8]>,
    limit: Duration,
) -> (Option<i32>, String, String) {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    let mut input = child.stdin.take().unwrap();
    if let Some(bytes) = stdin {
        let _ = input.write_all(bytes);
    }
    // s_client -ign_eof keeps reading after stdin ends; other tools ignore it.
    drop(input);
    let reader = |mut r: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = vec![];
            let _ = r.read_to_end(&mut buf);
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let o = reader(Box::new(child.stdout.take().unwrap()));
    let e = reader(Box::new(child.stderr.take().unwrap()));
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (status, o.join().unwrap(), e.join().unwrap())
}

fn path(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// Writes `DIR/<client>.jsonl`: one record per failing (client, scenario) that printed something,
/// with the run's
/// variable parts (lab directory, ports, dates, thread ids, elapsed times) replaced by
/// placeholders so that regenerating the corpus only shows real changes.
fn write_corpus(dir: &Path, m: &Manifest, outcomes: &[Outcome]) {
    std::fs::create_dir_all(dir).unwrap();
    let mut by_client: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
    for o in outcomes.iter().filter(|o| !o.ok && !o.message.is_empty()) {
        let e = m.entry(&o.scenario).unwrap();
        let record = Record {
            client: o.client,
            scenario: &o.scenario,
            message: normalise(&o.message, m),
            expected: e.expected,
        };
        by_client
            .entry(o.client)
            .or_default()
            .push(serde_json::to_string(&record).unwrap());
    }
    for (client, lines) in by_client {
        let file = dir.join(format!("{client}.jsonl"));
        std::fs::write(&file, lines.join("\n") + "\n").unwrap();
        eprintln!("wrote {} ({} records)", file.display(), lines.len());
    }
}

/// One corpus line, fields in the documented order.
#[derive(serde::Serialize)]
struct Record<'a> {
    client: &'a str,
    scenario: &'a str,
    message: String,
    expected: Code,
}

fn normalise(msg: &str, m: &Manifest) -> String {
    use regex::Regex;
    let mut s = msg.replace(&path(&m.dir), "$LAB_DIR");
    let ports: Vec<String> = m.scenarios.iter().map(|e| e.port.to_string()).collect();
    let rules = [
        (format!(r"\b({})\b", ports.join("|")), "PORT"),
        // OpenSSL error queue lines start with the thread id: 80BC26BEC67F0000:error:...
        (r"\b[0-9A-F]{12,16}:error:".to_string(), "THREAD:error:"),
        (
            r"\w{3} \w{3} \d{2} \d{2}:\d{2}:\d{2} UTC \d{4}".to_string(),
            "DATE",
        ),
        (
            r"after \d+ milliseconds".to_string(),
            "after N milliseconds",
        ),
        // rustls: "verification time 1796113940 (UNIX), ... (2592008 seconds ago)"
        (r"\b1\d{9}\b".to_string(), "UNIX_TIME"),
        (r"\(\d+ seconds".to_string(), "(N seconds"),
        (r"CONNECTED\(\w+\)".to_string(), "CONNECTED(FD)"),
        (r"Connection #\d+".to_string(), "Connection #N"),
        // The gateway's bodies: certificate dates, the clock, serial numbers.
        (
            r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z".to_string(),
            "RFC3339",
        ),
        (r"(?i)\b[0-9a-f]{12,40}\b".to_string(), "SERIAL"),
    ];
    for (re, with) in rules {
        s = Regex::new(&re).unwrap().replace_all(&s, with).into_owned();
    }
    s
}
