package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grabhq/grab/download"
	"github.com/grabhq/grab/internal/testkit"
	"github.com/grabhq/grab/testserver"
)

func TestDownloadCommand(t *testing.T) {
	base := testkit.DownloadServer(t)
	a, b := testkit.DownloadContent(t, "a.bin", "", 5000), testkit.DownloadContent(t, "b.bin", "", 70000)
	list := fmt.Sprintf("# two files\n%s/dl/5000/a.bin sha256=%s\n\n%s/dl/70000/b.bin\n", base, testkit.SHA256(a), base)
	dir := t.TempDir()
	listFile := filepath.Join(dir, "urls.txt")
	os.WriteFile(listFile, []byte(list), 0o644)
	out := func(name string) string { return filepath.Join(dir, "out-"+name) }
	jsonHas := func(n int, outcomes ...string) check {
		return func(got string) string {
			lines := strings.Split(strings.TrimSpace(got), "\n")
			if len(lines) != n {
				return fmt.Sprintf("got %d JSON lines, want %d: %q", len(lines), n, got)
			}
			var seen []string
			for _, l := range lines {
				var r downloadJSON
				if err := json.Unmarshal([]byte(l), &r); err != nil {
					return fmt.Sprintf("line %q: %v", l, err)
				}
				seen = append(seen, r.Outcome.String())
			}
			slices.Sort(seen)
			if !slices.Equal(seen, outcomes) {
				return fmt.Sprintf("outcomes %q, want %q", seen, outcomes)
			}
			return ""
		}
	}
	tests := []stdinTest{
		{runTest: runTest{"list file with checksums", []string{"download", "-q", "--json", "-d", out("1"), "-i", listFile}, ExitOK,
			jsonHas(2, "downloaded", "downloaded"), empty}},
		{runTest: runTest{"stdin list", []string{"download", "-q", "-d", out("2"), "-i", "-"}, ExitOK, empty, empty}, stdin: list},
		{runTest: runTest{"summary on stderr", []string{"download", "-d", out("3"), base + "/dl/5000/a.bin"}, ExitOK, empty,
			contains("grab: 1 file: 1 downloaded")}},
		{runTest: runTest{"checksum mismatch", []string{"download", "-q", "-d", out("4"), "--checksum", "sha256=" + strings.Repeat("0", 64), base + "/dl/5000/a.bin"}, ExitFailure, empty,
			contains("a.bin: download: checksum mismatch")}},
		{runTest: runTest{"one failure does not stop the others", []string{"download", "-q", "--json", "--retries", "0", "-d", out("5"), base + "/status/404", base + "/dl/5000/a.bin"}, ExitFailure,
			jsonHas(2, "downloaded", "failed"), contains("404 Not Found")}},
		{runTest: runTest{"no scheme is http, as wget", []string{"download", "-q", "-d", out("9"), "-i", "-"}, ExitOK, empty, empty},
			stdin: strings.TrimPrefix(base, "http://") + "/dl/5000/a.bin\n"},
		{runTest: runTest{"rate limit and header name", []string{"download", "-q", "--limit-rate", "2M", "--name-from", "header", "-d", out("6"), base + "/dl/5000/a.bin?filename=report.pdf"}, ExitOK, empty, empty}},
		{runTest: runTest{"secrets never shown (HOSTILE.md L11)", []string{"download", "--json", "--retries", "1", "-d", out("7"),
			strings.Replace(base, "http://", "http://kim:PW7c@", 1) + "/status/503?page=2&token=TOK7c"}, ExitFailure,
			all(lacks("PW7c", "TOK7c"), contains("kim:xxxxx@", "token=xxxxx")), all(lacks("PW7c", "TOK7c"), contains("retrying", "page=2&token=xxxxx"))}},
		{runTest: runTest{"--speed-limit", []string{"download", "-q", "--retries", "0", "--speed-limit", "100K", "--speed-time", "0.3", "-d", out("8"), base + "/dl/200000/slow.bin?rate=20000"}, ExitFailure,
			empty, contains("transfer too slow", "below the minimum of 102400")}},
		{runTest: runTest{"--max-filesize", []string{"download", "-q", "--max-filesize", "4K", "-d", out("10"), base + "/dl/5000/a.bin", base + "/dl/4096/b.bin"}, ExitFailure,
			empty, contains("a.bin: download: file larger than the maximum size: declared 5000 bytes, over the 4096 allowed")}},
		{runTest: runTest{"bad --max-filesize", []string{"download", "--max-filesize", "big", "http://x/a"}, ExitUsage, empty, contains("--max-filesize \"big\": want a size")}},
		{runTest: runTest{"bad --speed-limit", []string{"download", "--speed-limit", "fast", "http://x/a"}, ExitUsage, empty, contains("--speed-limit")}},
		{runTest: runTest{"no URL", []string{"download"}, ExitUsage, empty, contains("no URL")}},
		{runTest: runTest{"bad list line", []string{"download", "-i", "-"}, ExitUsage, empty, contains("stdin line 1", "sha256=HEX")}, stdin: "http://x/a md5=1\n"},
		{runTest: runTest{"-i dir", []string{"download", "-i", os.TempDir()}, ExitFailure, empty, equals("grab: -i: open " + os.TempDir() + ": is a directory, not a file\n")}},
		{runTest: runTest{"two policies", []string{"download", "--skip-existing", "--overwrite", "http://x/a"}, ExitUsage, empty, contains("none of the others")}},
		{runTest: runTest{"bad rate", []string{"download", "--limit-rate", "fast", "http://x/a"}, ExitUsage, empty, contains("--limit-rate")}},
		{runTest: runTest{"checksum with two URLs", []string{"download", "--checksum", "sha256=" + strings.Repeat("0", 64), "http://x/a", "http://x/b"}, ExitUsage, empty, contains("one URL")}},
		{runTest: runTest{"bad name-from", []string{"download", "--name-from", "body", "http://x/a"}, ExitUsage, empty, contains("want url or header")}},
	}
	runStdinTests(t, tests)
	if got, err := os.ReadFile(filepath.Join(out("9"), "a.bin")); err != nil || !bytes.Equal(got, a) {
		t.Errorf("out-9/a.bin: %d bytes, %v", len(got), err)
	}
	for _, n := range []string{"1", "2"} {
		for name, want := range map[string][]byte{"a.bin": a, "b.bin": b} {
			got, err := os.ReadFile(filepath.Join(out(n), name))
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("out-%s/%s: %d bytes, %v", n, name, len(got), err)
			}
		}
	}
	if got := testkit.DirNames(t, out("10")); !slices.Equal(got, []string{"b.bin"}) {
		t.Errorf("--max-filesize left %q, want only b.bin", got)
	}
	if _, err := os.Stat(filepath.Join(out("6"), "report.pdf")); err != nil {
		t.Errorf("--name-from header: %v", err)
	}
	if es, _ := os.ReadDir(out("4")); len(es) != 0 {
		t.Errorf("checksum mismatch left %d files", len(es))
	}
	// Literal -b cookies, like -u, go to the first URL's origin only; -H
	// fields go to every URL, as curl's.
	one, other := httptest.NewServer(testserver.New()), httptest.NewServer(testserver.New())
	t.Cleanup(one.Close)
	t.Cleanup(other.Close)
	cdir := filepath.Join(dir, "cookies")
	if code, _, stderr := runGrab(t, []string{"download", "-q", "-b", "sid=c00k1e", "-H", "X-Field: f1eld", "-d", cdir,
		one.URL + "/anything/first", other.URL + "/anything/second"}, ""); code != ExitOK {
		t.Fatalf("-b: exit %d, stderr %q", code, stderr)
	}
	for name, want := range map[string]bool{"first": true, "second": false} {
		echo, err := os.ReadFile(filepath.Join(cdir, name))
		if err != nil {
			t.Fatal(err)
		}
		if got := bytes.Contains(echo, []byte("sid=c00k1e")); got != want || !bytes.Contains(echo, []byte("f1eld")) {
			t.Errorf("%s: cookie sent %v, want %v; -H sent %v", name, got, want, bytes.Contains(echo, []byte("f1eld")))
		}
	}

	// A rerun asks the server and keeps the current files.
	runStdinTests(t, []stdinTest{{runTest: runTest{"rerun", []string{"download", "--json", "-d", out("1"), "-i", listFile}, ExitOK,
		jsonHas(2, "not-modified", "skipped"), contains("1 not-modified, 1 skipped")}}})
}

