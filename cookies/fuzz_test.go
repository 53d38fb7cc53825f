package cookies_test

import (
	"bytes"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"

	"github.com/grabhq/grab/cookies"
)

// FuzzSetCookie feeds Set-Cookie values, as net/http parses them and as
// raw http.Cookie fields, into a jar (HOSTILE.md §5.6): it never stores a
// cookie for a public suffix other than the host itself, never an IP
// domain cookie, never a control character or a byte outside ASCII, and
// never a domain the request host does not match.
func FuzzSetCookie(f *testing.F) {
	seeds := []struct{ line, host, domain string }{
		{"a=1; Domain=co.uk", "www.example.co.uk", "co.uk"},
		{"a=1; Domain=.CO.UK.", "www.example.co.uk", "CO.UK"},
		{"a=1; Domain=github.io; Secure", "x.github.io", "github.io"},
		{"a=1; Domain=168.0.1", "192.168.0.1", "168.0.1"},
		{"a=1; Domain=::1", "[::1]", "[::1]"},
		{"__Host-x=1; Secure; Path=/; Domain=example.com", "www.example.com", "example.com"},
		{"__Secure-x=1; Secure; Max-Age=10", "example.com", ""},
		{"a=\x80; Path=/\x00", "example.com", "example.com\n"},
		{"a=1\r\nb=2", "example.com", "xn--p1ai"},
		{`q="a b"; Expires=Wed, 09 Jun 2031 10:18:14 GMT; Path=/x/y`, "h.test", ""},
		{"a=1; Domain=рф", "пример.рф", "рф"},
		{"a=1; Domain=1", "127.1", "1"},
		{"x=y; SameSite=None; Partitioned; HttpOnly", "localhost", "localhost"},
	}
	for _, s := range seeds {
		f.Add(s.line, s.host, s.domain)
	}
	f.Fuzz(func(t *testing.T, line, host, domain string) {
		j := new(cookies.Jar)
		var us []*url.URL
		for _, scheme := range []string{"https://", "http://"} {
			if u, err := url.Parse(scheme + host + "/a/b"); err == nil && u.Host != "" {
				us = append(us, u)
			}
		}
		if len(us) == 0 {
			return
		}
		parsed := (&http.Response{Header: http.Header{"Set-Cookie": {line}}}).Cookies()
		for _, u := range us {
			j.SetCookies(u, parsed)
			var raw []*http.Cookie
			for _, c := range parsed {
				c2 := *c
				c2.Domain = domain
				raw = append(raw, &c2)
			}
			name, value, _ := strings.Cut(line, "=")
			raw = append(raw, &http.Cookie{Name: name, Value: value, Domain: domain},
				&http.Cookie{Name: "n", Value: line, Path: domain}, &http.Cookie{Name: line, Value: "v", Secure: true})
			j.SetCookies(u, raw)
			j.Set(u, raw[len(raw)-1])
		}
		reqHost := strings.ToLower(strings.TrimSuffix(us[0].Hostname(), "."))
		if a, err := idna.Lookup.ToASCII(reqHost); err == nil {
			reqHost = strings.TrimSuffix(a, ".")
		}
		if a, err := netip.ParseAddr(reqHost); err == nil {
			reqHost = a.String()
		}
		for _, c := range j.All() {
			checkStored(t, c, reqHost)
		}
		for _, u := range us {
			for _, c := range j.Cookies(u) {
				for _, s := range []string{c.Name, c.Value} {
					for i := 0; i < len(s); i++ {
						if s[i] < 0x20 || s[i] >= 0x7f || s[i] == ';' {
							t.Fatalf("Cookies(%s) returned %q=%q", u, c.Name, c.Value)
						}
					}
				}
			}
		}
	})
}

