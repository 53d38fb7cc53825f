package cookies_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/grabhq/grab/cookies"
)

// set is one response: the URL it came from and its Set-Cookie values.
type set struct {
	url     string
	headers []string
}

// want is the Cookie header the jar must make for a URL.
type want struct {
	url, header string
}

type scenario struct {
	name  string
	sets  []set
	wants []want
}

func runScenarios(t *testing.T, tests []scenario) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := new(cookies.Jar)
			for _, s := range tt.sets {
				resp := &http.Response{Header: http.Header{"Set-Cookie": s.headers}}
				j.SetCookies(mustURL(t, s.url), resp.Cookies())
			}
			for _, w := range tt.wants {
				if got := header(t, j, w.url); got != w.header {
					t.Errorf("Cookie header for %s = %q, want %q\njar:\n%s", w.url, got, w.header, dump(j))
				}
			}
		})
	}
}

func one(url string, headers ...string) []set { return []set{{url, headers}} }

// TestPublicSuffix is HOSTILE.md D1: a Domain that is a public suffix is
// refused unless it is the request host, which then gets a host-only
// cookie (RFC 6265 §5.3 step 5).
func TestPublicSuffix(t *testing.T) {
	runScenarios(t, []scenario{
		{"D1 co.uk", one("http://www.example.co.uk/", "a=1; Domain=co.uk"),
			[]want{{"http://www.example.co.uk/", ""}, {"http://other.co.uk/", ""}}},
		{"D1 .co.uk", one("http://www.example.co.uk/", "a=1; Domain=.co.uk"),
			[]want{{"http://www.example.co.uk/", ""}, {"http://other.co.uk/", ""}}},
		{"D1 CO.UK", one("http://www.example.co.uk/", "a=1; Domain=CO.UK"),
			[]want{{"http://www.example.co.uk/", ""}, {"http://other.co.uk/", ""}}},
		{"D1 co.uk.", one("http://www.example.co.uk/", "a=1; Domain=co.uk."),
			[]want{{"http://www.example.co.uk/", ""}, {"http://other.co.uk/", ""}}},
		{"D1 com", one("http://example.com/", "a=1; Domain=com"),
			[]want{{"http://example.com/", ""}, {"http://other.com/", ""}}},
		{"D1 github.io (private section)", one("https://victim.github.io/", "a=1; Domain=github.io"),
			[]want{{"https://victim.github.io/", ""}, {"https://attacker.github.io/", ""}}},
		{"D1 xn--p1ai", one("http://xn--e1afmkfd.xn--p1ai/", "a=1; Domain=xn--p1ai"),
			[]want{{"http://xn--e1afmkfd.xn--p1ai/", ""}, {"http://xn--80ak6aa92e.xn--p1ai/", ""}}},
		// net/http drops a non-ASCII attribute value: the cookie is host-only.
		{"D1 unicode рф", one("http://пример.рф/", "a=1; Domain=рф"),
			[]want{{"http://пример.рф/", "a=1"}, {"http://xn--e1afmkfd.xn--p1ai/", "a=1"}, {"http://xn--80ak6aa92e.xn--p1ai/", ""}}},
		{"D1 xn--55qx5d.cn", one("http://a.xn--55qx5d.cn/", "a=1; Domain=xn--55qx5d.cn"),
			[]want{{"http://a.xn--55qx5d.cn/", ""}}},
		{"D1 wildcard rule *.ck", one("http://www.foo.ck/", "a=1; Domain=foo.ck"),
			[]want{{"http://www.foo.ck/", ""}, {"http://foo.ck/", ""}}},
		{"D1 suffix equal to host is host-only", one("https://github.io/", "a=1; Domain=github.io"),
			[]want{{"https://github.io/", "a=1"}, {"https://x.github.io/", ""}}},
		{"D1 localhost equal to host is host-only", one("http://localhost/", "a=1; Domain=localhost"),
			[]want{{"http://localhost/", "a=1"}, {"http://a.localhost/", ""}}},
		{"D1 registrable domain is fine", one("http://www.example.co.uk/", "a=1; Domain=example.co.uk"),
			[]want{{"http://example.co.uk/", "a=1"}, {"http://x.example.co.uk/", "a=1"}, {"http://co.uk/", ""}}},
		{"D1 user site under github.io", one("https://me.github.io/", "a=1; Domain=me.github.io"),
			[]want{{"https://me.github.io/", "a=1"}, {"https://x.me.github.io/", "a=1"}, {"https://you.github.io/", ""}}},
	})
}

