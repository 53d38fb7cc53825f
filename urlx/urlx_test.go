package urlx

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		name, in string
		want     SplitResult
	}{
		{"textbook", "http://www.python.org:80/guido/python.html;philosophy?overall=3#n10",
			SplitResult{"http", "www.python.org:80", "/guido/python.html;philosophy", "overall=3", "n10"}},
		{"scheme lower-cased", "HTTP://Example.COM/A", SplitResult{"http", "Example.COM", "/A", "", ""}},
		{"no scheme digit first", "1http://a/", SplitResult{"", "", "1http://a/", "", ""}},
		{"path only", "/a/b?c#d", SplitResult{"", "", "/a/b", "c", "d"}},
		{"second hash kept", "http://a/#x#y", SplitResult{"http", "a", "/", "", "x#y"}},
		{"hash before query", "http://a/p#f?q", SplitResult{"http", "a", "/p", "", "f?q"}},
		{"netloc ends at ?", "//h?x/y", SplitResult{"", "h", "", "x/y", ""}},
		{"backslash kept in netloc", `http://a\b/c`, SplitResult{"http", `a\b`, "/c", "", ""}},
		{"at after hash", "http://a#@b/", SplitResult{"http", "a", "", "", "@b/"}},
		{"at after query", "http://a?@b/", SplitResult{"http", "a", "", "@b/", ""}},
		{"opaque", "mailto:someone@example.com", SplitResult{"mailto", "", "someone@example.com", "", ""}},
		{"trailing space kept", "http://a/ ", SplitResult{"http", "a", "/ ", "", ""}},
		{"empty", "", SplitResult{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Split(tt.in)
			if err != nil || got != tt.want {
				t.Errorf("Split(%q) = %#v, %v, want %#v", tt.in, got, err, tt.want)
			}
		})
	}
}

// TestStripping is HOSTILE.md K3: leading C0 controls and spaces are
// stripped and tab, CR and LF removed anywhere, as CPython >= 3.11.4 does;
// Validate refuses the same input, naming the character and its offset.
func TestStripping(t *testing.T) {
	tests := []struct {
		in, want, validate string
	}{
		{"\x00\x1f http://a/", "http://a/", "NUL at byte 0"},
		{" https://a/", "https://a/", "space at byte 0"},
		{"ht\ttp://ex\nample.com/p\r", "http://example.com/p", "tab at byte 2"},
		{"java\nscript:alert(1)", "javascript:alert(1)", "line feed (LF) at byte 4"},
		{"http://a/\x7f", "http://a/\x7f", "DEL at byte 9"},
		{"http://a/%0d%0a", "http://a/%0d%0a", ""},
	}
	for _, tt := range tests {
		r, err := Split(tt.in)
		if err != nil || r.String() != tt.want {
			t.Errorf("Split(%q).String() = %q, %v, want %q", tt.in, r.String(), err, tt.want)
		}
		err = Validate(tt.in)
		switch {
		case tt.validate == "" && err != nil:
			t.Errorf("Validate(%q) = %v, want nil", tt.in, err)
		case tt.validate != "" && (err == nil || !strings.Contains(err.Error(), tt.validate)):
			t.Errorf("Validate(%q) = %v, want an error with %q", tt.in, err, tt.validate)
		}
	}
}

func TestSplitErrors(t *testing.T) {
	tests := []struct{ in, msg string }{
		{"http://[::1/", "unbalanced brackets"},
		{"http://::1]/", "unbalanced brackets"},
		{"http://[127.0.0.1]/", "an IPv4 address cannot be in brackets"},
		{"http://[v1]/", "IPvFuture address is invalid"},
		{"http://[::1::2]/", "more than one '::'"},
		{"http://[12345::]/", `invalid hextet "12345"`},
		{"http://[fe80::1%]/", "invalid IPv6 zone"},
		{"http://a\u2100b/", "NFKC"},            // ℀ becomes a/c
		{"http://x\uFF03y/", "NFKC"},            // fullwidth #
		{"http://evil.com\uFF0F.good/", "NFKC"}, // fullwidth /
		{"http://a[::1]/", "before '['"},
		{"http://[::1]x/", "after ']'"},
	}
	for _, tt := range tests {
		_, err := Split(tt.in)
		var ue *Error
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.msg) || !strings.HasPrefix(err.Error(), "urlx: ") {
			t.Errorf("Split(%q) error = %v, want *Error containing %q", tt.in, err, tt.msg)
		}
	}
	for _, ok := range []string{"http://[::1]:80/", "http://[v7.anything]/", "http://[fe80::1%25eth0]/", "http://[::ffff:1.2.3.4]/", "http://[::]/"} {
		if _, err := Split(ok); err != nil {
			t.Errorf("Split(%q) = %v, want no error", ok, err)
		}
	}
}

