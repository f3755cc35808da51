//! Strings from client documentation and source (see patterns.rs for where each comes from);
//! strings captured from real clients live in tests/explain/fixtures.jsonl.

use super::*;
use crate::code::Ecosystem::*;

fn code(text: &str) -> Option<&'static str> {
    explain(text).code().map(Code::as_str)
}

fn eco(text: &str) -> Option<Ecosystem> {
    explain(text).best().and_then(|m| m.ecosystem)
}

#[test]
fn go_messages_from_crypto_tls_and_x509() {
    let get = r#"Get "https://api.example:8443/": "#;
    assert_eq!(
        code(&format!(
            "{get}tls: failed to verify certificate: x509: certificate signed by unknown authority"
        )),
        Some("cert.untrusted_root")
    );
    assert_eq!(code(&format!("{get}x509: certificate has expired or is not yet valid: current time 2026-12-01T08:00:00Z is after 2026-01-01T00:00:00Z")), Some("cert.expired"));
    assert_eq!(code("x509: certificate has expired or is not yet valid: current time 2026-12-01T08:00:00Z is before 2027-01-01T00:00:00Z"), Some("cert.not_yet_valid"));
    assert_eq!(
        code("x509: certificate is valid for a.example, b.example, not c.example"),
        Some("cert.hostname_mismatch")
    );
    assert_eq!(code("x509: cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs"), Some("cert.hostname_mismatch"));
    assert_eq!(
        code("x509: certificate specifies an incompatible key usage"),
        Some("cert.wrong_usage")
    );
    assert_eq!(
        code("remote error: tls: certificate required"),
        Some("client_cert.required")
    );
    assert_eq!(
        code("remote error: tls: bad certificate"),
        Some("client_cert.rejected")
    );
    assert_eq!(
        code("remote error: tls: unknown certificate authority"),
        Some("client_cert.untrusted")
    );
    assert_eq!(
        code("remote error: tls: expired certificate"),
        Some("client_cert.expired")
    );
    assert_eq!(
        code("http: server gave HTTP response to HTTPS client"),
        Some("handshake.not_tls")
    );
    assert_eq!(
        code("tls: first record does not look like a TLS handshake"),
        Some("handshake.not_tls")
    );
    assert_eq!(
        code("tls: private key does not match public key"),
        Some("client_cert.key_mismatch")
    );
    assert_eq!(
        code("dial tcp: lookup nope.invalid: no such host"),
        Some("dns.resolution_failed")
    );
    assert_eq!(
        code("dial tcp 127.0.0.1:1: connect: connection refused"),
        Some("tcp.connection_refused")
    );
    assert_eq!(
        eco("x509: certificate signed by unknown authority"),
        Some(Go)
    );
    // A Go server's log: the client's alert is about the server's certificate.
    assert_eq!(code("http: TLS handshake error from 127.0.0.1:50000: remote error: tls: unknown certificate authority"), Some("cert.untrusted_root"));
    assert_eq!(code("http: TLS handshake error from 127.0.0.1:50000: tls: client didn't provide a certificate"), Some("client_cert.required"));
}

#[test]
fn dotnet_messages_from_system_net_security() {
    let inner = "System.Security.Authentication.AuthenticationException: The remote certificate is invalid according to the validation procedure: RemoteCertificateNameMismatch";
    assert_eq!(code(inner), Some("cert.hostname_mismatch"));
    assert_eq!(eco(inner), Some(Dotnet));
    assert_eq!(code("The remote certificate is invalid because of errors in the certificate chain: UntrustedRoot"), Some("cert.untrusted_root"));
    assert_eq!(code("The remote certificate is invalid because of errors in the certificate chain: PartialChain"), Some("cert.incomplete_chain"));
    assert_eq!(code("The remote certificate is invalid because of errors in the certificate chain: NotTimeValid"), Some("cert.expired"));
    assert_eq!(
        code(
            "The remote certificate is invalid because of errors in the certificate chain: Revoked"
        ),
        Some("cert.revoked")
    );
    assert_eq!(code("Authentication failed because the remote party sent a TLS alert: 'CertificateRequired'."), Some("client_cert.required"));
    assert_eq!(
        code("Authentication failed because the remote party sent a TLS alert: 'UnknownCA'."),
        Some("client_cert.untrusted")
    );
    assert_eq!(
        code("System.Net.Http.HttpRequestException: No such host is known. (nope.invalid:443)"),
        Some("dns.resolution_failed")
    );
}

