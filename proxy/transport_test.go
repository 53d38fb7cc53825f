package proxy_test

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/grabhq/grab/internal/testkit"
	"github.com/grabhq/grab/proxy"
	"github.com/grabhq/grab/testserver"
)

// get fetches rawURL with c, with extra header fields, and returns the
// status and body.
func get(t *testing.T, c *http.Client, rawURL string, header http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "GET", rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", rawURL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading the body: %v", rawURL, err)
	}
	return resp.StatusCode, string(b)
}

// TestClientHTTPTarget: an http:// target goes to the proxy in absolute
// form with the credentials SetCredentials set; the origin never sees
// them (B6).
func TestClientHTTPTarget(t *testing.T) {
	secret := testkit.Canary("proxypw")
	p := startProxy(t, testserver.ProxyOptions{User: "proxyuser", Password: secret})
	rec := &testkit.Recorder{}
	urls, pool := origins(t, rec, "origin")
	sel, err := proxy.New(map[string]string{"http": p.URL().String()}, "")
	if err != nil {
		t.Fatal(err)
	}
	sel.SetCredentials("proxyuser", secret)
	g := testkit.NewGuard(t)
	c, _ := client(t, g, pool, sel.Proxy)

	code, body := get(t, c, urls["origin"]+"/hello", nil)
	if code != 200 || body != "Hello World" {
		t.Fatalf("GET /hello through the proxy = %d %q, want 200 \"Hello World\"", code, body)
	}
	recs := p.Records()
	if len(recs) != 1 {
		t.Fatalf("proxy got %d requests, want 1: %+v", len(recs), recs)
	}
	r := recs[0]
	if r.Method != "GET" || r.Target != urls["origin"]+"/hello" || !r.Authorized || r.Status != 200 {
		t.Errorf("proxy record = %s %s authorized=%t status=%d, want GET %s/hello authorized 200", r.Method, r.Target, r.Authorized, r.Status, urls["origin"])
	}
	if !strings.Contains(headerText(r.Header), "proxyuser:"+secret) {
		t.Errorf("proxy got no Proxy-Authorization with the credentials: %v", r.Header)
	}
	if leaks := originLeaks(rec, secret); len(leaks) > 0 {
		t.Errorf("proxy credentials reached the origin (B6): %v", leaks)
	}
	if g.Dials(p.Addr()) != 1 {
		t.Errorf("dials to the proxy = %d, want 1", g.Dials(p.Addr()))
	}
}

// TestClientHTTPSTarget: an https:// target goes through a CONNECT that
// carries Proxy-Authorization and nothing of the request (C1, C2); inside
// the tunnel the origin sees the request's own fields and no proxy
// credentials.
func TestClientHTTPSTarget(t *testing.T) {
	secret := testkit.Canary("proxypw")
	custom := testkit.Canary("custom")
	originAuth := testkit.Canary("originpw")
	p := startProxy(t, testserver.ProxyOptions{User: "proxyuser", Password: secret})
	rec := &testkit.Recorder{}
	urls, pool := origins(t, rec, "tlsorigin")
	sel, err := proxy.New(map[string]string{"https": p.URL().String()}, "")
	if err != nil {
		t.Fatal(err)
	}
	sel.SetCredentials("proxyuser", secret)
	c, _ := client(t, testkit.NewGuard(t), pool, sel.Proxy)

	h := http.Header{
		"X-Custom":      {custom},
		"Cookie":        {"session=" + custom},
		"Authorization": {"Bearer " + originAuth},
		"User-Agent":    {"grab-test/" + custom},
	}
	code, body := get(t, c, urls["tlsorigin"]+"/get", h)
	if code != 200 || !strings.Contains(body, custom) {
		t.Fatalf("GET /get through the proxy = %d %q, want 200 echoing X-Custom", code, body)
	}
	recs := p.Records()
	if len(recs) != 1 {
		t.Fatalf("proxy got %d requests, want 1 CONNECT: %+v", len(recs), recs)
	}
	r := recs[0]
	u, _ := url.Parse(urls["tlsorigin"])
	if r.Method != "CONNECT" || r.Target != u.Host || !r.Authorized {
		t.Errorf("proxy record = %s %s authorized=%t, want CONNECT %s authorized", r.Method, r.Target, r.Authorized, u.Host)
	}
	text := headerText(r.Header)
	if !strings.Contains(text, "proxyuser:"+secret) {
		t.Errorf("CONNECT without the proxy credentials (C1): %v", r.Header)
	}
	for _, s := range []string{custom, originAuth} { // C2
		if strings.Contains(text, s) {
			t.Errorf("CONNECT carried %q from the request (C2): %v", s, r.Header)
		}
	}
	for _, k := range []string{"Authorization", "Cookie", "X-Custom"} {
		if _, ok := r.Header[k]; ok {
			t.Errorf("CONNECT carried the request's %s (C2): %v", k, r.Header)
		}
	}
	seen := rec.All()
	if len(seen) != 1 || seen[0].Header.Get("Authorization") != "Bearer "+originAuth {
		t.Errorf("origin saw %+v, want one request with its own Authorization", seen)
	}
	if leaks := originLeaks(rec, secret); len(leaks) > 0 {
		t.Errorf("proxy credentials reached the origin inside the tunnel (C1): %v", leaks)
	}
}

