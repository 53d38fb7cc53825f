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

// holdLock keeps the lock of f (lockPart) held after f is closed, until
// release is called: a duplicate descriptor shares f's open file
// description, and with it the flock. It lets a part be closed, its close
// error seen, and then renamed or removed while no other download can
// take it.
func holdLock(f *os.File) (release func()) {
	rc, err := f.SyscallConn()
	if err != nil {
		return func() {}
	}
	dup := -1
	rc.Control(func(fd uintptr) {
		dup, err = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0)
	})
	if err != nil || dup < 0 {
		return func() {}
	}
	return func() { unix.Close(dup) }
}
