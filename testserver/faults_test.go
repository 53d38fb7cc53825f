package testserver

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// faultSrv is a test server with the fault endpoints that reports the end
// of every handler.
type faultSrv struct {
	*httptest.Server
	done     chan string // the path of each request whose handler returned
	inflight atomic.Int64
}

// newFaultServer starts New(WithFaults(), opts...). Its cleanup closes the
// server and fails the test if a handler (hijacked ones included) is still
// running a few seconds later.
func newFaultServer(t *testing.T, opts ...Option) *faultSrv {
	t.Helper()
	s := &faultSrv{done: make(chan string, 1000)}
	hd := New(append([]Option{WithFaults()}, opts...)...)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.inflight.Add(1)
		defer s.inflight.Add(-1)
		hd.ServeHTTP(w, r)
		select {
		case s.done <- r.URL.Path:
		default:
		}
	}))
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for s.inflight.Load() > 0 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if n := s.inflight.Load(); n > 0 {
			t.Errorf("%d fault handlers still running 5s after the test", n)
		}
	})
	t.Cleanup(s.Close)
	return s
}

// waitDone waits up to limit for the handler of path to return.
func (s *faultSrv) waitDone(t *testing.T, path string, limit time.Duration) {
	t.Helper()
	timer := time.NewTimer(limit)
	defer timer.Stop()
	for {
		select {
		case p := <-s.done:
			if p == path {
				return
			}
		case <-timer.C:
			t.Fatalf("handler of %s still running after %v", path, limit)
		}
	}
}

// faultClient returns a client with its own transport, closed at cleanup.
func faultClient(t *testing.T, tweak func(*http.Transport)) *http.Client {
	t.Helper()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	if tweak != nil {
		tweak(tr)
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

func faultGet(t *testing.T, c *http.Client, u string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	if err != nil {
		t.Fatalf("NewRequest(%q): %v", u, err)
	}
	return c.Do(req)
}

// faultFetch gets u and reads the whole body; err is the first error.
func faultFetch(t *testing.T, c *http.Client, u string) (*http.Response, []byte, error) {
	t.Helper()
	resp, err := faultGet(t, c, u)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

// rawExchange sends one request on a fresh connection and reads until the
// server closes it.
func rawExchange(t *testing.T, s *faultSrv, method, target string, body []byte) ([]byte, error) {
	t.Helper()
	var d net.Dialer
	conn, err := d.DialContext(t.Context(), "tcp", s.Listener.Addr().String())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	req := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: %s\r\n", method, target, s.Listener.Addr())
	if body != nil {
		req += "Content-Length: " + strconv.Itoa(len(body)) + "\r\n"
	}
	if _, err := conn.Write(append([]byte(req+"\r\n"), body...)); err != nil {
		t.Fatalf("write request: %v", err)
	}
	return io.ReadAll(io.LimitReader(conn, 64<<20))
}

// checkPattern reports whether b is the fault body pattern from offset 0.
func checkPattern(t *testing.T, b []byte) {
	t.Helper()
	for i, c := range b {
		if c != 'a'+byte(i%26) {
			t.Fatalf("body byte %d = %q, want %q", i, c, 'a'+byte(i%26))
		}
	}
}

func TestFaultsOffWithoutOption(t *testing.T) {
	srv := httptest.NewServer(New())
	t.Cleanup(srv.Close)
	c := faultClient(t, nil)
	for _, p := range []string{"/fault/", "/fault/drop", "/fault/gzip-bomb?size=1", "/fault/raw/reset", "/fault/flaky"} {
		t.Run(p, func(t *testing.T) {
			resp, _, err := faultFetch(t, c, srv.URL+p)
			if err != nil {
				t.Fatalf("GET %s: %v", p, err)
			}
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("GET %s = %d, want 404", p, resp.StatusCode)
			}
		})
	}
	_, index, err := faultFetch(t, c, srv.URL+"/")
	if err != nil {
		t.Fatalf("GET /: %v", err)
	}
	if bytes.Contains(index, []byte("/fault/")) {
		t.Errorf("index without WithFaults lists /fault/:\n%s", index)
	}
}

func TestFaultIndex(t *testing.T) {
	s := newFaultServer(t)
	c := faultClient(t, nil)
	for _, p := range []string{"/", "/fault/"} {
		_, body, err := faultFetch(t, c, s.URL+p)
		if err != nil {
			t.Fatalf("GET %s: %v", p, err)
		}
		for _, sc := range faultRawScenarios {
			if !bytes.Contains(body, []byte("GET /fault/raw/"+sc.name+" ")) {
				t.Errorf("GET %s does not list /fault/raw/%s", p, sc.name)
			}
		}
		for _, want := range []string{"/fault/drop", "/fault/gzip-bomb", "/fault/changing", "POST /fault/raw"} {
			if !bytes.Contains(body, []byte(want)) {
				t.Errorf("GET %s does not list %s", p, want)
			}
		}
	}
}

func TestFaultDrop(t *testing.T) {
	s := newFaultServer(t)
	c := faultClient(t, nil)
	tests := []struct {
		query         string
		after, length int64
	}{
		{"after=0", 0, 1},
		{"", 1024, 2048},
		{"after=1000&length=5000", 1000, 5000},
		{"after=500000&length=1000000", 500000, 1000000},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			resp, b, err := faultFetch(t, c, s.URL+"/fault/drop?"+tt.query)
			if resp == nil {
				t.Fatalf("GET: %v", err)
			}
			if resp.ContentLength != tt.length {
				t.Errorf("ContentLength = %d, want %d", resp.ContentLength, tt.length)
			}
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("reading the body: err = %v, want io.ErrUnexpectedEOF", err)
			}
			if int64(len(b)) != tt.after {
				t.Errorf("read %d bytes, want %d", len(b), tt.after)
			}
			checkPattern(t, b)
		})
	}
}