func checkStored(t *testing.T, c cookies.Cookie, reqHost string) {
	t.Helper()
	for k, s := range []string{c.Name, c.Value, c.Domain, c.Path} {
		for i := 0; i < len(s); i++ {
			if s[i] < 0x20 || s[i] >= 0x7f || k < 3 && s[i] == ';' {
				t.Fatalf("stored a control or 8-bit byte: %+v", c)
			}
		}
	}
	if c.Name == "" || len(c.Name)+len(c.Value) > cookies.MaxCookieBytes || !strings.HasPrefix(c.Path, "/") {
		t.Fatalf("stored %+v", c)
	}
	if c.Domain != strings.ToLower(c.Domain) || strings.HasSuffix(c.Domain, ".") || strings.HasPrefix(c.Domain, ".") {
		t.Fatalf("stored a non-canonical domain: %+v", c)
	}
	if reqHost != c.Domain && !strings.HasSuffix(reqHost, "."+c.Domain) {
		t.Fatalf("stored a cookie for %q from host %q", c.Domain, reqHost)
	}
	if c.HostOnly && c.Domain != reqHost {
		t.Fatalf("host-only cookie for %q from host %q", c.Domain, reqHost)
	}
	if !c.HostOnly {
		if ps, _ := publicsuffix.PublicSuffix(c.Domain); ps == c.Domain {
			t.Fatalf("stored a domain cookie for the public suffix %q", c.Domain)
		}
		if _, err := netip.ParseAddr(c.Domain); err == nil {
			t.Fatalf("stored a domain cookie for the IP %q", c.Domain)
		}
	}
	if strings.HasPrefix(strings.ToLower(c.Name), "__host-") && (!c.HostOnly || !c.Secure || c.Path != "/") {
		t.Fatalf("stored a bad __Host- cookie: %+v", c)
	}
	if strings.HasPrefix(strings.ToLower(c.Name), "__secure-") && !c.Secure {
		t.Fatalf("stored a bad __Secure- cookie: %+v", c)
	}
}

// FuzzLoad loads arbitrary jar files (HOSTILE.md §5.6, D8): never a
// panic; whatever loads passes the Set-Cookie checks; and load → save →
// load → save is stable in both formats, the second load without error.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(jarFile("# Netscape HTTP Cookie File", "#HttpOnly_127.0.0.1|FALSE|/|FALSE|0|a|1", ".example.com|TRUE|/p|TRUE|EXP|b|2")))
	f.Add([]byte("\xef\xbb\xbf# HTTP Cookie File\r\nh.test\tFALSE\t/\tFALSE\t0\tb\t\r\n"))
	f.Add([]byte(jarFile(".com|TRUE|/|FALSE|EXP|a|1", "192.168.0.1|TRUE|/|FALSE|EXP|f|1", "h|FALSE|/|FALSE|1e10|c|1", "h|FALSE|/|FALSE|EXP|six")))
	f.Add([]byte(jarFile(`h.test|FALSE|/|FALSE|EXP|q|"a b"`, "h.test|FALSE|/|FALSE|9223372036854775807|huge|1", "x\x00|FALSE|/|FALSE|0|n|1")))
	f.Add([]byte(`{"format":"grab-cookies","version":1,"cookies":[{"name":"a","value":"1","domain":"example.com","host_only":true,"path":"/","same_site":"Lax","expires":"2999-01-01T00:00:00Z"}]}`))
	f.Add([]byte(`{"format":"grab-cookies","version":1,"cookies":[{"name":"a","value":1},{"name":"b","value":"\"x\"","quoted":true,"domain":"com","path":"/"}]}`))
	f.Add([]byte(strings.Repeat("x", 70000) + "\nh.test\tFALSE\t/\tFALSE\t0\ta\t1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		j := new(cookies.Jar)
		j.LoadFrom(bytes.NewReader(data))
		for _, c := range j.All() {
			checkStored(t, c, c.Domain)
		}
		for _, format := range []cookies.Format{cookies.Netscape, cookies.JSON} {
			opts := &cookies.SaveOptions{Session: true, Format: format}
			var first, second bytes.Buffer
			if err := j.SaveTo(&first, opts); err != nil {
				t.Fatal(err)
			}
			j2 := new(cookies.Jar)
			if err := j2.LoadFrom(bytes.NewReader(first.Bytes())); err != nil {
				t.Fatalf("%v: loading what was saved: %v\n%s", format, err, first.Bytes())
			}
			if j2.Len() != j.Len() {
				t.Fatalf("%v: %d cookies saved, %d loaded", format, j.Len(), j2.Len())
			}
			if err := j2.SaveTo(&second, opts); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(first.Bytes(), second.Bytes()) {
				t.Fatalf("%v: second save differs:\n%s\nfirst:\n%s", format, second.Bytes(), first.Bytes())
			}
		}
	})
}
