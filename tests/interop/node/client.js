// The Node seed snippet, unmodified in substance: axios with an https.Agent carrying the client
// certificate. Prints one JSON line: {"status", "data"} or {"error"} (a network-level failure).
// Usage: node client.js URL CA [CERT KEY]
const axios = require('axios');
const https = require('https');
const fs = require('fs');

const [url, ca, cert, key] = process.argv.slice(2);
const opts = { ca: fs.readFileSync(ca) };
if (cert) {
  opts.cert = fs.readFileSync(cert);
  opts.key = fs.readFileSync(key);
}
const httpsAgent = new https.Agent(opts);

axios
  .get(url, { httpsAgent })
  .then((r) => console.log(JSON.stringify({ status: r.status, data: r.data })))
  .catch((e) => {
    if (e.response) {
      console.log(JSON.stringify({ status: e.response.status, data: e.response.data, message: e.message }));
    } else {
      console.log(JSON.stringify({ error: e.code || e.message }));
    }
  });
