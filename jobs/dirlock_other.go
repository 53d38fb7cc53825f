//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package jobs

import "time"

// lockDir takes no lock where flock(2) is missing: a state file's restore
// relies on bbolt's lock alone there.
func lockDir(string, time.Duration) (func(), error) { return func() {}, nil }

// fileHeld reports nothing where flock(2) is missing (see lockDir).
func fileHeld(string, time.Duration) error { return nil }
