//! Explain: client error messages and server log lines → reason codes. Pure text in, matches
//! out; reading files and stdin belongs to the binary. Fixed patterns live in `patterns.rs`
//! (grouped by code), TLS alerts in every client's wording in `alerts.rs`.
//!
//! Each line is matched on its own (a log gives one match per recognised line); the ecosystem a
//! message came from is read from the line, else from the rest of the text (a Python traceback
//! names `requests` on another line), else from the pattern's own wording.

mod alerts;
mod patterns;

use crate::code::{Code, Ecosystem};
use regex::{Regex, RegexSet};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// One recognised line.
#[derive(Clone, Debug, PartialEq)]
pub struct Match {
    /// 1-based line number in the input.
    pub line: usize,
    /// The reason code the line stands for.
    pub code: Code,
    /// The client (or server) whose wording this is, when it can be told.
    pub ecosystem: Option<Ecosystem>,
    /// The part of the line that decided the code.
    pub evidence: String,
    /// A sentence specific to this match (which alert, who sent it, what is ambiguous).
    pub note: Option<String>,
    /// How specific the deciding pattern is; the strongest match of a text is its verdict.
    pub weight: u8,
    /// The log timestamp of the line, as written (`2026/12/01 08:00:01`, RFC 3339).
    pub timestamp: Option<String>,
    /// The client address a server log line names.
    pub client: Option<String>,
    /// The client certificate identity (subject) a certgate log line names.
    pub identity: Option<String>,
}

/// Everything recognised in a text.
#[derive(Clone, Debug, Default)]
pub struct Explanation {
    /// One match per recognised line, in line order.
    pub matches: Vec<Match>,
    /// Lines read.
    pub lines: usize,
}

impl Explanation {
    /// The match that names the verdict: of the code seen on most lines (a log's main problem;
    /// a traceback repeats its cause), the most specific match, the first among equals.
    pub fn best(&self) -> Option<&Match> {
        let mut counts: BTreeMap<Code, usize> = BTreeMap::new();
        for m in &self.matches {
            *counts.entry(m.code).or_default() += 1;
        }
        self.matches
            .iter()
            .enumerate()
            .max_by_key(|(i, m)| (counts[&m.code], m.weight, std::cmp::Reverse(*i)))
            .map(|(_, m)| m)
    }

    /// The verdict code, or `None` when nothing was recognised.
    pub fn code(&self) -> Option<Code> {
        self.best().map(|m| m.code)
    }

    /// Counts per code with first and last seen, per hour, top clients and identities.
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for m in &self.matches {
            let e = s.codes.entry(m.code).or_default();
            e.count += 1;
            if let Some(t) = &m.timestamp {
                e.first_seen.get_or_insert_with(|| t.clone());
                e.last_seen = Some(t.clone());
                *s.per_hour
                    .entry(hour_of(t))
                    .or_default()
                    .entry(m.code)
                    .or_default() += 1;
            }
            if let Some(c) = &m.client {
                *s.clients.entry(c.clone()).or_default() += 1;
            }
            if let Some(i) = &m.identity {
                *s.identities.entry(i.clone()).or_default() += 1;
            }
        }
        s
    }
}

/// Per-code statistics of a log.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CodeStats {
    pub count: usize,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
}

/// A log's summary.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub codes: BTreeMap<Code, CodeStats>,
    /// Hour (`2026-12-01T08`) → code → count.
    pub per_hour: BTreeMap<String, BTreeMap<Code, usize>>,
    pub clients: BTreeMap<String, usize>,
    pub identities: BTreeMap<String, usize>,
}