// TestBracketedNetloc pins the deliberate deviation from CPython 3.11.7:
// text around a bracketed host is refused, as CPython releases with the
// CVE-2025-0938 fix do.
func TestBracketedNetloc(t *testing.T) {
	for _, in := range []string{
		"http://user@host[::1]:80/",
		"wss://[fe80::1%25eth0];type=i?a=b",
		"http://[::1]@host/", // brackets only in the userinfo
	} {
		if _, err := Split(in); err == nil {
			t.Errorf("Split(%q) = nil error, want the CVE-2025-0938 refusal", in)
		}
	}
}

func TestNetlocAccessors(t *testing.T) {
	tests := []struct {
		in                 string
		user, pass, host   string
		hasUser, hasPass   bool
		hasHost            bool
		port               int
		hasPort, portError bool
	}{
		{in: "http://a/", host: "a", hasHost: true},
		{in: "http://U:P@Example.COM:8080/", user: "U", pass: "P", host: "example.com", hasUser: true, hasPass: true, hasHost: true, port: 8080, hasPort: true},
		{in: "http://u@a@b/", user: "u@a", host: "b", hasUser: true, hasHost: true},
		{in: "http://u:@h:/", user: "u", hasUser: true, hasPass: true, host: "h", hasHost: true},
		{in: "http://@/", hasUser: true},
		{in: "http://h:0080/", host: "h", hasHost: true, port: 80, hasPort: true},
		{in: "http://h:65536/", host: "h", hasHost: true, portError: true},
		{in: "http://h:+80/", host: "h", hasHost: true, portError: true},
		{in: "http://h:0x50/", host: "h", hasHost: true, portError: true},
		{in: "http://h:80:80/", host: "h", hasHost: true, portError: true},
		{in: "http://h:\u0668\u0660/", host: "h", hasHost: true, portError: true}, // Arabic-Indic digits
		{in: "http://h:99999999999999999999/", host: "h", hasHost: true, portError: true},
		{in: "http://[FE80::A%25EtH0]:1/", host: "fe80::a%25EtH0", hasHost: true, port: 1, hasPort: true},
		{in: "http://\u0130.com/", host: "i\u0307.com", hasHost: true},
		{in: "http://\u039f\u03a3.gr/", host: "\u03bf\u03c3.gr", hasHost: true}, // "." is case-ignorable: not final
		{in: "http://\u039f\u03a3/", host: "\u03bf\u03c2", hasHost: true},       // final sigma
		{in: "http://A%42C/", host: "a%42C", hasHost: true},                     // CPython's zone rule applies to any "%"
		{in: "/path"},
	}
	for _, tt := range tests {
		r, err := Split(tt.in)
		if err != nil {
			t.Fatalf("Split(%q): %v", tt.in, err)
		}
		if u, ok := r.Username(); u != tt.user || ok != tt.hasUser {
			t.Errorf("Split(%q).Username() = %q, %v, want %q, %v", tt.in, u, ok, tt.user, tt.hasUser)
		}
		if p, ok := r.Password(); p != tt.pass || ok != tt.hasPass {
			t.Errorf("Split(%q).Password() = %q, %v, want %q, %v", tt.in, p, ok, tt.pass, tt.hasPass)
		}
		if h, ok := r.Hostname(); h != tt.host || ok != tt.hasHost {
			t.Errorf("Split(%q).Hostname() = %q, %v, want %q, %v", tt.in, h, ok, tt.host, tt.hasHost)
		}
		port, ok, err := r.Port()
		if port != tt.port || ok != tt.hasPort || (err != nil) != tt.portError {
			t.Errorf("Split(%q).Port() = %d, %v, %v, want %d, %v, error %v", tt.in, port, ok, err, tt.port, tt.hasPort, tt.portError)
		}
		if err != nil && !strings.Contains(err.Error(), `invalid port "`) {
			t.Errorf("Split(%q).Port() error %q does not name the port", tt.in, err)
		}
		p, _ := Parse(tt.in)
		if h1, _ := p.Hostname(); h1 != tt.host {
			t.Errorf("Parse(%q).Hostname() = %q, want %q", tt.in, h1, tt.host)
		}
	}
}

