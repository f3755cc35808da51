//! Findings (facts about someone's TLS, each with a reason code and evidence), the ranking that
//! picks the verdict, and the one JSON report shape every renderer uses. Findings are not errors:
//! certgate failing to do its job is a separate error type in each I/O crate.

use crate::code::{Code, Ecosystem, Severity};
use serde::Serialize;
use serde_json::{Map, Value};

/// Whose side a problem is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The server (its certificate, its TLS configuration).
    Server,
    /// The client (its certificate, its trust store, its request).
    Client,
    /// Files on this machine (a key that does not match its certificate).
    Local,
    /// The path between them (DNS, TCP).
    Network,
}

/// One observed problem (or `ok`), with the evidence behind it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    /// The reason code.
    pub code: Code,
    /// Severity; defaults to the code's own, may be raised or lowered by the analysis.
    pub severity: Severity,
    /// Whose problem it is.
    pub side: Side,
    /// The specific sentence for this case: names, dates, serials. Title and fix come from the
    /// knowledge base, never from here.
    pub detail: String,
    /// Structured evidence (e.g. `not_after`, `days`, `sans`, `serial`), rendered as JSON.
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub evidence: Map<String, Value>,
}

impl Finding {
    /// A finding with the code's default severity and no structured evidence.
    pub fn new(code: Code, side: Side, detail: impl Into<String>) -> Self {
        Finding {
            code,
            severity: code.severity(),
            side,
            detail: detail.into(),
            evidence: Map::new(),
        }
    }

    /// Adds one piece of structured evidence.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.evidence.insert(key.to_string(), value.into());
        self
    }

    /// The JSON object of DESIGN.md §3: code, severity, side, title, detail, fix (+ evidence),
    /// with the fix for `eco` when given.
    pub fn to_json(&self, eco: Option<Ecosystem>) -> Value {
        let fix = match eco {
            Some(e) => self.code.fix_for(e),
            None => self.code.fix(),
        };
        let mut m = Map::new();
        m.insert("code".into(), self.code.as_str().into());
        m.insert(
            "severity".into(),
            serde_json::to_value(self.severity).unwrap_or_default(),
        );
        m.insert(
            "side".into(),
            serde_json::to_value(self.side).unwrap_or_default(),
        );
        m.insert("title".into(), self.code.title().into());
        m.insert("detail".into(), self.detail.clone().into());
        m.insert("fix".into(), fix.into());
        if !self.evidence.is_empty() {
            m.insert("evidence".into(), Value::Object(self.evidence.clone()));
        }
        Value::Object(m)
    }
}

/// Picks the finding to fix first. Errors beat warnings whatever their area: a warning (a weak
/// key, a chain sent out of order) does not stop the connection, so it never "applies first" in
/// the sense of DESIGN.md §2. Among findings of the same severity: local problems, then
/// transport → handshake → server certificate → client certificate → HTTP → upstream, then the
/// order in which the analysis reported them. Info findings never win.
pub fn rank(findings: &[Finding]) -> Option<&Finding> {
    findings
        .iter()
        .enumerate()
        .filter(|(_, f)| f.severity > Severity::Info && f.code != Code::Ok)
        .min_by_key(|(i, f)| (std::cmp::Reverse(f.severity), f.code.area(), *i))
        .map(|(_, f)| f)
}

/// The verdict code of a set of findings: the ranked winner, or `ok`.
pub fn verdict(findings: &[Finding]) -> Code {
    rank(findings).map(|f| f.code).unwrap_or(Code::Ok)
}

/// The one report shape: a target, a verdict and every finding.
#[derive(Clone, Debug)]
pub struct Report {
    /// What was examined (URL, file, connection), as JSON.
    pub target: Value,
    /// Every finding, in the order the analysis produced them.
    pub findings: Vec<Finding>,
}

impl Report {
    /// The verdict code.
    pub fn verdict(&self) -> Code {
        verdict(&self.findings)
    }

    /// `{"target", "verdict", "title", "fix", "findings": [...]}`; callers may add fields.
    pub fn to_json(&self, eco: Option<Ecosystem>) -> Map<String, Value> {
        let v = self.verdict();
        let mut m = Map::new();
        m.insert("target".into(), self.target.clone());
        m.insert("verdict".into(), v.as_str().into());
        m.insert("title".into(), v.title().into());
        m.insert(
            "fix".into(),
            match eco {
                Some(e) => v.fix_for(e),
                None => v.fix(),
            }
            .into(),
        );
        m.insert(
            "findings".into(),
            Value::Array(self.findings.iter().map(|f| f.to_json(eco)).collect()),
        );
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(code: Code) -> Finding {
        Finding::new(code, Side::Server, "x")
    }

    #[test]
    fn transport_beats_handshake_beats_server_cert_beats_client_cert_beats_http() {
        let all = [
            f(Code::HttpPlainToTls),
            f(Code::ClientCertRequired),
            f(Code::CertExpired),
            f(Code::HandshakeAlert),
            f(Code::TcpTimeout),
        ];
        assert_eq!(verdict(&all), Code::TcpTimeout);
        assert_eq!(verdict(&all[..4]), Code::HandshakeAlert);
        assert_eq!(verdict(&all[..3]), Code::CertExpired);
        assert_eq!(verdict(&all[..2]), Code::ClientCertRequired);
        assert_eq!(verdict(&all[..1]), Code::HttpPlainToTls);
    }

    #[test]
    fn errors_beat_warnings_within_an_area_and_info_never_wins() {
        let all = [f(Code::CertWeakKey), f(Code::CertExpired)];
        assert_eq!(verdict(&all), Code::CertExpired);
        let mut info = f(Code::CertChainOrder);
        info.severity = Severity::Info;
        assert_eq!(verdict(&[info]), Code::Ok);
        assert_eq!(verdict(&[]), Code::Ok);
    }

    #[test]
    fn a_server_cert_warning_never_outranks_a_client_cert_error() {
        // Regression: area used to be compared before severity, so a weak server key (warning)
        // became the verdict while the client certificate was being rejected.
        let all = [f(Code::CertWeakKey), f(Code::ClientCertRequired)];
        assert_eq!(verdict(&all), Code::ClientCertRequired);
        let all = [f(Code::CertChainOrder), f(Code::HttpPlainToTls)];
        assert_eq!(verdict(&all), Code::HttpPlainToTls);
        // With only warnings, area order still applies.
        let all = [f(Code::CertChainOrder), f(Code::CertWeakKey)];
        assert_eq!(verdict(&all), Code::CertChainOrder);
    }

    #[test]
    fn local_key_mismatch_comes_first() {
        let all = [f(Code::TcpTimeout), f(Code::ClientCertKeyMismatch)];
        assert_eq!(verdict(&all), Code::ClientCertKeyMismatch);
    }

    #[test]
    fn finding_json_takes_title_and_fix_from_the_knowledge_base() {
        let j = f(Code::ClientCertRequired)
            .with("route", "/api")
            .to_json(None);
        assert_eq!(j["code"], "client_cert.required");
        assert_eq!(j["title"], Code::ClientCertRequired.title());
        assert_eq!(j["fix"], Code::ClientCertRequired.fix());
        assert_eq!(j["evidence"]["route"], "/api");
    }
}