func TestProgressModes(t *testing.T) {
	events := func(pr *progress) {
		pr.event(download.Event{Kind: download.Queued, Index: 0, Total: -1})
		pr.event(download.Event{Kind: download.Started, Index: 0, Path: "d/a.bin", Total: -1})
		pr.event(download.Event{Kind: download.Bytes, Index: 0, Path: "d/a.bin", Done: 1 << 20, Total: 2 << 20})
		pr.event(download.Event{Kind: download.Retrying, Index: 0, Path: "d/a.bin", Wait: time.Second, Err: errors.New("cut\x1b[2J")})
		pr.event(download.Event{Kind: download.Started, Index: 0, Path: "d/a.bin", Done: 1 << 20, Total: -1})
		pr.event(download.Event{Kind: download.Bytes, Index: 0, Path: "d/a.bin", Done: 2 << 20, Total: 2 << 20})
		time.Sleep(30 * time.Millisecond)
		pr.event(download.Event{Kind: download.Finished, Index: 0, Path: "d/a.bin", Done: 2 << 20, Total: 2 << 20, Result: &download.Result{}})
		// A file cut by Ctrl-C fails: it is not counted as done.
		pr.event(download.Event{Kind: download.Started, Index: 1, Path: "d/b.bin", Total: -1})
		pr.event(download.Event{Kind: download.Bytes, Index: 1, Path: "d/b.bin", Done: 1 << 20, Total: 2 << 20})
		pr.event(download.Event{Kind: download.Failure, Index: 1, Path: "d/b.bin", Done: 1 << 20, Total: 2 << 20, Result: &download.Result{Outcome: download.Failed}})
		time.Sleep(30 * time.Millisecond)
	}
	t.Run("lines", func(t *testing.T) {
		var buf syncBuffer
		pr := newProgressEvery(&buf, progressLines, 2, 10*time.Millisecond)
		events(pr)
		pr.close()
		got := buf.String()
		if !strings.Contains(got, `grab: d/a.bin: retrying in 1s: "cut\x1b[2J"`) {
			t.Errorf("lines: %q, want the retry with the escape quoted", got)
		}
		if !strings.Contains(got, "grab: 0/2 files, 1 active, 2.0 MiB") {
			t.Errorf("lines: %q, want a status line", got)
		}
		if !strings.Contains(got, "grab: 1/2 files, 1 failed, 0 active, 3.0 MiB") {
			t.Errorf("lines: %q, want the failed file counted apart from the saved one", got)
		}
	})
	t.Run("bars", func(t *testing.T) {
		var buf syncBuffer
		pr := newProgress(&buf, progressBars, 2) // one file fails
		events(pr)
		pr.close()
		if got := buf.String(); !strings.Contains(got, "files") || !strings.Contains(got, "retrying") || !strings.Contains(got, "1/2") || !strings.Contains(got, "1 failed, ") {
			t.Errorf("bars: %q, want 1/2 files and 1 failed", got)
		}
	})
	t.Run("none", func(t *testing.T) {
		var buf syncBuffer
		pr := newProgress(&buf, progressNone, 1)
		events(pr)
		pr.close()
		if buf.String() != "" {
			t.Errorf("-q wrote %q", buf.String())
		}
	})
}

