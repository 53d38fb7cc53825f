//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package download

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// flock applies how (unix.LOCK_EX or unix.LOCK_SH, never waiting) to f,
// reporting false when another open file holds a conflicting lock.
func flock(f *os.File, how int) (bool, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return false, err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) {
		for ferr = unix.Flock(int(fd), how|unix.LOCK_NB); ferr == unix.EINTR; ferr = unix.Flock(int(fd), how|unix.LOCK_NB) {
		}
	}); err != nil {
		return false, err
	}
	if errors.Is(ferr, unix.EWOULDBLOCK) {
		return false, nil
	}
	return ferr == nil, ferr
}

// lockPart takes the exclusive lock on f, the part a transfer writes,
// which another grab process sees (partBusy) and leaves alone; the lock
// goes when f is closed. It reports false when another holds it.
func lockPart(f *os.File) (bool, error) { return flock(f, unix.LOCK_EX) }

// partBusy reports whether the part name in root is locked by a transfer
// writing it, in another process or another Do.
func partBusy(root *os.Root, name string) bool {
	f, err := root.OpenFile(name, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	ok, err := flock(f, unix.LOCK_SH)
	return err == nil && !ok
}
