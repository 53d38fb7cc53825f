package auth_test

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/grabhq/grab/auth"
	"github.com/grabhq/grab/internal/testkit"
)

func TestBasicHTTPBin(t *testing.T) {
	w := newWorld(t)
	base := w.httpbin("bin", false)
	tests := []struct {
		name      string
		path      string
		user, pw  string
		challenge bool
		status    int
		requests  int
	}{
		{"preemptive", "/basic-auth/user/passwd", "user", "passwd", false, 200, 1},
		{"on challenge", "/basic-auth/user/passwd", "user", "passwd", true, 200, 2},
		{"hidden preemptive", "/hidden-basic-auth/user/passwd", "user", "passwd", false, 200, 1},
		// hidden-basic-auth answers 404, never a challenge: only
		// preemptive credentials can open it.
		{"hidden on challenge", "/hidden-basic-auth/user/passwd", "user", "passwd", true, 404, 1},
		{"U2 wrong password preemptive", "/basic-auth/user/passwd", "user", "wrong", false, 401, 1},
		{"U2 wrong password on challenge", "/basic-auth/user/passwd", "user", "wrong", true, 401, 2},
		{"unicode password", "/basic-auth/user/p%C3%A4ss", "user", "päss", true, 200, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(w.rec.At("bin"))
			b := &auth.Basic{URL: base, User: tt.user, Password: tt.pw, Challenge: tt.challenge, Base: w.transport()}
			status, body := get(t, b, base+tt.path)
			if status != tt.status {
				t.Errorf("GET %s = %d %s, want %d", tt.path, status, body, tt.status)
			}
			if n := len(w.rec.At("bin")) - before; n != tt.requests {
				t.Errorf("GET %s sent %d requests, want %d", tt.path, n, tt.requests)
			}
		})
	}
}

// HOSTILE.md U2: refused credentials end the exchange after a bounded
// number of requests, with ErrAuthFailed when asked, the password nowhere
// in the error.
func TestBasicRefused(t *testing.T) {
	w := newWorld(t)
	secret := testkit.Canary("pw")
	base := w.serve("always401", false, http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("WWW-Authenticate", `Basic realm="r1"`)
		rw.WriteHeader(http.StatusUnauthorized)
	}))
	for _, challenge := range []bool{false, true} {
		before := len(w.rec.At("always401"))
		b := &auth.Basic{URL: base, User: "u", Password: secret, Challenge: challenge, ReturnError: true, Base: w.transport()}
		_, err := (&http.Client{Transport: b}).Get(base + "/x?y=1")
		var ae *auth.Error
		if !errors.Is(err, auth.ErrAuthFailed) || !errors.As(err, &ae) {
			t.Fatalf("Challenge %v: error = %v, want ErrAuthFailed", challenge, err)
		}
		want := 1
		if challenge {
			want = 2
		}
		if n := len(w.rec.At("always401")) - before; n != want || ae.Attempts != want {
			t.Errorf("Challenge %v: %d requests, Attempts %d, want %d", challenge, n, ae.Attempts, want)
		}
		if ae.Realm != "r1" || ae.Scheme != "Basic" || ae.URL != base+"/x?y=1" || ae.Proxy {
			t.Errorf("Error = %+v", ae)
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error %q shows the password", err)
		}
	}
}

// The final 401 comes back as it is, body unread, without ReturnError.
func TestBasicReturns401(t *testing.T) {
	w := newWorld(t)
	base := w.serve("s", false, basicGate("u", "right", `Basic realm="r"`))
	status, body := get(t, &auth.Basic{URL: base, User: "u", Password: "wrong", Challenge: true, Base: w.transport()}, base+"/")
	if status != http.StatusUnauthorized || body != "who are you?" {
		t.Errorf("GET = %d %q, want 401 with its body", status, body)
	}
}

