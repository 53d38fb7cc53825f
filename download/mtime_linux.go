package download

import (
	"os"
	"syscall"
	"time"
	"unsafe"
)

// setModTime sets the modification (and access) time of the open file f,
// named name in root: by its descriptor (futimens), so no name is looked up
// again.
func setModTime(f *os.File, root *os.Root, name string, t time.Time) {
	ts := [2]syscall.Timespec{syscall.NsecToTimespec(t.UnixNano()), syscall.NsecToTimespec(t.UnixNano())}
	rc, err := f.SyscallConn()
	if err == nil {
		rc.Control(func(fd uintptr) {
			// utimensat(fd, NULL, ts, 0) is futimens(fd, ts).
			_, _, errno := syscall.Syscall6(syscall.SYS_UTIMENSAT, fd, 0, uintptr(unsafe.Pointer(&ts[0])), 0, 0, 0)
			if errno != 0 {
				err = errno
			}
		})
	}
	if err != nil {
		root.Chtimes(name, t, t)
	}
}
