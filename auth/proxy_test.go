package auth_test

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/grabhq/grab/auth"
	"github.com/grabhq/grab/internal/testkit"
	"github.com/grabhq/grab/testserver"
)

// startProxy starts testserver's recording proxy demanding user:password.
func startProxy(t *testing.T, user, password string) *testserver.Proxy {
	t.Helper()
	p, err := testserver.StartProxy(testserver.ProxyOptions{User: user, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// ProxyBasic against testserver's proxy, for a plain-http target:
// Proxy-Authorization reaches the proxy and never the origin.
func TestProxyBasic(t *testing.T) {
	w := newWorld(t)
	origin := w.httpbin("origin", false)
	secret := testkit.Canary("proxy-pw")
	p := startProxy(t, "pu", secret)
	tests := []struct {
		name      string
		h         func(tr *http.Transport) http.RoundTripper
		status    int
		proxyReqs int
	}{
		{"preemptive", func(tr *http.Transport) http.RoundTripper {
			return &auth.ProxyBasic{URL: p.URL().String(), User: "pu", Password: secret, Base: tr}
		}, 200, 1},
		{"on challenge", func(tr *http.Transport) http.RoundTripper {
			return &auth.ProxyBasic{URL: p.URL().String(), User: "pu", Password: secret, Challenge: true, Base: tr}
		}, 200, 2},
		{"Passwords with the proxy's realm", func(tr *http.Transport) http.RoundTripper {
			pw := new(auth.Passwords)
			pw.Add(testserver.ProxyRealm, p.URL().String(), "pu", secret)
			return &auth.ProxyBasic{Passwords: pw, Proxy: tr.Proxy, Base: tr}
		}, 200, 2},
		{"U2 wrong password", func(tr *http.Transport) http.RoundTripper {
			return &auth.ProxyBasic{URL: p.URL().String(), User: "pu", Password: "wrong", Challenge: true, Base: tr}
		}, 407, 2},
		{"credentials for another proxy", func(tr *http.Transport) http.RoundTripper {
			return &auth.ProxyBasic{URL: "http://127.0.0.1:1", User: "pu", Password: secret, Base: tr}
		}, 407, 1},
		{"Basic is not ProxyBasic", func(tr *http.Transport) http.RoundTripper {
			return &auth.Basic{URL: origin, User: "pu", Password: secret, Challenge: true, Base: tr}
		}, 407, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p.Reset()
			tr := w.transport()
			tr.Proxy = http.ProxyURL(p.URL())
			status, body := get(t, tt.h(tr), origin+"/get")
			if status != tt.status {
				t.Errorf("GET = %d %s, want %d", status, body, tt.status)
			}
			recs := p.Records()
			if len(recs) != tt.proxyReqs {
				t.Errorf("proxy got %d requests, want %d", len(recs), tt.proxyReqs)
			}
			if tt.status == 200 && (len(recs) == 0 || !recs[len(recs)-1].Authorized) {
				t.Errorf("proxy records %+v, want the last authorized", recs)
			}
		})
	}
	for _, s := range w.rec.All() {
		if s.Header.Get("Proxy-Authorization") != "" {
			t.Errorf("origin got Proxy-Authorization %q", s.Header.Get("Proxy-Authorization"))
		}
	}
	if leaks := w.rec.Leaks([]string{secret}); len(leaks) > 0 {
		t.Errorf("leaked to the origin: %v", leaks)
	}

	// ReturnError names the proxy.
	tr := w.transport()
	tr.Proxy = http.ProxyURL(p.URL())
	_, err := (&http.Client{Transport: &auth.ProxyBasic{URL: p.URL().String(), User: "pu", Password: "wrong", ReturnError: true, Base: tr}}).Get(origin + "/get")
	var ae *auth.Error
	if !errors.As(err, &ae) || !ae.Proxy || ae.URL != p.URL().String() || ae.Realm != testserver.ProxyRealm || !strings.Contains(err.Error(), "proxy "+p.URL().String()) {
		t.Errorf("error = %v (%+v), want an *auth.Error for the proxy", err, ae)
	}
}

// An origin, or a proxy the credentials are not for, answering 407 gets
// nothing: ProxyBasic and ProxyDigest act only for the proxy in use.
func TestProxyHarvest(t *testing.T) {
	w := newWorld(t)
	secret := testkit.Canary("proxy-pw")
	rogue := w.serve("rogue", false, http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Add("Proxy-Authenticate", `Basic realm="give me"`)
		rw.Header().Add("Proxy-Authenticate", `Digest realm="give me", nonce="n", qop="auth"`)
		rw.WriteHeader(http.StatusProxyAuthRequired)
	}))
	p := startProxy(t, "pu", secret)
	rogueURL, _ := url.Parse(rogue)
	pw := new(auth.Passwords)
	pw.Add("", p.URL().String(), "pu", secret)
	setups := []struct {
		name  string
		proxy func(*http.Request) (*url.URL, error) // the transport's
	}{
		{"direct to an origin answering 407", nil},
		{"through another proxy", http.ProxyURL(rogueURL)},
	}
	for _, s := range setups {
		for _, mk := range []func(tr *http.Transport) http.RoundTripper{
			func(tr *http.Transport) http.RoundTripper {
				return &auth.ProxyBasic{URL: p.URL().String(), User: "pu", Password: secret, Challenge: true, Base: tr}
			},
			func(tr *http.Transport) http.RoundTripper {
				return &auth.ProxyBasic{Passwords: pw, Base: tr}
			},
			func(tr *http.Transport) http.RoundTripper {
				return &auth.ProxyDigest{URL: p.URL().String(), User: "pu", Password: secret, Base: tr}
			},
			func(tr *http.Transport) http.RoundTripper {
				// Proxy given explicitly, though the transport goes direct.
				return &auth.ProxyBasic{URL: p.URL().String(), User: "pu", Password: secret, Proxy: func(*http.Request) (*url.URL, error) { return nil, nil }, Base: tr}
			},
		} {
			tr := w.transport()
			tr.Proxy = s.proxy
			before := len(w.rec.At("rogue"))
			if status, _ := get(t, mk(tr), rogue+"/x"); status != 407 {
				t.Errorf("%s: status %d, want the 407", s.name, status)
			}
			if n := len(w.rec.At("rogue")) - before; n != 1 {
				t.Errorf("%s: %d requests, want 1", s.name, n)
			}
		}
	}
	for _, r := range w.rec.All() {
		if r.Header.Get("Proxy-Authorization") != "" {
			t.Errorf("%s got Proxy-Authorization", r.Server)
		}
	}
	if leaks := w.rec.Leaks([]string{secret}); len(leaks) > 0 {
		t.Errorf("leaked: %v", leaks)
	}
}