// TestDifferential is HOSTILE.md K1: for each input, what urlx reads, and
// proof that the host urlx reports is the one Go dials for Unsplit(r), or
// that the conversion to net/url is refused.
func TestDifferential(t *testing.T) {
	tests := []struct {
		in     string
		host   string // urlx's Hostname; "!" means Split fails
		urlErr bool   // URL() refuses the conversion
	}{
		{"http://a\\b@c/", "c", true},       // backslash stays in the userinfo
		{"http://a\\@b/", "b", true},        // net/url refuses "\" in userinfo
		{"http://a/\\evil", "a", false},     // backslash in the path
		{"http://a#@b/", "a", false},        // "@" after "#" is fragment
		{"http://a?@b/", "a", false},        // "@" after "?" is query
		{"http://a%2F@b/", "b", false},      // encoded "/" in userinfo
		{"http://u@a@b/", "b", false},       // last "@" wins in both
		{"http://u:p@a:p@b:1/", "b", false}, // multiple "@"
		{"http://h:80:80/", "h", true},      // port "80:80"
		{"http://h:0x50/", "h", true},       // port "0x50"
		{"http://h:99999/", "h", false},     // Port() errors; net/url accepts the digits
		{"http://h:/", "h", false},          // empty port
		{"http://[fe80::1%25eth0]/", "fe80::1%25eth0", false},
		{"http://[fe80::1%eth0]/", "fe80::1%eth0", true}, // zone not written %25
		{"http://[a.b]/", "!", false},                    // brackets around a reg-name
		{"http://a b/", "a b", true},                     // space in the host
		{"http://%41/", "%41", true},                     // escaped ASCII in the host
		{"http://%C3%A9/", "%C3%A9", true},               // net/url would dial "é"
		{"http://EXAMPLE.com/", "example.com", false},    // case differs, same host
		{"http://stra\u00dfe.de/", "stra\u00dfe.de", false},
		{"http://\uff45xample.com/", "\uff45xample.com", false}, // fullwidth e: NFKC has no delimiter
		{"http://\uff11\uff12\uff17.\uff10.\uff10.\uff11/", "\uff11\uff12\uff17.\uff10.\uff10.\uff11", false},
		{"http://a\u2488com/", "a\u2488com", true}, // ⒈ is disallowed by IDNA
		{"http:////evil.example/x", "", true},      // no netloc, but Unsplit writes one back
		{"////evil.example/x", "", true},           // the same without a scheme
		{"http:/x", "", false},                     // no netloc, none written
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			r, err := Split(tt.in)
			if tt.host == "!" {
				if err == nil {
					t.Fatalf("Split(%q) = %#v, want an error", tt.in, r)
				}
				return
			}
			if err != nil {
				t.Fatalf("Split(%q): %v", tt.in, err)
			}
			if h, _ := r.Hostname(); h != tt.host {
				t.Errorf("Split(%q).Hostname() = %q, want %q", tt.in, h, tt.host)
			}
			u, err := r.URL()
			if (err != nil) != tt.urlErr {
				t.Fatalf("Split(%q).URL() error = %v, want error %v", tt.in, err, tt.urlErr)
			}
			checkSameHost(t, r)
			if u != nil && !strings.EqualFold(u.Scheme, r.Scheme) {
				t.Errorf("URL().Scheme = %q, want %q", u.Scheme, r.Scheme)
			}
		})
	}
}

