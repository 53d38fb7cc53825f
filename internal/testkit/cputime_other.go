//go:build !unix

package testkit

import "time"

// CPUTime returns 0: the process's CPU time cannot be read here.
func CPUTime() time.Duration { return 0 }