// TestDomainMatch is HOSTILE.md D2: matching is on label boundaries.
func TestDomainMatch(t *testing.T) {
	runScenarios(t, []scenario{
		{"D2 host-only", one("http://example.com/", "h=1"),
			[]want{{"http://example.com/", "h=1"}, {"http://www.example.com/", ""}, {"http://aexample.com/", ""},
				{"http://example.com.evil/", ""}, {"http://EXAMPLE.com./", "h=1"}}},
		{"D2 domain cookie", one("http://example.com/", "d=1; Domain=example.com"),
			[]want{{"http://example.com/", "d=1"}, {"http://www.example.com/", "d=1"}, {"http://aexample.com/", ""},
				{"http://example.com.evil/", ""}, {"http://wwwexample.com/", ""}}},
		{"D2 1.test.com vs 11.test.com", one("http://1.test.com/", "a=1", "b=2; Domain=1.test.com"),
			[]want{{"http://1.test.com/", "a=1; b=2"}, {"http://11.test.com/", ""}, {"http://x.1.test.com/", "b=2"},
				{"http://x11.test.com/", ""}}},
		{"D2 Domain of another site", one("http://aexample.com/", "a=1; Domain=example.com"),
			[]want{{"http://example.com/", ""}, {"http://aexample.com/", ""}}},
		{"D2 Domain of a child", one("http://example.com/", "a=1; Domain=www.example.com"),
			[]want{{"http://www.example.com/", ""}, {"http://example.com/", ""}}},
		{"D2 Domain of a sibling", one("http://a.example.com/", "a=1; Domain=b.example.com"),
			[]want{{"http://b.example.com/", ""}}},
		{"D2 unicode host", one("http://www.straße.de/", "a=1; Domain=STRASSE.de", "b=2; Domain=xn--strae-oqa.de"),
			[]want{{"http://xn--strae-oqa.de/", "b=2"}, {"http://x.straße.de/", "b=2"}, {"http://strasse.de/", ""}}},
	})
}

// TestIPHosts is HOSTILE.md D3: IP hosts get host-only cookies only.
func TestIPHosts(t *testing.T) {
	runScenarios(t, []scenario{
		{"D3 Domain=168.0.1 from 192.168.0.1", one("http://192.168.0.1/", "a=1; Domain=168.0.1"),
			[]want{{"http://192.168.0.1/", ""}, {"http://127.168.0.1/", ""}}},
		{"D3 Domain=.0.1", one("http://192.168.0.1/", "a=1; Domain=.0.1"),
			[]want{{"http://192.168.0.1/", ""}, {"http://127.168.0.1/", ""}}},
		{"D3 host-only IP cookie", one("http://192.168.0.1/", "a=1"),
			[]want{{"http://192.168.0.1/", "a=1"}, {"http://127.168.0.1/", ""}, {"http://2.192.168.0.1/", ""}}},
		{"D3 Domain equal to the IP", one("http://127.0.0.1/", "a=1; Domain=127.0.0.1"),
			[]want{{"http://127.0.0.1:8080/", "a=1"}, {"http://1.127.0.0.1/", ""}}},
		{"D3 Domain of another IP", one("http://10.0.0.1/", "a=1; Domain=10.0.0.2"),
			[]want{{"http://10.0.0.1/", ""}, {"http://10.0.0.2/", ""}}},
		{"D3 IP Domain from a name", one("http://example.com/", "a=1; Domain=127.0.0.1"),
			[]want{{"http://example.com/", ""}, {"http://127.0.0.1/", ""}}},
		{"D3 IPv6", one("http://[::1]:8080/", "a=1"),
			[]want{{"http://[::1]/", "a=1"}, {"http://[0:0::1]/", "a=1"}, {"http://[::2]/", ""}}},
		{"D3 IPv6 Domain equal", one("http://[2001:db8::1]/", "a=1; Domain=2001:db8::1"),
			[]want{{"http://[2001:db8::1]/", "a=1"}}},
		{"D3 IPv6 Domain suffix", one("http://[2001:db8::1]/", "a=1; Domain=db8::1"),
			[]want{{"http://[2001:db8::1]/", ""}}},
		{"D3 numeric last label is an IP", one("http://127.1/", "a=1; Domain=1", "b=2"),
			[]want{{"http://127.1/", "b=2"}, {"http://2.127.1/", ""}}},
	})
}

