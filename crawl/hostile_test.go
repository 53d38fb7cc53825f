package crawl_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/grabhq/grab/crawl"
	"github.com/grabhq/grab/fetch"
	"github.com/grabhq/grab/internal/testkit"
	"github.com/grabhq/grab/testserver"
)

// TestRedirectIntoPrivate: an allowed page redirecting into a path
// robots.txt disallows is recorded with ErrDisallowed, and the private page
// is never requested (HOSTILE.md M2).
func TestRedirectIntoPrivate(t *testing.T) {
	s := newSite(t)
	cr, rec := s.crawler()
	seed := s.url + "/redirect-to?url=/site/5/private/1.html"
	if _, err := cr.Run(t.Context(), seed); err != nil {
		t.Fatal(err)
	}
	p, ok := rec.find(seed)
	if !ok || !errors.Is(p.Err, crawl.ErrDisallowed) || p.Status != http.StatusFound {
		t.Errorf("record = %+v, want status 302 and ErrDisallowed", p)
	}
	for _, path := range s.paths() {
		if strings.Contains(path, "/private/") && !strings.HasPrefix(path, "/redirect-to") {
			t.Errorf("fetched %s", path)
		}
	}
}

// robotsServer serves /robots.txt with handler h and counts requests for
// /page.html.
func robotsServer(t *testing.T, h http.HandlerFunc) (url string, pageHits func() int) {
	t.Helper()
	var mu sync.Mutex
	hits := 0
	mux := http.NewServeMux()
	mux.HandleFunc("/robots.txt", h)
	mux.HandleFunc("/robots/{n}", func(w http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscan(r.PathValue("n"), &n)
		if n == 0 {
			fmt.Fprint(w, "User-agent: *\nDisallow: /page\n")
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/robots/%d", n-1), http.StatusFound)
	})
	mux.HandleFunc("/page.html", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits++
		mu.Unlock()
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<title>page</title>")
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL, func() int { mu.Lock(); defer mu.Unlock(); return hits }
}

// TestRobotsAnswers maps robots.txt answers as RFC 9309 §2.3.1 does
// (HOSTILE.md M3).
func TestRobotsAnswers(t *testing.T) {
	status := func(code int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", code) }
	}
	tests := []struct {
		name  string
		h     http.HandlerFunc
		fetch bool
		err   error
	}{
		{"200 disallow", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "User-agent: *\nDisallow: /page\n") }, false, crawl.ErrDisallowed},
		{"200 other agent", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "User-agent: other\nDisallow: /\n") }, true, nil},
		// The group named by the product token (grab's, in any case)
		// replaces "*"; a group named by a prefix of it is another agent's.
		{"200 own group", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, "User-agent: *\nAllow: /\n\nUser-agent: GRAB\nDisallow: /page\n")
		}, false, crawl.ErrDisallowed},
		{"200 own group allows", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, "User-agent: *\nDisallow: /\n\nUser-agent: grab\nAllow: /\n")
		}, true, nil},
		{"200 prefix group", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "User-agent: gra\nDisallow: /\n") }, true, nil},
		{"200 BOM CR-only", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "\ufeffUser-agent: *\rDisallow: /page") }, false, crawl.ErrDisallowed},
		{"200 HTML page", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, "<html><body>Not a robots.txt</body></html>")
		}, true, nil},
		{"200 5 MB", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, "User-agent: *\nDisallow: /page\n")
			w.Write([]byte(strings.Repeat("# padding padding padding padding\n", 5<<20/34)))
		}, false, crawl.ErrDisallowed},
		{"401", status(401), true, nil},
		{"403", status(403), true, nil},
		{"404", status(404), true, nil},
		{"410", status(410), true, nil},
		{"429", status(429), false, crawl.ErrRobotsUnavailable},
		{"500", status(500), false, crawl.ErrRobotsUnavailable},
		{"503", status(503), false, crawl.ErrRobotsUnavailable},
		{"3 redirects", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/robots/2", http.StatusMovedPermanently)
		}, false, crawl.ErrDisallowed},
		{"6 redirects", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/robots/5", http.StatusMovedPermanently)
		}, true, nil},
		{"dropped", func(w http.ResponseWriter, r *http.Request) {
			hj, _ := w.(http.Hijacker)
			c, _, _ := hj.Hijack()
			c.Close()
		}, false, crawl.ErrRobotsUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base, hits := robotsServer(t, tt.h)
			rec := &records{}
			cr := &crawl.Crawler{OnPage: rec.add, MaxCrawlDelay: time.Millisecond}
			if _, err := cr.Run(t.Context(), base+"/page.html"); err != nil {
				t.Fatal(err)
			}
			p, _ := rec.find(base + "/page.html")
			if got := hits() > 0; got != tt.fetch {
				t.Errorf("page fetched = %v, want %v (record %+v)", got, tt.fetch, p)
			}
			if tt.err == nil && p.Err != nil || tt.err != nil && !errors.Is(p.Err, tt.err) {
				t.Errorf("record error = %v, want %v", p.Err, tt.err)
			}
		})
	}
}

