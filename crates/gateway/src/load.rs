//! Loading: a [`Config`] becomes a [`Loaded`] generation the gateway can serve — the server key
//! checked against its certificate, CA files checked to hold CAs, CRLs checked to be current,
//! routes compiled, rustls configurations built. Every refusal names the file and the fix; a
//! reload that fails here leaves the running generation untouched.

use crate::config::{Config, ConfigError, HeaderFormat, Limits, Mode, PemSource};
use crate::forward::Upstream;
use crate::policy::Route;
use crate::tls::{provider, Resumption, TlsConfigs};
use crate::trust::{TrustStore, TrustedCa};
use certgate_core::analyse::client_cert::rfc3339;
use certgate_core::x509::rfc4514;
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer, UnixTime};
use std::sync::Arc;
use x509_parser::prelude::FromDer;

/// One served generation of the configuration.
pub struct Loaded {
    /// Increases with every successful reload.
    pub generation: u64,
    /// The configuration it came from.
    pub config: Config,
    /// Compiled routes.
    pub routes: Vec<Route>,
    /// rustls configurations per SNI.
    pub tls: TlsConfigs,
    /// Identity header formats.
    pub formats: Vec<HeaderFormat>,
    /// nginx-compatible error answers.
    pub nginx_compat: bool,
    /// Timeouts and limits.
    pub limits: Limits,
    /// The pooled client to the upstreams, with this generation's timeouts.
    pub upstream: Upstream,
    /// Things that work but deserve the operator's attention (logged at load).
    pub warnings: Vec<String>,
}

/// Loads and checks `config`.
pub fn load(
    config: &Config,
    generation: u64,
    resumption: &Resumption,
    now: UnixTime,
) -> Result<Loaded, ConfigError> {
    let mut warnings = Vec::new();
    let cert = server_key(config, now, &mut warnings)?;
    let mut stores: Vec<(Vec<PemSource>, Vec<PemSource>, Arc<TrustStore>)> = Vec::new();
    let mut routes = Vec::new();
    for (index, rc) in config.effective_routes().into_iter().enumerate() {
        let mode = rc.verify.unwrap_or_default();
        let label = format!("route {}{}", rc.host.as_deref().unwrap_or(""), rc.path);
        if !rc.path.starts_with('/') {
            return Err(ConfigError::invalid(label, "path must start with '/'"));
        }
        let cas = rc.client_ca.unwrap_or_default();
        let crls = rc.crl.unwrap_or_default();
        if mode != Mode::Off && cas.is_empty() {
            return Err(ConfigError::invalid(
                label,
                format!(
                    "verify = \"{}\" needs at least one client CA (--client-ca FILE or client_ca = [...]); use verify = \"off\" to serve without client certificates",
                    mode.as_str()
                ),
            ));
        }
        let trust = match stores.iter().find(|(a, b, _)| *a == cas && *b == crls) {
            Some((_, _, s)) => s.clone(),
            None => {
                let s = Arc::new(trust_store(&cas, &crls, now, &mut warnings)?);
                stores.push((cas, crls, s.clone()));
                s
            }
        };
        let upstream_text = rc.upstream.ok_or_else(|| {
            ConfigError::invalid(
                label.clone(),
                "no upstream (--upstream URL or upstream = \"http://127.0.0.1:8080\")",
            )
        })?;
        let upstream = parse_upstream(&upstream_text)
            .map_err(|why| ConfigError::invalid(label.clone(), why))?;
        routes.push(Route {
            index,
            path: rc.path,
            host: rc.host,
            mode,
            trust,
            allow: rc.allow.unwrap_or_default(),
            upstream,
            ocsp: rc
                .ocsp
                .filter(|_| mode != Mode::Off)
                .map(|c| Arc::new(crate::ocsp::OcspChecker::new(c))),
        });
    }
    let tls = TlsConfigs::build(&routes, cert, config.hide_ca_names, resumption)?;
    Ok(Loaded {
        generation,
        config: config.clone(),
        routes,
        tls,
        formats: config.headers.formats.clone(),
        nginx_compat: config.nginx_compat,
        limits: config.limits.clone(),
        upstream: Upstream::new(
            config.limits.upstream_connect_timeout(),
            config.limits.upstream_timeout(),
        ),
        warnings,
    })
}

/// Parses an upstream URL; only `http://` is served today (the gateway terminates TLS in front
/// of a local or private service).
pub fn parse_upstream(s: &str) -> Result<http::Uri, String> {
    let u: http::Uri = s
        .parse()
        .map_err(|e| format!("upstream {s:?} is not a URL ({e})"))?;
    match u.scheme_str() {
        Some("http") => {}
        Some("https") => {
            return Err(format!(
                "upstream {s:?}: https upstreams are not supported yet; point the gateway at the service's plain http:// address"
            ))
        }
        _ => return Err(format!("upstream {s:?} must start with http://")),
    }
    if u.authority().is_none() {
        return Err(format!("upstream {s:?} has no host"));
    }
    Ok(u)
}

