package parse_test

import (
	"testing"
	"time"

	"github.com/grabhq/grab/internal/testkit"
)

// reportCPU reports the CPU time per operation of n operations since start
// as cpu-ns/op,
// with MB/s of CPU time as cpu-MB/s: on a loaded machine, where the wall
// time of a benchmark says more about the other processes than about the
// code, these are the figures to compare.
func reportCPU(b *testing.B, start time.Duration, n, bytes int) {
	b.Helper()
	ns := float64(testkit.CPUTime()-start) / float64(n)
	if ns <= 0 {
		return
	}
	b.ReportMetric(ns, "cpu-ns/op")
	b.ReportMetric(float64(bytes)/ns*1e3, "cpu-MB/s")
}
