//! Chain analysis against real certificates minted by the pki crate, one scenario per test,
//! named by what is wrong with the chain.

use certgate_core::analyse::chain::{analyse, ChainInput, Purpose};
use certgate_core::finding::verdict;
use certgate_core::x509::{lint_certificate, CertFacts, KeyAlgorithm};
use certgate_core::{Code, Finding, Severity};
use certgate_pki::{Ca, CaSpec, LeafSpec, Revocation, Validity};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer};
use time::{Duration, OffsetDateTime};

struct Pki {
    root: Ca,
    inter: Ca,
}

fn pki() -> Pki {
    named_pki("Test")
}

fn named_pki(name: &str) -> Pki {
    let root = Ca::root(&CaSpec::new(&format!("{name} Root CA"))).unwrap();
    let inter = root
        .intermediate(&CaSpec::new(&format!("{name} Issuing CA")))
        .unwrap();
    Pki { root, inter }
}

fn ders(pem: &str) -> Vec<CertificateDer<'static>> {
    CertificateDer::pem_slice_iter(pem.as_bytes())
        .map(|c| c.unwrap())
        .collect()
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn run(
    presented: &[CertificateDer<'static>],
    anchors: &[CertificateDer<'static>],
    name: Option<&str>,
    purpose: Purpose,
) -> Vec<Finding> {
    let mut input = ChainInput::new(presented, anchors, purpose, now());
    input.name = name;
    analyse(&input)
}

fn codes(f: &[Finding]) -> Vec<&'static str> {
    f.iter().map(|f| f.code.as_str()).collect()
}

#[test]
fn good_server_chain_has_no_findings() {
    let p = pki();
    let leaf = p
        .inter
        .issue(&LeafSpec::server(&["localhost", "127.0.0.1"]))
        .unwrap();
    let anchors = vec![p.root.der.clone()];
    for name in ["localhost", "127.0.0.1"] {
        let f = run(
            &ders(&leaf.chain_pem),
            &anchors,
            Some(name),
            Purpose::Server,
        );
        assert!(f.is_empty(), "{name}: {f:#?}");
    }
}

#[test]
fn expired_leaf_names_the_date_and_days() {
    let p = pki();
    let leaf = p
        .inter
        .issue(&LeafSpec::server(&["localhost"]).valid(Validity::expired_days_ago(10)))
        .unwrap();
    let f = run(
        &ders(&leaf.chain_pem),
        std::slice::from_ref(&p.root.der),
        Some("localhost"),
        Purpose::Server,
    );
    assert_eq!(codes(&f), ["cert.expired"], "{f:#?}");
    assert_eq!(f[0].evidence["days_expired"], 10);
    assert!(f[0].detail.contains("CN=localhost"), "{}", f[0].detail);
    assert!(f[0].evidence["not_after"].as_str().is_some());
}

#[test]
fn not_yet_valid_leaf() {
    let p = pki();
    let leaf = p
        .inter
        .issue(&LeafSpec::server(&["localhost"]).valid(Validity::starts_in_days(3)))
        .unwrap();
    let f = run(
        &ders(&leaf.chain_pem),
        std::slice::from_ref(&p.root.der),
        Some("localhost"),
        Purpose::Server,
    );
    assert_eq!(codes(&f), ["cert.not_yet_valid"], "{f:#?}");
    assert_eq!(f[0].evidence["days_until_valid"], 2);
}

#[test]
fn hostname_mismatch_lists_the_sans() {
    let p = pki();
    let leaf = p
        .inter
        .issue(&LeafSpec::server(&["api.example", "10.0.0.1"]))
        .unwrap();
    let f = run(
        &ders(&leaf.chain_pem),
        std::slice::from_ref(&p.root.der),
        Some("web.example"),
        Purpose::Server,
    );
    assert_eq!(codes(&f), ["cert.hostname_mismatch"]);
    assert_eq!(
        f[0].evidence["sans"],
        serde_json::json!(["DNS:api.example", "IP:10.0.0.1"])
    );
    assert!(
        f[0].detail.contains("api.example, 10.0.0.1"),
        "{}",
        f[0].detail
    );
}

#[test]
fn common_name_only_certificate_is_a_mismatch() {
    let p = pki();
    let mut spec = LeafSpec::server(&[]);
    spec.cn = "legacy.example".into();
    let leaf = p.inter.issue(&spec).unwrap();
    let f = run(
        &ders(&leaf.chain_pem),
        std::slice::from_ref(&p.root.der),
        Some("legacy.example"),
        Purpose::Server,
    );
    assert_eq!(codes(&f), ["cert.hostname_mismatch"]);
    assert!(
        f[0].detail.contains("only in its Common Name"),
        "{}",
        f[0].detail
    );
}

#[test]
fn self_signed_leaf_is_named_and_trusting_it_makes_it_fine() {
    let leaf = certgate_pki::self_signed(&LeafSpec::server(&["localhost"])).unwrap();
    let other = named_pki("Other");
    let f = run(
        &ders(&leaf.chain_pem),
        std::slice::from_ref(&other.root.der),
        Some("localhost"),
        Purpose::Server,
    );
    assert_eq!(codes(&f), ["cert.self_signed"]);
    let f = run(
        &ders(&leaf.chain_pem),
        std::slice::from_ref(&leaf.der),
        Some("localhost"),
        Purpose::Server,
    );
    assert!(f.is_empty(), "{f:#?}");
}

#[test]
fn untrusted_root_sent_by_the_server_is_named() {
    let p = pki();
    let trusted = named_pki("Other");
    let leaf = p.inter.issue(&LeafSpec::server(&["localhost"])).unwrap();
    let sent = ders(&(leaf.chain_pem.clone() + &p.root.cert_pem));
    let f = run(
        &sent,
        std::slice::from_ref(&trusted.root.der),
        Some("localhost"),
        Purpose::Server,
    );
    assert_eq!(codes(&f), ["cert.untrusted_root"], "{f:#?}");
    assert_eq!(f[0].evidence["untrusted_issuer"], "CN=Test Root CA");
}

#[test]
fn untrusted_issuer_not_sent_is_named() {
    let p = pki();
    let trusted = named_pki("Other");
    let leaf = p.inter.issue(&LeafSpec::server(&["localhost"])).unwrap();
    let f = run(
        &ders(&leaf.chain_pem),
        std::slice::from_ref(&trusted.root.der),
        Some("localhost"),
        Purpose::Server,
    );
    assert_eq!(codes(&f), ["cert.untrusted_root"], "{f:#?}");
    assert_eq!(f[0].evidence["untrusted_issuer"], "CN=Test Root CA");
}

#[test]
fn same_name_different_key_root_is_untrusted_and_says_so() {
    let p = pki();
    let impostor = pki(); // same names, different keys
    let leaf = p.inter.issue(&LeafSpec::server(&["localhost"])).unwrap();
    let f = run(
        &ders(&leaf.chain_pem),
        std::slice::from_ref(&impostor.root.der),
        Some("localhost"),
        Purpose::Server,
    );
    assert_eq!(codes(&f), ["cert.untrusted_root"], "{f:#?}");
    assert!(f[0].detail.contains("different key"), "{}", f[0].detail);
}

#[test]
fn missing_intermediate_is_named_by_subject_and_key_id_when_known() {
    let p = pki();
    let leaf = p.inter.issue(&LeafSpec::server(&["localhost"])).unwrap();
    let only_leaf = vec![leaf.der.clone()];
    let anchors = vec![p.root.der.clone()];
    let known = vec![p.inter.der.clone()];
    let mut input = ChainInput::new(&only_leaf, &anchors, Purpose::Server, now());
    input.intermediates = &known;
    let f = analyse(&input);
    assert_eq!(codes(&f), ["cert.incomplete_chain"], "{f:#?}");
    let inter = CertFacts::from_der(&p.inter.der).unwrap();
    assert_eq!(f[0].evidence["missing_subject"], "CN=Test Issuing CA");
    assert_eq!(
        f[0].evidence["missing_key_id"],
        inter.ski_hex.unwrap().as_str()
    );
    // Without knowing the intermediate, the issuer is named as not trusted, with the hint.
    let f = run(&only_leaf, &anchors, None, Purpose::Server);
    assert_eq!(codes(&f), ["cert.untrusted_root"]);
    assert!(
        f[0].detail.contains("CN=Test Issuing CA"),
        "{}",
        f[0].detail
    );
    assert!(
        f[0].detail.contains("the peer must send it"),
        "{}",
        f[0].detail
    );
}

#[test]
fn chain_out_of_order_and_unrelated_certificates_are_a_warning() {
    let p = pki();
    let other = named_pki("Other");
    let leaf = p.inter.issue(&LeafSpec::server(&["localhost"])).unwrap();
    // leaf, root, intermediate: valid path, wrong order
    let sent = vec![leaf.der.clone(), p.root.der.clone(), p.inter.der.clone()];
    let f = run(
        &sent,
        std::slice::from_ref(&p.root.der),
        Some("localhost"),
        Purpose::Server,
    );
    assert_eq!(codes(&f), ["cert.chain_order"], "{f:#?}");
    assert_eq!(f[0].severity, Severity::Warning);
    // leaf, unrelated, intermediate
    let sent = vec![
        leaf.der.clone(),
        other.inter.der.clone(),
        p.inter.der.clone(),
    ];
    let f = run(
        &sent,
        std::slice::from_ref(&p.root.der),
        Some("localhost"),
        Purpose::Server,
    );
    assert_eq!(codes(&f), ["cert.chain_order"], "{f:#?}");
    assert!(
        f[0].detail.contains("not part of the chain"),
        "{}",
        f[0].detail
    );
}

fn crl_for(ca: &Ca, serial: &str) -> Vec<CertificateRevocationListDer<'static>> {
    let t = now();
    let pem = ca
        .crl(
            &[Revocation {
                serial_hex: serial.to_string(),
                at: t - Duration::hours(2),
                reason: Some(rcgen::RevocationReason::KeyCompromise),
            }],
            t - Duration::hours(1),
            t + Duration::days(7),
            1,
        )
        .unwrap();
    vec![CertificateRevocationListDer::from_pem_slice(pem.as_bytes()).unwrap()]
}

