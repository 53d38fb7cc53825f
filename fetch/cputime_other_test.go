//go:build !unix

package fetch_test

import "time"

// cpuTime is the CPU time the process has used, or 0 where it cannot be
// read (here).
func cpuTime() time.Duration { return 0 }
