//go:build unix

package testkit

import (
	"syscall"
	"time"
)

// CPUTime returns the CPU time the process has used, user and system, in
// every thread (the garbage collector's work included), or 0 where it
// cannot be read. Benchmarks on a loaded machine report it per operation:
// their wall time says more about the other processes than the code.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
