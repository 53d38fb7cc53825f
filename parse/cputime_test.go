package parse_test

import (
	"testing"
	"time"

	"github.com/grabhq/grab/internal/testkit"
)

// benchPage runs op on the big page in a benchmark loop, reporting its
// bytes, allocations and CPU time (see reportCPU).
func benchPage(b *testing.B, op func(page []byte)) {
	b.Helper()
	page := bigPage()
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	n, start := 0, testkit.CPUTime()
	for b.Loop() {
		n++
		op(page)
	}
	reportCPU(b, start, n, len(page))
}

// reportCPU reports the CPU time per operation of n operations since start
// as cpu-ns/op, with MB/s of CPU time as cpu-MB/s: on a loaded machine,
// where the wall time of a benchmark says more about the other processes
// than about the code, these are the figures to compare.
func reportCPU(b *testing.B, start time.Duration, n, bytes int) {
	b.Helper()
	ns := float64(testkit.CPUTime()-start) / float64(n)
	if ns <= 0 {
		return
	}
	b.ReportMetric(ns, "cpu-ns/op")
	b.ReportMetric(float64(bytes)/ns*1e3, "cpu-MB/s")
}