#[test]
fn revoked_leaf_names_serial_date_and_reason() {
    let p = pki();
    let leaf = p.inter.issue(&LeafSpec::server(&["localhost"])).unwrap();
    let good = p.inter.issue(&LeafSpec::server(&["localhost"])).unwrap();
    let crls = crl_for(&p.inter, &leaf.serial_hex);
    let anchors = vec![p.root.der.clone()];
    let sent = ders(&leaf.chain_pem);
    let mut input = ChainInput::new(&sent, &anchors, Purpose::Server, now());
    input.crls = &crls;
    let f = analyse(&input);
    assert_eq!(codes(&f), ["cert.revoked"], "{f:#?}");
    assert_eq!(f[0].evidence["serial"], leaf.serial_hex.as_str());
    assert_eq!(f[0].evidence["reason"], "keyCompromise");
    assert!(f[0].evidence["revoked_at"].as_str().is_some());
    // A CRL of the intermediate only: the good certificate still passes (no unknown-status trap).
    let sent = ders(&good.chain_pem);
    let mut input = ChainInput::new(&sent, &anchors, Purpose::Server, now());
    input.crls = &crls;
    assert!(analyse(&input).is_empty());
}

#[test]
fn client_certificate_used_as_server_is_wrong_usage_and_vice_versa() {
    let p = pki();
    let client = p.inter.issue(&LeafSpec::client("alice")).unwrap();
    let server = p.inter.issue(&LeafSpec::server(&["localhost"])).unwrap();
    let anchors = vec![p.root.der.clone()];
    let f = run(&ders(&client.chain_pem), &anchors, None, Purpose::Server);
    assert_eq!(codes(&f), ["cert.wrong_usage"], "{f:#?}");
    assert_eq!(f[0].evidence["eku"], serde_json::json!(["clientAuth"]));
    let f = run(&ders(&server.chain_pem), &anchors, None, Purpose::Client);
    assert_eq!(codes(&f), ["client_cert.wrong_usage"], "{f:#?}");
    let f = run(&ders(&client.chain_pem), &anchors, None, Purpose::Client);
    assert!(f.is_empty(), "{f:#?}");
}

