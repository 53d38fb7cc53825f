package download

import (
	"os"

	"golang.org/x/sys/unix"
)

// writable reports, through dir (an open descriptor of an os.Root's
// directory; nil skips the check), why files cannot be made in it: a
// read-only file system (EROFS) or no write permission (EACCES). A
// download checks it before it sends a request (HOSTILE.md L9).
func writable(dir *os.File) error {
	if dir == nil {
		return nil
	}
	rc, err := dir.SyscallConn()
	if err != nil {
		return nil
	}
	var aerr error
	rc.Control(func(d uintptr) {
		for {
			aerr = unix.Faccessat(int(d), ".", unix.W_OK, unix.AT_EACCESS)
			if aerr != unix.EINTR {
				break
			}
		}
	})
	return aerr
}