func TestParseRate(t *testing.T) {
	tests := []struct {
		in   string
		want int64 // -1: a usage error
	}{{"100", 100}, {"100K", 100 << 10}, {"1.5m", 3 << 19}, {"2G", 2 << 30}, {"0", 0}, {"0k", 0}, {"-1K", -1}, {"", -1}, {"10X", -1}, {"NaN", -1}}
	for _, tt := range tests {
		got, err := parseRate("--limit-rate", tt.in)
		if (err != nil) != (tt.want < 0) || err == nil && got != tt.want {
			t.Errorf("parseRate(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

// TestDownloadKill9 kills a grab download process at random moments
// (HOSTILE.md L6), over and over, then reruns it: a final name holds the
// complete file or nothing, never a partial one, and the last run leaves
// every file byte-identical to the source.
func TestDownloadKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds grab and runs it 60 times")
	}
	if runtime.GOOS == "windows" {
		t.Skip("kill -9 is a Unix signal")
	}
	bin := buildGrab(t)
	srv := httptest.NewServer(testserver.New())
	t.Cleanup(srv.Close)
	const files, size = 4, 96 << 10
	var urls []string
	want := map[string][]byte{}
	for i := range files {
		name := fmt.Sprintf("k%d.bin", i)
		// About 240 ms a file, so kills land mid-transfer.
		urls = append(urls, fmt.Sprintf("%s/dl/%d/%s?rate=400000", srv.URL, size, name))
		want[name] = testkit.DownloadContent(t, name, "", size)
	}
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 0))
	t.Logf("seed %d", seed)

	dir := t.TempDir()
	run := func(kill time.Duration) (killed bool) {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"download", "-q", "-j", "2", "--retries", "0", "-d", dir}, urls...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		if kill > 0 {
			select {
			case err := <-exited:
				if err != nil {
					t.Fatalf("grab download: %v\n%s", err, stderr.String())
				}
				return false
			case <-time.After(kill):
				cmd.Process.Kill() // SIGKILL, by PID
				<-exited
				return true
			}
		}
		select {
		case err := <-exited:
			if err != nil {
				t.Fatalf("grab download: %v\n%s", err, stderr.String())
			}
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-exited
			t.Fatal("grab download did not finish in 30s")
		}
		return false
	}
	check := func(trial int, complete bool) {
		t.Helper()
		es, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		finals := 0
		for _, e := range es {
			n := e.Name()
			if strings.HasSuffix(n, ".part") || strings.HasSuffix(n, ".part.json") || strings.HasSuffix(n, ".part.json.new") {
				if complete {
					t.Errorf("trial %d: %s left after a complete run", trial, n)
				}
				continue
			}
			w, ok := want[n]
			if !ok {
				t.Errorf("trial %d: unexpected file %s", trial, n)
				continue
			}
			got, _ := os.ReadFile(filepath.Join(dir, n))
			if !bytes.Equal(got, w) {
				t.Fatalf("trial %d: %s under its final name holds %d bytes that are not the source's %d", trial, n, len(got), len(w))
			}
			finals++
		}
		if complete && finals != files {
			t.Errorf("trial %d: %d final files after a complete run, want %d", trial, finals, files)
		}
	}
	kills := 0
	deadline := time.Now().Add(50 * time.Second)
	for trial := 1; trial <= 100 && kills < 60 && time.Now().Before(deadline); trial++ {
		if run(time.Duration(5+rng.IntN(250)) * time.Millisecond) {
			kills++
		}
		check(trial, false)
		if trial%3 == 0 {
			run(0)
			check(trial, true)
			os.RemoveAll(dir)
			os.Mkdir(dir, 0o755)
		}
	}
	if kills < 50 {
		t.Errorf("only %d runs were killed mid-way, want at least 50", kills)
	}
}

