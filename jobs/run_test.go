package jobs_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/grabhq/grab/fetch"
	"github.com/grabhq/grab/internal/testkit"
	"github.com/grabhq/grab/jobs"
	"github.com/grabhq/grab/testserver"
)

// site is a Changing server with a gallery of pages and images.
type site struct {
	*testserver.Changing
	URL string
}

func newSite(t testing.TB) *site {
	t.Helper()
	c := new(testserver.Changing)
	srv := httptest.NewServer(c)
	t.Cleanup(srv.Close)
	return &site{Changing: c, URL: srv.URL}
}

// page serves an HTML page at path with images and links.
func (s *site) page(path string, v testserver.Validators, images, links []string) {
	var b strings.Builder
	b.WriteString("<!doctype html><title>t</title>")
	for _, i := range images {
		fmt.Fprintf(&b, `<img src="%s">`, i)
	}
	for _, l := range links {
		fmt.Fprintf(&b, `<a href="%s">x</a>`, l)
	}
	s.Set(path, "text/html; charset=utf-8", []byte(b.String()), v)
}

// jobFile writes a job file into dir and loads it.
func jobFile(t testing.TB, dir, text string) *jobs.Job {
	t.Helper()
	path := filepath.Join(dir, "job.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	j, err := jobs.Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return j
}

// runner returns a Runner whose connections go through a guard that
// refuses anything but loopback.
func runner(t *testing.T) *jobs.Runner {
	g := testkit.NewGuard(t)
	return &jobs.Runner{Base: &fetch.Opener{Dial: g.DialContext}}
}

// statuses maps "kind url-path" to the status of each item.
func statuses(rep *jobs.Report, base string) map[string]jobs.Status {
	m := map[string]jobs.Status{}
	for _, it := range rep.Items {
		m[it.Kind+" "+strings.TrimPrefix(it.URL, base)] = it.Status
	}
	return m
}

func wantStatuses(t *testing.T, run int, rep *jobs.Report, base string, want map[string]jobs.Status) {
	t.Helper()
	got := statuses(rep, base)
	for k, w := range want {
		if got[k] != w {
			t.Errorf("run %d: %s is %q, want %q", run, k, got[k], w)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("run %d: unexpected item %s (%s)", run, k, g)
		}
	}
	if t.Failed() {
		t.Logf("items: %v", got)
	}
}

func TestRunClassifies(t *testing.T) {
	s := newSite(t)
	both := testserver.ETag | testserver.LastModified
	png := func(b byte) []byte { return append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{b}, 100)...) }
	s.page("/p/1.html", testserver.ETag, []string{"/img/a.png", "/img/b.png", "/img/c.png"}, nil)
	s.page("/p/2.html", testserver.LastModified, []string{"/img/d.png"}, []string{"/other.html"})
	s.Set("/img/a.png", "image/png", png('a'), both)
	s.Set("/img/b.png", "image/png", png('b'), testserver.ETag)
	s.Set("/img/c.png", "image/png", png('c'), testserver.LastModified)
	s.Set("/img/d.png", "image/png", png('d'), 0)

	dir := t.TempDir()
	j := jobFile(t, dir, fmt.Sprintf(`
name: gallery
targets:
  urls:
    - %[1]s/p/1.html
    - %[1]s/p/2.html
extract:
  images: true
  links: true
download:
  dir: files
`, s.URL))
	r := runner(t)

	rep, err := r.Run(t.Context(), j)
	if err != nil {
		t.Fatalf("run 1: %v", err)
	}
	wantStatuses(t, 1, rep, s.URL, map[string]jobs.Status{
		"page /p/1.html": jobs.New, "page /p/2.html": jobs.New,
		"image /img/a.png": jobs.New, "image /img/b.png": jobs.New, "image /img/c.png": jobs.New, "image /img/d.png": jobs.New,
		"link /other.html": jobs.New,
	})
	if rep.Run.Status != jobs.OK || rep.Run.Counts != (jobs.Counts{New: 7}) {
		t.Errorf("run 1: %s %+v, want ok with 7 new", rep.Run.Status, rep.Run.Counts)
	}
	files := filepath.Join(dir, "files")
	host := strings.ReplaceAll(strings.TrimPrefix(s.URL, "http://"), ":", "_")
	aFile := filepath.Join(files, host, "img", "a.png")
	if got, err := os.ReadFile(aFile); err != nil || !bytes.Equal(got, png('a')) {
		t.Fatalf("a.png downloaded as %q (%v)", got, err)
	}
	aInfo, _ := os.Stat(aFile)

	// Between the runs: page 1 drops c.png; b.png changes; a.png, d.png
	// and page 2 stay as they were.
	s.page("/p/1.html", testserver.ETag, []string{"/img/a.png", "/img/b.png"}, nil)
	s.Set("/img/b.png", "image/png", png('B'), testserver.ETag)
	s.ResetLog()

	rep, err = r.Run(t.Context(), j)
	if err != nil {
		t.Fatalf("run 2: %v", err)
	}
	wantStatuses(t, 2, rep, s.URL, map[string]jobs.Status{
		"page /p/1.html": jobs.Changed, "page /p/2.html": jobs.Unchanged,
		"image /img/a.png": jobs.Unchanged, "image /img/b.png": jobs.Changed, "image /img/c.png": jobs.Gone,
		"image /img/d.png": jobs.Unchanged, "link /other.html": jobs.Unchanged,
	})
	if want := (jobs.Counts{Changed: 2, Unchanged: 4, Gone: 1}); rep.Run.Counts != want || rep.Run.Status != jobs.OK {
		t.Errorf("run 2: %s %+v, want ok %+v", rep.Run.Status, rep.Run.Counts, want)
	}
	// The server's log proves the validators were sent, and what was
	// downloaded again.
	got := map[string]testserver.ChangingRequest{}
	for _, q := range s.Requests() {
		got[q.Path] = q
	}
	checks := []struct {
		path        string
		inm, ims    bool
		status      int
		notFetched  bool
		description string
	}{
		{path: "/p/1.html", inm: true, status: 200},
		{path: "/p/2.html", ims: true, status: 304},
		{path: "/img/a.png", inm: true, ims: true, status: 304},
		{path: "/img/b.png", inm: true, status: 200},
		{path: "/img/c.png", notFetched: true},
		{path: "/img/d.png", status: 200},
	}
	for _, c := range checks {
		q, ok := got[c.path]
		if c.notFetched {
			if ok {
				t.Errorf("run 2 fetched %s, which is gone from its page", c.path)
			}
			continue
		}
		if !ok {
			t.Errorf("run 2 did not fetch %s", c.path)
			continue
		}
		// download sends If-Modified-Since with the file's time whenever
		// the file is there: only its presence where needed is checked.
		if (q.IfNoneMatch != "") != c.inm || (c.ims && q.IfModifiedSince == "") || q.Status != c.status {
			t.Errorf("run 2 %s: If-None-Match %q, If-Modified-Since %q, status %d; want sent %v, %v, status %d",
				c.path, q.IfNoneMatch, q.IfModifiedSince, q.Status, c.inm, c.ims, c.status)
		}
	}
	if got, _ := os.ReadFile(filepath.Join(files, host, "img", "b.png")); !bytes.Equal(got, png('B')) {
		t.Errorf("b.png after run 2 = %q, want the new content", got)
	}
	if st, _ := os.Stat(aFile); !st.ModTime().Equal(aInfo.ModTime()) {
		t.Errorf("a.png was rewritten though unchanged")
	}

	// Run 3: page 2 is gone from the server (410): it and what only it
	// had are gone.
	s.Remove("/p/2.html")
	rep, err = r.Run(t.Context(), j)
	if err != nil {
		t.Fatalf("run 3: %v", err)
	}
	wantStatuses(t, 3, rep, s.URL, map[string]jobs.Status{
		"page /p/1.html": jobs.Unchanged, "page /p/2.html": jobs.Gone,
		"image /img/a.png": jobs.Unchanged, "image /img/b.png": jobs.Unchanged,
		"image /img/d.png": jobs.Gone, "link /other.html": jobs.Gone,
	})

	// Run 4: the last run did not have page 2, so its 410 is no page gone
	// but a target that fails (as a mistyped one does on a first run).
	rep, err = r.Run(t.Context(), j)
	if err != nil {
		t.Fatalf("run 4: %v", err)
	}
	wantStatuses(t, 4, rep, s.URL, map[string]jobs.Status{
		"page /p/1.html": jobs.Unchanged, "page /p/2.html": jobs.Failed,
		"image /img/a.png": jobs.Unchanged, "image /img/b.png": jobs.Unchanged,
	})
	if rep.Run.Status != jobs.Partial {
		t.Errorf("run 4 is %s, want partial", rep.Run.Status)
	}

	// The reports are published, one per run, each ending with its summary.
	h, err := jobs.ReadHistory(j, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Runs) != 4 {
		t.Fatalf("history has %d runs, want 4", len(h.Runs))
	}
	for i, run := range h.Runs {
		data, err := os.ReadFile(run.Report)
		if err != nil {
			t.Fatalf("run %d report: %v", i+1, err)
		}
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		if n := run.Counts.Total() + 1; len(lines) != n {
			t.Errorf("run %d report has %d lines, want %d", i+1, len(lines), n)
		}
		if !strings.HasPrefix(lines[len(lines)-1], `{"type":"summary"`) {
			t.Errorf("run %d report ends with %q, want the summary", i+1, lines[len(lines)-1])
		}
	}
}

