package testserver

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The hostile endpoints, registered only with [WithFaults]. They are what
// an HTTP client must survive (HOSTILE.md rows E, F and G, and the
// faultserver of §5). Query parameters, defaults and caps:
//
//	endpoint                        parameters (default; cap)                        what happens
//	GET /fault/drop                 after (1024; 1 GiB), length (2*after; 1 TiB)     head with Content-Length: length, after body bytes, close
//	GET /fault/stall                after (1024; 1 GiB), length (2*after; 1 TiB),    head, after body bytes, wait for, close
//	                                for (max delay; 24h, then the max delay)
//	GET /fault/lie                  length (1024; 1 TiB), actual (length/2; 1 GiB)   Content-Length: length, actual body bytes, close
//	GET /fault/cut                  size (2048; 1 GiB), send (size/2; size),         close-delimited body (no length) that ends after send bytes
//	                                proto (1.1; 1.0 or 1.1)
//	GET /fault/cut-chunked          send (1024; 1 GiB)                               chunked body, closed before the last (0) chunk
//	GET /fault/gzip-bomb            size (1 GiB; 1 GiB), encoding (gzip; deflate),   body that inflates to size zero bytes, made on the fly
//	                                status (200; 302 401 404 500 503)
//	GET /fault/redirect-loop        n (1; 10000), i (0; n-1),                        302 to itself, or around a cycle of n URLs
//	                                status (302; 301 302 303 307 308)
//	GET /fault/redirect-loop/{a,b}  status (302; as above)                           /a redirects to /b and /b to /a
//	GET /fault/redirect-chain/{n}   n (in the path; 10000), status (302; as above)   n redirects, then 200 "ok"
//	GET /fault/redirect-file        scheme (file; ftp data javascript gopher),       302 to file:///etc/passwd or the like
//	                                status (302; as above)
//	GET /fault/slow-headers         delay (1s; 24h), lines (4; 1000), bytes (0)      status line, then each head line (or byte) after delay
//	GET /fault/huge-headers         count (2048; 1<<20), size (1024; 16 MiB)         count headers of size bytes; count*size capped at 16 MiB
//	GET /fault/flaky                key (default; 64 bytes), fail (1; 10000),        the first fail requests per key answer status, then 200 "ok"
//	                                status (503; 429 500 502 503 504),
//	                                retry-after (0; 1<<40 s), date (0)
//	GET /fault/status/{code}        code (429 500 502 503 504),                      that status with Retry-After in seconds, or as an
//	                                retry-after (1; 1<<40 s), date (0)               HTTP-date that far ahead (at most year 9999) with date=1
//	GET /fault/changing             key (default; 64 bytes), advance (0), every (0)  a document whose body, ETag and Last-Modified change
//	GET /fault/raw                  b64 or hex (decoded cap 1 MiB)                   exactly these bytes, then close
//	POST /fault/raw                 the request body (1 MiB)                         exactly the request body's bytes, then close
//	GET /fault/raw/{name}           n (100; 10000), max (16 MiB; 1 GiB), split (0)   a canned malformed response (faultRawScenarios)
//
// Unknown query parameters are ignored; a bad value is a 400 naming the
// parameter. b64 takes the standard or URL-safe alphabet, padded or not,
// and a space for '+'; a GET URL is also bounded by the server's header
// limit, so send more than about 700 KiB with POST.
//
// Every endpoint that writes raw bytes (all but gzip-bomb, the redirects,
// flaky, status and changing) hijacks the HTTP/1.x connection, answers
// HEAD like GET, and also takes:
//
//	end    close (default), reset (SO_LINGER 0, so an RST), half (FIN, then
//	       wait for the client to close) or hold (keep the connection open)
//	chunk  write in pieces of at most chunk bytes (0: as the endpoint
//	       writes them, up to 32 KiB; cap 1 MiB)
//	pause  wait pause before each piece but the first (0; 24h)
//
// A duration is a Go duration ("150ms") or a number of seconds ("1.5").
// All the waiting one connection does (pauses, stalls, slow headers, hold)
// goes through h.sleep and adds up to at most the server's maximum delay
// ([WithMaxDelay]); the wait also ends when the client goes away. Endless
// streams stop after the maximum delay or max bytes, whichever comes first.
// A write that makes no progress for faultWriteTimeout ends the response.
// Body bytes are the pattern 'a'+offset%26, so a client can check offsets.

// Caps of the fault parameters.
const (
	faultMaxBody      = 1 << 30  // body bytes a fault endpoint sends
	faultMaxAnnounce  = 1 << 40  // a Content-Length that is only announced
	faultMaxRaw       = 1 << 20  // bytes /fault/raw sends
	faultMaxHeaders   = 16 << 20 // count*size of /fault/huge-headers
	faultMaxCount     = 10000    // 1xx responses, redirects, failures
	faultMaxLayers    = 1000     // encodings of /fault/raw/encoding-chain
	faultMaxKey       = 64       // bytes of a key
	faultMaxLines     = 1000     // extra head lines of /fault/slow-headers
	faultMaxDuration  = 24 * time.Hour
	faultMaxRetry     = 1 << 40 // seconds of Retry-After
	faultWriteTimeout = time.Minute
	faultDefaultMax   = 16 << 20 // bytes of an endless stream
)

