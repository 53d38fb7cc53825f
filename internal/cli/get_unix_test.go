//go:build unix

package cli

import (
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/grabhq/grab/internal/testkit"
)

// TestGetToFIFO: -o naming something other than a regular file (a FIFO
// here, as /dev/null is a device and /dev/stdout a terminal or a pipe) is
// written to as it is, as curl does, and never replaced by a file.
func TestGetToFIFO(t *testing.T) {
	base := getServer(t)
	fifo, got := testkit.FIFO(t)
	if code, _, errOut := runGrab(t, []string{"get", "-o", fifo, base + "/hello"}, ""); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if g := <-got; g != "Hello World" {
		t.Errorf("read from the FIFO: %q", g)
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced: %v, %v", fi, err)
	}
}

// TestGetToFullDisk: a body that cannot be written (/dev/full) fails with
// "writing output" and the device's error, not as a failure to read the
// body, whether it is spliced (sized) or copied through a buffer (chunked).
func TestGetToFullDisk(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full:", err)
	}
	base := getServer(t)
	for _, p := range []string{"/bytes/70000", "/stream-bytes/70000"} {
		code, _, errOut := runGrab(t, []string{"get", "-o", "/dev/full", base + p}, "")
		if code != ExitFailure || !strings.Contains(errOut, "grab: writing output: ") || !strings.Contains(errOut, "no space left on device") {
			t.Errorf("%s: exit %d: %s", p, code, errOut)
		}
	}
}

// TestSecondInterrupt: a command blocked reading a stdin that never ends
// (a terminal) is ended by a second Ctrl-C, as a process without signal
// handling would be by the first.
func TestSecondInterrupt(t *testing.T) {
	if testing.Short() {
		t.Skip("builds grab")
	}
	bin := buildGrab(t)
	cmd := exec.Command(bin, "url", "split")
	stdin, err := cmd.StdinPipe() // held open: the read never ends by itself
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close() })
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	ended := false
	for i := 0; i < 20 && !ended; i++ {
		time.Sleep(100 * time.Millisecond)
		cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-exited:
			ended = true
		default:
		}
	}
	if !ended {
		cmd.Process.Kill()
		<-exited
		t.Fatal("still running after 20 Ctrl-C")
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGINT {
		t.Errorf("ended with %v, want killed by the second SIGINT", cmd.ProcessState)
	}
}
