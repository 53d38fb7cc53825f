package auth_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/grabhq/grab/auth"
	"github.com/grabhq/grab/internal/testkit"
)

func TestDigestHTTPBin(t *testing.T) {
	w := newWorld(t)
	base := w.httpbin("bin", false)
	tests := []struct {
		name, path, pw string
		status         int
		requests       int
	}{
		{"MD5 default", "/digest-auth/auth/user/passwd", "passwd", 200, 2},
		{"MD5", "/digest-auth/auth/user/passwd/MD5", "passwd", 200, 2},
		{"SHA-256", "/digest-auth/auth/user/passwd/SHA-256", "passwd", 200, 2},
		{"U2 wrong password", "/digest-auth/auth/user/passwd/SHA-256", "wrong", 401, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &auth.Digest{URL: base, User: "user", Password: tt.pw, Base: w.transport()}
			before := len(w.rec.At("bin"))
			status, body := get(t, d, base+tt.path)
			if status != tt.status || tt.status == 200 && !strings.Contains(body, `"authenticated": true`) {
				t.Errorf("GET %s = %d %s, want %d", tt.path, status, body, tt.status)
			}
			if n := len(w.rec.At("bin")) - before; n != tt.requests {
				t.Errorf("GET %s sent %d requests, want %d", tt.path, n, tt.requests)
			}
			if tt.status != 200 {
				return
			}
			// The session answers the next request at once, nc counted up.
			before = len(w.rec.At("bin"))
			if status, _ := get(t, d, base+tt.path); status != 200 {
				t.Errorf("second GET = %d", status)
			}
			reqs := w.rec.At("bin")
			if n := len(reqs) - before; n != 1 {
				t.Errorf("second GET sent %d requests, want 1", n)
			}
			if a := reqs[len(reqs)-1].Header.Get("Authorization"); !strings.Contains(a, "nc=00000002") {
				t.Errorf("second GET sent %q, want nc=00000002", a)
			}
		})
	}
}

// The algorithms, qops and options against the test's own Digest server.
func TestDigestServer(t *testing.T) {
	tests := []struct {
		name   string
		server *digestServer
		method string
		body   string
	}{
		{"MD5 auth", &digestServer{algorithm: "MD5", qop: "auth"}, "GET", ""},
		{"MD5-sess", &digestServer{algorithm: "MD5-sess", qop: "auth"}, "GET", ""},
		{"SHA-256", &digestServer{algorithm: "SHA-256", qop: "auth"}, "GET", ""},
		{"SHA-256-sess lower case", &digestServer{algorithm: "sha-256-sess", qop: "auth"}, "GET", ""},
		{"SHA-512-256", &digestServer{algorithm: "SHA-512-256", qop: "auth"}, "GET", ""},
		{"no algorithm (MD5)", &digestServer{qop: "auth"}, "GET", ""},
		{"RFC 2069 no qop", &digestServer{algorithm: "MD5"}, "GET", ""},
		{"auth-int POST", &digestServer{algorithm: "SHA-256", qop: "auth-int"}, "POST", "a=1&b=2"},
		{"auth-int empty body", &digestServer{algorithm: "MD5", qop: "auth-int"}, "GET", ""},
		{"auth preferred to auth-int", &digestServer{algorithm: "MD5", qop: "auth-int, auth"}, "POST", "x"},
		{"opaque echoed", &digestServer{algorithm: "MD5", qop: "auth", opaque: "op/aque=="}, "GET", ""},
		{"userhash", &digestServer{algorithm: "SHA-256", qop: "auth", userhash: true}, "GET", ""},
		{"POST body replayed", &digestServer{algorithm: "MD5", qop: "auth"}, "POST", strings.Repeat("body ", 1000)},
		{"PUT", &digestServer{algorithm: "SHA-256", qop: "auth"}, "PUT", "put"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			d := tt.server
			d.realm, d.user, d.password = "realm \"q\"", "user", testkit.Canary("pw")
			base := w.serve("s", false, d)
			h := &auth.Digest{URL: base, User: d.user, Password: d.password, Base: w.transport()}
			c := &http.Client{Transport: h}
			for i := range 3 {
				status, body := do(t, c, tt.method, base+"/p/a?q=1", tt.body)
				if want := fmt.Sprintf("ok user %s %s", tt.method, tt.body); status != 200 || body != want {
					t.Fatalf("request %d = %d %q, want 200 %q", i, status, body, want)
				}
			}
			if n := len(w.rec.At("s")); n != 4 {
				t.Errorf("3 requests took %d exchanges, want 4 (one challenge)", n)
			}
			if tt.server.qop != "" {
				if got, want := d.accepted(), []string{"00000001", "00000002", "00000003"}; !slices.Equal(got, want) {
					t.Errorf("nc = %v, want %v", got, want)
				}
				if len(d.cnonce) != 3 {
					t.Errorf("%d distinct cnonces for 3 answers", len(d.cnonce))
				}
			}
			for _, s := range w.rec.At("s") {
				if s.Body != tt.body {
					t.Errorf("%s got body %q, want %q", s.Method, s.Body, tt.body)
				}
			}
			if leaks := w.rec.Leaks([]string{d.password}); len(leaks) > 0 {
				t.Errorf("password sent: %v", leaks)
			}
		})
	}
}

