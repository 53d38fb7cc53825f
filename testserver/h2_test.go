package testserver

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// TestH2ContinuationFlood (HOSTILE.md R13): on the TLS server, which
// speaks HTTP/2, a HEADERS frame followed by CONTINUATION frames that
// never end the header block is cut once the fields pass the server's
// header limit (GOAWAY, or the connection closed), not read for ever.
// Current Go holds (CVE-2023-45288, fixed in Go 1.22.2; rapid reset,
// CVE-2023-44487, in 1.21.3; go.mod asks for 1.26).
func TestH2ContinuationFlood(t *testing.T) {
	s := &Server{TLS: true}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	pool := x509.NewCertPool()
	pool.AddCert(s.Certificate())
	addr := strings.TrimPrefix(s.URL(), "https://")
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr,
		&tls.Config{RootCAs: pool, ServerName: "127.0.0.1", NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if p := c.ConnectionState().NegotiatedProtocol; p != "h2" {
		t.Fatalf("negotiated %q, want h2", p)
	}
	c.SetDeadline(time.Now().Add(20 * time.Second))

	// The server's answers are read apart, so that its window and
	// SETTINGS never block our writes; the first GOAWAY or error ends it.
	ended := make(chan error, 1)
	go func() {
		fr := http2.NewFramer(io.Discard, c)
		for {
			f, err := fr.ReadFrame()
			if err != nil {
				ended <- err
				return
			}
			if ga, ok := f.(*http2.GoAwayFrame); ok {
				ended <- fmt.Errorf("GOAWAY %v", ga.ErrCode)
				return
			}
		}
	}()

	if _, err := io.WriteString(c, http2.ClientPreface); err != nil {
		t.Fatal(err)
	}
	fr := http2.NewFramer(c, nil)
	if err := fr.WriteSettings(); err != nil {
		t.Fatal(err)
	}
	var block bytes.Buffer
	enc := hpack.NewEncoder(&block)
	for _, f := range []hpack.HeaderField{{Name: ":method", Value: "GET"}, {Name: ":scheme", Value: "https"}, {Name: ":authority", Value: addr}, {Name: ":path", Value: "/hello"}} {
		enc.WriteField(f)
	}
	if err := fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: block.Bytes(), EndStream: true}); err != nil {
		t.Fatal(err)
	}
	block.Reset()
	enc.WriteField(hpack.HeaderField{Name: "x-flood", Value: strings.Repeat("a", 8000), Sensitive: true}) // never indexed: every frame costs its bytes
	const frames = 4000                                                                                   // 32 MB of fields, 32 times the server's 1 MiB limit
	sent := 0
	for ; sent < frames; sent++ {
		if err := fr.WriteContinuation(1, false, block.Bytes()); err != nil {
			break // the server closed the connection
		}
		select {
		case err := <-ended:
			t.Logf("cut after %d CONTINUATION frames: %v", sent, err)
			if sent < 4 {
				t.Errorf("cut after %d frames (%v): the block was refused, not its size", sent, err)
			}
			return
		default:
		}
	}
	select {
	case err := <-ended:
		t.Logf("cut after %d CONTINUATION frames: %v", sent, err)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Errorf("the server read %d CONTINUATION frames and still waits for the end of the block", sent)
		}
	case <-time.After(15 * time.Second):
		t.Errorf("the server read %d CONTINUATION frames and still waits for the end of the block", sent)
	}
}
