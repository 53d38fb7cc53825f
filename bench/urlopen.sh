#!/usr/bin/env bash
# bench/urlopen.sh: fetch.Urlopen and a shared fetch.Opener against Go's
# net/http clients and Python's urllib, in one run against one grab serve
# on loopback:
#   sequential: N GETs of /hello one at a time: fetch.Urlopen (default
#     Opener: plain http on fetch/conn), fetch.Urlopen with an installed
#     Opener on net/http (EngineNetHTTP),
#     http.DefaultClient, and a urllib.request.urlopen loop;
#   concurrent: CN GETs from C workers: one fetch.Opener shared by them (and
#     one on net/http), an http.Client on a clone of
#     http.DefaultTransport with MaxIdleConns 2C and MaxIdleConnsPerHost C,
#     and urlopen from a pool of C Python threads;
#   limits: wrk for WRK_SECS seconds on 1 and on C connections, when wrk
#     is installed.
# Each round runs every implementation once, the order rotated by round.
# Prints Markdown tables of medians (min-max) over RUNS rounds and the
# ratios against the peers.
# Usage: [RUNS=5] [N=2000] [CN=20000] [C=32] [WRK_SECS=3] bench/urlopen.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
RUNS=${RUNS:-5}
N=${N:-2000}
CN=${CN:-20000}
C=${C:-32}
tmp=$(mktemp -d)
source bench/lib.sh
serve_grab
go build -o "$tmp/urlopen" ./bench/urlopen
url="$base/hello"

# one IMPL runs one implementation once and appends its "impl n seconds rate".
one() {
	case $1 in
	urllib) timeout 300 python3 -B bench/py/seq_urlopen.py "$url" "$N" ;;
	urllib-threads) timeout 300 python3 -B bench/py/conc_urlopen.py "$url" "$CN" "$C" ;;
	urlopen | urlopen-nethttp | nethttp) timeout 300 "$tmp/urlopen" -impl "$1" -n "$N" "$url" ;;
	wrk-seq | wrk-conc)
		# wrk keeps C connections busy for WRK_SECS: the server's limit.
		local c=1
		[[ $1 == wrk-conc ]] && c=$C
		timeout 60 wrk -t"$((c < 2 ? 1 : 2))" -c"$c" -d"${WRK_SECS}s" "$url" |
			awk -v impl="$1" -v secs="$WRK_SECS" '/^Requests\/sec:/ { printf "%s %d %s %s\n", impl, $2 * secs, secs, $2 }'
		;;
	*) timeout 300 "$tmp/urlopen" -impl "$1" -n "$CN" -c "$C" "$url" ;;
	esac >>"$tmp/results"
}

WRK_SECS=${WRK_SECS:-3}
impls=(urlopen urlopen-nethttp nethttp urllib opener opener-nethttp nethttp-tuned urllib-threads)
if command -v wrk >/dev/null; then
	impls+=(wrk-seq wrk-conc)
else
	echo "bench/urlopen.sh: wrk not found (apt-get install wrk): no limit rows" >&2
fi
load() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown; }
load0=$(load)
: >"$tmp/results"
for run in $(seq "$RUNS"); do
	k=$(((run - 1) % ${#impls[@]}))
	for impl in "${impls[@]:k}" "${impls[@]:0:k}"; do
		one "$impl"
	done
done

python3 - "$tmp/results" "$N" "$CN" "$C" "$RUNS" "$load0" "$(load)" <<'PY'
import os, platform, statistics, sys

path, n, cn, c, runs, load0, load1 = sys.argv[1:]
rows = {}
for line in open(path):
    impl, _, _, rate = line.split()
    rows.setdefault(impl, []).append(float(rate))
med = {k: statistics.median(v) for k, v in rows.items()}

def table(title, names, peers):
    print(title + "\n")
    print("| client | req/s median (min-max) | " + " | ".join(f"vs {p}" for p, _ in peers) + " |")
    print("| --- | --- |" + " --- |" * len(peers))
    for k, label in names:
        if k not in rows:
            continue
        v = rows[k]
        ratios = " | ".join(f"{med[k] / med[p]:.2f}x" for _, p in peers)
        print(f"| {label} | {med[k]:.0f} ({min(v):.0f}-{max(v):.0f}) | {ratios} |")
    print()

print(f"grab serve /hello on loopback, {runs} rounds, {os.cpu_count()} cores, {platform.machine()}, "
      f"load average {load0} before, {load1} after\n")
table(f"{n} sequential GETs",
      [("urlopen", "grab fetch.Urlopen (default Opener)"),
       ("urlopen-nethttp", "grab fetch.Urlopen (installed Opener, EngineNetHTTP)"),
       ("nethttp", "Go net/http http.DefaultClient"),
       ("urllib", "Python urllib.request.urlopen loop"),
       ("wrk-seq", "wrk, 1 connection (the server's limit)")],
      [("net/http", "nethttp"), ("urlopen loop", "urllib")])
table(f"{cn} GETs from {c} workers",
      [("opener", f"grab fetch.Opener shared by {c} goroutines"),
       ("opener-nethttp", f"grab fetch.Opener, EngineNetHTTP, shared by {c}"),
       ("nethttp-tuned", f"Go net/http tuned (MaxIdleConnsPerHost {c})"),
       ("urllib-threads", f"Python urlopen, {c} threads"),
       ("wrk-conc", f"wrk, {c} connections (the server's limit)")],
      [("tuned net/http", "nethttp-tuned"), ("urlopen threads", "urllib-threads")])

def target(what, a, b, want):
    r = med[a] / med[b]
    print(f"- {what}: {r:.2f}x, target {want}x: {'met' if r >= want else 'MISSED'}")

print("Targets:\n")
target("(a) Urlopen vs net/http default client (issue 5)", "urlopen", "nethttp", 0.9)
target("(a) Urlopen vs net/http default client (issue 11)", "urlopen", "nethttp", 1.0)
target("(a) Urlopen vs Python urlopen loop", "urlopen", "urllib", 3)
target(f"(b) Opener ({c} workers) vs tuned net/http (issue 5)", "opener", "nethttp-tuned", 0.9)
target(f"(b) Opener ({c} workers) vs tuned net/http (issue 11)", "opener", "nethttp-tuned", 1.0)
PY
