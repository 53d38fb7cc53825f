package conn

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grabhq/grab/internal/testkit"
	"github.com/grabhq/grab/testserver"
)

// get fetches url with client and reads the whole body.
func get(t *testing.T, client *http.Client, url string) (*http.Response, string) {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading the body: %v", url, err)
	}
	return resp, string(b)
}

// idleCount is how many connections tr keeps for srvURL's host.
func idleCount(tr *Transport, srvURL string) int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return len(tr.idle[keyOf(srvURL)])
}

// keyOf is the pool key of a direct request to rawURL's host.
func keyOf(rawURL string) poolKey {
	u, err := url.Parse(rawURL)
	if err != nil {
		panic(err)
	}
	return poolKey{scheme: u.Scheme, host: u.Hostname(), port: u.Port()}
}

// TestTransportHeader: a response's Header from Transport holds the fields
// as received (names canonical, values in order), also those net/http's
// transport takes out or adds (Transfer-Encoding, Connection: close,
// Trailer; Cache-Control for Pragma), since grab get -i prints it.
func TestTransportHeader(t *testing.T) {
	for _, tt := range []struct {
		raw  string
		want http.Header
	}{
		{"HTTP/1.1 200 OK\r\nX-A: 1\r\nx-a: 2\r\nContent-Length: 2\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\nok",
			http.Header{"X-A": {"1", "2"}, "Content-Length": {"2"}, "Set-Cookie": {"a=1", "b=2"}}},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-T\r\nPragma: no-cache\r\nConnection: close\r\n\r\n2\r\nok\r\n0\r\nX-T: done\r\n\r\n",
			http.Header{"Transfer-Encoding": {"chunked"}, "Trailer": {"X-T"}, "Pragma": {"no-cache"}, "Connection": {"close"}}},
	} {
		url := "http://" + startRawTCP(t, respondRaw(tt.raw, true)).addr() + "/"
		tr := &Transport{}
		resp, body := get(t, &http.Client{Transport: tr}, url)
		tr.CloseIdleConnections()
		if !reflect.DeepEqual(resp.Header, tt.want) || body != "ok" {
			t.Errorf("%q:\nHeader %v, body %q\nwant   %v", tt.raw, resp.Header, body, tt.want)
		}
	}
}

// TestTransportHeadHook: WithHeadHook's function gets the final response's
// fields in the order and case received.
func TestTransportHeadHook(t *testing.T) {
	raw := "HTTP/1.1 100 Continue\r\nx-early: 1\r\n\r\nHTTP/1.1 200 OK\r\nx-zeta: 1\r\ncontent-length: 2\r\nX-Alpha: 2\r\nx-zeta: 3\r\n\r\nok"
	url := "http://" + startRawTCP(t, respondRaw(raw, true)).addr() + "/"
	tr := &Transport{}
	defer tr.CloseIdleConnections()
	var got []Field
	calls := 0
	ctx := WithHeadHook(t.Context(), func(h Header) { got, calls = h.Fields(), calls+1 })
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	want := []Field{{"x-zeta", "1"}, {"content-length", "2"}, {"X-Alpha", "2"}, {"x-zeta", "3"}}
	if calls != 1 || !slices.Equal(got, want) {
		t.Errorf("hook called %d times with %q, want once with %q", calls, got, want)
	}
}

// TestTransportReuse: sequential requests share one connection, whatever
// the framing of their bodies.
func TestTransportReuse(t *testing.T) {
	srv, conns := countingServer(t, testserver.New(), nil)
	tr := &Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr}
	for _, path := range []string{"/hello", "/hello", "/stream/2", "/status/204", "/hello"} {
		get(t, client, srv.URL+path)
	}
	resp, err := client.Head(srv.URL + "/hello")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.ContentLength != 11 {
		t.Errorf("HEAD ContentLength %d, want 11", resp.ContentLength)
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("server saw %d connections for 6 sequential requests, want 1", n)
	}
	if n := idleCount(tr, srv.URL); n != 1 {
		t.Errorf("%d idle connections, want 1", n)
	}
}

