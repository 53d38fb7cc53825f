//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package download

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// withFD calls f with the descriptor of the open file dir (a directory,
// or any file), again while it fails with EINTR, and returns its error.
func withFD(dir *os.File, f func(d int) error) error {
	rc, err := dir.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(d uintptr) {
		for ferr = f(int(d)); ferr == unix.EINTR; ferr = f(int(d)) {
		}
	}); err != nil {
		return err
	}
	return ferr
}

// lockPart takes the exclusive flock on f, the part a transfer writes,
// without waiting; another grab download that opens the part (loadPart,
// openPart) finds it held and leaves the part alone. The lock goes when f
// is closed. It reports false when another holds it.
func lockPart(f *os.File) (bool, error) {
	err := withFD(f, func(fd int) error { return unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB) })
	if errors.Is(err, unix.EWOULDBLOCK) {
		return false, nil
	}
	return err == nil, err
}

// holdLock keeps the lock of f (lockPart) held after f is closed, until
// release is called: a duplicate descriptor shares f's open file
// description, and with it the flock. It lets a part be closed, its close
// error seen, and then renamed or removed while no other download can
// take it.
func holdLock(f *os.File) (release func()) {
	dup := -1
	err := withFD(f, func(fd int) (err error) {
		dup, err = unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
		return err
	})
	if err != nil || dup < 0 {
		return func() {}
	}
	return func() { unix.Close(dup) }
}
