package auth_test

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/grabhq/grab/auth"
)

type ch = auth.Challenge

type params = map[string]string

func TestParseChallenges(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		want   []ch
	}{
		{"basic", []string{`Basic realm="Fake Realm"`}, []ch{{Scheme: "Basic", Params: params{"realm": "Fake Realm"}}}},
		{"scheme case kept, names lowered", []string{`bAsIc REALM=x, Charset="UTF-8"`}, []ch{{Scheme: "bAsIc", Params: params{"realm": "x", "charset": "UTF-8"}}}},
		{"two in one field", []string{`Digest realm="a, b", nonce="n", qop="auth,auth-int", Basic realm="c"`}, []ch{
			{Scheme: "Digest", Params: params{"realm": "a, b", "nonce": "n", "qop": "auth,auth-int"}},
			{Scheme: "Basic", Params: params{"realm": "c"}},
		}},
		{"across fields", []string{`Basic realm="a"`, `Bearer realm="b", error="invalid_token"`}, []ch{
			{Scheme: "Basic", Params: params{"realm": "a"}},
			{Scheme: "Bearer", Params: params{"realm": "b", "error": "invalid_token"}},
		}},
		{"escapes", []string{`Digest realm="a\"b\\c\d", nonce="x"`}, []ch{{Scheme: "Digest", Params: params{"realm": `a"b\cd`, "nonce": "x"}}}},
		{"token68", []string{`Negotiate YIIB/w==, Basic realm=r`}, []ch{
			{Scheme: "Negotiate", Token68: "YIIB/w==", Params: params{}},
			{Scheme: "Basic", Params: params{"realm": "r"}},
		}},
		{"token68 takes no params", []string{`N abc=, x=y, Basic realm=r`}, []ch{
			{Scheme: "N", Token68: "abc=", Params: params{}},
			{Scheme: "Basic", Params: params{"realm": "r"}},
		}},
		{"bare schemes", []string{`Negotiate, NTLM`}, []ch{{Scheme: "Negotiate", Params: params{}}, {Scheme: "NTLM", Params: params{}}}},
		{"spaces around =", []string{"Basic realm = \"r\" ,\tcharset\t=\tUTF-8"}, []ch{{Scheme: "Basic", Params: params{"realm": "r", "charset": "UTF-8"}}}},
		{"missing realm", []string{`Digest nonce="n"`}, []ch{{Scheme: "Digest", Params: params{"nonce": "n"}}}},
		{"duplicate: first wins", []string{`Basic realm="good", realm="evil"`}, []ch{{Scheme: "Basic", Params: params{"realm": "good"}}}},
		{"empty values", []string{`Basic realm="", x=`}, []ch{{Scheme: "Basic", Params: params{"realm": "", "x": ""}}}},
		{"unterminated quote", []string{`Basic realm="abc, Digest nonce=x`}, []ch{{Scheme: "Basic", Params: params{"realm": "abc, Digest nonce=x"}}}},
		{"junk skipped", []string{`Basic realm="r" junk "q,x" more, Digest nonce=n`}, []ch{
			{Scheme: "Basic", Params: params{"realm": "r"}},
			{Scheme: "Digest", Params: params{"nonce": "n"}},
		}},
		{"params before any scheme dropped", []string{`realm="r", Basic realm=s`}, []ch{{Scheme: "Basic", Params: params{"realm": "s"}}}},
		{"leading commas and junk", []string{`, ,(  , Basic realm=r`}, []ch{{Scheme: "Basic", Params: params{"realm": "r"}}}},
		{"empty", []string{"", "  ,  "}, nil},
		{"unknown algorithm kept", []string{`Digest realm=r, nonce=n, algorithm=SHA3-999`}, []ch{{Scheme: "Digest", Params: params{"realm": "r", "nonce": "n", "algorithm": "SHA3-999"}}}},
		{"MD5-sess and qop list", []string{`Digest realm="r", nonce="n", algorithm=MD5-sess, qop="auth-int, auth"`}, []ch{{Scheme: "Digest", Params: params{"realm": "r", "nonce": "n", "algorithm": "MD5-sess", "qop": "auth-int, auth"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := auth.ParseChallenges(tt.values...)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseChallenges(%q) =\n%#v\nwant\n%#v", tt.values, got, tt.want)
			}
		})
	}
}

