package conn

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/grabhq/grab/internal/testkit"
	"github.com/grabhq/grab/testserver"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// newServer starts the test server with uploads and faults on loopback.
func newServer(t *testing.T) (*httptest.Server, string) {
	t.Helper()
	up := t.TempDir()
	srv := httptest.NewServer(testserver.New(testserver.WithUploadDir(up), testserver.WithFaults(), testserver.WithMaxDelay(2*time.Second)))
	t.Cleanup(srv.Close)
	return srv, up
}

func dial(t *testing.T, srv *httptest.Server, opts ...Option) *Conn {
	t.Helper()
	c, err := Dial(t.Context(), srv.Listener.Addr().String(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func readAll(t *testing.T, r *Response) string {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	return string(b)
}

// TestTextbook is the textbook's examples 2-8 to 2-11: two GETs on one
// connection (200, then 404), HEAD without a body, POST answered with a
// redirect that is not followed, PUT of a file.
func TestTextbook(t *testing.T) {
	srv, up := newServer(t)
	c := dial(t, srv)
	if err := c.Request("GET", "/hello", nil, Header{}); err != nil {
		t.Fatal(err)
	}
	r, err := c.GetResponse()
	if err != nil {
		t.Fatal(err)
	}
	if r.StatusCode != 200 || r.Reason != "OK" || readAll(t, r) != "Hello World" {
		t.Fatalf("GET /hello = %s", r.Status)
	}
	if err := c.Request("GET", "/parrot.spam", nil, Header{}); err != nil {
		t.Fatal(err)
	}
	r, err = c.GetResponse()
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, r)
	if r.StatusCode != 404 || r.Reason != "Not Found" || !r.Timings.Reused {
		t.Fatalf("GET /parrot.spam = %s, reused %v", r.Status, r.Timings.Reused)
	}
	if err := c.Request("HEAD", "/hello", nil, Header{}); err != nil {
		t.Fatal(err)
	}
	r, err = c.GetResponse()
	if err != nil {
		t.Fatal(err)
	}
	if r.StatusCode != 200 || readAll(t, r) != "" || r.Header.Get("Content-Length") != "11" {
		t.Fatalf("HEAD /hello = %s %v", r.Status, r.Header)
	}
	params := "@number=12524&@type=issue&@action=show"
	h := NewHeader("Content-type", "application/x-www-form-urlencoded", "Accept", "text/plain")
	if err := c.Request("POST", "/redirect-to?url=/get&status_code=302", strings.NewReader(params), h); err != nil {
		t.Fatal(err)
	}
	r, err = c.GetResponse()
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, r)
	if r.StatusCode != 302 || r.Header.Get("Location") != "/get" {
		t.Fatalf("POST = %s Location %q", r.Status, r.Header.Get("Location"))
	}
	if err := c.Request("PUT", "/file", strings.NewReader("***filecontents***"), Header{}); err != nil {
		t.Fatal(err)
	}
	r, err = c.GetResponse()
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, r)
	if r.StatusCode != 201 {
		t.Fatalf("PUT /file = %s", r.Status)
	}
	_ = up
}

func TestTransportSmoke(t *testing.T) {
	srv, _ := newServer(t)
	tr := &Transport{}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	for range 3 {
		resp, err := client.Get(srv.URL + "/hello")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != "Hello World" {
			t.Fatalf("body %q", b)
		}
	}
	resp, err := client.Post(srv.URL+"/post", "text/plain", bytes.NewReader([]byte("abc")))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `"data": "abc"`) && !strings.Contains(string(b), `"data":"abc"`) {
		t.Fatalf("POST /post = %s", b)
	}
}

