package cli

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/grabhq/grab/internal/testkit"
	"github.com/grabhq/grab/testserver"
)

// sortedLines checks stdout against want, sorted, one per line.
func sortedLines(want []string) check {
	w := slices.Clone(want)
	slices.Sort(w)
	w = slices.Compact(w)
	return equals(strings.Join(w, "\n") + "\n")
}

// jsonImages checks that stdout holds n JSON objects with every field.
func jsonImages(n int, kinds ...string) check {
	return func(got string) string {
		lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
		if len(lines) != n {
			return fmt.Sprintf("got %d lines, want %d", len(lines), n)
		}
		seen := map[string]bool{}
		for _, l := range lines {
			var m map[string]any
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				return fmt.Sprintf("line %q: %v", l, err)
			}
			for _, f := range []string{"url", "raw", "tag", "attr", "kind", "descriptor", "alt"} {
				if _, ok := m[f]; !ok {
					return fmt.Sprintf("line %q lacks %q", l, f)
				}
			}
			seen[m["kind"].(string)] = true
		}
		for _, k := range kinds {
			if !seen[k] {
				return fmt.Sprintf("no image of kind %q", k)
			}
		}
		return ""
	}
}

func TestImages(t *testing.T) {
	srv := httptest.NewServer(testserver.New(testserver.WithFaults()))
	t.Cleanup(srv.Close)
	base := srv.URL
	images, css := testserver.GalleryExpected(base, 24)
	latin, _ := testserver.GalleryLatin1Expected(base, 24)
	var page strings.Builder
	resp, err := srv.Client().Get(base + "/gallery/24.html")
	if err != nil {
		t.Fatal(err)
	}
	func() {
		defer resp.Body.Close()
		buf := make([]byte, 32<<10)
		for {
			n, err := resp.Body.Read(buf)
			page.Write(buf[:n])
			if err != nil {
				break
			}
		}
	}()
	dir := t.TempDir()
	file := filepath.Join(dir, "gallery.html")
	if err := os.WriteFile(file, []byte(page.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	fileURL := "file://" + filepath.ToSlash(file)
	noURL := contains("warning:", "relative image URLs are left out (give --page-url)")

	tests := []stdinTest{
		{runTest{"2-7 parse_image.py", []string{"images", base + "/gallery/24.html"}, ExitOK, sortedLines(images), empty}, ""},
		{runTest{"base href", []string{"images", base + "/gallery/24-base.html"}, ExitOK, sortedLines(images), empty}, ""},
		{runTest{"latin1 page", []string{"images", base + "/gallery/24-latin1.html"}, ExitOK, sortedLines(latin), empty}, ""},
		{runTest{"after a redirect", []string{"images", base + "/redirect-to?url=/gallery/24.html"}, ExitOK, sortedLines(images), empty}, ""},
		{runTest{"--kinds css", []string{"images", "--kinds", "css", base + "/gallery/24.html"}, ExitOK, sortedLines(css), empty}, ""},
		{runTest{"--json", []string{"images", "--json", "--kinds", "all", base + "/gallery/24.html"}, ExitOK,
			jsonImages(len(images)+len(css)+1, "img", "srcset", "source", "lazy", "meta", "css", "icon"), empty}, ""},
		{runTest{"stdin with --page-url", []string{"images", "--page-url", base + "/gallery/24.html", "-"}, ExitOK, sortedLines(images), empty}, page.String()},
		{runTest{"file with --page-url", []string{"images", "--page-url", base + "/gallery/24.html", file}, ExitOK, sortedLines(images), empty}, ""},
		{runTest{"stdin without a page URL", []string{"images", "-"}, ExitOK, contains(base + "/img/1200x630/og.png"), noURL}, page.String()},
		{runTest{"file: URL", []string{"images", fileURL}, ExitOK, lacks("/img/0.png"), noURL}, ""},
		{runTest{"file: URL with --page-url", []string{"images", "--page-url", base + "/gallery/24.html", fileURL}, ExitOK, sortedLines(images), empty}, ""},
		{runTest{"--data", []string{"images", "--data", base + "/gallery/24.html"}, ExitOK, contains("data:image/png;base64,"), empty}, ""},
		{runTest{"no images", []string{"images", base + "/hello"}, ExitOK, empty, empty}, ""},
		{runTest{"404", []string{"images", base + "/status/404"}, ExitFailure, empty, contains("grab: ", "404 Not Found")}, ""},
		{runTest{"missing file", []string{"images", filepath.Join(dir, "nope.html")}, ExitFailure, empty, contains("grab: ", "nope.html")}, ""},
		{runTest{"a directory", []string{"images", dir}, ExitFailure, empty, equals("grab: open " + dir + ": is a directory, not a file\n")}, ""},
		{runTest{"bad --kinds", []string{"images", "--kinds", "img,pics", base + "/gallery/24.html"}, ExitUsage, empty,
			contains(`grab: --kinds: unknown image kind "pics"`)}, ""},
		{runTest{"bad --page-url", []string{"images", "--page-url", "gallery.html", "-"}, ExitUsage, empty, contains("--page-url", "absolute")}, ""},
		{runTest{"--page-url with a bad port", []string{"images", "--page-url", "http://u:s3cret@h:99999/", "-"}, ExitUsage, empty,
			equals("grab: --page-url: urlx: invalid port \"99999\" (out of range 0-65535) in \"http://u:xxxxx@h:99999/\"\ngrab: run 'grab images --help' for usage\n")}, page.String()},
		{runTest{"a zone page URL", []string{"images", "http://[fe80::1%25lo]:1/"}, ExitUsage, empty, contains(`"http://[fe80::1%25lo]:1/": an IPv6 zone`)}, ""},
		{runTest{"a zone --page-url", []string{"images", "--page-url", "http://[fe80::1%25lo]/", "-"}, ExitUsage, empty, contains("grab: --page-url: page URL", "an IPv6 zone")}, page.String()},
		{runTest{"other scheme", []string{"images", "ftp://example.com/"}, ExitUsage, empty, contains("want an http, https or file: URL")}, ""},
		{runTest{"no target", []string{"images"}, ExitUsage, empty, contains("want one TARGET", "got 0 arguments")}, ""},
		{runTest{"-j without --download", []string{"images", "-j", "4", base + "/gallery/24.html"}, ExitUsage, empty, contains("grab: -j/--jobs applies to --download: give it, or leave -j out\n")}, ""},
		{runTest{"-q without --download", []string{"images", "-q", base + "/gallery/24.html"}, ExitUsage, empty, contains("-q/--quiet applies to --download")}, ""},
		{runTest{"two targets", []string{"images", base + "/gallery/24.html", base + "/gallery/3.html"}, ExitUsage, empty, contains("want one TARGET", "got 2 arguments")}, ""},
	}
	runStdinTests(t, tests)
}

// TestImagesTruncated: a limit reached prints what was found and fails.
func TestImagesTruncated(t *testing.T) {
	page := strings.Repeat("<img src=\"/a.png\">", 3) + "<div title=\"" + strings.Repeat("x", 17<<20) + "\"><img src=\"/b.png\">"
	runStdinTests(t, []stdinTest{
		{runTest{"token limit", []string{"images", "--page-url", "http://example.com/", "-"}, ExitFailure,
			equals("http://example.com/a.png\n"), contains("grab: parse: truncated", "MaxTokenBytes")}, page},
	})
}

// TestImagesCredentialsOrigin: for a page read from a file or a file: URL,
// -u and -b go to the origin --page-url names, however its scheme and
// host are spelt, and nowhere else.
func TestImagesCredentialsOrigin(t *testing.T) {
	h := testserver.New()
	var mu sync.Mutex
	seen := map[string]http.Header{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.URL.Path] = r.Header.Clone()
		mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen["other"+r.URL.Path] = r.Header.Clone()
		mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(other.Close)
	local := filepath.Join(t.TempDir(), "page.html")
	html := `<img src="/img/64x64/1.png"><img src="` + other.URL + `/img/64x64/2.png">`
	if err := os.WriteFile(local, []byte(html), 0o644); err != nil {
		t.Fatal(err)
	}
	pageURL := strings.Replace(srv.URL, "http://", "HTTP://", 1) + "/page.html"
	for _, tt := range []struct {
		target string
		flag   []string
		field  string
		want   string
	}{
		{"file:" + local, []string{"-b", "sid=c00k1e"}, "Cookie", "sid=c00k1e"},
		{"file://" + local, []string{"-u", "kim:pw"}, "Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte("kim:pw"))},
		{local, []string{"--oauth2-bearer", "t0ken"}, "Authorization", "Bearer t0ken"},
	} {
		mu.Lock()
		clear(seen)
		mu.Unlock()
		args := append(append([]string{"images", "-q", "--page-url", pageURL}, tt.flag...), "--download", t.TempDir(), tt.target)
		if code, _, stderr := runGrab(t, args, ""); code != ExitOK {
			t.Fatalf("%q: exit %d, stderr %q", args, code, stderr)
		}
		mu.Lock()
		if got := seen["/img/64x64/1.png"].Get(tt.field); got != tt.want {
			t.Errorf("%q: the page's origin got %s %q, want %q", args, tt.field, got, tt.want)
		}
		if got, ok := seen["other/img/64x64/2.png"]; !ok || got.Get(tt.field) != "" {
			t.Errorf("%q: another origin got %s %q (asked %v)", args, tt.field, got.Get(tt.field), ok)
		}
		mu.Unlock()
	}
}

// TestImagesDownload: --download saves each image once, byte-identical to
// what the server sends, wherever --download and its DIR stand; a second
// run finds every file current.
func TestImagesDownload(t *testing.T) {
	srv := httptest.NewServer(testserver.New())
	t.Cleanup(srv.Close)
	page := srv.URL + "/gallery/24.html"
	images, _ := testserver.GalleryExpected(srv.URL, 24)
	slices.Sort(images)
	images = slices.Compact(images)
	for _, args := range [][]string{
		{"images", page, "--download", "DIR", "--json"},
		{"images", "--json", "--download", "DIR", page},
		{"images", "--download=DIR", "--json", "-j", "2", page},
		{"images", "--download", "-j", "2", "DIR", "--json", page}, // a flag between --download and DIR
	} {
		dir := filepath.Join(t.TempDir(), "out")
		args = slices.Clone(args)
		for i, a := range args {
			args[i] = strings.Replace(a, "DIR", dir, 1)
		}
		code, stdout, stderr := runGrab(t, args, "")
		if code != ExitOK || !strings.Contains(stderr, fmt.Sprintf("%d files: %d downloaded", len(images), len(images))) {
			t.Fatalf("%q: exit %d, stderr %q", args, code, stderr)
		}
		var saved []string
		for line := range strings.Lines(stdout) {
			var r struct{ URL, Path, Outcome string }
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				t.Fatalf("%q: line %q: %v", args, line, err)
			}
			got, err := os.ReadFile(r.Path)
			if err != nil || string(got) != fetchBody(t, srv, r.URL) || filepath.Dir(r.Path) != dir {
				t.Errorf("%q: %s saved wrong as %s (%v)", args, r.URL, r.Path, err)
			}
			saved = append(saved, r.URL)
		}
		if slices.Sort(saved); !slices.Equal(saved, images) {
			t.Errorf("%q: saved %q, want %q", args, saved, images)
		}
		if entries, err := os.ReadDir(dir); err != nil || len(entries) != len(images) {
			t.Errorf("%q: %d files in DIR (%v), want %d", args, len(entries), err, len(images))
		}
		code, _, stderr = runGrab(t, args, "")
		if code != ExitOK || !strings.Contains(stderr, fmt.Sprintf("%d not-modified", len(images))) {
			t.Errorf("%q again: exit %d, stderr %q", args, code, stderr)
		}
	}
	// --download alone saves into DOWNLOAD, as the textbook's script.
	t.Chdir(t.TempDir())
	if code, _, stderr := runGrab(t, []string{"images", page, "--download"}, ""); code != ExitOK {
		t.Errorf("bare --download: exit %d, stderr %q", code, stderr)
	}
	if entries, err := os.ReadDir("DOWNLOAD"); err != nil || len(entries) != len(images) {
		t.Errorf("bare --download: %d files in DOWNLOAD (%v), want %d", len(entries), err, len(images))
	}
	// A bare --download before a file: URL reads that page, as openPage
	// does, even in the form without "//".
	local := filepath.Join(t.TempDir(), "local.html")
	if err := os.WriteFile(local, []byte(`<img src="`+images[0]+`">`), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runGrab(t, []string{"images", "--download", "file:" + local}, ""); code != ExitOK || !strings.Contains(stderr, "grab: 1 file: ") {
		t.Errorf("--download file:%s: exit %d, stderr %q", local, code, stderr)
	}
	// A page without images downloads nothing; -q says nothing.
	dir := t.TempDir()
	code, stdout, stderr := runGrab(t, []string{"images", "-q", "--download", dir, page}, "")
	if code != ExitOK || stdout != "" || stderr != "" {
		t.Errorf("-q --download: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	code, _, stderr = runGrab(t, []string{"images", "--download", dir, srv.URL + "/hello"}, "")
	if code != ExitOK || !strings.Contains(stderr, "no image to download") {
		t.Errorf("no images: exit %d, stderr %q", code, stderr)
	}
	runStdinTests(t, []stdinTest{
		{runTest: runTest{"three arguments", []string{"images", page, "a", "b"}, ExitUsage, empty, contains("want one TARGET", "got 3 arguments")}},
		{runTest: runTest{"--download DIR without a page", []string{"images", "--download", "no-such-out"}, ExitUsage, empty,
			contains(`"no-such-out" after --download is no page to read`)}},
	})
}

// TestImagesDownloadTimeout: -m bounds the page and its images together, not
// each request: an image that takes 1.5 s fails under -m 1 rather than
// finishing on a retry that gets a second of its own.
func TestImagesDownloadTimeout(t *testing.T) {
	dl := testkit.DownloadServer(t)
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<img src="%s/dl/150000/slow.png?rate=100000">`, dl)
	}))
	t.Cleanup(page.Close)
	dir := t.TempDir()
	code, _, stderr := runGrab(t, []string{"images", "-q", "-m", "1", "--download", dir, page.URL}, "")
	if code != ExitFailure || !strings.Contains(stderr, "total timeout (1s)") {
		t.Fatalf("exit %d, stderr %q; want 1 and the total timeout", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "slow.png")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("slow.png saved (%v): the timeout did not hold for the images", err)
	}
}

// runGrab runs grab with args and stdin and returns its exit code, stdout
// and stderr.
func runGrab(t *testing.T, args []string, stdin string) (int, string, string) {
	t.Helper()
	var stdout, stderr syncBuffer
	code := Run(t.Context(), args, strings.NewReader(stdin), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// fetchBody returns the body srv sends for url.
func fetchBody(t *testing.T, srv *httptest.Server, url string) string {
	t.Helper()
	resp, err := srv.Client().Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestImagesFileNamedHTTP: a local file named "http" (no colon) is a file,
// not a URL.
func TestImagesFileNamedHTTP(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := os.WriteFile("http", []byte(`<img src="http://example.com/a.png">`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runGrab(t, []string{"images", "http"}, "")
	if code != ExitOK || stdout != "http://example.com/a.png\n" {
		t.Errorf("grab images http: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}
