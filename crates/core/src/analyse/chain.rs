//! Chain analysis: the chain a peer sent + trust anchors + optional CRLs + name + purpose + time
//! → findings with evidence. Path validation is rustls-webpki's; classification is ours: which
//! certificate is at fault, the dates, the names, the missing issuer, the revocation entry.
//! For `Purpose::Client` the same analysis yields `client_cert.*` codes (what a gateway reports).

use crate::code::{Code, Severity};
use crate::finding::{Finding, Side};
use crate::x509::{
    rfc3339, short_hex, validity_finding, weak_key_finding, weak_signature_finding, CertFacts,
};
use rustls_pki_types::{
    CertificateDer, CertificateRevocationListDer, ServerName, TrustAnchor, UnixTime,
};
use serde_json::Value;
use time::OffsetDateTime;
use webpki::{
    BorrowedCertRevocationList, CertRevocationList, EndEntityCert, ExpirationPolicy, KeyUsage,
    RevocationCheckDepth, RevocationOptionsBuilder, UnknownStatusPolicy,
};

/// What the end-entity certificate is used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// A TLS server certificate (EKU serverAuth); findings use `cert.*` codes.
    Server,
    /// A TLS client certificate (EKU clientAuth); findings use `client_cert.*` codes.
    Client,
}

/// Everything the chain analysis looks at.
#[derive(Clone, Copy, Debug)]
pub struct ChainInput<'a> {
    /// The chain as the peer sent it: leaf first.
    pub presented: &'a [CertificateDer<'a>],
    /// Trust anchors (root CAs, or any CA the client trusts directly).
    pub anchors: &'a [CertificateDer<'a>],
    /// Certificate revocation lists to check the chain against (may be empty).
    pub crls: &'a [CertificateRevocationListDer<'a>],
    /// The name the client asked for (DNS name or IP address); `None` skips the name check.
    pub name: Option<&'a str>,
    /// Server or client certificate.
    pub purpose: Purpose,
    /// The time to judge validity at.
    pub now: OffsetDateTime,
    /// Intermediates the client knows but the peer did not send (OpenSSL's `-untrusted`, an AIA
    /// download). Not trusted by themselves; when the path needs one of them the verdict is
    /// `cert.incomplete_chain`, naming it exactly. Usually empty.
    pub intermediates: &'a [CertificateDer<'a>],
}

impl<'a> ChainInput<'a> {
    /// An input with no CRLs, no name and no extra intermediates.
    pub fn new(
        presented: &'a [CertificateDer<'a>],
        anchors: &'a [CertificateDer<'a>],
        purpose: Purpose,
        now: OffsetDateTime,
    ) -> Self {
        ChainInput {
            presented,
            anchors,
            crls: &[],
            name: None,
            purpose,
            now,
            intermediates: &[],
        }
    }
}

/// Analyses a chain; an empty result means the chain is fine for `purpose` at `now`.
pub fn analyse(input: &ChainInput) -> Vec<Finding> {
    let mut cx = match Context::new(input) {
        Ok(cx) => cx,
        Err(f) => return vec![f],
    };
    cx.path_findings();
    cx.date_findings();
    cx.name_findings();
    cx.order_findings();
    cx.strength_findings();
    cx.finish()
}

/// The `client_cert.*` code that stands for a `cert.*` finding about a client certificate.
pub fn client_code(code: Code) -> Code {
    match code {
        Code::CertExpired => Code::ClientCertExpired,
        Code::CertNotYetValid => Code::ClientCertNotYetValid,
        Code::CertSelfSigned
        | Code::CertUntrustedRoot
        | Code::CertIncompleteChain
        | Code::CertHostnameMismatch => Code::ClientCertUntrusted,
        Code::CertRevoked => Code::ClientCertRevoked,
        Code::CertWrongUsage => Code::ClientCertWrongUsage,
        other => other,
    }
}