// checkSameHost checks the K1 property independently of URL(): when net/url
// parses Unsplit(r) and both sides have a dial form, they are equal; and
// URL() refuses every case where they are not.
func checkSameHost(t *testing.T, r SplitResult) {
	t.Helper()
	u, err := url.Parse(r.String())
	if err != nil {
		return
	}
	if r.Netloc == "" {
		if _, uerr := r.URL(); uerr == nil && (u.Host != "" || u.User != nil) {
			t.Errorf("URL() accepted %q, with no netloc: net/url dials %q", r.String(), u.Host)
		}
		return
	}
	goHost, gerr := dialHost(u)
	ours, oerr := r.ASCIIHostname()
	same := gerr == nil && oerr == nil && strings.EqualFold(goHost, ours)
	if _, uerr := r.URL(); uerr == nil && !same {
		t.Errorf("URL() accepted %q: net/url dials %q (%v), urlx says %q (%v)", r.String(), goHost, gerr, ours, oerr)
	}
}

// TestQuery is HOSTILE.md K4.
func TestQuery(t *testing.T) {
	tests := []struct {
		qs        string
		keepBlank bool
		want      []Pair
	}{
		{"a=1;b=2", false, []Pair{{"a", "1;b=2"}}}, // ";" is literal (CVE-2021-23336)
		{"a=%zz&b=%", false, []Pair{{"a", "%zz"}, {"b", "%"}}},
		{"a+b=c+d&e%20f=g%2Bh", false, []Pair{{"a b", "c d"}, {"e f", "g+h"}}},
		{"k=%E9&k=%C3%A9", false, []Pair{{"k", "\ufffd"}, {"k", "\u00e9"}}},
		{"b=2&a=1&b=3", false, []Pair{{"b", "2"}, {"a", "1"}, {"b", "3"}}},
		{"a&b=&c=1", false, []Pair{{"c", "1"}}},
		{"a&b=&c=1", true, []Pair{{"a", ""}, {"b", ""}, {"c", "1"}}},
		{"&&", true, nil},
	}
	for _, tt := range tests {
		got, err := ParseQSL(tt.qs, tt.keepBlank)
		if err != nil || !equalPairs(got, tt.want) {
			t.Errorf("ParseQSL(%q, %v) = %q, %v, want %q", tt.qs, tt.keepBlank, got, err, tt.want)
		}
	}
	m, err := ParseQS("b=2&a=1&b=3", false)
	if err != nil || strings.Join(m["b"], ",") != "2,3" || strings.Join(m["a"], ",") != "1" {
		t.Errorf("ParseQS = %v, %v", m, err)
	}
	semi, err := QueryOptions{Separator: ";"}.ParseQSL("a=1;b=2")
	if err != nil || !equalPairs(semi, []Pair{{"a", "1"}, {"b", "2"}}) {
		t.Errorf("ParseQSL with separator ';' = %q, %v", semi, err)
	}
	if _, err := (QueryOptions{Strict: true}).ParseQSL("a=1&b"); err == nil || !strings.Contains(err.Error(), `bad query field "b"`) {
		t.Errorf("strict ParseQSL(a=1&b) error = %v", err)
	}
}

// TestQueryFieldCap is HOSTILE.md K4's parameter cap.
func TestQueryFieldCap(t *testing.T) {
	big := strings.Repeat("a=1&", 99999) + "a=1" // 100,000 fields
	_, err := ParseQSL(big, false)
	if !errors.Is(err, ErrTooManyFields) || !strings.Contains(err.Error(), "100000 fields") {
		t.Fatalf("ParseQSL(100,000 fields) error = %v, want ErrTooManyFields", err)
	}
	if _, err := ParseQS(big, false); !errors.Is(err, ErrTooManyFields) {
		t.Fatalf("ParseQS(100,000 fields) error = %v, want ErrTooManyFields", err)
	}
	at := strings.Repeat("a=1&", DefaultMaxFields-1) + "a=1"
	if got, err := ParseQSL(at, false); err != nil || len(got) != DefaultMaxFields {
		t.Fatalf("ParseQSL(%d fields) = %d pairs, %v", DefaultMaxFields, len(got), err)
	}
	got, err := QueryOptions{MaxFields: -1}.ParseQSL(big)
	if err != nil || len(got) != 100000 {
		t.Fatalf("ParseQSL with no limit = %d pairs, %v", len(got), err)
	}
}

