package fetch

import (
	"bytes"
	"errors"
	"io"
	"math"
	"runtime"
	"strings"
	"testing"
)

// TestBytesBounded: Bytes returns the body whole up to the limit and
// ErrBodyTooLarge past it, whatever length is declared, and its buffer
// never grows past the limit (bytes.Buffer's doubling allocated about
// four times the limit on an endless body).
func TestBytesBounded(t *testing.T) {
	const limit = 8 << 20
	tests := []struct {
		name     string
		size     int64
		declared int64
	}{
		{"empty", 0, -1},
		{"small, no length", 1000, -1},
		{"small, its length", 1000, 1000},
		{"small, length too low", 1000, 10},
		{"at the limit, no length", limit, -1},
		{"at the limit, its length", limit, limit},
		{"over by one, no length", limit + 1, -1},
		{"over, length too low", 3 * limit, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := bytes.Repeat([]byte("0123456789abcdef"), int(tt.size/16+1))[:tt.size]
			r := &Response{Body: io.NopCloser(bytes.NewReader(body)), ContentLength: tt.declared, maxBody: limit}
			got, err := r.Bytes()
			switch {
			case tt.size > limit && !errors.Is(err, ErrBodyTooLarge):
				t.Errorf("Bytes = %d bytes, %v, want ErrBodyTooLarge", len(got), err)
			case tt.size <= limit && (err != nil || !bytes.Equal(got, body)):
				t.Errorf("Bytes = %d bytes, %v, want the %d bytes", len(got), err, len(body))
			case cap(got) > limit+1:
				t.Errorf("buffer of %d bytes for a limit of %d", cap(got), limit)
			}
		})
	}
	// A HEAD's Content-Length is the resource's: no body, nothing
	// allocated for it (MaxInt64 made the buffer's size wrap: a panic).
	for _, length := range []int64{math.MaxInt64, 10 << 30} {
		r := &Response{Method: "HEAD", StatusCode: 200, Body: io.NopCloser(strings.NewReader("")), ContentLength: length, maxBody: limit}
		if got, err := r.Bytes(); err != nil || len(got) != 0 || cap(got) > 512 {
			t.Errorf("HEAD with Content-Length %d: Bytes = %d bytes (cap %d), %v", length, len(got), cap(got), err)
		}
	}
	t.Run("allocation on an endless body", func(t *testing.T) {
		r := &Response{Body: io.NopCloser(strings.NewReader(strings.Repeat("x", 4*limit))), ContentLength: -1, maxBody: limit}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		if _, err := r.Bytes(); !errors.Is(err, ErrBodyTooLarge) {
			t.Fatalf("Bytes: %v, want ErrBodyTooLarge", err)
		}
		runtime.ReadMemStats(&after)
		if got := after.TotalAlloc - before.TotalAlloc; got > 5*limit/2 {
			t.Errorf("allocated %d MiB for a limit of %d MiB", got>>20, limit>>20)
		}
	})
}