struct Context<'i> {
    input: &'i ChainInput<'i>,
    /// Facts of `presented`, same order.
    sent: Vec<CertFacts>,
    anchors: Vec<CertFacts>,
    pool: Vec<CertFacts>,
    /// Indexes into `sent` of the issuance path from the leaf: 0, issuer of 0, ...
    path: Vec<usize>,
    out: Vec<Finding>,
}

impl<'i> Context<'i> {
    fn new(input: &'i ChainInput<'i>) -> Result<Self, Finding> {
        let side = side(input.purpose);
        if input.presented.is_empty() {
            return Err(match input.purpose {
                Purpose::Client => Finding::new(
                    Code::ClientCertRequired,
                    side,
                    "the client sent no certificate",
                ),
                Purpose::Server => Finding::new(
                    Code::CertUntrustedRoot,
                    side,
                    "the server sent no certificate at all",
                ),
            });
        }
        let mut sent = vec![];
        for (i, der) in input.presented.iter().enumerate() {
            match CertFacts::from_der(der) {
                Ok(f) => sent.push(f),
                Err(e) => {
                    let what = if i == 0 {
                        "the leaf certificate".to_string()
                    } else {
                        format!("certificate #{} of the chain", i + 1)
                    };
                    let code = match input.purpose {
                        Purpose::Server => Code::CertUntrustedRoot,
                        Purpose::Client => Code::ClientCertUntrusted,
                    };
                    return Err(
                        Finding::new(code, side, format!("{what} cannot be parsed: {e}"))
                            .with("position", i),
                    );
                }
            }
        }
        let parse_all = |v: &[CertificateDer<'_>]| -> Vec<CertFacts> {
            v.iter()
                .filter_map(|d| CertFacts::from_der(d).ok())
                .collect()
        };
        let anchors = parse_all(input.anchors);
        let pool = parse_all(input.intermediates);
        let path = issuance_path(&sent);
        Ok(Context {
            input,
            sent,
            anchors,
            pool,
            path,
            out: vec![],
        })
    }

    fn push(&mut self, f: Finding) {
        self.out.push(f);
    }

    fn leaf(&self) -> &CertFacts {
        &self.sent[0]
    }

    /// The top of the issuance path (the last certificate the peer sent that links up).
    fn top(&self) -> &CertFacts {
        &self.sent[*self.path.last().unwrap_or(&0)]
    }

    /// Moments to run path validation at: `now` first when every certificate of the sent path
    /// is valid then, otherwise moments inside the validity windows, so that path validation
    /// answers about trust, not dates (which `date_findings` reports on its own).
    fn validation_times(&self) -> Vec<OffsetDateTime> {
        let now = self.input.now;
        let certs: Vec<&CertFacts> = self.path.iter().map(|&i| &self.sent[i]).collect();
        let mut times = vec![];
        if certs.iter().all(|c| c.valid_at(now)) {
            times.push(now);
        }
        let lo = certs.iter().map(|c| c.not_before).max().unwrap_or(now);
        let hi = certs.iter().map(|c| c.not_after).min().unwrap_or(now);
        if lo <= hi {
            times.push(lo + (hi - lo) / 2);
        }
        // No common window: at least judge the leaf inside its own.
        let leaf = self.leaf();
        times.push(leaf.not_before + (leaf.not_after - leaf.not_before) / 2);
        times.push(now);
        times
    }

