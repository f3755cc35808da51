//! The knowledge base: for each code, its title, a plain-words explanation, the generic fix and
//! the fix per client ecosystem. Renderers (HTTP bodies, CLI text, JSON, logs) take their wording
//! from here and nowhere else.
//!
//! To add a code: append it at the end of the `codes!` list in `mod.rs`, then add one arm to
//! [`knowledge`] below. `k(title, explanation, fix)` is a generic entry (valid on its own);
//! `kf(..., &[(Ecosystem, fix), ...])` adds per-ecosystem fixes, which must then cover every
//! ecosystem of [`Code::applies_to`] (a test checks it). Fixes name real flags, options and APIs.

use super::{Code, Ecosystem};
use Ecosystem::{Curl, Dotnet, Go, Java, Nginx, Node, Openssl, PhpCurl, PythonRequests, Rustls};

/// What certgate knows about one reason code.
#[derive(Debug)]
pub struct Knowledge {
    /// Short title ("Client certificate required").
    pub title: &'static str,
    /// One paragraph: what happened, in plain words.
    pub explanation: &'static str,
    /// The generic fix.
    pub fix: &'static str,
    /// Fixes specific to a client ecosystem; the generic fix applies where one is missing.
    pub fixes: &'static [(Ecosystem, &'static str)],
}

/// Per-ecosystem fixes of one entry.
type Fixes = &'static [(Ecosystem, &'static str)];

/// A generic entry: title, explanation and one fix for everybody.
const fn k(title: &'static str, explanation: &'static str, fix: &'static str) -> Knowledge {
    Knowledge {
        title,
        explanation,
        fix,
        fixes: &[],
    }
}

/// A full entry: the generic fix plus one fix per ecosystem it applies to.
const fn kf(
    title: &'static str,
    explanation: &'static str,
    fix: &'static str,
    fixes: Fixes,
) -> Knowledge {
    Knowledge {
        title,
        explanation,
        fix,
        fixes,
    }
}

// Fixes shared by several codes: how each ecosystem is told which CA to trust, and how it is
// given a client certificate. Written once so the wording cannot drift between codes.

const TRUST_CA: Fixes = &[
    (Curl, "Pass the CA that issued the server certificate: `curl --cacert ca.pem https://host/` (or `--capath DIR`). Do not use `-k`/`--insecure` outside a throw-away test."),
    (Openssl, "Give the CA explicitly: `openssl s_client -connect host:443 -servername host -CAfile ca.pem`, or check a file with `openssl verify -CAfile ca.pem [-untrusted intermediates.pem] cert.pem`."),
    (PythonRequests, "Point requests at the CA bundle: `requests.get(url, verify='/path/ca.pem')` or `export REQUESTS_CA_BUNDLE=/path/ca.pem` (requests ignores the system store; it uses certifi). Never `verify=False`."),
    (Node, "Trust the CA in the agent: `new https.Agent({ ca: fs.readFileSync('ca.pem') })` (axios: `httpsAgent`), or start Node with `NODE_EXTRA_CA_CERTS=/path/ca.pem`. Never `NODE_TLS_REJECT_UNAUTHORIZED=0` or `rejectUnauthorized: false`."),
    (Java, "Import the CA into a truststore: `keytool -importcert -alias myca -file ca.pem -keystore truststore.p12 -storetype PKCS12`, then run with `-Djavax.net.ssl.trustStore=truststore.p12 -Djavax.net.ssl.trustStorePassword=...` (or build an SSLContext from a TrustManagerFactory)."),
    (Go, "Add the CA to the pool: `pool := x509.NewCertPool(); pool.AppendCertsFromPEM(caPEM)` and use `&tls.Config{RootCAs: pool}` in `http.Transport.TLSClientConfig` (or `SSL_CERT_FILE=/path/ca.pem` on Linux). Never `InsecureSkipVerify: true`."),
    (PhpCurl, "Give cURL the CA file: `curl_setopt($ch, CURLOPT_CAINFO, '/path/ca.pem');` (Guzzle: `'verify' => '/path/ca.pem'`; php.ini: `curl.cainfo`). Never `CURLOPT_SSL_VERIFYPEER => false`."),
    (Dotnet, "Trust the CA: add it to the OS store (Linux: copy to `/usr/local/share/ca-certificates/` and run `update-ca-certificates`), or in .NET 7+ set `SslOptions.CertificateChainPolicy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, CustomTrustStore = { caCert } }` on `SocketsHttpHandler`."),
    (Rustls, "Add the CA to the root store: `let mut roots = RootCertStore::empty(); roots.add(ca_der)?;` then `ClientConfig::builder().with_root_certificates(roots)`; for the public web use `webpki-roots` or `rustls-native-certs`."),
    (Nginx, "As the server: serve a certificate from a CA your clients trust (`ssl_certificate` = leaf + intermediates), or hand your internal root to the clients. As a client of an upstream: `proxy_ssl_trusted_certificate ca.pem; proxy_ssl_verify on;`."),
];

const SEND_CLIENT_CERT: Fixes = &[
    (Curl, "Send the certificate and key: `curl --cert client.pem --key client.key https://host/` (PKCS#12: `--cert client.p12:password --cert-type P12`). Put intermediates after the leaf in `client.pem`."),
    (Openssl, "`openssl s_client -connect host:443 -servername host -cert client.pem -key client.key` (add `-cert_chain intermediates.pem` when an intermediate CA issued it); the `Acceptable client certificate CA names` line lists the CAs the server accepts."),
    (PythonRequests, "`requests.get(url, cert=('client.pem', 'client.key'))` (or one file holding both). requests cannot read an encrypted key: decrypt it, or mount an adapter with an `ssl.SSLContext` that calls `load_cert_chain(certfile, keyfile, password)`."),
    (Node, "`const agent = new https.Agent({ cert: fs.readFileSync('client.pem'), key: fs.readFileSync('client.key') })` (or `pfx` + `passphrase`), then `https.request(url, { agent })` or axios `{ httpsAgent: agent }`."),
    (Java, "Bundle certificate and key in a keystore: `openssl pkcs12 -export -in client.pem -inkey client.key -certfile intermediates.pem -out client.p12`, then `-Djavax.net.ssl.keyStore=client.p12 -Djavax.net.ssl.keyStoreType=PKCS12 -Djavax.net.ssl.keyStorePassword=...` (or a KeyManagerFactory in your SSLContext). Debug with `-Djavax.net.debug=ssl:handshake`."),
    (Go, "`cert, err := tls.LoadX509KeyPair(\"client.pem\", \"client.key\")` and `&tls.Config{Certificates: []tls.Certificate{cert}}` on the `http.Transport`. Go only sends a certificate whose issuer matches the server's CertificateRequest; use `GetClientCertificate` to see what the server asked for."),
    (PhpCurl, "`curl_setopt($ch, CURLOPT_SSLCERT, '/path/client.pem'); curl_setopt($ch, CURLOPT_SSLKEY, '/path/client.key');` (plus `CURLOPT_KEYPASSWD` for an encrypted key; Guzzle: `'cert' => ..., 'ssl_key' => ...`)."),
    (Dotnet, "`var handler = new HttpClientHandler { ClientCertificateOptions = ClientCertificateOption.Manual }; handler.ClientCertificates.Add(X509Certificate2.CreateFromPemFile(\"client.pem\", \"client.key\"));` (on Windows re-import as PFX so SChannel can use the key)."),
    (Rustls, "`ClientConfig::builder().with_root_certificates(roots).with_client_auth_cert(vec![leaf, intermediate], key)?`; rustls sends nothing when configured `with_no_client_auth()`."),
    (Nginx, "As the server: `ssl_verify_client on;` plus `ssl_client_certificate ca.pem;` is what demands the certificate; use `ssl_verify_client optional;` where anonymous clients are allowed. As a client of an mTLS upstream: `proxy_ssl_certificate client.pem; proxy_ssl_certificate_key client.key;`."),
];