#[test]
fn rustls_messages_from_its_error_display() {
    assert_eq!(
        code("invalid peer certificate: UnknownIssuer"),
        Some("cert.untrusted_root")
    );
    assert_eq!(code("invalid peer certificate: certificate expired: verification time 1790000000 (UNIX), but certificate is not valid after 1780000000 (10000000 seconds ago)"), Some("cert.expired"));
    assert_eq!(code("invalid peer certificate: certificate not valid for name \"a.example\"; certificate is only valid for DnsName(\"b.example\")"), Some("cert.hostname_mismatch"));
    assert_eq!(
        code("received fatal alert: CertificateRequired"),
        Some("client_cert.required")
    );
    assert_eq!(
        code("received fatal alert: BadCertificate"),
        Some("client_cert.rejected")
    );
    assert_eq!(eco("received fatal alert: UnknownCA"), Some(Rustls));
    assert_eq!(
        code("received corrupt message of type InvalidContentType"),
        Some("handshake.not_tls")
    );
}

#[test]
fn java_messages() {
    let pkix = "javax.net.ssl.SSLHandshakeException: PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target";
    assert_eq!(code(pkix), Some("cert.untrusted_root"));
    assert_eq!(eco(pkix), Some(Java));
    assert_eq!(
        code("javax.net.ssl.SSLHandshakeException: No subject alternative names present"),
        Some("cert.hostname_mismatch")
    );
    assert_eq!(
        code("javax.net.ssl.SSLHandshakeException: Received fatal alert: bad_certificate"),
        Some("client_cert.rejected")
    );
    assert_eq!(
        code("javax.net.ssl.SSLHandshakeException: Received fatal alert: handshake_failure"),
        Some("handshake.no_shared_cipher")
    );
    assert_eq!(
        code("javax.net.ssl.SSLException: Unsupported or unrecognized SSL message"),
        Some("handshake.not_tls")
    );
}