    fn path_findings(&mut self) {
        let input = self.input;
        let anchors: Vec<TrustAnchor<'_>> = input
            .anchors
            .iter()
            .filter_map(|d| webpki::anchor_from_trusted_cert(d).ok())
            .collect();
        let leaf = match EndEntityCert::try_from(&input.presented[0]) {
            Ok(l) => l,
            Err(e) => {
                let f = self.untrusted(format!(
                    "the certificate {} is not acceptable to path validation: {e}",
                    self.leaf().subject
                ));
                self.push(f);
                return;
            }
        };
        let crls: Vec<CertRevocationList<'_>> = input
            .crls
            .iter()
            .filter_map(|c| BorrowedCertRevocationList::from_der(c).ok())
            .map(CertRevocationList::from)
            .collect();
        let crl_refs: Vec<&CertRevocationList<'_>> = crls.iter().collect();
        let usage = match input.purpose {
            Purpose::Server => KeyUsage::server_auth(),
            Purpose::Client => KeyUsage::client_auth(),
        };
        let verify_at = |at: OffsetDateTime, intermediates: &[CertificateDer<'_>]| {
            let time = UnixTime::since_unix_epoch(std::time::Duration::from_secs(
                at.unix_timestamp().max(0) as u64,
            ));
            // A CRL usually covers one CA only: check every certificate that has one, and treat
            // the rest as unknown-but-fine (webpki's default would reject them all).
            let revocation = RevocationOptionsBuilder::new(&crl_refs).ok().map(|b| {
                b.with_depth(RevocationCheckDepth::Chain)
                    .with_status_policy(UnknownStatusPolicy::Allow)
                    .with_expiration_policy(ExpirationPolicy::Ignore)
                    .build()
            });
            leaf.verify_for_usage(
                webpki::ALL_VERIFICATION_ALGS,
                &anchors,
                intermediates,
                time,
                usage,
                revocation,
                None,
            )
            .map(|_| ())
        };
        let is_date = |e: &webpki::Error| {
            matches!(
                e,
                webpki::Error::CertExpired { .. } | webpki::Error::CertNotValidYet { .. }
            )
        };
        // The first moment whose answer is not about dates (or the last answer).
        let times = self.validation_times();
        let verify = |intermediates: &[CertificateDer<'_>]| {
            let mut last = Ok(());
            for &t in &times {
                last = verify_at(t, intermediates);
                match &last {
                    Err(e) if is_date(e) => continue,
                    _ => break,
                }
            }
            last
        };
        let sent_rest = &input.presented[1..];
        let err = match verify(sent_rest) {
            Ok(()) => return,
            Err(e) => e,
        };
        use webpki::Error as E;
        match err {
            E::UnknownIssuer => {
                // Would the path work with an intermediate the client knows but the peer did
                // not send? Then the chain is incomplete, and we can name the missing one.
                if !self.pool.is_empty() {
                    let mut with_pool: Vec<CertificateDer<'_>> = sent_rest.to_vec();
                    with_pool.extend(input.intermediates.iter().cloned());
                    if verify(&with_pool).is_ok() {
                        let f = self.incomplete(true);
                        self.push(f);
                        return;
                    }
                }
                let f = self.unknown_issuer();
                self.push(f);
            }
            E::CertExpired { .. } | E::CertNotValidYet { .. } => {
                // Dates of the sent certificates are reported by `date_findings`; only when
                // none of them is out of its window is this news.
                let now = input.now;
                if self.path.iter().all(|&i| self.sent[i].valid_at(now)) {
                    let f = self.untrusted(format!(
                        "no moment exists at which every certificate of the chain is valid ({err})"
                    ));
                    self.push(f);
                }
            }
            E::CertRevoked => {
                let f = self.revoked();
                self.push(f);
            }
            E::RequiredEkuNotFoundContext(_) | E::EmptyEkuExtension => {
                let f = self.wrong_eku();
                self.push(f);
            }
            E::CaUsedAsEndEntity => {
                let leaf = self.leaf();
                let f = Finding::new(
                    self.code(Code::CertWrongUsage),
                    side(input.purpose),
                    format!(
                        "{} is a CA certificate (basicConstraints cA=TRUE) and cannot be used as a {} certificate",
                        leaf.subject,
                        purpose_word(input.purpose)
                    ),
                )
                .with("subject", leaf.subject.clone())
                .with("cause", "ca_used_as_end_entity");
                self.push(f);
            }
            E::InvalidSignatureForPublicKey
            | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_)
            | E::UnsupportedSignatureAlgorithmContext(_)
            | E::SignatureAlgorithmMismatch => {
                let f = self.bad_signature(&err);
                self.push(f);
            }
            E::EndEntityUsedAsCa => {
                let f = self.untrusted(format!(
                    "{} is signed by a certificate that is not a CA (basicConstraints cA is not set)",
                    self.leaf().subject
                ));
                self.push(f);
            }
            other => {
                let f = self.untrusted(format!(
                    "path validation failed for {}: {other}",
                    self.leaf().subject
                ));
                self.push(f);
            }
        }
    }

    fn code(&self, c: Code) -> Code {
        match self.input.purpose {
            Purpose::Server => c,
            Purpose::Client => client_code(c),
        }
    }

    /// A finding of code `c` (mapped for client certificates) keeping `c` as the cause.
    fn finding(&self, c: Code, detail: String) -> Finding {
        let mut f = Finding::new(self.code(c), side(self.input.purpose), detail);
        if self.input.purpose == Purpose::Client && f.code != c {
            f = f.with("cause", c.as_str());
        }
        f
    }

    fn untrusted(&self, detail: String) -> Finding {
        self.finding(Code::CertUntrustedRoot, detail)
    }

    fn unknown_issuer(&self) -> Finding {
        let top = self.top().clone();
        let leaf = self.leaf().clone();
        if top.self_signed {
            if self.path.len() == 1 {
                return self
                    .finding(
                        Code::CertSelfSigned,
                        format!(
                            "{} is self-signed and is not in the trust store",
                            leaf.subject
                        ),
                    )
                    .with("subject", leaf.subject.clone())
                    .with("sha256", leaf.sha256_hex.clone());
            }
            return self
                .finding(
                    Code::CertUntrustedRoot,
                    format!(
                        "the chain ends at the root {}, which is not in the trust store",
                        top.label()
                    ),
                )
                .with("untrusted_issuer", top.subject.clone())
                .with("issuer_key_id", opt(&top.ski_hex))
                .with("issuer_sha256", top.sha256_hex.clone());
        }
        // The issuer of `top` was not sent and is not an anchor.
        if let Some(f) = self.same_name_anchor() {
            return f;
        }
        if !top.ca_issuers.is_empty() {
            // The certificate says where its issuer can be downloaded: an intermediate that
            // the peer should have sent (public roots are never fetched this way).
            return self.incomplete(false);
        }
        let sent_only_leaf = self.path.len() == 1;
        let detail = if sent_only_leaf {
            format!(
                "{} is issued by {} (key id {}), which the peer did not send and which is not in the trust store; if it is an intermediate CA, the peer must send it, if it is a root, the client must trust it",
                top.subject,
                top.issuer,
                key_id_text(&top.aki_hex),
            )
        } else {
            format!(
                "the chain ends at {}, whose issuer {} (key id {}) is not in the trust store",
                top.subject,
                top.issuer,
                key_id_text(&top.aki_hex),
            )
        };
        self.finding(Code::CertUntrustedRoot, detail)
            .with("untrusted_issuer", top.issuer.clone())
            .with("issuer_key_id", opt(&top.aki_hex))
            .with("sent", self.sent.len())
    }

    /// The top of the sent path names a trusted CA as its issuer, but was signed by another
    /// key: a different CA that happens to have the same name (a re-created dev CA, typically).
    fn same_name_anchor(&self) -> Option<Finding> {
        let top = self.top();
        if top.self_signed {
            return None;
        }
        let a = self
            .anchors
            .iter()
            .find(|a| a.subject_der == top.issuer_der)?;
        Some(
            self.finding(
                    Code::CertUntrustedRoot,
                    format!(
                        "{} names {} as its issuer (key id {}), but the trusted CA of that name has a different key (key id {}): it was issued by another CA with the same name",
                        top.subject,
                        top.issuer,
                        key_id_text(&top.aki_hex),
                        key_id_text(&a.ski_hex),
                    ),
                )
                .with("untrusted_issuer", top.issuer.clone())
                .with("issuer_key_id", opt(&top.aki_hex))
                .with("trusted_key_id", opt(&a.ski_hex)),
        )
    }

    /// `cert.incomplete_chain` naming the issuer of the top of the sent path.
    fn incomplete(&self, known: bool) -> Finding {
        let top = self.top();
        let missing = self.pool.iter().find(|p| p.could_issue(top));
        let (subject, key_id) = match missing {
            Some(m) => (m.subject.clone(), m.ski_hex.clone()),
            None => (top.issuer.clone(), top.aki_hex.clone()),
        };
        let mut detail = format!(
            "the peer sent {} certificate{} but not the intermediate {} (key id {}) that issued {}",
            self.sent.len(),
            if self.sent.len() == 1 { "" } else { "s" },
            subject,
            key_id_text(&key_id),
            top.subject
        );
        if !known {
            if let Some(url) = top.ca_issuers.first() {
                detail.push_str(&format!(" (it can be downloaded from {url})"));
            }
        }
        let mut f = self
            .finding(Code::CertIncompleteChain, detail)
            .with("missing_subject", subject)
            .with("missing_key_id", opt(&key_id))
            .with("issued", top.subject.clone());
        if !top.ca_issuers.is_empty() {
            f = f.with("ca_issuers", top.ca_issuers.clone());
        }
        f
    }

    fn revoked(&self) -> Finding {
        // Find the entry: the certificate on the path whose serial is listed by a CRL of its
        // issuer. webpki already decided it is revoked; this only gathers the evidence.
        for &i in &self.path {
            let c = &self.sent[i];
            for der in self.input.crls {
                let Ok((_, crl)) = x509_parser::parse_x509_crl(der) else {
                    continue;
                };
                if crl.issuer().as_raw() != c.issuer_der.as_slice() {
                    continue;
                }
                let serial = hex::decode(&c.serial_hex).unwrap_or_default();
                let hit = crl
                    .iter_revoked_certificates()
                    .find(|r| strip0(r.raw_serial()) == strip0(&serial))
                    .map(|r| {
                        (
                            r.revocation_date.to_datetime(),
                            r.reason_code().map(|(_, rc)| reason_name(rc.0)),
                        )
                    });
                if let Some((at, reason)) = hit {
                    let role = if i == 0 {
                        "certificate"
                    } else {
                        "intermediate"
                    };
                    let mut detail = format!(
                        "the {role} {} (serial {}) was revoked on {} by {}",
                        c.subject,
                        c.serial_hex,
                        rfc3339(at),
                        c.issuer
                    );
                    if let Some(r) = reason {
                        detail.push_str(&format!(" (reason: {r})"));
                    }
                    let mut f = self
                        .finding(Code::CertRevoked, detail)
                        .with("subject", c.subject.clone())
                        .with("serial", c.serial_hex.clone())
                        .with("revoked_at", rfc3339(at));
                    if let Some(r) = reason {
                        f = f.with("reason", r);
                    }
                    return f;
                }
            }
        }
        self.finding(
            Code::CertRevoked,
            format!("{} is revoked", self.leaf().subject),
        )
        .with("subject", self.leaf().subject.clone())
        .with("serial", self.leaf().serial_hex.clone())
    }

    fn wrong_eku(&self) -> Finding {
        let leaf = self.leaf();
        let needed = match self.input.purpose {
            Purpose::Server => "serverAuth",
            Purpose::Client => "clientAuth",
        };
        let has = leaf.eku.clone().unwrap_or_default();
        self.finding(
            Code::CertWrongUsage,
            format!(
                "{} may be used for {} only; a TLS {} certificate needs extended key usage {needed}",
                leaf.subject,
                if has.is_empty() {
                    "nothing (empty extended key usage)".to_string()
                } else {
                    has.join(", ")
                },
                purpose_word(self.input.purpose),
            ),
        )
        .with("subject", leaf.subject.clone())
        .with("eku", has)
        .with("required", needed)
    }

    fn bad_signature(&self, err: &webpki::Error) -> Finding {
        // A broken hash (SHA-1, MD5) on a certificate of the path is what webpki refuses most
        // often; then a weak issuer key (RSA < 2048 cannot verify under webpki's algorithms).
        for &i in &self.path {
            let c = &self.sent[i];
            if let (Some(h), false) = (c.weak_signature_hash(), c.self_signed) {
                let mut f = self
                    .finding(
                        Code::CertWeakSignature,
                        format!(
                            "{} is signed with {} ({h} is broken and clients refuse it)",
                            c.subject, c.signature_alg
                        ),
                    )
                    .with("subject", c.subject.clone())
                    .with("signature_alg", c.signature_alg.clone());
                f.severity = Severity::Error;
                return f;
            }
        }
        let issuers = self
            .path
            .iter()
            .skip(1)
            .map(|&i| &self.sent[i])
            .chain(self.anchors.iter().filter(|a| a.could_issue(self.top())));
        for c in issuers {
            if let Some(why) = c.key.weakness() {
                let mut f = self
                    .finding(
                        Code::CertWeakKey,
                        format!(
                            "the issuer {} has a weak key ({why}), so its signatures are refused",
                            c.subject
                        ),
                    )
                    .with("subject", c.subject.clone())
                    .with("key", c.key.alg.as_str())
                    .with("bits", c.key.bits);
                f.severity = Severity::Error;
                return f;
            }
        }
        if let Some(f) = self.same_name_anchor() {
            return f;
        }
        self.untrusted(format!(
            "a signature in the chain of {} does not verify ({err}); the certificate was altered or issued by a different CA with the same name",
            self.leaf().subject
        ))
    }

    fn date_findings(&mut self) {
        let now = self.input.now;
        let expired = self.code(Code::CertExpired);
        let not_yet = self.code(Code::CertNotYetValid);
        let mut found = vec![];
        for (n, &i) in self.path.iter().enumerate() {
            let c = &self.sent[i];
            let role = if n == 0 {
                "certificate"
            } else if c.self_signed {
                "root"
            } else {
                "intermediate"
            };
            if let Some(mut f) = validity_finding(c, now, expired, not_yet, role) {
                f.side = side(self.input.purpose);
                found.push(f);
            }
        }
        // An expired trust anchor (webpki ignores anchor dates; OpenSSL and most clients do not).
        if self.path_ok_so_far() {
            for a in self.anchors.iter().filter(|a| a.could_issue(self.top())) {
                if let Some(mut f) = validity_finding(a, now, expired, not_yet, "trusted root") {
                    f.side = side(self.input.purpose);
                    found.push(f);
                }
            }
        }
        self.out.extend(found);
    }

    fn path_ok_so_far(&self) -> bool {
        !self.out.iter().any(|f| f.severity == Severity::Error)
    }

    fn name_findings(&mut self) {
        let (Some(name), Purpose::Server) = (self.input.name, self.input.purpose) else {
            return;
        };
        let leaf = self.leaf().clone();
        let ok = match (
            ServerName::try_from(name),
            EndEntityCert::try_from(&self.input.presented[0]),
        ) {
            (Ok(sn), Ok(ee)) => ee.verify_is_valid_for_subject_name(&sn).is_ok(),
            _ => false,
        };
        if ok {
            return;
        }
        let sans = leaf.sans();
        let detail = if leaf.sans_dns.is_empty() && leaf.sans_ip.is_empty() {
            match &leaf.common_name {
                Some(cn) if cn.eq_ignore_ascii_case(name) => format!(
                    "{} names {name} only in its Common Name and has no subjectAltName; clients match names against subjectAltName only",
                    leaf.subject
                ),
                _ => format!(
                    "{} has no DNS or IP subjectAltName, so it matches no name, not {name}",
                    leaf.subject
                ),
            }
        } else {
            format!(
                "{} is valid for {}, not for {name}",
                leaf.subject,
                leaf.sans_dns
                    .iter()
                    .chain(leaf.sans_ip.iter())
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let mut f = Finding::new(Code::CertHostnameMismatch, Side::Server, detail)
            .with("name", name)
            .with("sans", sans);
        if let Some(cn) = &leaf.common_name {
            f = f.with("common_name", cn.clone());
        }
        self.push(f);
    }

    fn order_findings(&mut self) {
        let n = self.sent.len();
        let mut notes = vec![];
        for i in 1..n {
            if !self.path.contains(&i) {
                let dup = (0..i).any(|j| self.sent[j].sha256_hex == self.sent[i].sha256_hex);
                notes.push(if dup {
                    format!("{} is sent twice", self.sent[i].subject)
                } else {
                    format!(
                        "{} is not part of the chain of {}",
                        self.sent[i].subject,
                        self.leaf().subject
                    )
                });
            }
        }
        let in_order = self.path.iter().enumerate().all(|(k, &i)| k == i);
        if !in_order {
            notes.push(format!(
                "the certificates are sent in the order {}; each one should be followed by its issuer",
                self.sent
                    .iter()
                    .map(|c| c.subject.clone())
                    .collect::<Vec<_>>()
                    .join(" → ")
            ));
        }
        if notes.is_empty() {
            return;
        }
        let sent: Vec<Value> = self.sent.iter().map(|c| c.subject.clone().into()).collect();
        let f = Finding::new(
            Code::CertChainOrder,
            side(self.input.purpose),
            notes.join("; "),
        )
        .with("sent", sent);
        self.push(f);
    }

    fn strength_findings(&mut self) {
        let mut found = vec![];
        for (n, &i) in self.path.iter().enumerate() {
            let c = &self.sent[i];
            let role = if n == 0 { "certificate" } else { "CA" };
            let candidates = [weak_key_finding(c, role), weak_signature_finding(c)];
            for mut f in candidates.into_iter().flatten() {
                // Already reported as the reason the path failed: once is enough.
                if !self.has_about(f.code, &c.subject) {
                    f.side = side(self.input.purpose);
                    found.push(f);
                }
            }
        }
        self.out.extend(found);
    }

    fn has_about(&self, code: Code, subject: &str) -> bool {
        self.out.iter().any(|f| {
            f.code == code && f.evidence.get("subject").and_then(Value::as_str) == Some(subject)
        })
    }

    fn finish(self) -> Vec<Finding> {
        self.out
    }
}

fn side(p: Purpose) -> Side {
    match p {
        Purpose::Server => Side::Server,
        Purpose::Client => Side::Client,
    }
}

fn purpose_word(p: Purpose) -> &'static str {
    match p {
        Purpose::Server => "server",
        Purpose::Client => "client",
    }
}

