package conn

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/grabhq/grab/testserver"
)

// echo is what httpbin's /anything, /post and /put answer.
type echo struct {
	Method  string              `json:"method"`
	Data    string              `json:"data"`
	Headers map[string][]string `json:"headers"`
}

func parseEcho(t *testing.T, body string) echo {
	t.Helper()
	var e echo
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("echo %.200q: %v", body, err)
	}
	return e
}

// TestMethods sends each method on a fresh connection to the test server
// and checks what came back: any method token goes out as written.
func TestMethods(t *testing.T) {
	srv, up := newServer(t)
	tests := []struct {
		name   string
		method string
		target string
		body   io.Reader
		header Header
		check  func(t *testing.T, r *Response, body string)
	}{
		{name: "GET", method: "GET", target: "/get?a=1", check: func(t *testing.T, r *Response, body string) {
			if r.StatusCode != 200 || !strings.Contains(body, `"a"`) {
				t.Errorf("GET /get?a=1 = %s %.100q", r.Status, body)
			}
		}},
		{name: "HEAD", method: "HEAD", target: "/hello", check: func(t *testing.T, r *Response, body string) {
			if r.StatusCode != 200 || body != "" || r.Header.Get("Content-Length") != "11" || r.ContentLength != 11 {
				t.Errorf("HEAD /hello = %s Content-Length %q (%d) body %q, want 200, 11 and no body",
					r.Status, r.Header.Get("Content-Length"), r.ContentLength, body)
			}
		}},
		{name: "POST", method: "POST", target: "/post", body: strings.NewReader("a=1&b=2"),
			header: NewHeader("Content-Type", "application/x-www-form-urlencoded"),
			check: func(t *testing.T, r *Response, body string) {
				if e := parseEcho(t, body); r.StatusCode != 200 || e.Method != "POST" || e.Headers["Content-Length"][0] != "7" {
					t.Errorf("POST /post = %s %+v", r.Status, e)
				}
			}},
		{name: "POST without a body", method: "POST", target: "/post", check: func(t *testing.T, r *Response, body string) {
			if e := parseEcho(t, body); r.StatusCode != 200 || e.Headers["Content-Length"][0] != "0" {
				t.Errorf("POST /post without a body = %s %+v, want Content-Length: 0", r.Status, e)
			}
		}},
		{name: "PUT", method: "PUT", target: "/file", body: strings.NewReader("***filecontents***"), check: func(t *testing.T, r *Response, body string) {
			b, err := os.ReadFile(filepath.Join(up, "file"))
			if r.StatusCode != 201 || err != nil || string(b) != "***filecontents***" {
				t.Errorf("PUT /file = %s; file %q, %v", r.Status, b, err)
			}
		}},
		{name: "PUT again", method: "PUT", target: "/file", body: strings.NewReader("second"), check: func(t *testing.T, r *Response, body string) {
			b, err := os.ReadFile(filepath.Join(up, "file"))
			if r.StatusCode != 200 || err != nil || string(b) != "second" {
				t.Errorf("PUT /file over the file = %s; file %q, %v", r.Status, b, err)
			}
		}},
		{name: "PUT streamed chunked", method: "PUT", target: "/dir/streamed", body: iotest.OneByteReader(strings.NewReader("streamed body")), check: func(t *testing.T, r *Response, body string) {
			b, err := os.ReadFile(filepath.Join(up, "dir", "streamed"))
			if r.StatusCode != 201 || err != nil || string(b) != "streamed body" {
				t.Errorf("PUT /dir/streamed = %s %q; file %q, %v", r.Status, body, b, err)
			}
		}},
		{name: "DELETE", method: "DELETE", target: "/file", check: func(t *testing.T, r *Response, body string) {
			if _, err := os.Stat(filepath.Join(up, "file")); r.StatusCode != 204 || !errors.Is(err, os.ErrNotExist) {
				t.Errorf("DELETE /file = %s; file: %v", r.Status, err)
			}
		}},
		{name: "DELETE missing", method: "DELETE", target: "/file", check: func(t *testing.T, r *Response, body string) {
			if r.StatusCode != 404 {
				t.Errorf("DELETE /file again = %s, want 404", r.Status)
			}
		}},
		{name: "OPTIONS", method: "OPTIONS", target: "/anything", check: func(t *testing.T, r *Response, body string) {
			if r.StatusCode != 200 || r.Header.Get("Access-Control-Allow-Methods") == "" {
				t.Errorf("OPTIONS /anything = %s %v", r.Status, r.Header)
			}
		}},
		{name: "OPTIONS *", method: "OPTIONS", target: "*", check: func(t *testing.T, r *Response, body string) {
			if r.StatusCode != 200 {
				t.Errorf("OPTIONS * = %s", r.Status)
			}
		}},
		{name: "PROPFIND", method: "PROPFIND", target: "/anything/dav", header: NewHeader("Depth", "1"), check: func(t *testing.T, r *Response, body string) {
			if e := parseEcho(t, body); r.StatusCode != 200 || e.Method != "PROPFIND" || e.Headers["Depth"][0] != "1" {
				t.Errorf("PROPFIND /anything/dav = %s %+v", r.Status, e)
			}
		}},
		{name: "PATCH", method: "PATCH", target: "/anything", body: strings.NewReader(`{"x":1}`), header: NewHeader("Content-Type", "application/json"), check: func(t *testing.T, r *Response, body string) {
			if e := parseEcho(t, body); e.Method != "PATCH" || e.Data != `{"x":1}` {
				t.Errorf("PATCH /anything = %s %+v", r.Status, e)
			}
		}},
		{name: "lower-case method", method: "get", target: "/anything", check: func(t *testing.T, r *Response, body string) {
			// Methods are case-sensitive tokens; "get" is not GET.
			if r.StatusCode == 200 && parseEcho(t, body).Method != "get" {
				t.Errorf("get /anything = %s %q", r.Status, body)
			}
		}},
	}
	for _, tt := range tests { // in order: PUT, then DELETE
		t.Run(tt.name, func(t *testing.T) {
			c := dial(t, srv)
			r, body := mustExchange(t, c, tt.method, tt.target, tt.body, tt.header)
			tt.check(t, r, body)
			if r.Timings.Done.IsZero() {
				t.Error("Timings.Done not set after the body")
			}
		})
	}
}