// TestTransportGotConn: the httptrace GotConn hook sees each request's
// connection and whether it was reused.
func TestTransportGotConn(t *testing.T) {
	srv, _ := countingServer(t, testserver.New(), nil)
	tr := &Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr}
	var got []string
	trace := &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) {
		got = append(got, fmt.Sprintf("%s reused=%v", info.Conn.RemoteAddr(), info.Reused))
	}}
	for range 2 {
		req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(t.Context(), trace), "GET", srv.URL+"/hello", nil)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	addr := strings.TrimPrefix(srv.URL, "http://")
	if want := []string{addr + " reused=false", addr + " reused=true"}; !slices.Equal(got, want) {
		t.Errorf("GotConn calls %q, want %q", got, want)
	}
}

// TestTransportConnectionClose: a response with Connection: close is not
// pooled.
func TestTransportConnectionClose(t *testing.T) {
	srv, conns := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		io.WriteString(w, "bye")
	}), nil)
	tr := &Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr}
	for i := range 3 {
		if _, body := get(t, client, srv.URL); body != "bye" {
			t.Fatalf("request %d: body %q", i, body)
		}
		if n := idleCount(tr, srv.URL); n != 0 {
			t.Fatalf("request %d: %d idle connections after Connection: close, want 0", i, n)
		}
	}
	if n := conns.Load(); n != 3 {
		t.Errorf("server saw %d connections, want 3", n)
	}
}

// TestTransportMaxIdle: at most MaxIdlePerHost connections are kept.
func TestTransportMaxIdle(t *testing.T) {
	srv, _ := newServer(t)
	tests := []struct{ max, want int }{{0, 2}, {1, 1}, {3, 3}, {-1, 0}}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("MaxIdlePerHost %d", tt.max), func(t *testing.T) {
			tr := &Transport{MaxIdlePerHost: tt.max}
			t.Cleanup(tr.CloseIdleConnections)
			// Four requests at once need four connections.
			var resps []*http.Response
			for range 4 {
				req, _ := http.NewRequestWithContext(t.Context(), "GET", srv.URL+"/bytes/10", nil)
				resp, err := tr.RoundTrip(req)
				if err != nil {
					t.Fatal(err)
				}
				resps = append(resps, resp)
			}
			for _, resp := range resps {
				io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			if n := idleCount(tr, srv.URL); n != tt.want {
				t.Errorf("%d idle connections, want %d", n, tt.want)
			}
		})
	}
}

// TestTransportIdleTimeout: a connection idle longer than IdleTimeout is
// not used again.
func TestTransportIdleTimeout(t *testing.T) {
	srv, conns := countingServer(t, testserver.New(), nil)
	tr := &Transport{IdleTimeout: 50 * time.Millisecond}
	t.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr}
	get(t, client, srv.URL+"/hello")
	get(t, client, srv.URL+"/hello")
	if n := conns.Load(); n != 1 {
		t.Fatalf("%d connections for two quick requests, want 1", n)
	}
	// Closed past the timeout, not only passed over when the pool is next
	// used (polled for up to 2 s: a busy machine runs the timer late).
	n := idleCount(tr, srv.URL)
	for deadline := time.Now().Add(2 * time.Second); n != 0 && time.Now().Before(deadline); n = idleCount(tr, srv.URL) {
		time.Sleep(10 * time.Millisecond)
	}
	if n != 0 {
		t.Errorf("%d idle connections left in the pool 2 s past the idle timeout, want 0", n)
	}
	get(t, client, srv.URL+"/hello")
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections after the idle timeout, want 2", n)
	}
}

// TestTransportCloseIdle: CloseIdleConnections empties the pool.
func TestTransportCloseIdle(t *testing.T) {
	srv, conns := countingServer(t, testserver.New(), nil)
	tr := &Transport{}
	client := &http.Client{Transport: tr}
	get(t, client, srv.URL+"/hello")
	tr.CloseIdleConnections()
	if n := idleCount(tr, srv.URL); n != 0 {
		t.Errorf("%d idle connections after CloseIdleConnections", n)
	}
	get(t, client, srv.URL+"/hello")
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
	tr.CloseIdleConnections()
	tr.CloseIdleConnections() // twice is fine
}