func equalPairs(a, b []Pair) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestIDNA is HOSTILE.md K5: the ASCII form of the host is the form Go
// dials, and invalid punycode is an error.
func TestIDNA(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{"http://stra\u00dfe.de/", "xn--strae-oqa.de", ""},
		{"http://\u65e5\u672c.JP/", "xn--wgv71a.jp", ""},
		{"http://p\u0430ypal.com/", "xn--pypal-4ve.com", ""}, // mixed scripts: Cyrillic а
		{"http://\uff11\uff12\uff17.\uff10.\uff10.\uff11/", "127.0.0.1", ""},
		{"http://XN--ZCKZAH.test/", "xn--zckzah.test", ""},
		{"http://xn--zz.com/", "", "invalid IDNA label"},
		{"http://a.xn--a/", "", "invalid IDNA label"},
		{"http://a\u2488com/", "", "no IDNA form"},
		{"http://[::1]/", "::1", ""},
		{"http://[fe80::1%25eth0]/", "fe80::1%eth0", ""},
		{"http://[v1.example.com]/", "", "[v1.example.com] is an IPvFuture address"},
		{"http://u@[v7.X]:80/", "", "[v7.x] is an IPvFuture address"},
		{"http://_dmarc.example.com/", "_dmarc.example.com", ""},
		{"http://caf%C3%A9.com/", "", "holds a %-escape"}, // net/url would dial café.com
		{"http://ex%41mple.com/", "", "holds a %-escape"}, // net/url refuses it
		{"file:///etc/passwd", "", "no host"},
	}
	for _, tt := range tests {
		r, err := Split(tt.in)
		if err != nil {
			t.Fatalf("Split(%q): %v", tt.in, err)
		}
		got, err := r.ASCIIHostname()
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Split(%q).ASCIIHostname() = %q, %v, want error %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Split(%q).ASCIIHostname() = %q, %v, want %q", tt.in, got, err, tt.want)
		}
		if r.Scheme == "http" {
			if u, err := r.URL(); err != nil {
				t.Errorf("Split(%q).URL(): %v", tt.in, err)
			} else if d, _ := dialHost(u); !strings.EqualFold(d, tt.want) && !strings.Contains(tt.want, "%") {
				t.Errorf("net/url dials %q for %q, want %q", d, tt.in, tt.want)
			}
		}
	}
}

// TestJoinVectors is HOSTILE.md K6 beyond the corpus: dot segments, double
// slashes, encoded dots and slashes.
func TestJoinVectors(t *testing.T) {
	tests := []struct{ base, ref, want string }{
		{"http://a/b/c/d;p?q", "../g", "http://a/b/g"},
		{"http://a/b/c/d;p?q", "./g/.", "http://a/b/c/g/"},
		{"http://a/b/c/d;p?q", "/./g", "http://a/g"},
		{"http://a/b/c/d;p?q", "g//h", "http://a/b/c/g/h"},
		{"http://a/b//c/", "../x", "http://a/b/x"},
		{"http://a/b/c/", "%2e%2e/g", "http://a/b/c/%2e%2e/g"},
		{"http://a/b/c/", "a%2Fb/../g", "http://a/b/c/g"},
		{"http://a/b/c/", "http:g", "http://a/b/c/g"},
		{"http://a/b/c/", "https:g", "https:g"},
		{"http://a/b", "?", "http://a/b"},
		{"http://a/b?x", "#", "http://a/b?x"},
		{"mailto:a@b", "c", "c"},
		{"http://a/b", "//c/d", "http://c/d"},
		{"http://a/b", "../../../../g", "http://a/g"},
		{"", "g", "g"},
		{"http://a/", "", "http://a/"},
	}
	for _, tt := range tests {
		got, err := Join(tt.base, tt.ref)
		if err != nil || got != tt.want {
			t.Errorf("Join(%q, %q) = %q, %v, want %q", tt.base, tt.ref, got, err, tt.want)
		}
	}
	if got, err := (Options{NoFragments: true}).Join("http://a/b", "c#d"); err != nil || got != "http://a/c#d" {
		t.Errorf("Join without fragments = %q, %v", got, err)
	}
	if _, err := Join("http://a/", "http://[::1/"); err == nil {
		t.Errorf("Join with an invalid ref: no error")
	}
}

