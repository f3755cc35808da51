//! Per-connection results and their two renderings: text (a summary line plus a timeline) and the
//! JSON of DESIGN.md §3. Wording of codes, titles and fixes comes from core's knowledge base.

use crate::tcp::Connection;
use crate::tls::{group_name, suite_name};
use certgate_core::analyse::handshake::{
    analyse, Event, HandshakeAnalysis, HandshakeTrace, Message, Outcome,
};
use certgate_core::finding::{verdict, Report};
use certgate_core::Code;
use serde_json::{json, Map, Value};
use std::net::SocketAddr;

/// One connection: its endpoints, what was seen and the analysis.
#[derive(Debug, Clone)]
pub struct ConnectionReport {
    /// 1-based connection number.
    pub id: usize,
    /// Client endpoint.
    pub client: SocketAddr,
    /// Server endpoint.
    pub server: SocketAddr,
    /// Everything seen, in order.
    pub events: Vec<Event>,
    /// The analysis.
    pub analysis: HandshakeAnalysis,
    /// Records not listed in the timeline (bulk data).
    pub skipped_records: u64,
}

impl ConnectionReport {
    /// Analyses one reassembled connection.
    pub fn of(c: &Connection) -> ConnectionReport {
        Self::new(c.id, c.client, c.server, c.trace(), c.skipped_records())
    }

    /// Analyses a trace recorded elsewhere (the relay).
    pub fn new(
        id: usize,
        client: SocketAddr,
        server: SocketAddr,
        trace: HandshakeTrace,
        skipped_records: u64,
    ) -> ConnectionReport {
        ConnectionReport {
            id,
            client,
            server,
            analysis: analyse(&trace),
            events: trace.events,
            skipped_records,
        }
    }

    /// The verdict code.
    pub fn verdict(&self) -> Code {
        verdict(&self.analysis.findings)
    }

    /// Whether this connection is worth reporting (TLS, or plain text sent to a TLS port).
    pub fn is_tls_related(&self) -> bool {
        self.analysis.outcome != Outcome::NotTls && !self.events.is_empty()
    }

    fn sni(&self) -> Option<&str> {
        self.events.iter().find_map(|e| match &e.message {
            Message::ClientHello(h) => h.server_name.as_deref(),
            _ => None,
        })
    }

    /// One line: number, endpoints, version, SNI, verdict and the deciding detail.
    pub fn summary_line(&self) -> String {
        let v = self.verdict();
        let version = self
            .analysis
            .version
            .map(|v| format!(" {v}"))
            .unwrap_or_default();
        let sni = self.sni().map(|s| format!(" sni={s}")).unwrap_or_default();
        let outcome = match self.analysis.outcome {
            Outcome::Completed => "handshake completed",
            Outcome::Failed => "handshake failed",
            Outcome::Incomplete => "handshake incomplete",
            Outcome::NotTls => "not TLS",
        };
        let mut line = format!(
            "#{} {} -> {}{version}{sni}: {outcome}: {}",
            self.id,
            self.client,
            self.server,
            v.as_str()
        );
        if let Some(f) = certgate_core::finding::rank(&self.analysis.findings) {
            line.push_str(&format!(" — {}", f.detail));
        }
        line
    }

    /// The full text block: summary, timeline, notes, finding and fix.
    pub fn to_text(&self) -> String {
        let mut s = self.summary_line();
        s.push('\n');
        for e in &self.events {
            let arrow = match e.from {
                certgate_core::analyse::handshake::Peer::Client => "client ->",
                certgate_core::analyse::handshake::Peer::Server => "<- server",
            };
            s.push_str(&format!(
                "    {:>8.3}s {arrow} {}\n",
                e.at,
                describe(&e.message)
            ));
        }
        if self.skipped_records > 0 {
            s.push_str(&format!(
                "    ... {} more encrypted records not listed\n",
                self.skipped_records
            ));
        }
        for n in &self.analysis.notes {
            s.push_str(&format!("    note: {n}\n"));
        }
        let v = self.verdict();
        if v != Code::Ok {
            s.push_str(&format!(
                "    {}: {}\n    fix: {}\n",
                v.as_str(),
                v.title(),
                v.fix()
            ));
        }
        s
    }

