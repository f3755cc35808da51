//! `certgate lab`.

super::not_yet!("lab", "6");
