package download

import (
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// openAnon opens a new file without a name in the directory dir (an open
// descriptor of an os.Root's directory): O_TMPFILE. Its errors call it
// "NAME (anonymous)", NAME the one it is to get. It returns nil when the
// file system cannot make one, and the caller writes NAME.part.
func openAnon(dir *os.File, name string) *os.File {
	if dir == nil {
		return nil
	}
	var fd int
	err := withFD(dir, func(d int) (err error) {
		fd, err = unix.Openat(d, ".", unix.O_TMPFILE|unix.O_RDWR|unix.O_CLOEXEC, 0o666)
		return err
	})
	if err != nil {
		return nil
	}
	return os.NewFile(uintptr(fd), name+" (anonymous)")
}

// linkAnon gives the anonymous file f the name name in dir. It never
// replaces nor follows what is at name: a name taken fails (fs.ErrExist).
func linkAnon(f, dir *os.File, name string) error {
	frc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	drc, err := dir.SyscallConn()
	if err != nil {
		return err
	}
	var lerr error
	ferr := frc.Control(func(fd uintptr) {
		derr := drc.Control(func(d uintptr) {
			// AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH on older kernels;
			// the /proc link to the descriptor does not.
			lerr = unix.Linkat(int(fd), "", int(d), name, unix.AT_EMPTY_PATH)
			if lerr == unix.ENOENT || lerr == unix.EPERM {
				lerr = unix.Linkat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(int(fd)), int(d), name, unix.AT_SYMLINK_FOLLOW)
			}
		})
		if lerr == nil {
			lerr = derr
		}
	})
	if lerr == nil {
		lerr = ferr
	}
	if lerr != nil {
		return &os.LinkError{Op: "link", Old: "(anonymous)", New: name, Err: lerr}
	}
	return nil
}
