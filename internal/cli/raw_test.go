package cli

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grabhq/grab/testserver"
)

func TestRaw(t *testing.T) {
	up := t.TempDir()
	srv := httptest.NewServer(testserver.New(testserver.WithUploadDir(up)))
	t.Cleanup(srv.Close)
	addr := srv.Listener.Addr().String()
	tests := []stdinTest{
		{runTest{"stdin GET", []string{"raw", addr}, ExitOK,
			hasPrefix("HTTP/1.1 200 OK\r\n", "Content-Length: 11\r\n\r\nHello World"), empty}, "GET /hello HTTP/1.1\n\n"},
		{runTest{"stdin CRLF and Host given", []string{"raw", addr}, ExitOK, hasPrefix("HTTP/1.1 200 OK\r\n"), empty}, "GET /hello HTTP/1.1\r\nHost: example.test\r\n\r\n"},
		{runTest{"HEAD has no body", []string{"raw", "-X", "HEAD", "--target", "/hello", addr}, ExitOK,
			func(got string) string {
				if !strings.HasSuffix(got, "Content-Length: 11\r\n\r\n") {
					return "want the head only, got " + got
				}
				return ""
			}, empty}, ""},
		{runTest{"404 on the same flow", []string{"raw", "--target", "/parrot.spam", addr}, ExitOK, hasPrefix("HTTP/1.1 404 Not Found\r\n"), empty}, ""},
		{runTest{"PUT -d", []string{"raw", "-X", "PUT", "--target", "/file", "-d", "***filecontents***", addr}, ExitOK,
			contains("HTTP/1.1 201 Created", "stored 18 bytes at /file"), empty}, ""},
		{runTest{"-X POST -d is form-encoded, as curl's", []string{"raw", "-X", "POST", "--target", "/post", "-d", "a=1", addr}, ExitOK,
			contains(`"a": [`, `"Content-Type": [`, `"application/x-www-form-urlencoded"`), empty}, ""},
		{runTest{"POST -d with header", []string{"raw", "--target", "/post", "-H", "Content-Type: text/plain", "-d", "hi", addr}, ExitOK,
			contains(`"data": "hi"`), empty}, ""},
		{runTest{"custom method", []string{"raw", "-X", "PROPFIND", "--target", "/anything", addr}, ExitOK, contains(`"method": "PROPFIND"`), empty}, ""},
		{runTest{"-w timings", []string{"raw", "-w", "--target", "/hello", addr}, ExitOK, hasPrefix("HTTP/1.1 200 OK"), contains("grab: timing", "first byte", "connected")}, ""},
		{runTest{"--raw sends HTTP/1.0 as is", []string{"raw", "--raw", addr}, ExitOK, hasPrefix("HTTP/1.0 200 OK\r\n"), empty}, "GET /hello HTTP/1.0\r\n\r\n"},
		{runTest{"injection refused", []string{"raw", "-X", "GET /x", addr}, ExitFailure, empty, contains(`conn: invalid request: method "GET /x"`)}, ""},
		{runTest{"CRLF in header refused", []string{"raw", "-H", "X-A: a\r\nX-B: b", addr}, ExitFailure, empty, contains(`header "X-A"`)}, ""},
		{runTest{"two lengths refused", []string{"raw", "-H", "Content-Length: 1", "-H", "Content-Length: 2", "-d", "x", addr}, ExitFailure, empty, contains("2 Content-Length fields")}, ""},
		{runTest{"empty stdin", []string{"raw", addr}, ExitUsage, empty, contains("no request on stdin")}, ""},
		{runTest{"bad request line", []string{"raw", addr}, ExitFailure, empty, contains(`want METHOD TARGET`)}, "hello\n\n"},
		{runTest{"-k without --tls", []string{"raw", "-k", addr}, ExitUsage, empty, contains("-k is about the certificate of --tls")}, ""},
		{runTest{"--raw with -X", []string{"raw", "--raw", "-X", "GET", addr}, ExitUsage, empty, contains("--raw sends stdin as it is")}, ""},
		{runTest{"no address", []string{"raw"}, ExitUsage, empty, hasPrefix("grab: accepts 1 arg")}, ""},
		{runTest{"refused connection", []string{"raw", "127.0.0.1:1"}, ExitFailure, empty, equals("grab: conn: dial tcp 127.0.0.1:1: connect: connection refused\n")}, "GET / HTTP/1.1\n\n"},
	}
	runStdinTests(t, tests)
}

// TestRawDelayBody shows the server sees the pause between head and body.
func TestRawDelayBody(t *testing.T) {
	var mu sync.Mutex
	var waited time.Duration
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		b := make([]byte, 64)
		n, _ := r.Body.Read(b)
		for n < 5 {
			m, err := r.Body.Read(b[n:])
			n += m
			if err != nil {
				break
			}
		}
		mu.Lock()
		waited = time.Since(start)
		mu.Unlock()
		w.Write(b[:n])
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	var stdout, stderr syncBuffer
	code := Run(t.Context(), []string{"raw", "-X", "POST", "-d", "hello", "--delay-body", "300ms", srv.Listener.Addr().String()}, strings.NewReader(""), &stdout, &stderr)
	if code != ExitOK || !strings.HasSuffix(stdout.String(), "hello") {
		t.Fatalf("grab raw --delay-body = %d %q %q", code, stdout.String(), stderr.String())
	}
	mu.Lock()
	defer mu.Unlock()
	if waited < 250*time.Millisecond {
		t.Errorf("the server waited %v for the body, want about 300ms", waited)
	}
}

// TestRawFlags covers --tls with -k (and without, refused), --timeout and
// -d @FILE.
func TestRawFlags(t *testing.T) {
	tlsSrv := httptest.NewTLSServer(testserver.New())
	t.Cleanup(tlsSrv.Close)
	stall := httptest.NewServer(testserver.New(testserver.WithFaults(), testserver.WithMaxDelay(5*time.Second)))
	t.Cleanup(stall.Close)
	body := filepath.Join(t.TempDir(), "body.txt")
	if err := os.WriteFile(body, []byte("from a file"), 0o644); err != nil {
		t.Fatal(err)
	}
	tlsAddr := tlsSrv.Listener.Addr().String()
	tests := []stdinTest{
		{runTest{"--tls -k", []string{"raw", "--tls", "-k", "--target", "/hello", tlsAddr}, ExitOK, hasPrefix("HTTP/1.1 200 OK\r\n", "Hello World"), empty}, ""},
		{runTest{"--tls verifies", []string{"raw", "--tls", "--target", "/hello", tlsAddr}, ExitFailure, empty, contains("conn: TLS handshake with", "certificate")}, ""},
		{runTest{"--timeout", []string{"raw", "--timeout", "200ms", "--target", "/fault/raw/never-answer", stall.Listener.Addr().String()}, ExitFailure, empty, contains("timed out waiting for the response")}, ""},
		{runTest{"-d @file", []string{"raw", "--target", "/post", "-H", "Content-Type: text/plain", "-d", "@" + body, stall.Listener.Addr().String()}, ExitOK, contains(`"data": "from a file"`), empty}, ""},
		{runTest{"-d @missing", []string{"raw", "-d", "@" + body + ".missing", stall.Listener.Addr().String()}, ExitFailure, empty, contains("no such file")}, ""},
	}
	runBoundedTests(t, tests, 4*time.Second)
}
