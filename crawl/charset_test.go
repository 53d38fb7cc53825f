package crawl_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/grabhq/grab/crawl"
)

// TestCharset checks that a page is decoded once, by its own charset (BOM,
// Content-Type, <meta>), before its title and links are read: colly must
// not decode (or repair) the body first.
func TestCharset(t *testing.T) {
	pages := map[string]struct{ ct, body string }{
		"/utf8":      {"text/html; charset=utf-8", "<title>Caf\u00e9</title><a href=/latin1>x</a><a href=/meta>x</a><a href=/bom16>x</a><a href=/bom8>x</a><a href=/none>x</a><a href=/badutf8>x</a>"},
		"/latin1":    {"text/html; charset=iso-8859-1", "<title>Caf\xe9</title><a href=/l1-\xe9>x</a>"},
		"/meta":      {"text/html", "<meta charset=windows-1252><title>\x93Caf\xe9\x94</title>"},
		"/bom16":     {"text/html; charset=iso-8859-1", "\xff\xfe<\x00t\x00i\x00t\x00l\x00e\x00>\x00C\x00a\x00f\x00\xe9\x00<\x00/\x00t\x00i\x00t\x00l\x00e\x00>\x00"},
		"/bom8":      {"text/html; charset=iso-8859-1", "\xef\xbb\xbf<title>Caf\xc3\xa9</title>"},
		"/none":      {"", "<title>Caf\xc3\xa9</title>"},
		"/badutf8":   {"text/html; charset=utf-8", "<title>Caf\xc3\xa9 \xff</title>"},
		"/l1-%C3%A9": {"text/html; charset=utf-8", "<title>linked</title>"},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := pages[r.URL.EscapedPath()]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if p.ct != "" {
			w.Header().Set("Content-Type", p.ct)
		} else {
			w.Header()["Content-Type"] = nil
		}
		w.Write([]byte(p.body))
	}))
	t.Cleanup(srv.Close)
	rec := &records{}
	cr := &crawl.Crawler{IgnoreRobots: true, OnPage: rec.add}
	if _, err := cr.Run(t.Context(), srv.URL+"/utf8"); err != nil {
		t.Fatalf("Run: %v", err)
	}
	want := map[string]string{
		"/utf8":      "Caf\u00e9",
		"/latin1":    "Caf\u00e9",
		"/meta":      "\u201cCaf\u00e9\u201d",
		"/bom16":     "Caf\u00e9",
		"/bom8":      "Caf\u00e9",
		"/none":      "Caf\u00e9",
		"/badutf8":   "Caf\u00e9 \ufffd",
		"/l1-%C3%A9": "linked",
	}
	for path, title := range want {
		p, ok := rec.find(srv.URL + path)
		if !ok {
			t.Errorf("%s: no record", path)
			continue
		}
		if p.Err != nil || p.Title != title {
			t.Errorf("%s: Title = %q, Err = %v; want %q", path, p.Title, p.Err, title)
		}
	}
}

// TestPageTimeout checks that PageTimeout bounds a page whose head or
// body is late: the page is recorded with a timeout error and the crawl
// goes on.
func TestPageTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, `<a href="/head">h</a><a href="/body">b</a><a href="/redirect">r</a><a href="/ok">o</a>`)
			return
		case "/redirect":
			time.Sleep(150 * time.Millisecond) // the page's deadline spans its hops
			http.Redirect(w, r, "/hang", http.StatusFound)
			return
		case "/ok":
			fmt.Fprint(w, "<title>ok</title>")
			return
		case "/body":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<title>late</title>")
			w.(http.Flusher).Flush()
		}
		select { // /head, /hang, and the rest of /body
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	t.Cleanup(srv.Close)
	rec := &records{}
	cr := &crawl.Crawler{IgnoreRobots: true, PageTimeout: 300 * time.Millisecond, OnPage: rec.add}
	start := time.Now()
	if _, err := cr.Run(t.Context(), srv.URL+"/"); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Run took %v, want well under the server's 5s", d)
	}
	for _, path := range []string{"/head", "/body", "/redirect"} {
		p, ok := rec.find(srv.URL + path)
		if !ok {
			t.Errorf("%s: no record", path)
			continue
		}
		var ne interface{ Timeout() bool }
		if !errors.Is(p.Err, context.DeadlineExceeded) && !(errors.As(p.Err, &ne) && ne.Timeout()) {
			t.Errorf("%s: Err = %v, want a timeout", path, p.Err)
		}
	}
	if p, ok := rec.find(srv.URL + "/ok"); !ok || p.Err != nil || p.Title != "ok" {
		t.Errorf("/ok: %+v, want fetched", p)
	}
}