    /// The JSON of one connection: the report shape plus endpoints, version, outcome, timeline.
    pub fn to_json(&self) -> Value {
        let report = Report {
            target: json!({"client": self.client.to_string(), "server": self.server.to_string()}),
            findings: self.analysis.findings.clone(),
        };
        let mut m: Map<String, Value> = report.to_json(None);
        m.insert("id".into(), self.id.into());
        m.insert(
            "version".into(),
            self.analysis
                .version
                .map(|v| Value::from(v.to_string()))
                .unwrap_or(Value::Null),
        );
        m.insert(
            "sni".into(),
            self.sni().map(Value::from).unwrap_or(Value::Null),
        );
        m.insert(
            "outcome".into(),
            serde_json::to_value(self.analysis.outcome).unwrap_or_default(),
        );
        m.insert(
            "aborted_by".into(),
            serde_json::to_value(self.analysis.aborted_by).unwrap_or_default(),
        );
        m.insert("notes".into(), json!(self.analysis.notes));
        let timeline: Vec<Value> = self
            .events
            .iter()
            .map(|e| {
                json!({
                    "at": (e.at * 1e6).round() / 1e6,
                    "from": e.from.as_str(),
                    "message": e.message.label(),
                    "detail": describe(&e.message),
                    "fields": serde_json::to_value(&e.message).unwrap_or_default(),
                })
            })
            .collect();
        m.insert("timeline".into(), Value::Array(timeline));
        if self.skipped_records > 0 {
            m.insert("records_not_listed".into(), self.skipped_records.into());
        }
        Value::Object(m)
    }
}

/// One message as a line of the timeline.
pub fn describe(m: &Message) -> String {
    match m {
        Message::ClientHello(h) => {
            let versions: Vec<String> = h
                .offered_versions()
                .iter()
                .filter(|v| v.name().is_some())
                .map(|v| v.to_string())
                .collect();
            let mut s = format!(
                "ClientHello versions={} suites={}",
                versions.join(","),
                h.cipher_suites.len()
            );
            if let Some(n) = &h.server_name {
                s.push_str(&format!(" sni={n}"));
            }
            if !h.alpn.is_empty() {
                s.push_str(&format!(" alpn={}", h.alpn.join(",")));
            }
            if !h.key_share_groups.is_empty() {
                let g: Vec<String> = h.key_share_groups.iter().map(|&g| group_name(g)).collect();
                s.push_str(&format!(" key_shares={}", g.join(",")));
            }
            s
        }
        Message::ServerHello(h) => {
            let mut s = format!(
                "{} version={} suite={}",
                m.label(),
                h.version(),
                suite_name(h.cipher_suite)
            );
            if let Some(a) = &h.alpn {
                s.push_str(&format!(" alpn={a}"));
            }
            s
        }
        Message::Certificate { subjects, .. } if subjects.is_empty() => {
            "Certificate (empty: no certificate sent)".into()
        }
        Message::Certificate { subjects, .. } => {
            format!("Certificate ({}): {}", subjects.len(), subjects.join(" | "))
        }
        Message::CertificateRequest { ca_names } if ca_names.is_empty() => {
            "CertificateRequest (no CA names)".into()
        }
        Message::CertificateRequest { ca_names } => {
            format!("CertificateRequest accepted CAs: {}", ca_names.join(" | "))
        }
        Message::Alert { level, alert } => format!(
            "alert {alert} ({})",
            if *level == 2 { "fatal" } else { "warning" }
        ),
        Message::NotTls { preview, .. } => format!("not TLS: \"{preview}\""),
        Message::Malformed { reason } => format!("malformed TLS: {reason}"),
        Message::Gap => {
            "bytes missing from the capture; the rest of this direction is not read".into()
        }
        other => other.label(),
    }
}
