package download

import (
	"math"
	"time"
)

// inNanoRange reports whether t.UnixNano holds t (1678 to 2262), as
// os.Chtimes needs: outside, it wraps to another century.
func inNanoRange(t time.Time) bool {
	return !t.Before(time.Unix(0, math.MinInt64)) && !t.After(time.Unix(0, math.MaxInt64))
}
