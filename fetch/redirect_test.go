package fetch_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grabhq/grab/auth"
	"github.com/grabhq/grab/auth/netrc"
	"github.com/grabhq/grab/fetch"
	"github.com/grabhq/grab/internal/testkit"
	"github.com/grabhq/grab/testserver"
)

// to returns a URL on base that redirects to target with code (httpbin's
// /redirect-to, loopback and the test's fake hosts only).
func to(base, target string, code int) string {
	return fmt.Sprintf("%s/redirect-to?url=%s&status_code=%d", base, url.QueryEscape(target), code)
}

// rawRedirect returns a URL on base answering exactly a code redirect to
// location, whatever location is.
func rawRedirect(base string, code int, location string) string {
	raw := fmt.Sprintf("HTTP/1.1 %d Moved\r\nLocation: %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", code, location)
	return base + "/fault/raw?b64=" + base64.URLEncoding.EncodeToString([]byte(raw))
}

// fakeHosts are the names the redirect tests dial through the guard.
var fakeHosts = testserver.WithRedirectHosts("other.test", "site.test", "example.com", "evil.example.com")

// credentialed returns a request carrying canary credentials in every
// form: Authorization, Cookie, Proxy-Authorization and X-Api-Key.
func credentialed(target string) (*fetch.Request, []string) {
	tokens := []string{testkit.Canary("auth"), testkit.Canary("cookie"), testkit.Canary("proxy"), testkit.Canary("apikey")}
	return &fetch.Request{URL: target, Header: http.Header{
		"Authorization":       {"Bearer " + tokens[0]},
		"Cookie":              {"sid=" + tokens[1]},
		"Proxy-Authorization": {"Basic " + tokens[2]},
		"X-Api-Key":           {tokens[3]},
	}}, tokens
}

// noLeaks fails the test when a token reached a server not allowed.
func noLeaks(t *testing.T, w *world, tokens []string, allowed ...string) {
	t.Helper()
	for _, l := range w.rec.Leaks(tokens, allowed...) {
		t.Errorf("leak: %s", l)
	}
}

// HOSTILE.md B1-B3, B6, B7: explicit credentials go only to the first
// origin, whatever the redirect status, and Proxy-Authorization to none.
func TestRedirectCredentials(t *testing.T) {
	w := newWorld(t, []string{"a", "b", "tls"}, fakeHosts)
	port := func(name string) string { u, _ := url.Parse(w.urls[name]); return u.Port() }
	w.alias("other.test:80", "b")
	w.alias("site.test:80", "a")
	each(t, func(t *testing.T, kind string) {
		o := w.opener(kind, &fetch.Opener{Redirects: fetch.Redirects{Sensitive: []string{"X-Api-Key"}}})
		cases := []struct {
			name, first, next string
		}{
			{"B1 other host", w.urls["a"], "http://other.test/anything"},
			{"B2 https to http same host", w.urls["tls"], w.urls["a"] + "/anything"},
			{"B3 port change", w.urls["a"], w.urls["b"] + "/anything"},
		}
		for _, c := range cases {
			for _, code := range []int{301, 302, 303, 307, 308} {
				t.Run(fmt.Sprintf("%s %d", c.name, code), func(t *testing.T) {
					first := "a"
					if strings.HasPrefix(c.first, "https") {
						first = "tls"
					}
					req, tokens := credentialed(to(c.first, c.next, code))
					resp, _ := read(t, o, req)
					if resp.StatusCode != 200 || len(resp.History) != 1 {
						t.Fatalf("status %d, history %v", resp.StatusCode, resp.History)
					}
					noLeaks(t, w, tokens[:2], first)
					noLeaks(t, w, tokens[3:], first)
					noLeaks(t, w, tokens[2:3]) // B6: to no origin at all
					if len(w.rec.Leaks([]string{tokens[0]})) == 0 {
						t.Error("the first origin did not get the Authorization (the test cannot fail)")
					}
				})
			}
		}
		t.Run("B3 default port spelled out keeps credentials", func(t *testing.T) {
			req, tokens := credentialed(to("http://site.test:80", "http://site.test/headers", 302))
			read(t, o, req)
			if n := len(w.rec.Leaks([]string{tokens[0]})); n != 2 {
				t.Errorf("Authorization reached the same origin %d times, want 2", n)
			}
			_ = port
		})
	})
}

