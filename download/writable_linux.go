package download

import (
	"os"

	"golang.org/x/sys/unix"
)

// writable reports, through dir (an open descriptor of an os.Root's
// directory; nil skips the check), why files cannot be made in it: a
// read-only file system (EROFS) or no write permission (EACCES), or, from
// withFD, a descriptor that cannot be reached (a closed one). A download
// checks it before it sends a request (HOSTILE.md L9).
func writable(dir *os.File) error {
	if dir == nil {
		return nil
	}
	return withFD(dir, func(d int) error { return unix.Faccessat(d, ".", unix.W_OK, unix.AT_EACCESS) })
}

// writablePath is writable for the directory at path, not opened: making
// an entry in it takes write and search permission, not read.
func writablePath(path string) error {
	return unix.Faccessat(unix.AT_FDCWD, path, unix.W_OK, unix.AT_EACCESS)
}
