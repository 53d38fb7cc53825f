package testserver

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestListingPages is HOSTILE.md R4's cap: a large directory is listed a
// page at a time.
func TestListingPages(t *testing.T) {
	dir := t.TempDir()
	for i := range 2500 {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%05d", i)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	srv := start(t, New(WithRoot(dir)))
	_, _, p1 := get(t, srv, "GET", "/", nil)
	_, _, p3 := get(t, srv, "GET", "/?page=3", nil)
	if n := strings.Count(p1, "<li>"); n != maxListing || !strings.Contains(p1, "Page 1 of 3 (2500 entries)") || !strings.Contains(p1, `href="?page=2"`) {
		t.Errorf("page 1 lists %d entries:\n%.300s", n, p1)
	}
	if n := strings.Count(p3, "<li>"); n != 500 || !strings.Contains(p3, "f02499") || strings.Contains(p3, "f00000") {
		t.Errorf("page 3 lists %d entries", n)
	}
}

// TestSlowloris is HOSTILE.md R10: 256 connections that send a header a
// byte at a time do not keep a normal client from being served.
func TestSlowloris(t *testing.T) {
	s := &Server{}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	addr := strings.TrimPrefix(s.URL(), "http://")
	var conns []net.Conn
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	for range 256 {
		c, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		conns = append(conns, c)
		io.WriteString(c, "GET /hello HTTP/1.1\r\nHost: x\r\nX-Slow: a")
	}
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: 5 * time.Second}
			resp, err := client.Get(s.URL() + "/hello")
			if err != nil {
				errs <- err
				return
			}
			resp.Body.Close()
			client.CloseIdleConnections()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("normal client beside 256 slow ones: %v", err)
	}
}

// TestParameterCaps is HOSTILE.md R14: httpbin's parameters are capped
// (delays at the maximum delay), so no request can hold the server.
func TestParameterCaps(t *testing.T) {
	srv := start(t, New(WithMaxDelay(200*time.Millisecond)))
	for _, p := range []string{"/delay/1000000000", "/drip?duration=1000000000&numbytes=10", "/bytes/1000000000000", "/redirect/1000000", "/range/1000000000000", "/stream-bytes/1000000000000"} {
		start := time.Now()
		code, _, body := get(t, srv, "GET", p, nil)
		if code == 200 && len(body) > 1<<20 {
			t.Errorf("GET %s = %d with %d bytes", p, code, len(body))
		}
		if code != 400 && code != 200 && code != 302 {
			t.Errorf("GET %s = %d", p, code)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("GET %s took %v", p, d)
		}
	}
}

// TestWriteTimeoutProgress: WriteTimeout ends a response that stalls (a
// client that stops reading), not one that moves slowly for longer (it
// was one deadline for the whole response: a 1 GiB file at 200 KB/s was
// cut after 5 minutes). Both the sendfile path (a file of DIR) and plain
// writes (/bytes) are paced.
func TestWriteTimeoutProgress(t *testing.T) {
	dir := t.TempDir()
	const size = 8 << 20
	if err := os.WriteFile(filepath.Join(dir, "big.bin"), make([]byte, size), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &Server{Handler: New(WithRoot(dir)), WriteTimeout: 700 * time.Millisecond}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	read := func(path string, pause time.Duration, stopAfter int64) (int64, error) {
		c, err := net.Dial("tcp", strings.TrimPrefix(s.URL(), "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.(*net.TCPConn).SetReadBuffer(64 << 10)
		fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", path)
		c.SetDeadline(time.Now().Add(20 * time.Second))
		var n int64
		buf := make([]byte, 128<<10)
		for {
			if stopAfter > 0 && n >= stopAfter {
				time.Sleep(2 * s.WriteTimeout) // stops reading
				stopAfter = 0
			}
			k, err := c.Read(buf)
			n += int64(k)
			if err != nil {
				if err == io.EOF {
					err = nil
				}
				return n, err
			}
			time.Sleep(pause)
		}
	}
	for _, tt := range []struct {
		path string
		size int64
	}{{"/big.bin", size}, {"/dl/8MiB/x.bin", size}, {"/drip?numbytes=20&duration=1.2", 20}} {
		// About 1 s at 8 MB/s: more than WriteTimeout, never stalled.
		n, err := read(tt.path, 12*time.Millisecond, 0)
		if err != nil || n < tt.size {
			t.Errorf("%s read slowly: %d bytes, %v; want all %d", tt.path, n, err, tt.size)
		}
	}
	// A client that stops reading is dropped: the body never completes.
	if n, _ := read("/big.bin", 0, 1<<20); n >= size {
		t.Errorf("a client that stopped reading for 2x WriteTimeout got the whole file")
	}
}

// readFromRecorder is a ResponseWriter whose ReadFrom notes the readers it
// is handed, as net/http's hands them to sendfile.
type readFromRecorder struct {
	http.ResponseWriter
	srcs []io.Reader
}

func (w *readFromRecorder) ReadFrom(r io.Reader) (int64, error) {
	w.srcs = append(w.srcs, r)
	return io.Copy(io.Discard, r)
}

// TestProgressWriterSendfile: progressWriter hands the file itself under
// one LimitedReader to the ResponseWriter's ReadFrom (net's sendfile looks
// through one, not two), in pieces, and leaves the caller's limit counted
// down (http.ServeContent's io.CopyN, cgi.go's cap).
func TestProgressWriterSendfile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, make([]byte, 3*progressChunk+10), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rec := &readFromRecorder{ResponseWriter: httptest.NewRecorder()}
	w := &progressWriter{ResponseWriter: rec, rc: http.NewResponseController(rec), wt: time.Minute}
	lr := &io.LimitedReader{R: f, N: 2*progressChunk + 5}
	n, err := w.ReadFrom(lr)
	if err != nil || n != 2*progressChunk+5 || lr.N != 0 {
		t.Fatalf("ReadFrom = %d, %v, limit left %d; want %d, nil, 0", n, err, lr.N, 2*progressChunk+5)
	}
	if len(rec.srcs) != 3 {
		t.Fatalf("%d pieces, want 3", len(rec.srcs))
	}
	for i, src := range rec.srcs {
		if l, ok := src.(*io.LimitedReader); !ok || l.R != f {
			t.Errorf("piece %d: %T, want an *io.LimitedReader of the file itself", i, src)
		}
	}
}

// TestUploadNegativeLimit: a negative WithMaxUpload takes no byte: a
// chunked body still coming is answered 413 at once (limit+1 wrapped to
// MaxInt64, and the body was stored until it ended).
func TestUploadNegativeLimit(t *testing.T) {
	up := t.TempDir()
	srv := start(t, New(WithUploadDir(up), WithMaxUpload(-1)))
	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "PUT /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n") // and no end
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	line, _ := bufio.NewReader(c).ReadString('\n')
	if !strings.Contains(line, " 413 ") {
		t.Errorf("chunked PUT under a negative limit = %q, want 413 before the body ends", line)
	}
}
