//! Keeping a CA's CRL over time: read back the entries of the CRL a CA issued before, add one,
//! and issue the next CRL with a higher number. The CRL file itself is the only state.

use crate::{PkiError, Revocation};
use rcgen::RevocationReason;
use std::path::Path;

/// What an existing CRL says: its entries and its number.
#[derive(Clone, Debug, Default)]
pub struct CrlState {
    /// Revoked certificates, in the order the CRL lists them.
    pub revoked: Vec<Revocation>,
    /// The CRL number (0 when the CRL has none).
    pub number: u64,
}

/// Reads the entries and number of a CRL file (PEM or DER).
pub fn read_crl_state(path: &Path) -> Result<CrlState, PkiError> {
    let crls = crate::read_crls(path)?;
    let mut state = CrlState::default();
    for der in &crls {
        let (_, crl) = x509_parser::parse_x509_crl(der).map_err(|e| PkiError::Invalid {
            path: path.to_path_buf(),
            why: format!("not a CRL: {e}"),
        })?;
        for r in crl.iter_revoked_certificates() {
            state.revoked.push(Revocation {
                serial_hex: crate::hex_lower(r.raw_serial()),
                at: r.revocation_date.to_datetime(),
                reason: r.reason_code().and_then(|(_, rc)| reason_from_code(rc.0)),
            });
        }
        let n = crl
            .crl_number()
            .and_then(|n| u64::try_from(n.clone()).ok())
            .unwrap_or(0);
        state.number = state.number.max(n);
    }
    Ok(state)
}

/// The CRLReason for its RFC 5280 code.
pub fn reason_from_code(code: u8) -> Option<RevocationReason> {
    use RevocationReason::*;
    Some(match code {
        0 => Unspecified,
        1 => KeyCompromise,
        2 => CaCompromise,
        3 => AffiliationChanged,
        4 => Superseded,
        5 => CessationOfOperation,
        6 => CertificateHold,
        8 => RemoveFromCrl,
        9 => PrivilegeWithdrawn,
        10 => AaCompromise,
        _ => return None,
    })
}

/// Parses a CRLReason name as RFC 5280 spells it (`keyCompromise`), case-insensitively, with
/// `-`/`_` ignored (`key-compromise` works too).
pub fn parse_reason(s: &str) -> Option<RevocationReason> {
    let k: String = s
        .chars()
        .filter(|c| *c != '-' && *c != '_')
        .collect::<String>()
        .to_ascii_lowercase();
    use RevocationReason::*;
    Some(match k.as_str() {
        "unspecified" => Unspecified,
        "keycompromise" => KeyCompromise,
        "cacompromise" => CaCompromise,
        "affiliationchanged" => AffiliationChanged,
        "superseded" => Superseded,
        "cessationofoperation" => CessationOfOperation,
        "certificatehold" => CertificateHold,
        "removefromcrl" => RemoveFromCrl,
        "privilegewithdrawn" => PrivilegeWithdrawn,
        "aacompromise" => AaCompromise,
        _ => return None,
    })
}

/// The RFC 5280 name of a CRLReason.
pub fn reason_name(r: RevocationReason) -> &'static str {
    use RevocationReason::*;
    match r {
        Unspecified => "unspecified",
        KeyCompromise => "keyCompromise",
        CaCompromise => "cACompromise",
        AffiliationChanged => "affiliationChanged",
        Superseded => "superseded",
        CessationOfOperation => "cessationOfOperation",
        CertificateHold => "certificateHold",
        RemoveFromCrl => "removeFromCRL",
        PrivilegeWithdrawn => "privilegeWithdrawn",
        AaCompromise => "aACompromise",
    }
}