func TestFaultStall(t *testing.T) {
	t.Run("client timeout", func(t *testing.T) {
		s := newFaultServer(t, WithMaxDelay(10*time.Second))
		c := faultClient(t, nil)
		c.Timeout = 200 * time.Millisecond
		start := time.Now()
		_, b, err := faultFetch(t, c, s.URL+"/fault/stall?after=10&for=10s")
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("GET /fault/stall with a 200ms timeout: err = %v, want a timeout", err)
		}
		if len(b) != 10 {
			t.Errorf("read %d bytes before the stall, want 10", len(b))
		}
		s.waitDone(t, "/fault/stall", 3*time.Second)
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("handler returned %v after the request, want soon after the client left", d)
		}
	})
	t.Run("capped by max delay", func(t *testing.T) {
		s := newFaultServer(t, WithMaxDelay(100*time.Millisecond))
		c := faultClient(t, nil)
		start := time.Now()
		resp, b, err := faultFetch(t, c, s.URL+"/fault/stall?after=10&length=20&for=1h")
		d := time.Since(start)
		if resp == nil || !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("GET /fault/stall: err = %v, want io.ErrUnexpectedEOF", err)
		}
		if len(b) != 10 {
			t.Errorf("read %d bytes, want 10", len(b))
		}
		if d < 90*time.Millisecond || d > 5*time.Second {
			t.Errorf("stall of 1h capped at 100ms took %v", d)
		}
	})
}

func TestFaultLie(t *testing.T) {
	s := newFaultServer(t)
	// No keep-alive: the extra bytes would otherwise be logged by the
	// transport as an unsolicited response on an idle connection.
	c := faultClient(t, func(tr *http.Transport) { tr.DisableKeepAlives = true })
	tests := []struct {
		name           string
		length, actual int
		clientErr      error
	}{
		{"short", 100, 10, io.ErrUnexpectedEOF},
		{"long", 10, 100, nil},
		{"zero of many", 1 << 40, 0, io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := fmt.Sprintf("/fault/lie?length=%d&actual=%d", tt.length, tt.actual)
			resp, b, err := faultFetch(t, c, s.URL+q)
			if resp == nil {
				t.Fatalf("GET %s: %v", q, err)
			}
			if !errors.Is(err, tt.clientErr) || (tt.clientErr == nil && err != nil) {
				t.Errorf("GET %s: body error = %v, want %v", q, err, tt.clientErr)
			}
			if want := min(tt.length, tt.actual); len(b) != want {
				t.Errorf("client read %d bytes, want %d", len(b), want)
			}
			raw, err := rawExchange(t, s, "GET", q, nil)
			if err != nil {
				t.Fatalf("raw GET %s: %v", q, err)
			}
			head, body, ok := bytes.Cut(raw, []byte("\r\n\r\n"))
			if !ok || !bytes.Contains(append(head, "\r\n"...), []byte("\r\nContent-Length: "+strconv.Itoa(tt.length)+"\r\n")) {
				t.Fatalf("raw response head = %q, want Content-Length: %d", head, tt.length)
			}
			if len(body) != tt.actual {
				t.Errorf("raw body has %d bytes, want %d", len(body), tt.actual)
			}
			checkPattern(t, body)
		})
	}
}

func TestFaultCut(t *testing.T) {
	s := newFaultServer(t)
	c := faultClient(t, nil)
	for _, proto := range []string{"1.1", "1.0"} {
		t.Run("close-delimited HTTP/"+proto, func(t *testing.T) {
			resp, b, err := faultFetch(t, c, s.URL+"/fault/cut?size=1000&send=300&proto="+proto)
			// Go reads a close-delimited body cut short as a success
			// (HOSTILE.md E2): only the count shows what is missing.
			if err != nil {
				t.Fatalf("GET /fault/cut: %v", err)
			}
			if resp.ContentLength != -1 || !resp.Close {
				t.Errorf("ContentLength = %d, Close = %v, want -1 and true", resp.ContentLength, resp.Close)
			}
			if resp.Proto != "HTTP/"+proto {
				t.Errorf("Proto = %q, want HTTP/%s", resp.Proto, proto)
			}
			if len(b) != 300 || resp.Header.Get("X-Fault-Size") != "1000" {
				t.Errorf("read %d bytes of X-Fault-Size %q, want 300 of 1000", len(b), resp.Header.Get("X-Fault-Size"))
			}
			checkPattern(t, b)
		})
	}
	t.Run("chunked", func(t *testing.T) {
		resp, b, err := faultFetch(t, c, s.URL+"/fault/cut-chunked?send=5000")
		if resp == nil || !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("GET /fault/cut-chunked: err = %v, want io.ErrUnexpectedEOF", err)
		}
		if len(b) != 5000 {
			t.Errorf("read %d bytes, want 5000", len(b))
		}
		checkPattern(t, b)
		raw, err := rawExchange(t, s, "GET", "/fault/cut-chunked?send=5000", nil)
		if err != nil {
			t.Fatalf("raw GET: %v", err)
		}
		if !bytes.HasSuffix(raw, []byte("\r\n")) || bytes.HasSuffix(raw, []byte("0\r\n\r\n")) {
			t.Errorf("raw chunked body ends %q, want a complete chunk and no last chunk", raw[max(0, len(raw)-20):])
		}
	})
}