// HOSTILE.md U3: Basic does not answer a challenge that also offers
// Digest unless AllowDowngrade; Digest composed with Basic picks Digest
// in either order.
func TestNoDowngrade(t *testing.T) {
	w := newWorld(t)
	d := &digestServer{realm: "r", user: "u", password: "p", algorithm: "SHA-256", qop: "auth", extra: `, Basic realm="r"`}
	dbase := w.serve("digest+basic", false, d)
	basicOnly := w.serve("basic", false, basicGate("u", "p", `Basic realm="r"`))

	b := &auth.Basic{URL: dbase, User: "u", Password: "p", Challenge: true, Base: w.transport()}
	if status, _ := get(t, b, dbase+"/"); status != 401 {
		t.Errorf("Basic against Digest+Basic = %d, want 401", status)
	}
	for _, s := range w.rec.At("digest+basic") {
		if s.Header.Get("Authorization") != "" {
			t.Errorf("Basic answered a Digest+Basic challenge: %q", s.Header.Get("Authorization"))
		}
	}
	b.AllowDowngrade = true
	if status, _ := get(t, b, dbase+"/"); status != 401 {
		t.Errorf("downgraded Basic = %d, want 401 (the server wants Digest)", status)
	}
	if got := w.rec.At("digest+basic"); !strings.HasPrefix(got[len(got)-1].Header.Get("Authorization"), "Basic ") {
		t.Errorf("AllowDowngrade: last request sent %q, want Basic", got[len(got)-1].Header.Get("Authorization"))
	}

	for _, order := range []string{"basic outside", "digest outside"} {
		tr := w.transport()
		var rt http.RoundTripper
		if order == "basic outside" {
			rt = (&auth.Basic{URL: dbase, User: "u", Password: "p", Challenge: true}).Wrap((&auth.Digest{URL: dbase, User: "u", Password: "p"}).Wrap(tr))
		} else {
			rt = (&auth.Digest{URL: dbase, User: "u", Password: "p"}).Wrap((&auth.Basic{URL: dbase, User: "u", Password: "p", Challenge: true}).Wrap(tr))
		}
		if status, body := get(t, rt, dbase+"/"+strings.ReplaceAll(order, " ", "-")); status != 200 {
			t.Errorf("%s: GET = %d %s, want 200 by Digest", order, status, body)
		}
		// A Basic-only server still gets Basic from the pair.
		rt2 := (&auth.Digest{URL: basicOnly, User: "u", Password: "p"}).Wrap((&auth.Basic{URL: basicOnly, User: "u", Password: "p", Challenge: true}).Wrap(tr))
		if status, _ := get(t, rt2, basicOnly+"/"); status != 200 {
			t.Errorf("%s: Basic-only server = %d, want 200", order, status)
		}
	}
}

func TestBearer(t *testing.T) {
	w := newWorld(t)
	a := w.httpbin("a", false)
	other := w.httpbin("other", false)
	token := testkit.Canary("token")
	b := &auth.Bearer{URL: a + "/bearer", Token: token, Base: w.transport()}
	status, body := get(t, b, a+"/bearer")
	if status != 200 || !strings.Contains(body, token) {
		t.Errorf("GET /bearer = %d %s, want 200 with the token", status, body)
	}
	// Not outside the prefix, nor at another origin, nor after a redirect there.
	if status, _ := get(t, b, a+"/bearerx"); status == 200 {
		t.Errorf("GET /bearerx = 200, want no token there")
	}
	get(t, b, other+"/bearer")
	get(t, b, a+"/redirect-to?url="+url.QueryEscape(other+"/bearer"))
	if leaks := w.rec.Leaks([]string{token}, "a"); len(leaks) > 0 {
		t.Errorf("token leaked: %v", leaks)
	}
	// The caller's own Authorization wins.
	req, _ := http.NewRequest("GET", a+"/bearer", nil)
	req.Header.Set("Authorization", "Bearer mine")
	resp, err := (&http.Client{Transport: b}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(got), `"mine"`) {
		t.Errorf("explicit Authorization replaced: %s", got)
	}
}

