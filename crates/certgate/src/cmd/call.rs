//! `certgate call`.

super::not_yet!("call", "5");
