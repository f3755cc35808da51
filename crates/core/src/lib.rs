//! certgate-core: the pure heart of certgate. Evidence about a TLS connection goes in, findings
//! with stable reason codes and one verdict come out. No network or file I/O and no clock here:
//! callers pass bytes, facts and `now`. I/O lives in the gateway, probe, lab and trace crates.
#![forbid(unsafe_code)]

pub mod analyse;
pub mod code;
pub mod evidence;
pub mod explain;
pub mod finding;
pub mod wire;
pub mod x509;

pub use code::{Code, Ecosystem, Severity};
pub use finding::{Finding, Report, Side};
