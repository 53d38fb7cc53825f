#!/usr/bin/env bash
# bench/seqget.sh: 2,000 sequential small GETs on one persistent connection,
# fetch/conn against net/http's default client and Python's http.client, in
# one run against one grab serve on loopback. Prints a Markdown table of
# medians (min-max) over RUNS runs. Usage: [N=2000] [RUNS=7] bench/seqget.sh (or bench/seqget.sh N RUNS)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
N=${N:-${1:-2000}}
RUNS=${RUNS:-${2:-7}}
tmp=$(mktemp -d)
source bench/lib.sh
serve_grab
go build -o "$tmp/seqget" ./bench/seqget
url="$base/hello"
: >"$tmp/results"
for run in $(seq "$RUNS"); do
	timeout 120 python3 bench/py/seq_httpclient.py "$url" "$N" >>"$tmp/results"
	for impl in conn transport nethttp; do
		timeout 120 "$tmp/seqget" -impl "$impl" -n "$N" "$url" >>"$tmp/results"
	done
done
python3 - "$tmp/results" "$N" "$RUNS" <<'PY'
import statistics, sys, platform, os
rows = {}
for line in open(sys.argv[1]):
    impl, n, secs, rate = line.split()
    rows.setdefault(impl, []).append(float(rate))
med = {k: statistics.median(v) for k, v in rows.items()}
names = {"conn": "grab fetch/conn (Conn)", "transport": "grab fetch/conn (Transport + http.Client)",
         "nethttp": "Go net/http default client", "httpclient": "Python http.client"}
print(f"{sys.argv[2]} sequential GETs of /hello on one connection, {sys.argv[3]} runs, {os.cpu_count()} cores, {platform.machine()}\n")
print("| client | req/s median (min-max) | vs net/http | vs http.client |")
print("| --- | --- | --- | --- |")
for k in ["conn", "transport", "nethttp", "httpclient"]:
    v = rows[k]
    print(f"| {names[k]} | {med[k]:.0f} ({min(v):.0f}-{max(v):.0f}) | {med[k]/med['nethttp']:.2f}x | {med[k]/med['httpclient']:.2f}x |")
PY