// TestDownloadHelpNameBytes: the help states download.MaxNameBytes.
func TestDownloadHelpNameBytes(t *testing.T) {
	if want := fmt.Sprintf("at most %d bytes", download.MaxNameBytes); !strings.Contains(strings.Join(strings.Fields(downloadLong), " "), want) {
		t.Errorf("grab download's help does not say %q", want)
	}
}

func TestDownloadGC(t *testing.T) {
	for _, tc := range []struct {
		n    int
		gogc string
		want int
	}{
		{1, "", 400},
		{50000, "", 400},
		{50001, "", 0},
		{1, "100", 0},
		{1, "off", 0},
	} {
		t.Setenv("GOGC", tc.gogc)
		if got := downloadGC(tc.n); got != tc.want {
			t.Errorf("downloadGC(%d, GOGC=%q) = %d; want %d", tc.n, tc.gogc, got, tc.want)
		}
	}

	// grab download runs at 400 and gives back the GOGC it found.
	t.Setenv("GOGC", "")
	defer debug.SetGCPercent(debug.SetGCPercent(77))
	gogc := func() uint64 {
		s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
		metrics.Read(s)
		return s[0].Value.Uint64()
	}
	var during atomic.Uint64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		during.Store(gogc())
		io.WriteString(w, "x")
	}))
	defer srv.Close()
	if code, _, errOut := runGrab(t, []string{"download", "-q", "-d", t.TempDir(), srv.URL + "/f"}, ""); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if got := during.Load(); got != 400 {
		t.Errorf("GOGC during the download = %d; want 400", got)
	}
	if got := gogc(); got != 77 {
		t.Errorf("GOGC after the download = %d; want 77, as before", got)
	}
}

