# shellcheck shell=bash
# bench/lib.sh: sourced by the bench scripts. serve_grab builds grab into
# $tmp (which the script made), starts "grab serve" on a free loopback
# port, sets $pid and $base (http://127.0.0.1:PORT), and arranges for the
# server to be stopped by PID and $tmp removed on exit.
serve_grab() {
	pid=
	trap '[[ -n $pid ]] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
	go build -o "$tmp/grab" ./cmd/grab
	"$tmp/grab" serve -q --addr 127.0.0.1:0 >"$tmp/serve.out" 2>&1 &
	pid=$!
	base=
	for _ in $(seq 50); do
		base=$(sed -n 's/.*(\(http:[^ ]*\)\/).*/\1/p' "$tmp/serve.out" | head -1)
		[[ -n $base ]] && return 0
		sleep 0.1
	done
	echo "grab serve did not start" >&2
	exit 1
}