// faultRoutes registers the hostile endpoints under /fault/: dropped,
// stalled and reset connections, lying and missing lengths, unterminated
// chunked bodies, a gzip bomb, redirect loops and chains, redirects to
// file: and other schemes, slow and huge headers, flaky and rate-limited
// statuses with Retry-After, a changing document, and raw bytes, canned
// by name under /fault/raw/{name}. The table at the top of faults.go lists
// every parameter with its default and cap; /fault/ lists the routes.
func (h *handler) faultRoutes() {
	h.handle("GET /fault/{$}", "the fault endpoints", http.HandlerFunc(h.faultIndex))
	h.handle("GET /fault/drop", "?after=&length= Content-Length, then close early", http.HandlerFunc(h.faultDrop))
	h.handle("GET /fault/stall", "?after=&length=&for= stall mid-body, then close", http.HandlerFunc(h.faultStall))
	h.handle("GET /fault/lie", "?length=&actual= Content-Length that lies", http.HandlerFunc(h.faultLie))
	h.handle("GET /fault/cut", "?size=&send=&proto= close-delimited body cut short", http.HandlerFunc(h.faultCut))
	h.handle("GET /fault/cut-chunked", "?send= chunked body without its last chunk", http.HandlerFunc(h.faultCutChunked))
	h.handle("GET /fault/gzip-bomb", "?size=&encoding=&status= decompression bomb", http.HandlerFunc(h.faultGzipBomb))
	h.handle("GET /fault/redirect-loop", "?n=&status= redirect loop", http.HandlerFunc(h.faultRedirectLoop))
	h.handle("GET /fault/redirect-loop/{ab}", "a redirects to b, b to a", http.HandlerFunc(h.faultRedirectAB))
	h.handle("GET /fault/redirect-chain/{n}", "?status= n redirects, then 200", http.HandlerFunc(h.faultRedirectChain))
	h.handle("GET /fault/redirect-file", "?scheme= redirect to file:, ftp:, data:, javascript:, gopher:", http.HandlerFunc(h.faultRedirectScheme))
	h.handle("GET /fault/slow-headers", "?delay=&lines=&bytes= head sent slowly", http.HandlerFunc(h.faultSlowHeaders))
	h.handle("GET /fault/huge-headers", "?count=&size= huge response head", http.HandlerFunc(h.faultHugeHeaders))
	h.handle("GET /fault/flaky", "?key=&fail=&status=&retry-after= fail, then ok", http.HandlerFunc(h.faultFlaky))
	h.handle("GET /fault/status/{code}", "?retry-after=&date= 429 or 503 with Retry-After", http.HandlerFunc(h.faultStatus))
	h.handle("GET /fault/changing", "?key=&advance=&every= body, ETag, Last-Modified that change", http.HandlerFunc(h.faultChanging))
	h.handle("GET /fault/raw", "?b64= or ?hex= exactly these bytes", http.HandlerFunc(h.faultRaw))
	h.handle("POST /fault/raw", "exactly the request body's bytes", http.HandlerFunc(h.faultRaw))
	for _, s := range faultRawScenarios {
		h.handle("GET /fault/raw/"+s.name, s.what, h.faultScenario(s))
	}
}

func (h *handler) faultIndex(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	io.WriteString(w, "grab test server: hostile endpoints (see the table in testserver/faults.go)\n\n")
	for _, rt := range h.routes {
		if strings.Contains(rt, " /fault/") {
			io.WriteString(w, rt+"\n")
		}
	}
}

// A faultRawScenario is a canned malformed response, served at
// /fault/raw/{name}.
type faultRawScenario struct {
	name string
	what string
	end  string // default end of the connection
	maxN int    // cap of n when lower than faultMaxCount
	run  func(f *faultConn) error
}