// TestRedirectOtherPort: a redirect to another port of the seed's host is
// out of scope, and that server is never asked (HOSTILE.md M5).
func TestRedirectOtherPort(t *testing.T) {
	s := newSite(t)
	other := newSite(t)
	cr, rec := s.crawler()
	seed := s.url + "/redirect-to?url=" + other.url + "/hello"
	st, err := cr.Run(t.Context(), seed)
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := rec.find(seed); !errors.Is(p.Err, crawl.ErrOutOfScope) || !p.Refused() {
		t.Errorf("record error = %v, want ErrOutOfScope, Refused", p.Err)
	}
	if st.Refused != 1 || st.Errors != 0 {
		t.Errorf("Stats = %+v, want 1 refused and no errors", st)
	}
	if n := len(other.rec.All()); n != 0 {
		t.Errorf("the other port got %d requests", n)
	}
}

// TestConcurrentRedirects: two pages in flight at once on two hosts that
// redirect to one URL not yet seen fetch it once; the second is refused
// as already seen (it was fetched once per page).
func TestConcurrentRedirects(t *testing.T) {
	var hits atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		time.Sleep(300 * time.Millisecond) // both redirects arrive while it is in flight
		w.Write([]byte("<p>target</p>"))
	}))
	t.Cleanup(target.Close)
	var arrived atomic.Int32
	both := make(chan struct{})
	redirector := func() *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if arrived.Add(1) == 2 {
				close(both)
			}
			select { // both pages are in flight before either redirects
			case <-both:
			case <-time.After(5 * time.Second):
			}
			http.Redirect(w, r, target.URL+"/c", http.StatusFound)
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	a, b := redirector(), redirector()
	var mu sync.Mutex
	var errs []error
	cr := &crawl.Crawler{
		Opener:       &fetch.Opener{Dial: testkit.NewGuard(t).DialContext},
		Scope:        crawl.ScopeDomain,
		Parallelism:  2,
		IgnoreRobots: true,
		OnPage: func(p crawl.Page) {
			mu.Lock()
			errs = append(errs, p.Err)
			mu.Unlock()
		},
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	st, err := cr.Run(ctx, a.URL+"/a", b.URL+"/b")
	if err != nil {
		t.Fatal(err)
	}
	if st.Refused != 1 || st.Errors != 0 {
		t.Errorf("Stats = %+v, want 1 refused and no errors", st)
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("the redirect target was fetched %d times, want 1", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(errs) != 2 || (errs[0] == nil) == (errs[1] == nil) || !errors.Is(errors.Join(errs...), crawl.ErrAlreadySeen) {
		t.Errorf("records' errors = %v, want one nil and one ErrAlreadySeen", errs)
	}
}

// TestRedirectClaimReleased: a page's redirect claim ends with the page,
// also when colly writes the page's URL otherwise (a quote in its query):
// a later page redirected to the target, whose first fetch failed, fetches
// it (it was refused as already seen for the rest of the run).
func TestRedirectClaimReleased(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/c":
			if hits.Add(1) == 1 { // the first fetch fails: no HTTP head
				answerNoHTTP(w)
				return
			}
			w.Write([]byte("<p>target</p>"))
		default:
			http.Redirect(w, r, "/c", http.StatusFound)
		}
	}))
	t.Cleanup(srv.Close)
	var mu sync.Mutex
	errs := map[string]error{}
	cr := &crawl.Crawler{
		Opener:       &fetch.Opener{Dial: testkit.NewGuard(t).DialContext},
		Parallelism:  1,
		IgnoreRobots: true,
		OnPage: func(p crawl.Page) {
			mu.Lock()
			errs[p.URL] = p.Err
			mu.Unlock()
		},
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if _, err := cr.Run(ctx, srv.URL+"/a?q='x'", srv.URL+"/b"); err != nil {
		t.Fatal(err)
	}
	if n := hits.Load(); n != 2 {
		t.Errorf("the target was fetched %d times, want 2 (once failing, once for /b)", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if err := errs[srv.URL+"/b"]; err != nil {
		t.Errorf("/b: %v, want its redirect followed (records %v)", err, errs)
	}
}

// TestTraps: the page budget, the per-host page budget, the depth limit
// and the URL length cap hold (HOSTILE.md M6).
func TestTraps(t *testing.T) {
	t.Run("max pages", func(t *testing.T) {
		s := newSite(t)
		cr, rec := s.crawler()
		cr.MaxPages, cr.MaxDepth = 7, -1
		if _, err := cr.Run(t.Context(), s.url+"/site/1000/page/0.html"); err != nil {
			t.Fatal(err)
		}
		if n := len(rec.urls("")); n != 7 {
			t.Errorf("%d pages recorded, want 7", n)
		}
	})
	t.Run("per host", func(t *testing.T) {
		// A trap on one host is cut at its budget; another host, whose
		// pages are fewer than the budget, is crawled whole.
		trap, small := newSite(t), newSite(t)
		cr, rec := trap.crawler()
		cr.MaxPagesPerHost, cr.MaxDepth = 6, -1
		st, err := cr.Run(t.Context(), trap.url+"/site/1000/page/0.html", small.url+"/site/5/page/0.html")
		if err != nil {
			t.Fatal(err)
		}
		count := func(base string) int {
			n := 0
			for _, u := range rec.urls("") {
				if strings.HasPrefix(u, base+"/") {
					n++
				}
			}
			return n
		}
		if n := count(trap.url); n != 6 {
			t.Errorf("%d pages recorded on the trap host, want 6 (its budget)", n)
		}
		if n := count(small.url); n != 5 {
			t.Errorf("%d pages recorded on the other host, want its 5", n)
		}
		fetched := 0
		for _, p := range trap.paths() {
			if strings.HasPrefix(p, "/site/") {
				fetched++
			}
		}
		if fetched != 6 {
			t.Errorf("the trap host was asked for %d pages, want 6", fetched)
		}
		if st.Skipped == 0 {
			t.Errorf("Stats = %+v, want skipped links", st)
		}
	})
	t.Run("depth", func(t *testing.T) {
		s := newSite(t)
		cr, rec := s.crawler()
		cr.MaxDepth = 1
		if _, err := cr.Run(t.Context(), s.url+"/site/1000/page/0.html"); err != nil {
			t.Fatal(err)
		}
		for _, p := range rec.pages {
			if p.Depth > 1 {
				t.Errorf("%s at depth %d", p.URL, p.Depth)
			}
		}
		if n := len(rec.pages); n < 2 || n > 5 {
			t.Errorf("%d pages at depth <= 1, want page 0 and its 1 to 4 links", n)
		}
	})
	t.Run("url length", func(t *testing.T) {
		s := newSite(t)
		cr, rec := s.crawler()
		cr.MaxURLLength = len(s.url + "/site/100/page/1.html")
		if _, err := cr.Run(t.Context(), s.url+"/site/100/page/0.html"); err != nil {
			t.Fatal(err)
		}
		for _, p := range rec.pages {
			if len(p.URL) > cr.MaxURLLength {
				t.Errorf("followed %s, longer than %d", p.URL, cr.MaxURLLength)
			}
		}
		if len(rec.pages) > 10 {
			t.Errorf("%d pages, want only those with a one-digit number", len(rec.pages))
		}
	})
}

// TestRetryAfter: a 429 with Retry-After is asked again after the wait,
// capped by MaxRetryWait; a Crawl-delay over the cap is reported (M7).
func TestRetryAfter(t *testing.T) {
	s := newSite(t)
	cr, rec := s.crawler()
	var warnings []string
	cr.OnWarning = func(m string) { warnings = append(warnings, m) }
	cr.MaxRetryWait = 50 * time.Millisecond
	seed := s.url + "/fault/flaky?key=m7&fail=1&status=429&retry-after=3600"
	start := time.Now()
	if _, err := cr.Run(t.Context(), seed); err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("took %v: the Retry-After cap did not hold", time.Since(start))
	}
	p, _ := rec.find(seed)
	if p.Err != nil || p.Status != 200 {
		t.Errorf("record = %+v, want 200 after the retry", p)
	}
	joined := strings.Join(warnings, "\n")
	if !strings.Contains(joined, "answered 429") || !strings.Contains(joined, "Crawl-delay 1s") {
		t.Errorf("warnings = %q, want the 429 backoff and the capped Crawl-delay", joined)
	}
}

// TestErrorsInRecords: failures are records, never errors of Run: a 404
// is a *fetch.HTTPError, a redirect loop ErrTooManyRedirects, a page over
// the cap fetch.ErrBodyTooLarge (HOSTILE.md E7), a redirect to file:
// refused.
func TestErrorsInRecords(t *testing.T) {
	s := newSite(t)
	cr, rec := s.crawler()
	cr.MaxBodyBytes = 300
	seeds := []string{
		s.url + "/status/404",
		s.url + "/fault/redirect-loop",
		s.url + "/site/10/page/0.html",
		s.url + "/fault/redirect-file?scheme=file",
	}
	st, err := cr.Run(t.Context(), seeds...)
	if err != nil {
		t.Fatal(err)
	}
	if st.Errors != 4 {
		t.Errorf("Stats = %+v, want 4 errors", st)
	}
	var he *fetch.HTTPError
	if p, _ := rec.find(seeds[0]); !errors.As(p.Err, &he) || he.StatusCode != 404 {
		t.Errorf("404: error %v, want *fetch.HTTPError 404", p.Err)
	}
	if p, _ := rec.find(seeds[1]); !errors.Is(p.Err, fetch.ErrTooManyRedirects) || p.Status/100 != 3 || !strings.Contains(p.Err.Error(), "redirect to "+s.url+"/") {
		t.Errorf("loop: status %d, error %v; want its last 3xx and ErrTooManyRedirects naming the absolute URL", p.Status, p.Err)
	}
	if p, _ := rec.find(seeds[2]); !errors.Is(p.Err, fetch.ErrBodyTooLarge) || len(p.Links) != 0 {
		t.Errorf("big page: error %v, links %v; want ErrBodyTooLarge and nothing parsed", p.Err, p.Links)
	}
	if p, _ := rec.find(seeds[3]); p.Err == nil {
		t.Errorf("redirect to file: no error, record %+v", p)
	}
}

// TestPublicOnly refuses loopback at dial time: nothing reaches the
// server (HOSTILE.md J1).
func TestPublicOnly(t *testing.T) {
	s := newSite(t)
	cr, rec := s.crawler()
	cr.PublicOnly = true
	cr.Opener = nil // the default transport and dialer
	if _, err := cr.Run(t.Context(), s.url+"/site/5/page/0.html"); err != nil {
		t.Fatal(err)
	}
	p, _ := rec.find(s.url + "/site/5/page/0.html")
	if !errors.Is(p.Err, crawl.ErrRobotsUnavailable) && !errors.Is(p.Err, crawl.ErrBlockedAddress) {
		t.Errorf("record error = %v, want a blocked address", p.Err)
	}
	if !strings.Contains(fmt.Sprint(p.Err), "blocked address") {
		t.Errorf("record error = %v, want it to say blocked address", p.Err)
	}
	if n := len(s.rec.All()); n != 0 {
		t.Errorf("the server got %d requests", n)
	}
}

// TestCancel: a cancelled crawl returns the context's error and records
// nothing more.
func TestCancel(t *testing.T) {
	s := newSite(t)
	cr, rec := s.crawler()
	cr.MaxDepth = -1
	cr.Delay = 20 * time.Millisecond
	cr.PerHost = 1
	ctx, cancel := withTimeout(t, 150*time.Millisecond)
	defer cancel()
	_, err := cr.Run(ctx, s.url+"/site/1000/page/0.html")
	if !errors.Is(err, errDeadline) {
		t.Errorf("Run = %v, want the context's error", err)
	}
	if n := len(rec.urls("")); n == 0 || n > 20 {
		t.Errorf("%d pages before the stop, want a few", n)
	}
}

// TestDisallowedLinkOtherHost: a link to another host whose robots.txt,
// not read yet when the link was queued, disallows it is not followed,
// as a link to a host whose robots.txt was read already: no failed page.
func TestDisallowedLinkOtherHost(t *testing.T) {
	s := newSite(t) // its robots.txt disallows /site/{n}/private/
	mux := http.NewServeMux()
	mux.HandleFunc("/multi", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<a href="%s/site/2/private/y.html">private</a>`, s.url)
	})
	other := httptest.NewServer(mux)
	t.Cleanup(other.Close)
	c, rec := s.crawler()
	c.Scope, c.Parallelism, c.MaxDepth = crawl.ScopeAny, 1, 1
	st, err := c.Run(t.Context(), other.URL+"/multi")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := rec.find(s.url + "/site/2/private/y.html"); ok || st.Errors != 0 || st.Skipped != 1 || st.Links != 0 {
		t.Errorf("the disallowed link: recorded %v, stats %+v; want it skipped, no error", ok, st)
	}
	for _, p := range s.paths() {
		if strings.Contains(p, "/private/") {
			t.Errorf("fetched %s", p)
		}
	}
}

// TestRobotsUnreachable: a robots.txt that does not arrive in
// RobotsTimeout, a refused connection and a TLS error are "unreachable"
// (RFC 9309 §2.3.1.4): the origin is disallowed, its pages are recorded
// with ErrRobotsUnavailable wrapping the cause and never fetched, and
// robots.txt is not asked again within RobotsRetry (HOSTILE.md M3).
func TestRobotsUnreachable(t *testing.T) {
	var mu sync.Mutex
	robotsHits, pageHits := 0, 0
	mux := http.NewServeMux()
	mux.HandleFunc("/robots.txt", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		robotsHits++
		mu.Unlock()
		select { // never answers: the crawler gives up first
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		pageHits++
		mu.Unlock()
		fmt.Fprint(w, "<title>page</title>")
	})
	hanging := httptest.NewServer(mux)
	t.Cleanup(hanging.Close)

	// The crawler does not trust this server's certificate.
	untrusted := httptest.NewUnstartedServer(mux)
	untrusted.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake errors
	untrusted.StartTLS()
	t.Cleanup(untrusted.Close)

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + l.Addr().String()
	l.Close()

	tests := []struct {
		name    string
		base    string
		timeout time.Duration // RobotsTimeout: short only where it is the cause
		cause   func(error) bool
	}{
		{"timeout", hanging.URL, 200 * time.Millisecond, func(err error) bool { return errors.Is(err, context.DeadlineExceeded) }},
		{"refused", refused, 10 * time.Second, func(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }},
		{"TLS error", untrusted.URL, 10 * time.Second, func(err error) bool {
			var ce *tls.CertificateVerificationError
			return errors.As(err, &ce)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			robotsHits, pageHits = 0, 0
			mu.Unlock()
			rec := &records{}
			cr := &crawl.Crawler{OnPage: rec.add, RobotsTimeout: tt.timeout, RobotsRetry: time.Minute}
			seeds := []string{tt.base + "/a.html", tt.base + "/b.html"}
			start := time.Now()
			if _, err := cr.Run(t.Context(), seeds...); err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v, want well under RobotsTimeout or about it", d)
			}
			for _, s := range seeds {
				p, ok := rec.find(s)
				if !ok || !errors.Is(p.Err, crawl.ErrRobotsUnavailable) || !tt.cause(p.Err) {
					t.Errorf("record of %s: error %v, want ErrRobotsUnavailable with the cause", s, p.Err)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if pageHits != 0 {
				t.Errorf("%d pages fetched, want none", pageHits)
			}
			if tt.base == hanging.URL && robotsHits != 1 {
				t.Errorf("robots.txt asked %d times, want once (then the timeout)", robotsHits)
			}
			if robotsHits > 1 {
				t.Errorf("robots.txt asked %d times, want once within RobotsRetry", robotsHits)
			}
		})
	}
}

// TestGzipNotInflated: a gzip bomb served as a ".xml.gz" path, or with a
// gzip Content-Type and no Content-Encoding, is never inflated by colly:
// the crawl allocates about what it read, not what the bomb holds
// (HOSTILE.md F7).
func TestGzipNotInflated(t *testing.T) {
	var bomb bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&bomb, gzip.BestCompression)
	zero := make([]byte, 1<<20)
	for range 128 { // 128 MiB inflated, about 130 KB on the wire
		zw.Write(zero)
	}
	zw.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/robots.txt":
			http.NotFound(w, r)
		default:
			if ct := r.URL.Query().Get("ct"); ct != "" {
				w.Header().Set("Content-Type", ct)
			} else {
				w.Header()["Content-Type"] = nil
			}
			w.Write(bomb.Bytes())
		}
	}))
	t.Cleanup(srv.Close)
	for _, seed := range []string{srv.URL + "/sitemap.xml.gz", srv.URL + "/feed?ct=application/x-gzip", srv.URL + "/page.xml.gz?ct=text/html"} {
		var pages []crawl.Page
		cr := &crawl.Crawler{Opener: &fetch.Opener{}, MaxCrawlDelay: time.Millisecond,
			OnPage: func(p crawl.Page) { pages = append(pages, p) }}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		if _, err := cr.Run(t.Context(), seed); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		if got := (after.TotalAlloc - before.TotalAlloc) >> 20; got > 32 {
			t.Errorf("%s: the crawl allocated %d MiB: the bomb was inflated", seed, got)
		}
		if len(pages) != 1 || pages[0].Status != http.StatusOK {
			t.Errorf("%s: pages %+v, want one, 200", seed, pages)
		}
	}
}

// TestStopWhileRobotsHangs: a crawl stopped while a robots.txt does not
// answer returns after the grace given to pages in flight, not after the
// whole RobotsTimeout.
func TestStopWhileRobotsHangs(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		w.Write([]byte("<title>x</title>"))
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	ctx, cancel := context.WithCancel(t.Context())
	cr := &crawl.Crawler{Opener: &fetch.Opener{}, RobotsTimeout: time.Hour}
	done := make(chan error, 1)
	go func() {
		_, err := cr.Run(ctx, srv.URL+"/")
		done <- err
	}()
	time.Sleep(200 * time.Millisecond)
	cancel()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Run still running 30 s after the stop (grace 3 s): it waits for the robots.txt")
	}
}

// TestLinkToRedirectInFlight: a link to the URL another page in flight
// is being redirected to waits for that page: fetched once when the
// redirect's fetch succeeds, and still fetched when it fails.
func TestLinkToRedirectInFlight(t *testing.T) {
	for _, fail := range []bool{false, true} {
		t.Run(fmt.Sprintf("redirect fetch fails=%v", fail), func(t *testing.T) {
			var hits atomic.Int32
			inFlight, linked := make(chan struct{}), make(chan struct{})
			var once sync.Once
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/a":
					http.Redirect(w, r, "/t", http.StatusFound)
				case "/t":
					if hits.Add(1) == 1 {
						// /b's link to /t is found while this fetch is in flight.
						close(inFlight)
						select {
						case <-linked:
						case <-time.After(5 * time.Second):
						}
						if fail {
							answerNoHTTP(w)
							return
						}
					}
					w.Write([]byte("<p>target</p>"))
				case "/b":
					select {
					case <-inFlight:
					case <-time.After(5 * time.Second):
					}
					w.Write([]byte(`<a href="/t">t</a>`))
				}
			}))
			t.Cleanup(srv.Close)
			var mu sync.Mutex
			records := map[string]error{}
			cr := &crawl.Crawler{
				Opener:       &fetch.Opener{Dial: testkit.NewGuard(t).DialContext},
				Parallelism:  2,
				IgnoreRobots: true,
				OnPage: func(p crawl.Page) {
					mu.Lock()
					records[p.URL] = p.Err
					mu.Unlock()
					if strings.HasSuffix(p.URL, "/b") {
						// Done, with its link, follows OnPage at once.
						time.AfterFunc(100*time.Millisecond, func() { once.Do(func() { close(linked) }) })
					}
				},
			}
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			if _, err := cr.Run(ctx, srv.URL+"/a", srv.URL+"/b"); err != nil {
				t.Fatal(err)
			}
			want := int32(1)
			if fail {
				want = 2 // the failed redirect's, then the link's
			}
			if n := hits.Load(); n != want {
				t.Errorf("/t fetched %d times, want %d (records %v)", n, want, records)
			}
			mu.Lock()
			defer mu.Unlock()
			if _, ok := records[srv.URL+"/t"]; ok != fail {
				t.Errorf("/t recorded on its own = %v, want %v (records %v)", ok, fail, records)
			}
		})
	}
}

// answerNoHTTP answers bytes that are no HTTP response and closes the
// connection: a fetch that fails.
func answerNoHTTP(w http.ResponseWriter) {
	if c, _, err := w.(http.Hijacker).Hijack(); err == nil {
		c.Write([]byte("not http\r\n\r\n"))
		c.Close()
	}
}

// TestFileScheme (HOSTILE.md I1): file: images and links, direct or through
// a <base href="file:///">, are never fetched nor reported.
func TestFileScheme(t *testing.T) {
	const page = `<html><body>
<img src="file:///etc/passwd"><a href="file:///etc/shadow">s</a>
<a href="/b.html">b</a><img src="/ok.png">
</body></html>`
	const base = `<html><head><base href="file:///"></head><body>
<img src="etc/passwd"><a href="etc/hosts">h</a>
</body></html>`
	html := func(body string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, body)
		})
	}
	s := newSite(t, testserver.Mount("/a.html", html(page)), testserver.Mount("/b.html", html(base)))
	cr, rec := s.crawler()
	cr.Images = true
	if _, err := cr.Run(t.Context(), s.url+"/a.html"); err != nil {
		t.Fatal(err)
	}
	if got := rec.urls(s.url); !slices.Equal(got, []string{"/a.html", "/b.html"}) {
		t.Errorf("pages %q, want /a.html and /b.html", got)
	}
	if a, _ := rec.find(s.url + "/a.html"); !slices.Equal(a.Images, []string{s.url + "/ok.png"}) || !slices.Equal(a.Links, []string{s.url + "/b.html"}) {
		t.Errorf("/a.html: images %q, links %q; want /ok.png and /b.html alone", a.Images, a.Links)
	}
	for _, p := range rec.pages {
		for _, u := range slices.Concat(p.Links, p.Images) {
			if !strings.HasPrefix(u, s.url+"/") {
				t.Errorf("%s reported %q", p.URL, u)
			}
		}
	}
	for _, p := range s.paths() {
		if strings.Contains(p, "etc") {
			t.Errorf("the server was asked for %s", p)
		}
	}
}

// TestCrawlDelayHuge: a Crawl-delay too large for a Duration (temoto's
// seconds*1e9 overflows to a negative one) is capped and reported, as any
// delay over the cap is (M7), not taken as no delay at all.
func TestCrawlDelayHuge(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/robots.txt", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "User-agent: *\nCrawl-delay: 99999999999\n")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<a href="/a">a</a><a href="/b">b</a>`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	var warnings []string
	cr := &crawl.Crawler{MaxCrawlDelay: 150 * time.Millisecond, OnWarning: func(m string) { warnings = append(warnings, m) }}
	start := time.Now()
	if _, err := cr.Run(t.Context(), srv.URL+"/"); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 300*time.Millisecond {
		t.Errorf("3 pages in %v, want the capped delay (150ms) between them", took)
	}
	if joined := strings.Join(warnings, "\n"); !strings.Contains(joined, "waiting 150ms (the cap)") {
		t.Errorf("warnings = %q, want the capped Crawl-delay", joined)
	}
}
