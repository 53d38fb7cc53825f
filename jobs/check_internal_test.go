package jobs

import (
	"errors"
	"os"
	"path/filepath"
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

// TestRestoreWhileHeld: a state file damaged from outside (emptied,
// overwritten) while a run holds it is not restored under that run: the
// second open is ErrLocked, and nothing is set aside.
func TestRestoreWhileHeld(t *testing.T) {
	for name, damage := range map[string]func(string) error{
		"emptied":     func(p string) error { return os.Truncate(p, 0) },
		"overwritten": func(p string) error { return os.WriteFile(p, []byte("not a database at all"), 0o600) },
	} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "job.state")
			s1, err := openStore(p, time.Second, false)
			if err != nil {
				t.Fatal(err)
			}
			defer s1.close()
			if err := s1.backup(); err != nil {
				t.Fatal(err)
			}
			if err := damage(p); err != nil {
				t.Fatal(err)
			}
			s2, err := openStore(p, 100*time.Millisecond, false)
			if err == nil {
				s2.close()
			}
			if !errors.Is(err, ErrLocked) {
				t.Errorf("openStore while another holds it = %v, want ErrLocked", err)
			}
			if m, _ := filepath.Glob(p + ".damaged-*"); len(m) > 0 {
				t.Errorf("set aside under a run holding it: %v", m)
			}
		})
	}
}
