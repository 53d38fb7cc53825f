#!/usr/bin/env bash
# bench/download.sh: grab download side by side with curl and aria2c, in
# one run against one server on loopback. By default it serves real
# files (SOURCE=files: "grab serve DIR" over files of random bytes made
# under DL_PARENT, sent with sendfile, so the server costs every tool
# little); SOURCE=dl uses the test server's /dl/{size}/{name} instead,
# generated as sent (in 32 KiB writes, a core's worth of server CPU at
# these rates, which compresses every ratio); SOURCE=nginx serves the same
# files with nginx (sendfile, one worker a core, no access log: a server
# that costs a request about 40% of what grab serve does, so the client's
# own cost shows; apt-get install nginx-light):
#   small: SMALL_N files of 64 KiB, J at once: grab download -j J,
#     curl --parallel --parallel-max J, aria2c -j J, and bench/dlfloor
#     (the least a Go program does: the floor for grab, not a peer);
#   large: LARGE_N files of LARGE_SIZE, J at once: the same, and curl one
#     file after the other;
#   huge: one file of HUGE_SIZE: grab download, curl -o, aria2c, with the
#     peak memory of each (GNU time's maximum resident set size);
#   limit: one file of LIMIT_SIZE (1 GiB) streamed by curl to /dev/null,
#     nothing written: what loopback and the server allow.
# Files go to a fresh directory under /dev/shm (tmpfs, so the figures
# measure the tools rather than the disk; DL_PARENT=DIR for another), which
# is emptied before each run and checked after it (file count and bytes).
# Each round runs every tool once, the order rotated by round. Prints a
# Markdown table of medians (min-max) over RUNS rounds, the ratios, and the
# targets of issue 8 met or missed.
# Usage: [RUNS=3] [J=16] [SMALL_N=500] [LARGE_N=20] [LARGE_SIZE=50MiB]
#        [HUGE_SIZE=2GiB] [LIMIT_SIZE=1GiB] [SOURCE=files|dl|nginx] [GRAB=BINARY] bench/download.sh [--quick]
# GRAB=BINARY measures that grab rather than one built from the tree (for
# before and after figures).
# --quick: 100 small, 4 x 8 MiB, 256 MiB, one round (checks the script).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
RUNS=${RUNS:-3}
J=${J:-16}
SMALL_N=${SMALL_N:-500}
LARGE_N=${LARGE_N:-20}
LARGE_SIZE=${LARGE_SIZE:-50MiB}
HUGE_SIZE=${HUGE_SIZE:-2GiB}
LIMIT_SIZE=${LIMIT_SIZE:-1GiB}
if [[ ${1:-} == --quick ]]; then
	RUNS=1 SMALL_N=100 LARGE_N=4 LARGE_SIZE=8MiB HUGE_SIZE=256MiB LIMIT_SIZE=256MiB
fi
bytes_of() { # 64KiB, 50MiB, 2GiB -> bytes
	local n=${1%[KMG]iB} u=${1#"${1%[KMG]iB}"}
	case $u in KiB) echo $((n << 10)) ;; MiB) echo $((n << 20)) ;; GiB) echo $((n << 30)) ;; *) echo "$n" ;; esac
}
SMALL_BYTES=$((64 << 10))
LARGE_BYTES=$(bytes_of "$LARGE_SIZE")
HUGE_BYTES=$(bytes_of "$HUGE_SIZE")
LIMIT_BYTES=$(bytes_of "$LIMIT_SIZE")

if [[ ! -x /usr/bin/time ]]; then
	echo "bench/download.sh: GNU time is missing (apt-get install time)" >&2
	exit 2
fi
have_aria=1
if ! command -v aria2c >/dev/null; then
	have_aria=0
	echo "bench/download.sh: aria2c not found (apt-get install aria2): no aria2c rows" >&2
fi

SOURCE=${SOURCE:-files}
case $SOURCE in
files | dl) ;;
nginx)
	if ! command -v nginx >/dev/null; then
		echo "bench/download.sh: SOURCE=nginx needs nginx (apt-get install nginx-light)" >&2
		exit 2
	fi
	;;
*)
	echo "bench/download.sh: SOURCE is files, dl or nginx, not \"$SOURCE\"" >&2
	exit 2
	;;
esac
tmp=$(mktemp -d)
DL_PARENT=${DL_PARENT:-/dev/shm}
[[ -d $DL_PARENT && -w $DL_PARENT ]] || DL_PARENT=${TMPDIR:-/tmp}
dl=$(mktemp -d "$DL_PARENT/grab-bench-dl.XXXXXX")
source bench/lib.sh
bench_dirs+=("$dl")
if [[ $SOURCE != dl ]]; then
	# Files of random bytes (dd from /dev/urandom), served by grab serve DIR
	# or nginx.
	src=$dl/src
	mkdir -p "$src/small" "$src/large"
	echo "bench/download.sh: making the files to serve in $src" >&2
	for k in $(seq "$SMALL_N"); do head -c "$SMALL_BYTES" /dev/urandom >"$src/small/$k"; done
	for k in $(seq "$LARGE_N"); do dd if=/dev/urandom of="$src/large/$k" bs=1M count=$((LARGE_BYTES >> 20)) status=none; done
	dd if=/dev/urandom of="$src/huge" bs=1M count=$((HUGE_BYTES >> 20)) status=none
	dd if=/dev/urandom of="$src/limit" bs=1M count=$((LIMIT_BYTES >> 20)) status=none