// TestTransportStaleRetry: the server closes idle connections; a request
// on one is sent again on a new connection when it can be replayed.
func TestTransportStaleRetry(t *testing.T) {
	echoBody := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %s", r.Method, b)
	})
	setup := func(t *testing.T) (*http.Client, string, func() int32) {
		srv, conns := countingServer(t, echoBody, func(s *http.Server) { s.IdleTimeout = 30 * time.Millisecond })
		tr := &Transport{}
		t.Cleanup(tr.CloseIdleConnections)
		client := &http.Client{Transport: tr}
		if _, body := get(t, client, srv.URL); body != "GET " {
			t.Fatalf("first GET: %q", body)
		}
		time.Sleep(150 * time.Millisecond) // the server closes the idle connection
		return client, srv.URL, conns.Load
	}
	t.Run("GET", func(t *testing.T) {
		client, url, conns := setup(t)
		if _, body := get(t, client, url); body != "GET " {
			t.Errorf("GET on a stale connection: %q", body)
		}
		if n := conns(); n != 2 {
			t.Errorf("%d connections, want 2", n)
		}
	})
	t.Run("POST with GetBody", func(t *testing.T) {
		client, url, conns := setup(t)
		resp, err := client.Post(url, "text/plain", bytes.NewReader([]byte("payload")))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != "POST payload" {
			t.Errorf("POST on a stale connection: %q", b)
		}
		if n := conns(); n != 2 {
			t.Errorf("%d connections, want 2", n)
		}
	})
	t.Run("POST without GetBody", func(t *testing.T) {
		// Nothing to replay: the closed connection is passed over before
		// the request is sent (a peek at its socket).
		client, url, conns := setup(t)
		req, _ := http.NewRequestWithContext(t.Context(), "POST", url, io.NopCloser(strings.NewReader("payload")))
		req.ContentLength = 7
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("POST without GetBody after the server closed the idle connection: %v", err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != "POST payload" || conns() != 2 {
			t.Errorf("POST = %q on %d connections, want it on a second one", b, conns())
		}
	})
}

// TestTransportNoReplayAfterSent: a server that reads a request on a reused
// connection and closes it without an answer may have acted on it: a GET is
// sent again, a POST (replayable all the same) is not, unless it carries an
// Idempotency-Key (G7).
func TestTransportNoReplayAfterSent(t *testing.T) {
	for _, tc := range []struct {
		method, key string
		replayed    bool
	}{
		{"GET", "", true},
		{"POST", "", false},
		{"POST", "k-1", true},
	} {
		var got atomic.Int32 // requests to /act read
		srv := startRawTCP(t, func(nc net.Conn) {
			br := bufio.NewReader(nc)
			for {
				req, err := http.ReadRequest(br)
				if err != nil {
					return
				}
				io.Copy(io.Discard, req.Body)
				if req.URL.Path == "/act" && got.Add(1) == 1 {
					return // acted on, then the connection drops
				}
				io.WriteString(nc, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
			}
		})
		tr := &Transport{}
		client := &http.Client{Transport: tr}
		url := "http://" + srv.addr()
		get(t, client, url+"/warm")
		req, _ := http.NewRequestWithContext(t.Context(), tc.method, url+"/act", strings.NewReader("amount=100"))
		if tc.key != "" {
			req.Header.Set("Idempotency-Key", tc.key)
		}
		resp, err := client.Do(req)
		if err == nil {
			io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		if n := got.Load(); (n == 2) != tc.replayed || (err == nil) != tc.replayed {
			t.Errorf("%s (key %q): the server read it %d times, error %v; want replayed %v", tc.method, tc.key, n, err, tc.replayed)
		}
		tr.CloseIdleConnections()
	}
}

// TestTransportBrokenNotReused: after an error mid-body, the next request
// to the host opens a new connection (G8).
func TestTransportBrokenNotReused(t *testing.T) {
	srv, conns := countingServer(t, testserver.New(testserver.WithFaults(), testserver.WithMaxDelay(2*time.Second)), nil)
	tr := &Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr}
	get(t, client, srv.URL+"/hello")
	tests := []struct{ name, path string }{
		{"G8 drop", "/fault/drop?after=100&length=200"},
		{"G8 cut-chunked", "/fault/cut-chunked?send=100"},
		{"G8 reset mid-body", "/fault/drop?after=100&length=200&end=reset"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := conns.Load()
			resp, err := client.Get(srv.URL + tt.path)
			if err == nil {
				_, err = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			if err == nil {
				t.Fatal("broken body read without an error")
			}
			if n := idleCount(tr, srv.URL); n != 0 {
				t.Errorf("%d idle connections after a broken body, want 0", n)
			}
			if _, body := get(t, client, srv.URL+"/hello"); body != "Hello World" {
				t.Errorf("next request: %q", body)
			}
			// The fault request came on the pooled connection; the next
			// one needs a new one.
			if n := conns.Load() - before; n != 1 {
				t.Errorf("%d new connections, want 1", n)
			}
		})
	}
}

// TestTransportEarlyClose: a body closed before its end does not go back
// to the pool.
func TestTransportEarlyClose(t *testing.T) {
	srv, conns := countingServer(t, testserver.New(), nil)
	tr := &Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr}
	resp, err := client.Get(srv.URL + "/bytes/50000")
	if err != nil {
		t.Fatal(err)
	}
	io.ReadFull(resp.Body, make([]byte, 10))
	resp.Body.Close()
	if n := idleCount(tr, srv.URL); n != 0 {
		t.Errorf("%d idle connections after an early Close", n)
	}
	get(t, client, srv.URL+"/hello")
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
}

