//! OCSP for client certificates (RFC 6960), per route: after the chain and CRLs accepted a
//! certificate, ask its issuer's responder whether it is revoked. Answers are cached per
//! certificate until the response's nextUpdate (capped), and what happens when no answer can be
//! had is the operator's explicit choice: `fail-open` (accept, log) or `fail-closed` (495,
//! `client_cert.revocation_unknown`). Requests use a SHA-1 CertID without a nonce (the RFC 5019
//! profile every responder supports); responses must be signed by the issuer or by a responder
//! certificate the issuer gave the OCSPSigning EKU.

use crate::policy::{ClientCert, Route};
use crate::trust::TrustStore;
use certgate_core::{Code, Finding};
use certgate_pki::der_tlv as encode;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rustls_pki_types::{CertificateDer, SignatureVerificationAlgorithm};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What to do when the responder cannot give an answer (unreachable, slow, error, `unknown`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailMode {
    /// Accept the certificate and log a warning (availability first).
    #[default]
    FailOpen,
    /// Reject with 495 `client_cert.revocation_unknown` (security first).
    FailClosed,
}

/// The `[ocsp]` table of a route (or the top-level default).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OcspConfig {
    /// Responder URL (`http://...`); default: the certificate's AIA OCSP URL.
    #[serde(default)]
    pub responder: Option<String>,
    /// `fail-open` (default) or `fail-closed`.
    #[serde(default)]
    pub policy: FailMode,
    /// Time allowed for one responder round trip, milliseconds.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Longest time a good/revoked answer is reused, seconds (also bounded by nextUpdate).
    #[serde(default = "default_cache_secs")]
    pub cache_secs: u64,
    /// How long a failure is remembered before the responder is asked again, seconds.
    #[serde(default = "default_failure_cache_secs")]
    pub failure_cache_secs: u64,
}

fn default_timeout_ms() -> u64 {
    2_000
}
fn default_cache_secs() -> u64 {
    3_600
}
fn default_failure_cache_secs() -> u64 {
    10
}

impl OcspConfig {
    /// Defaults with the given policy.
    pub fn new(policy: FailMode) -> OcspConfig {
        OcspConfig {
            responder: None,
            policy,
            timeout_ms: default_timeout_ms(),
            cache_secs: default_cache_secs(),
            failure_cache_secs: default_failure_cache_secs(),
        }
    }
}

/// The responder's answer for one certificate, or why there is none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OcspStatus {
    /// Not revoked.
    Good,
    /// Revoked at this time (Unix seconds), with the CRLReason when given.
    Revoked {
        /// Revocation time, Unix seconds.
        at: i64,
        /// CRLReason code (RFC 5280 §5.3.1), when present.
        reason: Option<u8>,
    },
    /// No usable answer: the responder said `unknown`, or it failed, or its answer did not verify.
    Unavailable(String),
}

/// An answer and until when it may be reused.
#[derive(Clone, Debug)]
struct Cached {
    status: OcspStatus,
    until: i64,
}

/// Asks responders and remembers their answers; one per route configuration generation.
pub struct OcspChecker {
    /// The route's settings.
    pub config: OcspConfig,
    client: Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>,
    cache: Mutex<HashMap<Vec<u8>, Cached>>,
}

impl std::fmt::Debug for OcspChecker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OcspChecker")
            .field("config", &self.config)
            .finish()
    }
}

/// Most answers remembered; the cache is emptied when full (bounded memory).
const CACHE_MAX: usize = 10_000;
/// Clock skew tolerated on thisUpdate / nextUpdate, seconds.
const SKEW_SECS: i64 = 300;