/// A key id for messages: shortened hex, or "not given".
fn key_id_text(k: &Option<String>) -> String {
    k.as_deref()
        .map(short_hex)
        .unwrap_or_else(|| "not given".into())
}

fn opt(v: &Option<String>) -> Value {
    v.clone().map(Value::from).unwrap_or(Value::Null)
}

fn strip0(b: &[u8]) -> &[u8] {
    let i = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    &b[i..]
}

/// CRLReason names (RFC 5280 §5.3.1).
fn reason_name(code: u8) -> &'static str {
    match code {
        0 => "unspecified",
        1 => "keyCompromise",
        2 => "cACompromise",
        3 => "affiliationChanged",
        4 => "superseded",
        5 => "cessationOfOperation",
        6 => "certificateHold",
        8 => "removeFromCRL",
        9 => "privilegeWithdrawn",
        10 => "aACompromise",
        _ => "unknown",
    }
}

/// Indexes of the issuance path through the sent certificates: the leaf, its issuer among the
/// sent ones, that one's issuer, ... until a self-signed certificate or a missing issuer.
fn issuance_path(sent: &[CertFacts]) -> Vec<usize> {
    let mut path = vec![0];
    loop {
        let cur = &sent[*path.last().unwrap_or(&0)];
        if cur.self_signed {
            break;
        }
        match (0..sent.len()).find(|&j| !path.contains(&j) && sent[j].could_issue(cur)) {
            Some(j) => path.push(j),
            None => break,
        }
    }
    path
}