// TestTransportCancel: cancelling the request's context during the dial,
// the wait for the head or the body returns at once with the context's
// error (G9).
func TestTransportCancel(t *testing.T) {
	srv, _ := newServer(t)
	t.Run("G9 during the dial", func(t *testing.T) {
		d := blockingDialer{make(chan struct{}, 1)}
		tr := &Transport{Dialer: d}
		ctx, cancel := context.WithCancel(t.Context())
		go func() { <-d.started; cancel() }()
		req, _ := http.NewRequestWithContext(ctx, "GET", "http://192.0.2.1/", nil)
		start := time.Now()
		_, err := tr.RoundTrip(req)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("RoundTrip error = %v, want context.Canceled", err)
		}
		checkFast(t, start, time.Second, "the cancelled dial")
	})
	t.Run("G9 waiting for the head", func(t *testing.T) {
		tr := &Transport{}
		t.Cleanup(tr.CloseIdleConnections)
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/fault/raw/never-answer", nil)
		start := time.Now()
		_, err := tr.RoundTrip(req)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("RoundTrip error = %v, want context.DeadlineExceeded", err)
		}
		checkFast(t, start, time.Second, "the cancelled wait")
		if n := idleCount(tr, srv.URL); n != 0 {
			t.Errorf("%d idle connections after a cancelled request", n)
		}
	})
	t.Run("G9 mid-body", func(t *testing.T) {
		tr := &Transport{}
		t.Cleanup(tr.CloseIdleConnections)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/fault/stall?after=100&length=200&for=2s", nil)
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if _, err := io.ReadFull(resp.Body, make([]byte, 100)); err != nil {
			t.Fatal(err)
		}
		time.AfterFunc(50*time.Millisecond, cancel)
		start := time.Now()
		_, err = io.ReadAll(resp.Body)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("read error = %v, want context.Canceled", err)
		}
		checkFast(t, start, time.Second, "the cancelled read")
	})
	t.Run("G9 mid-request-body", func(t *testing.T) {
		tr := &Transport{}
		t.Cleanup(tr.CloseIdleConnections)
		ctx, cancel := context.WithCancel(t.Context())
		pr, pw := io.Pipe()
		// A transport that keeps reading the body must not hang the test.
		giveUp := time.AfterFunc(1500*time.Millisecond, func() { pw.CloseWithError(errors.New("the test gave up")) })
		defer giveUp.Stop()
		defer pw.Close()
		var once sync.Once
		go func() {
			pw.Write([]byte("first part"))
			once.Do(cancel)
		}()
		req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/post", pr)
		start := time.Now()
		_, err := tr.RoundTrip(req)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("RoundTrip error = %v, want context.Canceled", err)
		}
		checkFast(t, start, time.Second, "the cancelled upload")
	})
}

