"""Writes the charset fixtures of fetch's tests and, in expected.json, the
text CPython's codecs decode from each (the oracle). Run from this folder:
python3 gen.py"""
import codecs, json

ko = "안녕하세요, 세계! 한국어 페이지"
ja = "こんにちは世界、日本語のページ"
fr = "café – naïve € “quotes” œuvre"
cases = {
    # name: (encoding, prefix bytes, html template, Content-Type)
    "euc-kr-meta.html": ("euc-kr", b"", '<html><head><meta charset="euc-kr"><title>t</title></head><body>{}</body></html>', "text/html", ko),
    "shift_jis-header.html": ("shift_jis", b"", "<html><body>{}</body></html>", "text/html; charset=Shift_JIS", ja),
    "windows-1252-http-equiv.html": ("cp1252", b"", '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252"></head><body>{}</body></html>', "text/html", fr),
    "latin1-label.html": ("cp1252", b"", "<p>{}</p>", "text/html; charset=ISO-8859-1", fr),
    "utf-16le-bom.html": ("utf-16-le", codecs.BOM_UTF16_LE, "<html><body>{}</body></html>", "text/html; charset=iso-8859-1", ko + ja),
    "utf-16be-bom.html": ("utf-16-be", codecs.BOM_UTF16_BE, "<html><body>{}</body></html>", "text/html", ja),
    "utf-16-header.txt": ("utf-16-le", b"", "{}", "text/plain; charset=utf-16", fr),
    "utf-8-bom.html": ("utf-8", codecs.BOM_UTF8, '<meta charset="euc-kr"><p>{}</p>', "text/html; charset=euc-kr", ko),
    "header-beats-meta.html": ("euc-kr", b"", '<meta charset="shift_jis"><p>{}</p>', "text/html; charset=euc-kr", ko),
    "meta-too-late.html": ("utf-8", b"", "<!--" + "x" * 1100 + '--><meta charset="euc-kr"><p>{}</p>', "text/html", ko),
    "no-declaration.html": ("utf-8", b"", "<p>{}</p>", "text/html", ja),
}
expected = {}
for name, (enc, prefix, tmpl, ctype, text) in cases.items():
    html = tmpl.format(text)
    data = prefix + html.encode(enc)
    with open(name, "wb") as f:
        f.write(data)
    expected[name] = {"content_type": ctype, "text": html, "charset": {"cp1252": "windows-1252", "utf-16-le": "utf-16le", "utf-16-be": "utf-16be"}.get(enc, enc)}
with open("expected.json", "w", encoding="utf-8") as f:
    json.dump(expected, f, ensure_ascii=False, indent=1, sort_keys=True)