fn certs_from(src: &PemSource) -> Result<Vec<CertificateDer<'static>>, ConfigError> {
    let text = src.read()?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(text.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|e| ConfigError::invalid(src.name(), format!("unreadable PEM ({e})")))?;
    if certs.is_empty() {
        return Err(ConfigError::invalid(
            src.name(),
            "no CERTIFICATE block in this file",
        ));
    }
    Ok(certs)
}

fn server_key(
    config: &Config,
    now: UnixTime,
    warnings: &mut Vec<String>,
) -> Result<Arc<CertifiedKey>, ConfigError> {
    let chain = certs_from(&config.cert)?;
    let key_text = config.key.read()?;
    let key = PrivateKeyDer::from_pem_slice(key_text.as_bytes()).map_err(|_| {
        ConfigError::invalid(
            config.key.name(),
            "no private key (PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY block) in this file",
        )
    })?;
    let ck = CertifiedKey::from_der(chain.clone(), key, &provider()).map_err(|e| match e {
        rustls::Error::InconsistentKeys(_) => ConfigError::invalid(
            config.key.name(),
            format!(
                "this private key does not belong to the certificate in {} (its public key differs); pass the key the certificate was issued for",
                config.cert.name()
            ),
        ),
        other => ConfigError::invalid(config.key.name(), format!("unusable private key ({other})")),
    })?;
    if let Ok((_, c)) = x509_parser::certificate::X509Certificate::from_der(&chain[0]) {
        let na = c.validity().not_after.timestamp();
        if na < now.as_secs() as i64 {
            warnings.push(format!(
                "{}: the server certificate {} expired on {}; clients will refuse it",
                config.cert.name(),
                rfc4514(c.subject()),
                rfc3339(na)
            ));
        }
    }
    Ok(Arc::new(ck))
}

fn trust_store(
    cas: &[PemSource],
    crls: &[PemSource],
    now: UnixTime,
    warnings: &mut Vec<String>,
) -> Result<TrustStore, ConfigError> {
    let mut trusted = Vec::new();
    for src in cas {
        for der in certs_from(src)? {
            let (_, c) =
                x509_parser::certificate::X509Certificate::from_der(&der).map_err(|e| {
                    ConfigError::invalid(src.name(), format!("unparsable certificate ({e})"))
                })?;
            let name = rfc4514(c.subject());
            let is_ca = c
                .basic_constraints()
                .ok()
                .flatten()
                .is_some_and(|b| b.value.ca);
            if !is_ca {
                return Err(ConfigError::invalid(
                    src.name(),
                    format!(
                        "{name} is not a CA certificate (no basicConstraints CA:TRUE); a client CA file must hold the CA that issues client certificates, not a client certificate"
                    ),
                ));
            }
            let na = c.validity().not_after.timestamp();
            if na < now.as_secs() as i64 {
                warnings.push(format!(
                    "{}: the client CA {name} expired on {}; every client certificate it issued will be rejected",
                    src.name(),
                    rfc3339(na)
                ));
            }
            trusted.push(TrustedCa { name, der });
        }
    }
    let mut lists = Vec::new();
    let mut crl_issuers = Vec::new();
    for src in crls {
        let text = src.read()?;
        let ders: Vec<CertificateRevocationListDer<'static>> =
            CertificateRevocationListDer::pem_slice_iter(text.as_bytes())
                .collect::<Result<_, _>>()
                .map_err(|e| ConfigError::invalid(src.name(), format!("unreadable PEM ({e})")))?;
        if ders.is_empty() {
            return Err(ConfigError::invalid(
                src.name(),
                "no X509 CRL block in this file",
            ));
        }
        for der in ders {
            let (_, parsed) = x509_parser::revocation_list::CertificateRevocationList::from_der(
                &der,
            )
            .map_err(|e| ConfigError::invalid(src.name(), format!("unparsable CRL ({e})")))?;
            let issuer = rfc4514(parsed.issuer());
            if let Some(next) = parsed.next_update() {
                let next = next.timestamp();
                if next < now.as_secs() as i64 {
                    return Err(ConfigError::invalid(
                        src.name(),
                        format!(
                            "the CRL of {issuer} is past its nextUpdate ({}); fetch a fresh CRL from the CA (with a stale CRL every client would be rejected)",
                            rfc3339(next)
                        ),
                    ));
                }
            }
            crl_issuers.push(issuer);
            let owned = webpki::OwnedCertRevocationList::from_der(&der)
                .map_err(|e| ConfigError::invalid(src.name(), format!("CRL not usable ({e:?})")))?;
            lists.push(webpki::CertRevocationList::Owned(owned));
        }
    }
    if !crls.is_empty() {
        for ca in &trusted {
            if !crl_issuers.contains(&ca.name) {
                warnings.push(format!(
                    "CRLs are configured, but none is issued by the client CA {}: certificates it issued are not revocation-checked",
                    ca.name
                ));
            }
        }
    }
    let algs = provider().signature_verification_algorithms.all;
    TrustStore::new(trusted, lists, algs).map_err(|why| {
        ConfigError::invalid(
            cas.iter()
                .map(PemSource::name)
                .collect::<Vec<_>>()
                .join(", "),
            why,
        )
    })
}
