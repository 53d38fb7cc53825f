package fetch_test

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/zstd"

	"github.com/grabhq/grab/fetch"
	"github.com/grabhq/grab/internal/testkit"
	"github.com/grabhq/grab/testserver"
)

// HOSTILE.md A1-A4: refused before dialing, naming what was wrong.
func TestInvalidRequests(t *testing.T) {
	w := newWorld(t, []string{"a"})
	a := w.urls["a"]
	tests := []struct {
		name string
		req  *fetch.Request
		want string // in the error
	}{
		{"A1 CRLF in path", &fetch.Request{URL: a + "/x\r\nX-Injected: 1"}, "(CR) at byte"},
		{"A1 LF in query", &fetch.Request{URL: a + "/x?a=\nb"}, "(LF) at byte"},
		{"A1 tab in path", &fetch.Request{URL: a + "/x\ty"}, "tab at byte"},
		{"A1 NUL in fragment", &fetch.Request{URL: a + "/x#\x00"}, "NUL at byte"},
		{"A1 space", &fetch.Request{URL: a + "/x y"}, "space at byte"},
		{"A2 CRLF in host", &fetch.Request{URL: "http://127.0.0.1\r\n:80/"}, "(CR) at byte"},
		{"A2 %2F in host", &fetch.Request{URL: "http://127.0.0.1%2Fevil/"}, `"%2F"`},
		{"A2 garbage after port", &fetch.Request{URL: "http://127.0.0.1:80abc/"}, "port"},
		{"A2 port out of range", &fetch.Request{URL: "http://127.0.0.1:65536/"}, "65536"},
		{"A2 Host override with CRLF", &fetch.Request{URL: a, Header: http.Header{"Host": {"h\r\nX: y"}}}, "Host"},
		{"A2 Host override with @", &fetch.Request{URL: a, Header: http.Header{"Host": {"u@evil"}}}, "Host"},
		{"A2 Host override with path", &fetch.Request{URL: a, Header: http.Header{"Host": {"evil/x"}}}, "Host"},
		{"A3 method with CRLF", &fetch.Request{URL: a, Method: "GET\r\nX: y"}, "method"},
		{"A3 method with space", &fetch.Request{URL: a, Method: "GET /"}, "method"},
		{"A3 method 10 KB", &fetch.Request{URL: a, Method: strings.Repeat("G", 10<<10) + "\x01"}, "method"},
		{"A4 value with LF", &fetch.Request{URL: a, Header: http.Header{"X-A": {"1\nX-B: 2"}}}, "X-A"},
		{"A4 value with NUL", &fetch.Request{URL: a, Header: http.Header{"X-A": {"1\x00"}}}, "X-A"},
		{"A4 value with DEL", &fetch.Request{URL: a, Header: http.Header{"X-A": {"1\x7f"}}}, "X-A"},
		{"A4 name with space", &fetch.Request{URL: a, Header: http.Header{" X-A": {"1"}}}, "X-A"},
		{"A4 non-ASCII name", &fetch.Request{URL: a, Header: http.Header{"X-É": {"1"}}}, "X-É"},
		{"no scheme", &fetch.Request{URL: "127.0.0.1/x"}, "no scheme"},
		{"no host", &fetch.Request{URL: "http:///x"}, "no host"},
		{"no scheme, password masked", &fetch.Request{URL: "//u:s3cret@127.0.0.1:1/"}, `"//u:xxxxx@127.0.0.1:1/" has no scheme`},
		{"no host, password masked", &fetch.Request{URL: `http:\\u:s3cret@127.0.0.1:1/`}, `xxxxx@127.0.0.1:1/" has no host`},
		{"ftp", &fetch.Request{URL: "ftp://127.0.0.1/"}, `unsupported scheme "ftp"`},
	}
	each(t, func(t *testing.T, kind string) {
		o := w.opener(kind, nil)
		before := w.g.Total()
		for _, tt := range tests {
			_, err := o.Open(t.Context(), tt.req)
			if !errors.Is(err, fetch.ErrInvalidRequest) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s: Open = %v, want ErrInvalidRequest naming %q", tt.name, err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "s3cret") { // P1
				t.Errorf("%s: Open = %v shows the password", tt.name, err)
			}
		}
		if n := w.g.Total() - before; n != 0 {
			t.Errorf("%d connections made for invalid requests", n)
		}
		// Escapes stay escaped on the wire.
		read(t, o, a+"/anything/%0d%0a?q=%0d%0aX:%20y")
		all := w.rec.All()
		if uri := all[len(all)-1].URI; uri != "/anything/%0d%0a?q=%0d%0aX:%20y" {
			t.Errorf("sent %q", uri)
		}
	})
}