impl OcspChecker {
    /// A checker with an empty cache.
    pub fn new(config: OcspConfig) -> OcspChecker {
        let mut http = hyper_util::client::legacy::connect::HttpConnector::new();
        http.set_connect_timeout(Some(Duration::from_millis(config.timeout_ms)));
        http.set_nodelay(true);
        OcspChecker {
            config,
            client: Client::builder(TokioExecutor::new()).build(http),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The status of `leaf` (issued by `issuer`) at `now`, from the cache or the responder.
    pub async fn status(
        &self,
        leaf: &CertificateDer<'_>,
        issuer: &CertificateDer<'_>,
        now: i64,
    ) -> OcspStatus {
        let key = leaf.as_ref().to_vec();
        if let Some(c) = self.cache.lock().expect("ocsp cache").get(&key) {
            if now < c.until {
                return c.status.clone();
            }
        }
        let (status, until) = match self.ask(leaf, issuer, now).await {
            Ok((status, next_update)) => {
                let cap = now + self.config.cache_secs as i64;
                (status, next_update.map_or(cap, |n| n.min(cap)))
            }
            Err(why) => {
                // Logged once per failure_cache_secs and certificate, not per request.
                tracing::warn!(target: "certgate::gateway", event = "ocsp_unavailable",
                    policy = ?self.config.policy, "OCSP check failed: {why}");
                (
                    OcspStatus::Unavailable(why),
                    now + self.config.failure_cache_secs as i64,
                )
            }
        };
        let mut cache = self.cache.lock().expect("ocsp cache");
        if cache.len() >= CACHE_MAX {
            cache.clear();
        }
        cache.insert(
            key,
            Cached {
                status: status.clone(),
                until,
            },
        );
        status
    }

    async fn ask(
        &self,
        leaf: &CertificateDer<'_>,
        issuer: &CertificateDer<'_>,
        now: i64,
    ) -> Result<(OcspStatus, Option<i64>), String> {
        let url = match &self.config.responder {
            Some(u) => u.clone(),
            None => aia_ocsp_url(leaf).ok_or(
                "the certificate names no OCSP responder (AIA) and the route configures none",
            )?,
        };
        let id = CertId::new(leaf, issuer)?;
        let body = request_der(&id);
        let req = http::Request::post(&url)
            .header(http::header::CONTENT_TYPE, "application/ocsp-request")
            .header(http::header::ACCEPT, "application/ocsp-response")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| format!("responder URL {url}: {e}"))?;
        let timeout = Duration::from_millis(self.config.timeout_ms);
        let resp = tokio::time::timeout(timeout, async {
            let resp = self
                .client
                .request(req)
                .await
                .map_err(|e| format!("responder {url} unreachable: {e}"))?;
            let status = resp.status();
            let bytes = resp
                .into_body()
                .collect()
                .await
                .map_err(|e| format!("responder {url}: {e}"))?
                .to_bytes();
            if !status.is_success() {
                return Err(format!("responder {url} answered HTTP {status}"));
            }
            Ok(bytes)
        })
        .await
        .map_err(|_| format!("responder {url} did not answer within {timeout:?}"))??;
        let (status, next_update) = verify_response(&resp, &id, issuer, now)
            .map_err(|e| format!("responder {url}: {e}"))?;
        Ok((status, next_update))
    }
}

/// After the chain and CRLs accepted the certificate, asks OCSP when the route wants it: a revoked
/// answer turns the verdict into `client_cert.revoked`; no answer into
/// `client_cert.revocation_unknown` under `fail-closed` and leaves it `ok` under `fail-open`.
pub async fn recheck(
    route: &Route,
    chain: Option<&[CertificateDer<'static>]>,
    cert: ClientCert,
) -> ClientCert {
    let Some(checker) = &route.ocsp else {
        return cert;
    };
    let (ClientCert::Present { identity, verdict }, Some(chain)) = (&cert, chain) else {
        return cert;
    };
    if verdict.code != Code::Ok || chain.is_empty() {
        return cert;
    }
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let status = match issuer_of(chain, &route.trust) {
        Some(issuer) => checker.status(&chain[0], &issuer, now).await,
        None => OcspStatus::Unavailable("the issuer of the certificate was not found".into()),
    };
    let (code, detail) = match status {
        OcspStatus::Good => return cert,
        OcspStatus::Revoked { at, reason } => (
            Code::ClientCertRevoked,
            format!(
                "the OCSP responder says the certificate {} (serial {}) was revoked at {}{}",
                identity.subject,
                identity.serial,
                time::OffsetDateTime::from_unix_timestamp(at)
                    .ok()
                    .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
                    .unwrap_or_else(|| at.to_string()),
                reason.map(|r| format!(" (CRLReason {r})")).unwrap_or_default()
            ),
        ),
        OcspStatus::Unavailable(why) => match checker.config.policy {
            FailMode::FailOpen => return cert,
            FailMode::FailClosed => (
                Code::ClientCertRevocationUnknown,
                format!(
                    "the revocation status of {} (serial {}) could not be checked and this route is fail-closed: {why}",
                    identity.subject, identity.serial
                ),
            ),
        },
    };
    let mut f: Finding = (**verdict).clone();
    f.code = code;
    f.severity = code.severity();
    f.detail = detail;
    ClientCert::Present {
        identity: identity.clone(),
        verdict: Arc::new(f.with("revocation_source", "ocsp")),
    }
}

/// The issuer of the leaf: the next certificate of the chain, or one of the route's trusted CAs.
fn issuer_of(
    chain: &[CertificateDer<'static>],
    trust: &TrustStore,
) -> Option<CertificateDer<'static>> {
    let leaf = cert_parts(&chain[0]).ok()?;
    let issues_leaf = |c: &[u8]| cert_parts(c).is_ok_and(|p| p.subject_name == leaf.issuer_name);
    chain[1..]
        .iter()
        .find(|c| issues_leaf(c))
        .cloned()
        .or_else(|| {
            trust
                .cas
                .iter()
                .find(|ca| issues_leaf(&ca.der))
                .map(|ca| ca.der.clone())
        })
}

// ---- DER ---------------------------------------------------------------------------------------

/// One TLV: (tag, content, the whole encoding, what follows).
type Tlv<'a> = (u8, &'a [u8], &'a [u8], &'a [u8]);

fn tlv(input: &[u8]) -> Option<Tlv<'_>> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n].iter().fold(0usize, |a, b| (a << 8) | *b as usize);
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    let header = input.len() - rest.len();
    Some((tag, &rest[..len], &input[..header + len], &rest[len..]))
}

