"""N sequential GETs over one persistent http.client.HTTPConnection.

usage: seq_httpclient.py URL N   (URL must be on 127.0.0.1)
Prints "httpclient N SECONDS RATE" like bench/seqget.
"""
import http.client
import sys
import time
import urllib.parse


def main():
    url, n = sys.argv[1], int(sys.argv[2])
    u = urllib.parse.urlsplit(url)
    if u.hostname != "127.0.0.1":
        raise SystemExit("seq_httpclient: want a http://127.0.0.1:PORT/ URL")
    path = u.path + ("?" + u.query if u.query else "")
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    t0 = time.perf_counter()
    for _ in range(n):
        conn.request("GET", path)
        r = conn.getresponse()
        r.read()
        if r.status != 200:
            raise SystemExit(f"{url}: HTTP {r.status}")
    el = time.perf_counter() - t0
    conn.close()
    print(f"httpclient {n} {el:.6f} {n / el:.0f}")


if __name__ == "__main__":
    main()
