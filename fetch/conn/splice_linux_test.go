package conn

import (
	"bytes"
	"errors"
	"io"
	"os"
	"syscall"
	"testing"
	"time"
)

// TestReadFileSlowPipe moves a body into a blocking pipe, as a shell's
// "grab get URL | cmd" gives, whose reader starts late: the pipe fills,
// and the body must wait for it rather than fail with EAGAIN and lose
// the bytes taken from the socket.
func TestReadFileSlowPipe(t *testing.T) {
	want := bodyBytes(2 << 20)
	_, r := getOne(t, serveBodies(1<<20, withLength(want)))
	var fds [2]int
	if err := syscall.Pipe2(fds[:], syscall.O_CLOEXEC); err != nil { // blocking, as a shell's
		t.Fatal(err)
	}
	pr, pw := os.NewFile(uintptr(fds[0]), "pipe-r"), os.NewFile(uintptr(fds[1]), "pipe-w")
	t.Cleanup(func() { pr.Close() })
	got := make(chan []byte, 1)
	go func() {
		time.Sleep(100 * time.Millisecond) // a reader slower than loopback
		b, _ := io.ReadAll(pr)
		got <- b
	}()
	n, err := readFileAll(t, r, pw, 0, 1<<30)
	if errors.Is(err, errors.ErrUnsupported) { // the body reads from here on, as it says
		var k int64
		k, err = io.Copy(pw, r.Body)
		n += k
		if err == nil {
			err = io.EOF
		}
	}
	pw.Close()
	b := <-got
	if err != io.EOF || n != int64(len(want)) || !bytes.Equal(b, want) {
		t.Fatalf("moved %d bytes, %v, and the reader got %d; want %d, io.EOF, the body", n, err, len(b), len(want))
	}
}
