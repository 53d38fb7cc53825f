package auth_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/grabhq/grab/auth"
	"github.com/grabhq/grab/auth/netrc"
	"github.com/grabhq/grab/internal/testkit"
)

// gate challenges every request without Authorization (realm: the first
// path segment; scheme: ?scheme=digest or Basic) and answers "in" to any
// request with one: the U1 tests look only at where credentials go.
var gate = http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
	realm, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if a := r.Header.Get("Authorization"); a != "" && (!strings.HasPrefix(a, "Digest ") || strings.Contains(a, fmt.Sprintf("realm=%q", realm))) {
		io.WriteString(rw, "in")
		return
	}
	if r.URL.Query().Get("scheme") == "digest" {
		rw.Header().Set("WWW-Authenticate", fmt.Sprintf(`Digest realm=%q, nonce="n1", qop="auth", algorithm=SHA-256`, realm))
	} else {
		rw.Header().Set("WWW-Authenticate", fmt.Sprintf(`Basic realm=%q`, realm))
	}
	rw.WriteHeader(http.StatusUnauthorized)
})

// HOSTILE.md U1: credentials configured for https://a.example.com (realm1)
// go only there: not to http://a.example.com, https://a.example.com:8443,
// https://b.example.com, nor to realm2 when a realm is given.
func TestU1Origins(t *testing.T) {
	w := newWorld(t)
	w.serve("https-a", true, gate)
	w.serve("http-a", false, gate)
	w.serve("https-a-8443", true, gate)
	w.serve("https-b", true, gate)
	w.alias("a.example.com:443", "https-a")
	w.alias("a.example.com:80", "http-a")
	w.alias("a.example.com:8443", "https-a-8443")
	w.alias("b.example.com:443", "https-b")
	targets := []string{
		"https://a.example.com/realm1/x",
		"https://a.example.com/realm2/x",
		"http://a.example.com/realm1/x",
		"https://a.example.com:8443/realm1/x",
		"https://b.example.com/realm1/x",
		"https://A.EXAMPLE.COM:443/realm1/y",
	}
	secret := testkit.Canary("pw")
	pw := new(auth.Passwords)
	pw.Add("realm1", "https://a.example.com", "u", secret)
	pwBare := new(auth.Passwords)
	pwBare.Add("", "a.example.com", "u", secret) // no scheme: https only

	tests := []struct {
		name   string
		rt     func(http.RoundTripper) http.RoundTripper
		digest bool
		want   map[string]bool // target -> credentials expected there
	}{
		{"Basic preemptive, prefix /realm1", func(b http.RoundTripper) http.RoundTripper {
			return &auth.Basic{URL: "https://a.example.com/realm1", User: "u", Password: secret, Base: b}
		}, false, map[string]bool{targets[0]: true, targets[5]: true}},
		{"Basic with realm", func(b http.RoundTripper) http.RoundTripper {
			return &auth.Basic{URL: "https://a.example.com", Realm: "realm1", User: "u", Password: secret, Base: b}
		}, false, map[string]bool{targets[0]: true, targets[5]: true}},
		{"Basic Passwords realm1", func(b http.RoundTripper) http.RoundTripper {
			return &auth.Basic{Passwords: pw, Base: b}
		}, false, map[string]bool{targets[0]: true, targets[5]: true}},
		{"Basic Passwords, bare authority", func(b http.RoundTripper) http.RoundTripper {
			return &auth.Basic{Passwords: pwBare, Challenge: true, Base: b}
		}, false, map[string]bool{targets[0]: true, targets[1]: true, targets[5]: true}},
		{"Digest with realm", func(b http.RoundTripper) http.RoundTripper {
			return &auth.Digest{URL: "https://a.example.com", Realm: "realm1", User: "u", Password: secret, Base: b}
		}, true, map[string]bool{targets[0]: true, targets[5]: true}},
		{"Digest Passwords", func(b http.RoundTripper) http.RoundTripper {
			return &auth.Digest{Passwords: pw, Base: b}
		}, true, map[string]bool{targets[0]: true, targets[5]: true}},
		{"Bearer prefix /realm1", func(b http.RoundTripper) http.RoundTripper {
			return &auth.Bearer{URL: "https://a.example.com/realm1/", Token: secret, Base: b}
		}, false, map[string]bool{targets[0]: true, targets[5]: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := tt.rt(w.transport())
			for _, target := range targets {
				if tt.digest {
					target += "?scheme=digest"
				}
				status, _ := get(t, rt, target)
				if want := tt.want[strings.TrimSuffix(target, "?scheme=digest")]; want != (status == 200) {
					t.Errorf("%s: status %d, want credentials accepted: %v", target, status, want)
				}
			}
			if leaks := w.rec.Leaks([]string{secret}, "https-a"); len(leaks) > 0 {
				t.Errorf("leaked: %v", leaks)
			}
			for _, s := range w.rec.All() {
				a := s.Header.Get("Authorization")
				// A Digest session of realm1 may be tried anywhere on its
				// origin (RFC 7616's protection space without a domain);
				// it answers nothing for realm2 and holds no password.
				if a != "" && (s.Server != "https-a" || strings.HasPrefix(s.URI, "/realm2") && !strings.Contains(tt.name, "bare") && !strings.Contains(a, `realm="realm1"`)) {
					t.Errorf("%s %s got %q", s.Server, s.URI, a)
				}
			}
			w.rec.Reset()
		})
	}

	// The explicit flag for http is a URI that says http://.
	b := &auth.Basic{URL: "http://a.example.com", User: "u", Password: "plain", Base: w.transport()}
	if status, _ := get(t, b, "http://a.example.com/realm1/"); status != 200 {
		t.Errorf("credentials for http://a.example.com not sent over http: %d", status)
	}
}

