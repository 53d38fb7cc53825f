package retryafter_test

import (
	"testing"
	"time"

	"github.com/grabhq/grab/internal/retryafter"
)

func TestParse(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	forever := time.Duration(1<<63 - 1)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"120", 2 * time.Minute, true},
		{" 0 ", 0, true},
		{"-5", 0, false},
		{"", 0, false},
		{"soon", 0, false},
		{"31536000", 365 * 24 * time.Hour, true},
		{"31536001", forever, true},
		// More than int64 holds is a larger number still, as RFC 9111
		// reads a delta-seconds too large to represent.
		{"99999999999999999999", forever, true},
		{"Sat, 21 Nov 2026 12:01:00 GMT", time.Minute, true},
		{"Sat, 21 Nov 2026 13:01:00 +0100", time.Minute, true},
		{"Sat, 21 Nov 2026 11:00:00 GMT", 0, true},
	}
	for _, tt := range tests {
		if got, ok := retryafter.Parse(tt.in, now); got != tt.want || ok != tt.ok {
			t.Errorf("Parse(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