// Of several challenges Digest answers the strongest it supports.
func TestDigestStrongest(t *testing.T) {
	w := newWorld(t)
	d := &digestServer{realm: "r", user: "u", password: "p", algorithm: "SHA-256", qop: "auth"}
	base := w.serve("s", false, http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" {
			rw.Header().Add("WWW-Authenticate", `Basic realm="r"`)
			rw.Header().Add("WWW-Authenticate", `Digest realm="r", nonce="weak", algorithm=MD5, qop="auth", Digest realm="r", nonce="x", algorithm=UNKNOWN-1, NewScheme abc==`)
		}
		d.ServeHTTP(rw, r) // adds its own SHA-256 challenge
	}))
	if status, _ := get(t, &auth.Digest{URL: base, User: "u", Password: "p", Base: w.transport()}, base+"/"); status != 200 {
		t.Fatalf("GET = %d, want 200", status)
	}
	reqs := w.rec.At("s")
	if a := reqs[len(reqs)-1].Header.Get("Authorization"); !strings.Contains(a, "algorithm=SHA-256") {
		t.Errorf("answered %q, want SHA-256", a)
	}
}

// HOSTILE.md U2: always-401, a new nonce each time, stale=true forever:
// at most three requests, then the 401 or ErrAuthFailed.
func TestDigestBounded(t *testing.T) {
	tests := []struct {
		mode     string
		requests int
	}{
		{"always", 2},    // a fresh answer refused: no second try
		{"stale", 3},     // stale=true answered once
		{"samestale", 2}, // stale=true with the nonce just used: refused
	}
	for _, tt := range tests {
		for _, returnError := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/ReturnError=%v", tt.mode, returnError), func(t *testing.T) {
				w := newWorld(t)
				d := &digestServer{realm: "r", user: "u", password: "p", algorithm: "MD5", qop: "auth", mode: tt.mode}
				base := w.serve("s", false, d)
				h := &auth.Digest{URL: base, User: "u", Password: "p", ReturnError: returnError, Base: w.transport()}
				resp, err := (&http.Client{Transport: h}).Get(base + "/")
				if returnError {
					var ae *auth.Error
					if !errors.Is(err, auth.ErrAuthFailed) || !errors.As(err, &ae) || ae.Attempts != tt.requests || ae.Realm != "r" {
						t.Errorf("Get error = %v (%+v), want ErrAuthFailed after %d", err, ae, tt.requests)
					}
				} else {
					if err != nil || resp.StatusCode != 401 {
						t.Fatalf("Get = %v, %v, want the 401", resp, err)
					}
					resp.Body.Close()
				}
				if n := len(w.rec.At("s")); n != tt.requests {
					t.Errorf("%d requests, want %d", n, tt.requests)
				}
				// The session was dropped: the next request starts afresh,
				// bounded again.
				resp, err = (&http.Client{Transport: h}).Get(base + "/")
				if err == nil {
					resp.Body.Close()
				}
				if n := len(w.rec.At("s")); n > 2*tt.requests {
					t.Errorf("second round: %d requests in all", n)
				}
			})
		}
	}
}

