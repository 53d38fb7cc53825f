//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package download

import "os"

// lockPart takes no lock where flock(2) is missing: two processes
// downloading into one directory are not told apart there.
func lockPart(*os.File) (bool, error) { return true, nil }

// holdLock has no lock to hold where flock(2) is missing.
func holdLock(*os.File) (release func()) { return func() {} }
