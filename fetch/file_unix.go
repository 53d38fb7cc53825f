//go:build unix

package fetch

import (
	"os"
	"syscall"
)

// openNonblock opens name read-only without blocking on a FIFO or device
// that stat said was a regular file but has been swapped since.
func openNonblock(name string) (*os.File, error) {
	return os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}