// TestTransportErrors: a URL the transport cannot serve is an error, and
// the request body is closed.
func TestTransportErrors(t *testing.T) {
	tr := &Transport{}
	for _, u := range []string{"ftp://127.0.0.1/", "http:///path"} {
		body := &closeTracker{Reader: strings.NewReader("x")}
		req, _ := http.NewRequest("POST", u, body)
		if _, err := tr.RoundTrip(req); err == nil {
			t.Errorf("RoundTrip(%s) succeeded", u)
		}
		if !body.closed {
			t.Errorf("RoundTrip(%s) left the body open", u)
		}
	}
}

// TestTransportBodyLength: a body longer or shorter than the request's
// ContentLength is an error, as in net/http's transport, never a body cut
// to the length or sent short; the server gets no request it can take.
func TestTransportBodyLength(t *testing.T) {
	var got atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err == nil {
			got.Store(string(b))
		}
	}))
	t.Cleanup(srv.Close)
	tr := &Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	for _, n := range []int64{2, 10} {
		// A reader net/http cannot size, so ContentLength is the caller's.
		req, _ := http.NewRequest("PUT", srv.URL, io.MultiReader(strings.NewReader("abcdef")))
		req.ContentLength = n
		resp, err := tr.RoundTrip(req)
		if err == nil {
			resp.Body.Close()
			t.Errorf("ContentLength %d with a body of 6: %s, want an error", n, resp.Status)
		}
	}
	if v := got.Load(); v != nil {
		t.Errorf("the server took a body %q", v)
	}
}

type closeTracker struct {
	io.Reader
	closed bool
}

func (c *closeTracker) Close() error { c.closed = true; return nil }

// TestTransportConcurrent: goroutines share a Transport with a small pool,
// each reading its bodies to the end and then closing them, as callers
// do (run with -race).
func TestTransportConcurrent(t *testing.T) {
	srv, _ := newServer(t)
	tr := &Transport{MaxIdlePerHost: 1}
	t.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr}
	var wg sync.WaitGroup
	errs := make(chan error, 4*10)
	for range 4 {
		wg.Go(func() {
			for range 10 {
				resp, err := client.Get(srv.URL + "/hello")
				if err != nil {
					errs <- err
					continue
				}
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || string(b) != "Hello World" {
					errs <- fmt.Errorf("body %q, %v", b, err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestTransportExpectRefused: a request whose Expect: 100-continue is
// refused gets the refusal, and the next request goes on a new connection
// (A6).
func TestTransportExpectRefused(t *testing.T) {
	srv, conns := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Expect") != "" {
			w.WriteHeader(http.StatusExpectationFailed)
			return
		}
		io.WriteString(w, "ok")
	}), nil)
	tr := &Transport{ExpectContinueTimeout: time.Second}
	t.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr}
	req, _ := http.NewRequestWithContext(t.Context(), "PUT", srv.URL+"/x", strings.NewReader("body"))
	req.Header.Set("Expect", "100-continue")
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusExpectationFailed {
		t.Errorf("status %s, want 417", resp.Status)
	}
	checkFast(t, start, 500*time.Millisecond, "the refused Expect")
	if _, body := get(t, client, srv.URL+"/x"); body != "ok" {
		t.Errorf("next request: %q", body)
	}
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
}

// TestTransportTLS: https requests go over TLS with TLSClientConfig and
// share one connection.
func TestTransportTLS(t *testing.T) {
	srv := quietTLSServer(t, testserver.New())
	tr := &Transport{TLSClientConfig: &tls.Config{RootCAs: tlsPool(srv)}}
	t.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr}
	for range 2 {
		resp, body := get(t, client, srv.URL+"/hello")
		if body != "Hello World" || resp.TLS == nil || !resp.TLS.HandshakeComplete {
			t.Errorf("body %q TLS %v", body, resp.TLS)
		}
	}
	tr.mu.Lock()
	n := len(tr.idle[keyOf(srv.URL)])
	tr.mu.Unlock()
	if n != 1 {
		t.Errorf("%d idle TLS connections, want 1", n)
	}
	if _, err := (&http.Client{Transport: &Transport{}}).Get(srv.URL + "/hello"); err == nil {
		t.Error("https with an unknown authority succeeded")
	}
}

// onlyIdle returns the idle connection of tr's one pool, failing the test
// unless there is exactly one pool.
func onlyIdle(t *testing.T, tr *Transport) *Conn {
	t.Helper()
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if len(tr.idle) != 1 {
		t.Fatalf("%d pools after one request, want 1", len(tr.idle))
	}
	for _, list := range tr.idle {
		return list[0].c
	}
	return nil
}