// TestReuse sends several requests on one connection: each after the
// first is Reused, and the server sees one connection.
func TestReuse(t *testing.T) {
	srv, conns := countingServer(t, testserver.New(), nil)
	c := dial(t, srv)
	for i, target := range []string{"/hello", "/get", "/status/404", "/stream/2", "/hello", "/bytes/70000"} {
		r, _ := mustExchange(t, c, "GET", target, nil, Header{})
		if r.Timings.Reused != (i > 0) {
			t.Errorf("request %d (%s): Reused = %v", i, target, r.Timings.Reused)
		}
		if i > 0 && !r.Timings.ConnectStart.IsZero() {
			t.Errorf("request %d: dial phases on a reused connection", i)
		}
	}
	if _, body := mustExchange(t, c, "HEAD", "/hello", nil, Header{}); body != "" {
		t.Errorf("HEAD body %q", body)
	}
	if _, body := mustExchange(t, c, "GET", "/hello", nil, Header{}); body != "Hello World" {
		t.Errorf("GET after HEAD: body %q", body)
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("server saw %d connections, want 1", n)
	}
}

// TestStepwisePause builds a request with PutRequest, PutHeader and
// EndHeaders, pauses, then sends the body: the server sees the head at
// once and the body only after the pause.
func TestStepwisePause(t *testing.T) {
	const pause = 200 * time.Millisecond
	headSeen := make(chan struct{}, 1)
	waited := make(chan time.Duration, 1)
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now() // the head has arrived
		headSeen <- struct{}{}
		b, err := io.ReadAll(r.Body)
		waited <- time.Since(start)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Write(b)
	})
	srv := httptest.NewServer(testserver.New(testserver.Mount("/pause", app)))
	t.Cleanup(srv.Close)
	for _, framing := range []string{"Content-Length", "chunked"} {
		t.Run(framing, func(t *testing.T) {
			c := dial(t, srv)
			if err := c.PutRequest("POST", "/pause"); err != nil {
				t.Fatal(err)
			}
			if framing == "chunked" {
				err := c.PutHeader("Transfer-Encoding", "chunked")
				if err != nil {
					t.Fatal(err)
				}
			} else if err := c.PutHeader("Content-Length", "11"); err != nil {
				t.Fatal(err)
			}
			if err := c.PutHeader("X-Multi", "a", "b"); err != nil {
				t.Fatal(err)
			}
			if err := c.EndHeaders(); err != nil {
				t.Fatal(err)
			}
			select {
			case <-headSeen:
			case <-time.After(time.Second):
				t.Fatal("the server did not see the head after EndHeaders")
			}
			time.Sleep(pause)
			if err := c.Send([]byte("hello ")); err != nil {
				t.Fatal(err)
			}
			if err := c.Send([]byte("world")); err != nil {
				t.Fatal(err)
			}
			sent := time.Now()
			time.Sleep(20 * time.Millisecond) // the caller's own work before it asks for the answer
			r, err := c.GetResponse()
			if err != nil {
				t.Fatal(err)
			}
			if got := readAll(t, r); got != "hello world" {
				t.Errorf("echo %q", got)
			}
			if d := <-waited; d < pause {
				t.Errorf("server read the body %v after the head, want at least the pause of %v", d, pause)
			}
			if w := r.Timings.BodyWritten.Sub(r.Timings.HeadWritten); w < pause {
				t.Errorf("Timings: body written %v after the head, want at least %v", w, pause)
			}
			// A declared length is complete at its last Send; a chunked
			// body only at GetResponse, which sends its last chunk.
			if framing == "Content-Length" && r.Timings.BodyWritten.After(sent) {
				t.Errorf("Timings: body written %v after its last Send, want at it", r.Timings.BodyWritten.Sub(sent))
			}
		})
	}
}

