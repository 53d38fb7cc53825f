package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/grabhq/grab/internal/testkit"
	"github.com/grabhq/grab/testserver"
)

// countingSite is a testserver counting the requests for each path.
type countingSite struct {
	URL string
	mu  sync.Mutex
	n   map[string]int
}

func newCountingSite(t *testing.T) *countingSite {
	t.Helper()
	s := &countingSite{n: map[string]int{}}
	h := testserver.New()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.n[r.URL.Path]++
		s.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

func (s *countingSite) counts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.n)
}

// pagesOf reads JSON lines of crawl records and returns their URLs.
func pagesOf(t *testing.T, out []byte) []string {
	t.Helper()
	var urls []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var p struct {
			URL   string `json:"url"`
			Error string `json:"error"`
		}
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			// A kill -9 can cut the last line.
			continue
		}
		if p.Error != "" {
			t.Errorf("record of %s: error %s", p.URL, p.Error)
		}
		urls = append(urls, p.URL)
	}
	return urls
}

func TestCrawlCommand(t *testing.T) {
	s := newCountingSite(t)
	seed := s.URL + "/site/12/page/0.html"
	var pages []string
	for _, p := range testserver.SitePages(12) {
		pages = append(pages, s.URL+p)
	}
	slices.Sort(pages)
	inTheWay := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(inTheWay, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []runTest{
		{name: "whole site", args: []string{"crawl", "-q", "--max-crawl-delay", "1ms", seed}, code: ExitOK,
			stdout: func(got string) string {
				lines := strings.Fields(got)
				slices.Sort(lines)
				if !slices.Equal(lines, pages) {
					return fmt.Sprintf("got %q, want the 12 pages", got)
				}
				return ""
			}, stderr: empty},
		{name: "depth 0", args: []string{"crawl", "-q", "--depth", "0", seed}, code: ExitOK, stdout: equals(seed + "\n"), stderr: empty},
		{name: "no scheme is http, as wget", args: []string{"crawl", "-q", "--depth", "0", strings.TrimPrefix(seed, "http://")}, code: ExitOK, stdout: equals(seed + "\n"), stderr: empty},
		{name: "depth 0 follows the seed's redirect", args: []string{"crawl", "-q", "--no-robots", "--depth", "0", s.URL + "/redirect-to?url=" + url.QueryEscape(seed)},
			code: ExitOK, stdout: equals(s.URL + "/redirect-to?url=" + url.QueryEscape(seed) + "\n"), stderr: empty},
		{name: "json", args: []string{"crawl", "-q", "--json", "--images", "--depth", "0", "--field", "h=h1", seed}, code: ExitOK,
			stdout: contains(`"url":"`+seed+`"`, `"title":"Site 12, page 0"`, `"fields":{"h":["Page 0 of 12"]}`, `/img/0.png"`), stderr: empty},
		{name: "404 seed", args: []string{"crawl", "-q", s.URL + "/site/12/page/99.html"}, code: ExitFailure,
			stdout: empty, stderr: contains("404 Not Found")},
		{name: "robots seed", args: []string{"crawl", "-q", s.URL + "/site/12/private/1.html"}, code: ExitFailure,
			stdout: empty, stderr: contains("disallowed by robots.txt")},
		{name: "redirect to a queued URL is no failure", args: []string{"crawl", "-q", "--no-robots", "--depth", "0", seed, s.URL + "/redirect-to?url=" + url.QueryEscape(seed)},
			code: ExitOK, stdout: equals(seed + "\n"), stderr: empty},
		{name: "redirect out of scope is a warning", args: []string{"crawl", "--no-robots", "--depth", "0", s.URL + "/redirect-to?url=" + url.QueryEscape("http://127.0.0.1:1/x")},
			code: ExitOK, stdout: empty, stderr: contains("warning: "+s.URL+"/redirect-to?url=", "redirect to http://127.0.0.1:1/x: crawl: out of scope\n", "(0 failed, 1 redirects not followed)")},
		{name: "secrets masked in a failure", args: []string{"crawl", "-q", "--no-robots", s.URL + "/status/404?api_key=SECRETKEY"}, code: ExitFailure,
			stdout: empty, stderr: all(contains("api_key=xxxxx", "404 Not Found"), lacks("SECRETKEY"))},
		{name: "secrets masked in a warning", args: []string{"crawl", "--no-robots", "--depth", "0", s.URL + "/redirect-to?url=" + url.QueryEscape("http://127.0.0.1:1/x") + "&token=SECRETTOK"},
			code: ExitOK, stdout: empty, stderr: all(contains("token=xxxxx", "out of scope"), lacks("SECRETTOK"))},
		{name: "--field without --json", args: []string{"crawl", "--field", "t=title", seed}, code: ExitUsage, stdout: empty, stderr: contains("--field collects into the --json records")},
		{name: "--images without --json or --download", args: []string{"crawl", "--images", seed}, code: ExitUsage, stdout: empty, stderr: contains("--images collects into the --json records")},
		{name: "--redis-prefix without --redis", args: []string{"crawl", "--redis-prefix", "x:", seed}, code: ExitUsage, stdout: empty, stderr: contains("--redis-prefix names the keys of --redis")},
		{name: "bad scope", args: []string{"crawl", "--scope", "planet", seed}, code: ExitUsage, stdout: empty, stderr: contains(`--scope "planet"`)},
		{name: "bad regexp", args: []string{"crawl", "--deny", "(", seed}, code: ExitUsage, stdout: empty, stderr: contains(`--deny "("`)},
		// Said before the crawl: nothing crawled, nothing printed.
		{name: "download into a file", args: []string{"crawl", "--images", "--download", inTheWay, seed}, code: ExitFailure, stdout: empty,
			stderr: equals("grab: --download: mkdir " + inTheWay + ": not a directory\n")},
		{name: "download without images", args: []string{"crawl", "--download", t.TempDir(), seed}, code: ExitUsage, stdout: empty, stderr: contains("--download needs --images")},
		{name: "bad seed", args: []string{"crawl", "ftp://x/"}, code: ExitUsage, stdout: empty, stderr: contains("not an http or https URL")},
		{name: "state and redis", args: []string{"crawl", "--state", "x", "--redis", "redis://127.0.0.1:1/", seed}, code: ExitUsage, stdout: empty, stderr: contains("none of the others can be")},
		{name: "bad redis URL", args: []string{"crawl", "--redis", "redis://:s3cret@127.0.0.1:notaport/0", seed}, code: ExitUsage, stdout: empty, stderr: contains(`grab: --redis: bad Redis URL "redis://:xxxxx@127.0.0.1:notaport/0": invalid port`)},
		{name: "redis port out of range", args: []string{"crawl", "--redis", "redis://:s3cret@127.0.0.1:99999/0", seed}, code: ExitUsage, stdout: empty, stderr: contains(`grab: --redis: bad Redis URL "redis://:xxxxx@127.0.0.1:99999/0": invalid port "99999": want 1-65535`)},
		{name: "redis port 0", args: []string{"crawl", "--redis", "redis://127.0.0.1:0/0", seed}, code: ExitUsage, stdout: empty, stderr: contains(`invalid port "0"`)},
		{name: "redis password after a slash", args: []string{"crawl", "--redis", "redis://u:1234/s3cret@127.0.0.1:6379", seed}, code: ExitUsage, stdout: empty, stderr: contains("grab: --redis: bad Redis URL \"redis://u:xxxxx@127.0.0.1:6379\": want redis://[user:password@]host:port/db or rediss://...\n")},
		{name: "max per host", args: []string{"crawl", "-q", "--max-crawl-delay", "1ms", "--max-per-host", "3", seed}, code: ExitOK,
			stdout: func(got string) string {
				if n := len(strings.Fields(got)); n != 3 {
					return fmt.Sprintf("got %d pages (%q), want 3", n, got)
				}
				return ""
			}, stderr: empty},
		{name: "bad max per host", args: []string{"crawl", "--max-per-host", "-1", seed}, code: ExitUsage, stdout: empty, stderr: contains("--max-per-host -1")},
		{name: "bad field", args: []string{"crawl", "--json", "--field", "x", seed}, code: ExitUsage, stdout: empty, stderr: contains(`--field "x"`)},
		{name: "bad selector", args: []string{"crawl", "--json", "--field", "t=a[", seed}, code: ExitUsage, stdout: empty, stderr: contains(`--field "t=a["`)},
		{name: "an @ in the selector", args: []string{"crawl", "-q", "--json", "--depth", "0", "--field", `t=a[title="me@x"]@href`, "--field", `c=p:contains("@")`, seed}, code: ExitOK,
			stdout: contains(`"fields":{`), stderr: empty},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Run(t.Context(), tt.args, strings.NewReader(""), &stdout, &stderr)
			tt.verify(t, code, stdout.String(), stderr.String())
		})
	}
	if n := s.counts()["/site/12/private/1.html"]; n != 0 {
		t.Errorf("the private page was fetched %d times", n)
	}
}