// HOSTILE.md E1-E6: a body that ends early or a head that does not end is
// an error, never a short success.
func TestFraming(t *testing.T) {
	w := newWorld(t, []string{"a"})
	each(t, func(t *testing.T, kind string) {
		o := w.opener(kind, &fetch.Opener{Timeouts: fetch.Timeouts{Stall: 2 * time.Second}})
		body := func(path string) (*fetch.Response, []byte, error) {
			resp, err := o.Open(t.Context(), w.urls["a"]+path)
			if err != nil {
				return nil, nil, err
			}
			defer resp.Close()
			b, err := io.ReadAll(resp)
			return resp, b, err
		}
		var te *fetch.TruncatedError
		if _, b, err := body("/fault/lie?length=100000&actual=50000"); !errors.As(err, &te) || te.Got != 50000 || te.Want != 100000 || len(b) != 50000 {
			t.Errorf("E1: %d bytes, %v", len(b), err)
		}
		if _, _, err := body("/fault/drop?after=1000&length=3000&end=reset"); err == nil {
			t.Error("G3: a reset mid-body read as success")
		}
		resp, b, err := body("/fault/cut?size=4000&send=2000")
		if err != nil || !resp.LengthUnknown || resp.ContentLength != -1 || len(b) != 2000 {
			t.Errorf("E2: %d bytes, %v, LengthUnknown %v", len(b), err, resp != nil && resp.LengthUnknown)
		}
		if _, _, err := body("/fault/cut-chunked?send=3000"); !errors.As(err, &te) || te.Want != -1 {
			t.Errorf("E3 no last chunk: %v", err)
		}
		for _, name := range []string{"chunk-overflow", "two-content-lengths", "no-body-close", "bad-status-line", "reset"} {
			if _, b, err := body("/fault/raw/" + name); err == nil {
				t.Errorf("%s: success with %q", name, b)
			}
		}
		if _, b, err := body("/fault/raw/cl-and-te"); err == nil && string(b) != "ok" {
			t.Errorf("E4 CL and TE: %q", b)
		}
		for _, path := range []string{"/fault/huge-headers?count=2048&size=1024", "/fault/raw/status-line-forever?max=4194304", "/fault/raw/trailers-forever?max=4194304"} {
			if _, _, err := body(path); err == nil {
				t.Errorf("E5/E6 %s: success", path)
			}
		}
		// G4: the same bytes sliced one by one read the same.
		raw := "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 26\r\n\r\nabcdefghijklmnopqrstuvwxyz"
		_, b, err = body("/fault/raw?chunk=1&b64=" + base64.URLEncoding.EncodeToString([]byte(raw)))
		if err != nil || string(b) != "abcdefghijklmnopqrstuvwxyz" {
			t.Errorf("G4: %q, %v", b, err)
		}
	})
}

// encoded serves "hello, "+coding compressed with br or zstd.
func encoded() testserver.Option {
	return testserver.Mount("/encoded/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		coding := strings.TrimPrefix(r.URL.Path, "/encoded/")
		text := []byte("hello, " + coding)
		var buf bytes.Buffer
		switch coding {
		case "br":
			bw := brotli.NewWriter(&buf)
			bw.Write(text)
			bw.Close()
		case "zstd":
			zw, _ := zstd.NewWriter(&buf, zstd.WithEncoderConcurrency(1))
			zw.Write(text)
			zw.Close()
		case "br, zstd":
			var inner bytes.Buffer
			bw := brotli.NewWriter(&inner)
			bw.Write(text)
			bw.Close()
			zw, _ := zstd.NewWriter(&buf, zstd.WithEncoderConcurrency(1))
			zw.Write(inner.Bytes())
			zw.Close()
		}
		w.Header().Set("Content-Encoding", coding)
		w.Write(buf.Bytes())
	}))
}