// For an https target the transport tunnels with CONNECT, which no
// RoundTripper sees: ProxyBasic stands aside, and the credentials go in
// the proxy URL, as documented.
func TestProxyHTTPS(t *testing.T) {
	w := newWorld(t)
	origin := w.httpbin("origin", true)
	secret := testkit.Canary("proxy-pw")
	p := startProxy(t, "pu", secret)

	tr := w.transport()
	tr.Proxy = http.ProxyURL(p.URL())
	h := &auth.ProxyBasic{URL: p.URL().String(), User: "pu", Password: secret, Base: tr}
	_, err := (&http.Client{Transport: h}).Get(origin + "/get")
	if err == nil || !strings.Contains(err.Error(), "Proxy Authentication Required") {
		t.Errorf("https through the proxy without credentials in its URL: %v, want the CONNECT refused", err)
	}

	withUser := p.URL()
	withUser.User = url.UserPassword("pu", secret)
	tr = w.transport()
	tr.Proxy = http.ProxyURL(withUser)
	h = &auth.ProxyBasic{URL: p.URL().String(), User: "pu", Password: "unused", Base: tr}
	if status, body := get(t, h, origin+"/get"); status != 200 {
		t.Errorf("https with credentials in the proxy URL = %d %s", status, body)
	}
	recs := p.Records()
	if last := recs[len(recs)-1]; last.Method != "CONNECT" || !last.Authorized {
		t.Errorf("last proxy record %+v, want an authorized CONNECT", last)
	}
	if leaks := w.rec.Leaks([]string{secret, "unused"}); len(leaks) > 0 {
		t.Errorf("leaked to the origin: %v", leaks)
	}
}

// ProxyDigest against a proxy of the test's own that demands Digest (and
// answers for itself): the digest-uri is the absolute form net/http
// writes to a proxy; the session is reused.
func TestProxyDigest(t *testing.T) {
	w := newWorld(t)
	d := &digestServer{realm: "proxy", user: "pu", password: testkit.Canary("pw"), algorithm: "SHA-256", qop: "auth", opaque: "o", proxy: true}
	proxy := w.serve("proxy", false, d)
	pu, _ := url.Parse(proxy)
	tr := w.transport()
	tr.Proxy = http.ProxyURL(pu)
	h := &auth.ProxyDigest{URL: proxy, User: "pu", Password: d.password, Base: tr}
	for i, want := range []int{2, 1} {
		before := len(w.rec.At("proxy"))
		status, body := get(t, h, "http://origin.example/page?q=1")
		if status != 200 || !strings.HasPrefix(body, "ok pu GET") {
			t.Fatalf("request %d = %d %q", i, status, body)
		}
		if n := len(w.rec.At("proxy")) - before; n != want {
			t.Errorf("request %d took %d exchanges, want %d", i, n, want)
		}
	}
	if got := w.rec.At("proxy")[1].URI; got != "http://origin.example/page?q=1" {
		t.Errorf("proxy saw request-target %q", got)
	}
	// Wrong password: bounded, 407 returned.
	h2 := &auth.ProxyDigest{URL: proxy, User: "pu", Password: "wrong", Base: tr}
	before := len(w.rec.At("proxy"))
	resp, err := (&http.Client{Transport: h2}).Get("http://origin.example/")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if n := len(w.rec.At("proxy")) - before; resp.StatusCode != 407 || n != 2 {
		t.Errorf("wrong password: %d after %d requests, want 407 after 2", resp.StatusCode, n)
	}
}