fi
case $SOURCE in
dl)
	serve_grab
	label="grab serve /dl/, generated"
	;;
files)
	serve_grab "$src"
	label="grab serve DIR, files with sendfile"
	;;
nginx)
	serve_nginx "$src"
	label="nginx $(nginx -v 2>&1 | sed 's|.*/||'), files with sendfile"
	;;
esac
if [[ -n ${GRAB:-} ]]; then
	cp "$GRAB" "$tmp/grab-measured"
else
	[[ -x $tmp/grab ]] || go build -o "$tmp/grab" ./cmd/grab # nginx needs none
	cp "$tmp/grab" "$tmp/grab-measured"
fi
go build -o "$tmp/dlfloor" ./bench/dlfloor

# lists: one URL a line, and the same as a curl config
list() { # NAME COUNT SIZE
	for k in $(seq "$2"); do
		if [[ $SOURCE == dl ]]; then echo "$base/dl/$3/$k"; else echo "$base/$1/$k"; fi
	done >"$tmp/$1.list"
	sed 's/^/url = /' "$tmp/$1.list" >"$tmp/$1.curlrc"
}
list small "$SMALL_N" 64KiB
list large "$LARGE_N" "$LARGE_SIZE"
if [[ $SOURCE == dl ]]; then echo "$base/dl/$HUGE_SIZE/huge"; else echo "$base/huge"; fi >"$tmp/huge.list"
if [[ $SOURCE == dl ]]; then echo "$base/dl/$LIMIT_SIZE/limit"; else echo "$base/limit"; fi >"$tmp/limit.list"

# cmd SET TOOL: the command line of one tool on one set, writing into $dl/out
cmd() {
	local out="$dl/out"
	case $2 in
	grab) echo "$tmp/grab-measured" download -q -j "$J" -d "$out" -i "$tmp/$1.list" ;;
	curl-par) echo curl -Sf --no-progress-meter --parallel --parallel-max "$J" --remote-name-all --output-dir "$out" -K "$tmp/$1.curlrc" ;;
	curl-seq) echo curl -Sf --no-progress-meter --remote-name-all --output-dir "$out" -K "$tmp/$1.curlrc" ;;
	curl-one) echo curl -Sf --no-progress-meter -o "$out/huge" "$(cat "$tmp/huge.list")" ;;
	curl-null) echo curl -Sf --no-progress-meter -o /dev/null "$(cat "$tmp/limit.list")" ;; # curl fails a short stream
	aria2c) echo aria2c -q -j "$J" --file-allocation=none -d "$out" -i "$tmp/$1.list" ;;
	go-floor) echo "$tmp/dlfloor" -j "$J" -d "$out" -i "$tmp/$1.list" ;;
	esac
}

# one SET TOOL FILES BYTES: one timed run; appends "set tool seconds rss_kb".
one() {
	rm -rf "$dl/out"
	mkdir -p "$dl/out"
	local t0 t1 c
	read -ra c <<<"$(cmd "$1" "$2")"
	t0=$EPOCHREALTIME
	if ! /usr/bin/time -f '%M' -o "$tmp/time.out" timeout 600 "${c[@]}" >/dev/null 2>"$tmp/err"; then
		echo "bench/download.sh: $2 on $1 failed:" >&2
		tail -3 "$tmp/err" >&2
		echo "$1 $2 FAIL 0" >>"$tmp/results"
		return
	fi
	t1=$EPOCHREALTIME
	local n b
	n=$(find "$dl/out" -type f | wc -l)
	b=$(find "$dl/out" -type f -printf '%s\n' | awk '{s += $1} END {printf "%.0f", s}')
	if ((n != $3 || b != $4)); then
		echo "bench/download.sh: $2 on $1: $n files, $b bytes; want $3, $4" >&2
		echo "$1 $2 FAIL 0" >>"$tmp/results"
		return
	fi
	echo "$1 $2 $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.6f", b - a}') $(tail -1 "$tmp/time.out")" >>"$tmp/results"
}

sets=(small large huge)
declare -A tools=([small]="grab curl-par go-floor" [large]="grab curl-par curl-seq" [huge]="grab curl-one")
if ((have_aria)); then
	tools[small]+=" aria2c" tools[large]+=" aria2c" tools[huge]+=" aria2c"
