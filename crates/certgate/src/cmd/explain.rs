//! `certgate explain`.

super::not_yet!("explain", "7");