/// Reads the TLV at the start of `input` and requires `tag`.
fn expect<'a>(input: &'a [u8], tag: u8, what: &str) -> Result<(&'a [u8], &'a [u8]), String> {
    match tlv(input) {
        Some((t, content, _, rest)) if t == tag => Ok((content, rest)),
        Some((t, ..)) => Err(format!(
            "malformed OCSP response: {what}: tag {t:#04x}, expected {tag:#04x}"
        )),
        None => Err(format!("malformed OCSP response: {what}: truncated")),
    }
}

const SEQ: u8 = 0x30;
const OID_SHA1: &[u8] = &[0x2b, 0x0e, 0x03, 0x02, 0x1a];
const OID_OCSP_BASIC: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01];
const OID_AIA_OCSP: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01];

/// The parts of a certificate the OCSP exchange needs, by DER slicing.
struct CertParts<'a> {
    tbs: &'a [u8],
    sig_alg: &'a [u8],
    signature: &'a [u8],
    serial: &'a [u8],
    issuer_name: &'a [u8],
    subject_name: &'a [u8],
    spki_alg: &'a [u8],
    spki_key: &'a [u8],
}

fn cert_parts(der: &[u8]) -> Result<CertParts<'_>, String> {
    let bad = |w: &str| format!("certificate: cannot read {w}");
    let (cert, _) = expect(der, SEQ, "certificate").map_err(|_| bad("the certificate"))?;
    let (_, _, tbs, rest) = tlv(cert).ok_or_else(|| bad("tbsCertificate"))?;
    let (sig_alg, rest) =
        expect(rest, SEQ, "signatureAlgorithm").map_err(|_| bad("signatureAlgorithm"))?;
    let (sig, _) = expect(rest, 0x03, "signature").map_err(|_| bad("signature"))?;
    let (mut t, _) = expect(tbs, SEQ, "tbs").map_err(|_| bad("tbsCertificate"))?;
    if t.first() == Some(&0xa0) {
        t = tlv(t).ok_or_else(|| bad("version"))?.3;
    }
    let (serial, t) = expect(t, 0x02, "serial").map_err(|_| bad("serial"))?;
    let (_, _, _, t) = tlv(t).ok_or_else(|| bad("signature"))?;
    let (_, _, issuer_name, t) = tlv(t).ok_or_else(|| bad("issuer"))?;
    let (_, _, _, t) = tlv(t).ok_or_else(|| bad("validity"))?;
    let (_, _, subject_name, t) = tlv(t).ok_or_else(|| bad("subject"))?;
    let (spki, _) = expect(t, SEQ, "spki").map_err(|_| bad("subjectPublicKeyInfo"))?;
    let (spki_alg, rest) = expect(spki, SEQ, "spki alg").map_err(|_| bad("key algorithm"))?;
    let (key, _) = expect(rest, 0x03, "spki key").map_err(|_| bad("public key"))?;
    Ok(CertParts {
        tbs,
        sig_alg,
        signature: sig.get(1..).ok_or_else(|| bad("signature"))?,
        serial,
        issuer_name,
        subject_name,
        spki_alg,
        spki_key: key.get(1..).ok_or_else(|| bad("public key"))?,
    })
}

