package conn

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grabhq/grab/internal/testkit"
)

// countingPipeDialer hands out the client end of a pipe, counting the
// bytes read from it.
type countingPipeDialer struct {
	nc net.Conn
	n  *atomic.Int64
}

func (d countingPipeDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return countingConn{d.nc, d.n}, nil
}

type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// fuzzOutcome is what the client made of a server's bytes.
type fuzzOutcome struct {
	resp *Response
	body []byte
	err  error // of GetResponse or reading the body
	used int64 // bytes of the input the client consumed
}

// fuzzExchange sends GET / to a server that answers data and closes, and
// reads the response to its end.
func fuzzExchange(t *testing.T, data []byte) fuzzOutcome {
	t.Helper()
	var read atomic.Int64
	cl, sv := net.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer sv.Close()
		sv.SetDeadline(time.Now().Add(fuzzWait))
		if _, err := testkit.ReadHead(bufio.NewReader(sv)); err != nil {
			return
		}
		sv.Write(data) // returns once the client has read it all or closed
	}()
	defer func() { <-done }()
	c, err := Dial(t.Context(), "pipe.test:80", WithDialer(countingPipeDialer{cl, &read}), WithMaxHeaderBytes(4096))
	if err != nil {
		cl.Close()
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(fuzzWait))
	if err := c.Request("GET", "/", nil, Header{}); err != nil {
		t.Fatalf("Request: %v", err)
	}
	var o fuzzOutcome
	o.resp, o.err = c.GetResponse()
	if o.err == nil {
		// The limit only guards the test: a body can never be longer
		// than what the server sent.
		o.body, o.err = io.ReadAll(io.LimitReader(o.resp.Body, int64(len(data))+1))
	}
	o.used = read.Load() - int64(c.br.Buffered())
	if errors.Is(o.err, os.ErrDeadlineExceeded) {
		t.Fatalf("the client waited %v for more from a server that had sent %q and closed: %v", fuzzWait, data, o.err)
	}
	return o
}

// fuzzWait bounds an exchange: the server sends its bytes and closes at
// once, so a client still waiting after it is stuck.
const fuzzWait = 5 * time.Second

// FuzzResponse feeds arbitrary bytes to the client as the server's answer
// (HOSTILE.md §5 item 6). Properties: no panic; a body is never longer than
// the input; a body read to its end without an error has its declared
// Content-Length; and a response read without an error whose end the
// client found by itself (a length, chunks or no body, not the close of
// the connection) is an error when the input stops one byte short of that
// end, so a truncated Content-Length or chunked body is never success.
// Memory is bounded by the input and the 4 KiB header budget.
func FuzzResponse(f *testing.F) {
	seeds := []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
		"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello",
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA",
		"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 11\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nok\r\n0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\nok\r\n0\r\n\r\n",
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
		strings.Repeat("HTTP/1.1 103 Early Hints\r\n\r\n", 20) + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 200 OK\r\nX-Huge: " + strings.Repeat("h", 5000) + "\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n" + strings.Repeat("X-T: t\r\n", 600) + "\r\n",
		"HTTP/1.0 200 OK\r\n\r\nclose-delimited body",
		"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nclose-delimited",
		"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n",
		"HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n",
		"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\nframes",
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 4\r\n\r\nokok",
		"HTTP/1.1 200 OK\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
		"HTTP/1.1 200 OK\nContent-Length: 2\n\nok",
		"HTTP/1.1 200 OK\r\nX-Fold: a\r\n b\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 2OO OK\r\n\r\n",
		"",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		o := fuzzExchange(t, data)
		if len(o.body) > len(data) {
			t.Fatalf("body of %d bytes from %d bytes of input", len(o.body), len(data))
		}
		if o.resp == nil || o.err != nil {
			return
		}
		r := o.resp
		noBody := r.StatusCode == 204 || r.StatusCode == 304 || r.StatusCode < 200
		if r.ContentLength >= 0 && !r.Chunked && !noBody && int64(len(o.body)) != r.ContentLength {
			t.Fatalf("%s: body of %d bytes read without an error, Content-Length %d", r.Status, len(o.body), r.ContentLength)
		}
		if !r.Chunked && !noBody && r.ContentLength > 0 && !bytes.Contains(data, o.body) {
			t.Fatalf("%s: body %q is not in the input", r.Status, o.body)
		}
		if r.LengthUnknown || r.StatusCode == 101 {
			return // the body ends with the connection
		}
		if o.used <= 0 || o.used > int64(len(data)) {
			t.Fatalf("%s: consumed %d of %d bytes", r.Status, o.used, len(data))
		}
		short := fuzzExchange(t, data[:o.used-1])
		if short.err == nil {
			t.Fatalf("%s (chunked %v, Content-Length %d): the input cut one byte before the response's end (%d of %d bytes) read without an error: %d body bytes",
				r.Status, r.Chunked, r.ContentLength, o.used-1, len(data), len(short.body))
		}
	})
}