// TestRequestBodyOverLength: a whole request whose body runs past its own
// Content-Length fails, and the connection, whose head has gone out, is
// closed rather than left in the middle of a request.
func TestRequestBodyOverLength(t *testing.T) {
	srv, _ := newServer(t)
	c := dial(t, srv)
	err := c.Request("POST", "/post", io.MultiReader(strings.NewReader("abcdef")), NewHeader("Content-Length", "3"))
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "longer than the declared Content-Length 3") {
		t.Fatalf("Request = %v, want ErrInvalid", err)
	}
	if err := c.Request("GET", "/hello", nil, Header{}); !errors.Is(err, ErrClosed) {
		t.Errorf("next Request = %v, want ErrClosed", err)
	}
}

// TestRequestHostFirst: Request writes Host as the first field, as
// http.client does and RFC 9110 7.2 asks, unless the header gives one.
func TestRequestHostFirst(t *testing.T) {
	heads := make(chan string, 2)
	srv := startRawTCP(t, func(nc net.Conn) {
		br := bufio.NewReader(nc)
		for {
			h, err := testkit.ReadHead(br)
			if err != nil {
				return
			}
			heads <- h
			io.CopyN(io.Discard, br, 3)
			io.WriteString(nc, "HTTP/1.1 204 No Content\r\n\r\n")
		}
	})
	c, err := Dial(t.Context(), srv.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, h := range []Header{NewHeader("X-A", "1", "Content-Type", "text/plain"), NewHeader("X-A", "1", "Host", "given.example")} {
		if err := c.Request("POST", "/p", strings.NewReader("abc"), h); err != nil {
			t.Fatal(err)
		}
		resp, err := c.GetResponse()
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	want := []string{
		"POST /p HTTP/1.1\r\nHost: " + srv.addr() + "\r\nX-A: 1\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\n",
		"POST /p HTTP/1.1\r\nX-A: 1\r\nHost: given.example\r\nContent-Length: 3\r\n\r\n",
	}
	for i, w := range want {
		if got := <-heads; got != w {
			t.Errorf("head %d:\n%q\nwant\n%q", i+1, got, w)
		}
	}
}

// TestEarlyAnswer: a server that answers 413 after the head and closes,
// leaving the body unread, is heard: GetResponse returns its answer, as
// curl shows it, not the failed write of the body.
func TestEarlyAnswer(t *testing.T) {
	srv := startRawTCP(t, func(nc net.Conn) {
		if _, err := testkit.ReadHead(bufio.NewReader(nc)); err != nil {
			return
		}
		io.WriteString(nc, "HTTP/1.1 413 Payload Too Large\r\nContent-Length: 8\r\nConnection: close\r\n\r\ntoo big!")
	})
	for range 3 {
		c, err := Dial(t.Context(), srv.addr())
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Request("POST", "/up", bytes.NewReader(make([]byte, 32<<20)), Header{}); err != nil {
			t.Fatalf("Request = %v, want the answer kept for GetResponse", err)
		}
		resp, err := c.GetResponse()
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		if resp.StatusCode != 413 || string(body) != "too big!" || err != nil {
			t.Errorf("GetResponse = %d %q %v, want 413 too big!", resp.StatusCode, body, err)
		}
		checkClosed(t, c) // never reused
		c.Close()
	}
}

// slowTail is a reader that gives its bytes only after a delay.
type slowTail struct {
	delay time.Duration
	data  []byte
}

func (r *slowTail) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	time.Sleep(r.delay)
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

// TestEarlyAnswerLastWrite: the answer is heard also when the write that
// fails is the body's last, which GetResponse makes.
func TestEarlyAnswerLastWrite(t *testing.T) {
	srv := startRawTCP(t, func(nc net.Conn) {
		if _, err := testkit.ReadHead(bufio.NewReader(nc)); err != nil {
			return
		}
		io.WriteString(nc, "HTTP/1.1 401 Unauthorized\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno")
	})
	c, err := Dial(t.Context(), srv.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	body := io.MultiReader(bytes.NewReader(make([]byte, 20<<10)), &slowTail{delay: 100 * time.Millisecond, data: make([]byte, 100)})
	if err := c.Request("POST", "/up", body, NewHeader("Content-Length", fmt.Sprint(20<<10+100))); err != nil {
		t.Fatalf("Request = %v", err)
	}
	resp, err := c.GetResponse()
	if err != nil {
		t.Fatalf("GetResponse = %v, want the 401", err)
	}
	if b := readAll(t, resp); resp.StatusCode != 401 || b != "no" {
		t.Errorf("GetResponse = %d %q, want 401 no", resp.StatusCode, b)
	}
	checkClosed(t, c)
}

// TestHeadRecord: the head recorded is the stream up to its first empty
// line, however the reads split it, and the bytes after it are not kept.
func TestHeadRecord(t *testing.T) {
	tests := []struct{ name, stream, head string }{
		{"crlf", "HTTP/1.1 200 OK\r\nA: b\r\n\r\nbody\r\n\r\n", "HTTP/1.1 200 OK\r\nA: b\r\n\r\n"},
		{"lf", "HTTP/1.1 200 OK\nA: b\n\nbody\n\n", "HTTP/1.1 200 OK\nA: b\n\n"},
		{"no fields", "HTTP/1.1 204 No Content\r\n\r\nrest", "HTTP/1.1 204 No Content\r\n\r\n"},
		{"leading empty line", "\r\nHTTP/1.1 200 OK\r\n\r\nx", "\r\nHTTP/1.1 200 OK\r\n\r\n"},
		{"cr without lf", "HTTP/1.1 200 OK\r\nA: \r\r\n\r\nx", "HTTP/1.1 200 OK\r\nA: \r\r\n\r\n"},
		{"unended", "HTTP/1.1 200 OK\r\nA: b\r\n", "HTTP/1.1 200 OK\r\nA: b\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for split := 0; split <= len(tt.stream); split++ {
				for pre := 0; pre <= split; pre += max(split, 1) {
					// pre bytes buffered before startHead, then reads
					// of stream[pre:split] and stream[split:].
					br := bufio.NewReader(strings.NewReader(tt.stream[:pre]))
					br.Peek(pre)
					var r capReader
					r.startHead(br.Buffered(), 1<<20, br)
					r.record([]byte(tt.stream[pre:split]))
					r.record([]byte(tt.stream[split:]))
					if got := string(r.endHead(0)); got != tt.head {
						t.Fatalf("split at %d (%d buffered): head %q, want %q", split, pre, got, tt.head)
					}
				}
			}
		})
	}
}

// TestSwitchingProtocols: a 101 answers a request that asked for an
// Upgrade with the connection as its body; a 101 nobody asked for has no
// body (a 1xx has none), so reading it ends at once, and the connection
// is not reused.
func TestSwitchingProtocols(t *testing.T) {
	srv := startRawTCP(t, func(nc net.Conn) {
		if _, err := testkit.ReadHead(bufio.NewReader(nc)); err != nil {
			return
		}
		io.WriteString(nc, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\nframes")
		nc.(*net.TCPConn).CloseWrite()
		io.Copy(io.Discard, nc) // held open until the client closes
	})
	for _, tt := range []struct {
		name string
		h    Header
		want string
	}{
		{"asked", NewHeader("Upgrade", "x", "Connection", "upgrade"), "frames"},
		{"unasked", Header{}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Dial(t.Context(), srv.addr())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			// Close bounds the test should the body wait for the connection.
			stop := time.AfterFunc(3*time.Second, func() { c.Close() })
			defer stop.Stop()
			if err := c.Request("GET", "/", nil, tt.h); err != nil {
				t.Fatal(err)
			}
			resp, err := c.GetResponse()
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			if resp.StatusCode != 101 || string(body) != tt.want || err != nil {
				t.Errorf("GetResponse = %d, body %q, %v; want 101 and %q", resp.StatusCode, body, err, tt.want)
			}
			checkClosed(t, c)
		})
	}
}
