//! The lab's PKI, minted fresh at every start: a trusted root and issuing CA for servers, a rogue
//! hierarchy for `untrusted-root`, a client CA with good, expired and revoked client certificates,
//! a rogue client certificate, and the two CRLs. Certificates rcgen cannot make (RSA-1024 keys,
//! SHA-1 signatures) are made with the openssl CLI from the same issuing CA.

use crate::LabError;
use certgate_pki::{Ca, CaSpec, Issued, LeafSpec, Revocation, Validity};
use rcgen::{
    CertificateParams, CrlDistributionPoint, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
    KeyPair, KeyUsagePurpose, RevocationReason, SanType, SerialNumber,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer};
use std::path::{Path, PathBuf};
use std::process::Command;
use time::{Duration, OffsetDateTime};

/// Names every lab server certificate carries (the manifest's URLs use `localhost`).
pub const SERVER_NAMES: &[&str] = &["localhost", "127.0.0.1", "::1"];

/// A server certificate chain exactly as the endpoint sends it, with its key.
#[derive(Clone, Debug)]
pub struct ServerCreds {
    /// The certificates in the order they are sent (leaf first, except where the scenario says).
    pub chain_pem: String,
    /// PKCS#8 private key.
    pub key_pem: String,
}

impl ServerCreds {
    fn from_issued(i: &Issued) -> Self {
        ServerCreds {
            chain_pem: i.chain_pem.clone(),
            key_pem: i.key_pem.clone(),
        }
    }

    /// The chain as DER, in sending order.
    pub fn chain_der(&self) -> Result<Vec<CertificateDer<'static>>, LabError> {
        CertificateDer::pem_slice_iter(self.chain_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| LabError::Internal(format!("lab chain PEM: {e}")))
    }

    /// The key as DER.
    pub fn key_der(&self) -> Result<PrivateKeyDer<'static>, LabError> {
        PrivateKeyDer::from_pem_slice(self.key_pem.as_bytes())
            .map_err(|e| LabError::Internal(format!("lab key PEM: {e}")))
    }

    /// Writes `DIR/NAME.pem` (chain as sent) and `DIR/NAME.key` (0600).
    pub fn save(&self, dir: &Path, name: &str) -> Result<(PathBuf, PathBuf), LabError> {
        let cert = dir.join(format!("{name}.pem"));
        let key = dir.join(format!("{name}.key"));
        certgate_pki::write_file(&cert, &self.chain_pem, false)?;
        certgate_pki::write_file(&key, &self.key_pem, true)?;
        Ok((cert, key))
    }
}

/// The lab's own HTTP URLs that go into certificates.
#[derive(Clone, Debug)]
pub struct LabUrls {
    /// The issuing CA's CRL (CRL distribution point of the `revoked` leaf).
    pub crl: String,
    /// The OCSP responder (AIA of the `revoked` leaf), when there is one.
    pub ocsp: Option<String>,
    /// The issuing CA's certificate (AIA caIssuers of the `missing-intermediate` leaf).
    pub ca_issuers: String,
}

