//! certgate-inventory: finds certificates and private keys in files (PEM, DER, PKCS#12,
//! Kubernetes secrets) and on TLS endpoints, and joins them into one inventory with reason-coded
//! findings. The judgements (expiry, key reuse, permissions) are core's; this crate walks, reads
//! and connects, and renders the result as a table, JSON, Prometheus text and an HTML report.
#![forbid(unsafe_code)]

pub mod cert;
pub mod endpoint;
pub mod file;
pub mod html;
pub mod key;
pub mod metrics;
pub mod render;
pub mod scan;

pub use endpoint::Endpoint;
pub use scan::{scan, Inventory, Progress, ScanOptions, Target};
