package fetch

import (
	"io"
	"testing"
	"time"
)

// zeros is an endless body (of whatever the buffer held).
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { return len(p), nil }

// BenchmarkExchangeRead is the cost the stall timeout adds to each Read
// of a body: 4 KiB Reads of an endless body in memory, one goroutine per
// body (mode=parallel: as many as b.RunParallel starts, sharing the
// exchange's timer pool).
func BenchmarkExchangeRead(b *testing.B) {
	x := &exchange{stall: time.Minute}
	read := func(n func() bool) {
		body := &exchangeBody{x: x, rc: io.NopCloser(zeros{}), stall: x.stall, start: time.Now(), cancel: func(error) {}}
		buf := make([]byte, 4<<10)
		for n() {
			body.Read(buf)
		}
		body.Close()
	}
	b.Run("mode=serial", func(b *testing.B) { read(b.Loop) })
	b.Run("mode=parallel", func(b *testing.B) {
		b.SetParallelism(16)
		b.RunParallel(func(pb *testing.PB) { read(pb.Next) })
	})
}