// HOSTILE.md B4: a subdomain is another origin unless trusted.
func TestRedirectSubdomain(t *testing.T) {
	w := newWorld(t, []string{"a", "b"}, fakeHosts)
	w.alias("example.com:80", "a")
	w.alias("evil.example.com:80", "b")
	each(t, func(t *testing.T, kind string) {
		for _, trust := range []bool{false, true} {
			o := w.opener(kind, &fetch.Opener{Redirects: fetch.Redirects{TrustSubdomains: trust}})
			req, tokens := credentialed(to("http://example.com", "http://evil.example.com/headers", 302))
			read(t, o, req)
			got := len(w.rec.Leaks([]string{tokens[0]}, "a")) > 0
			if got != trust {
				t.Errorf("TrustSubdomains=%v: subdomain got Authorization = %v", trust, got)
			}
		}
	})
}

// HOSTILE.md B5: once stripped, stripped for the rest of the chain, even
// when it comes back to the first origin.
func TestRedirectStaysStripped(t *testing.T) {
	w := newWorld(t, []string{"a", "b"})
	each(t, func(t *testing.T, kind string) {
		o := w.opener(kind, nil)
		back := w.urls["a"] + "/headers?back"
		req, tokens := credentialed(to(w.urls["a"], to(w.urls["b"], back, 302), 302))
		resp, body := read(t, o, req)
		if len(resp.History) != 2 || strings.Contains(body, tokens[0]) {
			t.Errorf("history %v; final body %s", resp.History, body)
		}
		if n := len(w.rec.Leaks([]string{tokens[0]})); n != 1 {
			t.Errorf("Authorization sent %d times, want once (the first request)", n)
		}
	})
}

// HOSTILE.md B7: sensitive defaults stay with the first origin; other
// defaults follow.
func TestRedirectSensitiveDefaults(t *testing.T) {
	w := newWorld(t, []string{"a", "b"})
	each(t, func(t *testing.T, kind string) {
		key, trace := testkit.Canary("key"), testkit.Canary("trace")
		o := w.opener(kind, &fetch.Opener{
			Header:    http.Header{"X-Api-Key": {key}, "X-Trace": {trace}},
			Redirects: fetch.Redirects{Sensitive: []string{"x-api-key"}},
		})
		read(t, o, to(w.urls["a"], w.urls["b"]+"/headers", 302))
		noLeaks(t, w, []string{key}, "a")
		if len(w.rec.Leaks([]string{trace}, "a")) == 0 {
			t.Error("a non-sensitive default did not follow the redirect")
		}
	})
}

// HOSTILE.md B8: URL userinfo is Basic credentials for that origin only,
// and a relative redirect keeps the host exactly.
func TestRedirectUserinfo(t *testing.T) {
	w := newWorld(t, []string{"a", "b"})
	each(t, func(t *testing.T, kind string) {
		// Without handlers the userinfo goes into the header up front;
		// with one it goes through withUserinfo and the exchange.
		for _, o := range []*fetch.Opener{w.opener(kind, nil), w.opener(kind, &fetch.Opener{Handlers: []fetch.Handler{&auth.Bearer{URL: "http://elsewhere.test/", Token: "t"}}})} {
			pw := testkit.Canary("pw")
			withUser := strings.Replace(w.urls["a"], "://", "://kim:"+pw+"@", 1)
			basic := base64.StdEncoding.EncodeToString([]byte("kim:" + pw))
			resp, body := read(t, o, withUser+"/redirect-to?url=/headers")
			if !strings.Contains(body, basic) || resp.URL != w.urls["a"]+"/headers" {
				t.Errorf("relative redirect: final %s, body %s", resp.URL, body)
			}
			read(t, o, withUser+"/redirect-to?url="+url.QueryEscape(w.urls["b"]+"/headers"))
			noLeaks(t, w, []string{basic, pw}, "a")
			for _, s := range w.rec.All() {
				if strings.Contains(s.Host, "kim") || strings.Contains(s.URI, pw) {
					t.Errorf("userinfo on the wire: %+v", s)
				}
			}
		}
	})
}

