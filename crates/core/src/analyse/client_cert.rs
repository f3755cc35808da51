//! Client-certificate judgement for the gateway: a presented chain against the route's trusted CAs
//! and CRLs at `now` → one `client_cert.*` verdict with evidence. Path validation is rustls-webpki's
//! (one `verify_for_usage` call, revocation included); naming the cause is ours. An absent
//! certificate is the gateway's business (it knows the route's mode), not judged here.

use crate::x509::CertFacts;
use crate::{Code, Finding, Side};
use rustls_pki_types::{CertificateDer, SignatureVerificationAlgorithm, TrustAnchor, UnixTime};
use webpki::{
    CertRevocationList, EndEntityCert, ExpirationPolicy, RevocationCheckDepth,
    RevocationOptionsBuilder, UnknownStatusPolicy,
};

/// What one route trusts for client certificates.
pub struct ClientTrust<'a> {
    /// The CAs a client certificate must chain to.
    pub anchors: &'a [TrustAnchor<'a>],
    /// CRLs of those CAs (and of intermediates). A certificate whose issuer has no CRL here is
    /// not revocation-checked (unknown status is allowed): the gateway reports missing CRLs at load.
    pub crls: &'a [&'a CertRevocationList<'a>],
    /// Signature algorithms accepted in the chain (the TLS provider's list).
    pub algs: &'a [&'a dyn SignatureVerificationAlgorithm],
}