func TestCrawlDownloadImages(t *testing.T) {
	s := newCountingSite(t)
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := Run(t.Context(), []string{"crawl", "-q", "--images", "--download", dir, "--depth", "0", s.URL + "/site/12/page/3.html"}, strings.NewReader(""), &stdout, &stderr)
	if code != ExitOK {
		t.Fatalf("exit %d, stderr %s", code, stderr.String())
	}
	names, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(names) != 2 {
		t.Errorf("downloaded %v, want the page's 2 images", names)
	}
}

// TestCrawlDownloadImagesReason: an image's failure quoting the server's
// reason phrase reaches stderr escaped (HOSTILE.md P2): crawl printed the
// OSC that retitles a terminal as it came.
func TestCrawlDownloadImagesReason(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/reason.png" {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, `<img src="/reason.png">`)
			return
		}
		c, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer c.Close()
		brw.WriteString("HTTP/1.1 404 Not\x1b]0;PWNED\aFound\x1b[31mRED\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
		brw.Flush()
	}))
	t.Cleanup(srv.Close)
	var stdout, stderr bytes.Buffer
	code := Run(t.Context(), []string{"crawl", "--no-robots", "--images", "--download", t.TempDir(), "--depth", "0", srv.URL + "/"}, strings.NewReader(""), &stdout, &stderr)
	if code == ExitOK || strings.ContainsAny(stderr.String(), "\x1b\a") || !strings.Contains(stderr.String(), `404 Not\x1b]0;PWNED\aFound`) {
		t.Errorf("exit %d, stderr %q; want the failure with its reason escaped", code, stderr.String())
	}
}