// A failed page keeps what it gave last time: not gone, not new again.
func TestRunFailedPageKeepsItems(t *testing.T) {
	s := newSite(t)
	s.page("/p/1.html", testserver.ETag, []string{"/img/a.png"}, nil)
	s.page("/p/2.html", testserver.ETag, nil, []string{"/l"})
	s.Set("/img/a.png", "image/png", []byte("a"), testserver.ETag)
	dir := t.TempDir()
	j := jobFile(t, dir, fmt.Sprintf(`
name: failing
targets: {urls: [%[1]s/p/1.html, %[1]s/p/2.html]}
extract: {images: true, links: true}
retries: 0
`, s.URL))
	r := runner(t)
	if _, err := r.Run(t.Context(), j); err != nil {
		t.Fatal(err)
	}
	s.Fail("/p/1.html", 500)
	rep, err := r.Run(t.Context(), j)
	if err != nil {
		t.Fatal(err)
	}
	wantStatuses(t, 2, rep, s.URL, map[string]jobs.Status{
		"page /p/1.html": jobs.Failed, "page /p/2.html": jobs.Unchanged, "link /l": jobs.Unchanged,
	})
	if rep.Run.Status != jobs.Partial {
		t.Errorf("run 2 status %s, want partial", rep.Run.Status)
	}
	// Once the page answers again, it and its image are unchanged, not new.
	s.Fail("/p/1.html", 0)
	rep, err = r.Run(t.Context(), j)
	if err != nil {
		t.Fatal(err)
	}
	wantStatuses(t, 3, rep, s.URL, map[string]jobs.Status{
		"page /p/1.html": jobs.Unchanged, "image /img/a.png": jobs.Unchanged,
		"page /p/2.html": jobs.Unchanged, "link /l": jobs.Unchanged,
	})
	// Every page failing fails the run.
	s.Fail("/p/1.html", 503)
	s.Fail("/p/2.html", 500)
	if rep, err = r.Run(t.Context(), j); err != nil || rep.Run.Status != jobs.RunFailed {
		t.Errorf("run 4 = %v, %v; want status failed", rep.Run.Status, err)
	}
}