// TestClientProxyAuthRequired: without credentials an authenticating
// proxy answers 407; for an https target CheckConnect makes it
// ErrProxyAuth, after one CONNECT (no retry loop, C6).
func TestClientProxyAuthRequired(t *testing.T) {
	p := startProxy(t, testserver.ProxyOptions{User: "u", Password: "pw"})
	rec := &testkit.Recorder{}
	urls, pool := origins(t, rec, "origin", "tlsorigin")
	sel, _ := proxy.New(map[string]string{"all": p.URL().String()}, "")
	c, _ := client(t, testkit.NewGuard(t), pool, sel.Proxy)

	if code, _ := get(t, c, urls["origin"]+"/get", nil); code != http.StatusProxyAuthRequired {
		t.Errorf("GET http:// without proxy credentials = %d, want 407", code)
	}
	_, err := c.Get(urls["tlsorigin"] + "/get")
	var pe *proxy.ProxyError
	if !errors.Is(err, proxy.ErrProxyAuth) || !errors.As(err, &pe) || pe.Status != 407 {
		t.Fatalf("GET https:// without proxy credentials error = %v, want ErrProxyAuth with status 407", err)
	}
	if n := len(p.Records()); n != 2 {
		t.Errorf("proxy got %d requests, want 2 (one each, no retry)", n)
	}
	if len(rec.All()) != 0 {
		t.Errorf("origins got requests: %+v", rec.All())
	}

	// Wrong credentials: the same, and the password is not in the error.
	sel.SetCredentials("u", "wrong-secret")
	_, err = c.Get(urls["tlsorigin"] + "/get")
	if !errors.Is(err, proxy.ErrProxyAuth) || strings.Contains(err.Error(), "wrong-secret") {
		t.Errorf("GET https:// with wrong credentials error = %v, want ErrProxyAuth without the password", err)
	}
}