func TestFaultGzipBomb(t *testing.T) {
	s := newFaultServer(t)
	raw := faultClient(t, func(tr *http.Transport) { tr.DisableCompression = true })
	const size = 1 << 20
	for _, enc := range []string{"gzip", "deflate"} {
		t.Run(enc, func(t *testing.T) {
			resp, err := faultGet(t, raw, s.URL+"/fault/gzip-bomb?size="+strconv.Itoa(size)+"&encoding="+enc)
			if err != nil {
				t.Fatalf("GET: %v", err)
			}
			defer resp.Body.Close()
			if got := resp.Header.Get("Content-Encoding"); got != enc {
				t.Fatalf("Content-Encoding = %q, want %q", got, enc)
			}
			cr := &countReader{r: resp.Body}
			var zr io.Reader
			if enc == "gzip" {
				zr, err = gzip.NewReader(cr)
			} else {
				zr, err = zlib.NewReader(cr)
			}
			if err != nil {
				t.Fatalf("%s reader: %v", enc, err)
			}
			var n int64
			buf := make([]byte, 32<<10)
			for {
				k, err := zr.Read(buf)
				if bytes.ContainsFunc(buf[:k], func(r rune) bool { return r != 0 }) {
					t.Fatalf("decompressed a byte that is not zero near offset %d", n)
				}
				n += int64(k)
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("decompressing: %v after %d bytes", err, n)
				}
			}
			if n != size {
				t.Errorf("decompressed %d bytes, want %d", n, size)
			}
			if cr.n == 0 || cr.n > size/100 {
				t.Errorf("compressed body is %d bytes, want far fewer than %d", cr.n, size)
			}
		})
	}
	t.Run("transparent", func(t *testing.T) {
		// Go's transport inflates gzip without a size cap (HOSTILE.md F1).
		resp, b, err := faultFetch(t, faultClient(t, nil), s.URL+"/fault/gzip-bomb?size=100000")
		if err != nil || !resp.Uncompressed || len(b) != 100000 {
			t.Fatalf("GET with transparent gzip: %d bytes, Uncompressed %v, err %v; want 100000, true, nil", len(b), resp != nil && resp.Uncompressed, err)
		}
	})
	t.Run("status", func(t *testing.T) {
		noRedirect := faultClient(t, func(tr *http.Transport) { tr.DisableCompression = true })
		noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		for _, code := range []int{302, 401, 500} {
			resp, b, err := faultFetch(t, noRedirect, s.URL+"/fault/gzip-bomb?size=1000&status="+strconv.Itoa(code))
			if err != nil || resp.StatusCode != code || resp.Header.Get("Content-Encoding") != "gzip" || len(b) == 0 {
				t.Errorf("gzip-bomb?status=%d: err %v, status %v, %d bytes; want a gzip body", code, err, resp != nil && resp.StatusCode == code, len(b))
			}
		}
	})
	t.Run("head", func(t *testing.T) {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodHead, s.URL+"/fault/gzip-bomb", nil)
		resp, err := raw.Do(req)
		if err != nil {
			t.Fatalf("HEAD: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("X-Decompressed-Length") != strconv.Itoa(1<<30) {
			t.Errorf("HEAD /fault/gzip-bomb = %d, X-Decompressed-Length %q", resp.StatusCode, resp.Header.Get("X-Decompressed-Length"))
		}
	})
}

