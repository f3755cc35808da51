#!/usr/bin/env bash
# Benchmark PKI (ECDSA P-256, ecdsa-with-SHA256, like research/nginx-baseline.md): a root CA, a
# server certificate for localhost/127.0.0.1, a valid client certificate, a revoked one and the
# root's CRL listing it. Made with `openssl ca` so nginx and certgate load byte-identical files.
# Usage: pki.sh DIR   (does nothing when DIR/crl.pem already exists)
set -euo pipefail
D=$1
[ -s "$D/crl.pem" ] && exit 0
mkdir -p "$D" && cd "$D"
rm -rf db && mkdir db && : > db/index.txt && echo 1000 > db/serial && echo 1000 > db/crlnumber
cat > ca.cnf <<CNF
[ ca ]
default_ca = bench
[ bench ]
dir = .
database = db/index.txt
serial = db/serial
crlnumber = db/crlnumber
new_certs_dir = db
certificate = ca.crt
private_key = ca.key
default_md = sha256
default_days = 365
default_crl_days = 30
policy = any
unique_subject = no
copy_extensions = none
[ any ]
commonName = supplied
organizationName = optional
[ server ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
[ client ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
CNF
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
key ca.key
openssl req -x509 -new -key ca.key -sha256 -days 3650 -subj "/O=certgate-bench/CN=certgate-bench Root CA" \
  -addext "basicConstraints=critical,CA:true" -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.crt
issue() { # name CN extensions
  key "$1.key"
  openssl req -new -key "$1.key" -subj "/O=certgate-bench/CN=$2" -out "$1.csr"
  openssl ca -batch -config ca.cnf -extensions "$3" -in "$1.csr" -out "$1.crt" -notext 2>/dev/null
}
issue server localhost server
issue client client-valid client
issue revoked client-revoked client
openssl ca -config ca.cnf -revoke revoked.crt -crl_reason keyCompromise 2>/dev/null
openssl ca -config ca.cnf -gencrl -out crl.pem 2>/dev/null
rm -f ./*.csr