// TestRedirectLeaks is the redirect leak matrix with proxies in the path
// (B6, C1, C3): a request to one origin redirected to another, through an
// authenticating proxy for http and another for https. No origin ever
// sees Proxy-Authorization or a proxy password, and the credentials of
// one proxy never reach the other.
func TestRedirectLeaks(t *testing.T) {
	tests := []struct {
		name     string
		from, to string // origin names
	}{
		{"http to http", "origin", "other"},
		{"http to https", "origin", "tlsother"},
		{"https to https", "tlsorigin", "tlsother"},
		{"https to http", "tlsorigin", "other"},
		{"same origin", "origin", "origin"},
	}
	for _, tt := range tests {
		for _, perScheme := range []bool{false, true} {
			name := tt.name + " one proxy"
			if perScheme {
				name = tt.name + " per-scheme proxies"
			}
			t.Run(name, func(t *testing.T) {
				s1 := testkit.Canary("p1pw")
				s2 := testkit.Canary("p2pw")
				p1 := startProxy(t, testserver.ProxyOptions{User: "u1", Password: s1})
				p2 := p1
				rec := &testkit.Recorder{}
				urls, pool := origins(t, rec, "origin", "other", "tlsorigin", "tlsother")
				proxies := map[string]string{"all": p1.URL().String()}
				if perScheme {
					p2 = startProxy(t, testserver.ProxyOptions{User: "u2", Password: s2})
					proxies = map[string]string{"http": p1.URL().String(), "https": p2.URL().String()}
				}
				sel, err := proxy.New(proxies, "")
				if err != nil {
					t.Fatal(err)
				}
				if err := sel.SetProxyCredentials(p1.URL().String(), "u1", s1); err != nil {
					t.Fatal(err)
				}
				if perScheme {
					if err := sel.SetProxyCredentials(p2.URL().String(), "u2", s2); err != nil {
						t.Fatal(err)
					}
				}
				c, _ := client(t, testkit.NewGuard(t), pool, sel.Proxy)
				target := urls[tt.to] + "/get"
				code, _ := get(t, c, urls[tt.from]+"/redirect-to?url="+url.QueryEscape(target), nil)
				if code != 200 {
					t.Fatalf("GET through the redirect = %d, want 200", code)
				}
				if n := len(rec.All()); n != 2 {
					t.Errorf("origins got %d requests, want 2: %+v", n, rec.All())
				}
				for _, secret := range []string{s1, s2} {
					if leaks := originLeaks(rec, secret); len(leaks) > 0 {
						t.Errorf("proxy credentials reached an origin: %v", leaks)
					}
				}
				if perScheme {
					if leaks := proxyLeaks(p2, s1); len(leaks) > 0 {
						t.Errorf("the https proxy got the http proxy's credentials (C3): %v", leaks)
					}
					if leaks := proxyLeaks(p1, s2); len(leaks) > 0 {
						t.Errorf("the http proxy got the https proxy's credentials (C3): %v", leaks)
					}
				}
				for _, p := range []*testserver.Proxy{p1, p2} {
					for _, r := range p.Records() {
						if !r.Authorized {
							t.Errorf("proxy refused %s %s: credentials missing", r.Method, r.Target)
						}
					}
				}
			})
		}
	}
}

// TestClearedCredentials (C3): once cleared, credentials are not sent
// again, not even on a pooled connection.
func TestClearedCredentials(t *testing.T) {
	secret := testkit.Canary("pw")
	p := startProxy(t, testserver.ProxyOptions{}) // open: records what it is sent
	rec := &testkit.Recorder{}
	urls, pool := origins(t, rec, "origin", "tlsorigin")
	sel, _ := proxy.New(map[string]string{"all": p.URL().String()}, "")
	sel.SetCredentials("u", secret)
	c, _ := client(t, testkit.NewGuard(t), pool, sel.Proxy)
	for _, o := range []string{"origin", "tlsorigin"} {
		get(t, c, urls[o]+"/get", nil)
	}
	if n := len(proxyLeaks(p, secret)); n != 2 {
		t.Fatalf("proxy saw the credentials %d times, want 2", n)
	}
	p.Reset()
	sel.SetCredentials("", "")
	for _, o := range []string{"origin", "tlsorigin", "origin", "tlsorigin"} {
		get(t, c, urls[o]+"/get", nil)
	}
	if leaks := proxyLeaks(p, secret); len(leaks) > 0 {
		t.Errorf("cleared credentials were sent again: %v", leaks)
	}
	if leaks := originLeaks(rec, secret); len(leaks) > 0 {
		t.Errorf("proxy credentials reached an origin: %v", leaks)
	}
}

// TestNoProxyDirect: a NoProxy host is fetched without the proxy.
func TestNoProxyDirect(t *testing.T) {
	p := startProxy(t, testserver.ProxyOptions{})
	rec := &testkit.Recorder{}
	urls, pool := origins(t, rec, "origin")
	sel, _ := proxy.New(map[string]string{"all": p.URL().String()}, "127.0.0.0/8")
	g := testkit.NewGuard(t)
	c, _ := client(t, g, pool, sel.Proxy)
	if code, _ := get(t, c, urls["origin"]+"/get", nil); code != 200 {
		t.Fatalf("GET = %d, want 200", code)
	}
	if n := len(p.Records()); n != 0 {
		t.Errorf("proxy got %d requests for a NO_PROXY host, want 0", n)
	}
}
