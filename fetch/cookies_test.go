package fetch_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grabhq/grab/auth"
	"github.com/grabhq/grab/cookies"
	"github.com/grabhq/grab/fetch"
	"github.com/grabhq/grab/internal/testkit"
)

// The textbook's 2-5 (HTTPCookieProcessor) with fetch and a cookies.Jar,
// and HOSTILE.md B2: a Secure cookie from https stays behind when a
// redirect goes to http on the same host.
func TestOpenerJar(t *testing.T) {
	w := newWorld(t, []string{"a", "tls"}, fakeHosts)
	w.alias("example.com:80", "a")
	w.alias("example.com:443", "tls")
	each(t, func(t *testing.T, kind string) {
		o := jarOpener(t, w, kind)
		read(t, o, w.urls["a"]+"/cookies/set?session=abc")
		if _, body := read(t, o, w.urls["a"]+"/cookies"); !strings.Contains(body, `"session": "abc"`) {
			t.Errorf("cookie not sent back: %s", body)
		}
		secret := testkit.Canary("secure")
		set := "https://example.com/response-headers?Set-Cookie=" + url.QueryEscape("s="+secret+"; Secure; Path=/")
		read(t, o, set)
		if _, body := read(t, o, "https://example.com/cookies"); !strings.Contains(body, secret) {
			t.Fatalf("Secure cookie not sent over https: %s", body)
		}
		resp, body := read(t, o, "https://example.com/redirect-to?url="+url.QueryEscape("http://example.com/cookies"))
		if resp.URL != "http://example.com/cookies" || strings.Contains(body, secret) {
			t.Errorf("B2: after https->http, final %s saw %s", resp.URL, body)
		}
		noLeaks(t, w, []string{secret}, "tls")
	})
}

// TestCookieFieldsJoined: Cookie fields given in several values, with a
// jar adding its own, reach the server as one field holding them all.
func TestCookieFieldsJoined(t *testing.T) {
	w := newWorld(t, []string{"a"})
	each(t, func(t *testing.T, kind string) {
		o := jarOpener(t, w, kind)
		read(t, o, w.urls["a"]+"/cookies/set?z=9")
		req := &fetch.Request{URL: w.urls["a"] + "/headers", Header: http.Header{"Cookie": {"a=1", "b=2"}}}
		_, body := read(t, o, req)
		if !strings.Contains(body, `"Cookie": [
      "z=9; a=1; b=2"
    ]`) {
			t.Errorf("Cookie fields: %s", body)
		}
	})
}

// jarOpener returns an Opener of kind with a new cookies.Jar (the
// textbook's HTTPCookieProcessor).
func jarOpener(t *testing.T, w *world, kind string) *fetch.Opener {
	t.Helper()
	o, err := fetch.BuildOpener(new(cookies.Jar))
	if err != nil {
		t.Fatal(err)
	}
	return w.opener(kind, o)
}

// TestJarUnderHandlers: a cookie set on an answer a handler does not
// return (a 401 the auth handler answers, a 503 Retry tries again) is
// kept, and sent with the next try, as curl and urllib keep it. A jar's
// value with a space or a comma goes as it came, unquoted, as curl sends
// it; the jar's cookies come first, then the caller's own Cookie field,
// as given, after a redirect that sets a cookie of the same name too, as
// curl sends them.
func TestJarUnderHandlers(t *testing.T) {
	var busy atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/auth", func(w http.ResponseWriter, r *http.Request) {
		if _, _, ok := r.BasicAuth(); !ok {
			w.Header().Add("Set-Cookie", "s=1")
			w.Header().Set("WWW-Authenticate", `Basic realm="r"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		io.WriteString(w, r.Header.Get("Cookie"))
	})
	mux.HandleFunc("/busy", func(w http.ResponseWriter, r *http.Request) {
		if busy.Add(1) == 1 {
			w.Header().Add("Set-Cookie", "b=2")
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, r.Header.Get("Cookie"))
	})
	mux.HandleFunc("/spaced", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Set-Cookie", "sp=a b,c")
		w.Header().Add("Set-Cookie", `q="x y"`)
		w.Header().Add("Set-Cookie", "lit=new")
		http.Redirect(w, r, "/echo", http.StatusFound)
	})
	mux.HandleFunc("/many", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Set-Cookie", "first=1")
		for i := range 3200 {
			w.Header().Add("Set-Cookie", "n"+strconv.Itoa(i)+"=1")
		}
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Header.Get("Cookie"))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	each(t, func(t *testing.T, kind string) {
		busy.Store(0)
		pw := new(auth.Passwords)
		if err := pw.Add("", srv.URL+"/", "kim", "pw"); err != nil {
			t.Fatal(err)
		}
		jar := new(cookies.Jar)
		o, err := fetch.BuildOpener(jar, &auth.Basic{Passwords: pw, Challenge: true}, &fetch.Retry{InitialWait: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		o.Engine = engineOf(kind)
		t.Cleanup(o.CloseIdleConnections)
		if _, body := read(t, o, srv.URL+"/auth"); body != "s=1" {
			t.Errorf("after a 401 setting s=1, the retry sent Cookie %q", body)
		}
		if _, body := read(t, o, srv.URL+"/busy"); body != "s=1; b=2" {
			t.Errorf("after a 503 setting b=2, the retry sent Cookie %q", body)
		}
		req := &fetch.Request{URL: srv.URL + "/spaced", Header: http.Header{"Cookie": {"lit=given"}}}
		if _, body := read(t, o, req); body != `s=1; b=2; sp=a b,c; q="x y"; lit=new; lit=given` {
			t.Errorf("after a redirect: Cookie %q", body)
		}
		// Past net/http's 3000 Set-Cookie fields, the first are kept (a
		// cookies.Jar keeps 50 from one answer), not none.
		read(t, o, srv.URL+"/many")
		if got := jar.For(&url.URL{Scheme: "http", Host: strings.TrimPrefix(srv.URL, "http://"), Path: "/"}); len(got) == 0 || !slices.ContainsFunc(got, func(c cookies.Cookie) bool { return c.Name == "first" }) {
			t.Errorf("after 3201 Set-Cookie fields, the jar holds %d cookies, without first=1", len(got))
		}
	})
}