// TestChunkedRequest sends a chunked body with several Send calls; the
// chunks go out as sent and the server gets the whole body.
func TestChunkedRequest(t *testing.T) {
	srv, _ := newServer(t)
	d := new(recordingDialer)
	c := dial(t, srv, WithDialer(d))
	if err := c.PutRequest("POST", "/anything"); err != nil {
		t.Fatal(err)
	}
	for _, nv := range [][2]string{{"Content-Type", "text/plain"}, {"Transfer-Encoding", "chunked"}} {
		if err := c.PutHeader(nv[0], nv[1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.EndHeaders(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"hel", "lo ", "", "chunked world"} {
		if err := c.Send([]byte(p)); err != nil {
			t.Fatal(err)
		}
	}
	r, err := c.GetResponse()
	if err != nil {
		t.Fatal(err)
	}
	if e := parseEcho(t, readAll(t, r)); e.Data != "hello chunked world" {
		t.Errorf("server got %q", e.Data)
	}
	sent := d.log.String()
	if want := "\r\n\r\n3\r\nhel\r\n3\r\nlo \r\nd\r\nchunked world\r\n0\r\n\r\n"; !strings.HasSuffix(sent, want) {
		t.Errorf("sent %q, want it to end with %q", sent, want)
	}
}

func tlsPool(srv *httptest.Server) *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return pool
}

// quietTLSServer is httptest's TLS server without handshake error logs.
func quietTLSServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// TestTLS: with the server's certificate trusted, requests go over TLS;
// with the default configuration the unknown authority is an error.
func TestTLS(t *testing.T) {
	srv := quietTLSServer(t, testserver.New())
	t.Run("trusted", func(t *testing.T) {
		c := dial(t, srv, WithTLS(&tls.Config{RootCAs: tlsPool(srv)}))
		st := c.TLS()
		if st == nil || !st.HandshakeComplete || st.NegotiatedProtocol != "http/1.1" {
			t.Fatalf("TLS state %+v", st)
		}
		r, body := mustExchange(t, c, "GET", "/hello", nil, Header{})
		if body != "Hello World" {
			t.Errorf("body %q", body)
		}
		tm := r.Timings
		if tm.TLSStart.IsZero() || tm.TLSDone.Before(tm.TLSStart) || tm.TLS() <= 0 {
			t.Errorf("TLS timings %v to %v", tm.TLSStart, tm.TLSDone)
		}
		if r, _ := mustExchange(t, c, "GET", "/hello", nil, Header{}); !r.Timings.Reused || !r.Timings.TLSStart.IsZero() {
			t.Errorf("second request: Reused %v, TLSStart %v", r.Timings.Reused, r.Timings.TLSStart)
		}
	})
	t.Run("unknown authority", func(t *testing.T) {
		_, err := Dial(t.Context(), srv.Listener.Addr().String(), WithTLS(nil))
		var ua x509.UnknownAuthorityError
		if !errors.As(err, &ua) || !strings.Contains(err.Error(), "TLS handshake") {
			t.Fatalf("Dial error = %v, want an unknown authority error", err)
		}
	})
	t.Run("wrong name", func(t *testing.T) {
		_, err := Dial(t.Context(), srv.Listener.Addr().String(), WithTLS(&tls.Config{RootCAs: tlsPool(srv), ServerName: "other.test"}))
		var he x509.HostnameError
		if !errors.As(err, &he) {
			t.Fatalf("Dial error = %v, want a hostname error", err)
		}
	})
	t.Run("plain HTTP to a TLS server", func(t *testing.T) {
		c := dial(t, srv)
		r, body, err := tryExchange(c, "GET", "/hello", nil, Header{})
		if err == nil && (r.StatusCode != 400 || strings.Contains(string(body), "Hello")) {
			t.Fatalf("plain request to a TLS server: %s %q", r.Status, body)
		}
	})
}

// checkOrder fails the test unless the times are set and in order.
func checkOrder(t *testing.T, names []string, times ...time.Time) {
	t.Helper()
	for i, tm := range times {
		if tm.IsZero() {
			t.Errorf("Timings.%s not set", names[i])
			continue
		}
		if i > 0 && tm.Before(times[i-1]) {
			t.Errorf("Timings.%s %v is before %s %v", names[i], tm, names[i-1], times[i-1])
		}
	}
}

// TestTimings checks that each exchange's phases are set and in order.
func TestTimings(t *testing.T) {
	srv, _ := newServer(t)
	t.Run("plain, IP address", func(t *testing.T) {
		c := dial(t, srv)
		r, _ := mustExchange(t, c, "POST", "/post", strings.NewReader("abc"), Header{})
		tm := r.Timings
		if !tm.DNSStart.IsZero() || !tm.DNSDone.IsZero() || tm.DNS() != 0 {
			t.Errorf("DNS phase %v to %v for an IP address, want none", tm.DNSStart, tm.DNSDone)
		}
		if !tm.TLSStart.IsZero() || tm.TLS() != 0 || tm.Reused {
			t.Errorf("TLS %v Reused %v on a new plain connection", tm.TLSStart, tm.Reused)
		}
		checkOrder(t, []string{"Start", "ConnectStart", "ConnectDone", "HeadWritten", "BodyWritten", "FirstByte", "Done"},
			tm.Start, tm.ConnectStart, tm.ConnectDone, tm.HeadWritten, tm.BodyWritten, tm.FirstByte, tm.Done)
		if !tm.Start.Equal(tm.ConnectStart) {
			t.Errorf("Start %v, want the dial's start %v", tm.Start, tm.ConnectStart)
		}
		if tm.Total() < tm.Connect() || tm.Total() < tm.Wait() || tm.String() == "" {
			t.Errorf("durations: %v", tm)
		}
		r, _ = mustExchange(t, c, "GET", "/hello", nil, Header{})
		tm = r.Timings
		if !tm.Reused || !tm.ConnectStart.IsZero() || tm.Connect() != 0 {
			t.Errorf("second exchange: Reused %v ConnectStart %v", tm.Reused, tm.ConnectStart)
		}
		checkOrder(t, []string{"Start", "HeadWritten", "FirstByte", "Done"}, tm.Start, tm.HeadWritten, tm.FirstByte, tm.Done)
	})
	t.Run("host name", func(t *testing.T) {
		if _, err := net.DefaultResolver.LookupIPAddr(t.Context(), "localhost"); err != nil {
			t.Skipf("localhost does not resolve: %v", err)
		}
		_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
		c, err := Dial(t.Context(), net.JoinHostPort("localhost", port))
		if err != nil {
			t.Skipf("localhost does not reach the loopback server: %v", err)
		}
		defer c.Close()
		r, _ := mustExchange(t, c, "GET", "/hello", nil, Header{})
		tm := r.Timings
		checkOrder(t, []string{"DNSStart", "DNSDone", "ConnectStart", "ConnectDone", "HeadWritten", "FirstByte", "Done"},
			tm.DNSStart, tm.DNSDone, tm.ConnectStart, tm.ConnectDone, tm.HeadWritten, tm.FirstByte, tm.Done)
		if !tm.Start.Equal(tm.DNSStart) {
			t.Errorf("Start %v, want the lookup's start %v", tm.Start, tm.DNSStart)
		}
	})
	t.Run("TLS", func(t *testing.T) {
		ts := quietTLSServer(t, testserver.New())
		c := dial(t, ts, WithTLS(&tls.Config{RootCAs: tlsPool(ts)}))
		r, _ := mustExchange(t, c, "GET", "/hello", nil, Header{})
		tm := r.Timings
		checkOrder(t, []string{"ConnectStart", "ConnectDone", "TLSStart", "TLSDone", "HeadWritten", "FirstByte", "Done"},
			tm.ConnectStart, tm.ConnectDone, tm.TLSStart, tm.TLSDone, tm.HeadWritten, tm.FirstByte, tm.Done)
	})
	t.Run("wait covers the server's delay", func(t *testing.T) {
		c := dial(t, srv)
		r, _ := mustExchange(t, c, "GET", "/delay/0.2", nil, Header{})
		// The server may start its 200ms before this side reads the
		// clock for HeadWritten (the write has returned by then, the
		// scheduler willing): a few milliseconds of slack.
		if w := r.Timings.Wait(); w < 190*time.Millisecond {
			t.Errorf("Wait() = %v for a 200ms delay", w)
		}
	})
}