// HOSTILE.md F1-F5, and the codings fetch decodes.
func TestDecoding(t *testing.T) {
	w := newWorld(t, []string{"a"}, encoded())
	each(t, func(t *testing.T, kind string) {
		o := w.opener(kind, &fetch.Opener{Limits: fetch.Limits{DecodedBytes: 8 << 20}})
		for _, path := range []string{"/gzip", "/deflate", "/encoded/br", "/encoded/zstd", "/encoded/br,%20zstd"} {
			resp, body := read(t, o, w.urls["a"]+path)
			if len(resp.Decoded) == 0 || resp.Header.Get("Content-Encoding") != "" || !strings.Contains(body, "\n") && !strings.HasPrefix(body, "hello") {
				t.Errorf("%s: Decoded %v, body %q", path, resp.Decoded, body)
			}
		}
		// F1, F3: a bomb stops at the cap; a small read does not inflate it all.
		resp, err := o.Open(t.Context(), w.urls["a"]+"/fault/gzip-bomb?size=1073741824")
		if err != nil {
			t.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		p := make([]byte, 256)
		n, err := resp.Read(p)
		runtime.ReadMemStats(&after)
		if n == 0 || err != nil || after.TotalAlloc-before.TotalAlloc > 16<<20 {
			t.Errorf("F3: first Read %d, %v, allocated %d bytes", n, err, after.TotalAlloc-before.TotalAlloc)
		}
		got, err := io.Copy(io.Discard, resp)
		resp.Close()
		if !errors.Is(err, fetch.ErrDecodedTooLarge) || got+int64(n) != 8<<20 {
			t.Errorf("F1: %d bytes, %v", got+int64(n), err)
		}
		// F2: a chain longer than 2 is refused, spread over fields or not.
		for _, q := range []string{"n=3", "n=1000", "n=3&split=1"} {
			if _, err := o.Open(t.Context(), w.urls["a"]+"/fault/raw/encoding-chain?"+q); !errors.Is(err, fetch.ErrTooManyEncodings) {
				t.Errorf("F2 %s: %v", q, err)
			}
		}
		if resp, body := read(t, o, w.urls["a"]+"/fault/raw/encoding-chain?n=2"); len(resp.Decoded) != 2 || body == "" {
			t.Errorf("F2 n=2: %v %q", resp.Decoded, body)
		}
		// F4: a bomb as a redirect's body is drained raw; as an error's body
		// it is not inflated past the prefix.
		if resp, _ := read(t, o, w.urls["a"]+"/fault/gzip-bomb?size=1073741824&status=302"); len(resp.History) != 1 {
			t.Errorf("F4 302: history %v", resp.History)
		}
		for _, status := range []string{"401", "500"} {
			_, err := o.Open(t.Context(), w.urls["a"]+"/fault/gzip-bomb?size=1073741824&status="+status)
			var he *fetch.HTTPError
			if !errors.As(err, &he) || len(he.Body) != 4096 {
				t.Errorf("F4 %s: %v", status, err)
			}
		}
		// F5: corruption is an error.
		for _, name := range []string{"gzip-plain", "gzip-truncated", "gzip-bad-crc", "gzip-trailing-garbage"} {
			resp, err := o.Open(t.Context(), w.urls["a"]+"/fault/raw/"+name)
			if err == nil {
				_, err = resp.Bytes()
			}
			if !errors.Is(err, fetch.ErrBadEncoding) {
				t.Errorf("F5 %s: %v", name, err)
			}
		}
		// Asked for raw bytes, raw bytes come.
		raw := w.opener(kind, &fetch.Opener{DisableCompression: true})
		if resp, _ := read(t, raw, w.urls["a"]+"/gzip"); resp.Decoded != nil || resp.Header.Get("Content-Encoding") != "gzip" {
			t.Errorf("DisableCompression: %v %v", resp.Decoded, resp.Header)
		}
	})
}

// TestDeflateTrailingGarbage (F5): bytes after a deflate stream's end, zlib
// wrapped or raw, are an error, as after a gzip member; the stream alone
// decodes.
func TestDeflateTrailingGarbage(t *testing.T) {
	var zb, fb bytes.Buffer
	zw := zlib.NewWriter(&zb)
	io.WriteString(zw, "hello")
	zw.Close()
	fw, _ := flate.NewWriter(&fb, flate.DefaultCompression)
	io.WriteString(fw, "hello")
	fw.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := zb.Bytes()
		if r.URL.Query().Has("raw") {
			body = fb.Bytes()
		}
		if r.URL.Query().Has("garbage") {
			body = append(slices.Clip(body), "garbage"...)
		}
		w.Header().Set("Content-Encoding", "deflate")
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	o := new(fetch.Opener)
	t.Cleanup(o.CloseIdleConnections)
	for _, q := range []string{"", "raw", "garbage", "raw&garbage"} {
		resp, err := o.Open(t.Context(), srv.URL+"/?"+q)
		var body []byte
		if err == nil {
			body, err = resp.Bytes()
		}
		if bad := strings.Contains(q, "garbage"); bad != errors.Is(err, fetch.ErrBadEncoding) || !bad && string(body) != "hello" {
			t.Errorf("?%s: %q, %v; want ErrBadEncoding %v", q, body, err, bad)
		}
	}
}

// TestEmptyEncodedBody: a body of no bytes under any content coding, sized
// or chunked, is an empty body, not a coding error.
func TestEmptyEncodedBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", r.URL.Query().Get("ce"))
		if r.URL.Query().Has("chunked") {
			w.(http.Flusher).Flush()
			return
		}
		w.Header().Set("Content-Length", "0")
	}))
	t.Cleanup(srv.Close)
	for _, engine := range []fetch.Engine{fetch.EngineNetHTTP, fetch.EngineConn} {
		o := &fetch.Opener{Engine: engine}
		t.Cleanup(o.CloseIdleConnections)
		for _, q := range []string{"ce=gzip", "ce=deflate", "ce=br", "ce=zstd", "ce=gzip,br", "ce=gzip&chunked"} {
			resp, err := o.Open(t.Context(), srv.URL+"/?"+q)
			var body []byte
			if err == nil {
				body, err = resp.Bytes()
			}
			if err != nil || len(body) != 0 {
				t.Errorf("engine %v ?%s: %q, %v", engine, q, body, err)
			}
		}
	}
}