func TestFaultRedirects(t *testing.T) {
	s := newFaultServer(t)
	follow := faultClient(t, nil)
	noFollow := faultClient(t, nil)
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	t.Run("loop stops the client", func(t *testing.T) {
		for _, p := range []string{"/fault/redirect-loop", "/fault/redirect-loop?n=3", "/fault/redirect-loop/a"} {
			_, err := faultGet(t, follow, s.URL+p)
			if err == nil || !strings.Contains(err.Error(), "stopped after 10 redirects") {
				t.Errorf("GET %s: err = %v, want stopped after 10 redirects", p, err)
			}
		}
	})
	t.Run("locations", func(t *testing.T) {
		tests := []struct{ from, to string }{
			{"/fault/redirect-loop", "/fault/redirect-loop"},
			{"/fault/redirect-loop?n=3", "/fault/redirect-loop?i=1&n=3"},
			{"/fault/redirect-loop?n=3&i=2", "/fault/redirect-loop?i=0&n=3"},
			{"/fault/redirect-loop?status=307", "/fault/redirect-loop?status=307"},
			{"/fault/redirect-loop/a", "/fault/redirect-loop/b"},
			{"/fault/redirect-loop/b?status=308", "/fault/redirect-loop/a?status=308"},
			{"/fault/redirect-chain/3", "/fault/redirect-chain/2"},
			{"/fault/redirect-chain/1?status=303", "/fault/redirect-chain/0?status=303"},
			{"/fault/redirect-file", "file:///etc/passwd"},
			{"/fault/redirect-file?scheme=ftp", "ftp://"},
			{"/fault/redirect-file?scheme=data", "data:"},
			{"/fault/redirect-file?scheme=javascript", "javascript:"},
			{"/fault/redirect-file?scheme=gopher", "gopher://"},
		}
		for _, tt := range tests {
			resp, _, err := faultFetch(t, noFollow, s.URL+tt.from)
			if err != nil {
				t.Fatalf("GET %s: %v", tt.from, err)
			}
			want := http.StatusFound
			if i := strings.Index(tt.from, "status="); i >= 0 {
				want, _ = strconv.Atoi(tt.from[i+7:])
			}
			if loc := resp.Header.Get("Location"); resp.StatusCode != want || !strings.HasPrefix(loc, tt.to) {
				t.Errorf("GET %s = %d Location %q, want %d %q", tt.from, resp.StatusCode, loc, want, tt.to)
			}
		}
	})
	t.Run("chain", func(t *testing.T) {
		c := faultClient(t, nil)
		hops := 0
		c.CheckRedirect = func(_ *http.Request, via []*http.Request) error {
			hops = len(via)
			if len(via) > 20 {
				return errors.New("too many redirects")
			}
			return nil
		}
		resp, b, err := faultFetch(t, c, s.URL+"/fault/redirect-chain/15")
		if err != nil || resp.StatusCode != 200 || string(b) != "ok" || hops != 15 {
			t.Errorf("GET /fault/redirect-chain/15: err %v, %d redirects, body %q; want 15 then ok", err, hops, b)
		}
	})
}

func TestFaultSlowHeaders(t *testing.T) {
	t.Run("capped", func(t *testing.T) {
		s := newFaultServer(t, WithMaxDelay(100*time.Millisecond))
		c := faultClient(t, nil)
		for _, q := range []string{"delay=1h&lines=2", "delay=1ms&lines=3&bytes=1"} {
			start := time.Now()
			resp, b, err := faultFetch(t, c, s.URL+"/fault/slow-headers?"+q)
			d := time.Since(start)
			if err != nil || string(b) != "ok" || resp.Header.Get("X-Slow-2") != "2" {
				t.Fatalf("GET /fault/slow-headers?%s: err %v, body %q, want ok", q, err, b)
			}
			if q == "delay=1h&lines=2" && (d < 90*time.Millisecond || d > 5*time.Second) {
				t.Errorf("head delayed 1h per line, capped at 100ms, took %v", d)
			}
		}
	})
	t.Run("client timeout", func(t *testing.T) {
		s := newFaultServer(t, WithMaxDelay(10*time.Second))
		c := faultClient(t, func(tr *http.Transport) { tr.ResponseHeaderTimeout = 50 * time.Millisecond })
		_, err := faultGet(t, c, s.URL+"/fault/slow-headers?delay=1s")
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("GET /fault/slow-headers with ResponseHeaderTimeout 50ms: err = %v, want a timeout", err)
		}
		s.waitDone(t, "/fault/slow-headers", 3*time.Second)
	})
}

func TestFaultHugeHeaders(t *testing.T) {
	s := newFaultServer(t)
	resp, b, err := faultFetch(t, faultClient(t, nil), s.URL+"/fault/huge-headers?count=10&size=100")
	if err != nil || string(b) != "ok" {
		t.Fatalf("GET /fault/huge-headers?count=10&size=100: err %v, body %q", err, b)
	}
	for i := 1; i <= 10; i++ {
		if v := resp.Header.Get("X-Huge-" + strconv.Itoa(i)); len(v) != 100 {
			t.Errorf("X-Huge-%d has %d bytes, want 100", i, len(v))
		}
	}
	capped := faultClient(t, func(tr *http.Transport) { tr.MaxResponseHeaderBytes = 16 << 10 })
	_, err = faultGet(t, capped, s.URL+"/fault/huge-headers?count=100&size=1024")
	if err == nil || !strings.Contains(err.Error(), "exceeded") {
		t.Errorf("GET 100 KiB of headers with a 16 KiB cap: err = %v, want headers exceeded", err)
	}
}

