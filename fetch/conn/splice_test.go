package conn

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/grabhq/grab/internal/testkit"
)

// fileReader is what Response.Body offers besides Read.
type fileReader interface {
	ReadFile(f *os.File, max int64) (int64, error)
}

// bodyBytes is a body of n bytes that differ from one position to the next.
func bodyBytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>8)
	}
	return b
}

// serveBodies answers each request on a connection with the next of
// resps, sending each in pieces of piece bytes; after the last it closes.
func serveBodies(piece int, resps ...[]byte) func(net.Conn) {
	return func(nc net.Conn) {
		br := bufio.NewReader(nc)
		for _, r := range resps {
			if _, err := testkit.ReadHead(br); err != nil {
				return
			}
			for len(r) > 0 {
				k := min(piece, len(r))
				if _, err := nc.Write(r[:k]); err != nil {
					return
				}
				r = r[k:]
			}
		}
	}
}

func withLength(body []byte) []byte {
	return append(fmt.Appendf(nil, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", len(body)), body...)
}

// readFileAll moves a body into f with ReadFile, max bytes a call, after
// reading first bytes with Read.
func readFileAll(t *testing.T, r *Response, f *os.File, first int, max int64) (int64, error) {
	t.Helper()
	fr, ok := r.Body.(fileReader)
	if !ok {
		t.Fatal("the body has no ReadFile")
	}
	var n int64
	if first > 0 {
		p := make([]byte, first)
		k, err := io.ReadFull(r.Body, p)
		if err != nil {
			return int64(k), err
		}
		f.Write(p)
		n += int64(k)
	}
	for range 100000 {
		k, err := fr.ReadFile(f, max)
		n += k
		if err != nil {
			return n, err
		}
	}
	t.Fatal("ReadFile never ended")
	return n, nil
}

func tempFile(t *testing.T) *os.File {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "body"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestReadFile moves Content-Length bodies into files on a TCP connection
// (by splice on Linux), mixed with Read, with small and large calls, and
// checks the bytes, the end and the connection's reuse.
func TestReadFile(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("splice is Linux's")
	}
	one, two := bodyBytes(300000), bodyBytes(70000)
	tests := []struct {
		name  string
		piece int   // the server's writes
		first int   // bytes read with Read first
		max   int64 // ReadFile's max
	}{
		{"whole", 1 << 20, 0, 1 << 30},
		{"small pieces", 1000, 0, 1 << 30},
		{"small calls", 1 << 20, 0, 777},
		{"after a Read", 4096, 12345, 1 << 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startRawTCP(t, serveBodies(tt.piece, withLength(one), withLength(two)))
			c, err := Dial(t.Context(), srv.addr())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			for i, want := range [][]byte{one, two} {
				if err := c.Request("GET", "/", nil, Header{}); err != nil {
					t.Fatal(err)
				}
				r, err := c.GetResponse()
				if err != nil {
					t.Fatal(err)
				}
				f := tempFile(t)
				n, err := readFileAll(t, r, f, tt.first, tt.max)
				if err != io.EOF || n != int64(len(want)) {
					t.Fatalf("response %d: moved %d bytes, %v; want %d, io.EOF", i, n, err, len(want))
				}
				got, _ := os.ReadFile(f.Name())
				if !bytes.Equal(got, want) {
					t.Fatalf("response %d: the file differs from the body", i)
				}
				if r.Timings.Done.IsZero() {
					t.Errorf("response %d: Timings.Done not set", i)
				}
			}
			if n := srv.accepted.Load(); n != 1 {
				t.Errorf("%d connections, want 1 (reused)", n)
			}
		})
	}
}

// getOne dials a raw TCP server running handle, sends a GET and returns
// the connection (closed with the test) and the response's head.
func getOne(t *testing.T, handle func(net.Conn), opts ...Option) (*Conn, *Response) {
	t.Helper()
	srv := startRawTCP(t, handle)
	c, err := Dial(t.Context(), srv.addr(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Request("GET", "/", nil, Header{}); err != nil {
		t.Fatal(err)
	}
	r, err := c.GetResponse()
	if err != nil {
		t.Fatal(err)
	}
	return c, r
}

// TestReadFileAllocs: once a body is moving, a ReadFile call allocates
// nothing, so a long download leaves the heap where it was (issue 8's
// memory bound on a 2 GiB file).
func TestReadFileAllocs(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("splice is Linux's")
	}
	_, r := getOne(t, serveBodies(1<<20, withLength(bodyBytes(8<<20))))
	fr := r.Body.(fileReader)
	f := tempFile(t)
	var moved int64
	var rerr error
	call := func() {
		n, err := fr.ReadFile(f, 16<<10)
		moved += n
		if err != nil && rerr == nil {
			rerr = err
		}
	}
	for range 3 { // the bytes that came with the head, then the pipe made
		call()
	}
	allocs := testing.AllocsPerRun(100, call)
	if rerr != nil {
		t.Fatalf("after %d bytes: %v", moved, rerr)
	}
	if allocs != 0 {
		t.Errorf("%.1f allocations a ReadFile call, want 0", allocs)
	}
}

// TestReadFileFaults: a cut body is a TruncatedError, a file that refuses
// bytes a FileWriteError, a silent server the inactivity timeout; each
// closes the connection. Where splice cannot run, ErrUnsupported comes
// back with nothing read.
func TestReadFileFaults(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("splice is Linux's")
	}
	body := bodyBytes(200000)

	t.Run("cut", func(t *testing.T) {
		head := "HTTP/1.1 200 OK\r\nContent-Length: 200000\r\n\r\n"
		c, r := getOne(t, respondRaw(head+string(body[:90000]), true))
		n, err := readFileAll(t, r, tempFile(t), 0, 1<<30)
		var te *TruncatedError
		if !errors.As(err, &te) || te.Got != 90000 || te.Want != 200000 || n != 90000 {
			t.Fatalf("moved %d, %v; want 90000 and a TruncatedError{90000, 200000}", n, err)
		}
		checkClosed(t, c)
	})

	t.Run("file refuses", func(t *testing.T) {
		// Past the bytes buffered with the head, so splice meets the file.
		c, r := getOne(t, serveBodies(1<<20, withLength(body)))
		name := filepath.Join(t.TempDir(), "ro")
		os.WriteFile(name, nil, 0o644)
		f, err := os.Open(name) // read-only: writes fail
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		// Read what came with the head, so the next bytes are spliced.
		if _, err := io.ReadFull(r.Body, make([]byte, c.br.Buffered())); err != nil {
			t.Fatal(err)
		}
		fr := r.Body.(fileReader)
		var rerr error
		for range 1000 {
			if _, rerr = fr.ReadFile(f, 1<<30); rerr != nil {
				break
			}
		}
		var fe *FileWriteError
		if !errors.As(rerr, &fe) {
			t.Fatalf("ReadFile into a read-only file: %v, want a FileWriteError", rerr)
		}
		checkClosed(t, c)
	})

	// stall sends the head and 1000 bytes of the body, then nothing until
	// the client closes.
	stall := func(nc net.Conn) {
		br := bufio.NewReader(nc)
		testkit.ReadHead(br)
		io.WriteString(nc, "HTTP/1.1 200 OK\r\nContent-Length: 200000\r\n\r\n"+string(body[:1000]))
		io.Copy(io.Discard, br)
	}

	t.Run("inactivity timeout", func(t *testing.T) {
		c, r := getOne(t, stall, WithTimeout(200*time.Millisecond))
		start := time.Now()
		n, err := readFileAll(t, r, tempFile(t), 0, 1<<30)
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() || n != 1000 {
			t.Fatalf("moved %d, %v; want 1000 and a timeout", n, err)
		}
		checkFast(t, start, 5*time.Second, "the timeout")
		checkClosed(t, c)
	})

	t.Run("Close during a splice", func(t *testing.T) {
		c, r := getOne(t, stall)
		timer := time.AfterFunc(100*time.Millisecond, func() { c.Close() })
		defer timer.Stop()
		start := time.Now()
		n, err := readFileAll(t, r, tempFile(t), 0, 1<<30)
		if err == nil || err == io.EOF || n != 1000 {
			t.Fatalf("moved %d, %v; want 1000 and an error", n, err)
		}
		checkFast(t, start, 5*time.Second, "Close")
		checkClosed(t, c)
	})

	t.Run("a file opened to append refuses splice", func(t *testing.T) {
		c, r := getOne(t, serveBodies(1<<20, withLength(body)))
		// Read what came with the head, so the next call splices.
		first := make([]byte, c.br.Buffered())
		if _, err := io.ReadFull(r.Body, first); err != nil {
			t.Fatal(err)
		}
		name := filepath.Join(t.TempDir(), "append")
		os.WriteFile(name, first, 0o644)
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		fr := r.Body.(fileReader)
		n, err := fr.ReadFile(f, 1<<30)
		if err != nil || n == 0 {
			t.Fatalf("first ReadFile = %d, %v; want bytes written the other way", n, err)
		}
		if n, err := fr.ReadFile(f, 1<<30); !errors.Is(err, errors.ErrUnsupported) || n != 0 {
			t.Fatalf("second ReadFile = %d, %v; want 0, ErrUnsupported", n, err)
		}
		if _, err := io.Copy(f, r.Body); err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(name); !bytes.Equal(got, body) {
			t.Fatalf("the file holds %d bytes, not the body's %d", len(got), len(body))
		}
	})

	t.Run("chunked is unsupported", func(t *testing.T) {
		_, r := getOne(t, respondRaw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", false))
		if n, err := r.Body.(fileReader).ReadFile(tempFile(t), 100); !errors.Is(err, errors.ErrUnsupported) || n != 0 {
			t.Fatalf("ReadFile = %d, %v; want 0, ErrUnsupported", n, err)
		}
		if b, err := io.ReadAll(r.Body); err != nil || string(b) != "hello" {
			t.Fatalf("Read after = %q, %v", b, err)
		}
	})

	t.Run("a pipe is unsupported", func(t *testing.T) {
		c := pipeConn(t, okPipeServer(&wireLog{}))
		if err := c.Request("GET", "/", nil, Header{}); err != nil {
			t.Fatal(err)
		}
		r, err := c.GetResponse()
		if err != nil {
			t.Fatal(err)
		}
		if n, err := r.Body.(fileReader).ReadFile(tempFile(t), 100); !errors.Is(err, errors.ErrUnsupported) || n != 0 {
			t.Fatalf("ReadFile = %d, %v; want 0, ErrUnsupported", n, err)
		}
		if b, err := io.ReadAll(r.Body); err != nil || string(b) != "ok" {
			t.Fatalf("Read after = %q, %v", b, err)
		}
	})
}