/// Judges a presented chain (leaf first, as sent) for TLS client authentication at `now`.
/// Returns an `ok` finding or one `client_cert.*` finding naming the certificate at fault.
pub fn judge(chain: &[CertificateDer<'_>], trust: &ClientTrust<'_>, now: UnixTime) -> Finding {
    let Some(leaf_der) = chain.first() else {
        return Finding::new(
            Code::ClientCertRequired,
            Side::Client,
            "the client sent an empty certificate list",
        );
    };
    let leaf = match EndEntityCert::try_from(leaf_der) {
        Ok(l) => l,
        Err(e) => {
            return Finding::new(
                Code::ClientCertRejected,
                Side::Client,
                format!("the client certificate cannot be parsed ({e:?})"),
            )
        }
    };
    let revocation = (!trust.crls.is_empty()).then(|| {
        RevocationOptionsBuilder::new(trust.crls)
            .expect("non-empty CRL list")
            // Like nginx's CRL_CHECK_ALL for every CA that has a CRL, but a CA without one does
            // not fail every client (rustls-webpki's default would: research/crates.md trap).
            .with_depth(RevocationCheckDepth::Chain)
            .with_status_policy(UnknownStatusPolicy::Allow)
            .with_expiration_policy(ExpirationPolicy::Enforce)
            .build()
    });
    let result = leaf.verify_for_usage(
        trust.algs,
        trust.anchors,
        &chain[1..],
        now,
        webpki::KeyUsage::client_auth(),
        revocation,
        None,
    );
    let facts = CertSummary::of(leaf_der);
    match result {
        Ok(_) => facts.finding(
            Code::Ok,
            format!(
                "the client certificate {} is valid and chains to a trusted CA",
                facts.subject
            ),
        ),
        Err(e) => classify(&e, chain, &facts, now),
    }
}

/// Turns a webpki error into the `client_cert.*` finding that names the cause.
fn classify(
    e: &webpki::Error,
    chain: &[CertificateDer<'_>],
    leaf: &CertSummary,
    now: UnixTime,
) -> Finding {
    use webpki::Error as E;
    let now_s = rfc3339(now.as_secs() as i64);
    match e {
        E::CertExpired { not_after, .. } => {
            let at = not_after.as_secs() as i64;
            let who = culprit(chain, |c| c.not_after == at).unwrap_or_else(|| leaf.clone());
            let days = (now.as_secs() as i64 - at) / 86_400;
            let whose = if who.subject == leaf.subject { "the client certificate" } else { "the CA certificate" };
            who.finding(
                Code::ClientCertExpired,
                format!(
                    "{whose} {} expired on {} ({days} days ago; now is {now_s})",
                    who.subject,
                    rfc3339(at)
                ),
            )
            .with("expired_days_ago", days)
        }
        E::CertNotValidYet { not_before, .. } => {
            let at = not_before.as_secs() as i64;
            let who = culprit(chain, |c| c.not_before == at).unwrap_or_else(|| leaf.clone());
            who.finding(
                Code::ClientCertNotYetValid,
                format!(
                    "the certificate {} is not valid before {} (now is {now_s}); check the issuer's and this machine's clock",
                    who.subject,
                    rfc3339(at)
                ),
            )
        }
        E::CertRevoked => leaf.finding(
            Code::ClientCertRevoked,
            format!(
                "the client certificate {} (serial {}) or a CA above it is listed in a CRL of {}",
                leaf.subject, leaf.serial, leaf.issuer
            ),
        ),
        E::RequiredEkuNotFoundContext(_) | E::EmptyEkuExtension => leaf
            .finding(
                Code::ClientCertWrongUsage,
                format!(
                    "the certificate {} does not allow TLS client authentication (extended key usage: {})",
                    leaf.subject,
                    if leaf.eku.is_empty() { "none".to_string() } else { leaf.eku.join(", ") }
                ),
            ),
        E::CrlExpired { next_update, .. } => leaf.finding(
            Code::ClientCertRejected,
            format!(
                "the gateway's CRL for {} was due for renewal at {}; revocation cannot be checked until the operator installs a fresh CRL",
                leaf.issuer,
                rfc3339(next_update.as_secs() as i64)
            ),
        ),
        E::UnknownIssuer
        | E::InvalidSignatureForPublicKey
        | E::CaUsedAsEndEntity
        | E::EndEntityUsedAsCa
        | E::PathLenConstraintViolated
        | E::MaximumPathDepthExceeded
        | E::NameConstraintViolation
        | E::CertDistrusted => {
            let why = if leaf.subject == leaf.issuer {
                format!("the client certificate {} is self-signed and not trusted here", leaf.subject)
            } else if chain.len() == 1 {
                format!(
                    "the client certificate {} was issued by {}, which is not a CA trusted here; if {} is an intermediate, the client must send it along with its certificate",
                    leaf.subject, leaf.issuer, leaf.issuer
                )
            } else {
                format!(
                    "the client certificate {} (issued by {}) does not chain to a CA trusted here ({e:?})",
                    leaf.subject, leaf.issuer
                )
            };
            leaf.finding(Code::ClientCertUntrusted, why)
        }
        other => leaf.finding(
            Code::ClientCertRejected,
            format!("the client certificate {} was rejected: {other:?}", leaf.subject),
        ),
    }
}

/// The certificate of `chain` matching `pred`, summarised.
fn culprit(
    chain: &[CertificateDer<'_>],
    pred: impl Fn(&CertSummary) -> bool,
) -> Option<CertSummary> {
    chain.iter().map(|c| CertSummary::of(c)).find(pred)
}

/// The few facts a finding names, from core's [`CertFacts`].
#[derive(Clone, Debug, Default)]
struct CertSummary {
    subject: String,
    issuer: String,
    serial: String,
    not_before: i64,
    not_after: i64,
    eku: Vec<String>,
}

impl CertSummary {
    fn of(der: &[u8]) -> Self {
        match CertFacts::from_der(der) {
            Ok(f) => CertSummary {
                subject: f.subject,
                issuer: f.issuer,
                serial: f.serial_hex,
                not_before: f.not_before.unix_timestamp(),
                not_after: f.not_after.unix_timestamp(),
                eku: f.eku.unwrap_or_default(),
            },
            Err(_) => CertSummary {
                subject: "(unparsable certificate)".into(),
                ..Default::default()
            },
        }
    }

    fn finding(&self, code: Code, detail: String) -> Finding {
        Finding::new(code, Side::Client, detail)
            .with("subject", self.subject.clone())
            .with("issuer", self.issuer.clone())
            .with("serial", self.serial.clone())
            .with("not_after", rfc3339(self.not_after))
    }
}

/// Unix seconds as RFC 3339 UTC (`2026-12-01T08:00:00Z`).
pub fn rfc3339(secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| secs.to_string())
}