// Settings that cannot work are errors, not silence.
func TestBadSettings(t *testing.T) {
	w := newWorld(t)
	base := w.serve("s", false, basicGate("u", "p", `Basic realm="r"`))
	tests := []struct {
		name string
		rt   http.RoundTripper
		want string
	}{
		{"Basic without URL", &auth.Basic{User: "u", Password: "p"}, "Basic has a User or Password but no URL"},
		{"Basic bad URL", &auth.Basic{URL: "http://[::1", User: "u"}, "bad URI"},
		{"Basic bad URL with a password", &auth.Basic{URL: "https://u:secret@h%zz/", User: "u"}, `bad URI "https://u:xxxxx@h%zz/": invalid percent-encoding`},
		{"Basic URL with userinfo", &auth.Basic{URL: "http://x:secret@h/", User: "u"}, "user information"},
		{"Basic URL without a host", &auth.Basic{URL: "http:///p?token=secret", User: "u"}, "not an http or https URI with a host"},
		{"Basic colon in user", &auth.Basic{URL: base, User: "a:b", Password: "p"}, "colon"},
		{"Digest without URL", &auth.Digest{User: "u", Password: "p"}, "Digest has a User or Password but no URL"},
		{"Bearer without URL", &auth.Bearer{Token: "t"}, "Bearer has a Token but no URL"},
		{"ProxyBasic without URL", &auth.ProxyBasic{User: "u", Proxy: http.ProxyURL(&url.URL{Scheme: "http", Host: "127.0.0.1:1"})}, "ProxyBasic has a User or Password but no URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := (&http.Client{Transport: tt.rt}).Get(base + "/")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Get = %v, want an error with %q", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "secret") {
				t.Errorf("error %q shows a password", err)
			}
		})
	}
}

// Wrap copies every setting and sets Base, for fetch's Opener; the proxy
// handlers sit inside the others.
func TestWrap(t *testing.T) {
	next := &http.Transport{}
	proxy := http.ProxyURL(&url.URL{Scheme: "http", Host: "p:1"})
	pw := new(auth.Passwords)
	handlers := []interface {
		Wrap(http.RoundTripper) http.RoundTripper
	}{
		&auth.Basic{URL: "https://a/", Realm: "r", User: "u", Password: "p", Passwords: pw, Challenge: true, AllowDowngrade: true, ReturnError: true},
		&auth.Digest{URL: "https://a/", Realm: "r", User: "u", Password: "p", Passwords: pw, ReturnError: true},
		&auth.Bearer{URL: "https://a/", Token: "t"},
		&auth.ProxyBasic{URL: "http://p:1", Realm: "r", User: "u", Password: "p", Passwords: pw, Proxy: proxy, Challenge: true, AllowDowngrade: true, ReturnError: true},
		&auth.ProxyDigest{URL: "http://p:1", Realm: "r", User: "u", Password: "p", Passwords: pw, Proxy: proxy, ReturnError: true},
	}
	for _, h := range handlers {
		got := h.Wrap(next)
		if got == http.RoundTripper(h.(http.RoundTripper)) {
			t.Errorf("%T.Wrap returned itself", h)
		}
		orig, copied := reflect.ValueOf(h).Elem(), reflect.ValueOf(got).Elem()
		for i := 0; i < orig.NumField(); i++ {
			f := orig.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			o, c := orig.Field(i), copied.Field(i)
			switch {
			case f.Name == "Base":
				if c.Interface() != http.RoundTripper(next) {
					t.Errorf("%T.Wrap: Base not set", h)
				}
			case f.Type.Kind() == reflect.Func:
				if o.Pointer() != c.Pointer() {
					t.Errorf("%T.Wrap lost %s", h, f.Name)
				}
			case !reflect.DeepEqual(o.Interface(), c.Interface()):
				t.Errorf("%T.Wrap: %s = %v, want %v", h, f.Name, c, o)
			}
		}
		if o, ok := got.(interface{ Order() int }); ok != strings.Contains(reflect.TypeOf(h).String(), "Proxy") || ok && o.Order() != auth.ProxyOrder {
			t.Errorf("%T: Order method %v", h, ok)
		}
	}
}

