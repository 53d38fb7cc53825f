package urlx

import (
	"strings"
	"testing"
	"unicode/utf8"
)

var fuzzURLs = []string{
	"http://www.python.org:80/guido/python.html;philosophy?overall=3#n10",
	"https://user:pw@www.Example.com:8443/dir/sub/page.html?x=1&y=2#top",
	"http://[2001:db8::1]:8080/a/b/", "http://[fe80::1%25eth0]/", "http://[v1.x]/",
	"file:///srv/docs/index.html", "mailto:someone@example.com", "//cdn.example.net/lib/v1/",
	"data:text/html,<p>hi</p>", "  \x00http://a/\tb\r\n", `http://a\b@c/`, "http://u@a@b/",
	"http://h:+80/", "http://ΟΣ.gr/", "http://straße.de/", "http://a\u2100b/", "g?y#s", "../g",
	"http:g", "?", "#", "//", "///x", "http://a/b//c/./../d;p?q#f", "HTTP://Example.COM/A/B/./C/../D",
}

// FuzzSplit checks that Split never panics, that Unsplit(Split(x)) is a
// fixed point after one round (HOSTILE.md K2), that Parse agrees with
// Split, and that URL() never accepts a URL whose dial host differs (K1).
func FuzzSplit(f *testing.F) {
	for _, s := range fuzzURLs {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Split(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "urlx: ") {
				t.Fatalf("Split(%q) error %q lacks the urlx prefix", s, err)
			}
			return
		}
		// Unsplit(Split(x)) reaches a fixed point: at once for most URLs;
		// CPython 3.11's urlunsplit drops "//" from a path with an empty
		// netloc each round, so "//////" takes three rounds.
		cur := Unsplit(r)
		for round := 0; ; round++ {
			r2, err := Split(cur)
			if err != nil {
				// The netloc marker Unsplit adds may make a URL that
				// splits differently; that is CPython's behaviour too.
				break
			}
			next := Unsplit(r2)
			if next == cur {
				break
			}
			if round > len(s)/2+2 || len(next) >= len(cur) {
				t.Fatalf("Unsplit(Split(x)) does not settle: %q -> %q -> %q", s, cur, next)
			}
			cur = next
		}
		p, err := Parse(s)
		// CPython's urlparse drops an empty ";params": "a;" has path "a".
		path := joinParams(p.Path, p.Params)
		if err != nil || p.Scheme != r.Scheme || p.Netloc != r.Netloc || (path != r.Path && path+";" != r.Path) {
			t.Fatalf("Parse(%q) = %#v, %v disagrees with Split %#v", s, p, err, r)
		}
		r.Hostname()
		r.Port()
		if r.Scheme == "http" || r.Scheme == "https" {
			checkSameHost(t, r)
		}
	})
}

// FuzzJoin checks that Join never panics, and that it is idempotent on an
// absolute result: joining the result again gives it back.
func FuzzJoin(f *testing.F) {
	for _, b := range fuzzURLs[:8] {
		for _, r := range []string{"g", "../g", "//g", "?y", "#s", "", ";x", ".", "..", "http:g", "%2e%2e/g", "g/../../h/./i"} {
			f.Add(b, r)
		}
	}
	f.Fuzz(func(t *testing.T, base, ref string) {
		j, err := Join(base, ref)
		if err != nil {
			return
		}
		r, err := Split(j)
		if err != nil || r.Scheme == "" || r.Netloc == "" || !usesRelative[r.Scheme] {
			return
		}
		if strings.HasPrefix(strings.TrimLeft(ref, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f "), "//") {
			return
		}
		if p, _ := Parse(j); j != Unparse(p) {
			return // returned as given (an empty ref, another scheme), not normalised
		}
		j2, err := Join(base, j)
		if err != nil || j2 != j {
			t.Fatalf("Join(%q, %q) = %q, but Join(base, that) = %q, %v", base, ref, j, j2, err)
		}
		if j3, err := Join(j, ""); err != nil || j3 != j {
			t.Fatalf("Join(%q, \"\") = %q, %v", j, j3, err)
		}
	})
}

// FuzzQuote checks that Unquote inverts Quote and QuotePlus on valid UTF-8,
// whatever the safe set, and that quoting leaves only safe bytes.
func FuzzQuote(f *testing.F) {
	for _, s := range []string{"", "a b", "/path/x y", "é", "%zz", "+", "~_.-", "\x00\x7f", "😀", "%E2%82"} {
		f.Add(s, "/")
		f.Add(s, "")
	}
	f.Fuzz(func(t *testing.T, s, safe string) {
		q := Quote(s, safe)
		if strings.IndexByte(safe, '%') < 0 && utf8.ValidString(s) {
			if got := Unquote(q); got != s {
				t.Fatalf("Unquote(Quote(%q, %q) = %q) = %q", s, safe, q, got)
			}
			qp := QuotePlus(s, safe)
			if strings.IndexByte(safe, '+') < 0 {
				if got := UnquotePlus(qp); got != s {
					t.Fatalf("UnquotePlus(QuotePlus(%q, %q) = %q) = %q", s, safe, qp, got)
				}
			}
		}
		for i := 0; i < len(q); i++ {
			if c := q[i]; c >= 0x80 || (c != '%' && quoteTableFor(safe, false)[c] != keepByte) {
				t.Fatalf("Quote(%q, %q) = %q keeps unsafe byte %#x", s, safe, q, c)
			}
		}
		u := Unquote(s)
		if utf8.ValidString(s) && !utf8.ValidString(u) {
			t.Fatalf("Unquote(%q) = %q is not valid UTF-8", s, u)
		}
	})
}

// FuzzParseQSL checks that ParseQSL(Encode(pairs)) gives the pairs back and
// that ParseQSL never panics on its own input (HOSTILE.md K2).
func FuzzParseQSL(f *testing.F) {
	for _, s := range []string{"a=1&b=2", "a b=c+d", "k=%E9", "=", "&&", "a=1;b=2", "é=ü&é=x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if _, err := ParseQSL(s, true); err != nil && !strings.Contains(err.Error(), "too many fields") {
			t.Fatalf("ParseQSL(%q): %v", s, err)
		}
		if !utf8.ValidString(s) {
			return
		}
		// Read s as pairs separated by newlines, key and value by a tab.
		var pairs []Pair
		for line := range strings.SplitSeq(s, "\n") {
			k, v, _ := strings.Cut(line, "\t")
			pairs = append(pairs, Pair{k, v})
		}
		if len(pairs) > DefaultMaxFields {
			return
		}
		enc := Encode(pairs)
		got, err := ParseQSL(enc, true)
		if err != nil || !equalPairs(got, pairs) {
			t.Fatalf("ParseQSL(Encode(%q) = %q) = %q, %v", pairs, enc, got, err)
		}
	})
}