/// The server's certificate is wrong and only its operator can fix it: what each ecosystem
/// should (not) do meanwhile and how it inspects the certificate.
const SERVER_MUST_FIX_CERT: Fixes = &[
    (Curl, "Nothing to change in the command: the server's certificate must be replaced. See what it sends with `curl -v https://host/ 2>&1 | grep -A6 'Server certificate'`; do not reach for `-k`."),
    (Openssl, "Inspect the certificate the server sends: `openssl s_client -connect host:443 -servername host -showcerts </dev/null | openssl x509 -noout -subject -issuer -dates -ext subjectAltName,extendedKeyUsage`."),
    (PythonRequests, "Nothing to change in the code: the server's certificate must be replaced. Do not set `verify=False`; `ssl.get_server_certificate(('host', 443))` returns the served certificate as PEM."),
    (Node, "Nothing to change in the code: the server's certificate must be replaced. Do not set `rejectUnauthorized: false`; `tls.connect(443, 'host').getPeerCertificate()` shows what is served."),
    (Java, "Nothing to change in the code: the server's certificate must be replaced. `-Djavax.net.debug=ssl:handshake` or `keytool -printcert -sslserver host:443` shows what is served."),
    (Go, "Nothing to change in the code: the server's certificate must be replaced. Do not set `InsecureSkipVerify`; `conn.ConnectionState().PeerCertificates` shows what is served."),
    (PhpCurl, "Nothing to change in the code: the server's certificate must be replaced. Do not disable `CURLOPT_SSL_VERIFYPEER`; `CURLOPT_CERTINFO` shows what is served."),
    (Dotnet, "Nothing to change in the code: the server's certificate must be replaced. Do not return `true` from `ServerCertificateCustomValidationCallback`; log its `sslPolicyErrors` and `chain.ChainStatus` to see why."),
    (Rustls, "Nothing to change in the code: the server's certificate must be replaced. Do not install a `dangerous()` verifier that accepts everything."),
    (Nginx, "Install a correct certificate with `ssl_certificate fullchain.pem; ssl_certificate_key privkey.pem;` and `nginx -t && nginx -s reload`."),
];

/// The client's certificate was refused by the server's policy; the client must use a different
/// certificate (chain) and the server's operator decides which ones are accepted.
const CLIENT_NEEDS_OTHER_CERT: Fixes = &[
    (Curl, "Inspect the certificate you send: `openssl x509 -in client.pem -noout -subject -issuer -dates -ext extendedKeyUsage`; then send the right one with `curl --cert client.pem --key client.key` (leaf first, then intermediates, in `client.pem`)."),
    (Openssl, "Check the certificate against the CA the server uses: `openssl verify -CAfile server-accepted-ca.pem -untrusted intermediates.pem -purpose sslclient client.pem`."),
    (PythonRequests, "Use the certificate issued for this server: `cert=('client.pem', 'client.key')`, with `client.pem` holding the leaf followed by its intermediates."),
    (Node, "Use the certificate issued for this server in the agent: `cert: fs.readFileSync('client-fullchain.pem'), key: fs.readFileSync('client.key')` (leaf then intermediates)."),
    (Java, "Put the right certificate with its full chain in the keystore: `openssl pkcs12 -export -in client.pem -inkey client.key -certfile intermediates.pem -out client.p12`; `-Djavax.net.debug=ssl:handshake` shows which certificate Java chose."),
    (Go, "Load the certificate issued for this server with `tls.LoadX509KeyPair` (a PEM file with the leaf then the intermediates becomes `Certificate[0..]`)."),
    (PhpCurl, "Point `CURLOPT_SSLCERT` at the certificate issued for this server (leaf then intermediates) and `CURLOPT_SSLKEY` at its key."),
    (Dotnet, "Add the certificate issued for this server to `handler.ClientCertificates`; on Linux also make its intermediates available (`SslStreamCertificateContext.Create(cert, intermediates)` with `SslClientAuthenticationOptions.ClientCertificateContext`, .NET 8+)."),
    (Rustls, "Pass the certificate issued for this server with its chain: `with_client_auth_cert(vec![leaf, intermediate], key)`."),
    (Nginx, "On the server: `ssl_client_certificate` (or `ssl_trusted_certificate`) must hold the CA(s) that issue client certificates, with `ssl_verify_depth` deep enough for intermediates; `ssl_crl` for revocation. The error log line `client SSL certificate verify error: (N:...)` says why."),
];