/// Everything the lab's endpoints and its manifest need.
pub struct LabPki {
    /// The trust anchor clients are told to use (`DIR/ca.pem`).
    pub root: Ca,
    /// Issues every lab server certificate.
    pub issuing: Ca,
    /// Trust anchor of the client-certificate endpoints.
    pub client_ca: Ca,
    /// CRL of the issuing CA (lists the `revoked` server certificate), PEM.
    pub server_crl_pem: String,
    /// CRL of the root (empty), PEM: clients that check the whole chain (Node) need it.
    pub root_crl_pem: String,
    /// CRL of the client CA (lists the revoked client certificate), PEM.
    pub client_crl_pem: String,
    pub good: ServerCreds,
    pub expired: ServerCreds,
    pub not_yet_valid: ServerCreds,
    pub wrong_host: ServerCreds,
    pub cn_only: ServerCreds,
    pub self_signed: ServerCreds,
    pub untrusted_root: ServerCreds,
    pub missing_intermediate: ServerCreds,
    pub wrong_order: ServerCreds,
    pub revoked: ServerCreds,
    pub wrong_eku: ServerCreds,
    /// Client certificates by stem (`good`, `expired`, `untrusted`, `revoked`, `not-allowed`).
    pub clients: Vec<(&'static str, Issued)>,
    /// The issuing CA's certificate database in `openssl ca` index format, for the lab's OCSP
    /// responder: the `revoked` leaf as revoked (keyCompromise), the good leaf as valid.
    pub ocsp_index: String,
}

impl LabPki {
    /// Mints the whole PKI. `urls.crl` goes into the revoked certificate's CRL distribution
    /// point, `urls.ocsp` (when the lab runs an OCSP responder) into its Authority Information
    /// Access, `urls.ca_issuers` into the AIA of the leaf served without its intermediate.
    pub fn mint(urls: &LabUrls) -> Result<LabPki, LabError> {
        let org = |name: &str| CaSpec {
            org: Some("certgate lab".into()),
            ..CaSpec::new(name)
        };
        let root = Ca::root(&org("certgate lab Root CA"))?;
        let issuing = root.intermediate(&org("certgate lab Issuing CA"))?;
        let rogue_root = Ca::root(&org("certgate lab Untrusted Root CA"))?;
        let rogue_issuing = rogue_root.intermediate(&org("certgate lab Untrusted Issuing CA"))?;
        let client_ca = Ca::root(&org("certgate lab Client CA"))?;
        let rogue_client_ca = Ca::root(&org("certgate lab Unknown Client CA"))?;

        let leaf = || LeafSpec::server(SERVER_NAMES);
        let good = issuing.issue(&leaf())?;
        let expired = issuing.issue(&leaf().valid(Validity::expired_days_ago(30)))?;
        let not_yet_valid = issuing.issue(&leaf().valid(Validity::starts_in_days(30)))?;
        let wrong_host = issuing.issue(&LeafSpec::server(&["wrong.example"]))?;
        let cn_only = issuing.issue(&LeafSpec {
            names: vec![],
            ..LeafSpec::server(&["localhost"])
        })?;
        let wrong_eku = issuing.issue(&LeafSpec {
            eku: Some(vec![ExtendedKeyUsagePurpose::ClientAuth]),
            ..leaf()
        })?;
        let untrusted = rogue_issuing.issue(&leaf())?;
        let (revoked, revoked_serial) = revoked_leaf(&issuing, &urls.crl, urls.ocsp.as_deref())?;
        // Like every publicly issued leaf, it says where its issuer can be downloaded: the
        // evidence that the server left out an intermediate (not that the root is unknown).
        let without_intermediate = issuing.issue(&LeafSpec {
            ca_issuers: vec![urls.ca_issuers.clone()],
            ..leaf()
        })?;

        let now = OffsetDateTime::now_utc();
        let revocation = |serial_hex: String| Revocation {
            serial_hex,
            at: now - Duration::hours(1),
            reason: Some(RevocationReason::KeyCompromise),
        };
        let server_crl_pem = issuing.crl(
            &[revocation(revoked_serial.clone())],
            now - Duration::hours(1),
            now + Duration::days(30),
            1,
        )?;

        let root_crl_pem = root.crl(&[], now - Duration::hours(1), now + Duration::days(30), 1)?;

        let client = |cn: &str| LeafSpec::client(cn);
        let client_good = client_ca.issue(&client(crate::GATEWAY_ALLOWED_CN))?;
        let client_expired =
            client_ca.issue(&client("lab-client-expired").valid(Validity::expired_days_ago(30)))?;
        let client_revoked = client_ca.issue(&client("lab-client-revoked"))?;
        let client_untrusted = rogue_client_ca.issue(&client("lab-client-untrusted"))?;
        let client_not_allowed = client_ca.issue(&client("lab-client-not-allowed"))?;
        let ocsp_index = index_line(&revoked_serial, Some(now - Duration::hours(1)))
            + &index_line(&good.serial_hex, None);
        let client_crl_pem = client_ca.crl(
            &[revocation(client_revoked.serial_hex.clone())],
            now - Duration::hours(1),
            now + Duration::days(30),
            1,
        )?;

        Ok(LabPki {
            good: ServerCreds::from_issued(&good),
            expired: ServerCreds::from_issued(&expired),
            not_yet_valid: ServerCreds::from_issued(&not_yet_valid),
            wrong_host: ServerCreds::from_issued(&wrong_host),
            cn_only: ServerCreds::from_issued(&cn_only),
            self_signed: self_signed_leaf()?,
            untrusted_root: ServerCreds {
                chain_pem: untrusted.chain_pem.clone() + &rogue_root.cert_pem,
                key_pem: untrusted.key_pem.clone(),
            },
            missing_intermediate: ServerCreds {
                chain_pem: without_intermediate.cert_pem.clone(),
                key_pem: without_intermediate.key_pem.clone(),
            },
            wrong_order: ServerCreds {
                chain_pem: good.cert_pem.clone() + &root.cert_pem + &issuing.cert_pem,
                key_pem: good.key_pem.clone(),
            },
            revoked,
            wrong_eku: ServerCreds::from_issued(&wrong_eku),
            clients: vec![
                ("good", client_good),
                ("expired", client_expired),
                ("untrusted", client_untrusted),
                ("revoked", client_revoked),
                ("not-allowed", client_not_allowed),
            ],
            ocsp_index,
            root,
            issuing,
            client_ca,
            server_crl_pem,
            root_crl_pem,
            client_crl_pem,
        })
    }