// A session whose nonce goes stale recovers with one extra request, and a
// session answered stale forever stays within three.
func TestDigestStaleSession(t *testing.T) {
	w := newWorld(t)
	d := &digestServer{realm: "r", user: "u", password: "p", algorithm: "SHA-256", qop: "auth", nonceUses: 2}
	base := w.serve("s", false, d)
	h := &auth.Digest{URL: base, User: "u", Password: "p", Base: w.transport()}
	want := []int{2, 1, 2, 1} // challenge; reuse (nonce spent); stale+answer; reuse
	for i, n := range want {
		before := len(w.rec.At("s"))
		if status, body := get(t, h, base+"/"); status != 200 {
			t.Fatalf("request %d = %d %s", i, status, body)
		}
		if got := len(w.rec.At("s")) - before; got != n {
			t.Errorf("request %d took %d exchanges, want %d", i, got, n)
		}
	}
	// A session that goes stale forever: cached answer, fresh answer,
	// one stale retry.
	d.mode = "stale"
	before := len(w.rec.At("s"))
	if status, _ := get(t, h, base+"/"); status != 401 {
		t.Errorf("stale forever = %d, want 401", status)
	}
	if n := len(w.rec.At("s")) - before; n > 3 {
		t.Errorf("stale forever took %d exchanges, want at most 3", n)
	}
}

// HOSTILE.md U4: a Digest session of origin A is never used at B, not
// even when B has credentials of its own and challenges the same realm.
func TestDigestSessionPerOrigin(t *testing.T) {
	w := newWorld(t)
	da := &digestServer{realm: "r", user: "u", password: "pa", algorithm: "MD5", qop: "auth"}
	db := &digestServer{realm: "r", user: "u", password: "pb", algorithm: "MD5", qop: "auth"}
	a := w.serve("a", false, da)
	b := w.serve("b", false, db)
	w.serve("hop", false, http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		http.Redirect(rw, r, b+"/after-redirect", http.StatusFound)
	}))
	pw := new(auth.Passwords)
	pw.Add("r", a, "u", "pa")
	pw.Add("r", b, "u", "pb")
	h := &auth.Digest{Passwords: pw, Base: w.transport()}
	if status, _ := get(t, h, a+"/"); status != 200 {
		t.Fatalf("GET A = %d", status)
	}
	if status, _ := get(t, h, b+"/direct"); status != 200 {
		t.Fatalf("GET B = %d", status)
	}
	if status, _ := get(t, h, w.urls["hop"]+"/"); status != 200 {
		t.Fatalf("GET hop -> B = %d", status)
	}
	bs := w.rec.At("b")
	if len(bs) != 3 {
		t.Fatalf("B got %d requests, want 3 (challenge, answer, reuse)", len(bs))
	}
	if a := bs[0].Header.Get("Authorization"); a != "" {
		t.Errorf("B's first request carried %q: A's session reused", a)
	}
	// Credentials for A only: B challenges, nothing is sent there.
	w2 := newWorld(t)
	a2 := w2.serve("a", false, &digestServer{realm: "r", user: "u", password: "pa", algorithm: "MD5", qop: "auth"})
	b2 := w2.serve("b", false, &digestServer{realm: "r", user: "u", password: "pa", algorithm: "MD5", qop: "auth"})
	h2 := &auth.Digest{URL: a2, User: "u", Password: "pa", Base: w2.transport()}
	get(t, h2, a2+"/")
	if status, _ := get(t, h2, b2+"/"); status != 401 {
		t.Errorf("GET B with A's credentials = %d, want 401", status)
	}
	for _, s := range w2.rec.At("b") {
		if a := s.Header.Get("Authorization"); a != "" {
			t.Errorf("B got %q", a)
		}
	}
}