impl Summary {
    /// The `n` most frequent entries of a count map, most frequent first.
    pub fn top(map: &BTreeMap<String, usize>, n: usize) -> Vec<(&str, usize)> {
        let mut v: Vec<(&str, usize)> = map.iter().map(|(k, c)| (k.as_str(), *c)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        v.truncate(n);
        v
    }

    /// As JSON: `{"codes": {code: {count, first_seen, last_seen}}, "per_hour", "top_clients", "top_identities"}`.
    pub fn to_json(&self) -> Value {
        let codes: Map<String, Value> = self
            .codes
            .iter()
            .map(|(c, s)| {
                (
                    c.as_str().to_string(),
                    json!({"count": s.count, "first_seen": s.first_seen, "last_seen": s.last_seen}),
                )
            })
            .collect();
        let per_hour: Map<String, Value> = self
            .per_hour
            .iter()
            .map(|(h, m)| {
                let m: Map<String, Value> = m
                    .iter()
                    .map(|(c, n)| (c.as_str().to_string(), Value::from(*n)))
                    .collect();
                (h.clone(), Value::Object(m))
            })
            .collect();
        let top = |m: &BTreeMap<String, usize>| -> Value {
            Summary::top(m, 10)
                .into_iter()
                .map(|(k, n)| json!({"value": k, "count": n}))
                .collect()
        };
        json!({
            "codes": codes,
            "per_hour": per_hour,
            "top_clients": top(&self.clients),
            "top_identities": top(&self.identities),
        })
    }
}

/// `2026/12/01 08:00:01` or `2026-12-01T08:00:01Z` → `2026-12-01T08`.
fn hour_of(t: &str) -> String {
    let t: String = t.chars().take(13).collect();
    t.replace('/', "-").replacen(' ', "T", 1)
}

impl Match {
    /// The JSON object of one match: line, code, ecosystem, title, fix (for the ecosystem),
    /// evidence, note, text, and timestamp/client/identity when known.
    pub fn to_json(&self, text: &str) -> Value {
        let mut m = Map::new();
        m.insert("line".into(), self.line.into());
        m.insert("code".into(), self.code.as_str().into());
        m.insert(
            "ecosystem".into(),
            self.ecosystem.map(|e| e.as_str()).into(),
        );
        m.insert("title".into(), self.code.title().into());
        m.insert("fix".into(), self.fix().into());
        m.insert("evidence".into(), self.evidence.clone().into());
        if let Some(n) = &self.note {
            m.insert("note".into(), n.clone().into());
        }
        m.insert("text".into(), text.into());
        for (k, v) in [
            ("timestamp", &self.timestamp),
            ("client", &self.client),
            ("identity", &self.identity),
        ] {
            if let Some(v) = v {
                m.insert(k.into(), v.clone().into());
            }
        }
        Value::Object(m)
    }

    /// The fix for this match's ecosystem, or the generic one.
    pub fn fix(&self) -> &'static str {
        match self.ecosystem {
            Some(e) => self.code.fix_for(e),
            None => self.code.fix(),
        }
    }
}

