package download_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/grabhq/grab/download"
	"github.com/grabhq/grab/fetch"
	"github.com/grabhq/grab/internal/testkit"
	"github.com/grabhq/grab/testserver"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// client returns a Client with short waits, its connections closed at the
// end of the test.
func client(t *testing.T) *download.Client {
	t.Helper()
	o := new(fetch.Opener)
	t.Cleanup(o.CloseIdleConnections)
	return &download.Client{Opener: o, RetryWait: 10 * time.Millisecond, Stall: 2 * time.Second}
}

// wantFile checks that the file at path holds want.
func wantFile(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("final file: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: %d bytes (sha256 %s), want %d bytes (sha256 %s)", path, len(got), testkit.SHA256(got)[:12], len(want), testkit.SHA256(want)[:12])
	}
}

// hashModes runs a table case twice as parallel subtests, with a client
// that hashes (the body read through memory) and one that does not (moved
// by splice from the socket to the file on Linux).
func hashModes(t *testing.T, name string, f func(t *testing.T, c *download.Client, noHash bool)) {
	for _, noHash := range []bool{false, true} {
		t.Run(fmt.Sprintf("%s/nohash=%v", name, noHash), func(t *testing.T) {
			t.Parallel()
			c := client(t)
			c.NoHash = noHash
			f(t, c, noHash)
		})
	}
}

func TestDoMany(t *testing.T) {
	base := testkit.DownloadServer(t)
	dir := t.TempDir()
	var urls []string
	for i := range 20 {
		urls = append(urls, fmt.Sprintf("%s/dl/%d/f%02d.bin", base, 1000+i*997, i))
	}
	var events sync.Map
	c := client(t)
	c.Concurrency = 4
	c.Progress = func(e download.Event) {
		v, _ := events.LoadOrStore(e.Kind, new(atomic.Int64))
		v.(*atomic.Int64).Add(1)
	}
	res, err := c.Do(t.Context(), download.Into(dir, urls...)...)
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	for i, r := range res {
		size := int64(1000 + i*997)
		want := testkit.DownloadContent(t, fmt.Sprintf("f%02d.bin", i), "", size)
		if r.Outcome != download.Downloaded || r.Size != size || r.SHA256 != testkit.SHA256(want) || r.Attempts != 1 {
			t.Errorf("result %d = %+v, want downloaded, %d bytes, sha256 %s, 1 attempt", i, r, size, testkit.SHA256(want))
		}
		if r.Path != filepath.Join(dir, fmt.Sprintf("f%02d.bin", i)) {
			t.Errorf("result %d path %q", i, r.Path)
		}
		wantFile(t, r.Path, want)
	}
	if got := len(testkit.DirNames(t, dir)); got != 20 {
		t.Errorf("dir holds %d entries, want 20 (no part or sidecar left): %v", got, testkit.DirNames(t, dir))
	}
	for _, k := range []download.EventKind{download.Queued, download.Started, download.Bytes, download.Finished} {
		v, ok := events.Load(k)
		if !ok || v.(*atomic.Int64).Load() < 20 {
			t.Errorf("events %v: fewer than 20", k)
		}
	}
}

