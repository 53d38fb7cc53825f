#!/usr/bin/env bash
# bench/crawl.sh: the 2,000-page crawl, side by side in one run against one
# grab serve on loopback (/site/N/page/0.html: N linked pages, 2 images
# each, links to robots.txt-disallowed, nofollow and other-host pages):
#   grab crawl -j P --per-host P --depth -1, robots.txt read (its
#     Crawl-delay ignored with --max-crawl-delay 0), records to /dev/null;
#   bare colly v2 tuned (bench/crawl: Async, LimitRule Parallelism P,
#     MaxIdleConnsPerHost P, a URLFilter keeping it on /site/N/page/);
#   wget -r -l inf --no-parent (robots.txt on), files under /dev/shm.
# Each fetches the N pages once and nothing else (checked from grab serve's
# access log) and says so in its own output (grab: N records, none with an
# error; colly: "colly N"; wget: N page files). Every run is a whole
# process under GNU time: pages/s is N over the wall time (start-up
# included), CPU is its user+system seconds (the server's not counted),
# peak memory is time's maximum resident set size. Rounds rotate the
# order. Prints a Markdown table of medians (min-max) over RUNS rounds, the
# ratios, the targets (>= 0.9x colly, >= 1.3x wget -r, peak memory <=
# colly's) and the load average before and after.
# Usage: [RUNS=5] [N=2000] [P=8] bench/crawl.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
RUNS=${RUNS:-5}
N=${N:-2000}
P=${P:-8}
tmp=$(mktemp -d)
pid=
trap '[[ -n $pid ]] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp" "${shm:-}"' EXIT
go build -o "$tmp/grab" ./cmd/grab
go build -o "$tmp/colly" ./bench/crawl
"$tmp/grab" serve --addr 127.0.0.1:0 >"$tmp/serve.out" 2>>"$tmp/access.log" &
pid=$!
base=
for _ in $(seq 50); do
	base=$(sed -n 's/.*(\(http:[^ ]*\)\/).*/\1/p' "$tmp/serve.out" | head -1)
	[[ -n $base ]] && break
	sleep 0.1
done
[[ -n $base ]] || { echo "grab serve did not start" >&2; cat "$tmp/serve.out" >&2; exit 1; }
url="$base/site/$N/page/0.html"
shm=$(mktemp -d -p /dev/shm crawlbench.XXXXXX 2>/dev/null || mktemp -d)

# measure NAME CMD...: one run, appending "NAME pages/s peakKiB cpu-s" to
# results.
measure() {
	local name=$1
	shift
	: >"$tmp/access.log"
	rm -rf "$shm/out"
	mkdir -p "$shm/out"
	local t0 t1
	t0=$EPOCHREALTIME
	if ! /usr/bin/time -f '%M %U %S' -o "$tmp/time.out" timeout 300 "$@" >"$tmp/out" 2>"$tmp/err"; then
		echo "$name failed:" >&2
		tail -5 "$tmp/err" >&2
		exit 1
	fi
	t1=$EPOCHREALTIME
	sleep 0.2 # the access log is written after the response
	local pages
	pages=$(grep -c "GET /site/$N/page/[0-9]*\.html " "$tmp/access.log" || true)
	if ((pages != N)); then
		echo "$name fetched $pages page requests, want $N" >&2
		exit 1
	fi
	local said
	case $name in
	grab) said=$(grep -c '"status":200,' "$tmp/out" || true)
		grep -q '"error":' "$tmp/out" && said=error ;;
	colly) said=$(awk '$1 == "colly" {print $2}' "$tmp/out") ;;
	wget) said=$(find "$shm/out" -path "*/site/$N/page/*.html" -type f | wc -l) ;;
	esac
	if [[ $said != "$N" ]]; then
		echo "$name reported $said pages, want $N" >&2
		exit 1
	fi
	python3 -c "import sys; m, u, s = sys.argv[5].split(); print(sys.argv[1], float(sys.argv[4])/(float(sys.argv[3])-float(sys.argv[2])), m, float(u)+float(s))" \
		"$name" "$t0" "$t1" "$N" "$(tail -1 "$tmp/time.out")" >>"$tmp/results"
}

: >"$tmp/results"
load0=$(cut -d' ' -f1-3 /proc/loadavg)
impls=(grab colly wget)
for run in $(seq "$RUNS"); do
	for k in 0 1 2; do
		impl=${impls[$(((run + k) % 3))]}
		case $impl in
		grab) measure grab "$tmp/grab" crawl -q --json -j "$P" --per-host "$P" --depth -1 --max-crawl-delay 0 "$url" ;;
		colly) measure colly "$tmp/colly" -p "$P" "$url" ;;
		wget) measure wget wget -q -r -l inf --no-parent -P "$shm/out" "$url" ;;
		esac
	done
done
python3 - "$tmp/results" "$N" "$RUNS" "$P" "$load0" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'PY'
import statistics, sys, platform, os
rate, mem, cpu = {}, {}, {}
for line in open(sys.argv[1]):
    name, r, m, c = line.split()
    rate.setdefault(name, []).append(float(r))
    mem.setdefault(name, []).append(int(m) / 1024)
    cpu.setdefault(name, []).append(float(c))
med = {k: statistics.median(v) for k, v in rate.items()}
mmed = {k: statistics.median(v) for k, v in mem.items()}
names = {"grab": f"grab crawl -j {sys.argv[4]} --per-host {sys.argv[4]} (robots.txt on)",
         "colly": f"bare colly v2 tuned (Async, Parallelism {sys.argv[4]}, {sys.argv[4]} idle conns)",
         "wget": "wget -r -l inf --no-parent"}
print(f"{sys.argv[2]}-page crawl of grab serve's /site/{sys.argv[2]}/ on loopback, {sys.argv[3]} runs, {os.cpu_count()} cores, {platform.machine()}, load average {sys.argv[5]} before, {sys.argv[6]} after\n")
print("| crawler | pages/s median (min-max) | vs colly | vs wget -r | CPU s median (min-max) | peak RSS MiB median (min-max) |")
print("| --- | --- | --- | --- | --- | --- |")
for k in ["grab", "colly", "wget"]:
    v, m, c = rate[k], mem[k], cpu[k]
    print(f"| {names[k]} | {med[k]:.0f} ({min(v):.0f}-{max(v):.0f}) | {med[k]/med['colly']:.2f}x | {med[k]/med['wget']:.2f}x | {statistics.median(c):.2f} ({min(c):.2f}-{max(c):.2f}) | {mmed[k]:.1f} ({min(m):.1f}-{max(m):.1f}) |")
ok = lambda b: "met" if b else "NOT met"
print()
print(f"targets: >= 0.9x colly: {ok(med['grab'] >= 0.9*med['colly'])}; >= 1.3x wget -r: {ok(med['grab'] >= 1.3*med['wget'])}; peak memory <= colly's: {ok(mmed['grab'] <= mmed['colly'])}")
PY