// TestReadBufferSize: the read buffer has the size asked for (0 means
// DefaultReadBufferSize), a body larger than the head's read comes whole
// either way, and Transport passes its ReadBufferSize on.
func TestReadBufferSize(t *testing.T) {
	body := strings.Repeat("0123456789abcdef", 100<<10/16)
	srv := startRawTCP(t, respondRaw("HTTP/1.1 200 OK\r\nContent-Length: 102400\r\n\r\n"+body, false))
	for _, tt := range []struct{ size, want int }{{0, DefaultReadBufferSize}, {-1, DefaultReadBufferSize}, {128 << 10, 128 << 10}} {
		c, err := Dial(t.Context(), srv.addr(), WithReadBufferSize(tt.size))
		if err != nil {
			t.Fatal(err)
		}
		if got := c.br.Size(); got != tt.want {
			t.Errorf("WithReadBufferSize(%d): a buffer of %d bytes, want %d", tt.size, got, tt.want)
		}
		if _, got := mustExchange(t, c, "GET", "/", nil, Header{}); got != body {
			t.Errorf("WithReadBufferSize(%d): body of %d bytes, want the 102400 sent", tt.size, len(got))
		}
		c.Close()
	}

	tr := &Transport{ReadBufferSize: 128 << 10}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get("http://" + srv.addr() + "/")
	if err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(resp.Body); err != nil || string(b) != body {
		t.Errorf("through Transport: %d bytes, %v", len(b), err)
	}
	resp.Body.Close()
	if got := onlyIdle(t, tr).br.Size(); got != 128<<10 {
		t.Errorf("Transport.ReadBufferSize 128 KiB: the connection's buffer is %d bytes", got)
	}
}

