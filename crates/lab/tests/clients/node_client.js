// Lab client runner for Node.js: `node node_client.js MANIFEST TIMEOUT_SECONDS`.
// Calls every scenario with https.get (CA bundle, client certificate and CRL from the manifest)
// and prints one JSON line per scenario: {"scenario", "ok", "message"}. The message is what Node
// prints for the error: `Name [CODE]: message`; for an HTTP error status, `HTTP status reason
// body: ...` with the response body on one line. `http://` URLs (the gateway's 497 scenario) go
// through the http module, as an application configured with that URL would.
'use strict';
const fs = require('fs');
const http = require('http');
const https = require('https');

const [manifestPath, timeoutSecs] = process.argv.slice(2);
const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
const timeoutMs = Math.round(parseFloat(timeoutSecs) * 1000);

function call(e) {
  return new Promise((resolve) => {
    const opts = {
      ca: fs.readFileSync(e.ca_bundle),
      signal: AbortSignal.timeout(timeoutMs),
      agent: false,
    };
    if (e.client_cert) {
      opts.cert = fs.readFileSync(e.client_cert);
      opts.key = fs.readFileSync(e.client_key);
    }
    // Node loads one CRL per buffer: split the file into its PEM blocks (it checks the chain).
    if (e.crl) opts.crl = fs.readFileSync(e.crl, 'utf8').match(/-----BEGIN X509 CRL-----[^-]+-----END X509 CRL-----/g);
    const get = e.url.startsWith('http://') ? http.get : https.get;
    const req = get(e.url, opts, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { body += chunk; });
      res.on('end', () => resolve(res.statusCode < 400 ? null
        : `HTTP ${res.statusCode} ${res.statusMessage} body: ${body.split(/\s+/).join(' ').trim()}`));
      res.on('error', (err) => resolve(describe(err)));
    });
    req.on('error', (err) => resolve(describe(err)));
  });
}

function describe(err) {
  return err.code ? `${err.name} [${err.code}]: ${err.message}` : `${err.name}: ${err.message}`;
}

(async () => {
  for (const e of manifest.scenarios) {
    const message = await call(e);
    console.log(JSON.stringify({ scenario: e.name, ok: message === null, message: message || '' }));
  }
})();
