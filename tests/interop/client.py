"""The Python seed snippet: requests.get(url, cert=(crt, key)), catching a 496 as HTTPError.
Prints one JSON line: {"status", "data"} or {"status", "data", "http_error"} or {"error"}.
Usage: python3 client.py URL CA [CERT KEY]"""
import json
import sys

import requests

url, ca = sys.argv[1], sys.argv[2]
cert = (sys.argv[3], sys.argv[4]) if len(sys.argv) > 4 else None
try:
    r = requests.get(url, cert=cert, verify=ca, timeout=10)
    r.raise_for_status()
    print(json.dumps({"status": r.status_code, "data": r.json()}))
except requests.exceptions.HTTPError as e:
    print(json.dumps({"status": e.response.status_code, "data": e.response.json(), "http_error": str(e)}))
except requests.exceptions.RequestException as e:
    print(json.dumps({"error": str(e)}))