// Concurrent requests share the session safely (run with -race).
func TestDigestConcurrent(t *testing.T) {
	w := newWorld(t)
	base := w.httpbin("bin", false)
	h := &auth.Digest{URL: base, User: "user", Password: "passwd", Base: w.transport()}
	c := &http.Client{Transport: h}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Go(func() {
			resp, err := c.Get(fmt.Sprintf("%s/digest-auth/auth/user/passwd/SHA-256?i=%d", base, i))
			if err != nil {
				errs <- err
				return
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				errs <- fmt.Errorf("request %d: %s", i, resp.Status)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// rtFunc is a RoundTripper made of a function: a stub transport.
type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Challenges whose echoed values hold control characters are not answered
// (net/http refuses such fields; another transport might not).
func TestDigestHostileChallenge(t *testing.T) {
	n := 0
	stub := rtFunc(func(r *http.Request) (*http.Response, error) {
		n++
		return &http.Response{StatusCode: 401, Header: http.Header{"Www-Authenticate": {"Digest realm=\"r\", nonce=\"a\x01b\", qop=auth"}},
			Body: http.NoBody, Request: r}, nil
	})
	h := &auth.Digest{URL: "http://h/", User: "u", Password: "p", Base: stub}
	req, _ := http.NewRequest("GET", "http://h/", nil)
	resp, err := h.RoundTrip(req)
	if err != nil || resp.StatusCode != 401 || n != 1 {
		t.Errorf("RoundTrip = %v, %v after %d requests, want the 401 after 1", resp, err, n)
	}
}

// URL userinfo: net/http sends it as Basic itself, and the handlers leave
// such a request alone (HOSTILE.md B8: not to another host after a
// redirect, a relative redirect stays on the host).
func TestUserinfoRedirect(t *testing.T) {
	w := newWorld(t)
	secret := testkit.Canary("pw")
	b := w.httpbin("b", false)
	a := w.httpbin("a", false)
	h := &auth.Digest{URL: a, User: "u", Password: secret, Base: w.transport()}
	u, _ := url.Parse(a)
	u.User = url.UserPassword("u", secret)
	for _, path := range []string{"/redirect-to?url=" + url.QueryEscape(b+"/get"), "/redirect-to?url=/get"} {
		status, _ := get(t, h, u.String()+path)
		if status != 200 {
			t.Errorf("GET %s = %d", path, status)
		}
	}
	if leaks := w.rec.Leaks([]string{secret}, "a"); len(leaks) > 0 {
		t.Errorf("leaked: %v", leaks)
	}
	for _, s := range w.rec.At("a") {
		if s.URI == "/get" && s.Header.Get("Authorization") == "" {
			t.Errorf("relative redirect on a lost the credentials")
		}
	}
}

// A session covers its domain only (RFC 7616's protection space), and a
// nextnonce from Authentication-Info replaces the nonce, nc starting
// again at 1.
func TestDigestDomainAndNextnonce(t *testing.T) {
	w := newWorld(t)
	d := &digestServer{realm: "r", user: "u", password: "p", algorithm: "MD5", qop: "auth", extra: `, domain="/p/ http://other.example/q/"`}
	base := w.serve("s", false, d)
	h := &auth.Digest{URL: base, User: "u", Password: "p", Base: w.transport()}
	for _, step := range []struct {
		path      string
		exchanges int
	}{{"/p/x", 2}, {"/p/y", 1}, {"/q/x", 2}, {"/p/z", 1}} {
		before := len(w.rec.At("s"))
		if status, _ := get(t, h, base+step.path); status != 200 {
			t.Fatalf("GET %s = %d", step.path, status)
		}
		if n := len(w.rec.At("s")) - before; n != step.exchanges {
			t.Errorf("GET %s took %d exchanges, want %d", step.path, n, step.exchanges)
		}
	}

	w2 := newWorld(t)
	d2 := &digestServer{realm: "r", user: "u", password: "p", algorithm: "SHA-256", qop: "auth", nextNonce: true, proxy: true}
	proxy := w2.serve("proxy", false, d2)
	pu, _ := url.Parse(proxy)
	tr := w2.transport()
	tr.Proxy = http.ProxyURL(pu)
	ph := &auth.ProxyDigest{URL: proxy, User: "u", Password: "p", Base: tr}
	for range 3 {
		if status, _ := get(t, ph, "http://origin.example/"); status != 200 {
			t.Fatalf("GET = %d", status)
		}
	}
	if n := len(w2.rec.At("proxy")); n != 4 {
		t.Errorf("%d exchanges, want 4", n)
	}
	if got, want := d2.accepted(), []string{"00000001", "00000001", "00000001"}; !slices.Equal(got, want) {
		t.Errorf("nc = %v, want %v (a new nonce each time)", got, want)
	}
}

// TestDigestThenBasic: a Digest session does not stand in the way of a
// Basic path of its origin (curl --anyauth): its answer met with a Basic
// challenge, the request goes again without it, for the Basic handler
// below, and the session still answers the Digest path at once.
func TestDigestThenBasic(t *testing.T) {
	w := newWorld(t)
	base := w.httpbin("bin", false)
	b := &auth.Basic{URL: base, User: "u", Password: "p", Challenge: true, Base: w.transport()}
	d := &auth.Digest{URL: base, User: "u", Password: "p", Base: b}
	for i, path := range []string{"/basic-auth/u/p", "/digest-auth/auth/u/p/MD5", "/basic-auth/u/p", "/digest-auth/auth/u/p/MD5"} {
		before := len(w.rec.At("bin"))
		if status, body := get(t, d, base+path); status != 200 {
			t.Errorf("request %d, %s = %d %s, want 200", i, path, status, body)
		}
		if n := len(w.rec.At("bin")) - before; i == 3 && n != 1 {
			t.Errorf("the Digest path again took %d requests, want 1 (the session's)", n)
		}
	}
}

// TestDigestThenBasicStreamed: a body that cannot be sent again is not
// asked for again: the Basic challenge comes back as it is, no panic.
func TestDigestThenBasicStreamed(t *testing.T) {
	w := newWorld(t)
	base := w.httpbin("bin", false)
	d := &auth.Digest{URL: base, User: "u", Password: "p", Base: w.transport()}
	if status, _ := get(t, d, base+"/digest-auth/auth/u/p/MD5"); status != 200 {
		t.Fatalf("the Digest path = %d", status)
	}
	req, _ := http.NewRequestWithContext(t.Context(), "POST", base+"/basic-auth/u/p", io.MultiReader(strings.NewReader("streamed")))
	resp, err := (&http.Client{Transport: d}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("a streamed POST to the Basic path = %d, want its 401", resp.StatusCode)
	}
}

// Requests in parallel never send one (nonce, nc) pair twice, though
// every challenge carries the same nonce and answers arrive in any order:
// a server checking nc for replays (RFC 7616, section 3.3) accepts all.
func TestDigestConcurrentNonceCount(t *testing.T) {
	for _, proxy := range []bool{false, true} {
		t.Run(fmt.Sprintf("proxy=%v", proxy), func(t *testing.T) {
			w := newWorld(t)
			d := &digestServer{realm: "r", user: "u", password: "p", algorithm: "SHA-256", qop: "auth",
				nonce: "time-made", anyOrder: true, proxy: proxy}
			base := w.serve("s", false, d)
			var h http.RoundTripper = &auth.Digest{URL: base, User: "u", Password: "p", Base: w.transport()}
			target := base
			if proxy {
				pu, _ := url.Parse(base)
				tr := w.transport()
				tr.Proxy = http.ProxyURL(pu)
				h = &auth.ProxyDigest{URL: base, User: "u", Password: "p", Base: tr}
				target = "http://origin.example"
			}
			c := &http.Client{Transport: h}
			const workers, each = 8, 5
			var wg sync.WaitGroup
			errs := make(chan error, workers*each)
			for i := range workers {
				wg.Go(func() {
					for j := range each {
						resp, err := c.Get(fmt.Sprintf("%s/p?i=%d-%d", target, i, j))
						if err != nil {
							errs <- err
							return
						}
						resp.Body.Close()
						if resp.StatusCode != 200 {
							errs <- fmt.Errorf("request %d-%d: %s", i, j, resp.Status)
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			if n := len(d.accepted()); n != workers*each {
				t.Errorf("%d answers accepted, want %d", n, workers*each)
			}
		})
	}
}
