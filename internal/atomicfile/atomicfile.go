// Package atomicfile writes an output file under a temporary name beside
// it and renames it into place when complete, so that a failure (a cut
// body, a timeout, a full disk) never leaves a partial file under the
// final name nor changes an existing one: what curl -o and urlretrieve
// would write, made safe.
//
// A path naming something other than a regular file (a device such as
// /dev/null, a FIFO, a terminal) is written to as it is, never replaced,
// as curl and Python do; a symbolic link stays and the file it points to
// is replaced.
package atomicfile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// File is an output file being written.
type File struct {
	*os.File
	path      string // the final name
	direct    bool   // written to as it is: not a regular file
	noReplace bool   // CreateNew: Commit never replaces what is at path
	done      bool
}

// ErrExists is matched (errors.Is) by the error of CreateNew, or of its
// Commit, when something is at the path already.
var ErrExists = errors.New("exists, not replaced")

// CreateNew is Create for a path that must not be there: it fails when
// something is (a link included, which is not followed), and so does
// Commit if something has come since, which it leaves as it is.
func CreateNew(path string) (*File, error) {
	if _, err := os.Lstat(path); err == nil {
		return nil, fmt.Errorf("%s %w", path, ErrExists)
	}
	f, err := Create(path)
	if err != nil {
		return nil, err
	}
	f.noReplace = true
	return f, nil
}

// Create starts writing path. The temporary file, ".NAME.RANDOM.part" in
// path's directory (NAME cut to 100 bytes, so that a name of up to 255 has
// one), is made exclusively, never through a link, with the
// permissions of the file it will replace (as curl -o keeps them), or for
// a new file those a plain create would give (0666 less the umask). A
// file the process may not write (mode 0444 for its owner) is refused.
func Create(path string) (*File, error) {
	fi, serr := os.Stat(path)
	if serr == nil && !fi.Mode().IsRegular() {
		if fi.IsDir() {
			return nil, fmt.Errorf("%s is a directory", path)
		}
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return nil, err
		}
		return &File{File: f, path: path, direct: true}, nil
	}
	if serr == nil {
		if err := writable(path); err != nil {
			return nil, err
		}
	}
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	var f *os.File
	stem := base
	if len(stem) > 100 { // the name with its 19 bytes more must fit in 255
		stem = strings.ToValidUTF8(stem[:100], "") // not a rune cut in two
	}
	for range 10 {
		var r [6]byte
		rand.Read(r[:])
		var err error
		f, err = os.OpenFile(filepath.Join(dir, "."+stem+"."+hex.EncodeToString(r[:])+".part"), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
		if err == nil {
			break
		}
		if !errors.Is(err, os.ErrExist) {
			var pe *os.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return nil, fmt.Errorf("cannot write %s: %w", path, err)
		}
	}
	if f == nil {
		return nil, fmt.Errorf("cannot make a temporary file beside %s", path)
	}
	if serr == nil {
		if err := f.Chmod(fi.Mode().Perm()); err != nil {
			f.Close()
			os.Remove(f.Name())
			return nil, fmt.Errorf("cannot write %s: %w", path, err)
		}
	}
	return &File{File: f, path: path}, nil
}

// writable returns why the existing file at path may not be written by
// this process, if it may not: such a file is not replaced, as curl -o
// and wget -O cannot open it (the directory's permission alone would let
// a rename replace it).
func writable(path string) error {
	w, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	return w.Close()
}

// Sync commits the file's data to stable storage; it does nothing for a
// file written to as it is.
func (f *File) Sync() error {
	if f.direct {
		return nil
	}
	return f.File.Sync()
}

// Commit closes the file and, unless it was written to as it is, renames
// it to its final name. Call Sync first for a file that must survive a
// crash of the machine.
func (f *File) Commit() error {
	if err := f.Close(); err != nil {
		return err
	}
	switch {
	case f.noReplace:
		if err := linkNew(f.Name(), f.path); err != nil {
			return err
		}
		os.Remove(f.Name())
	case !f.direct:
		if err := os.Rename(f.Name(), f.path); err != nil {
			return err
		}
	}
	f.done = true
	return nil
}

// linkNew gives the file tmp the name path unless path exists: a hard
// link, which never replaces; where the file system has none, a rename
// after a look (which a file made in between would lose to).
func linkNew(tmp, path string) error {
	err := os.Link(tmp, path)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, fs.ErrExist):
		return fmt.Errorf("%s %w", path, ErrExists)
	}
	if _, lerr := os.Lstat(path); lerr == nil {
		return fmt.Errorf("%s %w", path, ErrExists)
	}
	return os.Rename(tmp, path)
}

// Abort closes the file and removes it unless it was committed or written
// to as it is. It is safe after Commit, for a defer.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.Close()
	if !f.direct {
		os.Remove(f.Name())
	}
}

// WriteFile writes path through write, for files that must survive a
// crash of the machine (a cookie jar, a job's state and reports): a
// temporary file ".NAME.tmp-*" beside it, made exclusively, synced,
// renamed over path only once complete, and the directory synced so that
// the rename holds too. An existing file keeps its permissions; a new one
// gets perm; one the process may not write is refused, as by Create. On
// an error nothing is left but what path was. The caller
// checks what path may be: WriteFile replaces whatever entry has the name.
func WriteFile(path string, perm os.FileMode, write func(io.Writer) error) (err error) {
	if fi, err := os.Stat(path); err == nil {
		perm = fi.Mode().Perm()
		if fi.Mode().IsRegular() {
			if err := writable(path); err != nil {
				return err
			}
		}
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	pattern := "." + base + ".tmp-*"
	if len(base) > 100 || base == "" {
		pattern = ".tmp-*"
	}
	f, err := os.CreateTemp(dir, pattern) // O_EXCL: a link planted there is not followed
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if perm != 0o600 {
		if err = f.Chmod(perm); err != nil {
			return err
		}
	}
	if err = write(f); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
