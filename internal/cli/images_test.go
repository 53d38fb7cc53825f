package cli

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

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
		{runTest{"bad --kinds", []string{"images", "--kinds", "img,pics", base + "/gallery/24.html"}, ExitUsage, empty,
			contains(`grab: --kinds: unknown image kind "pics"`)}, ""},
		{runTest{"bad --page-url", []string{"images", "--page-url", "gallery.html", "-"}, ExitUsage, empty, contains("--page-url", "absolute")}, ""},
		{runTest{"other scheme", []string{"images", "ftp://example.com/"}, ExitUsage, empty, contains("want an http, https or file: URL")}, ""},
		{runTest{"no target", []string{"images"}, ExitUsage, empty, contains("accepts 1 arg")}, ""},
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
