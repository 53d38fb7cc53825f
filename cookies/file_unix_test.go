//go:build unix

package cookies_test

import (
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grabhq/grab/cookies"
	"github.com/grabhq/grab/internal/testkit"
)

// TestSaveDevice: a device or a pipe, itself or through a link, is written
// to as it is (curl's -c /dev/null), where Save refused it; a link to a
// regular file is still refused (TestSaveFile).
func TestSaveDevice(t *testing.T) {
	j := new(cookies.Jar)
	u, _ := url.Parse("http://127.0.0.1/")
	j.SetCookies(u, []*http.Cookie{{Name: "a", Value: "1", MaxAge: 3600}})
	if err := j.Save(os.DevNull, nil); err != nil {
		t.Errorf("Save(%s) = %v", os.DevNull, err)
	}
	link := filepath.Join(t.TempDir(), "null")
	if err := os.Symlink(os.DevNull, link); err != nil {
		t.Fatal(err)
	}
	if err := j.Save(link, nil); err != nil {
		t.Errorf("Save(a link to %s) = %v", os.DevNull, err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v", err)
	}
	fifo, got := testkit.FIFO(t)
	if err := j.Save(fifo, nil); err != nil {
		t.Fatalf("Save(a FIFO) = %v", err)
	}
	if s := <-got; !strings.Contains(s, "127.0.0.1\tFALSE\t/\tFALSE\t") || !strings.Contains(s, "\ta\t1") {
		t.Errorf("the FIFO got %q, want the jar", s)
	}
}
