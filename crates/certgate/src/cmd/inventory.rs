//! `certgate inventory`.

super::not_yet!("inventory", "9");