// HOSTILE.md G1, G2, G9 and the total timeout: each names its phase.
func TestTimeouts(t *testing.T) {
	w := newWorld(t, []string{"a"})
	each(t, func(t *testing.T, kind string) {
		short := 200 * time.Millisecond
		o := w.opener(kind, &fetch.Opener{Timeouts: fetch.Timeouts{ResponseHeader: short, Stall: short}})
		phase := func(err error) string {
			var te *fetch.TimeoutError
			if errors.As(err, &te) && errors.Is(err, context.DeadlineExceeded) {
				return te.Phase
			}
			return "not a timeout: " + errors.Unwrap(err).Error()
		}
		_, err := o.Open(t.Context(), w.urls["a"]+"/fault/raw/never-answer")
		if p := phase(err); p != "response header" {
			t.Errorf("G1: %v", err)
		}
		_, err = o.Open(t.Context(), w.urls["a"]+"/fault/slow-headers?delay=100ms&lines=20")
		if p := phase(err); p != "response header" {
			t.Errorf("G2 headers: %v", err)
		}
		resp, err := o.Open(t.Context(), w.urls["a"]+"/fault/stall?after=100&for=5s")
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.ReadAll(resp)
		resp.Close()
		if p := phase(err); p != "stall" {
			t.Errorf("G2 body: %v", err)
		}
		// A slow reader is not a stall.
		resp, err = o.Open(t.Context(), w.urls["a"]+"/bytes/100")
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * short)
		if _, err := resp.Bytes(); err != nil {
			t.Errorf("slow reader: %v", err)
		}
		// Nor is one that pauses between Reads, the stall timer running.
		resp, err = o.Open(t.Context(), w.urls["a"]+"/bytes/100")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(resp, make([]byte, 10)); err != nil {
			t.Fatalf("first Read: %v", err)
		}
		time.Sleep(3 * short)
		if _, err := resp.Bytes(); err != nil {
			t.Errorf("reader pausing between Reads: %v", err)
		}
		// An upload slower than the head timeout is not one: the wait for
		// the head starts once the request has gone out (a streamed body
		// of unknown length, and one of a declared length), and then runs.
		for _, length := range []int64{0, 60} {
			resp, err = o.Open(t.Context(), &fetch.Request{URL: w.urls["a"] + "/put", Method: "PUT", Body: &paced{n: 6, every: short / 2}, ContentLength: length})
			if err != nil {
				t.Errorf("upload of %v (length %d) with a %v head timeout: %v", 3*short, length, short, err)
				continue
			}
			resp.Close()
		}
		_, err = o.Open(t.Context(), &fetch.Request{URL: w.urls["a"] + "/delay/3", Method: "POST", Body: &paced{n: 2, every: short / 2}})
		if p := phase(err); p != "response header" {
			t.Errorf("head timeout after an upload: %v", err)
		}
		// The total, from the Opener or the Request.
		ot := w.opener(kind, &fetch.Opener{Timeouts: fetch.Timeouts{Total: short}})
		for _, target := range []any{w.urls["a"] + "/delay/3", &fetch.Request{URL: w.urls["a"] + "/delay/3", Timeout: short}} {
			_, err = ot.Open(t.Context(), target)
			if p := phase(err); p != "total" {
				t.Errorf("total: %v", err)
			}
		}
		// G9: cancelling returns at once, in the head and in the body.
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(50*time.Millisecond, cancel)
		start := time.Now()
		_, err = w.opener(kind, nil).Open(ctx, w.urls["a"]+"/fault/raw/never-answer")
		if !errors.Is(err, context.Canceled) || time.Since(start) > 2*time.Second {
			t.Errorf("G9 head: %v after %v", err, time.Since(start))
		}
		ctx, cancel = context.WithCancel(t.Context())
		resp, err = w.opener(kind, nil).Open(ctx, w.urls["a"]+"/fault/stall?after=10&for=5s")
		if err != nil {
			t.Fatal(err)
		}
		time.AfterFunc(50*time.Millisecond, cancel)
		_, err = io.ReadAll(resp)
		resp.Close()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("G9 body: %v", err)
		}
	})
}