// TestFaults runs the hostile servers of HOSTILE.md E1, E2, G2, G3, G7 and
// L7 through a download and checks the final file is the source, byte for
// byte, or that there is no final file.
func TestFaults(t *testing.T) {
	base := testkit.DownloadServer(t)
	const size = 300000
	plain := testkit.DownloadContent(t, "x.bin", "", size)
	// A cut after which versions "~1" and "~2" hold the same byte: a range
	// of "~2" resuming there passes the overlap check, and only its
	// validator tells it from "~1".
	v1, v2 := testkit.DownloadContent(t, "x.bin", "~1", size), testkit.DownloadContent(t, "x.bin", "~2", size)
	same := 100000
	for v1[same-1] != v2[same-1] {
		same++
	}
	tests := []struct {
		name     string
		query    string // on /dl/300000/x.bin
		setup    func(c *download.Client)
		outcome  download.Outcome
		attempts int
		want     func(t *testing.T) []byte // nil: plain
		errIs    error
		errText  string // in the error of a failure
	}{
		{name: "E1 drop mid-body then resume", query: "mode=drop&after=100000", outcome: download.Resumed, attempts: 2},
		{name: "G3 drop at byte 0", query: "mode=drop&after=0", outcome: download.Downloaded, attempts: 2},
		{name: "drop twice", query: "mode=drop&after=50000&fail=2", outcome: download.Resumed, attempts: 3},
		{name: "L7 server ignores Range", query: "mode=drop,norange&after=100000", outcome: download.Downloaded, attempts: 2},
		{name: "L7 validator changes between attempts", query: "mode=drop&after=100000&change=1", outcome: download.Downloaded, attempts: 2,
			want: func(t *testing.T) []byte { return testkit.DownloadContent(t, "x.bin", "~2", size) }},
		{name: "L7 If-Range ignored, a range of a new version", query: fmt.Sprintf("mode=drop,noifrange&after=%d&change=1", same), outcome: download.Downloaded, attempts: 3,
			want: func(t *testing.T) []byte { return testkit.DownloadContent(t, "x.bin", "~3", size) }},
		{name: "resume by Last-Modified", query: "mode=drop&after=100000&etag=0", outcome: download.Resumed, attempts: 2},
		{name: "weak ETag falls back on Last-Modified", query: "mode=drop&after=100000&weak=1", outcome: download.Resumed, attempts: 2},
		{name: "no validator: restart", query: "mode=drop&after=100000&etag=0&lastmod=0", outcome: download.Resumed, attempts: 2},
		{name: "G7 503 with Retry-After", query: "mode=status&status=503&retry-after=1", outcome: download.Downloaded, attempts: 2},
		{name: "G7 429 with Retry-After", query: "mode=status&status=429&retry-after=1", outcome: download.Downloaded, attempts: 2},
		{name: "G7 Retry-After past MaxRetryWait gives up", query: "mode=status&status=503&retry-after=999999999",
			setup: func(c *download.Client) { c.MaxRetryWait = time.Second }, outcome: download.Failed, attempts: 1, errText: "503 Service Unavailable (the server asks to retry after "},
		{name: "G2 stall mid-body", query: "mode=stall&after=100000&for=3s",
			setup: func(c *download.Client) { c.Stall = 300 * time.Millisecond }, outcome: download.Resumed, attempts: 2},
		{name: "retries spent", query: "mode=drop&after=1000&fail=0",
			setup: func(c *download.Client) { c.Retries = 2 }, outcome: download.Failed, attempts: 3},
		// Past the cap the backoff's jitter is capped too: it went over
		// MaxRetryWait about half the time, and gave up early.
		{name: "every retry under the wait cap", query: "mode=status&status=503&retry-after=0&fail=0",
			setup: func(c *download.Client) {
				c.Retries, c.RetryWait, c.MaxRetryWait = 12, time.Millisecond, 4*time.Millisecond
			},
			outcome: download.Failed, attempts: 13, errText: "503"},
	}
	for k, tt := range tests {
		hashModes(t, tt.name, func(t *testing.T, c *download.Client, noHash bool) {
			dir := t.TempDir()
			if tt.setup != nil {
				tt.setup(c)
			}
			u := fmt.Sprintf("%s/dl/%d/x.bin?key=faults%d-%v&%s", base, size, k, noHash, tt.query)
			res, err := c.Do(t.Context(), download.Request{URL: u, Dir: dir})
			r := res[0]
			if r.Outcome != tt.outcome || r.Attempts != tt.attempts {
				t.Fatalf("Do = %v after %d attempts (err %v), want %v after %d", r.Outcome, r.Attempts, r.Err, tt.outcome, tt.attempts)
			}
			final := filepath.Join(dir, "x.bin")
			if tt.outcome == download.Failed {
				if err == nil || r.Err == nil {
					t.Fatal("Do failed without an error")
				}
				if !strings.Contains(r.Err.Error(), tt.errText) {
					t.Errorf("error %q, want it to say %q", r.Err, tt.errText)
				}
				if _, err := os.Lstat(final); !errors.Is(err, os.ErrNotExist) {
					t.Fatalf("a failed download left %s: %v", final, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			want := plain
			if tt.want != nil {
				want = tt.want(t)
			}
			wantFile(t, final, want)
			wantSum := testkit.SHA256(want)
			if noHash {
				wantSum = ""
			}
			if r.SHA256 != wantSum || r.Size != size {
				t.Errorf("result sha256 %q size %d, want %q %d", r.SHA256, r.Size, wantSum, size)
			}
			if got := testkit.DirNames(t, dir); !slices.Equal(got, []string{"x.bin"}) {
				t.Errorf("dir holds %q, want only x.bin", got)
			}
		})
	}
}

// TestSmallAnonymous checks small files (64 KiB at most), written to an
// anonymous file and linked under their name when complete: a cut leaves
// nothing (no part, no sidecar) and the retry starts again; the file gets
// the server's Last-Modified.
func TestSmallAnonymous(t *testing.T) {
	base := testkit.DownloadServer(t)
	const size = 40000
	for _, tt := range []struct {
		name     string
		retries  int
		outcome  download.Outcome
		attempts int
		left     []string
	}{
		{"cut then restarted", 0, download.Downloaded, 2, []string{"s.bin"}},
		{"cut, no retry", -1, download.Failed, 1, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			c := client(t)
			c.Retries = tt.retries
			u := fmt.Sprintf("%s/dl/%d/s.bin?key=small-%d&mode=drop&after=10000", base, size, tt.retries)
			res, _ := c.Do(t.Context(), download.Request{URL: u, Dir: dir})
			if r := res[0]; r.Outcome != tt.outcome || r.Attempts != tt.attempts {
				t.Fatalf("Do = %v after %d attempts (err %v), want %v after %d", r.Outcome, r.Attempts, r.Err, tt.outcome, tt.attempts)
			}
			left := tt.left
			if runtime.GOOS != "linux" && tt.outcome == download.Failed {
				left = []string{"s.bin.part", "s.bin.part.json"} // no anonymous files
			}
			if got := testkit.DirNames(t, dir); !slices.Equal(got, left) {
				t.Fatalf("dir holds %q, want %q", got, left)
			}
			if tt.outcome != download.Downloaded {
				return
			}
			wantFile(t, filepath.Join(dir, "s.bin"), testkit.DownloadContent(t, "s.bin", "", size))
			if res[0].SHA256 != testkit.SHA256(testkit.DownloadContent(t, "s.bin", "", size)) {
				t.Errorf("result sha256 %s", res[0].SHA256)
			}
			fi, err := os.Stat(filepath.Join(dir, "s.bin"))
			if err != nil || fi.ModTime().Year() != 2024 {
				t.Errorf("s.bin modified %v (%v), want the server's Last-Modified in 2024", fi.ModTime(), err)
			}
		})
	}
}

// TestResumeAcrossRuns leaves a partial file and its sidecar with one Do
// and completes it with another (HOSTILE.md L6, E1).
func TestResumeAcrossRuns(t *testing.T) {
	base := testkit.DownloadServer(t)
	dir := t.TempDir()
	u := base + "/dl/200000/r.bin?key=across&mode=drop&after=70000&token=s3cret"
	c := client(t)
	c.Retries = -1
	res, err := c.Do(t.Context(), download.Request{URL: u, Dir: dir})
	if err == nil || res[0].Outcome != download.Failed {
		t.Fatalf("first Do = %v, %v; want a failure", res[0].Outcome, err)
	}
	if got := testkit.DirNames(t, dir); !slices.Equal(got, []string{"r.bin.part", "r.bin.part.json"}) {
		t.Fatalf("after a cut: %q, want the part and its sidecar", got)
	}
	if fi, _ := os.Stat(filepath.Join(dir, "r.bin.part")); fi.Size() != 70000 {
		t.Fatalf("part holds %d bytes, want 70000", fi.Size())
	}
	side, _ := os.ReadFile(filepath.Join(dir, "r.bin.part.json"))
	if bytes.Contains(side, []byte("s3cret")) || !bytes.Contains(side, []byte(`"etag"`)) {
		t.Errorf("sidecar %s: want validators and no query token (L11)", side)
	}
	res, err = c.Do(t.Context(), download.Request{URL: u, Dir: dir})
	if err != nil || res[0].Outcome != download.Resumed {
		t.Fatalf("second Do = %v, %v; want resumed", res[0].Outcome, err)
	}
	wantFile(t, filepath.Join(dir, "r.bin"), testkit.DownloadContent(t, "r.bin", "", 200000))
	if got := testkit.DirNames(t, dir); !slices.Equal(got, []string{"r.bin"}) {
		t.Errorf("dir holds %q", got)
	}

	// A part that already holds every byte completes with a one-byte check.
	c.Retries = 0
	os.Rename(filepath.Join(dir, "r.bin"), filepath.Join(dir, "r.bin.part"))
	os.WriteFile(filepath.Join(dir, "r.bin.part.json"), side, 0o644)
	res, err = c.Do(t.Context(), download.Request{URL: u, Dir: dir})
	if err != nil || res[0].Outcome != download.Resumed {
		t.Fatalf("complete part: Do = %v, %v; want resumed", res[0].Outcome, err)
	}
	wantFile(t, filepath.Join(dir, "r.bin"), testkit.DownloadContent(t, "r.bin", "", 200000))

	// A corrupted part (its last byte changed) is detected by the overlap
	// byte and restarted, never spliced.
	os.Rename(filepath.Join(dir, "r.bin"), filepath.Join(dir, "r.bin.part"))
	b, _ := os.ReadFile(filepath.Join(dir, "r.bin.part"))
	b = b[:90000]
	b[len(b)-1] ^= 0xff
	os.WriteFile(filepath.Join(dir, "r.bin.part"), b, 0o644)
	os.WriteFile(filepath.Join(dir, "r.bin.part.json"), side, 0o644)
	res, err = c.Do(t.Context(), download.Request{URL: u, Dir: dir})
	if err != nil || res[0].Outcome != download.Downloaded {
		t.Fatalf("corrupt part: Do = %v, %v; want downloaded from zero", res[0].Outcome, err)
	}
	wantFile(t, filepath.Join(dir, "r.bin"), testkit.DownloadContent(t, "r.bin", "", 200000))
}

// TestLengths covers bodies that lie about their length (HOSTILE.md E1,
// E2): never a short success.
func TestLengths(t *testing.T) {
	base := testkit.DownloadServer(t)
	full := make([]byte, 2048)
	for i := range full {
		full[i] = byte('a' + i%26)
	}
	raw := func(head string, body []byte) string {
		return "/fault/raw?b64=" + base64.URLEncoding.EncodeToString(append([]byte(head+"\r\n"), body...))
	}
	tests := []struct {
		name    string
		url     string
		setup   func(c *download.Client, r *download.Request)
		outcome download.Outcome
		unknown bool
		errIs   error
	}{
		{name: "206 of the whole file unasked is a 200", url: raw("HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-2047/2048\r\nContent-Length: 2048\r\n", full),
			setup: func(c *download.Client, r *download.Request) { r.Checksum = "sha256=" + testkit.SHA256(full) }, outcome: download.Downloaded},
		{name: "206 of a part unasked fails", url: raw("HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-1023/2048\r\nContent-Length: 1024\r\n", full[:1024]),
			outcome: download.Failed, errIs: download.ErrUnaskedRange},
		{name: "E1 lying Content-Length", url: "/fault/lie?length=2000&actual=1000", outcome: download.Failed, errIs: io.ErrUnexpectedEOF},
		{name: "E2 close-delimited cut is flagged", url: "/fault/cut?size=2048&send=1024", outcome: download.Downloaded, unknown: true},
		{name: "E2 with RequireLength fails", url: "/fault/cut?size=2048&send=1024",
			setup: func(c *download.Client, r *download.Request) { c.RequireLength = true }, outcome: download.Failed, unknown: true, errIs: download.ErrLengthUnknown},
		{name: "E2 checksum catches the cut (L8)", url: "/fault/cut?size=2048&send=1024",
			setup: func(c *download.Client, r *download.Request) { r.Checksum = "sha256=" + testkit.SHA256(full) }, outcome: download.Failed, errIs: download.ErrChecksum},
		{name: "E2 complete close-delimited body verified by checksum", url: "/fault/cut?size=2048&send=2048",
			setup: func(c *download.Client, r *download.Request) { r.Checksum = "sha256=" + testkit.SHA256(full) }, outcome: download.Downloaded},
		{name: "chunked body cut", url: "/fault/cut-chunked?send=1000", outcome: download.Failed, errIs: io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		hashModes(t, tt.name, func(t *testing.T, c *download.Client, _ bool) {
			dir := t.TempDir()
			c.Retries = 1
			r := download.Request{URL: base + tt.url, Dir: dir, Name: "f"}
			if tt.setup != nil {
				tt.setup(c, &r)
			}
			res, _ := c.Do(t.Context(), r)
			got := res[0]
			if got.Outcome != tt.outcome || got.LengthUnknown != tt.unknown {
				t.Fatalf("Do = %v (length unknown %v, err %v), want %v (%v)", got.Outcome, got.LengthUnknown, got.Err, tt.outcome, tt.unknown)
			}
			if tt.errIs != nil && !errors.Is(got.Err, tt.errIs) {
				t.Errorf("err = %v, want %v", got.Err, tt.errIs)
			}
			_, err := os.Lstat(filepath.Join(dir, "f"))
			if final := err == nil; final != (tt.outcome != download.Failed) {
				t.Errorf("final file present = %v, want %v", final, !final)
			}
			if errors.Is(tt.errIs, download.ErrChecksum) {
				if got := testkit.DirNames(t, dir); len(got) != 0 {
					t.Errorf("after a checksum mismatch the dir holds %q, want nothing (L8)", got)
				}
			}
		})
	}
}

func TestPolicies(t *testing.T) {
	base := testkit.DownloadServer(t)
	want := testkit.DownloadContent(t, "p.bin", "", 5000)
	u := base + "/dl/5000/p.bin"
	resp, err := http.Head(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	serverDate, _ := http.ParseTime(resp.Header.Get("Last-Modified"))
	old := []byte("an older copy")
	// existing writes old as name in a new directory, dated the server's
	// Last-Modified when current, else long before it.
	existing := func(t *testing.T, name string, current bool) (dir, path string) {
		dir = t.TempDir()
		path = filepath.Join(dir, name)
		os.WriteFile(path, old, 0o644)
		date := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
		if current {
			date = serverDate
		}
		os.Chtimes(path, date, date)
		return dir, path
	}
	tests := []struct {
		policy  download.Policy
		outcome download.Outcome
		files   []string
		pFile   []byte // what p.bin holds after
		update  bool   // the existing file has the server's Last-Modified, else a date before it
	}{
		{download.Update, download.Downloaded, []string{"p.bin"}, want, false},
		{download.Update, download.NotModified, []string{"p.bin"}, old, true},
		{download.Skip, download.Skipped, []string{"p.bin"}, old, false},
		{download.Overwrite, download.Downloaded, []string{"p.bin"}, want, true},
		{download.Number, download.Downloaded, []string{"p (1).bin", "p.bin"}, old, false},
	}
	for _, tt := range tests {
		// Names from the header (here the URL's name again): the policy
		// applies once the answer's head is in, with the same outcomes.
		for _, names := range []download.NameSource{download.FromURL, download.FromHeader} {
			t.Run(fmt.Sprintf("%v/current=%v/names=%d", tt.policy, tt.update, names), func(t *testing.T) {
				dir, p := existing(t, "p.bin", tt.update)
				c := client(t)
				c.IfExists, c.Names = tt.policy, names
				res, err := c.Do(t.Context(), download.Request{URL: u + "?filename=p.bin", Dir: dir})
				if err != nil || res[0].Outcome != tt.outcome {
					t.Fatalf("Do = %v, %v; want %v", res[0].Outcome, err, tt.outcome)
				}
				if got := testkit.DirNames(t, dir); !slices.Equal(got, tt.files) {
					t.Errorf("dir holds %q, want %q", got, tt.files)
				}
				wantFile(t, p, tt.pFile)
				if tt.policy == download.Number {
					wantFile(t, filepath.Join(dir, "p (1).bin"), want)
				}
			})
		}
	}
	t.Run("header names an existing file", func(t *testing.T) {
		for _, tc := range []struct {
			policy  download.Policy
			current bool
			outcome download.Outcome
			kept    bool
		}{
			{download.Skip, false, download.Skipped, true},
			{download.Update, true, download.NotModified, true},
			{download.Update, false, download.Downloaded, false},
		} {
			dir, h := existing(t, "h.bin", tc.current)
			c := client(t)
			c.IfExists, c.Names = tc.policy, download.FromHeader
			res, err := c.Do(t.Context(), download.Request{URL: u + "?filename=h.bin", Dir: dir})
			if err != nil || res[0].Outcome != tc.outcome || res[0].Path != h {
				t.Fatalf("%v: Do = %v %s, %v; want %v %s", tc.policy, res[0].Outcome, res[0].Path, err, tc.outcome, h)
			}
			if tc.kept {
				wantFile(t, h, old)
			} else {
				wantFile(t, h, want)
			}
			if got := testkit.DirNames(t, dir); !slices.Equal(got, []string{"h.bin"}) {
				t.Errorf("%v: dir holds %q, want only h.bin", tc.policy, got)
			}
		}
	})
	t.Run("update/names numbered in another order", func(t *testing.T) {
		// Two URLs of one name are numbered in the order asked; asked
		// the other way round, each name is another URL's file of the same
		// date, which If-Modified-Since would keep. On Linux the file
		// records its URL, and each is downloaded again.
		if runtime.GOOS != "linux" {
			t.Skip("the URL a file is from is recorded on Linux only")
		}
		dir := t.TempDir()
		a, b := u+"?v=a", u+"?v=b"
		content := map[string][]byte{a: testkit.DownloadContent(t, "p.bin", "a", 5000), b: testkit.DownloadContent(t, "p.bin", "b", 5000)}
		for i, order := range [][]string{{a, b}, {b, a}, {b, a}} {
			c := client(t)
			res, err := c.Do(t.Context(), download.Request{URL: order[0], Dir: dir}, download.Request{URL: order[1], Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			want := download.Downloaded
			if i == 2 {
				want = download.NotModified // each name is its URL's now
			}
			for k, r := range res {
				if r.Outcome != want {
					t.Errorf("run %d, %s: %v, want %v", i, r.URL, r.Outcome, want)
				}
				if want := []string{"p.bin", "p (1).bin"}[k]; filepath.Base(r.Path) != want {
					t.Errorf("run %d, %s: saved as %s, want %s", i, r.URL, r.Path, want)
				}
				wantFile(t, r.Path, content[order[k]])
			}
		}
	})
	t.Run("update/checksum matches", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "p.bin"), want, 0o644)
		c := client(t)
		res, err := c.Do(t.Context(), download.Request{URL: base + "/status/500", Dir: dir, Name: "p.bin", Checksum: "sha256=" + testkit.SHA256(want)})
		if err != nil || res[0].Outcome != download.Skipped || res[0].Attempts != 0 {
			t.Fatalf("Do = %+v, %v; want skipped without a request", res[0], err)
		}
	})
	t.Run("update/checksum does not match", func(t *testing.T) {
		// The file has the server's date, so If-Modified-Since would get
		// a 304: with a checksum that does not match it is not asked.
		dir, p := existing(t, "p.bin", true)
		res, err := client(t).Do(t.Context(), download.Request{URL: u, Dir: dir, Checksum: "sha256=" + testkit.SHA256(want)})
		if err != nil || res[0].Outcome != download.Downloaded {
			t.Fatalf("Do = %v, %v; want downloaded", res[0].Outcome, err)
		}
		wantFile(t, p, want)
	})
}

// TestNames checks the names of HOSTILE.md L1 to L3 and L5 end to end: every
// file lands inside the directory under a safe name.
func TestNames(t *testing.T) {
	// The test server refuses dot segments and NUL bytes in paths; this one
	// answers any path, with the Content-Disposition of ?cd=.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if cd := r.URL.Query().Get("cd"); cd != "" {
			w.Header()["Content-Disposition"] = []string{cd}
		}
		io.WriteString(w, "0123456789")
	}))
	t.Cleanup(srv.Close)
	base := srv.URL
	tests := []struct {
		name  string
		path  string // after base
		names download.NameSource
		want  string
	}{
		{"L1 dot-dot in filename", "/dl/10/a.bin?cd=" + url.QueryEscape(`attachment; filename="../../.bashrc"`), download.FromHeader, "_bashrc"},
		{"L1 filename* with encoded slashes", "/dl/10/a.bin?cd=" + url.QueryEscape(`attachment; filename*=UTF-8''..%2F..%2F.ssh%2Fauthorized_keys`), download.FromHeader, "authorized_keys"},
		{"L1 absolute path", "/dl/10/a.bin?cd=" + url.QueryEscape(`attachment; filename="/etc/cron.d/x"`), download.FromHeader, "x"},
		{"L1 backslashes", "/dl/10/a.bin?cd=" + url.QueryEscape(`attachment; filename="a\..\..\win.ini"`), download.FromHeader, "win.ini"},
		{"L1 duplicate filename falls back", "/dl/10/a.bin?cd=" + url.QueryEscape(`attachment; filename="x"; filename="y"`), download.FromHeader, "a.bin"},
		{"L1 continuations", "/dl/10/a.bin?cd=" + url.QueryEscape(`attachment; filename*0="re"; filename*1="port.pdf"`), download.FromHeader, "report.pdf"},
		{"L5 filename that is the URL name's part", "/dl/10/a.bin?cd=" + url.QueryEscape(`attachment; filename="a.bin.part"`), download.FromHeader, "a.bin (1).part"},
		{"L1 header ignored by default", "/dl/10/a.bin?cd=" + url.QueryEscape(`attachment; filename="evil.sh"`), download.FromURL, "a.bin"},
		{"L2 encoded slashes in the URL", "/dl/10/..%2F..%2Fevil", download.FromURL, "evil"},
		{"L2 encoded dots", "/dl/10/%2e%2e", download.FromURL, "index.html"},
		{"L2 NUL in the URL", "/dl/10/a%00b.txt", download.FromURL, "ab.txt"},
		{"L3 leading dash", "/dl/10/-rf", download.FromURL, "_rf"},
		{"L3 RTL override", "/dl/10/evil%E2%80%AEgpj.exe", download.FromURL, "evilgpj.exe"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			c := client(t)
			c.Names = tt.names
			res, err := c.Do(t.Context(), download.Request{URL: base + tt.path, Dir: dir})
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			if got := testkit.DirNames(t, dir); !slices.Equal(got, []string{tt.want}) {
				t.Fatalf("dir holds %q, want %q", got, tt.want)
			}
			if res[0].Path != filepath.Join(dir, tt.want) {
				t.Errorf("Path = %q", res[0].Path)
			}
		})
	}
	base = testkit.DownloadServer(t)
	t.Run("L5 two URLs, one name", func(t *testing.T) {
		dir := t.TempDir()
		c := client(t)
		res, err := c.Do(t.Context(), download.Into(dir, base+"/dl/10/same.txt?v=1", base+"/dl/20/same.txt?v=2", base+"/dl/30/same.txt?v=3")...)
		if err != nil {
			t.Fatal(err)
		}
		if got := testkit.DirNames(t, dir); !slices.Equal(got, []string{"same (1).txt", "same (2).txt", "same.txt"}) {
			t.Fatalf("dir holds %q", got)
		}
		for i, r := range res {
			wantFile(t, r.Path, testkit.DownloadContent(t, "same.txt", fmt.Sprint(i+1), int64(10*(i+1))))
		}
	})
	t.Run("L5 a name that is another's part", func(t *testing.T) {
		// foo's part would be foo.part: the request named foo.part gets
		// another name, in either order, so neither file can end up
		// under the other's name.
		for _, order := range [][2]string{{"foo", "foo.part"}, {"foo.part", "foo"}} {
			dir := t.TempDir()
			res, err := client(t).Do(t.Context(), download.Into(dir, base+"/dl/100000/"+order[0], base+"/dl/200/"+order[1])...)
			if err != nil {
				t.Fatal(err)
			}
			numbered := map[string]string{"foo": "foo (1)", "foo.part": "foo (1).part"}[order[1]]
			if a, b := filepath.Base(res[0].Path), filepath.Base(res[1].Path); a != order[0] || b != numbered {
				t.Fatalf("names %q and %q, want %q and %q", a, b, order[0], numbered)
			}
			wantFile(t, res[0].Path, testkit.DownloadContent(t, order[0], "", 100000))
			wantFile(t, res[1].Path, testkit.DownloadContent(t, order[1], "", 200))
		}
	})
	t.Run("L5 a name from a header comes after every name from a URL", func(t *testing.T) {
		// The last request is prepared only once the first has finished
		// (or, when the first waits for the preparing to end, as it
		// should, after 400 ms): the first's name from Content-Disposition
		// still yields to the last's name from its URL, and its wait is
		// not a stall.
		dir := t.TempDir()
		c := client(t)
		c.Names = download.FromHeader
		c.Stall, c.Retries = 150*time.Millisecond, -1
		first := make(chan struct{})
		c.Progress = func(e download.Event) {
			switch {
			case e.Index == 0 && (e.Kind == download.Finished || e.Kind == download.Failure):
				close(first)
			case e.Index == 1 && e.Kind == download.Queued:
				select {
				case <-first:
				case <-time.After(400 * time.Millisecond):
				}
			}
		}
		res, err := c.Do(t.Context(), download.Into(dir,
			base+"/dl/10/a.bin?cd="+url.QueryEscape(`attachment; filename="z.bin"`),
			base+"/dl/15/m.bin",
			base+"/dl/20/z.bin")...)
		if err != nil {
			t.Fatal(err)
		}
		if a, b := filepath.Base(res[0].Path), filepath.Base(res[2].Path); a != "z (1).bin" || b != "z.bin" {
			t.Fatalf("names %q and %q, want %q and %q", a, b, "z (1).bin", "z.bin")
		}
	})
	t.Run("bad explicit name", func(t *testing.T) {
		res, err := client(t).Do(t.Context(), download.Request{URL: base + "/dl/10/a", Dir: t.TempDir(), Name: "../x"})
		if err == nil || !strings.Contains(err.Error(), "single path element") || res[0].Outcome != download.Failed {
			t.Fatalf("Do = %v, %v", res[0].Outcome, err)
		}
	})
	t.Run("scheme refused", func(t *testing.T) {
		_, err := client(t).Do(t.Context(), download.Request{URL: "file:///etc/passwd", Dir: t.TempDir()})
		if err == nil || !strings.Contains(err.Error(), "only http and https") {
			t.Fatalf("Do err = %v", err)
		}
	})
}

