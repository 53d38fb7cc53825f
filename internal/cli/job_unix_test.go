//go:build unix

package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/grabhq/grab/testserver"
)

// TestJobRunSIGTERM sends SIGTERM to a grab job run whose request is in
// flight (HOSTILE.md Q5): it exits 130 within its grace, says so, keeps
// its state for the next run to resume, and publishes no report.
func TestJobRunSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds grab")
	}
	srv := httptest.NewServer(testserver.New(testserver.WithMaxDelay(10 * time.Second)))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	file := filepath.Join(dir, "slow.yaml")
	os.WriteFile(file, []byte(fmt.Sprintf("name: slow\ntargets:\n  urls: [%s/delay/8]\noutput:\n  dir: runs\n", srv.URL)), 0o644)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, buildGrab(t), "job", "run", file)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // the request is waiting on /delay/8
	start := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != ExitInterrupted {
		t.Fatalf("exit %v, want %d; stderr:\n%s", err, ExitInterrupted, stderr.String())
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("exited %v after SIGTERM", d)
	}
	if !strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("stderr %q does not say interrupted", stderr.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "runs", "slow.state")); err != nil {
		t.Errorf("state file: %v", err)
	}
	if reports, _ := filepath.Glob(filepath.Join(dir, "runs", "run-*.jsonl")); len(reports) != 0 {
		t.Errorf("reports published by an interrupted run: %v", reports)
	}
}