// TestSecure is HOSTILE.md D4 and B2: Secure cookies and the prefixes.
func TestSecure(t *testing.T) {
	runScenarios(t, []scenario{
		{"D4 __Host- with Domain", one("https://example.com/", "__Host-x=1; Secure; Path=/; Domain=example.com"),
			[]want{{"https://example.com/", ""}}},
		{"D4 __Host- with Domain equal to a suffix host", one("https://github.io/", "__Host-x=1; Secure; Path=/; Domain=github.io"),
			[]want{{"https://github.io/", ""}}},
		{"D4 __Host- without Secure", one("https://example.com/", "__Host-x=1; Path=/"),
			[]want{{"https://example.com/", ""}}},
		{"D4 __Host- without Path", one("https://example.com/", "__Host-x=1; Secure"),
			[]want{{"https://example.com/", ""}}},
		{"D4 __Host- with Path=/a", one("https://example.com/a/b", "__Host-x=1; Secure; Path=/a"),
			[]want{{"https://example.com/a/b", ""}}},
		{"D4 __Host- over http", one("http://example.com/", "__Host-x=1; Secure; Path=/"),
			[]want{{"https://example.com/", ""}}},
		{"D4 __Host- done right", one("https://example.com/a", "__Host-x=1; Secure; Path=/"),
			[]want{{"https://example.com/b", "__Host-x=1"}, {"https://www.example.com/", ""}, {"http://example.com/", ""}}},
		{"D4 __host- matched without case", one("https://example.com/", "__host-x=1; Secure; Path=/; Domain=example.com"),
			[]want{{"https://example.com/", ""}}},
		{"D4 __Secure- over http", one("http://example.com/", "__Secure-x=1; Secure"),
			[]want{{"https://example.com/", ""}}},
		{"D4 __Secure- without Secure", one("https://example.com/", "__Secure-x=1", "__SECURE-y=1"),
			[]want{{"https://example.com/", ""}}},
		{"D4 __Secure- done right", one("https://example.com/", "__Secure-x=1; Secure; Domain=example.com"),
			[]want{{"https://www.example.com/", "__Secure-x=1"}, {"http://example.com/", ""}}},
		{"D4 Secure from http", one("http://example.com/", "s=1; Secure"),
			[]want{{"https://example.com/", ""}, {"http://example.com/", ""}}},
		{"D4 http may not overwrite Secure", []set{{"https://example.com/", []string{"s=1; Secure"}}, {"http://example.com/", []string{"s=2"}}},
			[]want{{"https://example.com/", "s=1"}, {"http://example.com/", ""}}},
		{"D4 http may not delete Secure", []set{{"https://example.com/", []string{"s=1; Secure"}}, {"http://example.com/", []string{"s=; Max-Age=0"}}},
			[]want{{"https://example.com/", "s=1"}}},
		{"D4 http may not shadow Secure with a longer path", []set{{"https://example.com/", []string{"s=1; Secure"}}, {"http://example.com/", []string{"s=2; Path=/a"}}},
			[]want{{"https://example.com/a", "s=1"}, {"http://example.com/a", ""}}},
		{"D4 http may not shadow Secure from a subdomain", []set{{"https://example.com/", []string{"s=1; Secure; Domain=example.com"}}, {"http://www.example.com/", []string{"s=2"}}},
			[]want{{"https://www.example.com/", "s=1"}, {"http://www.example.com/", ""}}},
		{"D4 http may set another name", []set{{"https://example.com/", []string{"s=1; Secure"}}, {"http://example.com/", []string{"t=2"}}},
			[]want{{"https://example.com/", "s=1; t=2"}, {"http://example.com/", "t=2"}}},
		{"D4 https may overwrite Secure with non-Secure", []set{{"https://example.com/", []string{"s=1; Secure"}}, {"https://example.com/", []string{"s=2"}}},
			[]want{{"http://example.com/", "s=2"}}},
		{"D4 https may delete Secure", []set{{"https://example.com/", []string{"s=1; Secure"}}, {"https://example.com/", []string{"s=; Max-Age=0; Secure"}}},
			[]want{{"https://example.com/", ""}}},
		{"loopback is a secure context", []set{{"http://127.0.0.1:8080/", []string{"s=1; Secure", "__Host-h=1; Secure; Path=/"}}, {"http://localhost/", []string{"s=2; Secure"}}, {"http://[::1]/", []string{"s=3; Secure"}}, {"http://app.localhost/", []string{"s=4; Secure"}}},
			[]want{{"http://127.0.0.1:9/", "s=1; __Host-h=1"}, {"http://localhost/", "s=2"}, {"http://[::1]/", "s=3"}, {"http://app.localhost/", "s=4"}}},
		{"B2 Secure not sent over http", one("https://example.com/", "s=1; Secure", "p=1"),
			[]want{{"https://example.com/", "s=1; p=1"}, {"http://example.com/", "p=1"}, {"http://example.com:443/", "p=1"}}},
	})
}

// TestSiblingTossing is HOSTILE.md D5: the behaviour of RFC 6265 §8.6,
// pinned. A sibling can set a cookie for the parent domain that the
// parent receives first on a longer path; it cannot do it to a "__Host-"
// cookie.
func TestSiblingTossing(t *testing.T) {
	runScenarios(t, []scenario{
		{"D5 sibling shadows a plain cookie", []set{
			{"https://example.com/", []string{"sid=good"}},
			{"https://evil.example.com/", []string{"sid=evil; Domain=example.com; Path=/account"}},
		}, []want{
			{"https://example.com/account/x", "sid=evil; sid=good"},
			{"https://example.com/", "sid=good"},
		}},
		{"D5 sibling cannot set __Host- for the parent", []set{
			{"https://example.com/", []string{"__Host-sid=good; Secure; Path=/"}},
			{"https://evil.example.com/", []string{
				"__Host-sid=evil; Secure; Path=/; Domain=example.com",
				"__Host-sid=evil2; Secure; Path=/account; Domain=example.com",
				"__HOST-sid=evil3; Secure; Path=/; Domain=example.com",
				"__Host-sid=evil4; Secure; Path=/",
			}},
		}, []want{
			{"https://example.com/account/x", "__Host-sid=good"},
			{"https://example.com/", "__Host-sid=good"},
			{"https://evil.example.com/", "__Host-sid=evil4"},
		}},
		{"D5 http sibling cannot shadow a Secure cookie", []set{
			{"https://example.com/", []string{"sid=good; Secure; Domain=example.com"}},
			{"http://evil.example.com/", []string{"sid=evil; Domain=example.com; Path=/account"}},
		}, []want{
			{"https://example.com/account/x", "sid=good"},
		}},
	})
}

