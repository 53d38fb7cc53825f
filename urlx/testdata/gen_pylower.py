#!/usr/bin/env python3
"""Writes pylower.txt.gz: how CPython's str.lower treats every code point.

Run from this folder with the CPython the corpus came from (3.11.7):
    python3 gen_pylower.py
Each line is "CP LOWER SIGMA" in hex: LOWER is the code points of
chr(CP).lower() joined by "+" ("=" when unchanged); SIGMA is three letters,
what a capital sigma becomes ('s' for σ, 'f' for final ς) in "AΣ"+c,
"AΣ"+c+"a" and c+"Σ". Only code points that differ from an ordinary
uncased character ("=" and "ffs") are written.
"""
import gzip, sys

SIG = {"\u03c3": "s", "\u03c2": "f"}
with gzip.open("pylower.txt.gz", "wt", encoding="ascii") as out:
    out.write("# python %s\n" % sys.version.split()[0])
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        c = chr(cp)
        low = c.lower()
        lf = "=" if low == c else "+".join("%x" % ord(x) for x in low)
        sf = SIG[("A\u03a3" + c).lower()[1]] + SIG[("A\u03a3" + c + "a").lower()[1]] + SIG[(c + "\u03a3").lower()[-1]]
        if lf != "=" or sf != "ffs":
            out.write("%x %s %s\n" % (cp, lf, sf))