// HOSTILE.md B1, B2, B8 with a plain http.Client, whose redirects call
// RoundTrip once per hop: configured credentials never reach another
// origin (port, host, or http after https).
func TestRedirectOtherOrigin(t *testing.T) {
	w := newWorld(t)
	a := w.httpbin("a", false)
	w.httpbin("b", false) // 127.0.0.1, another port
	w.httpbin("tls-a", true)
	w.httpbin("http-a", false)
	w.httpbin("evil", false)
	w.alias("a.example.com:443", "tls-a")
	w.alias("a.example.com:80", "http-a")
	w.alias("b.example.com:80", "evil")
	secret := testkit.Canary("pw")
	token := testkit.Canary("token")
	hops := []struct{ from, to string }{
		{a, w.urls["b"] + "/anything/other-port"},
		{a, "http://b.example.com/anything/other-host"},
		{"https://a.example.com", "http://a.example.com/anything/downgrade"},
	}
	handlers := map[string]func(from string) http.RoundTripper{
		"Basic": func(from string) http.RoundTripper {
			return &auth.Basic{URL: from, User: "u", Password: secret, Base: w.transport()}
		},
		"Bearer": func(from string) http.RoundTripper {
			return &auth.Bearer{URL: from, Token: token, Base: w.transport()}
		},
		"Digest": func(from string) http.RoundTripper {
			// A session at from first, reused on the first hop.
			d := &auth.Digest{URL: from, User: "u", Password: secret, Base: w.transport()}
			get(t, d, from+"/digest-auth/auth/u/"+secret)
			return d
		},
	}
	for name, mk := range handlers {
		for _, hop := range hops {
			for _, status := range []int{301, 302, 303, 307, 308} {
				rt := mk(hop.from)
				target := fmt.Sprintf("%s/redirect-to?status_code=%d&url=%s", hop.from, status, url.QueryEscape(hop.to))
				if got, body := get(t, rt, target); got != 200 {
					t.Errorf("%s %s: %d %s", name, target, got, body)
				}
			}
		}
	}
	if leaks := w.rec.Leaks([]string{secret, token}, "a", "tls-a"); len(leaks) > 0 {
		t.Errorf("leaked: %v", leaks)
	}
	for _, s := range w.rec.All() {
		if s.Server != "a" && s.Server != "tls-a" && s.Header.Get("Authorization") != "" {
			t.Errorf("%s got Authorization %q", s.Server, s.Header.Get("Authorization"))
		}
	}
	// The configured origins themselves did get them on the first hop.
	for _, name := range []string{"a", "tls-a"} {
		for _, scheme := range []string{"Basic ", "Bearer ", "Digest "} {
			found := false
			for _, s := range w.rec.At(name) {
				found = found || strings.HasPrefix(s.URI, "/redirect-to") && strings.HasPrefix(s.Header.Get("Authorization"), scheme)
			}
			if !found {
				t.Errorf("%s got no %scredentials on the first hop", name, scheme)
			}
		}
	}
}

