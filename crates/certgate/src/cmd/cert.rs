//! `certgate cert`.

super::not_yet!("cert", "2");