// TestCrawlDownloadImagesResumed: a --state crawl stopped after its first
// page downloads that page's images when it is resumed, though the page
// is not fetched again.
func TestCrawlDownloadImagesResumed(t *testing.T) {
	h := testserver.New()
	seedPath := "/site/12/page/3.html"
	var mu sync.Mutex
	var stop context.CancelFunc // set while run 1 goes: a second page stops it
	fetched := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		fetched[r.URL.Path]++
		cancel := stop
		mu.Unlock()
		if cancel != nil && strings.HasPrefix(r.URL.Path, "/site/") && r.URL.Path != seedPath {
			cancel()
			http.Error(w, "stopped", http.StatusServiceUnavailable)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	dir, state := t.TempDir(), filepath.Join(t.TempDir(), "crawl.db")
	args := []string{"crawl", "-q", "--no-robots", "--images", "--download", dir, "--state", state, "-j", "1"}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	mu.Lock()
	stop = cancel
	mu.Unlock()
	var stdout, stderr bytes.Buffer
	if code := Run(ctx, append(args, "--max-pages", "2", srv.URL+seedPath), strings.NewReader(""), &stdout, &stderr); code != ExitInterrupted {
		t.Fatalf("run 1: exit %d, stderr %s", code, stderr.String())
	}
	mu.Lock()
	stop = nil
	mu.Unlock()
	if names, _ := filepath.Glob(filepath.Join(dir, "*")); len(names) != 0 {
		t.Fatalf("run 1 downloaded %v before the crawl ended", names)
	}
	if fi, err := os.Stat(state + ".images"); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("%s.images: %v, %v; want mode 0600, as private as the state", state, fi, err)
	}
	stdout.Reset()
	stderr.Reset()
	if code := Run(t.Context(), append(args, "--max-pages", "1", srv.URL+seedPath), strings.NewReader(""), &stdout, &stderr); code != ExitOK {
		t.Fatalf("run 2: exit %d, stderr %s", code, stderr.String())
	}
	names, _ := filepath.Glob(filepath.Join(dir, "*"))
	mu.Lock()
	defer mu.Unlock()
	if len(names) != 2 || fetched[seedPath] != 1 {
		t.Errorf("run 2 downloaded %v, the seed fetched %d times; want the seed's 2 images, the seed once", names, fetched[seedPath])
	}
}