// HOSTILE.md U3: a 1 MiB header of many shapes parses in linear time,
// within the caps.
func TestParseChallengesLarge(t *testing.T) {
	const mib = 1 << 20
	shapes := map[string]string{
		"params":    `Digest ` + strings.Repeat(`a="b", `, mib/7),
		"escapes":   `Basic realm="` + strings.Repeat(`\"`, mib/2-10) + `"`,
		"open":      `Basic realm="` + strings.Repeat(`a`, mib-20),
		"commas":    strings.Repeat(",", mib),
		"schemes":   strings.Repeat("B ", mib/2),
		"token68":   "N " + strings.Repeat("a", mib-10) + "==",
		"junk":      strings.Repeat(`x "y" `, mib/6),
		"equals":    strings.Repeat("a=", mib/2),
		"backslash": `Basic realm="` + strings.Repeat(`\`, mib-20),
	}
	for name, v := range shapes {
		start := time.Now()
		chs := auth.ParseChallenges(v)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%s: %v for 1 MiB", name, d)
		}
		if len(chs) > auth.MaxChallenges {
			t.Errorf("%s: %d challenges", name, len(chs))
		}
		for _, c := range chs {
			if len(c.Params) > auth.MaxParams {
				t.Errorf("%s: %d params", name, len(c.Params))
			}
		}
	}
	// Past MaxChallengeBytes the rest is ignored.
	big := strings.Repeat("x", auth.MaxChallengeBytes)
	if got := auth.ParseChallenges(`Basic realm=a`, big, `Digest nonce=n`); len(got) != 1 {
		t.Errorf("over the cap: %d challenges, want 1", len(got))
	}
}

// A server sending a 1 MiB WWW-Authenticate gets a bounded, quick
// answer.
func TestLargeChallengeHeader(t *testing.T) {
	w := newWorld(t)
	huge := `Digest realm="r", ` + strings.Repeat(`x="\"\\", `, 100000) + `nonce="n", qop="auth"`
	base := w.serve("s", false, http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("WWW-Authenticate", huge)
		rw.WriteHeader(401)
	}))
	start := time.Now()
	status, _ := get(t, &auth.Digest{URL: base, User: "u", Password: "p", Base: w.transport()}, base+"/")
	if status != 401 || len(w.rec.At("s")) != 2 || time.Since(start) > 5*time.Second {
		t.Errorf("status %d after %d requests in %v", status, len(w.rec.At("s")), time.Since(start))
	}
}

// FuzzChallenge: no panic, the caps hold, and parsing is stable: the
// challenges, written back canonically, parse to themselves.
func FuzzChallenge(f *testing.F) {
	for _, s := range []string{
		`Basic realm="Fake Realm"`,
		`Digest realm="a, b", nonce="x\"y", qop="auth,auth-int", algorithm=MD5-sess, opaque=o, Basic realm=c`,
		`Negotiate YIIB/w==, NTLM`,
		`Bearer realm="example", error="invalid_token", error_description="The access token expired"`,
		`Basic realm="abc`, `, , ,`, `a=b`, `Digest realm=r, realm=s, stale=TRUE, userhash=true`,
		"Basic realm=\"\xff\xfe\"", `\"`, `Basic realm="\`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 64<<10 {
			return
		}
		chs := auth.ParseChallenges(s)
		if len(chs) > auth.MaxChallenges {
			t.Fatalf("%d challenges", len(chs))
		}
		var parts []string
		for _, c := range chs {
			if c.Scheme == "" || len(c.Params) > auth.MaxParams {
				t.Fatalf("bad challenge %#v", c)
			}
			if c.Token68 != "" {
				if len(c.Params) > 0 {
					t.Fatalf("token68 with params: %#v", c)
				}
				parts = append(parts, c.Scheme+" "+c.Token68)
				continue
			}
			var ps []string
			for k, v := range c.Params {
				ps = append(ps, k+"="+quoteTest(v))
			}
			if len(ps) == 0 {
				parts = append(parts, c.Scheme)
			} else {
				parts = append(parts, c.Scheme+" "+strings.Join(ps, ", "))
			}
		}
		again := auth.ParseChallenges(strings.Join(parts, ", "))
		if len(chs) == 0 && len(again) == 0 {
			return
		}
		if !reflect.DeepEqual(normalize(chs), normalize(again)) {
			t.Fatalf("not stable:\n%#v\n%#v", chs, again)
		}
	})
}

func quoteTest(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// normalize makes nil and empty Params equal.
func normalize(chs []auth.Challenge) []auth.Challenge {
	out := make([]auth.Challenge, len(chs))
	for i, c := range chs {
		if len(c.Params) == 0 {
			c.Params = nil
		}
		out[i] = c
	}
	return out
}

func TestPasswords(t *testing.T) {
	pw := new(auth.Passwords)
	for _, e := range []struct{ realm, uri, user string }{
		{"", "https://h.example/", "default-root"},
		{"", "https://h.example/api", "default-api"},
		{"r1", "https://h.example/api/v1/", "r1-v1"},
		{"r1", "https://h.example:8443", "r1-8443"},
		{"r2", "http://h.example/", "r2-http"},
		{"", "bare.example:9000/x", "bare"},
		{"r1", "https://h.example/api/v1", "r1-v1-replaced"}, // same prefix as above: replaces
	} {
		if err := pw.Add(e.realm, e.uri, e.user, e.user+"-pw"); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		realm, url, want string // want "" means none
	}{
		{"", "https://h.example/", "default-root"},
		{"", "https://H.EXAMPLE:443/api/x", "default-api"},
		{"", "https://h.example/apix", "default-root"},
		{"", "https://h.example/api/../other", "default-root"},
		// An escaped "/" is not a separator a ".." could climb over, and
		// an escaped dot is a dot: neither takes a path under the prefix
		// it is not under.
		{"r1", "https://h.example/x%2F..%2Fapi/v1/y", "default-root"},
		{"r1", "https://h.example/x/..%2F..%2Fapi/v1/y", "default-root"},
		{"r1", "https://h.example/api/v1/%2e%2e/other", "default-api"},
		{"r1", "https://h.example/api/v1/%2E%2E/%2e%2e/z", "default-root"},
		{"r1", "https://h.example/%61pi/v1/x", "r1-v1-replaced"}, // an unreserved escape is its character
		{"r1", "https://h.example/api/v1/x", "r1-v1-replaced"},
		{"r1", "https://h.example/api/v1", "r1-v1-replaced"},
		{"r1", "https://h.example/api/v10", "default-api"},
		{"", "https://h.example/api/v1/x", "default-api"},
		{"r1", "https://h.example:8443/any", "r1-8443"},
		{"r3", "https://h.example:8443/any", ""},
		{"r2", "http://h.example/x", "r2-http"},
		{"r1", "http://h.example/api/v1/", ""},
		{"", "http://h.example/", ""},
		{"", "https://bare.example:9000/x/y", "bare"},
		{"", "http://bare.example:9000/x/y", ""},
		{"", "https://bare.example:9000/", ""},
		{"", "ftp://h.example/", ""},
		{"", "https://other.example/", ""},
	}
	for _, tt := range tests {
		u, _ := url.Parse(tt.url)
		user, password, ok := pw.FindUserPassword(tt.realm, u)
		if ok != (tt.want != "") || user != tt.want || ok && password != tt.want+"-pw" {
			t.Errorf("FindUserPassword(%q, %s) = %q, %q, %v, want %q", tt.realm, tt.url, user, password, ok, tt.want)
		}
	}
	for _, bad := range []string{"http://[::1", "http://u:p@h/", "mailto:x@y", "http:///x"} {
		if err := pw.Add("", bad, "u", "p"); err == nil || strings.Contains(err.Error(), ":p@") {
			t.Errorf("Add(%q) = %v, want an error without the password", bad, err)
		}
	}
	var nilPw *auth.Passwords
	if _, _, ok := nilPw.FindUserPassword("", &url.URL{Scheme: "https", Host: "h"}); ok {
		t.Error("nil Passwords found something")
	}
}

func ExampleParseChallenges() {
	h := http.Header{}
	h.Add("WWW-Authenticate", `Digest realm="api, v2", qop="auth,auth-int", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv", Basic realm="api"`)
	h.Add("WWW-Authenticate", `Bearer error="invalid_token"`)
	for _, c := range auth.ParseChallenges(h.Values("WWW-Authenticate")...) {
		fmt.Printf("%s realm=%q qop=%q error=%q\n", c.Scheme, c.Realm(), c.Params["qop"], c.Params["error"])
	}
	// Output:
	// Digest realm="api, v2" qop="auth,auth-int" error=""
	// Basic realm="api" qop="" error=""
	// Bearer realm="" qop="" error="invalid_token"
}