#[test]
fn certgate_bodies_and_logs_carry_their_code() {
    let body = r#"{"error":"This API requires a client certificate.","code":"client_cert.required","status":496}"#;
    assert_eq!(code(body), Some("client_cert.required"));
    assert_eq!(
        code("HTTP/1.1 496 SSL Certificate Required"),
        Some("client_cert.required")
    );
    assert_eq!(
        code("X-SSL-Client-Verify: FAILED:client_cert.revoked"),
        Some("client_cert.revoked")
    );
    assert_eq!(code(r#"{"code":"ok"}"#), None);
    assert_eq!(code(r#"{"code":"not.a_code"}"#), None);
}

#[test]
fn nginx_log_lines_are_read_from_the_servers_side() {
    let log = "2026/12/01 08:00:01 [info] 1234#1234: *1 client sent no required SSL certificate while reading client request headers, client: 10.0.0.7, server: api, request: \"GET / HTTP/1.1\", host: \"api:8443\"\n\
2026/12/01 08:00:02 [info] 1234#1234: *2 client SSL certificate verify error: (10:certificate has expired) while reading client request headers, client: 10.0.0.8, server: api\n\
2026/12/01 09:10:00 [info] 1234#1234: *3 client sent plain HTTP request to HTTPS port while reading client request headers, client: 10.0.0.7, server: api\n\
2026/12/01 09:11:00 [info] 1234#1234: *4 SSL_do_handshake() failed (SSL: error:0A000418:SSL routines::tlsv1 alert unknown ca:SSL alert number 48) while SSL handshaking, client: 10.0.0.9, server: 0.0.0.0:8443\n\
2026/12/01 09:12:00 [error] 1234#1234: *5 connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.0.7, server: api\n\
an unrelated line\n";
    let e = explain(log);
    let got: Vec<(usize, &str)> = e
        .matches
        .iter()
        .map(|m| (m.line, m.code.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (1, "client_cert.required"),
            (2, "client_cert.expired"),
            (3, "http.plain_to_tls"),
            (4, "cert.untrusted_root"),
            (5, "upstream.unavailable"),
        ]
    );
    assert!(e.matches.iter().all(|m| m.ecosystem == Some(Nginx)));
    let s = e.summary();
    assert_eq!(
        s.codes[&Code::ClientCertRequired].first_seen.as_deref(),
        Some("2026/12/01 08:00:01")
    );
    assert_eq!(s.per_hour["2026-12-01T09"].values().sum::<usize>(), 3);
    assert_eq!(Summary::top(&s.clients, 1), [("10.0.0.7", 3)]);
    assert_eq!(e.lines, 6);
}

#[test]
fn ecosystem_comes_from_the_rest_of_a_traceback() {
    let tb = "Traceback (most recent call last):\n  File \"x.py\", line 1, in <module>\nssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate (_ssl.c:1006)\n";
    let e = explain(tb);
    assert_eq!(e.code(), Some(Code::CertIncompleteChain));
    assert_eq!(e.best().unwrap().ecosystem, Some(PythonRequests));
    assert_eq!(e.best().unwrap().line, 3);
}

#[test]
fn a_specific_cause_beats_the_generic_verify_failure_on_the_same_line() {
    assert_eq!(
        code("error:0A000086:SSL routines::certificate verify failed: certificate has expired"),
        Some("cert.expired")
    );
    assert_eq!(
        code("SSL certificate problem: self-signed certificate in certificate chain"),
        Some("cert.untrusted_root")
    );
    assert_eq!(
        code("SSL certificate problem: self-signed certificate"),
        Some("cert.self_signed")
    );
    assert_eq!(
        code("unable to verify the first certificate"),
        Some("cert.incomplete_chain")
    );
    assert_eq!(code("hello world"), None);
}

#[test]
fn aborts_without_an_alert_are_an_incomplete_handshake() {
    assert_eq!(code("Error: Client network socket disconnected before secure TLS connection was established"), Some("handshake.incomplete"));
    assert_eq!(code("2026/12/01 08:00:00 [info] 9#9: *1 peer closed connection in SSL handshake while SSL handshaking, client: 10.0.0.1, server: 0.0.0.0:443"), Some("handshake.incomplete"));
    assert_eq!(code("2026/12/01 08:00:00 [info] 9#9: *1 SSL_do_handshake() failed (SSL: error:0A000412:SSL routines::sslv3 alert bad certificate:SSL alert number 42) while SSL handshaking, client: 10.0.0.1, server: 0.0.0.0:443"), Some("cert.rejected"));
}

#[test]
fn envoy_and_grpc_boringssl_lines() {
    // Envoy's debug log and gRPC's ssl_transport_security.cc, as quoted in public issue threads.
    let envoy = "2026-10-09T10:03:12.003750Z\tdebug\tenvoy connection external/envoy/source/common/tls/ssl_socket.cc:269\t[Tags: \"ConnectionId\":\"79\"] remote address:127.0.0.1:53492,TLS_error:|268435648:SSL routines:OPENSSL_internal:PEER_DID_NOT_RETURN_A_CERTIFICATE:peer did not provide required client certificate:TLS_error_end\tthread=28";
    assert_eq!(code(envoy), Some("client_cert.required"));
    assert_eq!(
        explain(envoy).best().unwrap().timestamp.as_deref(),
        Some("2026-10-09T10:03:12.003750Z")
    );
    assert_eq!(code("Handshake failed with fatal error SSL_ERROR_SSL: error:100000c0:SSL routines:OPENSSL_internal:PEER_DID_NOT_RETURN_A_CERTIFICATE."), Some("client_cert.required"));
    assert_eq!(code("TLS_error:|268435581:SSL routines:OPENSSL_internal:SSLV3_ALERT_BAD_CERTIFICATE:TLS_error_end"), Some("client_cert.rejected"));
}
