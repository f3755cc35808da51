//! A small mTLS HTTP client for programs and for `certgate call`: real verification (the CA
//! bundle or the system store, CRLs), an optional client certificate, and — when anything fails —
//! a doctor run whose findings come back as a typed error instead of an opaque TLS message.

use crate::diagnose::{diagnose, Diagnosis, DoctorOptions};
use crate::files;
use crate::target::Target;
use crate::{http as probe_http, net, tls, ProbeError};
use http_body_util::Full;
use hyper::body::Bytes;
use rustls::client::WebPkiServerVerifier;
use rustls::{ClientConfig, RootCertStore};
use std::sync::Arc;
use tokio_rustls::TlsConnector;

pub use crate::http::Response;

/// One request.
#[derive(Clone, Debug)]
pub struct CallRequest {
    pub method: http::Method,
    pub url: String,
    /// Extra headers, in order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Why a call did not produce a usable response.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// Bad input (URL, files): nothing was sent.
    #[error(transparent)]
    Input(#[from] ProbeError),
    /// The call failed; doctor ran and says why (`diagnosis.verdict()`, `root_cause()`).
    #[error("{error}")]
    Diagnosed {
        /// What failed, as the TLS/HTTP stack put it.
        error: String,
        diagnosis: Box<Diagnosis>,
    },
}

/// An HTTP client that explains its failures.
pub struct Client {
    opts: DoctorOptions,
    config: Option<Arc<ClientConfig>>,
    /// A local problem (certificate and key do not match): every call is diagnosed.
    local_problem: Option<String>,
}

/// Statuses that are diagnoses rather than answers: certgate's and nginx's client-cert errors.
fn is_tls_status(status: u16) -> bool {
    matches!(status, 495..=497)
}

impl Client {
    /// Loads the trust anchors, CRLs and client identity named in `opts`.
    pub fn new(opts: DoctorOptions) -> Result<Client, ProbeError> {
        let provider = tls::provider();
        let (anchors, _) = files::anchors(opts.cacert.as_deref())?;
        let crls = files::crls(&opts.crls)?;
        let mut roots = RootCertStore::empty();
        if anchors.is_empty() {
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        } else {
            roots.add_parsable_certificates(anchors);
        }
        let mut local_problem = None;
        let identity = match &opts.cert {
            Some(c) => match files::identity(c, opts.key.as_deref())? {
                Ok(id) => Some(id),
                Err(detail) => {
                    local_problem = Some(detail);
                    None
                }
            },
            None => None,
        };
        let verifier =
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .with_crls(crls)
                .only_check_end_entity_revocation()
                .allow_unknown_revocation_status()
                .build()
                .map_err(|e| ProbeError::File {
                    path: opts
                        .cacert
                        .as_ref()
                        .map(|p| p.display().to_string())
                        .unwrap_or_default(),
                    why: format!("cannot build a verifier: {e}"),
                })?;
        let builder = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| ProbeError::File {
                path: String::new(),
                why: e.to_string(),
            })?
            .with_webpki_verifier(verifier);
        let mut config = match identity {
            Some(id) => builder
                .with_client_auth_cert(id.certified.cert.clone(), single_key(&opts)?)
                .map_err(|e| ProbeError::File {
                    path: String::new(),
                    why: e.to_string(),
                })?,
            None => builder.with_no_client_auth(),
        };
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Client {
            opts,
            config: Some(Arc::new(config)),
            local_problem,
        })
    }

    /// Sends `req`; any failure, and any 495/496/497 answer, comes back diagnosed.
    pub async fn send(&self, req: CallRequest) -> Result<Response, CallError> {
        let target = Target::parse(&req.url)?;
        if let Some(p) = &self.local_problem {
            return Err(self.diagnosed(&target, p.clone()).await?);
        }
        match self.exchange(&target, &req).await {
            Ok(r) => {
                let a = probe_http::answer(&r);
                let coded = a.body_code.is_some_and(|c| {
                    c.as_str().starts_with("client_cert.")
                        || c == certgate_core::Code::HttpPlainToTls
                });
                if is_tls_status(r.status) || (r.status == 400 && coded) {
                    let e = format!("HTTP {} {}", a.status, a.reason);
                    return Err(self.diagnosed(&target, e).await?);
                }
                Ok(r)
            }
            Err(e) => Err(self.diagnosed(&target, e).await?),
        }
    }

    async fn diagnosed(&self, target: &Target, error: String) -> Result<CallError, ProbeError> {
        let d = diagnose(target, &self.opts).await?;
        Ok(CallError::Diagnosed {
            error,
            diagnosis: Box::new(d),
        })
    }

    async fn exchange(&self, target: &Target, req: &CallRequest) -> Result<Response, String> {
        let t = self.opts.timeout;
        let addrs = net::resolve(&target.host, target.port, t)
            .await
            .map_err(|e| e.to_string())?;
        let tcp = net::connect(addrs[0], t).await.map_err(|e| e.to_string())?;
        let mut b = http::Request::builder().method(req.method.clone());
        for (k, v) in &req.headers {
            b = b.header(k.as_str(), v.as_str());
        }
        let body = Full::new(Bytes::from(req.body.clone()));
        if !target.tls {
            let r = b
                .uri(target.path.as_str())
                .header(http::header::HOST, target.authority())
                .body(body)
                .map_err(|e| e.to_string())?;
            return probe_http::send(tcp, false, r, t)
                .await
                .map_err(|e| error_text(&e));
        }
        let name = tls::server_name(self.opts.servername.as_deref().unwrap_or(&target.host))
            .map_err(|e| e.to_string())?;
        let config = self.config.clone().ok_or("no TLS configuration")?;
        let stream = tokio::time::timeout(t, TlsConnector::from(config).connect(name, tcp))
            .await
            .map_err(|_| format!("no TLS handshake within {} ms", t.as_millis()))?
            .map_err(|e| error_text(&e))?;
        let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
        let r = if h2 {
            b.uri(format!("https://{}{}", target.authority(), target.path))
        } else {
            b.uri(target.path.as_str())
                .header(http::header::HOST, target.authority())
        }
        .body(body)
        .map_err(|e| e.to_string())?;
        probe_http::send(stream, h2, r, t)
            .await
            .map_err(|e| error_text(&e))
    }
}

/// The key of `--cert/--key` again, for rustls' client-auth builder.
fn single_key(
    opts: &DoctorOptions,
) -> Result<rustls::pki_types::PrivateKeyDer<'static>, ProbeError> {
    let path = opts
        .key
        .as_ref()
        .or(opts.cert.as_ref())
        .ok_or_else(|| ProbeError::File {
            path: String::new(),
            why: "no key".into(),
        })?;
    certgate_pki::read_key(path).map_err(|e| ProbeError::File {
        path: path.display().to_string(),
        why: e.to_string(),
    })
}

/// The most specific text in an error chain (the rustls error when there is one).
fn error_text(e: &(dyn std::error::Error + 'static)) -> String {
    if let Some(r) = tls::rustls_error(e) {
        return format!("TLS error: {r}");
    }
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        parts.push(s.to_string());
        cur = s.source();
    }
    parts.join(": ")
}