#[test]
fn client_purpose_maps_to_client_cert_codes() {
    let p = pki();
    let other = named_pki("Other");
    let expired = p
        .inter
        .issue(&LeafSpec::client("bob").valid(Validity::expired_days_ago(1)))
        .unwrap();
    let f = run(
        &ders(&expired.chain_pem),
        std::slice::from_ref(&p.root.der),
        None,
        Purpose::Client,
    );
    assert_eq!(verdict(&f), Code::ClientCertExpired);
    let stranger = other.inter.issue(&LeafSpec::client("eve")).unwrap();
    let f = run(
        &ders(&stranger.chain_pem),
        std::slice::from_ref(&p.root.der),
        None,
        Purpose::Client,
    );
    assert_eq!(codes(&f), ["client_cert.untrusted"]);
    assert_eq!(f[0].evidence["cause"], "cert.untrusted_root");
    let f = run(
        &[],
        std::slice::from_ref(&p.root.der),
        None,
        Purpose::Client,
    );
    assert_eq!(codes(&f), ["client_cert.required"]);
}

#[test]
fn garbage_in_the_chain_is_a_finding_not_a_panic() {
    let p = pki();
    let junk = vec![CertificateDer::from(vec![0x30, 0x03, 0x01, 0x02, 0x03])];
    let f = run(
        &junk,
        std::slice::from_ref(&p.root.der),
        Some("localhost"),
        Purpose::Server,
    );
    assert_eq!(codes(&f), ["cert.untrusted_root"]);
    assert!(f[0].detail.contains("cannot be parsed"), "{}", f[0].detail);
}

