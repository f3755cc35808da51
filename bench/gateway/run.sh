#!/usr/bin/env bash
# certgate serve vs nginx 1.22, side by side in one run: same certificates, same upstream, the
# server pinned to CPU 0 and every load generator to CPU 1. The figure compared is server CPU
# (utime+stime of the server's processes from /proc) per operation, so a loader that cannot saturate
# the server still gives a fair ratio (research/nginx-baseline.md explains why raw rates mislead
# on this host). Prints a table with certgate/nginx ratios and the targets of issue 4.
#
#   bench/gateway/run.sh            3 interleaved repetitions of 10 s runs (about 8 minutes)
#   bench/gateway/run.sh --quick    1 repetition of 3 s runs, 200 idle connections (about 1 minute)
#   options: --reps N  --secs S  --idle N  --no-build  --only nginx|certgate
#   env: BENCH_DIR (default /tmp/certgate-bench), CERTGATE (binary; default: target/release/certgate)
#
# Needs: nginx (Debian nginx-light), openssl, taskset, python3, cargo. Not run by the test suite.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
REPS=3 SECS=10 IDLE=1000 BUILD=1 ONLY="" CLIENTS=3
while [ $# -gt 0 ]; do
  case $1 in
    --quick) REPS=1 SECS=3 IDLE=200 ;;
    --reps) REPS=$2; shift ;;
    --secs) SECS=$2; shift ;;
    --idle) IDLE=$2; shift ;;
    --no-build) BUILD=0 ;;
    --only) ONLY=$2; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
for t in nginx openssl taskset python3; do
  command -v $t >/dev/null || { echo "run.sh: $t is not installed (apt-get install nginx-light openssl util-linux python3)" >&2; exit 2; }
done

BENCH_DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/certgate-bench}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=$BENCH_DIR/results/$STAMP
PKI=$BENCH_DIR/pki
mkdir -p "$OUT" "$BENCH_DIR/nginx"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
PORT_UP=${PORT_UP:-19580} PORT_NGINX=${PORT_NGINX:-19543} PORT_CG=${PORT_CG:-19643}
TICK=$(getconf CLK_TCK)

# ---- build ------------------------------------------------------------------------------------
if [ "$BUILD" = 1 ]; then
  (cd "$ROOT" && cargo build --release -q -p certgate -p certgate-loadgen) >&2
fi
LOADGEN=$ROOT/target/release/certgate-loadgen
CERTGATE=${CERTGATE:-$ROOT/target/release/certgate}
[ -x "$LOADGEN" ] || { echo "run.sh: $LOADGEN missing (run without --no-build)" >&2; exit 2; }

"$HERE/pki.sh" "$PKI"

