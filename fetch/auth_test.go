package fetch_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/grabhq/grab/auth"
	"github.com/grabhq/grab/fetch"
)

// The textbook's 2-4 (a password manager, HTTPBasicAuthHandler,
// build_opener, install_opener) with fetch, Digest too, on both
// transports; and the credentials stay with their origin on a redirect.
func TestOpenerAuth(t *testing.T) {
	w := newWorld(t, []string{"a", "b"})
	each(t, func(t *testing.T, kind string) {
		pw := new(auth.Passwords)
		if err := pw.Add("", w.urls["a"]+"/", "kim", "s3cret"); err != nil {
			t.Fatal(err)
		}
		o, err := fetch.BuildOpener(&auth.Basic{Passwords: pw, Challenge: true}, &auth.Digest{Passwords: pw})
		if err != nil {
			t.Fatal(err)
		}
		o = w.opener(kind, o)
		fetch.InstallOpener(o)
		t.Cleanup(func() { fetch.InstallOpener(nil) })
		for _, path := range []string{"/basic-auth/kim/s3cret", "/digest-auth/auth/kim/s3cret/MD5", "/digest-auth/auth/kim/s3cret/SHA-256"} {
			resp, err := fetch.Urlopen(t.Context(), w.urls["a"]+path, nil)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if text, _ := resp.Text(); !strings.Contains(text, `"authorized": true`) {
				t.Errorf("%s: %s", path, text)
			}
		}
		var he *fetch.HTTPError
		if _, err := o.Open(t.Context(), w.urls["a"]+"/basic-auth/kim/other"); !errors.As(err, &he) || he.StatusCode != 401 {
			t.Errorf("wrong password: %v", err)
		}
		_, body := read(t, o, to(w.urls["a"], w.urls["b"]+"/headers", 302))
		if strings.Contains(body, "Authorization") {
			t.Errorf("credentials followed the redirect: %s", body)
		}
	})
}