func TestFaultFlaky(t *testing.T) {
	s := newFaultServer(t)
	c := faultClient(t, nil)
	for _, code := range []int{429, 500, 503} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			key := t.Name()
			u := fmt.Sprintf("%s/fault/flaky?key=%s&fail=3&status=%d&retry-after=7", s.URL, url.QueryEscape(key), code)
			for i := 1; i <= 5; i++ {
				resp, b, err := faultFetch(t, c, u)
				if err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
				if i <= 3 {
					if resp.StatusCode != code || resp.Header.Get("Retry-After") != "7" {
						t.Errorf("request %d = %d Retry-After %q, want %d 7", i, resp.StatusCode, resp.Header.Get("Retry-After"), code)
					}
				} else if resp.StatusCode != 200 || string(b) != "ok" {
					t.Errorf("request %d = %d %q, want 200 ok", i, resp.StatusCode, b)
				}
				if got := resp.Header.Get("X-Attempt"); got != strconv.Itoa(i) {
					t.Errorf("request %d: X-Attempt %q", i, got)
				}
			}
		})
	}
	t.Run("keys apart and date", func(t *testing.T) {
		resp, _, err := faultFetch(t, c, s.URL+"/fault/flaky?key=other&date=1&retry-after=60")
		if err != nil || resp.StatusCode != 503 {
			t.Fatalf("first request of a new key: err %v, status %v; want 503", err, resp)
		}
		when, err := http.ParseTime(resp.Header.Get("Retry-After"))
		if err != nil || when.Before(time.Now().Add(50*time.Second)) || when.After(time.Now().Add(70*time.Second)) {
			t.Errorf("Retry-After %q (%v), want an HTTP-date about 60s ahead", resp.Header.Get("Retry-After"), err)
		}
		resp, _, err = faultFetch(t, c, s.URL+"/fault/flaky?key=other")
		if err != nil || resp.StatusCode != 200 {
			t.Errorf("second request of the key: err %v, want 200", err)
		}
	})
}

func TestFaultStatus(t *testing.T) {
	s := newFaultServer(t)
	c := faultClient(t, nil)
	tests := []struct {
		path   string
		status int
		check  func(string) bool
	}{
		{"/fault/status/429", 429, func(v string) bool { return v == "1" }},
		{"/fault/status/503?retry-after=120", 503, func(v string) bool { return v == "120" }},
		{"/fault/status/503?retry-after=999999999", 503, func(v string) bool { return v == "999999999" }},
		{"/fault/status/429?date=1&retry-after=60", 429, func(v string) bool {
			d, err := http.ParseTime(v)
			return err == nil && d.After(time.Now().Add(50*time.Second)) && d.Before(time.Now().Add(70*time.Second))
		}},
		{"/fault/status/503?date=1&retry-after=1099511627776", 503, func(v string) bool {
			d, err := http.ParseTime(v)
			return err == nil && d.Year() == 9999
		}},
		{"/fault/status/200", 404, func(v string) bool { return v == "" }},
		{"/fault/status/503?retry-after=-1", 400, func(v string) bool { return v == "" }},
	}
	for _, tt := range tests {
		resp, _, err := faultFetch(t, c, s.URL+tt.path)
		if err != nil {
			t.Fatalf("GET %s: %v", tt.path, err)
		}
		if v := resp.Header.Get("Retry-After"); resp.StatusCode != tt.status || !tt.check(v) {
			t.Errorf("GET %s = %d Retry-After %q, want %d and a matching Retry-After", tt.path, resp.StatusCode, v, tt.status)
		}
	}
}

func TestFaultChanging(t *testing.T) {
	s := newFaultServer(t)
	c := faultClient(t, nil)
	get := func(q, inm string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL+"/fault/changing?"+q, nil)
		if inm != "" {
			req.Header.Set("If-None-Match", inm)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("GET /fault/changing?%s: %v", q, err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("GET /fault/changing?%s: body: %v", q, err)
		}
		return resp, string(b)
	}
	t.Run("same until switched", func(t *testing.T) {
		r1, b1 := get("key=a", "")
		r2, b2 := get("key=a", "")
		e1 := r1.Header.Get("ETag")
		if e1 == "" || r2.Header.Get("ETag") != e1 || b1 != b2 || r1.Header.Get("Last-Modified") != r2.Header.Get("Last-Modified") {
			t.Fatalf("two plain GETs differ: %q %q / %q %q", e1, b1, r2.Header.Get("ETag"), b2)
		}
		if r, _ := get("key=a", e1); r.StatusCode != http.StatusNotModified {
			t.Errorf("If-None-Match with the current ETag = %d, want 304", r.StatusCode)
		}
		r3, b3 := get("key=a&advance=1", "")
		e3 := r3.Header.Get("ETag")
		if e3 == e1 || b3 == b1 {
			t.Errorf("advance=1 kept ETag %q and body %q", e3, b3)
		}
		m1, _ := http.ParseTime(r1.Header.Get("Last-Modified"))
		m3, _ := http.ParseTime(r3.Header.Get("Last-Modified"))
		if !m3.After(m1) {
			t.Errorf("Last-Modified %v after advance, want later than %v", m3, m1)
		}
		if r, _ := get("key=a", e1); r.StatusCode != 200 || r.Header.Get("ETag") != e3 {
			t.Errorf("If-None-Match with the old ETag = %d %q, want 200 %q", r.StatusCode, r.Header.Get("ETag"), e3)
		}
		if r, _ := get("key=a", e3); r.StatusCode != http.StatusNotModified {
			t.Errorf("If-None-Match with the new ETag = %d, want 304", r.StatusCode)
		}
		if r, _ := get("key=b", ""); r.Header.Get("ETag") == e1 || r.Header.Get("X-Revision") != "1" {
			t.Errorf("another key shares the revision: ETag %q revision %q", r.Header.Get("ETag"), r.Header.Get("X-Revision"))
		}
	})
	t.Run("changes every time", func(t *testing.T) {
		seen := map[string]bool{}
		last := ""
		for i := range 4 {
			r, b := get("key=e&every=1", last)
			last = r.Header.Get("ETag")
			if r.StatusCode != 200 || seen[last] || seen[b] {
				t.Errorf("every=1 request %d = %d ETag %q body %q, want 200 and new", i, r.StatusCode, last, b)
			}
			seen[last], seen[b] = true, true
		}
	})
}

