package fetch_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

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
      "a=1; b=2; z=9"
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