// TestRunRedirectedDownload: an item whose URL redirects is recorded with
// the final answer's status and validators, so the next run asks the
// final URL conditionally and finds it unchanged.
func TestRunRedirectedDownload(t *testing.T) {
	c := new(testserver.Changing)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rest, ok := strings.CutPrefix(r.URL.Path, "/r/"); ok {
			http.Redirect(w, r, "/img/"+rest, http.StatusFound)
			return
		}
		c.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	s := &site{Changing: c, URL: srv.URL}
	s.page("/p.html", 0, []string{"/r/a.png"}, nil)
	s.Set("/img/a.png", "image/png", []byte("\x89PNG\r\n\x1a\nimage a"), testserver.ETag)
	dir := t.TempDir()
	j := jobFile(t, dir, fmt.Sprintf("name: redirected\ntargets: {urls: [%s/p.html]}\nextract: {images: true}\ndownload: {dir: files}\n", s.URL))
	r := runner(t)
	image := func(rep *jobs.Report) jobs.Item {
		for _, it := range rep.Items {
			if it.Kind == "image" {
				return it
			}
		}
		t.Fatalf("no image item in %+v", rep.Items)
		return jobs.Item{}
	}
	rep, err := r.Run(t.Context(), j)
	if err != nil {
		t.Fatal(err)
	}
	if it := image(rep); it.Status != jobs.New || it.HTTPStatus != 200 {
		t.Errorf("run 1: image %s with status %d, want new with 200", it.Status, it.HTTPStatus)
	}
	s.ResetLog()
	if rep, err = r.Run(t.Context(), j); err != nil {
		t.Fatal(err)
	}
	if it := image(rep); it.Status != jobs.Unchanged || it.HTTPStatus != 304 {
		t.Errorf("run 2: image %s with status %d, want unchanged with 304", it.Status, it.HTTPStatus)
	}
	for _, q := range s.Requests() {
		if q.Path == "/img/a.png" && (q.IfNoneMatch == "" || q.Status != 304) {
			t.Errorf("run 2 asked %s with If-None-Match %q, status %d; want the ETag sent and 304", q.Path, q.IfNoneMatch, q.Status)
		}
	}
}

// TestRunNamingPathPrefix: with naming "path", /a/x and /a/x/y.png
// both want the name a/x (a file, and a directory); both are saved,
// in either order, run after run.
func TestRunNamingPathPrefix(t *testing.T) {
	for _, order := range [][]string{{"/a/x", "/a/x/y.png"}, {"/a/x/y.png", "/a/x"}} {
		s := newSite(t)
		// The name a/x's directory is moved to (x-HASH), taken by a file
		// of its own.
		host := strings.ReplaceAll(strings.TrimPrefix(s.URL, "http://"), ":", "_")
		sum := sha256.Sum256([]byte(filepath.Join(host, "a", "x")))
		moved := "/a/x-" + hex.EncodeToString(sum[:])[:8]
		order = append([]string{moved}, order...)
		s.page("/p.html", 0, order, nil)
		s.Set(moved, "image/png", []byte("\x89PNG\r\n\x1a\nx"), testserver.ETag)
		s.Set("/a/x", "image/png", []byte("\x89PNG\r\n\x1a\nx"), testserver.ETag)
		s.Set("/a/x/y.png", "image/png", []byte("\x89PNG\r\n\x1a\ny"), testserver.ETag)
		dir := t.TempDir()
		j := jobFile(t, dir, fmt.Sprintf("name: prefix\ntargets: {urls: [%s/p.html]}\nextract: {images: true}\ndownload: {dir: files, naming: path}\n", s.URL))
		r := runner(t)
		for run, want := range []jobs.Status{jobs.New, jobs.Unchanged} {
			rep, err := r.Run(t.Context(), j)
			if err != nil {
				t.Fatal(err)
			}
			wantStatuses(t, run+1, rep, s.URL, map[string]jobs.Status{"page /p.html": want, "image /a/x": want, "image /a/x/y.png": want, "image " + moved: want})
			for _, it := range rep.Items {
				if it.Kind != "image" {
					continue
				}
				got, err := os.ReadFile(filepath.Join(dir, "files", it.File))
				if wantBody := "\x89PNG\r\n\x1a\n" + path.Base(it.URL)[:1]; err != nil || string(got) != wantBody {
					t.Errorf("order %q run %d: %s in %s: %q, %v", order, run+1, it.URL, it.File, got, err)
				}
			}
		}
	}
}

// TestRunWhileStatusReads: a run that starts while grab job status reads
// the state file (under its lock, for a moment) waits for it rather than
// fail as if the job were running.
func TestRunWhileStatusReads(t *testing.T) {
	s := newSite(t)
	s.page("/p.html", testserver.ETag, nil, nil)
	j := jobFile(t, t.TempDir(), fmt.Sprintf("name: reader\ntargets: {urls: [%s/p.html]}\n", s.URL))
	r := runner(t)
	if _, err := r.Run(t.Context(), j); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(j.StatePath(), 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	released := make(chan struct{})
	go func() {
		time.Sleep(200 * time.Millisecond)
		db.Close()
		close(released)
	}()
	if _, err := r.Run(t.Context(), j); err != nil {
		t.Errorf("Run while a reader held the state file = %v, want it to wait", err)
	}
	<-released
}

func TestRunLocked(t *testing.T) {
	s := newSite(t)
	s.page("/p.html", testserver.ETag, nil, nil)
	gate := s.Block("/p.html")
	dir := t.TempDir()
	j := jobFile(t, dir, fmt.Sprintf("name: locked\ntargets: {urls: [%s/p.html]}\n", s.URL))
	r := runner(t)
	errc := make(chan error, 1)
	go func() {
		_, err := r.Run(t.Context(), j)
		errc <- err
	}()
	<-gate.Arrived()
	// A second holder of the same state file, in this process, is refused.
	if _, err := r.Run(t.Context(), j); !errors.Is(err, jobs.ErrLocked) {
		t.Errorf("second Run = %v, want ErrLocked", err)
	}
	h, err := jobs.ReadHistory(j, 0)
	if err != nil || !h.Running {
		t.Errorf("ReadHistory while running = %+v, %v; want Running", h, err)
	}
	gate.Release()
	if err := <-errc; err != nil {
		t.Fatalf("first Run: %v", err)
	}
}

func contextWithCancel(t *testing.T) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	return ctx, cancel
}

