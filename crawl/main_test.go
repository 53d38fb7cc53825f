package crawl_test

import (
	"context"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/grabhq/grab/crawl"
	"github.com/grabhq/grab/fetch"
	"github.com/grabhq/grab/internal/testkit"
	"github.com/grabhq/grab/testserver"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// site is a test server with a request recorder, and a guard dialer that
// fails the test on any non-loopback dial.
type site struct {
	url string
	rec *testkit.Recorder
	g   *testkit.Guard
}

func newSite(t *testing.T, opts ...testserver.Option) *site {
	t.Helper()
	s := &site{rec: &testkit.Recorder{}, g: testkit.NewGuard(t)}
	srv := httptest.NewServer(s.rec.Wrap("site", testserver.New(append([]testserver.Option{testserver.WithFaults()}, opts...)...)))
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

// crawler returns a Crawler on the site's guard dialer with a tiny
// Crawl-delay cap, collecting its records.
func (s *site) crawler() (*crawl.Crawler, *records) {
	rec := &records{}
	return &crawl.Crawler{
		Opener:        &fetch.Opener{Dial: s.g.DialContext},
		MaxCrawlDelay: time.Millisecond,
		OnPage:        rec.add,
	}, rec
}

// paths returns the paths the server was asked for, in order.
func (s *site) paths() []string {
	var out []string
	for _, r := range s.rec.All() {
		out = append(out, r.URI)
	}
	return out
}

type records struct {
	mu    sync.Mutex
	pages []crawl.Page
}

func (r *records) add(p crawl.Page) {
	r.mu.Lock()
	r.pages = append(r.pages, p)
	r.mu.Unlock()
}

// urls returns the URLs recorded, sorted, with base removed.
func (r *records) urls(base string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, p := range r.pages {
		out = append(out, strings.TrimPrefix(p.URL, base))
	}
	sort.Strings(out)
	return out
}

func (r *records) find(u string) (crawl.Page, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range r.pages {
		if p.URL == u {
			return p, true
		}
	}
	return crawl.Page{}, false
}

var errDeadline = context.DeadlineExceeded

func withTimeout(t *testing.T, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(t.Context(), d)
}

func tempDir() (string, func()) {
	d, err := os.MkdirTemp("", "crawl-example")
	if err != nil {
		panic(err)
	}
	return d, func() { os.RemoveAll(d) }
}
