package download

import (
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// setModTime sets the modification (and access) time of the open file f,
// named name in root: by its descriptor (futimens), so no name is looked up
// again.
func setModTime(f *os.File, root *os.Root, name string, t time.Time) {
	// From seconds and nanoseconds: t.UnixNano overflows outside
	// 1678-2262, and a Last-Modified of 1601 set 2185.
	ts1, err := unix.TimeToTimespec(t)
	if err != nil {
		return // beyond what this platform's time_t holds
	}
	ts := [2]unix.Timespec{ts1, ts1}
	rc, err := f.SyscallConn()
	if err == nil {
		rc.Control(func(fd uintptr) {
			// utimensat(fd, NULL, ts, 0) is futimens(fd, ts).
			_, _, errno := unix.Syscall6(unix.SYS_UTIMENSAT, fd, 0, uintptr(unsafe.Pointer(&ts[0])), 0, 0, 0)
			if errno != 0 {
				err = errno
			}
		})
	}
	if err != nil && inNanoRange(t) {
		root.Chtimes(name, t, t)
	}
}
