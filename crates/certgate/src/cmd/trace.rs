//! `certgate trace`.

super::not_yet!("trace", "8");
