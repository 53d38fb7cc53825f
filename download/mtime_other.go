//go:build !linux

package download

import (
	"os"
	"time"
)

// setModTime sets the modification (and access) time of the open file f,
// named name in root.
func setModTime(f *os.File, root *os.Root, name string, t time.Time) {
	if inNanoRange(t) {
		root.Chtimes(name, t, t)
	}
}
