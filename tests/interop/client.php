<?php
// The PHP seed snippet: cURL with CURLOPT_SSLCERT / CURLOPT_SSLKEY.
// Prints one JSON line: {"status", "data"} or {"error"}. Usage: php client.php URL CA [CERT KEY]
[$_, $url, $ca] = $argv;
$ch = curl_init($url);
curl_setopt($ch, CURLOPT_RETURNTRANSFER, true);
curl_setopt($ch, CURLOPT_CAINFO, $ca);
curl_setopt($ch, CURLOPT_TIMEOUT, 10);
if (count($argv) > 4) {
    curl_setopt($ch, CURLOPT_SSLCERT, $argv[3]);
    curl_setopt($ch, CURLOPT_SSLKEY, $argv[4]);
}
$body = curl_exec($ch);
if ($body === false) {
    echo json_encode(["error" => curl_error($ch)]), "\n";
} else {
    echo json_encode(["status" => curl_getinfo($ch, CURLINFO_RESPONSE_CODE), "data" => json_decode($body)]), "\n";
}