// TestPaths is RFC 6265 §5.1.4 and the Cookie header order of §5.4.
func TestPaths(t *testing.T) {
	runScenarios(t, []scenario{
		{"default path is the directory", one("http://h.test/a/b/c", "d=1"),
			[]want{{"http://h.test/a/b/c", "d=1"}, {"http://h.test/a/b", "d=1"}, {"http://h.test/a/b/", "d=1"},
				{"http://h.test/a/bc", ""}, {"http://h.test/a/", ""}}},
		{"default path of /x is /", one("http://h.test/x", "d=1"),
			[]want{{"http://h.test/", "d=1"}, {"http://h.test/y/z", "d=1"}}},
		{"default path of no path is /", one("http://h.test", "d=1"),
			[]want{{"http://h.test/", "d=1"}}},
		{"relative Path attribute means default", one("http://h.test/a/b", "d=1; Path=x"),
			[]want{{"http://h.test/a/q", "d=1"}, {"http://h.test/q", ""}}},
		{"Path with trailing slash", one("http://h.test/", "p=1; Path=/a/"),
			[]want{{"http://h.test/a/", "p=1"}, {"http://h.test/a", ""}, {"http://h.test/a/b", "p=1"}}},
		{"Path without trailing slash", one("http://h.test/", "p=1; Path=/a"),
			[]want{{"http://h.test/a", "p=1"}, {"http://h.test/a/b", "p=1"}, {"http://h.test/ab", ""}}},
		{"escaped path is matched as written", one("http://h.test/", "p=1; Path=/a%2Fb"),
			[]want{{"http://h.test/a%2Fb/c", "p=1"}, {"http://h.test/a/b/c", ""}}},
		{"longer paths first, then creation", []set{
			{"http://h.test/", []string{"a=1; Path=/", "b=2; Path=/x/y", "c=3; Path=/x"}},
			{"http://h.test/", []string{"d=4; Path=/x"}},
		}, []want{{"http://h.test/x/y/z", "b=2; c=3; d=4; a=1"}}},
		{"replacing keeps the creation time", []set{
			{"http://h.test/", []string{"a=1", "b=2"}},
			{"http://h.test/", []string{"a=3"}},
		}, []want{{"http://h.test/", "a=3; b=2"}}},
		{"host-only and domain cookies are two cookies", []set{
			{"http://example.com/", []string{"a=host", "a=dom; Domain=example.com"}},
		}, []want{{"http://example.com/", "a=host; a=dom"}, {"http://www.example.com/", "a=dom"}}},
		{"quoted values stay quoted", one("http://h.test/", `q="a b"`, `r="x"`),
			[]want{{"http://h.test/", `q="a b"; r="x"`}}},
		{"other schemes get nothing", []set{{"ftp://h.test/", []string{"a=1"}}, {"ws://h.test/", []string{"b=1"}}},
			[]want{{"http://h.test/", ""}}},
		{"Domain attribute over 1024 bytes is ignored", one("http://www.example.com/", "a=1; Domain="+strings.Repeat("x.", 520)+"example.com"),
			[]want{{"http://www.example.com/", "a=1"}, {"http://x.www.example.com/", ""}}},
		{"Path attribute over 1024 bytes is ignored", one("http://h.test/a/b", "a=1; Path=/"+strings.Repeat("p", 1030)),
			[]want{{"http://h.test/a/x", "a=1"}, {"http://h.test/x", ""}}},
	})
}

// TestExpiry runs in a synctest bubble, where time is fake and moves only
// when every goroutine waits.
func TestExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		j := new(cookies.Jar)
		u := "http://h.test/"
		setCookie(t, j, u, "maxage=1; Max-Age=60")
		setCookie(t, j, u, "both=1; Max-Age=60; Expires=Thu, 01 Jan 1970 00:00:00 GMT") // Max-Age wins
		setCookie(t, j, u, "expires=1; Expires="+time.Now().Add(2*time.Hour).UTC().Format(http.TimeFormat))
		setCookie(t, j, u, "rfc850=1; Expires="+time.Now().Add(2*time.Hour).UTC().Format("Monday, 02-Jan-06 15:04:05 MST"))
		setCookie(t, j, u, "asctime=1; Expires="+time.Now().Add(2*time.Hour).UTC().Format(time.ANSIC))
		setCookie(t, j, u, "session=1")
		setCookie(t, j, u, "forever=1; Max-Age=999999999999")
		setCookie(t, j, u, "past=1; Expires=Wed, 21 Oct 1998 07:28:00 GMT")
		setCookie(t, j, u, "zero=1; Max-Age=0")
		if got, want := header(t, j, u), "maxage=1; both=1; expires=1; rfc850=1; asctime=1; session=1; forever=1"; got != want {
			t.Fatalf("after setting: %q, want %q", got, want)
		}
		for _, c := range j.All() {
			if c.Name == "forever" {
				if got := c.Expires.Sub(time.Now()); got != cookies.MaxLifetime {
					t.Errorf("forever expires in %v, want MaxLifetime %v", got, cookies.MaxLifetime)
				}
			}
		}
		time.Sleep(61 * time.Second)
		if got, want := header(t, j, u), "expires=1; rfc850=1; asctime=1; session=1; forever=1"; got != want {
			t.Errorf("after 61s: %q, want %q", got, want)
		}
		time.Sleep(2 * time.Hour)
		if got, want := header(t, j, u), "session=1; forever=1"; got != want {
			t.Errorf("after 2h: %q, want %q", got, want)
		}
		setCookie(t, j, u, "session=; Max-Age=-1")
		setCookie(t, j, u, "forever=x; Expires=Thu, 01 Jan 1970 00:00:00 GMT")
		if got := header(t, j, u); got != "" {
			t.Errorf("after deleting: %q, want none", got)
		}
		if n := j.Len(); n != 0 {
			t.Errorf("Len() = %d, want 0", n)
		}
	})
}

