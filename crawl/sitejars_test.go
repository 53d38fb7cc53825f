package crawl_test

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/grabhq/grab/crawl"
	"github.com/grabhq/grab/fetch"
	"github.com/grabhq/grab/internal/testkit"
)

// With a Bolt or Redis store the crawl's cookies follow RFC 6265 (Path,
// Max-Age, deletion) and outlive the run: a second run on the same state
// sends them, session cookies included (a resumed crawl stays logged in). colly's storage model, by host, sent a cookie to every
// path and a deleted one as "name=".
func TestStoreCookies(t *testing.T) {
	g := testkit.NewGuard(t)
	var mu sync.Mutex
	sent := map[string]string{} // path -> Cookie
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		sent[r.URL.Path] = r.Header.Get("Cookie")
		mu.Unlock()
		switch r.URL.Path {
		case "/robots.txt":
			w.Write([]byte("User-agent: *\nAllow: /\n"))
		case "/":
			w.Header().Add("Set-Cookie", "keep=1; Max-Age=3600")
			w.Header().Add("Set-Cookie", "sub=2; Path=/sub")
			w.Header().Add("Set-Cookie", "gone=3")
			w.Header().Add("Set-Cookie", "session=4")
			w.Write([]byte(`<a href="/sub/x">x</a> <a href="/del">del</a>`))
		case "/del":
			w.Header().Add("Set-Cookie", "gone=; Max-Age=0")
			w.Write([]byte(`<a href="/after">after</a>`))
		default:
			w.Write([]byte("<p>leaf</p>"))
		}
	}))
	t.Cleanup(srv.Close)
	// Each opener opens the same state again.
	openers := map[string]func(t *testing.T) func() crawl.Store{
		"bolt": func(t *testing.T) func() crawl.Store {
			path := filepath.Join(t.TempDir(), "state.db")
			return func() crawl.Store {
				b, err := crawl.OpenBolt(path)
				if err != nil {
					t.Fatal(err)
				}
				return b
			}
		},
		"redis": func(t *testing.T) func() crawl.Store {
			u := testkit.StartRedis(t)
			return func() crawl.Store {
				r, err := crawl.OpenRedis(t.Context(), u, "jars:")
				if err != nil {
					t.Fatal(err)
				}
				return r
			}
		},
	}
	for name, opener := range openers {
		t.Run(name, func(t *testing.T) {
			open := opener(t)
			mu.Lock()
			clear(sent)
			mu.Unlock()
			run := func(seed string) {
				t.Helper()
				store := open()
				defer store.Close()
				cr := &crawl.Crawler{
					Opener:        &fetch.Opener{Dial: g.DialContext},
					Store:         store,
					MaxCrawlDelay: time.Millisecond,
					Parallelism:   1,
				}
				if _, err := cr.Run(t.Context(), srv.URL+seed); err != nil {
					t.Fatalf("Run(%s): %v", seed, err)
				}
			}
			run("/")
			run("/again")
			want := map[string]string{
				"/sub/x": "sub=2; keep=1; gone=3; session=4", // the longer path first (RFC 6265 §5.4)
				"/del":   "keep=1; gone=3; session=4",
				"/after": "keep=1; session=4",
				"/again": "keep=1; session=4",
			}
			mu.Lock()
			defer mu.Unlock()
			for p, w := range want {
				if got := sent[p]; got != w {
					t.Errorf("%s sent Cookie %q, want %q", p, got, w)
				}
			}
		})
	}
}

// Redis.Clear starts a crawl under the same prefix from nothing: no page
// seen and no cookie kept.
func TestRedisClear(t *testing.T) {
	g := testkit.NewGuard(t)
	var mu sync.Mutex
	var cookie []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		cookie = append(cookie, r.Header.Get("Cookie"))
		mu.Unlock()
		w.Header().Add("Set-Cookie", "session=1; Max-Age=3600")
		w.Write([]byte("<p>page</p>"))
	}))
	t.Cleanup(srv.Close)
	u := testkit.StartRedis(t)
	run := func() {
		t.Helper()
		store, err := crawl.OpenRedis(t.Context(), u, "clear:")
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		cr := &crawl.Crawler{Opener: &fetch.Opener{Dial: g.DialContext}, Store: store, IgnoreRobots: true}
		if _, err := cr.Run(t.Context(), srv.URL+"/"); err != nil {
			t.Fatal(err)
		}
		if err := store.Clear(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	run()
	run()
	mu.Lock()
	defer mu.Unlock()
	if len(cookie) != 2 || cookie[0] != "" || cookie[1] != "" {
		t.Errorf("/ fetched with Cookie %q, want twice with none", cookie)
	}
}

// With the default Memory store the crawl's cookies follow grab's jar too
// (cookies.Jar), as with Bolt and Redis: a Secure cookie from a loopback
// host goes back to it (a secure context, as in browsers and curl), and a
// "__Secure-" cookie without Secure is refused. net/http's cookiejar, used
// before, did neither.
func TestMemoryCookies(t *testing.T) {
	g := testkit.NewGuard(t)
	var mu sync.Mutex
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			w.Header().Add("Set-Cookie", "sec=1; Secure")
			w.Header().Add("Set-Cookie", "__Secure-x=2")
			w.Write([]byte(`<a href="/x">x</a>`))
		default:
			mu.Lock()
			got = r.Header.Get("Cookie")
			mu.Unlock()
			w.Write([]byte("<p>leaf</p>"))
		}
	}))
	t.Cleanup(srv.Close)
	cr := &crawl.Crawler{Opener: &fetch.Opener{Dial: g.DialContext}, IgnoreRobots: true, Parallelism: 1}
	if _, err := cr.Run(t.Context(), srv.URL+"/"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if got != "sec=1" {
		t.Errorf("/x sent Cookie %q, want %q", got, "sec=1")
	}
}