// Credentials sent without a challenge (up front, or from a Digest
// session) and answered by a 401 that offers nothing to answer are
// refused too.
func TestRefusedWithoutChallenge(t *testing.T) {
	n := 0
	stub := rtFunc(func(r *http.Request) (*http.Response, error) {
		n++
		h := http.Header{}
		if n == 1 && r.Header.Get("Authorization") == "" {
			h.Set("WWW-Authenticate", `Digest realm="r", nonce="n1", qop=auth`)
		}
		if n == 2 {
			return &http.Response{StatusCode: 200, Header: h, Body: http.NoBody, Request: r}, nil
		}
		return &http.Response{StatusCode: 401, Header: h, Body: http.NoBody, Request: r}, nil
	})
	req := func() *http.Request {
		r, _ := http.NewRequest("GET", "http://h/", nil)
		return r
	}
	_, err := (&auth.Basic{URL: "http://h/", User: "u", Password: "p", ReturnError: true, Base: stub}).RoundTrip(req())
	if !errors.Is(err, auth.ErrAuthFailed) || n != 1 {
		t.Errorf("Basic: %v after %d requests, want ErrAuthFailed after 1", err, n)
	}
	n = 0
	d := &auth.Digest{URL: "http://h/", User: "u", Password: "p", ReturnError: true, Base: stub}
	if resp, err := d.RoundTrip(req()); err != nil || resp.StatusCode != 200 || n != 2 {
		t.Fatalf("Digest: %v, %v after %d requests", resp, err, n)
	}
	_, err = d.RoundTrip(req()) // the session's answer, refused with no challenge
	if !errors.Is(err, auth.ErrAuthFailed) || n != 3 {
		t.Errorf("Digest session: %v after %d requests, want ErrAuthFailed after 3", err, n)
	}
}

// TestIDNHost: a prefix and a request naming one host, one in Unicode and
// one in its IDNA ASCII form (the form fetch sends), match.
func TestIDNHost(t *testing.T) {
	for _, tt := range []struct{ prefix, target string }{
		{"http://bücher.test/", "http://xn--bcher-kva.test/x"},
		{"http://xn--bcher-kva.test/", "http://BÜCHER.test/x"},
		{"bücher.test", "https://xn--bcher-kva.test/x"},
	} {
		var got string
		base := rtFunc(func(r *http.Request) (*http.Response, error) {
			got = r.Header.Get("Authorization")
			return &http.Response{StatusCode: 200, Body: http.NoBody, Request: r}, nil
		})
		rt := &auth.Basic{URL: tt.prefix, User: "u", Password: "p", Base: base}
		req, err := http.NewRequestWithContext(t.Context(), "GET", tt.target, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := rt.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got == "" {
			t.Errorf("Basic{URL: %q} sent nothing to %s", tt.prefix, tt.target)
		}
	}
}

// TestIncompleteRequests checks that every handler refuses a request
// without a URL or Header with net/http's error, where some panicked.
func TestIncompleteRequests(t *testing.T) {
	const at = "http://127.0.0.1:1/"
	handlers := map[string]http.RoundTripper{
		"Basic":       &auth.Basic{URL: at, User: "u", Password: "p"},
		"Bearer":      &auth.Bearer{URL: at, Token: "t"},
		"Digest":      &auth.Digest{URL: at, User: "u", Password: "p"},
		"ProxyBasic":  &auth.ProxyBasic{URL: at, User: "u", Password: "p"},
		"ProxyDigest": &auth.ProxyDigest{URL: at, User: "u", Password: "p"},
	}
	u, _ := url.Parse(at)
	for name, h := range handlers {
		for _, tt := range testkit.IncompleteRequests(u) {
			resp, err := h.RoundTrip(tt.Req)
			if resp != nil || err == nil || err.Error() != tt.Want {
				t.Errorf("%s: RoundTrip = %v, %v; want %q", name, resp, err, tt.Want)
			}
		}
	}
}

// TestPortSpelling: a port written with leading zeros is the port dialed,
// so credentials for the origin go with it, whichever side spells it so
// (curl and urllib send them); they were compared as text, ":034567"
// against ":34567".
func TestPortSpelling(t *testing.T) {
	w := newWorld(t)
	base := w.httpbin("bin", false)
	u, _ := url.Parse(base)
	padded := "http://" + u.Hostname() + ":0" + u.Port()
	tests := []struct {
		name, creds, target string
		digest              bool
	}{
		{"Basic, the request padded", base, padded + "/basic-auth/user/passwd", false},
		{"Basic, the credentials padded", padded, base + "/basic-auth/user/passwd", false},
		{"Digest, the request padded", base, padded + "/digest-auth/auth/user/passwd", true},
	}
	for _, tt := range tests {
		var rt http.RoundTripper = &auth.Basic{URL: tt.creds, User: "user", Password: "passwd", Base: w.transport()}
		if tt.digest {
			rt = &auth.Digest{URL: tt.creds, User: "user", Password: "passwd", Base: w.transport()}
		}
		if status, body := get(t, rt, tt.target); status != 200 {
			t.Errorf("%s: GET %s = %d %s, want 200", tt.name, tt.target, status, body)
		}
	}
}