    /// The issuing CA's CRL as DER (what the lab serves over HTTP).
    pub fn server_crl_der(&self) -> Result<Vec<u8>, LabError> {
        crl_der(&self.server_crl_pem)
    }
}

/// PEM CRL → DER.
pub fn crl_der(pem: &str) -> Result<Vec<u8>, LabError> {
    CertificateRevocationListDer::from_pem_slice(pem.as_bytes())
        .map(|d| d.as_ref().to_vec())
        .map_err(|e| LabError::Internal(format!("lab CRL PEM: {e}")))
}

fn issuer_of(ca: &Ca) -> Result<Issuer<'static, KeyPair>, LabError> {
    let key = KeyPair::from_pem(&ca.key_pem).map_err(certgate_pki::PkiError::from)?;
    Ok(Issuer::from_ca_cert_pem(&ca.cert_pem, key).map_err(certgate_pki::PkiError::from)?)
}

fn server_params(serial: u64) -> Result<CertificateParams, LabError> {
    let mut p = CertificateParams::default();
    p.distinguished_name = rcgen::DistinguishedName::new();
    p.distinguished_name.push(DnType::CommonName, "localhost");
    for n in SERVER_NAMES {
        p.subject_alt_names
            .push(match n.parse::<std::net::IpAddr>() {
                Ok(ip) => SanType::IpAddress(ip),
                Err(_) => SanType::DnsName((*n).try_into().map_err(certgate_pki::PkiError::from)?),
            });
    }
    let v = Validity::days_from_now(365);
    p.not_before = v.not_before;
    p.not_after = v.not_after;
    p.is_ca = IsCa::ExplicitNoCa;
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    p.serial_number = Some(SerialNumber::from(serial));
    Ok(p)
}

/// A good leaf whose CRL distribution point is `crl_url` and whose AIA names `ocsp_url` as its
/// OCSP responder; returns it and its serial (hex).
fn revoked_leaf(
    issuing: &Ca,
    crl_url: &str,
    ocsp_url: Option<&str>,
) -> Result<(ServerCreds, String), LabError> {
    let serial = 0x1ab_0000_0000_0001 ^ (OffsetDateTime::now_utc().unix_timestamp() as u64);
    let mut p = server_params(serial)?;
    p.use_authority_key_identifier_extension = true;
    p.crl_distribution_points = vec![CrlDistributionPoint {
        uris: vec![crl_url.to_string()],
    }];
    if let Some(url) = ocsp_url {
        p.custom_extensions
            .push(certgate_pki::aia_extension_with(&[], &[url.to_string()]));
    }
    let key = KeyPair::generate().map_err(certgate_pki::PkiError::from)?;
    let cert = p
        .signed_by(&key, &issuer_of(issuing)?)
        .map_err(certgate_pki::PkiError::from)?;
    let serial_hex = serial_hex(cert.der());
    Ok((
        ServerCreds {
            chain_pem: cert.pem() + &issuing.chain_below_root(),
            key_pem: key.serialize_pem(),
        },
        serial_hex,
    ))
}

/// One line of an `openssl ca` index (what `openssl ocsp -index` reads): `R` with the
/// revocation time and reason, or `V`. The serial is upper-case hex of even length.
fn index_line(serial_hex: &str, revoked_at: Option<OffsetDateTime>) -> String {
    let mut serial = serial_hex.trim_start_matches("0x").to_uppercase();
    if serial.len() % 2 == 1 {
        serial.insert(0, '0');
    }
    let asn1 = |t: OffsetDateTime| {
        let t = t.to_offset(time::UtcOffset::UTC);
        format!(
            "{:02}{:02}{:02}{:02}{:02}{:02}Z",
            t.year() % 100,
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        )
    };
    // The expiry column is informational for `openssl ocsp`; a far date keeps it simple.
    match revoked_at {
        Some(at) => format!(
            "R\t491231235959Z\t{},keyCompromise\t{serial}\tunknown\t/CN=localhost\n",
            asn1(at)
        ),
        None => format!("V\t491231235959Z\t\t{serial}\tunknown\t/CN=localhost\n"),
    }
}