// TestControlCharacters is HOSTILE.md D6: a name or value with a control
// character, ';', TAB or an 8-bit byte is dropped from a server and
// refused from a program.
func TestControlCharacters(t *testing.T) {
	u := mustURL(t, "https://example.com/a/")
	bad := []http.Cookie{
		{Name: "a\r\nSet-Cookie: x", Value: "1"},
		{Name: "a", Value: "1\r\nX-Injected: 1"},
		{Name: "a", Value: "1\n2"},
		{Name: "a", Value: "x;y=z"},
		{Name: "a", Value: "x\ty"},
		{Name: "a", Value: "x\x00y"},
		{Name: "a", Value: "x\x7fy"},
		{Name: "a", Value: "caf\xc3\xa9"},
		{Name: "a", Value: "\x80"},
		{Name: "a", Value: `x"y`},
		{Name: "a", Value: `x\y`},
		{Name: "caf\xc3\xa9", Value: "1"},
		{Name: "a b", Value: "1"},
		{Name: "a;b", Value: "1"},
		{Name: "a=b", Value: "1"},
		{Name: "", Value: "1"},
		{Name: "a\tb", Value: "1"},
		{Name: "a", Value: "1", Path: "/a\tb"},
		{Name: "a", Value: "1", Path: "/a\x00"},
		{Name: "a", Value: "1", Path: "/caf\xc3\xa9"},
		{Name: "a", Value: "1", Domain: "exa\x00mple.com"},
		{Name: "a", Value: "1", Domain: "example.com\r\n"},
	}
	for _, c := range bad {
		t.Run(strings.ToValidUTF8(c.Name+"="+c.Value+";"+c.Path+";"+c.Domain, "?"), func(t *testing.T) {
			j := new(cookies.Jar)
			j.SetCookies(u, []*http.Cookie{&c})
			if n := j.Len(); n != 0 {
				t.Errorf("SetCookies stored %d cookies: %q", n, dump(j))
			}
			if err := j.Set(u, &c); err == nil {
				t.Errorf("Set(%q=%q) = nil, want an error", c.Name, c.Value)
			}
		})
	}
	// The same bytes in real Set-Cookie lines.
	for _, line := range []string{"a=1\x01", "a=\x80", "a=x y\x7f", "a\x00=1", "a=1\r\nb=2", "\x1b[31m=1"} {
		j := new(cookies.Jar)
		setCookie(t, j, u.String(), line)
		if n := j.Len(); n != 0 {
			t.Errorf("Set-Cookie %q stored %q", line, dump(j))
		}
	}
	// What is allowed.
	j := new(cookies.Jar)
	for _, c := range []http.Cookie{{Name: "a", Value: "x y,z=!#$%&'()*+-./:<>?@[]^_`{|}~"}, {Name: "!#$%&'*+-.^_`|~", Value: ""}} {
		if err := j.Set(u, &c); err != nil {
			t.Errorf("Set(%q=%q): %v", c.Name, c.Value, err)
		}
	}
}

