// Lab client runner for Java: `java LabClient.java MANIFEST TIMEOUT_SECONDS` (JDK 11+).
// Calls every scenario with java.net.http.HttpClient (CA bundle, client certificate and CRL from
// the manifest) and prints one JSON line per scenario: {"scenario", "ok", "message"}. The message
// is the exception's toString() followed by its causes, as a stack trace's "Caused by:" lines;
// for an HTTP error status, `HTTP N body: ...` with the response body on one line.
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.*;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.*;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.*;

public class LabClient {
    public static void main(String[] args) throws Exception {
        String json = Files.readString(Path.of(args[0]));
        Duration timeout = Duration.ofMillis((long) (Double.parseDouble(args[1]) * 1000));
        int start = json.indexOf("\"scenarios\"");
        int end = json.indexOf("\"unavailable\"");
        Matcher obj = Pattern.compile("\\{([^{}]*)\\}").matcher(json.substring(start, end));
        while (obj.find()) {
            Map<String, String> e = fields(obj.group(1));
            String message;
            try {
                message = call(e, timeout);
            } catch (Exception ex) {
                message = describe(ex);
            }
            System.out.println("{\"scenario\": " + quote(e.get("name")) + ", \"ok\": "
                    + (message == null) + ", \"message\": " + quote(message == null ? "" : message) + "}");
        }
        System.exit(0);
    }

    static Map<String, String> fields(String body) {
        Map<String, String> m = new HashMap<>();
        Matcher f = Pattern.compile("\"(\\w+)\":\\s*(\"((?:[^\"\\\\]|\\\\.)*)\"|null|true|false|\\d+)").matcher(body);
        while (f.find()) {
            m.put(f.group(1), f.group(3) != null ? f.group(3).replace("\\\\", "\\") : (f.group(2).equals("null") ? null : f.group(2)));
        }
        return m;
    }

    static String call(Map<String, String> e, Duration timeout) throws Exception {
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        int i = 0;
        for (Certificate c : cf.generateCertificates(new ByteArrayInputStream(Files.readAllBytes(Path.of(e.get("ca_bundle")))))) {
            trust.setCertificateEntry("ca" + i++, c);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        if (e.get("crl") != null) {
            PKIXBuilderParameters params = new PKIXBuilderParameters(trust, new X509CertSelector());
            Collection<? extends CRL> crls = cf.generateCRLs(new ByteArrayInputStream(Files.readAllBytes(Path.of(e.get("crl")))));
            params.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(crls)));
            PKIXRevocationChecker rc = (PKIXRevocationChecker) CertPathValidator.getInstance("PKIX").getRevocationChecker();
            rc.setOptions(EnumSet.of(PKIXRevocationChecker.Option.ONLY_END_ENTITY, PKIXRevocationChecker.Option.PREFER_CRLS,
                    PKIXRevocationChecker.Option.NO_FALLBACK));
            params.addCertPathChecker(rc);
            params.setRevocationEnabled(false);
            tmf.init(new CertPathTrustManagerParameters(params));
        } else {
            tmf.init(trust);
        }
        KeyManager[] kms = null;
        if (e.get("client_cert") != null) {
            Certificate[] chain = cf.generateCertificates(new ByteArrayInputStream(Files.readAllBytes(Path.of(e.get("client_cert"))))).toArray(new Certificate[0]);
            String pem = Files.readString(Path.of(e.get("client_key")));
            byte[] der = Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", ""));
            PrivateKey key = KeyFactory.getInstance(chain[0].getPublicKey().getAlgorithm()).generatePrivate(new PKCS8EncodedKeySpec(der));
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            ks.setKeyEntry("client", key, new char[0], chain);
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, new char[0]);
            kms = kmf.getKeyManagers();
        }
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kms, tmf.getTrustManagers(), null);
        HttpClient client = HttpClient.newBuilder().sslContext(ctx).connectTimeout(timeout)
                .version(HttpClient.Version.HTTP_1_1).build();
        HttpRequest req = HttpRequest.newBuilder(URI.create(e.get("url"))).timeout(timeout).GET().build();
        // Headers are enough: openssl s_server's HTTP/1.0 answers never end for HttpClient.
        HttpResponse<java.io.InputStream> resp = client.send(req, HttpResponse.BodyHandlers.ofInputStream());
        if (resp.statusCode() < 400) return null;
        String body = new String(resp.body().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        return "HTTP " + resp.statusCode() + " body: " + body.trim().replaceAll("\\s+", " ");
    }

    static String describe(Throwable t) {
        StringBuilder sb = new StringBuilder(t.toString());
        Set<Throwable> seen = new HashSet<>();
        for (Throwable c = t.getCause(); c != null && seen.add(c); c = c.getCause()) {
            // HttpClient re-wraps the same exception; keep only causes that add something.
            if (!sb.toString().contains(String.valueOf(c.getMessage()))) {
                sb.append("; Caused by: ").append(c);
            }
        }
        return sb.toString();
    }

    static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '"': sb.append("\\\""); break;
                case '\\': sb.append("\\\\"); break;
                case '\n': sb.append("\\n"); break;
                case '\r': sb.append("\\r"); break;
                case '\t': sb.append("\\t"); break;
                default:
                    if (ch < 0x20) sb.append(String.format("\\u%04x", (int) ch)); else sb.append(ch);
            }
        }
        return sb.append('"').toString();
    }
}
