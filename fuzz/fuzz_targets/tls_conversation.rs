//! Both directions of one connection (a `conversation::script`: chunks of tag, length, bytes) →
//! TLS record framing, handshake parsing (tls-parser), the analysis and both renderings.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let r = certgate_trace::conversation::replay(data);
    let _ = r.verdict();
    let _ = r.to_text();
    let _ = r.to_json();
});