/// The CertID of RFC 6960 §4.1.1 with SHA-1.
#[derive(Debug, Clone, PartialEq, Eq)]
struct CertId {
    name_hash: Vec<u8>,
    key_hash: Vec<u8>,
    serial: Vec<u8>,
}

fn sha1(data: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, data)
        .as_ref()
        .to_vec()
}

impl CertId {
    fn new(leaf: &[u8], issuer: &[u8]) -> Result<CertId, String> {
        let l = cert_parts(leaf)?;
        let i = cert_parts(issuer)?;
        Ok(CertId {
            // issuerNameHash: over the DER of the issuer's subject Name (the leaf's issuer field).
            name_hash: sha1(i.subject_name),
            key_hash: sha1(i.spki_key),
            serial: l.serial.to_vec(),
        })
    }

    fn der(&self) -> Vec<u8> {
        let alg = encode(SEQ, &[encode(0x06, OID_SHA1), vec![0x05, 0x00]].concat());
        encode(
            SEQ,
            &[
                alg,
                encode(0x04, &self.name_hash),
                encode(0x04, &self.key_hash),
                encode(0x02, &self.serial),
            ]
            .concat(),
        )
    }

    /// Reads a CertID, keeping only SHA-1 ones (the only kind we ask for).
    fn parse(content: &[u8]) -> Option<CertId> {
        let (alg, rest) = expect(content, SEQ, "hashAlgorithm").ok()?;
        let (oid, _) = expect(alg, 0x06, "oid").ok()?;
        let (name_hash, rest) = expect(rest, 0x04, "issuerNameHash").ok()?;
        let (key_hash, rest) = expect(rest, 0x04, "issuerKeyHash").ok()?;
        let (serial, _) = expect(rest, 0x02, "serialNumber").ok()?;
        (oid == OID_SHA1).then(|| CertId {
            name_hash: name_hash.to_vec(),
            key_hash: key_hash.to_vec(),
            serial: serial.to_vec(),
        })
    }
}

/// OCSPRequest { tbsRequest { requestList { Request { reqCert } } } }, no nonce, unsigned.
fn request_der(id: &CertId) -> Vec<u8> {
    let request = encode(SEQ, &id.der());
    let list = encode(SEQ, &request);
    let tbs = encode(SEQ, &list);
    encode(SEQ, &tbs)
}

/// The AIA `id-ad-ocsp` URL of a certificate.
fn aia_ocsp_url(leaf: &[u8]) -> Option<String> {
    use x509_parser::prelude::{FromDer, GeneralName, ParsedExtension, X509Certificate};
    let (_, c) = X509Certificate::from_der(leaf).ok()?;
    for ext in c.extensions() {
        if let ParsedExtension::AuthorityInfoAccess(aia) = ext.parsed_extension() {
            for d in &aia.accessdescs {
                if d.access_method.as_bytes() == OID_AIA_OCSP {
                    if let GeneralName::URI(u) = d.access_location {
                        return Some(u.to_string());
                    }
                }
            }
        }
    }
    None
}

/// GeneralizedTime (`YYYYMMDDHHMMSSZ`, optional fraction) to Unix seconds.
fn generalized_time(content: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(content).ok()?;
    let s = s.strip_suffix('Z')?;
    let s = s.split('.').next()?;
    if s.len() != 14 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s[r].parse::<u32>().ok();
    let month = time::Month::try_from(n(4..6)? as u8).ok()?;
    let date = time::Date::from_calendar_date(n(0..4)? as i32, month, n(6..8)? as u8).ok()?;
    let t = time::Time::from_hms(n(8..10)? as u8, n(10..12)? as u8, n(12..14)? as u8).ok()?;
    Some(
        time::PrimitiveDateTime::new(date, t)
            .assume_utc()
            .unix_timestamp(),
    )
}

fn all_algs() -> &'static [&'static dyn SignatureVerificationAlgorithm] {
    webpki::ALL_VERIFICATION_ALGS
}

/// True when `signature` over `message` verifies with the key of `signer` under `sig_alg`.
fn signed_by(signer: &CertParts<'_>, sig_alg: &[u8], message: &[u8], signature: &[u8]) -> bool {
    all_algs().iter().any(|a| {
        a.signature_alg_id().as_ref() == sig_alg
            && a.public_key_alg_id().as_ref() == signer.spki_alg
            && a.verify_signature(signer.spki_key, message, signature)
                .is_ok()
    })
}