#[test]
fn facts_read_names_keys_and_fingerprints() {
    let p = pki();
    let mut spec = LeafSpec::client("alice");
    spec.uris = vec!["spiffe://example.org/ns/prod/sa/alice".into()];
    spec.key = certgate_pki::KeyAlg::Rsa2048;
    let leaf = p.inter.issue(&spec).unwrap();
    let f = CertFacts::from_der(&leaf.der).unwrap();
    assert_eq!(f.subject, "CN=alice");
    assert_eq!(f.issuer, "CN=Test Issuing CA");
    assert_eq!(f.common_name.as_deref(), Some("alice"));
    assert_eq!(f.sans_uri, ["spiffe://example.org/ns/prod/sa/alice"]);
    assert_eq!(f.key.alg, KeyAlgorithm::Rsa);
    assert_eq!(f.key.bits, 2048);
    assert_eq!(f.signature_alg, "ecdsa-with-SHA256");
    assert_eq!(f.eku.as_deref(), Some(&["clientAuth".to_string()][..]));
    assert!(!f.is_ca && !f.self_signed);
    assert_eq!(f.serial_hex, leaf.serial_hex);
    assert_eq!(f.sha256_hex.len(), 64);
    assert_eq!(f.sha1_hex.len(), 40);
    assert!(f.aki_hex.is_some() && f.ski_hex.is_some());
    let root = CertFacts::from_der(&p.root.der).unwrap();
    assert!(root.is_ca && root.self_signed);
    assert!(lint_certificate(&f, now()).is_empty());
    assert!((364..=365).contains(&f.days_left(now())));
    let expired_lint = lint_certificate(&f, now() + Duration::days(400));
    assert_eq!(expired_lint[0].code, Code::CertExpired);
    assert!(CertFacts::from_der(b"garbage").is_err());
}

/// Untrusted bytes from a peer: every truncation and many single-byte corruptions of a real
/// chain must give facts or an error, and the analysis a finding, never a panic.
#[test]
fn truncated_and_corrupted_certificates_never_panic() {
    let p = pki();
    let leaf = p.inter.issue(&LeafSpec::server(&["localhost"])).unwrap();
    let good = leaf.der.to_vec();
    let anchors = vec![p.root.der.clone()];
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let mut variants: Vec<Vec<u8>> = (0..good.len()).map(|n| good[..n].to_vec()).collect();
    for _ in 0..2000 {
        // xorshift: deterministic, so a failure is reproducible
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let mut v = good.clone();
        let i = (x as usize) % v.len();
        v[i] ^= (x >> 32) as u8 | 1;
        variants.push(v);
    }
    for v in variants {
        let _ = CertFacts::from_der(&v);
        let sent = vec![CertificateDer::from(v), p.inter.der.clone()];
        let f = run(&sent, &anchors, Some("localhost"), Purpose::Server);
        let _ = verdict(&f);
    }
}

#[test]
fn leaf_announcing_its_issuer_by_aia_is_an_incomplete_chain_when_sent_alone() {
    let p = pki();
    let mut spec = LeafSpec::server(&["localhost"]);
    spec.ca_issuers = vec!["http://pki.example/issuing.crt".into()];
    let leaf = p.inter.issue(&spec).unwrap();
    let facts = CertFacts::from_der(&leaf.der).unwrap();
    assert_eq!(facts.ca_issuers, ["http://pki.example/issuing.crt"]);
    let f = run(
        std::slice::from_ref(&leaf.der),
        std::slice::from_ref(&p.root.der),
        Some("localhost"),
        Purpose::Server,
    );
    assert_eq!(codes(&f), ["cert.incomplete_chain"], "{f:#?}");
    assert_eq!(f[0].evidence["missing_subject"], "CN=Test Issuing CA");
    assert!(
        f[0].detail.contains("http://pki.example/issuing.crt"),
        "{}",
        f[0].detail
    );
    // Sent with its intermediate, the same leaf is fine.
    let f = run(
        &ders(&leaf.chain_pem),
        std::slice::from_ref(&p.root.der),
        Some("localhost"),
        Purpose::Server,
    );
    assert!(f.is_empty(), "{f:#?}");
}
