package download

import (
	"os"

	"golang.org/x/sys/unix"
)

// originAttr is the extended attribute that names the URL a final file
// was downloaded from, as the hex SHA-256 of the URL (the sidecar's
// url_sha256): no credential or token of the URL is written down.
const originAttr = "user.grab.url_sha256"

// setOrigin records on the open file f that it is rawURL's, where the
// file system keeps user attributes (best effort: one that does not is
// told apart by name only).
func setOrigin(f *os.File, rawURL string) {
	v := []byte(urlHash(rawURL))
	withFD(f, func(fd int) error { return unix.Fsetxattr(fd, originAttr, v, 0) })
}

// recordedURL returns the hash setOrigin recorded on the file name in
// root; false when there is none or it cannot be read.
func recordedURL(root *os.Root, name string) (string, bool) {
	f, err := root.OpenFile(name, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if err != nil {
		return "", false
	}
	defer f.Close()
	var buf [64]byte
	n := 0
	if err := withFD(f, func(fd int) (err error) {
		n, err = unix.Fgetxattr(fd, originAttr, buf[:])
		return err
	}); err != nil {
		return "", false
	}
	return string(buf[:n]), true
}
