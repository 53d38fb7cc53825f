package jobs

import (
	"strings"
	"testing"
	"time"
)

// TestEveryErrors: an @every interval past time.Duration's range is said
// to be too long, not to be short or malformed.
func TestEveryErrors(t *testing.T) {
	tests := []struct{ spec, want string }{
		{"@every 2562048h", "too long"},
		{"@every 99999999999999999999s", "too long"},
		{"@every 1h2562047h", "too long"},
		{"@every 0.5s", "1s or more"},
		{"@every 1e3h", "1s or more"},
		{"@every 1.2.3h", "1s or more"},
		{"@every h", "1s or more"},
		{"@every -5h", "1s or more"},
		{"@every 99999999999999999999", "1s or more"},
		{"@every", "1s or more"},
	}
	for _, tt := range tests {
		_, err := parseSchedule(tt.spec, time.UTC)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parseSchedule(%q) = %v, want an error saying %q", tt.spec, err, tt.want)
		}
	}
	if s, err := parseSchedule("@every 2562047h", time.UTC); err != nil || s.every != 2562047*time.Hour {
		t.Errorf("parseSchedule(@every 2562047h) = %+v, %v", s, err)
	}
}
