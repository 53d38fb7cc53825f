# shellcheck shell=bash
# bench/lib.sh: sourced by the bench scripts right after they make $tmp.
# Sourcing it arranges for the server a script starts ($pid) to be stopped
# by PID and for $tmp, and any directory the script adds to bench_dirs, to
# be removed on exit. serve_grab [DIR] builds grab into $tmp, starts "grab
# serve [DIR]" on a free loopback port and sets $pid and $base
# (http://127.0.0.1:PORT); serve_nginx DIR starts nginx on DIR instead.
pid=
bench_dirs=("$tmp")
bench_cleanup() {
	if [[ -n $pid ]]; then kill "$pid" 2>/dev/null; fi
	wait 2>/dev/null
	rm -rf "${bench_dirs[@]}"
}
trap bench_cleanup EXIT

serve_grab() {
	go build -o "$tmp/grab" ./cmd/grab
	"$tmp/grab" serve -q --addr 127.0.0.1:0 "$@" >"$tmp/serve.out" 2>&1 &
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

# serve_nginx DIR: nginx (in the foreground, its master's PID in $pid)
# serving DIR on a free loopback port, as a production server is set up for
# static files: sendfile, one worker a core, keep-alive, no access log.
# Everything it writes stays in $tmp/nginx. Sets $pid and $base.
serve_nginx() {
	local n=$tmp/nginx port
	mkdir -p "$n"
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	# As root, nginx's workers run as nobody: they must be able to read DIR
	# (and get through its parent, made mode 700 by mktemp).
	chmod a+x "$(dirname "$1")"
	chmod -R a+rX "$1"
	cat >"$n/nginx.conf" <<-EOF
		daemon off;
		worker_processes auto;
		pid $n/nginx.pid;
		error_log $n/error.log;
		events { worker_connections 1024; }
		http {
			access_log off;
			sendfile on;
			tcp_nopush on;
			keepalive_requests 100000;
			default_type application/octet-stream;
			client_body_temp_path $n/body;
			proxy_temp_path $n/proxy;
			fastcgi_temp_path $n/fastcgi;
			uwsgi_temp_path $n/uwsgi;
			scgi_temp_path $n/scgi;
			server {
				listen 127.0.0.1:$port;
				root $1;
			}
		}
	EOF
	nginx -p "$n" -e "$n/error.log" -c "$n/nginx.conf" &
	pid=$!
	base=http://127.0.0.1:$port
	for _ in $(seq 50); do
		# nginx writes its pid file once it listens.
		[[ -s $n/nginx.pid ]] && return 0
		sleep 0.1
	done
	echo "nginx did not start:" >&2
	tail -3 "$n/error.log" >&2
	exit 1
}