// faultRawScenarios are the canned responses of /fault/raw/{name}, so that
// table tests and fuzzers share them by name. The index lists them.
var faultRawScenarios = []faultRawScenario{
	{name: "100-continue-flood", what: "?n= n 100 Continue responses, then 200 ok",
		run: faultFlood("HTTP/1.1 100 Continue\r\n\r\n")},
	{name: "103-flood", what: "?n= n 103 Early Hints responses, then 200 ok",
		run: faultFlood("HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n")},
	{name: "bad-status-line", what: "status code that is not a number",
		run: faultStatic("HTTP/1.1 2OO OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")},
	{name: "two-content-lengths", what: "Content-Length: 2 and Content-Length: 4",
		run: faultStatic("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 4\r\nConnection: close\r\n\r\nokok")},
	{name: "cl-and-te", what: "Content-Length and Transfer-Encoding: chunked",
		run: faultStatic("HTTP/1.1 200 OK\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\nok\r\n0\r\n\r\n")},
	{name: "no-body-close", what: "head with Content-Length: 1024, then close",
		run: faultStatic("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1024\r\n\r\n")},
	{name: "trailers-forever", what: "?max= chunked body, then endless trailers",
		run: faultForever("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nTrailer: X-Trailer\r\n\r\n2\r\nok\r\n0\r\n",
			func(i int) string { return fmt.Sprintf("X-Trailer-%d: %s\r\n", i, strings.Repeat("t", 48)) })},
	{name: "status-line-forever", what: "?max= status line that never ends",
		run: faultForever("HTTP/1.1 200 ", func(int) string { return strings.Repeat("a", 64) })},
	{name: "stream-forever", what: "?max= chunked body that never ends",
		run: faultForever("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n",
			func(int) string { return "1000\r\n" + strings.Repeat("s", 0x1000) + "\r\n" })},
	{name: "chunk-overflow", what: "chunk size ffffffffffffffffff",
		run: faultStatic("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nffffffffffffffffff\r\nok\r\n0\r\n\r\n")},
	{name: "bare-lf", what: "head lines ended by LF alone",
		run: faultStatic("HTTP/1.1 200 OK\nContent-Type: text/plain\nContent-Length: 2\nConnection: close\n\nok")},
	{name: "gzip-plain", what: "Content-Encoding: gzip on a plain body",
		run: faultGzip(func(z []byte) []byte { return []byte(faultGzipText) })},
	{name: "gzip-truncated", what: "gzip body cut in half, Content-Length matching the cut",
		run: faultGzip(func(z []byte) []byte { return z[:len(z)/2] })},
	{name: "gzip-bad-crc", what: "gzip body with a wrong CRC-32",
		run: faultGzip(func(z []byte) []byte { z[len(z)-8] ^= 0xff; return z })},
	{name: "gzip-trailing-garbage", what: "gzip body followed by garbage",
		run: faultGzip(func(z []byte) []byte { return append(z, "garbage after the gzip member\n"...) })},
	{name: "encoding-chain", what: "?n=&split= Content-Encoding: gzip n times, body gzipped n times",
		maxN: faultMaxLayers, run: faultEncodingChain},
	{name: "never-answer", what: "read the request, answer nothing, hold the connection",
		end: "hold", run: func(*faultConn) error { return nil }},
	{name: "reset", what: "read the request, then reset the connection (RST)",
		end: "reset", run: func(*faultConn) error { return nil }},
}

// faultParams parses query parameters, keeping the first error.
type faultParams struct {
	q   url.Values
	err error
}

func (p *faultParams) fail(name, want, got string) {
	if p.err != nil {
		return
	}
	if len(got) > 64 {
		got = got[:64] + "..."
	}
	p.err = fmt.Errorf("fault: parameter %s: want %s, got %q", name, want, got)
}

func (p *faultParams) int(name string, def, lo, hi int64) int64 {
	if !p.q.Has(name) {
		return def
	}
	s := p.q.Get(name)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < lo || n > hi {
		p.fail(name, fmt.Sprintf("an integer from %d to %d", lo, hi), s)
		return def
	}
	return n
}

func (p *faultParams) dur(name string, def time.Duration) time.Duration {
	if !p.q.Has(name) {
		return def
	}
	s := p.q.Get(name)
	d, err := time.ParseDuration(s)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || math.IsNaN(f) || f < 0 || f > faultMaxDuration.Seconds() {
			d = -1
		} else {
			d = time.Duration(f * float64(time.Second))
		}
	}
	if d < 0 || d > faultMaxDuration {
		p.fail(name, "a duration from 0 to 24h (\"150ms\" or seconds)", s)
		return def
	}
	return d
}

func (p *faultParams) bool(name string) bool {
	switch s := p.q.Get(name); s {
	case "", "0", "false":
		return false
	case "1", "true":
		return true
	default:
		p.fail(name, "0, 1, true or false", s)
		return false
	}
}

func (p *faultParams) oneOf(name, def string, allowed ...string) string {
	if !p.q.Has(name) {
		return def
	}
	s := p.q.Get(name)
	for _, a := range allowed {
		if s == a {
			return s
		}
	}
	p.fail(name, "one of "+strings.Join(allowed, ", "), s)
	return def
}

func (p *faultParams) status(def int, allowed ...int) int {
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = strconv.Itoa(a)
	}
	n, _ := strconv.Atoi(p.oneOf("status", strconv.Itoa(def), names...))
	return n
}

func (p *faultParams) key() string {
	s := p.q.Get("key")
	if len(s) > faultMaxKey {
		p.fail("key", fmt.Sprintf("at most %d bytes", faultMaxKey), s)
	}
	if s == "" {
		s = "default"
	}
	return s
}

func faultBad(w http.ResponseWriter, err error) {
	http.Error(w, err.Error(), http.StatusBadRequest)
}

// faultConn is a hijacked connection and what a scenario may use.
type faultConn struct {
	h     *handler
	r     *http.Request // its context ends when the client goes away
	conn  net.Conn
	chunk int
	pause time.Duration
	slept time.Duration // all waits of this connection, at most maxDelay
	start time.Time
	sent  int64
	n     int   // /fault/raw/{name}?n=
	max   int64 // /fault/raw/{name}?max=
	split bool  // /fault/raw/{name}?split=
}

