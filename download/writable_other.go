//go:build !linux

package download

import "os"

// writable returns nil: elsewhere a directory that cannot be written is
// found when the first file is made in it.
func writable(dir *os.File) error { return nil }

// writablePath returns nil, as writable does.
func writablePath(path string) error { return nil }