// TestLimits is HOSTILE.md K7: a 2 MB URL is a clear length error; 100,000
// path segments and a 10,000-label host are handled (in linear time: the
// benchmarks measure it).
func TestLimits(t *testing.T) {
	long := "http://a/" + strings.Repeat("x", 2<<20)
	for name, f := range map[string]func() error{
		"Split":         func() error { _, err := Split(long); return err },
		"Parse":         func() error { _, err := Parse(long); return err },
		"Join":          func() error { _, err := Join(long, "g"); return err },
		"JoinRef":       func() error { _, err := Join("http://a/", long); return err },
		"JoinEmptyRef":  func() error { _, err := Join(long, ""); return err },
		"JoinEmptyBase": func() error { _, err := Join("", long); return err },
		"Defrag":        func() error { _, _, err := Defrag(long); return err },
		"Validate":      func() error { return Validate(long) },
	} {
		err := f()
		if !errors.Is(err, ErrTooLong) || !strings.Contains(err.Error(), "longer than the limit") {
			t.Errorf("%s(2 MB URL) error = %v, want ErrTooLong", name, err)
		}
		if err != nil && len(err.Error()) > 400 {
			t.Errorf("%s error message is %d bytes long; it must quote a bounded prefix", name, len(err.Error()))
		}
	}
	segs := "http://a/" + strings.Repeat("s/", 100000)
	got, err := Join(segs, strings.Repeat("../", 50000)+"g")
	if err != nil || got != "http://a/"+strings.Repeat("s/", 50000)+"g" {
		t.Errorf("Join over 100,000 segments = %d bytes, %v", len(got), err)
	}
	host := strings.Repeat("a.", 9999) + "a"
	r, err := Split("http://" + host + "/")
	if err != nil {
		t.Fatalf("Split(10,000-label host): %v", err)
	}
	if h, _ := r.ASCIIHostname(); h != host {
		t.Errorf("ASCIIHostname of a 10,000-label host changed it")
	}
}

// TestQuoteK8 is HOSTILE.md K8: UTF-8 percent-encoding and CPython's safe
// characters.
func TestQuoteK8(t *testing.T) {
	tests := []struct{ fn, in, safe, want string }{
		{"quote", "/é", "/", "/%C3%A9"},
		{"quote", "/é", "", "%2F%C3%A9"},
		{"quote", "a b+c~_.-", "/", "a%20b%2Bc~_.-"},
		{"quote", "a:b@c", ":@", "a:b@c"},
		{"quote", "x", "é", "x"},      // non-ASCII safe characters are ignored
		{"quote", "é", "é", "%C3%A9"}, // ... and never make a byte safe
		{"quote", "\xff", "", "%FF"},  // invalid UTF-8 is quoted byte by byte
		{"quote_plus", "a b+c", "", "a+b%2Bc"},
		{"quote_plus", "a b+c", "+", "a+b+c"},
		{"unquote", "%C3%A9", "", "é"},
		{"unquote", "%E9", "", "\ufffd"},                   // Latin-1 escape: one U+FFFD
		{"unquote", "%E2%82", "", "\ufffd"},                // truncated sequence: one U+FFFD
		{"unquote", "%ED%A0%80", "", "\ufffd\ufffd\ufffd"}, // surrogate: one per byte
		{"unquote", "%F0%9F%98%80", "", "😀"},
		{"unquote", "%C3é%A9", "", "\ufffdé\ufffd"}, // runs are decoded apart
		{"unquote", "%zz%4%", "", "%zz%4%"},
		{"unquote", "a+b", "", "a+b"},
		{"unquote_plus", "a+b%2B", "", "a b+"},
	}
	for _, tt := range tests {
		var got string
		switch tt.fn {
		case "quote":
			got = Quote(tt.in, tt.safe)
		case "quote_plus":
			got = QuotePlus(tt.in, tt.safe)
		case "unquote":
			got = Unquote(tt.in)
		case "unquote_plus":
			got = UnquotePlus(tt.in)
		}
		if got != tt.want {
			t.Errorf("%s(%q, %q) = %q, want %q", tt.fn, tt.in, tt.safe, got, tt.want)
		}
	}
}