# ---- processes --------------------------------------------------------------------------------
PIDS_TO_STOP=()
cleanup() {
  for p in "${PIDS_TO_STOP[@]}"; do kill "$p" 2>/dev/null || true; done
  for f in "$BENCH_DIR"/nginx/*.pid; do [ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
}
trap cleanup EXIT

USER_LINE=""; [ "$(id -u)" = 0 ] && USER_LINE="user root;"
nginx_conf() { # name body
  cat > "$BENCH_DIR/nginx/$1.conf" <<CONF
$USER_LINE
worker_processes 1;
worker_rlimit_nofile 65536;
pid $BENCH_DIR/nginx/$1.pid;
error_log $BENCH_DIR/nginx/$1-error.log warn;
events { worker_connections 16384; }
http {
  access_log off;
  client_body_temp_path $BENCH_DIR/nginx/tmp-$1-body;
  proxy_temp_path $BENCH_DIR/nginx/tmp-$1-proxy;
  fastcgi_temp_path $BENCH_DIR/nginx/tmp-$1-fcgi;
  uwsgi_temp_path $BENCH_DIR/nginx/tmp-$1-uwsgi;
  scgi_temp_path $BENCH_DIR/nginx/tmp-$1-scgi;
  keepalive_requests 1000000;
  keepalive_timeout 300s;
$2
}
CONF
}
# The upstream both gateways proxy to: a 12-byte body, like the baseline's /small.
nginx_conf upstream "
  server {
    listen 127.0.0.1:$PORT_UP;
    location / { default_type text/plain; return 200 'hello, mtls\n'; }
  }"
# The anchor: nginx as an mTLS gateway (ssl_verify_client on + ssl_crl), forwarding identity headers
# over a keep-alive upstream pool, as an operator would configure it. Both servers send the upstream
# the same headers: nginx's X-SSL-Client-* set with the escaped PEM (certgate --header-format nginx;
# its default adds RFC 9440 and XFCC, about 1.5 kB more per request).
nginx_conf front "
  upstream backend { server 127.0.0.1:$PORT_UP; keepalive 64; }
  ssl_session_cache shared:SSL:10m;
  server {
    listen 127.0.0.1:$PORT_NGINX ssl;
    server_name localhost;
    ssl_certificate $PKI/server.crt;
    ssl_certificate_key $PKI/server.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_client_certificate $PKI/ca.crt;
    ssl_verify_client on;
    ssl_verify_depth 2;
    ssl_crl $PKI/crl.pem;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection \"\";
      proxy_set_header X-SSL-Client-Verify \$ssl_client_verify;
      proxy_set_header X-SSL-Client-S-DN \$ssl_client_s_dn;
      proxy_set_header X-SSL-Client-I-DN \$ssl_client_i_dn;
      proxy_set_header X-SSL-Client-Serial \$ssl_client_serial;
      proxy_set_header X-SSL-Client-Fingerprint \$ssl_client_fingerprint;
      proxy_set_header X-SSL-Client-Cert \$ssl_client_escaped_cert;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto https;
    }
  }"

start_nginx() { # name cpu
  rm -f "$BENCH_DIR/nginx/$1.pid"
  taskset -c "$2" nginx -q -p "$BENCH_DIR/nginx" -e "$BENCH_DIR/nginx/$1-error.log" -c "$BENCH_DIR/nginx/$1.conf"
  for _ in $(seq 50); do [ -s "$BENCH_DIR/nginx/$1.pid" ] && return 0; sleep 0.1; done
  echo "run.sh: nginx $1 did not start; see $BENCH_DIR/nginx/$1-error.log" >&2; exit 2
}
wait_port() { # port seconds
  for _ in $(seq $(($2 * 10))); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
for p in $PORT_UP $PORT_NGINX $PORT_CG; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
    echo "run.sh: port $p is busy (set PORT_UP / PORT_NGINX / PORT_CG)" >&2; exit 2
  fi
done

# The upstream shares CPU 1 with the load generators, so CPU 0 belongs to the server alone.
start_nginx upstream 1
SERVERS=()
if [ "$ONLY" != certgate ]; then
  start_nginx front 0
  wait_port "$PORT_NGINX" 5
  SERVERS+=(nginx)
fi
CG_STATUS="not on main yet"
start_certgate() {
  taskset -c 0 "$CERTGATE" serve --listen "127.0.0.1:$PORT_CG" --cert "$PKI/server.crt" \
    --key "$PKI/server.key" --client-ca "$PKI/ca.crt" --crl "$PKI/crl.pem" \
    --upstream "http://127.0.0.1:$PORT_UP" --header-format nginx >>"$OUT/certgate.log" 2>&1 &
  CG_PID=$!
  PIDS_TO_STOP+=("$CG_PID")
  wait_port "$PORT_CG" 20
}
if [ "$ONLY" != nginx ]; then
  if [ -x "$CERTGATE" ] && "$CERTGATE" serve --help 2>/dev/null | grep -q -- '--upstream'; then
    if start_certgate; then
      SERVERS+=(certgate)
      CG_STATUS="ok"
    else
      CG_STATUS="did not start (see $OUT/certgate.log)"
      echo "run.sh: certgate $CG_STATUS" >&2
    fi
  else
    echo "run.sh: certgate serve with --upstream is not built yet: certgate column n/a" >&2
  fi
fi
# Memory is measured on a fresh process of each server (see idle_run).
restart() { # server
  case $1 in
    nginx)
      local m; m=$(cat "$BENCH_DIR/nginx/front.pid"); kill "$m"
      for _ in $(seq 50); do kill -0 "$m" 2>/dev/null || break; sleep 0.1; done
      start_nginx front 0; wait_port "$PORT_NGINX" 5 ;;
    certgate)
      kill "$CG_PID"; wait "$CG_PID" 2>/dev/null || true
      start_certgate ;;
  esac
}

server_pids() { # server -> all its pids
  case $1 in
    nginx) local m; m=$(cat "$BENCH_DIR/nginx/front.pid"); echo "$m $(pgrep -P "$m" | tr '\n' ' ')" ;;
    certgate) echo "$CG_PID" ;;
  esac
}
cpu_ticks() { # server -> utime+stime of all its processes, in clock ticks
  local sum=0 p
  for p in $(server_pids "$1"); do
    sum=$((sum + $(sed 's/.*) //' "/proc/$p/stat" | awk '{print $12 + $13}')))
  done
  echo $sum
}
rss_kb() { # server -> VmRSS of all its processes, kB
  local sum=0 p
  for p in $(server_pids "$1"); do
    sum=$((sum + $(awk '/^VmRSS/ {print $2}' "/proc/$p/status")))
  done
  echo $sum
}
port_of() { case $1 in nginx) echo "$PORT_NGINX" ;; certgate) echo "$PORT_CG" ;; esac; }

RAW=$OUT/raw.tsv
printf 'rep\tserver\tfigure\tops\tcpu_us\tsecs\textra\n' > "$RAW"
row() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >> "$RAW"; }

# s_time: CLIENTS parallel clients (one cannot load the server: it does as much crypto per mTLS
# handshake as the server). Counts "N connections in" of each client; for -reuse also the 'r' marks.
stime() { # rep server figure args...
  local rep=$1 srv=$2 fig=$3; shift 3
  local port c0 c1 t0 t1 i ops=0 reused=0 pids=()
  port=$(port_of "$srv")
  c0=$(cpu_ticks "$srv"); t0=$(date +%s.%N)
  for i in $(seq "$CLIENTS"); do
    taskset -c 1 openssl s_time -connect "127.0.0.1:$port" "$@" -cert "$PKI/client.crt" \
      -key "$PKI/client.key" -CAfile "$PKI/ca.crt" -time "$SECS" > "$OUT/$fig-$srv-$rep-$i.txt" 2>&1 &
    pids+=($!)
  done
  wait "${pids[@]}" || true
  c1=$(cpu_ticks "$srv"); t1=$(date +%s.%N)
  for i in $(seq "$CLIENTS"); do
    local f=$OUT/$fig-$srv-$rep-$i.txt n
    n=$(awk '/connections in [0-9.]+s;/ {print $1; exit}' "$f")
    [ -n "$n" ] || { echo "run.sh: s_time failed against $srv, see $f" >&2; n=0; }
    ops=$((ops + n))
    reused=$((reused + $(awk '/^[.r*]+$/ {n += gsub(/r/, "")} END {print n + 0}' "$f")))
  done
  row "$rep" "$srv" "$fig" "$ops" $(( (c1 - c0) * 1000000 / TICK )) "$(awk "BEGIN {print $t1 - $t0}")" "reused=$reused"
}

loadgen_run() { # rep server figure connections
  local rep=$1 srv=$2 fig=$3 conns=$4 port url c0 c1 json
  if [ "$srv" = upstream ]; then
    url="http://127.0.0.1:$PORT_UP/small"
    c0=0
  else
    port=$(port_of "$srv"); url="https://127.0.0.1:$port/small"
    c0=$(cpu_ticks "$srv")
  fi
  json=$(taskset -c 1 "$LOADGEN" load "$url" --cacert "$PKI/ca.crt" --cert "$PKI/client.crt" \
    --key "$PKI/client.key" -c "$conns" -d "$SECS" 2>>"$OUT/loadgen.err" || echo '{}')
  if [ "$srv" = upstream ]; then c1=0; else c1=$(cpu_ticks "$srv"); fi
  local n
  n=$(python3 -c 'import json,sys; d=json.loads(sys.argv[1] or "{}"); print(d.get("statuses",{}).get("200",0))' "$json")
  row "$rep" "$srv" "$fig" "$n" $(( (c1 - c0) * 1000000 / TICK )) "$SECS" "$json"
}

idle_run() { # rep server: on a fresh process, the RSS slope over a second batch of IDLE held
  # connections after a first batch has warmed the allocator (a fresh process's first connections
  # also pay for arenas and caches; a process after the load runs has freed memory to reuse, which
  # hid most of the cost: both would mislead).
  local rep=$1 srv=$2 port r0 r1 r2 b lps=() f
  port=$(port_of "$srv")
  sleep 1; r0=$(rss_kb "$srv")
  for b in 1 2; do
    f=$OUT/idle-$srv-$rep-$b.txt
    taskset -c 1 "$LOADGEN" idle "https://127.0.0.1:$port/small" --cacert "$PKI/ca.crt" \
      --cert "$PKI/client.crt" --key "$PKI/client.key" -n "$IDLE" --hold 600 > "$f" 2>&1 &
    lps+=($!)
    for _ in $(seq 1200); do grep -q READY "$f" && break; sleep 0.1; done
    sleep 2
    if [ "$b" = 1 ]; then r1=$(rss_kb "$srv"); else r2=$(rss_kb "$srv"); fi
  done
  kill "${lps[@]}" 2>/dev/null || true; wait "${lps[@]}" 2>/dev/null || true
  local ok; ok=$(sed -n 's/^READY ok=\([0-9]*\).*/\1/p' "$OUT/idle-$srv-$rep-2.txt")
  row "$rep" "$srv" idle_rss "${ok:-0}" 0 0 "rss_before_kb=$r1 rss_after_kb=$r2 rss_start_kb=$r0"
  sleep 1
}

