//! `certgate serve`.

super::not_yet!("serve", "3");