// TestTransportCloseDuringRead: closing a response body while another
// goroutine reads it (how a caller aborts a transfer) returns that Read at
// once, as a closed body rather than one the server cut short, with no
// data race (go test -race) and no connection pooled.
func TestTransportCloseDuringRead(t *testing.T) {
	release := make(chan struct{})
	srv := startRawTCP(t, func(nc net.Conn) {
		http.ReadRequest(bufio.NewReader(nc))
		io.WriteString(nc, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc")
		select { // the rest never comes while the test runs
		case <-release:
		case <-time.After(10 * time.Second):
		}
	})
	t.Cleanup(func() { close(release) }) // before the server's own cleanup waits
	tr := &Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	url := "http://" + srv.addr() + "/"
	resp, err := (&http.Client{Transport: tr}).Get(url)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := io.ReadAll(resp.Body)
		done <- err
	}()
	time.Sleep(50 * time.Millisecond) // the reader waits for the rest
	resp.Body.Close()
	select {
	case err := <-done:
		var te *TruncatedError
		if err == nil || errors.As(err, &te) || !strings.Contains(err.Error(), "closed body") {
			t.Errorf("Read after Close = %v, want the closed body named", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Read still waiting 5 s after Close")
	}
	resp.Body.Close() // twice is fine
	if n := idleCount(tr, url); n != 0 {
		t.Errorf("%d idle connections after an aborted body, want 0", n)
	}
}

// TestTransportUnsolicitedNotReused: bytes after a response's end (a
// server answering twice) never become the next request's response: the
// connection is closed, as net/http does with an unsolicited response.
func TestTransportUnsolicitedNotReused(t *testing.T) {
	s := startRawTCP(t, func(nc net.Conn) {
		br := bufio.NewReader(nc)
		for i := 0; i < 10; i++ {
			if _, err := http.ReadRequest(br); err != nil {
				return
			}
			nc.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nforged"))
		}
	})
	tr := &Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr}
	for i := 0; i < 2; i++ {
		if _, body := get(t, client, "http://"+s.addr()+"/"); body != "ok" {
			t.Fatalf("GET %d: %q, want ok", i, body)
		}
	}
	if n := s.accepted.Load(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
}

// TestTransportIncompleteRequest checks that a request without a URL or
// Header gets net/http's error, where a nil URL panicked.
func TestTransportIncompleteRequest(t *testing.T) {
	tr := &Transport{}
	u := &url.URL{Scheme: "http", Host: "127.0.0.1:1", Path: "/"}
	for _, tt := range testkit.IncompleteRequests(u) {
		if resp, err := tr.RoundTrip(tt.Req); resp != nil || err == nil || err.Error() != tt.Want {
			t.Errorf("RoundTrip = %v, %v; want %q", resp, err, tt.Want)
		}
	}
}

// TestTransportMaxIdleConns: the idle connections of all hosts together
// stay within MaxIdleConns, the longest idle closed to make room, where
// each host kept its own up to MaxIdlePerHost (a crawl of 3000 hosts ran
// out of file descriptors).
func TestTransportMaxIdleConns(t *testing.T) {
	var urls []string
	for range 6 {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
		t.Cleanup(srv.Close)
		urls = append(urls, srv.URL+"/")
	}
	tr := &Transport{MaxIdleConns: 3}
	t.Cleanup(tr.CloseIdleConnections)
	for _, u := range urls {
		req, _ := http.NewRequest("GET", u, nil)
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	tr.mu.Lock()
	var hosts []string
	for k, list := range tr.idle {
		for range list {
			hosts = append(hosts, k.host+":"+k.port)
		}
	}
	tr.mu.Unlock()
	slices.Sort(hosts)
	var want []string
	for _, u := range urls[3:] { // the last three: the first ones made room
		want = append(want, strings.TrimSuffix(strings.TrimPrefix(u, "http://"), "/"))
	}
	slices.Sort(want)
	if !slices.Equal(hosts, want) {
		t.Errorf("idle connections to %q, want the last three hosts %q", hosts, want)
	}
}

// TestTransportAbortedTLS: a request whose context ends while it waits
// fails with the context's error, never with the head the server sends
// in answer to the close (a TLS close_notify comes before the socket
// closes, and a proxy answers 502 to a client that went away).
func TestTransportAbortedTLS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
		w.WriteHeader(http.StatusBadGateway)
		io.WriteString(w, "upstream request canceled")
	}))
	t.Cleanup(srv.Close)
	tr := &Transport{TLSClientConfig: srv.Client().Transport.(*http.Transport).TLSClientConfig}
	t.Cleanup(tr.CloseIdleConnections)
	answered := 0
	for range 40 {
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/slow", nil)
		resp, err := tr.RoundTrip(req)
		cancel()
		if err == nil {
			answered++
			resp.Body.Close()
		} else if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("RoundTrip = %v, want the deadline", err)
		}
	}
	if answered > 0 {
		t.Errorf("%d of 40 aborted requests returned the server's answer to the close", answered)
	}
}

// TestTransportZone: an IPv6 zone names an interface of this machine and
// is never sent (RFC 6874): not in Host, not in a proxy's request line, as
// net/http and curl leave it out (it went out as "Host: [::1%lo]:P").
func TestTransportZone(t *testing.T) {
	var mu sync.Mutex
	var heads []string
	record := func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		heads = append(heads, r.RequestURI+" "+r.Host)
		mu.Unlock()
	}
	proxy := httptest.NewServer(http.HandlerFunc(record))
	t.Cleanup(proxy.Close)
	pu, _ := url.Parse(proxy.URL)
	tr := &Transport{Proxy: http.ProxyURL(pu)}
	t.Cleanup(tr.CloseIdleConnections)
	get(t, &http.Client{Transport: tr}, "http://[fe80::1%25eth0]:8080/z")
	want := []string{"http://[fe80::1]:8080/z [fe80::1]:8080"}

	if l, err := net.Listen("tcp", "[::1]:0"); err == nil {
		direct := httptest.NewUnstartedServer(http.HandlerFunc(record))
		direct.Listener.Close()
		direct.Listener = l
		direct.Start()
		t.Cleanup(direct.Close)
		port := l.Addr().(*net.TCPAddr).Port
		tr2 := &Transport{}
		t.Cleanup(tr2.CloseIdleConnections)
		get(t, &http.Client{Transport: tr2}, fmt.Sprintf("http://[::1%%25lo]:%d/d", port))
		want = append(want, fmt.Sprintf("/d [::1]:%d", port))
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(heads, want) {
		t.Errorf("the servers saw %q, want %q", heads, want)
	}
}
