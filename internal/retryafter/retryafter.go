// Package retryafter reads an HTTP Retry-After field (RFC 9110 §10.2.3)
// for fetch's Retry handler, the downloader and the crawler alike.
package retryafter

import (
	"strconv"
	"strings"
	"time"

	"github.com/grabhq/grab/internal/httpdate"
)

// maxSeconds is the most seconds read as they are; more is as good as
// forever.
const maxSeconds = int64(365 * 24 * time.Hour / time.Second)

// Parse reads v, delay-seconds or an HTTP-date, as the wait it asks for
// from now: never negative, and the longest Duration for more than a
// year. ok is false for an empty, negative or unreadable value.
func Parse(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		switch {
		case n < 0:
			return 0, false
		case n > maxSeconds:
			return time.Duration(1<<63 - 1), true
		}
		return time.Duration(n) * time.Second, true
	}
	if strings.Trim(v, "0123456789") == "" {
		// More seconds than int64 holds: a larger number still (RFC 9111,
		// section 1.2.2, for delta-seconds).
		return time.Duration(1<<63 - 1), true
	}
	if t, ok := httpdate.Parse(v); ok {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}