fn self_signed_leaf() -> Result<ServerCreds, LabError> {
    let p = server_params(0x5e1f)?;
    let key = KeyPair::generate().map_err(certgate_pki::PkiError::from)?;
    let cert = p.self_signed(&key).map_err(certgate_pki::PkiError::from)?;
    Ok(ServerCreds {
        chain_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

fn serial_hex(der: &[u8]) -> String {
    x509_parser::parse_x509_certificate(der)
        .map(|(_, c)| c.raw_serial().iter().map(|b| format!("{b:02x}")).collect())
        .unwrap_or_default()
}

/// What the openssl CLI makes for the scenarios rcgen cannot express.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpensslLeaf {
    /// RSA-1024 key, SHA-256 signature.
    WeakKey,
    /// P-256 key, ECDSA-SHA1 signature from the (P-256) issuing CA.
    Sha1,
}

/// Makes an [`OpensslLeaf`] signed by `issuing`, working in `work` (which receives the CA key).
pub fn openssl_leaf(issuing: &Ca, kind: OpensslLeaf, work: &Path) -> Result<ServerCreds, LabError> {
    let (stem, keygen, digest): (&str, &[&str], &str) = match kind {
        OpensslLeaf::WeakKey => (
            "weak-key",
            &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
            "-sha256",
        ),
        OpensslLeaf::Sha1 => (
            "sha1-signature",
            &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
            "-sha1",
        ),
    };
    let ca_pem = work.join("issuing-ca.pem");
    let ca_key = work.join("issuing-ca.key");
    certgate_pki::write_file(&ca_pem, &issuing.cert_pem, false)?;
    certgate_pki::write_file(&ca_key, &issuing.key_pem, true)?;
    let key = work.join(format!("{stem}.key"));
    let csr = work.join(format!("{stem}.csr"));
    let ext = work.join(format!("{stem}.ext"));
    let cert = work.join(format!("{stem}.leaf.pem"));
    certgate_pki::write_file(
        &ext,
        "basicConstraints=critical,CA:FALSE\n\
         keyUsage=critical,digitalSignature,keyEncipherment\n\
         extendedKeyUsage=serverAuth\n\
         subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n\
         authorityKeyIdentifier=keyid\n\
         subjectKeyIdentifier=hash\n",
        false,
    )?;
    let serial = format!(
        "0x{:x}",
        (OffsetDateTime::now_utc().unix_timestamp_nanos() as u64) & 0x7fff_ffff_ffff_ffff | 1
    );
    let s = |p: &Path| p.to_string_lossy().into_owned();
    openssl(&[&["genpkey", "-out", &s(&key)], keygen].concat())?;
    openssl(&[
        "req",
        "-new",
        "-key",
        &s(&key),
        "-subj",
        "/CN=localhost",
        "-out",
        &s(&csr),
    ])?;
    openssl(&[
        "x509",
        "-req",
        "-in",
        &s(&csr),
        "-CA",
        &s(&ca_pem),
        "-CAkey",
        &s(&ca_key),
        "-set_serial",
        &serial,
        "-days",
        "365",
        digest,
        "-extfile",
        &s(&ext),
        "-out",
        &s(&cert),
    ])?;
    let read = |p: &Path| {
        std::fs::read_to_string(p).map_err(|error| LabError::Io {
            path: p.to_path_buf(),
            error,
        })
    };
    Ok(ServerCreds {
        chain_pem: read(&cert)? + &issuing.chain_below_root(),
        key_pem: read(&key)?,
    })
}

/// Runs `openssl ARGS`; a failure names the command and OpenSSL's own message.
pub fn openssl(args: &[&str]) -> Result<(), LabError> {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .map_err(|e| LabError::Openssl(format!("cannot run `openssl`: {e}")))?;
    if !out.status.success() {
        return Err(LabError::Openssl(format!(
            "`openssl {}` failed: {}",
            args.first().copied().unwrap_or_default(),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(())
}

/// True when the openssl CLI can be run.
pub fn openssl_available() -> bool {
    Command::new("openssl")
        .arg("version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}
