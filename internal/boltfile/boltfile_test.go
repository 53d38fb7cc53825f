package boltfile

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// goodFile writes a bbolt file of a few hundred KiB to path.
func goodFile(t *testing.T, path string) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte("b"))
		if err != nil {
			return err
		}
		for i := range 3000 {
			if err := b.Put(fmt.Appendf(nil, "key-%05d", i), bytes.Repeat([]byte{byte(i)}, 100)); err != nil {
				return err
			}
		}
		return nil
	})
	if err := errors.Join(err, db.Close()); err != nil {
		t.Fatal(err)
	}
}

// TestOpenDamaged: every kind of damage the state-file hunts made is an
// error matching ErrDamaged; bbolt alone panicked ("invalid freelist
// page", "slice bounds out of range") or took a SIGBUS on some of them.
func TestOpenDamaged(t *testing.T) {
	damage := map[string]func(path string) error{
		"garbage":       func(p string) error { return os.WriteFile(p, []byte("not a database at all"), 0o600) },
		"cut to 16 KiB": func(p string) error { return os.Truncate(p, 16<<10) },
		"cut mid-file":  func(p string) error { return os.Truncate(p, 100000) },
		"cut short":     func(p string) error { return os.Truncate(p, 5000) },
		"zeroed metas": func(p string) error {
			return overwrite(p, 0, make([]byte, 2*os.Getpagesize()))
		},
		"a page overwritten": func(p string) error { return overwrite(p, 16400, bytes.Repeat([]byte{0xff}, 300)) },
		"the root page overwritten": func(p string) error {
			return overwrite(p, int64(2*os.Getpagesize()), bytes.Repeat([]byte{0xff}, 3*os.Getpagesize()))
		},
	}
	for name, f := range damage {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "s.db")
			goodFile(t, path)
			if err := f(path); err != nil {
				t.Fatal(err)
			}
			db, err := Open(path, time.Second, false)
			if err == nil {
				db.Close()
				t.Fatal("Open of a damaged file succeeded")
			}
			if !errors.Is(err, ErrDamaged) {
				t.Errorf("Open = %v, want ErrDamaged", err)
			}
		})
	}
	t.Run("whole", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "s.db")
		goodFile(t, path)
		db, err := Open(path, time.Second, true)
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
	})
	t.Run("new", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "s.db")
		if _, err := Open(path, time.Second, true); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("Open read-only of a missing file = %v, want ErrNotExist", err)
		}
		db, err := Open(path, time.Second, false)
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
	})
	t.Run("locked", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "s.db")
		db, err := Open(path, time.Second, false)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := Open(path, 10*time.Millisecond, false); !errors.Is(err, bolt.ErrTimeout) {
			t.Errorf("second Open = %v, want bolt.ErrTimeout", err)
		}
	})
}

func overwrite(path string, off int64, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteAt(b, off)
	return errors.Join(err, f.Close())
}

// TestOpenReadOnlyNothing: read-only, a missing file and an empty one (a
// kill cut before bbolt's first pages) are both fs.ErrNotExist, each said
// as what it is; a directory is refused, not damaged.
func TestOpenReadOnlyNothing(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		filepath.Join(dir, "missing.db"): "no such file",
		empty:                            "empty file, no database yet",
	} {
		_, err := Open(path, time.Second, true)
		if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(fmt.Sprint(err), want) {
			t.Errorf("Open(%s) = %v, want fs.ErrNotExist saying %q", filepath.Base(path), err, want)
		}
	}
	if _, err := Open(dir, time.Second, false); err == nil || errors.Is(err, ErrDamaged) {
		t.Errorf("Open(a directory) = %v, want a refusal that is not ErrDamaged", err)
	}
}