/// Parses and verifies an OCSPResponse for `id`; returns the status and nextUpdate.
fn verify_response(
    der: &[u8],
    id: &CertId,
    issuer: &[u8],
    now: i64,
) -> Result<(OcspStatus, Option<i64>), String> {
    let (resp, _) = expect(der, SEQ, "OCSPResponse")?;
    let (status, rest) = expect(resp, 0x0a, "responseStatus")?;
    match status {
        [0] => {}
        [s] => {
            let name = match s {
                1 => "malformedRequest",
                2 => "internalError",
                3 => "tryLater",
                5 => "sigRequired",
                6 => "unauthorized",
                _ => "unknown status",
            };
            return Err(format!("responder refused the request ({name})"));
        }
        _ => return Err("malformed OCSP response: responseStatus".into()),
    }
    let (rb, _) = expect(rest, 0xa0, "responseBytes")?;
    let (rb, _) = expect(rb, SEQ, "ResponseBytes")?;
    let (oid, rest) = expect(rb, 0x06, "responseType")?;
    if oid != OID_OCSP_BASIC {
        return Err("response type is not id-pkix-ocsp-basic".into());
    }
    let (basic, _) = expect(rest, 0x04, "response")?;
    let (basic, _) = expect(basic, SEQ, "BasicOCSPResponse")?;
    let (_, _, tbs_whole, rest) = tlv(basic).ok_or("malformed OCSP response: tbsResponseData")?;
    let (sig_alg, rest) = expect(rest, SEQ, "signatureAlgorithm")?;
    let (sig, rest) = expect(rest, 0x03, "signature")?;
    let signature = sig.get(1..).ok_or("malformed OCSP response: signature")?;
    let certs: Vec<&[u8]> = match tlv(rest) {
        Some((0xa0, content, _, _)) => {
            let (mut seq, _) = expect(content, SEQ, "certs")?;
            let mut v = Vec::new();
            while let Some((_, _, whole, next)) = tlv(seq) {
                v.push(whole);
                seq = next;
            }
            v
        }
        _ => Vec::new(),
    };

    // Who signed: the issuer itself, or a delegated responder certificate it issued.
    let issuer_parts = cert_parts(issuer)?;
    if !signed_by(&issuer_parts, sig_alg, tbs_whole, signature) {
        let delegated = certs.iter().any(|c| {
            let Ok(p) = cert_parts(c) else { return false };
            p.issuer_name == issuer_parts.subject_name
                && signed_by(&issuer_parts, p.sig_alg, p.tbs, p.signature)
                && has_ocsp_signing(c, now)
                && signed_by(&p, sig_alg, tbs_whole, signature)
        });
        if !delegated {
            return Err("the response is not signed by the issuer or by a responder certificate it authorised (OCSPSigning)".into());
        }
    }

    // ResponseData { [0] version?, responderID, producedAt, responses, [1] extensions? }
    let (mut t, _) = expect(tbs_whole, SEQ, "ResponseData")?;
    if t.first() == Some(&0xa0) {
        t = tlv(t).ok_or("malformed OCSP response: version")?.3;
    }
    let (_, _, _, t) = tlv(t).ok_or("malformed OCSP response: responderID")?;
    let (_, t) = expect(t, 0x18, "producedAt")?;
    let (mut responses, _) = expect(t, SEQ, "responses")?;
    while let Some((SEQ, single, _, next)) = tlv(responses) {
        responses = next;
        let (cid, rest) = expect(single, SEQ, "certID")?;
        if CertId::parse(cid).as_ref() != Some(id) {
            continue;
        }
        let (tag, content, _, rest) = tlv(rest).ok_or("malformed OCSP response: certStatus")?;
        let (this_update, rest) = expect(rest, 0x18, "thisUpdate")?;
        let this_update = generalized_time(this_update).ok_or("malformed thisUpdate")?;
        let next_update = match tlv(rest) {
            Some((0xa0, c, _, _)) => {
                let (g, _) = expect(c, 0x18, "nextUpdate")?;
                Some(generalized_time(g).ok_or("malformed nextUpdate")?)
            }
            _ => None,
        };
        if this_update > now + SKEW_SECS {
            return Err("the response's thisUpdate is in the future".into());
        }
        if let Some(n) = next_update {
            if n < now - SKEW_SECS {
                return Err("the response is stale (nextUpdate has passed)".into());
            }
        }
        let status = match tag {
            0x80 => OcspStatus::Good,
            0xa1 => {
                let (at, rest) = expect(content, 0x18, "revocationTime")?;
                let reason = match tlv(rest) {
                    Some((0xa0, c, _, _)) => expect(c, 0x0a, "revocationReason")
                        .ok()
                        .and_then(|(r, _)| r.first().copied()),
                    _ => None,
                };
                OcspStatus::Revoked {
                    at: generalized_time(at).ok_or("malformed revocationTime")?,
                    reason,
                }
            }
            0x82 => OcspStatus::Unavailable(
                "the responder does not know this certificate (status unknown)".into(),
            ),
            t => return Err(format!("malformed OCSP response: certStatus tag {t:#04x}")),
        };
        return Ok((status, next_update));
    }
    Err("the response does not cover this certificate".into())
}