// TestRunCrawl takes its pages from a crawl of the test server's site
// (robots.txt honoured), then fetches each conditionally.
func TestRunCrawl(t *testing.T) {
	srv := httptest.NewServer(testserver.New())
	t.Cleanup(srv.Close)
	j := jobFile(t, t.TempDir(), fmt.Sprintf(`
name: crawled
targets:
  crawl:
    seeds: [%s/site/2/page/0.html]
    depth: 5
    allow: ['/site/2/']
extract: {links: true}
`, srv.URL))
	r := runner(t)
	rep, err := r.Run(t.Context(), j)
	if err != nil {
		t.Fatal(err)
	}
	pages := map[string]jobs.Status{}
	for _, it := range rep.Items {
		if it.Kind == jobs.KindPage {
			pages[strings.TrimPrefix(it.URL, srv.URL)] = it.Status
		}
	}
	for _, p := range testserver.SitePages(2) {
		if pages[p] != jobs.New {
			t.Errorf("crawled page %s is %q, want new (pages %v)", p, pages[p], pages)
		}
	}
	rep, err = r.Run(t.Context(), j)
	if err != nil {
		t.Fatal(err)
	}
	if c := rep.Run.Counts; c.New != 0 || c.Gone != 0 || c.Failed != 0 || c.Unchanged == 0 {
		t.Errorf("second crawl run counts %+v, want all unchanged", c)
	}
}

// TestRunCrawlSeedFails: a crawl whose seed fails (a 500, a server gone)
// stops the run before anything is classified: its pages were not found
// because the crawl could not look, not because they are gone (the run
// said "ok, 3 gone" and exited 0). A seed answering 404 is gone, and its
// pages with it.
func TestRunCrawlSeedFails(t *testing.T) {
	var status atomic.Int32 // 0: the site
	site := testserver.New()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if code := int(status.Load()); code != 0 && r.URL.Path != "/robots.txt" {
			http.Error(w, "down", code)
			return
		}
		site.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	j := jobFile(t, t.TempDir(), fmt.Sprintf("name: seedfail\ntargets:\n  crawl: {seeds: [%s/site/20/page/0.html], depth: 1, max_pages: 3}\nretries: 0\n", srv.URL))
	r := runner(t)
	if rep, err := r.Run(t.Context(), j); err != nil || rep.Run.Counts.New != 3 {
		t.Fatalf("run 1 = %+v, %v; want 3 new", rep.Run, err)
	}
	status.Store(http.StatusInternalServerError)
	_, err := r.Run(t.Context(), j)
	if err == nil || !strings.Contains(err.Error(), "targets.crawl: seed "+srv.URL+"/site/20/page/0.html") || !strings.Contains(err.Error(), "500") {
		t.Errorf("run with the seed failing = %v, want an error naming the seed and its 500", err)
	}
	if h, err := jobs.ReadHistory(j, 0); err != nil || len(h.Runs) != 1 {
		t.Errorf("history %+v, %v; want run 1 alone", h, err)
	}
	status.Store(http.StatusNotFound)
	rep, err := r.Run(t.Context(), j)
	if err != nil || rep.Run.Counts.Gone != 3 {
		t.Errorf("run with the seed gone = %+v, %v; want 3 gone", rep.Run, err)
	}
}

// TestRunCrawlSeedSpelling: the job's credentials go to a crawl seed's
// origin however the seed spells its host ("127.0.0.1." is fetched as
// 127.0.0.1); they were tied to the spelling and never sent.
func TestRunCrawlSeedSpelling(t *testing.T) {
	var mu sync.Mutex
	var unauthorized []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" {
			mu.Lock()
			unauthorized = append(unauthorized, r.URL.Path)
			mu.Unlock()
		}
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<title>t</title>")
	}))
	t.Cleanup(srv.Close)
	seed := strings.Replace(srv.URL, "127.0.0.1", "127.0.0.1.", 1) + "/seed"
	j := jobFile(t, t.TempDir(), fmt.Sprintf("name: spelled\ntargets:\n  crawl: {seeds: [%s], depth: 1}\nauth: {basic: {user: u, password: {env: PW}}}\n", seed))
	r := runner(t)
	r.Getenv = func(string) string { return "pw" }
	if _, err := r.Run(t.Context(), j); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(unauthorized) > 0 {
		t.Errorf("requests without credentials: %q", unauthorized)
	}
}