// paced yields n pieces of 10 bytes, one every every.
type paced struct {
	n     int
	every time.Duration
}

func (p *paced) Read(b []byte) (int, error) {
	if p.n == 0 {
		return 0, io.EOF
	}
	time.Sleep(p.every)
	p.n--
	return copy(b, "0123456789"), nil
}

// HOSTILE.md G8: a connection broken mid-body is not reused.
func TestBrokenNotReused(t *testing.T) {
	w := newWorld(t, []string{"a"})
	each(t, func(t *testing.T, kind string) {
		o := w.opener(kind, &fetch.Opener{Timeouts: fetch.Timeouts{Stall: 200 * time.Millisecond}})
		resp, err := o.Open(t.Context(), w.urls["a"]+"/fault/lie?length=2000&actual=1000&end=hold")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := resp.Bytes(); err == nil {
			t.Fatal("a held, short body read as success")
		}
		before := w.g.Total()
		read(t, o, w.urls["a"]+"/hello")
		if n := w.g.Total() - before; n != 1 {
			t.Errorf("%d new connections after the broken one, want 1", n)
		}
	})
}

// HOSTILE.md G6, G7 and the Retry handler.
func TestRetry(t *testing.T) {
	w := newWorld(t, []string{"a"})
	each(t, func(t *testing.T, kind string) {
		var waits []time.Duration
		sleep := func(ctx context.Context, d time.Duration) error { waits = append(waits, d); return nil }
		o := w.opener(kind, &fetch.Opener{Handlers: []fetch.Handler{&fetch.Retry{Attempts: 4, Sleep: sleep}}})
		key := testkit.Canary("k")
		resp, body := read(t, o, w.urls["a"]+"/fault/flaky?fail=2&status=503&key="+key)
		if resp.StatusCode != 200 || body != "ok\n" && body != "ok" || len(waits) != 2 {
			t.Errorf("503 twice: %s %q after waits %v", resp.Status, body, waits)
		}
		waits = nil
		read(t, o, w.urls["a"]+"/fault/flaky?fail=1&status=429&retry-after=7&key="+testkit.Canary("k"))
		if len(waits) != 1 || waits[0] != 7*time.Second {
			t.Errorf("Retry-After 7: waits %v", waits)
		}
		// G7: a Retry-After past MaxWait gives up at once, seconds or date.
		waits = nil
		for _, q := range []string{"retry-after=999999999", "retry-after=999999999&date=1"} {
			var he *fetch.HTTPError
			if _, err := o.Open(t.Context(), w.urls["a"]+"/fault/flaky?fail=1&status=503&"+q+"&key="+testkit.Canary("k")); !errors.As(err, &he) || he.StatusCode != 503 {
				t.Errorf("%s: %v", q, err)
			}
		}
		if len(waits) != 0 {
			t.Errorf("waited %v for a far Retry-After", waits)
		}
		// A POST is not repeated.
		var he *fetch.HTTPError
		_, err := o.Open(t.Context(), &fetch.Request{URL: w.urls["a"] + "/fault/flaky?fail=1&status=503&key=" + testkit.Canary("k"), Method: "POST", Data: []byte("x")})
		if !errors.As(err, &he) || len(waits) != 0 {
			t.Errorf("POST: %v, waits %v", err, waits)
		}
		// G6: a refused connection is retried; attempts are capped.
		before := w.g.Total()
		if _, err := o.Open(t.Context(), "http://127.0.0.1:1/"); !errors.Is(err, syscall.ECONNREFUSED) || w.g.Total()-before != 4 {
			t.Errorf("refused: %v after %d dials, want ECONNREFUSED after 4", err, w.g.Total()-before)
		}
		// A stuck 503 ends with the last answer after Attempts.
		waits = nil
		if _, err := o.Open(t.Context(), w.urls["a"]+"/fault/status/503?retry-after=1"); !errors.As(err, &he) || len(waits) != 3 {
			t.Errorf("stuck 503: %v after waits %v", err, waits)
		}
	})
}