// TestProgressPanic: a Progress that panics while Do queues its requests
// ends that Do, and its workers end too (goleak in TestMain).
func TestProgressPanic(t *testing.T) {
	base := testkit.DownloadServer(t)
	c := client(t)
	c.Progress = func(e download.Event) {
		if e.Kind == download.Queued && e.Index == 1 {
			panic("progress")
		}
	}
	defer func() {
		if r := recover(); r != "progress" {
			t.Fatalf("recovered %v, want the Progress panic", r)
		}
	}()
	c.Do(t.Context(), download.Into(t.TempDir(), base+"/dl/10/a", base+"/dl/10/b", base+"/dl/10/c")...)
	t.Fatal("Do returned")
}

// TestSymlinks plants links where download writes (HOSTILE.md L4): nothing
// is written outside the directory.
func TestSymlinks(t *testing.T) {
	base := testkit.DownloadServer(t)
	t.Run("final name", func(t *testing.T) {
		dir, outside := t.TempDir(), t.TempDir()
		victim := filepath.Join(outside, "victim")
		os.WriteFile(victim, []byte("keep"), 0o644)
		os.Symlink(victim, filepath.Join(dir, "s.bin"))
		c := client(t)
		c.IfExists = download.Overwrite
		if _, err := c.Do(t.Context(), download.Request{URL: base + "/dl/100/s.bin", Dir: dir}); err != nil {
			t.Fatal(err)
		}
		wantFile(t, victim, []byte("keep"))
		fi, err := os.Lstat(filepath.Join(dir, "s.bin"))
		if err != nil || !fi.Mode().IsRegular() {
			t.Fatalf("s.bin is %v, %v; want a regular file replacing the link", fi, err)
		}
	})
	t.Run("part name", func(t *testing.T) {
		dir, outside := t.TempDir(), t.TempDir()
		victim := filepath.Join(outside, "victim")
		os.WriteFile(victim, []byte("keep"), 0o644)
		os.Symlink(victim, filepath.Join(dir, "s.bin.part"))
		res, err := client(t).Do(t.Context(), download.Request{URL: base + "/dl/100/s.bin", Dir: dir})
		if !errors.Is(err, download.ErrNotOurs) || res[0].Outcome != download.Failed {
			t.Fatalf("Do = %v, %v; want ErrNotOurs", res[0].Outcome, err)
		}
		wantFile(t, victim, []byte("keep"))
	})
	t.Run("part without sidecar is left alone", func(t *testing.T) {
		for _, noResume := range []bool{false, true} {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "s.bin.part"), []byte("someone's"), 0o644)
			c := client(t)
			c.NoResume = noResume
			_, err := c.Do(t.Context(), download.Request{URL: base + "/dl/100/s.bin", Dir: dir})
			if !errors.Is(err, download.ErrNotOurs) {
				t.Fatalf("NoResume %v: err = %v, want ErrNotOurs", noResume, err)
			}
			wantFile(t, filepath.Join(dir, "s.bin.part"), []byte("someone's"))
		}
	})
}

