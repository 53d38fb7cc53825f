//go:build unix

package boltfile

import (
	"errors"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestOpenFIFO: a FIFO at the path is refused, not damaged, and its open
// does not block waiting for a writer.
func TestOpenFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo.db")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no FIFO:", err)
	}
	if _, err := Open(fifo, time.Second, false); err == nil || errors.Is(err, ErrDamaged) {
		t.Errorf("Open(a FIFO) = %v, want a refusal that is not ErrDamaged", err)
	}
}