// HOSTILE.md G6: the kinds of failure to connect stay apart, and only the
// transient ones are retried: an unknown host and a TLS alert get one
// dial each, a refused connection and a handshake stall all Attempts.
func TestRetryKinds(t *testing.T) {
	// A TLS 1.3-only server, for a client that stops at 1.2: the server
	// answers the hello with a protocol_version alert.
	modern, pool := tlsVersionServer(t, &tls.Config{MinVersion: tls.VersionTLS13})
	stall := silentListener(t)
	tests := []struct {
		name  string
		url   string
		dial  func(ctx context.Context, network, addr string) (net.Conn, error) // nil: a plain dial
		check func(error) bool
		dials int
	}{
		{"unknown host", "http://nxdomain.test/", func(ctx context.Context, network, addr string) (net.Conn, error) {
			return nil, &net.DNSError{Err: "no such host", Name: "nxdomain.test", IsNotFound: true}
		}, func(err error) bool { var de *net.DNSError; return errors.As(err, &de) && de.IsNotFound }, 1},
		{"TLS alert", modern + "/", nil, func(err error) bool {
			var oe *net.OpError
			return errors.As(err, &oe) && oe.Op == "remote error" && strings.Contains(err.Error(), "protocol version")
		}, 1},
		{"refused", "http://127.0.0.1:1/", nil, func(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }, 3},
		{"handshake stall", "https://" + stall.Addr().String() + "/", nil, func(err error) bool {
			var ne net.Error
			var te *fetch.TimeoutError
			return errors.As(err, &ne) && ne.Timeout() || errors.As(err, &te) || errors.Is(err, context.DeadlineExceeded)
		}, 3},
	}
	each(t, func(t *testing.T, kind string) {
		engine := engineOf(kind)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var dials atomic.Int32
				var d net.Dialer
				o := &fetch.Opener{
					Engine:    engine,
					TLSConfig: &tls.Config{RootCAs: pool, MaxVersion: tls.VersionTLS12},
					Timeouts:  fetch.Timeouts{Connect: 100 * time.Millisecond, TLS: 100 * time.Millisecond},
					Handlers:  []fetch.Handler{&fetch.Retry{Attempts: 3, Sleep: func(context.Context, time.Duration) error { return nil }}},
					Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
						dials.Add(1)
						if tt.dial != nil {
							return tt.dial(ctx, network, addr)
						}
						return d.DialContext(ctx, network, addr)
					},
				}
				t.Cleanup(o.CloseIdleConnections)
				_, err := o.Open(t.Context(), tt.url)
				if err == nil || !tt.check(err) {
					t.Errorf("%v: not the kind of error expected", err)
				}
				if n := dials.Load(); int(n) != tt.dials {
					t.Errorf("%d dials, want %d (%v)", n, tt.dials, err)
				}
			})
		}
	})
}

