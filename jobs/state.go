package jobs

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/grabhq/grab/internal/atomicfile"
	"github.com/grabhq/grab/internal/boltfile"
)

// Errors of the state file, matched with errors.Is.
var (
	// ErrLocked reports a state file held by another run of the job, in
	// this process or another: the job is already running.
	ErrLocked = errors.New("jobs: job is already running (state file locked)")
	// ErrSharedOutput reports a job whose output directory is another
	// job's: their reports, named by run number, would replace each other.
	ErrSharedOutput = errors.New("jobs: output directory shared with another job")
	// ErrCorruptState reports a damaged state file with no good backup
	// to restore: grab never starts over silently.
	ErrCorruptState = errors.New("jobs: state file is damaged")
)

const stateVersion = "1"

var (
	bucketMeta  = []byte("meta")
	bucketItems = []byte("items") // the baseline: items as of the last finished run
	bucketRuns  = []byte("runs")  // run history, by sequence number
	bucketDone  = []byte("done")  // in a run's bucket: the items done
	bucketQueue = []byte("queue") // in a run's bucket: the items to do
	// keyTruncated, in a run's bucket, records that limits.max_items cut
	// the run short, so that a resumed run still knows it.
	keyTruncated = []byte("truncated")

	keyVersion = []byte("version")
	keyJob     = []byte("job")
	keySeq     = []byte("seq")
	keyCurrent = []byte("current")
)

// itemState is what the state file remembers of an item between runs.
type itemState struct {
	Kind         string         `json:"kind"`
	URL          string         `json:"url"`
	Page         string         `json:"page,omitempty"`
	ETag         string         `json:"etag,omitempty"`
	LastModified string         `json:"last_modified,omitempty"`
	Hash         string         `json:"sha256,omitempty"`
	Size         int64          `json:"size,omitempty"`
	File         string         `json:"file,omitempty"`
	Children     []string       `json:"children,omitempty"` // keys of a page's items
	Extract      string         `json:"extract,omitempty"`  // a page's: extractKey of the job's extract when it was read
	Fields       map[string]any `json:"fields,omitempty"`   // a record's values
	Run          uint64         `json:"run"`                // the last run that saw it
}

// task is an item waiting in a run's queue.
type task struct {
	Kind string `json:"kind"`
	URL  string `json:"url"`
	Page string `json:"page,omitempty"`
	N    uint64 `json:"n"` // order of discovery
	// Fields and Hash are a record's values, taken from its page (nil
	// when the page was not modified).
	Fields map[string]any `json:"fields,omitempty"`
	Hash   string         `json:"sha256,omitempty"`
}

// done is an item a run has finished: its report line and the state to
// remember if the run completes.
type done struct {
	Item  Item       `json:"item"`
	State *itemState `json:"state,omitempty"` // nil: forget it (gone)
	N     uint64     `json:"n"`
}

func itemKey(kind, u string) string { return kind + " " + u }

// store is an open state file, locked for one run.
type store struct {
	db       *bolt.DB
	path     string
	restored string // the damaged file set aside, when a backup was restored
}