// A handler's credentials win over the URL's userinfo (curl: -u over the
// URL); a password manager finds the entry of the login the URL names,
// and gives way to a password the URL holds (curl: the URL over netrc).
func TestUserinfoAndHandlers(t *testing.T) {
	w := newWorld(t, []string{"a"})
	each(t, func(t *testing.T, kind string) {
		a := w.urls["a"]
		at := func(user string) string { return strings.Replace(a, "://", "://"+user+"@", 1) }
		fixed := w.opener(kind, &fetch.Opener{Handlers: []fetch.Handler{&auth.Basic{URL: a + "/", User: "kim", Password: "s3cret"}}})
		host, _, _ := strings.Cut(a[strings.Index(a, "://")+3:], ":")
		nf, err := netrc.Parse(strings.NewReader("machine " + host + " login kim password s3cret\nmachine " + host + " login alice password wonder\n"))
		if err != nil {
			t.Fatal(err)
		}
		mgr := w.opener(kind, &fetch.Opener{Handlers: []fetch.Handler{&auth.Basic{Passwords: nf}}})
		digest := w.opener(kind, &fetch.Opener{Handlers: []fetch.Handler{&auth.Digest{URL: a + "/", User: "kim", Password: "s3cret"}}})
		wrong := testkit.Canary("wrong")
		for _, tt := range []struct {
			o      *fetch.Opener
			target string
		}{
			{fixed, at("kim:"+wrong) + "/basic-auth/kim/s3cret"},
			{digest, at("kim:"+wrong) + "/digest-auth/auth/kim/s3cret/MD5"},
			{mgr, at("alice") + "/basic-auth/alice/wonder"},
			{mgr, at("kim:other") + "/basic-auth/kim/other"},
		} {
			resp, err := tt.o.Open(t.Context(), tt.target)
			if err != nil {
				t.Errorf("%s: %v", tt.target, err)
				continue
			}
			resp.Body.Close()
		}
		// No userinfo reaches the transport, with or without handlers.
		for _, hs := range [][]fetch.Handler{nil, {&auth.Bearer{URL: "http://elsewhere.test/", Token: "t"}}} {
			stub := &fetch.Opener{Handlers: hs, Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				if r.URL.User != nil {
					return nil, fmt.Errorf("userinfo of %s reached the transport", r.URL.Redacted())
				}
				return &http.Response{StatusCode: 200, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: http.Header{}, Body: http.NoBody, Request: r}, nil
			})}
			if resp, err := stub.Open(t.Context(), at("kim:pw")+"/x"); err != nil {
				t.Errorf("%d handlers: %v", len(hs), err)
			} else {
				resp.Body.Close()
			}
		}
		// The URL's password lost to the handler's, and never went out.
		noLeaks(t, w, []string{wrong, base64.StdEncoding.EncodeToString([]byte("kim:" + wrong))})
	})
}

// HOSTILE.md B9: 301/302/303 turn a POST into a GET without its body or
// Content-* fields; 307/308 keep both, within an origin or, without
// credentials, across.
func TestRedirectMethod(t *testing.T) {
	w := newWorld(t, []string{"a", "b"})
	each(t, func(t *testing.T, kind string) {
		o := w.opener(kind, nil)
		for _, code := range []int{301, 302, 303, 307, 308} {
			for _, target := range []string{"a", "b"} {
				t.Run(fmt.Sprintf("%d to %s", code, target), func(t *testing.T) {
					req := &fetch.Request{URL: to(w.urls["a"], w.urls[target]+"/anything", code), Data: []byte("k=v")}
					_, body := read(t, o, req)
					e := decodeEcho(t, body)
					keep := code == 307 || code == 308
					switch {
					case keep && (e.Method != "POST" || e.Form["k"] == nil):
						t.Errorf("%d: server saw %s %v", code, e.Method, e.Form)
					case !keep && (e.Method != "GET" || e.Data != "" || e.Headers["Content-Type"] != nil || e.Headers["Content-Length"] != nil):
						t.Errorf("%d: server saw %s data %q headers %v", code, e.Method, e.Data, e.Headers)
					}
				})
			}
		}
		t.Run("307 with credentials to another origin", func(t *testing.T) {
			req, tokens := credentialed(to(w.urls["a"], w.urls["b"]+"/anything", 307))
			req.Data = []byte("secret=" + testkit.Canary("body"))
			_, err := o.Open(t.Context(), req)
			if !errors.Is(err, fetch.ErrRedirectRefused) {
				t.Errorf("err = %v, want ErrRedirectRefused", err)
			}
			noLeaks(t, w, append(tokens, string(req.Data[7:])), "a")
		})
		// Credentials a handler or the jar adds count as the caller's.
		added := map[string]*fetch.Opener{
			"handler": w.opener(kind, &fetch.Opener{Handlers: []fetch.Handler{addAuth{testkit.Canary("handler")}}}),
			"jar":     w.opener(kind, &fetch.Opener{Jar: jarWith(t, w.urls["a"], testkit.Canary("jar"))}),
		}
		for name, o := range added {
			t.Run("307 with credentials a "+name+" adds to another origin", func(t *testing.T) {
				req := &fetch.Request{URL: to(w.urls["a"], w.urls["b"]+"/anything", 307), Data: []byte("secret=" + testkit.Canary("body "+name))}
				_, err := o.Open(t.Context(), req)
				if !errors.Is(err, fetch.ErrRedirectRefused) {
					t.Errorf("err = %v, want ErrRedirectRefused", err)
				}
				noLeaks(t, w, []string{string(req.Data[7:])}, "a")
			})
		}
	})
}

