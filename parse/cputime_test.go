package parse_test

import (
	"syscall"
	"testing"
	"time"
)

// cpuTime returns the CPU time the process has used (user and system,
// every thread: the garbage collector's work included).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the CPU time per operation of n operations since start
// as cpu-ns/op,
// with MB/s of CPU time as cpu-MB/s: on a loaded machine, where the wall
// time of a benchmark says more about the other processes than about the
// code, these are the figures to compare.
func reportCPU(b *testing.B, start time.Duration, n, bytes int) {
	b.Helper()
	ns := float64(cpuTime()-start) / float64(n)
	if ns <= 0 {
		return
	}
	b.ReportMetric(ns, "cpu-ns/op")
	b.ReportMetric(float64(bytes)/ns*1e3, "cpu-MB/s")
}