// openStore opens (creating if needed) the state file at path, waiting up
// to wait for the lock, checks it, and restores the backup of a damaged
// file (HOSTILE.md Q4).
func openStore(path string, wait time.Duration, readOnly bool) (*store, error) {
	if !readOnly {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, err
		}
		unlock, err := lockDir(filepath.Dir(path), max(wait, time.Second))
		if err != nil {
			return nil, err
		}
		defer unlock()
	}
	bak := path + ".bak"
	hasBak := !readOnly && exists(bak)
	var db *bolt.DB
	var err error
	if fi, e := os.Stat(path); hasBak && e == nil && fi.Mode().IsRegular() && fi.Size() == 0 {
		// Emptied after a run saved its backup (a first run's file cut
		// before bbolt's first write has none): bbolt would start over in
		// it.
		err = fmt.Errorf("%w: empty file", boltfile.ErrDamaged)
	} else {
		db, err = openChecked(path, wait, readOnly)
	}
	if err != nil && !errors.Is(err, boltfile.ErrDamaged) {
		// Locked, missing, or the system's refusal (permission, a full
		// disk, a directory in the way): nothing to restore.
		return nil, err
	}
	s := &store{path: path}
	if err != nil {
		if readOnly {
			return nil, err
		}
		if !hasBak {
			return nil, fmt.Errorf("%w: %s: %v; no backup (%s) to restore: move the file away to start over, losing what it remembers", ErrCorruptState, path, err, filepath.Base(bak))
		}
		// The damaged file is kept under a second name, and the backup's
		// copy replaces it by rename: path never goes missing, so that a
		// restore that fails (a full disk, a kill) is tried again by the
		// next run, never taken for a first run.
		if err := fileHeld(path, wait); err != nil {
			return nil, err // damaged from outside while a run holds it
		}
		aside := fmt.Sprintf("%s.damaged-%d", path, time.Now().Unix())
		if e := os.Link(path, aside); e != nil && !errors.Is(e, fs.ErrExist) {
			if e := copyFile(path, aside); e != nil { // a file system without links
				return nil, fmt.Errorf("%w: %s: %v; keeping it as %s: %v", ErrCorruptState, path, err, filepath.Base(aside), e)
			}
		}
		if e := copyFile(bak, path); e != nil {
			return nil, fmt.Errorf("%w: %s: %v; restoring %s: %v", ErrCorruptState, path, err, bak, e)
		}
		db, err = openChecked(path, wait, false)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: the backup is damaged too: %v", ErrCorruptState, path, err)
		}
		s.restored = aside
	}
	s.db = db
	if readOnly {
		return s, nil
	}
	err = db.Update(func(tx *bolt.Tx) error {
		if meta := tx.Bucket(bucketMeta); meta == nil || meta.Get(keyVersion) == nil {
			// No version yet: a new file, or another program's bbolt file
			// (a grab crawl's --state), which is not written into.
			if err := tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
				switch {
				case bytes.Equal(name, bucketMeta), bytes.Equal(name, bucketItems), bytes.Equal(name, bucketRuns), bytes.HasPrefix(name, []byte("run/")):
					return nil
				}
				return fmt.Errorf("%s: not a job's state file (it holds %q): give the job a file of its own", path, name)
			}); err != nil {
				return err
			}
		}
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		if v := meta.Get(keyVersion); v != nil && string(v) != stateVersion {
			return fmt.Errorf("%s: state format %q, want %q", path, v, stateVersion)
		}
		if err := meta.Put(keyVersion, []byte(stateVersion)); err != nil {
			return err
		}
		for _, b := range [][]byte{bucketItems, bucketRuns} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// openChecked opens the bbolt file at path with boltfile.Open, its lock
// held by another run being ErrLocked.
func openChecked(path string, wait time.Duration, readOnly bool) (*bolt.DB, error) {
	db, err := boltfile.Open(path, wait, readOnly)
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("%w: %s", ErrLocked, path)
	}
	return db, err
}

func (s *store) close() error { return s.db.Close() }

// resumable reports whether an interrupted run waits to be resumed.
func (s *store) resumable() bool {
	ok := false
	s.db.View(func(tx *bolt.Tx) error {
		ok = tx.Bucket(bucketMeta).Get(keyCurrent) != nil
		return nil
	})
	return ok
}

// backup writes a consistent copy of the state to path.bak, atomically.
func (s *store) backup() error {
	return s.db.View(func(tx *bolt.Tx) error {
		return atomicfile.WriteFile(s.path+".bak", 0o600, func(w io.Writer) error {
			_, err := tx.WriteTo(w)
			return err
		})
	})
}

func be64(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

func runBucketName(seq uint64) []byte { return append([]byte("run/"), be64(seq)...) }

func getJSON(b *bolt.Bucket, key []byte, v any) (bool, error) {
	data := b.Get(key)
	if data == nil {
		return false, nil
	}
	if err := json.Unmarshal(data, v); err != nil {
		return true, fmt.Errorf("%q: %w", key, err)
	}
	return true, nil
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, data)
}

// runs returns the run history, oldest first.
func (s *store) runs() ([]RunInfo, error) {
	var out []RunInfo
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRuns)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var r RunInfo
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("state file %s: run %x: %w", s.path, k, err)
			}
			out = append(out, r)
			return nil
		})
	})
	return out, err
}

// runItems returns the items a run has done, in the order they were done.
func (s *store) runItems(seq uint64) ([]done, error) {
	var out []done
	err := s.db.View(func(tx *bolt.Tx) error {
		rb := tx.Bucket(runBucketName(seq))
		if rb == nil {
			return fmt.Errorf("state file %s: run %d: no items kept", s.path, seq)
		}
		return rb.Bucket(bucketDone).ForEach(func(k, v []byte) error {
			var d done
			if err := json.Unmarshal(v, &d); err != nil {
				return fmt.Errorf("state file %s: run %d item %q: %w", s.path, seq, k, err)
			}
			out = append(out, d)
			return nil
		})
	})
	sortDone(out)
	return out, err
}

// copyFile copies src to dst through a temporary file and a rename.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return atomicfile.WriteFile(dst, 0o600, func(w io.Writer) error {
		_, err := io.Copy(w, in)
		return err
	})
}
