//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package jobs

import (
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// lockDir takes an exclusive flock(2) on the directory dir, waiting up to
// wait, and returns the function that lets it go. openStore holds it while
// it opens, checks and restores a state file, so that two runs of a job
// never see a state file half restored: bbolt's own lock on the file is
// let go when the file is found damaged, before the backup replaces it.
func lockDir(dir string, wait time.Duration) (func(), error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	switch err := flockWait(f, wait); {
	case err == nil:
		return func() { f.Close() }, nil // closing lets the lock go
	case errors.Is(err, errHeld):
		f.Close()
		return nil, fmt.Errorf("%w: %s: another run is opening a state file of this directory", ErrLocked, dir)
	default:
		f.Close()
		return nil, fmt.Errorf("locking %s: %w", dir, err)
	}
}

// fileHeld reports ErrLocked when another run still holds the state file
// at path (bbolt's flock(2) on it), waiting up to wait for it to let go;
// openStore asks before it sets a damaged file aside, since a file damaged
// from outside (emptied, overwritten) while a run holds it fails its
// checks before bbolt's own lock is tried.
func fileHeld(path string, wait time.Duration) error {
	f, err := os.Open(path)
	if err != nil {
		return nil // nothing to hold: the restore says what is wrong
	}
	defer f.Close() // lets a lock taken here go
	if errors.Is(flockWait(f, wait), errHeld) {
		return fmt.Errorf("%w: %s", ErrLocked, path)
	}
	return nil // locked here, or a file system without locks: bbolt's open says
}

// errHeld is flockWait's error for a lock another holds past the wait.
var errHeld = errors.New("held")

// flockWait takes an exclusive flock(2) on f, trying every 50 ms up to
// wait: errHeld when another still holds it then.
func flockWait(f *os.File, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		switch {
		case err == nil:
			return nil
		case !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR):
			return err
		case !time.Now().Before(deadline):
			return errHeld
		}
		time.Sleep(min(50*time.Millisecond, time.Until(deadline)+time.Millisecond))
	}
}
