//go:build unix

package atomicfile_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/grabhq/grab/internal/atomicfile"
	"github.com/grabhq/grab/internal/testkit"
)

func write(t *testing.T, path, text string, commit bool) error {
	t.Helper()
	f, err := atomicfile.Create(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
	if commit {
		return f.Commit()
	}
	return nil
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCreate(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out.txt")
	if err := write(t, p, "one", true); err != nil {
		t.Fatal(err)
	}
	if got := read(t, p); got != "one" {
		t.Errorf("after commit: %q", got)
	}
	// Aborted: the old content stays, and no temporary file is left.
	if err := write(t, p, "two", false); err != nil {
		t.Fatal(err)
	}
	if got := read(t, p); got != "one" {
		t.Errorf("after abort: %q", got)
	}
	if es, _ := os.ReadDir(dir); len(es) != 1 {
		t.Errorf("%d entries left in the directory, want 1", len(es))
	}
	// A link stays a link; the file it points to is replaced.
	link := filepath.Join(dir, "link")
	os.Symlink("out.txt", link)
	if err := write(t, link, "three", true); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v %v", fi, err)
	}
	if got := read(t, p); got != "three" {
		t.Errorf("through the link: %q", got)
	}
	// The file replaced keeps its permissions (as curl -o's), through the
	// link too.
	for _, perm := range []os.FileMode{0o600, 0o755} {
		os.Chmod(p, perm)
		for _, name := range []string{p, link} {
			if err := write(t, name, "four", true); err != nil {
				t.Fatal(err)
			}
			if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != perm {
				t.Errorf("%s, mode %v before: %v after, %v", name, perm, fi.Mode().Perm(), err)
			}
		}
	}
	// Errors name the path.
	if err := write(t, dir, "x", true); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Errorf("a directory: %v", err)
	}
	missing := filepath.Join(dir, "no", "such.txt")
	if err := write(t, missing, "x", true); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("a missing directory: %v", err)
	}
}

// TestLongName: a name of 255 bytes, the most a file system takes, gets a
// temporary file too (which is 19 bytes longer than the name it is for).
func TestLongName(t *testing.T) {
	p := filepath.Join(t.TempDir(), strings.Repeat("n", 255))
	if err := write(t, p, "long", true); err != nil {
		t.Fatal(err)
	}
	if got := read(t, p); got != "long" {
		t.Errorf("%q", got)
	}
}

// TestCreateNew: nothing at the path is ever replaced, whether it was
// there at the start or came while the file was written.
func TestCreateNew(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "new.txt")
	f, err := atomicfile.CreateNew(p)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("new")
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := read(t, p); got != "new" {
		t.Errorf("committed: %q", got)
	}
	if _, err := atomicfile.CreateNew(p); !errors.Is(err, atomicfile.ErrExists) || !strings.Contains(err.Error(), p) {
		t.Errorf("CreateNew of a file there: %v", err)
	}
	link := filepath.Join(dir, "dangling")
	os.Symlink("nowhere", link)
	if _, err := atomicfile.CreateNew(link); !errors.Is(err, atomicfile.ErrExists) {
		t.Errorf("CreateNew of a dangling link: %v", err)
	}
	late := filepath.Join(dir, "late.txt")
	f, err = atomicfile.CreateNew(late)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Abort()
	f.WriteString("mine")
	os.WriteFile(late, []byte("theirs"), 0o666)
	if err := f.Commit(); !errors.Is(err, atomicfile.ErrExists) {
		t.Errorf("Commit over a file made meanwhile: %v", err)
	}
	f.Abort()
	if got := read(t, late); got != "theirs" {
		t.Errorf("the file made meanwhile holds %q", got)
	}
	if es, _ := os.ReadDir(dir); len(es) != 3 {
		t.Errorf("%d entries in the directory, want 3 (no temporary file left)", len(es))
	}
}

// TestNotRegular: a FIFO (as /dev/null or /dev/stdout would be) is written
// to as it is and never replaced by a file.
func TestNotRegular(t *testing.T) {
	fifo, got := testkit.FIFO(t)
	if err := write(t, fifo, "through", true); err != nil {
		t.Fatal(err)
	}
	if g := <-got; g != "through" {
		t.Errorf("read from the FIFO: %q", g)
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced: %v %v", fi, err)
	}
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "state")
	put := func(text string) error {
		return atomicfile.WriteFile(p, 0o640, func(w io.Writer) error {
			if text == "" {
				return io.ErrUnexpectedEOF
			}
			_, err := io.WriteString(w, text)
			return err
		})
	}
	if err := put("one"); err != nil {
		t.Fatal(err)
	}
	if err := put(""); err != io.ErrUnexpectedEOF {
		t.Fatalf("a failed write: %v", err)
	}
	if got := read(t, p); got != "one" {
		t.Errorf("after a failed write: %q", got)
	}
	if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("mode: %v, %v", fi, err)
	}
	if es, _ := os.ReadDir(dir); len(es) != 1 {
		t.Errorf("%d entries, want 1 (no temporary file left)", len(es))
	}
}

// TestReadOnlyTarget: a file its user may not write is not replaced, as
// curl -o and wget -O refuse it, although the directory would let a
// rename replace it. Root may write anything: as root, the test runs
// itself again as nobody (setpriv), and is skipped without setpriv.
func TestReadOnlyTarget(t *testing.T) {
	dir := os.Getenv("GRAB_TEST_RO_TARGET")
	if dir != "" || os.Getuid() != 0 {
		if dir == "" {
			dir = t.TempDir()
			os.WriteFile(filepath.Join(dir, "p.txt"), []byte("precious"), 0o444)
		}
		p := filepath.Join(dir, "p.txt")
		err := write(t, p, "new", true)
		if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), p) {
			t.Errorf("write over a read-only file: %v, want a permission error naming it", err)
		}
		err = atomicfile.WriteFile(p, 0o600, func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err })
		if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), p) {
			t.Errorf("WriteFile over a read-only file: %v, want a permission error naming it", err)
		}
		if got := read(t, p); got != "precious" {
			t.Errorf("the read-only file holds %q", got)
		}
		return
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("running as root without setpriv")
	}
	// A directory nobody can reach, holding a copy of the test binary
	// (the build's directory is root's alone) and root's read-only file.
	dir, err = os.MkdirTemp("", "atomicfile-ro")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o777)
	bin, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "test.bin"), bin, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "p.txt"), []byte("precious"), 0o444)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, setpriv, "--reuid=65534", "--regid=65534", "--clear-groups",
		filepath.Join(dir, "test.bin"), "-test.run=^TestReadOnlyTarget$", "-test.count=1", "-test.v")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GRAB_TEST_RO_TARGET="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestReadOnlyTarget") {
		t.Fatalf("as nobody: %v\n%s", err, out)
	}
	if es, _ := os.ReadDir(dir); len(es) != 2 {
		t.Errorf("%d entries left, want the binary and p.txt", len(es))
	}
}
