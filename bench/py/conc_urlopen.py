"""N GETs with urllib.request.urlopen from a pool of W threads.

usage: conc_urlopen.py URL N W   (URL must be http on a loopback address)
Prints "urllib-threads N SECONDS RATE" like bench/urlopen.
"""
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from seq_urlopen import get, must_loopback


def main():
    url, n, workers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    must_loopback(url)
    if not 1 <= n <= 1_000_000 or not 1 <= workers <= 256:
        raise SystemExit("conc_urlopen: want N from 1 to 1000000 and W from 1 to 256")
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as ex:
        for _ in ex.map(get, [url] * n):  # re-raises the first failure
            pass
    el = time.perf_counter() - t0
    print(f"urllib-threads {n} {el:.6f} {n / el:.0f}")


if __name__ == "__main__":
    main()
