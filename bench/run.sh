#!/usr/bin/env bash
# bench/run.sh: grab against the tools its users would pick instead, on
# loopback workloads, in one run, with one Markdown report:
#   a, b  bench/urlopen.sh: 2,000 sequential GETs and 20,000 GETs from 32
#         workers (fetch.Urlopen and a shared Opener against net/http, a
#         tuned net/http, Python's urllib, and wrk as the server's limit),
#         and bench/seqget.sh (fetch/conn against Python's http.client,
#         net/http and curl);
#   c, f  bench/download.sh: 500 x 64 KiB and 20 x 50 MiB downloads and one
#         2 GiB file with peak memory (grab download against curl
#         --parallel, curl and aria2c; curl to /dev/null as the limit);
#   d     bench/parse.sh: image extraction on a 5 MB page of 20,000 images
#         (parse.Images against a bare tokenizer loop, goquery and Python's
#         html.parser);
#   e     bench/crawl.sh: a 2,000-page crawl (grab crawl against bare colly
#         and wget -r).
# Every script runs on 127.0.0.1 only, bounds its loops, and stops what it
# started by PID. A peer that is missing is skipped with a message naming
# its package; --install installs the missing ones with apt-get first
# (aria2, wrk, time, wget, curl).
#
# Usage: bench/run.sh [--quick] [--only a,b,c,d,e,f] [--install] [--out FILE]
#   --quick   small sizes and one or two rounds: checks every script in a
#             few minutes; the figures mean little
#   --only    the sections to run (default all)
#   --out     also write the report to FILE
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

quick=0 only=a,b,c,d,e,f install=0 out=
while (($#)); do
	case $1 in
	--quick) quick=1 ;;
	--only) only=${2:?--only needs a list}; shift ;;
	--install) install=1 ;;
	--out) out=${2:?--out needs a file}; shift ;;
	-h | --help) sed -n '2,28p' "$0"; exit 0 ;;
	*) echo "bench/run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done
want() { [[ ,$only, == *,$1,* ]]; }

# The peers, by command and Debian package.
declare -A pkg=([curl]=curl [wget]=wget [aria2c]=aria2 [wrk]=wrk [/usr/bin/time]=time [python3]=python3)
missing=()
for cmd in "${!pkg[@]}"; do
	command -v "$cmd" >/dev/null 2>&1 || missing+=("${pkg[$cmd]}")
done
if ((${#missing[@]})) && ((install)); then
	echo "bench/run.sh: apt-get install -y ${missing[*]}" >&2
	apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
	missing=()
	for cmd in "${!pkg[@]}"; do
		command -v "$cmd" >/dev/null 2>&1 || missing+=("${pkg[$cmd]}")
	done
fi
command -v go >/dev/null || { echo "bench/run.sh: needs go" >&2; exit 2; }

report=$(mktemp)
trap 'rm -f "$report"' EXIT
say() { printf '%s\n' "$@" | tee -a "$report"; }

# section TITLE SCRIPT [ENV=VALUE...] runs one script and keeps its report;
# a script that fails is reported, and the others still run.
failed=()
section() {
	local title=$1 script=$2
	shift 2
	say "" "## $title" ""
	if [[ ! -f $script ]]; then
		say "(skipped: $script is not in this tree)"
		return
	fi
	local start=$SECONDS
	if env "$@" bash "$script" 2> >(sed 's/^/  /' >&2) | tee -a "$report"; then
		say "" "($script: $((SECONDS - start)) s)"
	else
		say "" "($script FAILED after $((SECONDS - start)) s)"
		failed+=("$script")
	fi
}

say "# grab benchmarks"
say ""
say "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
say "- machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(free -g | awk '/^Mem:/ {print $2}') GiB, $(uname -sr)"
say "- $(go version | cut -d' ' -f3-), $(python3 --version 2>&1), curl $(curl --version 2>/dev/null | head -1 | cut -d' ' -f2), wget $(wget --version 2>/dev/null | head -1 | cut -d' ' -f3), aria2c $(aria2c --version 2>/dev/null | head -1 | cut -d' ' -f3), wrk $(wrk --version 2>/dev/null | head -1 | cut -d' ' -f2)"
say "- load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
((quick)) && say "- QUICK RUN: small sizes, few rounds; the figures are a smoke test"
((${#missing[@]})) && say "- missing peers (their rows are skipped): ${missing[*]} (apt-get install ${missing[*]}, or bench/run.sh --install)"

if want a || want b; then
	if ((quick)); then
		section "a, b: small GETs, sequential and from 32 workers" bench/urlopen.sh RUNS=1 N=300 CN=3000 WRK_SECS=1
		want a && section "a: sequential GETs on one connection (fetch/conn)" bench/seqget.sh RUNS=1 N=300
	else
		section "a, b: small GETs, sequential and from 32 workers" bench/urlopen.sh RUNS=5 N=2000 CN=20000 C=32
		want a && section "a: sequential GETs on one connection (fetch/conn)" bench/seqget.sh RUNS=5 N=2000
	fi
fi
if want c || want f; then
	if ((quick)); then
		section "c, f: downloads, and one large file's peak memory" bench/download.sh RUNS=1 SMALL_N=100 LARGE_N=4 LARGE_SIZE=8MiB HUGE_SIZE=256MiB
	else
		section "c, f: downloads, and one large file's peak memory" bench/download.sh RUNS=3
	fi
fi
if want d; then
	if ((quick)); then
		section "d: image extraction" bench/parse.sh RUNS=1 IMAGES=4000 BYTES=1000000
	else
		section "d: image extraction" bench/parse.sh RUNS=5
	fi
fi
if want e; then
	if ((quick)); then
		section "e: crawling a site" bench/crawl.sh RUNS=1 N=200
	else
		section "e: crawling a site" bench/crawl.sh RUNS=3 N=2000 P=8
	fi
fi

say "" "## Targets" ""
grep -E '^(- .*(met|MISSED)|\| .*\| (yes|NO) \|$|targets: )' "$report" | sed -E 's/^- //; s/^\| (.*) \| (.*) \| yes \|$/\1: \2: met/; s/^\| (.*) \| (.*) \| NO \|$/\1: \2: MISSED/; s/^/- /' >"$report.t" || true
if [[ -s $report.t ]]; then
	say "$(cat "$report.t")"
else
	say "(no target lines found)"
fi
rm -f "$report.t"
say "" "- load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
[[ -n $out ]] && cp "$report" "$out"
if ((${#failed[@]})); then
	echo "bench/run.sh: failed: ${failed[*]}" >&2
	exit 1
fi