// TestJSONOutputFails: --json lines that cannot be written fail the
// command (exit 1, "writing output"), after the files are saved.
func TestJSONOutputFails(t *testing.T) {
	base := getServer(t)
	dir := t.TempDir()
	for _, args := range [][]string{
		{"download", "-q", "--json", "-d", filepath.Join(dir, "d"), base + "/dl/5000/a.bin"},
		{"images", "-q", "--json", "--download", filepath.Join(dir, "i"), base + "/gallery/1.html"},
	} {
		var stderr bytes.Buffer
		code := Run(t.Context(), args, strings.NewReader(""), &fullWriter{}, &stderr)
		if code != ExitFailure || !strings.Contains(stderr.String(), "grab: writing output: no space left on device") {
			t.Errorf("%s: exit %d, stderr %q; want 1 and the write's error", args[0], code, stderr.String())
		}
		if es, _ := os.ReadDir(args[4]); len(es) == 0 {
			t.Errorf("%s: no file saved in %s", args[0], args[4])
		}
	}
}

// TestNoUserAgent: -A "" sends no User-Agent in download and images, as
// in get (it sent grab's own).
func TestNoUserAgent(t *testing.T) {
	var mu sync.Mutex
	var agents []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		agents = append(agents, fmt.Sprintf("%s %q", r.URL.Path, r.Header.Values("User-Agent")))
		mu.Unlock()
		fmt.Fprint(w, `<img src="/a.png">`)
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	for _, args := range [][]string{
		{"download", "-q", "-A", "", "-d", dir, srv.URL + "/f.html"},
		{"images", "-A", "", srv.URL + "/page.html"},
		{"images", "-q", "-A", "", "--download", filepath.Join(dir, "imgs"), srv.URL + "/page.html"},
	} {
		var stdout, stderr bytes.Buffer
		if code := Run(t.Context(), args, strings.NewReader(""), &stdout, &stderr); code != ExitOK {
			t.Fatalf("%q = %d: %s", args, code, stderr.String())
		}
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{`/f.html []`, `/page.html []`, `/page.html []`, `/a.png []`}
	if !slices.Equal(agents, want) {
		t.Errorf("User-Agent fields %q, want none: %q", agents, want)
	}
}
