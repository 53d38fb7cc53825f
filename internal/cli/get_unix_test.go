//go:build unix

package cli

import (
	"bufio"
	"os"
	"os/exec"
	"os/signal"
	"slices"
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

// TestInterruptReadingStdin: the first SIGTERM (timeout's, systemd's),
// SIGINT or SIGHUP (a closed terminal) ends a command waiting on a stdin that never ends, with exit
// 130, as curl and Python end.
func TestInterruptReadingStdin(t *testing.T) {
	if testing.Short() {
		t.Skip("builds grab")
	}
	bin := buildGrab(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			if sig == syscall.SIGHUP && signal.Ignored(syscall.SIGHUP) {
				t.Skip("SIGHUP ignored (nohup): grab leaves it so")
			}
			cmd := exec.Command(bin, "images", "-")
			stdin, err := cmd.StdinPipe() // held open: the read never ends by itself
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { stdin.Close() })
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Its first warning says grab runs, its signals caught, and
			// reads stdin.
			lines := make(chan string, 8)
			exited := make(chan error, 1)
			go func() {
				sc := bufio.NewScanner(stderr)
				for sc.Scan() {
					lines <- sc.Text()
				}
				close(lines)
				exited <- cmd.Wait()
			}()
			select {
			case l := <-lines:
				if !strings.Contains(l, "stdin has no URL") {
					t.Fatalf("grab images - said %q first", l)
				}
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				t.Fatal("no warning from grab images - in 10s")
			}
			cmd.Process.Signal(sig)
			var rest []string
			deadline := time.After(5 * time.Second)
		wait:
			for {
				select {
				case l, ok := <-lines:
					if !ok {
						<-exited
						break wait
					}
					rest = append(rest, l)
				case <-deadline:
					cmd.Process.Kill()
					t.Fatalf("still running 5s after %v", sig)
				}
			}
			if code := cmd.ProcessState.ExitCode(); code != ExitInterrupted || !slices.Equal(rest, []string{"grab: interrupted"}) {
				t.Errorf("ended with %v, then said %q; want exit 130 and grab: interrupted", cmd.ProcessState, rest)
			}
		})
	}
}
