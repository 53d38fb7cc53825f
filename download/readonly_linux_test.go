//go:build linux

package download_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/grabhq/grab/download"
	"github.com/grabhq/grab/internal/testkit"
)

// TestReadOnlyDir: a download into a read-only file system fails with an
// error naming the directory, before any request is sent (HOSTILE.md L9);
// CheckDir says so too, for it and a directory to make in it.
// The directory is a tmpfs mounted read-only in a new user and mount
// namespace (unshare -rm), where the test runs itself again; it is
// skipped where unshare cannot make one.
func TestReadOnlyDir(t *testing.T) {
	if dir := os.Getenv("GRAB_TEST_RO_DIR"); dir != "" {
		_, err := client(t).Do(t.Context(), download.Request{URL: os.Getenv("GRAB_TEST_RO_URL"), Dir: dir})
		if !errors.Is(err, syscall.EROFS) {
			t.Fatalf("Do = %v, want a read-only file system error", err)
		}
		if !strings.Contains(err.Error(), dir) {
			t.Errorf("error %q does not name %s", err, dir)
		}
		for _, d := range []string{dir, filepath.Join(dir, "new", "sub")} {
			if err := download.CheckDir(d); !errors.Is(err, syscall.EROFS) || !strings.Contains(err.Error(), dir) {
				t.Errorf("CheckDir(%s) = %v, want a read-only file system error naming %s", d, err, dir)
			}
		}
		return
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("no unshare")
	}
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write([]byte("data"))
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, unshare, "-rm", "mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("unshare -rm cannot mount a tmpfs here: %v %s", err, out)
	}
	cmd := exec.CommandContext(ctx, unshare, "-rm", "sh", "-c",
		`mount -t tmpfs -o ro,size=1m tmpfs "$1" && exec "$2" -test.run='^TestReadOnlyDir$' -test.count=1`, "sh", dir, os.Args[0])
	cmd.Env = append(os.Environ(), "GRAB_TEST_RO_DIR="+dir, "GRAB_TEST_RO_URL="+srv.URL+"/file.bin")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("in a read-only tmpfs: %v\n%s", err, out)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("%d requests sent for a file that cannot be saved", n)
	}
}

// TestSpecialFiles: a final name taken by a directory or a FIFO (as
// /dev/null is a device) is never replaced, even with Overwrite, and fails
// before any request.
func TestSpecialFiles(t *testing.T) {
	base := testkit.DownloadServer(t)
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "d.bin"), 0o755)
	if err := syscall.Mkfifo(filepath.Join(dir, "f.bin"), 0o644); err != nil {
		t.Skip("no FIFO:", err)
	}
	c := client(t)
	c.IfExists = download.Overwrite
	for _, name := range []string{"d.bin", "f.bin"} {
		res, err := c.Do(t.Context(), download.Request{URL: base + "/dl/100/" + name, Dir: dir})
		if !errors.Is(err, download.ErrNotFile) || res[0].Outcome != download.Failed || res[0].Attempts != 0 {
			t.Errorf("%s: Do = %+v, %v; want failed with ErrNotFile before any request", name, res[0], err)
		}
	}
	if fi, err := os.Lstat(filepath.Join(dir, "f.bin")); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced: %v, %v", fi, err)
	}
	if es, _ := os.ReadDir(dir); len(es) != 2 {
		t.Errorf("%d entries in the directory, want the 2 it had", len(es))
	}
}