/// Markers that tell whose message a line is, most telling first. A line can hold OpenSSL's
/// wording inside curl's or Python's, so OpenSSL comes last.
static MARKERS: LazyLock<Vec<(Ecosystem, Regex)>> = LazyLock::new(|| {
    use Ecosystem::*;
    [
        (PhpCurl, r"cURL error \d+|\bcurl_error\b|\bCURLE_[A-Z_]+|GuzzleHttp|PHP (?:Warning|Fatal error)"),
        (Dotnet, r"System\.(?:Net|Security)\.|HttpRequestException|AuthenticationException|RemoteCertificate\w+|X509ChainStatusFlags|SslPolicyErrors|The SSL connection could not be established"),
        (Java, r"javax\.net\.ssl|sun\.security\.|java\.(?:net|security|io)\.|PKIX path|Received fatal alert: [a-z_]+|SSLHandshakeException"),
        (PythonRequests, r"requests\.exceptions|urllib3|HTTPSConnectionPool|_ssl\.c:\d+|\bssl\.SSL\w*Error|SSLCertVerificationError|Traceback \(most recent call last\)"),
        (Node, r"\bERR_(?:TLS|SSL|OSSL)_[A-Z0-9_]+|\bcode: '[A-Z_]+'|AxiosError|\bnode:(?:internal|_tls_wrap|https)|at TLSSocket|\b(?:UNABLE_TO_VERIFY_LEAF_SIGNATURE|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|CERT_HAS_EXPIRED|CERT_NOT_YET_VALID)\b"),
        (Rustls, r"invalid peer certificate|received fatal alert: [A-Z]\w+|\brustls\b|peer is incompatible|received corrupt message|peer sent no certificates"),
        (Go, r"\bx509: |remote error: tls: |\btls: [a-z]|dial tcp |\bGet \x22https?://|net/http: "),
        (Nginx, r"\[(?:emerg|alert|crit|error|warn|notice|info|debug)\] \d+#\d+: |<center>nginx|<center>\d{3} |while (?:reading client request headers|SSL handshaking)"),
        (Curl, r"^\s*curl: \(\d+\)|\bcurl: \(\d+\)|^\* (?:SSL|TLS|Connected|Trying)"),
        (Openssl, r"verify error:num=|verify return:\d|Verify return code: \d|error \d+ at \d+ depth lookup|\bs_client\b|\bs_server\b|^\d+:error:[0-9A-F]{8}:|^[0-9A-F]{8,}:error:"),
    ]
    .into_iter()
    .map(|(e, re)| (e, Regex::new(re).expect("marker regex")))
    .collect()
});

/// A server writing about a handshake with a client: alerts there come from the client, and
/// certificate verification failures are about the client's certificate.
static SERVER_SIDE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"client SSL certificate verify error|TLS handshake error from|while SSL handshaking, client:|SSL_do_handshake\(\) failed.*, client: ")
        .expect("server-side regex")
});

static PATTERN_SET: LazyLock<(RegexSet, Vec<Regex>)> = LazyLock::new(|| {
    let res: Vec<&str> = patterns::PATTERNS.iter().map(|p| p.re).collect();
    let set = RegexSet::new(&res).expect("pattern set");
    let each = res
        .iter()
        .map(|r| Regex::new(r).expect("pattern"))
        .collect();
    (set, each)
});

/// certgate's own output: a 495/496/497 JSON body, a JSON log line, an `X-SSL-Client-Verify:
/// FAILED:<code>` header. The code is the contract, so it is taken as written.
static CERTGATE_CODE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#""(?:code|verdict)"\s*:\s*"([a-z_]+(?:\.[a-z_]+)?)"|FAILED:([a-z_]+\.[a-z_]+)"#)
        .expect("certgate code regex")
});

static TIMESTAMP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\d{4}[/-]\d{2}[/-]\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?")
        .expect("timestamp regex")
});
static CLIENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\bclient: ([0-9A-Fa-f.:\[\]]+)|"(?:client_ip|client_addr|remote_addr|peer_addr|peer)"\s*:\s*"([^"]+)""#)
        .expect("client regex")
});
static IDENTITY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#""(?:subject|client_subject|client_cert_subject|s_dn|identity)"\s*:\s*"([^"]+)""#)
        .expect("identity regex")
});

/// The ecosystem a line's own wording shows, if any.
fn marker(line: &str) -> Option<Ecosystem> {
    MARKERS
        .iter()
        .find(|(_, re)| re.is_match(line))
        .map(|(e, _)| *e)
}

/// A certificate verification failure seen by a server is about the client's certificate.
fn as_client_cert(code: Code) -> Code {
    use Code::*;
    match code {
        CertExpired => ClientCertExpired,
        CertNotYetValid => ClientCertNotYetValid,
        CertSelfSigned | CertUntrustedRoot | CertIncompleteChain => ClientCertUntrusted,
        CertRevoked => ClientCertRevoked,
        CertWrongUsage => ClientCertWrongUsage,
        other => other,
    }
}

