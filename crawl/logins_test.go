package crawl_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/grabhq/grab/auth"
	"github.com/grabhq/grab/crawl"
	"github.com/grabhq/grab/fetch"
	"github.com/grabhq/grab/internal/testkit"
)

// loginSite serves / linking to /b twice (relative, and absolute without
// userinfo) and /c with a stranger's userinfo, and records the
// Authorization of every request by path.
func loginSite(t *testing.T) (base string, rec *testkit.Recorder, g *testkit.Guard) {
	t.Helper()
	rec, g = &testkit.Recorder{}, testkit.NewGuard(t)
	srv := httptest.NewServer(rec.Wrap("site", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/robots.txt":
			fmt.Fprint(w, "User-agent: *\nAllow: /\n")
		case "/":
			fmt.Fprintf(w, `<a href="/b">b</a> <a href="http://%s/b">b again</a> <a href="http://eve:x@%s/c">c</a>`, r.Host, r.Host)
		case "/b", "/c":
			fmt.Fprint(w, "<p>leaf</p>")
		default:
			http.NotFound(w, r)
		}
	})))
	t.Cleanup(srv.Close)
	return srv.URL, rec, g
}

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// A seed's user:password goes to every request of its origin (robots.txt
// too) and nowhere into page URLs, so a page linked with and without
// userinfo is one page; a handler's own credentials for the origin (curl's
// -u) win over the seed's, as in grab get.
func TestSeedUserinfo(t *testing.T) {
	tests := []struct {
		name     string
		handlers []fetch.Handler
		want     string
	}{
		{"seed's", nil, basic("alice", "secret")},
		{"handler wins", []fetch.Handler{&auth.Basic{User: "bob", Password: "pw"}}, basic("bob", "pw")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base, rec, g := loginSite(t)
			if tt.handlers != nil {
				tt.handlers[0].(*auth.Basic).URL = base
			}
			var pages []string
			cr := &crawl.Crawler{
				Opener:        &fetch.Opener{Dial: g.DialContext, Handlers: tt.handlers},
				MaxCrawlDelay: time.Millisecond,
				OnPage:        func(p crawl.Page) { pages = append(pages, p.URL, p.FinalURL, p.Parent) },
			}
			seed := strings.Replace(base, "http://", "http://alice:secret@", 1) + "/"
			if _, err := cr.Run(t.Context(), seed); err != nil {
				t.Fatalf("Run: %v", err)
			}
			for _, p := range pages {
				if strings.Contains(p, "@") {
					t.Errorf("a record holds userinfo: %q", p)
				}
			}
			var paths []string
			for _, s := range rec.All() {
				paths = append(paths, s.URI)
				if got := s.Header.Get("Authorization"); got != tt.want {
					t.Errorf("%s sent Authorization %q, want %q", s.URI, got, tt.want)
				}
			}
			slices.Sort(paths)
			if want := []string{"/", "/b", "/c", "/robots.txt"}; !slices.Equal(paths, want) {
				t.Errorf("requests %v, want each of %v once", paths, want)
			}
		})
	}
}
