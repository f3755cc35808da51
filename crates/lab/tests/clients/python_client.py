"""Lab client runner for Python: `python3 python_client.py requests|ssl MANIFEST TIMEOUT`.

Calls every scenario of a running `certgate lab` the way an ordinary program would and prints one
JSON line per scenario: {"scenario", "ok", "message"}. `requests` mode uses requests.get with the
manifest's CA bundle and client certificate (requests cannot take a CRL); `ssl` mode uses the
standard library (http.client + ssl) and also loads the manifest's CRL when a scenario has one.
The message is str(exception), what a user sees in a traceback's last line; for an HTTP error
status it is followed by ` body: ` and the response body on one line, as an application logs it.
A plain `http://` URL (the gateway's 497 scenario) is called without TLS, as these clients do.
"""
import http.client
import json
import ssl
import sys


def call_requests(e, timeout):
    import requests

    cert = (e["client_cert"], e["client_key"]) if e.get("client_cert") else None
    r = requests.get(e["url"], verify=e["ca_bundle"], cert=cert, timeout=timeout)
    try:
        r.raise_for_status()
    except requests.HTTPError as exc:
        raise requests.HTTPError(f"{exc} body: {one_line(r.text)}") from None


def call_ssl(e, timeout):
    ctx = ssl.create_default_context(cafile=e["ca_bundle"])
    if e.get("client_cert"):
        ctx.load_cert_chain(e["client_cert"], e["client_key"])
    if e.get("crl"):
        ctx.load_verify_locations(e["crl"])
        ctx.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF
    if e["url"].startswith("http://"):
        conn = http.client.HTTPConnection(e["host"], e["port"], timeout=timeout)
    else:
        conn = http.client.HTTPSConnection(e["host"], e["port"], context=ctx, timeout=timeout)
    conn.request("GET", "/")
    resp = conn.getresponse()
    body = resp.read().decode("utf-8", "replace")
    if resp.status >= 400:
        raise RuntimeError(f"HTTP {resp.status} {resp.reason} body: {one_line(body)}")


def one_line(text):
    return " ".join(text.split())


def main():
    mode, manifest, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
    call = {"requests": call_requests, "ssl": call_ssl}[mode]
    with open(manifest) as f:
        m = json.load(f)
    for e in m["scenarios"]:
        try:
            call(e, timeout)
            out = {"scenario": e["name"], "ok": True, "message": ""}
        except Exception as exc:  # noqa: BLE001 - recording what the client says is the point
            out = {"scenario": e["name"], "ok": False, "message": f"{type(exc).__module__}.{type(exc).__name__}: {exc}"}
        print(json.dumps(out), flush=True)


main()