/// What decided one line's code.
struct LineHit {
    code: Code,
    weight: u8,
    evidence: String,
    note: Option<String>,
    eco: Option<Ecosystem>,
}

/// The best code for one line, with its evidence, or `None`.
fn match_line(line: &str) -> Option<LineHit> {
    // certgate's own code wins: it is the taxonomy itself.
    for c in CERTGATE_CODE.captures_iter(line) {
        let s = c.get(1).or_else(|| c.get(2)).expect("one group");
        if let Ok(code) = s.as_str().parse::<Code>() {
            if code != Code::Ok {
                let ev = c.get(0).expect("group 0").as_str().to_string();
                return Some(LineHit {
                    code,
                    weight: 100,
                    evidence: ev,
                    note: None,
                    eco: None,
                });
            }
        }
    }
    let server_side = SERVER_SIDE.is_match(line) && !line.contains("to upstream");
    let mut best: Option<LineHit> = None;
    let mut consider = |cand: LineHit| {
        let better = match &best {
            None => true,
            Some(b) => (cand.weight, cand.evidence.len()) > (b.weight, b.evidence.len()),
        };
        if better {
            best = Some(cand);
        }
    };
    if let Some(hit) = alerts::find(line) {
        let (code, weight, note) = alerts::code_for(hit.alert, server_side);
        consider(LineHit {
            code,
            weight,
            evidence: line[hit.start..hit.end].to_string(),
            note: Some(note),
            eco: hit.eco,
        });
    }
    let (set, each) = &*PATTERN_SET;
    for i in set.matches(line).iter() {
        let p = &patterns::PATTERNS[i];
        let m = each[i].find(line).expect("set said it matches");
        let code = if server_side {
            as_client_cert(p.code)
        } else {
            p.code
        };
        let note = (!p.note.is_empty()).then(|| p.note.to_string());
        let evidence = m.as_str().to_string();
        consider(LineHit {
            code,
            weight: p.weight,
            evidence,
            note,
            eco: p.eco,
        });
    }
    best
}

/// Explains one text (a message, or a whole log): one match per recognised line.
pub fn explain(text: &str) -> Explanation {
    let mut matches = Vec::new();
    // Whether each match's line had its own ecosystem marker.
    let mut own_marker = Vec::new();
    let mut lines = 0;
    let mut doc_eco: Option<(usize, Ecosystem)> = None;
    for (i, line) in text.lines().enumerate() {
        lines += 1;
        let own = marker(line);
        if let Some(e) = own {
            // The most telling marker of the whole text (by MARKERS order) names its ecosystem.
            let rank = MARKERS
                .iter()
                .position(|(x, _)| *x == e)
                .unwrap_or(usize::MAX);
            if doc_eco.is_none_or(|(r, _)| rank < r) {
                doc_eco = Some((rank, e));
            }
        }
        let Some(LineHit {
            code,
            weight,
            evidence,
            note,
            eco: pattern_eco,
        }) = match_line(line)
        else {
            continue;
        };
        own_marker.push(own.is_some());
        matches.push(Match {
            line: i + 1,
            code,
            ecosystem: own.or(pattern_eco),
            evidence,
            note,
            weight,
            timestamp: TIMESTAMP.find(line).map(|m| m.as_str().to_string()),
            client: CLIENT.captures(line).and_then(|c| {
                c.get(1)
                    .or_else(|| c.get(2))
                    .map(|m| m.as_str().to_string())
            }),
            identity: IDENTITY.captures(line).map(|c| c[1].to_string()),
        });
    }
    // Lines without their own marker take the text's ecosystem (a traceback's last line).
    if let Some((_, e)) = doc_eco {
        for (m, own) in matches.iter_mut().zip(own_marker) {
            if !own {
                m.ecosystem = Some(e);
            }
        }
    }
    Explanation { matches, lines }
}

#[cfg(test)]
mod tests;