// addAuth is a Handler that sends an Authorization field, as auth's do.
type addAuth struct{ token string }

func (a addAuth) Wrap(next http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", "Bearer "+a.token)
		return next.RoundTrip(r)
	})
}

// jarWith returns a cookie jar holding a cookie for rawURL.
func jarWith(t *testing.T, rawURL, value string) http.CookieJar {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(rawURL)
	jar.SetCookies(u, []*http.Cookie{{Name: "sid", Value: value}})
	return jar
}

// HOSTILE.md B10: a chain of 10 hops that each stall 150 ms ends at the
// Total deadline (500 ms), not at the sum of the hops' own limits.
func TestRedirectChainTotal(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/hop/"))
		select {
		case <-time.After(150 * time.Millisecond):
		case <-r.Context().Done():
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/hop/%d", n+1), http.StatusFound)
	}))
	t.Cleanup(srv.Close)
	each(t, func(t *testing.T, kind string) {
		engine := engineOf(kind)
		o := &fetch.Opener{Engine: engine, Timeouts: fetch.Timeouts{Total: 500 * time.Millisecond}}
		t.Cleanup(o.CloseIdleConnections)
		start := time.Now()
		resp, err := o.Open(t.Context(), srv.URL+"/hop/0")
		took := time.Since(start)
		if err == nil {
			resp.Close()
			t.Fatalf("reached %s", resp.URL)
		}
		var te *fetch.TimeoutError
		if !errors.As(err, &te) || te.Phase != "total" {
			t.Errorf("%v, want the total timeout", err)
		}
		if took > 3*time.Second {
			t.Errorf("ended after %v, want about 500ms", took)
		}
	})
}

// HOSTILE.md B10: loops and long chains stop at the limit, listing hops.
func TestRedirectLimit(t *testing.T) {
	w := newWorld(t, []string{"a"})
	each(t, func(t *testing.T, kind string) {
		o := w.opener(kind, nil)
		for _, path := range []string{"/fault/redirect-loop", "/fault/redirect-loop/a", "/fault/redirect-chain/1000"} {
			_, err := o.Open(t.Context(), w.urls["a"]+path)
			var re *fetch.RedirectError
			if !errors.Is(err, fetch.ErrTooManyRedirects) || !errors.As(err, &re) || len(re.Hops) != 11 {
				t.Errorf("%s: %v", path, err)
			}
		}
		resp, _ := read(t, o, w.urls["a"]+"/fault/redirect-chain/10")
		if len(resp.History) != 10 {
			t.Errorf("10 redirects: history of %d", len(resp.History))
		}
		o3 := w.opener(kind, &fetch.Opener{Redirects: fetch.Redirects{Max: 3}})
		first := w.urls["a"] + "/redirect/4"
		if _, err := o3.Open(t.Context(), first); !errors.Is(err, fetch.ErrTooManyRedirects) || !strings.Contains(err.Error(), `"`+first+`"`) {
			t.Errorf("Max 3, 4 redirects: %v (want the URL opened named)", err)
		}
		unlimited := w.opener(kind, &fetch.Opener{Redirects: fetch.Redirects{Max: -1}})
		if resp, _ := read(t, unlimited, w.urls["a"]+"/fault/redirect-chain/12"); len(resp.History) != 12 {
			t.Errorf("Max -1: %d redirects", len(resp.History))
		}
	})
}