// TestRunFileReplacedMeanwhile: a file the last finished run did not save
// (a run killed after it downloaded a new version, before it finished) is
// not taken for the remembered one on a 304 to its If-Modified-Since: it
// is hashed, and its item is changed.
func TestRunFileReplacedMeanwhile(t *testing.T) {
	s := newSite(t)
	s.page("/p.html", testserver.LastModified, []string{"/img/a.png"}, nil)
	s.Set("/img/a.png", "image/png", []byte("\x89PNG old version"), testserver.LastModified)
	dir := t.TempDir()
	j := jobFile(t, dir, fmt.Sprintf("name: lm\ntargets: {urls: [%s/p.html]}\nextract: {images: true}\ndownload: {dir: files}\n", s.URL))
	r := runner(t)
	rep, err := r.Run(t.Context(), j)
	if err != nil {
		t.Fatal(err)
	}
	file := imageFile(dir, rep)
	// The new version, saved as download saves it (its time the server's
	// Last-Modified) by a run that then died.
	newer := []byte("\x89PNG new version!")
	s.Set("/img/a.png", "image/png", newer, testserver.LastModified)
	resp, err := http.Get(s.URL + "/img/a.png")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	lm, err := http.ParseTime(resp.Header.Get("Last-Modified"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, newer, 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(file, lm, lm); err != nil {
		t.Fatal(err)
	}
	rep, err = r.Run(t.Context(), j)
	if err != nil {
		t.Fatal(err)
	}
	wantStatuses(t, 2, rep, s.URL, map[string]jobs.Status{"page /p.html": jobs.Unchanged, "image /img/a.png": jobs.Changed})
	sum := sha256.Sum256(newer)
	for _, it := range rep.Items {
		if it.Kind == jobs.KindImage && (it.SHA256 != hex.EncodeToString(sum[:]) || it.Size != int64(len(newer))) {
			t.Errorf("image %s, %d bytes; want the file's sha256 %x, %d bytes", it.SHA256, it.Size, sum, len(newer))
		}
	}
	// A third run finds it as the second remembered it.
	rep, err = r.Run(t.Context(), j)
	if err != nil {
		t.Fatal(err)
	}
	wantStatuses(t, 3, rep, s.URL, map[string]jobs.Status{"page /p.html": jobs.Unchanged, "image /img/a.png": jobs.Unchanged})
}

// imageFile returns the file of rep's (last) image, saved under dir/files.
func imageFile(dir string, rep *jobs.Report) string {
	var file string
	for _, it := range rep.Items {
		if it.Kind == jobs.KindImage {
			file = filepath.Join(dir, "files", it.File)
		}
	}
	return file
}

// TestRunFileDamagedLocally: a file cut here after a run is not taken for
// a new version when the server answers 304 to the remembered ETag or to
// the file's new time: it is fetched again, whole, and its item is
// unchanged.
func TestRunFileDamagedLocally(t *testing.T) {
	for name, flags := range map[string]testserver.Validators{"etag": testserver.ETag | testserver.LastModified, "last-modified": testserver.LastModified} {
		t.Run(name, func(t *testing.T) {
			s := newSite(t)
			s.page("/p.html", flags, []string{"/img/a.png"}, nil)
			body := []byte("\x89PNG the one version, long enough to be cut")
			s.Set("/img/a.png", "image/png", body, flags)
			dir := t.TempDir()
			j := jobFile(t, dir, fmt.Sprintf("name: cut\ntargets: {urls: [%s/p.html]}\nextract: {images: true}\ndownload: {dir: files}\n", s.URL))
			r := runner(t)
			rep, err := r.Run(t.Context(), j)
			if err != nil {
				t.Fatal(err)
			}
			file := imageFile(dir, rep)
			if err := os.WriteFile(file, body[:10], 0o666); err != nil { // its time is now
				t.Fatal(err)
			}
			rep, err = r.Run(t.Context(), j)
			if err != nil {
				t.Fatal(err)
			}
			wantStatuses(t, 2, rep, s.URL, map[string]jobs.Status{"page /p.html": jobs.Unchanged, "image /img/a.png": jobs.Unchanged})
			if got, _ := os.ReadFile(file); !bytes.Equal(got, body) {
				t.Errorf("the file holds %q, want it fetched again", got)
			}
		})
	}
}

// TestRunSharedOutput: a job whose output.dir holds another job's reports
// fails before it runs, where its reports, named by run number alone,
// replaced the other's.
func TestRunSharedOutput(t *testing.T) {
	s := newSite(t)
	s.page("/p.html", testserver.ETag, nil, nil)
	dir := t.TempDir()
	ja := jobFile(t, dir, fmt.Sprintf("name: a\ntargets: {urls: [%s/p.html]}\noutput: {dir: shared}\n", s.URL))
	jb := jobFile(t, dir, fmt.Sprintf("name: b\ntargets: {urls: [%s/p.html]}\noutput: {dir: shared}\n", s.URL))
	r := runner(t)
	rep, err := r.Run(t.Context(), ja)
	if err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(rep.Run.Report)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Run(t.Context(), jb); !errors.Is(err, jobs.ErrSharedOutput) || !strings.Contains(err.Error(), `job "a"`) {
		t.Fatalf("Run of job b = %v, want ErrSharedOutput naming job a", err)
	}
	if after, _ := os.ReadFile(rep.Run.Report); !bytes.Equal(after, before) {
		t.Error("job a's report was replaced")
	}
	if _, err := r.Run(t.Context(), ja); err != nil { // its own directory still
		t.Errorf("job a's second run: %v", err)
	}
}

// TestRunSameNameTwoFiles: a copy of a job file, its name unchanged, does
// not run on the first one's state and reports (it called the first one's
// items gone); a job file moved or renamed keeps its directory.
func TestRunSameNameTwoFiles(t *testing.T) {
	s := newSite(t)
	s.page("/p.html", testserver.ETag, nil, nil)
	s.page("/q.html", testserver.ETag, nil, nil)
	dir := t.TempDir()
	ja := jobFile(t, dir, fmt.Sprintf("name: a\ntargets: {urls: [%s/p.html]}\n", s.URL))
	r := runner(t)
	if _, err := r.Run(t.Context(), ja); err != nil {
		t.Fatal(err)
	}
	copyPath := filepath.Join(dir, "copy.yaml")
	if err := os.WriteFile(copyPath, fmt.Appendf(nil, "name: a\ntargets: {urls: [%s/q.html]}\n", s.URL), 0o644); err != nil {
		t.Fatal(err)
	}
	jb, err := jobs.Load(copyPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Run(t.Context(), jb); !errors.Is(err, jobs.ErrSharedOutput) || !strings.Contains(err.Error(), "job.yaml") {
		t.Fatalf("Run of the copy = %v, want ErrSharedOutput naming job.yaml", err)
	}
	// The first file by another path (a symbolic link to its directory)
	// is the same job.
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	jl, err := jobs.Load(filepath.Join(link, "job.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Run(t.Context(), jl); err != nil {
		t.Fatalf("Run of job.yaml through a link: %v", err)
	}
	// Moved: the copy goes, the first file is renamed.
	os.Remove(copyPath)
	renamed := filepath.Join(dir, "renamed.yaml")
	if err := os.Rename(ja.Path, renamed); err != nil {
		t.Fatal(err)
	}
	jr, err := jobs.Load(renamed)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := r.Run(t.Context(), jr)
	if err != nil || rep.Run.Counts.Unchanged != 1 {
		t.Fatalf("Run of the renamed file = %+v, %v; want its page unchanged", rep, err)
	}
}

// TestRunNewStateKeepsReports: a job started over on a new state file (the
// old one moved away, or not kept by a container) numbers its runs after
// the reports already published, which are never replaced.
func TestRunNewStateKeepsReports(t *testing.T) {
	s := newSite(t)
	s.page("/p.html", testserver.ETag, nil, nil)
	j := jobFile(t, t.TempDir(), fmt.Sprintf("name: again\ntargets: {urls: [%s/p.html]}\n", s.URL))
	r := runner(t)
	var reports []string
	for range 2 {
		rep, err := r.Run(t.Context(), j)
		if err != nil {
			t.Fatal(err)
		}
		reports = append(reports, rep.Run.Report)
	}
	before := make([][]byte, len(reports))
	for i, p := range reports {
		before[i], _ = os.ReadFile(p)
	}
	for _, p := range []string{j.StatePath(), j.StatePath() + ".bak"} {
		if err := os.Rename(p, p+".old"); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := r.Run(t.Context(), j)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Run.ID() != "run-000003" || filepath.Base(rep.Run.Report) != "run-000003.jsonl" {
		t.Errorf("the run on a new state file is %s in %s, want run-000003", rep.Run.ID(), rep.Run.Report)
	}
	for i, p := range reports {
		if got, _ := os.ReadFile(p); !bytes.Equal(got, before[i]) {
			t.Errorf("%s was replaced", p)
		}
	}
}

// TestRunTimeoutCrawl: timeouts.run bounds the crawl that finds the
// targets too, not only the fetches after it.
func TestRunTimeoutCrawl(t *testing.T) {
	srv := httptest.NewServer(testserver.New())
	t.Cleanup(srv.Close)
	j := jobFile(t, t.TempDir(), fmt.Sprintf(`
name: slowcrawl
targets:
  crawl:
    seeds: [%s/site/50/page/0.html]
    depth: 60
    delay: 1s
timeouts: {run: 300ms}
`, srv.URL))
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	_, err := runner(t).Run(ctx, j)
	if err == nil || !strings.Contains(err.Error(), "reached timeouts.run (300ms)") {
		t.Fatalf("Run = %v, want the run's timeout", err)
	}
	if ctx.Err() != nil {
		t.Fatal("the run outlived its timeout by 20s")
	}
}

// TestRunFields takes named fields into one record per page: new, then
// changed when a value changes, then unchanged (with its values) when the
// page answers 304.
func TestRunFields(t *testing.T) {
	s := newSite(t)
	page := func(price string) {
		s.Set("/item.html", "text/html", []byte(`<h1> Blue   cup </h1><span class=price data-cents="`+price+`">x</span><li>a<li>b`), testserver.ETag)
	}
	page("100")
	j := jobFile(t, t.TempDir(), fmt.Sprintf(`
name: fields
targets: {urls: [%s/item.html]}
extract:
  fields:
    title: h1
    cents: {selector: .price, attr: data-cents}
    items: {selector: li, all: true}
    missing: .nothing
`, s.URL))
	r := runner(t)
	want := []struct {
		status jobs.Status
		cents  string
	}{{jobs.New, "100"}, {jobs.Changed, "120"}, {jobs.Unchanged, "120"}}
	for i, w := range want {
		if i == 1 {
			page("120")
		}
		rep, err := r.Run(t.Context(), j)
		if err != nil {
			t.Fatal(err)
		}
		var rec *jobs.Item
		for k := range rep.Items {
			if rep.Items[k].Kind == jobs.KindRecord {
				rec = &rep.Items[k]
			}
		}
		if rec == nil {
			t.Fatalf("run %d: no record in %+v", i+1, rep.Items)
		}
		f := rec.Fields
		if rec.Status != w.status || f["title"] != "Blue cup" || f["cents"] != w.cents || f["missing"] != nil ||
			fmt.Sprint(f["items"]) != "[a b]" {
			t.Errorf("run %d: record %s %v, want %s with cents %s", i+1, rec.Status, f, w.status, w.cents)
		}
	}
}

// TestRunExtractChange: a page read under another extract is read again
// whole, not asked with its validators: a 304 would give back what the old
// extract took (links enabled in the job file would never be seen).
func TestRunExtractChange(t *testing.T) {
	s := newSite(t)
	s.page("/p.html", testserver.ETag, []string{"/img/a.png"}, []string{"/x.html"})
	s.Set("/img/a.png", "image/png", []byte("\x89PNG\r\n\x1a\na"), 0)
	dir := t.TempDir()
	spec := "name: ex\ntargets: {urls: [%s/p.html]}\nextract: {images: true%s}\n"
	r := runner(t)
	for run, tc := range []struct {
		extract string
		want    map[string]jobs.Status
	}{
		{"", map[string]jobs.Status{"page /p.html": jobs.New, "image /img/a.png": jobs.New}},
		{", links: true", map[string]jobs.Status{"page /p.html": jobs.Unchanged, "image /img/a.png": jobs.Unchanged, "link /x.html": jobs.New}},
		{", links: true", map[string]jobs.Status{"page /p.html": jobs.Unchanged, "image /img/a.png": jobs.Unchanged, "link /x.html": jobs.Unchanged}},
	} {
		rep, err := r.Run(t.Context(), jobFile(t, dir, fmt.Sprintf(spec, s.URL, tc.extract)))
		if err != nil {
			t.Fatal(err)
		}
		wantStatuses(t, run+1, rep, s.URL, tc.want)
	}
}

// TestRunStateLost: with the state file gone but the downloaded files
// still there, download's own If-Modified-Since gets a 304, and the item
// is taken from its file as new, not failed.
func TestRunStateLost(t *testing.T) {
	s := newSite(t)
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{'x'}, 100)...)
	s.page("/p/1.html", 0, []string{"/img/x.png"}, nil)
	s.Set("/img/x.png", "image/png", png, testserver.LastModified)
	dir := t.TempDir()
	j := jobFile(t, dir, fmt.Sprintf("name: lost\ntargets:\n  urls: [%s/p/1.html]\nextract:\n  images: true\ndownload:\n  dir: files\n", s.URL))
	for run := 1; run <= 2; run++ {
		rep, err := runner(t).Run(t.Context(), j)
		if err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		if rep.Run.Counts != (jobs.Counts{New: 2}) {
			t.Errorf("run %d: %+v, want 2 new", run, rep.Run.Counts)
		}
		for _, it := range rep.Items {
			if it.Kind == "image" && it.SHA256 != testkit.SHA256(png) {
				t.Errorf("run %d: image hash %s, want the file's", run, it.SHA256)
			}
		}
		os.Remove(j.StatePath())
		os.Remove(j.StatePath() + ".bak")
	}
}

// TestRunCookiesFileWarns: a cookies.file with a line it cannot read
// loads the rest, and the run's log says what was skipped.
func TestRunCookiesFileWarns(t *testing.T) {
	s := newSite(t)
	s.page("/p.html", testserver.ETag, nil, nil)
	dir := t.TempDir()
	jar := "127.0.0.1\tFALSE\t/\tFALSE\t0\tgood\t1\nnot a cookie line\n"
	if err := os.WriteFile(filepath.Join(dir, "jar.txt"), []byte(jar), 0o600); err != nil {
		t.Fatal(err)
	}
	j := jobFile(t, dir, fmt.Sprintf(`
name: cookies
targets: {urls: [%s/p.html]}
cookies: {file: jar.txt}
`, s.URL))
	r := runner(t)
	var log strings.Builder
	r.Logger = slog.New(slog.NewTextHandler(&log, nil))
	if _, err := r.Run(t.Context(), j); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "level=WARN msg=\"cookies: ") || !strings.Contains(log.String(), "jar.txt") || !strings.Contains(log.String(), "line 2") {
		t.Errorf("log lacks the cookies file warning naming jar.txt and line 2:\n%s", log.String())
	}
}

// TestRunSharesCookies: a run's requests share one cookie jar, so a
// session cookie a page sets goes with the download of its image (each
// of a run's Openers had a jar of its own, loaded from the file: the
// image was refused).
func TestRunSharesCookies(t *testing.T) {
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{'c'}, 50)...)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/p.html":
			http.SetCookie(w, &http.Cookie{Name: "sid", Value: "s1", Path: "/"})
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte(`<!doctype html><img src="/img/a.png">`))
		case "/img/a.png":
			if c, err := r.Cookie("sid"); err != nil || c.Value != "s1" {
				http.Error(w, "no session", http.StatusForbidden)
				return
			}
			if c, err := r.Cookie("hdr"); err != nil || c.Value != "h1" || len(r.Header["Cookie"]) != 1 {
				http.Error(w, "no header cookie in one field", http.StatusForbidden)
				return
			}
			w.Header().Set("Content-Type", "image/png")
			w.Write(png)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "jar.txt"), []byte("other.example\tFALSE\t/\tFALSE\t0\tx\t1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The header's cookie goes with the jar's, in one field.
	target := srv.URL + "/p.html"
	j := jobFile(t, dir, fmt.Sprintf("name: jar\ntargets: {urls: [%s]}\nextract: {images: true}\ncookies: {file: jar.txt, header: {env: JAR_COOKIE}}\ndownload: {dir: files}\n", target))
	r := runner(t)
	r.Getenv = func(name string) string {
		if name == "JAR_COOKIE" {
			return "hdr=h1"
		}
		return ""
	}
	rep, err := r.Run(t.Context(), j)
	if err != nil {
		t.Fatal(err)
	}
	wantStatuses(t, 1, rep, srv.URL, map[string]jobs.Status{"page /p.html": jobs.New, "image /img/a.png": jobs.New})
	for _, it := range rep.Items {
		if it.Kind == "image" {
			if got, err := os.ReadFile(filepath.Join(dir, "files", it.File)); err != nil || !bytes.Equal(got, png) {
				t.Errorf("files/%s: %v, want the image", it.File, err)
			}
		}
	}
}