pub(super) fn knowledge(code: Code) -> &'static Knowledge {
    use Code::*;
    static OK: Knowledge = k(
        "No problem",
        "The connection and the certificates are fine.",
        "Nothing to fix.",
    );
    static DNS: Knowledge = kf(
        "Host name does not resolve",
        "The host name could not be resolved to an address, so no connection was attempted. TLS and certificates were never involved.",
        "Check the spelling of the host name and the DNS configuration (resolv.conf, /etc/hosts, split-horizon DNS); `getent hosts NAME` shows what this machine resolves.",
        &[
            (Curl, "`curl: (6) Could not resolve host`: check the name; to test a server before DNS exists use `curl --resolve host:443:10.0.0.5 https://host/` (keeps SNI and the Host header right)."),
            (Openssl, "`openssl s_client -connect 10.0.0.5:443 -servername host` tests the server by address while sending the right SNI."),
            (PythonRequests, "Check the URL's host; `socket.getaddrinfo('host', 443)` shows what Python resolves. In containers check the container's DNS, not the host's."),
            (Node, "`ENOTFOUND` / `EAI_AGAIN`: check the host name; `dns.lookup('host', console.log)` shows what Node resolves; `EAI_AGAIN` is a temporary DNS failure."),
            (Java, "`java.net.UnknownHostException`: check the host name and the JVM's DNS cache (`networkaddress.cache.negative.ttl`)."),
            (Go, "`dial tcp: lookup host: no such host`: check the name; `GODEBUG=netdns=go+1` shows which resolver Go used."),
            (PhpCurl, "cURL error 6 (`CURLE_COULDNT_RESOLVE_HOST`): check the host; `CURLOPT_RESOLVE => ['host:443:10.0.0.5']` pins an address for tests."),
            (Dotnet, "`HttpRequestException: No such host is known` / `Name or service not known`: check the host name and the machine's resolver."),
            (Rustls, "rustls never saw a connection: the resolver (tokio/std `ToSocketAddrs`) failed; check the name before building the `ServerName`."),
            (Nginx, "In `proxy_pass`/`upstream` a name is resolved at start-up; for names resolved at run time configure `resolver 127.0.0.53;` (the error log says `could not be resolved`)."),
        ],
    );
    static REFUSED: Knowledge = kf(
        "Connection refused",
        "The host answered, but nothing listens on that port (or a firewall actively rejects it). TLS never started.",
        "Check the port, that the service is running and listening on the right address (`ss -ltnp`), and any firewall between you and it.",
        &[
            (Curl, "`curl: (7) Failed to connect ... Connection refused`: check the port in the URL (https:// defaults to 443) and that the server listens there."),
            (Openssl, "`connect:errno=111`: nothing listens; check the `-connect host:port` and `ss -ltnp` on the server."),
            (PythonRequests, "`NewConnectionError ... [Errno 111] Connection refused`: check the URL's port and that the service is up."),
            (Node, "`ECONNREFUSED`: check host and port; `localhost` may resolve to `::1` first in Node 17+, while the server listens on 127.0.0.1 only."),
            (Java, "`java.net.ConnectException: Connection refused`: check host, port and that the service is up."),
            (Go, "`dial tcp 127.0.0.1:443: connect: connection refused`: check the address and that the service is up."),
            (PhpCurl, "cURL error 7 (`CURLE_COULDNT_CONNECT`): check host, port and that the service is up."),
            (Dotnet, "`HttpRequestException: Connection refused`: check host, port and that the service is up."),
            (Rustls, "The TCP connect failed before rustls ran: check the address you connect to."),
            (Nginx, "Check `listen 443 ssl;` in the server block and `nginx -t`; `ss -ltnp | grep nginx` shows what it listens on."),
        ],
    );
    static TIMEOUT: Knowledge = kf(
        "No answer",
        "The connection or the handshake got no answer within the time limit: the traffic is dropped (firewall, routing) or the service is stuck.",
        "Check that the host is reachable, that a firewall does not drop the traffic, and that the service is not overloaded.",
        &[
            (Curl, "`curl: (28) ... timed out`: test reachability with `curl -v --connect-timeout 5 https://host/`; a hang right after `Connected` points at the server, before it at the network."),
            (Openssl, "`timeout 10 openssl s_client -connect host:443 -servername host`: no `CONNECTED` line means the network drops the traffic."),
            (PythonRequests, "`ConnectTimeout` / `ReadTimeout`: always pass `timeout=(connect, read)`; a connect timeout points at the network or firewall."),
            (Node, "`ETIMEDOUT` / `ESOCKETTIMEDOUT`: check reachability; set `timeout` on the request and handle the `timeout` event."),
            (Java, "`SocketTimeoutException: Connect timed out` / `Read timed out`: check reachability; set connect and read timeouts on the client."),
            (Go, "`i/o timeout` / `context deadline exceeded`: check reachability; set `http.Client.Timeout` and `Dialer.Timeout`."),
            (PhpCurl, "cURL error 28 (`CURLE_OPERATION_TIMEDOUT`): check reachability; set `CURLOPT_CONNECTTIMEOUT` and `CURLOPT_TIMEOUT`."),
            (Dotnet, "`TaskCanceledException` after `HttpClient.Timeout`: check reachability; set `SocketsHttpHandler.ConnectTimeout`."),
            (Rustls, "rustls waits for bytes it never gets: wrap the connect and the handshake in a timeout (`tokio::time::timeout`)."),
            (Nginx, "For upstreams tune `proxy_connect_timeout`/`proxy_read_timeout`; for clients `client_header_timeout`; check `worker_connections` under load."),
        ],
    );
    static NOT_TLS: Knowledge = kf(
        "Peer does not speak TLS",
        "The peer answered with something that is not TLS, for example a plain HTTP response to a ClientHello. The client reads the first bytes as a TLS record and gives up (OpenSSL calls it `wrong version number`).",
        "Use http:// for a plain-text port, or connect to the TLS port of the service.",
        &[
            (Curl, "`curl: (35) ... wrong version number`: the port speaks plain HTTP; use `http://host:port/` or the TLS port."),
            (Openssl, "`s_client` shows `wrong version number` or `packet length too long`: the port is not TLS; for STARTTLS protocols add `-starttls smtp|imap|...`."),
            (PythonRequests, "`[SSL: WRONG_VERSION_NUMBER]`: use `http://` for this port, or the right TLS port; behind a proxy check `HTTPS_PROXY` points at an `http://` proxy URL."),
            (Node, "`ERR_SSL_WRONG_VERSION_NUMBER` / `EPROTO ... wrong version number`: use `http:` for this port or the TLS port."),
            (Java, "`SSLException: Unsupported or unrecognized SSL message`: the port is not TLS; use `http://` or the TLS port."),
            (Go, "`http: server gave HTTP response to HTTPS client` / `tls: first record does not look like a TLS handshake`: use `http://` or the TLS port."),
            (PhpCurl, "cURL error 35 with `wrong version number`: use `http://` or the TLS port."),
            (Dotnet, "`AuthenticationException` / `Received an unexpected EOF or 0 bytes from the transport stream`: check the scheme and port."),
            (Rustls, "`received corrupt message of type InvalidContentType`: the peer is not speaking TLS on this port."),
            (Nginx, "Check that the port has `listen ... ssl;` (without `ssl` nginx answers TLS with plain HTTP) and that `proxy_pass https://` is only used for TLS upstreams."),
        ],
    );
    static VERSION: Knowledge = kf(
        "No TLS version in common",
        "Client and server share no protocol version; typically the server only speaks TLS 1.0/1.1, which modern clients refuse, or the client pins a version the server lacks.",
        "Enable TLS 1.2 and 1.3 on the server. Re-enabling TLS 1.0/1.1 in the client is a last resort.",
        &[
            (Curl, "See what the server accepts with `curl -v --tlsv1.2 --tls-max 1.3 https://host/`; remove `--tls-max` / `--tlsv1.x` flags that pin an old version."),
            (Openssl, "Probe versions: `openssl s_client -connect host:443 -tls1_2` and `-tls1_3`; OpenSSL 3 refuses TLS 1.0/1.1 at its default security level (`-cipher 'DEFAULT:@SECLEVEL=0'` only for a test)."),
            (PythonRequests, "The server must enable TLS 1.2+. Check the context: `ssl.create_default_context().minimum_version`; do not lower it in production."),
            (Node, "Node 12+ defaults to TLS 1.2 minimum (`--tls-min-v1.2`); the server must enable TLS 1.2+. `minVersion`/`maxVersion` in the agent options pin versions."),
            (Java, "`No appropriate protocol (protocol is disabled or cipher suites are inappropriate)`: the server must enable TLS 1.2+; `jdk.tls.disabledAlgorithms` in `java.security` lists what Java refuses, `-Dhttps.protocols=TLSv1.2,TLSv1.3` what it offers."),
            (Go, "The server must enable TLS 1.2+; `tls.Config.MinVersion` defaults to TLS 1.2 for clients (Go 1.18+)."),
            (PhpCurl, "The server must enable TLS 1.2+; remove `CURLOPT_SSLVERSION` settings that pin an old version."),
            (Dotnet, "The server must enable TLS 1.2+; leave `SslProtocols` at `None` (OS default) instead of pinning a version."),
            (Rustls, "rustls only speaks TLS 1.2 and 1.3: the server must enable one of them."),
            (Nginx, "`ssl_protocols TLSv1.2 TLSv1.3;` in the server (and `proxy_ssl_protocols` for upstreams)."),
        ],
    );
    static CIPHER: Knowledge = kf(
        "No cipher suite in common",
        "Client and server share no cipher suite (or no signature algorithm or group), so the handshake cannot proceed.",
        "Enable modern AEAD suites (ECDHE with AES-GCM or ChaCha20-Poly1305) on the server.",
        &[
            (Curl, "Remove `--ciphers`/`--tls13-ciphers` restrictions; `curl -v` shows the suite offered and the alert received."),
            (Openssl, "Probe with `openssl s_client -connect host:443 -cipher ECDHE-RSA-AES128-GCM-SHA256` (TLS 1.2) or `-ciphersuites` (TLS 1.3); `no shared cipher` on the server side lists nothing in common."),
            (PythonRequests, "The server must enable AEAD suites; do not call `set_ciphers()` with a narrow list on the client context."),
            (Node, "The server must enable AEAD suites; drop a custom `ciphers:` option in the agent (defaults: `tls.DEFAULT_CIPHERS`)."),
            (Java, "The server must enable AEAD suites; check `jdk.tls.disabledAlgorithms` and any `setEnabledCipherSuites` call."),
            (Go, "The server must enable AEAD suites; remove a restrictive `tls.Config.CipherSuites` (TLS 1.3 suites are not configurable in Go)."),
            (PhpCurl, "The server must enable AEAD suites; remove `CURLOPT_SSL_CIPHER_LIST` restrictions."),
            (Dotnet, "The server must enable AEAD suites; on Linux `CipherSuitesPolicy` restricts suites, on Windows the OS cipher order does."),
            (Rustls, "rustls offers only AEAD suites with ECDHE: the server must enable one (e.g. `ECDHE-ECDSA-AES128-GCM-SHA256`)."),
            (Nginx, "`ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305;` and an ECDSA or RSA 2048+ certificate."),
        ],
    );
    static ALERT: Knowledge = kf(
        "Handshake aborted by an alert",
        "The peer ended the handshake with a TLS alert that no finer code explains (for example handshake_failure, illegal_parameter, internal_error, unrecognized_name). The alert is named in the detail; the peer's own log says why it sent it.",
        "Read the alert name in the detail and the peer's logs; run `certgate doctor URL` to probe the server.",
        &[
            (Curl, "`curl -v` shows which step the alert came after; with TLS 1.2 an OpenSSL server that wants a client certificate sends handshake_failure: try `--cert client.pem --key client.key`."),
            (Openssl, "`openssl s_client -connect host:443 -servername host -state -msg` shows the message after which the alert arrived."),
            (PythonRequests, "The text after `[SSL: ...]` names the alert; a handshake_failure from a server that requires mTLS goes away with `cert=('client.pem', 'client.key')`."),
            (Node, "The error code `ERR_SSL_SSLV3_ALERT_*` / `ERR_SSL_TLSV1_ALERT_*` names the alert; `NODE_DEBUG=tls` shows the handshake."),
            (Java, "`Received fatal alert: NAME` names it; `-Djavax.net.debug=ssl:handshake` shows the step."),
            (Go, "`remote error: tls: NAME` names it; check `tls.Config` (ServerName, Certificates, MinVersion) against the server."),
            (PhpCurl, "`curl_error()` names the alert; `CURLOPT_VERBOSE` with `CURLOPT_STDERR` shows the step."),
            (Dotnet, "The inner exception names the alert; enable `System.Net.Security` event tracing to see the step."),
            (Rustls, "`received fatal alert: NAME` names it; enable the `log` feature and a logger to see the step."),
            (Nginx, "nginx logs the cause at `info` level (`error_log ... info;`); e.g. `no suitable signature algorithm` or `unrecognized name` point at `ssl_certificate` / `server_name`."),
        ],
    );
    static EXPIRED: Knowledge = kf(
        "Server certificate expired",
        "The server's certificate is past its notAfter date, so clients refuse it. (If it is not, the client's clock is ahead.)",
        "Renew the server certificate and reload the server; set up automated renewal and expiry monitoring (`certgate inventory`).",
        SERVER_MUST_FIX_CERT,
    );
    static NOT_YET: Knowledge = kf(
        "Server certificate not yet valid",
        "The server's certificate has a notBefore date in the future, or the client's clock is behind.",
        "Check the clock of the client (`timedatectl`) and of the machine that issued the certificate; reissue with a correct notBefore.",
        SERVER_MUST_FIX_CERT,
    );
    static HOST: Knowledge = kf(
        "Host name does not match the certificate",
        "None of the certificate's subjectAltNames matches the name the client asked for. The Common Name is ignored by modern clients, and an IP address needs an IP subjectAltName.",
        "Use a host name the certificate lists, or reissue the certificate with the name as a DNS (or IP) subjectAltName.",
        &[
            (Curl, "Use a name from the certificate's SANs (`curl -v` prints `subjectAltName`); to reach it by another address keep the name: `curl --resolve name:443:10.0.0.5 https://name/`."),
            (Openssl, "`openssl s_client -connect host:443 -servername name -verify_hostname name` checks the name; `openssl x509 -noout -ext subjectAltName` lists the SANs."),
            (PythonRequests, "Call the server by a name in its SANs; to connect by IP while checking a name, mount an adapter with `server_hostname` (urllib3 `assert_hostname`) rather than disabling checks."),
            (Node, "`ERR_TLS_CERT_ALTNAME_INVALID`: call a name in the SANs, or set `servername: 'name'` on the request (and only as a last resort a `checkServerIdentity` that checks the expected name)."),
            (Java, "`No subject alternative names present` / `No name matching ... found`: reissue with SANs or call a listed name; a custom `HostnameVerifier` is a last resort."),
            (Go, "`x509: certificate is valid for A, not B`: call a listed name, or set `tls.Config.ServerName` to the name the certificate holds when you dial by address."),
            (PhpCurl, "Call a listed name; `CURLOPT_RESOLVE => ['name:443:10.0.0.5']` reaches another address with the right name. Never set `CURLOPT_SSL_VERIFYHOST` to 0."),
            (Dotnet, "`RemoteCertificateNameMismatch`: call a listed name, or set `SslClientAuthenticationOptions.TargetHost` to it when you connect by address."),
            (Rustls, "`NotValidForName`: pass the name the certificate holds as the `ServerName` (an IP needs `ServerName::IpAddress` and an IP SAN)."),
            (Nginx, "Reissue the certificate with every `server_name` as a SAN; for upstreams set `proxy_ssl_name` and `proxy_ssl_server_name on;`."),
        ],
    );
    static SELF_SIGNED: Knowledge = kf(
        "Self-signed server certificate",
        "The server presents a certificate signed by itself, which the client does not trust.",
        "Use a certificate from a CA the clients trust, or give the clients this certificate as a trust anchor.",
        TRUST_CA,
    );
    static UNTRUSTED: Knowledge = kf(
        "Untrusted root CA",
        "The chain ends at a CA that is not in the client's trust store (a private CA, or a corporate TLS-inspecting proxy). OpenSSL's `unable to get local issuer certificate` also appears when the server omits an intermediate; `certgate doctor` tells the two apart.",
        "Add the issuing root CA to the client's trust store (or pass it explicitly), or use a certificate from a CA the clients trust.",
        TRUST_CA,
    );
    static INCOMPLETE: Knowledge = kf(
        "Incomplete chain (missing intermediate)",
        "The server sends its leaf certificate without the intermediate CA certificate(s) needed to reach a trusted root. Browsers often hide this by fetching or caching intermediates; API clients do not.",
        "Configure the server with the full chain: leaf first, then each intermediate (not the root).",
        &[
            (Curl, "The server must send its intermediate. Meanwhile `curl --cacert bundle.pem` with the root and the intermediate concatenated works; `curl -v` shows the chain depth it got."),
            (Openssl, "`openssl s_client -connect host:443 -servername host -showcerts` shows only one certificate; `openssl verify -CAfile root.pem -untrusted intermediate.pem leaf.pem` proves the missing link."),
            (PythonRequests, "The server must send its intermediate (Python does not fetch it). Meanwhile `verify='bundle.pem'` with root and intermediate works."),
            (Node, "`UNABLE_TO_VERIFY_LEAF_SIGNATURE`: the server must send its intermediate (Node does not fetch it). Meanwhile `ca: [root, intermediate]` in the agent or `NODE_EXTRA_CA_CERTS=bundle.pem`."),
            (Java, "The server must send its intermediate. Meanwhile import it into the truststore (`keytool -importcert -alias intermediate ...`) or enable AIA fetching with `-Dcom.sun.security.enableAIAcaIssuers=true`."),
            (Go, "The server must send its intermediate (Go on Linux does not fetch it). Meanwhile add the intermediate to `RootCAs` as well."),
            (PhpCurl, "The server must send its intermediate. Meanwhile `CURLOPT_CAINFO` pointing at a bundle with root and intermediate works."),
            (Dotnet, "The server must send its intermediate; .NET may fetch it through AIA (slowly, or not at all offline). Meanwhile add it to `X509ChainPolicy.ExtraStore`."),
            (Rustls, "The server must send its intermediate (webpki never fetches it). Meanwhile adding the intermediate to the `RootCertStore` as an anchor works."),
            (Nginx, "`ssl_certificate` must point at the full chain: `cat leaf.pem intermediate.pem > fullchain.pem` (leaf first, root omitted); with certbot use `fullchain.pem`, not `cert.pem`."),
        ],
    );
    static ORDER: Knowledge = kf(
        "Chain out of order",
        "The server sends its chain in the wrong order or with unrelated certificates; lenient clients rebuild it, strict ones (and old ones) refuse it.",
        "Send leaf first, then each issuer in turn; remove unrelated certificates from the chain file.",
        &[
            (Curl, "Usually tolerated by curl/OpenSSL; if it fails, the server must reorder its chain file. `openssl s_client -showcerts` shows the order sent."),
            (Openssl, "`openssl s_client -connect host:443 -servername host -showcerts </dev/null` lists `s:`/`i:` per certificate: each `i:` must equal the next `s:`."),
            (PythonRequests, "OpenSSL (used by Python) usually rebuilds the chain; if verification still fails the server must reorder its chain file."),
            (Node, "OpenSSL (used by Node) usually rebuilds the chain; if verification still fails the server must reorder its chain file."),
            (Java, "Old JDKs reject out-of-order chains (`Certificate chaining error`); the server must send leaf, then issuers in order."),
            (Go, "Go rebuilds chains from the certificates sent; an unrelated certificate is ignored. If it still fails the server must fix the chain."),
            (PhpCurl, "libcurl/OpenSSL usually rebuilds the chain; if it fails the server must reorder its chain file."),
            (Dotnet, "X509Chain rebuilds the chain; on failure check `chain.ChainStatus` and have the server reorder its chain."),
            (Rustls, "webpki tries the intermediates in any order; an unrelated certificate is skipped. Strict failures need the server to fix its chain."),
            (Nginx, "The `ssl_certificate` file must be leaf first, then the intermediate that signed it, and so on; nginx warns nothing, `openssl crl2pkcs7 -nocrl -certfile fullchain.pem | openssl pkcs7 -print_certs -noout` shows the order."),
        ],
    );
    static REVOKED: Knowledge = kf(
        "Certificate revoked",
        "The certificate was revoked by its issuer (listed in a CRL or marked revoked by OCSP).",
        "Issue and install a new certificate; find out why the old one was revoked.",
        SERVER_MUST_FIX_CERT,
    );
    static WEAK_KEY: Knowledge = kf(
        "Weak key",
        "The certificate's key is below current guidance (for example RSA shorter than 2048 bits); OpenSSL 3 at its default security level and most clients refuse it (`ee key too small`).",
        "Reissue the certificate with an ECDSA P-256 or RSA 2048+ key.",
        SERVER_MUST_FIX_CERT,
    );
    static WEAK_SIG: Knowledge = kf(
        "Weak signature algorithm",
        "A certificate in the chain is signed with SHA-1 or MD5, which clients no longer accept (`ca md too weak`).",
        "Reissue the certificate with a SHA-256 (or stronger) signature.",
        SERVER_MUST_FIX_CERT,
    );
    static USAGE: Knowledge = kf(
        "Certificate not valid for this purpose",
        "The certificate's key usage or extended key usage does not allow this purpose (for example a client certificate used as a server certificate).",
        "Reissue the certificate with the right extended key usage (serverAuth for servers, clientAuth for clients).",
        SERVER_MUST_FIX_CERT,
    );
    static CC_REQUIRED: Knowledge = kf(
        "Client certificate required",
        "The server requires a client certificate (mutual TLS) and the client did not send one. Clients only send a certificate when configured with one, and some only when its issuer is among the CAs the server names in its CertificateRequest. With TLS 1.3 the client only learns it on its first read (alert certificate_required, 116).",
        "Send a client certificate and its private key, issued by a CA the server accepts.",
        SEND_CLIENT_CERT,
    );
    static CC_REJECTED: Knowledge = kf(
        "Client certificate rejected",
        "The server received the client certificate and refused it without saying precisely why (TLS alert bad_certificate or certificate_unknown, or HTTP 495).",
        "Check that the certificate is current, issued by a CA the server trusts (send the intermediates too), and meant for client authentication.",
        CLIENT_NEEDS_OTHER_CERT,
    );
    static CC_EXPIRED: Knowledge = kf(
        "Client certificate expired",
        "The client certificate is past its notAfter date (or the server's clock is ahead).",
        "Renew the client certificate and configure the client with the new one.",
        CLIENT_NEEDS_OTHER_CERT,
    );
    static CC_NOT_YET: Knowledge = kf(
        "Client certificate not yet valid",
        "The client certificate's notBefore is in the future, or the server's clock is behind.",
        "Check clocks; reissue the client certificate with a correct notBefore.",
        CLIENT_NEEDS_OTHER_CERT,
    );
    static CC_UNTRUSTED: Knowledge = kf(
        "Client certificate from an untrusted CA",
        "The client certificate does not chain to a CA the server accepts for this route, or the client did not send the intermediate (TLS alert unknown_ca, 48).",
        "Use a client certificate issued by one of the accepted CAs, and send the intermediate certificates with it.",
        CLIENT_NEEDS_OTHER_CERT,
    );
    static CC_REVOKED: Knowledge = kf(
        "Client certificate revoked",
        "The client certificate is listed as revoked by its issuer.",
        "Get a new client certificate from your CA.",
        CLIENT_NEEDS_OTHER_CERT,
    );
    static CC_USAGE: Knowledge = kf(
        "Client certificate not valid for client authentication",
        "The client certificate's key usage or extended key usage does not allow client authentication (it lacks clientAuth, e.g. a server certificate used as a client certificate).",
        "Reissue the client certificate with extended key usage clientAuth.",
        CLIENT_NEEDS_OTHER_CERT,
    );
    static CC_NOT_ALLOWED: Knowledge = kf(
        "Client identity not allowed",
        "The client certificate is valid, but the identity it names is not on this route's allow-list (HTTP 403, or TLS alert access_denied).",
        "Ask the API operator to allow your identity, or use the certificate issued for this API.",
        CLIENT_NEEDS_OTHER_CERT,
    );
    static CC_KEY_MISMATCH: Knowledge = kf(
        "Client certificate and key do not match",
        "The private key given to the client does not belong to the client certificate, so the client cannot prove possession (most clients refuse to start: `key values mismatch`).",
        "Pair the certificate with the key it was issued for: `openssl x509 -in cert.pem -noout -pubkey` and `openssl pkey -in key.pem -pubout` must print the same key.",
        &[
            (Curl, "`curl: (58) unable to set private key file`: pass the key issued with the certificate (`--cert client.pem --key client.key`); compare `openssl x509 -noout -pubkey -in client.pem` with `openssl pkey -pubout -in client.key`."),
            (Openssl, "`openssl s_client -cert client.pem -key client.key` fails with `key values mismatch`; compare `openssl x509 -noout -pubkey -in client.pem` with `openssl pkey -pubout -in client.key`."),
            (PythonRequests, "`[X509: KEY_VALUES_MISMATCH]`: the `cert=(certfile, keyfile)` pair does not belong together; use the key the certificate was issued for."),
            (Node, "`ERR_OSSL_X509_KEY_VALUES_MISMATCH` from `tls.createSecureContext`: `cert` and `key` in the agent options do not belong together."),
            (Java, "A keystore entry's certificate must match its key; rebuild it with `openssl pkcs12 -export -in client.pem -inkey client.key -out client.p12` (it fails on a mismatch)."),
            (Go, "`tls: private key does not match public key` from `tls.LoadX509KeyPair`: use the key issued with the certificate."),
            (PhpCurl, "cURL error 58 (`CURLE_SSL_CERTPROBLEM`): `CURLOPT_SSLCERT` and `CURLOPT_SSLKEY` must be a matching pair."),
            (Dotnet, "`X509Certificate2.CreateFromPemFile(cert, key)` throws `The key contents do not contain a PEM, the content is malformed, or the key does not match the certificate`: use the matching key."),
            (Rustls, "`with_client_auth_cert` returns an error for an inconsistent key (rustls 0.23: `InconsistentKeys::KeyMismatch`): use the key issued with the certificate."),
            (Nginx, "The same mistake on the server: nginx refuses to start with `SSL_CTX_use_PrivateKey(...) failed (... key values mismatch)`; `ssl_certificate_key` must be the key of `ssl_certificate`. As a client of an upstream, the same holds for `proxy_ssl_certificate`/`proxy_ssl_certificate_key`."),
        ],
    );
    static PLAIN: Knowledge = kf(
        "Plain HTTP sent to a TLS port",
        "The client spoke plain HTTP to a port that expects TLS; the server answers 497 (or nginx's 400 `The plain HTTP request was sent to HTTPS port`).",
        "Use https:// in the URL.",
        &[
            (Curl, "Use `https://host:port/`; curl speaks plain HTTP for `http://` URLs whatever the port."),
            (Openssl, "Talk TLS to the port: `openssl s_client -connect host:port -servername host` (not `nc`/`telnet`)."),
            (PythonRequests, "Use an `https://` URL; check base URLs built from config and `HTTP(S)_PROXY` settings."),
            (Node, "Use `https.request` (or an `https://` URL in axios/fetch); `http.request` never speaks TLS."),
            (Java, "Use an `https://` URL so `HttpsURLConnection`/`HttpClient` negotiates TLS."),
            (Go, "Use an `https://` URL; a plain `net.Dial` needs `tls.Client` on top."),
            (PhpCurl, "Use an `https://` URL in `CURLOPT_URL`."),
            (Dotnet, "Use an `https://` URI in `HttpClient.BaseAddress`/the request."),
            (Rustls, "Wrap the TCP stream in a rustls `ClientConnection` (tokio-rustls `TlsConnector`) before writing HTTP."),
            (Nginx, "nginx answers 400 by default; `error_page 497 =301 https://$host$request_uri;` redirects plain HTTP on a TLS port."),
        ],
    );
    static UP_DOWN: Knowledge = kf(
        "Upstream unavailable",
        "The gateway could not connect to the upstream service (HTTP 502). The client's TLS was fine.",
        "Check that the upstream service is running and reachable from the gateway.",
        &[(Nginx, "Check `proxy_pass` and the `upstream` block; the error log says `connect() failed (111: Connection refused) while connecting to upstream`; `max_fails`/`fail_timeout` control retries.")],
    );
    static UP_SLOW: Knowledge = kf(
        "Upstream timed out",
        "The upstream service did not answer within the gateway's time limit (HTTP 504). The client's TLS was fine.",
        "Check the upstream service's health and load, or raise the gateway's upstream timeout.",
        &[(Nginx, "Check the upstream's health; the error log says `upstream timed out (110: Connection timed out)`; tune `proxy_connect_timeout`, `proxy_read_timeout`.")],
    );
    static EXPIRING: Knowledge = kf(
        "Certificate expires soon",
        "The certificate is still valid but its notAfter date falls inside the warning window; when it passes, clients will refuse it and the service goes down.",
        "Renew the certificate now and reload the service that uses it; automate renewal (ACME, cert-manager) and keep expiry monitoring on.",
        &[
            (Curl, "See the date the server sends: `curl -v https://host/ 2>&1 | grep 'expire date'`; for a client certificate file: `openssl x509 -in client.pem -noout -enddate`."),
            (Openssl, "`openssl x509 -in cert.pem -noout -enddate -checkend 2592000` (exit 1 when it expires within 30 days); for a server: `openssl s_client -connect host:443 -servername host </dev/null | openssl x509 -noout -enddate`."),
            (PythonRequests, "Nothing breaks yet; renew before notAfter. For your client certificate (`cert=`), alert on `cryptography.x509.load_pem_x509_certificate(data).not_valid_after_utc`."),
            (Node, "Nothing breaks yet; renew before notAfter. `tls.connect(...).getPeerCertificate().valid_to` shows a server's date; watch your own `cert:` file the same way."),
            (Java, "Nothing breaks yet; renew before notAfter and re-import: `keytool -list -v -keystore client.p12` shows `Valid until` for keystore entries."),
            (Go, "Nothing breaks yet; renew before notAfter. `tls.Certificate.Leaf.NotAfter` (Go 1.23+ fills Leaf) or `ConnectionState().PeerCertificates[0].NotAfter` give the date to monitor."),
            (PhpCurl, "Nothing breaks yet; renew before notAfter. `openssl_x509_parse(file_get_contents('client.pem'))['validTo_time_t']` gives the date to monitor."),
            (Dotnet, "Nothing breaks yet; renew before notAfter. `X509Certificate2.NotAfter` of the client certificate (or of the server's, in the validation callback) gives the date to monitor."),
            (Rustls, "Nothing breaks yet; renew before notAfter. Parse `peer_certificates()[0]` (or your own chain) with x509-parser to monitor `validity().not_after`."),
            (Nginx, "Renew, replace the files named by `ssl_certificate`/`ssl_certificate_key` and `nginx -s reload`; with certbot check `certbot renew --dry-run` and its timer."),
        ],
    );
    static KEY_REUSED: Knowledge = kf(
        "Key reused across certificates",
        "Several different certificates carry the same public key, so one leaked private key compromises all of them and renewing a certificate does not rotate its key.",
        "Generate a fresh key pair for each certificate and for each renewal (certbot: --reuse-key off; cert-manager: rotationPolicy: Always).",
        &[
            (Curl, "Issue the next client certificate for a new key (`openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out new.key`, then a CSR) and pass it with `--key new.key`."),
            (Openssl, "Make a new key per certificate: `openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout new.key -out new.csr`; `openssl x509 -noout -pubkey` shows which certificates share one."),
            (PythonRequests, "Request the next client certificate for a new key and change `cert=('new.pem', 'new.key')`."),
            (Node, "Request the next client certificate for a new key and change the agent's `cert`/`key` (or `pfx`)."),
            (Java, "Generate a new key pair in a new keystore entry (`keytool -genkeypair`, or `openssl pkcs12 -export` from a new key) for each certificate."),
            (Go, "Generate a new key (`ecdsa.GenerateKey(elliptic.P256(), rand.Reader)`) for each certificate and load the pair with `tls.LoadX509KeyPair`."),
            (PhpCurl, "Request the next client certificate for a new key and point `CURLOPT_SSLKEY` at it."),
            (Dotnet, "Create a new key per certificate (`ECDsa.Create()` + `CertificateRequest`) instead of reusing the old certificate's key."),
            (Rustls, "Generate a new key per certificate (rcgen `KeyPair::generate()`) and pass it to `with_client_auth_cert`."),
            (Nginx, "Point `ssl_certificate_key` at a key made for this certificate; certbot: `--new-key` (or `reuse_key = False` in the renewal config)."),
        ],
    );
    static KEY_OPEN: Knowledge = kf(
        "Private key file permissions too open",
        "A private key file can be read or written by users other than its owner and its group, so any local account or process may copy the key.",
        "Restrict the file: chmod 600 (or 640 with a dedicated group such as ssl-cert) and make it owned by the service account; then consider the key exposed and rotate it.",
        &[
            (Curl, "`chmod 600 client.key` (owned by the user who runs curl); curl reads it with `--key client.key`."),
            (Openssl, "`chmod 600 key.pem`; `openssl pkey -in key.pem -out key-enc.pem -aes256` stores it encrypted if it must sit on a shared disk."),
            (PythonRequests, "`chmod 600` the `cert=` key file and own it by the service account that runs Python."),
            (Node, "`chmod 600` the key given to `https.Agent({ key })` and own it by the service account that runs Node."),
            (Java, "`chmod 600 client.p12` and use a non-default keystore password (`-Djavax.net.ssl.keyStorePassword`, ideally from a secret store)."),
            (Go, "`chmod 600` the key read by `tls.LoadX509KeyPair`; write new keys with `os.WriteFile(path, pem, 0o600)`."),
            (PhpCurl, "`chmod 640` the `CURLOPT_SSLKEY` file with group = the PHP-FPM user (e.g. `www-data`), owner root."),
            (Dotnet, "`chmod 600` the PEM/PFX key file (Linux) or restrict the key container's ACL (Windows certificate store)."),
            (Rustls, "`chmod 600` the key file you load; create new ones with `OpenOptions::new().mode(0o600)`."),
            (Nginx, "`chown root:root` and `chmod 600` the `ssl_certificate_key` file: nginx reads it as root before dropping privileges."),
        ],
    );
    static CERT_REJECTED: Knowledge = kf(
        "Server certificate refused by the client",
        "The client aborted the handshake right after the server's certificate with an alert that does not say which check failed (bad_certificate, certificate_unknown), or, in TLS 1.3, with an encrypted alert. Nearly always the certificate is untrusted, expired or for another name.",
        "Run `certgate doctor` against the server with the client's trust store to see which check fails; then fix the server's chain or the client's trust store.",
        &[
            (Curl, "`curl -v https://host/` prints the verify error (`SSL certificate problem: ...`) that made curl refuse the certificate; `certgate explain` maps it."),
            (Openssl, "`openssl s_client -connect host:443 -servername host -verify_return_error -CAfile ca.pem` prints `verify error:num=N` naming the failed check."),
            (PythonRequests, "The client's `SSLCertVerificationError` names the failed check (`certificate verify failed: ...`); fix that (usually `verify='ca.pem'`)."),
            (Node, "The client's error code (`CERT_HAS_EXPIRED`, `UNABLE_TO_GET_ISSUER_CERT_LOCALLY`, `ERR_TLS_CERT_ALTNAME_INVALID`...) names the failed check."),
            (Java, "Java sends certificate_unknown for every PKIX failure; the client's `SSLHandshakeException` (or `-Djavax.net.debug=ssl:handshake`) names the check, usually a truststore without the CA."),
            (Go, "Go sends bad_certificate; the client's `x509:` error names the check (unknown authority, expired, not valid for name)."),
            (PhpCurl, "`curl_error()` on the client names the check (`SSL certificate problem: ...`)."),
            (Dotnet, "`sslPolicyErrors` and `chain.ChainStatus` in `ServerCertificateCustomValidationCallback` name the check."),
            (Rustls, "The client's `invalid peer certificate: ...` error names the check (UnknownIssuer, expired, NotValidForName)."),
            (Nginx, "Check what nginx serves: `ssl_certificate` must be the full chain for every `server_name`, current, from a CA the clients trust (`openssl s_client -showcerts`)."),
        ],
    );
    static INCOMPLETE_HS: Knowledge = kf(
        "Handshake did not finish",
        "The handshake stopped before it finished and no alert says why: one side closed or reset the connection silently, or the capture ends early.",
        "Look at the logs of the side that closed the connection; for a capture, record the whole connection (start before connecting, full snap length).",
        &[
            (Curl, "`curl -v` (or `--trace-ascii -`) shows the last handshake step before the close; a close right after the server's CertificateRequest means it wants `--cert/--key`."),
            (Openssl, "`openssl s_client -connect host:443 -servername host -state -msg` shows the last message exchanged before the close."),
            (PythonRequests, "An `EOF occurred in violation of protocol` often means the server (or a proxy) dropped you; check `HTTPS_PROXY`, then try `cert=(...)` if the server wants mTLS."),
            (Node, "`ECONNRESET` / `socket disconnected before secure TLS connection was established`: run with `NODE_DEBUG=tls,net`; check proxies (`HTTPS_PROXY`) and whether the server wants a client certificate."),
            (Java, "`Remote host terminated the handshake`: `-Djavax.net.debug=ssl:handshake` shows the last step; check versions (`-Dhttps.protocols`) and client certificate."),
            (Go, "`EOF` / `connection reset by peer` during `Handshake()`: check the server's log; set `tls.Config.ServerName`, `Certificates` and `MinVersion` to what it expects."),
            (PhpCurl, "Enable `CURLOPT_VERBOSE` (with `CURLOPT_STDERR`) to see the last handshake step before the close."),
            (Dotnet, "`Received an unexpected EOF or 0 bytes from the transport stream`: enable `System.Net.Security` tracing; check `SslProtocols` and the client certificate."),
            (Rustls, "An unexpected EOF during the handshake: enable rustls logging; check the server's log for why it closed."),
            (Nginx, "With `error_log ... info;` nginx logs `peer closed connection in SSL handshake` for clients that give up; check timeouts (`ssl_handshake_timeout`, 1.25+) and proxies in front."),
        ],
    );
    static LEGACY_VERSION: Knowledge = kf(
        "Legacy TLS versions enabled",
        "Besides TLS 1.2/1.3 the server still accepts TLS 1.0, TLS 1.1 or SSLv3, which are deprecated (RFC 8996) and refused by current clients; they only widen the attack surface.",
        "Disable TLS 1.0/1.1 and SSLv3 on the server (nginx: `ssl_protocols TLSv1.2 TLSv1.3;`).",
        &[
            (Curl, "Nothing to change in the client. Verify the fix with `curl --tlsv1.0 --tls-max 1.1 https://host/`, which must fail once the server is fixed."),
            (Openssl, "Verify: `openssl s_client -connect host:443 -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0'` must fail once the server is fixed."),
            (PythonRequests, "Nothing to change in the client (Python's default context already refuses TLS 1.0/1.1); never lower `minimum_version`."),
            (Node, "Nothing to change in the client (Node's default minimum is TLS 1.2); never start Node with `--tls-min-v1.0`."),
            (Java, "Nothing to change in the client (JDK 11.0.11+ disables TLS 1.0/1.1 in `jdk.tls.disabledAlgorithms`); do not re-enable them."),
            (Go, "Nothing to change in the client (Go's default minimum is TLS 1.2); do not set `MinVersion: tls.VersionTLS10`."),
            (PhpCurl, "Nothing to change in the client; do not set `CURLOPT_SSLVERSION` to a TLS 1.0/1.1 value."),
            (Dotnet, "Nothing to change in the client; leave `SslProtocols` at the OS default instead of listing `Tls`/`Tls11`."),
            (Rustls, "Nothing to change: rustls never speaks TLS 1.0/1.1."),
            (Nginx, "`ssl_protocols TLSv1.2 TLSv1.3;` in every `server` (nginx takes it from the default server of the listener)."),
        ],
    );
    static CC_REVOCATION_UNKNOWN: Knowledge = k(
        "Client certificate revocation status unknown",
        "The gateway checks client certificates with OCSP and its policy is fail-closed: the OCSP responder could not be reached, did not answer in time, answered `unknown`, or sent an answer that did not verify, so the certificate was refused although its chain is valid.",
        "Nothing is wrong with the client's files: retry later. Operators: check that the OCSP responder (the certificate's AIA URL or the route's `ocsp.responder`) is reachable from the gateway and knows this CA's certificates, or set the route's `ocsp.policy = \"fail-open\"` to accept certificates when the responder is down.",
    );
    static WEAK_CIPHER: Knowledge = kf(
        "Weak cipher suites enabled",
        "The server accepts cipher suites that are broken or below current guidance (RC4, DES/3DES, export-grade, NULL or anonymous suites).",
        "Remove them from the server's cipher list; keep ECDHE with AES-GCM or ChaCha20-Poly1305 (nginx: `ssl_ciphers HIGH:!aNULL:!MD5:!3DES:!RC4;`).",
        &[
            (Curl, "Nothing to change in the client. Verify with `curl --ciphers DES-CBC3-SHA --tls-max 1.2 https://host/`, which must fail once the server is fixed."),
            (Openssl, "Verify: `openssl s_client -connect host:443 -tls1_2 -cipher '3DES:RC4:@SECLEVEL=0'` must fail once the server is fixed."),
            (PythonRequests, "Nothing to change in the client; do not widen the cipher list with `ssl_context.set_ciphers(...)`."),
            (Node, "Nothing to change in the client; do not pass weak suites in `ciphers:` or `--tls-cipher-list`."),
            (Java, "Nothing to change in the client; keep `jdk.tls.disabledAlgorithms` (3DES, RC4, NULL, anon are disabled by default)."),
            (Go, "Nothing to change in the client; do not add `tls.InsecureCipherSuites()` to `CipherSuites`."),
            (PhpCurl, "Nothing to change in the client; do not widen `CURLOPT_SSL_CIPHER_LIST`."),
            (Dotnet, "Nothing to change in the client; do not widen `CipherSuitesPolicy`."),
            (Rustls, "Nothing to change: rustls offers only AEAD suites with forward secrecy."),
            (Nginx, "`ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384;` and `ssl_prefer_server_ciphers off;`."),
        ],
    );
    match code {
        Ok => &OK,
        DnsResolutionFailed => &DNS,
        TcpConnectionRefused => &REFUSED,
        TcpTimeout => &TIMEOUT,
        HandshakeNotTls => &NOT_TLS,
        HandshakeProtocolVersion => &VERSION,
        HandshakeNoSharedCipher => &CIPHER,
        HandshakeAlert => &ALERT,
        CertExpired => &EXPIRED,
        CertNotYetValid => &NOT_YET,
        CertHostnameMismatch => &HOST,
        CertSelfSigned => &SELF_SIGNED,
        CertUntrustedRoot => &UNTRUSTED,
        CertIncompleteChain => &INCOMPLETE,
        CertChainOrder => &ORDER,
        CertRevoked => &REVOKED,
        CertWeakKey => &WEAK_KEY,
        CertWeakSignature => &WEAK_SIG,
        CertWrongUsage => &USAGE,
        ClientCertRequired => &CC_REQUIRED,
        ClientCertRejected => &CC_REJECTED,
        ClientCertExpired => &CC_EXPIRED,
        ClientCertNotYetValid => &CC_NOT_YET,
        ClientCertUntrusted => &CC_UNTRUSTED,
        ClientCertRevoked => &CC_REVOKED,
        ClientCertWrongUsage => &CC_USAGE,
        ClientCertNotAllowed => &CC_NOT_ALLOWED,
        ClientCertKeyMismatch => &CC_KEY_MISMATCH,
        HttpPlainToTls => &PLAIN,
        UpstreamUnavailable => &UP_DOWN,
        UpstreamTimeout => &UP_SLOW,
        CertExpiringSoon => &EXPIRING,
        CertKeyReused => &KEY_REUSED,
        KeyPermissionsTooOpen => &KEY_OPEN,
        CertRejected => &CERT_REJECTED,
        HandshakeIncomplete => &INCOMPLETE_HS,
        HandshakeLegacyVersion => &LEGACY_VERSION,
        HandshakeWeakCipher => &WEAK_CIPHER,
        ClientCertRevocationUnknown => &CC_REVOCATION_UNKNOWN,
    }
}