func TestFaultRaw(t *testing.T) {
	s := newFaultServer(t, WithMaxDelay(time.Second))
	want := []byte("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello\x00\xff\xfe\xfb\xef")
	big := make([]byte, 100<<10)
	rand.Read(big)
	tests := []struct {
		name, method, target string
		body, want           []byte
	}{
		{"b64", "GET", "/fault/raw?b64=" + url.QueryEscape(base64.StdEncoding.EncodeToString(want)), nil, want},
		{"b64 url unpadded", "GET", "/fault/raw?b64=" + base64.RawURLEncoding.EncodeToString(want), nil, want},
		{"b64 plus as space", "GET", "/fault/raw?b64=" + base64.StdEncoding.EncodeToString(want), nil, want},
		{"hex", "GET", "/fault/raw?hex=" + hex.EncodeToString(want), nil, want},
		{"empty", "GET", "/fault/raw?hex=", nil, []byte{}},
		{"post", "POST", "/fault/raw", big, big},
		{"sliced", "GET", "/fault/raw?chunk=1&pause=1ms&hex=" + hex.EncodeToString(want[:20]), nil, want[:20]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := rawExchange(t, s, tt.method, tt.target, tt.body)
			if err != nil {
				t.Fatalf("%s %s: %v", tt.method, tt.target, err)
			}
			if !bytes.Equal(got, tt.want) {
				t.Errorf("%s %s = %q, want %q", tt.method, tt.target[:min(len(tt.target), 40)], got[:min(len(got), 80)], tt.want[:min(len(tt.want), 80)])
			}
		})
	}
	t.Run("post over cap", func(t *testing.T) {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL+"/fault/raw", bytes.NewReader(make([]byte, faultMaxRaw+1)))
		resp, err := faultClient(t, nil).Do(req)
		if err != nil {
			t.Fatalf("POST 1 MiB + 1: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("POST 1 MiB + 1 = %d, want 413", resp.StatusCode)
		}
	})
}

func TestFaultEnd(t *testing.T) {
	s := newFaultServer(t, WithMaxDelay(10*time.Second))
	dial := func(t *testing.T, target string) net.Conn {
		t.Helper()
		var d net.Dialer
		conn, err := d.DialContext(t.Context(), "tcp", s.Listener.Addr().String())
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		t.Cleanup(func() { conn.Close() })
		fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", target)
		return conn
	}
	t.Run("reset", func(t *testing.T) {
		for _, target := range []string{"/fault/raw/reset", "/fault/raw?hex=41&end=reset", "/fault/drop?after=10&end=reset"} {
			conn := dial(t, target)
			conn.SetDeadline(time.Now().Add(5 * time.Second))
			_, err := io.ReadAll(conn)
			if err == nil || !strings.Contains(err.Error(), "reset") {
				t.Errorf("GET %s: read error = %v, want connection reset", target, err)
			}
		}
	})
	t.Run("hold", func(t *testing.T) {
		conn := dial(t, "/fault/raw?hex=414243&end=hold")
		conn.SetDeadline(time.Now().Add(100 * time.Millisecond))
		got, err := io.ReadAll(conn)
		var ne net.Error
		if string(got) != "ABC" || !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("end=hold: read %q, %v; want ABC then a timeout, not EOF", got, err)
		}
		conn.Close()
		s.waitDone(t, "/fault/raw", 3*time.Second)
	})
	t.Run("half", func(t *testing.T) {
		conn := dial(t, "/fault/raw?hex=414243&end=half")
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		got, err := io.ReadAll(conn)
		if string(got) != "ABC" || err != nil {
			t.Fatalf("end=half: read %q, %v; want ABC then EOF", got, err)
		}
		conn.Close()
		s.waitDone(t, "/fault/raw", 3*time.Second)
	})
	t.Run("never-answer", func(t *testing.T) {
		conn := dial(t, "/fault/raw/never-answer")
		conn.SetDeadline(time.Now().Add(100 * time.Millisecond))
		got, err := io.ReadAll(conn)
		var ne net.Error
		if len(got) != 0 || !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("never-answer: read %q, %v; want nothing and a timeout", got, err)
		}
		conn.Close()
		s.waitDone(t, "/fault/raw/never-answer", 3*time.Second)
	})
}

func bufioReader(b []byte) *bufio.Reader { return bufio.NewReader(bytes.NewReader(b)) }