// TestRunNetrcError: a malformed auth.netrc stops the run with an error
// naming the file and line, "netrc" said once.
func TestRunNetrcError(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "creds"), []byte("login u\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	j := jobFile(t, dir, "name: n\ntargets: {urls: [\"http://127.0.0.1:9/\"]}\nauth: {netrc: creds}\n")
	_, err := runner(t).Run(t.Context(), j)
	want := "auth: netrc: " + filepath.Join(dir, "creds") + ": line 1: "
	if err == nil || !strings.Contains(err.Error(), want) || strings.Count(err.Error(), "netrc:") != 1 {
		t.Errorf("Run = %v, want an error containing %q, netrc: once", err, want)
	}
}

// TestRunMaxFileBytes: a file over limits.max_file_bytes fails at once,
// asked once whatever retries allows, and a file within it is saved.
func TestRunMaxFileBytes(t *testing.T) {
	s := newSite(t)
	s.page("/p.html", 0, []string{"/small.png", "/big.png"}, nil)
	s.Set("/small.png", "image/png", bytes.Repeat([]byte("s"), 50), testserver.ETag)
	s.Set("/big.png", "image/png", bytes.Repeat([]byte("b"), 51), testserver.ETag)
	dir := t.TempDir()
	j := jobFile(t, dir, fmt.Sprintf("name: capped\ntargets: {urls: [%s/p.html]}\nextract: {images: true}\ndownload: {dir: files}\nretries: 3\nlimits: {max_file_bytes: 50}\n", s.URL))
	rep, err := runner(t).Run(t.Context(), j)
	if err != nil {
		t.Fatal(err)
	}
	wantStatuses(t, 1, rep, s.URL, map[string]jobs.Status{"page /p.html": jobs.New, "image /small.png": jobs.New, "image /big.png": jobs.Failed})
	for _, it := range rep.Items {
		if it.Kind == "image" && it.Status == jobs.Failed && !strings.Contains(it.Error, "declared 51 bytes, over the 50 allowed") {
			t.Errorf("error %q, want it to name the size and the limit", it.Error)
		}
	}
	asked := 0
	for _, q := range s.Requests() {
		if q.Path == "/big.png" {
			asked++
		}
	}
	if asked != 1 {
		t.Errorf("/big.png asked %d times, want once: the limit is not retried", asked)
	}
	if _, err := os.Stat(filepath.Join(dir, "files", "big.png")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("big.png saved: %v", err)
	}
}

// TestRunMaxItemsTargets: the targets count toward limits.max_items: those
// past it are not fetched, and the run is partial.
func TestRunMaxItemsTargets(t *testing.T) {
	s := newSite(t)
	for _, p := range []string{"/1.html", "/2.html", "/3.html"} {
		s.page(p, 0, nil, nil)
	}
	j := jobFile(t, t.TempDir(), fmt.Sprintf("name: few\ntargets: {urls: [%[1]s/1.html, %[1]s/2.html, %[1]s/3.html]}\nlimits: {max_items: 2}\n", s.URL))
	rep, err := runner(t).Run(t.Context(), j)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Run.Status != jobs.Partial || !rep.Run.Truncated {
		t.Errorf("run %v (truncated %v), want partial and truncated", rep.Run.Status, rep.Run.Truncated)
	}
	wantStatuses(t, 1, rep, s.URL, map[string]jobs.Status{"page /1.html": jobs.New, "page /2.html": jobs.New})
	for _, q := range s.Requests() {
		if q.Path == "/3.html" {
			t.Errorf("%s fetched past limits.max_items", q.Path)
		}
	}
}

// TestRunLogMasksSecrets: a failed item's URL is logged with the values
// of parameters named like secrets masked (README: no log shows them).
func TestRunLogMasksSecrets(t *testing.T) {
	s := newSite(t)
	s.Fail("/p.html", http.StatusInternalServerError)
	j := jobFile(t, t.TempDir(), fmt.Sprintf("name: secret\ntargets: {urls: [\"%s/p.html?token=SECRETTOK\"]}\nretries: 0\n", s.URL))
	var log bytes.Buffer
	r := runner(t)
	r.Logger = slog.New(slog.NewTextHandler(&log, nil))
	if _, err := r.Run(t.Context(), j); err != nil {
		t.Fatal(err)
	}
	if got := log.String(); !strings.Contains(got, "item failed") || !strings.Contains(got, "token=xxxxx") || strings.Contains(got, "SECRETTOK") {
		t.Errorf("log:\n%s\nwant the failure with token=xxxxx, never the token", got)
	}
}

// TestRunValidates: a Job built in Go is checked as a job file is: a
// wrong one is refused before anything is written, and relative paths
// resolve against its Path's directory.
func TestRunValidates(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	s := newSite(t)
	s.page("/p.html", 0, nil, nil)
	bad := []*jobs.Job{
		{},
		{Name: "../../escape", Targets: jobs.Targets{URLs: []string{s.URL + "/p.html"}}},
		{Name: "kinds", Targets: jobs.Targets{URLs: []string{s.URL + "/p.html"}}, Download: &jobs.Download{Dir: "d", Naming: "bogus"}},
	}
	for _, j := range bad {
		var ve *jobs.ValidationError
		if _, err := runner(t).Run(t.Context(), j); !errors.As(err, &ve) {
			t.Errorf("Run(%+v) = %v, want a *ValidationError", j, err)
		}
	}
	if es, _ := os.ReadDir(dir); len(es) != 0 {
		t.Errorf("refused jobs wrote %d entries", len(es))
	}
	j := &jobs.Job{Name: "built", Path: filepath.Join(dir, "jobs", "built.yaml"), Targets: jobs.Targets{URLs: []string{s.URL + "/p.html"}}}
	if _, err := runner(t).Run(t.Context(), j); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "jobs", "built-runs")); err != nil {
		t.Errorf("the reports are not beside Path: %v", err)
	}
}

// TestRunDownloadConcurrency: download.concurrency bounds the downloads
// at once, below limits.concurrency too (1 was taken as 4).
func TestRunDownloadConcurrency(t *testing.T) {
	var now, most atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/p.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, `<img src="/1.png"><img src="/2.png"><img src="/3.png"><img src="/4.png">`)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		n := now.Add(1)
		defer now.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		time.Sleep(50 * time.Millisecond)
		w.Header().Set("Content-Type", "image/png")
		io.WriteString(w, r.URL.Path)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	for _, n := range []int{1, 2} {
		most.Store(0)
		j := jobFile(t, t.TempDir(), fmt.Sprintf("name: slow\ntargets: {urls: [%s/p.html]}\nextract: {images: true}\ndownload: {dir: files, concurrency: %d}\n", srv.URL, n))
		rep, err := runner(t).Run(t.Context(), j)
		if err != nil || rep.Run.Counts.New != 5 {
			t.Fatalf("Run = %+v, %v; want 5 new", rep.Run.Counts, err)
		}
		if got := most.Load(); got != int32(n) {
			t.Errorf("download.concurrency %d: %d downloads at once", n, got)
		}
	}
}