// HOSTILE.md B11: odd Locations are resolved as the client dials them, or
// refused; nothing goes to a host other than the one resolved.
func TestRedirectLocation(t *testing.T) {
	w := newWorld(t, []string{"a", "b"}, fakeHosts)
	w.alias("other.test:80", "b")
	w.alias("xn--bcher-kva.test:80", "b")
	each(t, func(t *testing.T, kind string) {
		o := w.opener(kind, &fetch.Opener{AllowErrorStatus: true})
		a := w.urls["a"]
		tests := []struct {
			location string
			final    string // final URL, or "" for an error
			status   int
		}{
			{"/anything/%C3%A9", a + "/anything/%C3%A9", 200},
			{"/anything/é", a + "/anything/%C3%A9", 200},
			{"//other.test/anything/x", "http://other.test/anything/x", 200},
			{"/\\other.test/anything", a + "/%5Cother.test/anything", 400}, // the test server refuses a backslash (R5)
			{"http:other.test", "", 0},
			{"/anything/%zz", a + "/anything/%25zz", 200},                                      // a stray '%' sent as %25, as wget; curl follows it too
			{"http://bücher.test/anything/idn", "http://xn--bcher-kva.test/anything/idn", 200}, // IDN: the ASCII host
			{"http://ＯＴＨＥＲ.test/anything/fw", "http://other.test/anything/fw", 200},            // fullwidth maps to ASCII
			{"http://bü cher.test/", "", 0},
			{"/anything/a b?q=café x#f g", a + "/anything/a%20b?q=caf%C3%A9%20x#f%20g", 200}, // escaped as urllib follows it
			{"/anything/a%2Fb c", a + "/anything/a%2Fb%20c", 200},                            // an escape kept as sent
			{"/anything/a\tb", "", 0},                                                        // net/url refuses it: refused, typed
			{"/anything/" + strings.Repeat("x", 16<<10), a + "/anything/" + strings.Repeat("x", 16<<10), 200},
		}
		for _, tt := range tests {
			t.Run(tt.location[:min(len(tt.location), 24)], func(t *testing.T) {
				resp, err := o.Open(t.Context(), rawRedirect(a, 302, tt.location))
				if tt.final == "" {
					if err == nil {
						resp.Close()
						t.Fatalf("followed to %s", resp.URL)
					}
					if !errors.Is(err, fetch.ErrRedirectRefused) {
						t.Fatalf("%v, want ErrRedirectRefused", err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				resp.Close()
				if resp.URL != tt.final || resp.StatusCode != tt.status {
					t.Errorf("final %s %d, want %s %d", resp.URL, resp.StatusCode, tt.final, tt.status)
				}
			})
		}
		// A non-ASCII query given directly goes out escaped too.
		if resp, body := read(t, o, a+"/anything?q=café"); resp.URL != a+"/anything?q=caf%C3%A9" || !strings.Contains(body, `"q=caf%C3%A9"`) && !strings.Contains(body, `/anything?q=caf%C3%A9"`) {
			t.Errorf("non-ASCII query: %s %s", resp.URL, body)
		}
		// An empty Location, as a missing one: the 3xx is the final response.
		resp, err := o.Open(t.Context(), rawRedirect(a, 302, ""))
		if err != nil || resp.StatusCode != 302 || len(resp.History) != 0 {
			t.Errorf("empty Location: %v", err)
		} else {
			resp.Close()
		}
		// No Location: the 3xx is the final response.
		resp, err = o.Open(t.Context(), w.urls["a"]+"/fault/raw?b64="+base64.URLEncoding.EncodeToString([]byte("HTTP/1.1 302 Found\r\nContent-Length: 0\r\n\r\n")))
		if err != nil || resp.StatusCode != 302 {
			t.Errorf("no Location: %v", err)
		} else {
			resp.Close()
		}
	})
}

// HOSTILE.md B12: never to file: or another non-http(s) scheme, even with
// file: URLs enabled for direct opens.
func TestRedirectScheme(t *testing.T) {
	w := newWorld(t, []string{"a"})
	each(t, func(t *testing.T, kind string) {
		o := w.opener(kind, nil)
		for _, scheme := range []string{"file", "ftp", "data", "javascript", "gopher"} {
			_, err := o.Open(t.Context(), w.urls["a"]+"/fault/redirect-file?scheme="+scheme)
			if !errors.Is(err, fetch.ErrRedirectRefused) || !strings.Contains(err.Error(), `redirect to scheme "`+scheme+`" not allowed`) {
				t.Errorf("%s: %v", scheme, err)
			}
		}
		for _, loc := range []string{"File:///etc/passwd", "local_file:///etc/passwd", "FILE://localhost/etc/passwd"} {
			if _, err := o.Open(t.Context(), rawRedirect(w.urls["a"], 302, loc)); !errors.Is(err, fetch.ErrRedirectRefused) {
				t.Errorf("%s: %v", loc, err)
			}
		}
	})
}

// HOSTILE.md B13: redirects off at the opener or the request: the 3xx as
// it is, and no second request.
func TestRedirectOff(t *testing.T) {
	w := newWorld(t, []string{"a"})
	each(t, func(t *testing.T, kind string) {
		for _, off := range []string{"opener", "request"} {
			o := w.opener(kind, &fetch.Opener{AllowErrorStatus: true, Redirects: fetch.Redirects{Off: off == "opener"}})
			before := len(w.rec.All())
			resp, _ := read(t, o, &fetch.Request{URL: w.urls["a"] + "/redirect/1", NoRedirect: off == "request"})
			if resp.StatusCode != 302 || resp.Header.Get("Location") == "" || len(resp.History) != 0 {
				t.Errorf("%s: %s %v", off, resp.Status, resp.History)
			}
			if n := len(w.rec.All()) - before; n != 1 {
				t.Errorf("%s: %d requests, want 1", off, n)
			}
		}
		// Without AllowErrorStatus the 3xx is an *HTTPError, as urllib's.
		o := w.opener(kind, &fetch.Opener{Redirects: fetch.Redirects{Off: true}})
		var he *fetch.HTTPError
		if _, err := o.Open(t.Context(), w.urls["a"]+"/redirect/1"); !errors.As(err, &he) || he.StatusCode != 302 {
			t.Errorf("Off: %v", err)
		}
	})
}

// HOSTILE.md B14: no Referer of fetch's own; the caller's stays within its
// origin and never carries userinfo, token or fragment across.
func TestRedirectReferer(t *testing.T) {
	w := newWorld(t, []string{"a", "b", "tls"})
	each(t, func(t *testing.T, kind string) {
		o := w.opener(kind, nil)
		token := testkit.Canary("token")
		first := strings.Replace(w.urls["tls"], "://", "://u:"+testkit.Canary("pw")+"@", 1) + "/redirect-to?url=" + url.QueryEscape(w.urls["a"]+"/headers") + "&token=" + token + "#frag"
		_, body := read(t, o, first)
		if strings.Contains(body, "Referer") {
			t.Errorf("Referer sent: %s", body)
		}
		_, body = read(t, o, to(w.urls["a"], w.urls["a"]+"/headers", 302))
		if strings.Contains(body, "Referer") {
			t.Errorf("same-origin Referer added: %s", body)
		}
		ref := "https://site.test/page?token=" + token
		req := &fetch.Request{URL: to(w.urls["a"], w.urls["a"]+"/headers", 302), Header: http.Header{"Referer": {ref}}}
		if _, body := read(t, o, req); !strings.Contains(body, token) {
			t.Errorf("caller's Referer lost within the origin: %s", body)
		}
		req.URL = to(w.urls["a"], w.urls["b"]+"/headers", 302)
		read(t, o, req)
		noLeaks(t, w, []string{token}, "a", "tls")
		// https to http: the caller's Referer stays behind.
		req = &fetch.Request{URL: w.urls["tls"] + "/redirect-to?url=" + url.QueryEscape(w.urls["a"]+"/headers"), Header: http.Header{"Referer": {ref}}}
		if _, body := read(t, o, req); strings.Contains(body, "Referer") {
			t.Errorf("https->http: Referer sent: %s", body)
		}
		// A Referer the Opener sets by default and the request clears is
		// sent on no hop.
		od := w.opener(kind, &fetch.Opener{Header: http.Header{"Referer": {ref}}})
		req = &fetch.Request{URL: to(w.urls["a"], w.urls["a"]+"/headers", 302), Header: http.Header{"Referer": {""}}}
		if _, body := read(t, od, req); strings.Contains(body, "Referer") {
			t.Errorf("cleared Referer sent: %s", body)
		}
		if _, body := read(t, od, to(w.urls["a"], w.urls["a"]+"/headers", 302)); !strings.Contains(body, token) {
			t.Errorf("the Opener's Referer not sent within its origin: %s", body)
		}
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
