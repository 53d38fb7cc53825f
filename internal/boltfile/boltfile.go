// Package boltfile opens bbolt files that may have been damaged (cut by a
// full disk, overwritten, truncated by hand): bbolt itself panics or takes
// a fault on some of them. jobs' state and crawl's --state share it.
package boltfile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"os"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ErrDamaged reports a file that is not a whole bbolt file.
var ErrDamaged = errors.New("damaged")

// Open opens the bbolt file at path (creating it, mode 0600, unless
// readOnly), waiting up to wait for its lock (bolt.ErrTimeout after), and
// checks it first and every page after: a damaged file is an error
// matching ErrDamaged, never a panic or a fault of the process. An empty
// file (one a kill cut before bbolt wrote its first pages) holds no
// database yet: read-only, it is an error matching fs.ErrNotExist, as no
// file is; otherwise bbolt makes one in it.
func Open(path string, wait time.Duration, readOnly bool) (db *bolt.DB, err error) {
	size, err := sanityCheck(path)
	if err != nil {
		return nil, err
	}
	if readOnly && size == 0 {
		// bbolt would write its first pages through a read-only
		// descriptor ("bad file descriptor").
		return nil, &fs.PathError{Op: "open", Path: path, Err: fmt.Errorf("empty file, no database yet: %w", fs.ErrNotExist)}
	}
	if wait <= 0 {
		wait = time.Nanosecond // bbolt waits forever on 0
	}
	defer func() {
		if p := recover(); p != nil {
			if db != nil {
				db.Close()
			}
			db, err = nil, fmt.Errorf("%w: %v", ErrDamaged, p)
		}
	}()
	db, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: wait, ReadOnly: readOnly})
	var pe *fs.PathError
	switch {
	case err == nil:
	case errors.Is(err, bolt.ErrTimeout), errors.As(err, &pe):
		return nil, err // locked, or the system's refusal (permission, a directory)
	default:
		return nil, fmt.Errorf("%w: %w", ErrDamaged, err) // bbolt's "invalid database", "file size too small"
	}
	err = db.View(func(tx *bolt.Tx) error {
		var errs []error
		for e := range tx.Check() {
			if len(errs) < 5 {
				errs = append(errs, e)
			}
		}
		return errors.Join(errs...)
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("%w: %w", ErrDamaged, err)
	}
	return db, nil
}

// sanityCheck refuses a file too short for the pages its meta pages
// claim: bbolt would fault reading past the end of a truncated file.
// A missing or empty file is fine (bbolt creates it); size is the file's,
// -1 for a missing one.
func sanityCheck(path string) (size int64, err error) {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return -1, nil
	case err != nil:
		return 0, err
	case fi.IsDir():
		return 0, &fs.PathError{Op: "open", Path: path, Err: syscall.EISDIR}
	case !fi.Mode().IsRegular():
		// A FIFO would block the open; a device is nobody's database.
		return 0, &fs.PathError{Op: "open", Path: path, Err: errors.New("not a regular file")}
	}
	size = fi.Size()
	if size == 0 {
		return 0, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	// A bbolt meta page: 16 bytes of page header, then magic, version
	// and page size (uint32 each), flags, the root bucket (16 bytes), the
	// freelist page, the high-water page id, the txid and an FNV-64a
	// checksum of the 56 bytes before it. bbolt uses the valid meta page
	// with the larger txid.
	var best struct {
		ok        bool
		txid, hwm uint64
		pageSize  uint32
	}
	ps := int64(os.Getpagesize())
	for i := range 2 {
		buf := make([]byte, 16+72)
		if n, _ := f.ReadAt(buf, int64(i)*ps); n < len(buf) {
			continue
		}
		m := buf[16:]
		h := fnv.New64a()
		h.Write(m[:56])
		if binary.LittleEndian.Uint32(m[0:]) != 0xED0CDAED || h.Sum64() != binary.LittleEndian.Uint64(m[56:]) {
			continue
		}
		mps := binary.LittleEndian.Uint32(m[8:])
		if i == 0 {
			ps = int64(mps)
		}
		txid := binary.LittleEndian.Uint64(m[48:])
		if !best.ok || txid > best.txid {
			best.ok, best.txid, best.pageSize = true, txid, mps
			best.hwm = binary.LittleEndian.Uint64(m[40:])
		}
	}
	if !best.ok {
		return size, fmt.Errorf("%w: not a bbolt file, or both meta pages are bad", ErrDamaged)
	}
	if need := int64(best.hwm) * int64(best.pageSize); need > size {
		return size, fmt.Errorf("%w: truncated to %d bytes, the pages need %d", ErrDamaged, size, need)
	}
	return size, nil
}