var errFaultGone = errors.New("fault: client went away")

// Write sends p on the connection, in pieces of f.chunk bytes with f.pause
// between them when asked to.
func (f *faultConn) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		k := len(p)
		if f.chunk > 0 && k > f.chunk {
			k = f.chunk
		}
		if f.pause > 0 && f.sent > 0 && !f.wait(f.pause) {
			return n, errFaultGone
		}
		f.conn.SetWriteDeadline(time.Now().Add(faultWriteTimeout))
		m, err := f.conn.Write(p[:k])
		n += m
		f.sent += int64(m)
		p = p[m:]
		if err != nil {
			return n, fmt.Errorf("fault: write: %w", err)
		}
	}
	return n, nil
}

func (f *faultConn) writeString(s string) error {
	_, err := io.WriteString(f, s)
	return err
}

// wait waits d through h.sleep, within what is left of the connection's
// budget of maxDelay; it reports whether the client is still there.
func (f *faultConn) wait(d time.Duration) bool {
	if left := f.h.cfg.maxDelay - f.slept; d > left {
		d = left
	}
	if d <= 0 {
		return f.r.Context().Err() == nil
	}
	t := time.Now()
	ok := f.h.sleep(f.r, d)
	f.slept += time.Since(t)
	return ok
}

// expired reports whether an endless stream should stop.
func (f *faultConn) expired() bool {
	return f.r.Context().Err() != nil || time.Since(f.start) >= f.h.cfg.maxDelay
}

// body sends n bytes of the body pattern, the first being at offset off.
func (f *faultConn) body(off, n int64) error {
	const size = 26 * 1261 // about 32 KiB, a multiple of the pattern
	buf := make([]byte, size+26)
	for i := range buf {
		buf[i] = 'a' + byte(i%26)
	}
	for n > 0 {
		k := min(n, size)
		s := off % 26
		if _, err := f.Write(buf[s : s+k]); err != nil {
			return err
		}
		off += k
		n -= k
	}
	return nil
}

