//! Client-certificate judgement for the gateway: a presented chain against the route's trusted CAs
//! and CRLs at `now` → one `client_cert.*` verdict with evidence. Path validation is rustls-webpki's
//! (one `verify_for_usage` call, revocation included); naming the cause is ours. An absent
//! certificate is the gateway's business (it knows the route's mode), not judged here.

use crate::{Code, Finding, Side};
use rustls_pki_types::{CertificateDer, SignatureVerificationAlgorithm, TrustAnchor, UnixTime};
use webpki::{
    CertRevocationList, EndEntityCert, ExpirationPolicy, RevocationCheckDepth,
    RevocationOptionsBuilder, UnknownStatusPolicy,
};
use x509_parser::prelude::{FromDer, X509Certificate, X509Name};

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

/// The few facts a finding names: subject, issuer, serial, validity, EKU.
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
        let Ok((_, c)) = X509Certificate::from_der(der) else {
            return CertSummary {
                subject: "(unparsable certificate)".into(),
                ..Default::default()
            };
        };
        let eku = match c.extended_key_usage() {
            Ok(Some(e)) => {
                let e = e.value;
                let mut v = Vec::new();
                if e.server_auth {
                    v.push("serverAuth".to_string())
                }
                if e.client_auth {
                    v.push("clientAuth".to_string())
                }
                if e.code_signing {
                    v.push("codeSigning".to_string())
                }
                if e.email_protection {
                    v.push("emailProtection".to_string())
                }
                if e.any {
                    v.push("anyExtendedKeyUsage".to_string())
                }
                v.extend(e.other.iter().map(|o| o.to_id_string()));
                v
            }
            _ => vec![],
        };
        CertSummary {
            subject: rfc2253(c.subject()),
            issuer: rfc2253(c.issuer()),
            serial: c.raw_serial().iter().map(|b| format!("{b:02X}")).collect(),
            not_before: c.validity().not_before.timestamp(),
            not_after: c.validity().not_after.timestamp(),
            eku,
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

/// A distinguished name in RFC 2253 order and syntax (`CN=alice,O=Example`), like nginx's
/// `$ssl_client_s_dn`: the most specific attribute first, commas without spaces.
pub fn rfc2253(name: &X509Name<'_>) -> String {
    let mut parts: Vec<String> = Vec::new();
    for rdn in name.iter_rdn() {
        let atvs: Vec<String> = rdn
            .iter()
            .map(|atv| {
                let key = x509_parser::objects::oid2abbrev(
                    atv.attr_type(),
                    x509_parser::objects::oid_registry(),
                )
                .map(str::to_string)
                .unwrap_or_else(|_| atv.attr_type().to_id_string());
                let val = atv.as_str().map(str::to_string).unwrap_or_else(|_| {
                    format!(
                        "#{}",
                        atv.attr_value()
                            .data
                            .iter()
                            .map(|b| format!("{b:02x}"))
                            .collect::<String>()
                    )
                });
                format!("{key}={}", escape_dn_value(&val))
            })
            .collect();
        parts.push(atvs.join("+"));
    }
    parts.reverse();
    parts.join(",")
}

fn escape_dn_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for (i, ch) in v.chars().enumerate() {
        let special = matches!(ch, ',' | '+' | '"' | '\\' | '<' | '>' | ';')
            || (i == 0 && (ch == '#' || ch == ' '))
            || (i == v.chars().count() - 1 && ch == ' ');
        if special {
            out.push('\\');
        }
        out.push(ch);
    }
    out
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
