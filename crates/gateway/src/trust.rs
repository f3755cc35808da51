//! What one route trusts for client certificates: CA anchors, CRLs, the CA names shown to clients,
//! and a small verdict cache. Judging a chain is core's pure `analyse::client_cert::judge`; this
//! module only owns the parsed material and remembers verdicts per chain fingerprint, so a client
//! that reconnects (or resumes) costs a hash, not a chain verification.

use certgate_core::analyse::client_cert::{judge, ClientTrust};
use certgate_core::x509::rfc4514;
use certgate_core::{Code, Finding};
use rustls::DistinguishedName;
use rustls_pki_types::{CertificateDer, SignatureVerificationAlgorithm, TrustAnchor, UnixTime};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use webpki::CertRevocationList;

/// How long a cached verdict stands before the chain is verified again, seconds. Reloads start
/// from an empty cache, so a new CRL is always applied at once.
const VERDICT_TTL_SECS: u64 = 60;
/// Most verdicts remembered per trust store; the cache is emptied when full (bounded memory).
const VERDICT_CACHE_MAX: usize = 10_000;

/// Chain fingerprint → (verdict, valid until Unix seconds).
type VerdictCache = HashMap<[u8; 32], (Arc<Finding>, u64)>;

/// One CA the store trusts, described for error bodies and load-time checks.
#[derive(Clone, Debug)]
pub struct TrustedCa {
    /// Subject in RFC 4514 form.
    pub name: String,
    /// The CA certificate.
    pub der: CertificateDer<'static>,
}

/// Client-certificate trust for one or more routes.
pub struct TrustStore {
    anchors: Vec<TrustAnchor<'static>>,
    crls: Vec<CertRevocationList<'static>>,
    /// The CAs, in configuration order.
    pub cas: Vec<TrustedCa>,
    /// Subjects sent in the CertificateRequest (unless names are hidden).
    pub hints: Vec<DistinguishedName>,
    algs: &'static [&'static dyn SignatureVerificationAlgorithm],
    cache: Mutex<VerdictCache>,
}

impl std::fmt::Debug for TrustStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrustStore")
            .field("cas", &self.issuer_names())
            .field("crls", &self.crls.len())
            .finish()
    }
}

impl TrustStore {
    /// A store from parsed CA certificates and CRLs.
    pub fn new(
        cas: Vec<TrustedCa>,
        crls: Vec<CertRevocationList<'static>>,
        algs: &'static [&'static dyn SignatureVerificationAlgorithm],
    ) -> Result<TrustStore, String> {
        let mut anchors = Vec::with_capacity(cas.len());
        let mut hints = Vec::with_capacity(cas.len());
        for ca in &cas {
            let a = webpki::anchor_from_trusted_cert(&ca.der)
                .map_err(|e| format!("{}: not usable as a trust anchor ({e:?})", ca.name))?
                .to_owned();
            hints.push(DistinguishedName::in_sequence(a.subject.as_ref()));
            anchors.push(a);
        }
        Ok(TrustStore {
            anchors,
            crls,
            cas,
            hints,
            algs,
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// The accepted issuer names, for 495/496 bodies.
    pub fn issuer_names(&self) -> Vec<String> {
        self.cas.iter().map(|c| c.name.clone()).collect()
    }

    /// True when this store has no CA at all (every certificate is untrusted).
    pub fn is_empty(&self) -> bool {
        self.anchors.is_empty()
    }

    /// Judges `chain` at `now`, from the cache when the same chain was judged recently.
    pub fn judge(&self, chain: &[CertificateDer<'_>], now: UnixTime) -> Arc<Finding> {
        let key = chain_key(chain);
        let t = now.as_secs();
        if let Some((f, until)) = self.cache.lock().expect("cache lock").get(&key) {
            if t < *until {
                return f.clone();
            }
        }
        let f = Arc::new(self.judge_uncached(chain, now));
        // An `ok` verdict must not outlive the leaf's validity; a cached rejection is harmless.
        let until = match chain.first().and_then(|c| leaf_not_after(c)) {
            Some(na) if f.code == Code::Ok => (t + VERDICT_TTL_SECS).min(na),
            _ => t + VERDICT_TTL_SECS,
        };
        let mut c = self.cache.lock().expect("cache lock");
        if c.len() >= VERDICT_CACHE_MAX {
            c.clear();
        }
        c.insert(key, (f.clone(), until));
        f
    }

    /// Judges without the cache (also used to re-check live connections after a CRL reload).
    pub fn judge_uncached(&self, chain: &[CertificateDer<'_>], now: UnixTime) -> Finding {
        let crl_refs: Vec<&CertRevocationList<'static>> = self.crls.iter().collect();
        let trust = ClientTrust {
            anchors: &self.anchors,
            crls: &crl_refs,
            algs: self.algs,
        };
        judge(chain, &trust, now)
    }
}

fn leaf_not_after(der: &[u8]) -> Option<u64> {
    use x509_parser::prelude::FromDer;
    let (_, c) = x509_parser::certificate::X509Certificate::from_der(der).ok()?;
    u64::try_from(c.validity().not_after.timestamp()).ok()
}

/// SHA-256 over the presented chain (leaf and intermediates): the cache key.
fn chain_key(chain: &[CertificateDer<'_>]) -> [u8; 32] {
    let mut h = Sha256::new();
    for c in chain {
        h.update((c.len() as u32).to_be_bytes());
        h.update(c.as_ref());
    }
    h.finalize().into()
}

/// The RFC 4514 subject of a DER certificate, or a placeholder.
pub fn subject_of(der: &[u8]) -> String {
    use x509_parser::prelude::FromDer;
    x509_parser::certificate::X509Certificate::from_der(der)
        .map(|(_, c)| rfc4514(c.subject()))
        .unwrap_or_else(|_| "(unparsable certificate)".into())
}
