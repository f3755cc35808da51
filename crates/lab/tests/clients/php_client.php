<?php
// Lab client runner for PHP cURL: `php php_client.php MANIFEST TIMEOUT_SECONDS`.
// Calls every scenario with curl_exec (CA bundle, client certificate and CRL from the manifest)
// and prints one JSON line per scenario: {"scenario", "ok", "message"}. The message is
// `cURL error N: curl_error()`, the form Guzzle and most PHP code report; for an HTTP error
// status, `HTTP N body: ...` with the response body on one line.
$m = json_decode(file_get_contents($argv[1]), true);
$timeout = (float) $argv[2];
foreach ($m['scenarios'] as $e) {
    $ch = curl_init($e['url']);
    curl_setopt($ch, CURLOPT_RETURNTRANSFER, true);
    curl_setopt($ch, CURLOPT_CAINFO, $e['ca_bundle']);
    curl_setopt($ch, CURLOPT_TIMEOUT_MS, (int) ($timeout * 1000));
    if (!empty($e['client_cert'])) {
        curl_setopt($ch, CURLOPT_SSLCERT, $e['client_cert']);
        curl_setopt($ch, CURLOPT_SSLKEY, $e['client_key']);
    }
    if (!empty($e['crl'])) {
        curl_setopt($ch, CURLOPT_CRLFILE, $e['crl']);
    }
    $body = curl_exec($ch);
    $status = curl_getinfo($ch, CURLINFO_RESPONSE_CODE);
    if ($body === false) {
        $msg = 'cURL error ' . curl_errno($ch) . ': ' . curl_error($ch);
    } elseif ($status >= 400) {
        $msg = "HTTP $status body: " . trim(preg_replace('/\s+/', ' ', $body));
    } else {
        $msg = '';
    }
    curl_close($ch);
    echo json_encode(['scenario' => $e['name'], 'ok' => $msg === '', 'message' => $msg], JSON_UNESCAPED_SLASHES), "\n";
}