// TestSetReasons checks that Set says why it refuses a cookie.
func TestSetReasons(t *testing.T) {
	j := new(cookies.Jar)
	tests := []struct {
		url  string
		c    http.Cookie
		want string
	}{
		{"https://www.example.co.uk/", http.Cookie{Name: "a", Domain: "co.uk"}, "public suffix"},
		{"https://a.example.com/", http.Cookie{Name: "a", Domain: "b.example.com"}, "does not match"},
		{"https://192.168.0.1/", http.Cookie{Name: "a", Domain: "168.0.1"}, "IP"},
		{"http://example.com/", http.Cookie{Name: "a", Secure: true}, "insecure origin"},
		{"https://example.com/", http.Cookie{Name: "__Host-a", Secure: true}, "Path=/"},
		{"https://example.com/", http.Cookie{Name: "a", Value: strings.Repeat("v", cookies.MaxCookieBytes)}, "more than 4096"},
		{"ftp://example.com/", http.Cookie{Name: "a"}, "not an http or https URL"},
		{"https://example.com/", http.Cookie{Name: "a", Domain: "example.com."}, "ends with a dot"},
		{"https://пример.рф/", http.Cookie{Name: "a", Domain: "рф"}, "public suffix"}, // D1
		{"https://пример.рф/", http.Cookie{Name: "a", Domain: "РФ"}, "public suffix"},
		{"https://a.xn--e1afmkfd.xn--p1ai/", http.Cookie{Name: "a", Domain: ".xn--p1ai"}, "public suffix"},
	}
	for _, tt := range tests {
		err := j.Set(mustURL(t, tt.url), &tt.c)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Set(%s, %+v) = %v, want an error containing %q", tt.url, tt.c, err, tt.want)
		}
	}
	if err := j.Set(mustURL(t, "https://example.com/"), &http.Cookie{Name: "a", Value: strings.Repeat("v", cookies.MaxCookieBytes-1)}); err != nil {
		t.Errorf("Set with name+value of exactly MaxCookieBytes: %v", err)
	}
	// A Unicode Domain attribute is converted to IDNA ASCII.
	if err := j.Set(mustURL(t, "https://www.пример.рф/"), &http.Cookie{Name: "u", Value: "1", Domain: "Пример.рф"}); err != nil {
		t.Errorf("Set with a Unicode Domain: %v", err)
	}
	if h := header(t, j, "https://x.xn--e1afmkfd.xn--p1ai/"); h != "u=1" {
		t.Errorf("Unicode domain cookie: header %q, want u=1", h)
	}
}

// TestLimits is HOSTILE.md D7 on the jar alone.
func TestLimits(t *testing.T) {
	big := strings.Repeat("v", 4000)
	t.Run("D7 per response", func(t *testing.T) {
		j := new(cookies.Jar)
		cs := make([]*http.Cookie, 10000)
		for i := range cs {
			cs[i] = &http.Cookie{Name: "c" + itoa(i), Value: big}
		}
		j.SetCookies(mustURL(t, "http://flood.test/"), cs)
		if n := j.Len(); n != cookies.DefaultMaxPerResponse {
			t.Errorf("Len() = %d, want %d", n, cookies.DefaultMaxPerResponse)
		}
		got := j.Cookies(mustURL(t, "http://flood.test/"))
		if h := header(t, j, "http://flood.test/"); len(h) > cookies.DefaultMaxHeaderBytes || len(got) != 2 {
			t.Errorf("Cookie header of %d cookies, %d bytes; want 2 cookies, at most %d bytes", len(got), len(h), cookies.DefaultMaxHeaderBytes)
		}
		if got[0].Name != "c0" || got[1].Name != "c1" {
			t.Errorf("header kept %s and %s, want the earliest c0 and c1", got[0].Name, got[1].Name)
		}
	})
	t.Run("D7 header keeps the most specific", func(t *testing.T) {
		j := new(cookies.Jar)
		setCookie(t, j, "http://h.test/", "root="+big+"; Path=/")
		setCookie(t, j, "http://h.test/", "deep="+big+"; Path=/a/b")
		setCookie(t, j, "http://h.test/", "mid="+big+"; Path=/a")
		got := j.Cookies(mustURL(t, "http://h.test/a/b/c"))
		if len(got) != 2 || got[0].Name != "deep" || got[1].Name != "mid" {
			t.Errorf("sent %d cookies, want deep and mid", len(got))
		}
	})
	t.Run("D7 per domain", func(t *testing.T) {
		j := new(cookies.Jar)
		setCookie(t, j, "https://example.com/", "keep=1; Secure; Domain=example.com")
		setCookie(t, j, "https://other.test/", "sibling=1")
		for i := range 1000 {
			setCookie(t, j, "http://evil.example.com/", "f"+itoa(i)+"=1; Domain=example.com")
		}
		n := 0
		for _, c := range j.All() {
			if strings.HasSuffix(c.Domain, "example.com") {
				n++
			}
		}
		if n != cookies.DefaultMaxPerDomain {
			t.Errorf("%d cookies for example.com, want %d", n, cookies.DefaultMaxPerDomain)
		}
		h := header(t, j, "https://example.com/")
		if !strings.HasPrefix(h, "keep=1; ") || !strings.HasSuffix(h, "f999=1") {
			t.Errorf("example.com gets %q, want the Secure cookie kept and the newest flood cookies", h)
		}
		if h := header(t, j, "https://other.test/"); h != "sibling=1" {
			t.Errorf("other.test gets %q, want sibling=1", h)
		}
	})
	t.Run("D7 total", func(t *testing.T) {
		j := new(cookies.Jar)
		for i := range cookies.DefaultMaxTotal + 500 {
			setCookie(t, j, "http://d"+itoa(i)+".test/", "a=1")
		}
		if n := j.Len(); n != cookies.DefaultMaxTotal {
			t.Errorf("Len() = %d, want %d", n, cookies.DefaultMaxTotal)
		}
		if h := header(t, j, "http://d0.test/"); h != "" {
			t.Errorf("oldest cookie still sent: %q", h)
		}
		if h := header(t, j, "http://d3499.test/"); h != "a=1" {
			t.Errorf("newest cookie: %q, want a=1", h)
		}
	})
	t.Run("options", func(t *testing.T) {
		j, err := cookies.New(&cookies.Options{MaxPerResponse: 3, MaxPerDomain: -1, MaxTotal: 5, MaxHeaderBytes: 8})
		if err != nil {
			t.Fatal(err)
		}
		setCookie(t, j, "http://h.test/", "a=1")
		j.SetCookies(mustURL(t, "http://h.test/"), []*http.Cookie{{Name: "b", Value: "2"}, {Name: "c", Value: "3"}, {Name: "d", Value: "4"}, {Name: "e", Value: "5"}})
		if got := header(t, j, "http://h.test/"); got != "a=1; b=2" {
			t.Errorf("header = %q, want %q (3 cookies per response, 8 bytes of header)", got, "a=1; b=2")
		}
		for i := range 10 {
			setCookie(t, j, "http://h.test/", "n"+itoa(i)+"=1")
		}
		if n := j.Len(); n != 5 {
			t.Errorf("Len() = %d, want MaxTotal 5", n)
		}
	})
}