// TestCrawlSeedSpelling: -u and -b go to the seed's origin however the
// seed spells its host: they were tied to the spelling given
// ("127.0.0.1.", "[::ffff:127.0.0.1]") while the crawl fetched its
// normalized form, and nothing was sent.
func TestCrawlSeedSpelling(t *testing.T) {
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, fmt.Sprintf("%s auth=%t cookie=%q", r.URL.Path, r.Header.Get("Authorization") != "", r.Header.Get("Cookie")))
		mu.Unlock()
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<title>t</title>")
	}))
	t.Cleanup(srv.Close)
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	for _, host := range []string{"127.0.0.1.", "[::ffff:127.0.0.1]"} {
		mu.Lock()
		got = nil
		mu.Unlock()
		var stdout, stderr bytes.Buffer
		seed := "http://" + host + ":" + port + "/a"
		if code := Run(t.Context(), []string{"crawl", "-q", "--no-robots", "--max-pages", "1", "-u", "u:p", "-b", "sid=1", seed}, strings.NewReader(""), &stdout, &stderr); code != ExitOK {
			t.Fatalf("%s: exit %d, stderr %s", seed, code, stderr.String())
		}
		mu.Lock()
		if want := []string{`/a auth=true cookie="sid=1"`}; !slices.Equal(got, want) {
			t.Errorf("%s: requests %q, want %q", seed, got, want)
		}
		mu.Unlock()
	}
}

// TestCrawlSeedUserinfo: a seed's own user:password is its origin's
// login, with or without --basic, its host spelled either way.
func TestCrawlSeedUserinfo(t *testing.T) {
	base := getServer(t)
	for _, args := range [][]string{
		{"crawl", "-q", "--max-pages", "1", strings.Replace(base, "http://", "http://u:p@", 1) + "/basic-auth/u/p"},
		{"crawl", "-q", "--max-pages", "1", "--basic", strings.Replace(base, "http://", "http://u:p@", 1) + "/basic-auth/u/p"},
		{"crawl", "-q", "--max-pages", "1", strings.Replace(base, "http://127.0.0.1", "http://u:p@127.0.0.1.", 1) + "/basic-auth/u/p"},
	} {
		var stdout, stderr bytes.Buffer
		if code := Run(t.Context(), args, strings.NewReader(""), &stdout, &stderr); code != ExitOK {
			t.Errorf("%q: exit %d, stderr %s", args, code, stderr.String())
		}
	}
}

// TestCrawlLiteralCookies: -b 'NAME=VALUE' goes to every path of the
// seed's origin, robots.txt included, as given, with the jar's cookies in
// one field, and -c does not save it.
func TestCrawlLiteralCookies(t *testing.T) {
	var mu sync.Mutex
	got := map[string][]string{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got[r.URL.Path] = r.Header["Cookie"]
		mu.Unlock()
		switch r.URL.Path {
		case "/dir/seed.html":
			http.SetCookie(w, &http.Cookie{Name: "set", Value: "1", Path: "/"})
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, `<a href="/other/page.html">x</a>`)
		case "/other/page.html":
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, "<p>page</p>")
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	jar := filepath.Join(t.TempDir(), "jar.txt")
	var stdout, stderr bytes.Buffer
	code := Run(t.Context(), []string{"crawl", "-q", "--max-crawl-delay", "0", "-j", "1", "-b", "sid=abc", "-b", "__Host-h=x y", "-c", jar, srv.URL + "/dir/seed.html"},
		strings.NewReader(""), &stdout, &stderr)
	if code != ExitOK {
		t.Fatalf("exit %d, stderr %s", code, stderr.String())
	}
	mu.Lock()
	defer mu.Unlock()
	for path, want := range map[string]string{"/robots.txt": "sid=abc; __Host-h=x y", "/dir/seed.html": "sid=abc; __Host-h=x y", "/other/page.html": "set=1; sid=abc; __Host-h=x y"} {
		if c := got[path]; len(c) != 1 || c[0] != want {
			t.Errorf("%s: Cookie %q, want %q", path, c, want)
		}
	}
	if b, err := os.ReadFile(jar); err != nil || bytes.Contains(b, []byte("sid")) || !bytes.Contains(b, []byte("set")) {
		t.Errorf("-c saved %q (%v), want the server's cookie only", b, err)
	}
}

