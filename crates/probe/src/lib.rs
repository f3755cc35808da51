//! certgate-probe: act as a TLS client to gather evidence about a server. Built in issue 5.

pub mod capture;