var itoa = strconv.Itoa

// TestPolicy checks Options.Block and Options.Allow.
func TestPolicy(t *testing.T) {
	j, err := cookies.New(&cookies.Options{Block: []string{"ads.example.com", ".tracker.test", "10.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	setCookie(t, j, "http://www.example.com/", "a=1; Domain=example.com")
	setCookie(t, j, "http://ads.example.com/", "b=1")
	setCookie(t, j, "http://x.ads.example.com/", "c=1; Domain=ads.example.com")
	setCookie(t, j, "http://tracker.test/", "d=1")
	setCookie(t, j, "http://10.0.0.1/", "e=1")
	setCookie(t, j, "http://10.0.0.2/", "f=1")
	if got, want := dump(j), "f=1 10.0.0.2/ host-only,session\na=1 example.com/ session\n"; got != want {
		t.Errorf("jar = %q, want %q", got, want)
	}
	if h := header(t, j, "http://ads.example.com/"); h != "" {
		t.Errorf("blocked host got %q", h)
	}
	if h := header(t, j, "http://www.example.com/"); h != "a=1" {
		t.Errorf("allowed host got %q, want a=1", h)
	}

	j, err = cookies.New(&cookies.Options{Allow: []string{"example.com"}, Block: []string{"bad.example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	setCookie(t, j, "http://www.example.com/", "a=1")
	setCookie(t, j, "http://other.test/", "b=1")
	setCookie(t, j, "http://bad.example.com/", "c=1")
	if got, want := dump(j), "a=1 www.example.com/ host-only,session\n"; got != want {
		t.Errorf("jar = %q, want %q", got, want)
	}

	for _, bad := range []string{"", "a..b", "ex ample.com", "xn--zz"} {
		if _, err := cookies.New(&cookies.Options{Block: []string{bad}}); err == nil {
			t.Errorf("New(Block: %q) = nil error, want one", bad)
		}
	}
}

// TestListAndClear checks All, For, Len and the Clear methods.
func TestListAndClear(t *testing.T) {
	j := new(cookies.Jar)
	setCookie(t, j, "https://www.example.com/a/", "s=1; Secure; HttpOnly; SameSite=Strict; Max-Age=3600")
	setCookie(t, j, "https://www.example.com/", "d=2; Domain=example.com; Path=/; SameSite=lax")
	setCookie(t, j, "http://other.test/", "o=3; SameSite=bogus")
	all := j.All()
	if len(all) != 3 {
		t.Fatalf("All() = %d cookies, want 3", len(all))
	}
	want := []string{"d=2 example.com/ session", "o=3 other.test/ host-only,session", "s=1 www.example.com/a host-only,secure,httponly"}
	for i, c := range all {
		if got := describe(c); got != want[i] {
			t.Errorf("All()[%d] = %q, want %q", i, got, want[i])
		}
		if c.Creation.IsZero() || c.LastAccess.IsZero() {
			t.Errorf("All()[%d] has no creation or access time", i)
		}
	}
	if all[0].SameSite != http.SameSiteLaxMode || all[1].SameSite != 0 || all[2].SameSite != http.SameSiteStrictMode {
		t.Errorf("SameSite = %v, %v, %v; want Lax, none, Strict", all[0].SameSite, all[1].SameSite, all[2].SameSite)
	}
	f := j.For(mustURL(t, "https://www.example.com/a/x"))
	if len(f) != 2 || f[0].Name != "s" || f[1].Name != "d" || !f[0].Secure || f[1].HostOnly {
		t.Errorf("For() = %+v, want s then d", f)
	}
	if n := j.ClearSession(); n != 2 || j.Len() != 1 {
		t.Errorf("ClearSession() = %d, Len() = %d; want 2, 1", n, j.Len())
	}
	setCookie(t, j, "http://other.test/", "o=3")
	if n := j.ClearDomain(".EXAMPLE.com"); n != 1 || j.Len() != 1 {
		t.Errorf("ClearDomain(.EXAMPLE.com) = %d, Len() = %d; want 1, 1", n, j.Len())
	}
	j.Clear()
	if n := j.Len(); n != 0 {
		t.Errorf("Len() after Clear = %d", n)
	}
	if got := j.Cookies(nil); got != nil {
		t.Errorf("Cookies(nil) = %v", got)
	}
	j.SetCookies(nil, []*http.Cookie{{Name: "a"}, nil})
}

// TestZeroAndNew checks that the zero Jar and New(nil) behave alike.
func TestZeroAndNew(t *testing.T) {
	var zero cookies.Jar
	j, err := cookies.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, jar := range []*cookies.Jar{&zero, j} {
		setCookie(t, jar, "http://www.example.co.uk/", "a=1; Domain=co.uk")
		setCookie(t, jar, "http://www.example.co.uk/", "b=1")
		if got := dump(jar); got != "b=1 www.example.co.uk/ host-only,session\n" {
			t.Errorf("jar = %q", got)
		}
	}
	var _ http.CookieJar = j
}

// TestConcurrent runs SetCookies, Cookies, listing and saving at once;
// run with -race.
func TestConcurrent(t *testing.T) {
	j := new(cookies.Jar)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			u := mustURL(t, "https://h"+itoa(g%3)+".example.com/p")
			for i := range 200 {
				j.SetCookies(u, []*http.Cookie{{Name: "c" + itoa(i%60), Value: itoa(g), Domain: "example.com"}})
				j.Cookies(u)
				if i%50 == 0 {
					j.All()
					j.SaveTo(discard{}, &cookies.SaveOptions{Session: true})
					j.ClearDomain("h1.example.com")
				}
			}
		})
	}
	wg.Wait()
	if n := j.Len(); n > cookies.DefaultMaxPerDomain {
		t.Errorf("Len() = %d, over the per-domain cap", n)
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// TestForWhileCookies: For copies the cookies while Cookies marks them
// used, in other goroutines, without a data race (go test -race).
func TestForWhileCookies(t *testing.T) {
	j := new(cookies.Jar)
	setCookie(t, j, "https://example.com/", "a=1")
	u := mustURL(t, "https://example.com/")
	var wg sync.WaitGroup
	for g := range 2 {
		wg.Go(func() {
			for range 500 {
				if g == 0 {
					j.Cookies(u)
				} else if got := j.For(u); len(got) != 1 || got[0].Name != "a" {
					t.Errorf("For = %v", got)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestExpiryAsRFC6265: a Set-Cookie field's Max-Age and Expires are read
// by RFC 6265's rules, where net/http's differ. Max-Age=007 is 7 seconds
// and a Max-Age larger than an int is the longest (net/http dropped both:
// a session cookie); Max-Age=+60 is none; an Expires zone is ignored, the
// time read as UTC whatever the machine's zone (net/http read "EST" by
// it).
func TestExpiryAsRFC6265(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	local := time.Local
	time.Local = ny // the machine's zone, as TZ sets it
	t.Cleanup(func() { time.Local = local })
	u, _ := url.Parse("http://example.com/")
	now := time.Now()
	tests := []struct {
		field string
		want  func(expires time.Time) bool // zero: a session cookie
	}{
		{"a=1; Max-Age=007", func(e time.Time) bool { return e.Sub(now) > 5*time.Second && e.Sub(now) < 60*time.Second }},
		{"a=1; Max-Age=99999999999999999999", func(e time.Time) bool { return e.Sub(now) > 300*24*time.Hour }},
		{"a=1; Max-Age=+60", func(e time.Time) bool { return e.IsZero() }},
		// No Max-Age: the Expires counts, capped at 400 days.
		{"a=1; Max-Age=+60; Expires=Wed, 21 Oct 2037 07:28:00 GMT", func(e time.Time) bool { return e.Sub(now) > 300*24*time.Hour }},
		{"a=1; Max-Age=3600; Max-Age=x", func(e time.Time) bool { return e.Sub(now) > 59*time.Minute && e.Sub(now) < 61*time.Minute }},
	}
	for _, tt := range tests {
		jar := new(cookies.Jar)
		resp := &http.Response{Header: http.Header{"Set-Cookie": {tt.field}}}
		jar.SetCookies(u, resp.Cookies())
		all := jar.All()
		if len(all) != 1 {
			t.Errorf("%q: %d cookies kept", tt.field, len(all))
			continue
		}
		if !tt.want(all[0].Expires) {
			t.Errorf("%q: expires %v", tt.field, all[0].Expires)
		}
	}
	// An Expires zone is ignored: 07:28 UTC, in any zone of the machine.
	jar := new(cookies.Jar)
	future := now.AddDate(0, 2, 0).UTC()
	field := "z=1; Expires=" + future.Format("Mon, 02 Jan 2006") + " 07:28:00 EST"
	jar.SetCookies(u, (&http.Response{Header: http.Header{"Set-Cookie": {field}}}).Cookies())
	want := time.Date(future.Year(), future.Month(), future.Day(), 7, 28, 0, 0, time.UTC)
	if all := jar.All(); len(all) != 1 || !all[0].Expires.Equal(want) {
		t.Errorf("%q: %+v, want it to expire at %v", field, all, want)
	}
}