// gzipBody reads the body of a raw response and gunzips it.
func gzipBody(raw []byte) ([]byte, error) {
	resp, err := http.ReadResponse(bufioReader(raw), nil)
	if err != nil {
		return nil, err
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

func TestFaultRawScenarios(t *testing.T) {
	s := newFaultServer(t, WithMaxDelay(200*time.Millisecond))
	const maxBytes = 64 << 10
	hasAll := func(subs ...string) func([]byte) error {
		return func(b []byte) error {
			for _, sub := range subs {
				if !bytes.Contains(b, []byte(sub)) {
					return fmt.Errorf("no %q", sub)
				}
			}
			return nil
		}
	}
	gzipErr := func(want string) func([]byte) error {
		return func(b []byte) error {
			if _, err := gzipBody(b); err == nil || !strings.Contains(err.Error(), want) {
				return fmt.Errorf("gunzip error %v, want %q", err, want)
			}
			return nil
		}
	}
	okResp := "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
	checks := map[string]struct {
		query     string
		raw       func([]byte) error
		clientErr string // "" for a successful read of the whole response
	}{
		"100-continue-flood": {"n=50", func(b []byte) error {
			if want := strings.Repeat("HTTP/1.1 100 Continue\r\n\r\n", 50) + okResp; string(b) != want {
				return errors.New("not 50 100 Continue and ok")
			}
			return nil
		}, ""},
		"103-flood": {"n=50", func(b []byte) error {
			if n := bytes.Count(b, []byte("HTTP/1.1 103 Early Hints\r\n")); n != 50 || !bytes.HasSuffix(b, []byte(okResp)) {
				return fmt.Errorf("%d 103 responses, want 50 then ok", n)
			}
			return nil
		}, ""},
		"bad-status-line":     {"", hasAll("HTTP/1.1 2OO OK\r\n"), "malformed HTTP status code"},
		"two-content-lengths": {"", hasAll("Content-Length: 2\r\n", "Content-Length: 4\r\n"), "multiple Content-Length"},
		"cl-and-te":           {"", hasAll("Content-Length: 4\r\n", "Transfer-Encoding: chunked\r\n", "\r\n0\r\n\r\n"), ""},
		"no-body-close": {"", func(b []byte) error {
			if !bytes.HasSuffix(b, []byte("Content-Length: 1024\r\n\r\n")) {
				return errors.New("not a head alone")
			}
			return nil
		}, "unexpected EOF"},
		"trailers-forever": {"max=" + strconv.Itoa(maxBytes), func(b []byte) error {
			if len(b) != maxBytes || !bytes.Contains(b, []byte("\r\n0\r\nX-Trailer-0: ")) || bytes.Contains(b, []byte("0\r\n\r\n")) {
				return fmt.Errorf("%d bytes, want %d of trailers that never end", len(b), maxBytes)
			}
			return nil
		}, "suspiciously long trailer"},
		"status-line-forever": {"max=" + strconv.Itoa(maxBytes), func(b []byte) error {
			if len(b) != maxBytes || bytes.ContainsAny(b, "\r\n") {
				return fmt.Errorf("%d bytes, want %d without a line end", len(b), maxBytes)
			}
			return nil
		}, "unexpected EOF"},
		"stream-forever": {"max=" + strconv.Itoa(maxBytes), func(b []byte) error {
			if len(b) != maxBytes || !bytes.Contains(b, []byte("Transfer-Encoding: chunked\r\n\r\n1000\r\n")) {
				return fmt.Errorf("%d bytes, want %d of chunks", len(b), maxBytes)
			}
			return nil
		}, "unexpected EOF"},
		"chunk-overflow": {"", hasAll("\r\n\r\nffffffffffffffffff\r\n"), "chunk"},
		"bare-lf": {"", func(b []byte) error {
			if bytes.Contains(b, []byte("\r")) || !bytes.HasSuffix(b, []byte("\n\nok")) {
				return errors.New("not LF-only lines")
			}
			return nil
		}, ""},
		"gzip-plain":            {"", gzipErr("invalid header"), "invalid header"},
		"gzip-truncated":        {"", gzipErr("unexpected EOF"), "unexpected EOF"},
		"gzip-bad-crc":          {"", gzipErr("invalid checksum"), "invalid checksum"},
		"gzip-trailing-garbage": {"", gzipErr("invalid header"), "invalid header"},
		"encoding-chain": {"n=50", func(b []byte) error {
			resp, err := http.ReadResponse(bufioReader(b), nil)
			if err != nil {
				return err
			}
			if ce := resp.Header.Get("Content-Encoding"); strings.Count(ce, "gzip") != 50 {
				return fmt.Errorf("Content-Encoding %q, want gzip 50 times", ce)
			}
			var r io.Reader = resp.Body
			for range 50 {
				zr, err := gzip.NewReader(r)
				if err != nil {
					return err
				}
				zr.Multistream(false)
				r = zr
			}
			if body, err := io.ReadAll(r); err != nil || string(body) != "hello, gzip\n" {
				return fmt.Errorf("body gunzipped 50 times = %q, %v", body, err)
			}
			return nil
		}, ""},
		"never-answer": {"", func(b []byte) error {
			if len(b) != 0 {
				return errors.New("answered")
			}
			return nil
		}, "EOF"},
		"reset": {"", nil, "reset"},
	}
	for name := range checks {
		found := false
		for _, sc := range faultRawScenarios {
			found = found || sc.name == name
		}
		if !found {
			t.Errorf("check for scenario %q, which does not exist", name)
		}
	}
	client := faultClient(t, nil)
	for _, sc := range faultRawScenarios {
		t.Run(sc.name, func(t *testing.T) {
			ck, ok := checks[sc.name]
			if !ok {
				t.Fatalf("no check for scenario %q", sc.name)
			}
			target := "/fault/raw/" + sc.name + "?" + ck.query
			got, err := rawExchange(t, s, "GET", target, nil)
			if ck.raw == nil {
				if err == nil || !strings.Contains(err.Error(), "reset") {
					t.Errorf("raw GET %s: err = %v, want connection reset", target, err)
				}
			} else if err != nil {
				t.Errorf("raw GET %s: %v", target, err)
			} else if err := ck.raw(got); err != nil {
				t.Errorf("raw GET %s: %v in %q", target, err, got[:min(len(got), 200)])
			}
			_, _, err = faultFetch(t, client, s.URL+target)
			switch {
			case ck.clientErr == "" && err != nil:
				t.Errorf("http.Client GET %s: %v, want success", target, err)
			case ck.clientErr != "" && (err == nil || !strings.Contains(err.Error(), ck.clientErr)):
				t.Errorf("http.Client GET %s: err = %v, want %q", target, err, ck.clientErr)
			}
		})
	}
	t.Run("1xx over the header budget", func(t *testing.T) {
		c := faultClient(t, func(tr *http.Transport) { tr.MaxResponseHeaderBytes = 4096 })
		_, err := faultGet(t, c, s.URL+"/fault/raw/100-continue-flood?n=1000")
		if err == nil || !strings.Contains(err.Error(), "exceeded") {
			t.Errorf("1000 100 Continue with a 4 KiB header cap: err = %v, want exceeded", err)
		}
	})
	t.Run("encoding-chain split", func(t *testing.T) {
		got, err := rawExchange(t, s, "GET", "/fault/raw/encoding-chain?n=7&split=1", nil)
		if err != nil {
			t.Fatalf("raw GET: %v", err)
		}
		if n := bytes.Count(got, []byte("Content-Encoding: gzip\r\n")); n != 7 {
			t.Errorf("split=1: %d Content-Encoding lines, want 7", n)
		}
	})
}

func TestFaultBadParams(t *testing.T) {
	s := newFaultServer(t)
	c := faultClient(t, nil)
	tests := []struct{ path, name string }{
		{"/fault/drop?after=-1", "after"},
		{"/fault/drop?after=10&length=10", "length"},
		{"/fault/drop?after=1073741825", "after"},
		{"/fault/stall?for=abc", "for"},
		{"/fault/stall?for=25h", "for"},
		{"/fault/stall?for=NaN", "for"},
		{"/fault/lie?actual=1073741825", "actual"},
		{"/fault/lie?length=1099511627777", "length"},
		{"/fault/cut?size=10&send=11", "send"},
		{"/fault/cut?proto=2", "proto"},
		{"/fault/cut-chunked?send=x", "send"},
		{"/fault/gzip-bomb?size=1073741825", "size"},
		{"/fault/gzip-bomb?encoding=br", "encoding"},
		{"/fault/gzip-bomb?status=418", "status"},
		{"/fault/redirect-loop?n=0", "n"},
		{"/fault/redirect-loop?n=3&i=3", "i"},
		{"/fault/redirect-loop?status=200", "status"},
		{"/fault/redirect-chain/10001", "n"},
		{"/fault/redirect-chain/x", "n"},
		{"/fault/redirect-file?scheme=http", "scheme"},
		{"/fault/slow-headers?lines=1001", "lines"},
		{"/fault/slow-headers?bytes=2", "bytes"},
		{"/fault/huge-headers?count=1048576&size=17", "count and size"},
		{"/fault/huge-headers?size=16777217", "size"},
		{"/fault/flaky?key=" + strings.Repeat("k", 65), "key"},
		{"/fault/flaky?status=404", "status"},
		{"/fault/flaky?fail=10001", "fail"},
		{"/fault/flaky?retry-after=1099511627777", "retry-after"},
		{"/fault/changing?every=yes", "every"},
		{"/fault/raw", "b64= or hex="},
		{"/fault/raw?b64=a&hex=61", "not both"},
		{"/fault/raw?b64=!!", "b64"},
		{"/fault/raw?hex=6", "hex"},
		{"/fault/raw?hex=61&chunk=1048577", "chunk"},
		{"/fault/raw?hex=61&pause=-1s", "pause"},
		{"/fault/raw?hex=61&end=fin", "end"},
		{"/fault/raw/100-continue-flood?n=10001", "n"},
		{"/fault/raw/encoding-chain?n=1001", "n"},
		{"/fault/raw/trailers-forever?max=1073741825", "max"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, b, err := faultFetch(t, c, s.URL+tt.path)
			if err != nil {
				t.Fatalf("GET %s: %v", tt.path, err)
			}
			if resp.StatusCode != http.StatusBadRequest || !bytes.Contains(b, []byte(tt.name)) {
				t.Errorf("GET %s = %d %q, want 400 naming %s", tt.path, resp.StatusCode, b, tt.name)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
				t.Errorf("GET %s: Content-Type %q, want text/plain", tt.path, ct)
			}
		})
	}
}

// countReader counts the bytes read through it.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
