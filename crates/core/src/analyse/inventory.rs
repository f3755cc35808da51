//! Inventory analysis: how close a certificate is to expiry, which certificates share one key pair,
//! and whether a private-key file is readable by others. Pure: facts and `now` in, findings out;
//! the walking, reading and connecting happen in the `certgate-inventory` crate.

use crate::code::Code;
use crate::finding::{Finding, Side};
use std::collections::HashMap;
use time::OffsetDateTime;

/// Where a certificate stands against the clock and the warning window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpiryStatus {
    /// notAfter has passed.
    Expired,
    /// notAfter falls inside the warning window.
    Expiring,
    /// notBefore is still in the future.
    NotYetValid,
    /// Valid now and beyond the warning window.
    Ok,
}

/// Whole days from `now` to `not_after`, rounded down: negative once expired (one hour past
/// notAfter is day -1), 0 on the last day.
pub fn days_left(not_after: OffsetDateTime, now: OffsetDateTime) -> i64 {
    (not_after - now).whole_seconds().div_euclid(86_400)
}

/// Classifies a validity window at `now` with a warning window of `warn_days` days.
pub fn expiry_status(
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    now: OffsetDateTime,
    warn_days: u32,
) -> ExpiryStatus {
    if not_after <= now {
        ExpiryStatus::Expired
    } else if not_after <= now + time::Duration::days(i64::from(warn_days)) {
        ExpiryStatus::Expiring
    } else if not_before > now {
        ExpiryStatus::NotYetValid
    } else {
        ExpiryStatus::Ok
    }
}

/// The expiry finding for one certificate, if any: `cert.expired`, `cert.expiring_soon` or
/// `cert.not_yet_valid`, with `not_after` and `days_left` as evidence.
pub fn expiry(
    subject: &str,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    now: OffsetDateTime,
    warn_days: u32,
    side: Side,
) -> Option<Finding> {
    let days = days_left(not_after, now);
    let na = not_after
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let f = match expiry_status(not_before, not_after, now, warn_days) {
        ExpiryStatus::Ok => return None,
        ExpiryStatus::Expired => Finding::new(
            Code::CertExpired,
            side,
            format!("{subject} expired on {na} ({} days ago)", -days),
        ),
        ExpiryStatus::Expiring => Finding::new(
            Code::CertExpiringSoon,
            side,
            format!("{subject} expires on {na}, in {days} days (warning window {warn_days} days)"),
        ),
        ExpiryStatus::NotYetValid => {
            let nb = not_before
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default();
            Finding::new(
                Code::CertNotYetValid,
                side,
                format!("{subject} is not valid before {nb}"),
            )
        }
    };
    Some(f.with("not_after", na).with("days_left", days))
}

/// Permission bits that make a private-key file too open: anything for "other", or write for the
/// group. Group read (0640 with a group such as Debian's `ssl-cert`) is an accepted convention.
pub const TOO_OPEN_MASK: u32 = 0o027;

/// `key.permissions_too_open` when `mode` (Unix permission bits) lets others read or change the
/// private key in `path`.
pub fn key_permissions(path: &str, mode: u32) -> Option<Finding> {
    let mode = mode & 0o7777;
    if mode & TOO_OPEN_MASK == 0 {
        return None;
    }
    Some(
        Finding::new(
            Code::KeyPermissionsTooOpen,
            Side::Local,
            format!("private key {path} has mode {mode:04o}; others can read or change it"),
        )
        .with("path", path)
        .with("mode", format!("{mode:04o}")),
    )
}

/// One certificate as seen by the key-reuse check: an id (its fingerprint), its subject and an
/// identifier of its public key (any stable bytes: the key itself or its hash).
#[derive(Clone, Copy, Debug)]
pub struct KeyUse<'a> {
    pub fingerprint: &'a str,
    pub subject: &'a str,
    pub key_id: &'a [u8],
}