// buildGrab builds the grab binary into a temporary directory.
func buildGrab(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "grab")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/grabhq/grab/cmd/grab").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// fullWriter takes whole writes until max bytes, then refuses every one,
// as a full disk does.
type fullWriter struct {
	bytes.Buffer
	max int
}

func (w *fullWriter) Write(p []byte) (int, error) {
	if w.Len()+len(p) > w.max {
		return 0, errors.New("no space left on device")
	}
	return w.Buffer.Write(p)
}

// WriteString is Write's: not the Buffer's, which knows no max.
func (w *fullWriter) WriteString(s string) (int, error) { return w.Write([]byte(s)) }

// TestCrawlRecordsFull: with --state, a record that cannot be written stops
// the crawl (exit 1, the error named), and the crawl resumed later writes
// it: every page once over the two runs, none lost.
func TestCrawlRecordsFull(t *testing.T) {
	s := newCountingSite(t)
	state := filepath.Join(t.TempDir(), "crawl.db")
	args := []string{"crawl", "-q", "--json", "-j", "1", "--depth", "-1", "--max-crawl-delay", "0", "--state", state, s.URL + "/site/10/page/0.html"}
	full := &fullWriter{max: 1500}
	var stderr syncBuffer
	if code := Run(t.Context(), args, strings.NewReader(""), full, &stderr); code != ExitFailure || !strings.Contains(stderr.String(), "no space left on device") {
		t.Fatalf("onto a full disk: exit %d, stderr %q; want %d and the error", code, stderr.String(), ExitFailure)
	}
	first := pagesOf(t, full.Bytes())
	if len(first) == 0 || len(first) >= 10 {
		t.Fatalf("%d records before the disk was full, want some", len(first))
	}
	var stdout syncBuffer
	if code := Run(t.Context(), args, strings.NewReader(""), &stdout, &stderr); code != ExitOK {
		t.Fatalf("resumed: exit %d: %s", code, stderr.String())
	}
	counts := map[string]int{}
	for _, u := range append(first, pagesOf(t, []byte(stdout.String()))...) {
		counts[u]++
	}
	if len(counts) != 10 {
		t.Errorf("%d pages recorded over both runs, want 10: %v", len(counts), counts)
	}
	for u, n := range counts {
		if n != 1 {
			t.Errorf("%s recorded %d times", u, n)
		}
	}
}

// TestCrawlResumeKill9 stops a grab crawl --state with kill -9 (twice) and
// with Ctrl-C, runs it again each time, and checks that every page was
// crawled, a finished page was never fetched again, and only pages in
// flight at a kill -9 (at most -j of them) were fetched twice.
func TestCrawlResumeKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds grab")
	}
	bin := buildGrab(t)
	s := newCountingSite(t)
	const n, par = 60, 2
	state := filepath.Join(t.TempDir(), "crawl.db")
	// Crawl-delay 1 is capped at 25ms: about 40 pages a second.
	args := []string{"crawl", "-q", "--json", "-j", fmt.Sprint(par), "--per-host", "1", "--depth", "-1", "--max-crawl-delay", "25ms",
		"--state", state, s.URL + "/site/60/page/0.html"}
	var records []string
	kills := 0
	for round, stop := range []syscall.Signal{syscall.SIGKILL, syscall.SIGINT, syscall.SIGKILL, 0, 0} {
		cmd := exec.Command(bin, args...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		var err error
		if stop != 0 {
			select {
			case err = <-exited:
			case <-time.After(300 * time.Millisecond):
				cmd.Process.Signal(stop)
				select {
				case err = <-exited:
				case <-time.After(20 * time.Second):
					cmd.Process.Kill()
					<-exited
					t.Fatalf("round %d: grab crawl did not stop after %v", round, stop)
				}
				if stop == syscall.SIGKILL {
					kills++
				}
			}
		} else {
			select {
			case err = <-exited:
			case <-time.After(60 * time.Second):
				cmd.Process.Kill()
				<-exited
				t.Fatalf("round %d: grab crawl did not finish", round)
			}
			if err != nil {
				t.Fatalf("round %d: %v\n%s", round, err, stderr.String())
			}
		}
		got := pagesOf(t, stdout.Bytes())
		t.Logf("round %d (%v): %d records, %v", round, stop, len(got), err)
		records = append(records, got...)
	}
	counts := map[string]int{}
	for _, r := range records {
		counts[strings.TrimPrefix(r, s.URL)]++
	}
	dupRecords := 0
	for _, p := range testserver.SitePages(n) {
		switch c := counts[p]; {
		case c == 0:
			t.Errorf("%s never recorded", p)
		case c > 1:
			dupRecords += c - 1
		}
	}
	fetches := s.counts()
	dupFetches := 0
	for _, p := range testserver.SitePages(n) {
		if c := fetches[p]; c > 1 {
			dupFetches += c - 1
		}
	}
	if limit := kills * par; dupFetches > limit || dupRecords > limit {
		t.Errorf("%d pages fetched again and %d recorded again after %d kill -9 with -j %d; want at most %d", dupFetches, dupRecords, kills, par, limit)
	}
	if len(records) < n {
		t.Errorf("%d records, want at least %d", len(records), n)
	}
}