// TestCancel cancels a slow transfer: the partial file stays, no final
// file appears, and Do returns promptly (HOSTILE.md G9).
func TestCancel(t *testing.T) {
	base := testkit.DownloadServer(t)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(t.Context())
	c := client(t)
	c.Progress = func(e download.Event) {
		if e.Kind == download.Bytes && e.Done >= 20000 {
			cancel()
		}
	}
	start := time.Now()
	res, err := c.Do(ctx, download.Into(dir, base+"/dl/1000000/slow.bin?rate=200000", base+"/dl/1000000/slow2.bin?rate=200000")...)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Do err = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Do took %v after cancel", d)
	}
	for _, r := range res {
		if r.Outcome != download.Failed {
			t.Errorf("%s: %v", r.Path, r.Outcome)
		}
	}
	for _, n := range testkit.DirNames(t, dir) {
		if !strings.HasSuffix(n, ".part") && !strings.HasSuffix(n, ".part.json") {
			t.Errorf("cancel left %s", n)
		}
	}
}

// TestCancelQueued: with one worker, files not yet started when the
// context ends fail with its error, and none of them starts.
func TestCancelQueued(t *testing.T) {
	base := testkit.DownloadServer(t)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(t.Context())
	c := client(t)
	c.Concurrency = 1
	var mu sync.Mutex
	started := map[int]bool{}
	c.Progress = func(e download.Event) {
		mu.Lock()
		defer mu.Unlock()
		if e.Kind == download.Started {
			started[e.Index] = true
		}
		if e.Kind == download.Bytes && e.Done >= 20000 {
			cancel()
		}
	}
	res, err := c.Do(ctx, download.Into(dir, base+"/dl/1000000/a.bin?rate=200000", base+"/dl/10/b.bin", base+"/dl/10/c.bin")...)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Do err = %v, want context.Canceled", err)
	}
	for i, r := range res {
		if r.Outcome != download.Failed || !errors.Is(r.Err, context.Canceled) {
			t.Errorf("result %d: %v, %v; want Failed, context.Canceled", i, r.Outcome, r.Err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if !maps.Equal(started, map[int]bool{0: true}) {
		t.Errorf("started %v, want only the first", started)
	}
	if got := testkit.DirNames(t, dir); slices.Contains(got, "b.bin") || slices.Contains(got, "c.bin") {
		t.Errorf("dir holds %q", got)
	}
}

// TestMinSpeed: a slow but steady body completes (Stall only ends one that
// stops), and MinSpeed ends one slower than asked, with ErrTooSlow, its
// part kept to be resumed (HOSTILE.md G5, in small).
func TestMinSpeed(t *testing.T) {
	base := testkit.DownloadServer(t)
	dir := t.TempDir()
	c := client(t)
	c.Retries = -1
	c.Stall = 200 * time.Millisecond // shorter than the whole body, longer than a piece
	res, err := c.Do(t.Context(), download.Request{URL: base + "/dl/12000/steady.bin?rate=20000", Dir: dir})
	if err != nil || res[0].Outcome != download.Downloaded {
		t.Fatalf("a steady 20 kB/s body: %v, %v", res[0].Outcome, err)
	}
	c.MinSpeed, c.MinSpeedTime = 100000, 300*time.Millisecond
	res, err = c.Do(t.Context(), download.Request{URL: base + "/dl/200000/slow.bin?rate=20000", Dir: dir})
	if !errors.Is(err, download.ErrTooSlow) || res[0].Outcome != download.Failed {
		t.Fatalf("20 kB/s with a 100 kB/s minimum: %v, %v; want ErrTooSlow", res[0].Outcome, err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "slow.bin.part")); err != nil || fi.Size() == 0 || fi.Size() >= 200000 {
		t.Errorf("the part to resume: %v, %v", fi, err)
	}

	// A body that stops is too slow at the window's end, whatever the
	// stall watchdog's wait (curl -Y -y).
	c.Stall = 5 * time.Second
	start := time.Now()
	res, err = c.Do(t.Context(), download.Request{URL: base + "/dl/200000/stops.bin?mode=stall&after=70000&for=3s", Dir: dir})
	if !errors.Is(err, download.ErrTooSlow) || res[0].Outcome != download.Failed {
		t.Fatalf("a body that stops: %v, %v; want ErrTooSlow", res[0].Outcome, err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("ErrTooSlow after %v, want it at the window's end (300ms), before the body goes on (3s)", d)
	}
	if fi, err := os.Stat(filepath.Join(dir, "stops.bin.part")); err != nil || fi.Size() != 70000 {
		t.Errorf("the part to resume: %v, %v; want the 70000 bytes sent", fi, err)
	}
}

// TestPerHost counts the transfers one server sees at once (HOSTILE.md L10).
func TestPerHost(t *testing.T) {
	var cur, peak atomic.Int64
	h := testserver.New()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := cur.Add(1)
		defer cur.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	var urls []string
	for i := range 12 {
		urls = append(urls, fmt.Sprintf("%s/dl/20000/h%d?rate=400000", srv.URL, i))
	}
	c := client(t)
	c.Concurrency, c.PerHost = 8, 3
	if _, err := c.Do(t.Context(), download.Into(dir, urls...)...); err != nil {
		t.Fatal(err)
	}
	if p := peak.Load(); p > 3 || p < 2 {
		t.Errorf("peak concurrent requests = %d, want 2 to 3", p)
	}
}

func TestRateLimitAndDedup(t *testing.T) {
	base := testkit.DownloadServer(t)
	dir := t.TempDir()
	c := client(t)
	c.RateLimit = 4 << 20
	c.Dedup = true
	res, err := c.Do(t.Context(),
		download.Request{URL: base + "/dl/100000/a.bin", Dir: dir, Name: "one"},
		download.Request{URL: base + "/dl/100000/a.bin?x=1", Dir: dir, Name: "two"})
	if err != nil {
		t.Fatal(err)
	}
	kept, dup := res[0], res[1]
	if kept.DuplicateOf != "" {
		kept, dup = dup, kept
	}
	if dup.Outcome != download.Skipped || dup.DuplicateOf != kept.Path || kept.Outcome != download.Downloaded {
		t.Fatalf("results %+v and %+v: want one downloaded, one duplicate of it", kept, dup)
	}
	if got := testkit.DirNames(t, dir); len(got) != 1 {
		t.Errorf("dir holds %q, want one file", got)
	}
}

// TestHugeConcurrency: a Concurrency of any size costs what the requests
// need, not memory up front.
func TestHugeConcurrency(t *testing.T) {
	base := testkit.DownloadServer(t)
	c := client(t)
	c.Concurrency = math.MaxInt
	res, err := c.Do(t.Context(), download.Request{URL: base + "/dl/100/a.bin", Dir: t.TempDir()})
	if err != nil || res[0].Outcome != download.Downloaded {
		t.Fatalf("Do = %+v, %v", res[0], err)
	}
}

// TestRateLimitNoStall: a wait for the rate limit is no stall of the
// server's: four files sharing 4 kB/s each wait longer than the stall
// time between reads, and all arrive.
func TestRateLimitNoStall(t *testing.T) {
	base := testkit.DownloadServer(t)
	dir := t.TempDir()
	c := client(t)
	c.RateLimit, c.Stall, c.Retries = 4000, 250*time.Millisecond, -1
	var reqs []download.Request
	for i := range 4 {
		reqs = append(reqs, download.Request{URL: fmt.Sprintf("%s/dl/2000/%d.bin", base, i), Dir: dir})
	}
	res, err := c.Do(t.Context(), reqs...)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Outcome != download.Downloaded || r.Attempts != 1 {
			t.Errorf("%s: %v after %d attempts, want downloaded at once", r.URL, r.Outcome, r.Attempts)
		}
	}
}

func TestRetrieve(t *testing.T) {
	base := testkit.DownloadServer(t)
	dir := t.TempDir()
	p := filepath.Join(dir, "sub", "r.bin")
	o := new(fetch.Opener)
	t.Cleanup(o.CloseIdleConnections)
	res, err := (&download.Client{Opener: o}).Retrieve(t.Context(), base+"/dl/4096/any", p)
	if err != nil || res.Path != p || res.Outcome != download.Downloaded {
		t.Fatalf("Retrieve = %+v, %v", res, err)
	}
	wantFile(t, p, testkit.DownloadContent(t, "any", "", 4096))
	res, err = (&download.Client{Opener: o}).Retrieve(t.Context(), base+"/dl/4096/any", p)
	if err != nil || res.Outcome != download.NotModified {
		t.Fatalf("Retrieve again = %v, %v; want not-modified", res.Outcome, err)
	}
	_, err = (&download.Client{Opener: o}).Retrieve(t.Context(), base+"/status/404", filepath.Join(dir, "nf"))
	var he *fetch.HTTPError
	if !errors.As(err, &he) || he.StatusCode != 404 {
		t.Fatalf("Retrieve 404 err = %v", err)
	}
	for _, bad := range []string{dir + "/", "", filepath.Join(dir, "sub") + "/."} {
		res, err := (&download.Client{Opener: o}).Retrieve(t.Context(), base+"/dl/4096/any", bad)
		if err == nil || !strings.Contains(err.Error(), "names a directory") || res.Outcome != download.Failed {
			t.Errorf("Retrieve to %q = %+v, %v; want an error naming a directory", bad, res, err)
		}
	}
	if got := testkit.DirNames(t, dir); !slices.Equal(got, []string{"sub"}) {
		t.Errorf("dir holds %q after the refused paths", got)
	}
}

// TestNoHash: without a use for it, no SHA-256 is computed; a checksum is
// still verified, and a resumed file is still whole.
func TestNoHash(t *testing.T) {
	base := testkit.DownloadServer(t)
	dir := t.TempDir()
	want := testkit.DownloadContent(t, "a.bin", "", 150000)
	c := client(t)
	c.NoHash = true
	res, err := c.Do(t.Context(),
		download.Request{URL: base + "/dl/150000/a.bin", Dir: dir},
		download.Request{URL: base + "/dl/150000/a.bin", Dir: dir, Name: "sum.bin", Checksum: "sha256=" + testkit.SHA256(want)},
		download.Request{URL: base + "/dl/150000/a.bin", Dir: dir, Name: "bad.bin", Checksum: "sha256=" + strings.Repeat("0", 64)},
	)
	if res[0].Outcome != download.Downloaded || res[0].SHA256 != "" || res[0].Size != 150000 {
		t.Errorf("no checksum: %+v, want downloaded with no SHA-256", res[0])
	}
	wantFile(t, filepath.Join(dir, "a.bin"), want)
	if res[1].Outcome != download.Downloaded || res[1].SHA256 != testkit.SHA256(want) {
		t.Errorf("checksum: %+v, want downloaded and hashed", res[1])
	}
	if !errors.Is(err, download.ErrChecksum) || res[2].Outcome != download.Failed {
		t.Errorf("wrong checksum: %v, %v; want ErrChecksum", res[2].Outcome, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "bad.bin")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("bad.bin exists: %v", err)
	}

	// A resume with no hash: the part is not read back, the file is whole.
	u := base + "/dl/200000/r.bin?key=nohash&mode=drop&after=70000"
	c.Retries = -1
	if res, _ := c.Do(t.Context(), download.Request{URL: u, Dir: dir}); res[0].Outcome != download.Failed {
		t.Fatalf("first Do: %v, want a failure", res[0].Outcome)
	}
	res, err = c.Do(t.Context(), download.Request{URL: u, Dir: dir})
	if err != nil || res[0].Outcome != download.Resumed || res[0].SHA256 != "" {
		t.Fatalf("second Do = %+v, %v; want resumed, no SHA-256", res[0], err)
	}
	wantFile(t, filepath.Join(dir, "r.bin"), testkit.DownloadContent(t, "r.bin", "", 200000))
}

// TestTwoDownloadsOneDir: a part another transfer is writing (another Do
// here, another grab process alike) is left alone: the second download of
// the name fails with ErrInUse, and the first finishes with its own bytes.
// In one Do, "out" and "out/./" are one directory.
func TestTwoDownloadsOneDir(t *testing.T) {
	base := testkit.DownloadServer(t)
	dir := t.TempDir()
	first := base + "/dl/600000/x?rate=600000"
	done := make(chan []download.Result, 1)
	go func() {
		res, _ := client(t).Do(t.Context(), download.Request{URL: first, Dir: dir})
		done <- res
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(dir, "x.part")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no x.part after 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	res, err := client(t).Do(t.Context(), download.Request{URL: base + "/dl/5000/x?v=2", Dir: dir})
	if !errors.Is(err, download.ErrInUse) || res[0].Outcome != download.Failed {
		t.Errorf("second download: %v, %v; want ErrInUse", res[0].Outcome, err)
	}
	if r := <-done; r[0].Outcome != download.Downloaded {
		t.Fatalf("first download: %v, %v", r[0].Outcome, r[0].Err)
	}
	wantFile(t, filepath.Join(dir, "x"), testkit.DownloadContent(t, "x", "", 600000))

	out := filepath.Join(t.TempDir(), "out")
	res, err = client(t).Do(t.Context(), download.Request{URL: base + "/dl/100/y", Dir: out}, download.Request{URL: base + "/dl/200/y", Dir: out + "/./"})
	if err != nil || filepath.Base(res[0].Path) == filepath.Base(res[1].Path) {
		t.Fatalf("out and out/./: %v; paths %s and %s", err, res[0].Path, res[1].Path)
	}
	wantFile(t, res[0].Path, testkit.DownloadContent(t, "y", "", 100))
	wantFile(t, res[1].Path, testkit.DownloadContent(t, "y", "", 200))
}

// TestNamedLikeAPart: a URL whose file name is "x.part" never takes the
// partial file of x's download, beside its sidecar, for a copy of its own.
func TestNamedLikeAPart(t *testing.T) {
	base := testkit.DownloadServer(t)
	dir := t.TempDir()
	part := []byte("the first bytes of x")
	os.WriteFile(filepath.Join(dir, "x.part"), part, 0o644)
	os.WriteFile(filepath.Join(dir, "x.part.json"), []byte(`{"grab":1,"url_sha256":"00","length":-1}`), 0o644)
	for _, r := range []download.Request{
		{URL: base + "/dl/100/x.part", Dir: dir},
		{URL: base + "/dl/100/y.bin?filename=x.part", Dir: dir}, // a name from the header
	} {
		c := client(t)
		if strings.Contains(r.URL, "filename=") {
			c.Names = download.FromHeader
		}
		res, err := c.Do(t.Context(), r)
		if !errors.Is(err, download.ErrNotOurs) || res[0].Outcome != download.Failed {
			t.Errorf("%s: %v, %v; want ErrNotOurs", r.URL, res[0].Outcome, err)
		}
		wantFile(t, filepath.Join(dir, "x.part"), part)
	}
}

// TestTwoDownloadsRace: two Do calls downloading one name into one
// directory at once, many times: each either saves its file or fails with
// ErrInUse, and the final file is always whole, one of the two.
func TestTwoDownloadsRace(t *testing.T) {
	base := testkit.DownloadServer(t)
	urls := []string{base + "/dl/300000/x", base + "/dl/300000/x?v=2"}
	want := [][]byte{testkit.DownloadContent(t, "x", "", 300000), testkit.DownloadContent(t, "x", "2", 300000)}
	if bytes.Equal(want[0], want[1]) {
		t.Fatal("the two contents are the same")
	}
	c := client(t)
	c.Retries = -1
	c.IfExists = download.Overwrite // one after the other, the second replaces the first
	for range 40 {
		dir := t.TempDir()
		var wg sync.WaitGroup
		res := make([]download.Result, 2)
		for i := range 2 {
			wg.Go(func() {
				r, _ := c.Do(t.Context(), download.Request{URL: urls[i], Dir: dir, Name: "x"})
				res[i] = r[0]
			})
		}
		wg.Wait()
		saved := -1
		for i, r := range res {
			switch {
			case r.Outcome == download.Downloaded:
				saved = i
			case !errors.Is(r.Err, download.ErrInUse):
				t.Fatalf("download %d: %v, %v; want downloaded or ErrInUse", i, r.Outcome, r.Err)
			}
		}
		got, err := os.ReadFile(filepath.Join(dir, "x"))
		if saved < 0 || err != nil || !bytes.Equal(got, want[0]) && !bytes.Equal(got, want[1]) ||
			res[1-saved].Outcome != download.Downloaded && !bytes.Equal(got, want[saved]) {
			t.Fatalf("outcomes %v and %v; x holds %d bytes (%v), none of the two or not the saved one", res[0].Outcome, res[1].Outcome, len(got), err)
		}
	}
}

// TestMaxSize checks Client.MaxSize (curl's --max-filesize): a declared
// length over it fails before a byte is saved, a body of no declared
// length once it passes it, a resume by the range's total; none is
// retried, and no file gets its final name.
func TestMaxSize(t *testing.T) {
	base := testkit.DownloadServer(t)
	tests := []struct {
		name    string
		url     string
		max     int64
		cut     bool   // a first Do leaves a part of 70000 bytes
		errText string // "": downloaded
		left    []string
	}{
		{name: "declared length over", url: "/dl/2048/f", max: 2047, errText: "declared 2048 bytes, over the 2047 allowed"},
		{name: "declared length at the limit", url: "/dl/2048/f", max: 2048, left: []string{"f"}},
		{name: "undeclared length passes it", url: "/fault/cut?size=200000&send=200000", max: 100000, errText: "bytes, over the 100000 allowed",
			left: []string{"f.part", "f.part.json"}},
		{name: "resumed range's total over", url: "/dl/200000/f?key=maxsize-KEY&mode=drop&after=70000", max: 100000, cut: true,
			errText: "declared 200000 bytes, over the 100000 allowed", left: []string{"f.part", "f.part.json"}},
	}
	for _, tt := range tests {
		hashModes(t, tt.name, func(t *testing.T, c *download.Client, noHash bool) {
			dir := t.TempDir()
			// The fault server counts drops by key: one per subtest.
			u := strings.ReplaceAll(base+tt.url, "KEY", fmt.Sprint(noHash))
			r := download.Request{URL: u, Dir: dir, Name: "f"}
			if tt.cut {
				c.Retries = -1
				if res, _ := c.Do(t.Context(), r); res[0].Outcome != download.Failed {
					t.Fatalf("first Do = %v, want a cut", res[0].Outcome)
				}
				c.Retries = 0
			}
			c.MaxSize = tt.max
			res, err := c.Do(t.Context(), r)
			got := res[0]
			if tt.errText == "" {
				if err != nil || got.Outcome != download.Downloaded {
					t.Fatalf("Do = %v, %v; want downloaded", got.Outcome, err)
				}
			} else {
				if !errors.Is(err, download.ErrTooLarge) || !strings.Contains(err.Error(), tt.errText) {
					t.Fatalf("Do error %v, want ErrTooLarge saying %q", err, tt.errText)
				}
				if got.Attempts != 1 {
					t.Errorf("%d attempts, want 1: the limit is not retried", got.Attempts)
				}
			}
			if names := testkit.DirNames(t, dir); !slices.Equal(names, tt.left) {
				t.Errorf("dir holds %q, want %q", names, tt.left)
			}
			if fi, err := os.Stat(filepath.Join(dir, "f.part")); err == nil && (fi.Size() > tt.max || tt.cut && fi.Size() != 70000) {
				t.Errorf("part holds %d bytes (limit %d)", fi.Size(), tt.max)
			}
		})
	}
}

// TestNilContext: Do with a nil Context fails each Request, and panics in
// no worker (where no caller could recover).
func TestNilContext(t *testing.T) {
	res, err := client(t).Do(nil, download.Request{URL: "http://127.0.0.1:1/a", Dir: t.TempDir()})
	if err == nil || len(res) != 1 || res[0].Outcome != download.Failed {
		t.Errorf("Do(nil) = %+v, %v; want a failure", res, err)
	}
}

// TestFailureEvents checks that Retrying and Failure events carry the
// failed attempt's bytes and the declared size, as Bytes did.
func TestFailureEvents(t *testing.T) {
	base := testkit.DownloadServer(t)
	hashModes(t, "drop", func(t *testing.T, c *download.Client, noHash bool) {
		c.Retries = 1
		var mu sync.Mutex
		var got []download.Event
		c.Progress = func(e download.Event) {
			if e.Kind == download.Retrying || e.Kind == download.Failure {
				mu.Lock()
				got = append(got, e)
				mu.Unlock()
			}
		}
		u := fmt.Sprintf("%s/dl/300000/x.bin?key=events-%v&mode=drop&after=100000&fail=0", base, noHash)
		if _, err := c.Do(t.Context(), download.Request{URL: u, Dir: t.TempDir()}); err == nil {
			t.Fatal("Do succeeded; want the drops to fail it")
		}
		mu.Lock()
		defer mu.Unlock()
		if len(got) != 2 || got[0].Kind != download.Retrying || got[1].Kind != download.Failure {
			t.Fatalf("events %+v, want Retrying then Failure", got)
		}
		// The second attempt resumes at 100000 and is cut again further on.
		if r, f := got[0], got[1]; r.Done != 100000 || r.Total != 300000 || f.Done <= r.Done || f.Done >= 300000 || f.Total != 300000 {
			t.Errorf("Retrying: Done %d Total %d; Failure: Done %d Total %d; want 100000 of 300000, then more but not all", r.Done, r.Total, f.Done, f.Total)
		}
	})
}

// TestRangeAnsweredGzip (HOSTILE.md F6): a resume whose 206 comes with
// Content-Encoding: gzip, the part being identity bytes, is not appended
// to the part: the file restarts from zero and ends byte-identical.
func TestRangeAnsweredGzip(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<14) // 256 KiB
	// The resume asks from the part's last byte, which it compares with
	// the answer's first: make it gzip's first, so that only the coding
	// tells the answer from the file.
	data[99999] = 0x1f
	var full atomic.Int32
	var ranges atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"v1"`)
		rng := r.Header.Get("Range")
		if rng == "" {
			w.Header().Set("Content-Length", fmt.Sprint(len(data)))
			if full.Add(1) == 1 {
				w.Write(data[:100000])
				w.(http.Flusher).Flush()
				panic(http.ErrAbortHandler) // cut mid-body
			}
			w.Write(data)
			return
		}
		ranges.Add(1)
		var start int
		if _, err := fmt.Sscanf(rng, "bytes=%d-", &start); err != nil || start >= len(data) {
			http.Error(w, "bad range", http.StatusRequestedRangeNotSatisfiable)
			return
		}
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write(data[start:])
		zw.Close()
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, len(data)-1, len(data)))
		w.WriteHeader(http.StatusPartialContent)
		w.(http.Flusher).Flush() // chunked: no length to tell it
		w.Write(gz.Bytes())
	}))
	t.Cleanup(srv.Close)
	c := client(t)
	dir := t.TempDir()
	res, err := c.Do(t.Context(), download.Request{URL: srv.URL + "/f.bin", Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if r := res[0]; r.Outcome != download.Downloaded || r.Attempts != 3 || ranges.Load() != 1 {
		t.Errorf("Do = %v after %d attempts, %d range requests; want downloaded after 3 (cut, gzip range refused, whole)", r.Outcome, r.Attempts, ranges.Load())
	}
	wantFile(t, filepath.Join(dir, "f.bin"), data)
}

// TestBadURLMasked checks that a URL net/url refuses is not quoted in the
// error: its password and query secrets stay out.
func TestBadURLMasked(t *testing.T) {
	c := client(t)
	for _, u := range []string{
		"http://u:s3cret@127.0.0.1:1:99999/y?token=t0ken",
		"http://u:s3cr#t@127.0.0.1:1/x?token=t0ken", // '#' ends the URL in the password: port "s3cr"
		"http://u:s3cret@[127.0.0.1/x?token=t0ken",
	} {
		res, err := c.Do(t.Context(), download.Request{URL: u, Dir: t.TempDir()})
		if err == nil {
			t.Fatalf("Do(%q) succeeded", u)
		}
		for _, text := range []string{err.Error(), res[0].Err.Error(), res[0].URL} {
			if strings.Contains(text, "s3cr") || strings.Contains(text, "t0ken") {
				t.Errorf("Do(%q): %q shows a secret", u, text)
			}
		}
		if !strings.Contains(err.Error(), "download: bad URL: ") || strings.HasSuffix(err.Error(), "bad URL: ") {
			t.Errorf("Do(%q) = %v, want the reason", u, err)
		}
	}
}

// TestStallMessage: a stall's error says what happened, not the read
// error grab's own cancel caused ("context canceled", "body truncated").
// A response head must arrive whole within Stall, as net/http's
// ResponseHeaderTimeout: one sent a byte at a time, 20ms apart (about 2.4s
// in all), is a stall, though no gap reaches Stall.
func TestStallSlowHead(t *testing.T) {
	base := testkit.DownloadServer(t)
	c := client(t)
	c.Stall, c.Retries = 300*time.Millisecond, -1
	_, err := c.Do(t.Context(), download.Request{URL: base + "/fault/slow-headers?delay=20ms&bytes=1", Dir: t.TempDir()})
	if !errors.Is(err, download.ErrStalled) {
		t.Errorf("Do = %v, want ErrStalled", err)
	}
}

func TestStallMessage(t *testing.T) {
	base := testkit.DownloadServer(t)
	c := client(t)
	c.Stall, c.Retries = 200*time.Millisecond, -1
	_, err := c.Do(t.Context(), download.Request{URL: base + "/dl/300000/s.bin?key=stallmsg&mode=stall&after=1000&for=3s", Dir: t.TempDir()})
	if !errors.Is(err, download.ErrStalled) || !strings.HasSuffix(err.Error(), "download: transfer stalled: no byte for 200ms") {
		t.Errorf("Do = %v, want the stall alone", err)
	}
}

// TestLastModifiedTimes: the file gets the server's Last-Modified however
// far it lies from now (t.UnixNano wrapped outside 1678-2262: 1601 became
// 2185, so the next If-Modified-Since missed every change), and in the
// forms servers send beside RFC 9110's ("+0000", "UTC"), which were left
// out. The file system may clamp a time it cannot hold, never wrap it.
func TestLastModifiedTimes(t *testing.T) {
	tests := []struct {
		lastModified string
		ok           func(time.Time) bool
	}{
		{"Mon, 01 Jan 1601 00:00:00 GMT", func(m time.Time) bool { return m.Year() < 1970 }},
		{"Fri, 31 Dec 9999 23:59:59 GMT", func(m time.Time) bool { return m.Year() > 2100 }},
		{"Sun, 06 Nov 1994 08:49:37 +0000", func(m time.Time) bool { return m.Equal(time.Date(1994, 11, 6, 8, 49, 37, 0, time.UTC)) }},
		{"Sun, 06 Nov 1994 08:49:37 UTC", func(m time.Time) bool { return m.Equal(time.Date(1994, 11, 6, 8, 49, 37, 0, time.UTC)) }},
	}
	for _, size := range []int{100, 200000} { // an anonymous file, a part
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%d %s", size, tt.lastModified), func(t *testing.T) {
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Last-Modified", tt.lastModified)
					w.Write(bytes.Repeat([]byte("x"), size))
				}))
				t.Cleanup(srv.Close)
				dir := t.TempDir()
				if _, err := client(t).Do(t.Context(), download.Request{URL: srv.URL + "/f.bin", Dir: dir}); err != nil {
					t.Fatal(err)
				}
				fi, err := os.Stat(filepath.Join(dir, "f.bin"))
				if err != nil || !tt.ok(fi.ModTime().UTC()) {
					t.Errorf("f.bin modified %v (%v) for Last-Modified %q", fi.ModTime().UTC(), err, tt.lastModified)
				}
			})
		}
	}
}

// TestStrayPercentName: a URL with a '%' that begins no escape
// ("/100%.html") is downloaded, as curl and wget do, under the name it
// spells; it was "bad URL: invalid URL escape".
func TestStrayPercentName(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.URL.Path)
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	res, err := client(t).Do(t.Context(), download.Request{URL: srv.URL + "/100%.html", Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Path != filepath.Join(dir, "100%.html") {
		t.Errorf("saved as %s, want 100%%.html", res[0].Path)
	}
	wantFile(t, filepath.Join(dir, "100%.html"), []byte("/100%.html"))
}

// TestCheckDir: CheckDir makes nothing, takes a directory still to make,
// and names a file in the way, of the directory or of one above it, and a
// symbolic link to nothing; what it says agrees with what Do then does.
func TestCheckDir(t *testing.T) {
	base := testkit.DownloadServer(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	dangling := filepath.Join(dir, "dangling")
	if err := os.Symlink("nowhere", dangling); err != nil {
		t.Skip("no symbolic links:", err)
	}
	noRead := filepath.Join(dir, "noread")
	if err := os.Mkdir(noRead, 0o300); err != nil { // write and search: enough to make a directory in
		t.Fatal(err)
	}
	cases := []struct{ dir, want string }{
		{dir, ""},
		{filepath.Join(dir, "new", "sub"), ""},
		{filepath.Join(noRead, "new"), ""},
		{file, "mkdir " + file + ": not a directory"},
		{filepath.Join(file, "sub"), "not a directory"},
		{file + "/../sub", "not a directory"}, // ".." after a file, as the kernel reads it
		{dangling, "mkdir " + dangling + ": file exists"},
		{filepath.Join(dangling, "sub"), "mkdir " + dangling + ": file exists"},
	}
	for _, c := range cases {
		err := download.CheckDir(c.dir)
		if got := fmt.Sprint(err); (c.want == "") != (err == nil) || c.want != "" && !strings.Contains(got, c.want) {
			t.Errorf("CheckDir(%s) = %v, want %q", c.dir, err, c.want)
		}
	}
	for _, made := range []string{"new", "sub", "noread/new"} {
		if _, err := os.Stat(filepath.Join(dir, made)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("CheckDir made %s: %v", made, err)
		}
	}
	for i, c := range cases {
		_, err := client(t).Do(t.Context(), download.Request{URL: fmt.Sprintf("%s/dl/10/f%d.bin", base, i), Dir: c.dir})
		if (err == nil) != (c.want == "") {
			t.Errorf("Do into %s: %v, where CheckDir said %q", c.dir, err, c.want)
		}
	}
}
