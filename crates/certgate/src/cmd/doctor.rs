//! `certgate doctor`.

super::not_yet!("doctor", "5");