func TestFromURL(t *testing.T) {
	for _, s := range []string{
		"http://u:p@a.example:8080/p%20q;x?y=1#frag",
		"https://[fe80::1%25eth0]:443/",
		"mailto:a@b.example",
		"file:///etc/hosts",
		"/relative/path?q",
	} {
		u, err := url.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		r := FromURL(u)
		if got := r.String(); got != s {
			t.Errorf("FromURL(%q).String() = %q", s, got)
		}
		want, _ := Split(s)
		if r != want {
			t.Errorf("FromURL(%q) = %#v, Split gives %#v", s, r, want)
		}
	}
	// net/url decodes a host's escapes; FromURL keeps the host it dials.
	u, err := url.Parse("http://caf%C3%A9.example/")
	if err != nil {
		t.Fatal(err)
	}
	r := FromURL(u)
	if h, err := r.ASCIIHostname(); r.Netloc != "café.example" || h != "xn--caf-dma.example" || err != nil {
		t.Errorf("FromURL(caf%%C3%%A9.example) netloc %q, ASCIIHostname %q, %v; want café.example, xn--caf-dma.example", r.Netloc, h, err)
	}
}

func TestDefrag(t *testing.T) {
	tests := []struct{ in, url, frag string }{
		{"http://a/b#c", "http://a/b", "c"},
		{"http://a/b", "http://a/b", ""},
		{"http://a/b?#", "http://a/b", ""},
		{"  http://a/b", "  http://a/b", ""}, // no "#": returned as given
		{"#x", "", "x"},
	}
	for _, tt := range tests {
		u, f, err := Defrag(tt.in)
		if err != nil || u != tt.url || f != tt.frag {
			t.Errorf("Defrag(%q) = %q, %q, %v, want %q, %q", tt.in, u, f, err, tt.url, tt.frag)
		}
	}
}

