#!/usr/bin/env python3
"""Summarise bench/gateway/run.sh's raw.tsv: medians over repetitions of per-operation server CPU,
latency and memory, with certgate/nginx ratios and issue 4's targets. Usage: report.py RESULTS_DIR"""
import json
import statistics
import sys
from pathlib import Path

out = Path(sys.argv[1])
rows = [line.split("\t") for line in (out / "raw.tsv").read_text().splitlines()[1:] if line]


def samples(server, figure):
    return [r for r in rows if r[1] == server and r[2] == figure]


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def cpu_per_op(server, figure):
    """µs of server CPU per operation (median over repetitions) and the op rate."""
    per, rate = [], []
    for _rep, _srv, _fig, ops, cpu_us, secs, _extra in samples(server, figure):
        ops, cpu_us, secs = int(ops), int(cpu_us), float(secs)
        if ops > 0:
            per.append(cpu_us / ops)
            rate.append(ops / secs if secs else None)
    return med(per), med(rate), len(per)


def load_field(server, figure, field):
    vals = []
    for r in samples(server, figure):
        try:
            vals.append(json.loads(r[6]).get(field))
        except json.JSONDecodeError:
            pass
    return med(vals)


def idle_kb(server):
    per = []
    for _rep, _srv, _fig, ok, _c, _s, extra in samples(server, "idle_rss"):
        kv = dict(p.split("=") for p in extra.split())
        if int(ok) > 0:
            per.append((int(kv["rss_after_kb"]) - int(kv["rss_before_kb"])) / int(ok))
    return med(per)


def reused(server, figure):
    tot = res = 0
    for r in samples(server, figure):
        tot += int(r[3])
        res += int(r[6].split("=")[1])
    return f"{100 * res / tot:.0f}% resumed" if tot else ""


def fmt(v, unit=""):
    if v is None:
        return "n/a"
    if abs(v) >= 100:
        return f"{v:,.0f}{unit}"
    return f"{v:.1f}{unit}"


def ratio(c, n):
    return None if c is None or n in (None, 0) else c / n


table = []


def add(name, n, c, target=None, ok=None, note=""):
    r = ratio(c, n)
    verdict = "" if ok is None or c is None else ("met" if ok else "MISSED")
    table.append((name, fmt(n), fmt(c), "n/a" if r is None else f"{r:.2f}x", target or "", verdict, note))


for fig, label in [("full13", "full mTLS handshake, TLS 1.3"), ("full12", "full mTLS handshake, TLS 1.2")]:
    (n, nr, k), (c, cr, _) = cpu_per_op("nginx", fig), cpu_per_op("certgate", fig)
    r = ratio(c, n)
    add(f"{label}: server CPU µs/handshake", n, c, "≤ 0.33x", None if r is None else r <= 1 / 3,
        f"rate nginx {fmt(nr, '/s')}, certgate {fmt(cr, '/s')}")
for fig, label in [("resumed13", "resumed mTLS + GET, TLS 1.3"), ("resumed12", "resumed mTLS + GET, TLS 1.2")]:
    (n, nr, _), (c, cr, _) = cpu_per_op("nginx", fig), cpu_per_op("certgate", fig)
    add(f"{label}: server CPU µs/connection", n, c, note=f"nginx {reused('nginx', fig)}; certgate {reused('certgate', fig)}")
(n, nr, _), (c, cr, _) = cpu_per_op("nginx", "keepalive"), cpu_per_op("certgate", "keepalive")
r = ratio(c, n)
add("keep-alive proxied request (50 conns): server CPU µs/request", n, c, "≤ 1.00x", None if r is None else r <= 1.0,
    f"rate nginx {fmt(nr, '/s')}, certgate {fmt(cr, '/s')}")
up99 = load_field("upstream", "latency", "p99_us")
up50 = load_field("upstream", "latency", "p50_us")
for p, up in [("p50", up50), ("p99", up99)]:
    n = load_field("nginx", "latency", f"{p}_us")
    c = load_field("certgate", "latency", f"{p}_us")
    add(f"{p} latency added over the upstream alone (1 conn, keep-alive), µs",
        None if n is None or up is None else n - up, None if c is None or up is None else c - up,
        note=f"upstream alone {fmt(up)} µs")
n, c = idle_kb("nginx"), idle_kb("certgate")
add("memory per idle mTLS connection, kB RSS", n, c, "certgate ≤ 20 kB", None if c is None else c <= 20)

meta = (out / "meta.txt").read_text().strip() if (out / "meta.txt").exists() else ""
print("```")
print(meta)
print("```")
print()
print("| figure | nginx | certgate | certgate/nginx | target | | notes |")
print("|---|---|---|---|---|---|---|")
for t in table:
    print("| " + " | ".join(t) + " |")
statuses = {}
for r in rows:
    if r[2] in ("keepalive", "latency"):
        try:
            for s, k in json.loads(r[6]).get("statuses", {}).items():
                statuses.setdefault(r[1], {}).setdefault(s, 0)
                statuses[r[1]][s] += k
        except json.JSONDecodeError:
            pass
print()
print("HTTP statuses seen by the load generator: " + "; ".join(f"{s}: {v}" for s, v in statuses.items()))
