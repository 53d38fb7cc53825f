"""N sequential GETs with urllib.request.urlopen (a new connection each).

usage: seq_urlopen.py URL N   (URL must be http on a loopback address)
Prints "urllib N SECONDS RATE" like bench/urlopen.
"""
import ipaddress
import sys
import time
import urllib.parse
import urllib.request


def must_loopback(url):
    u = urllib.parse.urlsplit(url)
    try:
        ok = u.scheme == "http" and ipaddress.ip_address(u.hostname or "").is_loopback
    except ValueError:
        ok = False
    if not ok:
        raise SystemExit(f"seq_urlopen: refusing {url!r}: want http://127.0.0.1:PORT/...")


def get(url):
    with urllib.request.urlopen(url, timeout=30) as r:
        body = r.read()
        if r.status != 200:
            raise RuntimeError(f"{url}: HTTP {r.status}")
        length = r.headers.get("Content-Length")
        if length is not None and len(body) != int(length):
            raise RuntimeError(f"{url}: body of {len(body)} bytes, Content-Length {length}")


def main():
    url, n = sys.argv[1], int(sys.argv[2])
    must_loopback(url)
    if not 1 <= n <= 1_000_000:
        raise SystemExit(f"seq_urlopen: N {n}: want 1 to 1000000")
    t0 = time.perf_counter()
    for _ in range(n):
        get(url)
    el = time.perf_counter() - t0
    print(f"urllib {n} {el:.6f} {n / el:.0f}")


if __name__ == "__main__":
    main()
