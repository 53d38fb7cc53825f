#!/usr/bin/env bash
# bench/parse.sh: parse.Images against its peers on the extraction
# workload, in one run: the test server's /bigpage/N.html (testserver.
# BigPage: 20,000 images in 5 MB of markup, with image markup hidden in
# comments, scripts and styles), written to a file once and read from the
# page cache by every implementation:
#   grab     parse.Images with the default kinds, resolved, sorted, unique
#   tok      a bare x/net/html tokenizer loop collecting <img src>, sorted
#   next     the tokenizer's Next alone (extracts nothing: the ceiling)
#   goquery  goquery's Find("img") on the parsed tree, sorted
#   python   html.parser.HTMLParser collecting <img src> (parse_image.py)
# Each round runs every implementation once as its own process under GNU
# time, the order rotated by round. The rate is the page's bytes over the
# in-process time from opening the file to the sorted list (process
# start-up excluded), by the wall clock and by the CPU time the process
# spent over that span (every thread: Go's garbage collector included);
# on a loaded machine the CPU figures are the ones to compare. Peak memory
# is the process's maximum RSS under GNU time for every implementation.
# Every run's output is checked: grab's list against testserver.BigPageExpected, the
# peers' lists against each other.
# Prints a Markdown table of medians (min-max), the ratios and the targets
# of issue 7.
# Usage: [RUNS=5] [IMAGES=20000] [BYTES=5000000] bench/parse.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
RUNS=${RUNS:-5}
IMAGES=${IMAGES:-20000}
BYTES=${BYTES:-5000000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[[ -x /usr/bin/time ]] || { echo "needs GNU time (apt-get install time)" >&2; exit 1; }
go build -o "$tmp/parse" ./bench/parse
page_url="http://127.0.0.1:8080/bigpage/$IMAGES.html"
"$tmp/parse" -gen "$tmp/page.html" -images "$IMAGES" -bytes "$BYTES" -page-url "$page_url"
read -r want_n want_hash < <("$tmp/parse" -expected -images "$IMAGES" -page-url "$page_url")

# one IMPL runs one implementation once and appends "impl bytes seconds
# cpu_seconds count hash rss_kb" to results.
one() {
	local out
	case $1 in
	python) out=$(/usr/bin/time -f '%M' -o "$tmp/rss" timeout 300 python3 -B bench/py/parse_images.py "$tmp/page.html") ;;
	*) out=$(/usr/bin/time -f '%M' -o "$tmp/rss" timeout 300 "$tmp/parse" -impl "$1" -page-url "$page_url" "$tmp/page.html") ;;
	esac
	echo "$out $(tail -1 "$tmp/rss")" >>"$tmp/results"
}

impls=(grab tok next goquery python)
load() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown; }
load0=$(load)
: >"$tmp/results"
for run in $(seq "$RUNS"); do
	k=$(((run - 1) % ${#impls[@]}))
	for impl in "${impls[@]:k}" "${impls[@]:0:k}"; do
		one "$impl"
	done
done

python3 - "$tmp/results" "$RUNS" "$load0" "$(load)" "$want_n" "$want_hash" <<'PY'
import os, platform, statistics, sys

path, runs, load0, load1, want_n, want_hash = sys.argv[1:]
rate, crate, rss, out = {}, {}, {}, {}
size = 0
for line in open(path):
    impl, nbytes, secs, cpu, count, h, kb = line.split()
    size = int(nbytes)
    rate.setdefault(impl, []).append(int(nbytes) / float(secs) / 1e6)
    crate.setdefault(impl, []).append(int(nbytes) / max(float(cpu), 1e-6) / 1e6)
    rss.setdefault(impl, []).append(int(kb) / 1024)
    out.setdefault(impl, set()).add((count, h))

bad = []
if out["grab"] != {(want_n, want_hash)}:
    bad.append(f"grab's list is not testserver.BigPageExpected's ({want_n} URLs): {out['grab']}")
peers = {k: v for k, v in out.items() if k in ("tok", "goquery", "python")}
if len({frozenset(v) for v in peers.values()}) != 1 or any(len(v) != 1 for v in peers.values()):
    bad.append(f"the peers' lists differ: {peers}")
med = {k: statistics.median(v) for k, v in rate.items()}
cmed = {k: statistics.median(v) for k, v in crate.items()}
mem = {k: max(v) for k, v in rss.items()}

names = [("grab", "grab parse.Images (default kinds, resolved)"),
         ("tok", "bare x/net/html tokenizer loop (img src)"),
         ("next", "x/net/html Next() alone (no extraction)"),
         ("goquery", "goquery Find(\"img\") (tree)"),
         ("python", "Python html.parser (parse_image.py)")]
peer_cols = [("tok", "tokenizer"), ("goquery", "goquery"), ("python", "html.parser")]
print(f"{size / 1e6:.1f} MB page, {want_n} images for grab; {runs} rounds; {os.cpu_count()} cores, "
      f"{platform.machine()}; load average {load0} before, {load1} after\n")
print("| extractor | MB/s wall, median (min-max) | MB/s CPU time, median (min-max) | peak RSS MB (max) | "
      + " | ".join(f"grab vs {p} (wall, CPU)" for _, p in peer_cols) + " |")
print("| --- | --- | --- | --- |" + " --- |" * len(peer_cols))
for k, label in names:
    v, c = rate[k], crate[k]
    ratios = " | ".join(f"{med['grab'] / med[p]:.2f}x, {cmed['grab'] / cmed[p]:.2f}x" if k == p else "" for p, _ in peer_cols)
    print(f"| {label} | {med[k]:.1f} ({min(v):.1f}-{max(v):.1f}) | {cmed[k]:.1f} ({min(c):.1f}-{max(c):.1f}) | {mem[k]:.1f} | {ratios} |")
print()

def target(what, m, ok):
    print(f"- {what}: {m(med)} wall, {m(cmed)} CPU: {'met' if ok(med) else 'MISSED'} (wall), {'met' if ok(cmed) else 'MISSED'} (CPU)")

print("Targets (issue 7):\n")
target("parse.Images at least 75 MB/s", lambda m: f"{m['grab']:.1f} MB/s", lambda m: m["grab"] >= 75)
target("at least 0.9x the bare tokenizer loop", lambda m: f"{m['grab'] / m['tok']:.2f}x", lambda m: m["grab"] / m["tok"] >= 0.9)
target("at least 8x Python's html.parser", lambda m: f"{m['grab'] / m['python']:.1f}x", lambda m: m["grab"] / m["python"] >= 8)
target("at least 2x goquery", lambda m: f"{m['grab'] / m['goquery']:.2f}x", lambda m: m["grab"] / m["goquery"] >= 2)
print(f"- peak memory at most 20 MB: {mem['grab']:.1f} MB: {'met' if mem['grab'] <= 20 else 'MISSED'}")
for b in bad:
    print(f"\nCHECK FAILED: {b}")
if bad:
    sys.exit(1)
PY
