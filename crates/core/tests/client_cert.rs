//! The gateway's client-certificate judgement, pure: a chain minted by the pki crate, the trusted
//! CAs, the CRLs and `now` in; one `client_cert.*` finding naming the certificate at fault out.

use certgate_core::analyse::client_cert::{judge, ClientTrust};
use certgate_core::Code;
use certgate_pki::{Ca, CaSpec, LeafSpec, Revocation, Validity};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{
    CertificateDer, CertificateRevocationListDer, SignatureVerificationAlgorithm, UnixTime,
};
use time::{Duration, OffsetDateTime};

static ALGS: &[&dyn SignatureVerificationAlgorithm] = &[
    webpki::aws_lc_rs::ECDSA_P256_SHA256,
    webpki::aws_lc_rs::ECDSA_P384_SHA384,
    webpki::aws_lc_rs::ED25519,
];

fn chain(pem: &str) -> Vec<CertificateDer<'static>> {
    CertificateDer::pem_slice_iter(pem.as_bytes())
        .map(|c| c.unwrap())
        .collect()
}

struct World {
    root: Ca,
    issuing: Ca,
}

fn world() -> World {
    let root = Ca::root(&CaSpec::new("Judge Root")).unwrap();
    let issuing = root.intermediate(&CaSpec::new("Judge Clients CA")).unwrap();
    World { root, issuing }
}

/// Judges `leaf_chain` against the root with `crls` at now.
fn verdict(w: &World, leaf_chain: &str, crls: &[String]) -> certgate_core::Finding {
    let anchor = webpki::anchor_from_trusted_cert(&w.root.der)
        .unwrap()
        .to_owned();
    let owned: Vec<webpki::CertRevocationList<'static>> = crls
        .iter()
        .map(|pem| {
            let der = CertificateRevocationListDer::from_pem_slice(pem.as_bytes()).unwrap();
            webpki::OwnedCertRevocationList::from_der(&der)
                .unwrap()
                .into()
        })
        .collect();
    let refs: Vec<&webpki::CertRevocationList<'static>> = owned.iter().collect();
    let trust = ClientTrust {
        anchors: &[anchor],
        crls: &refs,
        algs: ALGS,
    };
    judge(&chain(leaf_chain), &trust, UnixTime::now())
}

#[test]
fn a_valid_chain_is_ok_and_names_the_subject() {
    let w = world();
    let leaf = w.issuing.issue(&LeafSpec::client("alice")).unwrap();
    let f = verdict(&w, &leaf.chain_pem, &[]);
    assert_eq!(f.code, Code::Ok, "{}", f.detail);
    assert_eq!(f.evidence["subject"], "CN=alice");
}

#[test]
fn each_broken_certificate_gets_its_own_code() {
    let w = world();
    let rogue = Ca::root(&CaSpec::new("Rogue")).unwrap();
    let mut eku = LeafSpec::client("server-only");
    eku.eku = Some(vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth]);
    let cases = [
        (
            w.issuing
                .issue(&LeafSpec::client("old").valid(Validity::expired_days_ago(5)))
                .unwrap()
                .chain_pem,
            Code::ClientCertExpired,
        ),
        (
            w.issuing
                .issue(&LeafSpec::client("early").valid(Validity::starts_in_days(5)))
                .unwrap()
                .chain_pem,
            Code::ClientCertNotYetValid,
        ),
        (
            rogue
                .issue(&LeafSpec::client("stranger"))
                .unwrap()
                .chain_pem,
            Code::ClientCertUntrusted,
        ),
        (
            w.issuing.issue(&eku).unwrap().chain_pem,
            Code::ClientCertWrongUsage,
        ),
        (
            // The leaf alone: the intermediate is missing, so the chain cannot reach the root.
            w.issuing
                .issue(&LeafSpec::client("lonely"))
                .unwrap()
                .cert_pem,
            Code::ClientCertUntrusted,
        ),
    ];
    for (pem, code) in cases {
        let f = verdict(&w, &pem, &[]);
        assert_eq!(f.code, code, "{}", f.detail);
        assert!(f.evidence.contains_key("not_after"));
    }
}

#[test]
fn a_missing_intermediate_is_named_in_the_detail() {
    let w = world();
    let leaf = w.issuing.issue(&LeafSpec::client("lonely")).unwrap();
    let f = verdict(&w, &leaf.cert_pem, &[]);
    assert!(
        f.detail.contains("CN=Judge Clients CA") && f.detail.contains("intermediate"),
        "{}",
        f.detail
    );
}

#[test]
fn an_expired_intermediate_is_named_not_the_leaf() {
    let root = Ca::root(&CaSpec::new("Judge Root")).unwrap();
    let mut spec = CaSpec::new("Old Clients CA");
    spec.validity = Validity::expired_days_ago(1);
    let issuing = root.intermediate(&spec).unwrap();
    let w = World { root, issuing };
    let leaf = w.issuing.issue(&LeafSpec::client("alice")).unwrap();
    let f = verdict(&w, &leaf.chain_pem, &[]);
    assert_eq!(f.code, Code::ClientCertExpired);
    assert!(
        f.detail.contains("CA certificate CN=Old Clients CA"),
        "{}",
        f.detail
    );
}

#[test]
fn revocation_uses_the_issuing_ca_crl_and_a_ca_without_crl_does_not_fail_everyone() {
    let w = world();
    let alice = w.issuing.issue(&LeafSpec::client("alice")).unwrap();
    let mallory = w.issuing.issue(&LeafSpec::client("mallory")).unwrap();
    let now = OffsetDateTime::now_utc();
    // Only the issuing CA publishes a CRL; the root has none (unknown status is allowed).
    let crl = w
        .issuing
        .crl(
            &[Revocation {
                serial_hex: mallory.serial_hex.clone(),
                at: now - Duration::minutes(1),
                reason: None,
            }],
            now - Duration::minutes(5),
            now + Duration::days(1),
            1,
        )
        .unwrap();
    assert_eq!(
        verdict(&w, &alice.chain_pem, std::slice::from_ref(&crl)).code,
        Code::Ok
    );
    let f = verdict(&w, &mallory.chain_pem, &[crl]);
    assert_eq!(f.code, Code::ClientCertRevoked, "{}", f.detail);
    assert_eq!(f.evidence["serial"], mallory.serial_hex);
}

#[test]
fn a_crl_past_next_update_is_the_operators_problem_not_the_clients() {
    let w = world();
    let alice = w.issuing.issue(&LeafSpec::client("alice")).unwrap();
    let now = OffsetDateTime::now_utc();
    let stale = w
        .issuing
        .crl(&[], now - Duration::days(9), now - Duration::days(2), 1)
        .unwrap();
    let f = verdict(&w, &alice.chain_pem, &[stale]);
    assert_eq!(f.code, Code::ClientCertRejected);
    assert!(f.detail.contains("operator"), "{}", f.detail);
}
