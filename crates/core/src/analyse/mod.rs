//! Pure analyses, one file per concern. Each takes observed facts plus `now` and returns findings;
//! none of them does I/O or reads the clock.

pub mod chain;
pub mod client_cert;
pub mod handshake;
pub mod inventory;
pub mod probe;
pub mod protocol;
