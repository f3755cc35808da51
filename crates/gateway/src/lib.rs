//! certgate-gateway: the mTLS reverse proxy (DESIGN.md §4). Built in issue 3.

pub mod ocsp;