// faultHead is the head of a response: the status line, the header lines
// and the empty line.
func faultHead(proto, status string, lines ...string) string {
	var b strings.Builder
	b.WriteString(proto + " " + status + "\r\n")
	for _, l := range lines {
		b.WriteString(l + "\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

// hijack parses the common parameters (end, chunk, pause), takes over the
// connection, runs script on it and ends the connection as asked. It
// returns once the connection is closed and its watcher is gone.
func (h *handler) hijack(w http.ResponseWriter, r *http.Request, p *faultParams, end string, script func(*faultConn) error) {
	end = p.oneOf("end", end, "close", "reset", "half", "hold")
	chunk := p.int("chunk", 0, 0, faultMaxRaw)
	pause := p.dur("pause", 0)
	if p.err != nil {
		faultBad(w, p.err)
		return
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, "fault: "+r.URL.Path+" needs an HTTP/1.x connection: "+err.Error(), http.StatusHTTPVersionNotSupported)
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	// Server.Close (the request's context, not the watcher's end: a
	// client may half-close after its request) ends the connection, even
	// in the middle of a write to a client that does not read.
	defer context.AfterFunc(r.Context(), func() { conn.Close() })()
	// The watcher reads (and drops) what the client sends; it ends when the
	// client closes the connection or when we do.
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		io.Copy(io.Discard, brw.Reader)
		cancel()
	}()
	f := &faultConn{h: h, r: r.WithContext(ctx), conn: conn, chunk: int(chunk), pause: pause, start: time.Now()}
	if err := script(f); err == nil {
		switch end {
		case "reset":
			c := conn
			if tc, ok := c.(*tls.Conn); ok {
				c = tc.NetConn() // an RST under TLS too, without close_notify
			}
			if l, ok := c.(interface{ SetLinger(int) error }); ok { // *net.TCPConn, or Server's limitConn
				l.SetLinger(0)
			}
		case "half":
			if cw, ok := conn.(interface{ CloseWrite() error }); ok {
				cw.CloseWrite()
			}
			f.wait(h.cfg.maxDelay)
		case "hold":
			f.wait(h.cfg.maxDelay)
		}
	}
	conn.Close()
	<-watched
}

func (h *handler) faultDrop(w http.ResponseWriter, r *http.Request) {
	p := &faultParams{q: r.URL.Query()}
	after := p.int("after", 1024, 0, faultMaxBody)
	length := p.int("length", max(2*after, after+1), after+1, faultMaxAnnounce)
	h.hijack(w, r, p, "close", func(f *faultConn) error {
		if err := f.writeString(faultHead("HTTP/1.1", "200 OK", "Content-Type: application/octet-stream",
			"Content-Length: "+strconv.FormatInt(length, 10))); err != nil {
			return err
		}
		return f.body(0, after)
	})
}

func (h *handler) faultStall(w http.ResponseWriter, r *http.Request) {
	p := &faultParams{q: r.URL.Query()}
	after := p.int("after", 1024, 0, faultMaxBody)
	length := p.int("length", max(2*after, after+1), after, faultMaxAnnounce)
	stall := p.dur("for", h.cfg.maxDelay)
	h.hijack(w, r, p, "close", func(f *faultConn) error {
		if err := f.writeString(faultHead("HTTP/1.1", "200 OK", "Content-Type: application/octet-stream",
			"Content-Length: "+strconv.FormatInt(length, 10))); err != nil {
			return err
		}
		if err := f.body(0, after); err != nil {
			return err
		}
		if !f.wait(stall) {
			return errFaultGone
		}
		return nil
	})
}

func (h *handler) faultLie(w http.ResponseWriter, r *http.Request) {
	p := &faultParams{q: r.URL.Query()}
	length := p.int("length", 1024, 0, faultMaxAnnounce)
	actual := p.int("actual", min(length/2, faultMaxBody), 0, faultMaxBody)
	h.hijack(w, r, p, "close", func(f *faultConn) error {
		if err := f.writeString(faultHead("HTTP/1.1", "200 OK", "Content-Type: application/octet-stream",
			"Content-Length: "+strconv.FormatInt(length, 10))); err != nil {
			return err
		}
		return f.body(0, actual)
	})
}

func (h *handler) faultCut(w http.ResponseWriter, r *http.Request) {
	p := &faultParams{q: r.URL.Query()}
	size := p.int("size", 2048, 0, faultMaxBody)
	send := p.int("send", size/2, 0, size)
	proto := "HTTP/" + p.oneOf("proto", "1.1", "1.0", "1.1")
	h.hijack(w, r, p, "close", func(f *faultConn) error {
		if err := f.writeString(faultHead(proto, "200 OK", "Content-Type: application/octet-stream",
			"Connection: close", "X-Fault-Size: "+strconv.FormatInt(size, 10))); err != nil {
			return err
		}
		return f.body(0, send)
	})
}

func (h *handler) faultCutChunked(w http.ResponseWriter, r *http.Request) {
	p := &faultParams{q: r.URL.Query()}
	send := p.int("send", 1024, 0, faultMaxBody)
	h.hijack(w, r, p, "close", func(f *faultConn) error {
		if err := f.writeString(faultHead("HTTP/1.1", "200 OK", "Content-Type: application/octet-stream",
			"Transfer-Encoding: chunked")); err != nil {
			return err
		}
		for off := int64(0); off < send; {
			k := min(send-off, 0x1000)
			if err := f.writeString(strconv.FormatInt(k, 16) + "\r\n"); err != nil {
				return err
			}
			if err := f.body(off, k); err != nil {
				return err
			}
			if err := f.writeString("\r\n"); err != nil {
				return err
			}
			off += k
		}
		return nil // and no "0\r\n\r\n"
	})
}

func (h *handler) faultGzipBomb(w http.ResponseWriter, r *http.Request) {
	p := &faultParams{q: r.URL.Query()}
	size := p.int("size", faultMaxBody, 0, faultMaxBody)
	enc := p.oneOf("encoding", "gzip", "gzip", "deflate")
	status := p.status(http.StatusOK, 200, 302, 401, 404, 500, 503)
	if p.err != nil {
		faultBad(w, p.err)
		return
	}
	var zw io.WriteCloser
	var err error
	if enc == "gzip" {
		zw, err = gzip.NewWriterLevel(w, gzip.BestSpeed)
	} else {
		zw, err = zlib.NewWriterLevel(w, zlib.BestSpeed)
	}
	if err != nil {
		http.Error(w, "fault: gzip-bomb: "+err.Error(), http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/octet-stream")
	hd.Set("Content-Encoding", enc)
	hd.Set("X-Decompressed-Length", strconv.FormatInt(size, 10))
	switch status {
	case http.StatusFound:
		hd.Set("Location", "/fault/redirect-chain/0")
	case http.StatusUnauthorized:
		hd.Set("WWW-Authenticate", `Basic realm="fault"`)
	}
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	zeros := make([]byte, 32<<10)
	for size > 0 {
		if r.Context().Err() != nil {
			return
		}
		k := min(size, int64(len(zeros)))
		if _, err := zw.Write(zeros[:k]); err != nil {
			return
		}
		size -= k
	}
	zw.Close()
}

func faultRedirect(w http.ResponseWriter, loc string, status int) {
	w.Header().Set("Location", loc)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
}

func faultRedirectStatus(p *faultParams) int {
	return p.status(http.StatusFound, 301, 302, 303, 307, 308)
}

// faultWithStatus appends ?status= to loc unless status is 302.
func faultWithStatus(loc string, v url.Values, status int) string {
	if status != http.StatusFound {
		v.Set("status", strconv.Itoa(status))
	}
	if len(v) > 0 {
		return loc + "?" + v.Encode()
	}
	return loc
}

func (h *handler) faultRedirectLoop(w http.ResponseWriter, r *http.Request) {
	p := &faultParams{q: r.URL.Query()}
	n := p.int("n", 1, 1, faultMaxCount)
	i := p.int("i", 0, 0, faultMaxCount-1)
	status := faultRedirectStatus(p)
	if p.err == nil && i >= n {
		p.fail("i", fmt.Sprintf("an integer from 0 to n-1 = %d", n-1), p.q.Get("i"))
	}
	if p.err != nil {
		faultBad(w, p.err)
		return
	}
	v := url.Values{}
	if n > 1 {
		v.Set("n", strconv.FormatInt(n, 10))
		v.Set("i", strconv.FormatInt((i+1)%n, 10))
	}
	faultRedirect(w, faultWithStatus("/fault/redirect-loop", v, status), status)
}

func (h *handler) faultRedirectAB(w http.ResponseWriter, r *http.Request) {
	p := &faultParams{q: r.URL.Query()}
	status := faultRedirectStatus(p)
	if p.err != nil {
		faultBad(w, p.err)
		return
	}
	var to string
	switch r.PathValue("ab") {
	case "a":
		to = "/fault/redirect-loop/b"
	case "b":
		to = "/fault/redirect-loop/a"
	default:
		http.Error(w, "fault: redirect-loop: want /fault/redirect-loop/a or /b", http.StatusNotFound)
		return
	}
	faultRedirect(w, faultWithStatus(to, url.Values{}, status), status)
}

func (h *handler) faultRedirectChain(w http.ResponseWriter, r *http.Request) {
	p := &faultParams{q: url.Values{"n": {r.PathValue("n")}}}
	n := p.int("n", 0, 0, faultMaxCount)
	p.q = r.URL.Query()
	status := faultRedirectStatus(p)
	if p.err != nil {
		faultBad(w, p.err)
		return
	}
	if n == 0 {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok")
		return
	}
	faultRedirect(w, faultWithStatus("/fault/redirect-chain/"+strconv.FormatInt(n-1, 10), url.Values{}, status), status)
}

// faultSchemeTarget is where /fault/redirect-file?scheme= sends a client.
func faultSchemeTarget(scheme string) string {
	switch scheme {
	case "ftp":
		return "ftp://127.0.0.1/etc/passwd"
	case "data":
		return "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="
	case "javascript":
		return "javascript:alert(document.cookie)"
	case "gopher":
		return "gopher://127.0.0.1:6379/_INFO%0D%0A"
	default:
		return "file:///etc/passwd"
	}
}

func (h *handler) faultRedirectScheme(w http.ResponseWriter, r *http.Request) {
	p := &faultParams{q: r.URL.Query()}
	scheme := p.oneOf("scheme", "file", "file", "ftp", "data", "javascript", "gopher")
	status := faultRedirectStatus(p)
	if p.err != nil {
		faultBad(w, p.err)
		return
	}
	faultRedirect(w, faultSchemeTarget(scheme), status)
}

func (h *handler) faultSlowHeaders(w http.ResponseWriter, r *http.Request) {
	p := &faultParams{q: r.URL.Query()}
	delay := p.dur("delay", time.Second)
	lines := p.int("lines", 4, 0, faultMaxLines)
	perByte := p.bool("bytes")
	h.hijack(w, r, p, "close", func(f *faultConn) error {
		if err := f.writeString("HTTP/1.1 200 OK\r\n"); err != nil {
			return err
		}
		rest := []string{"Content-Type: text/plain; charset=utf-8\r\n"}
		for i := range lines {
			rest = append(rest, fmt.Sprintf("X-Slow-%d: %d\r\n", i+1, i+1))
		}
		rest = append(rest, "Content-Length: 2\r\n", "\r\n")
		if perByte {
			rest = strings.Split(strings.Join(rest, ""), "")
		}
		for _, s := range rest {
			if !f.wait(delay) {
				return errFaultGone
			}
			if err := f.writeString(s); err != nil {
				return err
			}
		}
		return f.writeString("ok")
	})
}

func (h *handler) faultHugeHeaders(w http.ResponseWriter, r *http.Request) {
	p := &faultParams{q: r.URL.Query()}
	count := p.int("count", 2048, 0, 1<<20)
	size := p.int("size", 1024, 0, faultMaxHeaders)
	if p.err == nil && count*size > faultMaxHeaders {
		p.err = fmt.Errorf("fault: parameters count and size: want count*size at most %d, got %d*%d", faultMaxHeaders, count, size)
	}
	h.hijack(w, r, p, "close", func(f *faultConn) error {
		bw := bufio.NewWriterSize(f, 32<<10)
		bw.WriteString("HTTP/1.1 200 OK\r\n")
		fill := bytes.Repeat([]byte{'h'}, int(min(size, 32<<10)))
		for i := range count {
			fmt.Fprintf(bw, "X-Huge-%d: ", i+1)
			for left := size; left > 0; {
				k := min(left, int64(len(fill)))
				if _, err := bw.Write(fill[:k]); err != nil {
					return err
				}
				left -= k
			}
			if _, err := bw.WriteString("\r\n"); err != nil {
				return err
			}
		}
		bw.WriteString("Content-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
		return bw.Flush()
	})
}

// faultRetryAfter formats a Retry-After of secs seconds, as a number or
// as an HTTP-date (at most the last second of year 9999).
func faultRetryAfter(secs int64, date bool) string {
	if !date {
		return strconv.FormatInt(secs, 10)
	}
	last := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC).Unix()
	t := time.Now().Unix() + secs
	if t > last || t < 0 {
		t = last
	}
	return time.Unix(t, 0).UTC().Format(http.TimeFormat)
}

func (h *handler) faultFlaky(w http.ResponseWriter, r *http.Request) {
	p := &faultParams{q: r.URL.Query()}
	key := p.key()
	fail := p.int("fail", 1, 0, faultMaxCount)
	status := p.status(http.StatusServiceUnavailable, 429, 500, 502, 503, 504)
	retry := p.int("retry-after", 0, 0, faultMaxRetry)
	date := p.bool("date")
	if p.err != nil {
		faultBad(w, p.err)
		return
	}
	n := h.next("flaky:" + key)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Attempt", strconv.Itoa(n))
	if int64(n) > fail {
		io.WriteString(w, "ok")
		return
	}
	w.Header().Set("Retry-After", faultRetryAfter(retry, date))
	w.WriteHeader(status)
	fmt.Fprintf(w, "fault: flaky: attempt %d of %d failing: %d %s\n", n, fail, status, http.StatusText(status))
}

func (h *handler) faultStatus(w http.ResponseWriter, r *http.Request) {
	code, err := strconv.Atoi(r.PathValue("code"))
	switch {
	case err != nil:
	case code == 429, code == 500, code == 502, code == 503, code == 504:
	default:
		err = errors.New("not served")
	}
	if err != nil {
		http.Error(w, "fault: /fault/status/{code} serves 429, 500, 502, 503 and 504", http.StatusNotFound)
		return
	}
	p := &faultParams{q: r.URL.Query()}
	retry := p.int("retry-after", 1, 0, faultMaxRetry)
	date := p.bool("date")
	if p.err != nil {
		faultBad(w, p.err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Retry-After", faultRetryAfter(retry, date))
	w.WriteHeader(code)
	fmt.Fprintf(w, "%d %s\n", code, http.StatusText(code))
}

// faultRevision returns the revision of the changing document key,
// starting at 1, advancing it first when advance is set.
func (h *handler) faultRevision(key string, advance bool) int {
	return h.counter(key, func(v int) int {
		if v == 0 {
			v = 1
		}
		if advance {
			v++
		}
		return v
	})
}

// faultChanging serves a document whose body, ETag and Last-Modified
// belong to a revision. The revision stays the same until a request with
// ?advance=1 (a switch, typically made by the test, not by the client
// under test) or any request with ?every=1 (a document that changes on
// every fetch) advances it before it is served. If-None-Match and
// If-Modified-Since are compared with the revision being served, so a
// client holding the current ETag gets 304.
func (h *handler) faultChanging(w http.ResponseWriter, r *http.Request) {
	p := &faultParams{q: r.URL.Query()}
	key := p.key()
	advance := p.bool("advance")
	every := p.bool("every")
	if p.err != nil {
		faultBad(w, p.err)
		return
	}
	rev := h.faultRevision("fault-changing:"+key, advance || every)
	body := fmt.Sprintf("changing %q revision %d\n", key, rev)
	mod := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rev) * time.Minute)
	hd := w.Header()
	hd.Set("Content-Type", "text/plain; charset=utf-8")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cache-Control", "no-cache")
	hd.Set("ETag", fmt.Sprintf(`"%08x-%d"`, crc32.ChecksumIEEE([]byte(key)), rev))
	hd.Set("X-Revision", strconv.Itoa(rev))
	http.ServeContent(w, r, "", mod, strings.NewReader(body))
}

// faultDecodeB64 decodes standard or URL-safe base64, padded or not, and
// takes a space for the '+' a query string turns into one.
func faultDecodeB64(s string) ([]byte, error) {
	s = strings.Map(func(c rune) rune {
		switch c {
		case ' ', '-':
			return '+'
		case '_':
			return '/'
		}
		return c
	}, s)
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
}

func (h *handler) faultRaw(w http.ResponseWriter, r *http.Request) {
	p := &faultParams{q: r.URL.Query()}
	var data []byte
	var err error
	switch {
	case r.Method == http.MethodPost:
		data, err = io.ReadAll(io.LimitReader(r.Body, faultMaxRaw+1))
		if err != nil {
			faultBad(w, fmt.Errorf("fault: raw: reading the request body: %w", err))
			return
		}
		if len(data) > faultMaxRaw {
			http.Error(w, fmt.Sprintf("fault: raw: request body over %d bytes", faultMaxRaw), http.StatusRequestEntityTooLarge)
			return
		}
	case p.q.Has("b64") && p.q.Has("hex"):
		faultBad(w, errors.New("fault: raw: want b64= or hex=, not both"))
		return
	case p.q.Has("b64"):
		s := p.q.Get("b64")
		if len(s) > (faultMaxRaw+2)/3*4 {
			p.fail("b64", fmt.Sprintf("at most %d bytes once decoded", faultMaxRaw), s)
		} else if data, err = faultDecodeB64(s); err != nil {
			p.fail("b64", "base64 ("+err.Error()+")", s)
		}
	case p.q.Has("hex"):
		s := p.q.Get("hex")
		if len(s) > 2*faultMaxRaw {
			p.fail("hex", fmt.Sprintf("at most %d bytes once decoded", faultMaxRaw), s)
		} else if data, err = hex.DecodeString(s); err != nil {
			p.fail("hex", "hexadecimal ("+err.Error()+")", s)
		}
	default:
		faultBad(w, errors.New("fault: raw: want b64= or hex= (or a POST body)"))
		return
	}
	h.hijack(w, r, p, "close", func(f *faultConn) error {
		_, err := f.Write(data)
		return err
	})
}

func (h *handler) faultScenario(s faultRawScenario) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := &faultParams{q: r.URL.Query()}
		maxN := int64(faultMaxCount)
		if s.maxN > 0 {
			maxN = int64(s.maxN)
		}
		n := p.int("n", 100, 0, maxN)
		maxBytes := p.int("max", faultDefaultMax, 0, faultMaxBody)
		split := p.bool("split")
		end := s.end
		if end == "" {
			end = "close"
		}
		h.hijack(w, r, p, end, func(f *faultConn) error {
			f.n, f.max, f.split = int(n), maxBytes, split
			return s.run(f)
		})
	})
}

const faultOK = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"

func faultStatic(s string) func(*faultConn) error {
	return func(f *faultConn) error { return f.writeString(s) }
}

// faultFlood sends f.n copies of an informational response, then 200 ok.
func faultFlood(info string) func(*faultConn) error {
	return func(f *faultConn) error {
		bw := bufio.NewWriterSize(f, 32<<10)
		for range f.n {
			bw.WriteString(info)
		}
		bw.WriteString(faultOK)
		return bw.Flush()
	}
}

// faultCapWriter writes at most left bytes, then fails with errFaultCap.
type faultCapWriter struct {
	w    io.Writer
	left int64
}

var errFaultCap = errors.New("fault: byte cap reached")

func (c *faultCapWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > c.left {
		n, err := c.w.Write(p[:c.left])
		c.left -= int64(n)
		if err == nil {
			err = errFaultCap
		}
		return n, err
	}
	n, err := c.w.Write(p)
	c.left -= int64(n)
	return n, err
}

// faultForever sends head, then unit(0), unit(1), ... until f.max bytes
// in all are sent or the maximum delay has passed.
func faultForever(head string, unit func(i int) string) func(*faultConn) error {
	return func(f *faultConn) error {
		bw := bufio.NewWriterSize(f, 32<<10)
		cw := &faultCapWriter{w: bw, left: f.max}
		_, err := io.WriteString(cw, head)
		for i := 0; err == nil && !f.expired(); i++ {
			_, err = io.WriteString(cw, unit(i))
		}
		if err != nil && !errors.Is(err, errFaultCap) {
			return err
		}
		return bw.Flush()
	}
}

const faultGzipText = "hello, gzip\n"

// faultGzip sends a gzip-encoded response whose body is mangle applied to
// a valid gzip stream; Content-Length matches what is sent.
func faultGzip(mangle func(z []byte) []byte) func(*faultConn) error {
	return func(f *faultConn) error {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		io.WriteString(zw, strings.Repeat(faultGzipText, 64))
		if err := zw.Close(); err != nil {
			return err
		}
		body := mangle(b.Bytes())
		return f.writeString(faultHead("HTTP/1.1", "200 OK", "Content-Type: text/plain", "Content-Encoding: gzip",
			"Content-Length: "+strconv.Itoa(len(body)), "Connection: close") + string(body))
	}
}

// faultEncodingChain sends Content-Encoding: gzip f.n times (on one line,
// or one line each with split) and a body gzipped as many times.
func faultEncodingChain(f *faultConn) error {
	body := []byte(faultGzipText)
	for range f.n {
		var b bytes.Buffer
		zw, err := gzip.NewWriterLevel(&b, gzip.NoCompression)
		if err != nil {
			return err
		}
		zw.Write(body)
		if err := zw.Close(); err != nil {
			return err
		}
		body = b.Bytes()
	}
	var lines []string
	if f.split {
		for range f.n {
			lines = append(lines, "Content-Encoding: gzip")
		}
	} else if f.n > 0 {
		lines = append(lines, "Content-Encoding: "+strings.Repeat("gzip, ", f.n-1)+"gzip")
	}
	lines = append(lines, "Content-Type: text/plain", "Content-Length: "+strconv.Itoa(len(body)), "Connection: close")
	return f.writeString(faultHead("HTTP/1.1", "200 OK", lines...) + string(body))
}