fi
declare -A files=([small]=$SMALL_N [large]=$LARGE_N [huge]=1)
declare -A total=([small]=$((SMALL_N * SMALL_BYTES)) [large]=$((LARGE_N * LARGE_BYTES)) [huge]=$HUGE_BYTES)
load0=$(cut -d' ' -f1-3 /proc/loadavg)
: >"$tmp/results"
for run in $(seq "$RUNS"); do
	for s in "${sets[@]}"; do
		read -ra ts <<<"${tools[$s]}"
		k=$(((run - 1) % ${#ts[@]}))
		for t in "${ts[@]:k}" "${ts[@]:0:k}"; do
			echo "round $run: $s $t" >&2
			one "$s" "$t" "${files[$s]}" "${total[$s]}"
		done
	done
	echo "round $run: limit" >&2
	one limit curl-null 0 0
done

# The table: median MB/s (min-max), peak RSS, and the ratios.
python3 - "$tmp/results" "$SMALL_N" "$LARGE_N" "$LARGE_SIZE" "$HUGE_SIZE" "$J" "${total[small]}" "${total[large]}" "${total[huge]}" "$LIMIT_BYTES" "$LIMIT_SIZE" "$RUNS" "$load0" "$label" <<'EOF'
import sys, statistics
path, sn, ln, lsz, hsz, j, tb_s, tb_l, tb_h, tb_lim, limsz, runs, load0, source = sys.argv[1:]
tb = {"small": int(tb_s), "large": int(tb_l), "huge": int(tb_h), "limit": int(tb_lim)}
rows = {}
failed = set()
for line in open(path):
    s, t, secs, rss = line.split()
    if secs == "FAIL":
        failed.add((s, t))
        continue
    rows.setdefault((s, t), []).append((tb[s] / 1e6 / float(secs), int(rss) / 1024))
title = {"small": f"{sn} x 64 KiB", "large": f"{ln} x {lsz}", "huge": f"1 x {hsz}", "limit": f"1 x {limsz} to /dev/null (the limit)"}
name = {"grab": f"grab download -j {j}", "curl-par": f"curl --parallel --parallel-max {j}", "curl-seq": "curl, one file after the other",
        "curl-one": "curl -o", "aria2c": f"aria2c -j {j}", "curl-null": "curl -o /dev/null",
        "go-floor": f"bare Go loop, {j} connections (bench/dlfloor: the floor, not a downloader)"}
med = {}
print(f"Loopback ({source}), downloads to tmpfs; {runs} rounds; load before: {load0}\n")
print("| workload | tool | MB/s median (min-max) | peak RSS MB (max) |")
print("| --- | --- | --- | --- |")
for s in ("small", "large", "huge", "limit"):
    for t in ("grab", "curl-par", "curl-seq", "curl-one", "aria2c", "go-floor", "curl-null"):
        if (s, t) in failed and (s, t) not in rows:
            print(f"| {title[s]} | {name[t]} | FAILED | |")
            continue
        if (s, t) not in rows:
            continue
        r = rows[(s, t)]
        rates = [x[0] for x in r]
        med[(s, t)] = statistics.median(rates)
        print(f"| {title[s]} | {name[t]} | {med[(s, t)]:.0f} ({min(rates):.0f}-{max(rates):.0f}) | {max(x[1] for x in r):.1f} |")
def ratio(s, peer):
    a, b = med.get((s, "grab")), med.get((s, peer))
    return None if a is None or b is None else a / b
print("\n| target (issue 8) | measured | met |")
print("| --- | --- | --- |")
def target(label, r, want):
    if r is None:
        print(f"| {label} | not measured | - |")
    elif want == 0:
        print(f"| {label} | {r:.2f}x | - |")
    else:
        print(f"| {label} | {r:.2f}x | {'yes' if r >= want else 'NO'} |")
target(f"{title['small']}: grab >= 1.1x curl --parallel", ratio("small", "curl-par"), 1.1)
target(f"{title['small']}: grab >= 2.5x aria2c", ratio("small", "aria2c"), 2.5)
target(f"{title['small']}: grab vs the bare Go loop (no target)", ratio("small", "go-floor"), 0)
fl, cp = med.get(("small", "go-floor")), med.get(("small", "curl-par"))
if fl and cp:
    print(f"| {title['small']}: the bare Go loop vs curl --parallel (no target) | {fl / cp:.2f}x | - |")
target(f"{title['large']}: grab >= 1.4x curl --parallel", ratio("large", "curl-par"), 1.4)
target(f"{title['large']}: grab vs curl one file after the other (no target)", ratio("large", "curl-seq"), 0)
target(f"{title['huge']}: grab >= 1.0x curl", ratio("huge", "curl-one"), 1.0)
rss = [x[1] for x in rows.get(("huge", "grab"), [])]
if rss:
    print(f"| {title['huge']}: grab peak RSS <= 20 MB | {max(rss):.1f} MB | {'yes' if max(rss) <= 20 else 'NO'} |")
EOF
