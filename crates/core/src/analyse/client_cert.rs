//! Client-certificate judgement for the gateway: a presented chain against the route's trusted CAs
//! and CRLs at `now` → one `client_cert.*` verdict with evidence.