// TestUnparseParams: params after an empty path are preceded by "/" when
// there is a netloc, as CPython 3.11 tests the path and params joined
// (urlunparse(("http", "a", "", "p", "", "")) == "http://a/;p").
func TestUnparseParams(t *testing.T) {
	tests := []struct {
		in   ParseResult
		want string
	}{
		{ParseResult{Scheme: "http", Netloc: "a", Params: "p"}, "http://a/;p"},
		{ParseResult{Netloc: "h", Params: ";"}, "//h/;;"},
		{ParseResult{Scheme: "http", Params: "p"}, "http:///;p"},
		{ParseResult{Params: "p"}, ";p"},
		{ParseResult{Scheme: "http", Netloc: "a", Path: "x", Params: "p"}, "http://a/x;p"},
		{ParseResult{Scheme: "http", Netloc: "a"}, "http://a"},
	}
	for _, tt := range tests {
		if got := Unparse(tt.in); got != tt.want {
			t.Errorf("Unparse(%#v) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if u, f, err := Defrag("http:;p#f"); u != "http:///;p" || f != "f" || err != nil {
		t.Errorf("Defrag(%q) = %q, %q, %v, want %q, %q", "http:;p#f", u, f, err, "http:///;p", "f")
	}
	if got, err := Join("http:;p", "?q"); got != "http:///;p?q" || err != nil {
		t.Errorf("Join(%q, %q) = %q, %v, want %q", "http:;p", "?q", got, err, "http:///;p?q")
	}
}

func TestUnquoteBytes(t *testing.T) {
	// Expected values from CPython 3.11's urllib.parse.unquote_to_bytes.
	tests := []struct{ in, want string }{
		{"a%20b", "a b"},
		{"%zz%4", "%zz%4"},
		{"%e9%C3%A9", "\xe9\xc3\xa9"},
		{"%%41", "%A"},
		{"abc%4", "abc%4"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := string(UnquoteBytes(tt.in)); got != tt.want {
			t.Errorf("UnquoteBytes(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// An error names the URL and the netloc it refuses with the password
// masked (HOSTILE P1, C7): the CLI and fetch print these.
func TestErrorMasksPassword(t *testing.T) {
	for _, raw := range []string{
		"http://kim:s3cretpw@[::1/",
		"http://kim:s3cretpw@x[::1]/",
		"http://kim:s3cretpw@[::1]x/",
		"http://kim:s3cretpw@[zz]/",
		"http://kim:s3cretpw@ex\uff0fample.com/",
	} {
		_, err := Split(raw)
		if err == nil {
			t.Errorf("Split(%q): no error", raw)
			continue
		}
		if msg := err.Error(); strings.Contains(msg, "s3cr") {
			t.Errorf("Split(%q) error = %q shows the password", raw, msg)
		} else if !strings.Contains(msg, "kim:xxxxx@") {
			t.Errorf("Split(%q) error = %q, want it to name the URL with the password masked", raw, msg)
		}
	}
}

// A "port" that may be the start of a password ("kim:S3cr#t@h" splits
// there, as CPython splits it) is not shown.
func TestPortErrorMasksPassword(t *testing.T) {
	for _, raw := range []string{"http://kim:s3cr#et@h/", "http://kim:123456/s3cr@h/", "http://u:s3cr/cd+ef==@host/", "http://kim:s3cr/b#c@h/", "http://u:s3cr#w@h/?email=a@b"} {
		r, err := Split(raw)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = r.Port()
		if err == nil || strings.Contains(err.Error(), "s3cr") || strings.Contains(err.Error(), "123456") {
			t.Errorf("Split(%q).Port() error = %v, want one that does not show the password", raw, err)
		}
	}
	// An '@' in the path or query after a '/', '?', '=' or '&' is no
	// password's: the port and the URL are shown, the query's secrets
	// masked.
	for raw, want := range map[string]string{
		"http://h:65536/": `invalid port "65536" (out of range 0-65535) in "http://h:65536/"`,
		"http://localhost:80a/api?email=jo@example.org": `invalid port "80a" (not a decimal number) in "http://localhost:80a/api?email=jo@example.org"`,
		"http://kim:s3cret@h:99999/a?b=c@d":             `invalid port "99999" (out of range 0-65535) in "http://kim:xxxxx@h:99999/a?b=c@d"`,
		"http://h:" + strings.Repeat("9", 1000) + "/":   `invalid port "` + strings.Repeat("9", 200) + `..." (1000 bytes) (out of range`,
	} {
		r, err := Split(raw)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err = r.Port(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Split(%q).Port() error = %v, want it to contain %s", raw, err, want)
		}
	}
}

// A SplitResult made by hand, past Split's bracket check, with a bracketed
// host that is no IPv6 address: an error that says so.
func TestASCIIHostnameBracketed(t *testing.T) {
	r := SplitResult{Scheme: "http", Netloc: "[1.2.3.4]", Path: "/"}
	if h, err := r.ASCIIHostname(); err == nil || !strings.Contains(err.Error(), `bracketed host "1.2.3.4" is not an IPv6 address`) {
		t.Errorf("ASCIIHostname of [1.2.3.4] = %q, %v", h, err)
	}
}

// TestZeroError: a zero Error has a message, never a panic.
func TestZeroError(t *testing.T) {
	if got := (&Error{}).Error(); got != `urlx: <nil> in ""` {
		t.Errorf("Error{}.Error() = %q", got)
	}
}