echo "run.sh: results in $OUT (servers: ${SERVERS[*]:-none}; $REPS x ${SECS}s; $CLIENTS s_time clients)" >&2
for rep in $(seq "$REPS"); do
  for srv in "${SERVERS[@]}"; do
    echo "run.sh: rep $rep/$REPS $srv" >&2
    stime "$rep" "$srv" full13 -new -tls1_3
    stime "$rep" "$srv" full12 -new -tls1_2
    stime "$rep" "$srv" resumed13 -reuse -tls1_3 -www /small
    stime "$rep" "$srv" resumed12 -reuse -tls1_2 -www /small
    loadgen_run "$rep" "$srv" keepalive 50
    loadgen_run "$rep" "$srv" latency 1
  done
  loadgen_run "$rep" upstream latency 1
  for srv in "${SERVERS[@]}"; do restart "$srv"; idle_run "$rep" "$srv"; done
done

{
  echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
  echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet 2>/dev/null || echo '+dirty')"
  echo "nginx: $(nginx -v 2>&1 | sed 's/.*: //'), $(openssl version | cut -d' ' -f1-2)"
  echo "certgate: $CG_STATUS"
  echo "runs: $REPS x ${SECS}s, $CLIENTS parallel s_time clients, $IDLE idle connections"
} > "$OUT/meta.txt"
python3 "$HERE/report.py" "$OUT" | tee "$OUT/report.md"
