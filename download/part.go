package download

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"strings"
)

// sidecar is what NAME.part.json holds: enough to resume NAME.part safely.
// It never holds the URL's userinfo or query (they may carry secrets):
// only a SHA-256 of the whole URL and its origin and path.
type sidecar struct {
	Grab         int    `json:"grab"` // format version: 1
	URLHash      string `json:"url_sha256"`
	Origin       string `json:"origin"` // scheme://host/path, for people
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
	Length       int64  `json:"length"` // -1 when unknown
	Encoding     string `json:"encoding,omitempty"`
}

// maxSidecar caps the sidecar read back.
const maxSidecar = 64 << 10

func urlHash(raw string) string {
	h := sha256.Sum256([]byte(raw))
	return hex.EncodeToString(h[:])
}

func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}

// fileError marks a failure of the local file system: never retried.
type fileError struct{ err error }

func (e *fileError) Error() string { return e.err.Error() }
func (e *fileError) Unwrap() error { return e.err }

func fileErr(err error) error {
	if err == nil {
		return nil
	}
	return &fileError{err}
}

// partState is what loadPart found.
type partState struct {
	sc   *sidecar // nil: no usable partial file
	size int64
	f    *os.File // the part, open and locked (lockPart), when it is kept; else nil
}

// loadPart looks at temp.part and temp.part.json in root, holding the
// part's lock while it decides (a part another download holds fails with
// ErrInUse). A partial file with a valid sidecar for rawURL is returned,
// open and locked, to be resumed or restarted; a stale pair (another URL,
// an unreadable sidecar, an empty part without one) is removed; a part
// without a sidecar, or one that is not a regular file, is not grab's and
// is left alone (ErrNotOurs).
func loadPart(root *os.Root, temp, rawURL string) (partState, error) {
	part, side := temp+".part", temp+".part.json"
	fi, err := root.Lstat(part)
	if errors.Is(err, fs.ErrNotExist) {
		// The part comes before its sidecar (transfer): a sidecar alone
		// is stale.
		dropSidecar(root, temp)
		return partState{}, nil
	}
	if err != nil {
		return partState{}, fileErr(err)
	}
	if !fi.Mode().IsRegular() {
		return partState{}, fmt.Errorf("%w: %s is not a regular file", ErrNotOurs, part)
	}
	f, err := openPart(root, temp, false)
	if errors.Is(err, fs.ErrNotExist) {
		return partState{}, nil // renamed or removed just now by its download
	}
	if err != nil {
		return partState{}, err
	}
	if fi, err = f.Stat(); err != nil {
		f.Close()
		return partState{}, fileErr(err)
	}
	sc, err := readSidecar(root, side)
	switch {
	case errors.Is(err, fs.ErrNotExist) && fi.Size() == 0:
		root.Remove(part) // empty: nothing to lose
		f.Close()
		return partState{}, nil
	case errors.Is(err, fs.ErrNotExist):
		f.Close()
		return partState{}, fmt.Errorf("%w: %s has no %s", ErrNotOurs, part, side)
	case err != nil, sc.URLHash != urlHash(rawURL):
		dropPart(root, temp)
		f.Close()
		return partState{}, nil
	}
	return partState{sc: sc, size: fi.Size(), f: f}, nil
}

func readSidecar(root *os.Root, name string) (*sidecar, error) {
	fi, err := root.Lstat(name)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() || fi.Size() > maxSidecar {
		return nil, errors.New("not a sidecar")
	}
	b, err := root.ReadFile(name)
	if err != nil {
		return nil, err
	}
	var sc sidecar
	if err := json.Unmarshal(b, &sc); err != nil || sc.Grab != 1 || sc.URLHash == "" {
		return nil, errors.New("not a sidecar")
	}
	return &sc, nil
}

// writeSidecar replaces j's temp.part.json with sc, naming j's URL (its
// hash and origin, made only here: most files never get a sidecar):
// through a new file and a rename when replace is set (the part then holds
// data the old sidecar describes), directly otherwise. Neither follows a
// link planted at the names.
func writeSidecar(root *os.Root, j *job, sc *sidecar, replace bool) error {
	sc.URLHash, sc.Origin = urlHash(j.req.URL), origin(j.url)
	b, err := json.Marshal(sc)
	if err != nil {
		return err
	}
	name := j.temp + ".part.json"
	target := name
	if replace {
		target = name + ".new"
	}
	// Exclusive, so never through a planted link; a leftover is removed
	// (the link itself, not its target) and the create tried once more.
	f, err := root.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
	if errors.Is(err, fs.ErrExist) {
		if err := root.Remove(target); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fileErr(err)
		}
		f, err = root.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
	}
	if err != nil {
		return fileErr(err)
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && replace {
		err = root.Rename(target, name)
	}
	return fileErr(err)
}

