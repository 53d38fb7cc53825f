"""The textbook's parse_image.py on a local file, for bench/parse.sh: an
html.parser.HTMLParser collecting every <img src> into a set, sorted.
Standard library only. The file is fed in 64 KiB chunks, as a page
arrives from the network.

usage: parse_images.py FILE
prints "python BYTES SECONDS CPU COUNT SHA256" (wall and CPU seconds
in-process, from opening the file to the sorted list), as
bench/parse/main.go does.
"""
import hashlib
import os
import sys
import time
from html.parser import HTMLParser


class ImageParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images = set()

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            for name, value in attrs:
                if name == "src" and value is not None:
                    self.images.add(value)


def main():
    path = sys.argv[1]
    t0, c0 = time.perf_counter(), time.process_time()
    parser = ImageParser()
    with open(path, encoding="utf-8") as f:
        while True:
            chunk = f.read(65536)
            if not chunk:
                break
            parser.feed(chunk)
    parser.close()
    urls = sorted(parser.images)
    el, cpu = time.perf_counter() - t0, time.process_time() - c0
    h = hashlib.sha256()
    for u in urls:
        h.update((u + "\n").encode("utf-8"))
    print(f"python {os.path.getsize(path)} {el:.6f} {cpu:.6f} {len(urls)} {h.hexdigest()[:16]}")


if __name__ == "__main__":
    main()