// TestCrawlRedisTwoProcesses runs two grab crawl processes on one
// 2,000-page site through one Redis: together they record every page,
// and no page is fetched twice.
func TestCrawlRedisTwoProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds grab")
	}
	redisURL := testkit.StartRedis(t)
	bin := buildGrab(t)
	s := newCountingSite(t)
	const n = 2000
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	outs := make([]bytes.Buffer, 2)
	errs := make([]bytes.Buffer, 2)
	var wg sync.WaitGroup
	for i := range 2 {
		cmd := exec.CommandContext(ctx, bin, "crawl", "-q", "--json", "-j", "4", "--per-host", "4", "--depth", "-1",
			"--max-crawl-delay", "0", "--redis", redisURL, "--redis-prefix", "t2:", s.URL+"/site/2000/page/0.html")
		cmd.Stdout, cmd.Stderr = &outs[i], &errs[i]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := cmd.Wait(); err != nil {
				t.Errorf("process %d: %v\n%s", i, err, errs[i].String())
			}
		}()
	}
	wg.Wait()
	seen := map[string]int{}
	for i := range 2 {
		got := pagesOf(t, outs[i].Bytes())
		t.Logf("process %d: %d pages", i, len(got))
		if len(got) == 0 {
			t.Errorf("process %d crawled nothing", i)
		}
		for _, u := range got {
			seen[strings.TrimPrefix(u, s.URL)]++
		}
	}
	fetches := s.counts()
	for _, p := range testserver.SitePages(n) {
		if seen[p] != 1 {
			t.Errorf("%s recorded %d times, want once", p, seen[p])
		}
		if fetches[p] != 1 {
			t.Errorf("%s fetched %d times, want once", p, fetches[p])
		}
	}
	if len(seen) != n {
		t.Errorf("%d distinct pages recorded, want %d", len(seen), n)
	}
}

// TestCrawlInterruptedSavesJar: grab crawl -c JAR stopped (Ctrl-C, as a
// --state crawl is meant to be) saves the cookies gathered so far, as
// grab get saves them when its transfer fails.
func TestCrawlInterruptedSavesJar(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		switch r.URL.Path {
		case "/":
			http.SetCookie(w, &http.Cookie{Name: "sid", Value: "login1", MaxAge: 3600})
			fmt.Fprint(w, `<a href="/slow">s</a>`)
		case "/slow":
			cancel()
			<-r.Context().Done() // the crawl's grace ends it
		}
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	jar := filepath.Join(dir, "jar.txt")
	var stdout, stderr syncBuffer
	code := Run(ctx, []string{"crawl", "-q", "--state", filepath.Join(dir, "state.db"), "-c", jar, srv.URL + "/"}, strings.NewReader(""), &stdout, &stderr)
	b, err := os.ReadFile(jar)
	if code != ExitInterrupted || err != nil || !strings.Contains(string(b), "login1") {
		t.Errorf("exit %d, stderr %q; jar after the interrupt: %q, %v", code, stderr.String(), b, err)
	}
}

// TestSeedPorts: --public-only allows the seeds' own ports, read in
// decimal whatever their leading zeros (fmt.Sscan read them as octal).
func TestSeedPorts(t *testing.T) {
	got := seedPorts([]string{"http://h:034567/", "http://h:08080/x", "http://h/", "https://u:p@h:443/"})
	if want := []int{34567, 8080, 443}; !slices.Equal(got, want) {
		t.Errorf("seedPorts = %v, want %v", got, want)
	}
}