// A body is sent again on the retry through GetBody; without GetBody
// there is no retry and the 401 comes back.
func TestBodyReplay(t *testing.T) {
	w := newWorld(t)
	basic := w.serve("basic", false, basicGate("u", "p", `Basic realm="r"`))
	digest := w.serve("digest", false, &digestServer{realm: "r", user: "u", password: "p", algorithm: "SHA-256", qop: "auth"})
	const payload = "name=grab&lang=go"
	handlers := map[string]func() http.RoundTripper{
		"basic": func() http.RoundTripper {
			return &auth.Basic{URL: basic, User: "u", Password: "p", Challenge: true, Base: w.transport()}
		},
		"digest": func() http.RoundTripper {
			return &auth.Digest{URL: digest, User: "u", Password: "p", Base: w.transport()}
		},
	}
	for name, mk := range handlers {
		t.Run(name, func(t *testing.T) {
			c := &http.Client{Transport: mk()}
			status, _ := do(t, c, "POST", w.urls[name]+"/post", payload)
			reqs := w.rec.At(name)
			if status != 200 || len(reqs) != 2 || reqs[0].Body != payload || reqs[1].Body != payload {
				t.Fatalf("POST = %d after %d requests, want 200 after 2 with the body each time", status, len(reqs))
			}
			// A streamed body without GetBody: no retry.
			req, _ := http.NewRequestWithContext(t.Context(), "POST", w.urls[name]+"/stream", io.MultiReader(strings.NewReader(payload)))
			if req.GetBody != nil {
				t.Fatal("GetBody set")
			}
			c = &http.Client{Transport: mk()} // no Digest session yet
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 401 || len(w.rec.At(name)) != 3 {
				t.Errorf("streamed POST = %d after %d requests in all, want 401 after 3", resp.StatusCode, len(w.rec.At(name)))
			}
		})
	}
}

// A request that carries its own Authorization is left alone: no
// credentials added, its 401 not answered.
func TestOwnAuthorization(t *testing.T) {
	w := newWorld(t)
	base := w.serve("s", false, basicGate("u", "p", `Basic realm="r"`))
	for _, rt := range []http.RoundTripper{
		&auth.Basic{URL: base, User: "u", Password: "p", Base: w.transport()},
		&auth.Digest{URL: base, User: "u", Password: "p", Base: w.transport()},
	} {
		req, _ := http.NewRequestWithContext(t.Context(), "GET", base+"/", nil)
		req.Header.Set("Authorization", "Basic bWluZTptaW5l")
		resp, err := rt.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 || req.Header.Get("Authorization") != "Basic bWluZTptaW5l" {
			t.Errorf("%T: status %d, request header %q", rt, resp.StatusCode, req.Header.Get("Authorization"))
		}
	}
	if n := len(w.rec.At("s")); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
	// The handlers never modify the request they are given.
	req, _ := http.NewRequestWithContext(t.Context(), "GET", base+"/", nil)
	resp, err := (&auth.Basic{URL: base, User: "u", Password: "p", Base: w.transport()}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(req.Header) != 0 {
		t.Errorf("RoundTrip modified its request: %v", req.Header)
	}
}

// HOSTILE.md U5 through a handler: netrc credentials follow each hop's
// exact host; a redirect to a host whose entry has no password sends
// nothing (curl CVE-2024-11053), and default is only for hosts no machine
// entry names.
func TestNetrcRedirect(t *testing.T) {
	w := newWorld(t)
	w.httpbin("a", false)
	w.httpbin("b", false)
	w.httpbin("c", false)
	w.alias("a.example.com:80", "a")
	w.alias("b.example.com:80", "b")
	w.alias("c.example.com:80", "c")
	secretA, secretD := testkit.Canary("netrc-a"), testkit.Canary("netrc-default")
	f, err := netrc.Parse(strings.NewReader(fmt.Sprintf(`
machine a.example.com login alice password %s
machine b.example.com login alice
default login anon password %s
`, secretA, secretD)))
	if err != nil {
		t.Fatal(err)
	}
	rt := &auth.Basic{Passwords: f, Base: w.transport()}
	for _, to := range []string{"http://b.example.com/anything", "http://c.example.com/anything"} {
		if status, _ := get(t, rt, "http://a.example.com/redirect-to?url="+url.QueryEscape(to)); status != 200 {
			t.Errorf("redirect to %s: %d", to, status)
		}
	}
	if leaks := w.rec.Leaks([]string{secretA}, "a"); len(leaks) > 0 {
		t.Errorf("a's password leaked: %v", leaks)
	}
	if leaks := w.rec.Leaks([]string{secretD}, "c"); len(leaks) > 0 {
		t.Errorf("default password leaked: %v", leaks)
	}
	for _, s := range w.rec.At("b") {
		if a := s.Header.Get("Authorization"); a != "" {
			t.Errorf("b (entry without password) got %q", a)
		}
	}
	if got := w.rec.At("c"); len(got) != 1 || got[0].Header.Get("Authorization") == "" {
		t.Errorf("c (no machine entry) did not get the default entry")
	}
}