/// `cert.key_reused` findings: for each certificate (by index into `certs`) whose public key is
/// also in another, different certificate, one finding naming the others. Duplicates of the same
/// certificate (same fingerprint) do not count as reuse.
pub fn key_reuse(certs: &[KeyUse<'_>], side: Side) -> Vec<(usize, Finding)> {
    let mut by_key: HashMap<&[u8], Vec<usize>> = HashMap::new();
    for (i, c) in certs.iter().enumerate() {
        let v = by_key.entry(c.key_id).or_default();
        if !v.iter().any(|&j| certs[j].fingerprint == c.fingerprint) {
            v.push(i);
        }
    }
    let mut out = Vec::new();
    for (i, c) in certs.iter().enumerate() {
        let group = &by_key[c.key_id];
        if group.len() < 2 || !group.contains(&i) {
            continue;
        }
        let others: Vec<&str> = group
            .iter()
            .filter(|&&j| j != i)
            .map(|&j| certs[j].subject)
            .collect();
        let fps: Vec<&str> = group
            .iter()
            .filter(|&&j| j != i)
            .map(|&j| certs[j].fingerprint)
            .collect();
        out.push((
            i,
            Finding::new(
                Code::CertKeyReused,
                side,
                format!(
                    "{} shares its key pair with {} other certificate(s): {}",
                    c.subject,
                    others.len(),
                    others.join("; ")
                ),
            )
            .with("shared_with", fps),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-12-01 08:00 UTC);

    #[test]
    fn days_left_rounds_down_and_goes_negative_once_expired() {
        assert_eq!(days_left(datetime!(2026-12-31 08:00 UTC), NOW), 30);
        assert_eq!(days_left(datetime!(2026-12-01 20:00 UTC), NOW), 0);
        assert_eq!(days_left(datetime!(2026-12-01 07:00 UTC), NOW), -1);
        assert_eq!(days_left(datetime!(2026-11-21 08:00 UTC), NOW), -10);
    }

    #[test]
    fn expired_expiring_and_fine_certificates_are_told_apart() {
        let nb = datetime!(2026-01-01 00:00 UTC);
        let f = expiry(
            "CN=old",
            nb,
            datetime!(2026-11-21 08:00 UTC),
            NOW,
            30,
            Side::Server,
        )
        .unwrap();
        assert_eq!(f.code, Code::CertExpired);
        assert_eq!(f.evidence["days_left"], -10);
        let f = expiry(
            "CN=soon",
            nb,
            datetime!(2026-12-20 08:00 UTC),
            NOW,
            30,
            Side::Server,
        )
        .unwrap();
        assert_eq!(f.code, Code::CertExpiringSoon);
        assert_eq!(f.evidence["days_left"], 19);
        assert!(expiry(
            "CN=ok",
            nb,
            datetime!(2027-06-01 00:00 UTC),
            NOW,
            30,
            Side::Server
        )
        .is_none());
        // the window edge belongs to the window; --warn-days 0 only flags expired certificates
        let edge = NOW + time::Duration::days(30);
        assert_eq!(expiry_status(nb, edge, NOW, 30), ExpiryStatus::Expiring);
        assert_eq!(expiry_status(nb, edge, NOW, 0), ExpiryStatus::Ok);
        let future = datetime!(2027-01-01 00:00 UTC);
        let f = expiry(
            "CN=later",
            future,
            datetime!(2028-01-01 00:00 UTC),
            NOW,
            30,
            Side::Server,
        )
        .unwrap();
        assert_eq!(f.code, Code::CertNotYetValid);
    }

    #[test]
    fn world_readable_or_group_writable_keys_are_too_open_but_0640_is_not() {
        assert!(key_permissions("k", 0o600).is_none());
        assert!(key_permissions("k", 0o400).is_none());
        assert!(key_permissions("k", 0o640).is_none());
        let f = key_permissions("/etc/k.pem", 0o100644).unwrap();
        assert_eq!(f.code, Code::KeyPermissionsTooOpen);
        assert_eq!(f.evidence["mode"], "0644");
        assert!(key_permissions("k", 0o660).is_some());
        assert!(key_permissions("k", 0o604).is_some());
    }

    #[test]
    fn key_reuse_names_the_other_certificates_but_ignores_copies_of_one() {
        let certs = [
            KeyUse {
                fingerprint: "a",
                subject: "CN=a",
                key_id: b"k1",
            },
            KeyUse {
                fingerprint: "b",
                subject: "CN=b",
                key_id: b"k1",
            },
            KeyUse {
                fingerprint: "a",
                subject: "CN=a",
                key_id: b"k1",
            },
            KeyUse {
                fingerprint: "c",
                subject: "CN=c",
                key_id: b"k2",
            },
            KeyUse {
                fingerprint: "d",
                subject: "CN=d",
                key_id: b"k3",
            },
            KeyUse {
                fingerprint: "d",
                subject: "CN=d",
                key_id: b"k3",
            },
        ];
        let found = key_reuse(&certs, Side::Local);
        let idx: Vec<usize> = found.iter().map(|(i, _)| *i).collect();
        assert_eq!(idx, vec![0, 1]);
        assert_eq!(found[0].1.code, Code::CertKeyReused);
        assert!(found[0].1.detail.contains("CN=b"));
        assert_eq!(found[1].1.evidence["shared_with"][0], "a");
    }
}