fn has_ocsp_signing(der: &[u8], now: i64) -> bool {
    use x509_parser::prelude::{FromDer, X509Certificate};
    let Ok((_, c)) = X509Certificate::from_der(der) else {
        return false;
    };
    let valid =
        c.validity().not_before.timestamp() <= now && now <= c.validity().not_after.timestamp();
    valid && matches!(c.extended_key_usage(), Ok(Some(e)) if e.value.ocsp_signing)
}

#[cfg(test)]
mod tests {
    use super::*;
    use certgate_pki::{Ca, CaSpec, LeafSpec};

    #[test]
    fn der_lengths_round_trip_short_and_long_forms() {
        for n in [0usize, 1, 127, 128, 255, 256, 70_000] {
            let content = vec![7u8; n];
            let enc = encode(0x04, &content);
            let (tag, c, whole, rest) = tlv(&enc).unwrap();
            assert_eq!(
                (tag, c.len(), whole.len(), rest.len()),
                (0x04, n, enc.len(), 0)
            );
        }
        assert!(tlv(&[0x30, 0x82, 0x01]).is_none(), "truncated length");
        assert!(
            tlv(&[0x30, 0x05, 0x00]).is_none(),
            "content shorter than its length"
        );
    }

    #[test]
    fn cert_id_hashes_the_issuer_name_and_key_and_keeps_the_leaf_serial() {
        let ca = Ca::root(&CaSpec::new("Ocsp Root")).unwrap();
        let mut spec = LeafSpec::client("alice");
        spec.serial = Some(0x1005);
        let leaf = ca.issue(&spec).unwrap();
        let id = CertId::new(&leaf.der, &ca.der).unwrap();
        assert_eq!(id.serial, vec![0x10, 0x05]);
        assert_eq!(id.name_hash.len(), 20);
        assert_eq!(CertId::parse(tlv(&id.der()).unwrap().1), Some(id.clone()));
        // The request is four nested SEQUENCEs around the CertID.
        let req = request_der(&id);
        let (_, tbs, _, _) = tlv(&req).unwrap();
        let (_, list, _, _) = tlv(tbs).unwrap();
        let (_, one, _, _) = tlv(list).unwrap();
        let (_, cid, _, _) = tlv(one).unwrap();
        assert_eq!(tlv(cid).unwrap().2, &id.der()[..]);
    }

    #[test]
    fn generalized_time_reads_utc_with_and_without_fraction() {
        assert_eq!(generalized_time(b"19700101000000Z"), Some(0));
        assert_eq!(generalized_time(b"20261201080000Z"), Some(1_796_112_000));
        assert_eq!(generalized_time(b"20261201080000.5Z"), Some(1_796_112_000));
        assert_eq!(generalized_time(b"2026120108Z"), None);
    }

    #[test]
    fn garbage_responses_are_errors_not_panics() {
        let ca = Ca::root(&CaSpec::new("Ocsp Root")).unwrap();
        let leaf = ca.issue(&LeafSpec::client("alice")).unwrap();
        let id = CertId::new(&leaf.der, &ca.der).unwrap();
        for bytes in [
            &b""[..],
            b"\x30",
            b"\x30\x03\x0a\x01\x01",
            b"\x30\x03\x0a\x01\x00",
            b"<html>",
        ] {
            assert!(verify_response(bytes, &id, &ca.der, 0).is_err());
        }
        let refused = verify_response(b"\x30\x03\x0a\x01\x03", &id, &ca.der, 0).unwrap_err();
        assert!(refused.contains("tryLater"), "{refused}");
    }
}
