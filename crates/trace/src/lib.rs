//! certgate-trace: reconstruct TLS handshakes from captures and a live relay. Built in issue 8.
