package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/grabhq/grab/testserver"
)

// TestDemo: grab demo saves every image of the gallery, as the test
// server's own list has them, and a second run finds them all current.
func TestDemo(t *testing.T) {
	images, _ := testserver.GalleryExpected("http://127.0.0.1", 24)
	n := len(slices.Compact(slices.Sorted(slices.Values(images))))
	dir := filepath.Join(t.TempDir(), "pics")
	for i, want := range []string{fmt.Sprintf("%d downloaded", n), fmt.Sprintf("%d not-modified", n)} {
		code, stdout, stderr := runGrab(t, []string{"demo", "-d", dir}, "")
		if code != ExitOK {
			t.Fatalf("run %d: exit %d, stderr %q", i+1, code, stderr)
		}
		for _, line := range []string{"page", "/gallery/24.html", fmt.Sprintf("images  %d found (", n), "files   " + want, "saved", dir} {
			if !strings.Contains(stdout, line) {
				t.Errorf("run %d: stdout lacks %q:\n%s", i+1, line, stdout)
			}
		}
		if !strings.Contains(stderr, "test server on http://127.0.0.1:") {
			t.Errorf("run %d: stderr %q", i+1, stderr)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != n {
		t.Errorf("%d files in %s (%v), want %d", len(entries), dir, err, n)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".part") || strings.HasSuffix(e.Name(), ".json") {
			t.Errorf("left behind: %s", e.Name())
		}
	}
	file := filepath.Join(t.TempDir(), "afile")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	runStdinTests(t, []stdinTest{
		{runTest{"-q", []string{"demo", "-q", "--gallery", "3", "-d", t.TempDir()}, ExitOK, contains("files   6 downloaded"), empty}, ""},
		{runTest{"bad --gallery", []string{"demo", "--gallery", "-1"}, ExitUsage, empty, contains("--gallery -1: want 0 to")}, ""},
		{runTest{"bad -j", []string{"demo", "-j", "0"}, ExitUsage, empty, contains("-j 0: want 1 or more")}, ""},
		{runTest{"arguments", []string{"demo", "extra"}, ExitUsage, empty, contains("unknown command")}, ""},
		{runTest{"-d names a file: no summary", []string{"demo", "-q", "-d", file}, ExitFailure, empty, contains("is not a directory")}, ""},
	})
}