// anyFile reports whether root holds name, or temp's part, sidecar or new
// sidecar (anything but "does not exist" counts).
func anyFile(root *os.Root, name, temp string) bool {
	if _, err := root.Lstat(name); !errors.Is(err, fs.ErrNotExist) {
		return true
	}
	for _, suffix := range ownSuffixes() {
		if _, err := root.Lstat(temp + suffix); !errors.Is(err, fs.ErrNotExist) {
			return true
		}
	}
	return false
}

// ownSuffixes are the endings of a file's new sidecar, sidecar and part,
// the longest first.
func ownSuffixes() [3]string { return [...]string{".part.json.new", ".part.json", ".part"} }

// ownStem returns name without the suffix of a part, sidecar or new
// sidecar, and whether it had one.
func ownStem(name string) (string, bool) {
	for _, suffix := range ownSuffixes() {
		if stem, ok := strings.CutSuffix(name, suffix); ok {
			return stem, true
		}
	}
	return "", false
}

// removeIfRegular removes name if it is a regular file or a link (the link
// itself, never its target).
func removeIfRegular(root *os.Root, name string) {
	fi, err := root.Lstat(name)
	if err == nil && (fi.Mode().IsRegular() || fi.Mode()&fs.ModeSymlink != 0) {
		root.Remove(name)
	}
}

// dropPart removes grab's partial file and its sidecar, in that order, so a
// part never lives without its sidecar.
func dropPart(root *os.Root, temp string) {
	if fi, err := root.Lstat(temp + ".part"); err == nil && fi.Mode().IsRegular() {
		root.Remove(temp + ".part")
	}
	dropSidecar(root, temp)
}

// dropSidecar removes temp's sidecar, and the new one a run killed while
// replacing it may have left.
func dropSidecar(root *os.Root, temp string) {
	removeIfRegular(root, temp+".part.json")
	removeIfRegular(root, temp+".part.json.new")
}

// openPart opens temp.part for writing: created (exclusively, so never
// through a planted link) when create is set, else the existing regular
// file, checked to be the one Lstat saw.
func openPart(root *os.Root, temp string, create bool) (*os.File, error) {
	name := temp + ".part"
	if create {
		f, err := root.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("%w: %s appeared during the transfer", ErrInUse, name)
		}
		if err != nil {
			return nil, fileErr(err)
		}
		return locked(f, root, name)
	}
	before, err := root.Lstat(name)
	if err != nil {
		return nil, fileErr(err)
	}
	if !before.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file", ErrNotOurs, name)
	}
	f, err := root.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return nil, fileErr(err)
	}
	after, err := f.Stat()
	if err != nil || !os.SameFile(before, after) {
		f.Close()
		return nil, fmt.Errorf("%w: %s changed while opened", ErrNotOurs, name)
	}
	return locked(f, root, name)
}

// locked returns the part f, named name in root, once it holds its lock
// (lockPart) and the name still names it; else it closes f: another
// transfer holds the lock, or renamed or replaced the part before the
// lock was taken (ErrInUse; fs.ErrNotExist when the name is gone). A
// file system that refuses locks (an error other than the lock being
// held) leaves the part unlocked, as on systems without flock(2).
func locked(f *os.File, root *os.Root, name string) (*os.File, error) {
	ok, err := lockPart(f)
	if err == nil && !ok {
		f.Close()
		return nil, fmt.Errorf("%w: %s", ErrInUse, name)
	}
	if err == nil {
		now, lerr := root.Lstat(name)
		mine, serr := f.Stat()
		switch {
		case errors.Is(lerr, fs.ErrNotExist):
			// Renamed by its download, or removed by another as empty
			// before this one, creating it, took the lock.
			f.Close()
			return nil, fmt.Errorf("%w: %s was removed while it was opened (%w)", ErrInUse, name, lerr)
		case lerr != nil:
			f.Close()
			return nil, fileErr(lerr)
		case serr != nil || !os.SameFile(now, mine):
			f.Close()
			return nil, fmt.Errorf("%w: %s was replaced while it was opened", ErrInUse, name)
		}
	}
	return f, nil
}

// hashPrefix feeds the first n bytes of f to w.
func hashPrefix(w io.Writer, f *os.File, n int64, buf []byte) error {
	_, err := io.CopyBuffer(w, io.NewSectionReader(f, 0, n), buf)
	return fileErr(err)
}