// A real sleep honours the context (HOSTILE.md G9, retry sleep).
func TestRetrySleepCancel(t *testing.T) {
	w := newWorld(t, []string{"a"})
	o := w.opener("nethttp", &fetch.Opener{Handlers: []fetch.Handler{&fetch.Retry{}}})
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := o.Open(ctx, w.urls["a"]+"/fault/status/503?retry-after=60")
	if err == nil || time.Since(start) > 5*time.Second {
		t.Errorf("cancelled retry sleep: %v after %v", err, time.Since(start))
	}
}

// HOSTILE.md H1: TLS is verified (a self-signed server is refused; its
// CA trusted, both engines serve it). TestTLSCertificates has the other
// bad certificates, TestTLSInsecureThenVerified H2.
func TestTLS(t *testing.T) {
	w := newWorld(t, []string{"tls"})
	o := &fetch.Opener{}
	t.Cleanup(o.CloseIdleConnections)
	if _, err := o.Open(t.Context(), w.urls["tls"]+"/hello"); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("H1 self-signed: %v", err)
	}
	each(t, func(t *testing.T, kind string) {
		resp, _ := read(t, w.opener(kind, nil), w.urls["tls"]+"/hello")
		if resp.TLS == nil {
			t.Error("no TLS state")
		}
	})
}

// tlsVersionServer starts a TLS server with cfg's versions and
// returns its URL and a pool trusting its certificate.
func tlsVersionServer(t *testing.T, cfg *tls.Config) (string, *x509.CertPool) {
	t.Helper()
	srv, _, _ := tlsServer(t, cfg)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return srv.URL, pool
}

// silentListener accepts connections on loopback and never answers
// (a TLS handshake that stalls); they are closed with the test.
func silentListener(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var held []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	})
	return ln
}

// HOSTILE.md G6 (TLS handshake stall) and H3 (TLS below 1.2 refused).
func TestTLSHandshake(t *testing.T) {
	ln := silentListener(t)
	w := newWorld(t, nil)
	each(t, func(t *testing.T, kind string) {
		o := w.opener(kind, &fetch.Opener{Timeouts: fetch.Timeouts{Connect: 100 * time.Millisecond, TLS: 100 * time.Millisecond}})
		start := time.Now()
		_, err := o.Open(t.Context(), "https://"+ln.Addr().String()+"/")
		if err == nil || time.Since(start) > 5*time.Second {
			t.Errorf("TLS stall: %v after %v", err, time.Since(start))
		}
	})
	old, pool := tlsVersionServer(t, &tls.Config{MaxVersion: tls.VersionTLS11})
	for _, engine := range []fetch.Engine{fetch.EngineNetHTTP, fetch.EngineConn} {
		o := &fetch.Opener{Engine: engine, TLSConfig: &tls.Config{RootCAs: pool}}
		if _, err := o.Open(t.Context(), old); err == nil || !strings.Contains(err.Error(), "version") {
			t.Errorf("H3 TLS 1.1 server (Engine %v): %v", engine, err)
		}
		o.CloseIdleConnections()
	}
}

// TestCloseWhileDecoding: Close from another goroutine aborts a Read of a
// compressed body in progress, as it does a plain one: no data race (run
// with -race), and the Read ends with "read on closed body", not a bad
// encoding.
func TestCloseWhileDecoding(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		gz := gzip.NewWriter(w)
		for range 200 { // 4 s at most
			if _, err := gz.Write(bytes.Repeat([]byte("slow "), 200)); err != nil {
				return
			}
			gz.Flush()
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
		gz.Close()
	}))
	t.Cleanup(srv.Close)
	for _, engine := range []fetch.Engine{fetch.EngineConn, fetch.EngineNetHTTP} {
		o := &fetch.Opener{Engine: engine}
		t.Cleanup(o.CloseIdleConnections)
		resp, err := o.Open(t.Context(), srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			_, err := io.Copy(io.Discard, resp)
			done <- err
		}()
		time.Sleep(60 * time.Millisecond)
		resp.Close()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "read on closed body") {
				t.Errorf("engine %v: the Read in progress ended with %v, want read on closed body", engine, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("engine %v: Close did not end the Read", engine)
		}
	}
}
